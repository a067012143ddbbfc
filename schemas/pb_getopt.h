/* pb_getopt: how every perfbus binary words what getopt_long refused, found from its own table. */
#ifndef PB_GETOPT_H
#define PB_GETOPT_H

#include <getopt.h>
#include <stddef.h>

/* The message for the word of argv that getopt_long refused (it returned c,
 * '?' or ':', with opterr = 0; word is argv[optind - 1]), ending in " (see
 * HELP)" (help: "--help", "perfbus system --help"). A long option is judged
 * against options (NULL-ended) itself, so every binary says the same:
 *   --x needs a value          --x takes no value
 *   ambiguous option '--h' (one of --history, --host)
 *   unknown option '--conect' (did you mean '--connect'?)
 * and a short one from getopt's optopt: "-o needs a value", "unknown option
 * '-x'". Returns -EINVAL. */
int pb_getopt_refusal(const struct option *options, int c, const char *word, const char *help,
                      char *err, size_t errlen);

/* The name of the option of options closest to name when two edits or less away (a typo:
 * "did you mean ...?"), else NULL. For a config file's keys too. */
const char *pb_getopt_closest(const struct option *options, const char *name);

#endif
