/* pb_run: a stored run directory — metadata, ordered segments, the store listing and retention. */
#ifndef PB_RUN_H
#define PB_RUN_H

/* Owner: issue 3 (subscriber/recorder). Read by the CLI and the reporter.
 *
 * A store is a directory of runs; a run is <store>/<run-id>/ holding
 *   run.meta             one msgpack map (schemas/STORAGE.md lists its keys:
 *                        format, run_id, hosts, start_ns, end_ns, complete,
 *                        perfbus_version, config, segments, records, bytes)
 *   segment-000001.pbl   segments (pb_segment.h), numbered from 1, in order.
 * run.meta is rewritten (temp file + rename, so it is always whole) at every
 * flush; end_ns is the time of the last flush until the run is closed
 * (complete: true). Run ids are "YYYYmmdd-HHMMSS-PID" in UTC, so a name
 * sort is a time sort. */

#include "pb_segment.h"
#include "pb_value.h"

#include <stddef.h>
#include <stdint.h>

#define PB_RUN_META_FILE "run.meta"
#define PB_RUN_FORMAT    1 /* run.meta's format until pb_run_writer_set_seal says 2 */
/* Segments rotate after this span of recv_ts, and sealed ones are
 * compressed at this zstd level, unless pb_run_writer_set_seal says else. */
#define PB_RUN_DEFAULT_SEGMENT_SECONDS 3600
#define PB_RUN_DEFAULT_LEVEL           1
/* Modes of what the recorder creates, whatever the umask: directories
 * rwxr-x---, files rw-r----- (PB_SEGMENT_FILE_MODE). Not world-readable:
 * frames hold process names, command lines and I/O counters. */
#define PB_RUN_DIR_MODE  0750
#define PB_RUN_FILE_MODE PB_SEGMENT_FILE_MODE

/* Resolves the default store into buf: $PERFBUS_STORE if set; else
 * ./perfbus-data when the working directory is the perfbus source tree
 * (it holds schemas/STORAGE.md); else $XDG_STATE_HOME/perfbus; else
 * $HOME/.local/state/perfbus. Returns 0, -ENOENT (no HOME either) or
 * -ENAMETOOLONG. Does not create anything. */
int pb_run_default_store(char *buf, size_t size);

/* For messages that name a store ("no store at DIR (WHY)", "no run 'R' in store DIR (WHY)"),
 * one form for every binary: resolves given (--store DIR), or when NULL the default store
 * as above, into store, and writes into why where it came from: "given by --store", "from
 * $PERFBUS_STORE", "the default under $HOME, as $PERFBUS_STORE is unset; set
 * $PERFBUS_STORE or use --store DIR". Returns 0, or as pb_run_default_store with store ""
 * and why saying what is unset. */
int pb_run_store_where(const char *given, char *store, size_t size, char *why, size_t whylen);

/* ---- writer (the recorder) ---- */
typedef struct pb_run_writer pb_run_writer_t;

/* Creates the store (mkdir -p; directories it creates get PB_RUN_DIR_MODE,
 * existing ones are left alone) and a new run directory in it, writes
 * run.meta and opens segment 1. config is copied into the metadata (may be
 * NULL). segment_bytes is the rotation size (0 = 64 MiB). On error NULL is
 * returned and errno says why. */
pb_run_writer_t *pb_run_writer_new(const char *store, const pb_value_t *config,
                                   uint64_t segment_bytes);

/* Rotation by time (segment_seconds of recv_ts per segment; 0: by size
 * only) and sealing: level 1..19 compresses every closed segment with zstd
 * in a worker thread (pb_sealer.h; format 2: segment-N.pbz), 0 keeps them
 * as written (format 1). Call right after pb_run_writer_new; the defaults
 * are PB_RUN_DEFAULT_SEGMENT_SECONDS and PB_RUN_DEFAULT_LEVEL. */
void pb_run_writer_set_seal(pb_run_writer_t *self, uint64_t segment_seconds, int level);

/* Flushes, writes the final run.meta (complete: true), seals the last
 * segment after any still queued for the sealer thread, closes. Accepts NULL. */
void pb_run_writer_destroy(pb_run_writer_t **self_p);

/* Borrowed id and directory path of the run. */
const char *pb_run_writer_id(const pb_run_writer_t *self);
const char *pb_run_writer_dir(const pb_run_writer_t *self);

/* Batches one record (see pb_segment_writer_append); rotates to a new segment
 * first when the current one would exceed the rotation size. host (may be
 * NULL) is added to the metadata's host list. 0 or negative errno. */
