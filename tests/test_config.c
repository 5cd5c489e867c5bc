/* Loading the lab (harness/config.h) and looking things up in it
 * (sim/lab.h): the shipped boards.yaml and scenarios/, then one broken
 * thing at a time. Every error must be one line, "<file>:<line>: <key
 * path>: <reason>"; the expected line numbers are counted by hand against
 * the numbered texts below. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"
#include "helpers.h"


/* ------------------------------------------------------ shipped lab -- */

static void load_shipped_boards(struct lab *lab)
{
    char path[512], err[512] = "";
    int rc = lab_load(lab, src_path("boards.yaml", path, sizeof path), err, sizeof err);
    cr_assert_eq(rc, 0, "the shipped boards.yaml does not load: %s", err);
}

static void assert_names(const char *what, const char *first_name, size_t stride, int n, const char *const *want,
                         int n_want)
{
    cr_assert_eq(n, n_want, "%d %s loaded, expected %d", n, what, n_want);
    for (int i = 0; i < n; i++) {
        const char *name = first_name + (size_t)i * stride;
        cr_assert_str_eq(name, want[i], "%s[%d] is '%s', expected '%s'", what, i, name, want[i]);
    }
}

Test(shipped, boards_yaml_has_seven_healthy_and_six_fault_boards)
{
    static const char *const want[] = {"devkitc",         "devkitc-early",       "nodemcu-nocap",   "nodemcu-direct",
                                       "seed-12k-1u",     "wrover-kit",          "esp32c3-usb",     "devkitc-en-open",
                                       "devkitc-io0-shorted", "devkitc-swapped", "devkitc-direct",  "devkitc-no-io0-pullup",
                                       "devkitc-wrong-cap"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("boards", lab.boards[0].name, sizeof lab.boards[0], lab.n_boards, want, 13);
    for (int i = 0; i < 13; i++)
        cr_assert_eq(lab.boards[i].fault[0] != '\0', i >= 7, "%s: fault '%s'", want[i], lab.boards[i].fault);
    for (int i = 0; i < 12; i++)
        cr_assert_eq(lab_board(&lab, want[i]), &lab.boards[i], "lab_board(\"%s\") does not find it", want[i]);
    cr_assert_null(lab_board(&lab, "devkit"), "lab_board matched a prefix");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, boards_yaml_has_five_hosts)
{
    static const char *const want[] = {"native-linux", "native-windows", "vm-serial-virtualized",
                                       "vm-usb-passthrough", "wsl-usbipd"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("hosts", lab.hosts[0].name, sizeof lab.hosts[0], lab.n_hosts, want, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(lab_host(&lab, want[i]), &lab.hosts[i], "lab_host(\"%s\") does not find it", want[i]);
    cr_assert_null(lab_host(&lab, "native-macos"));
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, boards_yaml_has_six_bridges)
{
    static const char *const want[] = {"cp210x", "ftdi", "ch340", "pl2303", "cdc-acm", "esp-usb-jtag"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("bridges", lab.bridges[0].name, sizeof lab.bridges[0], lab.n_bridges, want, 6);
    for (int i = 0; i < lab.n_bridges; i++)
        cr_assert(lab.bridges[i].both_lines_one_request, "%s: both_lines_one_request is true in boards.yaml",
                  lab.bridges[i].name);
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, chips_and_circuits)
{
    static const char *const chips[] = {"esp32", "esp32c3"},
                             *const circuits[] = {"two-transistor",        "two-transistor-en-open",
                                                  "two-transistor-io0-shorted", "two-transistor-swapped",
                                                  "direct",                "usb-serial-jtag"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("chips", lab.chips[0].name, sizeof lab.chips[0], lab.n_chips, chips, 2);
    assert_names("circuits", lab.circuits[0].name, sizeof lab.circuits[0], lab.n_circuits, circuits, 6);
    const struct chip_profile *c = &lab.chips[0];
    cr_assert(fabs(c->timing.vih_frac - 0.75) < 1e-12, "esp32 en_vih_frac %g", c->timing.vih_frac);
    cr_assert(fabs(c->timing.min_reset_pulse_us - 50) < 1e-12, "esp32 min_reset_pulse_us %g",
              c->timing.min_reset_pulse_us);
    cr_assert(fabs(lab.chips[1].timing.hold_ms - 3) < 1e-12, "esp32c3 strap_hold_ms %g", lab.chips[1].timing.hold_ms);
    cr_assert_eq(c->baud, 115200);
    cr_assert_str_eq(c->rom_header, "ets Jun  8 2016 00:22:57\r\n\r\n", "YAML escapes in rom_header");
    cr_assert_str_eq(lab.chips[1].rst_usb, "rst:0x15 (USB_UART_CHIP_RESET)");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, devkitc_values)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct board_profile *b = lab_board(&lab, "devkitc");
    cr_assert_not_null(b);
    cr_assert(fabs(b->en_r_ohms - 10000) < 1e-9, "devkitc en.r_ohms %g, expected 10000", b->en_r_ohms);
    cr_assert(fabs(b->en_c_farads - 1e-6) < 1e-18, "devkitc en.c_farads %g, expected 1e-6", b->en_c_farads);
    cr_assert(fabs(b->io0_pullup_ohms - 10000) < 1e-9, "devkitc io0.pullup_ohms %g", b->io0_pullup_ohms);
    cr_assert(fabs(b->io0_c_farads - 10e-12) < 1e-24, "devkitc io0.c_farads %g", b->io0_c_farads);
    cr_assert(fabs(b->vdd - 3.3) < 1e-12, "devkitc vdd %g", b->vdd);
    cr_assert_str_eq(b->chip->name, "esp32");
    cr_assert_str_eq(b->bridge->name, "cp210x");
    cr_assert_str_eq(b->circuit->name, "two-transistor");
    cr_assert_str_eq(b->port, "sim");
    /* the analyzer comes through the YAML alias *sim_la */
    cr_assert_str_eq(b->analyzer.kind, "sim");
    cr_assert(fabs(b->analyzer.threshold_v - 1.5) < 1e-12, "analyzer threshold %g", b->analyzer.threshold_v);
    cr_assert(fabs(b->analyzer.sample_rate_hz - 4e6) < 1e-3, "analyzer rate %g", b->analyzer.sample_rate_hz);
    cr_assert_eq(b->analyzer.analog_en_rate_hz, 0, "sim-la has no analog channel");
    const struct analyzer_cfg *an = &lab_board(&lab, "seed-12k-1u")->analyzer;
    cr_assert(an->analog_en_rate_hz == 20000 && fabs(an->analog_noise_v - 0.01) < 1e-12,
              "sim-la-analog: %g S/s, %g V", an->analog_en_rate_hz, an->analog_noise_v);
    cr_assert(fabs(lab_board(&lab, "devkitc-early")->en_c_farads - 0.1e-6) < 1e-18, "devkitc-early has 0.1 µF");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, two_transistor_table_in_asserted_convention)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct circuit *c = lab_board(&lab, "devkitc")->circuit;
    cr_assert_eq(c->kind, CIRCUIT_TRANSISTOR);
    cr_assert(fabs(c->driver_ohms - 10) < 1e-12, "driver_ohms %g", c->driver_ohms);
    /* [dtr][rts] */
    cr_assert_eq(circuit_en(c, 0, 0), DRIVE_RELEASED, "(0,0): EN released");
    cr_assert_eq(circuit_io0(c, 0, 0), DRIVE_RELEASED, "(0,0): IO0 released");
    cr_assert_eq(circuit_en(c, 0, 1), DRIVE_LOW, "(dtr 0, rts 1): EN low");
    cr_assert_eq(circuit_io0(c, 0, 1), DRIVE_RELEASED, "(dtr 0, rts 1): IO0 released");
    cr_assert_eq(circuit_en(c, 1, 0), DRIVE_RELEASED, "(dtr 1, rts 0): EN released");
    cr_assert_eq(circuit_io0(c, 1, 0), DRIVE_LOW, "(dtr 1, rts 0): IO0 low");
    cr_assert_eq(circuit_en(c, 1, 1), DRIVE_RELEASED, "(1,1): EN released");
    cr_assert_eq(circuit_io0(c, 1, 1), DRIVE_RELEASED, "(1,1): IO0 released");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, usb_serial_jtag_actions)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct board_profile *b = lab_board(&lab, "esp32c3-usb");
    cr_assert_not_null(b);
    const struct circuit *c = b->circuit;
    cr_assert_str_eq(c->name, "usb-serial-jtag");
    cr_assert_eq(c->kind, CIRCUIT_USB_JTAG);
    cr_assert_eq(c->usb_action[0][0], USB_CLEAR_FLAG, "(0,0): clear-download-flag");
    cr_assert_eq(c->usb_action[1][0], USB_SET_FLAG, "(dtr 1, rts 0): set-download-flag");
    cr_assert_eq(c->usb_action[0][1], USB_RESET, "(dtr 0, rts 1): reset");
    cr_assert_eq(c->usb_action[1][1], USB_NONE, "(1,1): none");
    cr_assert_str_eq(b->chip->name, "esp32c3");
    cr_assert_str_eq(b->bridge->name, "esp-usb-jtag");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, cp210x_open_and_close_sequences)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct bridge_profile *br = lab_board(&lab, "devkitc")->bridge;
    /* Windows clears DTR before RTS on close: D0 then R0 */
    const struct op_seq *wc = &br->os[OS_WINDOWS].close;
    cr_assert_eq(wc->n, 2, "windows close has %d ops, expected 2 (D0|R0)", wc->n);
    cr_assert_eq(wc->ops[0].kind, OP_DTR);
    cr_assert_eq(wc->ops[0].dtr, 0);
    cr_assert_eq(wc->ops[1].kind, OP_RTS);
    cr_assert_eq(wc->ops[1].rts, 0);
    cr_assert_eq(br->os[OS_WINDOWS].open_lowered.n, 0, "windows honours O0: no line change at open");
    /* Linux: one dtr_rts() call each way, also for O0 */
    const struct os_behaviour *lx = &br->os[OS_LINUX];
    cr_assert_eq(lx->close.n, 1);
    cr_assert_eq(lx->close.ops[0].kind, OP_BOTH);
    cr_assert(lx->close.ops[0].dtr == 0 && lx->close.ops[0].rts == 0, "linux close is U0,0");
    cr_assert_eq(lx->open_lowered.n, 1);
    cr_assert(lx->open_lowered.ops[0].kind == OP_BOTH && lx->open_lowered.ops[0].dtr == 1 &&
                  lx->open_lowered.ops[0].rts == 1,
              "linux raises both lines even for O0");
    /* first-open quirks: CP210x on Windows sets RTS, then DTR (R1|W0.005|D1);
     * CH340 raises both lines for 20 ms even when asked for them lowered */
    const struct op_seq *fo = &br->os[OS_WINDOWS].first_open;
    cr_assert_eq(fo->n, 3, "cp210x windows first_open has %d ops", fo->n);
    cr_assert(fo->ops[0].kind == OP_RTS && fo->ops[0].rts == 1 && fo->ops[1].kind == OP_WAIT &&
              fabs(fo->ops[1].wait_s - 0.005) < 1e-12 && fo->ops[2].kind == OP_DTR && fo->ops[2].dtr == 1);
    cr_assert_eq(br->os[OS_LINUX].first_open.n, 0, "no quirk given: the normal open");
    const struct bridge_profile *ch = lab_board(&lab, "nodemcu-direct")->bridge;
    cr_assert_str_eq(ch->name, "ch340");
    cr_assert_eq(ch->os[OS_WINDOWS].first_open_lowered.n, 3);
    cr_assert_eq(ch->os[OS_WINDOWS].first_open.n, 0);
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, host_os_and_latency)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct host_profile *w = lab_host(&lab, "native-windows"), *l = lab_host(&lab, "native-linux");
    cr_assert_eq(w->os, OS_WINDOWS, "native-windows is a windows host");
    cr_assert_eq(l->os, OS_LINUX, "native-linux is a linux host");
    cr_assert_eq(lab_host(&lab, "wsl-usbipd")->os, OS_LINUX);
    cr_assert(fabs(l->request.floor_ms - 0.2) < 1e-12 && fabs(l->request.median_ms - 1.0) < 1e-12,
              "native-linux request %g/%g", l->request.floor_ms, l->request.median_ms);
    cr_assert(fabs(lab_host(&lab, "wsl-usbipd")->request.median_ms - 45) < 1e-12);
    cr_assert_eq(l->split_both_lines, 0);
    cr_assert_str_eq(host_os_name(OS_WINDOWS), "windows");
    cr_assert_str_eq(host_os_name(OS_LINUX), "linux");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, ten_scenarios_load)
{
    static const char *const want[] = {"esptool-classic-slow", "esptool-classic",        "esptool-hard-reset",
                                       "esptool-tight",        "esptool-usb-jtag",       "mpremote-connect-close",
                                       "mpremote-first-open",  "picocom-lower",          "pyserial-first-open",
                                       "pyserial-open-close"};
    struct lab lab;
    load_shipped_lab(&lab);
    assert_names("scenarios", lab.scenarios[0].name, sizeof lab.scenarios[0], lab.n_scenarios, want, 10);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(lab_scenario(&lab, want[i]), &lab.scenarios[i], "lab_scenario(\"%s\")", want[i]);
    cr_assert_null(lab_scenario(&lab, "esptool"));
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, esptool_classic_scenario_fields)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct scenario *s = lab_scenario(&lab, "esptool-classic");
    cr_assert_not_null(s);
    cr_assert_eq(s->expected, BOOT_DOWNLOAD);
    cr_assert_eq(s->rewrite_dtr_after_rts, 1);
    cr_assert_eq(s->os_mask, (1 << OS_LINUX) | (1 << OS_WINDOWS), "os_mask %#x", s->os_mask);
    cr_assert_not_null(strstr(s->file, "scenarios/esptool-classic.yaml"), "file '%s'", s->file);
    cr_assert_eq(s->seq[OS_LINUX].n, 10, "O|D0|R1|W0.1|D1|R0|W0.05|D0|S|W0.1");
    cr_assert_eq(s->seq[OS_WINDOWS].n, 10, "one string is used for both OSes");
    cr_assert_eq(s->seq[OS_LINUX].ops[0].kind, OP_OPEN);
    cr_assert_eq(s->seq[OS_WINDOWS].ops[7].kind, OP_DTR);
    cr_assert_eq(s->seq[OS_WINDOWS].ops[8].kind, OP_SYNC);
    cr_assert_eq(lab_scenario(&lab, "mpremote-connect-close")->seq[OS_WINDOWS].ops[0].kind, OP_OPEN_LOWERED,
                 "mpremote opens lowered on Windows");
    cr_assert_eq(lab_scenario(&lab, "mpremote-connect-close")->expected, BOOT_NONE);
    cr_assert_eq(lab_scenario(&lab, "esptool-hard-reset")->expected, BOOT_FLASH);
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, esptool_tight_applies_only_to_linux_hosts)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct scenario *s = lab_scenario(&lab, "esptool-tight");
    const struct board_profile *b = lab_board(&lab, "devkitc");
    cr_assert_not_null(s);
    for (int i = 0; i < lab.n_hosts; i++) {
        const struct host_profile *h = &lab.hosts[i];
        int want = h->os == OS_LINUX;
        cr_assert_eq(scenario_applies(s, b, h), want, "esptool-tight on %s (%s): applies=%d, expected %d", h->name,
                     host_os_name(h->os), scenario_applies(s, b, h), want);
    }
    cr_assert(scenario_applies(s, lab_board(&lab, "esp32c3-usb"), lab_host(&lab, "wsl-usbipd")),
              "no bridge restriction: any board on a linux host");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, esptool_usb_jtag_applies_only_to_esp_usb_jtag_bridge)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct scenario *s = lab_scenario(&lab, "esptool-usb-jtag");
    cr_assert_not_null(s);
    cr_assert_eq(s->n_only_bridges, 1);
    for (int i = 0; i < lab.n_boards; i++)
        for (int j = 0; j < lab.n_hosts; j++) {
            const struct board_profile *b = &lab.boards[i];
            int want = strcmp(b->bridge->name, "esp-usb-jtag") == 0;
            cr_assert_eq(scenario_applies(s, b, &lab.hosts[j]), want, "esptool-usb-jtag on %s (%s) / %s: expected %d",
                         b->name, b->bridge->name, lab.hosts[j].name, want);
        }
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, scenario_load_file_reads_one_file)
{
    char path[512], err[512] = "";
    struct scenario s;
    int rc = scenario_load_file(&s, src_path("scenarios/pyserial-open-close.yaml", path, sizeof path), err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(s.name, "pyserial-open-close");
    cr_assert_eq(s.expected, BOOT_NONE);
    cr_assert_eq(s.seq[OS_LINUX].n, 5, "O|D1|R1|W0.5|C");
    cr_assert_eq(s.seq[OS_WINDOWS].n, 3, "O|W0.5|C");
    cr_assert_eq(s.seq[OS_WINDOWS].ops[2].kind, OP_CLOSE);
    cr_assert_eq(s.seq[OS_WINDOWS].ops[2].pos, 8);
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s.seq[os]);
}

