/* pb_curve_allow: the allow directory of a CURVE server (--curve-allow), the public certificates
 * of the clients it admits, kept in a czmq zcertstore. */
#ifndef PB_CURVE_ALLOW_H
#define PB_CURVE_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An allow directory holds at most this many certificates; files beyond are
 * ignored (and logged), so a handshake never waits on an unbounded scan. */
#define PB_CURVE_ALLOW_MAX 4096

/* Opaque: a czmq zcertstore filled from the directory, rescanned when it changes. */
typedef struct pb_curve_allow pb_curve_allow_t;

/* Loads every certificate in dir (files named *_secret and dot files are
 * skipped). NULL with a message in err when dir is not a readable directory. */
pb_curve_allow_t *pb_curve_allow_new(const char *dir, char *err, size_t errlen);

/* Accepts NULL and *self_p == NULL; sets *self_p to NULL. */
void pb_curve_allow_destroy(pb_curve_allow_t **self_p);

/* True when the 32-byte key belongs to a certificate in the directory. Costs
 * one stat of the directory; the directory is rescanned first when its
 * mtime, inode or device changed since the last scan, or when the last scan
 * was so close to its mtime that a change in the same clock tick could hide
 * (then at most every 200 ms until it settles). now_ns is CLOCK_MONOTONIC. */
bool pb_curve_allow_has(pb_curve_allow_t *self, const uint8_t key[32], uint64_t now_ns);

/* Certificates loaded by the last scan, and scans done since creation. */
size_t pb_curve_allow_count(const pb_curve_allow_t *self);
uint64_t pb_curve_allow_scans(const pb_curve_allow_t *self);

/* The directory (borrowed). */
const char *pb_curve_allow_dir(const pb_curve_allow_t *self);

#endif
