/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report page as a reader meets it (issue 24, items 2, 4 and 6): the
 * groups of failing cells collapsed in <details> with their images lazy, a
 * link to a cell opening its group, the matrices in boxes whose header row
 * and board column stay in view, no NaN or inf anywhere on the page or in
 * its plots, and a print stylesheet: printed to PDF by headless Chromium,
 * every group open, pages rendered by pdftoppm. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-page-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char args[256], out[1 << 15], err[4096];
    /* a fault board: its cells fail, so the page has groups, diagrams and gap plots (--no-known: every
     * failing cell's, not only the first of each known failure) */
    snprintf(args, sizeof args, "run --board devkitc-swapped --host native-linux --host wsl-usbipd --iterations 3 "
             "--no-known --quiet --out %s/res", dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "run: %d %s", rc, err);
}

static void teardown(void) { remove_tree(dir); }

TestSuite(page, .init = setup, .fini = teardown, .timeout = 240);

static char *page(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/res/index.html", dir);
    char *html = slurp(path, NULL);
    cr_assert_not_null(html);
    return html;
}

Test(page, failing_groups_are_collapsed_and_their_images_lazy)
{
    char *html = page();
    int groups = count_of(html, "<details class=\"group\" id=\"group-"), images = count_of(html, "<img ");
    cr_expect_gt(groups, 3, "%d groups", groups);
    cr_expect_eq(count_of(html, "<details class=\"group\" id=\"group-"), count_of(html, "</details>"));
    cr_expect_null(strstr(html, "<details class=\"group\" id=\"group-0\" open"), "a group is open on load");
    cr_expect_gt(images, 2 * groups, "%d images", images);
    cr_expect_eq(count_of(html, "<img loading=\"lazy\""), images, "an image that is not lazy");
    /* a closed group's images have no src until it opens (Chromium fetches lazy images in closed <details>) */
    for (const char *d = html; (d = strstr(d, "<details class=\"group\"")) != NULL; d++) {
        const char *end = strstr(d, "</details>"), *src = strstr(d, " src=\"");
        cr_assert_not_null(end);
        cr_expect(src == NULL || src > end, "an image of a closed group has a src: %.120s", src);
    }
    cr_expect_gt(count_of(html, " data-src=\"plots/"), 2 * groups);
    cr_expect(strstr(html, "cells below expectation)</span></summary>") || strstr(html, "cell below expectation)</span></summary>"));
    /* the matrices scroll in their own box: the sticky header row and board column work both ways */
    cr_expect(strstr(html, ".scroll.box{overflow:auto;max-height:82vh"));
    cr_expect(strstr(html, "table.matrix th.board{position:sticky;left:0"));
    cr_expect_gt(count_of(html, "<div class=\"scroll box\"><table class=\"matrix\">"), 0);
    free(html);
}

/* "nan", "-nan", "inf" as words: what printf makes of an undefined figure */
static int has_nan(const char *text, char *where, size_t len)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, "(^|[^A-Za-z_])(-?nan|-?inf|NaN|Infinity)([^A-Za-z_(]|$)", REG_EXTENDED), 0);
    regmatch_t m;
    int found = regexec(&re, text, 1, &m, 0) == 0;
    if (found)
        snprintf(where, len, "%.60s", text + (m.rm_so > 20 ? m.rm_so - 20 : 0));
    regfree(&re);
    return found;
}

Test(page, no_nan_on_the_page_or_in_a_plot)
{
    char *html = page(), where[80];
    cr_expect(!has_nan(html, where, sizeof where), "index.html: ...%s...", where);
    free(html);
    char plots[128], path[512];
    snprintf(plots, sizeof plots, "%s/res/plots", dir);
    DIR *d = opendir(plots);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strstr(e->d_name, ".svg") == NULL)
            continue;
        snprintf(path, sizeof path, "%s/%s", plots, e->d_name);
        char *svg = slurp(path, NULL);
        cr_assert_not_null(svg);
        cr_expect(!has_nan(svg, where, sizeof where), "%s: ...%s...", e->d_name, where);
        free(svg);
        n++;
    }
    closedir(d);
    cr_expect_gt(n, 10, "%d plots", n);
}

