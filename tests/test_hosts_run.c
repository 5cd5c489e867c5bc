/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A real board's session end to end through the serial seam (a fake OS
 * layer under the real backend, a CP2102 at /dev/ttyUSB0) and libsigrok's
 * demo analyzer, on a machine read from a fixture tree
 * (tests/fixtures/hosts/kvm-guest): its runs land in the host column
 * vm-usb-passthrough-kvm, in the table and in the store, or in the
 * --host-label column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "harness/port/port_host.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_real.h"
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

TestSuite(hosts_run, .init = suite_lab_setup, .fini = suite_lab_teardown);

/* devkitc on a real port (a USB match the fake lists) with the demo analyzer. */
static void make_devkitc_real(void)
{
    struct board_profile *b = (struct board_profile *)lab_board(&suite_lab, "devkitc");
    cr_assert_not_null(b);
    snprintf(b->port, sizeof b->port, "usb:10c4:ea60");
    snprintf(b->analyzer.kind, sizeof b->analyzer.kind, "sigrok");
    snprintf(b->analyzer.driver, sizeof b->analyzer.driver, "demo");
    snprintf(b->analyzer.config, sizeof b->analyzer.config, "samplerate=1M:pattern=all-high");
    snprintf(b->analyzer.channels, sizeof b->analyzer.channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0");
    b->analyzer.pretrigger_pct = 20;
    b->analyzer.tail_ms = 150;
    static char lock_dir[64];
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-locks-XXXXXX");
    cr_assert_not_null(mkdtemp(lock_dir));
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
}

struct hosts_seen {
    int runs;
    char first[64];
    int others;
    char facts[512]; /* the session's virtualization fact */
};

static int note_host(const struct stored_run *r, void *ctx)
{
    struct hosts_seen *s = ctx;
    if (s->runs++ == 0)
        snprintf(s->first, sizeof s->first, "%s", r->host);
    else
        s->others += strcmp(r->host, s->first) != 0;
    return 0;
}

/* Runs devkitc × esptool-hard-reset twice; the table into `table`. */
static void real_session(const char *label, char *table, size_t len, struct hosts_seen *seen)
{
    make_devkitc_real();
    char dir[] = "/tmp/resetlab-hosts-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    static struct session_facts facts;
    session_facts_gather(&facts, suite_lab.path);
    char root[512];
    src_path("tests/fixtures/hosts/kvm-guest", root, sizeof root);
    struct matrix_opts o = {.out_dir = dir, .boards = {"devkitc"}, .n_boards = 1,
                            .scenarios = {"esptool-hard-reset"}, .n_scenarios = 1, .iterations = 2, .seed = 1,
                            .facts = &facts, .write_report = no_report, .host_label = label, .host_root = root,
                            .serial = &fake_sys};
    snprintf(facts.virtualization, sizeof facts.virtualization, "%s", port_host_hypervisor(root));
    run_matrix_host_facts(&suite_lab, &o, &facts);
    FILE *out = fmemopen(table, len, "w");
    char err[700] = "";
    int rc = run_matrix(&suite_lab, &o, out, err, sizeof err);
    fclose(out);
    cr_assert(rc == 0 || rc == 1, "%d: %s", rc, err);
    char db[600];
    snprintf(db, sizeof db, "%s/results.db", dir);
    struct store *st = store_open(db, STORE_READ, err, sizeof err);
    cr_assert_not_null(st, "%s", err);
    *seen = (struct hosts_seen){0};
    static struct session_row row;
    cr_assert_eq(store_session_get(st, 0, &row, err, sizeof err), 1, "%s", err);
    snprintf(seen->facts, sizeof seen->facts, "%s", row.facts.virtualization);
    cr_assert_eq(store_each_run(st, row.id, NULL, NULL, NULL, note_host, seen, err, sizeof err), 0, "%s", err);
    store_close(st);
    remove_tree(dir);
}

Test(hosts_run, real_runs_land_in_the_detected_host_column)
{
    static char table[1 << 14];
    struct hosts_seen seen;
    real_session(NULL, table, sizeof table, &seen);
    cr_expect_eq(seen.runs, 2);
    cr_expect_str_eq(seen.first, "vm-usb-passthrough-kvm");
    cr_expect_eq(seen.others, 0);
    char *header = strstr(table, "board ");
    cr_assert_not_null(header, "%s", table);
    cr_expect(strstr(header, "vm-usb-passthrough-kvm") != NULL, "%s", table);
    cr_expect(strstr(table, " local") == NULL, "%s", table);
    cr_expect(strstr(table, "(2 runs)") != NULL, "%s", table);
    cr_expect_str_eq(seen.facts, "kvm; devkitc: vm-usb-passthrough-kvm (detected vm-usb-passthrough-kvm, via xhci_hcd)");
}

Test(hosts_run, a_host_label_names_the_column)
{
    static char table[1 << 14];
    struct hosts_seen seen;
    real_session("my-vm", table, sizeof table, &seen);
    cr_expect_eq(seen.runs, 2);
    cr_expect_str_eq(seen.first, "my-vm");
    cr_expect(strstr(table, "my-vm") != NULL && strstr(table, "vm-usb-passthrough-kvm") == NULL, "%s", table);
    cr_expect_str_eq(seen.facts, "kvm; devkitc: my-vm (detected vm-usb-passthrough-kvm, via xhci_hcd)");
}
