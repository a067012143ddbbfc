/* pb_remote_write: checks the remote_write settings, encodes each frame once, feeds the senders. */
#include "pb_remote_write.h"

#include "pb_log.h"
#include "pb_prompb.h"
#include "pb_rw_sender.h"
#include "pb_samples.h"
#include "pb_secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct pb_remote_write {
    pb_rw_sender_t *senders[PB_REMOTE_WRITE_MAX_URLS];
    size_t nsenders;
    pb_samples_t *samples;
    pb_prom_out_t entries; /* one frame's, reused */
    int64_t ts_ms;         /* the frame's */
    uint64_t errors;       /* frames that did not walk or found no memory */
};

/* ---- settings ---- */

static bool s_loopback(const char *host, size_t n)
{
    char h[64];
    if (n == 0 || n >= sizeof h)
        return false;
    memcpy(h, host, n);
    h[n] = '\0';
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(h, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int pb_remote_write_check_url(const char *url, bool insecure, char *err, size_t errlen)
{
    bool tls = strncasecmp(url, "https://", 8) == 0;
    if (!tls && strncasecmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "--remote-write '%.200s': only http:// and https:// URLs are sent to",
                 url);
        return -EINVAL;
    }
    const char *auth = url + (tls ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    if (memchr(auth, '@', alen)) {
        snprintf(err, errlen,
                 "--remote-write '%.200s': no credentials in the URL (the command "
                 "line is public): use --remote-write-basic-auth-file",
                 url);
        return -EINVAL;
    }
    const char *host = auth;
    size_t hlen = *host == '[' ? strcspn(host, "]") : strcspn(host, ":/?#");
    if (*host == '[')
        host++, hlen = hlen ? hlen - 1 : 0;
    if (hlen == 0 || strpbrk(url, " \t\r\n")) {
        snprintf(err, errlen, "--remote-write '%.200s': no host in the URL", url);
        return -EINVAL;
    }
    if (!tls && !insecure && !s_loopback(host, hlen)) {
        snprintf(err, errlen,
                 "--remote-write '%.200s': http:// beyond loopback sends samples "
                 "in clear; use https:// (or --insecure to allow it)",
                 url);
        return -EINVAL;
    }
    return 0;
}

/* The key files and CA file, checked; *userpwd / *bearer are the caller's to wipe. */
static int s_read_keys(const pb_remote_write_config_t *c, char **userpwd, char **bearer, char *err,
                       size_t errlen)
{
    if (c->basic_auth_file) {
        if (pb_secret_read_line(c->basic_auth_file, "--remote-write-basic-auth-file", userpwd, err,
                                errlen) < 0)
            return -EINVAL;
        const char *colon = strchr(*userpwd, ':');
        if (!colon || colon == *userpwd) {
            snprintf(err, errlen, "--remote-write-basic-auth-file %s: not user:password",
                     c->basic_auth_file);
            return -EINVAL;
        }
    }
    if (c->bearer_token_file) {
        if (pb_secret_read_token(c->bearer_token_file, "--remote-write-bearer-token-file", 1,
                                 bearer, err, errlen) < 0)
            return -EINVAL;
    }
    if (c->ca_file && access(c->ca_file, R_OK) < 0) {
        snprintf(err, errlen, "--remote-write-ca-file %s: %s", c->ca_file, strerror(errno));
        return -EINVAL;
    }
    return 0;
}

/* ---- lifetime ---- */

static int s_start(pb_remote_write_t *self, const pb_remote_write_config_t *c, char *err,
                   size_t errlen)
{
    for (size_t i = 0; i < c->nurl; i++)
        if (pb_remote_write_check_url(c->url[i], c->insecure, err, errlen) < 0)
            return -EINVAL;
    char *userpwd = NULL, *bearer = NULL;
    int rc = s_read_keys(c, &userpwd, &bearer, err, errlen);
    for (size_t i = 0; rc == 0 && i < c->nurl; i++) {
        pb_rw_sender_config_t sc = {.url = c->url[i],
                                    .queue = c->queue,
                                    .batch = c->batch,
                                    .delay_ms = c->delay_ms,
                                    .userpwd = userpwd,
                                    .bearer = bearer,
                                    .ca_file = c->ca_file};
        self->senders[i] = pb_rw_sender_new(&sc, err, errlen);
        rc = self->senders[i] ? 0 : -EINVAL;
        self->nsenders += rc == 0;
        if (rc == 0)
            pb_log_info("remote write to %s", c->url[i]);
    }
    pb_secret_free(&userpwd);
    pb_secret_free(&bearer);
    return rc;
}

pb_remote_write_t *pb_remote_write_new(const pb_remote_write_config_t *config, char *err,
                                       size_t errlen)
{
    pb_remote_write_t *self = calloc(1, sizeof *self);
    if (self)
        self->samples = pb_samples_new();
    if (!self || !self->samples) {
        snprintf(err, errlen, "out of memory");
        pb_remote_write_destroy(&self);
        return NULL;
    }
    if (config->nurl > PB_REMOTE_WRITE_MAX_URLS) {
        snprintf(err, errlen, "--remote-write: at most %d URLs", PB_REMOTE_WRITE_MAX_URLS);
        pb_remote_write_destroy(&self);
    } else if (s_start(self, config, err, errlen) < 0)
        pb_remote_write_destroy(&self);
    return self;
}

void pb_remote_write_destroy(pb_remote_write_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_remote_write_t *self = *self_p;
    for (size_t i = 0; i < self->nsenders; i++)
        pb_rw_sender_drain(self->senders[i]); /* side by side: a shutdown waits for the slowest */
    for (size_t i = 0; i < self->nsenders; i++)
        pb_rw_sender_destroy(&self->senders[i]);
    pb_samples_destroy(&self->samples);
    pb_prom_out_free(&self->entries);
    free(self);
    *self_p = NULL;
}

/* ---- frames ---- */

static void s_sample(const pb_prom_sample_t *s, void *arg)
{
    pb_remote_write_t *self = arg;
    pb_prompb_append(&self->entries, s, self->ts_ms);
}

int pb_remote_write_frame(pb_remote_write_t *self, const pb_frame_view_t *frame,
                          const void *payload, size_t len)
{
    if (frame->type != PB_FT_SYS && frame->type != PB_FT_PROC)
        return 0;
    pb_prom_out_reset(&self->entries);
    self->ts_ms = (int64_t)(frame->env.ts / 1000000u);
    int n = pb_samples_each(self->samples, frame->env.host, frame->type == PB_FT_SYS, payload, len,
                            s_sample, self);
    if (n < 0 || self->entries.failed) {
        self->errors++;
        return n < 0 ? n : -ENOMEM;
    }
    for (size_t i = 0; i < self->nsenders && self->entries.len; i++)
        pb_rw_sender_push(self->senders[i], self->entries.data, self->entries.len);
    return n;
}

/* ---- stats ---- */

static int s_put_error(pb_value_t *m, const pb_rw_sender_stats_t *s)
{
    if (!s->last_error[0]) {
        pb_value_t *a = pb_value_nil_new(), *b = pb_value_nil_new();
        int rc = a && b ? pb_value_map_put(m, "last_error", &a) : -ENOMEM;
        rc = rc ? rc : pb_value_map_put(m, "last_error_ts", &b);
        pb_value_destroy(&a);
        pb_value_destroy(&b);
        return rc;
    }
    int rc = pb_value_map_put_str(m, "last_error", s->last_error);
    return rc ? rc : pb_value_map_put_float(m, "last_error_ts", (double)s->last_error_ns / 1e9);
}

static pb_value_t *s_sender_value(pb_rw_sender_t *sender, uint64_t errors)
{
    pb_rw_sender_stats_t s;
    pb_rw_sender_stats(sender, &s);
    pb_value_t *m = pb_value_map_new();
    int rc = m ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(m, "url", pb_rw_sender_url(sender));
    rc = rc ? rc : pb_value_map_put_uint(m, "samples_sent", s.samples_sent);
    rc = rc ? rc : pb_value_map_put_uint(m, "requests", s.requests);
    rc = rc ? rc : pb_value_map_put_uint(m, "retried", s.retried);
    rc = rc ? rc : pb_value_map_put_uint(m, "failed", s.failed);
    rc = rc ? rc : pb_value_map_put_uint(m, "failed_samples", s.failed_samples);
    rc = rc ? rc : pb_value_map_put_uint(m, "dropped", s.dropped);
    rc = rc ? rc : pb_value_map_put_uint(m, "queue_depth", s.queue_depth);
    rc = rc ? rc : pb_value_map_put_uint(m, "last_status", (uint64_t)s.last_status);
    rc = rc ? rc : pb_value_map_put_uint(m, "encode_errors", errors);
    rc = rc ? rc : s_put_error(m, &s);
    if (rc < 0)
        pb_value_destroy(&m);
    return m;
}

pb_value_t *pb_remote_write_value(pb_remote_write_t *self)
{
    pb_value_t *arr = pb_value_array_new();
    for (size_t i = 0; arr && i < self->nsenders; i++) {
        pb_value_t *m = s_sender_value(self->senders[i], self->errors);
        if (!m || pb_value_array_push(arr, &m) < 0) {
            pb_value_destroy(&m);
            pb_value_destroy(&arr);
        }
    }
    return arr;
}
