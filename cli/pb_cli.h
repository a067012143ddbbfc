/* pb_cli: what every `perfbus` subcommand shares: options, requests, output helpers. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include "pb_cli_fmt.h"
#include "pb_cli_term.h"
#include "pb_curve.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>

/* Default endpoints of the components (DESIGN.md). */
#define PB_CLI_DAEMON_PUB     "tcp://127.0.0.1:7710"
#define PB_CLI_DAEMON_CONTROL "tcp://127.0.0.1:7711"
#define PB_CLI_SUB_QUERY      "tcp://127.0.0.1:7712"

/* Exit codes: 0 ok, 1 the server answered with an error, 2 bad usage,
 * 3 the server could not be reached or answered garbage. */
enum { PB_CLI_OK = 0, PB_CLI_REFUSED = 1, PB_CLI_USAGE = 2, PB_CLI_UNREACHABLE = 3 };

typedef struct {
    const char *endpoint; /* borrowed from argv or a default */
    int timeout_ms;
    bool timeout_given; /* --timeout was on the command line */
    bool json;
    const char *curve_secret;     /* --curve-secret, else $PERFBUS_CURVE_SECRET; NULL: none */
    const char *curve_server_key; /* --curve-server-key, else $PERFBUS_CURVE_SERVER_KEY */
} pb_cli_opts_t;

/* The option entries every subcommand accepts, for getopt_long tables. */
#define PB_CLI_COMMON_OPTIONS                                                                      \
    {"endpoint", required_argument, NULL, 0}, {"timeout", required_argument, NULL, 0},             \
        {"json", no_argument, NULL, 0}, {"curve-secret", required_argument, NULL, 0},              \
        {"curve-server-key", required_argument, NULL, 0},                                          \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

/* A subcommand: argv[0] is its name. Returns the process exit code. */
typedef int (*pb_cli_cmd_fn)(int argc, char **argv);

/* Handles the options every subcommand has (--endpoint EP, --timeout T,
 * --json, --curve-secret FILE, --curve-server-key FILE|KEY, --help): call it from the getopt_long
 * loop with each option's name and optarg. Returns 1 if it consumed the option, 0 if not, or -1
 * after printing why the value is bad. */
int pb_cli_common_option(pb_cli_opts_t *opts, const char *name, const char *value);

/* Applies one option of a subcommand's own (not a common one). Returns -1 to
 * go on, or an exit code to return now (after printing why). */
typedef int (*pb_cli_option_fn)(void *arg, const char *cmd, const char *name, const char *value);

/* Parses argv with getopt_long over `options` (which must include
 * PB_CLI_COMMON_OPTIONS and give every option the flag value 0). Common
 * options go into opts, which the caller pre-fills with its defaults; the
 * others go to extra(arg, ...). Prints `usage` on --help. Sets *first_arg to
 * the first positional argument. Returns -1 to go on, or the exit code. */
int pb_cli_parse(int argc, char **argv, const struct option *options, pb_cli_opts_t *opts,
                 const char *usage, pb_cli_option_fn extra, void *arg, int *first_arg);

/* Parses argv for a subcommand whose only options are the common ones plus
 * positional arguments. Fills opts (defaults: endpoint, 2000 ms) and sets
 * *first_arg to the index of the first positional argument. Prints `usage`
 * on --help. Returns -1 to go on, or the exit code to return now. */
int pb_cli_parse_simple(int argc, char **argv, pb_cli_opts_t *opts, const char *endpoint,
                        const char *usage, int *first_arg);

/* Sends *request_p (ownership taken) and waits for the reply. On {ok: true}
 * returns PB_CLI_OK with the reply in *reply_p (caller owns). Otherwise prints
 * the reason to stderr ("perfbus: EP: no reply within 2000 ms ..." or
 * "perfbus: not_found: no process with pid 7") and returns PB_CLI_REFUSED or
 * PB_CLI_UNREACHABLE with *reply_p NULL. */
int pb_cli_request(const pb_cli_opts_t *opts, pb_value_t **request_p, pb_value_t **reply_p);

/* The CURVE client settings of opts: 0 with *on false when neither is set,
 * 0 with own and server filled when both are, else PB_CLI_USAGE after
 * printing why (one without the other, a bad file or key). */
int pb_cli_curve(const pb_cli_opts_t *opts, pb_curve_cert_t *own, char server[PB_CURVE_Z85_LEN + 1],
                 bool *on);

/* Builds {op: name}; NULL on ENOMEM. */
pb_value_t *pb_cli_op(const char *name);

/* Pretty JSON of v on stdout followed by a newline. */
void pb_cli_print_json(const pb_value_t *v);

/* Number at a dotted path of v, or NAN when absent/not a number. */
double pb_cli_num(const pb_value_t *v, const char *path);

/* Prints "perfbus <cmd>: <message> (see perfbus <cmd> --help)" to stderr (as pb_cli_error
 * does, so JSON with --json) and returns PB_CLI_USAGE. */
int pb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether this invocation has --json: main sets it from argv before any parsing, so that an
 * error found while parsing is JSON too. */
void pb_cli_set_json(bool on);
bool pb_cli_json(void);

/* Every error of the CLI goes through here. Prints "perfbus[ cmd]: message" (escaped for
 * the terminal) on stderr, or with --json one line {"ok": false, "error": {"code": code,
 * "message": message}}, the wire's reply.error shape (schemas/reply.error.schema.json).
 * cmd NULL: no command name; code NULL: the one for exit (bad_arg for PB_CLI_USAGE,
 * timeout for PB_CLI_UNREACHABLE, refused otherwise). Returns exit. */
int pb_cli_error(const char *cmd, int exit, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A line on stderr that is not an error (progress, a skipped damaged record): "perfbus[ cmd]:
 * message", or with --json {"note": message}, so that every stderr line is JSON then. */
void pb_cli_note(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks that flag's value ep is a ZeroMQ endpoint this CLI can use: a known transport
 * (tcp, ipc, inproc, ws, wss, tipc, vmci, pgm, epgm, udp) and, for tcp, HOST:PORT. Returns 0, or
 * PB_CLI_USAGE after printing what is wrong ("--endpoint: 'tcpp://h:1' has an unknown
 * transport 'tcpp' ..."). */
int pb_cli_check_endpoint(const char *cmd, const char *flag, const char *ep);

#endif
