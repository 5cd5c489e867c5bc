/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab observe --serve` on whole tool sessions (issue 20, item 4): the
 * resets a tool asks for (esptool's connect, its --after hard_reset) are
 * never spurious; a command that failed says so in the verdict and in the
 * exit status; a reset made by the close still is spurious. The sessions
 * are esptool's, played by pyserial's RFC 2217 client
 * (tests/esptool_session.py). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out_dir[64];

static void make_dir(void)
{
    snprintf(out_dir, sizeof out_dir, "/tmp/resetlab-observe-XXXXXX");
    cr_assert_not_null(mkdtemp(out_dir));
}

static void drop_dir(void)
{
    remove_tree(out_dir);
}

TestSuite(observe_sessions, .init = make_dir, .fini = drop_dir, .timeout = 60);

static int observe_session(const char *board, const char *mode, char *out, size_t out_len)
{
    char script[512], args[1400], err[4096];
    src_path("tests/esptool_session.py", script, sizeof script);
    snprintf(args, sizeof args, "observe --board %s --serve --listen 127.0.0.1:0 --out %s/%s -- %s %s %s {url}",
             board, out_dir, mode, test_python(), script, mode);
    return run_cli(args, out, out_len, err, sizeof err);
}

/* esptool's connect (ClassicReset; on esp32c3-usb the download flag
 * pyserial's open set makes it boot download), SYNC, READ_REG, then its
 * HardReset and the close within 200 ms: two resets the tool asked for.
 * Before: both "the tool closing the port — SPURIOUS" (the close burst ran
 * over the SYNC) and exit 1 although the tool succeeded. */
Test(observe_sessions, esptool_connect_and_hard_reset_are_not_spurious)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe_session("esp32c3-usb", "connect-hard-reset", out, sizeof out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "(exit 0, ") != NULL, "%s", out);
    cr_assert(strstr(out, "resets: 2\n") != NULL, "%s", out);
    cr_assert_eq(count_of(out, "SPURIOUS"), 0, "%s", out);
    cr_assert(strstr(out, "by D0: the tool's reset sequence; booted download") != NULL, "%s", out);
    cr_assert(strstr(out, "by R1: the tool's reset sequence; booted flash") != NULL, "%s", out);
    cr_assert(strstr(out, "prediction-mismatch") == NULL, "%s", out);
    cr_assert(strstr(out, "verdict: no spurious reset\n") != NULL, "%s", out);
}

/* The tool connected and then failed (exit 2): the verdict says so and
 * observe exits 3. Before: "verdict: no spurious reset" (or the connect
 * called spurious) and exit 0 or 1. */
Test(observe_sessions, a_failed_command_says_so)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe_session("esp32c3-usb", "connect-fail", out, sizeof out);
    cr_assert_eq(rc, 3, "%s", out);
    cr_assert(strstr(out, "(exit 2, ") != NULL, "%s", out);
    cr_assert(strstr(out, "resets: 1\n") != NULL, "%s", out);
    cr_assert_eq(count_of(out, "SPURIOUS"), 0, "%s", out);
    cr_assert(strstr(out, "verdict: no spurious reset; the command failed (exit 2)\n") != NULL, "%s", out);
}

/* A tool that talked to the chip (a SYNC, no reset), then cleared DTR
 * before RTS as it closed (Windows' order): that reset is the close's,
 * spurious, and observe exits 1. */
Test(observe_sessions, a_close_burst_after_talking_is_still_spurious)
{
    skip_without_pyserial();
    char out[8192];
    int rc = observe_session("devkitc", "talk-then-close", out, sizeof out);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert_eq(count_of(out, "SPURIOUS"), 1, "%s", out);
    cr_assert(strstr(out, "by D0: the tool closing the port — SPURIOUS") != NULL, "%s", out);
    cr_assert(strstr(out, "verdict: 1 spurious reset: the tool reset the board without asking for it\n") != NULL,
              "%s", out);
}

/* observe --help states the exit statuses. */
Test(observe_sessions, help_states_the_exit_statuses)
{
    char out[8192], err[1024];
    cr_assert_eq(run_cli("observe --help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "3 COMMAND failed") != NULL, "%s", out);
    cr_assert(strstr(out, "never spurious") != NULL, "%s", out);
}
