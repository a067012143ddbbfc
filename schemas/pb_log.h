/* pb_log: one-line log messages on stderr, prefixed with the program name. */
#ifndef PB_LOG_H
#define PB_LOG_H

#include <stdbool.h>

/* Sets the prefix ("perfbusd") and whether debug lines are shown. The name
 * is borrowed: pass a string literal. */
void pb_log_init(const char *program, bool verbose);

void pb_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pb_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pb_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pb_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
