/* pb_http: binds libmicrohttpd (plain or TLS, with a bearer token) and drives it from the caller's
 * poll loop. */
#include "pb_http.h"

#include "pb_dlib.h"
#include "pb_secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* libmicrohttpd (and gnutls and the rest behind it) is loaded when --http is
 * given, not by every perfbus-sub: about 2.7 MB of resident pages. The
 * functions used, in the order of s_mhd_names. */
#define S_LIBMHD "libmicrohttpd.so.12"

static struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType,
                                                   ...);
    enum MHD_Result (*get_timeout)(struct MHD_Daemon *, MHD_UNSIGNED_LONG_LONG *);
    enum MHD_Result (*run)(struct MHD_Daemon *);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind,
                                           const char *);
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
                                                        enum MHD_ResponseMemoryMode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy_response)(struct MHD_Response *);
    enum MHD_Result (*is_feature_supported)(enum MHD_FEATURE);
    int (*get_connection_values)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator,
                                 void *);
    struct MHD_Response *(*create_response_from_callback)(uint64_t, size_t,
                                                          MHD_ContentReaderCallback, void *,
                                                          MHD_ContentReaderFreeCallback);
    void (*suspend_connection)(struct MHD_Connection *);
    void (*resume_connection)(struct MHD_Connection *);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *,
                                                           enum MHD_ConnectionInfoType, ...);
} s_mhd;
static const char *const s_mhd_names[] = {"MHD_start_daemon",
                                          "MHD_stop_daemon",
                                          "MHD_get_daemon_info",
                                          "MHD_get_timeout",
                                          "MHD_run",
                                          "MHD_lookup_connection_value",
                                          "MHD_create_response_from_buffer",
                                          "MHD_add_response_header",
                                          "MHD_queue_response",
                                          "MHD_destroy_response",
                                          "MHD_is_feature_supported",
                                          "MHD_get_connection_values",
                                          "MHD_create_response_from_callback",
                                          "MHD_suspend_connection",
                                          "MHD_resume_connection",
                                          "MHD_get_connection_info"};
#define S_MHD_N (sizeof s_mhd_names / sizeof s_mhd_names[0])
_Static_assert(sizeof s_mhd == S_MHD_N * sizeof(pb_dlib_fn), "s_mhd and s_mhd_names differ");

static char s_mhd_error[256]; /* "" once loaded */
static pthread_once_t s_mhd_once = PTHREAD_ONCE_INIT;

static void s_mhd_load(void)
{
    pb_dlib_load(S_LIBMHD, s_mhd_names, (pb_dlib_fn *)&s_mhd, S_MHD_N, s_mhd_error,
                 sizeof s_mhd_error);
}

struct pb_http {
    struct MHD_Daemon *daemon;
    pb_http_handler_fn *fn;
    void *arg;
    char address[80];
    pb_http_counts_t counts;
    char *tls_cert, *tls_key; /* PEM text, kept for the daemon's life */
    char *token;              /* NULL: no token asked */
    size_t token_len;
    pb_http_stream_t *streams; /* open streamed replies: resumed before the daemon stops */
};

/* A streamed reply; MHD's content reader drives it (s_stream_read). */
struct pb_http_stream {
    pb_http_t *http;
    struct MHD_Connection *conn;
    pb_http_stream_read_fn *read;
    pb_http_stream_done_fn *done;
    void *arg;
    bool suspended, closed;
    pb_http_stream_t *prev, *next;
};

/* The socket buffer of a stream: small, so that a client that stops reading
 * fills the stream's own bounded buffer (and is dropped) instead of megabytes
 * of kernel memory that autotuning would give it. */
#define S_STREAM_SNDBUF (64 * 1024)

struct pb_http_request {
    struct MHD_Connection *conn;
    const char *path;
};

const char *pb_http_path(const pb_http_request_t *req)
{
    return req->path;
}

const char *pb_http_arg(const pb_http_request_t *req, const char *name)
{
    return s_mhd.lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *pb_http_header(const pb_http_request_t *req, const char *name)
{
    return s_mhd.lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct s_args {
    pb_http_arg_fn *fn;
    void *arg;
    int rc;
};

static enum MHD_Result s_each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct s_args *a = cls;
    a->rc = a->fn(a->arg, key, value ? value : "");
    return a->rc ? MHD_NO : MHD_YES;
}

int pb_http_each_arg(const pb_http_request_t *req, pb_http_arg_fn *fn, void *arg)
{
    struct s_args a = {fn, arg, 0};
    s_mhd.get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, s_each_arg, &a);
    return a.rc;
}

