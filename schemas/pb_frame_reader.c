/* pb_frame_reader: reads envelopes and catalogued numbers from frame bytes, keys cached by
 * position.
 */
#include "pb_frame_reader.h"

#include "pb_err.h"
#include "pb_mpread.h"
#include "pb_utf8.h"
#include "pb_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CACHE_KEYS 512 /* positions cached per frame type; keys past them are looked up */

/* What the key at one position of a frame type resolved to last time. */
typedef struct {
    const pb_catalog_field_t *field;  /* NULL: nothing cached */
    const pb_catalog_field_t *parent; /* the map the key was in (NULL: the top level) */
    size_t name_len;
} s_slot_t;

/* The keys a frame is checked for, resolved once. */
typedef struct {
    const pb_catalog_field_t *v, *type, *host, *src, *seq, *ts;
    const pb_catalog_field_t *pid[PB_FT_COUNT], *comm[PB_FT_COUNT], *gone[PB_FT_COUNT],
        *first[PB_FT_COUNT];
} s_keys_t;

/* Which envelope keys a frame had, and whether of the right type. */
typedef struct {
    bool seen, ok;
} s_got_t;

struct pb_frame_reader {
    s_slot_t cache[PB_FT_COUNT][S_CACHE_KEYS];
    s_keys_t keys;
    uint64_t hits, misses;
    pb_frame_view_t view;
    s_got_t got[6]; /* v, type, host, src, seq, ts */
};

enum { S_V, S_TYPE, S_HOST, S_SRC, S_SEQ, S_TS };
static const char *const s_env_names[] = {"v", "type", "host", "src", "seq", "ts"};

static void s_resolve_keys(s_keys_t *k)
{
    k->v = pb_catalog_find(PB_FT_ENV, "v");
    k->type = pb_catalog_find(PB_FT_ENV, "type");
    k->host = pb_catalog_find(PB_FT_ENV, "host");
    k->src = pb_catalog_find(PB_FT_ENV, "src");
    k->seq = pb_catalog_find(PB_FT_ENV, "seq");
    k->ts = pb_catalog_find(PB_FT_ENV, "ts");
    for (int t = PB_FT_SYS; t < PB_FT_COUNT; t++) {
        k->pid[t] = pb_catalog_find((pb_catalog_frame_t)t, "pid");
        k->comm[t] = pb_catalog_find((pb_catalog_frame_t)t, "comm");
        k->gone[t] = pb_catalog_find((pb_catalog_frame_t)t, "gone");
        k->first[t] = pb_catalog_find((pb_catalog_frame_t)t, "first");
    }
}

pb_frame_reader_t *pb_frame_reader_new(void)
{
    pb_frame_reader_t *self = calloc(1, sizeof *self);
    if (self)
        s_resolve_keys(&self->keys);
    return self;
}

