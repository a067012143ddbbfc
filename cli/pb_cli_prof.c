/* pb_cli_prof: `perfbus targets|profile|arm|cancel|results|simulate|register` against an agent. */
#include "pb_cli_prof.h"

#include "pb_profview.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options of the profiling commands beyond the common ones. */
typedef struct {
    pb_cli_opts_t cli;
    unsigned long runs, count, hz, top, id;
    double max_seconds, seconds;
    const char *mode, *clock, *speedscope, *folded;
    bool wait;
} s_opts_t;

static const struct option s_options[] = {
    PB_CLI_COMMON_OPTIONS,
    {"runs", required_argument, NULL, 0},
    {"max-seconds", required_argument, NULL, 0},
    {"seconds", required_argument, NULL, 0},
    {"mode", required_argument, NULL, 0},
    {"clock", required_argument, NULL, 0},
    {"hz", required_argument, NULL, 0},
    {"count", required_argument, NULL, 0},
    {"top", required_argument, NULL, 0},
    {"speedscope", required_argument, NULL, 0},
    {"folded", required_argument, NULL, 0},
    {"wait", no_argument, NULL, 0},
    {NULL, 0, NULL, 0},
};

static int s_number(const char *cmd, const char *name, const char *text, double *out)
{
    char *end;
    *out = strtod(text, &end);
    if (end == text || *end || *out < 0 || !isfinite(*out))
        return pb_cli_usage_error(cmd, "--%s wants a number, 0 or more, got '%s'", name, text);
    return 0;
}

/* --runs N: a whole number of runs, at least one (0 used to mean the default, silently). */
static int s_runs(const char *cmd, const char *text, unsigned long *runs)
{
    char *end;
    double d = strtod(text, &end);
    if (end == text || *end || !(d >= 1) || d != floor(d) || d > 1e18) /* the agent caps runs */
        return pb_cli_usage_error(cmd, "--runs wants a whole number of runs, 1 or more, got '%s'",
                                  text);
    *runs = (unsigned long)d;
    return -1;
}

/* Applies one command-specific option: a pb_cli_option_fn. */
static int s_apply(void *arg, const char *cmd, const char *name, const char *value)
{
    s_opts_t *o = arg;
    double d = 0;
    if (!strcmp(name, "mode") || !strcmp(name, "clock") || !strcmp(name, "speedscope") ||
        !strcmp(name, "folded")) {
        const char **slot = !strcmp(name, "mode")     ? &o->mode
                            : !strcmp(name, "clock")  ? &o->clock
                            : !strcmp(name, "folded") ? &o->folded
                                                      : &o->speedscope;
        *slot = value;
        return -1;
    }
    if (!strcmp(name, "wait")) {
        o->wait = true;
        return -1;
    }
    if (!strcmp(name, "runs"))
        return s_runs(cmd, value, &o->runs);
    if (s_number(cmd, name, value, &d) != 0)
        return PB_CLI_USAGE;
    if (!strcmp(name, "max-seconds"))
        o->max_seconds = d;
    else if (!strcmp(name, "seconds"))
        o->seconds = d;
    else if (!strcmp(name, "hz"))
        o->hz = (unsigned long)d;
    else if (!strcmp(name, "count"))
        o->count = (unsigned long)d;
    else if (!strcmp(name, "top"))
        o->top = (unsigned long)d;
    return -1;
}

/* Parses argv; -1 to go on (positional args start at *first), else an exit code. */
static int s_parse(int argc, char **argv, s_opts_t *o, const char *usage, int *first)
{
    *o = (s_opts_t){.cli = {.endpoint = PB_CLI_DAEMON_PROFILE, .timeout_ms = 2000}, .top = 25};
    return pb_cli_parse(argc, argv, s_options, &o->cli, usage, s_apply, o, first);
}

/* Adds the optional profiling arguments that were given to a request. */
static void s_put_mode_args(pb_value_t *req, const s_opts_t *o)
{
    if (o->mode)
        pb_value_map_put_str(req, "mode", o->mode);
    if (o->clock)
        pb_value_map_put_str(req, "clock", o->clock);
    if (o->hz)
        pb_value_map_put_uint(req, "hz", o->hz);
}

