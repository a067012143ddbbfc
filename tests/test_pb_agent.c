/* test_pb_agent: the agent in-process over a real socket — registry, ops, sections, errors. */
#include "pb_agent_local.h"
#include "pb_rpc.h"
#include "perfbus.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

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

/* ---- deadlines: arm expiry, cancel, the reaper (an agent with a 0.2 s grace) ---- */

static int s_gate[2] = {-1, -1}; /* a blocked target or section waits to read a byte */

static void agt_blocked(void *arg)
{
    (void)arg;
    char c;
    if (read(s_gate[0], &c, 1) < 0) {
        /* the test ended: return anyway */
    }
}

static void s_setup_fast(void)
{
    pb_agent_config_t cfg = {.timeout_grace_s = 0.2};
    s_agent = pb_agent_new(&cfg);
    ck_assert_ptr_nonnull(s_agent);
    ck_assert_int_eq(pb_agent_register(s_agent, "steps", agt_target, &s_calls, 0, "1234 steps"), 0);
    ck_assert_int_eq(pb_agent_register(s_agent, "blocked", agt_blocked, NULL, 0, "blocks"), 0);
    ck_assert_int_eq(pipe(s_gate), 0);
}

static void s_open_gate(void)
{
    if (s_gate[1] >= 0 && write(s_gate[1], "xxxx", 4) < 0)
        ck_abort_msg("cannot open the gate");
}

