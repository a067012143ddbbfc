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

/* Cuts an unquoted value at its comment: a '#' that starts the value or
 * follows a blank. A '#' inside a word (a#b) is kept. */
static void s_cut_comment(char *value)
{
    for (char *p = value; *p; p++)
        if (*p == '#' && (p == value || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
}

/* A "double-quoted" value: everything up to the next '"', which may be
 * followed only by blanks and a comment. */
static int s_unquote(char **value, char *why, size_t whylen)
{
    char *close = strchr(*value + 1, '"');
    if (!close) {
        snprintf(why, whylen, "unterminated quoted value");
        return -EINVAL;
    }
    char *rest = close + 1;
    rest += strspn(rest, " \t\r\n");
    if (*rest && *rest != '#') {
        snprintf(why, whylen, "unexpected text after the closing quote: '%.40s'", rest);
        return -EINVAL;
    }
    *close = '\0';
    (*value)++;
    return 0;
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
    if (!**key) {
        snprintf(why, whylen, "missing key before '='");
        return -EINVAL;
    }
    *value = eq + 1 + strspn(eq + 1, " \t");
    if (**value == '"')
        return s_unquote(value, why, whylen);
    s_cut_comment(*value);
    *value = s_trim(*value);
    return 0;
}

static int s_line(char *text, size_t len, pb_kvfile_fn fn, void *arg, char *why, size_t whylen)
{
    if (strlen(text) != len) {
        snprintf(why, whylen, "NUL byte in the line");
        return -EINVAL;
    }
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
    ssize_t len;
    while (rc == 0 && (len = getline(&text, &cap, in)) >= 0) {
        char why[256] = "";
        lineno++;
        rc = s_line(text, (size_t)len, fn, arg, why, sizeof why);
        if (rc < 0)
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
    }
    free(text);
    fclose(in);
    return rc;
}
