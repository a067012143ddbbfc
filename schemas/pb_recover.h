/* pb_recover: seals the segments that a recorder killed mid-run left open in a store. */
#ifndef PB_RECOVER_H
#define PB_RECOVER_H

/* A recorder holds an exclusive flock(2) on its run's directory for as long
 * as it writes the run (pb_run_writer). A run directory whose lock can be had
 * has no recorder: its `segment-N.pbl` files were left by one that was
 * killed (kill -9, a crash, a power cut) and will never be sealed by it.
 * pb_run_recover seals them (pb_sealed_seal, oldest first, with rollups), so
 * that the store's size, the reporter's rollups and the retention by sealed
 * segment hold for those runs too. A run being written by another live
 * recorder in the same store is left alone (its lock is held); so are runs
 * recorded without compression (level 0 seals nothing). The lock is held
 * while sealing, so two recorders starting together never seal one file
 * twice. */

/* Seals the left-open segments of every run in store at zstd level (1..19;
 * 0: none). Returns the segments sealed (0 when none) or negative errno when
 * the store cannot be read; a segment that fails to seal is logged and left
 * as it was (readable). */
int pb_run_recover(const char *store, int level);

#endif
