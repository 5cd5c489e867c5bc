/* The virtual lab against its own physics and the shipped scenarios. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../analyzers/slip.h"
#include "../harness/dsl.h"
#include "../harness/matrix.h"
#include "../sim/world.h"
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
    matrix_run_once(w, b, h, s, seed, &rb);
    sim_world_free(w);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    return &rb.a;
}

/* With no latency at all, every strategy does what it was written for on
 * every board with an EN capacitor and on the USB-JTAG chip's own sequence. */
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
                int usb = bp->circuit->kind == CIRCUIT_USB_JTAG;
                int transistor_reset_on_usb = usb && sc->expected == BOOT_DOWNLOAD && sc->n_only_bridges == 0;
                /* The peripheral acts on each packet: Windows' DTR-then-RTS close sends
                 * (DTR0,RTS1) = reset, however fast the second packet follows. */
                int windows_close_on_usb = usb && os == OS_WINDOWS && strcmp(sc->name, "pyserial-open-close") == 0;
                const struct analysis *a = run(&lab, bp->name, &h, sc->name, 1);
                if (transistor_reset_on_usb || windows_close_on_usb) /* DESIGN.md §5 */
                    cr_expect_eq(a->outcome, BOOT_FLASH, "%s/%s/%s", bp->name, h.name, sc->name);
                else
                    cr_expect_eq(a->verdict, VERDICT_PASS, "%s/%s/%s: outcome %s, expected %s", bp->name, h.name,
                                 sc->name, boot_mode_name(a->outcome), boot_mode_name(sc->expected));
            }
    }
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
        cr_assert(fabs(a->en_release_ms - expect_ms[i]) < 0.002, "%s: %.4f ms", boards[i], a->en_release_ms);
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
    matrix_run_once(w, lab_board(&lab, "devkitc"), &h, &s, 1, &rb);
    cr_assert_eq(rb.a.outcome, BOOT_FLASH);
    cr_assert_eq(rb.a.sync, 0);
    cr_assert_eq(rb.a.verdict, VERDICT_PASS);
    /* USB-JTAG: SYNC straight after the release, while the banner goes out */
    s = *lab_scenario(&lab, "esptool-usb-jtag");
    cr_assert_eq(dsl_parse("O|R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0|S|W0.1", &early, err, sizeof err), 0, "%s", err);
    s.seq[OS_LINUX] = early;
    matrix_run_once(w, lab_board(&lab, "esp32c3-usb"), &h, &s, 1, &rb);
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
