/* pb_prompb: Prometheus Remote-Write 1.0's protobuf WriteRequest, encoded by hand (no codegen). */
#ifndef PB_PROMPB_H
#define PB_PROMPB_H

/* prometheus/prompb, the four messages remote_write 1.0 uses:
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   (ms since the epoch)
 * A WriteRequest is nothing but its timeseries fields one after another, so
 * an entry (one field 1 holding one TimeSeries of one sample) can be made
 * once when a frame comes and queued as bytes; any run of entries is a whole
 * WriteRequest body. Per the spec, a series' labels are sorted by name
 * (bytewise), hold __name__, and none is repeated; labels with an empty value
 * are left out (Prometheus reads them as absent); label values that are not
 * UTF-8 get U+FFFD. */

#include "pb_prom.h"

#include <stddef.h>
#include <stdint.h>

/* Appends sample (its name as __name__, its labels, its value) at ts_ms as
 * one entry to out. Returns 0, or -ENOMEM (out->failed is set; out's length
 * is back where it was). */
int pb_prompb_append(pb_prom_out_t *out, const pb_prom_sample_t *sample, int64_t ts_ms);

/* The size of the entry at buf[0..len) (tag, length and the TimeSeries), or
 * 0 when buf does not start with a whole entry. This function can't fail. */
size_t pb_prompb_entry_size(const void *buf, size_t len);

#endif
