/* Check suite for pb_metrics: /metrics from the latest payloads held by the history. */
#include "pb_metrics.h"

#include "pb_codec.h"
#include "pb_frame.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

static pb_value_t *s_core(uint64_t id, uint64_t idle, bool id_last)
{
    pb_value_t *c = pb_value_map_new();
    if (!id_last)
        pb_value_map_put_uint(c, "id", id);
    pb_value_map_put_uint(c, "idle_ticks_total", idle);
    pb_value_map_put_float(c, "idle_pct", 50); /* a rate: never exported */
    if (id_last)
        pb_value_map_put_uint(c, "id", id);
    return c;
}

/* A sys frame of host: clk_tck 250, cores 0 and 1 (1 sends its id after its counters). */
static pb_value_t *s_sys(const char *host, uint64_t seq, uint64_t idle, uint64_t avail)
{
    pb_value_t *f = pb_frame_new("sys", host, "src-1", seq, (seq + 1) * SEC);
    pb_value_t *cpu = pb_value_map_new(), *cores = pb_value_array_new();
    pb_value_t *c0 = s_core(0, idle, false), *c1 = s_core(1, idle * 2, true);
    pb_value_array_push(cores, &c0);
    pb_value_array_push(cores, &c1);
    pb_value_map_put_uint(cpu, "clk_tck", 250);
    pb_value_map_put(cpu, "cores", &cores);
    pb_value_map_put(f, "cpu", &cpu);
    pb_value_t *mem = pb_value_map_new();
    pb_value_map_put_uint(mem, "available_bytes", avail);
    pb_value_map_put(f, "mem", &mem);
    return f;
}

static pb_value_t *s_proc(const char *host, uint64_t pid, const char *comm, bool gone)
{
    pb_value_t *f = pb_frame_new("proc", host, "src-1", 9, 5 * SEC);
    if (!gone)
        pb_value_map_put_uint(f, "utime_ticks_total", 500); /* before pid and comm */
    pb_value_map_put_uint(f, "pid", pid);
    pb_value_map_put_str(f, "comm", comm);
    if (gone)
        pb_value_map_put_bool(f, "gone", true);
    return f;
}

typedef struct {
    pb_history_t *history;
    pb_sources_t *sources;
    pb_metrics_t *metrics;
    pb_frame_reader_t *reader;
} s_env_t;

static void s_add(s_env_t *e, pb_value_t *f, uint64_t recv)
{
    char *buf = NULL, err[128];
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(f, &buf, &len), 0);
    pb_value_destroy(&f);
    const pb_frame_view_t *view = NULL;
    ck_assert_int_eq(pb_frame_reader_read(e->reader, buf, len, &view, err, sizeof err), 0);
    pb_sources_note(e->sources, &view->env, len, recv);
    pb_sources_heartbeat(e->sources, view->env.src, SEC, recv); /* judged up/down by a 1 s hb */
    ck_assert_int_eq(pb_history_add_payload(e->history, view, buf, len, recv), 0);
    free(buf);
}

static void s_open(s_env_t *e)
{
    e->history = pb_history_new(NULL);
    e->sources = pb_sources_new();
    e->metrics = pb_metrics_new();
    e->reader = pb_frame_reader_new();
    ck_assert(e->history && e->sources && e->metrics && e->reader);
}

static void s_close(s_env_t *e)
{
    pb_history_destroy(&e->history);
    pb_sources_destroy(&e->sources);
    pb_metrics_destroy(&e->metrics);
    pb_frame_reader_destroy(&e->reader);
}

/* The render as a NUL-terminated copy (the caller frees), or NULL with *rc. */
static char *s_render(s_env_t *e, const char *host, pb_prom_format_t fmt, uint64_t now, int *rc)
{
    pb_metrics_input_t in = {e->history, e->sources, 11, 2222, 3, 4, now, "me"};
    pb_sources_tick(e->sources, now); /* as perfbus-sub's loop does */
    const char *text = NULL;
    size_t len = 0;
    *rc = pb_metrics_render(e->metrics, &in, host, fmt, &text, &len);
    return *rc < 0 ? NULL : strndup(text, len);
}

