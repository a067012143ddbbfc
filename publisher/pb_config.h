/* pb_config: perfbusd's settings, from defaults, one config file and flags. */
#ifndef PB_CONFIG_H
#define PB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PB_CONFIG_MAX_PIDS     256
#define PB_CONFIG_MAX_MATCHES  32
#define PB_CONFIG_MAX_COMMANDS 16
#define PB_CONFIG_MAX_NAME     63 /* bytes of a command target's NAME */
#define PB_CONFIG_MAX_ARGS     62 /* words after NAME: PROGRAM and its arguments */

/* A plain value: copy it freely. Strings are fixed buffers so that the
 * struct has no ownership to manage. */
typedef struct {
    char pub_endpoint[256];
    char control_endpoint[256];
    char profile_endpoint[256];     /* agent ROUTER for profiling ops; "" = derived, see .c */
    char profile_pub_endpoint[256]; /* agent PUB for prof.* frames; "" = derived */
    char commands[PB_CONFIG_MAX_COMMANDS][512]; /* "NAME ARGV0 ARG..." command targets,
                                                   checked: see pb_config_set */
    size_t ncommands;
    char host[128]; /* "" = gethostname() */
    char root[256]; /* prefix for /proc and /sys; "" = the real system */
    double interval_s;
    double heartbeat_s;
    unsigned top_n;
    bool all;
    uint32_t pids[PB_CONFIG_MAX_PIDS];
    size_t npids;
    char matches[PB_CONFIG_MAX_MATCHES][128];
    size_t nmatches;
    size_t max_connections;  /* cap on open connections per ROUTER (control, profile) */
    unsigned sndhwm;         /* frames queued per subscriber before new ones are dropped */
    char curve_secret[1024]; /* own certificate (NAME or NAME_secret); "" = no CURVE */
    char curve_allow[1024];  /* directory of the allowed clients' public certificates */
    bool insecure;           /* allow binding beyond loopback without CURVE */
    bool verbose;
} pb_config_t;

/* Fills every setting with its default. This function can't fail. */
void pb_config_defaults(pb_config_t *self);

/* Applies one setting by its long-flag name ("interval", "pid", ...), checking
 * the value whole: numbers and their ranges, endpoints (transport://address),
 * host (no blanks or control characters), root (a directory), command
 * (`NAME PROGRAM [ARG]...`, NAME of 1..63 [A-Za-z0-9_.-] starting with a
 * letter or digit, unique, at most 62 words after it, 511 bytes in all),
 * max-connections (1..65536), sndhwm (1..10000000), curve-secret and curve-allow (a file
 * and a directory that exist; their contents are checked when the daemon starts), insecure.
 * Returns 0, or -EINVAL with a message naming the key and the bad value. */
int pb_config_set(pb_config_t *self, const char *key, const char *value, char *err, size_t errlen);

/* Reads a config file (schemas/pb_kvfile.h format). Returns 0 or a negative
 * errno with "FILE:LINE: reason" in err. */
int pb_config_load(pb_config_t *self, const char *path, char *err, size_t errlen);

/* Parses argv: a --config file is applied first, then the other flags, so
 * flags override the file. Checks that curve-secret and curve-allow come
 * together. Returns 0, 1 if --help was given (usage already printed to
 * stdout), or -EINVAL with a message in err. */
int pb_config_parse_args(pb_config_t *self, int argc, char **argv, char *err, size_t errlen);

/* Fills unset profiling endpoints: the fixed ports 7713/7714 beside the
 * default control endpoint, else ephemeral loopback ports, so that several
 * daemons started with explicit endpoints (tests) never collide. Called by
 * pb_config_parse_args; this function can't fail. */
void pb_config_derive_profile(pb_config_t *self);

void pb_config_usage(FILE *out);

#endif
