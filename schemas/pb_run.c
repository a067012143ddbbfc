/* pb_run: run directories of segments plus run.meta: the recorder side and the reader side. */
#include "pb_run.h"

#include "pb_codec.h"
#include "pb_log.h"
#include "pb_sealed.h"
#include "pb_sealer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PB_VERSION
#define PB_VERSION "unknown"
#endif

#define S_DEFAULT_SEGMENT (64u * 1024 * 1024)

struct pb_run_writer {
    char *dir;
    char id[64];
    pb_value_t *meta; /* rewritten into run.meta at every flush */
    pb_segment_writer_t *segment;
    char segment_path[PATH_MAX]; /* of the open segment */
    unsigned nsegment;
    uint64_t segment_bytes, segment_ns;
    uint64_t first_ts;            /* recv_ts of the open segment's first record */
    int level;                    /* zstd level of sealed segments; 0: none (format 1) */
    uint64_t records, bytes_done; /* bytes_done: closed segments */
    pb_sealer_t *sealer;          /* made at the first rotation of a run that seals */
    int lock_fd;                  /* the run dir, flock'ed while it is written: see pb_recover.h */
};

struct pb_run {
    char *dir;
    const char *id;
    pb_value_t *meta;
    char **segments;
    size_t nsegments, next_segment;
    pb_segment_reader_t *reader;
    char *prefix;
    uint64_t from_ns, to_ns;
    uint64_t seg_from_ns, seg_to_ns; /* the window of the segment being read */
    pb_segment_damage_t damage;      /* of closed readers */
    pb_segment_problem_fn *problem_fn;
    void *problem_arg;
    pb_run_segment_fn *segment_fn; /* may take a segment whole (the reporter's rollups) */
    void *segment_arg;
};

/* ---- paths ---- */

static int s_join(char *buf, size_t size, const char *a, const char *b)
{
    int n = snprintf(buf, size, "%s/%s", a, b);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int s_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

#define S_HOW_TO_SET "; set $PERFBUS_STORE or use --store DIR"

/* pb_run_default_store's rules in order; *origin says which one chose buf. */
static int s_default_store(char *buf, size_t size, const char **origin)
{
    const char *env = getenv("PERFBUS_STORE");
    *origin = "from $PERFBUS_STORE";
    if (env && *env) {
        int n = snprintf(buf, size, "%s", env);
        return (size_t)n >= size ? -ENAMETOOLONG : 0;
    }
    *origin = "the default in a perfbus source tree, as $PERFBUS_STORE is unset" S_HOW_TO_SET;
    if (s_is_file("schemas/STORAGE.md") && s_is_file("schemas/pb_run.h"))
        return s_join(buf, size, ".", "perfbus-data");
    env = getenv("XDG_STATE_HOME");
    *origin = "the default under $XDG_STATE_HOME, as $PERFBUS_STORE is unset" S_HOW_TO_SET;
    if (env && *env == '/')
        return s_join(buf, size, env, "perfbus");
    env = getenv("HOME");
    *origin = "the default under $HOME, as $PERFBUS_STORE is unset" S_HOW_TO_SET;
    if (!env || !*env) {
        *origin = "$PERFBUS_STORE, $XDG_STATE_HOME and $HOME are all unset" S_HOW_TO_SET;
        return -ENOENT;
    }
    return s_join(buf, size, env, ".local/state/perfbus");
}

int pb_run_default_store(char *buf, size_t size)
{
    const char *origin;
    return s_default_store(buf, size, &origin);
}

int pb_run_store_where(const char *given, char *store, size_t size, char *why, size_t whylen)
{
    const char *origin = "given by --store";
    int rc = 0;
    if (given) {
        int n = snprintf(store, size, "%s", given);
        rc = (size_t)n >= size ? -ENAMETOOLONG : 0;
    } else
        rc = s_default_store(store, size, &origin);
    if (rc < 0)
        store[0] = '\0';
    snprintf(why, whylen, "%s", origin);
    return rc;
}

/* mkdir with PB_RUN_DIR_MODE exactly: the umask can only have removed bits,
 * so the directory is never more open than that, even for a moment.
 * 0, -EEXIST or -errno. */
static int s_mkdir(const char *path)
{
    if (mkdir(path, PB_RUN_DIR_MODE) < 0)
        return -errno;
    return chmod(path, PB_RUN_DIR_MODE) < 0 ? -errno : 0;
}

static int s_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = s_mkdir(tmp);
        if (rc < 0 && rc != -EEXIST)
            return rc;
        *p = '/';
    }
    int rc = s_mkdir(tmp);
    return rc == -EEXIST ? 0 : rc;
}

