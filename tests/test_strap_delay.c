/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A chip's strap sampling delay (chips.<name>.strap_sample_delay_ms): the
 * virtual NodeMCU ESP8266 latches GPIO0 1 ms after EXT_RSTB crosses VIH,
 * so GPIO0 pulled low 0.75 ms after the crossing still boots download,
 * while the same board with a chip that latches at the crossing boots
 * flash; the analysis of the trace predicts the same with the margin
 * computed by hand; the loader refuses a negative, an absurd or a
 * too-late delay (docs/chips.md#esp8266). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/analyze.h"
#include "helpers.h"
#include "sim/lab.h"
#include "sim/world.h"

static struct chip_profile *esp8266(struct lab *lab)
{
    for (int i = 0; i < lab->n_chips; i++)
        if (strcmp(lab->chips[i].name, "esp8266") == 0)
            return &lab->chips[i];
    cr_assert_fail("no esp8266 in the shipped lab");
    return NULL;
}

/* RST's crossing of 0.75·VIO after its release: τ·ln 4 with τ = 12 kΩ · 10 nF. */
#define CROSS_MS (0.12 * 1.3862943611198906)

struct outcome {
    struct sim_truth truth;
    struct analysis a;
    double release_ns; /* when the host released RST */
};

static struct edge edges[256];

/* esptool's two steps on an ideal host: RST low 100 ms, released, then
 * GPIO0 pulled low `io0_after_ms` after RST crosses its threshold, for 50 ms. */
static void run_sequence(const struct board_profile *b, double io0_after_ms, struct outcome *o)
{
    struct host_profile h = {.os = OS_LINUX}; /* every latency zero */
    snprintf(h.name, sizeof h.name, "ideal");
    struct sim_world *w = sim_world_new();
    sim_world_reset(w, b, &h, 1);
    cr_assert_eq(sim_open(w, 0), 0);
    cr_assert_eq(sim_set_lines(w, 0, 1), 0);
    cr_assert_eq(sim_sleep(w, 0.1), 0);
    cr_assert_eq(sim_set_lines(w, 0, 0), 0);
    o->release_ns = (double)sim_now_ns(w);
    cr_assert_eq(sim_sleep(w, (CROSS_MS + io0_after_ms) / 1e3), 0);
    cr_assert_eq(sim_set_lines(w, 1, 0), 0);
    cr_assert_eq(sim_sleep(w, 0.05), 0);
    cr_assert_eq(sim_set_lines(w, 0, 0), 0);
    struct trace tr = {.edges = edges, .cap = sizeof edges / sizeof edges[0]};
    static uint8_t uart[4096];
    size_t n;
    cr_assert_eq(sim_finish(w, &tr, uart, sizeof uart, &n, &o->truth), 0);
    struct board_model bm = board_model_of(b);
    struct op_log log = {0};
    char why[256];
    cr_assert_eq(analyze_run(&tr, &log, &bm, uart, n, BOOT_DOWNLOAD, &o->a, why, sizeof why), 0, "%s", why);
    sim_world_free(w);
}

Test(strap_delay, sampled_at_the_crossing_plus_the_delay)
{
    struct lab lab;
    load_shipped_lab(&lab);
    const struct board_profile *b = lab_board(&lab, "nodemcu-esp8266");
    cr_assert_not_null(b);
    cr_assert_float_eq(b->real.en_r_ohms, 12000, 1e-9);
    cr_assert_float_eq(b->real.en_c_farads, 10e-9, 1e-18);
    struct chip_profile *c = esp8266(&lab);
    cr_assert_float_eq(c->timing.sample_delay_ms, 1.0, 1e-12, "the shipped ESP8266 latches 1 ms after");
    static struct outcome o;

    /* ESP8266 (1 ms): GPIO0 falls 0.75 ms after the crossing, before the latch at 1 ms */
    run_sequence(b, 0.75, &o);
    cr_assert_eq(o.truth.n_resets, 1);
    double cross_ms = (o.truth.release_ns[0] - o.release_ns) / 1e6;
    cr_assert(fabs(cross_ms - CROSS_MS) < 1e-3, "RST crossed %.4f ms after its release", cross_ms);
    cr_assert_eq(o.truth.mode[0], BOOT_DOWNLOAD, "latched 1 ms after the crossing: GPIO0 is low by then");
    cr_assert_eq(o.a.outcome, BOOT_DOWNLOAD, "the banner says boot mode:(1,6)");
    cr_assert_eq(o.a.n_resets, 1);
    cr_assert_eq(o.a.resets[0].predicted, BOOT_DOWNLOAD, "the analysis places the window at crossing + 1 ms");
    /* window [crossing + 1, crossing + 2] ms; GPIO0 low from crossing + 0.75 ms (its 10 Ω · 10 pF fall is
     * instant at this scale): margin 1 − 0.75 = 0.25 ms, to the analyzer's sample and EN estimate */
    cr_assert(fabs(o.a.resets[0].margin_ms - 0.25) < 0.01, "margin %.4f ms", o.a.resets[0].margin_ms);

    /* GPIO0 after the latch (1.25 ms): flash, as the analysis predicts */
    run_sequence(b, 1.25, &o);
    cr_assert_eq(o.truth.mode[0], BOOT_FLASH);
    cr_assert_eq(o.a.resets[0].predicted, BOOT_MARGINAL, "GPIO0 falls inside [1, 2] ms: marginal");
    cr_assert_eq(o.a.outcome, BOOT_MARGINAL, "a flash banner with the window violated");

    /* the same board, its chip latching at the crossing (delay 0): flash, IO0 falls inside [0, 1] ms */
    c->timing.sample_delay_ms = 0;
    run_sequence(b, 0.75, &o);
    cr_assert_eq(o.truth.mode[0], BOOT_FLASH, "latched at the crossing: GPIO0 still high");
    cr_assert_eq(o.a.outcome, BOOT_MARGINAL, "a flash banner with the window violated");
    cr_assert_eq(o.a.resets[0].predicted, BOOT_MARGINAL);
    cr_assert(fabs(o.a.resets[0].margin_ms + 0.75) < 0.01, "margin %.4f ms: low misses the window's start by 0.75",
              o.a.resets[0].margin_ms);
    lab_free(&lab);
}

/* The shipped boards.yaml with `from` replaced by `to`, refused at load with `want`. */
static void refused(const char *from, const char *to, const char *want)
{
    char src[512], path[256], args[400];
    char *text = slurp(src_path("boards.yaml", src, sizeof src), NULL);
    cr_assert_not_null(text);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' not in boards.yaml", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    cr_assert_not_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    write_temp(out, ".yaml", path, sizeof path);
    free(text), free(out);
    snprintf(args, sizeof args, "list --boards %s", path);
    expect_bad_input(args, want);
    unlink(path);
}

Test(strap_delay, the_loader_refuses_a_negative_an_absurd_or_a_late_delay)
{
    refused("    strap_sample_delay_ms: 1\n", "    strap_sample_delay_ms: -0.5\n",
            "chips.esp8266.strap_sample_delay_ms: -0.5 is out of range [0, 100]");
    refused("    strap_sample_delay_ms: 1\n", "    strap_sample_delay_ms: 250\n",
            "chips.esp8266.strap_sample_delay_ms: 250 is out of range [0, 100]");
    refused("    strap_sample_delay_ms: 1\n", "    strap_sample_delay_ms: soon\n",
            "chips.esp8266.strap_sample_delay_ms");
    refused("    strap_sample_delay_ms: 1\n", "    strap_sample_delay_ms: 5\n",
            "strap_sample_delay_ms 5 is after boot_delay_ms 1: the ROM reads its straps before it prints");
}

/* Chips that do not give it latch at the crossing: the ESP32's delay is 0. */
Test(strap_delay, absent_means_zero)
{
    struct lab lab;
    load_shipped_lab(&lab);
    for (int i = 0; i < lab.n_chips; i++)
        if (strcmp(lab.chips[i].name, "esp8266") != 0)
            cr_assert(lab.chips[i].timing.sample_delay_ms == 0, "%s", lab.chips[i].name);
    lab_free(&lab);
}
