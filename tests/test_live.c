/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live capture through libsigrok's demo driver (harness/capture_live.h).
 * The demo paces itself in real time and delivers its samples every
 * 100 ms: captures here are ≤ 100k samples at ≥ 1 MHz (≈ 0.1 s each).
 * Its "incremental" pattern makes logic channel Dk a square wave that
 * toggles every 2^k samples from 0 at sample 0, so edge counts and times
 * are known exactly. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libsigrok/libsigrok.h>

#include "harness/capture/capture_live.h"
#include "helpers.h"

static struct sigrok *sg;
static char err[512];

static void open_sigrok(void)
{
    sg = sigrok_new(err, sizeof err);
    cr_assert_not_null(sg, "%s", err);
}

static void close_sigrok(const char *what)
{
    sigrok_free(sg);
    sg = NULL;
    assert_no_leaks(what);
}

TestSuite(live, .timeout = 60);

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void parse_ok(const char *drv, const char *conf, const char *map, struct live_config *cfg)
{
    cr_assert_eq(live_config_parse(drv, conf, map, cfg, err, sizeof err), 0, "parse %s %s %s: %s", drv, conf, map, err);
}

/* One capture, start to finish; 0 or -1 with err. */
static int capture(const struct live_config *cfg, int stop_now, struct trace *tr, struct live_timing *t)
{
    struct live_capture *c = live_capture_start(sg, cfg, err, sizeof err);
    if (c == NULL) {
        memset(tr, 0, sizeof *tr);
        return -1;
    }
    return live_capture_finish_timed(c, stop_now, tr, t, err, sizeof err);
}

static size_t count_edges(const struct trace *tr, enum channel ch)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->n; i++)
        n += tr->edges[i].channel == ch;
    return n;
}

static void assert_one_line(const char *what)
{
    cr_assert(err[0] != '\0', "%s: no error message", what);
    cr_assert_null(strchr(err, '\n'), "%s: error is not one line: %s", what, err);
}

/* The start error for a config that parses. */
static void expect_start_error(const char *drv, const char *conf, const char *map, const char *const *needles)
{
    struct live_config cfg;
    parse_ok(drv, conf, map, &cfg);
    open_sigrok();
    err[0] = '\0';
    struct live_capture *c = live_capture_start(sg, &cfg, err, sizeof err);
    cr_assert_null(c, "%s / %s / %s started", drv, conf, map);
    assert_one_line(conf);
    for (size_t i = 0; needles[i]; i++)
        cr_assert_not_null(strstr(err, needles[i]), "error '%s' does not mention '%s'", err, needles[i]);
    close_sigrok("a failed start");
}

static void expect_parse_error(const char *drv, const char *conf, const char *map, const char *needle)
{
    struct live_config cfg;
    err[0] = '\0';
    cr_assert_eq(live_config_parse(drv, conf, map, &cfg, err, sizeof err), -1, "%s / %s / %s parsed", drv, conf, map);
    assert_one_line(conf);
    cr_assert_not_null(strstr(err, needle), "error '%s' does not mention '%s'", err, needle);
}

/* Device channel D<bit> carries `ch`: with the incremental pattern, its
 * edges are exactly at the multiples of 2^bit, alternating from 0. */
static void assert_counter_bit(const struct trace *tr, enum channel ch, int bit, uint64_t first, uint64_t n_samples)
{
    uint64_t period = 1ull << bit, seen = 0, ns = (uint64_t)(1e9 / tr->sample_rate_hz);
    cr_assert(trace_has(tr, ch), "%s missing", channel_name(ch));
    cr_assert_eq(tr->initial[ch], (first >> bit) & 1, "%s initial level", channel_name(ch));
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel != ch)
            continue;
        cr_assert_eq((uint64_t)e->t_ns % ns, 0, "%s edge at %lld ns is not on a sample", channel_name(ch),
                     (long long)e->t_ns);
        uint64_t s = first + (uint64_t)e->t_ns / ns;
        cr_assert_eq(s % period, 0, "%s (D%d) edge at sample %llu", channel_name(ch), bit, (unsigned long long)s);
        cr_assert_eq(e->level, (s >> bit) & 1, "%s level at sample %llu", channel_name(ch), (unsigned long long)s);
        seen++;
    }
    uint64_t last = first + n_samples - 1;
    uint64_t expected = last / period - first / period; /* multiples of 2^bit in (first, last] */
    cr_assert_eq(seen, expected, "%s (D%d): %llu edges, expected %llu", channel_name(ch), bit,
                 (unsigned long long)seen, (unsigned long long)expected);
}

