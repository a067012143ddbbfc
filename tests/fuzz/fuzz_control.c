/* fuzz_control: perfbusd's request path without the network — bytes into pb_rpc_serve_one on an
 * inproc ROUTER with pb_control_handle behind it, then one sampling cycle over a fixture /proc
 * (watch patterns are matched there). Every request must get exactly one {ok: ...} map back. */
#include "fuzz_util.h"
#include "pb_codec.h"
#include "pb_control.h"
#include "pb_proc_sampler.h"
#include "pb_rpc.h"

#include <errno.h>
#include <stdbool.h>
#include <zmq.h>

/* Sockets live for the whole run (a context per input would cost more than the parse);
 * nothing a request changes outlives its input: sampler and control are made per input. */
static void *s_ctx, *s_router, *s_dealer;

static void s_setup(void)
{
    int zero = 0;
    s_ctx = zmq_ctx_new();
    s_router = zmq_socket(s_ctx, ZMQ_ROUTER);
    s_dealer = zmq_socket(s_ctx, ZMQ_DEALER);
    FUZZ_CHECK(s_router && s_dealer, "zmq sockets");
    zmq_setsockopt(s_router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s_dealer, ZMQ_LINGER, &zero, sizeof zero);
    FUZZ_CHECK(zmq_bind(s_router, "inproc://fuzz-control") == 0, "bind");
    FUZZ_CHECK(zmq_connect(s_dealer, "inproc://fuzz-control") == 0, "connect");
}

static int s_emit(void *arg, uint32_t pid, pb_value_t **body_p)
{
    (void)arg;
    (void)pid;
    pb_value_destroy(body_p);
    return 0;
}

/* Waits for sock to be readable. inproc: a request is in the pipe once zmq_send returns and
 * serve_one replies before it returns, so this ends at once, except that libFuzzer's
 * once-a-second SIGALRM (its -timeout clock) interrupts zmq_poll: retried, not failed (two long
 * runs stopped on it). A real hang is libFuzzer's -timeout. */
static int s_wait(void *sock)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    int n;
    do
        n = zmq_poll(&item, 1, -1);
    while (n < 0 && errno == EINTR);
    return n;
}

/* The one reply: a single-part map whose `ok` is a bool. */
static void s_check_reply(void)
{
    FUZZ_CHECK(s_wait(s_dealer) == 1, "no reply");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    FUZZ_CHECK(zmq_msg_recv(&msg, s_dealer, 0) >= 0, "recv");
    FUZZ_CHECK(!zmq_msg_more(&msg), "multipart reply");
    pb_value_t *reply = NULL;
    char err[256] = "";
    int rc = pb_codec_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &reply, err, sizeof err);
    FUZZ_CHECK(rc == 0, "undecodable reply: %s", err);
    bool ok;
    FUZZ_CHECK(pb_value_get_bool(pb_value_map_get(reply, "ok"), &ok) == 0, "reply without ok");
    pb_value_destroy(&reply);
    zmq_msg_close(&msg);
}

/* `targets` is a 2 s round trip to the built-in agent's socket (not a parser): left out. */
static bool s_is_targets(const uint8_t *data, size_t size)
{
    pb_value_t *req = NULL;
    const char *op = NULL;
    bool yes = pb_codec_decode(data, size, &req, NULL, 0) == 0 &&
               pb_value_map_get_str(req, "op", &op) == 0 && strcmp(op, "targets") == 0;
    pb_value_destroy(&req);
    return yes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_ctx)
        s_setup();
    if (s_is_targets(data, size))
        return 0;
    pb_proc_sampler_t *procs = pb_proc_sampler_new(PB_FIXTURES "/proc-t0");
    pb_control_t *control = procs ? pb_control_new(procs, PB_FIXTURES "/proc-t0") : NULL;
    if (!control) {
        pb_proc_sampler_destroy(&procs);
        return 0;
    }
    pb_control_status_t status = {.host = "fuzzhost",
                                  .src = "perfbusd-fuzz",
                                  .interval_s = 1.0,
                                  .profile_endpoint = "inproc://fuzz-agent",
                                  .profile_pub_endpoint = "inproc://fuzz-agent-pub"};
    pb_control_set_status(control, &status);
    FUZZ_CHECK(zmq_send(s_dealer, data, size, 0) == (int)size, "send");
    FUZZ_CHECK(s_wait(s_router) == 1, "request did not arrive");
    int rc = pb_rpc_serve_one(s_router, pb_control_handle, control);
    FUZZ_CHECK(rc == 0, "pb_rpc_serve_one returned %d", rc);
    s_check_reply();
    pb_proc_sampler_scan(procs, 1000000000ull, s_emit, NULL);
    pb_control_destroy(&control);
    pb_proc_sampler_destroy(&procs);
    return 0;
}
