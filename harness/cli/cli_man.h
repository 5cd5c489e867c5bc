/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Man pages from the --help texts (cli_man.c): `resetlab help --man` and
 * the pages `cmake --install` puts in share/man/man1 are made here, from
 * the very text --help prints, so the two never disagree. */
#ifndef RESETLAB_CLI_CLI_MAN_H
#define RESETLAB_CLI_CLI_MAN_H

#include <stdio.h>

#include "cli.h"

/* Writes `help` (a command's --help text, or resetlab's own when `cmd` is
 * NULL) as a man page in troff with the man macros: resetlab-NAME(1), or
 * resetlab(1), whose SEE ALSO names every page of `all`. The text's own
 * layout decides the sections: the usage lines are the SYNOPSIS; a list of
 * "  --option ARG   what it does" lines (after "options:" or not) the
 * OPTIONS; "commands:" the COMMANDS; "examples:" the EXAMPLES; a paragraph
 * starting "exit status:" the EXIT STATUS; every other paragraph, with its
 * "  - " items, the DESCRIPTION. */
void cli_man_write(FILE *f, const struct cli_command *cmd, const char *help, const char *version,
                   const struct cli_command *const *all, int n_all);

#endif