Test(live, demo_capture_maps_channels_and_counts_edges_exactly)
{
    const uint64_t n = 100000;
    struct live_config cfg;
    parse_ok("demo", "samplerate=2M:limit_samples=100k:pattern=incremental", "D3=DTR,D0=RTS,D5=EN,D1=IO0", &cfg);
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    char why[200];
    cr_assert_eq(trace_check(&tr, why, sizeof why), 0, "%s", why);
    cr_assert_eq(tr.sample_rate_hz, 2e6);
    cr_assert_eq(tr.present, (1u << CH_DTR) | (1u << CH_RTS) | (1u << CH_EN) | (1u << CH_IO0));
    cr_assert_eq(t.samples, n);
    cr_assert_eq(tr.t_end_ns, (int64_t)(n - 1) * 500, "t_end %lld", (long long)tr.t_end_ns);
    assert_counter_bit(&tr, CH_DTR, 3, 0, n);
    assert_counter_bit(&tr, CH_RTS, 0, 0, n);
    assert_counter_bit(&tr, CH_EN, 5, 0, n);
    assert_counter_bit(&tr, CH_IO0, 1, 0, n);
    cr_assert_eq(tr.n, (n - 1) + (n - 1) / 2 + (n - 1) / 8 + (n - 1) / 32);
    cr_assert_eq(t.triggered, 0);
    cr_assert_eq(t.stopped, 0, "ended by its limit, not stopped");
    cr_assert_eq(t.sr_trigger, 0);
    /* Host-time bounds: t_start ≤ t0 ≤ first packet; the demo's first
     * delivery comes ~100 ms after the start (generous bound: 30 s). */
    cr_assert(t.t_start_ns > 0 && t.t0_ns >= t.t_start_ns && t.t0_ns <= t.t_first_packet_ns,
              "start %lld t0 %lld first %lld", (long long)t.t_start_ns, (long long)t.t0_ns,
              (long long)t.t_first_packet_ns);
    cr_assert_lt(t.t_first_packet_ns - t.t_start_ns, 30 * 1000000000ll);
    free(tr.edges);
    close_sigrok("a demo capture");
}

Test(live, scan_options_reach_the_driver)
{
    /* logic_channels=4: D0..D3 only; walking-one over 4 channels has
     * period 5 (0,1,2,4,8): D1 is high at samples ≡ 2 (mod 5). */
    struct live_config cfg;
    parse_ok("demo:logic_channels=4", "samplerate=1M:limit_samples=1000:pattern=walking-one", "D1=DTR,D3=RTS", &cfg);
    open_sigrok();
    struct trace tr;
    cr_assert_eq(capture(&cfg, 0, &tr, NULL), 0, "%s", err);
    cr_assert_eq(tr.sample_rate_hz, 1e6);
    /* D1 rises at samples 2, 7, ..., 997 and falls at 3, ..., 998;
     * D3 rises at 4, ..., 999 and falls at 5, ..., 995 */
    cr_assert_eq(count_edges(&tr, CH_DTR), 400);
    cr_assert_eq(count_edges(&tr, CH_RTS), 399);
    for (size_t i = 0; i < tr.n; i++) {
        const struct edge *e = &tr.edges[i];
        int64_t s = e->t_ns / 1000, high = e->channel == CH_DTR ? 2 : 4;
        cr_assert_eq(s % 5, e->level ? high : (high + 1) % 5, "%s edge at sample %lld", channel_name(e->channel),
                     (long long)s);
    }
    free(tr.edges);
    close_sigrok("a 4-channel demo capture");

    const char *needles[] = {"'D5'", "EN", "(it has: D0, D1, D2, D3)", NULL};
    expect_start_error("demo:logic_channels=4", "samplerate=1M:limit_samples=1000", "D0=DTR,D1=RTS,D5=EN", needles);
}

Test(live, limit_time_in_ms)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_time=50:pattern=incremental", "D0=DTR,D1=RTS", &cfg);
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    cr_assert_eq(t.samples, 50000, "50 ms at 1 MHz: %llu samples", (unsigned long long)t.samples);
    cr_assert_eq(tr.t_end_ns, 49999000);
    cr_assert_eq(count_edges(&tr, CH_DTR), 49999);
    free(tr.edges);
    close_sigrok("a limit_time capture");
}

