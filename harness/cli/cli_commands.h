/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands, one file each (cli_<command>.c): each file holds its
 * --help text (which `resetlab help COMMAND` and its man page print too),
 * its line in `resetlab --help`, and its entry point, together as one
 * struct cli_command that the table of cli_main.c lists. */
#ifndef RESETLAB_CLI_CLI_COMMANDS_H
#define RESETLAB_CLI_CLI_COMMANDS_H

#include <stdio.h>

#include "cli.h"
#include "harness/port/port_serial.h"

extern const struct cli_command cli_run_command;     /* the matrix on the lab (harness/run) */
extern const struct cli_command cli_analyze_command; /* a capture file through every analyzer */
extern const struct cli_command cli_probe_command;   /* board bring-up in one command */
extern const struct cli_command cli_report_command;  /* a session's HTML page (harness/report) */
extern const struct cli_command cli_merge_command;   /* other machines' stores into one */
extern const struct cli_command cli_compare_command; /* two sessions or two hosts cell by cell */
extern const struct cli_command cli_serve_command;   /* a simulated board over RFC 2217 (harness/serve) */
extern const struct cli_command cli_observe_command; /* a tool under the analyzer (harness/serve) */
extern const struct cli_command cli_tune_command;    /* the shortest reliable reset sequence */
extern const struct cli_command cli_ports_command;   /* the machine's serial ports, none opened */
extern const struct cli_command cli_calibrate_command; /* this host measured (harness/calibrate) */

/* `resetlab ports` through any seam, with by-id links looked up in
 * `by_id_dir` (the tests' fake machine). 0, 1 when the ports cannot be
 * listed, 2 on bad input. */
int cli_ports_with(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir);
/* The same with host modes read under `root` (a fixture tree) instead of "/". */
int cli_ports_in(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir, const char *root);
/* An aligned table with a header (or "no serial ports found"), or a JSON
 * array. Returns 0, or -1 when writing failed. */
int cli_ports_print(FILE *f, const struct serial_port_info *p, int n, int json);
/* The same with host modes read under `root`. */
int cli_ports_print_in(FILE *f, const struct serial_port_info *p, int n, int json, const char *root);

/* `resetlab calibrate` through any seam and clock (the tests' fake ones),
 * stopped when *stop is set (to the signal's number). */
struct calib_clock;
int cli_calibrate_with(int argc, char **argv, const struct serial_sys *sys, const struct calib_clock *clock,
                       const volatile sig_atomic_t *stop);

#endif
