/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One run on real hardware (docs/real-hardware.md): the logic analyzer captures
 * through libsigrok while the serial port plays the scenario; then the op
 * log is moved onto the capture's clock and every analyzer runs, as on the
 * virtual lab.
 * May call: run_sequence.c, harness/port, harness/capture (live and served captures), analyzers/,
 * libc. */
#include "run_real.h"
#include "run_tool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/uart.h"
#include "harness/capture/capture_live.h"
#include "harness/capture/capture_served.h"
#include "harness/port/port_rfc2217.h"

#define STREAM_TIMEOUT_MS 5000
#define SERVE_FETCH_TIMEOUT_MS 10000

const struct host_profile real_host = {.name = "local", .os = OS_LINUX};

void run_real_host(const struct board_profile *b, const char *label, const char *root, const struct serial_sys *sys,
                   struct host_profile *out, struct port_host *mode)
{
    struct port_host found;
    char device[SERIAL_PATH_MAX], why[300];
    const char *spec = b->port;
    if (strncmp(spec, "rfc2217://", 10) != 0 && serial_resolve_with(sys ? sys : &serial_sys_real, spec, device,
                                                                     sizeof device, why, sizeof why) == 0)
        spec = device; /* a usb: match or a by-id link: the device it names now */
    port_host_detect(root ? root : "/", spec, &found);
    *out = real_host;
    snprintf(out->name, sizeof out->name, "%s", label ? label : found.mode);
    if (mode)
        *mode = found;
}

/* The first op that moved a line: the edge the capture triggered on. */
static int first_line_op(const struct op_record *log, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strchr("DRUOC", log[i].label[0]) != NULL)
            return (int)i;
    return -1;
}

/* Host CLOCK_MONOTONIC → the trace's time: with a trigger, the trigger
 * edge sits at the midpoint of the op that caused it (capture_live.h);
 * without one, sample 0 is at the capture's t0 bound. */
static void align_op_log(struct op_record *log, size_t n, const struct live_timing *t)
{
    int cause = t->triggered ? first_line_op(log, n) : -1;
    int64_t host_at_zero = t->t0_ns;
    if (cause >= 0)
        host_at_zero = (log[cause].t_before_ns + log[cause].t_after_ns) / 2 - t->trigger_t_ns;
    for (size_t i = 0; i < n; i++) {
        log[i].t_before_ns -= host_at_zero;
        log[i].t_after_ns -= host_at_zero;
    }
}

/* EN's samples into the run's storage: every k-th when they do not fit. */
static void copy_analog(const struct analog *from, struct run_buffers *rb)
{
    size_t k = (from->n + RUN_MAX_ANALOG - 1) / RUN_MAX_ANALOG;
    struct analog *to = &rb->tr.en_v;
    *to = (struct analog){.v = rb->en_v, .cap = RUN_MAX_ANALOG, .t0_ns = from->t0_ns,
                          .period_ns = from->period_ns * (double)(k ? k : 1)};
    for (size_t i = 0; k > 0 && i < from->n; i += k)
        to->v[to->n++] = from->v[i];
}

/* A sequence that failed or was stopped part-way may leave the board held
 * in reset or strapped for download: RTS is released, then DTR, before
 * the port closes (mpremote's order). Failures are ignored: the port may
 * be gone, or closed already. */
static void release_lines(struct port *port)
{
    port->ops->set_lines(port, -1, 0);
    port->ops->set_lines(port, 0, -1);
}

static int copy_trace(const struct trace *from, struct run_buffers *rb, char *why, size_t len)
{
    if (from->n > RUN_MAX_EDGES) {
        snprintf(why, len, "the capture has %zu edges, more than the %d a run holds", from->n, RUN_MAX_EDGES);
        return -1;
    }
    rb->tr = *from;
    rb->tr.edges = rb->edges;
    rb->tr.cap = RUN_MAX_EDGES;
    if (from->n > 0) /* an edgeless capture may have no storage at all */
        memcpy(rb->edges, from->edges, from->n * sizeof *from->edges);
    copy_analog(&from->en_v, rb);
    return 0;
}

/* "1 MHz", "24 MHz", "500 kHz": a samplerate as sigrok-cli writes it. */
static void rate_text(double hz, char *buf, size_t len)
{
    if (hz >= 1e6)
        snprintf(buf, len, "%g MHz", hz / 1e6);
    else if (hz >= 1e3)
        snprintf(buf, len, "%g kHz", hz / 1e3);
    else
        snprintf(buf, len, "%g Hz", hz);
}

static double captured_ms(const struct capture_figures *f)
{
    return f->samplerate_hz > 0 ? (double)f->samples * 1e3 / f->samplerate_hz : 0;
}

