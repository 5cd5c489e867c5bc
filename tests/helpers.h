/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared test fixtures: paths, temporary files, running the CLI. */
#ifndef RESETLAB_TEST_HELPERS_H
#define RESETLAB_TEST_HELPERS_H

#include <stddef.h>

#include "sim/lab.h"
#include "sim/world.h"

/* Path of a file in the source tree. */
const char *src_path(const char *rel, char *buf, size_t len);

/* Writes `text` to a new temporary file; returns its path in buf. */
const char *write_temp(const char *text, const char *suffix, char *buf, size_t len);

/* Loads the shipped boards.yaml and scenarios/ (asserts on failure). */
void load_shipped_lab(struct lab *lab);

/* Runs `cmd` with the shell; captures stdout and stderr into the buffers;
 * returns the exit status (-1 when it did not exit). */
int run_shell(const char *cmd, char *out, size_t out_len, char *err, size_t err_len);

/* Runs the resetlab binary with `args` (a shell fragment); captures stdout
 * and stderr into the buffers; returns the exit status. */
int run_cli(const char *args, char *out, size_t out_len, char *err, size_t err_len);

/* Bad input: `resetlab args` exits 2 with exactly one line on stderr that
 * contains `want`. Returns that stderr (a buffer of its own). */
const char *expect_bad_input(const char *args, const char *want);

/* Under AddressSanitizer, fails the test when memory is unreachable now:
 * Criterion ignores the exit status LeakSanitizer gives a worker at exit,
 * so a leak would otherwise only be printed. A no-op in normal builds. */
void assert_no_leaks(const char *what);

/* A suite fixture: the shipped lab and one simulated world, for
 * TestSuite(name, .init = suite_lab_setup, .fini = suite_lab_teardown). */
extern struct lab suite_lab;
extern struct sim_world *suite_world;
void suite_lab_setup(void);
void suite_lab_teardown(void);

/* rm -rf DIR, for a suite's teardown: a leftover only warns. */
void remove_tree(const char *dir);

/* Debian's python3, where python3-serial lives, unless $RESETLAB_PYTHON
 * names another (a pyenv python3 on PATH may not have it). */
const char *test_python(void);

/* Skips the test when python3-serial is not installed. */
void skip_without_pyserial(void);

/* How many times `needle` occurs in `hay`, without overlaps. */
int count_of(const char *hay, const char *needle);

/* Reads a whole file into a malloc'd string (NULL when missing). */
char *slurp(const char *path, size_t *len);

/* The shipped boards.yaml with one more board, `name`, on `port`: a
 * DevKitC (10 kOhm / 1 uF) with libsigrok's demo driver as its analyzer
 * (D0-D3 = DTR, RTS, EN, IO0; all-high). A malloc'd string. */
char *shipped_lab_with_real_board(const char *name, const char *port);

/* DIR/NAME written with `text`; its path, in one of 8 static buffers used
 * in turn (valid for the next 7 calls). */
const char *put_in_dir(const char *dir, const char *name, const char *text);

/* Fails the test unless xmllint parses the file (an SVG plot). */
void assert_valid_svg(const char *path);

/* DTR/RTS gaps in ms for the distribution plots' tests: native Linux
 * 0.3-1.8 ms, USB passthrough 10-45 ms with a few 70 ms spikes and a NaN
 * (a run without a gap), N_GAPS of each. */
#define N_GAPS 200
void gap_samples(double native[N_GAPS], double vm[N_GAPS]);

#endif