Test(live, mapped_channel_the_device_lacks)
{
    const char *needles[] = {"'D9'", "EN", "(it has: D0, D1, D2, D3, D4, D5, D6, D7)", NULL};
    expect_start_error("demo", "samplerate=1M:limit_samples=1000", "D0=DTR,D1=RTS,D9=EN", needles);
    const char *unmapped[] = {"no channel for RTS", "D0, D1", NULL};
    expect_start_error("demo", "samplerate=1M:limit_samples=1000", "D0=DTR", unmapped);
}

Test(live, unknown_driver)
{
    const char *needles[] = {"libsigrok has no driver 'nosuchanalyzer' (sigrok-cli --list-supported)", NULL};
    expect_start_error("nosuchanalyzer", "samplerate=1M", "D0=DTR,D1=RTS", needles);
    expect_parse_error("", "samplerate=1M", "D0=DTR,D1=RTS", "not a libsigrok driver name");
    expect_parse_error("Demo!", "samplerate=1M", "D0=DTR,D1=RTS", "not a libsigrok driver name");
}

Test(live, no_device_found)
{
    /* a real driver, at a USB address no analyzer has (bus 64, address 127) */
    const char *needles[] = {"fx2lafw:conn=64.127: libsigrok's fx2lafw driver found no device", "--scan", NULL};
    expect_start_error("fx2lafw:conn=64.127", "samplerate=1M", "D0=DTR,D1=RTS", needles);
    /* a demo device without logic channels has none to map */
    const char *none[] = {"no logic channel 'D0' for DTR", "no logic channels", NULL};
    expect_start_error("demo:logic_channels=0", "samplerate=1M", "D0=DTR,D1=RTS", none);
}

Test(live, scan_option_the_driver_does_not_take)
{
    const char *needles[] = {"no scan option 'conn'", "logic_channels", NULL};
    expect_start_error("demo:conn=1.5", "samplerate=1M", "D0=DTR,D1=RTS", needles);
    expect_parse_error("demo:nosuchoption=1", "samplerate=1M", "D0=DTR,D1=RTS", "unknown key 'nosuchoption'");
}

Test(live, bad_config_keys)
{
    expect_parse_error("demo", "bogus=1", "D0=DTR,D1=RTS", "unknown key 'bogus'");
    expect_parse_error("demo", "samplerate", "D0=DTR,D1=RTS", "'samplerate' is not KEY=VALUE");
    expect_parse_error("demo", "limit_samples=lots", "D0=DTR,D1=RTS", "limit_samples 'lots'");
    expect_parse_error("demo", "limit_time=soon", "D0=DTR,D1=RTS", "limit_time 'soon'");
    expect_parse_error("demo", "samplerate=1M", "D0=DTR,D1=SPI", "unknown channel 'SPI'");
    /* a key libsigrok knows but the demo does not take */
    const char *needles[] = {"does not take config key 'coupling'", "samplerate", "pattern", NULL};
    expect_start_error("demo", "samplerate=1M:coupling=dc", "D0=DTR,D1=RTS", needles);
    const char *pattern[] = {"pattern 'nonesuch'", "incremental", "walking-one", NULL};
    expect_start_error("demo", "samplerate=1M:pattern=nonesuch", "D0=DTR,D1=RTS", pattern);
}

Test(live, bad_samplerates)
{
    expect_parse_error("demo", "samplerate=fast", "D0=DTR,D1=RTS", "samplerate 'fast' is not a rate");
    expect_parse_error("demo", "samplerate=0", "D0=DTR,D1=RTS", "samplerate '0' is not a rate");
    expect_parse_error("demo", "samplerate=-1M", "D0=DTR,D1=RTS", "samplerate '-1M' is not a rate");
    expect_parse_error("demo", "samplerate=1.5", "D0=DTR,D1=RTS", "samplerate '1.5' is not a rate");
    const char *needles[] = {"samplerate 2 GHz", "1 Hz to 1 GHz", NULL};
    expect_start_error("demo", "samplerate=2G", "D0=DTR,D1=RTS", needles);
    /* decimals with a suffix are whole rates (sr_parse_sizestring reads 1.5k as 1) */
    struct live_config cfg;
    parse_ok("demo", "samplerate=1.5MHz:limit_samples=1500:pattern=incremental", "D0=DTR,D1=RTS", &cfg);
    open_sigrok();
    struct trace tr;
    cr_assert_eq(capture(&cfg, 0, &tr, NULL), 0, "%s", err);
    cr_assert_eq(tr.sample_rate_hz, 1.5e6);
    free(tr.edges);
    close_sigrok("a 1.5 MHz capture");
}

