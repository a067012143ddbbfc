/* pb_dash: serves the compiled-in page, the query ops as JSON and the event streams. */
#include "pb_dash.h"

#include "pb_dash_assets.h"
#include "pb_json.h"
#include "pb_query.h"
#include "pb_rpc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_API "/api/"

struct pb_dash {
    pb_sub_t *sub;
    pb_events_t *events;
    char msg[512]; /* the body of a text reply */
};

pb_dash_t *pb_dash_new(pb_sub_t *sub, const pb_events_config_t *events)
{
    pb_dash_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->sub = sub;
    self->events = pb_events_new(events);
    if (!self->events)
        pb_dash_destroy(&self);
    return self;
}

void pb_dash_destroy(pb_dash_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_events_destroy(&(*self_p)->events);
    free(*self_p);
    *self_p = NULL;
}

pb_events_t *pb_dash_events(pb_dash_t *self)
{
    return self->events;
}

static void s_text(pb_dash_t *self, pb_http_reply_t *r, int status, const char *fmt,
                   const char *what)
{
    int n = snprintf(self->msg, sizeof self->msg, fmt, status, what);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof self->msg ? (size_t)n : sizeof self->msg - 1;
    *r = (pb_http_reply_t){.status = status,
                           .content_type = "text/plain; charset=utf-8",
                           .body = self->msg,
                           .len = len};
}

/* ---- /api/<op> ---- */

/* text as a JSON scalar of the op's request: an integer, a decimal, a bool or a string. */
static pb_value_t *s_scalar(const char *text)
{
    char *end = NULL;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
        return pb_value_bool_new(text[0] == 't');
    if ((text[0] >= '0' && text[0] <= '9') ||
        (text[0] == '-' && text[1] >= '0' && text[1] <= '9')) {
        errno = 0;
        long long i = strtoll(text, &end, 10);
        if (!*end && !errno)
            return pb_value_int_new(i);
        double d = strpbrk(text, "xXpP") ? NAN : strtod(text, &end); /* no hex floats */
        if (!isnan(d) && !*end && isfinite(d))
            return pb_value_float_new(d);
    }
    return pb_value_str_new(text);
}

