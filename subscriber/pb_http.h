/* pb_http: perfbus-sub's HTTP face — libmicrohttpd in external polling mode, one fd for the loop.
 */
#ifndef PB_HTTP_H
#define PB_HTTP_H

/* The only caller of libmicrohttpd. perfbus-sub is single-threaded (no locks
 * around the history), so the server runs in the caller's loop: MHD's epoll
 * set is one file descriptor (pb_http_fd) that the loop polls with its ZeroMQ
 * sockets, and pb_http_run does whatever is ready without blocking (MHD's
 * sockets are non-blocking: a slow client costs a failed write, never a
 * stall). Bounds: connections, a per-connection idle timeout and the memory a
 * request's headers may take (MHD answers 431 beyond it); only GET and HEAD
 * reach the handler (405 otherwise). With a token every request must carry
 * `Authorization: Bearer TOKEN` (401 otherwise, before anything else). Off
 * loopback the server needs TLS and a token, or `insecure`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *addr;          /* "127.0.0.1:9464", "[::1]:0" (port 0: any free port) */
    bool insecure;             /* allow a non-loopback address */
    unsigned max_connections;  /* 0: 64 */
    unsigned timeout_s;        /* idle seconds before a connection is closed; 0: 10 */
    size_t max_request_bytes;  /* memory per connection for the request; 0: 32 KiB */
    const char *tls_cert_file; /* PEM certificate (chain); with tls_key_file: HTTPS */
    const char *tls_key_file;  /* PEM private key, a private file */
    const char *token_file;    /* bearer token on its first line, a private file */
} pb_http_config_t;

/* Tokens shorter than this are refused: guessable. */
#define PB_HTTP_MIN_TOKEN 16

typedef struct pb_http_request pb_http_request_t;

/* An endless reply (server-sent events): see pb_http_reply_stream. */
typedef struct pb_http_stream pb_http_stream_t;

/* Fills buf[0..max) with what the stream has; returns the bytes written, 0
 * when nothing is ready (the connection is suspended until
 * pb_http_stream_wake: no busy loop) or -1 to close the connection. */
typedef long(pb_http_stream_read_fn)(void *arg, char *buf, size_t max);
/* The connection is gone (closed by the client, by pb_http_stream_close or
 * the server's end); arg is not used by pb_http after this call. */
typedef void(pb_http_stream_done_fn)(void *arg);

/* What a handler answers: body[0..len) is copied after the handler returns
 * (it must stay valid until then), or taken and freed when owned; or a
 * stream (pb_http_reply_stream), whose body is ignored. */
typedef struct {
    int status;
    const char *content_type;
    const char *body;
    size_t len;
    bool owned;                /* body is malloc'd: pb_http frees it */
    pb_http_stream_t *stream;  /* set by pb_http_reply_stream */
    const char *cache_control; /* NULL: none sent */
} pb_http_reply_t;

/* Called once per GET/HEAD request, in pb_http_run. */
typedef void(pb_http_handler_fn)(void *arg, const pb_http_request_t *req, pb_http_reply_t *reply);

/* Borrowed for the handler call: the path ("/metrics"), a query argument
 * (NULL when absent), a request header (NULL when absent). */
const char *pb_http_path(const pb_http_request_t *req);
const char *pb_http_arg(const pb_http_request_t *req, const char *name);
const char *pb_http_header(const pb_http_request_t *req, const char *name);

/* Calls fn for every query argument in the order given (value "" when the
 * argument has none); a non-zero return stops the walk and is returned. */
typedef int(pb_http_arg_fn)(void *arg, const char *key, const char *value);
int pb_http_each_arg(const pb_http_request_t *req, pb_http_arg_fn *fn, void *arg);

/* Makes r a streamed reply of status 200 and content_type: read is called
 * when the client can take bytes, done exactly once when the connection has
 * ended (also when the reply could not be queued). Returns the stream handle,
 * valid until done is called, or NULL on ENOMEM (done is not called). */
pb_http_stream_t *pb_http_reply_stream(pb_http_reply_t *r, const char *content_type,
                                       pb_http_stream_read_fn *read, pb_http_stream_done_fn *done,
                                       void *arg);
/* There is something to read again: resumes a suspended connection. */
void pb_http_stream_wake(pb_http_stream_t *s);
/* Ends the stream from the server's side: the connection is closed at once,
 * unsent bytes and all (a client that stopped reading); done follows. */
void pb_http_stream_close(pb_http_stream_t *s);

typedef struct {
    uint64_t requests;     /* answered, whatever the status */
    uint64_t errors;       /* answered 4xx or 5xx by the handler or here (405) */
    uint64_t bad_method;   /* of those, 405 */
    uint64_t unauthorized; /* of those, 401: no or a wrong token */
    uint64_t streams;      /* streamed replies open now */
} pb_http_counts_t;

typedef struct pb_http pb_http_t;

/* Parses config->addr, reads the TLS and token files, refuses non-loopback
 * without TLS and a token unless insecure, binds and listens. On error NULL
 * with a message naming what was wrong in err. */
pb_http_t *pb_http_new(const pb_http_config_t *config, pb_http_handler_fn *fn, void *arg, char *err,
                       size_t errlen);
void pb_http_destroy(pb_http_t **self_p);

/* The fd to poll for input (MHD's epoll set), and how long the loop may wait
 * before pb_http_run is due for timeouts (-1: no limit). */
int pb_http_fd(const pb_http_t *self);
int pb_http_timeout_ms(const pb_http_t *self);

/* Accepts, reads, answers and times out what is ready, without blocking.
 * Returns 0, or -EIO when MHD failed (logged by the caller). */
int pb_http_run(pb_http_t *self);

/* The bound address, "127.0.0.1:PORT" (the port resolved). Borrowed. */
bool pb_http_tls(const pb_http_t *self);
const char *pb_http_address(const pb_http_t *self);
pb_http_counts_t pb_http_counts(const pb_http_t *self);

#endif
