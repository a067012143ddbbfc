/* Check suite for pb_rpc: request validation and replies over a real ROUTER socket. */
#include "pb_codec.h"
#include "pb_rpc.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static void *s_ctx;
static void *s_router;
static char s_endpoint[128];
static char s_dir[64];
static volatile int s_stop;
static pthread_t s_thread;

static pb_value_t *s_echo(void *arg, const char *op, const pb_value_t *request)
{
    (void)arg, (void)request;
    if (strcmp(op, "echo") != 0)
        return pb_rpc_error("unknown_op", "unknown op '%s'", op);
    pb_value_t *reply = pb_rpc_ok();
    pb_value_map_put_str(reply, "op", op);
    return reply;
}

/* "later" is answered on the next loop turn, as a long job would be. */
static pb_rpc_peer_t *s_waiting;

static pb_value_t *s_deferring(void *arg, const char *op, const pb_value_t *request,
                               const pb_rpc_peer_t *peer, bool *deferred)
{
    if (strcmp(op, "later") != 0)
        return s_echo(arg, op, request);
    s_waiting = pb_rpc_peer_dup(peer);
    *deferred = true;
    return NULL;
}

static void s_answer_waiting(void)
{
    if (!s_waiting)
        return;
    pb_value_t *reply = pb_rpc_ok();
    pb_value_map_put_str(reply, "op", "later");
    ck_assert_int_eq(pb_rpc_reply(s_router, s_waiting, reply), 0);
    pb_value_destroy(&reply);
    pb_rpc_peer_destroy(&s_waiting);
    ck_assert_ptr_null(s_waiting);
}

static void *s_serve(void *arg)
{
    (void)arg;
    zmq_pollitem_t item = {.socket = s_router, .events = ZMQ_POLLIN};
    while (!s_stop) {
        if (zmq_poll(&item, 1, 20) > 0)
            while (pb_rpc_serve_one_deferring(s_router, s_deferring, NULL) == 0)
                ;
        s_answer_waiting();
    }
    return NULL;
}

static void s_setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/pb_rpc_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
    snprintf(s_endpoint, sizeof s_endpoint, "ipc://%s/ctl", s_dir);
    s_ctx = zmq_ctx_new();
    s_router = zmq_socket(s_ctx, ZMQ_ROUTER);
    ck_assert_int_eq(pb_rpc_limit_socket(s_router, PB_RPC_REQUESTS), 0);
    ck_assert_int_eq(zmq_bind(s_router, s_endpoint), 0);
    s_stop = 0;
    pthread_create(&s_thread, NULL, s_serve, NULL);
}

static void s_teardown(void)
{
    s_stop = 1;
    pthread_join(s_thread, NULL);
    zmq_close(s_router);
    zmq_ctx_term(s_ctx);
    char path[128];
    snprintf(path, sizeof path, "%s/ctl", s_dir);
    unlink(path);
    rmdir(s_dir);
}

/* Sends raw parts from a DEALER (no delimiter) and returns the decoded reply. */
static pb_value_t *s_dealer_exchange(const void *const *parts, const size_t *lens, int n)
{
    void *dealer = zmq_socket(s_ctx, ZMQ_DEALER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_connect(dealer, s_endpoint);
    for (int i = 0; i < n; i++)
        zmq_send(dealer, parts[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    ck_assert_int_ge(zmq_msg_recv(&msg, dealer, 0), 0);
    pb_value_t *reply = NULL;
    ck_assert_int_eq(pb_codec_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &reply, NULL, 0), 0);
    zmq_msg_close(&msg);
    zmq_close(dealer);
    return reply;
}

static void s_assert_code(pb_value_t *reply, const char *code)
{
    const char *got = NULL;
    ck_assert_int_eq(pb_value_map_get_str(pb_value_map_get(reply, "error"), "code", &got), 0);
    ck_assert_str_eq(got, code);
    const char *message = NULL;
    ck_assert_int_eq(pb_value_map_get_str(pb_value_map_get(reply, "error"), "message", &message),
                     0);
    ck_assert_int_gt(strlen(message), 0);
}

static void s_message(pb_value_t *reply, char *out, size_t size)
{
    const char *message = "";
    pb_value_map_get_str(pb_value_map_get(reply, "error"), "message", &message);
    snprintf(out, size, "%s", message);
}

static pb_value_t *s_raw(const void *payload, size_t len)
{
    const void *parts[] = {payload};
    size_t lens[] = {len};
    return s_dealer_exchange(parts, lens, 1);
}

/* After a bad request the socket must go on serving: an echo gets {ok: true}. */
static void s_assert_still_serving(void)
{
    pb_value_t *r = s_raw("\x81\xa2op\xa4"
                          "echo",
                          9);
    bool ok = false;
    pb_value_get_bool(pb_value_map_get(r, "ok"), &ok);
    ck_assert(ok);
    pb_value_destroy(&r);
}

START_TEST(req_client_gets_handler_reply)
{
    pb_value_t *req = pb_value_map_new(), *reply = NULL;
    pb_value_map_put_str(req, "op", "echo");
    char err[128];
    ck_assert_int_eq(pb_rpc_call(s_endpoint, &req, 5000, &reply, err, sizeof err), 0);
    ck_assert_ptr_null(req);
    bool ok = false;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok), 0);
    ck_assert(ok);
    pb_value_destroy(&reply);
}
END_TEST