/* Appends each comma-separated part of value to the request's fields list. */
static int s_fields(pb_value_t *req, const char *value)
{
    pb_value_t *list = pb_value_map_get(req, "fields");
    if (!list) {
        pb_value_t *fresh = pb_value_array_new();
        if (!fresh || pb_value_map_put(req, "fields", &fresh) < 0) {
            pb_value_destroy(&fresh);
            return -ENOMEM;
        }
        list = pb_value_map_get(req, "fields");
    }
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ",");
        pb_value_t *s = n ? pb_value_strn_new(p, n) : NULL;
        if (n && (!s || pb_value_array_push(list, &s) < 0)) {
            pb_value_destroy(&s);
            return -ENOMEM;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

int pb_dash_request_arg(pb_value_t *req, const char *key, const char *value, char *err,
                        size_t errlen)
{
    if (strcmp(key, "fields") == 0)
        return s_fields(req, value);
    const char *name = strcmp(key, "last_s") == 0 ? "last" : key;
    if (strcmp(name, "op") == 0) {
        snprintf(err, errlen, "'op' is not an argument: the op is the path, /api/OP");
        return -EINVAL;
    }
    if (pb_value_map_get(req, name)) {
        snprintf(err, errlen, "'%.64s' is given more than once", key);
        return -EINVAL;
    }
    pb_value_t *v = strcmp(name, "host") == 0 ? pb_value_str_new(value) : s_scalar(value);
    int rc = v ? pb_value_map_put(req, name, &v) : -ENOMEM;
    pb_value_destroy(&v);
    return rc;
}

int pb_dash_status(const pb_value_t *reply)
{
    bool ok = false;
    const char *code = "";
    const pb_value_t *ok_v = pb_value_map_get(reply, "ok");
    if (ok_v && pb_value_get_bool(ok_v, &ok) == 0 && ok)
        return 200;
    pb_value_map_get_str(pb_value_map_get(reply, "error"), "code", &code);
    if (strcmp(code, "bad_arg") == 0)
        return 400;
    if (strcmp(code, "unknown_op") == 0 || strcmp(code, "not_found") == 0)
        return 404;
    return 500;
}

struct s_build {
    pb_value_t *req;
    int rc;
    char err[160];
};

static int s_each_arg(void *arg, const char *key, const char *value)
{
    struct s_build *b = arg;
    b->rc = pb_dash_request_arg(b->req, key, value, b->err, sizeof b->err);
    return b->rc;
}

/* The JSON of reply as r's body (taken), with its status. */
static void s_json_reply(pb_dash_t *self, pb_value_t **reply_p, pb_http_reply_t *r)
{
    char *json = *reply_p ? pb_json_encode(*reply_p, 0) : NULL;
    if (!json) {
        s_text(self, r, 500, "%d out of memory answering %s\n", "/api");
        pb_value_destroy(reply_p);
        return;
    }
    *r = (pb_http_reply_t){.status = pb_dash_status(*reply_p),
                           .content_type = "application/json",
                           .body = json,
                           .len = strlen(json),
                           .owned = true,
                           .cache_control = "no-store"};
    pb_value_destroy(reply_p);
}

static void s_api(pb_dash_t *self, const pb_http_request_t *req, const char *op, pb_http_reply_t *r)
{
    struct s_build b = {pb_value_map_new(), 0, ""};
    pb_value_t *reply = NULL;
    if (b.req && pb_http_each_arg(req, s_each_arg, &b) == 0)
        reply = pb_query_handle(self->sub, op, b.req);
    else if (b.req && b.rc == -EINVAL)
        reply = pb_rpc_error("bad_arg", "%s", b.err);
    pb_value_destroy(&b.req);
    s_json_reply(self, &reply, r);
}

/* ---- /events ---- */

/* One stream: its client in pb_events and its connection in pb_http. */
typedef struct {
    pb_events_client_t *client;
    pb_http_stream_t *stream;
} s_stream_t;

static void s_notify(void *arg, int what)
{
    s_stream_t *s = arg;
    if (!s->stream)
        return;
    if (what == PB_EVENTS_DROP)
        pb_http_stream_close(s->stream);
    else
        pb_http_stream_wake(s->stream);
}

static long s_read(void *arg, char *buf, size_t max)
{
    return pb_events_read(((s_stream_t *)arg)->client, buf, max);
}

static void s_done(void *arg)
{
    s_stream_t *s = arg;
    pb_events_detach(&s->client);
    free(s);
}

static void s_events(pb_dash_t *self, const pb_http_request_t *req, pb_http_reply_t *r)
{
    const char *host = pb_http_arg(req, "host"), *last = pb_http_header(req, "Last-Event-ID");
    const pb_history_t *history = pb_sub_history(self->sub);
    last = last ? last : pb_http_arg(req, "last_event_id");
    if (host && !pb_history_has_host(history, host))
        return s_text(self, r, 404,
                      "%d unknown host '%.200s': perfbus-sub has heard nothing from it\n", host);
    s_stream_t *s = calloc(1, sizeof *s);
    int rc =
        s ? pb_events_attach(self->events, host, last, history, s_notify, s, &s->client) : -ENOMEM;
    if (rc == 0 && !(s->stream = pb_http_reply_stream(r, "text/event-stream", s_read, s_done, s)))
        rc = -ENOMEM;
    if (rc == 0) {
        r->cache_control = "no-store";
        return;
    }
    if (s)
        pb_events_detach(&s->client);
    free(s);
    if (rc == -EBUSY)
        s_text(self, r, 503, "%d too many event streams: %s (perfbus-sub --http-clients)\n",
               "every one of them is open");
    else if (rc == -EINVAL)
        s_text(self, r, 400, "%d Last-Event-ID '%.64s' is not a seq (an unsigned integer)\n", last);
    else
        s_text(self, r, 500, "%d out of memory opening %s\n", "/events");
}

/* ---- routes ---- */

static bool s_asset(const char *path, pb_http_reply_t *r)
{
    const char *want = strcmp(path, "/") == 0 ? "/index.html" : path;
    for (const pb_dash_asset_t *a = pb_dash_assets; a->path; a++)
        if (strcmp(a->path, want) == 0) {
            *r = (pb_http_reply_t){.status = 200,
                                   .content_type = a->content_type,
                                   .body = (const char *)a->data,
                                   .len = a->len,
                                   .cache_control = "no-cache"};
            return true;
        }
    return false;
}

bool pb_dash_handle(pb_dash_t *self, const pb_http_request_t *req, pb_http_reply_t *r)
{
    const char *path = pb_http_path(req);
    if (strncmp(path, S_API, strlen(S_API)) == 0)
        s_api(self, req, path + strlen(S_API), r);
    else if (strcmp(path, "/events") == 0)
        s_events(self, req, r);
    else
        return s_asset(path, r);
    return true;
}