/* fopen(path, "we") creating the file with PB_RUN_FILE_MODE exactly. */
static FILE *s_create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, PB_RUN_FILE_MODE);
    FILE *f = fd < 0 || fchmod(fd, PB_RUN_FILE_MODE) < 0 ? NULL : fdopen(fd, "w");
    if (!f && fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

/* ---- metadata ---- */

static int s_meta_write(const char *dir, const pb_value_t *meta)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (s_join(path, sizeof path, dir, PB_RUN_META_FILE) < 0 ||
        s_join(tmp, sizeof tmp, dir, PB_RUN_META_FILE ".tmp") < 0)
        return -ENAMETOOLONG;
    char *buf = NULL;
    size_t len = 0;
    int rc = pb_codec_encode(meta, &buf, &len);
    if (rc < 0)
        return rc;
    FILE *f = s_create_file(tmp);
    rc = !f ? -errno : 0;
    if (f && fwrite(buf, 1, len, f) != len)
        rc = -EIO;
    if (f && fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    free(buf);
    return rc;
}

static pb_value_t *s_meta_new(const char *id, const pb_value_t *config, uint64_t now)
{
    pb_value_t *meta = pb_value_map_new();
    pb_value_t *hosts = pb_value_array_new();
    pb_value_t *conf = config ? pb_value_dup(config) : pb_value_map_new();
    int rc = meta && hosts && conf ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(meta, "format", PB_RUN_FORMAT);
    rc = rc ? rc : pb_value_map_put_str(meta, "run_id", id);
    rc = rc ? rc : pb_value_map_put(meta, "hosts", &hosts);
    rc = rc ? rc : pb_value_map_put_uint(meta, "start_ns", now);
    rc = rc ? rc : pb_value_map_put_uint(meta, "end_ns", now);
    rc = rc ? rc : pb_value_map_put_bool(meta, "complete", false);
    rc = rc ? rc : pb_value_map_put_str(meta, "perfbus_version", PB_VERSION);
    rc = rc ? rc : pb_value_map_put(meta, "config", &conf);
    pb_value_destroy(&hosts);
    pb_value_destroy(&conf);
    if (rc < 0)
        pb_value_destroy(&meta);
    return meta;
}

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- writer ---- */

/* Takes the run's lock before any segment exists (pb_recover.h), and its path. */
static int s_lock_run_dir(pb_run_writer_t *self, const char *path)
{
    self->lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->lock_fd < 0 || flock(self->lock_fd, LOCK_EX) < 0)
        return -errno;
    return (self->dir = strdup(path)) ? 0 : -ENOMEM;
}

static int s_make_run_dir(pb_run_writer_t *self, const char *store, uint64_t now)
{
    time_t secs = (time_t)(now / 1000000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char path[PATH_MAX];
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt == 0)
            snprintf(self->id, sizeof self->id, "%s-%d", stamp, (int)getpid());
        else
            snprintf(self->id, sizeof self->id, "%s-%d.%d", stamp, (int)getpid(), attempt);
        if (s_join(path, sizeof path, store, self->id) < 0)
            return -ENAMETOOLONG;
        int rc = s_mkdir(path);
        if (rc == 0)
            return s_lock_run_dir(self, path);
        if (rc != -EEXIST)
            return rc;
    }
    return -EEXIST;
}