static int have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static int chromium(const char *how, const char *url, const char *out)
{
    char cmd[1500];
    snprintf(cmd, sizeof cmd,
             "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
             "--user-data-dir='%s/profile' %s '%s' >'%s' 2>/dev/null; rc=$?; rm -rf '%s/profile'; exit $rc",
             dir, how, url, out, dir);
    return system(cmd);
}

Test(page, a_link_to_a_cell_opens_its_group)
{
    if (access("/usr/bin/chromium", X_OK) != 0)
        cr_skip_test("chromium is not installed (apt-get install chromium): the page was not opened");
    char url[256], dom[128], id[32] = "";
    char *src = page();
    const char *first = strstr(src, "<article class=\"cell\" id=\"");
    cr_assert_not_null(first);
    sscanf(first + strlen("<article class=\"cell\" id=\""), "%31[^\"]", id);
    free(src);
    snprintf(url, sizeof url, "file://%s/res/index.html#%s", dir, id);
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    cr_assert_eq(chromium("--dump-dom", url, dom), 0);
    char *html = slurp(dom, NULL);
    cr_assert_not_null(html);
    /* the first failing cell: the group it is in is open, and no other */
    const char *cell = strstr(html, "<article class=\"cell\" id=\"cell-");
    cr_assert_not_null(cell);
    const char *group = NULL;
    for (const char *g = html; (g = strstr(g, "<details class=\"group\"")) != NULL && g < cell; g++)
        group = g;
    cr_assert_not_null(group);
    cr_expect(strncmp(strchr(group, '>') - 8, "open=\"\"", 7) == 0 || strstr(group, "open") < strchr(group, '>'),
              "the linked cell's group is not open: %.80s", group);
    cr_expect_eq(count_of(html, "open=\"\""), 1, "more than the linked group opened");
    free(html);
}

Test(page, it_prints_to_pdf_with_every_group_open)
{
    if (access("/usr/bin/chromium", X_OK) != 0 || !have("pdftoppm") || !have("pdfinfo"))
        cr_skip_test("chromium or poppler-utils (pdftoppm, pdfinfo) is not installed: the page was not printed");
    char url[256], pdf[128], cmd[600], out[4096], err[1024];
    snprintf(url, sizeof url, "file://%s/res/index.html?eager", dir); /* every group's plots loaded, as docs/report.md says */
    snprintf(pdf, sizeof pdf, "%s/page.pdf", dir);
    char how[300];
    snprintf(how, sizeof how, "--virtual-time-budget=5000 --no-pdf-header-footer --print-to-pdf='%s'", pdf);
    cr_assert_eq(chromium(how, url, "/dev/null"), 0);
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' | sed -n 's/^Pages: *//p'", pdf);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    int pages = atoi(out);
    /* the matrix and facts, then a group a page (break-before): more pages than groups */
    char *html = page();
    int groups = count_of(html, "<details class=\"group\"");
    free(html);
    cr_expect_gt(pages, groups, "%d pages for %d groups: the groups were not printed open, a page each", pages, groups);
    snprintf(cmd, sizeof cmd, "pdftoppm -png -r 40 -f 1 -l 3 '%s' '%s/p' && ls '%s' | grep -c '^p-.*png$'", pdf, dir, dir);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(atoi(out), 3, "pdftoppm rendered %s pages", out);
    char png[160];
    snprintf(png, sizeof png, "%s/p-1.png", dir);
    if (access(png, R_OK) != 0)
        snprintf(png, sizeof png, "%s/p-01.png", dir);
    struct stat st;
    cr_expect(stat(png, &st) == 0 && st.st_size > 5000, "page 1 is blank or missing");
}
