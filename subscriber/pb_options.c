/* pb_options: flag and config-file parsing for perfbus-sub. */
#include "pb_options.h"

#include "pb_kvfile.h"
#include "pb_run.h"
#include "pb_zap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void pb_options_defaults(pb_options_t *self)
{
    memset(self, 0, sizeof *self);
    self->sub.flush_ms = 1000;
    self->sub.segment_seconds = PB_RUN_DEFAULT_SEGMENT_SECONDS;
    self->sub.compress_level = PB_RUN_DEFAULT_LEVEL;
    self->sub.keep_bytes = (uint64_t)PB_OPTIONS_DEFAULT_KEEP_GB * 1024 * 1024 * 1024;
}

static int s_number(const char *key, const char *value, double lo, double hi, double *out,
                    char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(d) || d < lo || d > hi) {
        snprintf(err, errlen, "--%s: '%s' is not a number in [%g, %g]", key, value, lo, hi);
        return -EINVAL;
    }
    *out = d;
    return 0;
}

/* A count: a whole number within [lo, hi]. */
static int s_count(const char *key, const char *value, double lo, double hi, double *out, char *err,
                   size_t errlen)
{
    int rc = s_number(key, value, lo, hi, out, err, errlen);
    if (rc == 0 && *out != floor(*out)) {
        snprintf(err, errlen, "--%s: '%s' is not a whole number", key, value);
        rc = -EINVAL;
    }
    return rc;
}

/* "transport://address" as libzmq takes it; connecting checks the rest. */
static int s_endpoint(const char *key, const char *value, char *err, size_t errlen)
{
    size_t scheme = strspn(value, "abcdefghijklmnopqrstuvwxyz");
    if (scheme && strncmp(value + scheme, "://", 3) == 0 && value[scheme + 3] &&
        !strpbrk(value, " \t"))
        return 0;
    snprintf(err, errlen, "--%s: '%.80s' is not a ZeroMQ endpoint (e.g. tcp://127.0.0.1:7710)", key,
             value);
    return -EINVAL;
}

static int s_bool(const char *key, const char *value, bool *out, char *err, size_t errlen)
{
    if (!value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
        strcmp(value, "yes") == 0)
        *out = true;
    else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 || strcmp(value, "no") == 0)
        *out = false;
    else {
        snprintf(err, errlen, "--%s: '%s' is not true or false", key, value);
        return -EINVAL;
    }
    return 0;
}

static int s_string(const char *key, const char *value, char *buf, size_t size, char *err,
                    size_t errlen)
{
    if (!*value || strlen(value) >= size) {
        snprintf(err, errlen, "--%s: empty or longer than %zu bytes", key, size - 1);
        return -EINVAL;
    }
    memcpy(buf, value, strlen(value) + 1);
    return 0;
}

static int s_push(const char *key, const char *value, char list[][256], const char **ptrs,
                  size_t *n, char *err, size_t errlen)
{
    if (*n >= PB_SUB_MAX_ENDPOINTS) {
        snprintf(err, errlen, "--%s: at most %d are allowed", key, PB_SUB_MAX_ENDPOINTS);
        return -EINVAL;
    }
    if (strlen(value) >= 256 || (strcmp(key, "connect") == 0 && !*value)) {
        snprintf(err, errlen, "--%s: '%.40s' is empty or too long", key, value);
        return -EINVAL;
    }
    strcpy(list[*n], value);
    ptrs[*n] = list[*n];
    (*n)++;
    return 0;
}

