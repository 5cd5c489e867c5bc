/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PulseView as the second viewer (issue 24, item 5): beside each capture
 * `run --captures` keeps, a .pvs setup naming and colouring its channels as
 * the report's diagrams do, with the UART decoder on RX at the chip's ROM
 * rate (ESP32 115200: the decoder's default; ESP8266 74880: an option);
 * opened by Debian's pulseview under Xvfb: the session and its decoder
 * come up, and a screenshot is taken. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/resetlab-pvs-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) { remove_tree(dir); }

TestSuite(pvs, .init = setup, .fini = teardown, .timeout = 120);

/* One run of the board's esptool-classic, its capture kept; the .pvs text. */
static char *capture(const char *board, char *sr, size_t len)
{
    char args[512], out[8192], err[4096];
    snprintf(args, sizeof args, "run --board %s --host native-linux --scenario esptool-classic --iterations 1 "
             "--captures all --quiet --out %s/%s", board, dir, board);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert(rc == 0 || rc == 1, "%s", err);
    snprintf(sr, len, "%s/%s/captures/%s--native-linux--esptool-classic--0.sr", dir, board, board);
    cr_assert_eq(access(sr, R_OK), 0, "no %s", sr);
    char pvs[600];
    snprintf(pvs, sizeof pvs, "%.*s.pvs", (int)(strlen(sr) - 3), sr);
    char *text = slurp(pvs, NULL);
    cr_assert_not_null(text, "no .pvs beside %s", sr);
    return text;
}

Test(pvs, channels_named_and_coloured_as_the_diagrams_with_uart_on_rx)
{
    char sr[600];
    char *t = capture("devkitc", sr, sizeof sr);
    /* QColor::rgba() of the diagrams' lanes: DTR #1f5fbf, RTS #1a8a3a, EN black, IO0 #7b3fa0, RX #b35900 */
    const char *want[] = {"[DTR]\nname=DTR\nenabled=true\ncolor=4280246207\n", "[RTS]\nname=RTS\nenabled=true\ncolor=4279929402\n",
                          "[EN]\nname=EN\nenabled=true\ncolor=4278190080\n", "[IO0]\nname=IO0\nenabled=true\ncolor=4286267296\n",
                          "[RX]\nname=RX\nenabled=true\ncolor=4289943808\n", "decoder0\\id=uart\n",
                          "decoder0\\options=0\n", "channel0\\assigned_signal_name=RX\n",
                          "[General]\ndecode_signals=1\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(strstr(t, want[i]), "no '%s' in:\n%s", want[i], t);
    free(t);
}

Test(pvs, the_esp8266s_74880_baud_is_the_decoders_option)
{
    char sr[600];
    char *t = capture("nodemcu-esp8266", sr, sizeof sr);
    /* 74880 = 0x12480, an int64 GVariant's bytes, little endian */
    cr_expect(strstr(t, "decoder0\\options=1\ndecoder0\\option0\\name=baudrate\ndecoder0\\option0\\type=x\n"
                        "decoder0\\option0\\value=@ByteArray(\\x80\\x24\\x01\\x00\\x00\\x00\\x00\\x00)\n"),
              "%s", t);
    free(t);
}

static int have(const char *tool)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

Test(pvs, pulseview_opens_the_capture_with_its_decoder)
{
    if (!have("pulseview") || !have("xvfb-run") || !have("xwd") || !have("xwdtopnm") || !have("pnmtopng"))
        cr_skip_test("pulseview, xvfb-run, xwd or netpbm is not installed: PulseView was not opened");
    char sr[600], pvs[600], cmd[3000], out[1 << 16], err[1 << 14], log[200], png[200];
    free(capture("nodemcu-esp8266", sr, sizeof sr));
    snprintf(pvs, sizeof pvs, "%.*s.pvs", (int)(strlen(sr) - 3), sr);
    snprintf(log, sizeof log, "%s/pulseview.log", dir);
    snprintf(png, sizeof png, "%s/pulseview.png", dir);
    /* a home of its own: PulseView reopens the sessions its config remembers */
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/home && HOME=%s/home XDG_CONFIG_HOME=%s/home timeout 60 xvfb-run -a -s '-screen 0 1280x800x24' "
             "sh -c 'pulseview -l 5 -s \"%s\" \"%s\" >\"%s\" 2>&1 & p=$!; sleep 8; "
             "xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >\"%s\"; kill $p; wait $p; exit 0'",
             dir, dir, dir, pvs, sr, log, png);
    cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "%s%s", out, err);
    char *l = slurp(log, NULL);
    cr_assert_not_null(l);
    cr_expect(strstr(l, "Creating new uart instance"), "no UART decoder in PulseView's log:\n%.3000s", l);
    cr_expect(strstr(l, "Setting channel mapping: rx (PD ch idx 0) = input data ch idx"), "RX not mapped:\n%.3000s", l);
    cr_expect(strstr(l, "Decoding:"), "nothing decoded:\n%.3000s", l);
    free(l);
    struct stat st;
    cr_expect(stat(png, &st) == 0 && st.st_size > 20000, "the screenshot is blank or missing (%lld bytes)",
              (long long)st.st_size);
}
