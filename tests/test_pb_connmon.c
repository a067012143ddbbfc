/* Check suite for pb_connmon: endpoint states from a real SUB socket's monitor events. */
#include "pb_connmon.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The state of endpoint i in the monitor's value ("" when absent). */
static const char *s_state(pb_connmon_t *mon, size_t i, uint64_t *handshakes)
{
    static char state[32];
    pb_value_t *v = pb_connmon_value(mon, s_now_ns());
    const char *s = "";
    state[0] = '\0';
    if (i < pb_value_len(v) && pb_value_map_get_str(pb_value_array_at(v, i), "state", &s) == 0) {
        snprintf(state, sizeof state, "%s", s);
        pb_value_map_get_u64(pb_value_array_at(v, i), "handshakes", handshakes);
    }
    pb_value_destroy(&v);
    return state;
}

START_TEST(endpoints_go_up_or_stay_connecting)
{
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(ctx, ZMQ_SUB);
    char live[64], dead[64];
    size_t len = sizeof live;
    ck_assert_int_eq(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
    ck_assert_int_eq(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, live, &len), 0);
    snprintf(dead, sizeof dead, "ipc:///nonexistent-dir-%d/nobody", (int)getpid());
    const char *eps[] = {live, dead};
    pb_connmon_t *mon = pb_connmon_new(ctx, sub, eps, 2);
    ck_assert_ptr_nonnull(mon);
    ck_assert_int_eq(zmq_connect(sub, live), 0);
    ck_assert_int_eq(zmq_connect(sub, dead), 0);
    uint64_t handshakes = 0;
    for (int i = 0; i < 500 && strcmp(s_state(mon, 0, &handshakes), "up") != 0; i++) {
        zmq_pollitem_t item = {pb_connmon_socket(mon), 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, 10);
        pb_connmon_drain(mon, s_now_ns());
    }
    ck_assert_str_eq(s_state(mon, 0, &handshakes), "up");
    ck_assert_uint_eq(handshakes, 1);
    ck_assert_str_eq(s_state(mon, 1, &handshakes), "connecting");
    pb_value_t *v = pb_connmon_value(mon, s_now_ns());
    const char *ep = NULL;
    ck_assert_int_eq(pb_value_map_get_str(pb_value_array_at(v, 1), "endpoint", &ep), 0);
    ck_assert_str_eq(ep, dead);
    pb_value_destroy(&v);
    pb_connmon_destroy(&mon);
    pb_connmon_destroy(&mon); /* NULL is fine */
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(sub);
    zmq_close(pub);
    zmq_ctx_term(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_connmon");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, endpoints_go_up_or_stay_connecting);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
