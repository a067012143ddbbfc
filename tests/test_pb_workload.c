/* test_pb_workload: perfbusd's built-in workloads as agent targets, profiled and simulated. */
#include "pb_codec.h"
#include "pb_workload.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static pb_agent_t *s_agent;

static pb_value_t *s_call(pb_value_t *req)
{
    char *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(pb_codec_encode(req, &buf, &len), 0);
    pb_value_destroy(&req);
    void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER); /* no delimiter */
    int linger = 0, timeout = 30000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    ck_assert_int_eq(zmq_connect(sock, pb_agent_endpoint(s_agent)), 0);
    ck_assert_int_ge(zmq_send(sock, buf, len, 0), 0);
    free(buf);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    pb_value_t *reply = NULL;
    if (zmq_msg_recv(&msg, sock, 0) >= 0)
        pb_codec_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &reply, NULL, 0);
    zmq_msg_close(&msg);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    ck_assert_ptr_nonnull(reply);
    return reply;
}

static pb_value_t *s_profile(const char *target, const char *mode, unsigned runs)
{
    pb_value_t *req = pb_value_map_new();
    pb_value_map_put_str(req, "op", "profile");
    pb_value_map_put_str(req, "target", target);
    pb_value_map_put_str(req, "mode", mode);
    pb_value_map_put_uint(req, "runs", runs);
    return s_call(req);
}

static void s_setup(void)
{
    s_agent = pb_agent_new(NULL);
    ck_assert_ptr_nonnull(s_agent);
    ck_assert_int_eq(pb_workload_register_all(s_agent), 0);
    ck_assert_int_eq(pb_workload_register_all(s_agent), -EEXIST);
}

static void s_teardown(void)
{
    pb_agent_destroy(&s_agent);
}

START_TEST(cpu_is_traced_exactly)
{
    pb_value_t *reply = s_profile("cpu", "tracing", 2);
    const pb_value_t *fns = pb_value_path(reply, "tracing.functions");
    uint64_t ncalls = 0;
    for (size_t i = 0; i < pb_value_len(fns); i++) {
        const char *name = NULL;
        pb_value_map_get_str(pb_value_array_at(fns, i), "name", &name);
        if (name && strcmp(name, "s_mix") == 0) /* a static function, named by libdw */
            pb_value_map_get_u64(pb_value_array_at(fns, i), "ncalls", &ncalls);
    }
    ck_assert_uint_eq(ncalls, 2 * 20000);
    pb_value_destroy(&reply);
    reply = s_profile("cpu", "sampling", 1);
    uint64_t received = 0;
    pb_value_map_get_u64(pb_value_map_get(reply, "sampling"), "samples_received", &received);
    ck_assert_uint_gt(received, 0);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(memory_and_io_in_detail)
{
    pb_value_t *reply = s_profile("memory", "detailed", 1);
    const pb_value_t *run = pb_value_array_at(pb_value_path(reply, "detailed.runs"), 0);
    uint64_t before = 0, peak = 0;
    pb_value_map_get_u64(run, "rss_before_bytes", &before);
    pb_value_map_get_u64(run, "rss_peak_bytes", &peak);
    ck_assert_uint_ge(peak, before + (60u << 20));
    pb_value_destroy(&reply);
    reply = s_profile("io", "detailed", 1);
    run = pb_value_array_at(pb_value_path(reply, "detailed.runs"), 0);
    uint64_t written = 0;
    pb_value_map_get_u64(run, "write_bytes", &written);
    ck_assert_uint_ge(written, 8u << 20);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(simulate)
{
    pb_value_t *req = pb_value_map_new();
    pb_value_map_put_str(req, "op", "simulate");
    pb_value_map_put_str(req, "kind", "cpu");
    pb_value_map_put_float(req, "seconds", 0.3);
    pb_value_t *reply = s_call(req);
    const char *mode = NULL;
    double wall = 0;
    ck_assert_int_eq(pb_value_map_get_str(reply, "mode", &mode), 0);
    ck_assert_str_eq(mode, "none");
    ck_assert_int_eq(pb_value_map_get_f64(reply, "wall_s", &wall), 0);
    ck_assert(wall >= 0.29); /* runs until 0.3 s have passed (the sum leaves out the gaps) */
    pb_value_destroy(&reply);
    req = pb_value_map_new();
    pb_value_map_put_str(req, "op", "simulate");
    pb_value_map_put_str(req, "kind", "gpu");
    reply = s_call(req);
    const char *code = NULL;
    pb_value_map_get_str(pb_value_map_get(reply, "error"), "code", &code);
    ck_assert_str_eq(code, "not_found");
    pb_value_destroy(&reply);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_workload");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 90);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, cpu_is_traced_exactly);
    tcase_add_test(tc, memory_and_io_in_detail);
    tcase_add_test(tc, simulate);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