static size_t s_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(list_items_take_their_labels_and_ticks_their_hosts_clock)
{
    s_env_t e;
    s_open(&e);
    s_add(&e, s_sys("a", 1, 1000, 4096), 1 * SEC);
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(
        strstr(t, "node_cpu_seconds_total{host=\"a\",cpu=\"0\",mode=\"idle\"} 4\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "node_cpu_seconds_total{host=\"a\",cpu=\"1\",mode=\"idle\"} 8\n"));
    ck_assert_ptr_nonnull(strstr(t, "node_memory_MemAvailable_bytes{host=\"a\"} 4096\n"));
    ck_assert_ptr_null(strstr(t, "pct"));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_frames_total{host=\"me\"} 11\n"));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_up{host=\"a\",src=\"src-1\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_host_up{host=\"a\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_host_down_total{host=\"a\"} 0\n"));
    free(t);
    s_close(&e);
}
END_TEST

START_TEST(families_are_grouped_across_hosts_and_only_the_latest_frame_counts)
{
    s_env_t e;
    s_open(&e);
    s_add(&e, s_sys("a", 1, 1000, 1), 1 * SEC);
    s_add(&e, s_sys("b", 1, 250, 2), 1 * SEC);
    s_add(&e, s_sys("a", 2, 2000, 3), 2 * SEC);
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_uint_eq(s_count(t, "# TYPE node_cpu_seconds_total counter\n"), 1);
    ck_assert_uint_eq(s_count(t, "# HELP node_cpu_seconds_total "), 1);
    char *fam = strstr(t, "# TYPE node_cpu_seconds_total");
    char *next = strstr(fam + 1, "# HELP");
    ck_assert_ptr_nonnull(next);
    ck_assert_uint_eq(
        s_count(fam, "node_cpu_seconds_total{") - s_count(next, "node_cpu_seconds_total{"), 4);
    ck_assert_ptr_nonnull(strstr(t, "{host=\"a\",cpu=\"0\",mode=\"idle\"} 8\n"));
    ck_assert_ptr_nonnull(strstr(t, "{host=\"b\",cpu=\"0\",mode=\"idle\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "node_memory_MemAvailable_bytes{host=\"a\"} 3\n"));
    free(t);
    s_close(&e);
}
END_TEST

START_TEST(processes_are_escaped_and_vanish_when_gone)
{
    s_env_t e;
    s_open(&e);
    s_add(&e, s_sys("h", 1, 1000, 1), 1 * SEC);
    s_add(&e, s_proc("h", 42, "ev\"il\\", false), 1 * SEC);
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_ptr_nonnull(strstr(t, "perfbus_process_cpu_seconds_total{host=\"h\",pid=\"42\","
                                    "comm=\"ev\\\"il\\\\\",mode=\"user\"} 2\n"));
    free(t);
    s_add(&e, s_proc("h", 42, "ev\"il\\", true), 2 * SEC);
    t = s_render(&e, NULL, PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_ptr_null(strstr(t, "pid=\"42\""));
    ck_assert_ptr_null(strstr(t, "perfbus_process_"));
    free(t);
    s_close(&e);
}
END_TEST

/* The uname map of a sys frame; without `missing` when it is given. */
static void s_put_uname(pb_value_t *f, const char *missing)
{
    static const char *const kv[][2] = {{"sysname", "Linux"},        {"release", "6.1.0"},
                                        {"version", "#1 SMP \"x\""}, {"machine", "x86_64"},
                                        {"nodename", "box"},         {"domainname", "(none)"}};
    pb_value_t *u = pb_value_map_new();
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (!missing || strcmp(kv[i][0], missing) != 0)
            pb_value_map_put_str(u, kv[i][0], kv[i][1]);
    pb_value_map_put(f, "uname", &u);
}

START_TEST(the_uname_map_is_one_info_series_and_ts_is_the_sys_frames_time)
{
    s_env_t e;
    s_open(&e);
    pb_value_t *f = s_sys("a", 1, 1000, 1); /* ts 2 s */
    s_put_uname(f, NULL);
    s_add(&e, f, 1 * SEC);
    f = s_sys("b", 1, 1000, 1);
    s_put_uname(f, "machine"); /* an attr missing: no series rather than a wrong one */
    s_add(&e, f, 1 * SEC);
    s_add(&e, s_proc("a", 42, "x", false), 1 * SEC); /* ts 5 s: not node_time_seconds */
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE node_uname_info gauge\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "node_uname_info{host=\"a\",domainname=\"(none)\",machine=\"x86_64\",nodename=\"box\","
           "release=\"6.1.0\",sysname=\"Linux\",version=\"#1 SMP \\\"x\\\"\"} 1\n"));
    ck_assert_uint_eq(s_count(t, "node_uname_info{"), 1);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE node_time_seconds gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "node_time_seconds{host=\"a\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "node_time_seconds{host=\"b\"} 2\n"));
    ck_assert_uint_eq(s_count(t, "node_time_seconds{"), 2);
    free(t);
    s_close(&e);
}
END_TEST

