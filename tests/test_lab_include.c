/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A lab file's include: (docs/lab.md#include): a ten-line file with the
 * shipped library and one board runs; one chip value or one capacitor
 * overridden moves EN's release where τ·ln(1/(1 − V_IH/VDD)) puts it; the
 * templates of `resetlab list --template` load when pasted; malformed
 * includes are one line naming the file and line; the lab's SHA-256 covers
 * the included files. */
#include <criterion/criterion.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzers/analyze.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_session.h"
#include "helpers.h"
#include "sim/lab.h"
#include "sim/world.h"

static char dir[] = "/tmp/resetlab-include-XXXXXX";
static char out[1 << 18], err[1 << 14];

static void make_dir(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    remove_tree(dir);
}

TestSuite(include, .init = make_dir, .fini = remove_dir);

static const char *put(const char *name, const char *text)
{
    return put_in_dir(dir, name, text);
}

/* The ten lines of docs/lab.md's "add your board". */
#define TEN_LINES                                                                                   \
    "include: resetlab            # the shipped chips, circuits, bridges, hosts, analyzers\n"       \
    "boards:\n"                                                                                     \
    "  my-board:\n"                                                                                 \
    "    chip: esp32\n"                                                                             \
    "    bridge: ch340\n"                                                                           \
    "    circuit: two-transistor\n"                                                                 \
    "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"                                 \
    "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n"                                           \
    "    vdd: 3.3\n"                                                                                \
    "    port: sim\n"                                                                               \
    "    analyzer: sim-la\n"

/* EN released after 100 ms low on an ideal host (every latency zero): how
 * long after the release EN crossed the chip's threshold. */
static double release_ms(const struct board_profile *b)
{
    struct host_profile h = {.os = OS_LINUX};
    snprintf(h.name, sizeof h.name, "ideal");
    struct sim_world *w = sim_world_new();
    sim_world_reset(w, b, &h, 1);
    cr_assert_eq(sim_open(w, 0), 0);
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    cr_assert_eq(sim_set_lines(w, 0, 0), 0);
    double released = (double)sim_now_ns(w);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    static struct edge edges[256];
    static uint8_t uart[4096];
    struct trace tr = {.edges = edges, .cap = 256};
    struct sim_truth truth;
    size_t n;
    cr_assert_eq(sim_finish(w, &tr, uart, sizeof uart, &n, &truth), 0);
    sim_world_free(w);
    cr_assert_eq(truth.n_resets, 1);
    return (truth.release_ns[0] - released) / 1e6;
}

static void load(struct lab *lab, const char *path)
{
    char e[512] = "";
    cr_assert_eq(lab_load(lab, path, e, sizeof e), 0, "%s", e);
}

Test(include, a_ten_line_lab_runs, .timeout = 60)
{
    const char *path = put("my-lab.yaml", TEN_LINES);
    cr_assert_eq(count_of(TEN_LINES, "\n"), 11, "the include line and ten of the board");
    struct lab lab, shipped;
    load(&lab, path);
    load_shipped_lab(&shipped);
    cr_assert_eq(lab.n_boards, 1, "the shipped boards stay out unless asked for");
    cr_assert_str_eq(lab.boards[0].name, "my-board");
    cr_assert_eq(lab.n_chips, shipped.n_chips);
    cr_assert_eq(lab.n_hosts, shipped.n_hosts);
    cr_assert_eq(lab.n_bridges, shipped.n_bridges);
    cr_assert_float_eq(lab.boards[0].analyzer.threshold_v, 1.5, 1e-12, "sim-la by name: 1.5 V");
    cr_assert_float_eq(release_ms(&lab.boards[0]), 10.0 * log(4.0), 1e-3, "10 kΩ · 1 µF to 0.75·VDD: 13.863 ms");
    lab_free(&lab);
    lab_free(&shipped);

    char args[2 * PATH_MAX];
    snprintf(args, sizeof args,
             "run --boards %s --host native-linux --scenario esptool-classic --iterations 3 --out %s/out", path, dir);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "exit %d: %s%s", rc, out, err);
    cr_assert(strstr(out, "my-board") != NULL, "%s", out);
    cr_assert(strstr(out, "1 of 1 cells met their expectation (3 runs)") != NULL, "%s", out);
}

/* The shipped ESP32's V_IH is 0.75·VDD: τ·ln 4 = 13.863 ms for 10 kΩ · 1 µF.
 * At 0.5·VDD, τ·ln 2 = 6.931 ms; the chip's other values stay the shipped ones. */
Test(include, one_chip_value_overridden_moves_the_release)
{
    const char *path = put("vih.yaml", TEN_LINES "chips:\n  esp32:\n    en_vih_frac: 0.5   # the one value changed\n");
    struct lab lab;
    load(&lab, path);
    const struct board_profile *b = lab_board(&lab, "my-board");
    cr_assert_float_eq(release_ms(b), 10.0 * log(2.0), 1e-3, "τ·ln 2 = 6.931 ms");
    cr_assert_eq(b->chip->baud, 115200, "the rest of the chip is the shipped one's");
    cr_assert_str_eq(b->chip->rom_header, "ets Jun  8 2016 00:22:57\r\n\r\n");
    lab_free(&lab);
}

