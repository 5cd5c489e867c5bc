/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report suites' fixture (test_report.c, test_report_sessions.c): a
 * fresh folder per test, the brief's small matrix run into it, files read
 * back, and the checks every page must pass: its images, its ids and
 * links, libxml2's HTML parser, nothing fetched from the network. */
#ifndef RESETLAB_REPORT_FIXTURE_H
#define RESETLAB_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char dir[] = "/tmp/resetlab-report-XXXXXX";
static char out[1 << 16], err[1 << 14];

static inline void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static inline void teardown(void)
{
    remove_tree(dir);
}

static inline const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

/* The brief's matrix: devkitc on native Linux and through USB passthrough,
 * esptool's classic and tight reset, 100 runs per cell, seed 1. */
static const char small_matrix[] = "run --board devkitc --host native-linux --host vm-usb-passthrough "
                                   "--scenario esptool-classic --scenario esptool-tight --iterations 100 --no-known";

static inline void run_small_matrix(const char *extra)
{
    char args[1600]; /* small_matrix, a space and the longest `extra` a test passes (1200) */
    snprintf(args, sizeof args, "%s %s", small_matrix, extra);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "the classic reset fails through passthrough: exit %d, %s", rc, err);
}

static inline char *read_file(const char *path)
{
    char *s = slurp(path, NULL);
    cr_assert_not_null(s, "%s was not written", path);
    return s;
}

/* ---- the page's structure ---- */

/* The value of the attribute at `p` (just after `name="`), into buf. */
static inline const char *attr_value(const char *p, char *buf, size_t len)
{
    size_t n = strcspn(p, "\"");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

/* Every <img> names a plot that exists in the page's folder, as a valid
 * SVG; returns how many there are. */
static inline int check_images(const char *html, const char *page_dir)
{
    int n = 0;
    for (const char *p = strstr(html, "<img "); p; p = strstr(p + 1, "<img ")) {
        const char *src = strstr(p, "src=\"");
        cr_assert(src != NULL && src < strchr(p, '>'), "an <img> without src");
        char rel[300], path[900];
        attr_value(src + 5, rel, sizeof rel);
        cr_expect(strncmp(rel, "plots/", 6) == 0 && strstr(rel, "..") == NULL, "image %s is not in plots/", rel);
        snprintf(path, sizeof path, "%s/%s", page_dir, rel);
        cr_assert_eq(access(path, R_OK), 0, "image %s does not exist", path);
        assert_valid_svg(path);
        n++;
    }
    return n;
}

/* Ids are unique, and every in-page link lands on one. */
static inline void check_ids_and_links(const char *html)
{
    enum { MAX_IDS = 4096 };
    static char ids[MAX_IDS][64];
    int n = 0;
    for (const char *p = strstr(html, " id=\""); p; p = strstr(p + 1, " id=\"")) {
        cr_assert(n < MAX_IDS);
        attr_value(p + 5, ids[n], sizeof ids[n]);
        for (int k = 0; k < n; k++)
            cr_assert(strcmp(ids[k], ids[n]) != 0, "id %s twice", ids[n]);
        n++;
    }
    for (const char *p = strstr(html, "href=\"#"); p; p = strstr(p + 1, "href=\"#")) {
        char target[64];
        attr_value(p + 7, target, sizeof target);
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = strcmp(ids[k], target) == 0;
        cr_expect(found, "link to #%s, which is not on the page", target);
    }
}

/* libxml2's HTML parser knows HTML 4: it names the HTML 5 elements
 * (section, nav, figure, ...) as unknown tags, and nothing else may be
 * wrong: no unclosed or mismatched tags, no bad entities. */
static inline void check_html_parses(const char *path)
{
    char cmd[1200], report[4096] = "";
    snprintf(cmd, sizeof cmd, "xmllint --html --noout '%s' 2>&1 | grep 'error :' | grep -v 'Tag [a-z]* invalid'",
             path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(report, 1, sizeof report - 1, p);
    report[got] = '\0';
    pclose(p);
    cr_expect_eq(got, 0, "%s: %s", path, report);
}

/* Self-contained: nothing is fetched from anywhere. */
static inline void check_no_network(const char *html)
{
    cr_expect_null(strstr(html, "http://"), "the page refers to http://");
    cr_expect_null(strstr(html, "https://"), "the page refers to https://");
    cr_expect_null(strstr(html, "<link"), "the page links a stylesheet");
    cr_expect_null(strstr(html, "<script src"), "the page loads a script");
    cr_expect_null(strstr(html, "@import"), "the page imports CSS");
}

#endif