/* ------------------------------------------------ malformed boards.yaml -- */

/* A minimal valid lab; the numbers on the left are line numbers. */
static const char LAB_OK[] =
    /*  1 */ "chips:\n"
    /*  2 */ "  c1:\n"
    /*  3 */ "    en_vih_frac: 0.75\n"
    /*  4 */ "    en_vil_v: 0.6\n"
    /*  5 */ "    min_reset_pulse_us: 50\n"
    /*  6 */ "    strap_setup_ms: 0\n"
    /*  7 */ "    strap_hold_ms: 1\n"
    /*  8 */ "    io0_switch_frac: 0.5\n"
    /*  9 */ "    boot_delay_ms: 1\n"
    /* 10 */ "    baud: 115200\n"
    /* 11 */ "    rom_header: \"ets\\r\\n\"\n"
    /* 12 */ "    rst_pin: \"rst:0x1 (POWERON_RESET)\"\n"
    /* 13 */ "    rst_usb: \"rst:0x1 (POWERON_RESET)\"\n"
    /* 14 */ "    boot_download: \"boot:0x3\\r\\nwaiting for download\\r\\n\"\n"
    /* 15 */ "    boot_flash: \"boot:0x13 (SPI_FAST_FLASH_BOOT)\\r\\n\"\n"
    /* 16 */ "    rom: {detect_magic: 0x00F01D83, status_bytes: 4, sync_value: 0x20120707}\n"
    /* 17 */ "circuits:\n"
    /* 18 */ "  tt:\n"
    /* 19 */ "    driver_ohms: 10\n"
    /* 20 */ "    table:\n"
    /* 21 */ "      - {dtr: 0, rts: 0, en: released, io0: released}\n"
    /* 22 */ "      - {dtr: 0, rts: 1, en: low, io0: released}\n"
    /* 23 */ "      - {dtr: 1, rts: 0, en: released, io0: low}\n"
    /* 24 */ "      - {dtr: 1, rts: 1, en: released, io0: released}\n"
    /* 25 */ "bridges:\n"
    /* 26 */ "  br:\n"
    /* 27 */ "    both_lines_one_request: true\n"
    /* 28 */ "    linux: {open: \"U1,1\", open_lowered: \"U1,1\", close: \"U0,0\"}\n"
    /* 29 */ "    windows: {open: \"U1,1\", open_lowered: \"\", close: \"D0|R0\"}\n"
    /* 30 */ "hosts:\n"
    /* 31 */ "  hh:\n"
    /* 32 */ "    os: linux\n"
    /* 33 */ "    request: {floor_ms: 0.2, median_ms: 1.0, sigma: 0.5, spike_p: 0.001, spike_ms: 5}\n"
    /* 34 */ "    overshoot: {floor_ms: 0.05, median_ms: 0.08, sigma: 0.3, spike_p: 0, spike_ms: 0}\n"
    /* 35 */ "    split_both_lines: false\n"
    /* 36 */ "boards:\n"
    /* 37 */ "  bb:\n"
    /* 38 */ "    chip: c1\n"
    /* 39 */ "    bridge: br\n"
    /* 40 */ "    circuit: tt\n"
    /* 41 */ "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"
    /* 42 */ "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n"
    /* 43 */ "    vdd: 3.3\n"
    /* 44 */ "    port: sim\n"
    /* 45 */ "    analyzer: {kind: sim, threshold_v: 1.5, sample_rate_hz: 4000000, tail_ms: 20, settle_ms: 0.1, "
             "transient_max_ms: 200}\n";

