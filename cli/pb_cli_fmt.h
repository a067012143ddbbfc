/* pb_cli_fmt: the CLI's human numbers: units from the catalogue, thousands grouped. */
#ifndef PB_CLI_FMT_H
#define PB_CLI_FMT_H

#include "pb_catalog.h"

#include <stdbool.h>
#include <stddef.h>

/* Every formatter writes into buf (always NUL-terminated), "-" for NaN, and returns buf. */

/* A plain number, thousands grouped: "1,712,130" (integers), "0.52", "1,234.5", "0.00012",
 * "0.00" for float noise below 5e-7; beyond 1e21 in exponent form. */
char *pb_cli_fmt_num(char *buf, size_t size, double v);

/* pb_cli_fmt_num into one of 16 static buffers in turn, for several numbers in one printf
 * (the CLI is single-threaded). Borrowed: valid until 16 more calls. */
const char *pb_cli_grouped(double v);

/* "1.5 KiB", "12.0 MiB", "512 B". */
char *pb_cli_fmt_bytes(char *buf, size_t size, double bytes);

/* "12.0 MiB/s". */
char *pb_cli_fmt_rate(char *buf, size_t size, double bytes_per_s);

/* "12.5%". */
char *pb_cli_fmt_pct(char *buf, size_t size, double pct);

/* value in a catalogue unit: PCT "12.5%", BYTES "1.5 GiB", BYTES_PER_S "3.0 MiB/s",
 * COUNT_PER_S "12.0/s" or "4,521/s", S "42 s" or "3.2 h", MS "12.5 ms", US "250 us",
 * HZ "250 Hz", else a plain number ("1,712,130"; integer says whether fractions are shown
 * as two decimals, "0.50", or dropped). */
char *pb_cli_fmt_unit(char *buf, size_t size, pb_catalog_unit_t unit, bool integer, double value);

#endif
