/* pb_http: binds libmicrohttpd on a loopback address and drives it from the caller's poll loop. */
#include "pb_http.h"

#include "pb_dlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
                                          "MHD_destroy_response"};
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
};

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

static enum MHD_Result s_queue(pb_http_t *self, struct MHD_Connection *conn,
                               const pb_http_reply_t *r, bool allow)
{
    struct MHD_Response *resp =
        s_mhd.create_response_from_buffer(r->len, (void *)r->body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    s_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                              r->content_type ? r->content_type : "text/plain; charset=utf-8");
    if (allow)
        s_mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = s_mhd.queue_response(conn, (unsigned)r->status, resp);
    s_mhd.destroy_response(resp);
    self->counts.requests++;
    self->counts.errors += r->status >= 400;
    return rc;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_len, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    pb_http_t *self = cls;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char body[] = "405 method not allowed: only GET and HEAD are served\n";
        pb_http_reply_t r = {MHD_HTTP_METHOD_NOT_ALLOWED, NULL, body, sizeof body - 1};
        *upload_len = 0; /* an upload is not read */
        self->counts.bad_method++;
        return s_queue(self, conn, &r, true);
    }
    pb_http_request_t req = {conn, url};
    pb_http_reply_t r = {500, NULL, "500 no reply\n", 13};
    self->fn(self->arg, &req, &r);
    return s_queue(self, conn, &r, false);
}

/* ---- the server ---- */

pb_http_t *pb_http_new(const pb_http_config_t *c, pb_http_handler_fn *fn, void *arg, char *err,
                       size_t errlen)
{
    struct sockaddr_storage ss;
    if (s_parse_addr(c->addr, &ss, err, errlen) < 0)
        return NULL;
    if (!s_loopback(&ss) && !c->insecure) {
        snprintf(err, errlen,
                 "--http %.80s: not a loopback address; the HTTP face has no TLS or token yet "
                 "(they come with the security issue), so binding beyond loopback needs "
                 "--insecure",
                 c->addr);
        return NULL;
    }
    pthread_once(&s_mhd_once, s_mhd_load);
    if (s_mhd_error[0]) {
        snprintf(err, errlen, "--http %.80s: %s (Debian package libmicrohttpd12)", c->addr,
                 s_mhd_error);
        return NULL;
    }
    pb_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->fn = fn;
    self->arg = arg;
    unsigned flags = MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    self->daemon = s_mhd.start_daemon(
        flags, 0, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections ? c->max_connections : 64u,
        MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s ? c->timeout_s : 10u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        c->max_request_bytes ? c->max_request_bytes : (size_t)32 * 1024, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf(err, errlen, "--http %.80s: cannot listen there: %s", c->addr, strerror(errno));
        free(self);
        return NULL;
    }
    s_bound(self);
    return self;
}

void pb_http_destroy(pb_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_mhd.stop_daemon((*self_p)->daemon);
    free(*self_p);
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

pb_http_counts_t pb_http_counts(const pb_http_t *self)
{
    return self->counts;
}
