/* pb_export: streams CSV and JSON, so a 24 h run never becomes a million-node tree. */
#include "pb_export.h"

#include "pb_bucket.h"
#include "pb_json.h"
#include "pb_profile.h"
#include "pb_summary.h"
#include "pb_table.h"
#include "pb_view.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void s_csv_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void s_number(FILE *out, double v, const char *nan)
{
    if (isfinite(v))
        fprintf(out, "%.10g", v);
    else
        fputs(nan, out);
}

static void s_csv_time(FILE *out, uint64_t ts)
{
    time_t secs = (time_t)(ts / 1000000000ULL);
    struct tm tm;
    char buf[32] = "";
    if (gmtime_r(&secs, &tm))
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "%s.%03uZ,%" PRIu64, buf, (unsigned)(ts / 1000000 % 1000), ts);
}

static void s_csv_header(FILE *out)
{
    fputs("time_utc,ts_ns,host,kind,pid,comm", out);
    for (size_t m = 0; m < pb_model_metric_count(); m++)
        fprintf(out, ",%s [%s]", pb_model_metric(m)->key,
                pb_catalog_unit_name(pb_model_metric(m)->field->unit));
    const pb_catalog_field_t *cpu = pb_model_proc_field(PB_ORDER_CPU);
    const pb_catalog_field_t *rss = pb_model_proc_field(PB_ORDER_RSS);
    fprintf(out, ",%s.%s [%s of one core],%s.%s [%s]\r\n", pb_catalog_frame_name(cpu->frame),
            cpu->path, pb_catalog_unit_name(cpu->unit), pb_catalog_frame_name(rss->frame),
            rss->path, pb_catalog_unit_name(rss->unit));
}

static void s_csv_sys(FILE *out, const pb_model_t *model, size_t host)
{
    size_t n = pb_model_sys_count(model, host);
    pb_series_t first = pb_model_sys(model, host, 0);
    for (size_t i = 0; i < n; i++) {
        s_csv_time(out, first.ts[i]);
        fputc(',', out);
        s_csv_string(out, pb_model_host(model, host));
        fputs(",sys,,", out);
        for (size_t m = 0; m < pb_model_metric_count(); m++) {
            fputc(',', out);
            s_number(out, pb_model_sys(model, host, m).v[i], "");
        }
        fputs(",,\r\n", out);
    }
}

static void s_csv_proc(FILE *out, const pb_model_t *model, size_t host, const pb_model_proc_t *p)
{
    for (size_t i = 0; i < p->cpu.n; i++) {
        s_csv_time(out, p->cpu.ts[i]);
        fputc(',', out);
        s_csv_string(out, pb_model_host(model, host));
        fprintf(out, ",proc,%" PRIu64 ",", p->pid);
        s_csv_string(out, p->comm);
        for (size_t m = 0; m < pb_model_metric_count(); m++)
            fputc(',', out);
        fputc(',', out);
        s_number(out, p->cpu.v[i], "");
        fputc(',', out);
        s_number(out, p->rss.v[i], "");
        fputs("\r\n", out);
    }
}

int pb_export_csv(FILE *out, const pb_model_t *model, char *err, size_t errlen)
{
    s_csv_header(out);
    for (size_t h = 0; h < pb_model_host_count(model); h++) {
        pb_model_proc_t proc;
        s_csv_sys(out, model, h);
        for (size_t r = 0; pb_model_proc(model, h, PB_ORDER_CPU, r, &proc) == 0; r++)
            s_csv_proc(out, model, h, &proc);
    }
    if (ferror(out)) {
        snprintf(err, errlen, "writing CSV: %s", strerror(errno));
        return -EIO;
    }
    return 0;
}

/* Writes a JSON string through pb_json, which owns the escaping rules. */
static int s_json_string(FILE *out, const char *s)
{
    pb_value_t *v = pb_value_str_new(s);
    int rc = v ? pb_json_write(out, v, 0) : -ENOMEM;
    pb_value_destroy(&v);
    return rc;
}

static int s_json_summary(FILE *out, pb_series_t series)
{
    pb_summary_t sum;
    pb_bucket_summary_t bk;
    int rc = series.count ? pb_table_bucket_stats(series, &bk)
                          : pb_summary_compute(series.ts, series.v, series.n, 0, UINT64_MAX, &sum);
    if (rc == -ENODATA)
        return fputs("null", out) == EOF ? -EIO : 0;
    pb_value_t *v = rc < 0         ? NULL
                    : series.count ? pb_bucket_summary_to_value(&bk, series.width_s)
                                   : pb_summary_to_value(&sum);
    rc = v ? pb_json_write(out, v, 0) : -ENOMEM;
    pb_value_destroy(&v);
    return rc;
}

static void s_json_values(FILE *out, pb_series_t series)
{
    fputc('[', out);
    for (size_t i = 0; i < series.n; i++) {
        if (i)
            fputc(',', out);
        s_number(out, series.v[i], "null");
    }
    fputc(']', out);
}

