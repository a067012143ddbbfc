/* pb_config: perfbusd settings; flags and config file share one setter table. */
#include "pb_config.h"

#include "pb_getopt.h"
#include "pb_units.h"

#include "pb_kvfile.h"
#include "pb_zap.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void pb_config_defaults(pb_config_t *self)
{
    memset(self, 0, sizeof *self);
    snprintf(self->pub_endpoint, sizeof self->pub_endpoint, "tcp://127.0.0.1:7710");
    snprintf(self->control_endpoint, sizeof self->control_endpoint, "tcp://127.0.0.1:7711");
    self->interval_s = 1.0;
    self->heartbeat_s = 1.0;
    self->max_connections = PB_ZAP_DEFAULT_CAP;
    self->sndhwm = 1000; /* libzmq's default, said out loud */
}

static int s_bad(char *err, size_t errlen, const char *key, const char *value, const char *why)
{
    const char *more = strlen(value) > 80 ? "..." : "";
    snprintf(err, errlen, "invalid value '%.80s%s' for %s: %s", value, more, key, why);
    return -EINVAL;
}

static int s_copy(char *dst, size_t size, const char *key, const char *value, char *err,
                  size_t errlen)
{
    if (strlen(value) >= size)
        return s_bad(err, errlen, key, value, "too long");
    snprintf(dst, size, "%s", value);
    return 0;
}

/* A duration (pb_units: 250ms, 1.5s, 2m; a bare number is seconds). */
static int s_seconds(double *dst, double min, const char *key, const char *value, char *err,
                     size_t errlen)
{
    double d = 0;
    char what[64];
    snprintf(what, sizeof what, "--%s", key);
    if (pb_units_duration(what, value, 1, &d, err, errlen) < 0)
        return -EINVAL;
    if (d < min || d > 3600)
        return s_bad(err, errlen, key, value, "must be between 10ms and 1h");
    *dst = d;
    return 0;
}

static int s_uint(unsigned long *dst, unsigned long max, const char *key, const char *value,
                  char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long u = strtoul(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || u > max)
        return s_bad(err, errlen, key, value, "expected a non-negative integer in range");
    *dst = u;
    return 0;
}

static int s_bool(bool *dst, const char *key, const char *value, char *err, size_t errlen)
{
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
        *dst = true;
    else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
        *dst = false;
    else
        return s_bad(err, errlen, key, value, "expected true or false");
    return 0;
}

static int s_add_pid(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    unsigned long pid;
    int rc = s_uint(&pid, 4194304, "pid", value, err, errlen); /* kernel pid_max limit */
    if (rc < 0 || pid == 0)
        return rc < 0 ? rc : s_bad(err, errlen, "pid", value, "pid 0 is not a process");
    if (self->npids == PB_CONFIG_MAX_PIDS)
        return s_bad(err, errlen, "pid", value, "too many pids");
    self->pids[self->npids++] = (uint32_t)pid;
    return 0;
}

static int s_add_match(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    if (self->nmatches == PB_CONFIG_MAX_MATCHES)
        return s_bad(err, errlen, "match", value, "too many patterns");
    int rc =
        s_copy(self->matches[self->nmatches], sizeof self->matches[0], "match", value, err, errlen);
    if (rc == 0)
        self->nmatches++;
    return rc;
}

/* Words of a command spec, split on blanks as perfbusd splits it to run it;
 * returns the count (up to max) and the length of the first in *first_len. */
static size_t s_words(const char *spec, size_t max, size_t *first_len)
{
    size_t n = 0;
    *first_len = 0;
    for (const char *p = spec + strspn(spec, " \t"); *p && n <= max; n++) {
        size_t len = strcspn(p, " \t");
        *first_len = n == 0 ? len : *first_len;
        p += len;
        p += strspn(p, " \t");
    }
    return n;
}

static bool s_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > PB_CONFIG_MAX_NAME || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
            return false;
    return true;
}

static bool s_command_exists(const pb_config_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->ncommands; i++) {
        const char *other = self->commands[i] + strspn(self->commands[i], " \t");
        if (strncmp(other, name, len) == 0 && (other[len] == ' ' || other[len] == '\t'))
            return true;
    }
    return false;
}

/* A command target is "NAME PROGRAM [ARG]...": NAME a target name, then a
 * program and at most PB_CONFIG_MAX_ARGS words in all after it. */
