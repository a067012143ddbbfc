/* Check suite for pb_rw_sender: outcome classes, and a sender against a scripted HTTP server here.
 */
#include "pb_prompb.h"
#include "pb_rw_sender.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

START_TEST(statuses_are_sent_retried_or_failed_as_the_spec_says)
{
    ck_assert_int_eq(pb_rw_sender_classify(200), PB_RW_SENT);
    ck_assert_int_eq(pb_rw_sender_classify(204), PB_RW_SENT);
    ck_assert_int_eq(pb_rw_sender_classify(0), PB_RW_RETRY);
    ck_assert_int_eq(pb_rw_sender_classify(429), PB_RW_RETRY);
    ck_assert_int_eq(pb_rw_sender_classify(500), PB_RW_RETRY);
    ck_assert_int_eq(pb_rw_sender_classify(503), PB_RW_RETRY);
    ck_assert_int_eq(pb_rw_sender_classify(400), PB_RW_FAILED);
    ck_assert_int_eq(pb_rw_sender_classify(401), PB_RW_FAILED);
    ck_assert_int_eq(pb_rw_sender_classify(404), PB_RW_FAILED);
    ck_assert_int_eq(pb_rw_sender_classify(413), PB_RW_FAILED);
    ck_assert_int_eq(pb_rw_sender_classify(301), PB_RW_FAILED);
}
END_TEST

/* ---- a scripted receiver: answers the i-th request with status[i] ---- */

#define S_MAX_REQ 8

typedef struct {
    int listen_fd, port;
    const int *status;
    int nstatus;
    char *bodies[S_MAX_REQ];
    size_t lens[S_MAX_REQ];
    char auth[256];
    int n;
    pthread_mutex_t lock;
} s_server_t;

/* Reads one request (headers, then Content-Length bytes); 0 at EOF. */
static int s_read_request(s_server_t *s, int fd, char **body, size_t *len)
{
    char head[8192] = "";
    size_t n = 0;
    while (n < sizeof head - 1 && !strstr(head, "\r\n\r\n")) {
        ssize_t k = read(fd, head + n, 1);
        if (k <= 0)
            return 0;
        head[++n] = '\0';
    }
    const char *cl = strcasestr(head, "Content-Length:"), *au = strcasestr(head, "Authorization:");
    *len = cl ? strtoul(cl + 15, NULL, 10) : 0;
    if (au)
        sscanf(au, "Authorization: %255[^\r]", s->auth);
    *body = malloc(*len + 1);
    for (size_t got = 0; got < *len;) {
        ssize_t k = read(fd, *body + got, *len - got);
        if (k <= 0)
            return 0;
        got += (size_t)k;
    }
    return 1;
}

static void *s_serve(void *arg)
{
    s_server_t *s = arg;
    int fd;
    while ((fd = accept(s->listen_fd, NULL, NULL)) >= 0) {
        char *body = NULL;
        size_t len = 0;
        while (s_read_request(s, fd, &body, &len)) {
            pthread_mutex_lock(&s->lock);
            int i = s->n < S_MAX_REQ ? s->n : S_MAX_REQ - 1;
            int status = s->n < s->nstatus ? s->status[s->n] : 200;
            free(s->bodies[i]);
            s->bodies[i] = body, s->lens[i] = len, s->n++;
            pthread_mutex_unlock(&s->lock);
            char reply[256];
            int r = snprintf(
                reply, sizeof reply,
                "HTTP/1.1 %d X\r\nContent-Length: 9\r\nRetry-After: 0\r\n\r\nbad thing", status);
            if (send(fd, reply, (size_t)r, MSG_NOSIGNAL) != r)
                break; /* the client went: a new connection comes */
            body = NULL;
        }
        free(body);
        close(fd);
    }
    return NULL;
}

static void s_server_start(s_server_t *s, pthread_t *t, const int *status, int n)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->status = status, s->nstatus = n;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s->listen_fd, 4), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.sin_port);
    pthread_create(t, NULL, s_serve, s);
}