Test(live, pretrigger_out_of_range)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=1000", "D0=DTR,D1=RTS", &cfg);
    cr_assert_eq(cfg.pretrigger_pct, 20.0, "the default pretrigger share");
    cr_assert_eq(cfg.trigger, 0);
    cfg.trigger = 1;
    cfg.pretrigger_pct = 150;
    open_sigrok();
    cr_assert_null(live_capture_start(sg, &cfg, err, sizeof err));
    assert_one_line("pretrigger");
    cr_assert_not_null(strstr(err, "between 0 and 100"), "%s", err);
    close_sigrok("a bad pretrigger");
}

/* DTR = D7, RTS = D6: the first DTR/RTS edge is RTS rising at sample 64;
 * EN = D0 changes every sample before it, and must not trigger. */
#define TRIG_MAP "D7=DTR,D6=RTS,D0=EN,D2=IO0"
#define TRIG_CONF "samplerate=1M:limit_samples=1000:pattern=incremental"

Test(live, trigger_cuts_the_trace_to_the_pretrigger_window)
{
    struct live_config cfg;
    parse_ok("demo", TRIG_CONF, TRIG_MAP, &cfg);
    cfg.trigger = 1;
    cfg.pretrigger_pct = 1; /* 10 of the 1000 samples before the trigger: the trace starts at sample 54 */
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    char why[200];
    cr_assert_eq(trace_check(&tr, why, sizeof why), 0, "%s", why);
    cr_assert_eq(t.triggered, 1);
    cr_assert_eq(t.samples, 1000);
    cr_assert_eq(t.cut_samples, 54);
    cr_assert_eq(t.trigger_sample, 10);
    cr_assert_eq(t.trigger_t_ns, 10000);
    cr_assert_eq(tr.t_end_ns, (1000 - 54 - 1) * 1000);
    /* the trace's first DTR/RTS edge is the trigger */
    size_t i = 0;
    while (i < tr.n && tr.edges[i].channel != CH_DTR && tr.edges[i].channel != CH_RTS)
        i++;
    cr_assert_lt(i, tr.n);
    cr_assert_eq(tr.edges[i].channel, CH_RTS);
    cr_assert_eq(tr.edges[i].t_ns, t.trigger_t_ns);
    cr_assert_eq(tr.edges[i].level, 1);
    /* every channel continues the counter from sample 54 */
    assert_counter_bit(&tr, CH_DTR, 7, 54, 1000 - 54);
    assert_counter_bit(&tr, CH_RTS, 6, 54, 1000 - 54);
    assert_counter_bit(&tr, CH_EN, 0, 54, 1000 - 54);
    assert_counter_bit(&tr, CH_IO0, 2, 54, 1000 - 54);
    /* the host-time bound moved with the cut */
    cr_assert_geq(t.t0_ns, t.t_start_ns + 54000);
    free(tr.edges);
    close_sigrok("a triggered capture");
}

Test(live, trigger_with_a_large_pretrigger_keeps_sample_0)
{
    struct live_config cfg;
    parse_ok("demo", TRIG_CONF, TRIG_MAP, &cfg);
    cfg.trigger = 1;
    cfg.pretrigger_pct = 50; /* 500 samples before sample 64: nothing to cut */
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    cr_assert_eq(t.triggered, 1);
    cr_assert_eq(t.cut_samples, 0);
    cr_assert_eq(t.trigger_sample, 64);
    cr_assert_eq(t.trigger_t_ns, 64000);
    cr_assert_eq(tr.t_end_ns, 999000);
    assert_counter_bit(&tr, CH_EN, 0, 0, 1000);
    free(tr.edges);
    close_sigrok("a triggered capture");
}

Test(live, no_trigger_without_dtr_rts_edges_or_when_off)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=1000:pattern=all-low", TRIG_MAP, &cfg);
    cfg.trigger = 1;
    cfg.pretrigger_pct = 1;
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    cr_assert_eq(t.triggered, 0, "all-low has no edge to trigger on");
    cr_assert_eq(t.cut_samples, 0);
    cr_assert_eq(tr.n, 0);
    cr_assert_eq(tr.initial[CH_DTR], 0);
    cr_assert_eq(tr.t_end_ns, 999000);
    free(tr.edges);
    close_sigrok("an untriggered capture");

    parse_ok("demo", TRIG_CONF, TRIG_MAP, &cfg); /* edges, but the trigger is off */
    open_sigrok();
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    cr_assert_eq(t.triggered, 0);
    cr_assert_eq(t.cut_samples, 0);
    cr_assert_eq(tr.t_end_ns, 999000);
    assert_counter_bit(&tr, CH_RTS, 6, 0, 1000);
    free(tr.edges);
    close_sigrok("an untriggered capture");
}

