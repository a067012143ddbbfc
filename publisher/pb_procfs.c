/* pb_procfs: reads /proc and /sys under a runtime root, and the tokenising every parser shares. */
#include "pb_procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#define S_FIRST_CAP 4096
#define S_MAX_FILE  (64u * 1024 * 1024)

void pb_procfs_buf_release(pb_procfs_buf_t *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

int pb_procfs_path(char *out, size_t size, const char *root, const char *rel)
{
    const char *sep = "/";
    size_t rlen = strlen(root);
    if (rlen == 0 || root[rlen - 1] == '/')
        sep = "";
    if (rlen == 0)
        root = "/";
    int n = snprintf(out, size, "%s%s%s", root, sep, rel);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return 0;
}

/* Makes room for at least one more byte plus the terminating NUL. */
static int s_buf_grow(pb_procfs_buf_t *buf)
{
    if (buf->cap - buf->len > 1)
        return 0;
    size_t cap = buf->cap ? buf->cap * 2 : S_FIRST_CAP;
    if (cap > S_MAX_FILE)
        return -EFBIG;
    char *data = realloc(buf->data, cap);
    if (!data)
        return -ENOMEM;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

/* Reads fd from offset 0 to EOF. A read that leaves room in the buffer and
 * returns at most end_max bytes is taken as the end, which saves the read()
 * that would only return 0: end_max is SIZE_MAX for text the kernel produces
 * in one piece, and for seq_file texts of records the page less the longest
 * record (a read there stops before a record that no longer fits the page). */
static int s_read_all(int fd, pb_procfs_buf_t *buf, size_t end_max)
{
    buf->len = 0;
    for (;;) {
        int rc = s_buf_grow(buf);
        if (rc < 0)
            return rc;
        size_t room = buf->cap - buf->len - 1;
        ssize_t n = pread(fd, buf->data + buf->len, room, (off_t)buf->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf->len += (size_t)n;
        if (n == 0 || ((size_t)n < room && (size_t)n <= end_max))
            break;
    }
    buf->data[buf->len] = '\0';
    return 0;
}

/* The most a read of a record file may return and still be its last one. */
static size_t s_records_end_max(void)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page < 2 * PB_PROCFS_RECORD_MAX)
        return 0; /* unknown page size: read on to the 0 */
    return (size_t)page - PB_PROCFS_RECORD_MAX;
}

int pb_procfs_slurp(const char *root, const char *rel, pb_procfs_buf_t *buf)
{
    char path[PATH_MAX];
    int rc = pb_procfs_path(path, sizeof path, root, rel);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    rc = s_read_all(fd, buf, 0);
    close(fd);
    return rc;
}

int pb_procfs_open_dir(const char *root, const char *rel)
{
    char path[PATH_MAX];
    int rc = pb_procfs_path(path, sizeof path, root, rel);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

bool pb_procfs_is_procfs(int dirfd)
{
    struct statfs sf;
    return fstatfs(dirfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int pb_procfs_slurp_at(int dirfd, const char *rel, pb_procfs_buf_t *buf)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = s_read_all(fd, buf, SIZE_MAX);
    close(fd);
    return rc;
}

int pb_procfs_pread_all(int fd, pb_procfs_buf_t *buf)
{
    return s_read_all(fd, buf, SIZE_MAX);
}

int pb_procfs_reread(int fd, pb_procfs_buf_t *buf)
{
    return s_read_all(fd, buf, s_records_end_max());
}

int pb_procfs_open(const char *root, const char *rel)
{
    char path[PATH_MAX];
    int rc = pb_procfs_path(path, sizeof path, root, rel);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* Counts the entries of an open directory other than "." and "..", and closes it. */
static int s_count_entries(DIR *dir)
{
    int n = 0;
    for (struct dirent *de = readdir(dir); de; de = readdir(dir)) {
        const char *d = de->d_name;
        bool dots = d[0] == '.' && (d[1] == '\0' || (d[1] == '.' && d[2] == '\0'));
        n += !dots && n < INT_MAX;
    }
    closedir(dir);
    return n;
}

int pb_procfs_count_at(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return s_count_entries(dir);
}

/* Parses a directory name made only of digits into a pid (by hand: it runs
 * for every entry of /proc every cycle). */
static bool s_pid_name(const char *name, uint32_t *pid)
{
    uint64_t v = 0;
    const char *p = name;
    for (; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (p == name || *p != '\0' || v == 0 || v > UINT32_MAX)
        return false;
    *pid = (uint32_t)v;
    return true;
}

static int s_pid_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int s_pid_push(uint32_t **pids_p, size_t *cap_p, size_t n, uint32_t pid)
{
    if (n == *cap_p) {
        size_t cap = *cap_p ? *cap_p * 2 : 256;
        uint32_t *pids = realloc(*pids_p, cap * sizeof *pids);
        if (!pids)
            return -ENOMEM;
        *pids_p = pids;
        *cap_p = cap;
    }
    (*pids_p)[n] = pid;
    return 0;
}

int pb_procfs_pids(const char *root, uint32_t **pids_p, size_t *cap_p)
{
    char path[PATH_MAX];
    int rc = pb_procfs_path(path, sizeof path, root, "proc");
    if (rc < 0)
        return rc;
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    size_t n = 0;
    for (struct dirent *de = readdir(dir); de && rc == 0; de = readdir(dir)) {
        uint32_t pid;
        if (s_pid_name(de->d_name, &pid) && n < INT_MAX) {
            rc = s_pid_push(pids_p, cap_p, n, pid);
            n += rc == 0;
        }
    }
    closedir(dir);
    if (rc < 0)
        return rc;
    if (n > 0)
        qsort(*pids_p, n, sizeof **pids_p, s_pid_cmp);
    return (int)n;
}

struct pb_procfs_pidlist {
    char *root;
    DIR *dir; /* kept open on a real procfs; else opened per listing */
    uint32_t *pids;
    size_t npids, cap;
    int count;
    bool listed;    /* count is for stamp */
    bool have_pids; /* pids are for stamp */
    bool wanted;    /* the cycle of stamp asked for pids */
    uint64_t stamp;
};

pb_procfs_pidlist_t *pb_procfs_pidlist_new(const char *root)
{
    pb_procfs_pidlist_t *self = calloc(1, sizeof *self);
    if (self && !(self->root = strdup(root ? root : "")))
        pb_procfs_pidlist_destroy(&self);
    return self;
}

void pb_procfs_pidlist_destroy(pb_procfs_pidlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->dir)
        closedir((*self_p)->dir);
    free((*self_p)->pids);
    free((*self_p)->root);
    free(*self_p);
    *self_p = NULL;
}

/* The directory to list, rewound; kept only when it is a real procfs (tests
 * repoint a root between copied trees). */
static DIR *s_pidlist_dir(pb_procfs_pidlist_t *self)
{
    if (self->dir) {
        rewinddir(self->dir);
        return self->dir;
    }
    char path[PATH_MAX];
    if (pb_procfs_path(path, sizeof path, self->root, "proc") < 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    DIR *dir = opendir(path);
    if (dir && pb_procfs_is_procfs(dirfd(dir)))
        self->dir = dir;
    return dir;
}

/* Counts the pids of dir, keeping them when with_pids. */
static int s_pidlist_read(pb_procfs_pidlist_t *self, DIR *dir, bool with_pids)
{
    size_t n = 0;
    int rc = 0;
    for (struct dirent *de = readdir(dir); de && rc == 0; de = readdir(dir)) {
        uint32_t pid;
        if (!s_pid_name(de->d_name, &pid) || n >= INT_MAX)
            continue;
        rc = with_pids ? s_pid_push(&self->pids, &self->cap, n, pid) : 0;
        n += rc == 0;
    }
    if (rc < 0)
        return rc;
    if (with_pids && n > 0)
        qsort(self->pids, n, sizeof *self->pids, s_pid_cmp);
    self->npids = with_pids ? n : 0;
    return (int)n;
}

/* Lists anew; returns the count or a negative errno (the listing is then stale). */
static int s_pidlist_list(pb_procfs_pidlist_t *self, bool keep)
{
    self->listed = false;
    DIR *dir = s_pidlist_dir(self);
    if (!dir)
        return -errno;
    int n = s_pidlist_read(self, dir, keep);
    if (dir != self->dir)
        closedir(dir);
    return n;
}

int pb_procfs_pidlist_update(pb_procfs_pidlist_t *self, uint64_t stamp, bool with_pids)
{
    bool again = self->listed && self->stamp == stamp;
    bool keep = with_pids || (self->listed && self->wanted);
    int n = s_pidlist_list(self, keep);
    if (n < 0)
        return n;
    self->wanted = with_pids || (again && self->wanted);
    self->listed = true;
    self->have_pids = keep;
    self->stamp = stamp;
    self->count = n;
    return n;
}

int pb_procfs_pidlist_count_at(const pb_procfs_pidlist_t *self, uint64_t stamp)
{
    return self->listed && self->stamp == stamp ? self->count : -ENODATA;
}

int pb_procfs_pidlist_pids_at(pb_procfs_pidlist_t *self, uint64_t stamp, const uint32_t **pids_p,
                              size_t *n_p)
{
    if (!self->listed || self->stamp != stamp || !self->have_pids) {
        int rc = pb_procfs_pidlist_update(self, stamp, true);
        if (rc < 0)
            return rc;
    }
    self->wanted = true;
    *pids_p = self->pids;
    *n_p = self->npids;
    return 0;
}

int pb_procfs_count(const char *root, const char *rel)
{
    char path[PATH_MAX];
    int rc = pb_procfs_path(path, sizeof path, root, rel);
    if (rc < 0)
        return rc;
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    return s_count_entries(dir);
}

static bool s_is_end(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\0';
}

/* Skips blanks; returns -ENODATA at the end of the line, else 0. */
static int s_skip_blanks(const char **cursor)
{
    const char *p = *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    *cursor = p;
    return (*p == '\n' || *p == '\0') ? -ENODATA : 0;
}

int pb_procfs_next_u64(const char **cursor, uint64_t *out)
{
    int rc = s_skip_blanks(cursor);
    if (rc < 0)
        return rc;
    const char *p = *cursor;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    /* by hand, not strtoull: /proc text is plain digits, and this is the
     * sampler's commonest call (a third of a sample's instructions went to
     * strtoull's locale and base handling) */
    uint64_t v = 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EINVAL; /* out of range, as strtoull's ERANGE */
        v = v * 10 + d;
    }
    if (!s_is_end(*p))
        return -EINVAL;
    *out = v;
    *cursor = p;
    return 0;
}

int pb_procfs_next_i64(const char **cursor, int64_t *out)
{
    int rc = s_skip_blanks(cursor);
    if (rc < 0)
        return rc;
    const char *p = *cursor;
    const char *digits = (*p == '-') ? p + 1 : p;
    if (!isdigit((unsigned char)*digits))
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno != 0 || end == p || !s_is_end(*end))
        return -EINVAL;
    *out = (int64_t)v;
    *cursor = end;
    return 0;
}

int pb_procfs_next_f64(const char **cursor, double *out)
{
    int rc = s_skip_blanks(cursor);
    if (rc < 0)
        return rc;
    const char *p = *cursor;
    /* Digits first: strtod would also take "inf", "nan" and hex floats. */
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (errno != 0 || end == p || !s_is_end(*end))
        return -EINVAL;
    *out = v;
    *cursor = end;
    return 0;
}

int pb_procfs_skip_word(const char **cursor)
{
    int rc = s_skip_blanks(cursor);
    if (rc < 0)
        return rc;
    const char *p = *cursor;
    while (!s_is_end(*p))
        p++;
    *cursor = p;
    return 0;
}

const char *pb_procfs_next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    if (!nl || nl[1] == '\0')
        return NULL;
    return nl + 1;
}

int pb_procfs_pid_rel(char *buf, size_t size, uint32_t pid, const char *name)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid > 0);
    size_t name_len = name ? strlen(name) + 1 : 0;
    if (n + name_len >= size)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < n; i++)
        buf[i] = digits[n - 1 - i];
    if (name) {
        buf[n] = '/';
        memcpy(buf + n + 1, name, name_len - 1);
    }
    buf[n + name_len] = '\0';
    return (int)(n + name_len);
}

const char *pb_procfs_find_key(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line; line = pb_procfs_next_line(line)) {
        if (line[0] == key[0] && strncmp(line, key, klen) == 0)
            return line + klen;
    }
    return NULL;
}
