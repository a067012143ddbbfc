/* Check suite for pb_sockmon: connection counts from the monitor, and trims after churn only. */
#include "pb_sockmon.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Drains events until `closed` reaches want or 10 s pass. */
static void s_wait_closed(pb_sockmon_t *mon, uint64_t want)
{
    uint64_t accepted = 0, closed = 0, trims = 0;
    zmq_pollitem_t item = {.socket = pb_sockmon_socket(mon), .events = ZMQ_POLLIN};
    for (uint64_t end = s_now_ns() + 10000000000ull; closed < want && s_now_ns() < end;) {
        zmq_poll(&item, 1, 100);
        pb_sockmon_drain(mon);
        pb_sockmon_counts(mon, &accepted, &closed, &trims);
    }
    ck_assert_uint_ge(closed, want);
}

/* Opens n DEALERs to endpoint, waits until each is accepted, closes them. */
static void s_churn(void *ctx, const char *endpoint, pb_sockmon_t *mon, int n)
{
    void **socks = calloc((size_t)n, sizeof *socks);
    int linger = 0;
    for (int i = 0; i < n; i++) {
        socks[i] = zmq_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(socks[i], ZMQ_LINGER, &linger, sizeof linger);
        ck_assert_int_eq(zmq_connect(socks[i], endpoint), 0);
    }
    uint64_t accepted = 0, closed = 0, trims = 0, before = 0;
    pb_sockmon_counts(mon, &before, &closed, &trims);
    zmq_pollitem_t item = {.socket = pb_sockmon_socket(mon), .events = ZMQ_POLLIN};
    for (uint64_t end = s_now_ns() + 10000000000ull;
         accepted < before + (uint64_t)n && s_now_ns() < end;) {
        zmq_poll(&item, 1, 100);
        pb_sockmon_drain(mon);
        pb_sockmon_counts(mon, &accepted, &closed, &trims);
    }
    ck_assert_uint_eq(accepted, before + (uint64_t)n);
    ck_assert_uint_ge(pb_sockmon_live(mon), (size_t)n);
    for (int i = 0; i < n; i++)
        zmq_close(socks[i]);
    free(socks);
}

START_TEST(counts_connections_and_trims_after_churn_only)
{
    char dir[] = "/tmp/pb_sockmon_XXXXXX", endpoint[96];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(endpoint, sizeof endpoint, "ipc://%s/r", dir);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    pb_sockmon_t *mon = pb_sockmon_new(ctx, router);
    ck_assert_ptr_nonnull(mon);
    ck_assert_int_eq(zmq_bind(router, endpoint), 0);

    s_churn(ctx, endpoint, mon, 8); /* a few connections: no trim */
    s_wait_closed(mon, 8);
    ck_assert(!pb_sockmon_tick(mon, s_now_ns()));
    ck_assert_int_eq(pb_sockmon_wait_ms(mon, s_now_ns()), -1); /* a sleeper may sleep */

    s_churn(ctx, endpoint, mon, PB_SOCKMON_TRIM_CHURN); /* a storm: one trim now */
    s_wait_closed(mon, 8 + PB_SOCKMON_TRIM_CHURN);
    uint64_t now = s_now_ns();
    ck_assert_int_eq(pb_sockmon_wait_ms(mon, now), 1); /* due at once */
    ck_assert(pb_sockmon_tick(mon, now));
    ck_assert(!pb_sockmon_tick(mon, now + 1)); /* at most one per period */
    uint64_t period = PB_SOCKMON_TRIM_PERIOD_MS * 1000000ull;
    ck_assert_int_eq(pb_sockmon_wait_ms(mon, now), PB_SOCKMON_TRIM_PERIOD_MS); /* the next look */
    ck_assert(!pb_sockmon_tick(mon, now + period)); /* no close since: the storm is over */
    ck_assert_int_eq(pb_sockmon_wait_ms(mon, now + period), -1);
    ck_assert_uint_eq(pb_sockmon_live(mon), 0);

    uint64_t accepted, closed, trims;
    pb_sockmon_counts(mon, &accepted, &closed, &trims);
    ck_assert_uint_eq(trims, 1);
    pb_sockmon_destroy(&mon);
    pb_sockmon_destroy(&mon);
    zmq_close(router);
    zmq_ctx_term(ctx);
    snprintf(endpoint, sizeof endpoint, "%s/r", dir);
    unlink(endpoint);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sockmon");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, counts_connections_and_trims_after_churn_only);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