static int s_add_command(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    size_t name_len, words = s_words(value, PB_CONFIG_MAX_ARGS + 1, &name_len);
    const char *name = value + strspn(value, " \t");
    if (words < 2)
        return s_bad(err, errlen, "command", value, "expected 'NAME PROGRAM [ARG]...'");
    if (!s_name_ok(name, name_len))
        return s_bad(err, errlen, "command", value,
                     "NAME must be 1 to 63 letters, digits, '_', '.' or '-', starting with a "
                     "letter or digit");
    if (words > PB_CONFIG_MAX_ARGS + 1)
        return s_bad(err, errlen, "command", value, "more than 62 words after NAME");
    if (s_command_exists(self, name, name_len))
        return s_bad(err, errlen, "command", value, "a command of that NAME is already set");
    if (self->ncommands == PB_CONFIG_MAX_COMMANDS)
        return s_bad(err, errlen, "command", value, "too many commands");
    int rc = s_copy(self->commands[self->ncommands], sizeof self->commands[0], "command", value,
                    err, errlen);
    self->ncommands += rc == 0;
    return rc;
}

/* "transport://address" as libzmq takes it; binding checks the rest. */
static int s_endpoint(char *dst, size_t size, const char *key, const char *value, char *err,
                      size_t errlen)
{
    size_t scheme = strspn(value, "abcdefghijklmnopqrstuvwxyz");
    if (scheme == 0 || strncmp(value + scheme, "://", 3) != 0 || !value[scheme + 3] ||
        strpbrk(value, " \t"))
        return s_bad(err, errlen, key, value,
                     "expected a ZeroMQ endpoint such as tcp://127.0.0.1:7710 or ipc:///path");
    return s_copy(dst, size, key, value, err, errlen);
}

/* Host names go into topics and frames: printable, no blanks ("" = hostname). */
static int s_host(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return s_bad(err, errlen, "host", value, "blanks and control characters not allowed");
    return s_copy(self->host, sizeof self->host, "host", value, err, errlen);
}

static int s_root(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    struct stat st;
    if (value[0] && (stat(value, &st) < 0 || !S_ISDIR(st.st_mode)))
        return s_bad(err, errlen, "root", value, "not a directory");
    return s_copy(self->root, sizeof self->root, "root", value, err, errlen);
}

void pb_config_derive_profile(pb_config_t *self)
{
    static const char *default_control = "tcp://127.0.0.1:7711";
    bool is_default = strcmp(self->control_endpoint, default_control) == 0;
    if (!self->profile_endpoint[0])
        snprintf(self->profile_endpoint, sizeof self->profile_endpoint, "%s",
                 is_default ? "tcp://127.0.0.1:7713" : "tcp://127.0.0.1:*");
    if (!self->profile_pub_endpoint[0])
        snprintf(self->profile_pub_endpoint, sizeof self->profile_pub_endpoint, "%s",
                 is_default ? "tcp://127.0.0.1:7714" : "tcp://127.0.0.1:*");
}

static int s_max_connections(pb_config_t *self, const char *value, char *err, size_t errlen)
{
    int rc = pb_zap_parse_cap(value, &self->max_connections);
    if (rc < 0)
        snprintf(err, errlen, "bad max-connections '%s': want a whole number 1..%d", value,
                 PB_ZAP_MAX_CAP);
    return rc < 0 ? -EINVAL : 0;
}

/* A path that exists and is a file (dir false) or a directory (dir true). */
static int s_path(char *dst, size_t size, bool dir, const char *key, const char *value, char *err,
                  size_t errlen)
{
    struct stat st;
    if (stat(value, &st) < 0)
        return s_bad(err, errlen, key, value, strerror(errno));
    if (dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode))
        return s_bad(err, errlen, key, value, dir ? "not a directory" : "a directory, not a file");
    return s_copy(dst, size, key, value, err, errlen);
}

static int s_set_security(pb_config_t *self, const char *key, const char *value, char *err,
                          size_t errlen)
{
    if (!strcmp(key, "curve-secret"))
        return s_path(self->curve_secret, sizeof self->curve_secret, false, key, value, err,
                      errlen);
    if (!strcmp(key, "curve-allow"))
        return s_path(self->curve_allow, sizeof self->curve_allow, true, key, value, err, errlen);
    if (!strcmp(key, "insecure"))
        return s_bool(&self->insecure, key, value, err, errlen);
    return -ENOENT;
}

/* getopt_long's val for a setting (the name says which): its optopt when given a value it
 * does not take. */
#define S_SETTING 1

