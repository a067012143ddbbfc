/* pb_proc_body: turns readings of one process into proc frame bodies, with pidstat's rates. */
#ifndef PB_PROC_BODY_H
#define PB_PROC_BODY_H

#include "pb_mpwrite.h"
#include "pb_proc_parse.h"
#include "pb_value.h"

#include <stdbool.h>
#include <stdint.h>

/* Everything read about a process in one cycle. */
typedef struct {
    pb_proc_stat_t stat;
    pb_proc_status_t status;
    pb_proc_io_t io;
    bool has_io;  /* /proc/PID/io was readable */
    bool has_fds; /* /proc/PID/fd was readable */
    uint32_t fds;
    bool has_sched; /* /proc/PID/schedstat was readable and counting */
    pb_proc_sched_t sched;
} pb_proc_reading_t;

/* Rates over one interval. CPU is percent of ONE core (pidstat): user
 * excludes guest time. */
typedef struct {
    double cpu_user_pct, cpu_system_pct;
    double minflt_per_s, majflt_per_s;
    double vol_ctxsw_per_s, invol_ctxsw_per_s;
    bool has_io;
    double read_bytes_per_s, write_bytes_per_s, rchar_per_s, wchar_per_s;
} pb_proc_rates_t;

/* What a body is built from. rates NULL means a first sample (no rate keys). */
typedef struct {
    const pb_proc_reading_t *reading;
    const char *cmdline;
    const pb_proc_rates_t *rates;
    double interval_s;
    uint64_t mem_total; /* MemTotal in bytes, for mem_pct; 0 gives mem_pct 0 */
    bool has_since_start;
    double cpu_pct_since_start;
    bool cpu_clamped; /* with rates: the CPU was cut (cpu_clamped: true, the last key) */
} pb_proc_body_args_t;

/* One body to write: the readings of a live process (args), or, when args is
 * NULL, the final {pid, comm, gone: true} of an exited one. */
typedef struct {
    const pb_proc_body_args_t *args;
    uint32_t pid;
    const char *comm;
} pb_proc_body_t;

/* Resolves every proc key in the catalogue, once per process. Returns 0, or
 * -ENOENT with the missing field in err (err may be NULL). */
int pb_proc_body_keys(char *err, size_t errlen);

/* Writes the keys of body into the map open in w (the frame, after its
 * envelope): the fields of FIELDS.md "proc". comm is written as valid UTF-8
 * (U+FFFD for bad bytes), with the bytes as read in a comm_raw bin when, and
 * only when, they were not valid UTF-8. Returns 0 or pb_mpwrite's error (or
 * pb_proc_body_keys'). */
int pb_proc_body_write(pb_mpwrite_t *w, const pb_proc_body_t *body);

/* What pb_proc_body_write writes, decoded into a new map (caller owns), for
 * requests and tests. NULL on ENOMEM. */
pb_value_t *pb_proc_body_tree(const pb_proc_body_t *body);

/* utime without guest time, in ticks (pidstat's user time). Can't fail. */
uint64_t pb_proc_body_user_ticks(const pb_proc_stat_t *stat);

/* Computes the rates between two readings of the same process interval_s
 * apart. Returns false when a counter went backwards or interval_s <= 0: the
 * sample is then a first of its series. */
bool pb_proc_body_rates(const pb_proc_reading_t *prev, const pb_proc_reading_t *cur,
                        double interval_s, pb_proc_rates_t *out);

/* CPU time comes in whole ticks (10 ms at USER_HZ 100), so over a short or
 * late interval a process can show more than it could have used. Cuts user
 * and system in proportion so that their sum is at most cap (percent), and
 * returns whether it had to. This function can't fail. */
bool pb_proc_body_clamp_cpu(pb_proc_rates_t *r, double cap);

/* A new proc body (fields of FIELDS.md "proc" without the envelope), or NULL
 * on ENOMEM. comm is put as valid UTF-8 (U+FFFD for bad bytes), with the bytes
 * as read in a comm_raw bin when, and only when, they were not valid UTF-8. */
pb_value_t *pb_proc_body_new(const pb_proc_body_args_t *args);

/* The final body of an exited process: {pid, comm, gone: true}, comm_raw as
 * above. NULL on ENOMEM. */
pb_value_t *pb_proc_body_gone(uint32_t pid, const char *comm);

#endif
