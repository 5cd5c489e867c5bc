/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab serve`'s attempts follow a tool's session (issue 20, item 4):
 * esptool's connect and its --after hard_reset are two attempts, each
 * judged for what the tool wanted then; esptool's 0.55 s reset delay stays
 * in one attempt; the USB-Serial/JTAG download flag set in one attempt is
 * the next one's starting state. The sessions are esptool's, played by
 * pyserial's RFC 2217 client (tests/esptool_session.py). */
#include "serve_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(serve_sessions, .init = make_dir, .fini = drop_dir, .timeout = 60);

/* Runs tests/esptool_session.py MODE URL under the environment ENV ("":
 * none; serve --tty's for its port); its stdout; asserts its exit status. */
static void run_session_in(const char *env, const char *mode, const char *url, int want_rc, char *out, size_t len)
{
    char script[512], cmd[2048];
    src_path("tests/esptool_session.py", script, sizeof script);
    snprintf(cmd, sizeof cmd, "env %s %s %s %s '%s'", env, test_python(), script, mode, url);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == want_rc, "%s: status %d: %s", mode, st, out);
}

static void run_session(const char *mode, const char *url, int want_rc, char *out, size_t len)
{
    run_session_in("", mode, url, want_rc, out, len);
}

/* serve.jsonl's attempt lines, in order. */
static int attempt_lines(char *log, char **lines, int max)
{
    int n = 0;
    for (char *save = NULL, *l = strtok_r(log, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, "{\"attempt\": ", 12) == 0)
            lines[n++] = l;
    return n;
}

/* Those that asked for a reset (not pyserial's open alone). */
static int reset_lines(char **lines, int n, char **out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strstr(lines[i], "\"wanted\": \"any\"") == NULL)
            out[k++] = lines[i];
    return k;
}

static double field(const char *line, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *p = strstr(line, key);
    cr_assert_not_null(p, "no %s in %s", name, line);
    return strtod(p + strlen(key), NULL);
}

/* The server's human lines (its stderr), once it has stopped. */
static char *human_lines(const struct server *sv)
{
    char *human = slurp(sv->err_path, NULL);
    cr_assert_not_null(human);
    return human;
}

/* esptool's connect (ClassicReset, answered by --reset-replay's tight
 * reset), SYNC and READ_REG, then at once its HardReset: two attempts, the
 * first judged for download with its SYNC answered, the second for flash.
 * Before: one attempt, "flash (wanted download), SYNC unanswered", margin
 * about -445 ms (the hard reset's boot against the connect's wish). */
Test(serve_sessions, a_connect_then_hard_reset_are_two_attempts)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "--reset-replay");
    char out[1024];
    run_session("connect-hard-reset", sv.url, 0, out, sizeof out);
    cr_assert(strstr(out, "\"sync\": true") != NULL, "%s", out);
    usleep(700 * 1000); /* the last attempt ends once the board rests and all is quiet */
    stop_server(&sv);
    char *human = human_lines(&sv);

    char *log = read_log(), *all[16], *lines[16];
    int n = reset_lines(all, attempt_lines(log, all, 16), lines);
    cr_assert_eq(n, 2, "the connect and the hard reset: %s", human);
    cr_assert(strstr(lines[0], "\"wanted\": \"download\", \"outcome\": \"download\", \"verdict\": \"pass\"") != NULL,
              "%s", lines[0]);
    cr_assert(strstr(lines[0], "\"sync\": true") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[0], "\"started_replay\": true") != NULL, "%s", lines[0]);
    cr_assert(strstr(lines[1], "\"ops\": [{\"op\": \"R1\"") != NULL, "the hard reset's RTS on begins it: %s",
              lines[1]);
    cr_assert(strstr(lines[1], "\"wanted\": \"flash\", \"outcome\": \"flash\", \"verdict\": \"pass\"") != NULL, "%s",
              lines[1]);
    cr_assert(strstr(lines[1], "\"closed\": true") != NULL, "%s", lines[1]);
    cr_assert(field(lines[1], "margin_ms") > 40, "IO0 high all through the strap window: %s", lines[1]);
    cr_assert(strstr(human, "→ download (wanted download), SYNC answered") != NULL, "%s", human);
    cr_assert(strstr(human, "R1 D0 R0 D0 C  → flash (wanted flash)") != NULL, "%s", human);
    free(log);
    free(human);
}

/* esptool's ClassicReset with the 0.55 s delay of its connect loop's
 * second try (no replay: over RFC 2217 the chip boots from flash, esptool
 * #383): one attempt from DTR off to IO0 released, although the lines are
 * still for 0.55 s, longer than --attempt-gap-ms (300). Its line says why
 * it booted from flash: the gap the client's round trip made outlasted
 * EN's release. Before: two attempts, the second "D0 S → no-reset". */
Test(serve_sessions, a_slow_classic_reset_is_one_attempt)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "");
    char out[1024];
    run_session("slow-reset", sv.url, 0, out, sizeof out);
    usleep(700 * 1000);
    stop_server(&sv);
    char *human = human_lines(&sv);

    char *log = read_log(), *lines[16];
    int n = attempt_lines(log, lines, 16);
    cr_assert_eq(n, 2, "pyserial's open, then the whole reset: %s", human);
    cr_assert(strstr(lines[0], "\"wanted\": \"any\"") != NULL, "%s", lines[0]);
    const char *reset = lines[1];
    cr_assert_eq(count_of(reset, "\"by\": \"client\""), 8, "D0 R1 D0 D1 R0 D1 D0 and the SYNC: %s", reset);
    cr_assert(strstr(reset, "\"wanted\": \"download\", \"outcome\": \"flash\"") != NULL, "%s", reset);
    cr_assert(strstr(reset, "\"kind\": \"gap-outlasted-en\"") != NULL, "%s", reset);
    cr_assert(field(reset, "gap_waiting_ms") > 40 && field(reset, "gap_bridge_ms") < 10,
              "the client's round trip, not the bridge: %s", reset);
    cr_assert_float_eq(field(reset, "en_release_ms"), 13.863, 0.01, "10 kOhm x 1 uF to 0.75 VDD");
    cr_assert(strstr(human, "D0 R1 D0 D1 R0 D1 D0 S C  → flash (wanted download)") != NULL, "%s", human);
    cr_assert(strstr(human, "waiting for the client's next command") != NULL, "%s", human);
    cr_assert(strstr(human, "gap-outlasted-en: booted flash") != NULL, "%s", human);
    free(log);
    free(human);
}

/* esp32c3-usb, six runs of open + ClassicReset + SYNC: pyserial's open
 * raises DTR before RTS, (DTR1,RTS0) sets the USB-Serial/JTAG download
 * flag, and the reset of the next attempt boots download with it. Each
 * attempt's analysis starts from that flag: no prediction-mismatch. Before:
 * one in each of the six. */
Test(serve_sessions, the_usb_download_flag_carries_across_attempts)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "esp32c3-usb", "");
    char out[2048];
    run_session("runs6", sv.url, 0, out, sizeof out);
    cr_assert_eq(count_of(out, "\"sync\": true"), 6, "%s", out);
    usleep(700 * 1000);
    stop_server(&sv);

    char *log = read_log(), *all[32], *lines[32];
    int n = reset_lines(all, attempt_lines(log, all, 32), lines);
    cr_assert_eq(n, 6);
    for (int i = 0; i < n; i++) {
        cr_assert(strstr(lines[i], "\"wanted\": \"download\", \"usb_flag_at_start\": true, \"outcome\": \"download\", "
                                   "\"verdict\": \"pass\"") != NULL,
                  "%s", lines[i]);
        cr_assert(strstr(lines[i], "prediction-mismatch") == NULL, "%s", lines[i]);
    }
    free(log);
}

/* serve --help says how attempts are split. */
Test(serve_sessions, help_says_how_attempts_split)
{
    char out[16384], err[1024];
    cr_assert_eq(run_cli("serve --help", out, sizeof out, err, sizeof err), 0);
    cr_assert(strstr(out, "a reset and the session after it") != NULL, "%s", out);
    cr_assert(strstr(out, "sequence is held open (EN or IO0 pulled low)") != NULL, "%s", out);
    cr_assert(strstr(out, "a SLIP frame, a UART byte") != NULL, "%s", out);
}

/* Two esptool commands one after the other on the local virtual port: the
 * second opens the port ~0.2 s after the first closed it (esptool 5.3 took
 * 0.25 s from its close to the next one's open here), under
 * --attempt-gap-ms (0.3 s) but after the hard reset has settled (5 τ on EN,
 * 50 ms). A new client is a new attempt: four, the connect and the
 * hard reset of each. Before: the first command's hard reset and the
 * second's connect were one attempt (resets: 2), judged on its last. */
Test(serve_sessions, the_next_commands_connect_is_its_own_attempt)
{
    skip_without_pyserial();
    struct server sv;
    start_server(&sv, "devkitc", "--tty");
    char out[1024];
    run_session_in(sv.tty_env, "connect-hard-reset", sv.tty, 0, out, sizeof out);
    usleep(150 * 1000); /* and the second process's start: python3 takes ~30 ms */
    run_session_in(sv.tty_env, "connect-hard-reset", sv.tty, 0, out, sizeof out);
    usleep(700 * 1000);
    stop_server(&sv);
    char *human = human_lines(&sv);

    char *log = read_log(), *all[16], *lines[16];
    int n = reset_lines(all, attempt_lines(log, all, 16), lines);
    cr_assert_eq(n, 4, "a connect and a hard reset per command: %s", human);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(count_of(lines[i], "\"op\": \"R1\""), 1, "one reset in attempt %d: %s", i + 1, lines[i]);
        cr_assert(strstr(lines[i], i % 2 ? "\"wanted\": \"flash\", \"outcome\": \"flash\", \"verdict\": \"pass\""
                                         : "\"wanted\": \"download\", \"outcome\": \"download\", \"verdict\": \"pass\"") !=
                      NULL,
                  "attempt %d: %s", i + 1, lines[i]);
    }
    free(log);
    free(human);
}