/* ---- streams ---- */

pb_http_stream_t *pb_http_reply_stream(pb_http_reply_t *r, const char *content_type,
                                       pb_http_stream_read_fn *read, pb_http_stream_done_fn *done,
                                       void *arg)
{
    pb_http_stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->read = read;
    s->done = done;
    s->arg = arg;
    *r = (pb_http_reply_t){.status = 200, .content_type = content_type, .stream = s};
    return s;
}

void pb_http_stream_wake(pb_http_stream_t *s)
{
    if (s->suspended && s->conn) {
        s->suspended = false;
        s_mhd.resume_connection(s->conn);
    }
}

void pb_http_stream_close(pb_http_stream_t *s)
{
    if (s->closed)
        return;
    s->closed = true;
    const union MHD_ConnectionInfo *info =
        s->conn ? s_mhd.get_connection_info(s->conn, MHD_CONNECTION_INFO_CONNECTION_FD) : NULL;
    if (info) /* a client blocked on a full socket sees its connection fail now */
        shutdown(info->connect_fd, SHUT_RDWR);
    pb_http_stream_wake(s); /* a suspended one reads, gets -1 and is closed */
}

static ssize_t s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    pb_http_stream_t *s = cls;
    long n = s->closed ? -1 : s->read(s->arg, buf, max);
    if (n < 0) {
        s->closed = true;
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (n == 0) { /* returning 0 without suspending would spin the loop */
        s->suspended = true;
        s_mhd.suspend_connection(s->conn);
    }
    return (ssize_t)n;
}

static void s_stream_free(void *cls)
{
    pb_http_stream_t *s = cls;
    if (s->http) {
        if (s->prev)
            s->prev->next = s->next;
        else
            s->http->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        s->http->counts.streams--;
    }
    if (s->done)
        s->done(s->arg);
    free(s);
}

/* The reply's stream as an MHD response, linked into the server's list. */
static struct MHD_Response *s_stream_response(pb_http_t *self, struct MHD_Connection *conn,
                                              pb_http_stream_t *s)
{
    struct MHD_Response *resp = s_mhd.create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, s_stream_read, s, s_stream_free);
    if (!resp) {
        s_stream_free(s);
        return NULL;
    }
    s->http = self;
    s->conn = conn;
    s->next = self->streams;
    if (s->next)
        s->next->prev = s;
    self->streams = s;
    self->counts.streams++;
    const union MHD_ConnectionInfo *info =
        s_mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = S_STREAM_SNDBUF;
    if (info)
        setsockopt(info->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return resp;
}

/* ---- the address ---- */

/* "A.B.C.D:PORT" or "[v6]:PORT" into *ss; 0 or -EINVAL with err. */
static int s_parse_addr(const char *addr, struct sockaddr_storage *ss, char *err, size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    char host[64], *end = NULL;
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    bool v6 = hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']';
    if (!colon || !colon[1] || *end || port < 0 || port > 65535 || hlen - 2 * v6 >= sizeof host ||
        hlen == 0) {
        snprintf(err, errlen, "--http: '%.80s' is not ADDR:PORT (e.g. 127.0.0.1:9464)", addr);
        return -EINVAL;
    }
    memcpy(host, addr + v6, hlen - 2 * v6);
    host[hlen - 2 * v6] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    int ok =
        v6 ? inet_pton(AF_INET6, host, &in6->sin6_addr) : inet_pton(AF_INET, host, &in4->sin_addr);
    if (ok != 1) {
        snprintf(err, errlen, "--http: '%.64s' is not an IPv4 address or a [bracketed] IPv6 one",
                 host);
        return -EINVAL;
    }
    ss->ss_family = v6 ? AF_INET6 : AF_INET;
    if (v6)
        in6->sin6_port = htons((uint16_t)port);
    else
        in4->sin_port = htons((uint16_t)port);
    return 0;
}

