/* pb_bench_record: recorder (pb_run writer, CRC, flush every 1 s; format 1 and sealed format 2)
 * and reader figures, against raw I/O. */
#include "pb_bench_bus.h"

#include "pb_bench_frames.h"
#include "pb_bench_util.h"
#include "pb_frame.h"
#include "pb_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_FLUSH_NS 1000000000ull

typedef struct {
    uint64_t frames, bytes;
    double seconds;
} s_figure_t;

static void s_print(const char *what, s_figure_t f)
{
    printf("%s_fps=%.0f %s_mbps=%.2f %s_frames=%llu ", what, (double)f.frames / f.seconds, what,
           (double)f.bytes / f.seconds / 1e6, what, (unsigned long long)f.frames);
}

/* Appends frames for `seconds`, flushing every second, then closes the run. */
static int s_write_run(pb_run_writer_t *w, pb_bench_frames_t *t, double seconds, s_figure_t *f)
{
    size_t n = pb_bench_frames_count(t);
    uint64_t start = pb_bench_mono_ns(), now = start, next_flush = start + S_FLUSH_NS;
    uint64_t end = start + (uint64_t)(seconds * 1e9);
    int rc = 0;
    while (rc == 0 && now < end) {
        for (int i = 0; i < 256 && rc == 0; i++, f->frames++) {
            uint64_t ts = pb_frame_now_ns();
            const pb_bench_frame_t *fr = pb_bench_frames_stamp(t, f->frames % n, f->frames, ts);
            rc = pb_run_writer_append(w, ts, "benchhost", fr->topic, fr->topic_len, fr->payload,
                                      fr->payload_len);
        }
        now = pb_bench_mono_ns();
        if (rc == 0 && now >= next_flush) {
            rc = pb_run_writer_flush(w);
            next_flush = now + S_FLUSH_NS;
        }
    }
    rc = rc ? rc : pb_run_writer_flush(w);
    f->bytes = pb_run_writer_bytes(w);
    return rc;
}

static int s_read_run(const char *dir, s_figure_t *f)
{
    uint64_t start = pb_bench_mono_ns();
    pb_run_t *run = pb_run_new(dir);
    if (!run)
        return -errno;
    pb_record_t rec;
    int rc;
    while ((rc = pb_run_next(run, &rec)) == 1) {
        f->frames++;
        f->bytes += rec.topic_len + rec.payload_len;
    }
    pb_run_destroy(&run);
    f->seconds = (double)(pb_bench_mono_ns() - start) / 1e9;
    return rc;
}

/* The ceiling: the same records, length-prefixed, no CRC, written with one
 * write(2) per second, then read back with read(2). */
static int s_raw_write(const char *path, pb_bench_frames_t *t, uint64_t frames, s_figure_t *f)
{
    size_t n = pb_bench_frames_count(t), cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), rc = buf && fd >= 0 ? 0 : -EIO;
    uint64_t start = pb_bench_mono_ns(), next_flush = start + S_FLUSH_NS;
    for (uint64_t k = 0; rc == 0 && k < frames; k++) {
        const pb_bench_frame_t *fr = pb_bench_frames_stamp(t, k % n, k, pb_frame_now_ns());
        uint32_t rec = (uint32_t)(fr->topic_len + fr->payload_len);
        while (len + rec + 4 > cap && buf)
            buf = realloc(buf, cap *= 2); /* grows within one second's worth */
        if (!buf)
            break;
        memcpy(buf + len, &rec, 4);
        memcpy(buf + len + 4, fr->topic, fr->topic_len);
        memcpy(buf + len + 4 + fr->topic_len, fr->payload, fr->payload_len);
        len += 4 + rec;
        if ((k % 256 == 0 && pb_bench_mono_ns() >= next_flush) || k + 1 == frames) {
            rc = write(fd, buf, len) == (ssize_t)len ? 0 : -EIO;
            f->bytes += len;
            len = 0;
            next_flush = pb_bench_mono_ns() + S_FLUSH_NS;
        }
    }
    f->frames = frames;
    f->seconds = (double)(pb_bench_mono_ns() - start) / 1e9;
    free(buf);
    if (fd >= 0)
        close(fd);
    return buf ? rc : -ENOMEM;
}

