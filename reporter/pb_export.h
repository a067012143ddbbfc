/* pb_export: CSV (one row per sample) and JSON (summaries + series) exports of a report model. */
#ifndef PB_EXPORT_H
#define PB_EXPORT_H

#include "pb_model.h"

#include <stddef.h>
#include <stdio.h>

/* CSV, RFC 4180 quoting, one row per sample: first the sys samples of each
 * host, then each process's samples. Columns: time_utc, ts_ns, host, kind
 * (sys|proc), pid, comm, one column per system metric and the process
 * columns; the header names each column's unit ("mem.used_bytes [bytes]").
 * Absent values are empty cells. Returns 0 or -EIO (err says why). */
int pb_export_csv(FILE *out, const pb_model_t *model, char *err, size_t errlen);

/* JSON: {format, source, info, hosts: [{host, summary: {metric: summary},
 * series: {ts_ns: [...], metric: [...]}, processes: [{pid, comm, summary,
 * series}]}], profiles: [{host, name, mode, ts_ns, about, columns, rows}]}.
 * Summaries are pb_summary maps; absent values are null.
 * Returns 0, -ENOMEM or -EIO. */
int pb_export_json(FILE *out, const pb_model_t *model, const char *source, char *err,
                   size_t errlen);

#endif
