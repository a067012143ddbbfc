/* pb_cli_keygen: `perfbus keygen NAME` writes NAME and NAME_secret, czmq's certificate pair. */
#include "pb_cli_keygen.h"

#include "pb_cli.h"
#include "pb_curve.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *dir;
    bool force;
} s_keygen_args_t;

static int s_option(void *arg, const char *cmd, const char *name, const char *value)
{
    s_keygen_args_t *a = arg;
    (void)cmd;
    if (!strcmp(name, "dir"))
        a->dir = value;
    else if (!strcmp(name, "force"))
        a->force = true;
    return -1;
}

int pb_cli_keygen(int argc, char **argv)
{
    static const struct option options[] = {PB_CLI_COMMON_OPTIONS,
                                            {"dir", required_argument, NULL, 0},
                                            {"force", no_argument, NULL, 0},
                                            {NULL, 0, NULL, 0}};
    static const char *usage =
        "Usage: perfbus keygen NAME [--dir DIR] [--force]\n"
        "Writes a CURVE certificate pair in DIR (default .): NAME, the public\n"
        "certificate to copy to the peers (a server's into its clients'\n"
        "--curve-server-key, a client's into the server's --curve-allow DIR), and\n"
        "NAME_secret (mode 0600), this host's own, for --curve-secret. Both are\n"
        "czmq certificates, which pyzmq's zmq.auth.load_certificate reads too.\n"
        "Existing files are kept unless --force.\n";
    s_keygen_args_t a = {.dir = "."};
    pb_cli_opts_t opts = {.timeout_ms = 2000};
    int first;
    int rc = pb_cli_parse(argc, argv, options, &opts, usage, s_option, &a, &first);
    if (rc >= 0)
        return rc;
    if (first + 1 != argc)
        return pb_cli_usage_error(argv[0], "expected exactly one NAME");
    char pub[4096], sec[4096], key[PB_CURVE_Z85_LEN + 1], err[512];
    if (pb_curve_keygen(a.dir, argv[first], a.force, pub, sec, sizeof pub, key, err, sizeof err) <
        0) {
        return pb_cli_error("keygen", PB_CLI_REFUSED, NULL, "%s", err);
    }
    if (opts.json) {
        pb_value_t *out = pb_value_map_new();
        pb_value_map_put_str(out, "public", pub);
        pb_value_map_put_str(out, "secret", sec);
        pb_value_map_put_str(out, "public_key", key);
        pb_cli_print_json(out);
        pb_value_destroy(&out);
    } else
        printf("public certificate: %s\nsecret certificate: %s\npublic key: %s\n", pub, sec, key);
    return PB_CLI_OK;
}