/* Closes the port, joins the server's thread and frees the bodies it kept. */
static void s_server_stop(s_server_t *s, pthread_t t)
{
    shutdown(s->listen_fd, SHUT_RDWR);
    close(s->listen_fd);
    pthread_join(t, NULL);
    for (int i = 0; i < S_MAX_REQ; i++)
        free(s->bodies[i]);
}

static int s_requests(s_server_t *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void s_wait_requests(s_server_t *s, int n)
{
    for (int i = 0; i < 500 && s_requests(s) < n; i++)
        usleep(10000);
    ck_assert_int_ge(s_requests(s), n);
}

static void s_entries(pb_prom_out_t *out, int from, int to)
{
    for (int i = from; i < to; i++) {
        pb_prom_sample_t smp;
        memset(&smp, 0, sizeof smp);
        smp.name = "node_load1";
        smp.value = i;
        ck_assert_int_eq(pb_prompb_append(out, &smp, i), 0);
    }
}

/* The body of request i, snappy-uncompressed. */
static char *s_plain(s_server_t *s, int i, size_t *len)
{
    ck_assert_msg(s->bodies[i], "request %d came", i);
    ck_assert_int_eq(snappy_uncompressed_length(s->bodies[i], s->lens[i], len), SNAPPY_OK);
    char *out = malloc(*len + 1);
    ck_assert_int_eq(snappy_uncompress(s->bodies[i], s->lens[i], out, len), SNAPPY_OK);
    return out;
}

static void s_stats(pb_rw_sender_t *w, pb_rw_sender_stats_t *st, uint64_t requests)
{
    for (int i = 0; i < 500; i++) {
        pb_rw_sender_stats(w, st);
        if (st->requests >= requests && st->queue_depth == 0)
            return;
        usleep(10000);
    }
}

START_TEST(retries_resend_the_same_batch_a_refusal_is_never_resent)
{
    static const int script[] = {500, 429, 200, 400, 200};
    s_server_t srv;
    pthread_t t;
    s_server_start(&srv, &t, script, 5);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/write", srv.port);
    pb_rw_sender_config_t c = {url, 100, 3, 20, 2000, 5, 20, NULL, "tok3n", NULL, 0};
    pb_rw_sender_t *w = pb_rw_sender_new(&c, err, sizeof err);
    ck_assert_msg(w, "%s", err);
    pb_prom_out_t a = {0}, b = {0}, d = {0};
    s_entries(&a, 0, 3);
    s_entries(&b, 3, 6);
    s_entries(&d, 6, 8);
    ck_assert_int_eq(pb_rw_sender_push(w, a.data, a.len), 3);
    s_wait_requests(&srv, 3); /* 500, 429, then 200: the same three samples each time */
    ck_assert_int_eq(pb_rw_sender_push(w, b.data, b.len), 3);
    s_wait_requests(&srv, 4); /* 400: refused */
    ck_assert_int_eq(pb_rw_sender_push(w, d.data, d.len), 2);
    s_wait_requests(&srv, 5); /* the two, after the deadline, not the refused three again */
    pb_rw_sender_stats_t st;
    s_stats(w, &st, 5);
    for (int i = 0; i < 3; i++) {
        size_t len;
        char *plain = s_plain(&srv, i, &len);
        ck_assert_uint_eq(len, a.len);
        ck_assert(memcmp(plain, a.data, a.len) == 0); /* snappy round trip, byte for byte */
        free(plain);
    }
    size_t len;
    char *plain = s_plain(&srv, 4, &len);
    ck_assert(len == d.len && memcmp(plain, d.data, d.len) == 0);
    free(plain);
    ck_assert_uint_eq(st.requests, 5);
    ck_assert_uint_eq(st.retried, 2);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_uint_eq(st.failed_samples, 3);
    ck_assert_uint_eq(st.samples_sent, 5);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_str_eq(st.last_error, "HTTP 400: bad thing");
    ck_assert_uint_gt(st.last_error_ns, 0);
    ck_assert_str_eq(srv.auth, "Bearer tok3n");
    pb_rw_sender_destroy(&w);
    ck_assert_ptr_null(w);
    s_server_stop(&srv, t);
    pb_prom_out_free(&a);
    pb_prom_out_free(&b);
    pb_prom_out_free(&d);
}
END_TEST

START_TEST(a_closed_port_keeps_the_queue_bounded_and_drops_the_oldest)
{
    s_server_t srv;
    pthread_t t;
    s_server_start(&srv, &t, NULL, 0);
    shutdown(srv.listen_fd, SHUT_RDWR);
    close(srv.listen_fd);
    pthread_join(t, NULL); /* the port is closed now: every try is a network error */
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/w", srv.port);
    pb_rw_sender_config_t c = {url, 10, 4, 10, 1000, 5, 10, "u:p", NULL, NULL, 300};
    pb_rw_sender_t *w = pb_rw_sender_new(&c, err, sizeof err);
    ck_assert_msg(w, "%s", err);
    pb_prom_out_t a = {0};
    s_entries(&a, 0, 30);
    ck_assert_int_eq(pb_rw_sender_push(w, a.data, a.len), 30);
    pb_rw_sender_stats_t st;
    for (int i = 0; i < 300; i++) {
        pb_rw_sender_stats(w, &st);
        if (st.retried >= 3)
            break;
        usleep(10000);
    }
    ck_assert_uint_ge(st.retried, 3);
    ck_assert_uint_eq(st.samples_sent, 0);
    ck_assert_uint_eq(st.dropped + st.queue_depth, 30);
    ck_assert_uint_le(st.queue_depth, 10 + 4); /* the bound, and a batch in flight */
    ck_assert_uint_eq(st.last_status, 0);
    ck_assert(strstr(st.last_error, "onnect") != NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pb_rw_sender_destroy(&w); /* retries for flush_ms, then stops */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took >= 0.25 && took < 5.0, "destroy took %.3f s for a flush of 0.3 s", took);
    pb_rw_sender_destroy(&w);
    pb_prom_out_free(&a);
}
END_TEST

/* Samples waiting for a fuller batch (a delay of a minute) are sent when the sender is
 * destroyed, before destroy returns: a shutdown does not lose what was queued. */
START_TEST(destroy_sends_what_is_queued)
{
    static const int script[] = {200, 200, 200};
    s_server_t srv;
    pthread_t t;
    s_server_start(&srv, &t, script, 3);
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/write", srv.port);
    pb_rw_sender_config_t c = {url, 100, 50, 60000, 2000, 5, 20, NULL, NULL, NULL, 0};
    pb_rw_sender_t *w = pb_rw_sender_new(&c, err, sizeof err);
    ck_assert_msg(w, "%s", err);
    pb_prom_out_t a = {0};
    s_entries(&a, 0, 20);
    ck_assert_int_eq(pb_rw_sender_push(w, a.data, a.len), 20);
    usleep(100000);
    ck_assert_int_eq(s_requests(&srv), 0); /* waiting for 50, or a minute */
    pb_rw_sender_destroy(&w);
    ck_assert_int_eq(s_requests(&srv), 1);
    size_t len;
    char *plain = s_plain(&srv, 0, &len);
    ck_assert(len == a.len && memcmp(plain, a.data, a.len) == 0);
    free(plain);
    s_server_stop(&srv, t);
    pb_prom_out_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_rw_sender");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, statuses_are_sent_retried_or_failed_as_the_spec_says);
    tcase_add_test(tc, retries_resend_the_same_batch_a_refusal_is_never_resent);
    tcase_add_test(tc, destroy_sends_what_is_queued);
    tcase_add_test(tc, a_closed_port_keeps_the_queue_bounded_and_drops_the_oldest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
