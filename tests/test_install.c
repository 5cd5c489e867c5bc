/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `cmake --install` as a user runs it: the binary, the shipped lab in
 * share/resetlab and the man pages under a prefix chosen at install time,
 * and the installed resetlab run from another folder finding that lab.
 * Needs cmake, groff and man (ci/bootstrap installs them). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char out[1 << 16], err[1 << 14];
static char prefix[PATH_MAX]; /* realpath of the install prefix */
static char tmp[] = "/tmp/resetlab-install-XXXXXX";

/* Installs the build this test belongs to (RESETLAB_BIN's folder) into a
 * new prefix, once for the suite. */
static void install_once(void)
{
    const char *bin = getenv("RESETLAB_BIN");
    cr_assert(bin != NULL, "RESETLAB_BIN is not set (run the tests through ctest)");
    char build[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(build, sizeof build, "%s", bin);
    cr_assert(mkdtemp(tmp));
    cr_assert(realpath(tmp, prefix));
    strncat(prefix, "/p", sizeof prefix - strlen(prefix) - 1);
    snprintf(cmd, sizeof cmd, "cmake --install %s --prefix %s", dirname(build), prefix);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s: %s%s", cmd, out, err);
}

static void remove_install(void)
{
    remove_tree(tmp);
}

TestSuite(install, .init = install_once, .fini = remove_install);

static const char *at(const char *rel)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", prefix, rel);
    return path;
}

static int count_yaml(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "%s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strlen(e->d_name) > 5 && strcmp(e->d_name + strlen(e->d_name) - 5, ".yaml") == 0;
    closedir(d);
    return n;
}

Test(install, puts_the_binary_the_shipped_lab_and_a_page_per_command)
{
    cr_expect(access(at("bin/resetlab"), X_OK) == 0);
    cr_expect(access(at("share/resetlab/boards.yaml"), R_OK) == 0);
    char src[PATH_MAX];
    cr_expect_eq(count_yaml(at("share/resetlab/scenarios")), count_yaml(src_path("scenarios", src, sizeof src)));
    cr_expect(access(at("share/man/man1/resetlab.1"), R_OK) == 0);
    cr_assert_eq(run_cli("--help", out, sizeof out, err, sizeof err), 0);
    /* every command `resetlab --help` lists has its page */
    for (char *line = strstr(out, "commands:\n"); line && (line = strstr(line, "\n  ")) != NULL; line++) {
        char name[32], page[64];
        if (sscanf(line + 3, "%31s", name) != 1)
            break;
        snprintf(page, sizeof page, "share/man/man1/resetlab-%s.1", name);
        cr_expect(access(at(page), R_OK) == 0, "no %s", page);
    }
    cr_expect(access(at("share/doc/resetlab/LICENSE"), R_OK) == 0);
}

Test(install, run_from_another_folder_uses_the_installed_lab)
{
    char cmd[4 * PATH_MAX], want[PATH_MAX + 64], elsewhere[PATH_MAX + 16];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", tmp);
    cr_assert(mkdir(elsewhere, 0700) == 0);
    snprintf(cmd, sizeof cmd, "cd %s && %s list", elsewhere, at("bin/resetlab"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(want, sizeof want, "boards (%s/share/resetlab/boards.yaml):\n", prefix);
    cr_expect(strncmp(out, want, strlen(want)) == 0, "%s", out);
    cr_expect(strstr(out, "esptool-classic-slow"), "the installed scenarios: %s", out);

    snprintf(cmd, sizeof cmd,
             "cd %s && %s run --jsonl --board devkitc --host native-linux --scenario esptool-tight --iterations 5 --out o",
             elsewhere, at("bin/resetlab"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    cr_expect(strstr(out, "1 of 1 cells met their expectation (5 runs)"), "%s", out);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/o/runs.jsonl", elsewhere);
    char *runs = slurp(path, NULL);
    cr_assert(runs != NULL);
    cr_expect_eq(count_of(runs, "\n"), 5);
    free(runs);
    snprintf(path, sizeof path, "%s/o/index.html", elsewhere);
    cr_expect(access(path, R_OK) == 0);

    /* a lab in the folder a user works in comes first */
    char lab[PATH_MAX + 64];
    snprintf(lab, sizeof lab, "%s", at("share/resetlab/boards.yaml"));
    snprintf(cmd, sizeof cmd, "cd %s && cp %s boards.yaml && %s list", elsewhere, lab, at("bin/resetlab"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strncmp(out, "boards (boards.yaml):\n", 22) == 0, "%s", out);
}

Test(install, man_opens_the_installed_pages)
{
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "man -M %s -w resetlab-run", at("share/man"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(out, "man1/resetlab-run.1"), "%s", out);
    snprintf(cmd, sizeof cmd, "MANWIDTH=80 man -l %s | head -5", at("share/man/man1/resetlab-run.1"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(out, "RESETLAB-RUN(1)") && strstr(out, "resetlab-run - run scenarios"), "%s", out);
    snprintf(cmd, sizeof cmd, "MANWIDTH=80 man -l %s", at("share/man/man1/resetlab.1"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(out, "resetlab-observe(1)"), "%s", out);
}

/* serve --tty finds the preload library the install put in lib/resetlab,
 * from the binary's own folder (not the build tree's). */
Test(install, serve_tty_finds_the_installed_library)
{
    cr_expect(access(at("lib/resetlab/libresetlab-tty.so"), R_OK) == 0);
    char cmd[4 * PATH_MAX], want[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "cd %s && timeout -s TERM 1 %s serve --board devkitc --tty --out %s/tty-log; true", tmp,
             at("bin/resetlab"), tmp);
    run_shell(cmd, out, sizeof out, err, sizeof err);
    snprintf(want, sizeof want, "\nLD_PRELOAD=%s/lib/resetlab/libresetlab-tty.so RESETLAB_TTY=/dev/pts/", prefix);
    cr_expect(strstr(out, want) != NULL, "%s%s", out, err);
}

/* A lab file with `include: resetlab` finds the installed library with no
 * path: an override that makes one of its values wrong (sim-la turned into
 * a sigrok analyzer keeps its sample_rate_hz) is reported in the installed
 * file (docs/lab.md#include). */
Test(install, include_resetlab_finds_the_installed_library)
{
    char cmd[4 * PATH_MAX], dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/mine", tmp);
    cr_assert(mkdir(dir, 0700) == 0);
    snprintf(cmd, sizeof cmd,
             "cd %s && printf 'include: resetlab\\nboards:\\n  b: {chip: esp32, bridge: ch340, circuit: two-transistor, "
             "en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}, io0: {pullup_ohms: 10000, c_farads: 1.0e-11}, "
             "vdd: 3.3, port: sim, analyzer: sim-la}\\n' > lab.yaml && %s list --boards lab.yaml",
             dir, at("bin/resetlab"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_expect(strstr(out, "boards (lab.yaml):\n  b ") != NULL, "%s", out);
    snprintf(cmd, sizeof cmd,
             "cd %s && printf 'analyzers:\\n  sim-la: {kind: sigrok}\\n' >> lab.yaml && %s list --boards lab.yaml", dir,
             at("bin/resetlab"));
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 2, "%s", out);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "resetlab: %s/share/resetlab/boards.yaml:", prefix);
    cr_expect(strncmp(err, want, strlen(want)) == 0 && strstr(err, "analyzers.sim-la: unknown key 'sample_rate_hz'"),
              "%s", err);
}