/* `base` with `old` (which must occur exactly once) replaced by `repl`. */
static char *edit(const char *base, const char *old, const char *repl)
{
    const char *at = strstr(base, old);
    cr_assert_not_null(at, "test bug: '%s' is not in the text", old);
    cr_assert_null(strstr(at + 1, old), "test bug: '%s' occurs more than once", old);
    size_t head = (size_t)(at - base), len = strlen(base) - strlen(old) + strlen(repl);
    char *out = malloc(len + 1);
    cr_assert_not_null(out);
    memcpy(out, base, head);
    strcpy(out + head, repl);
    strcat(out, at + strlen(old));
    return out;
}

/* Asserts that lab_load fails on `text` with exactly one line
 * "<file>:<line>: <key_path>: ..." (or "<file>:<line>: ..." when key_path
 * is NULL) that contains `reason`, and leaves the lab empty. */
static void check_lab_error(const char *text, int line, const char *key_path, const char *reason)
{
    char path[256], err[512] = "", prefix[400];
    write_temp(text, ".yaml", path, sizeof path);
    struct lab lab;
    int rc = lab_load(&lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, -1, "lab_load accepted the file; expected an error at line %d: %s", line, reason);
    cr_assert_null(strchr(err, '\n'), "the error is more than one line: \"%s\"", err);
    if (key_path)
        snprintf(prefix, sizeof prefix, "%s:%d: %s: ", path, line, key_path);
    else
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "expected the error to start with \"%s\", got \"%s\"", prefix,
              err);
    cr_assert_not_null(strstr(err + strlen(prefix), reason), "expected \"%s\" in the error, got \"%s\"", reason, err);
    cr_assert(lab.n_chips == 0 && lab.chips == NULL && lab.n_boards == 0 && lab.boards == NULL &&
                  lab.n_bridges == 0 && lab.bridges == NULL,
              "lab_load left a half-loaded lab after failing");
    assert_no_leaks("lab_load failed");
}