static void s_json_times(FILE *out, pb_series_t series)
{
    fputc('[', out);
    for (size_t i = 0; i < series.n; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", series.ts[i]);
    fputc(']', out);
}

static int s_json_sys(FILE *out, const pb_model_t *model, size_t h)
{
    int rc = 0;
    fputs("\"summary\": {", out);
    for (size_t m = 0; m < pb_model_metric_count() && rc == 0; m++) {
        fprintf(out, "%s\n      \"%s\": ", m ? "," : "", pb_model_metric(m)->key);
        rc = s_json_summary(out, pb_model_sys(model, h, m));
    }
    fputs("},\n    \"series\": {\"ts_ns\": ", out);
    s_json_times(out, pb_model_sys(model, h, 0));
    for (size_t m = 0; m < pb_model_metric_count(); m++) {
        fprintf(out, ",\n      \"%s\": ", pb_model_metric(m)->key);
        s_json_values(out, pb_model_sys(model, h, m));
    }
    fputs("}", out);
    return rc;
}

static int s_json_proc(FILE *out, const pb_model_proc_t *p)
{
    fprintf(out, "{\"pid\": %" PRIu64 ", \"comm\": ", p->pid);
    int rc = s_json_string(out, p->comm);
    const char *cpu = pb_model_proc_field(PB_ORDER_CPU)->name;
    const char *rss = pb_model_proc_field(PB_ORDER_RSS)->name;
    fprintf(out, ", \"summary\": {\"%s\": ", cpu);
    rc = rc ? rc : s_json_summary(out, p->cpu);
    fprintf(out, ", \"%s\": ", rss);
    rc = rc ? rc : s_json_summary(out, p->rss);
    fputs("},\n       \"series\": {\"ts_ns\": ", out);
    s_json_times(out, p->cpu);
    fprintf(out, ", \"%s\": ", cpu);
    s_json_values(out, p->cpu);
    fprintf(out, ", \"%s\": ", rss);
    s_json_values(out, p->rss);
    fputs("}}", out);
    return rc;
}

static int s_json_host(FILE *out, const pb_model_t *model, size_t h)
{
    pb_model_proc_t proc;
    fputs("{\"host\": ", out);
    int rc = s_json_string(out, pb_model_host(model, h));
    fputs(",\n    ", out);
    rc = rc ? rc : s_json_sys(out, model, h);
    fputs(",\n    \"processes\": [", out);
    for (size_t r = 0; rc == 0 && pb_model_proc(model, h, PB_ORDER_CPU, r, &proc) == 0; r++) {
        fputs(r ? ",\n      " : "\n      ", out);
        rc = s_json_proc(out, &proc);
    }
    fputs("]}", out);
    return rc;
}

/* The info key of the model's interval: the name of the catalogue's field for it. */
static const char *s_interval_key(void)
{
    pb_view_entry_t e;
    return pb_view_entry_of(PB_VIEW_REPORT_INTERVAL, PB_FT_SYS, &e) == 0 ? e.field->name : "";
}

static int s_json_info(FILE *out, const pb_model_t *model, const char *source)
{
    pb_model_info_t info;
    pb_model_info(model, &info);
    fputs("{\"format\": \"perfbus-report/1\",\n  \"source\": ", out);
    int rc = s_json_string(out, source ? source : "");
    fprintf(out,
            ",\n  \"info\": {\"frames\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"first_ns\": %" PRIu64
            ", \"last_ns\": %" PRIu64 ", \"%s\": ",
            info.frames, info.lost, info.first_ns, info.last_ns, s_interval_key());
    s_number(out, info.interval_s, "null");
    fputs(", \"version\": ", out);
    if (info.version)
        rc = rc ? rc : s_json_string(out, info.version);
    else
        fputs("null", out);
    fputs("},\n  \"hosts\": [", out);
    return rc;
}

static int s_json_row(FILE *out, const pb_table_row_t *row)
{
    int rc = 0;
    fputc('[', out);
    for (size_t c = 0; c < row->ncols && rc == 0; c++) {
        if (c)
            fputc(',', out);
        rc = s_json_string(out, row->cell[c]);
    }
    fputc(']', out);
    return rc;
}

/* A profile as its table: {host, name, mode, ts_ns, about, columns, rows}. */
static int s_json_profile(FILE *out, const pb_profile_t *p)
{
    fputs("{\"host\": ", out);
    int rc = s_json_string(out, p->host);
    fputs(", \"name\": ", out);
    rc = rc ? rc : s_json_string(out, p->name);
    fputs(", \"mode\": ", out);
    rc = rc ? rc : s_json_string(out, p->mode);
    fprintf(out, ", \"ts_ns\": %" PRIu64 ", \"about\": ", p->ts);
    rc = rc ? rc : s_json_string(out, p->about);
    fputs(",\n    \"columns\": ", out);
    rc = rc ? rc : s_json_row(out, &p->header);
    fputs(", \"rows\": [", out);
    for (size_t r = 0; r < p->nrows && rc == 0; r++) {
        fputs(r ? ",\n      " : "\n      ", out);
        rc = s_json_row(out, &p->rows[r]);
    }
    fputs("]}", out);
    return rc;
}

static int s_json_profiles(FILE *out, const pb_model_t *model)
{
    int rc = 0;
    fputs("],\n  \"profiles\": [", out);
    for (size_t i = 0; i < pb_model_profile_count(model) && rc == 0; i++) {
        fputs(i ? ",\n   " : "\n   ", out);
        rc = s_json_profile(out, pb_model_profile(model, i));
    }
    return rc;
}

int pb_export_json(FILE *out, const pb_model_t *model, const char *source, char *err, size_t errlen)
{
    int rc = s_json_info(out, model, source);
    for (size_t h = 0; h < pb_model_host_count(model) && rc == 0; h++) {
        fputs(h ? ",\n   " : "\n   ", out);
        rc = s_json_host(out, model, h);
    }
    rc = rc ? rc : s_json_profiles(out, model);
    fputs("]}\n", out);
    if (rc == 0 && ferror(out))
        rc = -EIO;
    if (rc < 0)
        snprintf(err, errlen, "writing JSON: %s", strerror(-rc));
    return rc;
}
