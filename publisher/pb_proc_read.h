/* pb_proc_read: reads the files of one process under a root; one-shot reads of any pid. */
#ifndef PB_PROC_READ_H
#define PB_PROC_READ_H

#include "pb_proc_body.h"
#include "pb_procfs.h"

#include <stdbool.h>
#include <stdint.h>

#define PB_PROC_CMDLINE_MAX 4096 /* longer command lines are truncated */

/* True for the errors that mean "the process is gone" (-ENOENT, -ESRCH). */
#define PB_PROC_VANISHED(rc) ((rc) == -ENOENT || (rc) == -ESRCH)

/* <root>/proc, opened once per cycle: every read below is an openat() in it. */
typedef struct {
    int fd;
    bool procfs;      /* a real procfs, not a copied tree of files */
    bool fd_sizes;    /* the size of PID/fd is its number of fds (Linux >= 6.2) */
    size_t keep_room; /* how many more files this cycle may keep open (procfs only) */
} pb_proc_dir_t;

/* The files of one process kept open across cycles: on procfs a pread() at
 * offset 0 makes the kernel write the text anew, so a cycle costs one
 * syscall per file instead of openat + read + close. -1 = not open. Once the
 * process is reaped a kept file reads -ESRCH; the file is then opened again
 * by pid, which finds a new process if the pid was reused. */
typedef struct {
    int stat, status, io, schedstat;
    int fd_dir; /* O_PATH: fstat gives the number of open fds (fd_sizes) */
} pb_proc_files_t;

#define PB_PROC_FILES_NONE                                                                         \
    {                                                                                              \
        -1, -1, -1, -1, -1                                                                         \
    }

/* Closes the kept files (idempotent). */
void pb_proc_read_files_close(pb_proc_files_t *files);

/* How many of files are open. Can't fail. */
size_t pb_proc_read_files_open(const pb_proc_files_t *files);

/* Opens <root>/proc into dir, with keep_room 0. Returns 0 or a negative errno. */
int pb_proc_read_open(const char *root, pb_proc_dir_t *dir);

/* Closes dir (idempotent). */
void pb_proc_read_close(pb_proc_dir_t *dir);

/* Reads and parses <pid>/stat using buf. files (may be NULL) holds the
 * files kept open for pid; a newly opened one is kept while dir->keep_room
 * allows. Returns 0, -ENOENT or -ESRCH when the process is gone, -EINVAL when
 * the text is malformed. */
int pb_proc_read_stat(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                      pb_procfs_buf_t *buf, pb_proc_stat_t *out);

/* Fills the rest of r (schedstat, status, io, fd count) for pid; r->stat is
 * left alone; files as for pb_proc_read_stat. prev (may be NULL) is the last
 * full reading of the same process: when its leader has not been switched in
 * or out since (schedstat unchanged), its status is carried over unread.
 * io is marked absent when it cannot be read (no permission, or a kernel
 * without I/O accounting), fds when the directory cannot be listed. Returns 0,
 * -ENOENT/-ESRCH when the process is gone, -EINVAL on malformed text. */
int pb_proc_read_rest(pb_proc_dir_t *dir, uint32_t pid, pb_proc_files_t *files,
                      const pb_proc_reading_t *prev, pb_procfs_buf_t *buf, pb_proc_reading_t *r);

/* Reads the command line of pid, arguments joined by spaces, into a new
 * string (*out_p, the caller frees it; "" for kernel threads). Returns 0,
 * -ENOENT/-ESRCH when the process is gone, or -ENOMEM. */
int pb_proc_read_cmdline(pb_proc_dir_t *dir, uint32_t pid, pb_procfs_buf_t *buf, char **out_p);

/* Reads MemTotal (bytes) from meminfo. Returns 0 or a negative errno. */
int pb_proc_read_mem_total(pb_proc_dir_t *dir, pb_procfs_buf_t *buf, uint64_t *out);

#endif
