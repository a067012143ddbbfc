/* pb_profview: renders a profile result (a `profile` reply or a prof.* frame) for people and tools.
 */
#include "pb_profview.h"

#include "pb_json.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static double s_f64(const pb_value_t *map, const char *key)
{
    double v = 0;
    pb_value_map_get_f64(map, key, &v);
    return v;
}

static uint64_t s_u64(const pb_value_t *map, const char *key)
{
    uint64_t v = 0;
    pb_value_map_get_u64(map, key, &v);
    return v;
}

static const char *s_str(const pb_value_t *map, const char *key, const char *dflt)
{
    const char *v = dflt;
    pb_value_map_get_str(map, key, &v);
    return v;
}

static const char *s_name(const pb_value_t *result)
{
    return s_str(result, "target", s_str(result, "section", "profile"));
}

static void s_header(FILE *out, const pb_value_t *r)
{
    fprintf(out, "%s %s: %llu run(s) in %.3f s (stopped by %s)\n", s_str(r, "mode", "?"), s_name(r),
            (unsigned long long)s_u64(r, "runs_done"), s_f64(r, "wall_s"),
            s_str(r, "stopped", "count"));
}

static void s_sampling_table(FILE *out, const pb_value_t *s, size_t limit)
{
    fprintf(out,
            "clock %s, %llu Hz requested, %.0f Hz effective; samples %llu received of %llu "
            "expected, %llu dropped, %llu truncated unwinds, %llu of %llu frames unnamed\n\n",
            s_str(s, "clock", "?"), (unsigned long long)s_u64(s, "hz_requested"),
            s_f64(s, "hz_effective"), (unsigned long long)s_u64(s, "samples_received"),
            (unsigned long long)s_u64(s, "samples_expected"),
            (unsigned long long)s_u64(s, "samples_dropped"),
            (unsigned long long)s_u64(s, "unwind_truncated"),
            (unsigned long long)s_u64(s, "frames_unnamed"), (unsigned long long)s_u64(s, "frames"));
    fprintf(out, "%8s %8s %10s %10s %15s  %s\n", "total%", "self%", "total_s", "self_s",
            "total 95% CI", "function (file:line)");
    const pb_value_t *fns = pb_value_map_get(s, "functions");
    for (size_t i = 0; i < pb_value_len(fns) && i < limit; i++) {
        const pb_value_t *f = pb_value_array_at(fns, i);
        const pb_value_t *ci = pb_value_map_get(f, "total_ci_pct");
        double lo = 0, hi = 0;
        pb_value_get_f64(pb_value_array_at(ci, 0), &lo);
        pb_value_get_f64(pb_value_array_at(ci, 1), &hi);
        fprintf(out, "%8.2f %8.2f %10.4f %10.4f %6.2f-%6.2f%%  %s", s_f64(f, "total_pct"),
                s_f64(f, "self_pct"), s_f64(f, "total_s"), s_f64(f, "self_s"), lo, hi,
                s_str(f, "name", "?"));
        if (pb_value_map_get(f, "file"))
            fprintf(out, " (%s:%llu)", s_str(f, "file", ""), (unsigned long long)s_u64(f, "line"));
        fputc('\n', out);
    }
}

static void s_tracing_table(FILE *out, const pb_value_t *t, size_t limit)
{
    fprintf(out, "%llu calls traced on %llu thread(s), %llu lost; hook cost %.1f ns per call\n\n",
            (unsigned long long)s_u64(t, "calls"), (unsigned long long)s_u64(t, "threads"),
            (unsigned long long)s_u64(t, "calls_lost"), s_f64(t, "hook_ns_per_call"));
    fprintf(out, "%15s %10s %10s %10s %10s  %s\n", "ncalls", "tottime", "percall", "cumtime",
            "percall", "filename:lineno(function)");
    const pb_value_t *fns = pb_value_map_get(t, "functions");
    for (size_t i = 0; i < pb_value_len(fns) && i < limit; i++) {
        const pb_value_t *f = pb_value_array_at(fns, i);
        char calls[48];
        uint64_t n = s_u64(f, "ncalls"), prim = s_u64(f, "primcalls");
        if (n == prim)
            snprintf(calls, sizeof calls, "%llu", (unsigned long long)n);
        else
            snprintf(calls, sizeof calls, "%llu/%llu", (unsigned long long)n,
                     (unsigned long long)prim);
        fprintf(out, "%15s %10.6f %10.6f %10.6f %10.6f  %s:%llu(%s)\n", calls,
                s_f64(f, "tottime_s"), s_f64(f, "percall_tottime_s"), s_f64(f, "cumtime_s"),
                s_f64(f, "percall_cumtime_s"), s_str(f, "file", "~"),
                (unsigned long long)s_u64(f, "line"), s_str(f, "name", "?"));
    }
}