static void s_print_targets(const pb_value_t *reply)
{
    const pb_value_t *targets = pb_value_map_get(reply, "targets");
    printf("%-16s %-9s %-28s %s\n", "TARGET", "KIND", "MODES", "DESCRIPTION");
    for (size_t i = 0; i < pb_value_len(targets); i++) {
        const pb_value_t *t = pb_value_array_at(targets, i);
        const char *name = "?", *kind = "", *description = "";
        char modes[64] = "", name_shown[256], kind_shown[64];
        pb_value_map_get_str(t, "name", &name);
        pb_value_map_get_str(t, "kind", &kind);
        pb_value_map_get_str(t, "description", &description);
        const pb_value_t *list = pb_value_map_get(t, "modes");
        for (size_t m = 0; m < pb_value_len(list); m++) {
            const char *mode = "";
            char shown[64];
            pb_value_get_str(pb_value_array_at(list, m), &mode);
            snprintf(modes + strlen(modes), sizeof modes - strlen(modes), "%s%s", m ? "," : "",
                     pb_cli_term(shown, sizeof shown, mode));
        }
        bool enabled = true;
        pb_value_get_bool(pb_value_map_get(t, "enabled"), &enabled);
        printf("%-16s %-9s %-28s ", pb_cli_term(name_shown, sizeof name_shown, name),
               pb_cli_term(kind_shown, sizeof kind_shown, kind), modes);
        pb_cli_term_put(stdout, description);
        printf("%s\n", enabled ? "" : " (disabled: send `perfbus register`)");
    }
}

static int s_reply_out(const s_opts_t *o, pb_value_t *req, void (*human)(const pb_value_t *))
{
    pb_value_t *reply = NULL;
    int rc = pb_cli_request(&o->cli, &req, &reply);
    if (rc != PB_CLI_OK)
        return rc;
    if (o->cli.json)
        pb_cli_print_json(reply);
    else
        human(reply);
    pb_value_destroy(&reply);
    return PB_CLI_OK;
}

int pb_cli_targets(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus targets [--endpoint EP] [--json]\n"
                     "Lists the targets of an agent (default: perfbusd's built-in one).\n",
                     &first);
    if (rc >= 0)
        return rc;
    return s_reply_out(&o, pb_cli_op("targets"), s_print_targets);
}

/* Writes one export of a result to path with a pb_profview writer. */
static int s_export(const char *path, const pb_value_t *result, const char *what,
                    int (*write)(FILE *, const pb_value_t *))
{
    FILE *out = fopen(path, "w");
    int rc = out ? write(out, result) : -errno;
    if (out && fclose(out) != 0 && rc == 0)
        rc = -EIO;
    if (rc < 0)
        return pb_cli_error(NULL, PB_CLI_REFUSED, NULL, "cannot write %s to %s: %s", what, path,
                            strerror(-rc));
    pb_cli_note(NULL, "wrote %s to %s", what, path);
    return PB_CLI_OK;
}

static int s_speedscope(FILE *out, const pb_value_t *result)
{
    return pb_profview_speedscope(out, result, NULL);
}

static int s_show_result(const s_opts_t *o, const pb_value_t *reply)
{
    int rc = PB_CLI_OK;
    if (o->cli.json)
        pb_cli_print_json(reply);
    else if (pb_profview_table(stdout, reply, o->top) < 0)
        pb_cli_print_json(reply);
    if (o->speedscope)
        rc = s_export(o->speedscope, reply, "speedscope profile", s_speedscope);
    if (o->folded && rc == PB_CLI_OK)
        rc = s_export(o->folded, reply, "folded stacks", pb_profview_folded);
    return rc;
}

