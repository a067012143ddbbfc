/* pb_options: perfbus-sub's settings from defaults, one config file and flags. */
#ifndef PB_OPTIONS_H
#define PB_OPTIONS_H

#include "pb_sub.h"

#include <stdbool.h>
#include <stdio.h>

/* A plain value: `sub` points into the fixed buffers below, so do not copy
 * the struct after parsing (pass a pointer). */
typedef struct {
    pb_sub_config_t sub;
    char connect[PB_SUB_MAX_ENDPOINTS][256];
    char subscribe[PB_SUB_MAX_ENDPOINTS][256];
    char query[256];
    char store[1024];
    char http[256];
    char http_tls_cert[1024], http_tls_key[1024], http_token_file[1024];
    char remote_write[PB_REMOTE_WRITE_MAX_URLS][1024];
    char rw_basic_auth[1024], rw_bearer[1024], rw_ca[1024];
    char curve_secret[1024];
    char curve_allow[1024];
    char curve_server_key[PB_SUB_MAX_ENDPOINTS][1024]; /* of connect[i] */
    bool verbose;
} pb_options_t;

/* Recording keeps at most this much in the store unless --keep-gb says
 * otherwise (0: no size limit): a full disk stops every other writer too. */
#define PB_OPTIONS_DEFAULT_KEEP_GB 10

/* Fills every setting with its default. This function can't fail. */
void pb_options_defaults(pb_options_t *self);

/* Applies one setting by its long-flag name ("connect", "history", ...).
 * curve-server-key applies to the connect given last before it.
 * Returns 0 or -EINVAL with a message naming the key and the bad value. */
int pb_options_set(pb_options_t *self, const char *key, const char *value, char *err,
                   size_t errlen);

/* Parses argv (a --config file first, then the flags). Returns 0, 1 when
 * --help was given (usage printed to stdout), or -EINVAL with err set. */
int pb_options_parse_args(pb_options_t *self, int argc, char **argv, char *err, size_t errlen);

void pb_options_usage(FILE *out);

#endif
