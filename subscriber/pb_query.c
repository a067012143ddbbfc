/* pb_query: argument checking and replies for the subscriber's query ops. */
#include "pb_query.h"

#include "pb_rpc.h"
#include "pb_sub.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef PB_VERSION
#define PB_VERSION "unknown"
#endif

#define S_MAX_FIELDS 64

/* A parsed query; the strings are borrowed from the request. */
typedef struct {
    pb_history_query_t q;
    const char *fields[S_MAX_FIELDS];
} s_args_t;

static int s_arg_u64(const pb_value_t *req, const char *key, uint64_t *out, char *err,
                     size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(req, key);
    if (!v)
        return 0;
    if (pb_value_get_u64(v, out) < 0) {
        snprintf(err, errlen, "'%s' must be a non-negative integer", key);
        return -EINVAL;
    }
    return 1;
}

static int s_arg_fields(const pb_value_t *req, s_args_t *a, char *err, size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(req, "fields");
    if (!v)
        return 0;
    const char *one = NULL;
    if (pb_value_get_str(v, &one) == 0) {
        a->fields[a->q.nfields++] = one;
    } else if (pb_value_type(v) == PB_ARRAY && pb_value_len(v) <= S_MAX_FIELDS) {
        for (size_t i = 0; i < pb_value_len(v); i++)
            if (pb_value_get_str(pb_value_array_at(v, i), &a->fields[a->q.nfields++]) < 0)
                goto bad;
    } else
        goto bad;
    a->q.fields = a->fields;
    return 0;
bad:
    snprintf(err, errlen, "'fields' must be a string or an array of at most %d strings",
             S_MAX_FIELDS);
    return -EINVAL;
}

static int s_arg_last(const pb_value_t *req, s_args_t *a, char *err, size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(req, "last");
    if (!v)
        return 0;
    if (pb_value_get_f64(v, &a->q.last_s) < 0 || !(a->q.last_s > 0) || isinf(a->q.last_s)) {
        snprintf(err, errlen, "'last' must be a positive number of seconds");
        return -EINVAL;
    }
    return 0;
}

static int s_arg_host(const pb_value_t *req, s_args_t *a, char *err, size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(req, "host");
    if (v && pb_value_get_str(v, &a->q.host) < 0) {
        snprintf(err, errlen, "'host' must be a string");
        return -EINVAL;
    }
    return 0;
}

static int s_parse(const pb_value_t *req, s_args_t *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->q.to_ns = UINT64_MAX;
    uint64_t pid = 0;
    int rc = s_arg_u64(req, "pid", &pid, err, errlen);
    if (rc < 0 || (rc == 1 && pid > INT32_MAX)) {
        snprintf(err, errlen, "'pid' must be a process id (a positive integer)");
        return -EINVAL;
    }
    a->q.pid = rc == 1 ? (int64_t)pid : -1;
    rc = s_arg_u64(req, "from", &a->q.from_ns, err, errlen);
    rc = rc < 0 ? rc : s_arg_u64(req, "to", &a->q.to_ns, err, errlen);
    rc = rc < 0 ? rc : s_arg_last(req, a, err, errlen);
    rc = rc < 0 ? rc : s_arg_host(req, a, err, errlen);
    rc = rc < 0 ? rc : s_arg_fields(req, a, err, errlen);
    if (rc == 0 && a->q.from_ns > a->q.to_ns) {
        snprintf(err, errlen, "'from' is after 'to'");
        rc = -EINVAL;
    }
    return rc < 0 ? rc : 0;
}

/* {ok: true} merged with *body_p (taken). NULL on ENOMEM. */
static pb_value_t *s_ok_with(pb_value_t **body_p)
{
    pb_value_t *reply = pb_rpc_ok();
    if (reply && pb_value_map_merge(reply, body_p) < 0)
        pb_value_destroy(&reply);
    pb_value_destroy(body_p);
    return reply;
}

