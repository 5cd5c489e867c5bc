/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading the shipped lab (harness/lab/lab_load.h) and looking things up in
 * it (sim/lab.h): boards.yaml's boards, hosts, bridges, chips and circuits
 * with their values, the fault boards, and scenarios/ loaded whole and one
 * file at a time. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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

Test(shipped, boards_yaml_has_thirteen_healthy_and_six_fault_boards)
{
    static const char *const want[] = {"devkitc",         "devkitc-early",       "nodemcu-nocap",   "nodemcu-direct",
                                       "seed-12k-1u",     "wrover-kit",          "esp32c3-usb",     "esp32s3-devkitc-1",
                                       "esp32s3-devkitc-1-usb", "esp32s2-saola-1-usb", "esp32c6-devkitc-1", "esp32h2-devkitm-1",
                                       "nodemcu-esp8266", "devkitc-en-open",
                                       "devkitc-io0-shorted", "devkitc-swapped", "devkitc-direct",  "devkitc-no-io0-pullup",
                                       "devkitc-wrong-cap"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("boards", lab.boards[0].name, sizeof lab.boards[0], lab.n_boards, want, 19);
    for (int i = 0; i < 19; i++)
        cr_assert_eq(lab.boards[i].fault[0] != '\0', i >= 13, "%s: fault '%s'", want[i], lab.boards[i].fault);
    for (int i = 0; i < 19; i++)
        cr_assert_eq(lab_board(&lab, want[i]), &lab.boards[i], "lab_board(\"%s\") does not find it", want[i]);
    cr_assert_null(lab_board(&lab, "devkit"), "lab_board matched a prefix");
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, boards_yaml_has_thirteen_hosts)
{
    static const char *const want[] = {"native-linux", "native-windows", "vm-serial-virtualized",
                                       "vm-usb-passthrough", "vm-usb-passthrough-win", "wsl-usbipd",
                                       "rfc2217-pyserial", "ser2net-lan", "ser2net-wifi",
                                       "esp-rfc2217-server-lan", "esp-rfc2217-server-wifi-noign", "esp-link-telnet",
                                       "esp-link-2323"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("hosts", lab.hosts[0].name, sizeof lab.hosts[0], lab.n_hosts, want, 13);
    cr_assert_eq(lab_host(&lab, "rfc2217-pyserial")->port, PORT_RFC2217);
    cr_assert_eq(lab_host(&lab, "vm-usb-passthrough-win")->os, OS_WINDOWS);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(lab_host(&lab, want[i]), &lab.hosts[i], "lab_host(\"%s\") does not find it", want[i]);
    cr_assert_null(lab_host(&lab, "native-macos"));
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, boards_yaml_has_seven_bridges)
{
    static const char *const want[] = {"cp210x", "ftdi", "ch340", "pl2303", "cdc-acm", "esp-usb-jtag", "esp-usb-otg"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("bridges", lab.bridges[0].name, sizeof lab.bridges[0], lab.n_bridges, want, 7);
    for (int i = 0; i < lab.n_bridges; i++)
        cr_assert(lab.bridges[i].both_lines_one_request, "%s: both_lines_one_request is true in boards.yaml",
                  lab.bridges[i].name);
    lab_free(&lab);
    assert_no_leaks("lab_free");
}

Test(shipped, chips_and_circuits)
{
    static const char *const chips[] = {"esp32", "esp32c3", "esp32s2", "esp32s3", "esp32c2", "esp32c6", "esp32h2", "esp8266"},
                             *const circuits[] = {"two-transistor",        "two-transistor-en-open",
                                                  "two-transistor-io0-shorted", "two-transistor-swapped",
                                                  "direct",                "usb-serial-jtag",
                                                  "usb-otg-cdc"};
    struct lab lab;
    load_shipped_boards(&lab);
    assert_names("chips", lab.chips[0].name, sizeof lab.chips[0], lab.n_chips, chips, 8);
    assert_names("circuits", lab.circuits[0].name, sizeof lab.circuits[0], lab.n_circuits, circuits, 7);
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

/* In file-name order: eight tools (six connect loops, idf-monitor, picocom)
 * and the ten strategies. */
Test(shipped, eighteen_scenarios_load)
{
    static const char *const want[] = {"espflash-3",           "espflash",        "esptool-3",
                                       "esptool-4",            "esptool-5",       "esptool-classic-slow",
                                       "esptool-classic",      "esptool-hard-reset", "esptool-js",
                                       "esptool-tight",        "esptool-usb-jtag", "idf-monitor",
                                       "mpremote-connect-close", "mpremote-first-open", "picocom-lower",
                                       "picocom",              "pyserial-first-open", "pyserial-open-close"};
    struct lab lab;
    load_shipped_lab(&lab);
    assert_names("scenarios", lab.scenarios[0].name, sizeof lab.scenarios[0], lab.n_scenarios, want, 18);
    static const char *const loops[] = {"espflash-3", "espflash", "esptool-3", "esptool-4", "esptool-5", "esptool-js"};
    for (int i = 0; i < 6; i++)
        cr_assert(lab_scenario(&lab, loops[i])->tool != NULL && lab_scenario(&lab, loops[i])->product[0],
                  "%s is a tool's connect loop", loops[i]);
    cr_assert_null(lab_scenario(&lab, "esptool-classic")->tool);
    for (int i = 0; i < 18; i++)
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
        int want = h->os == OS_LINUX && h->port == PORT_LOCAL; /* a U step needs TIOCMSET: no rfc2217:// */
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
            /* the network bridges' hosts take two-transistor boards only (network.boards_with_circuit) */
            int want = strcmp(b->bridge->name, "esp-usb-jtag") == 0 && lab.hosts[j].net.bridge == NULL;
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
