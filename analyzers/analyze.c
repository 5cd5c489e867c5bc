/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run's analysis: resets, strap window, spurious resets, the outcome
 * from the ROM banner and the verdict against the scenario's expectation.
 * May call: the other analyzers (steps.h, slip.h, usb_otg.h), libm, libc (malloc for a
 * capture's whole lists). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "slip.h"
#include "steps.h"
#include "usb_otg.h"

/* Where one analysis puts its resets and findings: the struct analysis's
 * own arrays (fixed: the virtual lab's hot path) or the heap
 * (analyze_run_all: as many as the capture holds, up to ANALYSIS_LISTS_MAX). */
struct lists {
    struct reset_event *resets;
    int n_resets, n_resets_seen;
    struct finding *findings;
    int n_findings, max_findings, cut;
    int heap; /* findings grow with realloc */
};

/* Room for `more` findings: grows a heap list (doubling, at most
 * ANALYSIS_LISTS_MAX). Returns the room there is. */
static int finding_room(struct lists *l, int more)
{
    if (l->heap && l->max_findings - l->n_findings < more && l->max_findings < ANALYSIS_LISTS_MAX) {
        int want = l->max_findings ? l->max_findings : 64;
        while (want - l->n_findings < more && want < ANALYSIS_LISTS_MAX)
            want *= 2;
        want = want < ANALYSIS_LISTS_MAX ? want : ANALYSIS_LISTS_MAX;
        struct finding *grown = realloc(l->findings, (size_t)want * sizeof *grown);
        if (grown != NULL)
            l->findings = grown, l->max_findings = want;
    }
    return l->max_findings - l->n_findings;
}

static void add_finding(struct lists *l, const char *kind, int64_t t_ns, enum severity sev, const char *fmt, ...)
{
    if (finding_room(l, 1) < 1) {
        l->cut = 1;
        return;
    }
    struct finding *f = &l->findings[l->n_findings++];
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    f->t_ns = t_ns;
    f->severity = sev;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* An analyzer that writes up to `max` findings at once (truth table,
 * transients: at most one per line step): room for every step first. */
static void add_findings_of(struct lists *l, int (*find)(const struct trace *, const struct steps *,
                                                        const struct board_model *, const struct op_log *,
                                                        struct finding *, int),
                            const struct trace *tr, const struct steps *st, const struct board_model *bm,
                            const struct op_log *log)
{
    int room = finding_room(l, st->n + 1);
    int n = find(tr, st, bm, log, l->findings + l->n_findings, room);
    l->n_findings += n;
    l->cut |= n >= room;
}

static int truth_table_findings(const struct trace *tr, const struct steps *st, const struct board_model *bm,
                                const struct op_log *log, struct finding *out, int max)
{
    (void)log;
    return truth_table_from_steps(tr, st, bm, out, max);
}

/* USB-OTG: each restart takes the port off the bus and brings another
 * device back (docs/physics.md#usb-otg); a tool holding it sees it go. */
static void report_reenumerations(struct lists *a, const struct board_model *bm)
{
    if (bm->circuit->kind != CIRCUIT_USB_OTG)
        return;
    for (int i = 0; i < a->n_resets; i++) {
        const struct reset_event *ev = &a->resets[i];
        double t = ev->t_chip_ns;
        add_finding(a, "usb-reenumerated", ev->en_low_ns, SEV_INFO,
                    "USB-OTG: the chip restarted into %s at %.3f ms; its port left the bus at %.3f ms and came back, "
                    "another device, at %.3f ms: a tool holding the port open sees it go",
                    boot_mode_name(ev->predicted), t / 1e6, usb_otg_gone_ns(bm->circuit, t) / 1e6,
                    usb_otg_back_ns(bm->circuit, t) / 1e6);
    }
}

static void report_unasked_resets(struct lists *a, const struct op_log *log, enum boot_mode expected)
{
    for (int i = 0; i < a->n_resets; i++) {
        const struct reset_event *ev = &a->resets[i];
        double t_ms = (double)ev->en_low_ns / 1e6;
        if (ev->spurious)
            add_finding(a, "spurious-reset", ev->en_low_ns, SEV_ERROR,
                        "chip reset at %.3f ms by port op %s (op %d%s), which did not ask for one", t_ms,
                        op_label(log, ev->cause_op), ev->cause_op,
                        log->ops[ev->cause_op].first_open ? ", the first open after power-on" : "");
        else if (expected == BOOT_NONE)
            add_finding(a, "unexpected-reset", ev->en_low_ns, SEV_ERROR,
                        "chip reset at %.3f ms by %s (op %d) in a scenario that expects no reset", t_ms,
                        op_label(log, ev->cause_op), ev->cause_op);
    }
}

/* Without an IO0 channel, the IO0 the board's circuit makes from the line
 * states (DRIVE_LOW: 0, released: the pull-up's 1), as a trace of IO0 alone
 * on `edges` (one per step at most). */
static const struct trace *io0_from_circuit(const struct trace *tr, const struct steps *st,
                                            const struct board_model *bm, struct trace *io0, struct edge *edges)
{
    if (trace_has(tr, CH_IO0) || st->n == 0 || bm->circuit->kind != CIRCUIT_TRANSISTOR)
        return tr;
    *io0 = (struct trace){.edges = edges, .cap = MAX_STEPS, .present = 1u << CH_IO0, .t_end_ns = tr->t_end_ns,
                          .sample_rate_hz = tr->sample_rate_hz, .threshold_v = tr->threshold_v};
    int level = circuit_io0(bm->circuit, st->s[0].dtr, st->s[0].rts) != DRIVE_LOW;
    io0->initial[CH_IO0] = (uint8_t)level;
    for (int i = 1; i < st->n; i++) {
        int now = circuit_io0(bm->circuit, st->s[i].dtr, st->s[i].rts) != DRIVE_LOW;
        if (now != level)
            trace_push(io0, st->s[i].t_ns, CH_IO0, level = now);
    }
    return io0;
}

/* IO0's edges are taken apart once, so that each reset of a long capture
 * costs a binary search. -1 when out of memory for them. */
static int predict_boot_modes(struct lists *a, const struct trace *tr, const struct board_model *bm,
                              enum boot_mode expected)
{
    if (!trace_has(tr, CH_IO0) || bm->circuit->kind != CIRCUIT_TRANSISTOR || a->n_resets == 0)
        return 0; /* no strap to read, or the mode is latched inside the chip */
    struct edge buf[64], *owned;
    struct io0_line line;
    if (io0_line_of(tr, &line, buf, sizeof buf / sizeof buf[0], &owned) != 0)
        return -1;
    for (int i = 0; i < a->n_resets; i++) {
        struct reset_event *ev = &a->resets[i];
        if (isnan(ev->t_chip_ns))
            continue; /* held in reset */
        enum boot_mode target = (expected == BOOT_DOWNLOAD || expected == BOOT_FLASH) ? expected : BOOT_NONE;
        ev->predicted = strap_predict_line(&line, ev->t_chip_ns, &bm->chip, target, &ev->margin_ms);
    }
    free(owned);
    return 0;
}

static const struct reset_event *deciding_reset(const struct lists *a)
{
    for (int i = a->n_resets - 1; i >= 0; i--)
        if (!isnan(a->resets[i].t_chip_ns))
            return &a->resets[i];
    return NULL;
}

static void decide_outcome(struct analysis *a, struct lists *l, const struct board_model *bm, const uint8_t *uart,
                           size_t uart_len)
{
    const struct reset_event *last = deciding_reset(l);
    enum boot_mode predicted = last ? last->predicted : BOOT_NONE;
    a->observed = outcome_from_uart(uart, uart_len);
    if (bm->circuit->kind == CIRCUIT_USB_OTG)
        uart = NULL; /* the ROM prints on UART0 before its USB is up: the host's bytes hold no banner */
    a->outcome = uart != NULL ? a->observed : predicted;
    if (predicted == BOOT_MARGINAL && a->outcome != BOOT_NONE)
        a->outcome = BOOT_MARGINAL;
    if (last != NULL) {
        a->margin_ms = last->margin_ms;
        a->gap_ms = last->gap_ms;
        a->en_release_ms = last->en_release_ms;
        a->tau_ms = last->tau_ms;
        a->en_fit_samples = last->fit_samples;
    }
    if (uart != NULL && last != NULL && (predicted == BOOT_DOWNLOAD || predicted == BOOT_FLASH) &&
        a->observed != predicted)
        add_finding(l, "prediction-mismatch", (int64_t)last->t_chip_ns, SEV_WARN,
                    "the strap window predicts %s but the ROM banner says %s: the board description or "
                    "the capture is wrong",
                    boot_mode_name(predicted), boot_mode_name(a->observed));
}

/* " (margin 1.234 ms)" (`lead` before the figure), or "" when there is
 * no margin to give (no IO0 edge near, or no target level): never "nan". */
static const char *ms_text(char *buf, size_t len, const char *lead, double ms)
{
    if (isfinite(ms))
        snprintf(buf, len, "%s%.3f ms)", lead, ms);
    else
        buf[0] = '\0';
    return buf;
}

/* Why the chip did not reach the expected mode, in the terms of docs/physics.md. */
static void explain_failure(const struct analysis *a, struct lists *l, const struct trace *tr,
                            const struct board_model *bm, enum boot_mode expected)
{
    const struct reset_event *last = deciding_reset(l);
    int64_t t = last ? (int64_t)last->t_chip_ns : 0;
    char m[48];
    if (a->outcome == BOOT_MARGINAL)
        add_finding(l, "strap-marginal", t, SEV_ERROR, "%s changed inside the strap window%s: boot mode undefined",
                    chip_strap_name(&bm->chip), ms_text(m, sizeof m, " (margin ", a->margin_ms));
    else if (last == NULL && expected != BOOT_NONE && analyzer_cannot_run(AN_RESETS, tr, bm) == NULL)
        add_finding(l, "no-reset", 0, SEV_ERROR, "the chip was never reset: expected %s", boot_mode_name(expected));
    else if (bm->circuit->kind == CIRCUIT_USB_JTAG && expected == BOOT_DOWNLOAD && a->outcome == BOOT_FLASH &&
             last != NULL)
        add_finding(l, "usb-jtag-flag", t, SEV_ERROR,
                    "USB-Serial/JTAG reset with the download flag clear: the sequence never sent (DTR1,RTS0) "
                    "before the reset state (DTR0,RTS1)");
    else if (expected == BOOT_DOWNLOAD && a->outcome == BOOT_FLASH && !isnan(a->gap_ms) && isfinite(a->en_release_ms))
        add_finding(l, "gap-outlasted-en", t, SEV_ERROR,
                    "booted flash: the DTR/RTS gap (%.3f ms) outlasted the %s release (%.3f ms), so %s went low "
                    "after the chip sampled it%s",
                    a->gap_ms, chip_en_name(&bm->chip), a->en_release_ms, chip_strap_name(&bm->chip),
                    ms_text(m, sizeof m, " (margin ", a->margin_ms));
    else if (expected != BOOT_NONE && a->outcome != BOOT_NONE)
        add_finding(l, "wrong-boot-mode", t, SEV_ERROR, "booted %s, expected %s%s", boot_mode_name(a->outcome),
                    boot_mode_name(expected), ms_text(m, sizeof m, " (strap margin ", a->margin_ms));
}

/* The EN capacitor implied by each measured τ, against the design. The
 * band is the capacitor's tolerance plus what the analyzer cannot resolve:
 * both edges are known to one sample period, so τ to ±2 periods / ln(...). */
static void check_rc(struct lists *a, const struct trace *tr, const struct board_model *bm)
{
    double tau_design = bm->en_r_ohms * bm->en_c_farads;
    double period_s = tr->sample_rate_hz > 0 ? 1.0 / tr->sample_rate_hz : 0.0;
    double tau_quantum = 2.0 * period_s / log(bm->vdd / (bm->vdd - tr->threshold_v));
    for (int i = 0; i < a->n_resets; i++) {
        const struct reset_event *ev = &a->resets[i];
        if (isnan(ev->tau_ms) || ev->en_rise_ns < 0 || !(tau_design > 0))
            continue;
        double tau = ev->tau_ms / 1e3, c_est = tau / bm->en_r_ohms;
        if (fabs(tau - tau_design) <= bm->en_c_tolerance * tau_design + tau_quantum)
            continue;
        char how[48] = "";
        if (ev->fit_samples > 0)
            snprintf(how, sizeof how, ", fitted on %d %s samples", ev->fit_samples, chip_en_name(&bm->chip));
        add_finding(a, "rc-mismatch", ev->release_ns, SEV_ERROR,
                    "%s C ≈ %.3g µF (τ %.3f ms with R %.3g kΩ%s), expected %.3g µF ±%.0f %%: chip leaves reset "
                    "after %.3f ms, not %.3f ms",
                    chip_en_name(&bm->chip), c_est * 1e6, ev->tau_ms, bm->en_r_ohms / 1e3, how, bm->en_c_farads * 1e6, bm->en_c_tolerance * 100,
                    ev->en_release_ms, rc_time_to_fraction(bm->en_r_ohms * bm->en_c_farads, bm->chip.vih_frac) * 1e3);
        return; /* once per run */
    }
}

/* Truth table first: when the board does not follow its table, an RC
 * estimate made through that table means nothing and is not reported. */
static int board_level_findings(struct lists *l, const struct trace *tr, const struct steps *st,
                                const struct board_model *bm)
{
    int before = l->n_findings;
    add_findings_of(l, truth_table_findings, tr, st, bm, NULL);
    if (l->n_findings == before)
        check_rc(l, tr, bm);
    return l->n_findings - before;
}

/* The SYNC probe (an "S" op): answered when a valid SYNC reply follows the
 * last ROM banner, as esptool's connect needs it. Without an op log (a
 * capture of RX alone, from any tool) a SYNC reply on RX shows that one was
 * sent and answered; no reply says nothing, since none may have been sent. */
static int sync_answered(const struct op_log *log, const struct board_model *bm, const uint8_t *uart, size_t len)
{
    int probed = 0, logged = log != NULL && log->n > 0;
    for (size_t i = 0; logged && i < log->n; i++)
        probed |= strcmp(log->ops[i].label, "S") == 0;
    if ((logged && !probed) || uart == NULL)
        return -1;
    size_t from = 0;
    for (size_t i = 0; i + 7 <= len; i++)
        if (memcmp(uart + i, "boot:0x", 7) == 0)
            from = i;
    struct esp_response r;
    int answered = esp_find_reply(uart + from, len - from, ESP_SYNC, bm->rom_status_len, &r) == 1;
    return answered || logged ? answered : -1;
}

/* A run's figures before any analyzer: none, and the verdict error until
 * one decides it. */
static void begin_analysis(struct analysis *out)
{
    memset(out, 0, sizeof *out);
    out->sync = -1;
    out->margin_ms = out->gap_ms = out->en_release_ms = out->tau_ms = NAN;
    out->verdict = VERDICT_ERROR;
}

/* The line steps, built once for every analyzer; -1 with the reason when
 * the trace cannot be analysed. */
static int steps_to_analyze(const struct trace *tr, const struct board_model *bm, struct steps *st, char *why,
                            size_t why_len)
{
    if (checked_steps(tr, st, why, why_len) != 0)
        return -1;
    if (analyzer_cannot_run(AN_RESETS, tr, bm) != NULL && !trace_has(tr, CH_RX)) {
        snprintf(why, why_len, "the trace has neither EN nor DTR and RTS nor RX: nothing to analyze");
        return -1;
    }
    return 0;
}

/* Every analyzer over the steps into `l`; the run's figures, outcome and
 * verdict into `out` (begun by begin_analysis). */
static int analyze_into(const struct trace *tr, const struct steps *st, const struct op_log *log,
                        const struct board_model *bm, const uint8_t *uart, size_t uart_len, enum boot_mode expected,
                        struct analysis *out, struct lists *l, int max_resets, char *why, size_t why_len)
{
    if (analyzer_cannot_run(AN_RESETS, tr, bm) == NULL) { /* else RX alone: the banner decides */
        int n = resets_from_steps(tr, st, bm, log, l->resets, max_resets, &l->n_resets_seen, why, why_len);
        if (n < 0)
            return -1;
        l->n_resets = n;
    }
    struct trace io0;
    struct edge io0_edges[MAX_STEPS];
    if (predict_boot_modes(l, io0_from_circuit(tr, st, bm, &io0, io0_edges), bm, expected) != 0) {
        snprintf(why, why_len, "out of memory for IO0's edges");
        return -1;
    }
    int board_wrong = board_level_findings(l, tr, st, bm) > 0;
    report_unasked_resets(l, log, expected);
    report_reenumerations(l, bm);
    add_findings_of(l, transients_from_steps, tr, st, bm, log);
    decide_outcome(out, l, bm, uart, uart_len);
    out->sync = sync_answered(log, bm, uart, uart_len);
    out->verdict = expected == BOOT_ANY || out->outcome == expected ? VERDICT_PASS : VERDICT_FAIL;
    if (out->verdict == VERDICT_PASS && expected == BOOT_DOWNLOAD && out->sync == 0) {
        out->verdict = VERDICT_FAIL;
        if (bm->circuit->kind == CIRCUIT_USB_OTG)
            add_finding(l, "sync-unanswered", 0, SEV_ERROR,
                        "USB-OTG: the chip restarted into download mode but no SYNC reply came back: the probe went "
                        "before its port was back on the bus, or to a handle that died with it");
        else
            add_finding(l, "sync-unanswered", 0, SEV_ERROR,
                        "the ROM banner says download mode but no SYNC reply came back: the probe was sent before the "
                        "ROM listened, or the chip was reset again");
    }
    if (out->verdict == VERDICT_FAIL && !board_wrong) /* a wrong board explains itself */
        explain_failure(out, l, tr, bm, expected);
    return 0;
}

int analyze_run(const struct trace *tr, const struct op_log *log, const struct board_model *bm,
                const uint8_t *uart, size_t uart_len, enum boot_mode expected, struct analysis *out,
                char *why, size_t why_len)
{
    begin_analysis(out);
    struct steps st;
    if (steps_to_analyze(tr, bm, &st, why, why_len) != 0)
        return -1;
    struct lists l = {.resets = out->resets, .findings = out->findings, .max_findings = ANALYSIS_MAX_FINDINGS};
    int rc = analyze_into(tr, &st, log, bm, uart, uart_len, expected, out, &l, ANALYSIS_MAX_RESETS, why, why_len);
    out->n_resets = l.n_resets;
    out->n_resets_seen = l.n_resets_seen;
    out->n_findings = l.n_findings;
    out->findings_cut = l.cut;
    return rc;
}

/* The run's own arrays from the whole lists: the first resets and the
 * last (the one that decides), the first findings. */
static void summarize(struct analysis *out, const struct analysis_lists *all)
{
    int n = all->n_resets < ANALYSIS_MAX_RESETS ? all->n_resets : ANALYSIS_MAX_RESETS;
    if (n > 0) /* a list never grown is NULL: memcpy's pointers must be valid even for 0 bytes */
        memcpy(out->resets, all->resets, (size_t)n * sizeof *out->resets);
    if (all->n_resets > n)
        out->resets[n - 1] = all->resets[all->n_resets - 1];
    out->n_resets = n;
    out->n_resets_seen = all->n_resets_seen;
    out->n_findings = all->n_findings < ANALYSIS_MAX_FINDINGS ? all->n_findings : ANALYSIS_MAX_FINDINGS;
    if (out->n_findings > 0)
        memcpy(out->findings, all->findings, (size_t)out->n_findings * sizeof *out->findings);
    out->findings_cut = all->findings_cut || all->n_findings > ANALYSIS_MAX_FINDINGS;
}

int analyze_run_all(const struct trace *tr, const struct op_log *log, const struct board_model *bm,
                    const uint8_t *uart, size_t uart_len, enum boot_mode expected, struct analysis *out,
                    struct analysis_lists *all, char *why, size_t why_len)
{
    begin_analysis(out);
    memset(all, 0, sizeof *all);
    struct steps st;
    int seen = 0; /* counted first, into the run's own 16 */
    if (steps_to_analyze(tr, bm, &st, why, why_len) != 0 ||
        (analyzer_cannot_run(AN_RESETS, tr, bm) == NULL &&
         resets_from_steps(tr, &st, bm, log, out->resets, ANALYSIS_MAX_RESETS, &seen, why, why_len) < 0))
        return -1;
    int max_resets = seen < ANALYSIS_LISTS_MAX ? (seen > 0 ? seen : 1) : ANALYSIS_LISTS_MAX;
    struct lists l = {.resets = malloc((size_t)max_resets * sizeof *l.resets), .heap = 1};
    if (l.resets == NULL) {
        snprintf(why, why_len, "out of memory for %d resets", max_resets);
        return -1;
    }
    int rc = analyze_into(tr, &st, log, bm, uart, uart_len, expected, out, &l, max_resets, why, why_len);
    *all = (struct analysis_lists){l.resets, l.n_resets, l.n_resets_seen, l.findings, l.n_findings, l.cut};
    summarize(out, all);
    return rc;
}

void analysis_lists_free(struct analysis_lists *all)
{
    free(all->resets);
    free(all->findings);
    *all = (struct analysis_lists){0};
}
