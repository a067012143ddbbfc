#!/bin/sh
# man/cli_commands.sh PERFBUS OUT: a help2man include section with every command's --help.
set -eu
perfbus=$1
out=$2
{
    echo "[COMMANDS]"
    for cmd in $("$perfbus" --help 2>&1 | awk '/^  [a-z]+  /{print $1}'); do
        echo ".SS $cmd"
        echo ".nf"
        "$perfbus" "$cmd" --help 2>&1 | sed 's/\\/\\\\/g; s/^\./\\\&./; s/^'"'"'/\\\&'"'"'/'
        echo ".fi"
    done
} >"$out"