int pb_run_writer_append(pb_run_writer_t *self, uint64_t recv_ts, const char *host,
                         const char *topic, size_t topic_len, const void *payload,
                         size_t payload_len);

/* Writes the batch to the segment and rewrites run.meta. 0 or -errno. */
int pb_run_writer_flush(pb_run_writer_t *self);

/* Records appended / bytes in segments so far. */
uint64_t pb_run_writer_records(const pb_run_writer_t *self);
uint64_t pb_run_writer_bytes(const pb_run_writer_t *self);

/* ---- reader ---- */
typedef struct pb_run pb_run_t;

/* Opens the run at path (a run directory), or the run called path inside
 * the default store when path has no '/' and is not a directory here. Reads
 * run.meta (a missing or undecodable one is reported as a problem, and the
 * segments are still readable). On error NULL is returned and errno says why
 * (ENOENT: no such run). */
pb_run_t *pb_run_new(const char *path);
void pb_run_destroy(pb_run_t **self_p);

/* Borrowed metadata map (an empty map when run.meta was unreadable), id
 * (the directory's base name) and directory path. */
const pb_value_t *pb_run_meta(const pb_run_t *self);
const char *pb_run_id(const pb_run_t *self);
const char *pb_run_dir(const pb_run_t *self);

/* Restricts pb_run_next to records whose topic starts with prefix (NULL: all)
 * and whose recv_ts is within [from_ns, to_ns] (0, UINT64_MAX: all). Call
 * before the first pb_run_next. 0 or -ENOMEM. */
int pb_run_set_filter(pb_run_t *self, const char *topic_prefix, uint64_t from_ns, uint64_t to_ns);

/* Problems (damaged records, unreadable files) go to fn. */
void pb_run_set_problem_fn(pb_run_t *self, pb_segment_problem_fn *fn, void *arg);

/* Called with each segment's path before pb_run_next reads it: 1 when fn
 * has taken the segment's contents another way (pb_run_next skips it; the
 * reporter reads a sealed segment's rollups instead), 0 to read it, or a
 * negative errno, which pb_run_next returns. fn may narrow [*from_ns,
 * *to_ns], the run's window on entry, to what is to be read of this segment
 * (the reporter takes part of a segment the window cuts from its rollups).
 * NULL: read every segment. */
typedef int(pb_run_segment_fn)(const char *path, uint64_t *from_ns, uint64_t *to_ns, void *arg);
void pb_run_set_segment_fn(pb_run_t *self, pb_run_segment_fn *fn, void *arg);

/* Next record of the run, segments in order. Returns 1 (rec filled, pointers
 * valid until the next call), 0 at the end, or -ENOMEM. */
int pb_run_next(pb_run_t *self, pb_record_t *rec);

/* Damage summed over the segments read so far. */
pb_segment_damage_t pb_run_damage(const pb_run_t *self);

/* Names of a run directory's files: segment-<digits>.pbl or .pbz, the
 * rollups of a sealed segment segment-<digits>.pbr (pb_rollup.h), and a
 * seal's leftover segment-<digits>.pbz.tmp or .pbr.tmp. 1 or 0. */
int pb_run_is_segment_name(const char *name);
int pb_run_is_rollup_name(const char *name);
int pb_run_is_seal_tmp(const char *name);

/* ---- the store (pb_store.c) ---- */

/* Lists the runs of a store, oldest first, as a new array of maps {run_id,
 * path, start_ns, end_ns, complete, hosts, records, segments, format, bytes,
 * raw_bytes} (from each run.meta; bytes is measured on disk, raw_bytes is
 * what the segments held before compression, from their indexes). A missing store is an empty list.
 * Returns 0 with *out_p owned by the caller, or negative errno. */
int pb_run_list(const char *store, pb_value_t **out_p);

/* pb_run_list without raw_bytes, which reads every sealed segment's index:
 * for the reporter and retention, which do not need it. */
int pb_run_list_quick(const char *store, pb_value_t **out_p);

/* Retention: removes runs older than keep_days (by end_ns; <= 0: no limit),
 * and in the runs left (keep_id's too) the sealed segments whose last record
 * is older than that; then the oldest runs until the store holds at most
 * keep_bytes (0: no limit), and when that is not enough the oldest sealed
 * segments of the runs left (keep_id's too). The run named keep_id (the one
 * being recorded; may be NULL) is never removed whole, nor any open segment. Only run directories
 * (holding run.meta or segment files) are touched. Returns the number of runs and segments removed,
 * or negative errno. */
int pb_run_retain(const char *store, double keep_days, uint64_t keep_bytes, const char *keep_id);

#endif