static int s_open_segment(pb_run_writer_t *self)
{
    char name[32], path[PATH_MAX];
    snprintf(name, sizeof name, "segment-%06u.pbl", self->nsegment + 1);
    if (s_join(path, sizeof path, self->dir, name) < 0)
        return -ENAMETOOLONG;
    pb_segment_writer_t *segment = pb_segment_writer_new(path);
    if (!segment)
        return -errno;
    if (self->segment) {
        self->bytes_done += pb_segment_writer_size(self->segment);
        pb_segment_writer_destroy(&self->segment);
    }
    self->segment = segment;
    snprintf(self->segment_path, sizeof self->segment_path, "%s", path);
    self->nsegment++;
    return 0;
}

/* ---- sealing ---- */

/* Hands a closed segment to the sealer thread (made on first use; without
 * one, sealed here). */
static void s_seal_start(pb_run_writer_t *self, const char *path)
{
    if (!self->sealer)
        self->sealer = pb_sealer_new(self->level);
    if (self->sealer)
        pb_sealer_push(self->sealer, path);
    else if (pb_sealed_seal(path, self->level) < 0)
        pb_log_warn("sealing %s failed (it stays uncompressed and readable)", path);
}

static int s_writer_init(pb_run_writer_t *self, const char *store, const pb_value_t *config)
{
    uint64_t now = s_now_ns();
    int rc = s_mkdir_p(store);
    rc = rc < 0 ? rc : s_make_run_dir(self, store, now);
    if (rc < 0)
        return rc;
    self->meta = s_meta_new(self->id, config, now);
    if (!self->meta || pb_value_map_put_uint(self->meta, "format", self->level > 0 ? 2 : 1) < 0)
        return -ENOMEM;
    rc = s_open_segment(self);
    return rc < 0 ? rc : pb_run_writer_flush(self);
}

pb_run_writer_t *pb_run_writer_new(const char *store, const pb_value_t *config,
                                   uint64_t segment_bytes)
{
    pb_run_writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->lock_fd = -1;
    self->segment_bytes = segment_bytes ? segment_bytes : S_DEFAULT_SEGMENT;
    self->segment_ns = (uint64_t)PB_RUN_DEFAULT_SEGMENT_SECONDS * 1000000000u;
    self->level = PB_RUN_DEFAULT_LEVEL;
    int rc = s_writer_init(self, store, config);
    if (rc < 0) {
        pb_run_writer_destroy(&self);
        errno = -rc;
    }
    return self;
}

