/* Unit tests of pb_run: recording a run, reading it back in order, listing and retention. */
#include "pb_run.h"

#include "pb_codec.h"
#include "pb_sealed.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char s_store[64];
static int s_level = PB_RUN_DEFAULT_LEVEL; /* of s_record's runs; 0 for format 1 */

static void s_setup(void)
{
    strcpy(s_store, "/tmp/pb_run_XXXXXX");
    s_level = PB_RUN_DEFAULT_LEVEL;
    ck_assert_ptr_nonnull(mkdtemp(s_store));
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_store);
    ck_assert_int_eq(system(cmd), 0);
}

/* Records n frames alternating sys./proc. topics; returns the closed run's id (static). */
static const char *s_record(int n, uint64_t segment_bytes)
{
    static char id[64];
    pb_value_t *config = pb_value_map_new();
    pb_value_map_put_str(config, "connect", "tcp://127.0.0.1:7710");
    pb_run_writer_t *w = pb_run_writer_new(s_store, config, segment_bytes);
    pb_value_destroy(&config);
    ck_assert_ptr_nonnull(w);
    pb_run_writer_set_seal(w, 0, s_level);
    for (int i = 0; i < n; i++) {
        char topic[32], payload[64];
        int tl = snprintf(topic, sizeof topic, i % 2 ? "proc.h%d.1" : "sys.h%d", i % 3);
        int pl = snprintf(payload, sizeof payload, "frame-%06d", i);
        char host[8];
        snprintf(host, sizeof host, "h%d", i % 3);
        ck_assert_int_eq(pb_run_writer_append(w, 1000 + i, host, topic, tl, payload, pl), 0);
    }
    ck_assert_uint_eq(pb_run_writer_records(w), (uint64_t)n);
    snprintf(id, sizeof id, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    ck_assert_ptr_null(w);
    return id;
}

static pb_run_t *s_open(const char *id)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", s_store, id);
    pb_run_t *run = pb_run_new(path);
    ck_assert_ptr_nonnull(run);
    return run;
}

START_TEST(record_and_read_back_in_order)
{
    const char *id = s_record(1000, 4096); /* small segments: many rotations */
    pb_run_t *run = s_open(id);
    ck_assert_str_eq(pb_run_id(run), id);
    pb_record_t rec;
    int n = 0;
    while (pb_run_next(run, &rec) == 1) {
        char payload[64];
        snprintf(payload, sizeof payload, "frame-%06d", n);
        ck_assert_uint_eq(rec.recv_ts, 1000 + (uint64_t)n);
        ck_assert_mem_eq(rec.payload, payload, rec.payload_len);
        n++;
    }
    ck_assert_int_eq(n, 1000);
    pb_segment_damage_t d = pb_run_damage(run);
    ck_assert_uint_eq(d.records, 1000);
    ck_assert_uint_eq(d.corrupt + d.torn + d.bad_header, 0);
    pb_run_destroy(&run);
}
END_TEST

START_TEST(metadata_describes_the_run)
{
    const char *id = s_record(1000, 4096);
    pb_run_t *run = s_open(id);
    const pb_value_t *meta = pb_run_meta(run);
    uint64_t u = 0, start = 0, end = 0;
    const char *s = NULL;
    ck_assert_int_eq(pb_value_map_get_u64(meta, "format", &u), 0);
    ck_assert_uint_eq(u, 2);
    ck_assert_int_eq(pb_value_map_get_str(meta, "run_id", &s), 0);
    ck_assert_str_eq(s, id);
    ck_assert_int_eq(pb_value_map_get_u64(meta, "records", &u), 0);
    ck_assert_uint_eq(u, 1000);
    ck_assert_int_eq(pb_value_map_get_u64(meta, "segments", &u), 0);
    ck_assert_uint_gt(u, 5);
    ck_assert_int_eq(pb_value_map_get_u64(meta, "start_ns", &start), 0);
    ck_assert_int_eq(pb_value_map_get_u64(meta, "end_ns", &end), 0);
    ck_assert_uint_ge(end, start);
    bool complete = false;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(meta, "complete"), &complete), 0);
    ck_assert(complete);
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(meta, "hosts")), 3);
    ck_assert_int_eq(pb_value_map_get_str(pb_value_map_get(meta, "config"), "connect", &s), 0);
    ck_assert_str_eq(s, "tcp://127.0.0.1:7710");
    ck_assert_int_eq(pb_value_map_get_str(meta, "perfbus_version", &s), 0);
    pb_run_destroy(&run);
}
END_TEST