/* Settings that take a number; scale converts the flag's unit. */
static int s_set_number(pb_options_t *self, const char *key, const char *value, char *err,
                        size_t errlen)
{
    pb_sub_config_t *c = &self->sub;
    double d = 0;
    int rc = -ENOENT;
    if (strcmp(key, "history") == 0 && (rc = s_count(key, value, 1, 1e7, &d, err, errlen)) == 0)
        c->history.capacity = (size_t)d;
    else if (strcmp(key, "history-seconds") == 0 &&
             (rc = s_number(key, value, 0.001, 1e8, &d, err, errlen)) == 0)
        c->history.max_age_ns = (uint64_t)(d * 1e9);
    else if (strcmp(key, "max-procs") == 0 &&
             (rc = s_count(key, value, 1, 65536, &d, err, errlen)) == 0)
        c->history.max_procs = (size_t)d;
    else if (strcmp(key, "max-connections") == 0 &&
             (rc = s_count(key, value, 1, PB_ZAP_MAX_CAP, &d, err, errlen)) == 0)
        c->max_connections = (size_t)d;
    else if (strcmp(key, "gone-seconds") == 0 &&
             (rc = s_number(key, value, 0.001, 1e8, &d, err, errlen)) == 0)
        c->history.gone_ns = (uint64_t)(d * 1e9);
    else if (strcmp(key, "idle-seconds") == 0 &&
             (rc = s_number(key, value, 0.001, 1e8, &d, err, errlen)) == 0)
        c->history.idle_ns = (uint64_t)(d * 1e9);
    else if (strcmp(key, "segment-mb") == 0 &&
             (rc = s_number(key, value, 0.001, 65536, &d, err, errlen)) == 0)
        c->segment_bytes = (uint64_t)(d * 1024 * 1024);
    else if (strcmp(key, "segment-seconds") == 0 &&
             (rc = s_count(key, value, 0, 1e8, &d, err, errlen)) == 0)
        c->segment_seconds = (uint64_t)d;
    else if (strcmp(key, "compress-level") == 0 &&
             (rc = s_count(key, value, 0, 19, &d, err, errlen)) == 0)
        c->compress_level = (int)d;
    else if (strcmp(key, "flush-ms") == 0 &&
             (rc = s_count(key, value, 1, 3600000, &d, err, errlen)) == 0)
        c->flush_ms = (int)d;
    else if (strcmp(key, "keep-days") == 0 &&
             (rc = s_number(key, value, 0, 1e6, &d, err, errlen)) == 0)
        c->keep_days = d;
    else if (strcmp(key, "remote-write-queue") == 0 &&
             (rc = s_count(key, value, 1, 1e8, &d, err, errlen)) == 0)
        c->remote_write.queue = (size_t)d;
    else if (strcmp(key, "remote-write-batch") == 0 &&
             (rc = s_count(key, value, 1, 1e6, &d, err, errlen)) == 0)
        c->remote_write.batch = (size_t)d;
    else if (strcmp(key, "remote-write-deadline") == 0 &&
             (rc = s_number(key, value, 0.001, 600, &d, err, errlen)) == 0)
        c->remote_write.delay_ms = (unsigned)(d * 1000 + 0.5);
    else if (strcmp(key, "down-after") == 0 &&
             (rc = s_count(key, value, 1, 1000, &d, err, errlen)) == 0)
        c->down_after = (unsigned)d;
    else if (strcmp(key, "rcvhwm") == 0 && (rc = s_count(key, value, 1, 1e8, &d, err, errlen)) == 0)
        c->rcvhwm = (int)d;
    else if (strcmp(key, "keep-gb") == 0 &&
             (rc = s_number(key, value, 0, 1e9, &d, err, errlen)) == 0)
        c->keep_bytes = (uint64_t)(d * 1024 * 1024 * 1024);
    return rc;
}

/* The dashboard's bounds: concurrent event streams and each one's buffer; -ENOENT for other keys.
 */
static int s_set_dash(pb_options_t *self, const char *key, const char *value, char *err,
                      size_t errlen)
{
    double d = 0;
    int rc = -ENOENT;
    if (strcmp(key, "http-clients") == 0 &&
        (rc = s_count(key, value, 1, 4096, &d, err, errlen)) == 0)
        self->sub.http_clients = (size_t)d;
    else if (strcmp(key, "http-client-kb") == 0 &&
             (rc = s_count(key, value, 4, 1048576, &d, err, errlen)) == 0)
        self->sub.http_client_bytes = (size_t)d * 1024;
    return rc;
}

/* remote_write's URLs and files; -ENOENT for other keys. */
static int s_set_remote_write(pb_options_t *self, const char *key, const char *value, char *err,
                              size_t errlen)
{
    pb_remote_write_config_t *rw = &self->sub.remote_write;
    if (strcmp(key, "remote-write") == 0) {
        if (rw->nurl >= PB_REMOTE_WRITE_MAX_URLS) {
            snprintf(err, errlen, "--%s: at most %d are allowed", key, PB_REMOTE_WRITE_MAX_URLS);
            return -EINVAL;
        }
        rw->url[rw->nurl] = self->remote_write[rw->nurl];
        return s_string(key, value, self->remote_write[rw->nurl++], sizeof self->remote_write[0],
                        err, errlen);
    }
    static const char *const keys[] = {"remote-write-basic-auth-file",
                                       "remote-write-bearer-token-file", "remote-write-ca-file"};
    char *bufs[] = {self->rw_basic_auth, self->rw_bearer, self->rw_ca};
    const char **ptrs[] = {&rw->basic_auth_file, &rw->bearer_token_file, &rw->ca_file};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(key, keys[i]) == 0) {
            *ptrs[i] = bufs[i];
            return s_string(key, value, bufs[i], sizeof self->rw_ca, err, errlen);
        }
    }
    return -ENOENT;
}

