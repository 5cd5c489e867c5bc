/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab compare --predict`: a store made as a real session on a KVM
 * guest would make it (a real board, devkitc's parts on a CP2102, in host
 * column vm-usb-passthrough-kvm, 40 runs a cell) set against the virtual
 * lab's prediction on vm-usb-passthrough. esptool-tight passes every run
 * on both (agree); esptool-classic passed 40 of 40 on the "real" board
 * while the model passes 57.5 % of them, [42.2-71.5] (disagree). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/analysis.h"
#include "harness/run/run_predict.h"
#include "harness/run/run_session.h"
#include "reports/compare_predict.h"
#include "reports/store.h"
#include "helpers.h"

#define RUNS 40

static char dir[64], lab_path[256], db_path[256];

/* `resetlab compare --predict DIR` and the rest, with this test's folder. */
static const char *cmd(const char *fmt)
{
    static char buf[512];
    snprintf(buf, sizeof buf, fmt, dir, dir);
    return buf;
}

/* The lab (the shipped one plus bench-devkitc on /dev/ttyUSB0) and the
 * store: esptool-tight and esptool-classic, every run passed. */
static void make_real_session(const char *column)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-predict-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char *text = shipped_lab_with_real_board("bench-devkitc", "/dev/ttyUSB0");
    snprintf(lab_path, sizeof lab_path, "%s/boards.yaml", dir);
    snprintf(db_path, sizeof db_path, "%s/results.db", dir);
    FILE *f = fopen(lab_path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    static struct session_facts facts;
    char scen[512], e[600];
    src_path("scenarios", scen, sizeof scen);
    snprintf(facts.started, sizeof facts.started, "2026-12-05T07:00:00Z");
    snprintf(facts.hostname, sizeof facts.hostname, "kvm-bench");
    snprintf(facts.virtualization, sizeof facts.virtualization, "kvm");
    snprintf(facts.boards_file, sizeof facts.boards_file, "%s", lab_path);
    cr_assert_eq(session_sha256_file(lab_path, facts.boards_sha256), 0);
    snprintf(facts.options, sizeof facts.options, "--board\nbench-devkitc\n--boards\n%s\n--scenarios\n%s\n", lab_path,
             scen);
    facts.seed = 1, facts.iterations = RUNS;
    struct store *st = store_open(db_path, STORE_WRITE, e, sizeof e);
    cr_assert_not_null(st, "%s", e);
    int64_t id;
    cr_assert_eq(store_session_begin(st, &facts, &id, e, sizeof e), 0, "%s", e);
    static struct analysis a;
    a.verdict = VERDICT_PASS;
    const char *scenarios[] = {"esptool-tight", "esptool-classic"};
    for (int s = 0; s < 2; s++)
        for (int it = 0; it < RUNS; it++) {
            a.outcome = BOOT_DOWNLOAD;
            struct run_record rec = {"bench-devkitc", column, scenarios[s], it, (uint64_t)it, BOOT_DOWNLOAD, &a};
            cr_assert_eq(store_add_run(st, id, &rec, 0, e, sizeof e), 0, "%s", e);
        }
    cr_assert_eq(store_session_end(st, id, "complete", e, sizeof e), 0, "%s", e);
    store_close(st);
}

static const char *line_of(const char *out, const char *start)
{
    static char line[512];
    const char *at = strstr(out, start);
    cr_assert_not_null(at, "no line '%s' in:\n%s", start, out);
    snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\n"), at);
    return line;
}

Test(predict, one_cell_agrees_and_one_disagrees)
{
    make_real_session("vm-usb-passthrough-kvm");
    static char out[1 << 16], err[4096];
    int rc = run_cli(cmd("compare --predict %s"), out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s%s", rc, err, out);
    /* 40 of 40: Wilson 95 % from 40/(40 + 1.96²) = 91.2 % to 100 %; Fisher on 40/0 vs 40/0 is 1 */
    cr_expect_str_eq(line_of(out, "bench-devkitc / vm-usb-passthrough-kvm / esptool-tight:"),
                     "bench-devkitc / vm-usb-passthrough-kvm / esptool-tight: model 100.0 % [91.2\u2013100], "
                     "measured 100.0 % [91.2\u2013100], agree (p = 1)");
    const char *classic = line_of(out, "bench-devkitc / vm-usb-passthrough-kvm / esptool-classic:");
    cr_expect(strstr(classic, "measured 100.0 % [91.2\u2013100], disagree (p = ") != NULL, "%s", classic);
    double model = -1;
    cr_assert_eq(sscanf(strstr(classic, "model ") + 6, "%lf", &model), 1, "%s", classic);
    cr_expect(model < 90, "the classic reset through a VM's passthrough passed %.1f %% on the model", model);
    cr_expect(strstr(out, "1 of 2 cells disagree") != NULL, "%s", out);
    remove_tree(dir);
}

Test(predict, json_and_the_profile_named)
{
    make_real_session("my-bench");
    static char out[1 << 16], err[4096];
    /* a column no profile is named like: the profile must be given */
    const char *e = expect_bad_input(cmd("compare --predict %s"), "no host profile of");
    cr_expect(strstr(e, "models host 'my-bench': name one with --profile") != NULL, "%s", e);
    int rc = run_cli(cmd("compare --predict %s --profile vm-usb-passthrough --json"), out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    cr_expect(strstr(out, "\"cells_compared\": 2, \"disagreements\": 1") != NULL, "%s", out);
    cr_expect(strstr(out, "\"scenario\": \"esptool-tight\", \"model\": {\"runs\": 40, \"passed\": 40") != NULL, "%s",
              out);
    cr_expect(strstr(out, "\"agree\": true}") != NULL && strstr(out, "\"agree\": false}") != NULL, "%s", out);
    remove_tree(dir);
}

Test(predict, bad_input)
{
    make_real_session("vm-usb-passthrough-kvm");
    expect_bad_input(cmd("compare --predict %s --profile nosuchhost"), "models host 'nosuchhost' (--profile)");
    expect_bad_input(cmd("compare --predict %s --host native-linux"), "--predict takes one session");
    expect_bad_input(cmd("compare %s %s --profile native-linux"), "--profile goes with --predict");
    expect_bad_input("compare --predict /nonexistent-store", "no such results store");
    FILE *f = fopen(lab_path, "a"); /* the lab changed since the session ran */
    cr_assert_not_null(f);
    fputs("# edited\n", f);
    fclose(f);
    expect_bad_input(cmd("compare --predict %s"), "is not the boards.yaml the session ran on");
    remove_tree(dir);
}

/* A hosts file as calibrate writes it, one host named `name`. */
static void write_hosts(const char *path, const char *name, const char *request)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "hosts:\n  %s:\n    os: linux\n    request: %s\n"
               "    overshoot: {floor_ms: 0.05, median_ms: 0.08, sigma: 0.3, spike_p: 0, spike_ms: 0}\n"
               "    split_both_lines: false\n",
            name, request);
    fclose(f);
}

/* calibrate --name my-bench on the machine, run --host-label my-bench
 * there: --hosts models the column by the profile measured on it. A fast
 * host's model agrees with 40 of 40 on both cells (exit 0); a host that
 * measured 18 ms a request passes the classic reset far less often (exit 1). */
Test(predict, a_calibrated_hosts_file_models_its_column)
{
    make_real_session("my-bench");
    static char out[1 << 16], err[4096], hosts[300], c[700];
    snprintf(hosts, sizeof hosts, "%s/measured.yaml", dir);
    write_hosts(hosts, "my-bench", "{floor_ms: 0.2, median_ms: 1.0, sigma: 0.5, spike_p: 0, spike_ms: 0}");
    snprintf(c, sizeof c, "compare --predict %s --hosts %s", dir, hosts);
    int rc = run_cli(c, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s%s", rc, err, out);
    cr_expect(strstr(line_of(out, "bench-devkitc / my-bench / esptool-classic:"), "model 100.0 % [91.2\u2013100]"),
              "%s", out);
    write_hosts(hosts, "my-bench", "{floor_ms: 2, median_ms: 18, sigma: 0.6, spike_p: 0.01, spike_ms: 40}");
    rc = run_cli(c, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s%s", rc, err, out);
    cr_expect(strstr(line_of(out, "bench-devkitc / my-bench / esptool-classic:"), "disagree"), "%s", out);
    write_hosts(hosts, "my bench", "{floor_ms: 2}"); /* a bad file: one line, exit 2 */
    const char *e = expect_bad_input(c, "compare: --hosts: ");
    cr_expect(strstr(e, "measured.yaml") != NULL, "%s", e);
    expect_bad_input(cmd("compare %s %s --hosts /nonexistent.yaml"), "--hosts goes with --predict");
    remove_tree(dir);
}

/* The host profile for a column: its own name, else the longest lab host
 * that starts it. */
Test(predict, host_profile_by_column, .init = suite_lab_setup, .fini = suite_lab_teardown)
{
    cr_expect_str_eq(run_predict_host(&suite_lab, "vm-usb-passthrough-kvm", NULL)->name, "vm-usb-passthrough");
    cr_expect_str_eq(run_predict_host(&suite_lab, "wsl-usbipd", NULL)->name, "wsl-usbipd");
    cr_expect_str_eq(run_predict_host(&suite_lab, "native-linux", NULL)->name, "native-linux");
    cr_expect_null(run_predict_host(&suite_lab, "vm-kvm", NULL));
    cr_expect_str_eq(run_predict_host(&suite_lab, "vm-kvm", "native-windows")->name, "native-windows");
}
