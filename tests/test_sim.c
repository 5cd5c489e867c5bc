/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual lab against its own physics and the shipped scenarios. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "analyzers/slip.h"
#include "harness/lab/lab_dsl.h"
#include "harness/run/run_matrix.h"
#include "sim/world.h"
#include "helpers.h"

static struct host_profile ideal_host(enum host_os os)
{
    struct host_profile h = {.os = os}; /* every latency zero */
    snprintf(h.name, sizeof h.name, "ideal-%s", host_os_name(os));
    return h;
}

/* A host whose requests all take exactly `ms`. */
static struct host_profile fixed_host(enum host_os os, double ms)
{
    struct host_profile h = ideal_host(os);
    h.request = (struct latency){.floor_ms = ms, .median_ms = ms};
    return h;
}

static struct run_buffers rb;

static const struct analysis *run(struct lab *lab, const char *board, const struct host_profile *h, const char *scenario,
                                  uint64_t seed)
{
    const struct board_profile *b = lab_board(lab, board);
    const struct scenario *s = lab_scenario(lab, scenario);
    cr_assert(b && s, "%s / %s missing from the shipped lab", board, scenario);
    struct sim_world *w = sim_world_new();
    run_sim_once(w, b, h, s, seed, &rb);
    sim_world_free(w);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    return &rb.a;
}

/* Why a scenario must fail on a board even on a host without latency, or
 * NULL when it must do what it was written for (docs/physics.md). */
static const char *field_failure(const struct board_profile *b, enum host_os os, const struct scenario *sc)
{
    int usb = b->circuit->kind == CIRCUIT_USB_JTAG;
    if (usb && sc->expected == BOOT_DOWNLOAD && sc->n_only_bridges == 0 && sc->tool == NULL)
        return "a transistor-circuit sequence on a USB-Serial/JTAG chip"; /* a tool picks its USB reset by PID */
    /* The peripheral acts on each packet: Windows' DTR-then-RTS close sends
     * (DTR0,RTS1) = reset, however fast the second packet follows. */
    if (usb && os == OS_WINDOWS && strcmp(sc->name, "pyserial-open-close") == 0)
        return "Windows' close order on USB-Serial/JTAG";
    /* Direct wiring: raised lines hold EN low; Linux raises both in open(2),
     * Windows when pyserial opens with its defaults, and a first-open CH340
     * even when asked for them lowered. picocom lowers them at once. */
    if (b->circuit->kind == CIRCUIT_TRANSISTOR && circuit_en(b->circuit, 1, 1) == DRIVE_LOW &&
        sc->expected == BOOT_NONE && strcmp(sc->name, "picocom-lower") != 0 &&
        (os == OS_LINUX || strcmp(sc->name, "mpremote-connect-close") != 0))
        return "raised lines on a direct-wired board";
    /* CP210x on Windows: RTS before DTR on the first open after power-on
     * (pyserial's default open; an O0 open leaves the lines alone). */
    if (sc->after_power_on && sc->seq[os].n > 0 && sc->seq[os].ops[0].kind == OP_OPEN &&
        b->bridge->os[os].first_open.n > 0 && !usb)
        return "the bridge's first-open quirk";
    return NULL;
}

/* With no latency at all, every strategy does what it was written for on
 * every healthy board, except where the physics says it cannot. */
