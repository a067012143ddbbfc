/* pb_options: perfbus-sub's option table, read by the flag parser, the config file and --help.
 *
 * Every setting is one row of s_options (pb_options.def): its name (the long flag, and the
 * config-file key), its kind (switch, count, duration, size or text), the unit
 * a bare number is in, its bounds and where it lands in pb_options_t. The
 * argv parser (getopt_long, its struct option array built from the rows), the
 * config-file reader and --help all walk the same rows, so a new setting is
 * one row and cannot be known to one of them only. Durations and sizes go
 * through pb_units, so they take the forms every perfbus binary takes. */
#include "pb_options.h"

#include "pb_getopt.h"
#include "pb_kvfile.h"
#include "pb_run.h"
#include "pb_units.h"
#include "pb_zap.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_SWITCH, S_COUNT, S_DURATION, S_SIZE, S_TEXT } s_kind_t;

/* The C type of the field a number lands in. */
typedef enum { S_AS_SIZE, S_AS_U64, S_AS_INT, S_AS_UINT, S_AS_DOUBLE } s_as_t;

typedef int (*s_text_fn)(pb_options_t *self, const char *key, const char *value, char *err,
                         size_t errlen);

typedef struct {
    const char *name;
    const char *arg; /* the value's name in --help; NULL for switches */
    s_kind_t kind;
    const char *unit; /* of bare numbers and of lo/hi, as --help and errors say it */
    double bare;      /* seconds or bytes in one bare unit */
    double lo, hi;    /* accepted range, in bare units */
    size_t field;     /* offsetof the value (bool, number or const char *) in pb_options_t */
    s_as_t as;
    double scale;     /* the field holds seconds, bytes or the count times this */
    size_t buf;       /* S_TEXT without fn: offsetof the 1024-byte buffer the text is kept in */
    s_text_fn fn;     /* S_TEXT: applies the value itself (lists, checks) */
    const char *help; /* lines after the first are indented under it */
} s_option_t;

#define S_AT(member)  offsetof(pb_options_t, member)
#define S_NS          1e9
#define S_KIB         1024.0
#define S_MIB         1048576.0
#define S_GIB         1073741824.0
#define S_BUF_PATH    1024
#define S_HELP_COLUMN 24

static int s_connect(pb_options_t *self, const char *key, const char *value, char *err,
                     size_t errlen);
static int s_subscribe(pb_options_t *self, const char *key, const char *value, char *err,
                       size_t errlen);
static int s_query(pb_options_t *self, const char *key, const char *value, char *err,
                   size_t errlen);
static int s_http(pb_options_t *self, const char *key, const char *value, char *err, size_t errlen);
static int s_remote_write(pb_options_t *self, const char *key, const char *value, char *err,
                          size_t errlen);
static int s_server_key(pb_options_t *self, const char *key, const char *value, char *err,
                        size_t errlen);

static const s_option_t s_options[] = {
#include "pb_options.def"
};

#define S_NOPTIONS (sizeof s_options / sizeof s_options[0])

void pb_options_defaults(pb_options_t *self)
{
    memset(self, 0, sizeof *self);
    self->sub.flush_ms = 1000;
    self->sub.segment_seconds = PB_RUN_DEFAULT_SEGMENT_SECONDS;
    self->sub.compress_level = PB_RUN_DEFAULT_LEVEL;
    self->sub.keep_bytes = (uint64_t)PB_OPTIONS_DEFAULT_KEEP_GB * 1024 * 1024 * 1024;
}

static const s_option_t *s_find(const char *name)
{
    for (size_t i = 0; i < S_NOPTIONS; i++)
        if (strcmp(s_options[i].name, name) == 0)
            return &s_options[i];
    return NULL;
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

/* A count: a whole number (a bare unit each). */
static int s_count(const char *key, const char *value, double *out, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(d) || d != floor(d) || d < 0 ||
        strchr(value, '-')) {
        snprintf(err, errlen, "--%s: '%.60s' is not a whole number", key, value);
        return -EINVAL;
    }
    *out = d;
    return 0;
}

/* The value of a number row in its bare unit (seconds, bytes or count in *base). */
static int s_number(const s_option_t *o, const char *value, double *base, char *err, size_t errlen)
{
    char what[64];
    snprintf(what, sizeof what, "--%s", o->name);
    if (o->kind == S_COUNT)
        return s_count(o->name, value, base, err, errlen);
    if (o->kind == S_DURATION)
        return pb_units_duration(what, value, o->bare, base, err, errlen);
    uint64_t bytes = 0;
    int rc = pb_units_size(what, value, o->bare, &bytes, err, errlen);
    *base = (double)bytes;
    return rc;
}

