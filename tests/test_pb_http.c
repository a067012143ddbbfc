/* Check suite for pb_http: address rules, secret files, the token, and requests driven from one
 * loop. */
#include "pb_http.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_calls;

static void s_handle(void *arg, const pb_http_request_t *req, pb_http_reply_t *r)
{
    (void)arg;
    static char body[256];
    const char *who = pb_http_arg(req, "who"), *accept = pb_http_header(req, "Accept");
    int n = snprintf(body, sizeof body, "%s who=%s accept=%s\n", pb_http_path(req), who ? who : "-",
                     accept ? accept : "-");
    s_calls++;
    *r = (pb_http_reply_t){.status = strcmp(pb_http_path(req), "/x") == 0 ? 200 : 404,
                           .content_type = "text/plain",
                           .body = body,
                           .len = (size_t)n};
}

static pb_http_t *s_new(const char *addr, bool insecure, char *err, size_t errlen)
{
    pb_http_config_t c = {.addr = addr, .insecure = insecure, .timeout_s = 1};
    return pb_http_new(&c, s_handle, NULL, err, errlen);
}

/* A scratch directory of secret files, removed at the end. */
static char s_dir[64];
static char s_paths[16][128];
static int s_npaths;

static void s_files_remove(void)
{
    for (int i = 0; i < s_npaths; i++)
        unlink(s_paths[i]);
    if (s_dir[0])
        rmdir(s_dir);
}