START_TEST(filters_by_topic_and_time)
{
    const char *id = s_record(100, 0);
    pb_run_t *run = s_open(id);
    ck_assert_int_eq(pb_run_set_filter(run, "proc.", 1010, 1019), 0);
    pb_record_t rec;
    int n = 0;
    while (pb_run_next(run, &rec) == 1) {
        ck_assert_int_eq(strncmp(rec.topic, "proc.", 5), 0);
        ck_assert(rec.recv_ts >= 1010 && rec.recv_ts <= 1019);
        n++;
    }
    ck_assert_int_eq(n, 5);
    pb_run_destroy(&run);
}
END_TEST

static int s_problems;
static void s_problem(const char *path, uint64_t offset, const char *msg, void *arg)
{
    (void)path, (void)offset, (void)arg, (void)msg;
    s_problems++;
}

START_TEST(damaged_run_is_still_readable)
{
    s_level = 0; /* the open segment's format (format 1) */
    const char *id = s_record(200, 2048);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/segment-000001.pbl", s_store, id);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size - 3), 0); /* torn in the middle of the run */
    snprintf(path, sizeof path, "%s/%s/run.meta", s_store, id);
    FILE *f = fopen(path, "w");
    fputs("\xc1garbage", f); /* 0xc1 is never valid msgpack */
    fclose(f);
    pb_run_t *run = s_open(id);
    s_problems = 0;
    pb_run_set_problem_fn(run, s_problem, NULL);
    ck_assert_int_eq(s_problems, 1); /* the metadata */
    pb_record_t rec;
    int n = 0;
    while (pb_run_next(run, &rec) == 1)
        n++;
    ck_assert_int_eq(n, 199);
    ck_assert_uint_eq(pb_run_damage(run).torn, 1);
    ck_assert_int_eq(s_problems, 2);
    pb_run_destroy(&run);
}
END_TEST

START_TEST(missing_run)
{
    ck_assert_ptr_null(pb_run_new("/nonexistent/run"));
    ck_assert_int_eq(errno, ENOENT);
    setenv("PERFBUS_STORE", s_store, 1);
    ck_assert_ptr_null(pb_run_new("no-such-run"));
    ck_assert_int_eq(errno, ENOENT);
    unsetenv("PERFBUS_STORE");
}
END_TEST

START_TEST(run_by_name_in_the_default_store)
{
    const char *id = s_record(3, 0);
    setenv("PERFBUS_STORE", s_store, 1);
    pb_run_t *run = pb_run_new(id);
    ck_assert_ptr_nonnull(run);
    pb_run_destroy(&run);
    unsetenv("PERFBUS_STORE");
}
END_TEST