Test(live, stop_now_right_after_the_start)
{
    /* 100 M samples at 1 MHz would take 100 s */
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=100M:pattern=incremental", "D0=DTR,D1=RTS", &cfg);
    open_sigrok();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct live_capture *c = live_capture_start(sg, &cfg, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    struct trace tr;
    struct live_timing t;
    int rc = live_capture_finish_timed(c, 1, &tr, &t, err, sizeof err);
    cr_assert_lt(seconds_since(&t0), 20.0, "stop_now did not stop the capture");
    cr_assert_eq(t.stopped, 1);
    if (rc != 0) {
        assert_one_line("stop_now");
        cr_assert_not_null(strstr(err, "stopped before any samples arrived"), "%s", err);
        cr_assert_null(tr.edges);
    } else {
        char why[200];
        cr_assert_eq(trace_check(&tr, why, sizeof why), 0, "%s", why);
        cr_assert_eq(tr.sample_rate_hz, 1e6);
        cr_assert_lt(t.samples, 100000000);
        cr_assert_eq(tr.t_end_ns, (int64_t)(t.samples - 1) * 1000);
    }
    free(tr.edges);
    close_sigrok("a stopped capture");
}

Test(live, stop_now_while_streaming_keeps_what_came)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=100M:pattern=incremental", "D0=DTR,D1=RTS", &cfg);
    open_sigrok();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct live_capture *c = live_capture_start(sg, &cfg, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(live_capture_t0_ns(c), 0, "no samples yet, no t0");
    /* the caller's thread is free while the session streams */
    cr_assert_eq(live_capture_wait_streaming(c, 15000), 0, "no samples within 15 s");
    int64_t t0_live = live_capture_t0_ns(c);
    cr_assert_gt(t0_live, 0);
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(live_capture_finish_timed(c, 1, &tr, &t, err, sizeof err), 0, "%s", err);
    cr_assert_lt(seconds_since(&t0), 20.0);
    cr_assert_eq(t.stopped, 1);
    cr_assert_gt(t.samples, 0);
    cr_assert_lt(t.samples, 100000000);
    cr_assert_geq(t0_live, t.t_start_ns);
    cr_assert_leq(t.t0_ns, t0_live, "the bound only tightens");
    char why[200];
    cr_assert_eq(trace_check(&tr, why, sizeof why), 0, "%s", why);
    cr_assert_eq(tr.t_end_ns, (int64_t)(t.samples - 1) * 1000);
    cr_assert_eq(count_edges(&tr, CH_DTR), t.samples - 1);
    cr_assert_eq(count_edges(&tr, CH_RTS), (t.samples - 1) / 2);
    free(tr.edges);
    close_sigrok("a capture stopped while streaming");
}

Test(live, finish_without_a_limit_stops_instead_of_waiting_forever)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:pattern=incremental", "D0=DTR,D1=RTS", &cfg);
    open_sigrok();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct live_capture *c = live_capture_start(sg, &cfg, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(live_capture_wait_streaming(c, 15000), 0);
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(live_capture_finish_timed(c, 0, &tr, &t, err, sizeof err), 0, "%s", err);
    cr_assert_lt(seconds_since(&t0), 20.0);
    cr_assert_eq(t.stopped, 1);
    cr_assert_gt(t.samples, 0);
    free(tr.edges);
    close_sigrok("an unlimited capture");
}

Test(live, captures_in_a_row_on_one_context)
{
    /* the driver is initialised once and its devices cleared after each
     * capture: a second capture starts fresh (the counter from 0) */
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=300:pattern=incremental", "D4=DTR,D1=RTS", &cfg);
    open_sigrok();
    for (int i = 0; i < 3; i++) {
        struct trace tr;
        cr_assert_eq(capture(&cfg, 0, &tr, NULL), 0, "capture %d: %s", i, err);
        assert_counter_bit(&tr, CH_DTR, 4, 0, 300);
        assert_counter_bit(&tr, CH_RTS, 1, 0, 300);
        free(tr.edges);
        /* no device instance left behind in the driver */
        struct sr_dev_driver **drivers = sr_driver_list(sigrok_context(sg)), *demo = NULL;
        for (int d = 0; drivers && drivers[d]; d++)
            if (strcmp(drivers[d]->name, "demo") == 0)
                demo = drivers[d];
        cr_assert_not_null(demo);
        cr_assert_not_null(demo->context, "the demo driver was initialised");
        cr_assert_null(sr_dev_list(demo), "capture %d left devices in the demo driver", i);
    }
    close_sigrok("three captures");
}

/* EN on an analog channel: the demo's A0 is a ±10 V square wave, 5
 * samples low (from sample 0), 5 high. Mapped as EN (A0=EN) it gives EN's
 * voltage and EN's edges at the threshold; the trigger cut (54 samples,
 * as above) moves both: the trace's sample 0 is raw sample 54 (low), EN
 * rises at raw 55 (1 µs) and falls at raw 60 (6 µs). */
Test(live, an_analog_en_channel_is_cut_with_the_trace)
{
    struct live_config cfg;
    parse_ok("demo", TRIG_CONF, "D7=DTR,D6=RTS,A0=EN", &cfg);
    cfg.trigger = 1;
    cfg.pretrigger_pct = 1;
    cfg.read.threshold_v = 1.5;
    open_sigrok();
    struct trace tr;
    struct live_timing t;
    cr_assert_eq(capture(&cfg, 0, &tr, &t), 0, "%s", err);
    char why[200];
    cr_assert_eq(trace_check(&tr, why, sizeof why), 0, "%s", why);
    cr_assert_eq(t.cut_samples, 54);
    cr_assert_eq(tr.en_v.n, 1000 - 54, "%zu EN samples", tr.en_v.n);
    cr_assert_eq(tr.en_v.t0_ns, 0);
    cr_assert_float_eq(tr.en_v.period_ns, 1000, 1e-9);
    cr_assert(tr.en_v.v[0] == -10.0f && tr.en_v.v[1] == 10.0f && tr.en_v.v[6] == -10.0f, "%g %g %g", tr.en_v.v[0],
              tr.en_v.v[1], tr.en_v.v[6]);
    cr_assert(trace_has(&tr, CH_EN));
    cr_assert_eq(tr.initial[CH_EN], 0);
    int64_t first[2];
    size_t n = 0, total = 0;
    for (size_t i = 0; i < tr.n; i++)
        if (tr.edges[i].channel == CH_EN) {
            if (n < 2)
                first[n++] = tr.edges[i].t_ns;
            total++;
        }
    cr_assert_eq(n, 2);
    cr_assert_eq(first[0], 1000, "EN rose at %lld ns", (long long)first[0]);
    cr_assert_eq(first[1], 6000, "EN fell at %lld ns", (long long)first[1]);
    cr_assert_eq(total, (1000 - 55 + 4) / 5, "%zu EN edges", total); /* one per 5 samples from raw 55 */
    sigrok_trace_free(&tr);
    close_sigrok("an analog EN capture");
}

/* EN_V beside a logic EN at a lower kept rate; a missing one is an error. */
Test(live, en_v_at_the_rate_asked_and_a_missing_one_is_an_error)
{
    struct live_config cfg;
    parse_ok("demo", "samplerate=1M:limit_samples=2000", "D0=DTR,D1=RTS,D2=EN,A0=EN_V", &cfg);
    cfg.read.analog_rate_hz = 200000; /* every 5th sample: low, high, low, ... */
    open_sigrok();
    struct trace tr;
    cr_assert_eq(capture(&cfg, 0, &tr, NULL), 0, "%s", err);
    cr_assert_eq(tr.en_v.n, 400, "%zu EN samples", tr.en_v.n);
    cr_assert_float_eq(tr.en_v.period_ns, 5000, 1e-9);
    for (size_t i = 0; i < tr.en_v.n; i++)
        cr_assert(tr.en_v.v[i] == (i % 2 ? 10.0f : -10.0f), "sample %zu: %g", i, tr.en_v.v[i]);
    sigrok_trace_free(&tr);
    parse_ok("demo", "samplerate=1M:limit_samples=2000", "D0=DTR,D1=RTS,A9=EN_V", &cfg);
    cr_assert_neq(capture(&cfg, 0, &tr, NULL), 0);
    cr_assert_str_eq(err, "demo: the device has no analog channel 'A9' for EN_V");
    close_sigrok("a missing analog channel");
}
