/* Check suite for pb_events: routing by host, the SSE text, the client bound, the cap, replays. */
#include "pb_events.h"

#include "pb_codec.h"
#include "pb_frame.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

typedef struct {
    int wakes, drops;
} s_notes_t;

static void s_note(void *arg, int what)
{
    s_notes_t *n = arg;
    n->wakes += what == PB_EVENTS_WAKE;
    n->drops += what == PB_EVENTS_DROP;
}

static pb_value_t *s_sys_at(const char *host, uint64_t seq, uint64_t ts, double busy)
{
    pb_value_t *f = pb_frame_new("sys", host, "src", seq, ts);
    pb_value_t *cpu = pb_value_map_new(), *total = pb_value_map_new();
    pb_value_t *cores = pb_value_array_new(), *core = pb_value_map_new();
    pb_value_map_put_float(total, "busy_pct", busy);
    pb_value_map_put_uint(total, "user_ticks_total", 5 * seq); /* a counter: not charted */
    pb_value_map_put_uint(core, "id", 0);
    pb_value_map_put_float(core, "busy_pct", busy / 2);
    pb_value_array_push(cores, &core);
    pb_value_map_put(cpu, "total", &total);
    pb_value_map_put(cpu, "cores", &cores);
    pb_value_map_put(f, "cpu", &cpu);
    return f;
}

static pb_value_t *s_sys(const char *host, uint64_t seq, double busy)
{
    return s_sys_at(host, seq, seq * SEC, busy);
}

/* Encodes f (consumed), reads it as perfbus-sub does, and hands it to history and events. */
static void s_feed(pb_events_t *ev, pb_history_t *h, pb_value_t *f, int64_t lost)
{
    char *buf = NULL, err[128];
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(f, &buf, &len), 0);
    pb_value_destroy(&f);
    pb_frame_reader_t *reader = pb_frame_reader_new();
    const pb_frame_view_t *view = NULL;
    ck_assert_int_eq(pb_frame_reader_read(reader, buf, len, &view, err, sizeof err), 0);
    if (h)
        ck_assert_int_eq(pb_history_add(h, view, view->env.ts), 0);
    pb_events_frame(ev, view, buf, len, lost);
    pb_frame_reader_destroy(&reader);
    free(buf);
}

