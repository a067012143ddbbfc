/* pb_rw_sender: the sender thread of one remote_write URL: batches, snappy, POST, backoff. */
#define CURL_DISABLE_TYPECHECK
#include "pb_rw_sender.h"

#include "pb_dlib.h"
#include "pb_log.h"
#include "pb_prom.h"
#include "pb_rw_queue.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_LIBCURL   "libcurl.so.4"
#define S_LIBSNAPPY "libsnappy.so.1"
#define S_BODY_KEPT 200 /* bytes of a refusal's body kept for the log and stats */

/* libcurl and libsnappy are loaded only by a perfbus-sub given --remote-write
 * (libcurl brings OpenSSL and a dozen libraries; libsnappy the C++ runtime).
 * The functions used, in the order of the names below. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} s_curl;
static const char *const s_curl_names[] = {
    "curl_global_init",   "curl_easy_init",    "curl_easy_setopt",
    "curl_easy_perform",  "curl_easy_getinfo", "curl_easy_cleanup",
    "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all"};
#define S_CURL_N (sizeof s_curl_names / sizeof s_curl_names[0])
_Static_assert(sizeof s_curl == S_CURL_N * sizeof(pb_dlib_fn), "s_curl and its names differ");

static struct {
    snappy_status (*compress)(const char *, size_t, char *, size_t *);
    size_t (*max_compressed_length)(size_t);
} s_snappy;
static const char *const s_snappy_names[] = {"snappy_compress", "snappy_max_compressed_length"};
#define S_SNAPPY_N (sizeof s_snappy_names / sizeof s_snappy_names[0])
_Static_assert(sizeof s_snappy == S_SNAPPY_N * sizeof(pb_dlib_fn), "s_snappy and its names differ");

static char s_load_error[512]; /* "" once loaded */
static pthread_once_t s_load_once = PTHREAD_ONCE_INIT;

/* curl_global_init is called here, once, before any sender thread starts. */
static void s_load(void)
{
    if (pb_dlib_load(S_LIBCURL, s_curl_names, (pb_dlib_fn *)&s_curl, S_CURL_N, s_load_error,
                     sizeof s_load_error) < 0)
        return;
    if (pb_dlib_load(S_LIBSNAPPY, s_snappy_names, (pb_dlib_fn *)&s_snappy, S_SNAPPY_N, s_load_error,
                     sizeof s_load_error) < 0)
        return;
    CURLcode rc = s_curl.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        snprintf(s_load_error, sizeof s_load_error, "curl_global_init failed: %s",
                 s_curl.easy_strerror(rc));
}

struct pb_rw_sender {
    pb_rw_sender_config_t config;
    char *url, *userpwd, *bearer, *ca_file;
    pthread_mutex_t lock; /* guards queue, stats, stop, draining, done, first_ns */
    pthread_cond_t wake;  /* a full batch, draining, or stop */
    pthread_cond_t ended; /* done */
    pthread_t thread;
    bool started, stop;
    bool draining;         /* shutting down: send what is queued, no waiting for fuller batches */
    uint64_t drain_end_ns; /* monotonic: when the drain gives up */
    bool done;             /* the thread has returned (all sent, or stopped) */
    atomic_bool abort;     /* read by curl's progress callback: stop now */
    pb_rw_queue_t *queue;
    uint64_t first_ns; /* when the oldest queued sample came (for delay_ms) */
    pb_rw_sender_stats_t stats;
    /* the thread's own */
    CURL *curl;
    struct curl_slist *headers;
    pb_prom_out_t batch; /* the request being sent: entries, uncompressed */
    size_t batch_n;
    char *packed; /* its snappy form */
    size_t packed_cap;
    char body[S_BODY_KEPT + 1]; /* the start of the answer's body */
    size_t body_len;
    unsigned retry_after_ms; /* a Retry-After of the last answer, 0 when none */
    unsigned backoff_ms;
    uint64_t failures_logged;
};

pb_rw_outcome_t pb_rw_sender_classify(long status)
{
    if (status >= 200 && status < 300)
        return PB_RW_SENT;
    if (status == 0 || status == 429 || (status >= 500 && status < 600))
        return PB_RW_RETRY;
    return PB_RW_FAILED;
}

static uint64_t s_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t s_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- curl callbacks (the thread's) ---- */

static size_t s_on_body(char *data, size_t size, size_t n, void *arg)
{
    pb_rw_sender_t *self = arg;
    size_t len = size * n, room = S_BODY_KEPT - self->body_len;
    size_t take = len < room ? len : room;
    memcpy(self->body + self->body_len, data, take);
    self->body_len += take;
    return len;
}

static size_t s_on_header(char *data, size_t size, size_t n, void *arg)
{
    pb_rw_sender_t *self = arg;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char text[32];
        size_t k = len - 12 < sizeof text - 1 ? len - 12 : sizeof text - 1;
        memcpy(text, data + 12, k);
        text[k] = '\0';
        char *end = NULL;
        long s = strtol(text, &end, 10); /* seconds; an HTTP date is left to the backoff */
        if (end != text && s >= 0 && s < 86400)
            self->retry_after_ms = (unsigned)s * 1000u;
    }
    return len;
}

