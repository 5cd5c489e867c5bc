/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the HTML report's files share, used only inside reports/ (html.h is
 * the public header): html.c's text and pass rate figures, which the
 * matrix (html_matrix.c) and the cells (html_cells.c) write with, and the
 * page's sections these two write for html.c. */
#ifndef RESETLAB_HTML_INTERNAL_H
#define RESETLAB_HTML_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

/* html.h's; declared here, not included, so that html.c including this
 * header makes no include circle. */
struct html_report;
struct html_trends;

/* html_put_text of the formatted text (at most 1023 bytes). */
void html_put_textf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A pass rate in percent, one decimal. A cell below its expectation never
 * shows "100.0" (1999 of 2000), nor one with passing runs "0.0". */
const char *html_rate_text(int passed, int runs, char *buf, size_t len);
/* "[29.9–35.7]": the 95 % Wilson interval in percent. */
const char *html_interval_text(int passed, int runs, char *buf, size_t len);

/* The sections, in the page's order (html_matrix.c, html_cells.c). */
void html_put_tools(FILE *f, const struct html_report *r); /* html_tools.c */
/* A matrix's host column heads, the end of its head row and of <thead>. */
void html_put_host_columns(FILE *f, const struct html_report *r);
void html_put_matrix(FILE *f, const struct html_report *r);
void html_put_diagnoses(FILE *f, const struct html_report *r);
void html_put_below(FILE *f, const struct html_report *r);
void html_put_trends(FILE *f, const struct html_trends *t);

#endif