/* When the sequence ended, in ms from the start of the acquisition. */
static double sequence_end_ms(const struct capture_figures *f)
{
    return (double)(f->sequence_end_ns - f->start_ns) / 1e6;
}

static void say_limit_short(const struct capture_figures *f, const char *driver, char *why, size_t len)
{
    char rate[32];
    rate_text(f->samplerate_hz, rate, sizeof rate);
    snprintf(why, len,
             "%s: the capture stopped at its limit, %llu samples (%.0f ms at %s), before the sequence ended %.0f ms in: "
             "raise limit_samples or limit_time",
             driver, (unsigned long long)f->limit_samples, captured_ms(f), rate, sequence_end_ms(f));
}

static void say_aborted(const struct capture_figures *f, const char *driver, char *why, size_t len)
{
    char asked[48] = " (no limit set)";
    if (f->limit_samples > 0)
        snprintf(asked, sizeof asked, " of the %llu asked", (unsigned long long)f->limit_samples);
    snprintf(why, len,
             "%s: the capture ended on its own after %.0f ms, %llu samples%s; the sequence ended %.0f ms in: "
             "analyzer unplugged or its transfers overflowed",
             driver, captured_ms(f), (unsigned long long)f->samples, asked, sequence_end_ms(f));
}

enum capture_end capture_end_of(const struct capture_figures *f, const char *driver, char *why, size_t len)
{
    if (f->stopped)
        return CAPTURE_WHOLE;
    /* 1 % short still counts as the limit: a driver's own rounding of
     * limit_time to samples, not a device that quit */
    int at_limit = f->limit_samples > 0 && f->samples >= f->limit_samples - f->limit_samples / 100;
    if (!at_limit) {
        say_aborted(f, driver, why, len);
        return CAPTURE_ABORTED;
    }
    if (f->end_ns < f->sequence_end_ns) {
        say_limit_short(f, driver, why, len);
        return CAPTURE_LIMIT_SHORT;
    }
    return CAPTURE_WHOLE; /* the limit came after the sequence: every step is in the trace */
}

/* The scenario on the port, then the capture's tail: 0, -1 (why), or
 * RUNNER_STOPPED. A sequence that failed or was stopped part-way has its
 * lines released; either way the port is closed. */
/* The scenario's ops, or a tool's whole session, on a real port (this
 * build drives Linux ports: the tool runs as it does on Linux). */
static int play_ops(const struct board_profile *b, const struct scenario *s, struct port *port, struct run_buffers *rb,
                    char *why, size_t len)
{
    if (s->tool == NULL)
        return run_sequence(port, s, OS_LINUX, rb->log, &rb->n_log, why, len);
    struct tool_target where = {OS_LINUX, strncmp(b->port, "rfc2217://", 10) == 0 ? PORT_RFC2217 : PORT_LOCAL,
                                b->bridge->usb_pid, b->circuit->kind == CIRCUIT_USB_OTG};
    return run_tool(port, s, &where, rb->log, &rb->n_log, &rb->connect_end, &rb->tool, why, len);
}

static int play_scenario(const struct board_profile *b, const struct scenario *s, struct port *port,
                         struct run_buffers *rb, char *why, size_t len)
{
    int rc = play_ops(b, s, port, rb, why, len);
    if (rc != 0)
        release_lines(port);
    port_real_close_if_open(port); /* a serial port keeps its lock for the cell */
    int64_t tail_end = serial_now_ns() + (int64_t)(b->analyzer.tail_ms * 1e6);
    if (rc == 0 && serial_sleep_until_ns_or_stop(tail_end, port->stop) == 1)
        rc = RUNNER_STOPPED; /* a tail cut short may miss the last samples: not a finished run */
    return rc;
}

/* A capture that ended early is an infrastructure error: judged, its
 * truncated trace would read as a board that never reset. */
static int check_capture_end(const struct board_profile *b, const struct live_timing *t, const struct trace *tr,
                             const struct run_buffers *rb, char *why, size_t len)
{
    int64_t sequence_end = rb->n_log > 0 ? rb->log[rb->n_log - 1].t_after_ns : t->t_start_ns; /* host time still */
    struct capture_figures f = {t->stopped,       t->samples, t->limit_samples, tr->sample_rate_hz,
                                t->t_start_ns,    t->t_end_ns, sequence_end};
    return capture_end_of(&f, b->analyzer.driver, why, len) == CAPTURE_WHOLE ? 0 : -1;
}

/* Capture while the port plays the scenario; the trace lands in rb.
 * Returns 0, -1 (why), or RUNNER_STOPPED with the capture discarded. */
