/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GitLab CI template a lab includes (ci/gitlab/resetlab.gitlab-ci.yml),
 * run by gitlab-ci-local (npm, tests/js/package-lock.json) on its shell
 * executor in a throwaway git repository whose .gitlab-ci.yml includes it,
 * against the virtual lab: the jobs it makes (3 shards, a lab machine, the
 * merge and report, Pages when asked for), and the whole pipeline: every
 * job passes, the artifacts are there, and the merged summary.json equals
 * an unsharded run's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esptool_js_fixture.h"
#include "helpers.h"

/* each test's repository (Criterion runs two at once) */
#define REPO "/tmp/resetlab-test-pipeline"
#define LIST_REPO "/tmp/resetlab-test-pipeline-list"
#define MACHINE_REPO "/tmp/resetlab-test-pipeline-machine"
/* the matrix of the shards: 2 boards × 1 host × 3 scenarios, 4 runs each */
#define SIM_ARGS                                                                                                     \
    "--board devkitc --board devkitc-early --host native-linux --scenario esptool-classic --scenario esptool-tight " \
    "--scenario esptool-4 --iterations 4"
/* the lab machine's boards: a simulated one stands in for them */
#define REAL_ARGS "--board wrover-kit --host native-linux --scenario esptool-classic --iterations 4"

/* gitlab-ci-local 4.65's engines field: node 18 (Debian 12's nodejs), on
 * which it runs this template's jobs (checked with Debian's 18.20.4). */
#define GCL_NODE_MAJOR 18

/* node, its version and gitlab-ci-local, rsync and git (it uses both), or
 * the test fails in one line saying what to install. */
static void require_gitlab_ci_local(void)
{
    require_node_and_packages();
    char cmd[700], out[256], err[512];
    snprintf(cmd, sizeof cmd, "%s -p 'process.versions.node.split(\".\")[0]'", node_bin());
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    if (atoi(out) < GCL_NODE_MAJOR)
        cr_skip_test("gitlab-ci-local needs node %d or later, this is node %d: the template was not run",
                     GCL_NODE_MAJOR, atoi(out));
    snprintf(cmd, sizeof cmd, "%s/node_modules/gitlab-ci-local/src/index.js", js_dir());
    cr_assert_eq(access(cmd, R_OK), 0, "gitlab-ci-local is not installed in %s/node_modules (ci/bootstrap runs npm ci)",
                 js_dir());
    cr_assert_eq(run_shell("command -v rsync && command -v git", out, sizeof out, err, sizeof err), 0,
                 "gitlab-ci-local's shell executor needs rsync and git (apt-get install rsync git)");
}

/* A git repository with the template and a .gitlab-ci.yml that includes it
 * locally, as a lab's would: resetlab from the build, 3 shards, a machine. */
static void make_repo(const char *repo)
{
    remove_tree(repo);
    char src[600], boards[600], scenarios[600], cmd[4096], out[2048], err[2048], yml[3072];
    src_path("ci/gitlab/resetlab.gitlab-ci.yml", src, sizeof src);
    src_path("boards.yaml", boards, sizeof boards);
    src_path("scenarios", scenarios, sizeof scenarios);
    const char *bin = getenv("RESETLAB_BIN");
    cr_assert(bin && bin[0], "RESETLAB_BIN is set by ctest");
    snprintf(yml, sizeof yml,
             "include:\n"
             "  - local: ci/gitlab/resetlab.gitlab-ci.yml\n"
             "variables:\n"
             "  RESETLAB: %s\n"
             "  RESETLAB_SIM_ARGS: \"--boards %s --scenarios %s " SIM_ARGS "\"\n"
             "resetlab-sim:\n"
             "  parallel: 3\n"
             "resetlab-real:\n"
             "  extends: .resetlab-real\n"
             "  variables:\n"
             "    RESETLAB_MACHINE: bench-1\n"
             "    RESETLAB_REAL_ARGS: \"--boards %s --scenarios %s " REAL_ARGS "\"\n",
             bin, boards, scenarios, boards, scenarios);
    cr_assert_eq(mkdir(repo, 0777), 0);
    snprintf(cmd, sizeof cmd, "%s/.gitlab-ci.yml", repo);
    FILE *f = fopen(cmd, "w");
    cr_assert_not_null(f);
    fputs(yml, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p ci/gitlab && cp %s ci/gitlab/ && git init -q && git add -A && "
             "git -c user.name=resetlab -c user.email=resetlab@localhost commit -qm pipeline",
             repo, src);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "git: %s", err);
}

/* gitlab-ci-local in the repository with `args`; its output in out. */
static int gitlab_ci_local(const char *repo, const char *args, char *out, size_t out_len, char *err,
                           size_t err_len)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s/node_modules/gitlab-ci-local/src/index.js --home %s/.home --no-color %s",
             repo, node_bin(), js_dir(), repo, args);
    return run_shell(cmd, out, out_len, err, err_len);
}

Test(pipeline, the_template_makes_shards_a_machine_job_and_the_report, .timeout = 60)
{
    require_gitlab_ci_local();
    make_repo(LIST_REPO);
    static char out[65536], err[65536];
    int rc = gitlab_ci_local(LIST_REPO, "--list", out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "gitlab-ci-local --list: %s%s", out, err);
    const char *jobs[] = {"resetlab-sim: [1/3]", "resetlab-sim: [2/3]", "resetlab-sim: [3/3]", "resetlab-real",
                          "resetlab-report"};
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
        cr_expect(strstr(out, jobs[i]), "no job %s in:\n%s", jobs[i], out);
    cr_expect_null(strstr(out, "\npages "), "Pages only when RESETLAB_PAGES is true:\n%s", out);
    cr_expect_eq(count_of(out, " test "), 4, "shards and machine in stage test:\n%s", out);
    rc = gitlab_ci_local(LIST_REPO, "--list --variable RESETLAB_PAGES=true", out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "\npages "), "Pages when RESETLAB_PAGES is true:\n%s", out);
    remove_tree(LIST_REPO);
}

