/* pb_events: turns kept frames into SSE text once and queues it to each watching client, bounded.
 */
#include "pb_events.h"

#include "pb_codec.h"
#include "pb_events_buf.h"
#include "pb_events_index.h"
#include "pb_json.h"
#include "pb_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HOST_MAX (PB_FRAME_TEXT_MAX + 1)

struct pb_events_client {
    pb_events_t *owner;
    char host[S_HOST_MAX]; /* "" : every host */
    pb_events_buf_t *buf;  /* NULL once dropped */
    pb_events_notify_fn *fn;
    void *arg;
};

/* A list whose items are charted (cpu.cores): its item key and the keys taken, NULL-ended. */
typedef struct {
    const pb_catalog_field_t *list;
    const char *keys[PB_VIEW_MAX_ENTRIES + 2];
    size_t nkeys;
} s_list_t;

#define S_MAX_LISTS 8

struct pb_events {
    pb_events_config_t config;
    /* what is charted, from the view DASH_SYS: by catalogue index, by path (the history's
     * query for replays), and the lists of the same groups */
    bool charted[PB_CATALOG_MAX];
    const char *paths[PB_VIEW_MAX_ENTRIES];
    size_t npaths;
    s_list_t lists[S_MAX_LISTS];
    size_t nlists;
    pb_events_client_t **clients; /* config.max_clients slots */
    pb_events_index_t *index;     /* seqs of the frames, for replays */
    uint64_t next_beat_ms;
    pb_events_counts_t counts;
};

/* f's key in the items of the list of its map's group (cpu.total.user_pct: cpu.cores[].user_pct).
 */
static void s_add_item_key(pb_events_t *self, const pb_catalog_field_t *f)
{
    const pb_catalog_field_t *total = f->parent >= 0 ? pb_catalog_at((size_t)f->parent) : NULL;
    const pb_catalog_field_t *list = pb_view_items_of(total), *key = pb_view_item_key(list);
    if (!list || !key)
        return;
    size_t i = 0;
    while (i < self->nlists && self->lists[i].list != list)
        i++;
    if (i == S_MAX_LISTS)
        return;
    s_list_t *l = &self->lists[i];
    if (i == self->nlists) {
        self->nlists++;
        l->list = list;
        l->keys[l->nkeys++] = key->name;
    }
    l->keys[l->nkeys++] = f->name;
}

static void s_load_view(pb_events_t *self)
{
    pb_view_entry_t e;
    for (size_t i = 0; i < pb_view_size(PB_VIEW_DASH_SYS); i++) {
        if (pb_view_entry(PB_VIEW_DASH_SYS, i, &e) < 0)
            continue; /* not in the catalogue: unit.pb_view keeps that from shipping */
        self->charted[e.field->index] = true;
        self->paths[self->npaths++] = e.path;
        s_add_item_key(self, e.field);
    }
}

pb_events_t *pb_events_new(const pb_events_config_t *config)
{
    pb_events_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pb_events_config_t *c = &self->config;
    if (config)
        *c = *config;
    c->max_clients = c->max_clients ? c->max_clients : 64;
    c->client_bytes = c->client_bytes ? c->client_bytes : (size_t)1 << 20;
    c->index_rows = c->index_rows ? c->index_rows : 3600;
    c->max_replay = c->max_replay ? c->max_replay : 600;
    c->heartbeat_ms = c->heartbeat_ms ? c->heartbeat_ms : 15000;
    self->clients = calloc(c->max_clients, sizeof *self->clients);
    self->index = pb_events_index_new(c->index_rows);
    if (!self->clients || !self->index)
        pb_events_destroy(&self);
    else
        s_load_view(self);
    return self;
}

void pb_events_destroy(pb_events_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pb_events_t *self = *self_p;
    pb_events_index_destroy(&self->index);
    free(self->clients);
    free(self);
    *self_p = NULL;
}

/* ---- clients ---- */