Test(sim, every_scenario_meets_its_expectation_on_an_ideal_host)
{
    struct lab lab;
    load_shipped_lab(&lab);
    for (int os = 0; os < OS_COUNT; os++) {
        struct host_profile h = ideal_host((enum host_os)os);
        for (int b = 0; b < lab.n_boards; b++)
            for (int s = 0; s < lab.n_scenarios; s++) {
                const struct board_profile *bp = &lab.boards[b];
                const struct scenario *sc = &lab.scenarios[s];
                if (!scenario_applies(sc, bp, &h) || bp->fault[0]) /* fault boards: test_faults.c */
                    continue;
                /* USB-OTG CDC boards act on the sequence of line-state packets, which a host
                 * taking no time at all sends at one instant: test_usb_otg.c runs them on a
                 * host of 1 ms a request */
                if (bp->circuit->kind == CIRCUIT_USB_OTG)
                    continue;
                const char *why = field_failure(bp, (enum host_os)os, sc);
                const struct analysis *a = run(&lab, bp->name, &h, sc->name, 1);
                /* esptool-js: its HardReset never asserts RTS (lib/reset.js), so no banner
                 * follows it; and with no latency at all its five SYNC tries, with no pause
                 * between them, all fall inside the USB-Serial/JTAG banner's 137 µs */
                if (strcmp(sc->name, "esptool-js") == 0)
                    cr_expect(a->verdict == VERDICT_FAIL && (a->tool.connected ? a->tool.after == BOOT_NONE : bp->circuit->kind == CIRCUIT_USB_JTAG),
                              "%s/%s/esptool-js: connected %d, after %s", bp->name, h.name, a->tool.connected,
                              boot_mode_name(a->tool.after));
                else if (why)
                    cr_expect_eq(a->outcome, BOOT_FLASH, "%s/%s/%s (%s): outcome %s", bp->name, h.name, sc->name, why,
                                 boot_mode_name(a->outcome));
                else
                    cr_expect_eq(a->verdict, VERDICT_PASS, "%s/%s/%s: outcome %s, expected %s", bp->name, h.name,
                                 sc->name, boot_mode_name(a->outcome), boot_mode_name(sc->expected));
            }
    }
    lab_free(&lab);
}

/* CP210x on Windows, first open after power-on: RTS asserted 5 ms before
 * DTR = (DTR0,RTS1) = EN low through 10 Ω on 1 µF for 5 ms: a reset, caused
 * by O. The next open in the same power cycle is a normal one. */
Test(sim, cp210x_first_open_on_windows_resets_once_per_power_cycle)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile h = ideal_host(OS_WINDOWS);
    struct scenario sc = *lab_scenario(&lab, "pyserial-first-open");
    char err[160];
    cr_assert_eq(dsl_parse("O|W0.5|C0|W0.5|O|W0.5|C0", &sc.seq[OS_WINDOWS], err, sizeof err), 0, "%s", err);
    struct sim_world *w = sim_world_new();
    run_sim_once(w, lab_board(&lab, "devkitc"), &h, &sc, 1, &rb);
    cr_assert_eq(rb.a.n_resets, 1, "%d resets", rb.a.n_resets);
    cr_assert_eq(rb.a.resets[0].cause_op, 0, "caused by op %d", rb.a.resets[0].cause_op);
    cr_assert(rb.a.resets[0].spurious);
    cr_assert_str_eq(rb.a.findings[0].kind, "spurious-reset");
    cr_assert(strstr(rb.a.findings[0].message, "port op O (op 0, the first open after power-on)") != NULL, "%s",
              rb.a.findings[0].message);
    /* the EN low pulse is the quirk's 5 ms gap */
    cr_assert_float_eq((double)(rb.a.resets[0].release_ns - rb.a.resets[0].en_low_ns) / 1e6, 5.0, 0.01);
    /* not after power-on: the driver's normal open, no reset */
    sc.after_power_on = 0;
    run_sim_once(w, lab_board(&lab, "devkitc"), &h, &sc, 1, &rb);
    cr_assert_eq(rb.a.n_resets, 0);
    cr_assert_eq(rb.a.verdict, VERDICT_PASS);
    op_seq_free(&sc.seq[OS_WINDOWS]);
    sim_world_free(w);
    lab_free(&lab);
}

/* CH340 raises both lines for 20 ms on the first open even for O0: on the
 * direct-wired board that is EN and IO0 low for 20 ms, then both released
 * together; EN recharges through 12 kΩ·1 µF while IO0 is high at once: a
 * flash boot. The same bridge on a two-transistor board: (1,1) is idle. */