static pb_value_t *s_series_op(const pb_sub_t *sub, const pb_value_t *req, bool summary)
{
    s_args_t a;
    char err[160];
    if (s_parse(req, &a, err, sizeof err) < 0)
        return pb_rpc_error("bad_arg", "%s", err);
    pb_value_t *body = NULL;
    const pb_history_t *h = pb_sub_history(sub);
    int rc = summary ? pb_history_summary(h, &a.q, &body) : pb_history_history(h, &a.q, &body);
    if (rc == -ENOENT && a.q.pid >= 0)
        return pb_rpc_error("not_found", "no history for pid %lld%s%s", (long long)a.q.pid,
                            a.q.host ? " on host " : "", a.q.host ? a.q.host : "");
    if (rc == -ENOENT)
        return pb_rpc_error("not_found", "no system frames received%s%s",
                            a.q.host ? " from host " : "", a.q.host ? a.q.host : "");
    return rc < 0 ? NULL : s_ok_with(&body);
}

static pb_value_t *s_processes_op(const pb_sub_t *sub, const pb_value_t *req, int what)
{
    s_args_t a;
    char err[160];
    if (s_parse(req, &a, err, sizeof err) < 0)
        return pb_rpc_error("bad_arg", "%s", err);
    if (a.q.pid >= 0)
        return pb_rpc_error("bad_arg", "'pid' is not an argument of this op (use history)");
    pb_value_t *list = NULL, *body = pb_value_map_new();
    if (!body || pb_history_processes(pb_sub_history(sub), &a.q, what, &list) < 0 ||
        pb_value_map_put(body, "processes", &list) < 0) {
        pb_value_destroy(&body);
        return NULL;
    }
    return s_ok_with(&body);
}

/* stats.connections: the query socket's cap, open connections and refusals. */
static int s_put_connections(pb_value_t *r, const pb_sub_counters_t *c)
{
    pb_value_t *m = pb_value_map_new();
    int rc = m ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(m, "max", c->max_connections);
    rc = rc ? rc : pb_value_map_put_uint(m, "live", c->connections_live);
    rc = rc ? rc : pb_value_map_put_uint(m, "refused", c->connections_refused);
    rc = rc ? rc : pb_value_map_put_uint(m, "trims", c->connection_trims);
    rc = rc ? rc : pb_value_map_put_uint(m, "denied", c->handshakes_denied);
    rc = rc ? rc : pb_value_map_put_uint(m, "failed", c->handshakes_failed);
    rc = rc ? rc : pb_value_map_put(r, "connections", &m);
    pb_value_destroy(&m);
    return rc;
}

static int s_put_counters(pb_value_t *r, const pb_sub_t *sub)
{
    pb_sub_counters_t c = pb_sub_counters(sub);
    int rc = pb_value_map_put_uint(r, "frames", c.frames);
    rc = rc ? rc : pb_value_map_put_uint(r, "bytes", c.bytes);
    rc = rc ? rc : pb_value_map_put_uint(r, "lost", pb_sources_lost(pb_sub_sources(sub)));
    rc = rc ? rc : pb_value_map_put_uint(r, "bad_messages", c.bad_messages);
    rc = rc ? rc : pb_value_map_put_uint(r, "decode_errors", c.decode_errors);
    rc = rc ? rc : pb_value_map_put_uint(r, "envelope_errors", c.envelope_errors);
    rc = rc ? rc : pb_value_map_put_uint(r, "dropped", c.dropped);
    return rc ? rc : s_put_connections(r, &c);
}

static int s_put_history_stats(pb_value_t *r, const pb_sub_t *sub)
{
    const pb_history_t *h = pb_sub_history(sub);
    pb_value_t *hs = pb_value_map_new();
    int rc = hs ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(hs, "series", pb_history_nseries(h));
    rc = rc ? rc : pb_value_map_put_uint(hs, "memory_bytes", pb_history_memory(h));
    rc = rc ? rc : pb_value_map_put(r, "history", &hs);
    pb_value_destroy(&hs);
    return rc;
}

/* hosts: each host's up/down state and down periods (pb_sources), in stats and health alike. */
static int s_put_hosts(pb_value_t *r, const pb_sub_t *sub)
{
    pb_value_t *hosts = pb_sources_hosts_value(pb_sub_sources(sub));
    int rc = hosts ? pb_value_map_put(r, "hosts", &hosts) : -ENOMEM;
    rc = rc ? rc
            : pb_value_map_put_uint(r, "down_after", pb_sources_down_after(pb_sub_sources(sub)));
    return rc;
}

