/* pb_units: the one parser of durations (250ms, 1.5s, 5m, 2h, 7d) and sizes (512K, 5G, 5GiB). */
#ifndef PB_UNITS_H
#define PB_UNITS_H

/* Every flag and config key of every binary that takes a duration or a size
 * reads it here, so they all accept the same forms:
 * - durations: a number with a unit, ns us ms s m (or min) h d w, several of
 *   them adding up ("1h30m"), or a bare number in the flag's own unit;
 * - sizes: a number with B, K M G T (or KiB MiB GiB TiB: powers of 1024, as
 *   ls -h and systemd count) or kB MB GB TB (powers of 1000), or a bare
 *   number in the flag's own unit.
 * Negative values, NaN, infinities, trailing garbage and empty text are
 * refused with a message naming the text and giving examples. */

#include <stddef.h>
#include <stdint.h>

/* text -> seconds; a bare number is bare_unit_s seconds each. Returns 0 or
 * -EINVAL with err set ("--interval: '5x' is not a duration (e.g. 250ms,
 * 1.5s, 5m, 2h, 7d)"); what names the flag in the message. */
int pb_units_duration(const char *what, const char *text, double bare_unit_s, double *seconds,
                      char *err, size_t errlen);

/* text -> bytes (rounded to whole bytes; at most 2^63); a bare number is
 * bare_unit_bytes bytes each. Returns 0 or -EINVAL with err set. */
int pb_units_size(const char *what, const char *text, double bare_unit_bytes, uint64_t *bytes,
                  char *err, size_t errlen);

#endif