/* check_lab_error on LAB_OK with one edit. */
static void check_edit(const char *old, const char *repl, int line, const char *key_path, const char *reason)
{
    char *text = edit(LAB_OK, old, repl);
    char copy[sizeof LAB_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    check_lab_error(copy, line, key_path, reason);
}

Test(lab_errors, minimal_lab_loads)
{
    char path[256], err[512] = "";
    write_temp(LAB_OK, ".yaml", path, sizeof path);
    struct lab lab;
    int rc = lab_load(&lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "the minimal lab in this test does not load: %s", err);
    cr_assert(lab.n_chips == 1 && lab.n_circuits == 1 && lab.n_bridges == 1 && lab.n_hosts == 1 && lab.n_boards == 1);
    cr_assert_str_eq(lab.chips[0].rom_header, "ets\r\n");
    cr_assert_eq(lab.bridges[0].os[OS_WINDOWS].close.n, 2);
    cr_assert_str_eq(lab.path, path);
    lab_free(&lab);
    cr_assert_eq(lab.n_boards, 0, "lab_free leaves an empty lab");
    assert_no_leaks("lab_free");
}

/* The board mapping begins at its first key, "chip: c1" on line 37, so a
 * key missing from it is reported there. */
Test(lab_errors, board_missing_vdd)
{
    check_edit("    vdd: 3.3\n", "", 38, "boards.bb", "missing key 'vdd'");
}

/* en is a flow mapping on line 40 */
Test(lab_errors, board_missing_en)
{
    check_edit("    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n", "", 38, "boards.bb", "missing key 'en'");
}

Test(lab_errors, resistance_not_a_number)
{
    check_edit("r_ohms: 10000", "r_ohms: ten", 41, "boards.bb.en.r_ohms", "expected a number, got 'ten'");
}

Test(lab_errors, number_given_as_a_list)
{
    check_edit("    vdd: 3.3\n", "    vdd: [3.3]\n", 43, "boards.bb.vdd", "expected a number, got a list");
}

Test(lab_errors, negative_capacitance)
{
    check_edit("c_farads: 1.0e-6", "c_farads: -1.0e-6", 41, "boards.bb.en.c_farads", "-1e-06 is out of range [0, 1]");
}

Test(lab_errors, analyzer_threshold_above_vdd)
{
    check_edit("threshold_v: 1.5", "threshold_v: 3.3", 45, "boards.bb.analyzer.threshold_v", "is out of range");
}

Test(lab_errors, analog_rate_too_low)
{
    check_edit("transient_max_ms: 200}", "transient_max_ms: 200, analog_en_rate_hz: 10}", 45,
               "boards.bb.analyzer.analog_en_rate_hz", "10 is out of range [1000, 1e+08]");
}

Test(lab_errors, analog_noise_negative)
{
    check_edit("transient_max_ms: 200}", "transient_max_ms: 200, analog_noise_v: -0.1}", 45,
               "boards.bb.analyzer.analog_noise_v", "is out of range");
}

Test(lab_errors, unknown_board_key_typo)
{
    check_edit("    vdd: 3.3\n", "    vddd: 3.3\n", 43, "boards.bb", "unknown key 'vddd'");
}

Test(lab_errors, unknown_chip_key_typo)
{
    check_edit("    baud: 115200\n", "    baud_rate: 115200\n", 10, "chips.c1", "unknown key 'baud_rate'");
}

Test(lab_errors, unknown_top_level_section)
{
    /* the root mapping starts at line 1; the bad key is on line 45 */
    char text[sizeof LAB_OK + 64];
    snprintf(text, sizeof text, "%sboard:\n  x: {}\n", LAB_OK);
    check_lab_error(text, 46, NULL, "unknown key 'board'");
}

Test(lab_errors, board_references_unknown_chip)
{
    check_edit("    chip: c1\n", "    chip: esp99\n", 38, "boards.bb", "unknown chip 'esp99'");
}

Test(lab_errors, board_references_unknown_bridge)
{
    check_edit("    bridge: br\n", "    bridge: cp2102\n", 39, "boards.bb", "unknown bridge 'cp2102'");
}

Test(lab_errors, board_references_unknown_circuit)
{
    check_edit("    circuit: tt\n", "    circuit: three-transistor\n", 40, "boards.bb",
               "unknown circuit 'three-transistor'");
}

/* The table is a block sequence starting at its first "-" (line 20); the
 * (1,1) row of line 23 is gone. */
Test(lab_errors, circuit_table_missing_a_row)
{
    check_edit("      - {dtr: 1, rts: 1, en: released, io0: released}\n", "", 21, "circuits.tt.table",
               "no row for dtr 1, rts 1: a table needs all four");
}

/* line 23 repeats line 20's (0,0) */
Test(lab_errors, circuit_table_duplicate_row)
{
    check_edit("{dtr: 1, rts: 1,", "{dtr: 0, rts: 0,", 24, "circuits.tt.table", "dtr 0, rts 0 appears twice");
}

Test(lab_errors, circuit_table_line_value_not_a_bit)
{
    check_edit("{dtr: 1, rts: 1,", "{dtr: 2, rts: 1,", 24, "circuits.tt.table", "dtr must be 0 or 1");
}

Test(lab_errors, circuit_drive_lowish)
{
    check_edit("en: low,", "en: lowish,", 22, "circuits.tt.table", "en must be 'low' or 'released', got 'lowish'");
}

Test(lab_errors, circuit_with_table_and_actions)
{
    /* the circuit mapping starts at "driver_ohms" on line 18 */
    check_edit("    table:\n", "    actions: []\n    table:\n", 19, "circuits.tt", "needs exactly one of 'table'");
}

Test(lab_errors, host_os_macos)
{
    check_edit("    os: linux\n", "    os: macos\n", 32, "hosts.hh", "os must be linux or windows, got 'macos'");
}

Test(lab_errors, latency_median_below_floor)
{
    check_edit("median_ms: 1.0,", "median_ms: 0.1,", 33, "hosts.hh.request", "median_ms (0.1) is below floor_ms (0.2)");
}

Test(lab_errors, host_missing_overshoot)
{
    /* the host mapping starts at "os: linux" on line 31 */
    check_edit("    overshoot: {floor_ms: 0.05, median_ms: 0.08, sigma: 0.3, spike_p: 0, spike_ms: 0}\n", "", 32,
               "hosts.hh", "missing key 'overshoot'");
}

/* "D0|X1": 'X' is column 4 of the sequence */
Test(lab_errors, bridge_close_sequence_bad_dsl)
{
    check_edit("close: \"D0|R0\"", "close: \"D0|X1\"", 29, "bridges.br.windows", "close: column 4: unknown step 'X1'");
}

Test(lab_errors, bridge_os_sequence_opens_the_port)
{
    check_edit("{open: \"U1,1\", open_lowered: \"U1,1\"", "{open: \"O|U1,1\", open_lowered: \"U1,1\"", 28,
               "bridges.br.linux", "open: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_first_open_opens_the_port)
{
    check_edit("close: \"D0|R0\"}", "close: \"D0|R0\", first_open: \"R1|O\"}", 29, "bridges.br.windows",
               "first_open: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_first_open_lowered_bad_dsl)
{
    check_edit("close: \"D0|R0\"}", "close: \"D0|R0\", first_open_lowered: \"U1,1|X\"}", 29, "bridges.br.windows",
               "first_open_lowered: column 6");
}

Test(lab_errors, bridge_os_sequence_closes_the_port)
{
    check_edit("close: \"D0|R0\"", "close: \"D0|R0|C\"", 29, "bridges.br.windows",
               "close: an OS sequence cannot open or close the port");
}

Test(lab_errors, bridge_missing_windows)
{
    /* the bridge mapping starts at "both_lines_one_request" on line 26 */
    check_edit("    windows: {open: \"U1,1\", open_lowered: \"\", close: \"D0|R0\"}\n", "", 27, "bridges.br",
               "missing key 'windows'");
}

Test(lab_errors, bridge_flag_not_a_boolean)
{
    check_edit("both_lines_one_request: true", "both_lines_one_request: maybe", 27,
               "bridges.br.both_lines_one_request", "expected true or false, got 'maybe'");
}

Test(lab_errors, real_port_needs_a_real_analyzer)
{
    check_edit("    port: sim\n", "    port: /dev/ttyUSB0\n", 44, "boards.bb", "port '/dev/ttyUSB0' needs analyzer kind 'sigrok'");
}

Test(lab_errors, port_neither_sim_nor_a_device)
{
    check_edit("    port: sim\n", "    port: COM3\n", 44, "boards.bb",
               "port 'COM3': expected sim, a device path (/dev/serial/by-id/...), usb:VID:PID[:SERIAL] or "
               "rfc2217://HOST:PORT");
}

Test(lab_errors, rfc2217_port_without_a_port_number)
{
    check_edit("    port: sim\n", "    port: rfc2217://nohost\n", 44, "boards.bb",
               "port 'rfc2217://nohost': no :PORT after the host; expected rfc2217://HOST:PORT");
}

#define REAL_ANALYZER                                                                                              \
    "    analyzer: {kind: sigrok, driver: fx2lafw, config: \"samplerate=4M\", channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\", " \
    "threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, transient_max_ms: 200}\n"

static const char *const SIM_ANALYZER =
    "    analyzer: {kind: sim, threshold_v: 1.5, sample_rate_hz: 4000000, tail_ms: 20, settle_ms: 0.1, "
    "transient_max_ms: 200}\n";

/* `text` as a lab that must load: written to a temp file, loaded, removed. */
static void load_lab_ok(const char *text, struct lab *lab)
{
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    int rc = lab_load(lab, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
}

/* A real board: a USB match and fx2lafw, as sigrok-cli spells it. */
Test(lab_errors, real_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: usb:10c4:ea60\n");
    char *text = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    const struct analyzer_cfg *an = &lab.boards[0].analyzer;
    cr_assert_str_eq(lab.boards[0].port, "usb:10c4:ea60");
    cr_assert_str_eq(an->kind, "sigrok");
    cr_assert_str_eq(an->driver, "fx2lafw");
    cr_assert_str_eq(an->channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0");
    cr_assert_float_eq(an->pretrigger_pct, 20, 1e-9);
    lab_free(&lab);
}

/* A remote board: `port: rfc2217://HOST:PORT` with a real analyzer. */
Test(lab_errors, rfc2217_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *text = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    cr_assert_str_eq(lab.boards[0].port, "rfc2217://127.0.0.1:2217");
    lab_free(&lab);
}

static void check_real_edit(const char *old, const char *repl, const char *key_path, const char *reason)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: /dev/serial/by-id/usb-x\n");
    char *b = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    char *text = edit(b, old, repl);
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(b), free(text);
    check_lab_error(copy, 45, key_path, reason);
}

Test(lab_errors, real_analyzer_malformed)
{
    check_real_edit("channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\"", "channels: \"D0=DTR\"", "boards.bb.analyzer",
                    "DTR and RTS must be mapped");
    check_real_edit("channels: \"D0=DTR,", "channels: \"D0=CTS,", "boards.bb.analyzer", "unknown channel 'CTS'");
    check_real_edit("config: \"samplerate=4M\"", "config: \"samplerate=fast\"", "boards.bb.analyzer", "samplerate");
    check_real_edit("driver: fx2lafw, ", "", "boards.bb.analyzer", "missing key 'driver'");
    check_real_edit("kind: sigrok,", "kind: saleae,", "boards.bb.analyzer", "kind 'saleae': expected sim (the virtual lab), sigrok (a real analyzer) or serve");
    check_real_edit("tail_ms: 20,", "tail_ms: 20, analog_en_rate_hz: 10,", "boards.bb.analyzer.analog_en_rate_hz",
                    "10 is out of range [1000, 1e+08]");
    check_real_edit("D3=IO0\"", "D3=IO0,A0=EN_V,A1=EN_V\"", "boards.bb.analyzer", "EN_V is mapped twice");
}

/* A mixed-signal analyzer: EN_V mapped, its samples kept at a rate. */
Test(lab_errors, real_analyzer_with_analog_en_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: usb:10c4:ea60\n");
    char *b = edit(a, SIM_ANALYZER, REAL_ANALYZER);
    char *text = edit(b, "D3=IO0\", threshold_v: 1.5,", "D3=IO0,A0=EN_V\", threshold_v: 1.5, analog_en_rate_hz: 100000,");
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(b), free(text);
    cr_assert_float_eq(lab.boards[0].analyzer.analog_en_rate_hz, 100000, 1e-9);
    lab_free(&lab);
}

Test(lab_errors, missing_boards_section)
{
    /* cut everything from line 35 on: the root mapping starts on line 1 */
    char text[sizeof LAB_OK];
    snprintf(text, sizeof text, "%s", LAB_OK);
    *strstr(text, "boards:\n") = '\0';
    check_lab_error(text, 1, NULL, "missing section 'boards'");
}

Test(lab_errors, empty_section)
{
    /* lines 29-34 (the hosts) become "hosts: {}" on line 29 */
    char text[sizeof LAB_OK];
    snprintf(text, sizeof text, "%s", LAB_OK);
    char *hosts = strstr(text, "hosts:\n"), *boards = strstr(text, "boards:\n");
    memmove(hosts + strlen("hosts: {}\n"), boards, strlen(boards) + 1);
    memcpy(hosts, "hosts: {}\n", strlen("hosts: {}\n"));
    check_lab_error(text, 30, "hosts", "is empty");
}

/* An unclosed flow mapping: "{" opened on line 44 is never closed; libyaml
 * notices at the end of the stream (line 45, after the last newline). */
Test(lab_errors, yaml_syntax_unclosed_bracket)
{
    check_edit("transient_max_ms: 200}\n", "transient_max_ms: 200\n", 46, NULL, "did not find expected ',' or '}'");
}

/* An unclosed flow sequence in the middle of the file: "[" on line 42;
 * libyaml reports it on line 43, where "port: sim" cannot continue the
 * list. */
Test(lab_errors, yaml_syntax_unclosed_list)
{
    check_edit("    vdd: 3.3\n", "    vdd: [3.3\n", 44, NULL,
               "did not find expected ',' or ']' while parsing a flow sequence");
}

/* An unclosed quote on line 43 runs to the end of the stream (line 45). */
Test(lab_errors, yaml_syntax_unclosed_quote)
{
    check_edit("    port: sim\n", "    port: \"sim\n", 46, NULL, "found unexpected end of stream");
}

Test(lab_errors, yaml_syntax_bad_indentation)
{
    /* line 42 indented deeper than its siblings: not a key of the board */
    check_edit("    vdd: 3.3\n", "      vdd: 3.3\n", 43, NULL, "did not find expected key while parsing a block mapping");
}

Test(lab_errors, empty_file)
{
    check_lab_error("", 1, NULL, "the file is empty");
}

Test(lab_errors, comments_only_file)
{
    check_lab_error("# nothing here\n\n", 1, NULL, "the file is empty");
}

Test(lab_errors, root_is_a_list)
{
    check_lab_error("- chips\n- boards\n", 1, NULL, "expected a mapping, got a list");
}

Test(lab_errors, nonexistent_file)
{
    char err[512] = "";
    struct lab lab;
    const char *path = "/tmp/resetlab-test-does-not-exist/boards.yaml";
    cr_assert_eq(lab_load(&lab, path, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, path), "the error names the file: \"%s\"", err);
    cr_assert_not_null(strstr(err, "No such file"), "the error says why: \"%s\"", err);
    cr_assert_null(strchr(err, '\n'));
    cr_assert_null(lab.chips);
    assert_no_leaks("lab_load on a missing file");
}

/* ------------------------------------------------- scenario files -- */

/* A minimal valid scenario; line numbers on the left. */
static const char SCN_OK[] =
    /* 1 */ "name: t-one\n"
    /* 2 */ "origin: \"a test\"\n"
    /* 3 */ "expect: download\n"
    /* 4 */ "sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n";

/* Asserts that scenario_load_file fails on `text` with one line
 * "<file>:<line>: <key_path>: ..." containing `reason`, and frees its
 * sequences. */
static void check_scenario_error(const char *text, int line, const char *key_path, const char *reason)
{
    char path[256], err[512] = "", prefix[400];
    write_temp(text, ".yaml", path, sizeof path);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, -1, "scenario_load_file accepted it; expected an error at line %d: %s", line, reason);
    cr_assert_null(strchr(err, '\n'), "the error is more than one line: \"%s\"", err);
    if (key_path)
        snprintf(prefix, sizeof prefix, "%s:%d: %s: ", path, line, key_path);
    else
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "expected the error to start with \"%s\", got \"%s\"", prefix,
              err);
    cr_assert_not_null(strstr(err + strlen(prefix), reason), "expected \"%s\" in the error, got \"%s\"", reason, err);
    for (int os = 0; os < OS_COUNT; os++)
        cr_assert(s.seq[os].ops == NULL && s.seq[os].n == 0, "sequence %d left allocated", os);
    assert_no_leaks("scenario_load_file failed");
}

static void check_scenario_edit(const char *old, const char *repl, int line, const char *key_path,
                                const char *reason)
{
    char *text = edit(SCN_OK, old, repl);
    char copy[sizeof SCN_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    check_scenario_error(copy, line, key_path, reason);
}

Test(scenario_errors, minimal_scenario_loads)
{
    char path[256], err[512] = "";
    write_temp(SCN_OK, ".yaml", path, sizeof path);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "the minimal scenario does not load: %s", err);
    cr_assert_str_eq(s.name, "t-one");
    cr_assert_str_eq(s.origin, "a test");
    cr_assert_str_eq(s.file, path);
    cr_assert_eq(s.expected, BOOT_DOWNLOAD);
    cr_assert_eq(s.rewrite_dtr_after_rts, 0, "dtr_rewrite_after_rts defaults to off");
    cr_assert_eq(s.after_power_on, 0, "after_power_on defaults to off");
    cr_assert_eq(s.os_mask, 3, "no os list: both OSes");
    cr_assert_eq(s.n_only_bridges, 0);
    cr_assert_eq(s.seq[OS_LINUX].n, 8);
    cr_assert_eq(s.seq[OS_WINDOWS].n, 8);
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s.seq[os]);
}

/* the root mapping starts at line 1 and has no key path */
Test(scenario_errors, missing_expect)
{
    check_scenario_edit("expect: download\n", "", 1, NULL, "missing key 'expect'");
}

Test(scenario_errors, missing_sequence)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n", "", 1, NULL, "missing key 'sequence'");
}

Test(scenario_errors, expect_sometimes)
{
    check_scenario_edit("expect: download", "expect: sometimes", 3, "expect",
                        "must be download, flash or no-reset, got 'sometimes'");
}

Test(scenario_errors, expect_marginal_is_not_a_target)
{
    check_scenario_edit("expect: download", "expect: marginal", 3, "expect", "got 'marginal'");
}

Test(scenario_errors, after_power_on_not_a_boolean)
{
    check_scenario_edit("expect: download\n", "expect: download\nafter_power_on: sometimes\n", 4, "after_power_on",
                        "expected true or false, got 'sometimes'");
}

Test(scenario_errors, unknown_top_level_key)
{
    check_scenario_edit("expect: download\n", "expect: download\nexpected: flash\n", 4, NULL, "unknown key 'expected'");
}

/* "D1|O": D1 at column 1 touches a line before the port is open */
Test(scenario_errors, line_change_before_open)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"D1|O\"", 4, "sequence",
                        "column 1: the port is not open here");
}

