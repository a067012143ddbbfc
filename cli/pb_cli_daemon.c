/* pb_cli_daemon: `perfbus system|process|watch|unwatch|health`, talking to perfbusd. */
#include "pb_cli_daemon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void s_print_cpu_line(const char *label, const pb_value_t *st)
{
    printf("  %-6s busy %5.1f%%  user %5.1f  nice %4.1f  system %5.1f  iowait %4.1f  irq %4.1f  "
           "softirq %4.1f  steal %4.1f\n",
           label, pb_cli_num(st, "busy_pct"), pb_cli_num(st, "user_pct"),
           pb_cli_num(st, "nice_pct"), pb_cli_num(st, "system_pct"), pb_cli_num(st, "iowait_pct"),
           pb_cli_num(st, "irq_pct"), pb_cli_num(st, "softirq_pct"), pb_cli_num(st, "steal_pct"));
}

static void s_print_cpu(const pb_value_t *s)
{
    if (pb_value_map_get(pb_value_path(s, "cpu.total"), "busy_pct") == NULL) {
        printf("CPU     (first sample: rates follow after one interval)\n");
        return;
    }
    printf("CPU     %.0f cores, percent of all cores\n", pb_cli_num(s, "cpu.ncpu"));
    s_print_cpu_line("all", pb_value_path(s, "cpu.total"));
    const pb_value_t *cores = pb_value_path(s, "cpu.cores");
    for (size_t i = 0; i < pb_value_len(cores); i++) {
        char label[16];
        snprintf(label, sizeof label, "cpu%.0f", pb_cli_num(pb_value_array_at(cores, i), "id"));
        s_print_cpu_line(label, pb_value_array_at(cores, i));
    }
}

static void s_print_mem(const pb_value_t *s)
{
    char total[32], used[32], avail[32], cache[32], swap[32], swap_total[32];
    printf("Memory  total %s  used %s (%.1f%%)  available %s  cached %s  swap %s of %s\n",
           pb_cli_fmt_bytes(total, sizeof total, pb_cli_num(s, "mem.total_bytes")),
           pb_cli_fmt_bytes(used, sizeof used, pb_cli_num(s, "mem.used_bytes")),
           pb_cli_num(s, "mem.used_pct"),
           pb_cli_fmt_bytes(avail, sizeof avail, pb_cli_num(s, "mem.available_bytes")),
           pb_cli_fmt_bytes(cache, sizeof cache, pb_cli_num(s, "mem.cached_bytes")),
           pb_cli_fmt_bytes(swap, sizeof swap, pb_cli_num(s, "mem.swap_used_bytes")),
           pb_cli_fmt_bytes(swap_total, sizeof swap_total, pb_cli_num(s, "mem.swap_total_bytes")));
}

static void s_print_disk_line(const char *name, const pb_value_t *d)
{
    char rd[32], wr[32], shown[256];
    printf("  %-8s read %12s %7.1f ops/s   write %12s %7.1f ops/s   util %5.1f%%\n",
           pb_cli_term(shown, sizeof shown, name),
           pb_cli_fmt_rate(rd, sizeof rd, pb_cli_num(d, "read_bytes_per_s")),
           pb_cli_num(d, "reads_per_s"),
           pb_cli_fmt_rate(wr, sizeof wr, pb_cli_num(d, "write_bytes_per_s")),
           pb_cli_num(d, "writes_per_s"), pb_cli_num(d, "util_pct"));
}

static void s_print_net_line(const char *name, const pb_value_t *n)
{
    char rx[32], tx[32], shown[256];
    printf("  %-8s rx %12s %8.1f pkt/s   tx %12s %8.1f pkt/s   err %.1f/s  drop %.1f/s\n",
           pb_cli_term(shown, sizeof shown, name),
           pb_cli_fmt_rate(rx, sizeof rx, pb_cli_num(n, "rx_bytes_per_s")),
           pb_cli_num(n, "rx_packets_per_s"),
           pb_cli_fmt_rate(tx, sizeof tx, pb_cli_num(n, "tx_bytes_per_s")),
           pb_cli_num(n, "tx_packets_per_s"),
           pb_cli_num(n, "rx_errors_per_s") + pb_cli_num(n, "tx_errors_per_s"),
           pb_cli_num(n, "rx_drops_per_s") + pb_cli_num(n, "tx_drops_per_s"));
}

/* Prints the total line and one line per named device of a disk/net section. */
static void s_print_devices(const pb_value_t *s, const char *section, const char *list,
                            void (*line)(const char *, const pb_value_t *))
{
    char path[64];
    snprintf(path, sizeof path, "%s.total", section);
    line("total", pb_value_path(s, path));
    snprintf(path, sizeof path, "%s.%s", section, list);
    const pb_value_t *items = pb_value_path(s, path);
    for (size_t i = 0; i < pb_value_len(items); i++) {
        const char *name = "?";
        pb_value_map_get_str(pb_value_array_at(items, i), "name", &name);
        line(name, pb_value_array_at(items, i));
    }
}