Test(sim, ch340_first_open_resets_a_direct_wired_board_only)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile h = ideal_host(OS_WINDOWS);
    const struct analysis *a = run(&lab, "nodemcu-direct", &h, "mpremote-first-open", 1);
    cr_assert_eq(a->n_resets, 1);
    cr_assert_eq(a->outcome, BOOT_FLASH);
    /* the analyzer sees EN low at 1.5 V: 50 Ω·1 µF·ln(3.3/1.5) = 39.4 µs in */
    double low_ms = (double)(a->resets[0].release_ns - a->resets[0].en_low_ns) / 1e6;
    cr_assert_float_eq(low_ms, 20.0 - 0.0394, 0.001, "EN low for %.4f ms", low_ms);
    cr_assert(strstr(a->findings[0].message, "port op O0 (op 0, the first open after power-on)") != NULL, "%s",
              a->findings[0].message);
    a = run(&lab, "nodemcu-direct", &h, "mpremote-connect-close", 1);
    cr_assert_eq(a->n_resets, 0, "a later open asks for the lines lowered and gets them");
    a = run(&lab, "nodemcu-nocap", &h, "mpremote-first-open", 1);
    cr_assert_eq(a->n_resets, 0, "the transistors ignore (1,1)");
    lab_free(&lab);
}

/* The seed board's analyzer has an analog EN channel (20 kS/s, 10 mV RMS):
 * the sim samples EN's RC curve, the analyzer fits it. 12 kΩ/1 µF: τ 12 ms,
 * release 16.636 ms; 12 ms after the release EN is at 3.3·(1 − 1/e) = 2.086 V. */
Test(sim, analog_en_channel_is_sampled_and_fitted)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct board_profile *b = lab_board(&lab, "seed-12k-1u");
    cr_assert_float_eq(b->analyzer.analog_en_rate_hz, 20000, 1e-9);
    struct host_profile h = fixed_host(OS_LINUX, 1.0);
    const struct analysis *a = run(&lab, "seed-12k-1u", &h, "esptool-tight", 3);
    /* 10 %–90 % of VDD spans 12·ln 9 = 26.4 ms: 527 samples at 50 µs */
    cr_assert(a->en_fit_samples >= 520 && a->en_fit_samples <= 530, "%d samples fitted", a->en_fit_samples);
    cr_assert(fabs(a->tau_ms - 12.0) < 0.06, "τ %.4f ms", a->tau_ms);
    cr_assert(fabs(a->en_release_ms - 16.636) < 0.08, "release %.4f ms", a->en_release_ms);

    struct sim_world *w = sim_world_new();
    sim_world_reset(w, b, &h, 3);
    cr_assert_eq(sim_open(w, 0), 0);
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    int64_t release = sim_now_ns(w) + 1000000;
    cr_assert_eq(sim_set_lines(w, 1, 0), 0);
    struct edge e[64];
    static float v[40000];
    struct trace tr = {.edges = e, .cap = 64, .en_v = {.v = v, .cap = 40000}};
    uint8_t uart[1024];
    size_t n;
    cr_assert_eq(sim_finish(w, &tr, uart, sizeof uart, &n, NULL), 0);
    cr_assert_float_eq(tr.en_v.period_ns, 50000, 1e-9);
    cr_assert_eq(tr.en_v.n, (size_t)(tr.t_end_ns / 50000) + 1, "%zu samples for %lld ns", tr.en_v.n,
                 (long long)tr.t_end_ns);
    size_t at = (size_t)((release + 12000000) / 50000);
    cr_assert(fabs(v[at] - 2.086) < 0.05, "EN %.3f V 12 ms after the release", v[at]);
    cr_assert(fabs(v[(size_t)(release / 50000) - 20]) < 0.05, "EN %.3f V while held low", v[(size_t)(release / 50000) - 20]);
    cr_assert(fabs(v[0] - 3.3) < 0.05, "EN %.3f V before anything happened", v[0]);
    sim_world_free(w);
    lab_free(&lab);
}

/* The chip's release time from the sim's own EN model, and the analyzer's
 * estimate from the 1.5 V analyzer edge, both match 1.3863·R·C. */
