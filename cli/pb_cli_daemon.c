/* pb_cli_daemon: `perfbus system|process|watch|unwatch|health`, talking to perfbusd. */
#include "pb_cli_daemon.h"
#include "pb_cli_sub.h"

#include "pb_cli_view.h"

#include "pb_json.h"

#include <errno.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The CPU heading and lines; a first sample has no rates yet, so it says so instead. */
static void s_print_cpu(const pb_value_t *s)
{
    pb_view_entry_t first;
    const pb_catalog_field_t *total = pb_cli_view_total(PB_VIEW_CLI_CPU);
    if (pb_view_entry(PB_VIEW_CLI_CPU, 0, &first) < 0 || !total ||
        !pb_value_map_get(pb_value_path(s, total->path), first.field->name)) {
        printf("CPU     (first sample: rates follow after one interval)\n");
        return;
    }
    printf("CPU   ");
    pb_cli_view_line(stdout, PB_VIEW_CLI_SYS, "CPU", s, 0);
    printf(", percent of all cores\n");
    pb_cli_view_items(stdout, PB_VIEW_CLI_CPU, s, "all");
}

static void s_print_system(const pb_value_t *s)
{
    const char *host = "?";
    char shown[1024];
    pb_value_map_get_str(s, "host", &host);
    printf("Host    %s", pb_cli_term(shown, sizeof shown, host));
    pb_cli_view_line(stdout, PB_VIEW_CLI_SYS, "Host", s, 0);
    putchar('\n');
    s_print_cpu(s);
    printf("Memory");
    pb_cli_view_line(stdout, PB_VIEW_CLI_SYS, "Memory", s, 0);
    printf("\nDisk\n");
    pb_cli_view_items(stdout, PB_VIEW_CLI_DISK, s, "total");
    printf("Network (total excludes lo)\n");
    pb_cli_view_items(stdout, PB_VIEW_CLI_NET, s, "total");
}

static void s_print_process(const pb_value_t *p)
{
    const char *comm = "?", *cmdline = "", *state = "?";
    char comm_shown[256], state_shown[32];
    pb_value_map_get_str(p, "comm", &comm);
    pb_value_map_get_str(p, "cmdline", &cmdline);
    pb_value_map_get_str(p, "state", &state);
    printf("PID %.0f  %s  state %s  ppid %.0f  uid %.0f", pb_cli_num(p, "pid"),
           pb_cli_term(comm_shown, sizeof comm_shown, comm),
           pb_cli_term(state_shown, sizeof state_shown, state), pb_cli_num(p, "ppid"),
           pb_cli_num(p, "uid"));
    pb_cli_view_line(stdout, PB_VIEW_CLI_PROC, "", p, PB_CLI_VIEW_SKIP_ABSENT);
    fputs("\n  command   ", stdout);
    pb_cli_term_put(stdout, cmdline[0] ? cmdline : "[kernel thread]");
    putchar('\n');
    pb_cli_view_lines(stdout, PB_VIEW_CLI_PROC, p);
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
                                 "Usage: perfbus system [--json] [--endpoint EP] [--timeout T]\n"
                                 "Shows the latest system sample of perfbusd.\n",
                                 &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return pb_cli_usage_error(argv[0], "unexpected argument '%s'", argv[first]);
    return s_run(&opts, pb_cli_op("system"), "sample", s_print_system);
}

#define S_PID_MAX 4194304 /* the kernel's limit (PID_MAX_LIMIT on 64-bit) */

/* Parses a pid argument; 0 if it is not a positive integer (*number says whether it is a
 * whole number above 0 at all, maybe beyond S_PID_MAX). */
static unsigned long s_pid_of(const char *text, bool *number)
{
    char *end;
    errno = 0;
    unsigned long long pid = strtoull(text, &end, 10);
    *number = end != text && !*end && text[0] != '-' && text[0] != '+' && errno == 0 && pid > 0;
    return *number && pid <= S_PID_MAX ? (unsigned long)pid : 0;
}

static unsigned long s_pid(const char *text)
{
    bool number;
    return s_pid_of(text, &number);
}

int pb_cli_process(int argc, char **argv)
{
    pb_cli_opts_t opts;
    int first;
    int rc = pb_cli_parse_simple(argc, argv, &opts, PB_CLI_DAEMON_CONTROL,
                                 "Usage: perfbus process PID [--json] [--endpoint EP]\n"
                                 "Shows one process: the latest sample if perfbusd watches it,\n"
                                 "else a one-shot read with CPU averaged since it started.\n"
                                 "A PID beyond the kernel's limit is no such process (exit 1).\n",
                                 &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one PID");
    bool number;
    unsigned long pid = s_pid_of(argv[first], &number);
    if (!number)
        return pb_cli_usage_error(argv[0], "'%s' is not a PID (a whole number above 0)",
                                  argv[first]);
    if (!pid)
        return pb_cli_error(argv[0], PB_CLI_REFUSED, "not_found",
                            "no such process: %s (PIDs are 1 to %d)", argv[first], S_PID_MAX);
    pb_value_t *req = pb_cli_op("process");
    pb_value_map_put_uint(req, "pid", pid);
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

/* A reply value of no catalogued unit: text, yes/no, a number (grouped unless it is an id:
 * a pid), else compact JSON. */
static void s_print_scalar(const char *key, const pb_value_t *v)
{
    const char *s;
    bool b;
    char num[64];
    if (pb_value_get_str(v, &s) == 0)
        pb_cli_term_put(stdout, s);
    else if (pb_value_get_bool(v, &b) == 0)
        fputs(b ? "yes" : "no", stdout);
    else if (pb_value_type(v) == PB_ARRAY || pb_value_type(v) == PB_MAP)
        pb_json_write(stdout, v, 0);
    else if (!strcmp(key, "pid") || strstr(key, "_pid"))
        printf("%.0f", pb_cli_num(v, ""));
    else
        fputs(pb_cli_fmt_num(num, sizeof num, pb_cli_num(v, "")), stdout);
}

static void s_print_health(const pb_value_t *h)
{
    for (size_t i = 0; i < pb_value_len(h); i++) {
        const char *key = pb_value_map_key_at(h, i);
        if (strcmp(key, "ok") == 0 || strcmp(key, "hosts") == 0)
            continue;
        char shown[1024];
        printf("%-20s ", pb_cli_term(shown, sizeof shown, key));
        s_print_scalar(key, pb_value_map_value_at(h, i));
        putchar('\n');
    }
    pb_cli_print_hosts(h); /* perfbus-sub's: each host's up/down state */
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