static const struct option s_options[] = {
    {"pub", required_argument, NULL, S_SETTING},
    {"control", required_argument, NULL, S_SETTING},
    {"profile", required_argument, NULL, S_SETTING},
    {"profile-pub", required_argument, NULL, S_SETTING},
    {"command", required_argument, NULL, S_SETTING},
    {"host", required_argument, NULL, S_SETTING},
    {"root", required_argument, NULL, S_SETTING},
    {"interval", required_argument, NULL, S_SETTING},
    {"heartbeat", required_argument, NULL, S_SETTING},
    {"top", required_argument, NULL, S_SETTING},
    {"pid", required_argument, NULL, S_SETTING},
    {"match", required_argument, NULL, S_SETTING},
    {"all", no_argument, NULL, S_SETTING},
    {"max-connections", required_argument, NULL, S_SETTING},
    {"sndhwm", required_argument, NULL, S_SETTING},
    {"verbose", no_argument, NULL, S_SETTING},
    {"curve-secret", required_argument, NULL, S_SETTING},
    {"curve-allow", required_argument, NULL, S_SETTING},
    {"insecure", no_argument, NULL, S_SETTING},
    {"config", required_argument, NULL, S_SETTING},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int pb_config_set(pb_config_t *self, const char *key, const char *value, char *err, size_t errlen)
{
    int security = s_set_security(self, key, value, err, errlen);
    if (security != -ENOENT)
        return security;
    unsigned long top;
    int rc;
    if (!strcmp(key, "pub"))
        return s_endpoint(self->pub_endpoint, sizeof self->pub_endpoint, key, value, err, errlen);
    if (!strcmp(key, "control"))
        return s_endpoint(self->control_endpoint, sizeof self->control_endpoint, key, value, err,
                          errlen);
    if (!strcmp(key, "profile"))
        return s_endpoint(self->profile_endpoint, sizeof self->profile_endpoint, key, value, err,
                          errlen);
    if (!strcmp(key, "profile-pub"))
        return s_endpoint(self->profile_pub_endpoint, sizeof self->profile_pub_endpoint, key, value,
                          err, errlen);
    if (!strcmp(key, "command"))
        return s_add_command(self, value, err, errlen);
    if (!strcmp(key, "host"))
        return s_host(self, value, err, errlen);
    if (!strcmp(key, "root"))
        return s_root(self, value, err, errlen);
    if (!strcmp(key, "interval"))
        return s_seconds(&self->interval_s, 0.01, key, value, err, errlen);
    if (!strcmp(key, "heartbeat"))
        return s_seconds(&self->heartbeat_s, 0.01, key, value, err, errlen);
    if (!strcmp(key, "top")) {
        rc = s_uint(&top, 100000, key, value, err, errlen);
        self->top_n = rc == 0 ? (unsigned)top : self->top_n;
        return rc;
    }
    if (!strcmp(key, "all"))
        return s_bool(&self->all, key, value, err, errlen);
    if (!strcmp(key, "max-connections"))
        return s_max_connections(self, value, err, errlen);
    if (!strcmp(key, "sndhwm")) {
        unsigned long hwm;
        rc = s_uint(&hwm, 10000000, key, value, err, errlen);
        if (rc == 0 && hwm == 0) {
            snprintf(err, errlen, "bad sndhwm '%s': want 1..10000000 (0 would queue without end)",
                     value);
            rc = -EINVAL;
        }
        self->sndhwm = rc == 0 ? (unsigned)hwm : self->sndhwm;
        return rc;
    }
    if (!strcmp(key, "verbose"))
        return s_bool(&self->verbose, key, value, err, errlen);
    if (!strcmp(key, "pid"))
        return s_add_pid(self, value, err, errlen);
    if (!strcmp(key, "match"))
        return s_add_match(self, value, err, errlen);
    const char *close = pb_getopt_closest(s_options, key);
    snprintf(err, errlen, "unknown setting '%s'%s%s%s (see perfbusd --help)", key,
             close ? " (did you mean '" : "", close ? close : "", close ? "'?)" : "");
    return -EINVAL;
}

static int s_file_setting(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    return pb_config_set(arg, key, value, err, errlen);
}

int pb_config_load(pb_config_t *self, const char *path, char *err, size_t errlen)
{
    return pb_kvfile_read(path, s_file_setting, self, err, errlen);
}

/* Finds --config before anything else so that flags can override the file. */
static int s_load_config_flag(pb_config_t *self, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            return pb_config_load(self, argv[i + 1], err, errlen);
        if (!strncmp(argv[i], "--config=", 9))
            return pb_config_load(self, argv[i] + 9, err, errlen);
    }
    return 0;
}