static const char *s_file(const char *name, const char *text, mode_t mode)
{
    ck_assert_int_lt(s_npaths, 16);
    char *path = s_paths[s_npaths++];
    if (!s_dir[0]) {
        snprintf(s_dir, sizeof s_dir, "/tmp/pb-http-test.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(s_dir));
    }
    snprintf(path, 128, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

static pb_http_t *s_new_secure(const char *addr, const char *cert, const char *key,
                               const char *token, char *err, size_t errlen)
{
    pb_http_config_t c = {.addr = addr,
                          .timeout_s = 1,
                          .tls_cert_file = cert,
                          .tls_key_file = key,
                          .token_file = token};
    return pb_http_new(&c, s_handle, NULL, err, errlen);
}

/* Sends req to the server and runs it until the reply is complete (closed). */
static void s_exchange(pb_http_t *h, const char *req, char *out, size_t size)
{
    const char *addr = pb_http_address(h);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    size_t got = 0;
    for (int i = 0; i < 500; i++) {
        struct pollfd p[2] = {{pb_http_fd(h), POLLIN, 0}, {fd, POLLIN, 0}};
        poll(p, 2, 10);
        ck_assert_int_eq(pb_http_run(h), 0);
        if (p[1].revents & POLLIN) {
            ssize_t n = recv(fd, out + got, size - 1 - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
    }
    out[got] = '\0';
    close(fd);
}

START_TEST(addresses_are_checked_and_beyond_loopback_needs_insecure)
{
    char err[256] = "";
    ck_assert_ptr_null(s_new("nonsense", false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "ADDR:PORT"));
    ck_assert_ptr_null(s_new("127.0.0.1:70000", false, err, sizeof err));
    ck_assert_ptr_null(s_new("localhost:80", false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "IPv4"));
    ck_assert_ptr_null(s_new("0.0.0.0:0", false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "--insecure"));
    ck_assert_ptr_nonnull(strstr(err, "needs TLS and a token"));
    /* 192.0.2.1 (TEST-NET-1) is on no interface: past the rule, the bind fails */
    ck_assert_ptr_null(s_new("192.0.2.1:0", true, err, sizeof err));
    ck_assert_msg(strstr(err, "cannot listen there") != NULL, "%s", err);
    pb_http_t *h = NULL;
    pb_http_destroy(&h);
    pb_http_destroy(NULL);
}
END_TEST

/* Off loopback TLS alone is not enough, nor a token alone; both pass the rule. */
START_TEST(beyond_loopback_needs_tls_and_a_token)
{
    char err[512] = "";
    const char *cert = s_file("cert.pem", "not checked before start\n", 0644);
    const char *key = s_file("key.pem", "not checked before start\n", 0600);
    const char *token = s_file("token", "0123456789abcdef0123\n", 0600);
    ck_assert_ptr_null(s_new_secure("192.0.2.1:0", cert, key, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "without a token") != NULL, "%s", err);
    ck_assert_ptr_null(s_new_secure("192.0.2.1:0", NULL, NULL, token, err, sizeof err));
    ck_assert_msg(strstr(err, "in clear text") != NULL, "%s", err);
    ck_assert_ptr_null(s_new_secure("192.0.2.1:0", cert, key, token, err, sizeof err));
    ck_assert_msg(strstr(err, "cannot listen there with TLS") != NULL, "%s", err);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", cert, NULL, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "needs both") != NULL, "%s", err);
}
END_TEST

/* Each file problem names the option and the file. */
START_TEST(secret_files_are_checked)
{
    char err[512] = "";
    const char *open_key = s_file("open-key.pem", "k\n", 0644);
    const char *cert = s_file("cert.pem", "c\n", 0644);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", cert, open_key, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "--http-tls-key") && strstr(err, "other users"), "%s", err);
    const char *short_token = s_file("short", "abc\n", 0600);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", NULL, NULL, short_token, err, sizeof err));
    ck_assert_msg(strstr(err, "--http-token-file") && strstr(err, ">= 16"), "%s", err);
    const char *spaced = s_file("spaced", "0123456789 abcdef0123\n", 0600);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", NULL, NULL, spaced, err, sizeof err));
    ck_assert_msg(strstr(err, "space"), "%s", err);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", NULL, NULL, "/nonexistent/t", err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/t") && strstr(err, "No such file"), "%s", err);
    const char *empty = s_file("empty", "", 0600);
    ck_assert_ptr_null(s_new_secure("127.0.0.1:0", NULL, NULL, empty, err, sizeof err));
    ck_assert_msg(strstr(err, "empty"), "%s", err);
}
END_TEST

/* With a token, only the right bearer gets past, before the method check. */
START_TEST(the_token_is_required_on_every_request)
{
    char err[512] = "", reply[4096];
    const char *token = s_file("token", "  s3cr3t-0123456789abcdef \n", 0640);
    pb_http_t *h = s_new_secure("127.0.0.1:0", NULL, NULL, token, err, sizeof err);
    ck_assert_msg(h != NULL, "%s", err);
    s_calls = 0;
    s_exchange(h, "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", reply, sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 401"));
    ck_assert_ptr_nonnull(strstr(reply, "WWW-Authenticate: Bearer"));
    s_exchange(h,
               "DELETE /x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer s3cr3t-0123456789abcde\r\n"
               "Connection: close\r\n\r\n",
               reply, sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 401")); /* a prefix of the token */
    s_exchange(h,
               "GET /x HTTP/1.1\r\nHost: t\r\nAuthorization: Basic czNjcjN0\r\n"
               "Connection: close\r\n\r\n",
               reply, sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 401"));
    s_exchange(h,
               "GET /x HTTP/1.1\r\nHost: t\r\nAuthorization: bearer s3cr3t-0123456789abcdef\r\n"
               "Connection: close\r\n\r\n",
               reply, sizeof reply);
    ck_assert_msg(strstr(reply, "HTTP/1.1 200") != NULL, "%.120s", reply);
    pb_http_counts_t c = pb_http_counts(h);
    ck_assert_uint_eq(c.unauthorized, 3);
    ck_assert_uint_eq(c.requests, 4);
    ck_assert_int_eq(s_calls, 1);
    ck_assert(!pb_http_tls(h));
    pb_http_destroy(&h);
}
END_TEST

START_TEST(port_zero_is_resolved_and_requests_reach_the_handler)
{
    char err[256] = "", reply[4096];
    pb_http_t *h = s_new("127.0.0.1:0", false, err, sizeof err);
    ck_assert_msg(h != NULL, "%s", err);
    ck_assert_int_eq(strncmp(pb_http_address(h), "127.0.0.1:", 10), 0);
    ck_assert_int_ne(atoi(pb_http_address(h) + 10), 0);
    ck_assert_int_ge(pb_http_fd(h), 0);
    s_exchange(h, "GET /x?who=me HTTP/1.1\r\nHost: t\r\nAccept: a/b\r\nConnection: close\r\n\r\n",
               reply, sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 200"));
    ck_assert_ptr_nonnull(strstr(reply, "/x who=me accept=a/b\n"));
    s_exchange(h, "GET /y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", reply, sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 404"));
    s_exchange(h, "DELETE /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", reply,
               sizeof reply);
    ck_assert_ptr_nonnull(strstr(reply, "HTTP/1.1 405"));
    ck_assert_ptr_nonnull(strstr(reply, "Allow: GET, HEAD"));
    pb_http_counts_t c = pb_http_counts(h);
    ck_assert_uint_eq(c.requests, 3);
    ck_assert_uint_eq(c.errors, 2);
    ck_assert_uint_eq(c.bad_method, 1);
    ck_assert_int_eq(s_calls, 2);
    pb_http_destroy(&h);
}
END_TEST

START_TEST(an_oversized_header_is_refused)
{
    char err[256] = "", reply[4096];
    pb_http_t *h = s_new("127.0.0.1:0", false, err, sizeof err);
    ck_assert_ptr_nonnull(h);
    size_t n = 64 * 1024;
    char *req = malloc(n + 128);
    int head = snprintf(req, n + 128, "GET /x HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + head, 'a', n);
    strcpy(req + head + n, "\r\n\r\n");
    s_calls = 0;
    s_exchange(h, req, reply, sizeof reply);
    ck_assert_msg(reply[0] == '\0' || strstr(reply, "HTTP/1.1 431") ||
                      strstr(reply, "HTTP/1.1 413"),
                  "%.80s", reply);
    ck_assert_int_eq(s_calls, 0);
    free(req);
    pb_http_destroy(&h);
}
END_TEST

/* ---- streamed replies ---- */

static struct {
    char pending[256];
    int reads, dones;
    pb_http_stream_t *stream;
} s_st;

static long s_st_read(void *arg, char *buf, size_t max)
{
    (void)arg;
    s_st.reads++;
    size_t n = strlen(s_st.pending);
    n = n < max ? n : max;
    memcpy(buf, s_st.pending, n);
    memmove(s_st.pending, s_st.pending + n, strlen(s_st.pending) - n + 1);
    return (long)n;
}

static void s_st_done(void *arg)
{
    (void)arg;
    s_st.dones++;
    s_st.stream = NULL;
}

static void s_st_handle(void *arg, const pb_http_request_t *req, pb_http_reply_t *r)
{
    (void)arg;
    (void)req;
    s_st.stream = pb_http_reply_stream(r, "text/event-stream", s_st_read, s_st_done, NULL);
    ck_assert_ptr_nonnull(s_st.stream);
}

static int s_connect(pb_http_t *h)
{
    const char *addr = pb_http_address(h);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Runs h and reads fd for up to rounds x 10 ms, until want is in out (NULL: until EOF).
 * Returns how many rounds found the server's fd ready. */
static int s_pump(pb_http_t *h, int fd, char *out, size_t size, size_t *got, const char *want,
                  int rounds, bool *eof)
{
    int ready = 0;
    for (int i = 0; i < rounds && !*eof && !(want && strstr(out, want)); i++) {
        struct pollfd p[2] = {{pb_http_fd(h), POLLIN, 0}, {fd, POLLIN, 0}};
        poll(p, 2, 10);
        ready += (p[0].revents & POLLIN) != 0;
        ck_assert_int_eq(pb_http_run(h), 0);
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = recv(fd, out + *got, size - 1 - *got, MSG_DONTWAIT);
            *eof = n == 0;
            *got += n > 0 ? (size_t)n : 0;
            out[*got] = '\0';
        }
    }
    return ready;
}

static int s_stream_start(pb_http_t **h_p, const char *first)
{
    char err[256] = "";
    memset(&s_st, 0, sizeof s_st);
    strcpy(s_st.pending, first);
    pb_http_config_t c = {.addr = "127.0.0.1:0", .timeout_s = 5};
    *h_p = pb_http_new(&c, s_st_handle, NULL, err, sizeof err);
    ck_assert_msg(*h_p != NULL, "%s", err);
    int fd = s_connect(*h_p);
    const char *req = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    return fd;
}

/* A stream with nothing to send is suspended (no busy loop), resumed by a wake, and closed from
 * the server's side at once; done is called once. */
START_TEST(a_stream_suspends_wakes_and_closes)
{
    char out[4096] = "";
    size_t got = 0;
    bool eof = false;
    pb_http_t *h = NULL;
    int fd = s_stream_start(&h, "retry: 1\n\n");
    s_pump(h, fd, out, sizeof out, &got, "retry: 1", 300, &eof);
    ck_assert_msg(strstr(out, "200 OK") && strstr(out, "text/event-stream"), "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "retry: 1"));
    ck_assert_uint_eq(pb_http_counts(h).streams, 1);
    int reads = s_st.reads;
    int ready = s_pump(h, fd, out, sizeof out, &got, NULL, 30, &eof);
    ck_assert_int_le(s_st.reads - reads, 1); /* suspended: not asked again and again */
    ck_assert_int_le(ready, 2);
    strcpy(s_st.pending, "data: x\n\n");
    pb_http_stream_wake(s_st.stream);
    s_pump(h, fd, out, sizeof out, &got, "data: x", 300, &eof);
    ck_assert_ptr_nonnull(strstr(out, "data: x"));
    strcpy(s_st.pending, "never sent");
    pb_http_stream_close(s_st.stream);
    s_pump(h, fd, out, sizeof out, &got, NULL, 300, &eof);
    ck_assert(eof);
    ck_assert_ptr_null(strstr(out, "never sent"));
    ck_assert_int_eq(s_st.dones, 1);
    ck_assert_uint_eq(pb_http_counts(h).streams, 0);
    close(fd);
    pb_http_destroy(&h);
}
END_TEST

/* Stopping the server with a suspended stream resumes and ends it first (MHD's rule). */
START_TEST(destroy_ends_a_suspended_stream)
{
    char out[4096] = "";
    size_t got = 0;
    bool eof = false;
    pb_http_t *h = NULL;
    int fd = s_stream_start(&h, "hello\n");
    s_pump(h, fd, out, sizeof out, &got, "hello", 300, &eof);
    s_pump(h, fd, out, sizeof out, &got, NULL, 5, &eof);
    ck_assert_int_eq(s_st.dones, 0);
    pb_http_destroy(&h);
    ck_assert_int_eq(s_st.dones, 1);
    close(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_http");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, addresses_are_checked_and_beyond_loopback_needs_insecure);
    tcase_add_test(tc, port_zero_is_resolved_and_requests_reach_the_handler);
    tcase_add_test(tc, an_oversized_header_is_refused);
    tcase_add_test(tc, beyond_loopback_needs_tls_and_a_token);
    tcase_add_test(tc, secret_files_are_checked);
    tcase_add_test(tc, the_token_is_required_on_every_request);
    tcase_add_test(tc, a_stream_suspends_wakes_and_closes);
    tcase_add_test(tc, destroy_ends_a_suspended_stream);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    s_files_remove();
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