/* The shipped DevKitC with its capacitor changed, key by key: R and the
 * tolerance stay, C is 0.1 µF: 10 kΩ · 0.1 µF · ln 4 = 1.386 ms. */
Test(include, one_capacitor_overridden_moves_the_release)
{
    const char *path = put("cap.yaml", "include: {file: resetlab, boards: true}\n"
                                       "boards:\n"
                                       "  devkitc:\n"
                                       "    en: {c_farads: 0.1e-6}\n");
    struct lab lab, shipped;
    load(&lab, path);
    load_shipped_lab(&shipped);
    cr_assert_eq(lab.n_boards, shipped.n_boards, "boards: true brings the shipped boards; devkitc is changed, not added");
    const struct board_profile *b = lab_board(&lab, "devkitc");
    cr_assert_float_eq(b->en_r_ohms, 10000, 1e-9);
    cr_assert_float_eq(b->en_c_tolerance, 0.2, 1e-12);
    cr_assert_float_eq(b->en_c_farads, 0.1e-6, 1e-18);
    cr_assert_float_eq(release_ms(b), 1.0 * log(4.0), 1e-3, "1.386 ms");
    cr_assert_float_eq(release_ms(lab_board(&shipped, "devkitc")), 10.0 * log(4.0), 1e-3);
    lab_free(&lab);
    lab_free(&shipped);
}

static void pasted_template_loads(const char *kind, const char *circuit)
{
    char args[256];
    snprintf(args, sizeof args, "list --template %s", kind);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: %s", args, err);
    cr_assert(strstr(out, "  my-board:") != NULL && strstr(out, "  # ") != NULL, "an entry with its comments: %s", out);
    static char text[sizeof out + 64];
    snprintf(text, sizeof text, "include: resetlab\nboards:\n%s", out);
    char name[64];
    snprintf(name, sizeof name, "template-%s.yaml", kind);
    struct lab lab;
    load(&lab, put(name, text));
    cr_assert_eq(lab.n_boards, 1);
    cr_assert_str_eq(lab.boards[0].circuit->name, circuit);
    lab_free(&lab);
}

Test(include, the_templates_load_when_pasted)
{
    pasted_template_loads("two-transistor", "two-transistor");
    pasted_template_loads("direct", "direct");
    pasted_template_loads("usb-serial-jtag", "usb-serial-jtag");
    pasted_template_loads("usb-otg-cdc", "usb-otg-cdc");
    expect_bad_input("list --template nosuch",
                     "no template 'nosuch' (there are: two-transistor, direct, usb-serial-jtag, usb-otg-cdc)");
    expect_bad_input("list --template", "--template needs a KIND");
}

/* `resetlab list --boards FILE` on a malformed lab: exit 2, one line, `want`. */
static void refused(const char *path, const char *want)
{
    char args[PATH_MAX + 32];
    snprintf(args, sizeof args, "list --boards %s", path);
    expect_bad_input(args, want);
}

Test(include, malformed_includes_are_one_line)
{
    char want[PATH_MAX + 256];
    /* a missing file, named as the including file's line 1 has it */
    const char *p = put("missing.yaml", "include: [resetlab, nothere.yaml]\n");
    snprintf(want, sizeof want, "%s:1: include: %s/nothere.yaml: No such file or directory", p, dir);
    refused(p, want);
    /* itself, and a cycle of three */
    p = put("self.yaml", "boards: {}\ninclude: self.yaml\n");
    snprintf(want, sizeof want, "%s:2: include: self.yaml: an include cycle (self.yaml -> self.yaml)", p);
    refused(p, want);
    put("c2.yaml", "include: c3.yaml\n");
    put("c3.yaml", "include: c1.yaml\n");
    p = put("c1.yaml", "include: c2.yaml\n");
    snprintf(want, sizeof want, "%s/c3.yaml:1: include: c1.yaml: an include cycle (c1.yaml -> c2.yaml -> c3.yaml -> c1.yaml)",
             dir);
    refused(p, want);
    /* five deep: d0 includes d1 ... d5 (LAB_INCLUDE_DEPTH_MAX 4) */
    put("d5.yaml", "chips: {}\n");
    put("d4.yaml", "include: d5.yaml\n");
    put("d3.yaml", "include: d4.yaml\n");
    put("d2.yaml", "include: d3.yaml\n");
    put("d1.yaml", "include: d2.yaml\n");
    p = put("d0.yaml", "include: d1.yaml\n");
    snprintf(want, sizeof want, "%s/d4.yaml:1: include: d5.yaml: includes nested more than 4 deep", dir);
    refused(p, want);
    /* 17 files (LAB_INCLUDE_FILES_MAX 16) */
    p = put("many.yaml", "include: [d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml,\n"
                         "          d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml, d5.yaml]\n");
    refused(p, "include: d5.yaml: more than 16 files in one lab");
    /* the item's form */
    p = put("key.yaml", "include: {file: resetlab, board: true}\n");
    refused(p, ":1: include: unknown key 'board'");
    p = put("empty.yaml", "include: ''\n");
    refused(p, ":1: include: expected a file name or 'resetlab', got nothing");
    p = put("list.yaml", "include: [[resetlab]]\n");
    refused(p, ":1: include: expected a file name, 'resetlab' or {file: NAME, boards: true}");
    put("scalar.yaml", "just a line\n");
    p = put("notmap.yaml", "include: scalar.yaml\n");
    snprintf(want, sizeof want, "%s/scalar.yaml:1: expected a mapping of sections", dir);
    refused(p, want);
    /* an overlay's key twice */
    p = put("twice.yaml", "include: resetlab\nchips:\n  esp32:\n    baud: 1\n    baud: 2\n");
    refused(p, ":5: chips.esp32: key 'baud' appears twice");
    /* an analyzer named that is not there */
    p = put("noan.yaml", "include: resetlab\nboards:\n  b: {chip: esp32, bridge: ch340, circuit: direct, en: {r_ohms: 1, "
                         "c_farads: 0, c_tolerance: 0}, io0: {pullup_ohms: 1, c_farads: 0}, vdd: 3.3, port: sim, "
                         "analyzer: nosuch-la}\n");
    refused(p, ":3: boards.b.analyzer: unknown analyzer 'nosuch-la' (an entry of analyzers:)");
}