static bool s_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* The listening socket's address as "host:port", the port resolved. */
static void s_bound(pb_http_t *self)
{
    const union MHD_DaemonInfo *info =
        s_mhd.get_daemon_info(self->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    bool v6 = ss.ss_family == AF_INET6;
    const void *a = v6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                       : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
    unsigned port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    inet_ntop(ss.ss_family, a, host, sizeof host);
    snprintf(self->address, sizeof self->address, v6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* ---- requests ---- */

/* Queues r; challenge (may be NULL) goes into WWW-Authenticate of a 401. */
static enum MHD_Result s_queue(pb_http_t *self, struct MHD_Connection *conn,
                               const pb_http_reply_t *r, const char *challenge)
{
    struct MHD_Response *resp =
        r->stream ? s_stream_response(self, conn, r->stream)
                  : s_mhd.create_response_from_buffer(r->len, (void *)r->body,
                                                      r->owned ? MHD_RESPMEM_MUST_FREE
                                                               : MHD_RESPMEM_MUST_COPY);
    if (!resp && r->owned && !r->stream)
        free((void *)r->body);
    if (!resp)
        return MHD_NO;
    s_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                              r->content_type ? r->content_type : "text/plain; charset=utf-8");
    if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        s_mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (challenge)
        s_mhd.add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
    if (r->cache_control)
        s_mhd.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache_control);
    enum MHD_Result rc = s_mhd.queue_response(conn, (unsigned)r->status, resp);
    s_mhd.destroy_response(resp);
    self->counts.requests++;
    self->counts.errors += r->status >= 400;
    return rc;
}

/* True when the request carries "Authorization: Bearer <token>" (the scheme
 * in any case, RFC 7235) with the configured token. */
static bool s_authorized(const pb_http_t *self, struct MHD_Connection *conn)
{
    if (!self->token)
        return true;
    const char *auth =
        s_mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    return pb_secret_equal(t, strlen(t), self->token, self->token_len);
}

static enum MHD_Result s_unauthorized(pb_http_t *self, struct MHD_Connection *conn)
{
    static const char body[] =
        "401 unauthorized: send the token of perfbus-sub's --http-token-file as "
        "'Authorization: Bearer TOKEN'\n";
    pb_http_reply_t r = {.status = MHD_HTTP_UNAUTHORIZED, .body = body, .len = sizeof body - 1};
    self->counts.unauthorized++;
    return s_queue(self, conn, &r, "Bearer realm=\"perfbus-sub\"");
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_len, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    pb_http_t *self = cls;
    if (!s_authorized(self, conn)) {
        *upload_len = 0;
        return s_unauthorized(self, conn);
    }
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char body[] = "405 method not allowed: only GET and HEAD are served\n";
        pb_http_reply_t r = {
            .status = MHD_HTTP_METHOD_NOT_ALLOWED, .body = body, .len = sizeof body - 1};
        *upload_len = 0; /* an upload is not read */
        self->counts.bad_method++;
        return s_queue(self, conn, &r, NULL);
    }
    pb_http_request_t req = {conn, url};
    pb_http_reply_t r = {.status = 500, .body = "500 no reply\n", .len = 13};
    self->fn(self->arg, &req, &r);
    return s_queue(self, conn, &r, NULL);
}

/* ---- the server ---- */

/* TLS needs both files; the key and the token must be private files. */
static int s_read_files(pb_http_t *self, const pb_http_config_t *c, char *err, size_t errlen)
{
    if (!c->tls_cert_file != !c->tls_key_file) {
        snprintf(err, errlen, "--http: TLS needs both --http-tls-cert and --http-tls-key");
        return -EINVAL;
    }
    int rc = 0;
    if (c->tls_cert_file)
        rc = pb_secret_read(c->tls_cert_file, "--http-tls-cert", 0, &self->tls_cert, NULL, err,
                            errlen);
    if (rc == 0 && c->tls_key_file)
        rc =
            pb_secret_read(c->tls_key_file, "--http-tls-key", 1, &self->tls_key, NULL, err, errlen);
    if (rc == 0 && c->token_file) {
        rc = pb_secret_read_token(c->token_file, "--http-token-file", PB_HTTP_MIN_TOKEN,
                                  &self->token, err, errlen);
        self->token_len = self->token ? strlen(self->token) : 0;
    }
    return rc;
}