static void s_detailed_table(FILE *out, const pb_value_t *d)
{
    fprintf(out, "%4s %9s %9s %9s %12s %12s %9s %7s %12s %12s %7s %7s\n", "run", "wall_s", "user_s",
            "sys_s", "rss_before", "rss_peak", "minflt", "majflt", "read_bytes", "write_bytes",
            "vcsw", "ivcsw");
    const pb_value_t *runs = pb_value_map_get(d, "runs");
    for (size_t i = 0; i < pb_value_len(runs); i++) {
        const pb_value_t *r = pb_value_array_at(runs, i);
        fprintf(
            out, "%4zu %9.4f %9.4f %9.4f %12llu %12llu %9llu %7llu %12llu %12llu %7llu %7llu\n", i,
            s_f64(r, "wall_s"), s_f64(r, "user_s"), s_f64(r, "sys_s"),
            (unsigned long long)s_u64(r, "rss_before_bytes"),
            (unsigned long long)s_u64(r, "rss_peak_bytes"), (unsigned long long)s_u64(r, "minflt"),
            (unsigned long long)s_u64(r, "majflt"), (unsigned long long)s_u64(r, "read_bytes"),
            (unsigned long long)s_u64(r, "write_bytes"), (unsigned long long)s_u64(r, "vol_ctxsw"),
            (unsigned long long)s_u64(r, "invol_ctxsw"));
    }
    fprintf(out, "(%zu points of RSS/CPU/I/O time series in the result)\n",
            pb_value_len(pb_value_map_get(d, "series")));
}

int pb_profview_table(FILE *out, const pb_value_t *result, size_t limit)
{
    const pb_value_t *s = pb_value_map_get(result, "sampling");
    const pb_value_t *t = pb_value_map_get(result, "tracing");
    const pb_value_t *d = pb_value_map_get(result, "detailed");
    if (!s && !t && !d)
        return -EINVAL;
    s_header(out, result);
    if (s)
        s_sampling_table(out, s, limit);
    else if (t)
        s_tracing_table(out, t, limit);
    else
        s_detailed_table(out, d);
    return ferror(out) ? -EIO : 0;
}

int pb_profview_folded(FILE *out, const pb_value_t *result)
{
    const pb_value_t *folded = pb_value_path(result, "sampling.folded");
    if (!folded || pb_value_type(folded) != PB_ARRAY)
        return -EINVAL;
    for (size_t i = 0; i < pb_value_len(folded); i++) {
        const pb_value_t *e = pb_value_array_at(folded, i);
        fprintf(out, "%s %llu\n", s_str(e, "stack", "[unknown]"),
                (unsigned long long)s_u64(e, "count"));
    }
    return ferror(out) ? -EIO : 0;
}

/* speedscope document under construction: frames are interned by name. */
typedef struct {
    pb_value_t *frames, *index;
    const pb_value_t *functions;
} s_speedscope_t;

static int s_new_frame(s_speedscope_t *ss, const char *name)
{
    pb_value_t *frame = pb_value_map_new();
    int rc = frame ? pb_value_map_put_str(frame, "name", name) : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < pb_value_len(ss->functions); i++) {
        const pb_value_t *f = pb_value_array_at(ss->functions, i);
        if (strcmp(s_str(f, "name", ""), name) != 0 || !pb_value_map_get(f, "file"))
            continue;
        rc = pb_value_map_put_str(frame, "file", s_str(f, "file", ""));
        rc = rc ? rc : pb_value_map_put_uint(frame, "line", s_u64(f, "line"));
        break;
    }
    size_t ix = pb_value_len(ss->frames);
    rc = rc ? (pb_value_destroy(&frame), rc) : pb_value_array_push(ss->frames, &frame);
    rc = rc ? rc : pb_value_map_put_uint(ss->index, name, ix);
    return rc < 0 ? rc : (int)ix;
}

static int s_frame_index(s_speedscope_t *ss, const char *name)
{
    uint64_t ix = 0;
    if (pb_value_map_get_u64(ss->index, name, &ix) == 0)
        return (int)ix;
    return s_new_frame(ss, name);
}

/* "a;b;c" -> [ia, ib, ic] */
static pb_value_t *s_stack(s_speedscope_t *ss, const char *stack)
{
    pb_value_t *list = pb_value_array_new();
    char name[512];
    for (const char *p = stack; list && *p;) {
        size_t len = strcspn(p, ";");
        snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), p);
        int ix = s_frame_index(ss, name);
        pb_value_t *v = ix >= 0 ? pb_value_uint_new((uint64_t)ix) : NULL;
        if (!v || pb_value_array_push(list, &v) < 0)
            pb_value_destroy(&list);
        p += len + (p[len] == ';');
    }
    return list;
}

