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

/* The limits of the lab's files (harness/lab: lab_yaml.h, lab_load.h), in
 * the --help of every command that reads them. */
#define CLI_LAB_LIMITS_HELP                                                                  \
    "boards.yaml and each scenario file: at most 1 MiB, lists and mappings nested\n"         \
    "at most 64 deep, 100000 values, one YAML document; names (boards, chips,\n"              \
    "circuits, bridges, hosts, analyzers, scenarios) of 1 to 31 (scenarios 63)\n"            \
    "letters, digits, '.', '_' and '-', not starting with '.' or '-'. A lab file's\n"    \
    "include: (docs/lab.md#include): at most 16 files in all, nested at most 4\n"       \
    "deep, no file including itself; the merged lab at most 100000 values.\n"
/* The same for the numbers of the command line. */
#define CLI_NUMBERS_HELP "Numbers are digits alone (no sign or blanks), within the range stated.\n"

/* Numbers on the command line are strict, for every option of every
 * command: digits alone (no sign, blank, 0x or exponent), in the range the
 * command's --help states. A whole number in [lo, hi] ("a whole number",
 * "a rate in Hz": `what`): 0, or -1 after one error line "resetlab: CMD:
 * OPT needs WHAT from LO to HI, got 'V'". */
int cli_parse_uint(const char *cmd, const char *opt, const char *v, const char *what, uint64_t lo, uint64_t hi,
                   uint64_t *out);
#define CLI_SEED_MAX UINT64_MAX /* --seed S: 0 to 2^64-1 */
/* A decimal number in [lo, hi]: digits, optionally '.' and digits, then
 * optionally e or e- and digits (0.05, 1e-9); no sign, blank, inf or nan.
 * 0, or -1 after one error line as cli_parse_uint's. */
int cli_parse_decimal(const char *cmd, const char *opt, const char *v, const char *what, double lo, double hi,
                      double *out);
/* The same parse without the message, for an option that words its own. */
int cli_decimal(const char *v, double lo, double hi, double *out);

/* Whether `opt` is in `known` (NULL-terminated): a command asks before it
 * looks for the option's value, so an unknown last option is named as
 * unknown rather than as missing its value. */
int cli_is_one_of(const char *opt, const char *const *known);

/* Every command takes --option=value as well as --option value: argv with
 * each "--NAME=VALUE" before a bare "--" split into "--NAME" "VALUE" (a
 * new argv, kept to the end of the process; argv itself when nothing is
 * split or there is no memory). */
char **cli_split_equals(int argc, char **argv, int *new_argc);

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