static int s_on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    pb_rw_sender_t *self = arg;
    return atomic_load(&self->abort) ? 1 : 0;
}

/* ---- setup ---- */

static char *s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int s_headers(pb_rw_sender_t *self)
{
    static const char *const fixed[] = {"Content-Encoding: snappy",
                                        "Content-Type: application/x-protobuf",
                                        "X-Prometheus-Remote-Write-Version: 0.1.0", "Expect:"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        struct curl_slist *l = s_curl.slist_append(self->headers, fixed[i]);
        if (!l)
            return -ENOMEM;
        self->headers = l;
    }
    if (!self->bearer)
        return 0;
    size_t n = strlen(self->bearer) + 32;
    char *h = malloc(n);
    struct curl_slist *l = NULL;
    if (h) {
        snprintf(h, n, "Authorization: Bearer %s", self->bearer);
        l = s_curl.slist_append(self->headers, h);
        memset(h, 0, n);
        free(h);
    }
    if (l)
        self->headers = l;
    return l ? 0 : -ENOMEM;
}

static int s_curl_setup(pb_rw_sender_t *self)
{
    CURL *c = self->curl = s_curl.easy_init();
    if (!c || s_headers(self) < 0)
        return -ENOMEM;
    int rc = 0;
    rc |= s_curl.easy_setopt(c, CURLOPT_URL, self->url);
    rc |= s_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= s_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc |= s_curl.easy_setopt(c, CURLOPT_POST, 1L);
    rc |= s_curl.easy_setopt(c, CURLOPT_HTTPHEADER, self->headers);
    rc |= s_curl.easy_setopt(c, CURLOPT_USERAGENT, "perfbus-sub/" PB_VERSION);
    rc |= s_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)self->config.timeout_ms);
    rc |= s_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)self->config.timeout_ms);
    rc |= s_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_body);
    rc |= s_curl.easy_setopt(c, CURLOPT_WRITEDATA, self);
    rc |= s_curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, s_on_header);
    rc |= s_curl.easy_setopt(c, CURLOPT_HEADERDATA, self);
    rc |= s_curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    rc |= s_curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    rc |= s_curl.easy_setopt(c, CURLOPT_XFERINFODATA, self);
    if (self->userpwd) {
        rc |= s_curl.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        rc |= s_curl.easy_setopt(c, CURLOPT_USERPWD, self->userpwd);
    }
    if (self->ca_file)
        rc |= s_curl.easy_setopt(c, CURLOPT_CAINFO, self->ca_file);
    return rc ? -EINVAL : 0;
}

/* ---- one request ---- */

