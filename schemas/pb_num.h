/* pb_num: a finite double as the shortest decimal text that reads back as the same double. */
#ifndef PB_NUM_H
#define PB_NUM_H

#include <stddef.h>

/* Writes v (finite) into buf, NUL-terminated: whole numbers below 1e15 as
 * integers ("1712130"), others with the fewest of 15, 16 or 17 significant
 * digits that strtod turns back into v ("2.1", not "2.1000000000000001").
 * JSON and the Prometheus exposition both print numbers through it. Returns
 * the length. */
size_t pb_num_format(double v, char buf[32]);

#endif