static int s_raw_read(const char *path, s_figure_t *f)
{
    uint64_t start = pb_bench_mono_ns();
    FILE *in = fopen(path, "rb");
    if (!in)
        return -errno;
    static char rec[1 << 20];
    uint32_t len;
    while (fread(&len, 4, 1, in) == 1 && len <= sizeof rec && fread(rec, 1, len, in) == len) {
        f->frames++;
        f->bytes += len;
    }
    fclose(in);
    f->seconds = (double)(pb_bench_mono_ns() - start) / 1e9;
    return 0;
}

/* Bytes of the files directly in dir. */
static uint64_t s_disk_bytes(const char *dir)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "du -sb '%s'", dir);
    FILE *p = popen(cmd, "r");
    unsigned long long n = 0;
    if (p && fscanf(p, "%llu", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return n;
}

/* One recorder run at zstd level (0: format 1). w: intake until the last
 * flush (rotations' seals run in the sealer thread meanwhile); *close_s: the
 * close, which seals the last segment. */
static int s_record(pb_bench_frames_t *t, const char *store, double seconds, int level,
                    s_figure_t *w, double *close_s, char *dir, size_t dirlen)
{
    uint64_t start = pb_bench_mono_ns();
    pb_run_writer_t *writer = pb_run_writer_new(store, NULL, 0);
    if (!writer)
        return -errno;
    pb_run_writer_set_seal(writer, 0, level);
    snprintf(dir, dirlen, "%s", pb_run_writer_dir(writer));
    int rc = s_write_run(writer, t, seconds, w);
    uint64_t stop = pb_bench_mono_ns();
    w->seconds = (double)(stop - start) / 1e9;
    pb_run_writer_destroy(&writer);
    *close_s = (double)(pb_bench_mono_ns() - stop) / 1e9;
    return rc;
}

static int s_measure(pb_bench_frames_t *t, const char *store, double seconds)
{
    s_figure_t w = {0}, r = {0}, wz = {0}, rz = {0}, rw = {0}, rr = {0};
    char dir[PATH_MAX], zdir[PATH_MAX], raw[PATH_MAX + 16];
    double close_s = 0, zclose_s = 0;
    int rc = s_record(t, store, seconds, 0, &w, &close_s, dir, sizeof dir);
    rc = rc ? rc : s_read_run(dir, &r);
    rc = rc ? rc : s_record(t, store, seconds, 1, &wz, &zclose_s, zdir, sizeof zdir);
    rc = rc ? rc : s_read_run(zdir, &rz);
    snprintf(raw, sizeof raw, "%s/raw.bin", store);
    rc = rc ? rc : s_raw_write(raw, t, w.frames, &rw);
    rc = rc ? rc : s_raw_read(raw, &rr);
    if (rc < 0)
        return rc;
    s_print("write", w);
    s_print("read", r);
    s_print("zwrite", wz);
    s_print("zread", rz);
    s_print("raw_write", rw);
    s_print("raw_read", rr);
    printf("disk_bytes=%llu zdisk_bytes=%llu zclose_s=%.3f ", (unsigned long long)s_disk_bytes(dir),
           (unsigned long long)s_disk_bytes(zdir), zclose_s);
    printf("mean_bytes=%.1f\n", pb_bench_frames_mean_bytes(t));
    return 0;
}

int pb_bench_record(int argc, char **argv)
{
    const char *path = pb_bench_opt(argc, argv, "--templates", NULL);
    const char *store = pb_bench_opt(argc, argv, "--store", NULL);
    double seconds = pb_bench_num(argc, argv, "--seconds", 5);
    double procs = pb_bench_num(argc, argv, "--procs", 10);
    if (!path || !store || seconds <= 0 || procs < 0) {
        fprintf(stderr, "usage: pb-bench record --templates FILE --store DIR [--seconds S] "
                        "[--procs N]\n");
        return 2;
    }
    pb_bench_frames_t *t = pb_bench_frames_load(path, (size_t)procs, "benchhost", "bench-record");
    int rc = t ? s_measure(t, store, seconds) : -errno;
    if (rc < 0)
        fprintf(stderr, "pb-bench: record: %s\n", strerror(-rc));
    pb_bench_frames_destroy(&t);
    return rc < 0 ? 1 : 0;
}