int pb_cli_profile(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc =
        s_parse(argc, argv, &o,
                "Usage: perfbus profile TARGET [--runs N] [--max-seconds S]\n"
                "       [--mode sampling|tracing|detailed] [--clock cpu|wall] [--hz H]\n"
                "       [--top N] [--speedscope FILE] [--folded FILE] [--json] [--endpoint EP]\n"
                "Runs a registered target N times (N >= 1; no new run starts once S seconds are\n"
                "spent) and prints the top functions by total time, like pstats'\n"
                "cumulative sort. Sampling at --clock cpu is capped by the kernel tick\n"
                "(250 Hz here); --clock wall reaches 1 kHz and sees waits.\n",
                &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one TARGET");
    pb_value_t *req = pb_cli_op("profile");
    pb_value_map_put_str(req, "target", argv[first]);
    if (o.runs)
        pb_value_map_put_uint(req, "runs", o.runs);
    if (o.max_seconds > 0)
        pb_value_map_put_float(req, "max_seconds", o.max_seconds);
    s_put_mode_args(req, &o);
    if (!o.cli.timeout_given) /* the reply comes when the job ends */
        o.cli.timeout_ms = (int)((o.max_seconds > 0 ? o.max_seconds : 10) * 1000) + 15000;
    pb_value_t *reply = NULL;
    rc = pb_cli_request(&o.cli, &req, &reply);
    if (rc == PB_CLI_OK)
        rc = s_show_result(&o, reply);
    pb_value_destroy(&reply);
    return rc;
}

static bool s_pending(const char *state)
{
    return !strcmp(state, "queued") || !strcmp(state, "armed") || !strcmp(state, "running");
}

/* Polls `results` until the job is done (or failed) or the timeout passes. */
static int s_wait_result(s_opts_t *o, uint64_t id, pb_value_t **reply_p)
{
    int waited_ms = 0, rc;
    for (;;) {
        pb_value_t *req = pb_cli_op("results");
        pb_value_map_put_uint(req, "id", id);
        rc = pb_cli_request(&o->cli, &req, reply_p);
        const char *state = "done";
        if (rc != PB_CLI_OK || pb_value_map_get_str(*reply_p, "state", &state) < 0 ||
            !s_pending(state))
            return rc;
        pb_value_destroy(reply_p);
        if (waited_ms >= o->cli.timeout_ms) {
            return pb_cli_error(NULL, PB_CLI_UNREACHABLE, "timeout",
                                "job %llu still %s after %d ms", (unsigned long long)id, state,
                                waited_ms);
        }
        usleep(200000);
        waited_ms += 200;
    }
}

static void s_print_armed(const pb_value_t *reply)
{
    uint64_t id = 0;
    const char *state = "?";
    pb_value_map_get_u64(reply, "id", &id);
    pb_value_map_get_str(reply, "state", &state);
    char shown[64];
    double max_s = pb_cli_num(reply, "max_seconds");
    printf("job %llu %s", (unsigned long long)id, pb_cli_term(shown, sizeof shown, state));
    if (max_s == max_s)
        printf(", expires in %g s", max_s);
    printf(" (fetch it with: perfbus results %llu)\n", (unsigned long long)id);
}

int pb_cli_arm(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus arm SECTION [--count N] [--max-seconds S] [--mode M]\n"
                     "       [--clock C] [--hz H] [--wait [--timeout T]] [--json] [--endpoint EP]\n"
                     "Profiles the next N executions (default 1) of a section the application\n"
                     "marks. The arm expires after S seconds (default 10, at most the agent's\n"
                     "cap, 60 by default) with the executions seen so far, maybe none, and\n"
                     "frees the profiler; `perfbus cancel` ends it sooner. --wait polls until\n"
                     "it is done and prints the profile.\n",
                     &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one SECTION");
    pb_value_t *req = pb_cli_op("arm"), *reply = NULL;
    pb_value_map_put_str(req, "section", argv[first]);
    if (o.count)
        pb_value_map_put_uint(req, "count", o.count);
    if (o.max_seconds > 0)
        pb_value_map_put_float(req, "max_seconds", o.max_seconds);
    s_put_mode_args(req, &o);
    if (!o.wait)
        return s_reply_out(&o, req, s_print_armed);
    rc = pb_cli_request(&o.cli, &req, &reply);
    uint64_t id = 0;
    pb_value_map_get_u64(reply, "id", &id);
    pb_value_destroy(&reply);
    if (!o.cli.timeout_given) /* expiry, the grace, then symbolising */
        o.cli.timeout_ms = (int)((o.max_seconds > 0 ? o.max_seconds : 10) * 1000) + 15000;
    if (rc == PB_CLI_OK)
        rc = s_wait_result(&o, id, &reply);
    if (rc == PB_CLI_OK)
        rc = s_show_result(&o, reply);
    pb_value_destroy(&reply);
    return rc;
}

static void s_print_cancelled(const pb_value_t *reply)
{
    uint64_t id = 0, done = 0;
    const char *op = "?", *name = "?";
    bool in_run = false;
    pb_value_map_get_u64(reply, "id", &id);
    pb_value_map_get_u64(reply, "done", &done);
    pb_value_map_get_str(reply, "op", &op);
    if (pb_value_map_get_str(reply, "section", &name) < 0)
        pb_value_map_get_str(reply, "target", &name);
    pb_value_get_bool(pb_value_map_get(reply, "run_in_progress"), &in_run);
    char op_shown[32], name_shown[128];
    pb_cli_term(op_shown, sizeof op_shown, op);
    pb_cli_term(name_shown, sizeof name_shown, name);
    if (!strcmp(op, "arm"))
        printf("cancelled job %llu (arm of section '%s' after %llu executions)\n",
               (unsigned long long)id, name_shown, (unsigned long long)done);
    else
        printf("cancelled job %llu (%s of '%s'%s)\n", (unsigned long long)id, op_shown, name_shown,
               in_run ? "; its current run cannot be interrupted and goes on off the profiler"
                      : "");
    printf("its result, if any: perfbus results %llu\n", (unsigned long long)id);
}

/* The optional job ID after the options: 1 read into *id, 0 absent, -EINVAL
 * for a second word or one that is not a whole unsigned number. */
static int s_job_id_arg(int argc, char **argv, int first, uint64_t *id)
{
    if (first == argc)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(argv[first], &end, 10);
    if (first + 1 < argc || end == argv[first] || *end || errno || argv[first][0] == '-')
        return -EINVAL;
    *id = v;
    return 1;
}

int pb_cli_cancel(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus cancel [ID] [--json] [--endpoint EP]\n"
                     "Cancels the agent's current job (only when its id is ID, if given) and\n"
                     "frees the profiler at once. An armed section ends with the executions\n"
                     "seen (an execution underway is discarded with the job's data); a profile\n"
                     "starts no further run, and a run in progress, which cannot be\n"
                     "interrupted, goes on off the profiler (its target is refused until it\n"
                     "returns).\n",
                     &first);
    if (rc >= 0)
        return rc;
    uint64_t id = 0;
    int has_id = s_job_id_arg(argc, argv, first, &id);
    if (has_id < 0)
        return pb_cli_usage_error(argv[0], "expected at most one job ID");
    pb_value_t *req = pb_cli_op("cancel");
    if (has_id)
        pb_value_map_put_uint(req, "id", id);
    return s_reply_out(&o, req, s_print_cancelled);
}

