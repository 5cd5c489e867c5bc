/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The esptool-js suites' fixture (test_esptool_js.c, test_esptool_js_flash.c):
 * node and the npm packages, or the test fails in one line saying what to
 * run; tests/js/esptool_js_check.mjs run on a board, its summary checked
 * against the shipped lab; the serve log's SYNC answers and replays. */
#ifndef RESETLAB_ESPTOOL_JS_FIXTURE_H
#define RESETLAB_ESPTOOL_JS_FIXTURE_H

#include "serve_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline const char *node_bin(void)
{
    const char *node = getenv("RESETLAB_NODE");
    return node && node[0] ? node : "node";
}

/* The folder npm ci installed into (ctest sets RESETLAB_JS_DIR to BUILD/js). */
static inline const char *js_dir(void)
{
    const char *dir = getenv("RESETLAB_JS_DIR");
    cr_assert(dir != NULL && dir[0], "RESETLAB_JS_DIR is set by ctest (tests/CMakeLists.txt)");
    return dir;
}

/* node and the packages, or the test fails in one line saying what to run. */
static inline void require_node_and_packages(void)
{
    char cmd[300], out[256], err[512];
    snprintf(cmd, sizeof cmd, "%s --version", node_bin());
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0,
                 "node is not installed (ci/bootstrap installs Debian's nodejs and npm): %s", err);
    char pkg[600];
    struct stat st;
    snprintf(pkg, sizeof pkg, "%s/node_modules/esptool-js/package.json", js_dir());
    cr_assert(stat(pkg, &st) == 0, "esptool-js is not installed in %s/node_modules (ci/bootstrap runs npm ci there)",
              js_dir());
}

/* The script on `board` at `where` (--url URL or --port PATH), run with
 * `env` (VAR=VALUE ..., or ""); its stdout, and its stderr when it failed.
 * Returns the exit status. */
static inline int run_check(const char *board, const char *env, const char *where, const char *modules,
                            const char *extra, char *out, size_t out_len, char *err, size_t err_len)
{
    char script[512], boards[512], cmd[3072];
    src_path("tests/js/esptool_js_check.mjs", script, sizeof script);
    src_path("boards.yaml", boards, sizeof boards);
    snprintf(cmd, sizeof cmd, "exec %s%s%s%s %s --board %s %s --boards %s --modules %s --timeout 90 %s",
             env[0] ? "env " : "", env, env[0] ? " " : "", node_bin(), script, board, where, boards, modules, extra);
    return run_shell(cmd, out, out_len, err, err_len);
}

/* esptool-js on `board` with the script's `args` (--until STEP, --baud N),
 * every step passed; its summary line, printed on stderr with the seconds
 * (ctest -V), and the chip-detect word checked against the shipped lab. */
static inline void esptool_js_passes(const char *board, const char *env, const char *where, const char *args,
                                     char *out, size_t out_len)
{
    require_node_and_packages();
    char err[4096];
    int64_t t0 = mono_ms();
    int status = run_check(board, env, where, js_dir(), args, out, out_len, err, sizeof err);
    cr_assert_eq(status, 0, "esptool-js (exit %d):\n%s", status, err);
    fprintf(stderr, "esptool-js on %s at %s: %.1f s: %s", board, where, (double)(mono_ms() - t0) / 1000, out);
    struct lab lab;
    load_shipped_lab(&lab);
    char magic[48];
    snprintf(magic, sizeof magic, "\"magic\":\"0x%08x\"", lab_board(&lab, board)->chip->rom.magic);
    lab_free(&lab);
    cr_assert(strstr(out, magic) != NULL, "the chip-detect word boards.yaml gives, %s: %s", magic, out);
}

/* The serve log's attempt lines in which the ROM answered SYNC, and the
 * resets the server replayed in all. */
static inline int synced_attempts(const char *log)
{
    return count_of(log, "\"sync\": true");
}

static inline int replays(const char *log)
{
    int n = 0;
    const char *key = "\"replays\": ";
    for (const char *p = log; (p = strstr(p, key)) != NULL; p += strlen(key))
        n += atoi(p + strlen(key));
    return n;
}

#endif
