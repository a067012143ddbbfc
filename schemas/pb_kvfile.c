/* pb_kvfile: a line-oriented `key = value` reader with precise error positions. */
#include "pb_kvfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Splits one non-comment line into key and value; -EINVAL with a reason. */
static int s_split(char *line, char **key, char **value, char *why, size_t whylen)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        snprintf(why, whylen, "expected 'key = value'");
        return -EINVAL;
    }
    *eq = '\0';
    *key = s_trim(line);
    *value = s_trim(eq + 1);
    if (!**key) {
        snprintf(why, whylen, "missing key before '='");
        return -EINVAL;
    }
    size_t n = strlen(*value);
    if (n && (*value)[0] == '"') {
        if (n < 2 || (*value)[n - 1] != '"') {
            snprintf(why, whylen, "unterminated quoted value");
            return -EINVAL;
        }
        (*value)[n - 1] = '\0';
        (*value)++;
    }
    return 0;
}

static int s_line(char *text, pb_kvfile_fn fn, void *arg, char *why, size_t whylen)
{
    char *line = s_trim(text);
    if (!*line || *line == '#')
        return 0;
    char *key, *value;
    int rc = s_split(line, &key, &value, why, whylen);
    return rc < 0 ? rc : fn(arg, key, value, why, whylen);
}

int pb_kvfile_read(const char *path, pb_kvfile_fn fn, void *arg, char *err, size_t errlen)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        int rc = -errno;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        return rc;
    }
    char *text = NULL;
    size_t cap = 0;
    int rc = 0;
    unsigned lineno = 0;
    while (rc == 0 && getline(&text, &cap, in) >= 0) {
        char why[256] = "";
        lineno++;
        rc = s_line(text, fn, arg, why, sizeof why);
        if (rc < 0)
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
    }
    free(text);
    fclose(in);
    return rc;
}