int pb_cli_results(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus results ID [--top N] [--speedscope FILE] [--folded FILE]\n"
                     "       [--json] [--endpoint EP]\n"
                     "Fetches the result (or the state) of a profiling job.\n",
                     &first);
    if (rc >= 0)
        return rc;
    uint64_t id = 0;
    if (s_job_id_arg(argc, argv, first, &id) <= 0)
        return pb_cli_usage_error(argv[0], "expected exactly one job ID");
    pb_value_t *req = pb_cli_op("results"), *reply = NULL;
    pb_value_map_put_uint(req, "id", id);
    rc = pb_cli_request(&o.cli, &req, &reply);
    if (rc == PB_CLI_OK)
        rc = s_show_result(&o, reply);
    pb_value_destroy(&reply);
    return rc;
}

static void s_print_ok(const pb_value_t *reply)
{
    double wall = pb_cli_num(reply, "run_wall_s");
    if (wall == wall)
        printf("ok: ran for %.2f s\n", wall);
    else
        printf("ok\n");
}

int pb_cli_simulate(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus simulate cpu|memory|io --seconds S [--endpoint EP]\n"
                     "Runs one of perfbusd's built-in workloads unprofiled for S seconds\n"
                     "(the seed's /simulate_work), to give the samplers something to see.\n",
                     &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one KIND (cpu, memory, io)");
    pb_value_t *req = pb_cli_op("simulate");
    pb_value_map_put_str(req, "kind", argv[first]);
    pb_value_map_put_float(req, "seconds", o.seconds > 0 ? o.seconds : 1);
    if (!o.cli.timeout_given)
        o.cli.timeout_ms = (int)((o.seconds > 0 ? o.seconds : 1) * 1000) + 15000;
    return s_reply_out(&o, req, s_print_ok);
}

int pb_cli_register(int argc, char **argv)
{
    s_opts_t o;
    int first;
    int rc = s_parse(argc, argv, &o,
                     "Usage: perfbus register TARGET [--endpoint EP]\n"
                     "Enables a target that the application registered disabled.\n",
                     &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one TARGET");
    pb_value_t *req = pb_cli_op("register");
    pb_value_map_put_str(req, "target", argv[first]);
    return s_reply_out(&o, req, s_print_ok);
}