/* The lab machine's job alone, on the README's field failure (devkitc on a
 * USB-passthrough VM, esptool's classic reset: 131 of 200 pass), without the
 * gates file that lists it as known: resetlab run exits 1, the job passes with exit-status 1 for the report job to fail on,
 * and its artifacts are the store, summary, JUnit and metrics, not runs.jsonl. */
Test(pipeline, a_machine_job_with_failing_cells_passes_and_records_it, .timeout = 60)
{
    require_gitlab_ci_local();
    make_repo(MACHINE_REPO);
    char boards[600], scenarios[600], args[2048];
    src_path("boards.yaml", boards, sizeof boards);
    src_path("scenarios", scenarios, sizeof scenarios);
    snprintf(args, sizeof args,
             "--shell-isolation resetlab-real --variable 'RESETLAB_REAL_ARGS=--boards %s --scenarios %s --board devkitc "
             "--host vm-usb-passthrough --scenario esptool-classic --iterations 20 --no-known'",
             boards, scenarios);
    static char out[65536], err[65536];
    int rc = gitlab_ci_local(MACHINE_REPO, args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "gitlab-ci-local: %s%s", out, err);
    cr_expect(strstr(out, "PASS  resetlab-real"), "%s", out);
    cr_expect(strstr(out, "cells met their expectation (20 runs)"), "resetlab ran the cell:\n%s", out);
    char *status = slurp(MACHINE_REPO "/shards/real-bench-1/exit-status", NULL);
    cr_assert_not_null(status, "no exit-status");
    cr_expect_str_eq(status, "1\n");
    free(status);
    const char *art = MACHINE_REPO "/.gitlab-ci-local/artifacts/resetlab-real/shards/real-bench-1";
    const char *kept[] = {"results.db", "summary.json", "junit.xml", "resetlab.prom", "exit-status"};
    char path[700];
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", art, kept[i]);
        cr_expect_eq(access(path, R_OK), 0, "no artifact %s", kept[i]);
    }
    snprintf(path, sizeof path, "%s/runs.jsonl", art);
    cr_expect_eq(access(path, F_OK), -1, "runs.jsonl stays out of the artifacts");
    remove_tree(MACHINE_REPO);
}

/* `resetlab run --shard K/N` and `resetlab merge` (issue 22, item 5 and
 * issue 21, item 3), which the template runs. */
static int shards_and_merge_exist(void)
{
    char out[16384], err[1024];
    return run_cli("run --help", out, sizeof out, err, sizeof err) == 0 && strstr(out, "--shard") &&
           run_cli("merge --help", out, sizeof out, err, sizeof err) == 0;
}

Test(pipeline, the_whole_pipeline_merges_to_the_unsharded_summary, .timeout = 120)
{
    require_gitlab_ci_local();
    if (!shards_and_merge_exist())
        cr_skip_test("this resetlab has no `run --shard K/N` or no `merge` yet (issue 22 item 5, issue 21 item 3): "
                     "the template's jobs were listed, not run");
    make_repo(REPO);
    static char out[262144], err[65536];
    int rc = gitlab_ci_local(REPO, "--shell-isolation --concurrency 2", out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "the pipeline failed:\n%s%s", out, err);
    const char *passed[] = {"PASS  resetlab-sim: [1/3]", "PASS  resetlab-sim: [2/3]", "PASS  resetlab-sim: [3/3]",
                            "PASS  resetlab-real", "PASS  resetlab-report"};
    for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++)
        cr_expect(strstr(out, passed[i]), "no %s in:\n%s", passed[i], out);
    const char *files[] = {"shards/sim-1-of-3/results.db", "shards/sim-3-of-3/resetlab.prom",
                           "shards/real-bench-1/results.db", "report/index.html", "report/junit.xml",
                           "report/summary.json", "report/resetlab.prom"};
    char path[600];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, REPO "/%s", files[i]);
        cr_expect_eq(access(path, R_OK), 0, "no artifact %s", files[i]);
    }
    /* the same matrix unsharded, merged with the machine's store */
    char boards[600], scenarios[600], cmd[4096];
    src_path("boards.yaml", boards, sizeof boards);
    src_path("scenarios", scenarios, sizeof scenarios);
    snprintf(cmd, sizeof cmd, "run --boards %s --scenarios %s " SIM_ARGS " --out " REPO "/ref/sim", boards, scenarios);
    rc = run_cli(cmd, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "the unsharded run: %s", err);
    /* in the order the pipeline's shards/NAME/results.db glob gives: real-bench-1 before sim-* */
    rc = run_cli("merge " REPO "/shards/real-bench-1/results.db " REPO "/ref/sim/results.db --db " REPO "/ref/all.db",
                 out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "merge: %s", err);
    rc = run_cli("report --db " REPO "/ref/all.db --sessions merged --report " REPO "/ref/report", out, sizeof out, err,
                 sizeof err);
    cr_assert_eq(rc, 0, "report: %s", err);
    char *merged = slurp(REPO "/report/summary.json", NULL), *whole = slurp(REPO "/ref/report/summary.json", NULL);
    cr_assert(merged && whole, "both summaries are there");
    cr_expect_str_eq(merged, whole, "the pipeline's merged summary differs from the unsharded one");
    free(merged);
    free(whole);
    remove_tree(REPO);
}