/* The start of the receiver's answer as one line of printable ASCII. */
static void s_body_text(pb_rw_sender_t *self, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < self->body_len && n + 1 < size; i++) {
        unsigned char ch = (unsigned char)self->body[i];
        out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ch == '\n' || ch == '\t' ? ' ' : '?';
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static int s_pack(pb_rw_sender_t *self, size_t *len)
{
    size_t need = s_snappy.max_compressed_length(self->batch.len);
    if (need > self->packed_cap) {
        char *p = realloc(self->packed, need);
        if (!p)
            return -ENOMEM;
        self->packed = p;
        self->packed_cap = need;
    }
    *len = need;
    return s_snappy.compress(self->batch.data, self->batch.len, self->packed, len) == SNAPPY_OK
               ? 0
               : -EIO;
}

/* POSTs the batch; returns the status, 0 after a network error (why in err). */
static long s_post(pb_rw_sender_t *self, char *err, size_t errlen)
{
    size_t len = 0;
    if (s_pack(self, &len) < 0) {
        snprintf(err, errlen, "cannot compress %zu bytes", self->batch.len);
        return 0;
    }
    self->body_len = 0;
    self->retry_after_ms = 0;
    s_curl.easy_setopt(self->curl, CURLOPT_POSTFIELDS, self->packed);
    s_curl.easy_setopt(self->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = s_curl.easy_perform(self->curl);
    long status = 0;
    if (rc == CURLE_OK)
        s_curl.easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", s_curl.easy_strerror(rc));
    return status;
}

/* ---- the thread ---- */

static void s_note_error(pb_rw_sender_t *self, long status, const char *why)
{
    pb_rw_sender_stats_t *s = &self->stats;
    if (status)
        snprintf(s->last_error, sizeof s->last_error, "HTTP %ld: %s", status, why);
    else
        snprintf(s->last_error, sizeof s->last_error, "%s", why);
    s->last_error_ns = s_wall_ns();
    /* the first failure of a run, then one in a hundred: an outage is not a log flood */
    if (self->failures_logged++ % 100 == 0)
        pb_log_warn("remote write to %s: %s (%zu samples %s)", self->url, s->last_error,
                    self->batch_n,
                    pb_rw_sender_classify(status) == PB_RW_RETRY ? "kept for a retry"
                                                                 : "refused, not resent");
}

/* Books the answer to the batch (the lock held); returns ms to wait before the next try. */
static unsigned s_outcome(pb_rw_sender_t *self, long status, const char *neterr)
{
    pb_rw_sender_stats_t *s = &self->stats;
    pb_rw_outcome_t o = pb_rw_sender_classify(status);
    char why[S_BODY_KEPT + 1];
    s->requests++;
    s->last_status = status;
    s_body_text(self, why, sizeof why);
    if (o == PB_RW_SENT) {
        s->samples_sent += self->batch_n;
        if (self->failures_logged)
            pb_log_info("remote write to %s: sending again", self->url);
        self->failures_logged = 0;
        self->backoff_ms = 0;
    } else if (o == PB_RW_FAILED) {
        s->failed++;
        s->failed_samples += self->batch_n;
        s_note_error(self, status, why[0] ? why : "(no body)");
    } else {
        s->retried++;
        s_note_error(self, status, status ? (why[0] ? why : "(no body)") : neterr);
        unsigned max = self->config.max_backoff_ms, b = self->backoff_ms;
        b = b ? (b * 2 < max ? b * 2 : max) : self->config.min_backoff_ms;
        self->backoff_ms = b;
        return self->retry_after_ms > b ? (self->retry_after_ms < max ? self->retry_after_ms : max)
                                        : b;
    }
    self->batch_n = 0;
    pb_prom_out_reset(&self->batch);
    return 0;
}

/* Waits (the lock held) until ms pass or stop; with `any`, until any signal (a full batch). */
static void s_sleep(pb_rw_sender_t *self, uint64_t ms, bool any)
{
    uint64_t end = s_mono_ns() + ms * 1000000u;
    struct timespec until = {(time_t)(end / 1000000000u), (long)(end % 1000000000u)};
    while (!self->stop && pthread_cond_timedwait(&self->wake, &self->lock, &until) == 0 && !any &&
           s_mono_ns() < end)
        ;
}

/* Fills the batch (the lock held) once a full one waits or the oldest sample waited delay_ms. */
static void s_fill(pb_rw_sender_t *self)
{
    const pb_rw_sender_config_t *c = &self->config;
    while (!self->stop && self->batch_n == 0) {
        size_t len = pb_rw_queue_len(self->queue);
        uint64_t waited = len ? (s_mono_ns() - self->first_ns) / 1000000u : 0;
        if (len >= c->batch || (len > 0 && (waited >= c->delay_ms || self->draining))) {
            self->batch_n = pb_rw_queue_take(self->queue, &self->batch, c->batch);
            self->first_ns = s_mono_ns(); /* what is left came later: a fair bound */
        } else if (self->draining)
            self->stop = true; /* everything was sent */
        else
            s_sleep(self, len ? c->delay_ms - waited : 1000, true);
        if (self->batch.failed) /* no memory for the batch: try later */
            pb_prom_out_reset(&self->batch), s_sleep(self, 100, false);
    }
}

static void *s_run(void *arg)
{
    pb_rw_sender_t *self = arg;
    pthread_mutex_lock(&self->lock);
    while (!self->stop) {
        s_fill(self);
        if (self->stop)
            break;
        pthread_mutex_unlock(&self->lock);
        char neterr[CURL_ERROR_SIZE] = "";
        long status = s_post(self, neterr, sizeof neterr);
        pthread_mutex_lock(&self->lock);
        if (self->stop)
            break;
        unsigned wait = s_outcome(self, status, neterr);
        if (wait)
            s_sleep(self, wait, false);
    }
    self->done = true;
    pthread_cond_signal(&self->ended);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

/* ---- the caller's side ---- */

static void s_defaults(pb_rw_sender_config_t *c)
{
    c->queue = c->queue ? c->queue : 100000;
    c->batch = c->batch ? c->batch : 2000;
    c->delay_ms = c->delay_ms ? c->delay_ms : 1000;
    c->timeout_ms = c->timeout_ms ? c->timeout_ms : 10000;
    c->min_backoff_ms = c->min_backoff_ms ? c->min_backoff_ms : 30;
    c->max_backoff_ms = c->max_backoff_ms ? c->max_backoff_ms : 5000;
    c->flush_ms = c->flush_ms ? c->flush_ms : 5000;
}

static int s_init(pb_rw_sender_t *self, const pb_rw_sender_config_t *config, char *err,
                  size_t errlen)
{
    self->config = *config;
    s_defaults(&self->config);
    self->url = s_dup(config->url);
    self->userpwd = s_dup(config->userpwd);
    self->bearer = s_dup(config->bearer);
    self->ca_file = s_dup(config->ca_file);
    self->queue = pb_rw_queue_new(self->config.queue);
    if (!self->url || (config->userpwd && !self->userpwd) || (config->bearer && !self->bearer) ||
        (config->ca_file && !self->ca_file) || !self->queue || s_curl_setup(self) < 0) {
        snprintf(err, errlen,
                 "remote write to %s: cannot set up libcurl (out of memory, or a "
                 "libcurl without http/https)",
                 config->url);
        return -ENOMEM;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->wake, &attr);
    pthread_cond_init(&self->ended, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&self->thread, NULL, s_run, self);
    if (rc != 0) {
        snprintf(err, errlen, "remote write to %s: cannot start a thread: %s", config->url,
                 strerror(rc));
        return -rc;
    }
    self->started = true;
    return 0;
}

pb_rw_sender_t *pb_rw_sender_new(const pb_rw_sender_config_t *config, char *err, size_t errlen)
{
    pthread_once(&s_load_once, s_load);
    if (s_load_error[0]) {
        snprintf(err, errlen, "remote write needs libcurl and libsnappy: %s", s_load_error);
        return NULL;
    }
    pb_rw_sender_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (s_init(self, config, err, errlen) < 0)
        pb_rw_sender_destroy(&self);
    return self;
}

static void s_wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

void pb_rw_sender_drain(pb_rw_sender_t *self)
{
    if (!self || !self->started)
        return;
    pthread_mutex_lock(&self->lock);
    if (!self->draining) {
        self->draining = true;
        self->drain_end_ns = s_mono_ns() + (uint64_t)self->config.flush_ms * 1000000u;
        pthread_cond_signal(&self->wake);
    }
    pthread_mutex_unlock(&self->lock);
}

/* Waits (the lock held) for the drain to end or its time to pass, then stops the thread (a
 * request in flight is aborted) and says what was left unsent. */
static void s_stop_after_drain(pb_rw_sender_t *self)
{
    uint64_t end = self->drain_end_ns;
    struct timespec until = {(time_t)(end / 1000000000u), (long)(end % 1000000000u)};
    while (!self->done && pthread_cond_timedwait(&self->ended, &self->lock, &until) == 0)
        ;
    self->stop = true;
    atomic_store(&self->abort, true);
    pthread_cond_signal(&self->wake);
    size_t left = pb_rw_queue_len(self->queue) + self->batch_n;
    if (left)
        pb_log_warn("remote write to %s: %zu samples not sent within %u ms of shutdown are lost",
                    self->url, left, self->config.flush_ms);
}

void pb_rw_sender_destroy(pb_rw_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_rw_sender_t *self = *self_p;
    pb_rw_sender_drain(self);
    if (self->started) {
        pthread_mutex_lock(&self->lock);
        s_stop_after_drain(self);
        pthread_mutex_unlock(&self->lock);
        pthread_join(self->thread, NULL);
        pthread_cond_destroy(&self->ended);
        pthread_cond_destroy(&self->wake);
        pthread_mutex_destroy(&self->lock);
    }
    if (self->curl)
        s_curl.easy_cleanup(self->curl);
    if (self->headers)
        s_curl.slist_free_all(self->headers);
    pb_rw_queue_destroy(&self->queue);
    pb_prom_out_free(&self->batch);
    free(self->packed);
    free(self->url);
    s_wipe_free(self->userpwd);
    s_wipe_free(self->bearer);
    free(self->ca_file);
    free(self);
    *self_p = NULL;
}

int pb_rw_sender_push(pb_rw_sender_t *self, const void *buf, size_t len)
{
    pthread_mutex_lock(&self->lock);
    size_t before = pb_rw_queue_len(self->queue);
    uint64_t dropped = pb_rw_queue_dropped(self->queue);
    int rc = pb_rw_queue_push(self->queue, buf, len);
    if (before == 0 && rc > 0)
        self->first_ns = s_mono_ns();
    self->stats.dropped += pb_rw_queue_dropped(self->queue) - dropped;
    if (pb_rw_queue_len(self->queue) >= self->config.batch && self->batch_n == 0)
        pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    return rc;
}

void pb_rw_sender_stats(pb_rw_sender_t *self, pb_rw_sender_stats_t *out)
{
    pthread_mutex_lock(&self->lock);
    *out = self->stats;
    out->queue_depth = pb_rw_queue_len(self->queue) + self->batch_n;
    pthread_mutex_unlock(&self->lock);
}

const char *pb_rw_sender_url(const pb_rw_sender_t *self)
{
    return self->url;
}
