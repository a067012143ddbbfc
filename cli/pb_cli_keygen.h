/* pb_cli_keygen: `perfbus keygen` — writes a CURVE certificate pair. */
#ifndef PB_CLI_KEYGEN_H
#define PB_CLI_KEYGEN_H

/* perfbus keygen NAME [--dir DIR] [--force]: a pb_cli_cmd_fn. */
int pb_cli_keygen(int argc, char **argv);

#endif
