/* pb_frame_oracle: the tree path as the reference for pb_frame_reader. */
#include "pb_frame_oracle.h"

#include "pb_codec.h"
#include "pb_frame.h"
#include "pb_frame_reader.h"
#include "pb_mpread.h"
#include "pb_utf8.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int s_differ(char *why, size_t whylen, const char *what, const char *detail)
{
    snprintf(why, whylen, "%s: %s", what, detail);
    return -1;
}

/* True when some map of the frame holds the same key twice. */
static bool s_repeats_a_key(const void *buf, size_t len)
{
    pb_mpread_t rd;
    pb_mpread_item_t item;
    pb_mpread_init(&rd, buf, len, PB_MPREAD_MAX_DEPTH);
    struct {
        const char *data;
        uint32_t len;
        unsigned depth;
    } keys[512];
    size_t n = 0;
    while (pb_mpread_next(&rd, &item) == 0) {
        if (!item.is_key)
            continue;
        for (size_t i = 0; i < n; i++) /* a repeat within any map of the same depth: enough */
            if (keys[i].depth == item.depth && keys[i].len == item.len &&
                memcmp(keys[i].data, item.data, item.len) == 0)
                return true;
        if (n == sizeof keys / sizeof keys[0])
            return true; /* too many to tell: treat as repeated, compare the class only */
        keys[n].data = item.data;
        keys[n].len = item.len;
        keys[n++].depth = item.depth;
    }
    return false;
}

/* The tree keeps a str's bytes and sanitizes them when it packs them; the
 * reader sanitizes as it copies: compare what the tree would send. */
static bool s_same_str(const char *tree, const char *view)
{
    char clean[3 * PB_FRAME_TEXT_MAX + 1];
    size_t n = strlen(tree);
    if (n > PB_FRAME_TEXT_MAX)
        return false;
    clean[pb_utf8_sanitize(tree, n, clean)] = '\0';
    return strcmp(clean, view) == 0;
}

static int s_check_envelope(const pb_envelope_t *want, const pb_envelope_t *got, char *why,
                            size_t whylen)
{
    char detail[160];
    snprintf(detail, sizeof detail, "v %llu/%llu seq %llu/%llu ts %llu/%llu",
             (unsigned long long)want->v, (unsigned long long)got->v, (unsigned long long)want->seq,
             (unsigned long long)got->seq, (unsigned long long)want->ts,
             (unsigned long long)got->ts);
    if (want->v != got->v || want->seq != got->seq || want->ts != got->ts)
        return s_differ(why, whylen, "envelope numbers", detail);
    if (!s_same_str(want->type, got->type) || !s_same_str(want->host, got->host) ||
        !s_same_str(want->src, got->src))
        return s_differ(why, whylen, "envelope strings", got->host);
    return 0;
}

/* The tree's number at a catalogue path without lists; false when absent. */
static bool s_tree_number(const pb_value_t *frame, const char *path, double *out)
{
    const pb_value_t *v = pb_value_path(frame, path);
    pb_type_t t = pb_value_type(v);
    return v && (t == PB_UINT || t == PB_INT || t == PB_FLOAT) && pb_value_get_f64(v, out) == 0;
}

/* Every catalogued number the tree holds is in the view with its value, and
 * the view holds nothing else. */
static int s_check_numbers(const pb_value_t *tree, const pb_frame_view_t *view, char *why,
                           size_t whylen)
{
    size_t expected = 0;
    for (size_t i = 0; i < pb_catalog_size(); i++) {
        const pb_catalog_field_t *f = pb_catalog_at(i);
        bool number =
            f->kind == PB_KIND_COUNTER || f->kind == PB_KIND_GAUGE || f->kind == PB_KIND_RATE;
        double want = 0;
        if (f->frame != view->type || !number || strstr(f->path, "[]") ||
            !s_tree_number(tree, f->path, &want))
            continue;
        expected++;
        size_t k = 0;
        while (k < view->nnumbers && view->numbers[k].field != f)
            k++;
        if (k == view->nnumbers)
            return s_differ(why, whylen, "number missing from the view", f->path);
        double got = view->numbers[k].value;
        if (!(got == want || (isnan(got) && isnan(want))))
            return s_differ(why, whylen, "number differs", f->path);
    }
    if (view->nnumbers != expected && view->nnumbers < PB_FRAME_NUMBERS_MAX)
        return s_differ(why, whylen, "view holds numbers the tree has not", "count");
    return 0;
}

/* The reader refused what the tree accepts: only for its documented limits. */
static int s_check_stricter(const char *reader_err, char *why, size_t whylen)
{
    if (strstr(reader_err, "longer than") || strstr(reader_err, "NUL byte"))
        return 0;
    return s_differ(why, whylen, "reader refused a frame the tree accepts", reader_err);
}

static int s_compare(const void *buf, size_t len, const pb_value_t *tree, int tree_rc,
                     const pb_envelope_t *env, char *why, size_t whylen)
{
    static pb_frame_reader_t *reader; /* kept: its cache must give the same answers */
    if (!reader && !(reader = pb_frame_reader_new()))
        return 0;
    const pb_frame_view_t *view = NULL;
    char err[256] = "";
    int rc = pb_frame_reader_read(reader, buf, len, &view, err, sizeof err);
    bool repeats = tree_rc == 0 && s_repeats_a_key(buf, len);
    if (tree_rc == -EBADMSG || rc == -EBADMSG)
        return rc == tree_rc ? 0 : s_differ(why, whylen, "error class (bytes)", err);
    if (tree_rc == -EINVAL)
        return rc == -EINVAL ? 0 : s_differ(why, whylen, "reader accepted a bad envelope", "");
    if (rc == -EINVAL)
        return repeats ? 0 : s_check_stricter(err, why, whylen);
    if (rc != 0)
        return s_differ(why, whylen, "reader failed", err);
    if (repeats)
        return 0;
    int c = s_check_envelope(env, &view->env, why, whylen);
    return c ? c : s_check_numbers(tree, view, why, whylen);
}

int pb_frame_oracle_check(const void *buf, size_t len, char *why, size_t whylen)
{
    pb_value_t *tree = NULL;
    pb_envelope_t env;
    int tree_rc = pb_codec_decode(buf, len, &tree, NULL, 0) < 0 ? -EBADMSG : 0;
    if (tree_rc == 0 && pb_frame_envelope(tree, &env, NULL, 0) < 0)
        tree_rc = -EINVAL;
    int rc = s_compare(buf, len, tree, tree_rc, &env, why, whylen);
    pb_value_destroy(&tree);
    return rc;
}