/* The publisher's key pairs with the --connect just before it. */
static int s_server_key(pb_options_t *self, const char *value, char *err, size_t errlen)
{
    pb_sub_config_t *c = &self->sub;
    if (c->nconnect == 0) {
        snprintf(err, errlen,
                 "--curve-server-key pairs with the --connect before it; give "
                 "--connect EP first");
        return -EINVAL;
    }
    size_t i = c->nconnect - 1;
    if (c->curve_server_key[i]) {
        snprintf(err, errlen, "--curve-server-key: %s has a key already", c->connect[i]);
        return -EINVAL;
    }
    c->curve_server_key[i] = self->curve_server_key[i];
    return s_string("curve-server-key", value, self->curve_server_key[i],
                    sizeof self->curve_server_key[i], err, errlen);
}

static int s_set_curve(pb_options_t *self, const char *key, const char *value, char *err,
                       size_t errlen)
{
    pb_sub_config_t *c = &self->sub;
    if (strcmp(key, "curve-server-key") == 0)
        return s_server_key(self, value, err, errlen);
    if (strcmp(key, "curve-secret") == 0) {
        c->curve_secret = self->curve_secret;
        return s_string(key, value, self->curve_secret, sizeof self->curve_secret, err, errlen);
    }
    if (strcmp(key, "curve-allow") == 0) {
        c->curve_allow = self->curve_allow;
        return s_string(key, value, self->curve_allow, sizeof self->curve_allow, err, errlen);
    }
    return -ENOENT;
}

int pb_options_set(pb_options_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    pb_sub_config_t *c = &self->sub;
    if (strcmp(key, "record") == 0)
        return s_bool(key, value, &c->record, err, errlen);
    if (strcmp(key, "verbose") == 0)
        return s_bool(key, value, &self->verbose, err, errlen);
    if (strcmp(key, "insecure") == 0)
        return s_bool(key, value, &c->insecure, err, errlen);
    if (!value) {
        snprintf(err, errlen, "--%s needs a value", key);
        return -EINVAL;
    }
    if (strcmp(key, "connect") == 0 && s_endpoint(key, value, err, errlen) < 0)
        return -EINVAL;
    if (strcmp(key, "connect") == 0)
        return s_push(key, value, self->connect, c->connect, &c->nconnect, err, errlen);
    if (strcmp(key, "subscribe") == 0)
        return s_push(key, value, self->subscribe, c->subscribe, &c->nsubscribe, err, errlen);
    if (strcmp(key, "query") == 0) {
        if (s_endpoint(key, value, err, errlen) < 0)
            return -EINVAL;
        c->query = self->query;
        return s_string(key, value, self->query, sizeof self->query, err, errlen);
    }
    if (strcmp(key, "http") == 0) {
        c->http = self->http;
        return s_string(key, value, self->http, sizeof self->http, err, errlen);
    }
    struct {
        const char *key;
        const char **field;
        char *buf;
    } paths[] = {{"http-tls-cert", &c->http_tls_cert, self->http_tls_cert},
                 {"http-tls-key", &c->http_tls_key, self->http_tls_key},
                 {"http-token-file", &c->http_token_file, self->http_token_file}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (strcmp(key, paths[i].key) == 0) {
            *paths[i].field = paths[i].buf;
            return s_string(key, value, paths[i].buf, 1024, err, errlen);
        }
    if (strcmp(key, "store") == 0) {
        c->store = self->store;
        return s_string(key, value, self->store, sizeof self->store, err, errlen);
    }
    int rc = s_set_remote_write(self, key, value, err, errlen);
    rc = rc == -ENOENT ? s_set_curve(self, key, value, err, errlen) : rc;
    rc = rc == -ENOENT ? s_set_number(self, key, value, err, errlen) : rc;
    rc = rc == -ENOENT ? s_set_dash(self, key, value, err, errlen) : rc;
    if (rc == -ENOENT) {
        snprintf(err, errlen, "unknown setting '--%s' (see --help)", key);
        rc = -EINVAL;
    }
    return rc;
}

static int s_kv(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    return pb_options_set(arg, key, value, err, errlen);
}

static bool s_is_switch(const char *key)
{
    return strcmp(key, "record") == 0 || strcmp(key, "verbose") == 0 ||
           strcmp(key, "insecure") == 0;
}

static int s_load_config(pb_options_t *self, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0)
            return pb_kvfile_read(argv[i + 1], s_kv, self, err, errlen);
    return 0;
}

int pb_options_parse_args(pb_options_t *self, int argc, char **argv, char *err, size_t errlen)
{
    int rc = s_load_config(self, argc, argv, err, errlen);
    for (int i = 1; rc == 0 && i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            pb_options_usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            snprintf(err, errlen, "unexpected argument '%s' (see --help)", arg);
            return -EINVAL;
        }
        const char *key = arg + 2, *value = NULL;
        if (!s_is_switch(key) && i + 1 < argc)
            value = argv[++i];
        if (strcmp(key, "config") != 0)
            rc = pb_options_set(self, key, value, err, errlen);
        else if (!value) {
            snprintf(err, errlen, "--config needs a value");
            rc = -EINVAL;
        }
    }
    return rc < 0 ? -EINVAL : 0;
}