/* The line of boards.yaml holding `text`, counted. */
static int shipped_line(const char *text)
{
    char path[PATH_MAX];
    size_t len;
    char *s = slurp(src_path("boards.yaml", path, sizeof path), &len);
    cr_assert_not_null(s);
    const char *at = strstr(s, text);
    cr_assert_not_null(at, "%s", text);
    int line = 1;
    for (const char *c = s; c < at; c++)
        line += *c == '\n';
    free(s);
    return line;
}

/* Errors name the file of the offending node: the including file's own
 * value, or the shipped file's when an override makes a shipped key wrong
 * (sim-la turned into a sigrok analyzer keeps sim-la's sample_rate_hz). */
Test(include, errors_name_the_file_of_the_node)
{
    const char *p = put("bad-value.yaml", TEN_LINES "chips:\n  esp32:\n    en_vih_frac: ten\n");
    char want[PATH_MAX + 256], shipped[PATH_MAX];
    snprintf(want, sizeof want, "%s:14: chips.esp32.en_vih_frac: expected a number, got 'ten'", p);
    refused(p, want);
    p = put("bad-kind.yaml", TEN_LINES "analyzers:\n  sim-la: {kind: sigrok, driver: demo, config: '', channels: "
                                       "'D0=DTR,D1=RTS'}\n");
    lab_shipped_path("boards.yaml", shipped, sizeof shipped);
    snprintf(want, sizeof want, "%s:%d: analyzers.sim-la: unknown key 'sample_rate_hz'", shipped,
             shipped_line("    sample_rate_hz: 4000000   # 4 MS/s"));
    refused(p, want);
}

static char *sha_of(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    cr_assert(x && y);
    x = realloc(x, na + nb);
    memcpy(x + na, y, nb);
    char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)x, na + nb);
    free(x);
    free(y);
    return hex;
}

/* What a session records: without include:, the file's own SHA-256 as
 * always; with it, the SHA-256 of the file's bytes and the included
 * file's, so a change in the library is a change of the lab. */
Test(include, the_sha256_covers_the_included_files)
{
    char plain[65], lab[65], e[512], shipped[PATH_MAX];
    const char *alone = put("alone.yaml", "chips: {}\n");
    cr_assert_eq(lab_sha256(alone, lab, e, sizeof e), 0, "%s", e);
    cr_assert_eq(session_sha256_file(alone, plain), 0);
    cr_assert_str_eq(lab, plain);

    const char *path = put("sha.yaml", TEN_LINES);
    cr_assert_eq(lab_sha256(path, lab, e, sizeof e), 0, "%s", e);
    lab_shipped_path("boards.yaml", shipped, sizeof shipped);
    char *want = sha_of(path, shipped);
    cr_assert_str_eq(lab, want);
    g_free(want);

    /* a copy of the library included by path, then one comment changed in it */
    size_t n;
    char *lib = slurp(shipped, &n), before[65];
    put("lib.yaml", lib);
    path = put("bypath.yaml", "include: lib.yaml\nboards:\n  b: {}\n");
    cr_assert_eq(lab_sha256(path, before, e, sizeof e), 0, "%s", e);
    char *changed = g_strdup_printf("# one more comment\n%s", lib);
    put("lib.yaml", changed);
    cr_assert_eq(lab_sha256(path, lab, e, sizeof e), 0, "%s", e);
    cr_assert_str_neq(lab, before);
    g_free(changed);
    free(lib);
    cr_assert_eq(lab_sha256(put("gone.yaml", "include: nothere.yaml\n"), lab, e, sizeof e), -1);
}
