/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading the lab: boards.yaml (chips, circuits, bridges, hosts, boards)
 * and scenarios/ (one YAML file per reset strategy). Errors are one line,
 * "file:line: key.path: reason", for exit status 2. */
#ifndef RESETLAB_LAB_LAB_LOAD_H
#define RESETLAB_LAB_LAB_LOAD_H

#include <stddef.h>

#include "sim/lab.h"

int lab_load(struct lab *lab, const char *file, char *err, size_t err_len);

/* `include:` (docs/lab.md#include): a lab file may include the shipped
 * library (`resetlab`) or other lab files and add to or change what they
 * hold. Refused past these, before reading the file that passes them: */
#define LAB_INCLUDE_FILES_MAX 16 /* files in one lab, the including one too */
#define LAB_INCLUDE_DEPTH_MAX 4  /* a file including one that includes ... */

/* The SHA-256 a session records for its lab: of the bytes of the lab file
 * and of every file it includes, in the order they are read (a file
 * without include: gets its own bytes' SHA-256). -1 with one line when
 * the lab cannot be read. */
int lab_sha256(const char *file, char out[65], char *err, size_t err_len);

/* The shipped lab file NAME ("boards.yaml"): the one installed beside the
 * binary (BINDIR/../share/resetlab/NAME), else the source tree's. -1 when
 * neither exists (buf then holds the source tree's path). */
int lab_shipped_path(const char *name, char *buf, size_t len);

/* The text of the lab's template KIND (its templates: section, a board
 * entry to start from), malloc'd into *text; -1 with one line naming the
 * kinds there are. */
int lab_template(const char *file, const char *kind, char **text, char *err, size_t err_len);

/* A file whose only section is `hosts:` (boards.yaml's form; what
 * `resetlab calibrate --out` writes): its hosts are added to lab's, a host
 * of the same name replaced. -1 with one line, the lab unchanged. */
int lab_load_hosts(struct lab *lab, const char *file, char *err, size_t err_len);

/* Loads every *.yaml in `dir` (sorted by file name) into lab->scenarios. */
int scenarios_load(struct lab *lab, const char *dir, char *err, size_t err_len);

/* Loads one scenario file into `s` (freed with lab_free's rules). */
int scenario_load_file(struct scenario *s, const char *file, char *err, size_t err_len);

/* A name from a file (a chip, circuit, bridge, host, analyzer, board or
 * scenario) becomes part of output paths, so the loaders take only 1 to
 * `max` (31 for the lab's, 63 for a scenario's) of LAB_NAME_CHARS, not
 * starting with '.' or '-'. 0, or -1 with the reason (naming it) in why. */
#define LAB_NAME_CHARS "letters, digits, '.', '_' and '-'"
#define LAB_NAME_MAX 31
#define LAB_SCENARIO_NAME_MAX 63
int lab_name_check(const char *name, size_t max, char *why, size_t why_len);

#endif
