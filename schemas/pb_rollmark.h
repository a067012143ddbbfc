/* pb_rollmark: what a sealed segment held besides numbers, kept with its rollups. */
#ifndef PB_ROLLMARK_H
#define PB_ROLLMARK_H

/* Owner: issue 13. A report that takes a segment whole from its rollups reads
 * none of its records, yet its cover, profiles, lost frames and down periods
 * come from records: the version and heartbeat period (hb frames), the
 * profiles (prof frames), the gaps in each publisher's seq, and the silences
 * of each host. The sealer passes every record through a pb_rollmark (as it
 * does through pb_rollup), which keeps (schemas/STORAGE.md, "Rollups",
 * section 7):
 *   - the first and last hb frame of each host, and every prof frame,
 *     verbatim (with their recv_ts);
 *   - for each src (publisher), its first and last seq and the frames its
 *     seq skipped inside the segment, counted as perfbus-report counts them
 *     (a seq more than one past the previous; a lower one is a restart);
 *   - for each host, the stretches of recv_ts in which no two consecutive
 *     records of it were more than 1.5 heartbeat periods apart (its smallest
 *     period in the segment, 1 s before any hb): the report finds a host's
 *     down periods (down_after periods of silence, at least 2) between them.
 *     At most PB_ROLLMARK_MAX_STRETCH a host; past that the rest is one
 *     stretch (a host flapping that often is logged as such by the recorder).
 */

#include "pb_frame_reader.h"

#include <stddef.h>
#include <stdint.h>

#define PB_ROLLMARK_MAX_STRETCH 4096

typedef struct pb_rollmark pb_rollmark_t;

/* NULL on ENOMEM. */
pb_rollmark_t *pb_rollmark_new(void);
void pb_rollmark_destroy(pb_rollmark_t **self_p);

/* One record (any frame type) received at recv_ns, in file order: v, its
 * payload decoded (pb_frame_reader), borrowed. 0 or -ENOMEM. */
int pb_rollmark_add(pb_rollmark_t *self, uint64_t recv_ns, const pb_frame_view_t *v,
                    const void *payload, size_t len);

/* The section's raw bytes: *out_p (malloc'd, the caller frees) of *len. 0 or -ENOMEM. */
int pb_rollmark_bytes(const pb_rollmark_t *self, unsigned char **out_p, size_t *len);

/* What a reader is told, in this order: kept records (hb, prof) in recv
 * order, then each src's seq span, then each host's stretches in order.
 * Strings and payloads are borrowed for the call. A negative return stops
 * the parse and is returned. */
typedef struct pb_rollmark_fns {
    int (*record)(uint64_t recv_ns, const void *payload, size_t len, void *arg);
    int (*seq)(const char *src, const char *host, uint64_t first, uint64_t last, uint64_t lost,
               void *arg);
    int (*stretch)(const char *host, uint64_t from_ns, uint64_t to_ns, uint64_t period_ns,
                   void *arg);
} pb_rollmark_fns_t;

/* Parses a section pb_rollmark_bytes made. 0, -EBADMSG, or a callback's negative return. */
int pb_rollmark_parse(const void *raw, size_t len, const pb_rollmark_fns_t *fns, void *arg);

#endif
