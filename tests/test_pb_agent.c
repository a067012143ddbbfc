/* test_pb_agent: the agent in-process over a real socket — registry, ops, sections, errors. */
#include "pb_rpc.h"
#include "perfbus.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long s_sink;

__attribute__((noinline)) void agt_step(void)
{
    s_sink++;
}

static void agt_target(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        agt_step();
}

/* One request over a fresh REQ socket (pb_rpc_call); the decoded reply, or NULL on timeout. */
static pb_value_t *s_call(const pb_agent_t *agent, pb_value_t *req)
{
    pb_value_t *reply = NULL;
    pb_rpc_call(pb_agent_endpoint(agent), &req, 20000, &reply, NULL, 0);
    return reply;
}

static pb_value_t *s_req(const char *op, const char *key, const char *value)
{
    pb_value_t *req = pb_value_map_new();
    pb_value_map_put_str(req, "op", op);
    if (key)
        pb_value_map_put_str(req, key, value);
    return req;
}

static const char *s_code(const pb_value_t *reply)
{
    const char *code = "";
    pb_value_map_get_str(pb_value_map_get(reply, "error"), "code", &code);
    return code;
}

static int s_calls = 1234;
static pb_agent_t *s_agent;

static void s_setup(void)
{
    s_agent = pb_agent_new(NULL);
    ck_assert_ptr_nonnull(s_agent);
    ck_assert_int_eq(pb_agent_register(s_agent, "steps", agt_target, &s_calls, 0, "1234 steps"), 0);
}

static void s_teardown(void)
{
    pb_agent_destroy(&s_agent);
    ck_assert_ptr_null(s_agent);
}

START_TEST(registry)
{
    ck_assert_int_eq(pb_agent_register(s_agent, "steps", agt_target, NULL, 0, NULL), -EEXIST);
    ck_assert_int_eq(pb_agent_register(s_agent, "", agt_target, NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(pb_agent_register(s_agent, "nofn", NULL, NULL, 0, NULL), -EINVAL);
    char *empty[] = {NULL};
    ck_assert_int_eq(pb_agent_register_command(s_agent, "cmd", empty, NULL), -EINVAL);
    char *argv[] = {"true", NULL};
    ck_assert_int_eq(pb_agent_register_command(s_agent, "cmd", argv, "runs true"), 0);
    ck_assert_int_eq(pb_agent_register_command(s_agent, "cmd", argv, NULL), -EEXIST);
    ck_assert_ptr_eq(strstr(pb_agent_endpoint(s_agent), "tcp://127.0.0.1:"),
                     pb_agent_endpoint(s_agent));
    ck_assert_ptr_nonnull(strstr(pb_agent_pub_endpoint(s_agent), "tcp://127.0.0.1:"));
    pb_value_t *reply = s_call(s_agent, s_req("targets", NULL, NULL));
    ck_assert_uint_eq(pb_value_len(pb_value_map_get(reply, "targets")), 2);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(health_and_tracing)
{
    pb_value_t *reply = s_call(s_agent, s_req("health", NULL, NULL));
    const char *status = NULL;
    ck_assert_int_eq(pb_value_map_get_str(reply, "status", &status), 0);
    ck_assert_str_eq(status, "ok");
    pb_value_destroy(&reply);
    pb_value_t *req = s_req("profile", "target", "steps");
    pb_value_map_put_str(req, "mode", "tracing");
    pb_value_map_put_uint(req, "runs", 3);
    reply = s_call(s_agent, req);
    const pb_value_t *fns = pb_value_path(reply, "tracing.functions");
    uint64_t ncalls = 0;
    for (size_t i = 0; i < pb_value_len(fns); i++) {
        const char *name = NULL;
        pb_value_map_get_str(pb_value_array_at(fns, i), "name", &name);
        if (name && strcmp(name, "agt_step") == 0)
            pb_value_map_get_u64(pb_value_array_at(fns, i), "ncalls", &ncalls);
    }
    ck_assert_uint_eq(ncalls, 3 * 1234);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(bad_requests)
{
    pb_value_t *reply = s_call(s_agent, s_req("profile", "target", "nope"));
    ck_assert_str_eq(s_code(reply), "not_found");
    pb_value_destroy(&reply);
    pb_value_t *req = s_req("profile", "target", "steps");
    pb_value_map_put_uint(req, "runs", 0);
    reply = s_call(s_agent, req);
    ck_assert_str_eq(s_code(reply), "bad_arg");
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "cmd"));
    ck_assert_str_eq(s_code(reply), "not_found");
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("frobnicate", NULL, NULL));
    ck_assert_str_eq(s_code(reply), "unknown_op");
    pb_value_destroy(&reply);
    reply = s_call(s_agent, pb_value_array_new());
    ck_assert_str_eq(s_code(reply), "not_a_map");
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(armed_section)
{
    pb_value_t *req = s_req("arm", "section", "handler");
    pb_value_map_put_uint(req, "count", 3);
    pb_value_map_put_str(req, "mode", "tracing");
    pb_value_t *reply = s_call(s_agent, req);
    uint64_t id = 0;
    ck_assert_int_eq(pb_value_map_get_u64(reply, "id", &id), 0);
    pb_value_destroy(&reply);
    ck_assert_int_eq(pb_agent_section_begin(s_agent, "other"), 0); /* not armed: not profiled */
    for (int i = 0; i < 3; i++) {
        int token = pb_agent_section_begin(s_agent, "handler");
        ck_assert_int_eq(token, 1);
        agt_step();
        pb_agent_section_end(s_agent, token);
    }
    ck_assert_int_eq(pb_agent_section_begin(s_agent, "handler"), 0); /* count reached */
    const char *state = "";
    for (int tries = 0; tries < 100 && strcmp(state, "done") != 0; tries++) {
        pb_value_destroy(&reply);
        pb_value_t *q = pb_value_map_new();
        pb_value_map_put_str(q, "op", "results");
        pb_value_map_put_uint(q, "id", id);
        reply = s_call(s_agent, q);
        pb_value_map_get_str(reply, "state", &state);
        if (strcmp(state, "done") != 0)
            usleep(20000);
    }
    ck_assert_str_eq(state, "done");
    uint64_t runs = 0;
    pb_value_map_get_u64(reply, "runs_done", &runs);
    ck_assert_uint_eq(runs, 3);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(outside_a_profile)
{
    ck_assert_int_eq(pb_agent_thread_join(), 0);
    pb_agent_thread_leave(0);
    ck_assert_int_eq(pb_agent_section_begin(NULL, "x"), 0);
    pb_agent_section_end(NULL, 1);
    pb_agent_config_t bad = {.endpoint = "nonsense://here"};
    ck_assert_ptr_null(pb_agent_new(&bad));
    pb_agent_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_agent");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_add_test(tc, registry);
    tcase_add_test(tc, health_and_tracing);
    tcase_add_test(tc, bad_requests);
    tcase_add_test(tc, armed_section);
    tcase_add_test(tc, outside_a_profile);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