static int s_samples(s_speedscope_t *ss, const pb_value_t *sampling, pb_value_t *profile)
{
    const pb_value_t *folded = pb_value_map_get(sampling, "folded");
    uint64_t received = s_u64(sampling, "samples_received");
    double per = received ? s_f64(sampling, "seconds") / (double)received : 0;
    pb_value_t *samples = pb_value_array_new(), *weights = pb_value_array_new();
    int rc = samples && weights ? 0 : -ENOMEM;
    double total = 0;
    for (size_t i = 0; rc == 0 && i < pb_value_len(folded); i++) {
        const pb_value_t *e = pb_value_array_at(folded, i);
        pb_value_t *stack = s_stack(ss, s_str(e, "stack", "[unknown]"));
        double w = per * (double)s_u64(e, "count");
        pb_value_t *weight = pb_value_float_new(w);
        total += w;
        rc = stack && weight ? pb_value_array_push(samples, &stack) : -ENOMEM;
        rc = rc ? rc : pb_value_array_push(weights, &weight);
        pb_value_destroy(&stack);
        pb_value_destroy(&weight);
    }
    rc = rc ? rc : pb_value_map_put_float(profile, "endValue", total);
    rc = rc ? rc : pb_value_map_put(profile, "samples", &samples);
    rc = rc ? rc : pb_value_map_put(profile, "weights", &weights);
    pb_value_destroy(&samples);
    pb_value_destroy(&weights);
    return rc;
}

static pb_value_t *s_profile(s_speedscope_t *ss, const pb_value_t *sampling, const char *name)
{
    pb_value_t *p = pb_value_map_new();
    int rc = p ? pb_value_map_put_str(p, "type", "sampled") : -ENOMEM;
    rc = rc ? rc : pb_value_map_put_str(p, "name", name);
    rc = rc ? rc : pb_value_map_put_str(p, "unit", "seconds");
    rc = rc ? rc : pb_value_map_put_float(p, "startValue", 0);
    rc = rc ? rc : s_samples(ss, sampling, p);
    if (rc < 0)
        pb_value_destroy(&p);
    return p;
}

static pb_value_t *s_document(s_speedscope_t *ss, pb_value_t **profile_p, const char *name)
{
    pb_value_t *doc = pb_value_map_new(), *shared = pb_value_map_new();
    pb_value_t *profiles = pb_value_array_new();
    int rc = doc && shared && profiles ? 0 : -ENOMEM;
    rc = rc ? rc
            : pb_value_map_put_str(doc, "$schema",
                                   "https://www.speedscope.app/file-format-schema.json");
    rc = rc ? rc : pb_value_map_put(shared, "frames", &ss->frames);
    rc = rc ? rc : pb_value_map_put(doc, "shared", &shared);
    rc = rc ? rc : pb_value_array_push(profiles, profile_p);
    rc = rc ? rc : pb_value_map_put(doc, "profiles", &profiles);
    rc = rc ? rc : pb_value_map_put_str(doc, "name", name);
    rc = rc ? rc : pb_value_map_put_uint(doc, "activeProfileIndex", 0);
    rc = rc ? rc : pb_value_map_put_str(doc, "exporter", "perfbus " PB_VERSION);
    pb_value_destroy(&shared);
    pb_value_destroy(&profiles);
    if (rc < 0)
        pb_value_destroy(&doc);
    return doc;
}

int pb_profview_speedscope(FILE *out, const pb_value_t *result, const char *name)
{
    const pb_value_t *sampling = pb_value_map_get(result, "sampling");
    if (!sampling || pb_value_type(pb_value_map_get(sampling, "folded")) != PB_ARRAY)
        return -EINVAL;
    name = name ? name : s_name(result);
    s_speedscope_t ss = {.frames = pb_value_array_new(),
                         .index = pb_value_map_new(),
                         .functions = pb_value_map_get(sampling, "functions")};
    pb_value_t *profile = ss.frames && ss.index ? s_profile(&ss, sampling, name) : NULL;
    pb_value_t *doc = profile ? s_document(&ss, &profile, name) : NULL;
    int rc = doc ? pb_json_write(out, doc, 0) : -ENOMEM;
    if (rc == 0 && fputc('\n', out) == EOF)
        rc = -EIO;
    pb_value_destroy(&doc);
    pb_value_destroy(&profile);
    pb_value_destroy(&ss.frames);
    pb_value_destroy(&ss.index);
    return rc;
}
