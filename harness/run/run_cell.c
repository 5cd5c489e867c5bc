/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One cell of the matrix (run_cell.h): its runs, on the virtual lab or a
 * real board, each to the sink.
 * May call: run_real.c, run_recorder.c, run_meta.c, run_sequence.c, harness/port, harness/capture,
 * sim/, reports/ (results), libc. */
#include "run_cell.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/results.h"
#include "sim/rng.h"
#include "sim/world.h"
#include "harness/capture/capture.h"
#include "harness/port/port.h"
#include "run_real.h"
#include "harness/port/port_rfc2217.h"
#include "run_recorder.h"
#include "run_meta.h"
#include "run_sequence.h"
#include "run_tool.h"


void run_sim_once(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, uint64_t seed, struct run_buffers *rb)
{
    char why[160];
    sim_world_reset(w, b, h, seed);
    sim_set_net_client(w, s->net_client);
    if (s->after_power_on)
        sim_power_on(w);
    struct port port = {.ops = port_backend(b->port), .ctx = w}; /* no stop: a simulated run finishes */
    struct capture cap = {capture_backend(b->analyzer.kind), w};
    rb->tr = (struct trace){.edges = rb->edges, .cap = RUN_MAX_EDGES, .en_v = {.v = rb->en_v, .cap = RUN_MAX_ANALOG}};
    struct trace *tr = &rb->tr;
    size_t n_log = 0, uart_len = 0, connect_end = 0;
    struct tool_outcome tool;
    rb->n_log = 0;
    rb->uart_len = 0;
    if (cap.ops->start(&cap) != 0)
        return run_infrastructure_error(&rb->a, cap.ops->error(&cap));
    struct tool_target where = {h->os, h->port, b->bridge->usb_pid, b->real.circuit->kind == CIRCUIT_USB_OTG};
    int ran = s->tool ? run_tool(&port, s, &where, rb->log, &n_log, &connect_end, &tool, why, sizeof why)
                      : run_sequence(&port, s, h->os, rb->log, &n_log, why, sizeof why);
    rb->n_log = n_log;
    if (ran != 0 && ran != PORT_LOST) /* a sequence on a USB-OTG port that left the bus stops there: a result */
        return run_infrastructure_error(&rb->a, why);
    if (cap.ops->stop(&cap, tr, rb->uart, RUN_MAX_UART, &uart_len) != 0)
        return run_infrastructure_error(&rb->a, cap.ops->error(&cap));
    rb->uart_len = uart_len;
    struct board_model bm = board_model_on(b, h);
    if (s->tool == NULL) {
        struct op_log log = {rb->log, n_log};
        char lost[sizeof why];
        snprintf(lost, sizeof lost, "%s", why);
        if (analyze_run(tr, &log, &bm, rb->uart, uart_len, s->expected, &rb->a, why, sizeof why) != 0)
            run_infrastructure_error(&rb->a, why);
        else if (ran == PORT_LOST)
            run_tool_port_lost(&rb->a, lost);
        return;
    }
    /* a tool: the wires of its connect phase decide the figures; what it saw decides the verdict */
    int64_t cut = connect_end < n_log ? rb->log[connect_end].t_before_ns : tr->t_end_ns;
    struct trace phase = trace_until(tr, cut);
    const double *t_ns;
    size_t n_t = sim_uart_times(w, &t_ns), n_uart = 0;
    while (n_uart < uart_len && n_uart < n_t && t_ns[n_uart] < (double)cut)
        n_uart++;
    struct op_log log = {rb->log, connect_end};
    if (analyze_run(&phase, &log, &bm, rb->uart, n_uart, s->expected, &rb->a, why, sizeof why) != 0)
        return run_infrastructure_error(&rb->a, why);
    run_tool_judge(&rb->a, &tool, s->product);
}

