/* pb_schedule: scheduled mode — one report per period of a store, file names carrying the period.
 */
#ifndef PB_SCHEDULE_H
#define PB_SCHEDULE_H

#include "pb_source.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    pb_source_opts_t source; /* store and filters; from/to are set per period */
    uint64_t every_s;        /* period length; periods end on multiples of it (UTC) */
    uint64_t window_s;       /* each report covers [end - window, end) */
    unsigned keep;           /* reports of each format kept in out_dir (0: all) */
    unsigned formats;        /* pb_format_t bits */
    const char *out_dir;
} pb_schedule_opts_t;

/* File name of the report of the period ending at end_ns, in buf:
 * "perfbus-20260101T000000Z-20260101T010000Z.pdf". 0 or -ENAMETOOLONG. */
int pb_schedule_name(const pb_schedule_opts_t *opts, uint64_t end_ns, const char *ext, char *buf,
                     size_t size);

/* Renders the reports of the period ending at end_ns (each format whose file
 * does not exist yet), then applies --keep. A period without data is skipped
 * with a log line. Returns 1 (rendered), 0 (skipped: no data or already
 * there), or negative errno (logged). */
int pb_schedule_period(const pb_schedule_opts_t *opts, uint64_t end_ns);

/* Renders every period that ended within (since_ns, until_ns]. Returns the
 * number of periods rendered, or the first negative errno. */
int pb_schedule_backfill(const pb_schedule_opts_t *opts, uint64_t since_ns, uint64_t until_ns);

/* The long-running mode: renders the last finished period now, then each
 * period as it ends, until *stop becomes non-zero (a signal handler sets
 * it). Returns 0 when stopped, or a negative errno from the output dir. */
int pb_schedule_loop(const pb_schedule_opts_t *opts, volatile sig_atomic_t *stop);

#endif
