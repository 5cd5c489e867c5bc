/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The default session's artifacts as a CI job keeps them (issue 22 item 4,
 * issue 24 item 2): the quick start's results/ under 20 MB, its page and
 * plots under 5 MB, and no plot that is an empty "no samples" box. Sizes
 * only: the time it takes is measured in bench/, not here. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"

#define RESULTS_BUDGET 20000000L /* bytes: under GitLab's and Jenkins' usual artifact limits */
#define PAGE_BUDGET 5000000L     /* index.html and plots/ */

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Bytes of the regular files in a folder and the folders in it. */
static long folder_bytes(const char *dir, int *plots, int *empty)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    long total = 0;
    char path[700];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0, "%s", path);
        if (S_ISDIR(st.st_mode)) {
            total += folder_bytes(path, plots, empty);
            continue;
        }
        total += (long)st.st_size;
        if (plots && strstr(e->d_name, ".svg")) {
            (*plots)++;
            char *svg = slurp(path, NULL);
            cr_assert_not_null(svg);
            *empty += strstr(svg, ">no samples<") != NULL;
            free(svg);
        }
    }
    closedir(d);
    return total;
}

Test(weight, the_default_session_fits_its_budgets, .timeout = 900)
{
    char dir[] = "/tmp/resetlab-weight-XXXXXX", args[200], out[1 << 16], err[1 << 14], path[300];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(args, sizeof args, "run --quiet --out %s/results", dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "the quick start exited %d: %s", rc, err);
    snprintf(path, sizeof path, "%s/results", dir);
    long results = folder_bytes(path, NULL, NULL);
    int plots = 0, empty = 0;
    snprintf(path, sizeof path, "%s/results/plots", dir);
    long plot_bytes = folder_bytes(path, &plots, &empty);
    snprintf(path, sizeof path, "%s/results/index.html", dir);
    long page = size_of(path);
    cr_expect_lt(results, RESULTS_BUDGET, "results/ is %ld bytes", results);
    cr_expect_lt(page + plot_bytes, PAGE_BUDGET, "the page (%ld bytes) and its %d plots (%ld bytes)", page, plots,
                 plot_bytes);
    cr_expect_gt(plots, 10, "%d plots: the report drew nearly nothing", plots);
    cr_expect_eq(empty, 0, "%d of %d plots are empty 'no samples' boxes", empty, plots);
    snprintf(path, sizeof path, "%s/results/runs.jsonl", dir);
    cr_expect_eq(size_of(path), -1, "runs.jsonl written without --jsonl");
    remove_tree(dir);
}