Test(sim, analyzer_estimate_matches_the_sim_ground_truth)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile h = fixed_host(OS_LINUX, 1.0);
    const char *boards[] = {"seed-12k-1u", "devkitc", "devkitc-early"};
    const double expect_ms[] = {16.636, 13.863, 1.3863};
    for (int i = 0; i < 3; i++) {
        const struct analysis *a = run(&lab, boards[i], &h, "esptool-tight", 7);
        /* from the edge: to a sample; fitted on the noisy analog channel: 0.5 % */
        double tol = a->en_fit_samples > 0 ? 0.005 * expect_ms[i] : 0.002;
        cr_assert(fabs(a->en_release_ms - expect_ms[i]) < tol, "%s: %.4f ms", boards[i], a->en_release_ms);
        const struct board_profile *b = lab_board(&lab, boards[i]);
        struct sim_world *w = sim_world_new();
        sim_world_reset(w, b, &h, 7);
        cr_assert_eq(sim_open(w, 0), 0);
        cr_assert_eq(sim_set_lines(w, 0, 1), 0); /* EN low */
        cr_assert_eq(sim_sleep(w, 0.1), 0);
        int64_t release = sim_now_ns(w) + 1000000; /* the next request takes 1 ms */
        cr_assert_eq(sim_set_lines(w, 1, 0), 0);
        struct edge e[64];
        struct trace tr = {.edges = e, .cap = 64};
        uint8_t uart[1024];
        size_t n;
        struct sim_truth truth;
        cr_assert_eq(sim_finish(w, &tr, uart, sizeof uart, &n, &truth), 0);
        cr_assert_eq(truth.n_resets, 1);
        cr_assert(fabs((truth.release_ns[0] - (double)release) / 1e6 - expect_ms[i]) < 0.001, "%s: truth %.4f",
                  boards[i], (truth.release_ns[0] - (double)release) / 1e6);
        cr_assert_eq(truth.mode[0], BOOT_DOWNLOAD);
        cr_assert(outcome_from_uart(uart, n) == BOOT_DOWNLOAD, "%.*s", (int)n, uart);
        sim_world_free(w);
    }
    lab_free(&lab);
}

Test(sim, same_seed_same_run_other_seed_other_gaps)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct host_profile *h = lab_host(&lab, "vm-usb-passthrough");
    double g1 = run(&lab, "devkitc", h, "esptool-classic", 42)->gap_ms;
    double g2 = run(&lab, "devkitc", h, "esptool-classic", 42)->gap_ms;
    double g3 = run(&lab, "devkitc", h, "esptool-classic", 43)->gap_ms;
    cr_assert(g1 == g2, "%f vs %f", g1, g2);
    cr_assert(g1 != g3, "seed 43 drew the same gap %f", g3);
    lab_free(&lab);
}

/* Windows closes DTR before RTS: (1,1) → (0,1) → (0,0): EN is driven low for
 * one request, through 10 Ω on 1 µF (τ 10 µs). The chip resets when EN stays
 * under V_IL_nRST = 0.6 V for 50 µs. A 5 µs request leaves EN at
 * 3.3·e^−0.5 = 2.0 V: no reset. A 1 ms one reaches 0 V: reset. (Even 20 µs
 * would reset: EN reaches 0.45 V and the 10 ms recharge keeps it under
 * 0.6 V for 0.54 ms.) */
Test(sim, windows_close_resets_only_when_en_stays_low_long_enough)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile quick = fixed_host(OS_WINDOWS, 0.005), slow = fixed_host(OS_WINDOWS, 1.0);
    const struct analysis *a = run(&lab, "devkitc", &quick, "pyserial-open-close", 1);
    cr_assert_eq(a->n_resets, 0);
    cr_assert_eq(a->verdict, VERDICT_PASS);
    a = run(&lab, "devkitc", &slow, "pyserial-open-close", 1);
    cr_assert_eq(a->n_resets, 1);
    cr_assert_eq(a->outcome, BOOT_FLASH);
    cr_assert_str_eq(a->findings[0].kind, "spurious-reset");
    cr_assert(strstr(a->findings[0].message, "port op C") != NULL, "%s", a->findings[0].message);
    lab_free(&lab);
}

/* mpremote's fix: RTS cleared, then DTR, then close: no (0,1) state. */
Test(sim, mpremote_close_order_does_not_reset_on_windows)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile slow = fixed_host(OS_WINDOWS, 5.0);
    const struct analysis *a = run(&lab, "devkitc", &slow, "mpremote-connect-close", 1);
    cr_assert_eq(a->n_resets, 0);
    cr_assert_eq(a->verdict, VERDICT_PASS);
    lab_free(&lab);
}

/* A host that splits a both-lines change in two brings the classic race back
 * into the tight reset: fatal on the board without an EN capacitor. */
