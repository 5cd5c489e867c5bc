/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands, one file each (cli_<command>.c): each takes argv with
 * argv[0] = its name, returns the exit status, and has the --help text
 * that `resetlab help COMMAND` and its man page print. */
#ifndef RESETLAB_CLI_CLI_COMMANDS_H
#define RESETLAB_CLI_CLI_COMMANDS_H

#include <stdio.h>

#include "harness/port/port_serial.h"

/* `resetlab run`: the matrix on the lab (harness/run/run_matrix.h). */
extern const char cli_run_usage[];
int cli_run(int argc, char **argv);

/* `resetlab analyze`: a capture file through every analyzer. 0 pass (or
 * no expectation), 1 the board missed the expected mode, 2 bad input. */
extern const char cli_analyze_usage[];
int cli_analyze(int argc, char **argv, const char *default_boards);

/* `resetlab probe`: board bring-up in one command. */
extern const char cli_probe_usage[];
int cli_probe(int argc, char **argv);

/* `resetlab report`: a session's HTML page (harness/report/report.h). */
extern const char cli_report_usage[];
int cli_report(int argc, char **argv);

/* `resetlab compare`: two sessions or two hosts cell by cell. */
extern const char cli_compare_usage[];
int cli_compare(int argc, char **argv);

/* `resetlab serve`: a simulated board over RFC 2217 (harness/serve/serve.h).
 * Serves until SIGINT/SIGTERM (exit 0) or, with --attempts N, until N
 * attempts are logged; 1 when serving fails, 2 on bad input. */
extern const char cli_serve_usage[];
int cli_serve(int argc, char **argv);

/* `resetlab observe`: a tool under the analyzer (harness/serve/serve_observe.h).
 * 0 no spurious reset, 1 some (or the command could not run), 2 bad input. */
extern const char cli_observe_usage[];
int cli_observe(int argc, char **argv);

/* `resetlab tune`: the shortest reliable reset sequence (harness/run/run_tune.h).
 * 0 a sequence met the target, 1 none did, 2 bad input. */
extern const char cli_tune_usage[];
int cli_tune(int argc, char **argv);

/* `resetlab ports`: the machine's serial ports, listed without opening any
 * (opening raises DTR/RTS and resets a board; /dev/ttyS0 may be the
 * console). 0, 1 when the ports cannot be listed, 2 on bad input. */
extern const char cli_ports_usage[];
int cli_ports(int argc, char **argv);
/* The same through any seam, with by-id links looked up in `by_id_dir`. */
int cli_ports_with(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir);
/* An aligned table with a header (or "no serial ports found"), or a JSON
 * array. Returns 0, or -1 when writing failed. */
int cli_ports_print(FILE *f, const struct serial_port_info *p, int n, int json);

#endif