static void s_print_system(const pb_value_t *s)
{
    const char *host = "?";
    char shown[1024];
    pb_value_map_get_str(s, "host", &host);
    printf("Host    %s  up %.1f h  load %.2f %.2f %.2f  processes %.0f (%.0f running, %.0f "
           "blocked)  ctxt %.0f/s  intr %.0f/s\n",
           pb_cli_term(shown, sizeof shown, host), pb_cli_num(s, "uptime_s") / 3600,
           pb_cli_num(s, "load.avg1"), pb_cli_num(s, "load.avg5"), pb_cli_num(s, "load.avg15"),
           pb_cli_num(s, "procs.total"), pb_cli_num(s, "procs.running"),
           pb_cli_num(s, "procs.blocked"), pb_cli_num(s, "ctxt_per_s"),
           pb_cli_num(s, "intr_per_s"));
    s_print_cpu(s);
    s_print_mem(s);
    printf("Disk\n");
    s_print_devices(s, "disk", "devices", s_print_disk_line);
    printf("Network (total excludes lo)\n");
    s_print_devices(s, "net", "interfaces", s_print_net_line);
}

static void s_print_process(const pb_value_t *p)
{
    const char *comm = "?", *cmdline = "", *state = "?";
    char rss[32], vsz[32], rd[32], wr[32], comm_shown[256], state_shown[32];
    pb_value_map_get_str(p, "comm", &comm);
    pb_value_map_get_str(p, "cmdline", &cmdline);
    pb_value_map_get_str(p, "state", &state);
    printf("PID %.0f  %s  state %s  ppid %.0f  uid %.0f  threads %.0f  nice %.0f\n",
           pb_cli_num(p, "pid"), pb_cli_term(comm_shown, sizeof comm_shown, comm),
           pb_cli_term(state_shown, sizeof state_shown, state), pb_cli_num(p, "ppid"),
           pb_cli_num(p, "uid"), pb_cli_num(p, "threads"), pb_cli_num(p, "nice"));
    fputs("  command   ", stdout);
    pb_cli_term_put(stdout, cmdline[0] ? cmdline : "[kernel thread]");
    putchar('\n');
    if (!isnan(pb_cli_num(p, "cpu_pct")))
        printf("  cpu       %.1f%% of one core (user %.1f, system %.1f)\n",
               pb_cli_num(p, "cpu_pct"), pb_cli_num(p, "cpu_user_pct"),
               pb_cli_num(p, "cpu_system_pct"));
    else if (!isnan(pb_cli_num(p, "cpu_pct_since_start")))
        printf("  cpu       %.1f%% of one core, averaged since the process started\n",
               pb_cli_num(p, "cpu_pct_since_start"));
    printf("  memory    rss %s (%.1f%%)  virtual %s  faults %.0f minor, %.0f major\n",
           pb_cli_fmt_bytes(rss, sizeof rss, pb_cli_num(p, "rss_bytes")), pb_cli_num(p, "mem_pct"),
           pb_cli_fmt_bytes(vsz, sizeof vsz, pb_cli_num(p, "vsize_bytes")),
           pb_cli_num(p, "minflt_total"), pb_cli_num(p, "majflt_total"));
    printf("  disk io   read %s  written %s (since start)\n",
           pb_cli_fmt_bytes(rd, sizeof rd, pb_cli_num(p, "read_bytes_total")),
           pb_cli_fmt_bytes(wr, sizeof wr, pb_cli_num(p, "write_bytes_total")));
    printf("  fds %.0f  context switches %.0f voluntary, %.0f involuntary\n", pb_cli_num(p, "fds"),
           pb_cli_num(p, "vol_ctxsw_total"), pb_cli_num(p, "invol_ctxsw_total"));
}

/* Runs one request and prints the reply as JSON or through `human`. */
static int s_run(const pb_cli_opts_t *opts, pb_value_t *request, const char *key,
                 void (*human)(const pb_value_t *))
{
    pb_value_t *reply = NULL;
    int rc = pb_cli_request(opts, &request, &reply);
    if (rc != PB_CLI_OK)
        return rc;
    const pb_value_t *part = key ? pb_value_map_get(reply, key) : reply;
    if (opts->json)
        pb_cli_print_json(part);
    else
        human(part);
    pb_value_destroy(&reply);
    return PB_CLI_OK;
}