void pb_run_writer_destroy(pb_run_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_run_writer_t *self = *self_p;
    if (self->segment && self->meta) {
        pb_value_map_put_bool(self->meta, "complete", true);
        pb_segment_writer_flush(self->segment, 1);
        pb_run_writer_flush(self);
    }
    int last = self->segment != NULL;
    pb_segment_writer_destroy(&self->segment);
    if (last && self->level > 0)
        s_seal_start(self, self->segment_path); /* sealed before the recorder exits */
    pb_sealer_destroy(&self->sealer);
    if (self->lock_fd >= 0)
        close(self->lock_fd); /* only now: the sealer has sealed the run's last segments */
    pb_value_destroy(&self->meta);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

void pb_run_writer_set_seal(pb_run_writer_t *self, uint64_t segment_seconds, int level)
{
    self->segment_ns = segment_seconds * 1000000000u;
    self->level = level < 0 ? 0 : level > 19 ? 19 : level;
    pb_value_map_put_uint(self->meta, "format", self->level > 0 ? 2 : 1);
}

const char *pb_run_writer_id(const pb_run_writer_t *self)
{
    return self->id;
}

const char *pb_run_writer_dir(const pb_run_writer_t *self)
{
    return self->dir;
}

static int s_note_host(pb_run_writer_t *self, const char *host)
{
    pb_value_t *hosts = pb_value_map_get(self->meta, "hosts");
    for (size_t i = 0; i < pb_value_len(hosts); i++) {
        const char *h = NULL;
        if (pb_value_get_str(pb_value_array_at(hosts, i), &h) == 0 && strcmp(h, host) == 0)
            return 0;
    }
    pb_value_t *item = pb_value_str_new(host);
    return item ? pb_value_array_push(hosts, &item) : -ENOMEM;
}

/* Rotation: by size, or by the span of recv_ts in the open segment. */
static int s_full(const pb_run_writer_t *self, uint64_t size, uint64_t recv_ts)
{
    return size > self->segment_bytes || (self->segment_ns && recv_ts >= self->first_ts &&
                                          recv_ts - self->first_ts >= self->segment_ns);
}

int pb_run_writer_append(pb_run_writer_t *self, uint64_t recv_ts, const char *host,
                         const char *topic, size_t topic_len, const void *payload,
                         size_t payload_len)
{
    uint64_t need = PB_SEGMENT_RECORD_HEAD + topic_len + payload_len;
    uint64_t size = pb_segment_writer_size(self->segment);
    int rc = 0;
    if (size > PB_SEGMENT_HEADER_SIZE && s_full(self, size + need, recv_ts)) {
        char closed[PATH_MAX];
        snprintf(closed, sizeof closed, "%s", self->segment_path);
        rc = pb_segment_writer_flush(self->segment, 1);
        rc = rc < 0 ? rc : s_open_segment(self);
        if (rc == 0 && self->level > 0)
            s_seal_start(self, closed);
    }
    if (pb_segment_writer_size(self->segment) == PB_SEGMENT_HEADER_SIZE)
        self->first_ts = recv_ts;
    if (rc == 0 && host)
        rc = s_note_host(self, host);
    if (rc == 0)
        rc = pb_segment_writer_append(self->segment, recv_ts, topic, topic_len, payload,
                                      payload_len);
    if (rc == 0)
        self->records++;
    return rc;
}

int pb_run_writer_flush(pb_run_writer_t *self)
{
    int rc = pb_segment_writer_flush(self->segment, 0);
    if (rc < 0)
        return rc;
    rc = pb_value_map_put_uint(self->meta, "end_ns", s_now_ns());
    rc = rc ? rc : pb_value_map_put_uint(self->meta, "segments", self->nsegment);
    rc = rc ? rc : pb_value_map_put_uint(self->meta, "records", self->records);
    rc = rc ? rc : pb_value_map_put_uint(self->meta, "bytes", pb_run_writer_bytes(self));
    return rc < 0 ? rc : s_meta_write(self->dir, self->meta);
}

uint64_t pb_run_writer_records(const pb_run_writer_t *self)
{
    return self->records;
}

uint64_t pb_run_writer_bytes(const pb_run_writer_t *self)
{
    return self->bytes_done + pb_segment_writer_size(self->segment);
}

/* ---- reader ---- */

static int s_slurp(const char *path, char **buf_p, size_t *len_p)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t cap = PB_CODEC_MAX_BYTES + 1;
    char *buf = malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    int rc = !buf ? -ENOMEM : ferror(f) ? -EIO : len == cap ? -EFBIG : 0;
    fclose(f);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *buf_p = buf;
    *len_p = len;
    return 0;
}

/* Reads <dir>/run.meta; on failure writes why into err and returns NULL. */
static pb_value_t *s_meta_read(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], *buf = NULL;
    size_t len = 0;
    pb_value_t *meta = NULL;
    int rc = s_join(path, sizeof path, dir, PB_RUN_META_FILE);
    rc = rc < 0 ? rc : s_slurp(path, &buf, &len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", PB_RUN_META_FILE, strerror(-rc));
        return NULL;
    }
    char why[128] = "";
    if (pb_codec_decode(buf, len, &meta, why, sizeof why) < 0)
        snprintf(err, errlen, "%s is not msgpack: %s", PB_RUN_META_FILE, why);
    else if (pb_value_type(meta) != PB_MAP) {
        snprintf(err, errlen, "%s is not a map", PB_RUN_META_FILE);
        pb_value_destroy(&meta);
    }
    free(buf);
    return meta;
}