Test(sim, split_both_lines_breaks_tight_reset_without_en_capacitor)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile one = fixed_host(OS_LINUX, 1.0), split = one;
    split.split_both_lines = 1;
    cr_assert_eq(run(&lab, "nodemcu-nocap", &one, "esptool-tight", 1)->verdict, VERDICT_PASS);
    const struct analysis *a = run(&lab, "nodemcu-nocap", &split, "esptool-tight", 1);
    cr_assert_neq(a->outcome, BOOT_DOWNLOAD);
    cr_assert(fabs(a->gap_ms - 1.0) < 0.001, "gap %f", a->gap_ms);
    lab_free(&lab);
}

/* The classic race in numbers: with every request taking g ms, the (1,1)
 * window lasts g; the 10 kΩ/1 µF board (13.863 ms) downloads below ~13.9 ms
 * and boots flash above ~14.9 ms (hold 1 ms). */
Test(sim, classic_race_flips_at_the_en_release_time)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const double gaps[] = {1, 5, 13, 13.8, 15, 20, 40};
    const enum boot_mode want[] = {BOOT_DOWNLOAD, BOOT_DOWNLOAD, BOOT_DOWNLOAD, BOOT_DOWNLOAD,
                                   BOOT_FLASH, BOOT_FLASH, BOOT_FLASH};
    for (int i = 0; i < 7; i++) {
        struct host_profile h = fixed_host(OS_LINUX, gaps[i]);
        const struct analysis *a = run(&lab, "devkitc", &h, "esptool-classic", 1);
        cr_expect_eq(a->outcome, want[i], "gap %g ms: %s", gaps[i], boot_mode_name(a->outcome));
        cr_expect(fabs(a->gap_ms - gaps[i]) < 0.001, "gap %g measured %f", gaps[i], a->gap_ms);
        cr_expect(fabs(a->margin_ms - (13.863 - gaps[i])) < 0.01, "gap %g margin %f", gaps[i], a->margin_ms);
    }
    lab_free(&lab);
}

/* esptool syncs after its reset: the simulated ROM answers with eight SYNC
 * replies, SLIP-framed, after its "waiting for download". */
Test(sim, the_rom_answers_sync_in_download_mode)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile h = fixed_host(OS_LINUX, 1.0);
    const struct analysis *a = run(&lab, "devkitc", &h, "esptool-classic", 1);
    cr_assert_eq(a->outcome, BOOT_DOWNLOAD);
    cr_assert_eq(a->sync, 1);
    size_t pos = 0, n_frames = 0, flen;
    const uint8_t *u = rb.uart;
    uint8_t frame[256];
    const uint8_t *wait = NULL;
    for (size_t i = 0; i + 20 <= rb.uart_len; i++)
        if (memcmp(u + i, "waiting for download", 20) == 0)
            wait = u + i;
    cr_assert(wait != NULL);
    for (int r; (r = slip_next_frame(u, rb.uart_len, &pos, frame, sizeof frame, &flen)) != 0;) {
        struct esp_response resp;
        cr_assert_eq(r, 1);
        cr_assert((const uint8_t *)u + pos > wait, "a frame before the banner ended");
        cr_assert_eq(esp_parse_response(frame, flen, 4, &resp), 0);
        cr_assert_eq(resp.op, ESP_SYNC);
        cr_assert_eq(resp.status, 0);
        n_frames++;
    }
    cr_assert_eq(n_frames, 8);
    lab_free(&lab);
}

/* A SYNC while the chip runs its application, or while the ROM is still
 * printing its banner, gets no answer. */
