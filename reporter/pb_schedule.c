/* pb_schedule: renders one report per period, skips empty periods, keeps the newest N.
 *
 * Periods end on multiples of `every` since the epoch (UTC), so restarts and
 * the systemd timer land on the same names; a period whose files already
 * exist is not rendered again. Names sort by time, which retention uses. */
#include "pb_schedule.h"

#include "pb_frame.h"
#include "pb_log.h"
#include "pb_report.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_NS 1000000000ULL

static void s_stamp(uint64_t ns, char *buf, size_t size)
{
    time_t secs = (time_t)(ns / S_NS);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(buf, size, "%llu", (unsigned long long)secs);
}

int pb_schedule_name(const pb_schedule_opts_t *opts, uint64_t end_ns, const char *ext, char *buf,
                     size_t size)
{
    char from[32], to[32];
    uint64_t window = opts->window_s * S_NS;
    s_stamp(end_ns > window ? end_ns - window : 0, from, sizeof(from));
    s_stamp(end_ns, to, sizeof(to));
    if ((size_t)snprintf(buf, size, "perfbus-%s-%s.%s", from, to, ext) >= size)
        return -ENAMETOOLONG;
    return 0;
}

static int s_path(const pb_schedule_opts_t *opts, uint64_t end_ns, pb_format_t format, char *buf,
                  size_t size)
{
    char name[128];
    int rc = pb_schedule_name(opts, end_ns, pb_report_extension(format), name, sizeof(name));
    if (rc == 0 && (size_t)snprintf(buf, size, "%s/%s", opts->out_dir, name) >= size)
        rc = -ENAMETOOLONG;
    return rc;
}

static int s_is_report(const char *name, const char *ext)
{
    size_t len = strlen(name), elen = strlen(ext);
    return strncmp(name, "perfbus-", 8) == 0 && len > elen + 1 && name[len - elen - 1] == '.' &&
           strcmp(name + len - elen, ext) == 0 && strchr(name, 'Z') != NULL;
}

/* Reports of this format in out_dir whose names sort after name (newer periods). */
static unsigned s_newer(const pb_schedule_opts_t *opts, const char *ext, const char *name)
{
    struct dirent **list;
    int n = scandir(opts->out_dir, &list, NULL, alphasort);
    unsigned newer = 0;
    for (int i = 0; i < n; i++) {
        newer += s_is_report(list[i]->d_name, ext) && strcmp(list[i]->d_name, name) > 0;
        free(list[i]);
    }
    if (n >= 0)
        free(list);
    return newer;
}

/* Formats of the period whose file is not there yet, leaving out those that
 * --keep would remove at once (keep newer reports exist already). */
static unsigned s_missing(const pb_schedule_opts_t *opts, uint64_t end_ns)
{
    unsigned missing = 0;
    char path[4096], name[128];
    for (unsigned f = 1; f <= PB_FORMAT_JSON; f <<= 1) {
        const char *ext = pb_report_extension(f);
        if (!(opts->formats & f) || s_path(opts, end_ns, f, path, sizeof(path)) < 0 ||
            access(path, F_OK) == 0 || pb_schedule_name(opts, end_ns, ext, name, sizeof(name)) < 0)
            continue;
        if (opts->keep == 0 || s_newer(opts, ext, name) < opts->keep)
            missing |= f;
    }
    return missing;
}

/* Removes the oldest reports of one format beyond opts->keep. */
static void s_retain_format(const pb_schedule_opts_t *opts, const char *ext)
{
    struct dirent **list;
    int n = scandir(opts->out_dir, &list, NULL, alphasort);
    if (n < 0)
        return;
    int kept = 0;
    for (int i = n - 1; i >= 0; i--) {
        if (s_is_report(list[i]->d_name, ext) && (unsigned)++kept > opts->keep) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", opts->out_dir, list[i]->d_name);
            if (unlink(path) == 0)
                pb_log_info("removed %s (--keep %u)", path, opts->keep);
        }
        free(list[i]);
    }
    free(list);
}