static void s_drop(pb_events_client_t *c)
{
    pb_events_buf_destroy(&c->buf);
    c->owner->counts.dropped++;
    c->fn(c->arg, PB_EVENTS_DROP);
}

/* Queues text[0..n) to c, or drops c when it would pass the bound. */
static void s_put(pb_events_client_t *c, const char *text, size_t n)
{
    if (!c->buf)
        return;
    if (pb_events_buf_put(c->buf, text, n) < 0) {
        s_drop(c);
        return;
    }
    c->owner->counts.bytes += n;
    c->fn(c->arg, PB_EVENTS_WAKE);
}

long pb_events_read(pb_events_client_t *client, char *buf, size_t max)
{
    if (!client->buf)
        return -1;
    return (long)pb_events_buf_take(client->buf, buf, max);
}

void pb_events_detach(pb_events_client_t **client_p)
{
    if (!client_p || !*client_p)
        return;
    pb_events_client_t *c = *client_p;
    pb_events_t *self = c->owner;
    for (size_t i = 0; i < self->config.max_clients; i++)
        if (self->clients[i] == c)
            self->clients[i] = NULL;
    self->counts.clients--;
    pb_events_buf_destroy(&c->buf);
    free(c);
    *client_p = NULL;
}

/* "id: SEQ\nevent: TYPE\ndata: JSON\n\n" of body, in a new string (*n its length). */
static char *s_event_text(const char *type, uint64_t seq, const pb_value_t *body, size_t *n)
{
    char *json = pb_json_encode(body, 0);
    if (!json)
        return NULL;
    size_t size = strlen(json) + strlen(type) + 64;
    char *text = malloc(size);
    int len = text ? snprintf(text, size, "id: %llu\nevent: %s\ndata: %s\n\n",
                              (unsigned long long)seq, type, json)
                   : -1;
    free(json);
    *n = len > 0 ? (size_t)len : 0;
    return text;
}

/* ---- events of frames ---- */

/* body.fields: a sys frame's charted numbers, a proc frame's numbers but its counters. */
static int s_put_fields(const pb_events_t *self, pb_value_t *body, const pb_frame_view_t *f)
{
    pb_value_t *fields = pb_value_map_new();
    int rc = fields ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < f->nnumbers; i++) {
        const pb_catalog_field_t *c = f->numbers[i].field;
        bool keep = f->type == PB_FT_SYS ? self->charted[c->index] : c->kind != PB_KIND_COUNTER;
        if (keep)
            rc = pb_value_map_put_float(fields, c->path, f->numbers[i].value);
    }
    rc = rc ? rc : pb_value_map_put(body, "fields", &fields);
    pb_value_destroy(&fields);
    return rc;
}

/* out[name] = [{key: item[key] for key in keys} for item in tree.path] */
static int s_put_list(pb_value_t *out, const char *name, const pb_value_t *tree, const char *path,
                      const char *const *keys)
{
    const pb_value_t *list = tree ? pb_value_path(tree, path) : NULL;
    pb_value_t *arr = pb_value_array_new();
    int rc = arr ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && list && i < pb_value_len(list); i++) {
        const pb_value_t *item = pb_value_array_at(list, i);
        pb_value_t *m = pb_value_map_new();
        rc = m ? 0 : -ENOMEM;
        for (size_t k = 0; rc == 0 && keys[k]; k++) {
            const pb_value_t *v = pb_value_map_get(item, keys[k]);
            pb_value_t *copy = v ? pb_value_dup(v) : NULL;
            rc = !v ? 0 : copy ? pb_value_map_put(m, keys[k], &copy) : -ENOMEM;
            pb_value_destroy(&copy);
        }
        rc = rc ? rc : pb_value_array_push(arr, &m);
        pb_value_destroy(&m);
    }
    rc = rc ? rc : pb_value_map_put(out, name, &arr);
    pb_value_destroy(&arr);
    return rc;
}

