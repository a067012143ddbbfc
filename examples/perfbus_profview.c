/* perfbus-profview: renders a profile reply (msgpack on stdin) as a table, folded stacks or
 * speedscope. */
#include "pb_codec.h"
#include "pb_profview.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_read_all(FILE *in, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, in);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    const char *format = argc > 1 ? argv[1] : "--table";
    size_t len = 0;
    char *buf = s_read_all(stdin, &len);
    pb_value_t *reply = NULL;
    char err[128] = "";
    if (!buf || pb_codec_decode(buf, len, &reply, err, sizeof err) < 0) {
        fprintf(stderr, "perfbus-profview: stdin is not one msgpack map: %s\n", err);
        free(buf);
        return 1;
    }
    free(buf);
    int rc = -EINVAL;
    if (strcmp(format, "--table") == 0)
        rc = pb_profview_table(stdout, reply, argc > 2 ? (size_t)atoi(argv[2]) : 25);
    else if (strcmp(format, "--folded") == 0)
        rc = pb_profview_folded(stdout, reply);
    else if (strcmp(format, "--speedscope") == 0)
        rc = pb_profview_speedscope(stdout, reply, NULL);
    else
        fprintf(stderr,
                "usage: perfbus-profview [--table [N] | --folded | --speedscope] < reply\n");
    if (rc < 0)
        fprintf(stderr, "perfbus-profview: cannot render %s: %s\n", format,
                rc == -EINVAL ? "no matching profile section in the input" : strerror(-rc));
    pb_value_destroy(&reply);
    return rc < 0 ? 1 : 0;
}