int run_write_capture(struct sigrok *sr, const struct sim_world *w, const struct board_profile *b,
                         const struct host_profile *h, const struct scenario *s, uint64_t rs, int iteration,
                         const struct run_buffers *rb, const char *path, char *err, size_t err_len)
{
    const double *t_ns = NULL;
    size_t n_t = w ? sim_uart_times(w, &t_ns) : 0, n = rb->uart_len < n_t ? rb->uart_len : n_t;
    struct uart_byte *rx = malloc((n ? n : 1) * sizeof *rx);
    if (rx == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    /* The capture's RX is a UART at the chip's baud. A chip on its own USB
     * serial sends faster than that; the ROM prints the same bytes on UART0,
     * where an analyzer would see them one UART byte after another. */
    double uart_byte_ns = w ? 10.0 / b->chip->baud * 1e9 : 0;
    for (size_t i = 0; i < n; i++) {
        double t = t_ns[i];
        if (i > 0 && t < rx[i - 1].t_ns + uart_byte_ns)
            t = rx[i - 1].t_ns + uart_byte_ns;
        rx[i] = (struct uart_byte){t, rb->uart[i]};
    }
    /* the sim's UART is bytes with times; a real capture has its RX line */
    int rc = sigrok_write_sr(sr, path, &rb->tr, rx, n, w ? b->chip->baud : 0, err, err_len);
    free(rx);
    if (rc != 0)
        return -1;
    struct run_meta *m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(m->board, sizeof m->board, "%s", b->name);
    snprintf(m->host, sizeof m->host, "%s", h->name);
    snprintf(m->scenario, sizeof m->scenario, "%s", s->name);
    m->seed = rs;
    m->iteration = iteration;
    m->expected = s->expected;
    m->n_ops = rb->n_log;
    memcpy(m->ops, rb->log, rb->n_log * sizeof rb->log[0]);
    char meta_path[700];
    run_meta_path(path, meta_path, sizeof meta_path);
    rc = run_meta_write(meta_path, m, err, err_len);
    free(m);
    return rc;
}

static int keep_capture(const struct cell_sink *sink, const struct analysis *a)
{
    return sink != NULL && (sink->keep == KEEP_ALL || (sink->keep == KEEP_FAILING && a->verdict != VERDICT_PASS));
}

/* A real board's port, claimed for the whole cell: its lock keeps other
 * jobs off the board between runs. NULL with the reason in `why`. */
static struct port *claim_real_port(const struct board_profile *b, const struct cell_sink *sink, char *why,
                                    size_t len)
{
    if (sink == NULL || sink->sigrok == NULL) {
        snprintf(why, len, "a real board needs libsigrok, which is not set up for this cell");
        return NULL;
    }
    /* rfc2217:// ports take no lock: the server refuses a second client. */
    return port_real_new(b->port, sink->serial, why, len);
}

/* A real port's stop flag: the recorder's, which SIGINT/SIGTERM set. */
static const volatile sig_atomic_t *cell_stop(const struct cell_sink *sink)
{
    return sink != NULL && sink->recorder != NULL ? sink->recorder->stop : NULL;
}

/* One run of the cell into rb->a; RUNNER_STOPPED when a stop cut a real
 * run short (nothing to record). */
static int make_run(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                    const struct scenario *s, uint64_t rs, struct port *port, const char *claim_err,
                    const struct cell_sink *sink, struct run_buffers *rb)
{
    if (!board_is_real(b)) {
        run_sim_once(w, b, h, s, rs, rb);
        return 0;
    }
    if (port == NULL) {
        run_infrastructure_error(&rb->a, claim_err);
        return 0;
    }
    return run_real_once(sink->sigrok, b, s, port, rb);
}

int run_cell_from(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                     const struct scenario *s, int first, int iterations, uint64_t seed, struct cell_stats *cell,
                     const struct cell_sink *sink)
{
    struct run_buffers *own = sink != NULL && sink->rb != NULL ? NULL : malloc(sizeof *own);
    struct run_buffers *rb = own ? own : sink != NULL ? sink->rb : NULL;
    if (rb == NULL) {
        if (sink != NULL)
            snprintf(sink->err, sink->err_len, "out of memory");
        return -1;
    }
    int rc = 0;
    char claim_err[400] = "";
    struct port *port = NULL;
    if (board_is_real(b) && first < iterations)
        port = claim_real_port(b, sink, claim_err, sizeof claim_err);
    if (port != NULL)
        port->stop = cell_stop(sink);
    for (int it = first; it < iterations && rc == 0; it++) {
        uint64_t rs = run_seed(seed, b->name, h->name, s->name, it);
        if (make_run(w, b, h, s, rs, port, claim_err, sink, rb) == RUNNER_STOPPED) {
            rc = 1; /* not a finished run: not recorded, and --resume makes it again */
            break;
        }
        if (cell_add_run(cell, &rb->a, it, rs) != 0) {
            rc = -1; /* out of memory for its samples */
            break;
        }
        if (keep_capture(sink, &rb->a) && rb->a.verdict != VERDICT_ERROR) {
            char path[700];
            snprintf(path, sizeof path, "%s/%s--%s--%s--%d.sr", sink->captures_dir, b->name, h->name, s->name, it);
            rc = run_write_capture(sink->sigrok, board_is_real(b) ? NULL : w, b, h, s, rs, it, rb, path, sink->err,
                                      sink->err_len);
        }
        if (rc == 0 && sink != NULL && sink->recorder != NULL) {
            struct run_record rec = {b->name, h->name, s->name, it, rs, s->expected, &rb->a};
            rc = recorder_add(sink->recorder, &rec, board_is_real(b));
        }
    }
    port_real_free(port);
    free(own);
    return rc;
}

int run_cell(struct sim_world *w, const struct board_profile *b, const struct host_profile *h,
                const struct scenario *s, int iterations, uint64_t seed, struct cell_stats *cell,
                const struct cell_sink *sink)
{
    if (cell_init(cell, b->name, h->name, s->name, s->expected, iterations) != 0)
        return -1;
    return run_cell_from(w, b, h, s, 0, iterations, seed, cell, sink);
}