START_TEST(every_bad_request_gets_its_code)
{
    pb_value_t *r;
    r = s_raw("\xc1", 1);
    s_assert_code(r, "bad_msgpack");
    pb_value_destroy(&r);
    r = s_raw("\x82\xa2op", 4); /* truncated map */
    s_assert_code(r, "bad_msgpack");
    pb_value_destroy(&r);
    r = s_raw("\x93\x01\x02\x03", 4);
    s_assert_code(r, "not_a_map");
    pb_value_destroy(&r);
    r = s_raw("\x81\xa1x\x01", 4);
    s_assert_code(r, "missing_op");
    pb_value_destroy(&r);
    r = s_raw("\x81\xa2op\xa4nope", 9);
    s_assert_code(r, "unknown_op");
    pb_value_destroy(&r);
    r = s_raw("", 0); /* DEALER sending an empty frame: no payload at all */
    s_assert_code(r, "bad_msgpack");
    pb_value_destroy(&r);

    char deep[100];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0;
    r = s_raw(deep, sizeof deep);
    s_assert_code(r, "too_deep");
    pb_value_destroy(&r);

    size_t big_len = 2 * 1024 * 1024;
    char *big = calloc(1, big_len);
    r = s_raw(big, big_len);
    s_assert_code(r, "too_large");
    pb_value_destroy(&r);
    free(big);

    const void *parts[] = {"\x81\xa2op\xa4"
                           "echo",
                           "\x81\xa2op\xa4"
                           "echo"};
    size_t lens[] = {9, 9};
    r = s_dealer_exchange(parts, lens, 2);
    s_assert_code(r, "multipart");
    pb_value_destroy(&r);

    s_assert_still_serving();
}
END_TEST

START_TEST(deferred_reply_reaches_req_client)
{
    pb_value_t *req = pb_value_map_new(), *reply = NULL;
    pb_value_map_put_str(req, "op", "later");
    char err[128];
    ck_assert_int_eq(pb_rpc_call(s_endpoint, &req, 5000, &reply, err, sizeof err), 0);
    const char *op = NULL;
    ck_assert_int_eq(pb_value_map_get_str(reply, "op", &op), 0);
    ck_assert_str_eq(op, "later");
    pb_value_destroy(&reply);
    pb_rpc_peer_destroy(NULL);
}
END_TEST

START_TEST(call_times_out_without_server)
{
    char endpoint[160], err[160];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/nobody", s_dir);
    pb_value_t *req = pb_value_map_new(), *reply = NULL;
    pb_value_map_put_str(req, "op", "echo");
    ck_assert_int_eq(pb_rpc_call(endpoint, &req, 100, &reply, err, sizeof err), -ETIMEDOUT);
    ck_assert_ptr_null(reply);
    ck_assert_ptr_nonnull(strstr(err, "no reply"));
}
END_TEST

/* Issue 9, defects 2 and 7 at the socket: lying headers, an empty key and a
 * request of more objects than the request limit each get a named error, and
 * the server keeps serving. */
START_TEST(hostile_payloads_get_named_errors)
{
    char why[256];
    pb_value_t *r = s_raw("\xdd\xff\xff\xff\xff", 5);
    s_assert_code(r, "bad_msgpack");
    s_message(r, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "array32"));
    pb_value_destroy(&r);
    r = s_raw("\xdf\xff\xff\xff\xff", 5);
    s_assert_code(r, "bad_msgpack");
    pb_value_destroy(&r);
    r = s_raw("\x81\xa0\xc0", 3);
    s_assert_code(r, "missing_op");
    pb_value_destroy(&r);
    /* 3,000 keys: 6,001 objects, far under 1 MiB */
    size_t len = 3 + 3000 * 7, at = 0;
    char *buf = malloc(len);
    buf[at++] = '\xde';
    buf[at++] = (char)(3000 >> 8);
    buf[at++] = (char)(3000 & 0xff);
    for (int i = 0; i < 3000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%04d", i % 10000);
        buf[at++] = '\xa5';
        memcpy(buf + at, key, 5);
        at += 5;
        buf[at++] = '\xc0';
    }
    r = s_raw(buf, at);
    free(buf);
    s_assert_code(r, "too_large");
    s_message(r, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "4096"));
    pb_value_destroy(&r);
    s_assert_still_serving();
}
END_TEST

/* Issue 9, defect 6: a part over PB_RPC_MAX_REQUEST_MSG is dropped by libzmq
 * with its peer (no reply, nothing buffered whole); others are still served. */
START_TEST(oversized_message_drops_the_peer)
{
    void *dealer = zmq_socket(s_ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(dealer, s_endpoint);
    size_t len = PB_RPC_MAX_REQUEST_MSG + 1;
    char *big = calloc(1, len);
    ck_assert_int_eq(zmq_send(dealer, big, len, 0), (int)len);
    free(big);
    zmq_pollitem_t item = {.socket = dealer, .events = ZMQ_POLLIN};
    ck_assert_int_eq(zmq_poll(&item, 1, 1000), 0);
    zmq_close(dealer);
    s_assert_still_serving();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_rpc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, req_client_gets_handler_reply);
    tcase_add_test(tc, every_bad_request_gets_its_code);
    tcase_add_test(tc, deferred_reply_reaches_req_client);
    tcase_add_test(tc, call_times_out_without_server);
    tcase_add_test(tc, hostile_payloads_get_named_errors);
    tcase_add_test(tc, oversized_message_drops_the_peer);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
