/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command line's shared pieces: one error line and exit 2 for bad
 * input, counts and seeds, the lab's files and their defaults. */
#ifndef RESETLAB_CLI_CLI_H
#define RESETLAB_CLI_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/lab/lab_load.h"

/* A command of the table in cli_main.c: argv[0] is its name; it returns
 * the exit status. `summary` is its line in `resetlab --help`, `usage` the
 * text of its --help (and of its man page). */
struct cli_command {
    const char *name, *summary, *usage;
    int (*run)(int argc, char **argv);
};

/* "resetlab: " + fmt (with a and b) on stderr; returns 2. */
int cli_bad_input(const char *fmt, const char *a, const char *b);

/* ./NAME when it exists, else the lab installed beside the binary
 * (BINDIR/../share/resetlab/NAME), else the copy beside the sources. */
const char *cli_default_path(const char *name, char *buf, size_t len);

/* A whole number in [1, max]; -1 after one error line naming `opt`. */
int cli_parse_count(const char *opt, const char *v, long max, long *out);
/* 0 to 2^64-1; -1 when not one (no message). */
int cli_parse_seed(const char *v, uint64_t *out);

/* Whether `opt` is in `known` (NULL-terminated): a command asks before it
 * looks for the option's value, so an unknown last option is named as
 * unknown rather than as missing its value. */
int cli_is_one_of(const char *opt, const char *const *known);

/* --boards FILE and --scenarios DIR, which every lab command takes. */
struct cli_common {
    const char *boards, *scenarios;
    char boards_buf[512], scenarios_buf[512];
};
/* 1 when argv[*i] was one of them (*i moved past its value), 0 when not,
 * -1 when its value is missing. */
int cli_common_opt(struct cli_common *c, int argc, char **argv, int *i);
/* Loads the lab (defaults filled in c); -1 after one error line. */
int cli_load_lab(struct cli_common *c, struct lab *lab);

/* SIGINT and SIGTERM for a command that stops cleanly (run, report): the
 * first sets cli_stop_asked to the signal's number (the command exits
 * 128 + it, as a shell reports a signal) and the work in hand ends at its
 * next step; the second is the default action, at once. */
extern volatile sig_atomic_t cli_stop_asked;
void cli_catch_stop_signals(void);

#endif
