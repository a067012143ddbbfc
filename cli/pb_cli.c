/* pb_cli: shared option handling, request plumbing and number formatting for `perfbus`. */
#include "pb_cli.h"

#include "pb_units.h"

#include "pb_json.h"
#include "pb_rpc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int pb_cli_common_option(pb_cli_opts_t *opts, const char *name, const char *value)
{
    if (!strcmp(name, "endpoint")) {
        opts->endpoint = value;
        return 1;
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
        fprintf(stderr, "perfbus: %s\n",
                err[0] && s == 0 ? err : "--timeout must be between 1ms and 1h (e.g. 2s, 500ms)");
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
    char c[64], m[512];
    fprintf(stderr, "perfbus: %s: %s\n", pb_cli_term(c, sizeof c, code),
            pb_cli_term(m, sizeof m, message));
    return PB_CLI_REFUSED;
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
    if (!secret != !key) {
        fprintf(stderr, "perfbus: CURVE needs both --curve-secret FILE (this client's "
                        "certificate) and --curve-server-key FILE|KEY (the server's)\n");
        return PB_CLI_USAGE;
    }
    if (*on && (pb_curve_cert_load(own, secret, err, sizeof err) < 0 ||
                pb_curve_server_key(server, key, err, sizeof err) < 0)) {
        fprintf(stderr, "perfbus: %s\n", err);
        return PB_CLI_USAGE;
    }
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
    if (rc == -ETIMEDOUT) {
        fprintf(stderr, "perfbus: %s: no reply within %d ms (is the server running%s?)\n",
                opts->endpoint, opts->timeout_ms,
                curve ? ", and is this client's key in its --curve-allow directory"
                      : "; does it need CURVE: --curve-secret and --curve-server-key");
        return PB_CLI_UNREACHABLE;
    }
    if (rc < 0) {
        fprintf(stderr, "perfbus: %s: %s\n", opts->endpoint, err);
        return PB_CLI_UNREACHABLE;
    }
    bool ok = false;
    if (pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok) < 0) {
        fprintf(stderr, "perfbus: %s: reply has no boolean 'ok'\n", opts->endpoint);
        pb_value_destroy(&reply);
        return PB_CLI_UNREACHABLE;
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

char *pb_cli_fmt_bytes(char *buf, size_t size, double bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    if (isnan(bytes)) {
        snprintf(buf, size, "-");
        return buf;
    }
    while (fabs(bytes) >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

char *pb_cli_fmt_rate(char *buf, size_t size, double bytes_per_s)
{
    pb_cli_fmt_bytes(buf, size, bytes_per_s);
    if (!isnan(bytes_per_s) && strlen(buf) + 3 < size)
        strcat(buf, "/s");
    return buf;
}

char *pb_cli_fmt_pct(char *buf, size_t size, double pct)
{
    if (isnan(pct))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", pct);
    return buf;
}

double pb_cli_num(const pb_value_t *v, const char *path)
{
    double d;
    const pb_value_t *at = path[0] ? pb_value_path(v, path) : v;
    return pb_value_get_f64(at, &d) == 0 ? d : NAN;
}

int pb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "perfbus %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see perfbus %s --help)\n", cmd);
    va_end(ap);
    return PB_CLI_USAGE;
}

int pb_cli_parse(int argc, char **argv, const struct option *options, pb_cli_opts_t *opts,
                 const char *usage, pb_cli_option_fn extra, void *arg, int *first_arg)
{
    int index = 0, c, rc = -1;
    optind = 1;
    opterr = 0;
    while (rc < 0 && (c = getopt_long(argc, argv, "h", options, &index)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return PB_CLI_OK;
        }
        if (c == '?')
            return pb_cli_usage_error(argv[0], "unknown or incomplete option '%s'",
                                      argv[optind - 1]);
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
