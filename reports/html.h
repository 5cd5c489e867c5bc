/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTML report (docs/report.md): one self-contained page per
 * session, index.html, with the plots beside it in plots/ as SVG files.
 * No network: no external CSS, scripts, fonts or CDN; the styles are
 * inline, the plots relative <img> files, so the folder can be zipped as a
 * CI artifact and opened anywhere.
 *
 * This is the writing part alone: it takes plain data (the session, the
 * cells' statistics, which plots exist or why not) and prints the page.
 * Drawing the plots and reading the store are the caller's. Every text
 * from the store or the lab is HTML-escaped, invalid UTF-8 and control
 * characters becoming U+FFFD. The same data gives the same bytes: the page
 * carries no time of its own making. */
#ifndef RESETLAB_HTML_H
#define RESETLAB_HTML_H

#include <stdio.h>

#include "results.h"
#include "store.h"

/* A plot on the page: its file, relative to the page, or why it is not
 * there. */
struct html_plot {
    char src[256];     /* "plots/x.svg"; "" when not drawn */
    char caption[320]; /* shown under it, and its alt text */
    char note[480];    /* why it was not drawn ("timing diagram not redrawn: ..."); "" when drawn */
};

/* What a cell that did not meet its expectation shows besides its
 * statistics: the timing diagrams of its typical and its worst run. */
struct html_cell {
    struct html_plot typical, worst;
    int same_run; /* the typical run is also the worst: one diagram */
    int brief;    /* a known failure drawn elsewhere: its figures in a line, typical.note says where */
};

/* A board × scenario with a cell below its expectation: the DTR/RTS gap
 * per host, as histograms and CDFs. */
struct html_group {
    const char *board, *scenario;
    struct html_plot gap_hist, gap_cdf;
};

/* Pass rate and median margin per cell over the last sessions. */
struct html_trends {
    const struct session_row *sessions; /* oldest first; x = index */
    const int *cells_met, *cells_total; /* per session */
    int n_sessions;                      /* < 2: no Trends section */
    const struct html_plot *pass, *margin;
    int n_plots; /* each of pass and margin */
    int cells_plotted, cells_left_out;
    const char *note; /* why some sessions or cells are not there; may be NULL */
};

struct html_report {
    const struct session_row *session;
    const char *db_path;
    const char *version;        /* the resetlab writing the page */
    struct cell_stats *stats;   /* the session's cells, in the order they ran */
    const struct html_cell *cells; /* beside them */
    int n_cells;
    const char *const *hosts;   /* the matrix's columns, in order */
    int n_hosts;
    const struct html_group *groups;
    int n_groups;
    struct html_trends trends;
    const char *const *notes;   /* about the whole page (lab not loaded, plots not drawn) */
    int n_notes;
    const char *reproduce;      /* the command that runs the session again */
    const char *title;          /* "sessions #1-#3": a group's (report --sessions); NULL: "session #ID" */
};

/* Writes the page. 0, or -1 when the stream failed. */
int html_write_report(FILE *f, const struct html_report *r);

/* `s` as HTML text or attribute value: & < > " ' escaped, invalid UTF-8
 * and control characters (but tab and line ends) as U+FFFD (junit.h's
 * xml_escaped). */
void html_put_text(FILE *f, const char *s);

/* The background colour of a pass rate (0..1) in the matrix, "#rrggbb":
 * red at 0 through amber to yellow just under 1; green for a cell that met
 * its expectation. */
void html_rate_colour(double rate, int met, char out[8]);

#endif