/* All a client has queued, as a string (static). */
static const char *s_drain(pb_events_client_t *c)
{
    static char out[1 << 16];
    long n = pb_events_read(c, out, sizeof out - 1);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

START_TEST(events_go_to_the_clients_of_their_host)
{
    pb_events_t *ev = pb_events_new(NULL);
    s_notes_t n1 = {0}, n2 = {0}, nall = {0};
    pb_events_client_t *c1 = NULL, *c2 = NULL, *all = NULL;
    ck_assert_int_eq(pb_events_attach(ev, "h1", NULL, NULL, s_note, &n1, &c1), 0);
    ck_assert_int_eq(pb_events_attach(ev, "h2", NULL, NULL, s_note, &n2, &c2), 0);
    ck_assert_int_eq(pb_events_attach(ev, NULL, NULL, NULL, s_note, &nall, &all), 0);
    ck_assert_str_eq(s_drain(c1), "retry: 2000\n\n");
    s_drain(c2);
    s_drain(all);
    s_feed(ev, NULL, s_sys("h1", 7, 42.5), 3);
    const char *t = s_drain(c1);
    ck_assert_msg(strncmp(t, "id: 7\nevent: sys\ndata: {", 24) == 0, "%s", t);
    ck_assert_msg(strstr(t, "\"cpu.total.busy_pct\":42.5") != NULL, "%s", t);
    ck_assert_msg(strstr(t, "\"lost\":3") && strstr(t, "\"lists\":{\"cpu.cores\":[{\"id\":0"), "%s",
                  t);
    ck_assert_msg(strstr(t, "ticks_total") == NULL, "counters are not charted: %s", t);
    ck_assert_str_eq(t + strlen(t) - 3, "}\n\n"); /* one data line, then the blank line */
    ck_assert_str_eq(s_drain(c2), "");
    ck_assert_ptr_nonnull(strstr(s_drain(all), "id: 7\n"));
    ck_assert_int_eq(n1.wakes, 1);
    ck_assert_int_eq(n2.wakes, 0);
    ck_assert_uint_eq(pb_events_counts(ev).events, 1); /* made once for two clients */
    pb_events_detach(&c1);
    pb_events_detach(&c2);
    pb_events_detach(&all);
    ck_assert_uint_eq(pb_events_counts(ev).clients, 0);
    s_feed(ev, NULL, s_sys("h1", 8, 1), 0);
    ck_assert_uint_eq(pb_events_counts(ev).events, 1); /* nothing made for no one */
    pb_events_destroy(&ev);
}
END_TEST

START_TEST(proc_events_carry_the_process)
{
    pb_events_t *ev = pb_events_new(NULL);
    s_notes_t n = {0};
    pb_events_client_t *c = NULL;
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &c), 0);
    s_drain(c);
    pb_value_t *f = pb_frame_new("proc", "h", "src", 9, 9 * SEC);
    pb_value_map_put_uint(f, "pid", 321);
    pb_value_map_put_str(f, "comm", "worker");
    pb_value_map_put_float(f, "cpu_pct", 12.5);
    pb_value_map_put_uint(f, "rss_bytes", 4096);
    s_feed(ev, NULL, f, 0);
    const char *t = s_drain(c);
    ck_assert_msg(strncmp(t, "id: 9\nevent: proc\n", 18) == 0, "%s", t);
    ck_assert_msg(strstr(t, "\"pid\":321") && strstr(t, "\"comm\":\"worker\""), "%s", t);
    ck_assert_msg(strstr(t, "\"cpu_pct\":12.5") && strstr(t, "\"gone\":false"), "%s", t);
    pb_events_detach(&c);
    pb_events_destroy(&ev);
}
END_TEST

/* A client that does not read is dropped when its next event would pass the bound; the one
 * that reads goes on. */
START_TEST(a_client_that_stops_reading_is_dropped)
{
    pb_events_config_t cfg = {.client_bytes = 2048};
    pb_events_t *ev = pb_events_new(&cfg);
    s_notes_t slow_n = {0}, fast_n = {0};
    pb_events_client_t *slow = NULL, *fast = NULL;
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &slow_n, &slow), 0);
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &fast_n, &fast), 0);
    int got = 0;
    for (uint64_t seq = 1; seq <= 40; seq++) {
        s_feed(ev, NULL, s_sys("h", seq, (double)seq), 0);
        char id[32];
        snprintf(id, sizeof id, "id: %llu\n", (unsigned long long)seq);
        got += strstr(s_drain(fast), id) != NULL;
    }
    ck_assert_int_eq(got, 40);
    ck_assert_int_eq(slow_n.drops, 1);
    ck_assert_int_eq(fast_n.drops, 0);
    ck_assert_int_eq(pb_events_read(slow, (char[8]){0}, 8), -1);
    ck_assert_uint_eq(pb_events_counts(ev).dropped, 1);
    pb_events_detach(&slow);
    pb_events_detach(&fast);
    pb_events_destroy(&ev);
}
END_TEST

START_TEST(clients_over_the_cap_are_refused)
{
    pb_events_config_t cfg = {.max_clients = 2};
    pb_events_t *ev = pb_events_new(&cfg);
    s_notes_t n = {0};
    pb_events_client_t *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &a), 0);
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &b), 0);
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &c), -EBUSY);
    ck_assert_uint_eq(pb_events_counts(ev).refused, 1);
    pb_events_detach(&a);
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &c), 0);
    ck_assert_int_eq(pb_events_attach(ev, "h", "x1", NULL, s_note, &n, &a), -EBUSY);
    pb_events_detach(&b);
    ck_assert_int_eq(pb_events_attach(ev, "h", "x1", NULL, s_note, &n, &a), -EINVAL);
    pb_events_detach(&c);
    pb_events_destroy(&ev);
}
END_TEST