static void s_store(pb_options_t *self, const s_option_t *o, double v)
{
    void *p = (char *)self + o->field;
    switch (o->as) {
    case S_AS_SIZE:
        *(size_t *)p = (size_t)llround(v);
        break;
    case S_AS_U64:
        *(uint64_t *)p = (uint64_t)llround(v);
        break;
    case S_AS_INT:
        *(int *)p = (int)lround(v);
        break;
    case S_AS_UINT:
        *(unsigned *)p = (unsigned)lround(v);
        break;
    case S_AS_DOUBLE:
        *(double *)p = v;
        break;
    }
}

static int s_set_number(pb_options_t *self, const s_option_t *o, const char *value, char *err,
                        size_t errlen)
{
    double base = 0;
    if (s_number(o, value, &base, err, errlen) < 0)
        return -EINVAL;
    double bare = o->kind == S_COUNT ? base : base / o->bare;
    if (bare < o->lo || bare > o->hi) {
        const char *unit = o->unit ? o->unit : "";
        snprintf(err, errlen, "--%s: '%.60s' is out of range (%g%s%s to %g%s%s)", o->name, value,
                 o->lo, *unit ? " " : "", unit, o->hi, *unit ? " " : "", unit);
        return -EINVAL;
    }
    if (o->as != S_AS_DOUBLE && base != 0 && llround(base * o->scale) == 0) {
        /* 250ms to a setting kept in whole seconds: 0 often means off, never that */
        snprintf(err, errlen,
                 "--%s: '%.60s' rounds to 0 in the whole units it is kept in "
                 "(write 0 if that is meant)",
                 o->name, value);
        return -EINVAL;
    }
    s_store(self, o, base * o->scale);
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

/* A text row without its own setter: kept in its buffer, its pointer in pb_sub_config_t set. */
static int s_set_text(pb_options_t *self, const s_option_t *o, const char *value, char *err,
                      size_t errlen)
{
    if (o->fn)
        return o->fn(self, o->name, value, err, errlen);
    char *buf = (char *)self + o->buf;
    *(const char **)((char *)self + o->field) = buf;
    return s_string(o->name, value, buf, S_BUF_PATH, err, errlen);
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

static int s_connect(pb_options_t *self, const char *key, const char *value, char *err,
                     size_t errlen)
{
    if (s_endpoint(key, value, err, errlen) < 0)
        return -EINVAL;
    return s_push(key, value, self->connect, self->sub.connect, &self->sub.nconnect, err, errlen);
}

static int s_subscribe(pb_options_t *self, const char *key, const char *value, char *err,
                       size_t errlen)
{
    return s_push(key, value, self->subscribe, self->sub.subscribe, &self->sub.nsubscribe, err,
                  errlen);
}

static int s_query(pb_options_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    if (s_endpoint(key, value, err, errlen) < 0)
        return -EINVAL;
    self->sub.query = self->query;
    return s_string(key, value, self->query, sizeof self->query, err, errlen);
}

static int s_http(pb_options_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    self->sub.http = self->http;
    return s_string(key, value, self->http, sizeof self->http, err, errlen);
}

static int s_remote_write(pb_options_t *self, const char *key, const char *value, char *err,
                          size_t errlen)
{
    pb_remote_write_config_t *rw = &self->sub.remote_write;
    if (rw->nurl >= PB_REMOTE_WRITE_MAX_URLS) {
        snprintf(err, errlen, "--%s: at most %d are allowed", key, PB_REMOTE_WRITE_MAX_URLS);
        return -EINVAL;
    }
    rw->url[rw->nurl] = self->remote_write[rw->nurl];
    return s_string(key, value, self->remote_write[rw->nurl++], sizeof self->remote_write[0], err,
                    errlen);
}

/* The publisher's key pairs with the --connect just before it. */
static int s_server_key(pb_options_t *self, const char *key, const char *value, char *err,
                        size_t errlen)
{
    pb_sub_config_t *c = &self->sub;
    if (c->nconnect == 0) {
        snprintf(err, errlen, "--%s pairs with the --connect before it; give --connect EP first",
                 key);
        return -EINVAL;
    }
    size_t i = c->nconnect - 1;
    if (c->curve_server_key[i]) {
        snprintf(err, errlen, "--%s: %s has a key already", key, c->connect[i]);
        return -EINVAL;
    }
    c->curve_server_key[i] = self->curve_server_key[i];
    return s_string(key, value, self->curve_server_key[i], sizeof self->curve_server_key[i], err,
                    errlen);
}

/* getopt_long's table, from s_options: each row's val is S_VAL + its index. */
#define S_VAL     256
#define S_CONFIG  (S_VAL + (int)S_NOPTIONS)
#define S_VERSION (S_CONFIG + 1)

static void s_longopts(struct option *longs)
{
    for (size_t i = 0; i < S_NOPTIONS; i++)
        longs[i] = (struct option){s_options[i].name,
                                   s_options[i].kind == S_SWITCH ? no_argument : required_argument,
                                   NULL, S_VAL + (int)i};
    longs[S_NOPTIONS] = (struct option){"config", required_argument, NULL, S_CONFIG};
    longs[S_NOPTIONS + 1] = (struct option){"help", no_argument, NULL, 'h'};
    longs[S_NOPTIONS + 2] = (struct option){"version", no_argument, NULL, S_VERSION};
    longs[S_NOPTIONS + 3] = (struct option){NULL, 0, NULL, 0};
}

int pb_options_set(pb_options_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    const s_option_t *o = s_find(key);
    if (!o) {
        struct option longs[S_NOPTIONS + 4];
        s_longopts(longs);
        const char *close = pb_getopt_closest(longs, key);
        char hint[96] = "";
        if (close)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", close);
        snprintf(err, errlen, "unknown setting '%.60s'%s (see perfbus-sub --help)", key, hint);
        return -EINVAL;
    }
    if (o->kind == S_SWITCH)
        return s_bool(key, value, (bool *)((char *)self + o->field), err, errlen);
    if (!value) {
        snprintf(err, errlen, "--%s needs a value", key);
        return -EINVAL;
    }
    if (o->kind == S_TEXT)
        return s_set_text(self, o, value, err, errlen);
    return s_set_number(self, o, value, err, errlen);
}

static int s_kv(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    return pb_options_set(arg, key, value, err, errlen);
}

/* One getopt_long pass. apply 0: finds --config, --help, --version and refused
 * words; apply 1: applies every setting in argv order. Returns 0, 1 (--help or
 * --version printed) or -EINVAL. */
static int s_pass(pb_options_t *self, int argc, char **argv, bool apply, const char **config,
                  char *err, size_t errlen)
{
    struct option longs[S_NOPTIONS + 4];
    s_longopts(longs);
    optind = 0; /* glibc: start over, as for a new argv */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == '?' || c == ':')
            return pb_getopt_refusal(longs, c, argv[optind - 1], "--help", err, errlen);
        if (!apply && (c == 'h' || c == S_VERSION)) {
            c == 'h' ? pb_options_usage(stdout) : (void)printf("perfbus-sub %s\n", PB_VERSION);
            return 1;
        }
        if (c == S_CONFIG)
            *config = optarg;
        else if (apply && c >= S_VAL && c < S_CONFIG &&
                 pb_options_set(self, s_options[c - S_VAL].name, optarg, err, errlen) < 0)
            return -EINVAL;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%.60s' (see --help)", argv[optind]);
        return -EINVAL;
    }
    return 0;
}