int pb_config_parse_args(pb_config_t *self, int argc, char **argv, char *err, size_t errlen)
{
    int rc = s_load_config_flag(self, argc, argv, err, errlen);
    int index = 0, c;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":h", s_options, &index)) != -1) {
        if (c == 'h') {
            pb_config_usage(stdout);
            return 1;
        }
        if (c == 'V') {
            printf("perfbusd %s\n", PB_VERSION);
            return 1;
        }
        if (c == '?' || c == ':')
            return pb_getopt_refusal(s_options, c, argv[optind - 1], "--help", err, errlen);
        const char *name = s_options[index].name;
        if (strcmp(name, "config") != 0)
            rc = pb_config_set(self, name, optarg ? optarg : "true", err, errlen);
    }
    if (rc == 0 && optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
        rc = -EINVAL;
    }
    if (rc == 0 && !self->curve_secret[0] != !self->curve_allow[0]) {
        snprintf(err, errlen,
                 "--curve-secret and --curve-allow go together: the first is this "
                 "host's certificate, the second the allowed clients' (see "
                 "perfbus keygen)");
        rc = -EINVAL;
    }
    if (rc == 0)
        pb_config_derive_profile(self);
    return rc;
}

void pb_config_usage(FILE *out)
{
    fputs("Usage: perfbusd [OPTION]...\n"
          "Samples system and process metrics from /proc and publishes them as\n"
          "MessagePack frames on a ZeroMQ PUB socket (topics sys.HOST, proc.HOST.PID,\n"
          "hb.HOST); answers requests on a ROUTER control socket.\n"
          "\n"
          "  --pub EP          PUB endpoint (default tcp://127.0.0.1:7710)\n"
          "  --control EP      control ROUTER endpoint (default tcp://127.0.0.1:7711)\n"
          "  --profile EP      profiling ROUTER of the built-in agent (default\n"
          "                    tcp://127.0.0.1:7713; tcp://127.0.0.1:* when --control is set)\n"
          "  --profile-pub EP  PUB endpoint for prof.* frames (default :7714, same rule)\n"
          "  --command 'NAME PROGRAM [ARG]...'\n"
          "                    a command target, profiled as a child process in\n"
          "                    detailed mode (repeatable; never taken from the network)\n"
          "  --interval T      sample interval, 10ms..1h (default 1s); a duration such as\n"
          "                    250ms, 1.5s, 2m, or a bare number of seconds\n"
          "  --heartbeat T     heartbeat period, 10ms..1h (default 1s), the same forms\n"
          "  --pid PID         watch this process (repeatable)\n"
          "  --match REGEX     watch processes whose name (comm) matches this PCRE2\n"
          "                    (Perl-syntax) pattern, unanchored; repeatable, at most\n"
          "                    32 patterns of at most 127 bytes\n"
          "  --top N           watch the N processes using the most CPU\n"
          "  --all             watch every process\n"
          "  --host NAME       host name in frames and topics (default: hostname)\n"
          "  --root DIR        read DIR/proc and DIR/sys instead of /proc and /sys\n"
          "  --max-connections N\n"
          "                    open connections allowed per request socket (control and\n"
          "                    profile), 1..65536 (default 4096); handshakes over it are\n"
          "                    refused, counted in `health` and logged\n"
          "  --sndhwm N        frames queued for each subscriber, 1..10000000 (default\n"
          "                    1000); past it that subscriber's new frames are dropped\n"
          "                    (it sees a seq gap): a slow one never slows the others\n"
          "  --curve-secret FILE\n"
          "                    this host's CURVE certificate (NAME or NAME_secret, as\n"
          "                    `perfbus keygen NAME` writes it): every socket then\n"
          "                    encrypts and admits only the keys of --curve-allow\n"
          "  --curve-allow DIR the public certificates of allowed clients; files added or\n"
          "                    removed are picked up without a restart\n"
          "  --insecure        allow binding beyond loopback without CURVE\n"
          "  --config FILE     read settings from FILE first; flags override it\n"
          "  --verbose         log every control request\n"
          "  -h, --help        show this help\n"
          "  --version         print the version and exit\n"
          "\n"
          "The config file holds one `key = value` per line, keys being the long\n"
          "option names without dashes (pid and match may repeat), e.g.\n"
          "    interval = 0.5\n"
          "    match = ^(nginx|postgres)$\n"
          "    top = 10\n"
          "\n"
          "Endpoints bind to loopback by default. Binding another address without\n"
          "--curve-secret/--curve-allow is refused unless --insecure is given, which\n"
          "exposes process names and command lines to that network.\n"
          "Logs go to stderr. SIGINT or SIGTERM stop the daemon cleanly.\n"
          "\n"
          "Exit status: 0 after a clean stop, 1 when it cannot start (a socket, the\n"
          "sampler), 2 for a bad option or config file.\n",
          out);
}