/* Last-Event-ID = S: the host's sys rows after seq S come first, from history, in order. */
START_TEST(a_reconnect_replays_what_was_missed)
{
    pb_history_t *h = pb_history_new(NULL);
    pb_events_t *ev = pb_events_new(NULL);
    s_notes_t n = {0};
    pb_events_client_t *c = NULL;
    for (uint64_t seq = 1; seq <= 10; seq++)
        s_feed(ev, h, s_sys("h", seq * 2, (double)seq), 0); /* seqs 2, 4 .. 20 */
    ck_assert_int_eq(pb_events_attach(ev, "h", "12", h, s_note, &n, &c), 0);
    const char *t = s_drain(c);
    const char *at = t;
    for (uint64_t seq = 14; seq <= 20; seq += 2) {
        char id[32];
        snprintf(id, sizeof id, "id: %llu\nevent: sys\n", (unsigned long long)seq);
        const char *next = strstr(at, id);
        ck_assert_msg(next != NULL, "no %s in %s", id, t);
        at = next + 1;
    }
    ck_assert_ptr_null(strstr(t, "id: 12\n"));
    ck_assert_msg(strstr(t, "\"replay\":true") && strstr(t, "\"cpu.total.busy_pct\":10"), "%s", t);
    ck_assert_uint_eq(pb_events_counts(ev).replayed, 4);
    pb_events_detach(&c);
    ck_assert_int_eq(pb_events_attach(ev, "h", "20", h, s_note, &n, &c), 0);
    ck_assert_str_eq(s_drain(c), "retry: 2000\n\n"); /* nothing missed */
    pb_events_detach(&c);
    ck_assert_int_eq(pb_events_attach(ev, "other", "3", h, s_note, &n, &c), 0);
    ck_assert_str_eq(s_drain(c), "retry: 2000\n\n"); /* a host never heard */
    pb_events_detach(&c);
    pb_events_destroy(&ev);
    pb_history_destroy(&h);
}
END_TEST

static pb_value_t *s_proc(const char *host, uint64_t seq, int64_t pid, double cpu, bool gone)
{
    pb_value_t *f = pb_frame_new("proc", host, "src", seq, (seq / 10) * SEC);
    pb_value_map_put_uint(f, "pid", (uint64_t)pid);
    pb_value_map_put_str(f, "comm", "worker");
    if (gone)
        pb_value_map_put_bool(f, "gone", true);
    else {
        pb_value_map_put_float(f, "cpu_pct", cpu);
        pb_value_map_put_uint(f, "utime_ticks_total", 7); /* a counter: left out, as live */
    }
    return f;
}

/* A sample = a sys frame and two proc frames (seqs 10k, 10k+1, 10k+2 at ts k s): a reconnect gets
 * the missed sys and proc events, in seq order, and the exit of a process it missed. */
START_TEST(a_reconnect_replays_the_missed_processes_too)
{
    pb_history_t *h = pb_history_new(NULL);
    pb_events_t *ev = pb_events_new(NULL);
    s_notes_t n = {0};
    pb_events_client_t *c = NULL;
    for (uint64_t k = 1; k <= 5; k++) {
        s_feed(ev, h, s_sys_at("h", 10 * k, k * SEC, (double)k), 0);
        s_feed(ev, h, s_proc("h", 10 * k + 1, 100, 10.0 * k, false), 0);
        s_feed(ev, h, s_proc("h", 10 * k + 2, 200, 20.0 * k, k == 5), 0);
    }
    ck_assert_int_eq(pb_events_attach(ev, "h", "31", h, s_note, &n, &c), 0);
    const char *t = s_drain(c), *at = t;
    static const char *const want[] = {
        "id: 32\nevent: proc", "id: 40\nevent: sys",  "id: 41\nevent: proc", "id: 42\nevent: proc",
        "id: 50\nevent: sys",  "id: 51\nevent: proc", "id: 52\nevent: proc"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *next = strstr(at, want[i]);
        ck_assert_msg(next != NULL, "no %s (in order) in %s", want[i], t);
        at = next + 1;
    }
    ck_assert_ptr_null(strstr(t, "id: 31\n"));
    ck_assert_msg(strstr(t, "\"pid\":100,\"comm\":\"worker\",\"gone\":false") != NULL, "%s", t);
    ck_assert_msg(strstr(t, "\"cpu_pct\":50") && strstr(t, "\"cpu_pct\":60"), "%s", t);
    ck_assert_msg(strstr(t, "\"fields\":{},\"pid\":200,\"comm\":\"worker\",\"gone\":true"),
                  "the exit is replayed: %s", t);
    ck_assert_msg(strstr(t, "ticks_total") == NULL, "counters are left out: %s", t);
    ck_assert_uint_eq(pb_events_counts(ev).replayed, 7);
    pb_events_detach(&c);
    pb_events_destroy(&ev);
    pb_history_destroy(&h);
}
END_TEST