/* segment-<digits>.pbl (format 1, or the open segment) or .pbz (sealed). */
/* segment-<digits><ext> */
static int s_is_numbered(const char *name, const char *ext)
{
    size_t n = strlen(name);
    if (n < 13 || strncmp(name, "segment-", 8) != 0 || strcmp(name + n - 4, ext) != 0)
        return 0;
    for (size_t i = 8; i < n - 4; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    return 1;
}

int pb_run_is_segment_name(const char *name)
{
    return s_is_numbered(name, ".pbl") || s_is_numbered(name, ".pbz");
}

int pb_run_is_rollup_name(const char *name)
{
    return s_is_numbered(name, ".pbr");
}

/* A seal interrupted by a crash leaves segment-N.pbz.tmp or .pbr.tmp (never read). */
int pb_run_is_seal_tmp(const char *name)
{
    size_t n = strlen(name);
    char stem[NAME_MAX + 1];
    if (n < 8 || n > NAME_MAX || strcmp(name + n - 4, ".tmp") != 0)
        return 0;
    memcpy(stem, name, n - 4);
    stem[n - 4] = '\0';
    return pb_run_is_segment_name(stem) || pb_run_is_rollup_name(stem);
}

static int s_segment_filter(const struct dirent *d)
{
    return pb_run_is_segment_name(d->d_name);
}

/* The same number sealed and not: a crash between the rename and the
 * unlink. The sealed file is complete (it was fsynced before the rename). */
static int s_same_segment(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && strncmp(a, b, n - 4) == 0;
}

static int s_list_segments(pb_run_t *self)
{
    struct dirent **names = NULL;
    int n = scandir(self->dir, &names, s_segment_filter, alphasort);
    if (n < 0)
        return -errno;
    int rc = 0;
    self->segments = calloc((size_t)n + 1, sizeof *self->segments);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        int twin = i + 1 < n && s_same_segment(names[i]->d_name, names[i + 1]->d_name);
        if (self->segments && rc == 0 && !twin &&
            s_join(path, sizeof path, self->dir, names[i]->d_name) == 0)
            self->segments[self->nsegments++] = strdup(path);
        free(names[i]);
    }
    free(names);
    for (size_t i = 0; i < self->nsegments; i++)
        rc = self->segments[i] ? rc : -ENOMEM;
    return self->segments ? rc : -ENOMEM;
}

