/* pb_cli: shared option handling, request plumbing and number formatting for `perfbus`. */
#include "pb_cli.h"

#include "pb_getopt.h"
#include "pb_units.h"

#include "pb_json.h"
#include "pb_rpc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool s_json; /* --json anywhere on the command line: errors are JSON too */

void pb_cli_set_json(bool on)
{
    s_json = on;
}

bool pb_cli_json(void)
{
    return s_json;
}

static const char *s_code_for(int exit)
{
    if (exit == PB_CLI_USAGE)
        return "bad_arg";
    return exit == PB_CLI_UNREACHABLE ? "timeout" : "refused";
}

/* The human form of an error or note: "perfbus[ cmd]: message", escaped. */
static void s_human_line(const char *cmd, const char *message)
{
    fprintf(stderr, "perfbus%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    pb_cli_term_put(stderr, message);
    fputc('\n', stderr);
}

void pb_cli_note(const char *cmd, const char *fmt, ...)
{
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (!s_json) {
        s_human_line(cmd, message);
        return;
    }
    pb_value_t *out = pb_value_map_new();
    pb_value_map_put_str(out, "note", message);
    pb_json_write(stderr, out, 0);
    fputc('\n', stderr);
    pb_value_destroy(&out);
}

static void s_verror(const char *cmd, const char *code, const char *fmt, va_list ap)
{
    char message[2048];
    vsnprintf(message, sizeof message, fmt, ap);
    if (!s_json) {
        s_human_line(cmd, message);
        return;
    }
    pb_value_t *out = pb_value_map_new(), *error = pb_value_map_new();
    pb_value_map_put_str(error, "code", code);
    pb_value_map_put_str(error, "message", message);
    pb_value_map_put_bool(out, "ok", false);
    pb_value_map_put(out, "error", &error);
    pb_json_write(stderr, out, 0);
    fputc('\n', stderr);
    pb_value_destroy(&error);
    pb_value_destroy(&out);
}

int pb_cli_error(const char *cmd, int exit, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verror(cmd, code ? code : s_code_for(exit), fmt, ap);
    va_end(ap);
    return exit;
}

/* "tcp://HOST:PORT": a colon, then a port number or the wildcard. */
static bool s_tcp_address_ok(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1])
        return false;
    if (!strcmp(colon + 1, "*"))
        return true;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return !*end && port >= 0 && port <= 65535;
}

int pb_cli_check_endpoint(const char *cmd, const char *flag, const char *ep)
{
    static const char *const known[] = {"tcp",  "ipc",  "inproc", "ws",   "wss",
                                        "tipc", "vmci", "pgm",    "epgm", "udp"};
    const char *sep = strstr(ep, "://");
    if (!sep || sep == ep || !sep[3])
        return pb_cli_error(cmd, PB_CLI_USAGE, NULL,
                            "%s: '%s' is not an endpoint (TRANSPORT://ADDRESS: tcp://HOST:PORT, "
                            "ipc:///PATH)",
                            flag, ep);
    size_t n = (size_t)(sep - ep);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i]) != n || strncmp(ep, known[i], n) != 0)
            continue;
        if (i == 0 && !s_tcp_address_ok(sep + 3))
            return pb_cli_error(cmd, PB_CLI_USAGE, NULL,
                                "%s: '%s' needs HOST:PORT after tcp:// (e.g. tcp://127.0.0.1:7711)",
                                flag, ep);
        return 0;
    }
    return pb_cli_error(cmd, PB_CLI_USAGE, NULL,
                        "%s: '%s' has an unknown transport '%.*s' (use tcp://HOST:PORT, "
                        "ipc:///PATH or inproc://NAME)",
                        flag, ep, (int)n, ep);
}

int pb_cli_common_option(pb_cli_opts_t *opts, const char *name, const char *value)
{
    if (!strcmp(name, "endpoint")) {
        opts->endpoint = value;
        return pb_cli_check_endpoint(NULL, "--endpoint", value) == 0 ? 1 : -1;
    }
    if (!strcmp(name, "json")) {
        opts->json = true;
        return 1;
    }
    if (!strcmp(name, "curve-secret")) {
        opts->curve_secret = value;
        return 1;
    }
    if (!strcmp(name, "curve-server-key")) {
        opts->curve_server_key = value;
        return 1;
    }
    if (strcmp(name, "timeout") != 0)
        return 0;
    char err[160] = "";
    double s = 0; /* a duration (2s, 500ms); a bare number is milliseconds */
    if (pb_units_duration("--timeout", value, 1e-3, &s, err, sizeof err) < 0 || s < 1e-3 ||
        s > 3600) {
        pb_cli_error(NULL, PB_CLI_USAGE, NULL, "%s",
                     err[0] && s == 0 ? err
                                      : "--timeout must be between 1ms and 1h (e.g. 2s, 500ms)");
        return -1;
    }
    opts->timeout_ms = (int)llround(s * 1000);
    opts->timeout_given = true;
    return 1;
}

pb_value_t *pb_cli_op(const char *name)
{
    pb_value_t *req = pb_value_map_new();
    if (req && pb_value_map_put_str(req, "op", name) < 0)
        pb_value_destroy(&req);
    return req;
}

