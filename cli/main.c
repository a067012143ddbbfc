/* perfbus: the command-line client; one subcommand per request/reply op. */
#include "pb_cli_daemon.h"
#include "pb_cli_keygen.h"
#include "pb_cli_prof.h"
#include "pb_cli_sub.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    pb_cli_cmd_fn fn;
    const char *summary;
} s_commands[] = {
    {"system", pb_cli_system, "latest system sample (CPU, memory, disk, network)"},
    {"process", pb_cli_process, "one process by PID"},
    {"watch", pb_cli_watch, "add a PID or a name regex to perfbusd's watch list"},
    {"unwatch", pb_cli_unwatch, "remove a PID or a name regex from the watch list"},
    {"health", pb_cli_health, "health of any component (--endpoint picks which)"},
    {"tail", pb_cli_tail, "print live frames from the bus"},
    {"history", pb_cli_history, "samples kept by perfbus-sub (system or --pid)"},
    {"summary", pb_cli_summary, "min/mean/stddev/p50/p95/p99/max per field (perfbus-sub)"},
    {"processes", pb_cli_processes, "processes perfbus-sub has history for"},
    {"stats", pb_cli_stats, "frames, losses and errors seen by perfbus-sub"},
    {"runs", pb_cli_runs, "list the stored runs"},
    {"dump", pb_cli_dump, "print the records of a stored run"},
    {"replay", pb_cli_replay, "publish a stored run onto a bus"},
    {"targets", pb_cli_targets, "profiling targets of an agent (default perfbusd's)"},
    {"profile", pb_cli_profile, "profile a target: sampling, tracing or detailed"},
    {"arm", pb_cli_arm, "profile the next N executions of a section"},
    {"cancel", pb_cli_cancel, "cancel the agent's current profile or armed section"},
    {"results", pb_cli_results, "result or state of a profiling job"},
    {"simulate", pb_cli_simulate, "run a built-in workload (cpu, memory, io)"},
    {"register", pb_cli_register, "enable a target registered disabled"},
    {"keygen", pb_cli_keygen, "write a CURVE certificate pair (NAME, NAME_secret)"},
};

static void s_usage(FILE *out)
{
    fputs("Usage: perfbus [COMMON OPTIONS] COMMAND [ARGS]... (perfbus COMMAND --help for details)\n"
          "       perfbus --version\n\n",
          out);
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf(out, "  %-10s %s\n", s_commands[i].name, s_commands[i].summary);
    fputs("\nEvery command takes --json, --endpoint EP and --timeout T (a duration: 2s,\n"
          "500ms; a bare number is milliseconds; default 2s), and for CURVE\n"
          "--curve-secret FILE and --curve-server-key FILE|KEY (or $PERFBUS_CURVE_SECRET and\n"
          "$PERFBUS_CURVE_SERVER_KEY); these common options may also come before COMMAND.\n"
          "\nWith --json every command's output is JSON on stdout and every error is one\n"
          "line {\"ok\": false, \"error\": {\"code\": ..., \"message\": ...}} on stderr.\n"
          "\nExit status: 0 ok, 1 the request failed (the server refused it, or no such\n"
          "process, run or store; the reason is printed), 2 bad usage, 3 the server could\n"
          "not be reached in time.\n",
          out);
}

/* --json before any parsing, so that errors while parsing are JSON as well. */
static bool s_wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (!strcmp(argv[i], "--json"))
            return true;
    return false;
}

/* How many words of argv from i are one common option given before the command (`perfbus
 * --json runs`): 1 or 2 (with its value), 0 when argv[i] is none. */
static int s_common_words(int argc, char **argv, int i)
{
    static const struct option common[] = {PB_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    const char *w = argv[i];
    size_t len = strcspn(w, "=");
    for (const struct option *o = common; o->name && strncmp(w, "--", 2) == 0; o++)
        if (o->val == 0 && len == strlen(o->name) + 2 && strncmp(w + 2, o->name, len - 2) == 0)
            return o->has_arg == required_argument && !w[len] && i + 1 < argc ? 2 : 1;
    return 0;
}

/* `perfbus --json --endpoint EP COMMAND ARGS` as `perfbus COMMAND --json --endpoint EP ARGS`:
 * the common options may come before the command, as with git. argv is reordered in place. */
static void s_hoist_command(int argc, char **argv)
{
    int i = 1, n;
    while (i < argc && (n = s_common_words(argc, argv, i)) > 0)
        i += n;
    if (i == 1 || i >= argc)
        return;
    char *command = argv[i];
    memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
    argv[1] = command;
}

int main(int argc, char **argv)
{
    s_hoist_command(argc, argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? PB_CLI_USAGE : PB_CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("perfbus %s\n", PB_VERSION);
        return PB_CLI_OK;
    }
    pb_cli_set_json(s_wants_json(argc, argv));
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (!strcmp(argv[1], s_commands[i].name))
            return s_commands[i].fn(argc - 1, argv + 1);
    pb_cli_error(NULL, PB_CLI_USAGE, NULL, "unknown command '%s' (see perfbus --help)", argv[1]);
    if (!pb_cli_json())
        s_usage(stderr);
    return PB_CLI_USAGE;
}