/* max_replay counts samples: the newest two samples' sys and proc events, nothing older. */
START_TEST(a_replay_is_bounded_in_samples)
{
    pb_history_t *h = pb_history_new(NULL);
    pb_events_config_t cfg = {.max_replay = 2};
    pb_events_t *ev = pb_events_new(&cfg);
    s_notes_t n = {0};
    pb_events_client_t *c = NULL;
    for (uint64_t k = 1; k <= 5; k++) {
        s_feed(ev, h, s_sys_at("h", 10 * k, k * SEC, (double)k), 0);
        s_feed(ev, h, s_proc("h", 10 * k + 1, 100, 1, false), 0);
    }
    ck_assert_int_eq(pb_events_attach(ev, "h", "1", h, s_note, &n, &c), 0);
    const char *t = s_drain(c);
    ck_assert_msg(strstr(t, "id: 40\n") && strstr(t, "id: 41\n") && strstr(t, "id: 51\n"), "%s", t);
    ck_assert_msg(strstr(t, "id: 31\n") == NULL && strstr(t, "id: 30\n") == NULL, "%s", t);
    ck_assert_uint_eq(pb_events_counts(ev).replayed, 4);
    pb_events_detach(&c);
    pb_events_destroy(&ev);
    pb_history_destroy(&h);
}
END_TEST

START_TEST(heartbeats_reach_idle_clients)
{
    pb_events_config_t cfg = {.heartbeat_ms = 100};
    pb_events_t *ev = pb_events_new(&cfg);
    s_notes_t n = {0};
    pb_events_client_t *c = NULL;
    ck_assert_int_eq(pb_events_attach(ev, "h", NULL, NULL, s_note, &n, &c), 0);
    s_drain(c);
    pb_events_tick(ev, 1000);
    ck_assert_str_eq(s_drain(c), "");
    pb_events_tick(ev, 1050);
    ck_assert_str_eq(s_drain(c), "");
    pb_events_tick(ev, 1100);
    ck_assert_str_eq(s_drain(c), ": beat\n\n");
    pb_value_t *v = pb_events_value(ev);
    uint64_t clients = 0;
    ck_assert_int_eq(pb_value_map_get_u64(v, "clients", &clients), 0);
    ck_assert_uint_eq(clients, 1);
    pb_value_destroy(&v);
    pb_events_detach(&c);
    pb_events_destroy(&ev);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_events");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, events_go_to_the_clients_of_their_host);
    tcase_add_test(tc, proc_events_carry_the_process);
    tcase_add_test(tc, a_client_that_stops_reading_is_dropped);
    tcase_add_test(tc, clients_over_the_cap_are_refused);
    tcase_add_test(tc, a_reconnect_replays_what_was_missed);
    tcase_add_test(tc, a_reconnect_replays_the_missed_processes_too);
    tcase_add_test(tc, a_replay_is_bounded_in_samples);
    tcase_add_test(tc, heartbeats_reach_idle_clients);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
