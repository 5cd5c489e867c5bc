/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab analyze FILE`: a capture made anywhere (a .sr session, a VCD,
 * a CSV) through every analyzer, against a board of boards.yaml. When
 * resetlab made the capture, its op log beside it (FILE.yaml) names the
 * board and the expectation and attributes each reset to its op, so the
 * findings are those of the run; without it the DTR/RTS edges stand for
 * the op log.
 * May call: harness/lab, harness/capture (reading the file), harness/run (the sidecar),
 * analyzers/, reports/ (the JSON line), libc. */
#include "cli_commands.h"

#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/uart.h"
#include "reports/results.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_meta.h"
#include "harness/capture/capture_sigrok.h"

#define UART_MAX 65536 /* bytes decoded at first; a longer line gets all it needs */
#define ANALYZE_SAMPLERATE_MAX 1000000000000ull /* --samplerate HZ */
#define ANALYZE_BAUD_MAX 10000000ull             /* --baud N: 10 MBd, past any ROM's or bridge's rate */

static const char usage[] =
    "usage: resetlab analyze FILE [--board NAME] [--expect MODE] [--map SPEC] [--json]\n"
    "                        [--samplerate HZ] [--baud N] [--boards FILE]\n"
    "\n"
    "Reads a capture (a sigrok session .sr, or VCD or CSV through libsigrok's input\n"
    "modules), decodes the UART line (RX, 8N1 at the board's chip baud rate) and\n"
    "runs every analyzer: resets, EN RC, strap window and margin, truth table,\n"
    "transients, the ROM banner and SYNC answers, against the board's description.\n"
    "When FILE.yaml lies beside it (resetlab run --captures writes one), it supplies\n"
    "the board, the expectation and the op log, so each reset is attributed to the\n"
    "op that caused it; without it the DTR/RTS edges stand for the op log.\n"
    "The UART: a start bit is confirmed at its middle (a shorter glitch is no\n"
    "byte), framing errors and glitches are counted, the rate RX shows is named\n"
    "when most frames fail; the whole line is decoded (one byte per RX edge at most).\n"
    "A partial probe (RX alone, EN and IO0, DTR and RTS, any subset) is analysed\n"
    "with what it has: the report names the analyzers that ran and what each of\n"
    "the others needs. A subset no analyzer can use (DTR or RTS alone, IO0 alone,\n"
    "DTR or RTS with IO0) is refused after that list; a file with none of DTR,\n"
    "RTS, EN, IO0, RX is refused.\n"
    "\n"
    "Every reset and finding is listed, as many as the capture holds (--json:\n"
    "reset_events and findings), up to 65536 of each kept in memory\n"
    "(ANALYSIS_LISTS_MAX: about 7 MB of resets, 16 MB of findings). Past it, all\n"
    "resets are counted and the first 65535 and the last listed (\"resets: 524288\n"
    "(listed: the first 65535 and the last ...)\"), and the output says findings\n"
    "were left out.\n"
    "\n"
    "limits, each refused with one line before the work it bounds:\n"
    "  - libsigrok makes every sample a VCD's timestamps span: a VCD longer than\n"
    "    10^10 samples (7 minutes at 24 MS/s) is refused, as is one without\n"
    "    channels or with a $timescale of 0 (on which libsigrok 0.5.2 would crash);\n"
    "  - a .sr's metadata is read first: more than 64 logic channels (total\n"
    "    probes) or 32 analog ones (total analog), a unitsize not 1 to 8 bytes or\n"
    "    too small for its channels, a samplerate of 0, more than one device,\n"
    "    metadata over 64 KiB or more than 10^10 bytes of samples are refused\n"
    "    (libsigrok 0.5.2 hangs on 10^9 channels), as is a probe numbered past\n"
    "    total probes or no unitsize; a logic chunk that is not whole samples of\n"
    "    the unitsize, fails its CRC-32 or does not inflate, a chunk after a\n"
    "    missing one (libsigrok stops at the gap), a capturefile naming no chunk,\n"
    "    or a session that delivers fewer bytes than its chunks hold is refused,\n"
    "    naming the chunk;\n"
    "  - a sample rate over 10^12 Hz (1 ps a sample), two logic channels of one\n"
    "    of our names (say which with --map), a sample with bits set above the\n"
    "    file's logic channels (its unit size disagrees with the data), a --map\n"
    "    file channel name over 31 characters; libsigrok's own text is given for\n"
    "    a CSV or VCD it cannot parse (its line and what is wrong there);\n"
    "  - edges are counted as they are read: more than 512 DTR/RTS changes, or\n"
    "    1048576 edges in all (16 MiB), and the capture is refused at once;\n"
    "  - FILE.yaml (the op log): at most 512 KiB and 1024 ops, and what follows.\n"
    "kept, not refused: EN's analog samples are read at the board's\n"
    "analog_en_rate_hz, at most 1048576 of them (SIGROK_MAX_ANALOG: past it every\n"
    "other one is dropped, so a long capture keeps its whole length at half the\n"
    "rate).\n"
    CLI_LAB_LIMITS_HELP
    "\n"
    "options:\n"
    "  --board NAME    the board in boards.yaml (default: the one FILE.yaml names)\n"
    "  --expect MODE   download, flash or no-reset (default: FILE.yaml's; else none,\n"
    "                  and the verdict only reports the outcome)\n"
    "  --map SPEC      which file channel is which: D0=DTR,D1=RTS,D2=EN,D3=IO0,D4=RX\n"
    "                  (the channels it does not give: by their names DTR, RTS,\n"
    "                  EN, IO0, RX). An analog channel with EN's voltage:\n"
    "                  A0=EN_V (τ is then fitted to it),\n"
    "                  or A0=EN with no logic EN (EN's edges made from it at the\n"
    "                  analyzer's threshold, ±0.05 V). Default: analog EN_V, or an\n"
    "                  analog EN when the file has no logic EN\n"
    "  --samplerate HZ a CSV file's sample rate, 1 to 10^12 Hz, when it does not say\n"
    "                  it in a '; Samplerate: 4 MHz' comment as sigrok's CSV output\n"
    "                  does (digits alone)\n"
    "  --baud N        decode RX at N baud, 1 to 10000000, instead of the board's\n"
    "                  chip ROM rate (an application's log, another device's UART)\n"
    "  --json          one JSON line, as in runs.jsonl, with every reset\n"
    "                  (reset_events) and every finding\n"
    "  --boards FILE   the lab description (default: ./boards.yaml, else the one\n"
    "                  installed with resetlab, share/resetlab/boards.yaml)\n"
    "\n"
    "exit status: 0 the board reached the expected mode (or no expectation), 1 it did\n"
    "not, 2 bad input (one error line).\n";

struct analyze_opts {
    const char *file, *board, *expect, *map, *boards;
    uint64_t samplerate, baud;
    int json;
};

static int usage_error(const char *fmt, const char *a)
{
    fputs("resetlab: analyze: ", stderr);
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

static int parse_opts(int argc, char **argv, struct analyze_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--board") == 0    ? &o->board
                            : strcmp(a, "--expect") == 0 ? &o->expect
                            : strcmp(a, "--map") == 0    ? &o->map
                            : strcmp(a, "--boards") == 0 ? &o->boards
                                                         : NULL;
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--samplerate") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            if (cli_parse_uint("analyze", a, argv[++i], "a rate in Hz", 1, ANALYZE_SAMPLERATE_MAX, &o->samplerate) != 0)
                return 2;
        }
        else if (strcmp(a, "--baud") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            if (cli_parse_uint("analyze", a, argv[++i], "a rate in baud", 1, ANALYZE_BAUD_MAX, &o->baud) != 0)
                return 2;
        }
        else if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (slot != NULL)
            return usage_error("%s needs a value", a);
        else if (a[0] == '-' && a[1] != '\0')
            return usage_error("unknown option '%s' (resetlab help analyze)", a);
        else if (o->file != NULL)
            return usage_error("one capture file at a time, got '%s' too", a);
        else
            o->file = a;
    }
    if (o->file == NULL)
        return usage_error("%s", "which capture? resetlab analyze FILE --board NAME");
    return 0;
}

/* The board and expectation: options first, then the sidecar. */
static int pick_board(const struct analyze_opts *o, const struct lab *lab, const struct run_meta *meta, int have_meta,
                      const struct board_profile **b, int *expected)
{
    const char *name = o->board ? o->board : have_meta ? meta->board : NULL;
    if (name == NULL)
        return usage_error("%s: which board? give --board NAME (resetlab list shows them)", o->file);
    if ((*b = lab_board(lab, name)) == NULL)
        return usage_error("unknown board '%s' (resetlab list shows them)", name);
    *expected = have_meta ? (int)meta->expected : -1;
    if (o->expect != NULL) {
        *expected = boot_mode_parse(o->expect);
        if (*expected < 0 || *expected == BOOT_MARGINAL)
            return usage_error("--expect must be download, flash or no-reset, got '%s'", o->expect);
    }
    return 0;
}

static void print_bytes(FILE *f, const uint8_t *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n && i < 160; i++) {
        if (s[i] == '\r')
            fputs("\\r", f);
        else if (s[i] == '\\' || s[i] == '"') /* so that a byte is never read as an escape */
            fprintf(f, "\\%c", s[i]);
        else if (s[i] == '\n')
            fputs("\\n", f);
        else if (s[i] >= 0x20 && s[i] < 0x7f)
            fputc(s[i], f);
        else
            fprintf(f, "\\x%02x", s[i]);
    }
    fputs(n > 160 ? "\"…" : "\"", f);
}

/* Which analyzers ran on this capture's channels, and why the others could not. */
static void print_coverage(const struct trace *tr, const struct board_profile *b)
{
    struct board_model bm = board_model_of(b);
    printf("analyzers run:");
    int skipped = 0, ran = 0;
    for (int id = 0; id < AN_COUNT; id++) {
        if (analyzer_cannot_run((enum analyzer_id)id, tr, &bm) == NULL)
            printf("%s %s", ran++ ? "," : "", analyzer_name((enum analyzer_id)id));
        else
            skipped++;
    }
    printf("%s\n", ran ? "" : " none");
    if (skipped == 0)
        return;
    printf("not run:\n");
    for (int id = 0; id < AN_COUNT; id++) {
        const char *why = analyzer_cannot_run((enum analyzer_id)id, tr, &bm);
        if (why != NULL)
            printf("  %-17s %s\n", analyzer_name((enum analyzer_id)id), why);
    }
}

/* The capture, the board, the op log, and which analyzers its channels feed. */
static void print_header(const struct analyze_opts *o, const struct trace *tr, const struct board_profile *b,
                         const struct run_meta *meta, int have_meta)
{
    printf("%s: %.6g MS/s, %.3f ms, %zu edges on", o->file, tr->sample_rate_hz / 1e6, (double)tr->t_end_ns / 1e6, tr->n);
    for (int c = 0; c < CH_COUNT; c++)
        if (trace_has(tr, (enum channel)c))
            printf(" %s", channel_name((enum channel)c));
    printf("\nboard %s (%s, %s); ", b->name, b->chip->name, b->circuit->name);
    if (have_meta)
        printf("op log: %zu ops of %s on %s, run %d\n", meta->n_ops, meta->scenario, meta->host, meta->iteration);
    else
        printf("no op log: the DTR/RTS edges stand for it\n");
    print_coverage(tr, b);
}

static void print_report(const struct analyze_opts *o, const struct trace *tr, const struct board_profile *b,
                         const struct run_meta *meta, int have_meta, const uint8_t *uart, size_t n_uart,
                         const struct uart_stats *us, int expected, const struct analysis *a,
                         const struct analysis_lists *all)
{
    int baud = o->baud ? (int)o->baud : b->chip->baud;
    print_header(o, tr, b, meta, have_meta);
    if (!trace_has(tr, CH_RX))
        printf("UART: no RX channel");
    else
        printf("UART: %zu bytes at %d baud", n_uart, baud);
    if (us->framing_errors || us->glitches)
        printf(" (%zu framing errors, %zu glitches shorter than half a bit)", us->framing_errors, us->glitches);
    if (n_uart) {
        fputs(": ", stdout);
        print_bytes(stdout, uart, n_uart);
    }
    double guess = us->framing_errors >= 4 && us->framing_errors > us->bytes ? uart_guess_baud(tr) : 0;
    if (guess > 0)
        printf("\nUART: most frames fail at %d baud: RX looks like %.0f baud (its shortest common bit, %.3f µs)",
               baud, guess, 1e6 / guess);
    if (all->n_resets_seen > all->n_resets)
        printf("\nresets: %d (listed: the first %d and the last; at most %d are kept in memory, ANALYSIS_LISTS_MAX)\n",
               all->n_resets_seen, all->n_resets - 1, ANALYSIS_LISTS_MAX);
    else
        printf("\nresets: %d\n", all->n_resets);
    for (int i = 0; i < all->n_resets; i++) {
        const struct reset_event *r = &all->resets[i];
        int number = i + 1 == all->n_resets ? all->n_resets_seen : i + 1; /* the last kept is the last seen */
        const char *en = chip_en_name(&b->chip->timing), *io0 = chip_strap_name(&b->chip->timing);
        printf("  #%d %s low at %.3f ms", number, en, (double)r->en_low_ns / 1e6);
        if (r->release_ns >= 0 && isfinite(r->tau_ms))
            printf(", released at %.3f ms, chip out of reset %.3f ms later (τ %.3f ms)", (double)r->release_ns / 1e6,
                   r->en_release_ms, r->tau_ms);
        else if (r->release_ns >= 0) /* USB-Serial/JTAG: the peripheral releases the core, no RC */
            printf(", released at %.3f ms", (double)r->release_ns / 1e6);
        else if (r->en_rise_ns >= 0)
            printf(", %s high at %.3f ms", en, (double)r->en_rise_ns / 1e6);
        else /* never released: the outcome below is no-reset for that */
            printf(", still held in reset when the capture ends at %.3f ms", (double)tr->t_end_ns / 1e6);
        if (r->predicted != BOOT_NONE && b->circuit->kind == CIRCUIT_USB_JTAG)
            printf(", boots %s (the mode the USB-Serial/JTAG latched)", boot_mode_name(r->predicted));
        else if (r->predicted != BOOT_NONE && !trace_has(tr, CH_IO0))
            printf(", strap: %s (%s as the circuit drives it from DTR and RTS)", boot_mode_name(r->predicted), io0);
        else if (r->predicted != BOOT_NONE && isfinite(r->margin_ms))
            printf(", strap: %s, margin %+.3f ms", boot_mode_name(r->predicted), r->margin_ms);
        else if (r->predicted != BOOT_NONE) /* IO0 never moved near the release: no edge to measure from */
            printf(", strap: %s (%s steady)", boot_mode_name(r->predicted), io0);
        putchar('\n');
    }
    if (a->sync == 1)
        printf("SYNC: answered (a SYNC reply on RX after the last banner)\n");
    else if (a->sync == 0)
        printf("SYNC: sent (the op log's S) and not answered\n");
    else if (trace_has(tr, CH_RX) && !(have_meta && meta->n_ops > 0))
        printf("SYNC: no SYNC reply on RX (without the op log, whether one was sent is not known)\n");
    printf("outcome: %s", boot_mode_name(a->outcome));
    if (expected >= 0)
        printf(" (expected %s): %s", boot_mode_name((enum boot_mode)expected), verdict_name(a->verdict));
    if (all->findings_cut)
        printf("\nfindings: %d (at most %d are kept in memory, ANALYSIS_LISTS_MAX: later ones are left out)\n",
               all->n_findings, ANALYSIS_LISTS_MAX);
    else
        printf("\nfindings: %d\n", all->n_findings);
    for (int i = 0; i < all->n_findings; i++)
        printf("  %-5s %-20s %10.3f ms  %s\n", severity_name(all->findings[i].severity), all->findings[i].kind,
               (double)all->findings[i].t_ns / 1e6, all->findings[i].message);
}

/* Without an expectation the verdict follows the outcome alone. */
static int exit_status(const struct analysis *a, int expected)
{
    if (a->verdict == VERDICT_ERROR)
        return 2;
    return expected < 0 || a->verdict == VERDICT_PASS ? 0 : 1;
}

static int analyze_capture(const struct analyze_opts *o, const struct lab *lab)
{
    char err[512], meta_path[600];
    struct run_meta *meta = calloc(1, sizeof *meta);
    uint8_t *uart = malloc(UART_MAX);
    struct sigrok *sr = NULL;
    struct trace tr = {0};
    int rc = 2, have_meta = 0, expected = -1;
    const struct board_profile *b = NULL;
    struct channel_map map;
    struct analysis a;
    struct analysis_lists all = {0};
    if (meta == NULL || uart == NULL) {
        fprintf(stderr, "resetlab: analyze: out of memory\n");
        goto out;
    }
    run_meta_path(o->file, meta_path, sizeof meta_path);
    if (access(meta_path, F_OK) == 0) {
        if (run_meta_read(meta_path, meta, err, sizeof err) != 0) {
            fprintf(stderr, "resetlab: analyze: %s\n", err);
            goto out;
        }
        have_meta = 1;
    }
    if (pick_board(o, lab, meta, have_meta, &b, &expected) != 0)
        goto out;
    /* files do not say their threshold or the EN rate wanted; the board's analyzer does */
    struct sigrok_read_opts read_opts = {o->samplerate, b->analyzer.threshold_v, b->analyzer.analog_en_rate_hz, 0};
    if (channel_map_parse(o->map, &map, err, sizeof err) != 0 || (sr = sigrok_new(err, sizeof err)) == NULL ||
        sigrok_read(sr, o->file, &map, &read_opts, &tr, err, sizeof err) != 0) {
        fprintf(stderr, "resetlab: analyze: %s\n", err);
        goto out;
    }
    tr.threshold_v = b->analyzer.threshold_v; /* files do not say; the board's analyzer does */
    struct uart_stats us;
    int baud = o->baud ? (int)o->baud : b->chip->baud;
    size_t n_uart = uart_decode_counted(&tr, baud, uart, UART_MAX, &us);
    if (us.frames > n_uart) { /* a longer line: all of it (at most one byte per RX edge, so O(edges)) */
        uint8_t *more = realloc(uart, us.frames);
        if (more == NULL) {
            fprintf(stderr, "resetlab: analyze: %s: out of memory for %zu UART bytes\n", o->file, us.frames);
            goto out;
        }
        uart = more;
        n_uart = uart_decode_counted(&tr, baud, uart, us.frames, &us);
    }
    struct board_model bm = board_model_of(b);
    struct op_log log = {meta->ops, have_meta ? meta->n_ops : 0};
    enum boot_mode want = expected >= 0 ? (enum boot_mode)expected : BOOT_ANY;
    if (analyze_run_all(&tr, &log, &bm, trace_has(&tr, CH_RX) ? uart : NULL, n_uart, want, &a, &all, err,
                        sizeof err) != 0) {
        if (!o->json && analyzer_cannot_run(AN_RESETS, &tr, &bm) != NULL && !trace_has(&tr, CH_RX))
            print_header(o, &tr, b, meta, have_meta); /* what each analyzer would need */
        fprintf(stderr, "resetlab: analyze: %s: %s\n", o->file, err);
        goto out;
    }
    if (o->json) {
        struct run_record rec = {b->name, have_meta ? meta->host : "capture", have_meta ? meta->scenario : o->file,
                                 have_meta ? meta->iteration : 0, have_meta ? meta->seed : 0, want, &a};
        write_capture_json(stdout, &rec, &all);
    } else {
        print_report(o, &tr, b, meta, have_meta, uart, n_uart, &us, expected, &a, &all);
    }
    rc = exit_status(&a, expected);
out:
    analysis_lists_free(&all);
    sigrok_trace_free(&tr);
    sigrok_free(sr);
    free(uart);
    free(meta);
    return rc;
}

static int analyze_command(int argc, char **argv, const char *default_boards)
{
    struct analyze_opts o = {0};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    struct lab lab;
    char err[512];
    if (lab_load(&lab, o.boards ? o.boards : default_boards, err, sizeof err) != 0) {
        fprintf(stderr, "resetlab: %s\n", err); /* as every command reports its lab */
        return 2;
    }
    int rc = analyze_capture(&o, &lab);
    lab_free(&lab);
    return rc;
}

/* Without --boards, the lab's default (./boards.yaml, the installed one, the
 * source tree's); FILE.yaml beside the capture may name the board. */
static int run_analyze(int argc, char **argv)
{
    char buf[512];
    return analyze_command(argc, argv, cli_default_path("boards.yaml", buf, sizeof buf));
}

const struct cli_command cli_analyze_command = {"analyze", "run every analyzer on a capture file (.sr, VCD, CSV)", usage, run_analyze};
