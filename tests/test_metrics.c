/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OpenMetrics text (reports/metrics.c, `resetlab run --metrics FILE`):
 * label values escaped as the specification says, the figures of a
 * hand-computed session, and a real run's file accepted by Prometheus'
 * own checker (`promtool check metrics`, Debian's prometheus package) and
 * by the OpenMetrics parser of prometheus_client (python3-prometheus-client). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/metrics.h"
#include "reports/results.h"
#include "helpers.h"

#define LABELS_A "{board=\"devkitc\",host=\"native-linux\",scenario=\"esptool-classic\""
/* board `lab "b"` + newline + `\`, escaped */
#define LABELS_B "{board=\"lab \\\"b\\\"\\n\\\\\",host=\"vm\",scenario=\"s\""
#define LABELS_C "{board=\"c\",host=\"h\",scenario=\"none\""

static char *label_of(const char *value)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    metrics_label_value(f, value);
    fclose(f);
    return buf;
}

Test(metrics, label_values_escape_backslash_quote_and_line_feed_only)
{
    char *s = label_of("a\\b\"c\nd\te\xC2\xB5");
    cr_assert_str_eq(s, "a\\\\b\\\"c\\nd\te\xC2\xB5");
    free(s);
    s = label_of("");
    cr_assert_str_eq(s, "");
    free(s);
}

