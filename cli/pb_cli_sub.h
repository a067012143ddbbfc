/* pb_cli_sub: the `perfbus` subcommands served by perfbus-sub and by stored runs. */
#ifndef PB_CLI_SUB_H
#define PB_CLI_SUB_H

#include "pb_cli.h"

/* Query socket of perfbus-sub (pb_cli_sub.c). */
int pb_cli_history(int argc, char **argv);
int pb_cli_summary(int argc, char **argv);
int pb_cli_processes(int argc, char **argv);
int pb_cli_stats(int argc, char **argv);

/* Prints reply.hosts of perfbus-sub's stats or health: one line per host, its state and
 * its last down periods. Prints nothing without hosts. */
void pb_cli_print_hosts(const pb_value_t *reply);

/* Stored runs (pb_cli_store.c). */
int pb_cli_runs(int argc, char **argv);
int pb_cli_dump(int argc, char **argv);
int pb_cli_replay(int argc, char **argv);

#endif
