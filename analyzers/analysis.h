/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analyzers' types: a board as designed (board_model), the op log,
 * one chip reset, a finding and a run's whole analysis. analyze.h declares
 * the functions over them; the analyzers' own helpers (steps.h) need the
 * types alone. */
#ifndef RESETLAB_ANALYSIS_H
#define RESETLAB_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "circuit.h"
#include "trace.h"

/* BOOT_ANY is only an expectation: any outcome passes (a capture analyzed
 * without one); it is never an outcome. */
enum boot_mode { BOOT_NONE, BOOT_DOWNLOAD, BOOT_FLASH, BOOT_MARGINAL, BOOT_ANY };
enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR };
enum severity { SEV_INFO, SEV_WARN, SEV_ERROR };

/* "no-reset", "download", "flash", "marginal" */
const char *boot_mode_name(enum boot_mode m);
/* Inverse of boot_mode_name; -1 when the name is unknown. */
int boot_mode_parse(const char *name);
const char *verdict_name(enum verdict v);
const char *severity_name(enum severity s);

struct chip_timing {
    double vih_frac;           /* EN (CHIP_PU) rising threshold, fraction of VDD */
    double setup_ms, hold_ms;  /* strap window around the sampling instant */
    /* The straps are sampled this long after EN crosses vih_frac (0: at the
     * crossing; docs/physics.md#strap-window). */
    double sample_delay_ms;
    double min_reset_pulse_us; /* shortest EN low pulse that resets the chip */
    /* What the chip calls its reset pin and its boot strap pin (chips.<name>.en_pin,
     * strap_pin: "CHIP_PU", "GPIO9"); empty: the generic "EN" and "IO0". */
    char en_name[16], strap_name[16];
};

/* The names findings and reports print for the reset and strap pins. */
static inline const char *chip_en_name(const struct chip_timing *c)
{
    return c->en_name[0] ? c->en_name : "EN";
}
static inline const char *chip_strap_name(const struct chip_timing *c)
{
    return c->strap_name[0] ? c->strap_name : "IO0";
}

/* The board as designed, and how the analyzers judge it. */
struct board_model {
    const struct circuit *circuit;
    double en_r_ohms, en_c_farads, vdd;
    double en_c_tolerance;           /* relative: 0.2 = ±20 % */
    double io0_pullup_ohms, io0_c_farads;
    struct chip_timing chip;
    size_t rom_status_len;   /* status bytes in the ROM's replies (SYNC probe) */
    double settle_ms;        /* truth table: lines stable this long first */
    double transient_max_ms; /* one line then the other within this = one transition */
    /* USB-Serial/JTAG: the download flag as the trace begins, set by a
     * request before it (a served board's earlier attempt); 0 after power-on. */
    int usb_flag_at_start;
    /* USB-OTG: the ROM's CDC (download mode) answers as the trace begins;
     * 0: the application's (a powered board runs its application). */
    int usb_otg_rom_at_start;
};

/* One host call, with the host's clock before and after it (CONTRIBUTING.md#data-flow). */
struct op_record {
    int64_t t_before_ns, t_after_ns;
    int index;       /* position in the scenario's sequence */
    int is_port_op;  /* open or close: a reset caused by it was not asked for */
    char label[16];  /* the DSL token, e.g. "D1", "U1,0", "C" */
    int first_open;  /* the first open after power-on (the bridges' first-open quirks) */
};

struct op_log {
    const struct op_record *ops;
    size_t n;
};

/* Release: everything known about one chip reset. Times are in ns on the
 * trace's clock; doubles are NaN when they do not apply. */
struct reset_event {
    int64_t en_low_ns;     /* EN seen low, or the reset command */
    int64_t release_ns;    /* the line edge that released EN; -1 when unknown */
    int64_t en_rise_ns;    /* analyzer saw EN rise; -1 when EN never rose */
    double t_chip_ns;      /* estimated reset release at the chip's threshold */
    double en_release_ms;  /* t_chip - release: the RC delay the chip sees */
    double tau_ms;         /* estimated EN time constant */
    int fit_samples;       /* analog EN samples τ was fitted on; 0: from the analyzer's edge */
    enum boot_mode predicted;
    double margin_ms; /* signed distance of the nearest IO0 edge from the strap window */
    double gap_ms;    /* DTR/RTS gap of the releasing transition */
    int cause_op;     /* index into the op log of the op that started the reset; -1 */
    int spurious;     /* caused by an op that did not ask for a reset */
};

/* What one analysis holds (the virtual lab's hot path keeps it on the
 * stack): past ANALYSIS_MAX_RESETS the first 15 resets and the last one are
 * kept and n_resets_seen counts them all; past ANALYSIS_MAX_FINDINGS the
 * later findings are left out and findings_cut says so. */
#define ANALYSIS_MAX_RESETS 16
#define ANALYSIS_MAX_FINDINGS 32

struct finding {
    char kind[24];
    int64_t t_ns;
    enum severity severity;
    char message[192];
};

/* What a tool's connect loop saw (docs/tools.md): the harness runs the
 * loop and fills this; the analyzers judge the wires of the attempt that
 * decided it. */
struct tool_outcome {
    int ran;              /* 1 when the run was a tool's connect loop */
    int connected;        /* a SYNC was answered with all its replies */
    int attempts;         /* attempts made, the connecting one included */
    char strategy[48];    /* the last attempt's strategy, e.g. "UnixTightReset 0.05" */
    double connect_ms;    /* from the open to the end of the first SYNC reply; NaN when not connected */
    enum boot_mode after; /* what the tool's after-reset booted; BOOT_ANY when it does none */
    char error[160];      /* what the tool would print when it gives up; "" when connected */
};

struct analysis {
    struct reset_event resets[ANALYSIS_MAX_RESETS];
    int n_resets;
    int n_resets_seen; /* resets in the trace; > n_resets when some were not kept */
    struct finding findings[ANALYSIS_MAX_FINDINGS];
    int n_findings;
    int findings_cut; /* 1 when the findings filled ANALYSIS_MAX_FINDINGS: later ones may be left out */
    enum boot_mode observed; /* from the ROM banner on the UART */
    enum boot_mode outcome;  /* observed, or marginal when the strap window was violated */
    enum verdict verdict;
    int sync; /* the scenario's SYNC probe: 1 answered by the ROM, 0 not, -1 no probe */
    /* Figures of the reset that decided the outcome (the last one); NaN when none. */
    double margin_ms, gap_ms, en_release_ms, tau_ms;
    int en_fit_samples; /* analog EN samples its τ was fitted on; 0: from the analyzer's edge */
    struct tool_outcome tool;
};

/* Every reset and finding of one capture (analyze_run_all, for `resetlab
 * analyze`): a long real capture holds more than struct analysis keeps.
 * Each list holds at most ANALYSIS_LISTS_MAX (memory: 64 Ki resets take
 * about 7 MB, 64 Ki findings 16 MB); past it, the first resets and the last,
 * the first findings, and findings_cut says so. */
#define ANALYSIS_LISTS_MAX 65536
struct analysis_lists {
    struct reset_event *resets;
    int n_resets, n_resets_seen;
    struct finding *findings;
    int n_findings;
    int findings_cut;
};

#endif
