/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JUnit XML for CI servers (GitLab, Jenkins): one <testsuite> per board,
 * one <testcase> per board × host × scenario cell. Valid against
 * tests/junit.xsd, resetlab's hand-written schema of the format as Jenkins
 * and GitLab read it. That schema has no <properties> on a testcase, so a
 * cell's figures go in its <system-out> and only the run's facts (seed,
 * iterations) are suite properties. */
#ifndef RESETLAB_JUNIT_H
#define RESETLAB_JUNIT_H

#include <stdint.h>
#include <stdio.h>

#include "results.h"

/* Facts about the whole matrix run. */
struct junit_run {
    const char *name;      /* the root's name and the prefix of the rest: "resetlab" gives
                            * suites "resetlab.BOARD" and classnames "resetlab.BOARD.HOST" */
    const char *timestamp; /* ISO 8601 start, e.g. "2024-05-01T12:00:00"; NULL leaves it out */
    double elapsed_s;      /* wall time of the whole run; cells get shares by their runs */
    uint64_t seed;
    int iterations;
};

/* Writes the report: suites in the order of each board's first cell,
 * testcases in the order of the cells. A cell that met its expectation
 * passes; one with failed runs has a <failure> (the worst finding); one whose
 * runs that did not pass were all infrastructure errors has an <error>; one
 * without runs is <skipped>. Returns 0, or -1 when writing to `f` failed. */
/* Text for XML or HTML: & < > " ' as entities, control bytes and invalid
 * UTF-8 as U+FFFD; in an attribute, tabs and line ends as references. */
void xml_escaped(FILE *f, const char *text, int in_attribute);

int write_junit_xml(FILE *f, const struct junit_run *run, const struct cell_stats *cells, int n_cells);

#endif