/* "O|D1|C|R0": R0 at column 8 comes after the close */
Test(scenario_errors, line_change_after_close)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D1|C|R0\"", 4, "sequence",
                        "column 8: the port is not open here");
}

/* "O|D1|O0": the second open is at column 6 */
Test(scenario_errors, opening_twice)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D1|O0\"", 4, "sequence",
                        "column 6: the port is already open");
}

Test(scenario_errors, empty_sequence)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"\"", 4, "sequence", "the sequence is empty");
}

/* "O|D0|R1|W0,1": ',' after W0 is column 11 */
Test(scenario_errors, sequence_bad_dsl)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "\"O|D0|R1|W0,1\"", 4, "sequence",
                        "column 11: unexpected ',1' after a step");
}

Test(scenario_errors, sequence_as_a_list)
{
    check_scenario_edit("\"O|D0|R1|W0.1|D1|R0|W0.05|D0\"", "[O, D0]", 4, "sequence",
                        "expected a sequence string");
}

/* lines 4-6: sequence: / linux: ... / macos: ...; the unknown key is on 6 */
Test(scenario_errors, per_os_sequence_unknown_os)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n",
                        "sequence:\n  linux: \"O|D1|W0.5|C\"\n  macos: \"O|D1|W0.5|C\"\n", 6, "sequence",
                        "unknown key 'macos'");
}