static int s_resolve(const char *path, char *out, size_t size)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        int n = snprintf(out, size, "%s", path);
        return (size_t)n >= size ? -ENAMETOOLONG : 0;
    }
    if (strchr(path, '/'))
        return -ENOENT;
    char store[PATH_MAX];
    int rc = pb_run_default_store(store, sizeof store);
    rc = rc < 0 ? rc : s_join(out, size, store, path);
    if (rc == 0 && (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = -ENOENT;
    return rc;
}

static int s_run_init(pb_run_t *self, const char *path)
{
    char dir[PATH_MAX];
    int rc = s_resolve(path, dir, sizeof dir);
    if (rc < 0)
        return rc;
    if (!(self->dir = strdup(dir)))
        return -ENOMEM;
    const char *slash = strrchr(self->dir, '/');
    self->id = slash && slash[1] ? slash + 1 : self->dir;
    self->to_ns = UINT64_MAX;
    char err[256] = "";
    self->meta = s_meta_read(self->dir, err, sizeof err);
    if (!self->meta && !(self->meta = pb_value_map_new()))
        return -ENOMEM;
    if (*err)
        pb_value_map_put_str(self->meta, "$problem", err);
    return s_list_segments(self);
}

pb_run_t *pb_run_new(const char *path)
{
    pb_run_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int rc = s_run_init(self, path);
    if (rc < 0) {
        pb_run_destroy(&self);
        errno = -rc;
    }
    return self;
}

void pb_run_destroy(pb_run_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_run_t *self = *self_p;
    for (size_t i = 0; i < self->nsegments; i++)
        free(self->segments[i]);
    free(self->segments);
    pb_segment_reader_destroy(&self->reader);
    pb_value_destroy(&self->meta);
    free(self->prefix);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

const pb_value_t *pb_run_meta(const pb_run_t *self)
{
    return self->meta;
}

const char *pb_run_id(const pb_run_t *self)
{
    return self->id;
}

const char *pb_run_dir(const pb_run_t *self)
{
    return self->dir;
}

int pb_run_set_filter(pb_run_t *self, const char *topic_prefix, uint64_t from_ns, uint64_t to_ns)
{
    free(self->prefix);
    self->prefix = NULL;
    if (topic_prefix && !(self->prefix = strdup(topic_prefix)))
        return -ENOMEM;
    self->from_ns = from_ns;
    self->to_ns = to_ns;
    return 0;
}

void pb_run_set_problem_fn(pb_run_t *self, pb_segment_problem_fn *fn, void *arg)
{
    self->problem_fn = fn;
    self->problem_arg = arg;
    const char *problem = NULL;
    if (fn && pb_value_map_get_str(self->meta, "$problem", &problem) == 0)
        fn(self->dir, 0, problem, arg);
}

void pb_run_set_segment_fn(pb_run_t *self, pb_run_segment_fn *fn, void *arg)
{
    self->segment_fn = fn;
    self->segment_arg = arg;
}

static void s_add_damage(pb_segment_damage_t *sum, pb_segment_damage_t d)
{
    sum->records += d.records;
    sum->corrupt += d.corrupt;
    sum->torn += d.torn;
    sum->skipped_bytes += d.skipped_bytes;
    sum->bad_header += d.bad_header;
}

/* Closes the current segment and opens the next; 0 when none is left. */
static int s_next_segment(pb_run_t *self)
{
    if (self->reader) {
        s_add_damage(&self->damage, pb_segment_reader_damage(self->reader));
        pb_segment_reader_destroy(&self->reader);
    }
    while (self->next_segment < self->nsegments) {
        char *path = self->segments[self->next_segment++];
        self->seg_from_ns = self->from_ns;
        self->seg_to_ns = self->to_ns;
        int taken = self->segment_fn ? self->segment_fn(path, &self->seg_from_ns, &self->seg_to_ns,
                                                        self->segment_arg)
                                     : 0;
        if (taken < 0)
            return taken;
        if (taken > 0)
            continue;
        self->reader = pb_segment_reader_new(path);
        size_t n = strlen(path);
        if (!self->reader && errno == ENOENT && strcmp(path + n - 4, ".pbl") == 0) {
            memcpy(path + n - 4, ".pbz", 4); /* sealed since the listing */
            self->reader = pb_segment_reader_new(path);
        }
        if (self->reader) {
            pb_segment_reader_set_problem_fn(self->reader, self->problem_fn, self->problem_arg);
            pb_segment_reader_set_window(self->reader, self->seg_from_ns, self->seg_to_ns);
            return 1;
        }
        if (errno == ENOMEM)
            return -ENOMEM;
        if (self->problem_fn)
            self->problem_fn(path, 0, strerror(errno), self->problem_arg);
    }
    return 0;
}

static int s_wanted(const pb_run_t *self, const pb_record_t *rec)
{
    if (rec->recv_ts < self->seg_from_ns || rec->recv_ts > self->seg_to_ns)
        return 0;
    return !self->prefix || strncmp(rec->topic, self->prefix, strlen(self->prefix)) == 0;
}

int pb_run_next(pb_run_t *self, pb_record_t *rec)
{
    for (;;) {
        int rc = self->reader ? pb_segment_reader_next(self->reader, rec) : 0;
        if (rc < 0)
            return rc;
        if (rc == 1 && s_wanted(self, rec))
            return 1;
        if (rc == 0 && (rc = s_next_segment(self)) <= 0)
            return rc;
    }
}

pb_segment_damage_t pb_run_damage(const pb_run_t *self)
{
    pb_segment_damage_t sum = self->damage;
    if (self->reader)
        s_add_damage(&sum, pb_segment_reader_damage(self->reader));
    return sum;
}
