/* pb_rpc: the request/reply convention of every perfbus ROUTER socket, both sides. */
#ifndef PB_RPC_H
#define PB_RPC_H

#include "pb_curve.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stddef.h>

/* Transport limits, applied by pb_rpc_limit_socket as ZMQ_MAXMSGSIZE (per
 * message part): a peer that sends a bigger part is disconnected by libzmq
 * before the part is buffered. Requests between PB_CODEC_MAX_BYTES and
 * PB_RPC_MAX_REQUEST_MSG still arrive and get a `too_large` reply. */
#define PB_RPC_MAX_REQUEST_MSG (4 * 1024 * 1024)  /* ROUTER sockets serving requests */
#define PB_RPC_MAX_FRAME_MSG   (16 * 1024 * 1024) /* SUB sockets receiving frames */

typedef enum {
    PB_RPC_REQUESTS, /* a ROUTER that serves requests */
    PB_RPC_FRAMES,   /* a SUB that receives published frames */
} pb_rpc_traffic_t;

/* Gives sock (a raw libzmq socket) the message size limit for its traffic.
 * Call before bind/connect: libzmq copies options into each connection.
 * Returns 0 or a negative errno. */
int pb_rpc_limit_socket(void *sock, pb_rpc_traffic_t traffic);

/* Serves requests as single-part msgpack maps {op, ...}. A handler returns the
 * reply map it builds (ownership passes to pb_rpc), or NULL on allocation
 * failure. Build replies with pb_rpc_ok()/pb_rpc_error(). */
typedef pb_value_t *(*pb_rpc_handler_fn)(void *arg, const char *op, const pb_value_t *request);

/* Receives and answers one request waiting on a ROUTER socket (a raw libzmq
 * socket, e.g. zsock_resolve() of a czmq one). Works for REQ clients
 * ([id][empty][payload]) and DEALER clients ([id][payload]). Anything that is
 * not one msgpack map with a string `op` of at most PB_CODEC_MAX_BYTES is
 * answered with an error reply without calling the handler. Returns 0 (one
 * request answered, or ~20 ms of progress draining a message of very many
 * parts: call again), or -EAGAIN when nothing was waiting, or a negative
 * errno if the socket failed. */
int pb_rpc_serve_one(void *router, pb_rpc_handler_fn handler, void *arg);

/* The sender of a request, kept to answer it later (a long job). Opaque. */
typedef struct pb_rpc_peer pb_rpc_peer_t;

/* A handler that may answer later: it returns the reply now (ownership
 * passes to pb_rpc), or sets *deferred, returns NULL and keeps a copy of
 * `peer` (pb_rpc_peer_dup) to answer with pb_rpc_reply() when it can. */
typedef pb_value_t *(*pb_rpc_deferring_fn)(void *arg, const char *op, const pb_value_t *request,
                                           const pb_rpc_peer_t *peer, bool *deferred);

/* pb_rpc_serve_one for a deferring handler; same validation and returns. */
int pb_rpc_serve_one_deferring(void *router, pb_rpc_deferring_fn handler, void *arg);

/* A copy of peer the caller owns; NULL on ENOMEM. */
pb_rpc_peer_t *pb_rpc_peer_dup(const pb_rpc_peer_t *peer);
/* Accepts NULL and *peer_p == NULL; sets *peer_p to NULL. */
void pb_rpc_peer_destroy(pb_rpc_peer_t **peer_p);

/* Sends reply to peer through router (the socket the request came in on).
 * Never blocks; a client that went away is not an error. Returns 0 or a
 * negative errno (encoding or socket failure). */
int pb_rpc_reply(void *router, const pb_rpc_peer_t *peer, const pb_value_t *reply);

/* {ok: true}; NULL on ENOMEM. */
pb_value_t *pb_rpc_ok(void);
/* {ok: false, error: {code, message}}; NULL on ENOMEM. */
pb_value_t *pb_rpc_error(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Client side: connects a REQ socket to endpoint, sends *request_p (taking
 * ownership), waits up to timeout_ms for the reply. Returns 0 and the reply
 * in *reply_p (caller owns), or -ETIMEDOUT, -ECONNREFUSED-like errors, -EBADMSG
 * for an undecodable reply, with a message in err. */
int pb_rpc_call(const char *endpoint, pb_value_t **request_p, int timeout_ms, pb_value_t **reply_p,
                char *err, size_t errlen);

/* pb_rpc_call as a CURVE client: own's keys, the server's public key
 * server_z85 (40 Z85 characters). own NULL: no CURVE, as pb_rpc_call. A
 * server that denies the key never answers: that is -ETIMEDOUT. */
int pb_rpc_call_curve(const char *endpoint, const pb_curve_cert_t *own, const char *server_z85,
                      pb_value_t **request_p, int timeout_ms, pb_value_t **reply_p, char *err,
                      size_t errlen);

#endif