void pb_options_usage(FILE *out)
{
    fputs("usage: perfbus-sub [options]\n"
          "  --connect EP          publisher to subscribe to (repeatable; default "
          "tcp://127.0.0.1:7710)\n"
          "  --subscribe PREFIX    topic prefix (repeatable; default all; loss counting needs "
          "all)\n"
          "  --query EP            query ROUTER endpoint (default tcp://127.0.0.1:7712)\n"
          "  --down-after N        a publisher (its host) is down after N missed heartbeats\n"
          "                        (1..1000, default 3; the period is the one its hb frames give)\n"
          "  --rcvhwm N            frames queued for perfbus-sub before libzmq drops new ones\n"
          "                        (default 100000; drops show as lost, from seq gaps)\n"
          "  --history N           samples kept per series (default 3600); memory is at most\n"
          "                        8 B x N x 257 per series (256 fields), series <= 512 + hosts\n"
          "  --history-seconds S   also drop samples older than S seconds\n"
          "  --max-connections N   open query connections allowed, 1..65536 (default 4096);\n"
          "                        handshakes over it are refused and counted in `stats`\n"
          "  --max-procs N         process series kept (default 512)\n"
          "  --gone-seconds S      keep an exited process's history S s after its gone frame\n"
          "                        (default 10; sooner when a new process needs the slot)\n"
          "  --idle-seconds S      free a silent process's history after S s (default 300)\n"
          "  --record              record every frame into a run under the store\n"
          "  --store DIR           store directory (default: see schemas/STORAGE.md)\n"
          "  --segment-mb N        rotate segments at N MiB (default 64)\n"
          "  --segment-seconds N   and after N s of records (default 3600; 0: by size only)\n"
          "  --compress-level N    zstd level of sealed segments, 1..19 (default 1); 0 keeps\n"
          "                        them uncompressed (run format 1)\n"
          "  --flush-ms MS         write recorded frames every MS ms (default 1000)\n"
          "  --keep-days D         remove runs older than D days\n"
          "  --keep-gb G           remove the oldest runs beyond G GiB (default 10; 0: no\n"
          "                        size limit)\n"
          "  --http ADDR:PORT      serve GET /metrics (Prometheus text, OpenMetrics) there;\n"
          "                        off by default; port 0 picks a free port (logged)\n"
          "  --http-tls-cert FILE  serve HTTPS with this PEM certificate (chain)...\n"
          "  --http-tls-key FILE   ...and its PEM private key (not readable by others)\n"
          "  --http-token-file F   require 'Authorization: Bearer TOKEN', the token on the\n"
          "                        file's first line (>= 16 characters, not readable by others)\n"
          "                        The same server serves the dashboard: GET /, /api/OP (the\n"
          "                        query ops as JSON), /events?host=H (server-sent events)\n"
          "  --http-clients N      concurrent /events streams, 1..4096 (default 64; 503 beyond)\n"
          "  --http-client-kb N    unsent bytes a stream may hold before its client is dropped\n"
          "                        (KiB, 4..1048576, default 1024)\n"

          "  --remote-write URL    push every sample received there, Prometheus Remote-Write\n"
          "                        1.0 (repeatable; http:// or https://)\n"
          "  --remote-write-queue N    samples queued per URL (default 100000); beyond it\n"
          "                        the oldest are dropped and counted in `stats`\n"
          "  --remote-write-batch N    samples per request at most (default 2000)\n"
          "  --remote-write-deadline S longest a sample waits for a fuller batch (default 1)\n"
          "  --remote-write-basic-auth-file FILE    user:password for basic auth\n"
          "  --remote-write-bearer-token-file FILE  a bearer token\n"
          "  --remote-write-ca-file FILE            CA certificates for https://\n"
          "  --insecure            allow --http beyond loopback without TLS and a token,\n"
          "                        --query without CURVE, --remote-write to http:// there\n"
          "  --curve-secret FILE   this host's CURVE certificate (perfbus keygen NAME writes\n"
          "                        NAME and NAME_secret): the client key for --connect, the\n"
          "                        server key of --query\n"
          "  --curve-server-key FILE|KEY\n"
          "                        the publisher's public certificate (or its Z85 key) for\n"
          "                        the --connect given just before: that endpoint then uses\n"
          "                        CURVE, and a publisher without that key feeds nothing\n"
          "  --curve-allow DIR     make --query a CURVE server admitting the public\n"
          "                        certificates in DIR (changes picked up without restart)\n"
          "  --config FILE         key = value settings (long flag names), flags override\n"
          "  --verbose             debug logging\n",
          out);
}