void pb_frame_reader_destroy(pb_frame_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void pb_frame_reader_stats(const pb_frame_reader_t *self, uint64_t *hits, uint64_t *misses)
{
    *hits = self->hits;
    *misses = self->misses;
}

/* ---- keys ---- */

/* The catalogue entry of key (len bytes) in parent at position pos of a
 * frame of type t, from the cache when the same key sat there last time. */
static const pb_catalog_field_t *s_field(pb_frame_reader_t *self, pb_catalog_frame_t t, size_t pos,
                                         const pb_catalog_field_t *parent,
                                         const pb_mpread_item_t *key)
{
    s_slot_t *slot = t < PB_FT_COUNT && pos < S_CACHE_KEYS ? &self->cache[t][pos] : NULL;
    if (slot && slot->field && slot->parent == parent && slot->name_len == key->len &&
        memcmp(slot->field->name, key->data, key->len) == 0) {
        self->hits++;
        return slot->field;
    }
    self->misses++;
    const pb_catalog_field_t *f = NULL;
    if (t < PB_FT_COUNT)
        f = pb_catalog_child(t, parent, key->data, key->len);
    else if (!parent) /* a type the catalogue does not know: its envelope only */
        f = pb_catalog_child(PB_FT_ENV, NULL, key->data, key->len);
    if (f && slot)
        *slot = (s_slot_t){f, parent, key->len};
    return f;
}

/* ---- values ---- */

/* Copies a str value into out (PB_FRAME_TEXT_MAX + 1 bytes), sanitized. */
static int s_text(const pb_mpread_item_t *item, const char *key, char *out, char *err,
                  size_t errlen)
{
    if (memchr(item->data, '\0', item->len))
        return pb_err_set(err, errlen, -EINVAL, "'%s' holds a NUL byte", key);
    size_t n = pb_utf8_is_valid(item->data, item->len)
                   ? item->len
                   : pb_utf8_sanitized_len(item->data, item->len);
    if (n > PB_FRAME_TEXT_MAX)
        return pb_err_set(err, errlen, -EINVAL, "'%s' is longer than %d bytes", key,
                          PB_FRAME_TEXT_MAX);
    if (n == item->len)
        memcpy(out, item->data, n);
    else
        pb_utf8_sanitize(item->data, item->len, out);
    out[n] = '\0';
    return 0;
}

static bool s_is_number(const pb_mpread_item_t *item)
{
    return item->type == PB_UINT || item->type == PB_INT || item->type == PB_FLOAT;
}

static double s_number(const pb_mpread_item_t *item)
{
    return item->type == PB_UINT  ? (double)item->u
           : item->type == PB_INT ? (double)item->i
                                  : item->f;
}

/* An envelope key's value: a non-empty str or an unsigned integer. */
static int s_take_envelope(pb_frame_reader_t *self, int which, const pb_mpread_item_t *item,
                           char *err, size_t errlen)
{
    pb_frame_view_t *v = &self->view;
    s_got_t *got = &self->got[which];
    got->seen = true;
    got->ok = false;
    if (which == S_V || which == S_SEQ || which == S_TS) {
        got->ok = item->type == PB_UINT;
        uint64_t *out = which == S_V ? &v->env.v : which == S_SEQ ? &v->env.seq : &v->env.ts;
        *out = item->u;
        return 0;
    }
    if (item->type != PB_STR || item->len == 0)
        return 0;
    char *out = which == S_TYPE ? v->type_name : which == S_HOST ? v->host : v->src;
    got->ok = true; /* a str: what s_text refuses is reported after the envelope check */
    return s_text(item, s_env_names[which], out, err, errlen);
}

static void s_take_number(pb_frame_view_t *v, const pb_catalog_field_t *f,
                          const pb_mpread_item_t *item)
{
    if (!s_is_number(item)) {
        v->mistyped++;
        return;
    }
    if (v->nnumbers == PB_FRAME_NUMBERS_MAX) {
        v->skipped++;
        return;
    }
    v->numbers[v->nnumbers++] = (pb_frame_number_t){f, s_number(item)};
}

/* A top-level key of a frame of a known type that is not the envelope's. */
static int s_take_identity(pb_frame_reader_t *self, const pb_catalog_field_t *f,
                           const pb_mpread_item_t *item, char *err, size_t errlen)
{
    pb_frame_view_t *v = &self->view;
    const s_keys_t *k = &self->keys;
    pb_catalog_frame_t t = v->type;
    if (f == k->pid[t] && item->type == PB_UINT) {
        v->has_pid = true;
        v->pid = item->u;
    } else if (f == k->comm[t] && item->type == PB_STR) {
        int rc = s_text(item, "comm", v->comm, err, errlen);
        v->has_comm = rc == 0;
        return rc;
    } else if (f == k->gone[t] && item->type == PB_BOOL)
        v->gone = item->b;
    else if (f == k->first[t] && item->type == PB_BOOL)
        v->first = item->b;
    return 0;
}

static int s_envelope_index(const s_keys_t *k, const pb_catalog_field_t *f)
{
    const pb_catalog_field_t *env[] = {k->v, k->type, k->host, k->src, k->seq, k->ts};
    for (int i = 0; i < 6; i++)
        if (f == env[i])
            return i;
    return -1;
}

/* The value of key field f (NULL: unknown) at depth `depth`. Containers that
 * are read further return 1: their items follow. */
static int s_take(pb_frame_reader_t *self, const pb_catalog_field_t *f,
                  const pb_mpread_item_t *item, char *err, size_t errlen)
{
    pb_frame_view_t *v = &self->view;
    if (!f) {
        v->skipped++;
        return 0;
    }
    if (f->frame == PB_FT_ENV) { /* any value, containers too: a repeated key's last one counts */
        int which = s_envelope_index(&self->keys, f); /* -1: an envelope key not checked here */
        return which < 0 ? 0 : s_take_envelope(self, which, item, err, errlen);
    }
    if (item->type == PB_MAP || item->type == PB_ARRAY) {
        bool into = item->type == PB_MAP && f->kind == PB_KIND_MAP && !(f->bits & PB_CF_OPEN);
        v->skipped += !into;
        return into;
    }
    if (f->kind == PB_KIND_COUNTER || f->kind == PB_KIND_GAUGE || f->kind == PB_KIND_RATE) {
        s_take_number(v, f, item);
        return 0;
    }
    if (item->depth == 2 && v->type < PB_FT_COUNT)
        return s_take_identity(self, f, item, err, errlen);
    return 0;
}

/* ---- the walk ---- */

typedef struct {
    pb_mpread_t rd;
    const pb_catalog_field_t *map[PB_MPREAD_MAX_DEPTH + 2]; /* by depth: the map being read */
    size_t pos;                                             /* keys seen so far */
} s_walk_t;

/* Reads one key and its value. Returns 0, 1 when the frame is complete, or
 * the error. */
static int s_step(pb_frame_reader_t *self, s_walk_t *w, char *err, size_t errlen)
{
    pb_mpread_item_t key, value;
    int rc = pb_mpread_next_entry(&w->rd, &key, &value);
    if (rc == -ENOENT)
        return 1;
    if (rc < 0)
        return rc;
    /* only catalogued maps are entered, so the map at depth - 1 is this key's */
    const pb_catalog_field_t *parent = w->map[key.depth - 1];
    const pb_catalog_field_t *f = s_field(self, self->view.type, w->pos++, parent, &key);
    if (f && f->frame == PB_FT_ENV && key.depth > 2)
        f = NULL; /* envelope keys are keys of the top level only */
    rc = s_take(self, f, &value, err, errlen);
    if (rc == 1 && value.depth <= PB_MPREAD_MAX_DEPTH) {
        w->map[value.depth] = f;
        return 0;
    }
    bool items = (value.type == PB_MAP || value.type == PB_ARRAY) && value.len > 0;
    return rc < 0 || !items ? rc : pb_mpread_skip(&w->rd, &value);
}

/* The type named by the frame's `type` key, wherever it is in the top map. */
static pb_catalog_frame_t s_find_type(const void *buf, size_t len)
{
    pb_mpread_t rd;
    pb_mpread_item_t top, key, value;
    pb_mpread_init(&rd, buf, len, PB_MPREAD_MAX_DEPTH);
    if (pb_mpread_next(&rd, &top) < 0 || top.type != PB_MAP)
        return PB_FT_COUNT;
    for (uint32_t i = 0; i < top.len; i++) {
        if (pb_mpread_next(&rd, &key) < 0 || pb_mpread_next(&rd, &value) < 0)
            return PB_FT_COUNT;
        pb_catalog_frame_t t;
        if (key.len == 4 && memcmp(key.data, "type", 4) == 0 && value.type == PB_STR)
            return pb_catalog_frame_parse(value.data, value.len, &t) == 0 ? t : PB_FT_COUNT;
        if (pb_mpread_skip(&rd, &value) < 0)
            return PB_FT_COUNT;
    }
    return PB_FT_COUNT;
}

static int s_check_envelope(const pb_frame_reader_t *self, char *err, size_t errlen)
{
    static const char *const wrong[] = {"an unsigned integer", "a non-empty string",
                                        "a non-empty string",  "a non-empty string",
                                        "an unsigned integer", "an unsigned integer"};
    for (int i = 0; i < 6; i++) {
        if (!self->got[i].seen)
            return pb_err_set(err, errlen, -EINVAL, "missing key '%s'", s_env_names[i]);
        if (!self->got[i].ok)
            return pb_err_set(err, errlen, -EINVAL, "'%s' is not %s", s_env_names[i], wrong[i]);
    }
    return 0;
}

static void s_reset(pb_frame_reader_t *self, pb_catalog_frame_t type)
{
    pb_frame_view_t *v = &self->view;
    v->type = type;
    v->first = v->has_pid = v->gone = v->has_comm = false;
    v->pid = 0;
    v->comm[0] = v->type_name[0] = v->host[0] = v->src[0] = '\0';
    v->nnumbers = v->skipped = v->mistyped = 0;
    v->env = (pb_envelope_t){0, v->type_name, v->host, v->src, 0, 0};
    memset(self->got, 0, sizeof self->got);
}

/* A top level that is not a map: well formed or not decides the class. */
static int s_not_a_map(pb_mpread_t *rd, const pb_mpread_item_t *top, char *err, size_t errlen)
{
    int rc = pb_mpread_skip(rd, top);
    rc = rc ? rc : pb_mpread_finish(rd);
    if (rc < 0)
        return pb_err_set(err, errlen, -EBADMSG, "%s", pb_mpread_error(rd));
    return pb_err_set(err, errlen, -EINVAL, "frame is a %s, not a map",
                      pb_value_type_name(top->type));
}

/* Reads the frame as one of type `type`. */
static int s_read_as(pb_frame_reader_t *self, const void *buf, size_t len, pb_catalog_frame_t type,
                     char *err, size_t errlen)
{
    s_walk_t w = {.pos = 0};
    pb_mpread_item_t top;
    pb_mpread_init(&w.rd, buf, len, PB_MPREAD_MAX_DEPTH);
    if (pb_mpread_next(&w.rd, &top) < 0)
        return pb_err_set(err, errlen, -EBADMSG, "%s", pb_mpread_error(&w.rd));
    if (top.type != PB_MAP)
        return s_not_a_map(&w.rd, &top, err, errlen);
    s_reset(self, type);
    /* A refused value (-EINVAL) is reported only once the bytes are known to
     * be well formed and the envelope complete, as the tree path would. */
    int rc = 0;
    char why[160] = "", scratch[160];
    bool refused = false;
    while (rc == 0 || rc == -EINVAL) {
        refused = refused || rc == -EINVAL;
        rc = s_step(self, &w, refused ? scratch : why, sizeof why);
    }
    rc = rc == 1 ? pb_mpread_finish(&w.rd) : rc;
    if (rc < 0)
        return pb_err_set(err, errlen, -EBADMSG, "%s", pb_mpread_error(&w.rd));
    rc = s_check_envelope(self, err, errlen);
    if (rc == 0 && why[0])
        rc = pb_err_set(err, errlen, -EINVAL, "%s", why);
    return rc;
}

int pb_frame_reader_read(pb_frame_reader_t *self, const void *buf, size_t len,
                         const pb_frame_view_t **view_p, char *err, size_t errlen)
{
    pb_catalog_frame_t guess = s_find_type(buf, len), type;
    int rc = s_read_as(self, buf, len, guess, err, errlen);
    /* `type` repeated (msgpack leaves that undefined): the last one counts, as in the tree */
    const char *name = self->view.type_name;
    if (rc == 0 && pb_catalog_frame_parse(name, strlen(name), &type) < 0)
        type = PB_FT_COUNT;
    if (rc == 0 && type != guess)
        rc = s_read_as(self, buf, len, type, err, errlen);
    if (rc == 0)
        *view_p = &self->view;
    return rc;
}

uint64_t pb_frame_view_heartbeat_ns(const pb_frame_view_t *frame)
{
    if (frame->type != PB_FT_HB)
        return 0;
    pb_view_entry_t e = {0};
    pb_view_entry_of(PB_VIEW_FLEET_HEARTBEAT, PB_FT_HB, &e);
    for (size_t i = 0; i < frame->nnumbers; i++)
        if (frame->numbers[i].field == e.field && frame->numbers[i].value > 0 &&
            frame->numbers[i].value < 1e6)
            return (uint64_t)(frame->numbers[i].value * 1e9);
    return PB_FRAME_HB_DEFAULT_NS;
}
