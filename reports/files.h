/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output files written whole (issue 18): a kill, a power cut or a full
 * disk leaves the old file or the new one in a run folder, never a part
 * of one.
 *
 * A file (summary.json, junit.xml, index.html) is written under a
 * temporary name beside it, .NAME.tmp, fsync'd, then renamed over NAME.
 *
 * The report's plots are drawn into a staging folder, .plots.new, beside
 * plots/; once they and the page are written, the staging folder becomes
 * plots/ and the page is renamed into place, so the old report stays
 * whole until the new one is. A manifest in the folder (.resetlab-plots)
 * names the files resetlab made: only those are ever removed, and a file
 * someone else put in plots/ is carried over into the new folder (one
 * with the name of a plot of the new report is replaced by it). A report
 * killed half-way leaves .plots.new or .plots.old; the next report or run
 * in that folder puts them right first (files_plots_stage). */
#ifndef RESETLAB_FILES_H
#define RESETLAB_FILES_H

#include <stddef.h>
#include <stdio.h>

/* Paths this module builds (a folder and a name in it). */
#define FILES_MAX_PATH 1024
/* Threads that fsync a report's plots at once (files_plots_swap). */
#define FILES_SYNC_THREADS 8

struct out_file {
    FILE *f;
    char path[FILES_MAX_PATH], tmp[FILES_MAX_PATH];
};

/* Opens DIR/.NAME.tmp for writing. NULL with one line in err. */
FILE *files_begin(struct out_file *o, const char *dir, const char *name, char *err, size_t err_len);
/* files_begin on PATH, FOLDER/NAME (a bare NAME: in the current folder). */
FILE *files_begin_path(struct out_file *o, const char *path, char *err, size_t err_len);
/* The folder of PATH into buf: "." for a bare NAME, "/" for /NAME. */
void files_dir_of(const char *path, char *buf, size_t len);
/* Flushes, fsyncs and closes the temporary file, then renames it to
 * DIR/NAME. 0, or -1 with "DIR/NAME: write failed (reason)" in err and
 * the temporary file removed. */
int files_commit(struct out_file *o, char *err, size_t err_len);
/* Closes and removes the temporary file (an error elsewhere); no-op when
 * none is open. */
void files_discard(struct out_file *o);
/* fsync of a folder, so the renames in it survive a power cut. 0, or -1
 * with one line in err. */
int files_sync_dir(const char *dir, char *err, size_t err_len);
/* fsync of an open stream's data (fflush first). 0, or -1 (errno set). */
int files_sync(FILE *f);

/* Puts right what a killed report left in DIR (.plots.new, .plots.old,
 * .index.html.tmp), then makes DIR/.plots.new, empty, and names it in
 * `staged`: the new report's plots go there. 0, or -1 with one line. */
int files_plots_stage(const char *dir, char *staged, size_t staged_len, char *err, size_t err_len);
/* The staged plots named in their manifest and fsync'd, the files of
 * DIR/plots resetlab did not make carried over, the staged folder made
 * DIR/plots, then `page` committed (files_commit) and DIR fsync'd; the old
 * plots are removed last. 0, or -1 with one line in err: the old report
 * then stays as it was (but for a failed fsync of DIR, after which the new
 * one is in place), and `page` is discarded. */
int files_plots_swap(const char *dir, struct out_file *page, char *err, size_t err_len);
/* Removes the staged folder of a report that will not be finished. */
void files_plots_abandon(const char *dir);
/* The report in DIR removed: index.html and the plots resetlab made
 * (plots/ itself when nothing else is left in it), after putting right
 * what a killed report left. A new session in a folder does this first,
 * so no page there describes an older session than its runs.jsonl. */
void files_report_remove(const char *dir);

#endif