/* lines 4-6; the windows sequence on line 6 touches RTS (column 1) before opening */
Test(scenario_errors, per_os_sequence_error_names_the_os)
{
    check_scenario_edit("sequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n",
                        "sequence:\n  linux: \"O|D1|W0.5|C\"\n  windows: \"R0|O|W0.5|C\"\n", 6, "sequence.windows",
                        "column 1: the port is not open here");
}

Test(scenario_errors, os_macos)
{
    check_scenario_edit("expect: download\n", "expect: download\nos: [macos]\n", 4, "os",
                        "expected linux or windows, got 'macos'");
}

Test(scenario_errors, os_not_a_list)
{
    check_scenario_edit("expect: download\n", "expect: download\nos: linux\n", 4, "os", "expected a list, got a scalar");
}

Test(scenario_errors, rewrite_flag_not_a_boolean)
{
    check_scenario_edit("expect: download\n", "expect: download\ndtr_rewrite_after_rts: sometimes\n", 4,
                        "dtr_rewrite_after_rts", "expected true or false, got 'sometimes'");
}

Test(scenario_errors, empty_file)
{
    check_scenario_error("", 1, NULL, "the file is empty");
}

Test(scenario_errors, yaml_syntax_unclosed_quote)
{
    /* the quote opened on line 4 runs to the end of the stream: line 5 */
    check_scenario_edit("|D0\"\n", "|D0\n", 5, NULL, "found unexpected end of stream");
}

