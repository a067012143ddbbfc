/* pb_getopt: refusal messages and typo suggestions from a getopt_long table. */
#include "pb_getopt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Edit distance of a and b, capped at 9 (enough to rank typos). */
static size_t s_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63 || lb > 63)
        return 9;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], cost = a[i - 1] != b[j - 1];
            size_t best = diag + cost < up + 1 ? diag + cost : up + 1;
            row[j] = best < row[j - 1] + 1 ? best : row[j - 1] + 1;
            diag = up;
        }
    }
    return row[lb] < 9 ? row[lb] : 9;
}

const char *pb_getopt_closest(const struct option *options, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const struct option *o = options; o->name; o++) {
        size_t d = s_distance(name, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    return best;
}

/* The option named exactly name, or the only one it is a prefix of; *matches counts the
 * options it is a prefix of (with " (one of --a, --b)" in hint when there are several). */
static const struct option *s_match(const struct option *options, const char *name, size_t *matches,
                                    char *hint, size_t size)
{
    const struct option *found = NULL;
    size_t used = 0, n = strlen(name);
    *matches = 0;
    hint[0] = '\0';
    for (const struct option *o = options; o->name && n; o++) {
        if (strcmp(o->name, name) == 0) {
            *matches = 1;
            return o;
        }
        if (strncmp(o->name, name, n) != 0)
            continue;
        found = o;
        int w = snprintf(hint + used, size - used, "%s--%s", (*matches)++ ? ", " : " (one of ",
                         o->name);
        used += w > 0 && (size_t)w < size - used ? (size_t)w : 0;
    }
    if (*matches > 1 && used + 2 < size)
        memcpy(hint + used, ")", 2);
    return *matches == 1 ? found : NULL;
}

int pb_getopt_refusal(const struct option *options, int c, const char *word, const char *help,
                      char *err, size_t errlen)
{
    if (strncmp(word, "--", 2) != 0) { /* a short option: getopt says which */
        if (c == ':')
            snprintf(err, errlen, "-%c needs a value (see %s)", optopt, help);
        else
            snprintf(err, errlen, "unknown option '-%c' (see %s)", optopt ? optopt : '?', help);
        return -EINVAL;
    }
    char name[64], hint[256];
    size_t len = strcspn(word + 2, "="), matches = 0;
    snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), word + 2);
    const struct option *o = s_match(options, name, &matches, hint, sizeof hint);
    if (o && o->has_arg == required_argument && !word[2 + len])
        snprintf(err, errlen, "--%s needs a value (see %s)", o->name, help);
    else if (o && o->has_arg == no_argument && word[2 + len] == '=')
        snprintf(err, errlen, "--%s takes no value (see %s)", o->name, help);
    else {
        const char *close = matches <= 1 ? pb_getopt_closest(options, name) : NULL;
        if (close)
            snprintf(hint, sizeof hint, " (did you mean '--%s'?)", close);
        snprintf(err, errlen, "%s option '--%s'%s (see %s)", matches > 1 ? "ambiguous" : "unknown",
                 name, hint, help);
    }
    return -EINVAL;
}