static void s_teardown_fast(void)
{
    s_open_gate();
    s_teardown();
    close(s_gate[0]);
    close(s_gate[1]);
    s_gate[0] = s_gate[1] = -1;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pb_value_t *s_arm(const char *section, unsigned count, double max_seconds)
{
    pb_value_t *req = s_req("arm", "section", section);
    pb_value_map_put_uint(req, "count", count);
    pb_value_map_put_str(req, "mode", "sampling");
    if (max_seconds > 0)
        pb_value_map_put_float(req, "max_seconds", max_seconds);
    return s_call(s_agent, req);
}

static uint64_t s_id(const pb_value_t *reply)
{
    uint64_t id = 0;
    ck_assert_msg(pb_value_map_get_u64(reply, "id", &id) == 0, "reply without an id");
    return id;
}

/* Polls {op: results, id} until its state is not armed/queued/running. */
static pb_value_t *s_wait_result(uint64_t id, double timeout_s)
{
    double end = s_now() + timeout_s;
    for (;;) {
        pb_value_t *q = pb_value_map_new();
        pb_value_map_put_str(q, "op", "results");
        pb_value_map_put_uint(q, "id", id);
        pb_value_t *reply = s_call(s_agent, q);
        const char *state = "";
        pb_value_map_get_str(reply, "state", &state);
        bool pending =
            !strcmp(state, "armed") || !strcmp(state, "queued") || !strcmp(state, "running");
        if (!pending || s_now() > end)
            return reply;
        pb_value_destroy(&reply);
        usleep(20000);
    }
}

static void s_assert_str(const pb_value_t *map, const char *key, const char *want)
{
    const char *got = "(absent)";
    pb_value_map_get_str(map, key, &got);
    ck_assert_str_eq(got, want);
}

static uint64_t s_u64(const pb_value_t *map, const char *key)
{
    uint64_t v = 0;
    pb_value_map_get_u64(map, key, &v);
    return v;
}

START_TEST(arm_of_a_missing_section_expires)
{
    pb_value_t *reply = s_arm("no-such-section", 2, 0.3);
    uint64_t id = s_id(reply);
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    ck_assert_str_eq(s_code(reply), "busy"); /* armed: the profiler is taken until it expires */
    pb_value_destroy(&reply);
    reply = s_wait_result(id, 10);
    s_assert_str(reply, "state", "done");
    s_assert_str(reply, "stopped", "expired");
    ck_assert_uint_eq(s_u64(reply, "runs_done"), 0);
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done"); /* not busy: the agent is free again */
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(arm_max_seconds_keeps_the_executions_seen)
{
    double t0 = s_now();
    pb_value_t *reply = s_arm("handler", 5, 1.0);
    uint64_t id = s_id(reply);
    double max_s = 0;
    pb_value_map_get_f64(reply, "max_seconds", &max_s);
    ck_assert_double_eq_tol(max_s, 1.0, 1e-9);
    pb_value_destroy(&reply);
    for (int i = 0; i < 2; i++) {
        int token = pb_agent_section_begin(s_agent, "handler");
        ck_assert_int_eq(token, 1);
        agt_target(&s_calls);
        pb_agent_section_end(s_agent, token);
    }
    reply = s_wait_result(id, 20);
    double took = s_now() - t0;
    s_assert_str(reply, "state", "done");
    s_assert_str(reply, "stopped", "expired");
    ck_assert_uint_eq(s_u64(reply, "runs_done"), 2);
    ck_assert_uint_eq(s_u64(reply, "count"), 5);
    ck_assert_msg(took >= 0.9, "expired after %.3f s, before its max_seconds of 1 s", took);
    pb_value_destroy(&reply);
    ck_assert_int_eq(pb_agent_section_begin(s_agent, "handler"), 0); /* no longer armed */
}
END_TEST

START_TEST(arm_max_seconds_is_checked)
{
    pb_value_t *reply = s_arm("handler", 1, 1e6);
    ck_assert_str_eq(s_code(reply), "refused");
    pb_value_destroy(&reply);
    pb_value_t *req = s_req("arm", "section", "handler");
    pb_value_map_put_str(req, "max_seconds", "soon");
    reply = s_call(s_agent, req);
    ck_assert_str_eq(s_code(reply), "bad_arg");
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(cancel_frees_the_agent_at_once)
{
    pb_value_t *reply = s_call(s_agent, s_req("cancel", NULL, NULL));
    ck_assert_str_eq(s_code(reply), "not_found"); /* nothing to cancel */
    pb_value_destroy(&reply);
    reply = s_arm("handler", 10, 30);
    uint64_t id = s_id(reply);
    pb_value_destroy(&reply);
    int token = pb_agent_section_begin(s_agent, "handler");
    agt_target(&s_calls);
    pb_agent_section_end(s_agent, token);
    pb_value_t *req = s_req("cancel", NULL, NULL);
    pb_value_map_put_uint(req, "id", id + 100);
    reply = s_call(s_agent, req);
    ck_assert_str_eq(s_code(reply), "not_found"); /* not the current job */
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("cancel", NULL, NULL));
    s_assert_str(reply, "state", "cancelled");
    s_assert_str(reply, "section", "handler");
    ck_assert_uint_eq(s_u64(reply, "id"), id);
    ck_assert_uint_eq(s_u64(reply, "done"), 1);
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done"); /* at once, long before the arm's 30 s */
    pb_value_destroy(&reply);
    reply = s_wait_result(id, 10);
    s_assert_str(reply, "stopped", "cancelled");
    ck_assert_uint_eq(s_u64(reply, "runs_done"), 1);
    pb_value_destroy(&reply);
}
END_TEST

/* A section execution that says it has begun, then blocks until the gate opens. */
static pthread_mutex_t s_entered_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_entered_cond = PTHREAD_COND_INITIALIZER;
static int s_entered;

static void *s_blocked_section(void *arg)
{
    (void)arg;
    int token = pb_agent_section_begin(s_agent, "handler");
    pthread_mutex_lock(&s_entered_lock);
    s_entered = 1;
    pthread_cond_signal(&s_entered_cond);
    pthread_mutex_unlock(&s_entered_lock);
    agt_blocked(NULL);
    pb_agent_section_end(s_agent, token);
    return (void *)(intptr_t)token;
}

static void s_start_blocked_section(pthread_t *th)
{
    s_entered = 0;
    ck_assert_int_eq(pthread_create(th, NULL, s_blocked_section, NULL), 0);
    pthread_mutex_lock(&s_entered_lock);
    while (!s_entered)
        pthread_cond_wait(&s_entered_cond, &s_entered_lock);
    pthread_mutex_unlock(&s_entered_lock);
}

/* A request from another thread (the reply is its return value). */
static void *s_call_async(void *req)
{
    return s_call(s_agent, req);
}

START_TEST(a_section_stuck_past_deadline_and_grace_is_reaped)
{
    pb_value_t *reply = s_arm("handler", 1, 0.3);
    uint64_t id = s_id(reply);
    pb_value_destroy(&reply);
    pthread_t th;
    s_start_blocked_section(&th);
    reply = s_wait_result(id, 10); /* 0.3 s + 0.2 s grace */
    s_assert_str(reply, "state", "failed");
    ck_assert_str_eq(s_code(reply), "timeout");
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done"); /* while the section still blocks */
    pb_value_destroy(&reply);
    s_open_gate(); /* the section ends late: it frees the session it kept */
    void *token = NULL;
    pthread_join(th, &token);
    ck_assert_int_eq((int)(intptr_t)token, 1);
    reply = s_call(s_agent, s_req("health", NULL, NULL));
    s_assert_str(reply, "status", "ok");
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(cancel_during_a_section_execution)
{
    pb_value_t *reply = s_arm("handler", 3, 30);
    uint64_t id = s_id(reply);
    pb_value_destroy(&reply);
    pthread_t th;
    s_start_blocked_section(&th);
    reply = s_call(s_agent, s_req("cancel", NULL, NULL));
    s_assert_str(reply, "state", "cancelled");
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done");
    pb_value_destroy(&reply);
    reply = s_wait_result(id, 5);
    s_assert_str(reply, "state", "failed");
    ck_assert_str_eq(s_code(reply), "cancelled");
    pb_value_destroy(&reply);
    s_open_gate();
    pthread_join(th, NULL);
}
END_TEST

START_TEST(a_hung_target_past_deadline_frees_the_profiler)
{
    pb_value_t *req = s_req("profile", "target", "blocked");
    pb_value_map_put_float(req, "max_seconds", 0.2);
    pb_value_map_put_str(req, "clock", "wall");
    pb_value_t *reply = s_call(s_agent, req);
    ck_assert_str_eq(s_code(reply), "timeout"); /* at 0.2 s + 0.2 s grace */
    uint64_t id = s_id(reply);
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "blocked"));
    ck_assert_str_eq(s_code(reply), "busy"); /* that target still runs */
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done"); /* others do not wait for it */
    pb_value_destroy(&reply);
    s_open_gate();
    reply = s_wait_result(id, 10);
    s_assert_str(reply, "state", "done"); /* kept once it returns */
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done");
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(cancel_a_running_profile)
{
    pb_value_t *req = s_req("profile", "target", "blocked");
    pb_value_map_put_uint(req, "runs", 5);
    pb_value_map_put_float(req, "max_seconds", 30);
    pb_value_t *reply = NULL;
    pthread_t th; /* the profile's client waits on its own thread */
    ck_assert_int_eq(pthread_create(&th, NULL, s_call_async, req), 0);
    for (int tries = 0; tries < 500; tries++) {
        pb_value_destroy(&reply);
        reply = s_call(s_agent, s_req("health", NULL, NULL));
        bool busy = false;
        pb_value_get_bool(pb_value_map_get(reply, "busy"), &busy);
        if (busy)
            break;
        usleep(10000);
    }
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("cancel", NULL, NULL));
    s_assert_str(reply, "state", "cancelled");
    s_assert_str(reply, "target", "blocked");
    bool in_run = false;
    pb_value_get_bool(pb_value_map_get(reply, "run_in_progress"), &in_run);
    ck_assert(in_run);
    pb_value_destroy(&reply);
    reply = s_call(s_agent, s_req("profile", "target", "steps"));
    s_assert_str(reply, "state", "done"); /* free although the run goes on */
    pb_value_destroy(&reply);
    s_open_gate();
    void *out = NULL;
    pthread_join(th, &out);
    reply = out;
    s_assert_str(reply, "stopped", "cancelled"); /* the client gets the one run done */
    ck_assert_uint_eq(s_u64(reply, "runs_done"), 1);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(targets_described_in_process)
{
    pb_value_t *list = pb_agent_targets_describe(s_agent);
    ck_assert_uint_eq(pb_value_len(list), 2);
    s_assert_str(pb_value_array_at(list, 0), "name", "steps");
    s_assert_str(pb_value_array_at(list, 1), "kind", "function");
    pb_value_destroy(&list);
    pb_value_t *reply = s_arm("handler", 1, 30); /* busy does not matter */
    list = pb_agent_targets_describe(s_agent);
    ck_assert_uint_eq(pb_value_len(list), 2);
    pb_value_destroy(&list);
    pb_value_destroy(&reply);
}
END_TEST

/* A REQ socket that stays connected; true once `health` is answered on it. */
static bool s_health_on(void *sock)
{
    if (zmq_send(sock, "\x81\xa2op\xa6health", 11, ZMQ_DONTWAIT) < 0)
        return false;
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    char buf[512];
    return zmq_poll(&item, 1, 5000) == 1 && zmq_recv(sock, buf, sizeof buf, 0) > 0;
}

START_TEST(connections_over_the_cap_are_refused)
{
    setenv("PERFBUS_MAX_CONNECTIONS", "2", 1);
    pb_agent_t *agent = pb_agent_new(NULL);
    unsetenv("PERFBUS_MAX_CONNECTIONS");
    ck_assert_ptr_nonnull(agent);
    void *ctx = zmq_ctx_new(), *held[2];
    int linger = 0;
    for (int i = 0; i < 2; i++) {
        held[i] = zmq_socket(ctx, ZMQ_REQ);
        zmq_setsockopt(held[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(held[i], pb_agent_endpoint(agent));
        ck_assert(s_health_on(held[i]));
    }
    pb_value_t *req = s_req("health", NULL, NULL), *reply = NULL;
    ck_assert_int_lt(pb_rpc_call(pb_agent_endpoint(agent), &req, 1000, &reply, NULL, 0), 0);
    ck_assert_ptr_null(reply);
    ck_assert(s_health_on(held[0])); /* the admitted ones are still served */
    zmq_close(held[1]);
    bool in = false; /* the close is counted: a newcomer is admitted again */
    for (double end = s_now() + 5; !in && s_now() < end;) {
        req = s_req("health", NULL, NULL);
        in = pb_rpc_call(pb_agent_endpoint(agent), &req, 500, &reply, NULL, 0) == 0;
        pb_value_destroy(&reply);
    }
    ck_assert(in);
    zmq_close(held[0]);
    zmq_ctx_term(ctx);
    pb_agent_destroy(&agent);
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
    TCase *dl = tcase_create("deadlines");
    tcase_set_timeout(dl, 60);
    tcase_add_checked_fixture(dl, s_setup_fast, s_teardown_fast);
    tcase_add_test(dl, arm_of_a_missing_section_expires);
    tcase_add_test(dl, arm_max_seconds_keeps_the_executions_seen);
    tcase_add_test(dl, arm_max_seconds_is_checked);
    tcase_add_test(dl, cancel_frees_the_agent_at_once);
    tcase_add_test(dl, a_section_stuck_past_deadline_and_grace_is_reaped);
    tcase_add_test(dl, cancel_during_a_section_execution);
    tcase_add_test(dl, a_hung_target_past_deadline_frees_the_profiler);
    tcase_add_test(dl, cancel_a_running_profile);
    tcase_add_test(dl, targets_described_in_process);
    tcase_add_test(dl, connections_over_the_cap_are_refused);
    suite_add_tcase(s, dl);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