Test(scenario_errors, nonexistent_file)
{
    char err[512] = "";
    struct scenario s;
    const char *path = "/tmp/resetlab-test-does-not-exist/x.yaml";
    cr_assert_eq(scenario_load_file(&s, path, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, path), "the error names the file: \"%s\"", err);
    cr_assert_not_null(strstr(err, "No such file"), "\"%s\"", err);
    assert_no_leaks("scenario_load_file on a missing file");
}

Test(scenario_os_list, os_list_restricts_the_mask)
{
    char *text = edit(SCN_OK, "expect: download\n", "expect: download\nos: [windows]\nbridges: [ftdi, ch340]\n");
    char path[256], err[512] = "";
    write_temp(text, ".yaml", path, sizeof path);
    free(text);
    struct scenario s;
    int rc = scenario_load_file(&s, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(s.os_mask, 1 << OS_WINDOWS);
    cr_assert_eq(s.n_only_bridges, 2);
    cr_assert_str_eq(s.only_bridges[1], "ch340");
    for (int os = 0; os < OS_COUNT; os++)
        op_seq_free(&s.seq[os]);
}

/* ------------------------------------------------- scenario folders -- */

static void write_in(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_in(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

Test(scenario_dir, duplicate_name_names_the_second_file)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    /* a.yaml sorts first, so b.yaml is the duplicate */
    write_in(dir, "b.yaml", SCN_OK);
    write_in(dir, "a.yaml", SCN_OK);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    int loaded = lab.n_scenarios;
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "a.yaml");
    remove_in(dir, "b.yaml");
    rmdir(dir);
    cr_assert_eq(rc, -1, "two scenarios named t-one were accepted");
    snprintf(want, sizeof want, "%s/b.yaml:1: name 't-one' is already used by another scenario", dir);
    cr_assert_str_eq(err, want);
    cr_assert_eq(loaded, 1, "only a.yaml is kept");
}

Test(scenario_dir, loads_yaml_files_sorted_and_skips_others)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "";
    cr_assert_not_null(mkdtemp(dir));
    char *second = edit(SCN_OK, "name: t-one", "name: t-two");
    write_in(dir, "z.yaml", SCN_OK);
    write_in(dir, "m.yaml", second);
    write_in(dir, "notes.txt", "not a scenario");
    write_in(dir, ".hidden.yaml", "not: [valid");
    free(second);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    int n = lab.n_scenarios;
    char first[64] = "", last[64] = "";
    if (n == 2) {
        snprintf(first, sizeof first, "%s", lab.scenarios[0].name);
        snprintf(last, sizeof last, "%s", lab.scenarios[1].name);
    }
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "z.yaml");
    remove_in(dir, "m.yaml");
    remove_in(dir, "notes.txt");
    remove_in(dir, ".hidden.yaml");
    rmdir(dir);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(first, "t-two", "m.yaml sorts before z.yaml");
    cr_assert_str_eq(last, "t-one");
}