Test(sim, sync_unanswered_in_flash_mode_or_too_early)
{
    struct lab lab;
    load_shipped_lab(&lab);
    struct host_profile h = fixed_host(OS_LINUX, 1.0);
    struct scenario s = *lab_scenario(&lab, "esptool-hard-reset");
    char err[128];
    struct op_seq flash, early;
    cr_assert_eq(dsl_parse("O|R0|D0|W0.1|R1|W0.1|R0|W0.05|S|W0.1", &flash, err, sizeof err), 0, "%s", err);
    s.seq[OS_LINUX] = flash;
    struct sim_world *w = sim_world_new();
    run_sim_once(w, lab_board(&lab, "devkitc"), &h, &s, 1, &rb);
    cr_assert_eq(rb.a.outcome, BOOT_FLASH);
    cr_assert_eq(rb.a.sync, 0);
    cr_assert_eq(rb.a.verdict, VERDICT_PASS);
    /* USB-JTAG: SYNC straight after the release, while the banner goes out */
    s = *lab_scenario(&lab, "esptool-usb-jtag");
    cr_assert_eq(dsl_parse("O|R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0|S|W0.1", &early, err, sizeof err), 0, "%s", err);
    s.seq[OS_LINUX] = early;
    run_sim_once(w, lab_board(&lab, "esp32c3-usb"), &h, &s, 1, &rb);
    cr_assert_eq(rb.a.outcome, BOOT_DOWNLOAD);
    cr_assert_eq(rb.a.sync, 0);
    cr_assert_eq(rb.a.verdict, VERDICT_FAIL);
    int found = 0;
    for (int i = 0; i < rb.a.n_findings; i++)
        found |= strcmp(rb.a.findings[i].kind, "sync-unanswered") == 0;
    cr_assert(found);
    op_seq_free(&flash);
    op_seq_free(&early);
    sim_world_free(w);
    lab_free(&lab);
}

/* resetlab serve runs one world epoch after epoch: the board, held in
 * reset when one ends, starts the next with EN at 0 V; released at 10 ms,
 * EN crosses 0.75 VDD after τ·ln 4 = 13.863 ms (10 kΩ × 1 µF); the ROM it
 * booted keeps answering SYNC in the epoch after. */
Test(sim, epochs_carry_the_lines_the_reset_and_the_boot_mode)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct board_profile *b = lab_board(&lab, "devkitc");
    struct host_profile h = fixed_host(OS_LINUX, 0);
    struct sim_world *w = sim_world_new();
    sim_world_reset(w, b, &h, 1);
    cr_assert_eq(sim_open(w, 1), 0);
    cr_assert_eq(sim_set_lines(w, 0, 1), 0); /* RTS asserted: EN low */
    rb.tr = (struct trace){.edges = rb.edges, .cap = RUN_MAX_EDGES};
    struct sim_truth truth;
    size_t n;
    cr_assert_eq(sim_finish(w, &rb.tr, rb.uart, RUN_MAX_UART, &n, &truth), 0);
    cr_assert_eq(truth.n_resets, 0, "held in reset: no release yet");
    cr_assert_float_eq((double)sim_rest_ns(w), 5 * 10 * 1e-6 * 1e9, 1, "at rest 5 τ after the change: the driver (10 Ω) on 1 µF");
    sim_continue(w);

    sim_advance_to(w, 10000000);
    cr_assert_eq(sim_set_lines(w, 1, 0), 0); /* EN released, IO0 held low */
    cr_assert_eq(sim_finish(w, &rb.tr, rb.uart, RUN_MAX_UART, &n, &truth), 0);
    cr_assert_eq(rb.tr.initial[CH_EN], 0, "the epoch starts with EN low");
    cr_assert_eq(rb.tr.initial[CH_RTS], 0, "RTS asserted: its pin low");
    cr_assert_eq(rb.tr.initial[CH_DTR], 1);
    cr_assert_eq(truth.n_resets, 1);
    cr_assert_float_eq(truth.release_ns[0], 10e6 + 10e6 * log(4.0), 1.0, "%f", truth.release_ns[0]);
    cr_assert_eq(truth.mode[0], BOOT_DOWNLOAD);
    cr_assert_not_null(memmem(rb.uart, n, "waiting for download", 20));
    sim_continue(w);

    uint8_t req[64];
    size_t len = esp_sync_request(req, sizeof req);
    cr_assert_gt(sim_receive(w, 1000000, req, len), 1000000);
    cr_assert_eq(sim_finish(w, &rb.tr, rb.uart, RUN_MAX_UART, &n, &truth), 0);
    cr_assert_eq(truth.n_resets, 0);
    size_t pos = 0, flen, frames = 0;
    uint8_t frame[256];
    while (slip_next_frame(rb.uart, n, &pos, frame, sizeof frame, &flen) == 1)
        frames++;
    cr_assert_eq(frames, 8, "the ROM still listens: eight SYNC replies");
    sim_world_free(w);
    lab_free(&lab);
}