/* body.lists: {list path: the charted keys of its items}, from the frame's tree. */
static int s_put_lists(const pb_events_t *self, pb_value_t *body, const void *payload, size_t len)
{
    pb_value_t *tree = NULL, *lists = pb_value_map_new();
    if (pb_codec_decode(payload, len, &tree, NULL, 0) < 0)
        tree = NULL; /* read once already: cannot fail but on ENOMEM */
    int rc = lists ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < self->nlists; i++) {
        const char *path = self->lists[i].list->path;
        rc = s_put_list(lists, path, tree, path, self->lists[i].keys);
    }
    rc = rc ? rc : pb_value_map_put(body, "lists", &lists);
    pb_value_destroy(&lists);
    pb_value_destroy(&tree);
    return rc;
}

static pb_value_t *s_body(const pb_events_t *self, const pb_frame_view_t *f, const void *payload,
                          size_t len, int64_t lost)
{
    const pb_envelope_t *env = &f->env;
    pb_value_t *b = pb_value_map_new();
    int rc = b ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(b, "seq", env->seq);
    rc = rc ? rc : pb_value_map_put_uint(b, "ts", env->ts);
    rc = rc ? rc : pb_value_map_put_str(b, "host", env->host);
    rc = rc ? rc : pb_value_map_put_str(b, "src", env->src);
    rc = rc ? rc : pb_value_map_put_uint(b, "lost", lost > 0 ? (uint64_t)lost : 0);
    rc = rc ? rc : s_put_fields(self, b, f);
    if (f->type == PB_FT_SYS)
        rc = rc ? rc : s_put_lists(self, b, payload, len);
    else {
        rc = rc ? rc : pb_value_map_put_uint(b, "pid", f->pid);
        rc = rc ? rc : pb_value_map_put_str(b, "comm", f->has_comm ? f->comm : "");
        rc = rc ? rc : pb_value_map_put_bool(b, "gone", f->gone);
    }
    if (rc < 0)
        pb_value_destroy(&b);
    return b;
}

static bool s_watches(const pb_events_client_t *c, const char *host)
{
    return c && c->buf && (!c->host[0] || strcmp(c->host, host) == 0);
}

void pb_events_frame(pb_events_t *self, const pb_frame_view_t *frame, const void *payload,
                     size_t len, int64_t lost)
{
    if (frame->type != PB_FT_SYS && frame->type != PB_FT_PROC)
        return;
    pb_events_mark_t mark = {frame->env.seq, frame->env.ts,
                             frame->type == PB_FT_SYS ? -1 : (int64_t)frame->pid, frame->gone};
    pb_events_index_add(self->index, frame->env.host, &mark); /* a failure costs only its replay */
    size_t watching = 0;
    for (size_t i = 0; i < self->config.max_clients; i++)
        watching += s_watches(self->clients[i], frame->env.host);
    if (!watching)
        return; /* nothing is made for no one */
    pb_value_t *body = s_body(self, frame, payload, len, lost);
    size_t n = 0;
    char *text =
        body ? s_event_text(pb_catalog_frame_name(frame->type), frame->env.seq, body, &n) : NULL;
    pb_value_destroy(&body);
    if (!text)
        return;
    self->counts.events++;
    for (size_t i = 0; i < self->config.max_clients; i++)
        if (s_watches(self->clients[i], frame->env.host))
            s_put(self->clients[i], text, n);
    free(text);
}

void pb_events_tick(pb_events_t *self, uint64_t now_ms)
{
    static const char beat[] = ": beat\n\n";
    if (now_ms < self->next_beat_ms)
        return;
    if (self->next_beat_ms)
        for (size_t i = 0; i < self->config.max_clients; i++)
            if (self->clients[i])
                s_put(self->clients[i], beat, sizeof beat - 1);
    self->next_beat_ms = now_ms + self->config.heartbeat_ms;
}