static int capture_run(struct sigrok *sr, const struct board_profile *b, const struct scenario *s, struct port *port,
                       struct run_buffers *rb, struct live_timing *timing, char *why, size_t len)
{
    if (port_stop_asked(port)) /* before opening the analyzer, which can take seconds */
        return RUNNER_STOPPED;
    struct live_config cfg;
    if (live_config_parse(b->analyzer.driver, b->analyzer.config, b->analyzer.channels, &cfg, why, len) != 0)
        return -1;
    cfg.trigger = 1;
    cfg.pretrigger_pct = b->analyzer.pretrigger_pct;
    cfg.read = (struct sigrok_read_opts){0, b->analyzer.threshold_v, b->analyzer.analog_en_rate_hz, 0};
    struct live_capture *cap = live_capture_start(sr, &cfg, why, len);
    if (cap == NULL)
        return -1;
    int rc = live_capture_wait_streaming_or_stop(cap, STREAM_TIMEOUT_MS, port->stop);
    if (rc < 0)
        snprintf(why, len, "%s: no samples within %d ms", b->analyzer.driver, STREAM_TIMEOUT_MS);
    if (rc == 0)
        rc = play_scenario(b, s, port, rb, why, len);
    char cap_why[320];
    struct trace tr;
    if (live_capture_finish_timed(cap, 1, &tr, timing, cap_why, sizeof cap_why) != 0) {
        if (rc == 0)
            snprintf(why, len, "%s", cap_why);
        return rc == RUNNER_STOPPED ? RUNNER_STOPPED : -1;
    }
    if (rc == 0)
        rc = check_capture_end(b, timing, &tr, rb, why, len);
    if (rc == 0)
        rc = copy_trace(&tr, rb, why, len);
    sigrok_trace_free(&tr);
    return rc;
}

/* A served board: the scenario over rfc2217://, then the attempt the
 * server logged for it (capture_serve.h), on its CLOCK_MONOTONIC. */
static int served_run(struct sigrok *sr, const struct board_profile *b, const struct scenario *s, struct port *port,
                      struct run_buffers *rb, struct live_timing *timing, char *why, size_t len)
{
    long mark = serve_log_mark(b->analyzer.log_dir);
    int rc = play_ops(b, s, port, rb, why, len);
    if (rc != 0)
        release_lines(port);
    port_real_close_if_open(port);
    if (rc != 0)
        return rc; /* -1, or RUNNER_STOPPED: the server's attempt is not fetched */
    struct trace tr;
    int64_t t0 = 0;
    /* the attempt ends when the board rests and the client is quiet: a few
     * hundred ms after the run; 10 s is a server that is not logging */
    if (serve_capture_fetch(sr, b->analyzer.log_dir, mark, port_rfc2217_local_address(port), SERVE_FETCH_TIMEOUT_MS,
                            b->analyzer.threshold_v, &tr, &t0, why, len) != 0)
        return -1;
    rc = copy_trace(&tr, rb, why, len);
    sigrok_trace_free(&tr);
    *timing = (struct live_timing){.t0_ns = t0, .triggered = 0};
    return rc;
}

int run_real_once(struct sigrok *sr, const struct board_profile *b, const struct scenario *s, struct port *port,
                  struct run_buffers *rb)
{
    char why[320] = "";
    struct live_timing timing;
    rb->n_log = rb->uart_len = 0;
    int served = strcmp(b->analyzer.kind, "serve") == 0;
    int rc = (served ? served_run : capture_run)(sr, b, s, port, rb, &timing, why, sizeof why);
    if (rc == RUNNER_STOPPED)
        return RUNNER_STOPPED;
    if (rc != 0) {
        run_infrastructure_error(&rb->a, why);
        return 0;
    }
    align_op_log(rb->log, rb->n_log, &timing);
    rb->tr.threshold_v = b->analyzer.threshold_v;
    /* a tool: the wires of its connect phase decide the figures; what it saw, the verdict */
    size_t n_ops = s->tool ? rb->connect_end : rb->n_log;
    struct trace judged = s->tool && n_ops < rb->n_log ? trace_until(&rb->tr, rb->log[n_ops].t_before_ns) : rb->tr;
    int has_rx = trace_has(&judged, CH_RX);
    rb->uart_len = has_rx ? uart_decode(&judged, b->chip->baud, rb->uart, RUN_MAX_UART) : 0;
    struct op_log log = {rb->log, n_ops};
    struct board_model bm = board_model_of(b);
    if (analyze_run(&judged, &log, &bm, has_rx ? rb->uart : NULL, rb->uart_len, s->expected, &rb->a, why,
                    sizeof why) != 0)
        run_infrastructure_error(&rb->a, why);
    else if (s->tool)
        run_tool_judge(&rb->a, &rb->tool, s->product);
    return 0;
}