static pb_value_t *s_stats(const pb_sub_t *sub)
{
    pb_value_t *r = pb_rpc_ok(), *pubs = pb_sources_to_value(pb_sub_sources(sub));
    pb_value_t *rec = pb_sub_recorder_value(sub), *settings = pb_sub_settings_value(sub);
    pb_value_t *http = pb_sub_http_value(sub), *rw = pb_sub_remote_write_value(sub);
    pb_value_t *connects = pb_sub_connects_value(sub);
    int rc =
        r && pubs && rec && settings && http && rw && connects ? s_put_counters(r, sub) : -ENOMEM;
    rc = rc ? rc : pb_value_map_put(r, "connects", &connects);
    rc = rc ? rc : pb_value_map_put(r, "http", &http);
    rc = rc ? rc : pb_value_map_put(r, "remote_write", &rw);
    rc = rc ? rc : pb_value_map_put(r, "publishers", &pubs);
    rc = rc ? rc : s_put_hosts(r, sub);
    rc = rc ? rc : s_put_history_stats(r, sub);
    rc = rc ? rc : pb_value_map_put(r, "recorder", &rec);
    rc = rc ? rc : pb_value_map_put(r, "subscription", &settings);
    pb_value_destroy(&pubs);
    pb_value_destroy(&rec);
    pb_value_destroy(&settings);
    pb_value_destroy(&http);
    pb_value_destroy(&rw);
    pb_value_destroy(&connects);
    if (rc < 0)
        pb_value_destroy(&r);
    return r;
}

static pb_value_t *s_health(const pb_sub_t *sub)
{
    pb_value_t *r = pb_rpc_ok(), *settings = pb_sub_settings_value(sub);
    double uptime = 0;
    pb_value_map_get_f64(settings, "uptime_s", &uptime);
    const char *run = pb_sub_run_id(sub);
    int rc = r && settings ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(r, "status", "ok");
    rc = rc ? rc : pb_value_map_put_str(r, "version", PB_VERSION);
    rc = rc ? rc : pb_value_map_put_uint(r, "pid", (uint64_t)getpid());
    rc = rc ? rc : pb_value_map_put_float(r, "uptime_s", uptime);
    rc = rc ? rc : pb_value_map_put_uint(r, "frames", pb_sub_counters(sub).frames);
    rc = rc ? rc : pb_value_map_put_uint(r, "series", pb_history_nseries(pb_sub_history(sub)));
    rc = rc ? rc : pb_value_map_put_bool(r, "recording", run != NULL);
    rc = rc ? rc : s_put_hosts(r, sub);
    pb_sub_counters_t c = pb_sub_counters(sub);
    rc = rc ? rc : pb_value_map_put_uint(r, "handshakes_denied", c.handshakes_denied);
    rc = rc ? rc : pb_value_map_put_uint(r, "handshakes_failed", c.handshakes_failed);
    if (run)
        rc = rc ? rc : pb_value_map_put_str(r, "run_id", run);
    if (pb_sub_http_address(sub))
        rc = rc ? rc : pb_value_map_put_str(r, "http", pb_sub_http_address(sub));
    pb_value_destroy(&settings);
    if (rc < 0)
        pb_value_destroy(&r);
    return r;
}

pb_value_t *pb_query_handle(void *arg, const char *op, const pb_value_t *request)
{
    const pb_sub_t *sub = arg;
    if (strcmp(op, "history") == 0)
        return s_series_op(sub, request, false);
    if (strcmp(op, "summary") == 0)
        return s_series_op(sub, request, true);
    if (strcmp(op, "processes") == 0)
        return s_processes_op(sub, request, 0);
    if (strcmp(op, "processes_summary") == 0)
        return s_processes_op(sub, request, 1);
    if (strcmp(op, "processes_history") == 0)
        return s_processes_op(sub, request, 2);
    if (strcmp(op, "stats") == 0)
        return s_stats(sub);
    if (strcmp(op, "health") == 0)
        return s_health(sub);
    return pb_rpc_error("unknown_op",
                        "unknown op '%.64s' (history, summary, processes, processes_summary, "
                        "processes_history, stats, health)",
                        op);
}
