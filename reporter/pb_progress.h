/* pb_progress: a progress line on stderr, shown only once work has taken more than a second. */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdio.h>

typedef struct pb_progress pb_progress_t;

/* Starts the clock. out is where the line goes (stderr; borrowed). Returns
 * NULL on allocation failure (callers may pass NULL to the functions below,
 * which then do nothing). */
pb_progress_t *pb_progress_new(FILE *out);

/* Frees; accepts NULL; sets *self_p to NULL. */
void pb_progress_destroy(pb_progress_t **self_p);

/* Reports the current step ("reading: 120000 records"). Nothing is printed
 * during the first second; after that at most 4 updates a second rewriting
 * the line in place on a terminal, else one line a second. */
void pb_progress_update(pb_progress_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends the line with the total time if anything was printed; returns 1 if a
 * progress line was shown. */
int pb_progress_done(pb_progress_t *self, const char *what);

#endif