int pb_cli_system(int argc, char **argv)
{
    pb_cli_opts_t opts;
    int first;
    int rc = pb_cli_parse_simple(argc, argv, &opts, PB_CLI_DAEMON_CONTROL,
                                 "Usage: perfbus system [--json] [--endpoint EP] [--timeout MS]\n"
                                 "Shows the latest system sample of perfbusd.\n",
                                 &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return pb_cli_usage_error(argv[0], "unexpected argument '%s'", argv[first]);
    return s_run(&opts, pb_cli_op("system"), "sample", s_print_system);
}

/* Parses a pid argument; 0 if it is not a positive integer. */
static unsigned long s_pid(const char *text)
{
    char *end;
    unsigned long pid = strtoul(text, &end, 10);
    return end != text && !*end && text[0] != '-' && pid <= 4194304 ? pid : 0;
}

int pb_cli_process(int argc, char **argv)
{
    pb_cli_opts_t opts;
    int first;
    int rc = pb_cli_parse_simple(argc, argv, &opts, PB_CLI_DAEMON_CONTROL,
                                 "Usage: perfbus process PID [--json] [--endpoint EP]\n"
                                 "Shows one process: the latest sample if perfbusd watches it,\n"
                                 "else a one-shot read with CPU averaged since it started.\n",
                                 &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc || !s_pid(argv[first]))
        return pb_cli_usage_error(argv[0], "expected exactly one PID");
    pb_value_t *req = pb_cli_op("process");
    pb_value_map_put_uint(req, "pid", s_pid(argv[first]));
    return s_run(&opts, req, "sample", s_print_process);
}

static void s_print_watching(const pb_value_t *w)
{
    const pb_value_t *pids = pb_value_map_get(w, "pids");
    const pb_value_t *matches = pb_value_map_get(w, "matches");
    printf("pids:");
    for (size_t i = 0; i < pb_value_len(pids); i++)
        printf(" %.0f", pb_cli_num(pb_value_array_at(pids, i), ""));
    printf("\nmatches:");
    for (size_t i = 0; i < pb_value_len(matches); i++) {
        const char *m = "";
        pb_value_get_str(pb_value_array_at(matches, i), &m);
        putchar(' ');
        pb_cli_term_put(stdout, m);
    }
    bool all = false;
    pb_value_get_bool(pb_value_map_get(w, "all"), &all);
    printf("\ntop: %.0f  all: %s\n", pb_cli_num(w, "top"), all ? "yes" : "no");
}

/* watch and unwatch share their grammar: PID or --match REGEX given as `match:RE`. */
static int s_watch_cmd(int argc, char **argv, const char *op)
{
    pb_cli_opts_t opts;
    int first;
    char usage[256];
    snprintf(usage, sizeof usage,
             "Usage: perfbus %s PID | perfbus %s REGEX  [--json] [--endpoint EP]\n"
             "A number is a pid; anything else is a POSIX extended regex on the name.\n",
             op, op);
    int rc = pb_cli_parse_simple(argc, argv, &opts, PB_CLI_DAEMON_CONTROL, usage, &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected one PID or one REGEX");
    pb_value_t *req = pb_cli_op(op);
    unsigned long pid = s_pid(argv[first]);
    if (pid)
        pb_value_map_put_uint(req, "pid", pid);
    else
        pb_value_map_put_str(req, "match", argv[first]);
    return s_run(&opts, req, "watching", s_print_watching);
}

int pb_cli_watch(int argc, char **argv)
{
    return s_watch_cmd(argc, argv, "watch");
}

int pb_cli_unwatch(int argc, char **argv)
{
    return s_watch_cmd(argc, argv, "unwatch");
}

static void s_print_health(const pb_value_t *h)
{
    for (size_t i = 0; i < pb_value_len(h); i++) {
        const char *key = pb_value_map_key_at(h, i);
        if (strcmp(key, "ok") == 0)
            continue;
        const pb_value_t *v = pb_value_map_value_at(h, i);
        const char *s;
        char shown[1024];
        printf("%-14s ", pb_cli_term(shown, sizeof shown, key));
        if (pb_value_get_str(v, &s) == 0)
            pb_cli_term_put(stdout, s);
        else
            printf("%g", pb_cli_num(v, ""));
        putchar('\n');
    }
}

int pb_cli_health(int argc, char **argv)
{
    pb_cli_opts_t opts;
    int first;
    int rc = pb_cli_parse_simple(argc, argv, &opts, PB_CLI_DAEMON_CONTROL,
                                 "Usage: perfbus health [--endpoint EP] [--json]\n"
                                 "Asks any perfbus component (perfbusd, perfbus-sub, an agent)\n"
                                 "for its health; exit 0 when it answers ok.\n",
                                 &first);
    if (rc >= 0)
        return rc;
    return s_run(&opts, pb_cli_op("health"), NULL, s_print_health);
}