START_TEST(default_store_rule)
{
    char buf[PATH_MAX];
    setenv("PERFBUS_STORE", "/x/store", 1);
    ck_assert_int_eq(pb_run_default_store(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/x/store");
    unsetenv("PERFBUS_STORE");
    ck_assert_int_eq(chdir(s_store), 0); /* not the source tree */
    setenv("XDG_STATE_HOME", "/x/state", 1);
    ck_assert_int_eq(pb_run_default_store(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/x/state/perfbus");
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/x/home", 1);
    ck_assert_int_eq(pb_run_default_store(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "/x/home/.local/state/perfbus");
    ck_assert_int_eq(pb_run_default_store(buf, 8), -ENAMETOOLONG);
    unsetenv("HOME");
    ck_assert_int_eq(pb_run_default_store(buf, sizeof buf), -ENOENT);
}
END_TEST

START_TEST(list_runs_of_a_store)
{
    pb_value_t *list = NULL;
    ck_assert_int_eq(pb_run_list("/nonexistent/store", &list), 0);
    ck_assert_uint_eq(pb_value_len(list), 0);
    pb_value_destroy(&list);
    s_record(10, 0);
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/not-a-run", s_store);
    ck_assert_int_eq(mkdir(other, 0755), 0);
    s_record(20, 0); /* same second, same pid: gets a distinct id */
    ck_assert_int_eq(pb_run_list(s_store, &list), 0);
    ck_assert_uint_eq(pb_value_len(list), 2);
    uint64_t records = 0, bytes = 0;
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(list, 1), "records", &records), 0);
    ck_assert_uint_eq(records, 20);
    ck_assert_int_eq(pb_value_map_get_u64(pb_value_array_at(list, 1), "bytes", &bytes), 0);
    ck_assert_uint_gt(bytes, 20 * 18);
    pb_value_destroy(&list);
}
END_TEST

static size_t s_count_runs(void)
{
    pb_value_t *list = NULL;
    ck_assert_int_eq(pb_run_list(s_store, &list), 0);
    size_t n = pb_value_len(list);
    pb_value_destroy(&list);
    return n;
}

/* The bytes on disk of run id, as pb_run_list says. */
static uint64_t s_run_bytes(const char *id)
{
    pb_value_t *list = NULL;
    uint64_t bytes = 0;
    const char *rid = NULL;
    ck_assert_int_eq(pb_run_list(s_store, &list), 0);
    for (size_t i = 0; i < pb_value_len(list); i++) {
        const pb_value_t *e = pb_value_array_at(list, i);
        if (pb_value_map_get_str(e, "run_id", &rid) == 0 && strcmp(rid, id) == 0)
            pb_value_map_get_u64(e, "bytes", &bytes);
    }
    pb_value_destroy(&list);
    ck_assert_uint_gt(bytes, 0);
    return bytes;
}

START_TEST(retention_by_size_keeps_the_current_run)
{
    const char *first = s_record(500, 0);
    char keep[64];
    snprintf(keep, sizeof keep, "%s", first);
    s_record(500, 0);
    s_record(500, 0);
    ck_assert_int_eq(pb_run_retain(s_store, 0, 0, NULL), 0); /* no limits */
    ck_assert_uint_eq(s_count_runs(), 3);
    ck_assert_int_eq(pb_run_retain(s_store, 0, s_run_bytes(keep), keep), 2);
    ck_assert_uint_eq(s_count_runs(), 1);
    pb_run_t *run = s_open(keep);
    pb_run_destroy(&run);
}
END_TEST

START_TEST(retention_by_age)
{
    s_level = 0; /* recv_ts of 1970: a sealed segment would be removed by its age */
    s_record(5, 0);
    ck_assert_int_eq(pb_run_retain(s_store, 1.0, 0, NULL), 0); /* a fresh run stays */
    usleep(20000);
    ck_assert_int_eq(pb_run_retain(s_store, 1e-8, 0, NULL), 1); /* ~0.9 ms */
    ck_assert_uint_eq(s_count_runs(), 0);
    ck_assert_int_eq(pb_run_retain("/nonexistent/store", 1, 1, NULL), 0);
}
END_TEST

static unsigned s_mode(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "stat %s", path);
    return (unsigned)(st.st_mode & 07777);
}

/* Records into <s_store>/a/b (created) under the given umask; checks that
 * every directory made is 0750 and every file 0640. */
static void s_check_modes(mode_t mask)
{
    char store[PATH_MAX], path[PATH_MAX];
    snprintf(store, sizeof store, "%s/m%03o/a/b", s_store, (unsigned)mask);
    mode_t old = umask(mask);
    pb_run_writer_t *w = pb_run_writer_new(store, NULL, 0);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(pb_run_writer_append(w, 1, "h", "sys.h", 5, "x", 1), 0);
    ck_assert_int_eq(pb_run_writer_flush(w), 0);
    umask(old);
    const char *dir = pb_run_writer_dir(w);
    ck_assert_uint_eq(s_mode(dir), 0750);
    ck_assert_uint_eq(s_mode(store), 0750);
    snprintf(path, sizeof path, "%s/m%03o/a", s_store, (unsigned)mask);
    ck_assert_uint_eq(s_mode(path), 0750);
    snprintf(path, sizeof path, "%s/" PB_RUN_META_FILE, dir);
    ck_assert_uint_eq(s_mode(path), 0640);
    snprintf(path, sizeof path, "%s/segment-000001.pbl", dir);
    ck_assert_uint_eq(s_mode(path), 0640);
    pb_run_writer_destroy(&w);
}

/* Frames name processes and hold their I/O counters: not world-readable. */
START_TEST(store_is_not_world_readable_whatever_the_umask)
{
    s_check_modes(0);
    s_check_modes(022);
    s_check_modes(077);                       /* stricter: still what STORAGE.md says */
    ck_assert_uint_eq(s_mode(s_store), 0700); /* an existing store is left alone */
}
END_TEST

/* Names of the files of run id, sorted, joined by spaces. */
static void s_names(const char *id, char *buf, size_t size)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/%s | tr '\\n' ' '", s_store, id);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    pclose(p);
}

static uint64_t s_read_all(const char *id, uint64_t *first_ts, int *problems)
{
    pb_run_t *run = s_open(id);
    s_problems = 0;
    pb_run_set_problem_fn(run, s_problem, NULL);
    pb_record_t rec;
    uint64_t n = 0, prev = 0;
    while (pb_run_next(run, &rec) == 1) {
        ck_assert_uint_ge(rec.recv_ts, prev); /* in order, each once */
        if (n == 0 && first_ts)
            *first_ts = rec.recv_ts;
        prev = rec.recv_ts + 1;
        n++;
    }
    pb_run_destroy(&run);
    *problems = s_problems;
    return n;
}

START_TEST(rotation_by_time_seals_every_segment)
{
    pb_run_writer_t *w = pb_run_writer_new(s_store, NULL, 0);
    ck_assert_ptr_nonnull(w);
    pb_run_writer_set_seal(w, 10, 1);
    for (uint64_t i = 0; i < 35; i++)
        ck_assert_int_eq(pb_run_writer_append(w, i * 1000000000u, "h", "sys.h", 5, "x", 1), 0);
    char id[64], names[512];
    snprintf(id, sizeof id, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    s_names(id, names, sizeof names);
    ck_assert_str_eq(names, "run.meta segment-000001.pbr segment-000001.pbz segment-000002.pbr "
                            "segment-000002.pbz segment-000003.pbr segment-000003.pbz "
                            "segment-000004.pbr segment-000004.pbz ");
    int problems = 0;
    ck_assert_uint_eq(s_read_all(id, NULL, &problems), 35);
    ck_assert_int_eq(problems, 0);
    pb_value_t *list = NULL;
    uint64_t raw = 0, bytes = 0, format = 0;
    ck_assert_int_eq(pb_run_list(s_store, &list), 0);
    const pb_value_t *entry = pb_value_array_at(list, 0);
    ck_assert_int_eq(pb_value_map_get_u64(entry, "raw_bytes", &raw), 0);
    ck_assert_int_eq(pb_value_map_get_u64(entry, "bytes", &bytes), 0);
    ck_assert_int_eq(pb_value_map_get_u64(entry, "format", &format), 0);
    ck_assert_uint_eq(format, 2);
    ck_assert_uint_gt(raw, 35 * 24); /* the records, as recorded */
    pb_value_destroy(&list);
}
END_TEST

/* A crash between a seal's rename and its unlink leaves segment N twice; one
 * during the seal leaves a partial .pbz.tmp. Each record is read once. */
START_TEST(crash_leftovers_of_a_seal_are_read_once)
{
    s_level = 0;
    const char *id = s_record(300, 2048);
    char pbl[PATH_MAX], copy[PATH_MAX + 8], tmp[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(pbl, sizeof pbl, "%s/%s/segment-000001.pbl", s_store, id);
    snprintf(copy, sizeof copy, "%s.keep", pbl);
    snprintf(cmd, sizeof cmd, "cp -p %s %s", pbl, copy);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(pb_sealed_seal(pbl, 1), 0);
    ck_assert_int_eq(rename(copy, pbl), 0); /* the .pbl is back: both exist */
    snprintf(tmp, sizeof tmp, "%s/%s/segment-000002.pbz.tmp", s_store, id);
    FILE *f = fopen(tmp, "w");
    fputs("PBSEGZST partial", f);
    fclose(f);
    int problems = 0;
    ck_assert_uint_eq(s_read_all(id, NULL, &problems), 300);
    ck_assert_int_eq(problems, 0);
    ck_assert_int_eq(pb_run_retain(s_store, 0, 1, NULL), 1); /* leftovers go with the run */
    ck_assert_uint_eq(s_count_runs(), 0);
}
END_TEST

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One long run of hourly segments over the size limit: its oldest sealed segments go (with
 * their rollups) until it fits, the newest records stay. */
START_TEST(retention_by_size_trims_a_single_long_run)
{
    const uint64_t second = 1000000000ull;
    pb_run_writer_t *w = pb_run_writer_new(s_store, NULL, 0);
    ck_assert_ptr_nonnull(w);
    pb_run_writer_set_seal(w, 3600, 1);
    char payload[256];
    for (uint64_t i = 0; i < 24 * 60; i++) { /* a day, a record a minute: 24 segments */
        int n = snprintf(payload, sizeof payload, "%llu %0200llu", (unsigned long long)i,
                         (unsigned long long)(i * 2654435761u)); /* not all alike */
        ck_assert_int_eq(
            pb_run_writer_append(w, (i * 60 + 1) * second, "h", "sys.h", 5, payload, (size_t)n), 0);
    }
    char id[64];
    snprintf(id, sizeof id, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    uint64_t whole = s_run_bytes(id);
    int removed = pb_run_retain(s_store, 0, whole / 2, id);
    ck_assert_int_ge(removed, 10);
    ck_assert_int_le(removed, 14);
    ck_assert_uint_le(s_run_bytes(id), whole / 2);
    uint64_t first = 0;
    int problems = 0;
    uint64_t n = s_read_all(id, &first, &problems);
    ck_assert_int_eq(problems, 0);
    ck_assert_uint_eq(n, (uint64_t)(24 - removed) * 60); /* whole segments, the oldest gone */
    ck_assert_uint_eq(first, ((uint64_t)removed * 3600 + 1) * second);
}
END_TEST

/* A month of records, one a minute, in one run of hourly segments (the
 * recorder's defaults); retention of 7 days keeps every record of the last
 * 7 days and nothing older than the segment holding the cutoff. */
START_TEST(retention_of_7_days_on_a_month_long_store)
{
    const uint64_t minute = 60000000000ull, day = 1440 * minute, total = 30 * 1440;
    uint64_t start = s_now_ns() - 30 * day;
    pb_run_writer_t *w = pb_run_writer_new(s_store, NULL, 0);
    ck_assert_ptr_nonnull(w);
    pb_run_writer_set_seal(w, 3600, 1);
    for (uint64_t i = 0; i < total; i++)
        ck_assert_int_eq(pb_run_writer_append(w, start + i * minute, "h", "sys.h", 5, "x", 1), 0);
    char id[64];
    snprintf(id, sizeof id, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    uint64_t before = s_now_ns();
    int removed = pb_run_retain(s_store, 7, 0, NULL);
    uint64_t after = s_now_ns();
    ck_assert_int_ge(removed, 23 * 24 - 1); /* hourly segments of the first 23 days */
    ck_assert_int_le(removed, 23 * 24 + 1);
    uint64_t first = 0, want = 0;
    for (uint64_t i = 0; i < total; i++)
        want += start + i * minute >= after - 7 * day;
    int problems = 0;
    uint64_t n = s_read_all(id, &first, &problems);
    ck_assert_int_eq(problems, 0);
    ck_assert_uint_ge(n, want);          /* every record of the last 7 days */
    ck_assert_uint_le(n, want + 60 + 1); /* and at most one older segment's */
    char cmd[512], out[64] = "";
    snprintf(cmd, sizeof cmd, "ls %s/%s | grep -c 'pbz$'; ls %s/%s | grep -c 'pbr$'", s_store, id,
             s_store, id);
    FILE *p = popen(cmd, "r");
    size_t got = fread(out, 1, sizeof out - 1, p);
    pclose(p);
    out[got] = '\0';
    unsigned pbz = 0, pbr = 0;
    ck_assert_int_eq(sscanf(out, "%u %u", &pbz, &pbr), 2);
    ck_assert_uint_eq(pbz, pbr); /* the rollups of a removed segment go with it */
    ck_assert_uint_eq(pbz + (unsigned)removed, 30 * 24);
    ck_assert_uint_ge(first, before - 7 * day - 3600000000000ull);
    ck_assert_uint_lt(first, after - 7 * day + minute);
}
END_TEST

/* Appends n records, one a minute from start_ns, of 200 bytes not all alike. */
static void s_append_minutes(pb_run_writer_t *w, uint64_t start_ns, uint64_t n)
{
    char payload[256];
    for (uint64_t i = 0; i < n; i++) {
        int len = snprintf(payload, sizeof payload, "%llu %0200llu", (unsigned long long)i,
                           (unsigned long long)(i * 2654435761u));
        ck_assert_int_eq(pb_run_writer_append(w, start_ns + i * 60000000000ull, "h", "sys.h", 5,
                                              payload, (size_t)len),
                         0);
    }
}

/* Both limits: what the age step removed of a long run no longer counts when the size step
 * runs, so an older run that fits beside what is left stays. */
START_TEST(retention_by_age_then_size_counts_what_age_removed)
{
    const uint64_t hour = 3600000000000ull;
    uint64_t now = s_now_ns();
    pb_run_writer_t *w = pb_run_writer_new(s_store, NULL, 0);
    ck_assert_ptr_nonnull(w);
    s_append_minutes(w, now - hour, 30); /* a small recent run, one open segment */
    char older[64], id[64];
    snprintf(older, sizeof older, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    ck_assert_ptr_nonnull(w = pb_run_writer_new(s_store, NULL, 0));
    pb_run_writer_set_seal(w, 3600, 1);
    s_append_minutes(w, now - 48 * hour, 48 * 60); /* two days of hourly segments */
    snprintf(id, sizeof id, "%s", pb_run_writer_id(w));
    pb_run_writer_destroy(&w);
    uint64_t a = s_run_bytes(older), b = s_run_bytes(id);
    /* a day is older than the day kept: its 24 segments go, about b / 2, and the store then
     * fits in a + 5/8 b; counting them still, the size step removed the older run too */
    int removed = pb_run_retain(s_store, 1.0, a + b / 2 + b / 8, id);
    ck_assert_int_ge(removed, 23);
    ck_assert_int_le(removed, 25);
    ck_assert_uint_eq(s_count_runs(), 2);
    ck_assert_uint_eq(s_run_bytes(older), a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_run");
    TCase *tc = tcase_create("run");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, record_and_read_back_in_order);
    tcase_add_test(tc, metadata_describes_the_run);
    tcase_add_test(tc, filters_by_topic_and_time);
    tcase_add_test(tc, damaged_run_is_still_readable);
    tcase_add_test(tc, missing_run);
    tcase_add_test(tc, run_by_name_in_the_default_store);
    tcase_add_test(tc, default_store_rule);
    tcase_add_test(tc, list_runs_of_a_store);
    tcase_add_test(tc, retention_by_size_keeps_the_current_run);
    tcase_add_test(tc, retention_by_size_trims_a_single_long_run);
    tcase_add_test(tc, retention_by_age);
    tcase_add_test(tc, retention_by_age_then_size_counts_what_age_removed);
    tcase_add_test(tc, store_is_not_world_readable_whatever_the_umask);
    tcase_add_test(tc, rotation_by_time_seals_every_segment);
    tcase_add_test(tc, crash_leftovers_of_a_seal_are_read_once);
    tcase_add_test(tc, retention_of_7_days_on_a_month_long_store);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
