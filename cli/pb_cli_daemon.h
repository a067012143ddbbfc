/* pb_cli_daemon: the `perfbus` subcommands served by perfbusd and by the bus itself. */
#ifndef PB_CLI_DAEMON_H
#define PB_CLI_DAEMON_H

#include "pb_cli.h"

int pb_cli_system(int argc, char **argv);
int pb_cli_process(int argc, char **argv);
int pb_cli_watch(int argc, char **argv);
int pb_cli_unwatch(int argc, char **argv);
int pb_cli_health(int argc, char **argv);
int pb_cli_tail(int argc, char **argv);

#endif
