/* pb_cli_prof: the `perfbus` subcommands served by profiling agents (and perfbusd's built-in one).
 */
#ifndef PB_CLI_PROF_H
#define PB_CLI_PROF_H

#include "pb_cli.h"

/* perfbusd's built-in agent; an application's agent prints its own endpoint. */
#define PB_CLI_DAEMON_PROFILE "tcp://127.0.0.1:7713"

int pb_cli_targets(int argc, char **argv);
int pb_cli_profile(int argc, char **argv);
int pb_cli_arm(int argc, char **argv);
int pb_cli_cancel(int argc, char **argv);
int pb_cli_results(int argc, char **argv);
int pb_cli_simulate(int argc, char **argv);
int pb_cli_register(int argc, char **argv);

#endif