/* Beyond loopback: TLS and a token, or the user's explicit --insecure. */
static int s_check_exposure(const pb_http_t *self, const pb_http_config_t *c, bool loopback,
                            char *err, size_t errlen)
{
    if (loopback || c->insecure || (self->tls_key && self->token))
        return 0;
    snprintf(err, errlen,
             "--http %.80s: not a loopback address, so it needs TLS and a token: "
             "--http-tls-cert FILE --http-tls-key FILE --http-token-file FILE "
             "(or --insecure to serve it %s to anyone who can connect)",
             c->addr, self->tls_key ? "without a token" : "in clear text");
    return -EPERM;
}

static int s_load_mhd(const pb_http_t *self, const pb_http_config_t *c, char *err, size_t errlen)
{
    pthread_once(&s_mhd_once, s_mhd_load);
    if (s_mhd_error[0]) {
        snprintf(err, errlen, "--http %.80s: %s (Debian package libmicrohttpd12)", c->addr,
                 s_mhd_error);
        return -ELIBACC;
    }
    if (self->tls_key && s_mhd.is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "--http %.80s: this libmicrohttpd was built without TLS", c->addr);
        return -ENOTSUP;
    }
    return 0;
}

static int s_start(pb_http_t *self, const pb_http_config_t *c, struct sockaddr_storage *ss,
                   char *err, size_t errlen)
{
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (self->tls_key ? MHD_USE_TLS : 0);
    /* without TLS the two HTTPS options point at NULL and are ignored */
    self->daemon = s_mhd.start_daemon(
        flags, 0, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections ? c->max_connections : 64u,
        MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s ? c->timeout_s : 10u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        c->max_request_bytes ? c->max_request_bytes : (size_t)32 * 1024,
        self->tls_key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, self->tls_key,
        MHD_OPTION_HTTPS_MEM_CERT, self->tls_cert, MHD_OPTION_END);
    if (self->daemon)
        return 0;
    if (self->tls_key)
        snprintf(err, errlen,
                 "--http %.80s: cannot listen there with TLS: is the address free and are "
                 "--http-tls-cert and --http-tls-key a PEM certificate and its key? (%s)",
                 c->addr, strerror(errno));
    else
        snprintf(err, errlen, "--http %.80s: cannot listen there: %s", c->addr, strerror(errno));
    return -EADDRNOTAVAIL;
}

pb_http_t *pb_http_new(const pb_http_config_t *c, pb_http_handler_fn *fn, void *arg, char *err,
                       size_t errlen)
{
    struct sockaddr_storage ss;
    if (s_parse_addr(c->addr, &ss, err, errlen) < 0)
        return NULL;
    pb_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->fn = fn;
    self->arg = arg;
    if (s_read_files(self, c, err, errlen) < 0 ||
        s_check_exposure(self, c, s_loopback(&ss), err, errlen) < 0 ||
        s_load_mhd(self, c, err, errlen) < 0 || s_start(self, c, &ss, err, errlen) < 0) {
        pb_http_destroy(&self);
        return NULL;
    }
    s_bound(self);
    return self;
}

void pb_http_destroy(pb_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_http_t *self = *self_p;
    /* MHD must not be stopped with suspended connections: each is resumed,
     * its next read ends it */
    for (pb_http_stream_t *s = self->streams; s; s = s->next) {
        s->closed = true;
        pb_http_stream_wake(s);
    }
    if (self->daemon && self->streams)
        s_mhd.run(self->daemon);
    if (self->daemon)
        s_mhd.stop_daemon(self->daemon);
    free(self->tls_cert);
    pb_secret_free(&self->tls_key); /* not left in freed memory */
    pb_secret_free(&self->token);
    free(self);
    *self_p = NULL;
}

int pb_http_fd(const pb_http_t *self)
{
    const union MHD_DaemonInfo *info =
        s_mhd.get_daemon_info(self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

int pb_http_timeout_ms(const pb_http_t *self)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (s_mhd.get_timeout(self->daemon, &ms) != MHD_YES)
        return -1;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int pb_http_run(pb_http_t *self)
{
    return s_mhd.run(self->daemon) == MHD_YES ? 0 : -EIO;
}

const char *pb_http_address(const pb_http_t *self)
{
    return self->address;
}

bool pb_http_tls(const pb_http_t *self)
{
    return self->tls_key != NULL;
}

pb_http_counts_t pb_http_counts(const pb_http_t *self)
{
    return self->counts;
}
