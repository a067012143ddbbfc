/* pb_frame: builds and checks the envelope every bus frame carries. */
#include "pb_frame.h"

#include "pb_utf8.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pb_value_t *pb_frame_new(const char *type, const char *host, const char *src, uint64_t seq,
                         uint64_t ts)
{
    pb_value_t *frame = pb_value_map_new();
    if (!frame)
        return NULL;
    int rc = pb_value_map_put_uint(frame, "v", PB_WIRE_VERSION);
    if (rc == 0)
        rc = pb_value_map_put_str(frame, "type", type);
    if (rc == 0)
        rc = pb_value_map_put_str(frame, "host", host);
    if (rc == 0)
        rc = pb_value_map_put_str(frame, "src", src);
    if (rc == 0)
        rc = pb_value_map_put_uint(frame, "seq", seq);
    if (rc == 0)
        rc = pb_value_map_put_uint(frame, "ts", ts);
    if (rc < 0)
        pb_value_destroy(&frame);
    return frame;
}

enum { S_V, S_TYPE, S_HOST, S_SRC, S_SEQ, S_TS, S_NENV };

static const pb_catalog_field_t *s_env[S_NENV];
static int s_env_rc;
static pthread_once_t s_env_once = PTHREAD_ONCE_INIT;

static void s_env_resolve(void)
{
    static const char *const names[S_NENV] = {"v", "type", "host", "src", "seq", "ts"};
    char err[128];
    s_env_rc = pb_mpwrite_resolve(PB_FT_ENV, "", names, S_NENV, s_env, err, sizeof err);
}

int pb_frame_write_envelope(pb_mpwrite_t *w, const char *type, const char *host, const char *src,
                            uint64_t seq, uint64_t ts)
{
    pthread_once(&s_env_once, s_env_resolve);
    if (s_env_rc < 0)
        return s_env_rc; /* the catalogue's envelope is fixed: only a broken build gets here */
    pb_mpwrite_map(w, NULL);
    pb_mpwrite_uint(w, s_env[S_V], PB_WIRE_VERSION);
    pb_mpwrite_str(w, s_env[S_TYPE], type);
    pb_mpwrite_str(w, s_env[S_HOST], host);
    pb_mpwrite_str(w, s_env[S_SRC], src);
    pb_mpwrite_uint(w, s_env[S_SEQ], seq);
    return pb_mpwrite_uint(w, s_env[S_TS], ts);
}

static int s_fail(char *err, size_t errlen, const char *fmt, const char *key)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, key);
    return -EINVAL;
}

static int s_get_str(const pb_value_t *frame, const char *key, const char **out, char *err,
                     size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(frame, key);
    if (!v)
        return s_fail(err, errlen, "missing key '%s'", key);
    if (pb_value_get_str(v, out) < 0 || !**out)
        return s_fail(err, errlen, "'%s' is not a non-empty string", key);
    return 0;
}

static int s_get_uint(const pb_value_t *frame, const char *key, uint64_t *out, char *err,
                      size_t errlen)
{
    const pb_value_t *v = pb_value_map_get(frame, key);
    if (!v)
        return s_fail(err, errlen, "missing key '%s'", key);
    if (pb_value_get_u64(v, out) < 0)
        return s_fail(err, errlen, "'%s' is not an unsigned integer", key);
    return 0;
}

int pb_frame_envelope(const pb_value_t *frame, pb_envelope_t *out, char *err, size_t errlen)
{
    if (pb_value_type(frame) != PB_MAP)
        return s_fail(err, errlen, "frame is a %s, not a map",
                      pb_value_type_name(pb_value_type(frame)));
    int rc = s_get_uint(frame, "v", &out->v, err, errlen);
    if (rc == 0)
        rc = s_get_str(frame, "type", &out->type, err, errlen);
    if (rc == 0)
        rc = s_get_str(frame, "host", &out->host, err, errlen);
    if (rc == 0)
        rc = s_get_str(frame, "src", &out->src, err, errlen);
    if (rc == 0)
        rc = s_get_uint(frame, "seq", &out->seq, err, errlen);
    if (rc == 0)
        rc = s_get_uint(frame, "ts", &out->ts, err, errlen);
    return rc;
}

/* Clients read topics as text too (topic.decode()): the same U+FFFD as str fields. */
static int s_topic_utf8(char *buf, size_t size)
{
    size_t len = strlen(buf);
    if (pb_utf8_is_valid(buf, len))
        return 0;
    if (pb_utf8_sanitized_len(buf, len) >= size)
        return -ENAMETOOLONG;
    char *clean = pb_utf8_sanitize_new(buf, len, NULL);
    if (!clean)
        return -ENOMEM;
    strcpy(buf, clean);
    free(clean);
    return 0;
}

int pb_frame_topic(char *buf, size_t size, const char *type, const char *host, const char *tail)
{
    int n = snprintf(buf, size, "%s.%s%s%s", type, host, tail ? "." : "", tail ? tail : "");
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    /* dots inside the host name would break prefix filtering by host */
    char *host_part = buf + strlen(type) + 1;
    for (size_t i = 0; i < strlen(host); i++)
        if (host_part[i] == '.')
            host_part[i] = '_';
    return s_topic_utf8(buf, size);
}

uint64_t pb_frame_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
