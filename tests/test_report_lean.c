/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's plots of known failures (report --plots lean|all, issue 22
 * item 4 and issue 24 item 2): an entry of the known-failures file is one
 * mechanism, so only its first cell is drawn by default (its worst run) and the others say
 * where its diagrams are; a pair whose cells are all drawn elsewhere has
 * no gap plots. --plots all draws every failing cell, as before. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-lean-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char args[256], out[1 << 15], err[4096];
    /* a fault board: every cell of it is a known failure (scenarios/gates/known.yaml) */
    snprintf(args, sizeof args, "run --board devkitc-swapped --host native-linux --host wsl-usbipd --iterations 3 "
             "--quiet --out %s/res", dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "run: %d %s", rc, err);
}

static void teardown(void) { remove_tree(dir); }

TestSuite(lean, .init = setup, .fini = teardown, .timeout = 240);

static int plots_in(const char *folder, const char *part)
{
    DIR *d = opendir(folder);
    cr_assert_not_null(d, "%s", folder);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".svg") != NULL && strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static char *page_of(const char *sub)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s/index.html", dir, sub);
    char *html = slurp(path, NULL);
    cr_assert_not_null(html, "%s", path);
    return html;
}

Test(lean, a_known_entry_is_drawn_once_and_all_draws_every_cell)
{
    char folder[128], args[300], out[4096], err[4096];
    snprintf(folder, sizeof folder, "%s/res/plots", dir);
    char *html = page_of("res");
    int notes = count_of(html, "the diagram of its reason is drawn once, for devkitc-swapped / ");
    int failing = count_of(html, "<article class=\"cell\"");
    /* an entry's first cell: its worst run alone, the mechanism the entry names */
    int lean_diagrams = plots_in(folder, "--worst.svg"), lean_gaps = plots_in(folder, "--gap-");
    cr_expect_eq(plots_in(folder, "--typical.svg"), 0, "a known failure's typical run drawn");
    cr_expect_gt(notes, 0, "no known cell left undrawn");
    cr_expect_eq(lean_diagrams + notes, failing, "%d drawn + %d noted of %d failing cells", lean_diagrams, notes,
                 failing);
    cr_expect(strstr(html, "(known.yaml:") != NULL, "the note does not name the entry by file and line");
    cr_expect(strstr(html, "/scenarios/gates/known.yaml:") == NULL, "the note names the whole path");
    free(html);

    snprintf(args, sizeof args, "report --out %s/res --report %s/all --plots all", dir, dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    html = page_of("all");
    snprintf(folder, sizeof folder, "%s/all/plots", dir);
    cr_expect_eq(count_of(html, "diagrams are drawn once"), 0, "--plots all left a cell undrawn");
    cr_expect_eq(plots_in(folder, "--typical.svg"), failing, "--plots all: not every failing cell is drawn");
    cr_expect_gt(plots_in(folder, "--gap-"), lean_gaps, "--plots all draws no more gap plots than lean");
    free(html);

    expect_bad_input("report --plots some", "report: --plots must be all or lean, got 'some'");
    expect_bad_input("report --plots", "--plots needs a value");
}