static void s_retain(const pb_schedule_opts_t *opts)
{
    if (opts->keep == 0)
        return;
    for (unsigned f = 1; f <= PB_FORMAT_JSON; f <<= 1)
        if (opts->formats & f)
            s_retain_format(opts, pb_report_extension(f));
}

static int s_render_all(const pb_schedule_opts_t *opts, const pb_model_t *model, const char *source,
                        uint64_t end_ns, unsigned formats)
{
    char path[4096], err[512];
    for (unsigned f = 1; f <= PB_FORMAT_JSON; f <<= 1) {
        if (!(formats & f))
            continue;
        int rc = s_path(opts, end_ns, f, path, sizeof(path));
        rc = rc ? rc : pb_report_render(model, source, f, path, NULL, err, sizeof(err));
        if (rc < 0) {
            pb_log_error("%s: %s", path, err);
            return rc;
        }
        pb_log_info("wrote %s", path);
    }
    return 1;
}

/* Loads the period into model: 0 (loaded), 1 (nothing to report), or negative. */
static int s_load(pb_model_t *model, const pb_source_opts_t *src, const char *source)
{
    pb_source_stats_t stats;
    char err[512];
    int rc = pb_source_load(src, model, &stats, err, sizeof(err));
    if (rc < 0) {
        pb_log_error("%s", err);
        return rc;
    }
    if (pb_report_check(model, source, err, sizeof(err)) < 0) {
        pb_log_info("skipping period: %s", err);
        return 1;
    }
    return 0;
}

int pb_schedule_period(const pb_schedule_opts_t *opts, uint64_t end_ns)
{
    unsigned missing = s_missing(opts, end_ns);
    if (missing == 0)
        return 0;
    pb_source_opts_t src = opts->source;
    uint64_t window = opts->window_s * S_NS;
    src.from_ns = end_ns > window ? end_ns - window : 0;
    src.to_ns = end_ns - 1;
    char source[512];
    pb_source_describe(&src, source, sizeof(source));
    pb_model_t *model = pb_model_new();
    if (!model)
        return -ENOMEM;
    int rc = s_load(model, &src, source);
    if (rc == 0)
        rc = s_render_all(opts, model, source, end_ns, missing);
    else if (rc == 1)
        rc = 0;
    pb_model_destroy(&model);
    if (rc == 1)
        s_retain(opts);
    return rc;
}

static int s_check_out_dir(const char *dir)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        pb_log_error("cannot create output directory '%s': %s", dir, strerror(errno));
        return -errno;
    }
    return 0;
}

int pb_schedule_backfill(const pb_schedule_opts_t *opts, uint64_t since_ns, uint64_t until_ns)
{
    uint64_t every = opts->every_s * S_NS;
    int rendered = 0, rc = s_check_out_dir(opts->out_dir);
    if (rc < 0)
        return rc;
    for (uint64_t end = (since_ns / every + 1) * every; end <= until_ns; end += every) {
        rc = pb_schedule_period(opts, end);
        if (rc < 0)
            return rc;
        rendered += rc;
    }
    return rendered;
}

int pb_schedule_loop(const pb_schedule_opts_t *opts, volatile sig_atomic_t *stop)
{
    uint64_t every = opts->every_s * S_NS;
    int rc = s_check_out_dir(opts->out_dir);
    if (rc < 0)
        return rc;
    uint64_t end = pb_frame_now_ns() / every * every;
    pb_log_info("scheduled: a report every %llu s into %s; next after %llu s",
                (unsigned long long)opts->every_s, opts->out_dir,
                (unsigned long long)((end + every - pb_frame_now_ns()) / S_NS));
    while (!*stop) {
        if (pb_frame_now_ns() >= end) {
            pb_schedule_period(opts, end); /* errors are logged; the next period may work */
            end += every;
            continue;
        }
        sleep(1);
    }
    return 0;
}