static int s_server_error(const pb_value_t *reply)
{
    const char *code = "error", *message = "the reply says ok: false without a reason";
    const pb_value_t *error = pb_value_map_get(reply, "error");
    pb_value_map_get_str(error, "code", &code);
    pb_value_map_get_str(error, "message", &message);
    if (s_json) /* the server's own code and message, as they came */
        return pb_cli_error(NULL, PB_CLI_REFUSED, code, "%s", message);
    return pb_cli_error(NULL, PB_CLI_REFUSED, NULL, "%s: %s", code, message);
}

int pb_cli_curve(const pb_cli_opts_t *opts, pb_curve_cert_t *own, char server[PB_CURVE_Z85_LEN + 1],
                 bool *on)
{
    char err[512] = "";
    const char *secret = opts->curve_secret ? opts->curve_secret : getenv("PERFBUS_CURVE_SECRET");
    const char *key =
        opts->curve_server_key ? opts->curve_server_key : getenv("PERFBUS_CURVE_SERVER_KEY");
    secret = secret && *secret ? secret : NULL;
    key = key && *key ? key : NULL;
    *on = secret && key;
    if (!secret != !key)
        return pb_cli_error(NULL, PB_CLI_USAGE, NULL,
                            "CURVE needs both --curve-secret FILE (this client's "
                            "certificate) and --curve-server-key FILE|KEY (the server's)");
    if (*on && (pb_curve_cert_load(own, secret, err, sizeof err) < 0 ||
                pb_curve_server_key(server, key, err, sizeof err) < 0))
        return pb_cli_error(NULL, PB_CLI_USAGE, NULL, "%s", err);
    return 0;
}

int pb_cli_request(const pb_cli_opts_t *opts, pb_value_t **request_p, pb_value_t **reply_p)
{
    char err[256] = "", server[PB_CURVE_Z85_LEN + 1];
    pb_value_t *reply = NULL;
    pb_curve_cert_t own;
    bool curve = false;
    *reply_p = NULL;
    int rc = pb_cli_curve(opts, &own, server, &curve);
    if (rc != 0) {
        pb_value_destroy(request_p);
        return rc;
    }
    rc = pb_rpc_call_curve(opts->endpoint, curve ? &own : NULL, server, request_p, opts->timeout_ms,
                           &reply, err, sizeof err);
    if (rc == -ETIMEDOUT)
        return pb_cli_error(NULL, PB_CLI_UNREACHABLE, "timeout",
                            "%s: no reply within %d ms (is the server running%s?)", opts->endpoint,
                            opts->timeout_ms,
                            curve ? ", and is this client's key in its --curve-allow directory"
                                  : "; does it need CURVE: --curve-secret and --curve-server-key");
    if (rc < 0)
        return pb_cli_error(NULL, PB_CLI_UNREACHABLE, "refused", "%s: %s", opts->endpoint, err);
    bool ok = false;
    if (pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok) < 0) {
        pb_value_destroy(&reply);
        return pb_cli_error(NULL, PB_CLI_UNREACHABLE, "bad_msgpack",
                            "%s: reply has no boolean 'ok'", opts->endpoint);
    }
    if (!ok) {
        rc = s_server_error(reply);
        pb_value_destroy(&reply);
        return rc;
    }
    *reply_p = reply;
    return PB_CLI_OK;
}

void pb_cli_print_json(const pb_value_t *v)
{
    pb_json_write(stdout, v, 1);
    fputc('\n', stdout);
}

double pb_cli_num(const pb_value_t *v, const char *path)
{
    double d;
    const pb_value_t *at = path[0] ? pb_value_path(v, path) : v;
    return pb_value_get_f64(at, &d) == 0 ? d : NAN;
}

int pb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char message[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return pb_cli_error(cmd, PB_CLI_USAGE, NULL, "%s (see perfbus %s --help)", message, cmd);
}

int pb_cli_parse(int argc, char **argv, const struct option *options, pb_cli_opts_t *opts,
                 const char *usage, pb_cli_option_fn extra, void *arg, int *first_arg)
{
    int index = 0, c, rc = -1;
    optind = 1;
    opterr = 0;
    while (rc < 0 && (c = getopt_long(argc, argv, ":h", options, &index)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return PB_CLI_OK;
        }
        if (c == '?' || c == ':') {
            char why[768], help[128];
            snprintf(help, sizeof help, "perfbus %s --help", argv[0]);
            pb_getopt_refusal(options, c, argv[optind - 1], help, why, sizeof why);
            return pb_cli_error(argv[0], PB_CLI_USAGE, NULL, "%s", why);
        }
        int common = pb_cli_common_option(opts, options[index].name, optarg);
        if (common < 0)
            return PB_CLI_USAGE;
        if (common == 0 && extra)
            rc = extra(arg, argv[0], options[index].name, optarg);
    }
    *first_arg = optind;
    return rc;
}

int pb_cli_parse_simple(int argc, char **argv, pb_cli_opts_t *opts, const char *endpoint,
                        const char *usage, int *first_arg)
{
    static const struct option options[] = {PB_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    *opts = (pb_cli_opts_t){.endpoint = endpoint, .timeout_ms = 2000};
    return pb_cli_parse(argc, argv, options, opts, usage, NULL, NULL, first_arg);
}
