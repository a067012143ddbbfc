/* pb_procfs: reads /proc and /sys under a runtime root, and the tokenising every parser shares. */
#ifndef PB_PROCFS_H
#define PB_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reusable read buffer: zero-initialise it, pass it to every slurp, release
 * it once. data is NUL-terminated after a successful slurp. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} pb_procfs_buf_t;

/* Frees the buffer's memory and zeroes it. Accepts a zeroed buffer. */
void pb_procfs_buf_release(pb_procfs_buf_t *buf);

/* Writes "<root>/<rel>" into out; root "" or "/" means the real system.
 * Returns 0, or -ENAMETOOLONG when out is too small. */
int pb_procfs_path(char *out, size_t size, const char *root, const char *rel);

/* Reads the whole file <root>/<rel> ("proc/stat") into buf, reusing its memory.
 * Returns 0, or a negative errno: -ENOENT/-ESRCH when the file (or the process
 * it belongs to) vanished, -EACCES, -ENOMEM, -EFBIG above 64 MiB. */
int pb_procfs_slurp(const char *root, const char *rel, pb_procfs_buf_t *buf);

/* Opens the directory <root>/<rel> for the *_at functions (which save the path
 * walk from / on every read). Returns the fd (the caller closes it), or a
 * negative errno. */
int pb_procfs_open_dir(const char *root, const char *rel);

/* Is dirfd on a real procfs (not a copied tree of files)? Can't fail. */
bool pb_procfs_is_procfs(int dirfd);

/* pb_procfs_slurp relative to a directory fd, for files whose text the
 * kernel produces in one piece (/proc/PID files, meminfo, uptime): a short read
 * is taken as the end of the file, which saves a read() per file. */
int pb_procfs_slurp_at(int dirfd, const char *rel, pb_procfs_buf_t *buf);

/* Reads an open file from offset 0 into buf, with the same short-read rule
 * (procfs writes the text anew on each read from 0). Returns 0 or a negative
 * errno (-ESRCH once the process of a /proc/PID file is reaped). */
int pb_procfs_pread_all(int fd, pb_procfs_buf_t *buf);

/* The longest record line of the seq_file texts read with pb_procfs_reread
 * (/proc/diskstats: 20 numbers and a 32-byte name; /proc/net/dev: 16 numbers). */
#define PB_PROCFS_RECORD_MAX 512

/* Reads an open file again from offset 0, for seq_file texts made of records
 * (/proc/diskstats, /proc/net/dev): one read returns at most a page, ending
 * before a record that does not fit, so a short read is the end only when it
 * is more than PB_PROCFS_RECORD_MAX below the page size; otherwise the next
 * read decides. Returns 0 or a negative errno. */
int pb_procfs_reread(int fd, pb_procfs_buf_t *buf);

/* Opens <root>/<rel> read-only; returns the fd or a negative errno. */
int pb_procfs_open(const char *root, const char *rel);

/* pb_procfs_count relative to a directory fd. */
int pb_procfs_count_at(int dirfd, const char *rel);

/* Lists the numeric entries of <root>/proc (the pids) in ascending order into
 * *pids_p, which is grown with realloc and reused across calls (*cap_p holds
 * its capacity). Returns the number of pids, or a negative errno. */
int pb_procfs_pids(const char *root, uint32_t **pids_p, size_t *cap_p);

/* The process listing of one sampling cycle, shared by the samplers so that
 * /proc is listed at most once per cycle: the sys sampler counts processes
 * from it, the process sampler takes its pids when it watches by pattern, top
 * N or all. On a real procfs the directory stays open and is rewound. */
typedef struct pb_procfs_pidlist pb_procfs_pidlist_t;

/* A listing of <root>/proc; NULL on ENOMEM. */
pb_procfs_pidlist_t *pb_procfs_pidlist_new(const char *root);
void pb_procfs_pidlist_destroy(pb_procfs_pidlist_t **self_p);

/* Lists <root>/proc anew for the cycle stamp (a sample's monotonic time);
 * with_pids keeps the pids, ascending, and so does a count-only listing when
 * the previous cycle asked for them (so that one listing serves both
 * samplers). Returns the number of processes (numeric entries), or a
 * negative errno. */
int pb_procfs_pidlist_update(pb_procfs_pidlist_t *self, uint64_t stamp, bool with_pids);

/* The number of processes of the listing made for stamp, or -ENODATA when
 * there is none for it. */
int pb_procfs_pidlist_count_at(const pb_procfs_pidlist_t *self, uint64_t stamp);

/* The pids, ascending, of the listing made for stamp, listing anew when
 * there is none with pids for it (borrowed until the next call). Returns 0 or
 * a negative errno. */
int pb_procfs_pidlist_pids_at(pb_procfs_pidlist_t *self, uint64_t stamp, const uint32_t **pids_p,
                              size_t *n_p);

/* Counts the entries of the directory <root>/<rel> other than "." and "..".
 * Returns the count, or a negative errno (-ENOENT, -EACCES, ...). */
int pb_procfs_count(const char *root, const char *rel);

/* Tokenising. Each next_* skips spaces and tabs, converts one number at
 * *cursor and advances it past the number. The number must end at a space,
 * tab, newline or NUL. Returns 0, -ENODATA at the end of the line (newline or
 * NUL: a missing column), or -EINVAL for anything that is not such a number. */
int pb_procfs_next_u64(const char **cursor, uint64_t *out);
int pb_procfs_next_i64(const char **cursor, int64_t *out);
int pb_procfs_next_f64(const char **cursor, double *out);

/* Skips one whitespace-separated word (spaces and tabs) at *cursor.
 * Returns 0, or -ENODATA at the end of the line. */
int pb_procfs_skip_word(const char **cursor);

/* Returns the start of the line after the one p points into, or NULL at the
 * end of the text. */
const char *pb_procfs_next_line(const char *p);

/* Writes "<pid>", or "<pid>/<name>" when name is not NULL, into buf: by
 * hand, not snprintf, since it runs for every process of every cycle.
 * Returns the length, or -ENAMETOOLONG when buf is too small. */
int pb_procfs_pid_rel(char *buf, size_t size, uint32_t pid, const char *name);

/* Finds the first line of text that starts with key (e.g. "MemTotal:") and
 * returns a pointer just after the key, or NULL when there is none. */
const char *pb_procfs_find_key(const char *text, const char *key);

#endif
