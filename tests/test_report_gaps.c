/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's DTR/RTS gap plots (issue 24, item 2: no empty plots): a
 * failing pair whose runs had no gap on any host gets one line instead of
 * two "no samples" boxes, and a pair's plots leave out the hosts whose
 * runs had no gap (the caption says so). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char dir[] = "/tmp/resetlab-gaps-XXXXXX";

Test(report_gaps, no_plot_is_drawn_without_samples, .timeout = 60)
{
    cr_assert_not_null(mkdtemp(dir));
    char args[400], out[1 << 16], err[4096], path[600];
    snprintf(args, sizeof args,
             "run --board devkitc --scenario pyserial-open-close --scenario mpremote-connect-close --iterations 10 "
             "--no-known --quiet --out %s", dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *page = slurp(path, NULL);
    cr_assert_not_null(page);
    /* pyserial-open-close resets on Windows' close: no releasing transition, no gap anywhere */
    cr_expect(strstr(page, "No DTR/RTS gap on any host: no run of this pair had a releasing transition to measure.") !=
              NULL, "no note for the gapless pair");
    cr_expect(strstr(page, "hosts whose runs had no gap are left out") != NULL, "no caption for the hosts left out");
    free(page);
    snprintf(path, sizeof path, "%s/plots", dir);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int plots = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strstr(e->d_name, "--gap-") == NULL)
            continue;
        char svg_path[900];
        snprintf(svg_path, sizeof svg_path, "%s/%s", path, e->d_name);
        char *svg = slurp(svg_path, NULL);
        cr_assert_not_null(svg);
        cr_expect_null(strstr(svg, "no samples"), "%s has a series without samples", e->d_name);
        cr_expect_null(strstr(e->d_name, "pyserial-open-close"), "%s drawn without a gap", e->d_name);
        free(svg);
        plots++;
    }
    closedir(d);
    cr_expect_eq(plots, 2, "mpremote-connect-close's histogram and CDF: %d gap plots", plots);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    cr_assert_eq(system(args), 0);
}

/* The boundary the reader looks for: the board's EN release time (devkitc:
 * 10 kΩ · 1 µF · ln 4 = 13.863 ms) as a dashed line on both gap plots. */
Test(report_gaps, the_gap_plots_mark_the_en_release, .timeout = 60)
{
    static char d2[] = "/tmp/resetlab-gapmark-XXXXXX";
    cr_assert_not_null(mkdtemp(d2));
    char args[400], out[1 << 16], err[4096], path[600];
    snprintf(args, sizeof args,
             "run --board devkitc --scenario esptool-classic --host native-linux --host vm-usb-passthrough "
             "--iterations 20 --no-known --quiet --out %s", d2);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    const char *kinds[] = {"hist", "cdf"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/plots/devkitc--esptool-classic--gap-%s.svg", d2, kinds[k]);
        char *svg = slurp(path, NULL);
        cr_assert_not_null(svg, "no %s", path);
        cr_expect(strstr(svg, "EN release 13.863 ms (a longer gap misses the strap)") != NULL, "%s: no boundary", path);
        free(svg);
    }
    snprintf(args, sizeof args, "rm -rf %s", d2);
    cr_assert_eq(system(args), 0);
}
