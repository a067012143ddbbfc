/* pb_proc_parse: pure parsers of /proc/PID/{stat,status,io,schedstat,cmdline} text. */
#ifndef PB_PROC_PARSE_H
#define PB_PROC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PB_PROC_COMM_MAX 64 /* kernel threads may show more than TASK_COMM_LEN */

/* The fields of /proc/PID/stat that perfbus uses (times in USER_HZ ticks). */
typedef struct {
    uint32_t pid;
    uint32_t ppid;
    char comm[PB_PROC_COMM_MAX]; /* truncated if longer */
    char state;
    int64_t nice;
    uint64_t minflt, majflt;
    uint64_t utime, stime; /* utime includes guest_time, as the kernel reports it */
    uint64_t guest_time;   /* 0 on kernels before 2.6.24 */
    uint64_t threads;
    uint64_t starttime; /* ticks after boot */
    uint64_t vsize;     /* bytes */
    uint64_t rss_pages;
} pb_proc_stat_t;

typedef struct {
    uint32_t uid; /* real uid */
    uint64_t vol_ctxsw, invol_ctxsw;
} pb_proc_status_t;

typedef struct {
    uint64_t rchar, wchar, read_bytes, write_bytes;
} pb_proc_io_t;

/* /proc/PID/schedstat: the thread-group leader's time on a CPU and how many
 * times it was switched in. */
typedef struct {
    uint64_t run_ns;
    uint64_t runs;
} pb_proc_sched_t;

/* Parses /proc/PID/stat. comm is what lies between the first '(' and the
 * LAST ')', so it may hold spaces and parentheses. Returns 0, or -EINVAL when
 * the text is malformed or stops before the rss field. */
int pb_proc_parse_stat(const char *text, pb_proc_stat_t *out);

/* Parses /proc/PID/status (Uid and the two ctxt_switches lines). Returns 0,
 * or -EINVAL when one is missing or malformed. */
int pb_proc_parse_status(const char *text, pb_proc_status_t *out);

/* Parses /proc/PID/io. Returns 0, or -EINVAL when a field is missing or malformed. */
int pb_proc_parse_io(const char *text, pb_proc_io_t *out);

/* Parses /proc/PID/schedstat ("run_ns wait_ns runs"). Returns 0, or -EINVAL
 * when a field is missing or malformed. */
int pb_proc_parse_schedstat(const char *text, pb_proc_sched_t *out);

/* Joins the NUL-separated arguments of /proc/PID/cmdline (len bytes) with
 * spaces into out (always NUL-terminated, truncated to size - 1). Returns the
 * length written; 0 for a kernel thread. This function can't fail. */
size_t pb_proc_parse_cmdline(const char *data, size_t len, char *out, size_t size);

#endif