/* ---- attach and replay ---- */

/* A missed event, queued as a live one is but that it stops the replay when the buffer is full. */
static int s_put_replayed(void *arg, const char *type, uint64_t seq, const pb_value_t *body)
{
    pb_events_client_t *c = arg;
    size_t n = 0;
    char *text = s_event_text(type, seq, body, &n);
    int rc = text ? pb_events_buf_put(c->buf, text, n) : -ENOMEM;
    free(text);
    c->owner->counts.replayed += rc == 0;
    c->owner->counts.bytes += rc == 0 ? n : 0;
    return rc;
}

/* Queues the events of c's host after seq last, from the history. */
static int s_replay(pb_events_t *self, pb_events_client_t *c, const pb_history_t *history,
                    uint64_t last)
{
    pb_events_replay_t how = {self->paths, self->npaths, self->config.max_replay};
    int rc = pb_events_index_replay(self->index, c->host, last, history, &how, s_put_replayed, c);
    return rc == -ENOMEM ? rc : 0; /* -ENOBUFS: replayed what fits */
}

static int s_parse_seq(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end || errno)
        return -EINVAL;
    *out = v;
    return 0;
}

int pb_events_attach(pb_events_t *self, const char *host, const char *last_id,
                     const pb_history_t *history, pb_events_notify_fn *fn, void *arg,
                     pb_events_client_t **out_p)
{
    static const char hello[] = "retry: 2000\n\n"; /* the browser's reconnect delay */
    size_t slot = 0;
    while (slot < self->config.max_clients && self->clients[slot])
        slot++;
    uint64_t last = 0;
    if (slot == self->config.max_clients) {
        self->counts.refused++;
        return -EBUSY;
    }
    if (last_id && last_id[0] && s_parse_seq(last_id, &last) < 0)
        return -EINVAL;
    pb_events_client_t *c = calloc(1, sizeof *c);
    if (c)
        c->buf = pb_events_buf_new(self->config.client_bytes);
    int rc = c && c->buf ? pb_events_buf_put(c->buf, hello, sizeof hello - 1) : -ENOMEM;
    if (rc == 0) {
        *c = (pb_events_client_t){self, "", c->buf, fn, arg};
        snprintf(c->host, sizeof c->host, "%s", host ? host : "");
        if (host && last_id && last_id[0] && history)
            rc = s_replay(self, c, history, last);
    }
    if (rc < 0) {
        if (c)
            pb_events_buf_destroy(&c->buf);
        free(c);
        return rc;
    }
    self->clients[slot] = c;
    self->counts.clients++;
    self->counts.attached++;
    *out_p = c;
    return 0;
}

pb_events_counts_t pb_events_counts(const pb_events_t *self)
{
    return self->counts;
}

size_t pb_events_max_clients(const pb_events_t *self)
{
    return self->config.max_clients;
}

pb_value_t *pb_events_value(const pb_events_t *self)
{
    const pb_events_counts_t *k = &self->counts;
    pb_value_t *v = pb_value_map_new();
    int rc = v ? 0 : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_uint(v, "clients", k->clients);
    rc = rc ? rc : pb_value_map_put_uint(v, "max_clients", self->config.max_clients);
    rc = rc ? rc : pb_value_map_put_uint(v, "client_bytes", self->config.client_bytes);
    rc = rc ? rc : pb_value_map_put_uint(v, "attached", k->attached);
    rc = rc ? rc : pb_value_map_put_uint(v, "refused", k->refused);
    rc = rc ? rc : pb_value_map_put_uint(v, "dropped", k->dropped);
    rc = rc ? rc : pb_value_map_put_uint(v, "events", k->events);
    rc = rc ? rc : pb_value_map_put_uint(v, "replayed", k->replayed);
    rc = rc ? rc : pb_value_map_put_uint(v, "bytes", k->bytes);
    if (rc < 0)
        pb_value_destroy(&v);
    return v;
}
