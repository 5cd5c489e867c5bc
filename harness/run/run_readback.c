/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A real run's kept capture analyzed again (run_readback.h): the same
 * steps as `resetlab analyze` with the sidecar, so the report can draw a
 * real board's typical and worst run from what the analyzer saw.
 * May call: run_meta.c, harness/capture (libsigrok files), analyzers/, libc. */
#include "run_readback.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analyzers/uart.h"
#include "run_meta.h"

void run_readback_path(const char *captures_dir, const char *board, const char *host, const char *scenario,
                       int iteration, char *out, size_t len)
{
    snprintf(out, len, "%s/%s--%s--%s--%d.sr", captures_dir, board, host, scenario, iteration);
}

int run_readback(struct sigrok *sr, const char *path, const struct board_profile *b, enum boot_mode expected,
                 struct trace *tr, struct analysis *a, char *err, size_t err_len)
{
    char meta_path[800];
    *tr = (struct trace){0};
    if (access(path, R_OK) != 0)
        return snprintf(err, err_len, "no capture %s (`resetlab run --captures failing` keeps them)", path), -1;
    run_meta_path(path, meta_path, sizeof meta_path);
    struct run_meta *meta = calloc(1, sizeof *meta);
    uint8_t *uart = malloc(READBACK_UART_MAX);
    struct channel_map map;
    int rc = -1;
    if (meta == NULL || uart == NULL) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    struct sigrok_read_opts opts = {0, b->analyzer.threshold_v, b->analyzer.analog_en_rate_hz, 0};
    if (run_meta_read(meta_path, meta, err, err_len) != 0 || channel_map_parse(NULL, &map, err, err_len) != 0 ||
        sigrok_read(sr, path, &map, &opts, tr, err, err_len) != 0)
        goto out;
    tr->threshold_v = b->analyzer.threshold_v; /* files do not say; the board's analyzer does */
    size_t n_uart = uart_decode(tr, b->chip->baud, uart, READBACK_UART_MAX);
    struct board_model bm = board_model_of(b);
    struct op_log log = {meta->ops, meta->n_ops};
    rc = analyze_run(tr, &log, &bm, trace_has(tr, CH_RX) ? uart : NULL, n_uart, expected, a, err, err_len);
out:
    free(meta);
    free(uart);
    return rc;
}