int pb_options_parse_args(pb_options_t *self, int argc, char **argv, char *err, size_t errlen)
{
    const char *config = NULL;
    int rc = s_pass(self, argc, argv, false, &config, err, errlen);
    if (rc != 0)
        return rc;
    if (config && pb_kvfile_read(config, s_kv, self, err, errlen) < 0)
        return -EINVAL;
    return s_pass(self, argc, argv, true, &config, err, errlen);
}

/* "  --name ARG" and the help text, its later lines under its first. */
static void s_usage_row(FILE *out, const char *name, const char *arg, const char *help)
{
    int n = fprintf(out, "  --%s%s%s", name, arg ? " " : "", arg ? arg : "");
    if (n >= S_HELP_COLUMN - 1) {
        fputc('\n', out);
        n = 0;
    }
    for (const char *line = help; *line;) {
        size_t len = strcspn(line, "\n");
        fprintf(out, "%*s%.*s\n", S_HELP_COLUMN - n, "", (int)len, line);
        n = 0;
        line += len + (line[len] == '\n');
    }
}

void pb_options_usage(FILE *out)
{
    fputs("Usage: perfbus-sub [OPTION]...\n"
          "Subscribes to perfbusd publishers, keeps their recent history, answers queries\n"
          "on a ROUTER socket, records runs to the store and serves /metrics and a\n"
          "dashboard over HTTP.\n\n",
          out);
    for (size_t i = 0; i < S_NOPTIONS; i++)
        s_usage_row(out, s_options[i].name, s_options[i].arg, s_options[i].help);
    s_usage_row(out, "config", "FILE",
                "key = value settings (keys: the long option names), read\n"
                "first; flags override them");
    s_usage_row(out, "help", NULL, "show this help and exit");
    s_usage_row(out, "version", NULL, "print the version and exit");
    fputs("\nDurations (T) take 250ms, 1.5s, 90s, 5m, 2h, 7d, or sums such as 1h30m; sizes\n"
          "(SIZE) take 512K, 64M, 5G, 5GiB (powers of 1024) or 5GB (of 1000). A bare\n"
          "number is in the unit the option's name or help gives. A value is the next word\n"
          "or follows an '=' (--keep-gb=5G); a unique prefix of an option's name will do.\n"
          "\nExit status: 0 after a clean stop (SIGINT or SIGTERM), 1 when it cannot start\n"
          "(a socket, the store, the HTTP server) or a socket fails, 2 for a bad option or\n"
          "config file.\n",
          out);
}