START_TEST(one_host_is_served_alone_and_unknown_hosts_are_refused)
{
    s_env_t e;
    s_open(&e);
    s_add(&e, s_sys("a", 1, 1000, 1), 1 * SEC);
    s_add(&e, s_sys("b", 1, 1000, 1), 1 * SEC);
    int rc = 0;
    char *t = s_render(&e, "b", PB_PROM_TEXT, 2 * SEC, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(t, "host=\"a\""));
    ck_assert_ptr_nonnull(strstr(t, "host=\"b\""));
    ck_assert_ptr_null(strstr(t, "perfbus_sub_frames_total"));
    free(t);
    ck_assert_ptr_null(s_render(&e, "c", PB_PROM_TEXT, 2 * SEC, &rc));
    ck_assert_int_eq(rc, -ENOENT);
    s_close(&e);
}
END_TEST

START_TEST(openmetrics_families_drop_total_and_the_text_ends_in_eof)
{
    s_env_t e;
    s_open(&e);
    s_add(&e, s_sys("a", 1, 1000, 1), 1 * SEC);
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_OPENMETRICS, 60 * SEC, &rc);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE node_cpu_seconds counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE perfbus_sub_frames counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "node_cpu_seconds_total{host=\"a\",cpu=\"0\""));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_up{host=\"a\",src=\"src-1\"} 0\n")); /* 59 s */
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_host_up{host=\"a\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE perfbus_sub_host_down counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "perfbus_sub_host_down_total{host=\"a\"} 1\n"));
    size_t n = strlen(t);
    ck_assert(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0);
    free(t);
    s_close(&e);
}
END_TEST

START_TEST(publishers_without_heartbeats_have_no_up_series)
{
    s_env_t e;
    s_open(&e);
    pb_envelope_t env = {1, "prof", "app-host", "agent-1", 0, 1};
    pb_sources_note(e.sources, &env, 10, 1 * SEC); /* an agent: no hb frames */
    int rc = 0;
    char *t = s_render(&e, NULL, PB_PROM_TEXT, 100 * SEC, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(t, "perfbus_sub_up{host=\"app-host\""));
    ck_assert_ptr_null(strstr(t, "perfbus_sub_host_up{host=\"app-host\""));
    ck_assert_ptr_nonnull(strstr(
        t, "perfbus_sub_last_seen_timestamp_seconds{host=\"app-host\",src=\"agent-1\"} 1\n"));
    free(t);
    s_close(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, list_items_take_their_labels_and_ticks_their_hosts_clock);
    tcase_add_test(tc, families_are_grouped_across_hosts_and_only_the_latest_frame_counts);
    tcase_add_test(tc, processes_are_escaped_and_vanish_when_gone);
    tcase_add_test(tc, one_host_is_served_alone_and_unknown_hosts_are_refused);
    tcase_add_test(tc, the_uname_map_is_one_info_series_and_ts_is_the_sys_frames_time);
    tcase_add_test(tc, openmetrics_families_drop_total_and_the_text_ends_in_eof);
    tcase_add_test(tc, publishers_without_heartbeats_have_no_up_series);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
