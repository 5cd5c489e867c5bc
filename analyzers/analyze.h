/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Analyzers: pure functions over a trace, the op log and the board's
 * description (docs/physics.md). No I/O, no globals, nothing of ours but
 * analysis.h (the types), trace.h and circuit.h.
 */
#ifndef RESETLAB_ANALYZE_H
#define RESETLAB_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"

/* RC on EN (docs/physics.md#en-rc): V(t) = VDD(1 - e^(-t/RC)). */
double rc_time_to_fraction(double tau_s, double fraction);
double rc_tau_from_analyzer(double t_la_s, double vdd, double v_la);

/* Where a capture has EN's voltage: fits the charge curve after a release,
 * V(t) = VDD − (VDD − V0)·e^(−t/τ), by least squares on ln(VDD − V) over
 * the samples in [t_from, t_to) between 10 % and 90 % of VDD. Needs no
 * threshold and no assumption that EN started at 0 V. Returns the number of
 * samples used (0 when fewer than 8 qualify) and sets τ (s) and the time
 * (ns) the fitted curve crosses `level` volts. */
int rc_fit_release(const struct analog *a, int64_t t_from_ns, int64_t t_to_ns, double vdd, double level,
                   double *tau_s, double *t_level_ns);

/* The boot mode read from ROM output, as esptool reads it: the last
 * `boot:0x..` line, download when followed by "waiting for download" or
 * named DOWNLOAD. BOOT_NONE when no banner is present. */
enum boot_mode outcome_from_uart(const uint8_t *bytes, size_t len);

/* IO0 over [t_s - setup, t_s + hold], t_s = t_chip + the chip's
 * sample_delay_ms: low throughout = download, high
 * throughout = flash, else marginal. The margin is signed relative to
 * `target` (download: IO0 must be low; flash: high): positive when the
 * nearest IO0 edge lies outside the window by that many ms, negative when
 * the target level misses the window by that many ms. NaN when target is
 * neither download nor flash. */
enum boot_mode strap_predict(const struct trace *tr, double t_chip_ns, const struct chip_timing *chip,
                             enum boot_mode target, double *margin_ms);

/* Finds the chip resets in a trace. Returns how many were stored, or -1
 * with a reason in `why` when the trace cannot be analyzed. */
int find_resets(const struct trace *tr, const struct board_model *bm, const struct op_log *log,
                struct reset_event *out, int max, char *why, size_t why_len);

/* Truth table (docs/physics.md#truth-table): EN and IO0 against the circuit table in every
 * interval where the lines are stable, with a diagnosis per violation.
 * Returns the number of findings stored (kind "truth-table"). */
int check_truth_table(const struct trace *tr, const struct board_model *bm, struct finding *out, int max);

/* Transients: intermediate line states of one-line-then-the-other changes,
 * with their duration and what EN did inside them (kind "transient"). */
int find_transients(const struct trace *tr, const struct board_model *bm, const struct op_log *log,
                    struct finding *out, int max);

/* The analyzers analyze_run runs, each when the trace has its channels. */
enum analyzer_id { AN_RESETS, AN_EN_RC, AN_STRAP, AN_TRUTH_TABLE, AN_TRANSIENTS, AN_BANNER, AN_SYNC, AN_COUNT };
const char *analyzer_name(enum analyzer_id id);
/* NULL when the trace has what the analyzer needs; else why not, in a few
 * words ("needs DTR and RTS"). */
const char *analyzer_cannot_run(enum analyzer_id id, const struct trace *tr, const struct board_model *bm);

/* Runs every analyzer the trace's channels allow (analyzer_cannot_run) and decides the verdict against `expected`.
 * Returns 0, or -1 with a reason in `why` (the verdict is then error), also
 * when no analyzer can run (neither EN nor DTR and RTS nor RX). */
int analyze_run(const struct trace *tr, const struct op_log *log, const struct board_model *bm,
                const uint8_t *uart, size_t uart_len, enum boot_mode expected, struct analysis *out,
                char *why, size_t why_len);

/* analyze_run, and every reset and finding in `all` (on the heap: free
 * with analysis_lists_free, also after -1); `out` holds what analyze_run
 * would: the first resets and the last, the first findings. */
int analyze_run_all(const struct trace *tr, const struct op_log *log, const struct board_model *bm,
                    const uint8_t *uart, size_t uart_len, enum boot_mode expected, struct analysis *out,
                    struct analysis_lists *all, char *why, size_t why_len);
void analysis_lists_free(struct analysis_lists *all);

#endif
