/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report draws a real board's typical and worst run from the capture
 * `run --captures all` kept (harness/run/run_readback.c), instead of "is a
 * real board: its runs cannot be re-simulated": a real session through the
 * serial seam and libsigrok's demo analyzer (whose lines never move, so
 * every run fails with no reset), then the report written from its store;
 * without the captures the page says which capture is missing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"
#include "harness/port/port_serial.h"
#include "harness/report/report.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_session.h"
#include "helpers.h"

static int bits_now;
static int fake_open(const char *path, void **handle, char *why, size_t len)
{
    (void)path, (void)why, (void)len;
    *handle = &bits_now;
    bits_now = TIOCM_DTR | TIOCM_RTS;
    return 0;
}
static int fake_close(void *h) { (void)h; return 0; }
static int fake_exclusive(void *h) { (void)h; return 0; }
static int fake_get_bits(void *h, int *bits) { (void)h; *bits = bits_now; return 0; }
static int fake_set_bits(void *h, int bits) { (void)h; bits_now = bits; return 0; }
static int fake_bis(void *h, int bits) { (void)h; bits_now |= bits; return 0; }
static int fake_bic(void *h, int bits) { (void)h; bits_now &= ~bits; return 0; }
static int fake_write(void *h, const uint8_t *b, size_t n) { (void)h, (void)b, (void)n; return 0; }
static int fake_list(struct serial_port_info *out, int max)
{
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB0");
    out->transport = SERIAL_USB;
    out->vid = 0x10c4, out->pid = 0xea60;
    return 1;
}
static const struct serial_sys fake_sys = {.open = fake_open, .close = fake_close, .exclusive = fake_exclusive,
    .get_bits = fake_get_bits, .set_bits = fake_set_bits, .bis = fake_bis, .bic = fake_bic, .write = fake_write,
    .list = fake_list};

static int no_report(const char *db, int64_t session, const char *finished, const char *out_dir,
                     volatile sig_atomic_t *stop, char *page, size_t page_len, char *err, size_t err_len)
{
    (void)db, (void)session, (void)finished, (void)stop, (void)err, (void)err_len;
    snprintf(page, page_len, "%s/index.html", out_dir);
    return 0;
}

/* bench-devkitc on usb:10c4:ea60 with the demo analyzer, 2 runs of
 * esptool-hard-reset, captures kept or not; then the report. The page's
 * text (malloc'd). */
static char *real_session_report(enum capture_keep keep, char *dir, size_t dir_len)
{
    snprintf(dir, dir_len, "/tmp/resetlab-rcap-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char lab_path[300], scen[512], lock_dir[320], err[700], db[320];
    snprintf(lock_dir, sizeof lock_dir, "%s/locks", dir);
    cr_assert_eq(mkdir(lock_dir, 0700), 0);
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
    snprintf(lab_path, sizeof lab_path, "%s/boards.yaml", dir);
    char *text = shipped_lab_with_real_board("bench-devkitc", "usb:10c4:ea60");
    FILE *f = fopen(lab_path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    src_path("scenarios", scen, sizeof scen);
    static struct lab lab;
    cr_assert_eq(lab_load(&lab, lab_path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenarios_load(&lab, scen, err, sizeof err), 0, "%s", err);
    static struct session_facts facts;
    session_facts_gather(&facts, lab_path);
    snprintf(facts.options, sizeof facts.options, "--board\nbench-devkitc\n--boards\n%s\n--scenarios\n%s\n", lab_path,
             scen);
    facts.seed = 1, facts.iterations = 2;
    char root[512];
    src_path("tests/fixtures/hosts/native", root, sizeof root);
    struct matrix_opts o = {.out_dir = dir, .boards = {"bench-devkitc"}, .n_boards = 1,
                            .scenarios = {"esptool-hard-reset"}, .n_scenarios = 1, .iterations = 2, .seed = 1,
                            .facts = &facts, .write_report = no_report, .host_root = root, .serial = &fake_sys,
                            .keep_captures = keep};
    FILE *out = fopen("/dev/null", "w");
    int rc = run_matrix(&lab, &o, out, err, sizeof err);
    fclose(out);
    lab_free(&lab);
    cr_assert_eq(rc, 1, "%d: %s", rc, err); /* the demo's lines never move: the cell fails */
    snprintf(db, sizeof db, "%s/results.db", dir);
    struct report_request rq = {.db_path = db, .report_dir = dir, .last = 1};
    struct report_warnings warn = {0};
    char page[700];
    cr_assert_eq(report_write(&rq, page, sizeof page, &warn, err, sizeof err), 0, "%s", err);
    cr_expect_eq(warn.plots_failed, 0, "%s", warn.first);
    char *html = slurp(page, NULL);
    cr_assert_not_null(html);
    return html;
}

Test(report_captures, a_real_boards_worst_run_is_drawn_from_its_capture, .timeout = 60)
{
    char dir[64], svg[400];
    char *html = real_session_report(KEEP_ALL, dir, sizeof dir);
    cr_expect(strstr(html, "cannot be re-simulated") == NULL, "the old note is still there");
    cr_expect(strstr(html, "timing diagram not redrawn") == NULL, "%s", strstr(html, "timing diagram not redrawn"));
    /* every run alike (no reset, no margin): one run is typical and worst */
    const char *src = strstr(html, "plots/bench-devkitc--native-linux--esptool-hard-reset--typical");
    cr_assert_not_null(src, "no timing diagram of the real cell");
    snprintf(svg, sizeof svg, "%s/%.*s", dir, (int)strcspn(src, "\""), src);
    size_t len = 0;
    char *drawn = slurp(svg, &len);
    cr_assert_not_null(drawn, "%s was not drawn", svg);
    cr_expect(strstr(drawn, "<svg") != NULL && len > 1000, "%s: %zu bytes", svg, len);
    cr_expect(strstr(drawn, ">host ops<") != NULL, "no op markers from the capture's op-log sidecar");
    free(drawn);
    free(html);
    remove_tree(dir);
}

Test(report_captures, without_captures_the_page_names_the_missing_one, .timeout = 60)
{
    char dir[64];
    char *html = real_session_report(KEEP_NONE, dir, sizeof dir);
    const char *note = strstr(html, "timing diagram not redrawn: bench-devkitc is a real board, run #0: no capture ");
    cr_expect(note != NULL, "no note naming the missing capture");
    cr_expect(note && strstr(note, "captures/bench-devkitc--native-linux--esptool-hard-reset--0.sr") != NULL, "%.300s",
              note ? note : "");
    free(html);
    remove_tree(dir);
}
