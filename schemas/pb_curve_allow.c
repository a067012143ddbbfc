/* pb_curve_allow: the allowed clients' public certificates, rescanned when their directory changes.
 *
 * czmq's own disk-backed zcertstore refreshes on every lookup by walking the
 * whole directory (zdir_new: a stat per file), so a storm of handshakes would
 * be a storm of directory walks. Here the zcertstore is a memory store that
 * this module refills: a lookup costs one stat of the directory, and the
 * directory is read again only when its mtime, inode or device moved (files
 * added, removed or renamed in, as editors and `cp` then `mv` do). A scan
 * less than S_RACY_NS after the directory's mtime may have missed a change
 * made within the same timestamp tick, so until the mtime is that old the
 * directory is read again at most every S_RESCAN_NS. A certificate rewritten
 * in place (same name, directory untouched) is picked up on the next change
 * of the directory. */
#include "pb_curve_allow.h"

#include "pb_curve.h"
#include "pb_czmq.h"
#include "pb_log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#define S_RACY_NS   2000000000ull /* coarse timestamps: 1 s on some file systems */
#define S_RESCAN_NS 200000000ull

struct pb_curve_allow {
    const pb_czmq_t *cz;
    char *dir;
    zcertstore_t *store;
    size_t count;
    uint64_t scans;
    struct timespec mtime; /* of the directory at the last scan */
    dev_t dev;
    ino_t ino;
    bool present; /* the directory existed at the last scan */
    bool racy;    /* the last scan came too soon after the mtime to trust it */
    uint64_t scanned_ns;
};

static uint64_t s_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static bool s_wanted(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && !(n > 7 && strcmp(name + n - 7, "_secret") == 0);
}

/* Loads one file into the store; false (logged) when it is not a certificate. */
static bool s_load_one(pb_curve_allow_t *self, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", self->dir, name);
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return true; /* gone meanwhile, or a directory: not ours to judge */
    bool plausible = st.st_size <= PB_CURVE_FILE_MAX && pb_curve_file_plausible(path);
    zcert_t *cert = plausible ? self->cz->cert_load(path) : NULL;
    if (!cert) {
        pb_log_warn("--curve-allow %s: %s is not a CURVE certificate, ignored", self->dir, name);
        return false;
    }
    self->cz->certstore_insert(self->store, &cert);
    self->count++;
    return true;
}

static void s_read_dir(pb_curve_allow_t *self)
{
    DIR *d = opendir(self->dir);
    size_t skipped = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        if (!s_wanted(e->d_name))
            continue;
        if (self->count >= PB_CURVE_ALLOW_MAX)
            skipped++;
        else
            s_load_one(self, e->d_name);
    }
    if (d)
        closedir(d);
    if (skipped)
        pb_log_warn("--curve-allow %s: more than %d certificates, %zu file(s) ignored", self->dir,
                    PB_CURVE_ALLOW_MAX, skipped);
}

/* Refills the store from the directory whose stat is st (NULL: absent). */
static int s_scan(pb_curve_allow_t *self, const struct stat *st, uint64_t now_ns)
{
    zcertstore_t *fresh = self->cz->certstore_new(NULL);
    if (!fresh)
        return -ENOMEM;
    self->cz->certstore_destroy(&self->store);
    self->store = fresh;
    self->count = 0;
    self->scans++;
    self->scanned_ns = now_ns;
    self->present = st != NULL;
    self->racy = false;
    if (!st)
        return 0;
    self->mtime = st->st_mtim;
    self->dev = st->st_dev;
    self->ino = st->st_ino;
    s_read_dir(self);
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    self->racy = s_ns(&real) < s_ns(&self->mtime) + S_RACY_NS;
    return 0;
}

pb_curve_allow_t *pb_curve_allow_new(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--curve-allow %s: %s", dir ? dir : "(null)",
                 dir && errno == ENOENT ? "no such directory"
                                        : "not a directory of public certificates");
        return NULL;
    }
    const pb_czmq_t *cz = pb_czmq(err, errlen);
    if (!cz)
        return NULL;
    pb_curve_allow_t *self = calloc(1, sizeof *self);
    if (self)
        self->cz = cz;
    self->dir = self ? strdup(dir) : NULL;
    if (!self || !self->dir || s_scan(self, &st, 0) < 0) {
        snprintf(err, errlen, "--curve-allow %s: out of memory", dir);
        pb_curve_allow_destroy(&self);
    }
    return self;
}

void pb_curve_allow_destroy(pb_curve_allow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->store)
        (*self_p)->cz->certstore_destroy(&(*self_p)->store);
    free((*self_p)->dir);
    free(*self_p);
    *self_p = NULL;
}

static bool s_changed(const pb_curve_allow_t *self, const struct stat *st)
{
    return !self->present || st->st_mtim.tv_sec != self->mtime.tv_sec ||
           st->st_mtim.tv_nsec != self->mtime.tv_nsec || st->st_ino != self->ino ||
           st->st_dev != self->dev;
}

static void s_refresh(pb_curve_allow_t *self, uint64_t now_ns)
{
    struct stat st;
    bool here = stat(self->dir, &st) == 0 && S_ISDIR(st.st_mode);
    bool due = self->racy && now_ns - self->scanned_ns >= S_RESCAN_NS;
    if (!here && self->present)
        pb_log_warn("--curve-allow %s: directory gone; every CURVE key is denied", self->dir);
    if (here ? s_changed(self, &st) || due : self->present)
        s_scan(self, here ? &st : NULL, now_ns); /* on ENOMEM the old store stays */
}

bool pb_curve_allow_has(pb_curve_allow_t *self, const uint8_t key[32], uint64_t now_ns)
{
    char z85[PB_CURVE_Z85_LEN + 1];
    s_refresh(self, now_ns);
    if (!zmq_z85_encode(z85, key, 32))
        return false;
    return self->cz->certstore_lookup(self->store, z85) != NULL;
}

size_t pb_curve_allow_count(const pb_curve_allow_t *self)
{
    return self->count;
}

uint64_t pb_curve_allow_scans(const pb_curve_allow_t *self)
{
    return self->scans;
}

const char *pb_curve_allow_dir(const pb_curve_allow_t *self)
{
    return self->dir;
}