Test(scenario_dir, bad_file_stops_the_load)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    char *bad = edit(SCN_OK, "expect: download", "expect: sometimes");
    write_in(dir, "a.yaml", SCN_OK);
    write_in(dir, "b.yaml", bad);
    write_in(dir, "c.yaml", SCN_OK);
    free(bad);
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    remove_in(dir, "a.yaml");
    remove_in(dir, "b.yaml");
    remove_in(dir, "c.yaml");
    rmdir(dir);
    cr_assert_eq(rc, -1);
    snprintf(want, sizeof want, "%s/b.yaml:3: expect: ", dir);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "expected \"%s...\", got \"%s\"", want, err);
}

Test(scenario_dir, empty_dir_is_an_error)
{
    char dir[] = "/tmp/resetlab-test-scn-XXXXXX", err[512] = "", want[600];
    cr_assert_not_null(mkdtemp(dir));
    struct lab lab = {0};
    int rc = scenarios_load(&lab, dir, err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    rmdir(dir);
    cr_assert_eq(rc, -1, "an empty scenarios folder was accepted");
    snprintf(want, sizeof want, "%s: no *.yaml scenario files", dir);
    cr_assert_str_eq(err, want);
}

Test(scenario_dir, missing_dir_is_an_error)
{
    char err[512] = "";
    struct lab lab = {0};
    int rc = scenarios_load(&lab, "/tmp/resetlab-test-does-not-exist", err, sizeof err);
    lab_free(&lab);
    assert_no_leaks("scenarios_load");
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(err, "/tmp/resetlab-test-does-not-exist: cannot open the scenarios folder");
}

/* ------------------------------------------ silent-acceptance holes -- */

Test(lab_errors, duplicate_key_is_refused)
{
    /* a second `vdd:` in the board would silently lose one value */
    char *text = edit(LAB_OK, "    vdd: 3.3\n", "    vdd: 3.3\n    vdd: 5.0\n");
    char copy[sizeof LAB_OK + 256];
    snprintf(copy, sizeof copy, "%s", text);
    free(text);
    char path[256], err[512] = "";
    write_temp(copy, ".yaml", path, sizeof path);
    struct lab lab;
    cr_assert_eq(lab_load(&lab, path, err, sizeof err), -1, "a duplicate key was accepted");
    unlink(path);
    cr_assert_not_null(strstr(err, "key 'vdd' appears twice"), "%s", err);
    assert_no_leaks("duplicate key");
}

Test(scenario_errors, os_list_without_a_sequence_for_it)
{
    check_scenario_error("name: t\norigin: o\nexpect: no-reset\nsequence:\n  windows: \"O|C\"\nos: [linux]\n", 6, "os",
                         "no sequence for any OS listed here");
}

Test(scenario_errors, per_os_mapping_with_no_os)
{
    check_scenario_error("name: t\norigin: o\nexpect: no-reset\nsequence: {}\n", 4, "sequence",
                         "no sequence for linux or windows");
}

Test(shipped, fault_boards_keep_the_design_and_change_the_real_parts)
{
    struct lab lab;
    load_shipped_boards(&lab);
    const struct board_profile *open = lab_board(&lab, "devkitc-en-open"), *cap = lab_board(&lab, "devkitc-wrong-cap");
    cr_assert_str_eq(open->circuit->name, "two-transistor");
    cr_assert_str_eq(open->real.circuit->name, "two-transistor-en-open");
    cr_assert_eq(cap->en_c_farads, 1.0e-6);
    cr_assert_eq(cap->real.en_c_farads, 0.1e-6);
    cr_assert_eq(cap->real.circuit, cap->circuit);
    const struct board_profile *ok = lab_board(&lab, "devkitc");
    cr_assert_eq(ok->real.circuit, ok->circuit);
    cr_assert_eq(ok->real.en_c_farads, ok->en_c_farads);
    lab_free(&lab);
}

Test(lab_errors, fault_with_unknown_circuit)
{
    check_edit("    port: sim\n", "    port: sim\n    fault: {description: broken, circuit: nope}\n", 45, "boards.bb.fault",
               "unknown circuit 'nope'");
}

Test(lab_errors, fault_without_description)
{
    check_edit("    port: sim\n", "    port: sim\n    fault: {en_c_farads: 1.0e-7}\n", 45, "boards.bb.fault",
               "missing key 'description'");
}

Test(lab_errors, chip_rom_magic_not_a_number)
{
    check_edit("detect_magic: 0x00F01D83", "detect_magic: magic", 16, "chips.c1.rom.detect_magic",
               "expected a whole number from 0 to 0xFFFFFFFF, got 'magic'");
}

Test(lab_errors, chip_rom_status_bytes_3)
{
    check_edit("status_bytes: 4", "status_bytes: 3", 16, "chips.c1.rom", "status_bytes must be 2 or 4, got 3");
}

#define SERVE_ANALYZER                                                                                             \
    "    analyzer: {kind: serve, log: /tmp/served, threshold_v: 1.5, tail_ms: 20, settle_ms: 0.1, "               \
    "transient_max_ms: 200}\n"

/* A board served by `resetlab serve`: rfc2217:// and the server's log. */
Test(lab_errors, served_board_loads)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *text = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    struct lab lab;
    load_lab_ok(text, &lab);
    free(a), free(text);
    cr_assert_str_eq(lab.boards[0].analyzer.kind, "serve");
    cr_assert_str_eq(lab.boards[0].analyzer.log_dir, "/tmp/served");
    lab_free(&lab);
}

Test(lab_errors, served_board_needs_an_rfc2217_port)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: /dev/ttyUSB0\n");
    char *text = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(text);
    check_lab_error(copy, 44, "boards.bb",
                    "port '/dev/ttyUSB0': a board served by resetlab serve is reached at rfc2217://HOST:PORT");
}

Test(lab_errors, served_board_needs_its_log)
{
    char *a = edit(LAB_OK, "    port: sim\n", "    port: rfc2217://127.0.0.1:2217\n");
    char *b = edit(a, SIM_ANALYZER, SERVE_ANALYZER);
    char *text = edit(b, "log: /tmp/served, ", "");
    char copy[sizeof LAB_OK + 512];
    snprintf(copy, sizeof copy, "%s", text);
    free(a), free(b), free(text);
    check_lab_error(copy, 45, "boards.bb.analyzer", "missing key 'log'");
}