Test(metrics, utc_times_are_seconds_since_1970)
{
    /* 2026-12-05: 56 years of 365 days and 14 leap days (1972…2024), then
     * 334 days to 1 December and 4 more: 20,792 days; 07:31:37 is 27,097 s */
    cr_assert_eq(metrics_utc_seconds("2026-12-05T07:31:37Z"), 20792.0 * 86400 + 27097);
    cr_assert_eq(metrics_utc_seconds("1970-01-01T00:00:00Z"), 0.0);
    const char *bad[] = {"", "2026-12-05T07:31:37", "2026-13-05T07:31:37Z", "2026-12-05 07:31:37Z",
                         "2026-12-05T07:31:37Zx", "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(isnan(metrics_utc_seconds(bad[i])), "'%s' is not a UTC time", bad[i]);
    cr_assert(isnan(metrics_utc_seconds(NULL)));
}

static struct analysis run_of(enum verdict v, enum boot_mode outcome, double margin_ms, double gap_ms)
{
    struct analysis a;
    memset(&a, 0, sizeof a);
    a.verdict = v;
    a.outcome = outcome;
    a.margin_ms = margin_ms;
    a.gap_ms = gap_ms;
    a.en_release_ms = a.tau_ms = NAN;
    return a;
}

/* A: 4 passes, margins 4, 1, 3, 2 ms and gaps a tenth of them: nearest
 * ranks ceil(0.05·4) = 1, ceil(0.5·4) = 2, ceil(0.95·4) = 4.
 * B (a board name to escape): a pass (margin 5 ms), a flash boot (−2 ms), an
 * error: 1 of 3 passed; margin ranks among 2: 1, 1, 2. C: no runs. */
static void small_session(struct cell_stats *c)
{
    cell_init(&c[0], "devkitc", "native-linux", "esptool-classic", BOOT_DOWNLOAD, 4);
    const double m[] = {4, 1, 3, 2};
    for (int i = 0; i < 4; i++) {
        struct analysis a = run_of(VERDICT_PASS, BOOT_DOWNLOAD, m[i], m[i] / 10);
        cell_add(&c[0], &a);
    }
    cell_init(&c[1], "lab \"b\"\n\\", "vm", "s", BOOT_DOWNLOAD, 3);
    struct analysis runs[] = {run_of(VERDICT_PASS, BOOT_DOWNLOAD, 5, 1), run_of(VERDICT_FAIL, BOOT_FLASH, -2, 30),
                              run_of(VERDICT_ERROR, BOOT_NONE, NAN, NAN)};
    for (int i = 0; i < 3; i++)
        cell_add(&c[1], &runs[i]);
    cell_init(&c[2], "c", "h", "none", BOOT_DOWNLOAD, 1);
    for (int i = 0; i < 3; i++)
        cell_close(&c[i]);
}

static char *session_text(void)
{
    struct cell_stats cells[3];
    small_session(cells);
    struct metrics_session s = {1796455897, 2.5, -1, 4};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(write_openmetrics(f, &s, cells, 3), 0);
    fclose(f);
    for (int i = 0; i < 3; i++)
        cell_free(&cells[i]);
    return buf;
}

Test(metrics, a_hand_computed_session)
{
    char *t = session_text();
    const char *want[] = {
        "resetlab_session_start_time_seconds 1796455897\n",
        "resetlab_session_duration_seconds 2.5\n",
        "resetlab_session_runs 7\n",
        "resetlab_session_runs_per_second 2.8\n", /* 7 runs / 2.5 s */
        "resetlab_session_cells 3\n",
        "resetlab_session_cells_met 1\n",
        "resetlab_cell_pass_ratio" LABELS_A "} 1\n",
        "resetlab_cell_pass_ratio" LABELS_B "} 0.333333333333333\n",
        "resetlab_cell_pass_ratio" LABELS_C "} NaN\n",
        "resetlab_cell_runs" LABELS_B "} 3\n",
        "resetlab_cell_passed" LABELS_B "} 1\n",
        "resetlab_cell_errors" LABELS_B "} 1\n",
        "resetlab_cell_met" LABELS_A "} 1\n",
        "resetlab_cell_met" LABELS_B "} 0\n",
        "resetlab_cell_strap_margin_seconds" LABELS_A ",quantile=\"0.05\"} 0.001\n",
        "resetlab_cell_strap_margin_seconds" LABELS_A ",quantile=\"0.5\"} 0.002\n",
        "resetlab_cell_strap_margin_seconds" LABELS_A ",quantile=\"0.95\"} 0.004\n",
        "resetlab_cell_strap_margin_seconds_count" LABELS_A "} 4\n",
        "resetlab_cell_strap_margin_seconds" LABELS_B ",quantile=\"0.05\"} -0.002\n",
        "resetlab_cell_strap_margin_seconds" LABELS_B ",quantile=\"0.5\"} -0.002\n",
        "resetlab_cell_strap_margin_seconds" LABELS_B ",quantile=\"0.95\"} 0.005\n",
        "resetlab_cell_strap_margin_seconds_count" LABELS_B "} 2\n",
        "resetlab_cell_strap_margin_seconds_count" LABELS_C "} 0\n",
        "resetlab_cell_dtr_rts_gap_seconds" LABELS_A ",quantile=\"0.05\"} 0.0001\n",
        "resetlab_cell_dtr_rts_gap_seconds" LABELS_A ",quantile=\"0.95\"} 0.0004\n",
        "resetlab_cell_dtr_rts_gap_seconds" LABELS_B ",quantile=\"0.95\"} 0.03\n",
        "# TYPE resetlab_cell_strap_margin_seconds summary\n# UNIT resetlab_cell_strap_margin_seconds seconds\n",
        "# TYPE resetlab_cell_pass_ratio gauge\n# UNIT resetlab_cell_pass_ratio ratio\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(strstr(t, want[i]) != NULL, "missing: %s\nin:\n%s", want[i], t);
    /* a cell without samples has no quantiles, only its count of 0 */
    cr_expect_null(strstr(t, "resetlab_cell_strap_margin_seconds" LABELS_C ",quantile"));
    cr_expect_eq(count_of(t, "# TYPE "), 14);
    cr_expect_eq(count_of(t, "# HELP "), 14);
    size_t n = strlen(t);
    cr_assert(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0, "the text ends with # EOF");
    cr_expect_eq(count_of(t, "# EOF"), 1);
    free(t);
}

Test(metrics, an_unknown_start_and_duration_are_NaN)
{
    struct metrics_session s = {NAN, NAN, -1, 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(write_openmetrics(f, &s, NULL, 0), 0);
    fclose(f);
    cr_expect(strstr(buf, "resetlab_session_start_time_seconds NaN\n"));
    cr_expect(strstr(buf, "resetlab_session_runs_per_second NaN\n"));
    cr_expect(strstr(buf, "resetlab_session_runs 0\n"));
    free(buf);
}

/* ------------------------------------------------------ end to end -- */

#define RUN_DIR "/tmp/resetlab-test-metrics"

/* Each test in a folder of its own under RUN_DIR: Criterion runs two at once. */

/* 2 boards × 1 host × 2 scenarios, 10 runs each: the file has the 4 cells. */
static char *small_run(const char *dir)
{
    char cmd[1024], path[512];
    remove_tree(dir);
    char out[4096], err[4096];
    snprintf(cmd, sizeof cmd,
             "run --board devkitc --board wrover-kit --host native-linux --scenario esptool-classic "
             "--scenario esptool-tight --iterations 10 --out %s/out --metrics %s/textfile/resetlab.prom",
             dir, dir);
    int rc = run_cli(cmd, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "run exited %d: %s", rc, err);
    snprintf(path, sizeof path, "%s/textfile/resetlab.prom", dir);
    char *t = slurp(path, NULL);
    cr_assert_not_null(t, "no metrics file");
    snprintf(path, sizeof path, "%s/textfile/.resetlab.prom.tmp", dir);
    cr_assert_eq(access(path, F_OK), -1, "the temporary file is gone");
    return t;
}

Test(metrics_run, run_writes_the_cells_and_promtool_accepts_them, .timeout = 60)
{
    char *t = small_run(RUN_DIR "/promtool");
    cr_expect_eq(count_of(t, "resetlab_cell_runs{"), 4);
    cr_expect_eq(count_of(t, "_seconds_count{"), 8);
    cr_expect(strstr(t, "resetlab_session_runs 40\n"));
    cr_expect(strstr(t, "resetlab_session_iterations 10\n"));
    cr_expect(strstr(t, "resetlab_cell_runs{board=\"wrover-kit\",host=\"native-linux\",scenario=\"esptool-tight\"} "
                        "10\n"));
    free(t);
    char out[8192], err[8192];
    if (access("/usr/bin/promtool", X_OK) != 0)
        cr_skip_test("promtool is not installed (apt-get install prometheus): the file was not checked");
    int rc = run_shell("/usr/bin/promtool check metrics < " RUN_DIR "/promtool/textfile/resetlab.prom", out, sizeof out, err,
                       sizeof err);
    cr_assert_eq(rc, 0, "promtool check metrics: %s%s", out, err);
    remove_tree(RUN_DIR "/promtool");
}

Test(metrics_run, prometheus_clients_openmetrics_parser_accepts_them, .timeout = 60)
{
    char *t = small_run(RUN_DIR "/parser");
    free(t);
    char cmd[1024], out[8192], err[8192];
    snprintf(cmd, sizeof cmd, "%s -c 'import prometheus_client'", test_python());
    if (run_shell(cmd, out, sizeof out, err, sizeof err) != 0)
        cr_skip_test("python3-prometheus-client is not installed (apt-get install python3-prometheus-client)");
    /* strict OpenMetrics: # EOF last, a UNIT's family named for it, a family's samples together */
    snprintf(cmd, sizeof cmd,
             "%s -c 'import sys; from prometheus_client.openmetrics.parser import text_string_to_metric_families as p;"
             " fams = list(p(open(sys.argv[1]).read()));"
             " print(len(fams), sum(len(f.samples) for f in fams))' " RUN_DIR "/parser/textfile/resetlab.prom",
             test_python());
    int rc = run_shell(cmd, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "the OpenMetrics parser refused the file: %s", err);
    /* 7 session gauges + 5 cell gauges × 4 + 2 summaries × 4 cells × (3 quantiles + count) */
    cr_expect_str_eq(out, "14 59\n");
    remove_tree(RUN_DIR "/parser");
}

Test(metrics_run, a_metrics_path_that_cannot_be_written_is_bad_input)
{
    remove_tree(RUN_DIR "/bad");
    expect_bad_input("run --iterations 1 --out " RUN_DIR "/bad/o --metrics " RUN_DIR "/bad/m/", "a folder, not a file name");
    expect_bad_input("run --iterations 1 --out " RUN_DIR "/bad/o --metrics /etc/hostname/m.prom",
                     "/etc/hostname is not a folder");
    expect_bad_input("run --iterations 1 --out " RUN_DIR "/bad/o --metrics ''", "--metrics: an empty path");
    cr_expect_eq(access(RUN_DIR "/bad/o/results.db", F_OK), -1, "nothing was run");
}

/* The text without its session duration and runs/s (the store keeps times
 * to the second), a line per entry. */
static void drop_timing(char *t)
{
    char *w = t;
    for (char *line = t; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line + 1) : strlen(line);
        if (!strstr(line, "resetlab_session_duration_seconds ") && !strstr(line, "resetlab_session_runs_per_second ")) {
            memmove(w, line, n);
            w += n;
        }
        line += n;
    }
    *w = '\0';
}

Test(metrics_run, report_writes_the_same_figures_from_the_store, .timeout = 60)
{
    char *ran = small_run(RUN_DIR "/report");
    char out[4096], err[4096];
    int rc = run_cli("report --db " RUN_DIR "/report/out/results.db --report " RUN_DIR "/report/page --metrics " RUN_DIR
                     "/report/again.prom",
                     out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "report exited %d: %s", rc, err);
    char *again = slurp(RUN_DIR "/report/again.prom", NULL);
    cr_assert_not_null(again);
    cr_expect(strstr(again, "resetlab_session_duration_seconds "), "a duration, from the store's times");
    drop_timing(ran);
    drop_timing(again);
    cr_expect_str_eq(again, ran);
    cr_expect(strstr(again, "resetlab_cell_runs{board=\"wrover-kit\",host=\"native-linux\",scenario=\"esptool-tight\"} 10\n"));
    free(ran);
    free(again);
    expect_bad_input("report --db " RUN_DIR "/report/out/results.db --metrics /etc/hostname/m.prom",
                     "/etc/hostname is not a folder");
    remove_tree(RUN_DIR "/report");
}
