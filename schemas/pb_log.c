/* pb_log: stderr logging shared by the daemons; one fprintf per line so lines never interleave. */
#include "pb_log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *s_program = "perfbus";
static bool s_verbose;

void pb_log_init(const char *program, bool verbose)
{
    s_program = program;
    s_verbose = verbose;
}

static void s_log(const char *level, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "%s: %s%s\n", s_program, level, line);
}

void pb_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("", fmt, ap);
    va_end(ap);
}

void pb_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("warning: ", fmt, ap);
    va_end(ap);
}

void pb_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("error: ", fmt, ap);
    va_end(ap);
}

void pb_log_debug(const char *fmt, ...)
{
    if (!s_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    s_log("debug: ", fmt, ap);
    va_end(ap);
}
