/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The UART line as edges (uart.h): bytes to an 8N1 line for a capture
 * file, and a captured line back to bytes with their times. May call: libm. */
#include "uart.h"

#include <math.h>

static int64_t to_sample(double t_ns, double period_ns)
{
    return period_ns > 0 ? (int64_t)(ceil(t_ns / period_ns - 1e-9) * period_ns) : (int64_t)llround(t_ns);
}

int uart_encode(const struct uart_byte *bytes, size_t n, int baud, double period_ns, int64_t *t_out,
                uint8_t *level_out, size_t max)
{
    double bit_ns = 1e9 / baud;
    size_t k = 0;
    int level = 1;
    for (size_t i = 0; i < n; i++) {
        /* start bit (0), eight data bits LSB first, stop bit (1) */
        for (int b = 0; b < 10; b++) {
            int want = b == 0 ? 0 : b == 9 ? 1 : (bytes[i].value >> (b - 1)) & 1;
            if (want == level)
                continue;
            int64_t t = to_sample(bytes[i].t_ns + b * bit_ns, period_ns);
            if (k > 0 && t <= t_out[k - 1]) { /* two changes in one sample: the analyzer sees neither */
                k--;
                level = want;
                continue;
            }
            if (k >= max)
                return -1;
            t_out[k] = t;
            level_out[k++] = (uint8_t)want;
            level = want;
        }
    }
    return (int)k;
}

/* A cursor over the RX edges of a trace: the level at increasing times. */
struct rx_cursor {
    const struct trace *tr;
    size_t next; /* the first edge after the current time */
    int level;
};

static int level_at(struct rx_cursor *c, double t)
{
    while (c->next < c->tr->n && (double)c->tr->edges[c->next].t_ns <= t) {
        if (c->tr->edges[c->next].channel == CH_RX)
            c->level = c->tr->edges[c->next].level;
        c->next++;
    }
    return c->level;
}

/* The next falling RX edge at or after t (in ns: a double would stop
 * moving past 2^53 ns, 104 days, which a session saying samplerate=1 Hz
 * reaches, and the decoder went round forever), or -1. */
static int64_t next_fall(const struct trace *tr, size_t from, int64_t t)
{
    for (size_t i = from; i < tr->n; i++)
        if (tr->edges[i].channel == CH_RX && tr->edges[i].level == 0 && tr->edges[i].t_ns >= t)
            return tr->edges[i].t_ns;
    return -1;
}

/* The instant of bit `b`'s sample point in a frame starting at `start`:
 * on a sampled trace the sample sigrok's uart decoder reads (decoders/uart/
 * pd.py, get_sample_point and get_wait_cond: ceil(frame_start +
 * (bit_width - 1) / 2 + b * bit_width), in samples), so the same glitch
 * reads the same; else the bit's middle. */
static double sample_point(const struct trace *tr, int64_t start, double bit_ns, int b)
{
    double rate = tr->sample_rate_hz;
    if (!(rate > 0))
        return (double)start + (0.5 + b) * bit_ns;
    double period_ns = 1e9 / rate, bw = bit_ns / period_ns;
    double s0 = (double)llround((double)start / period_ns);
    return (double)llround(ceil(s0 + (bw - 1) / 2 + b * bw) * period_ns);
}

/* A sample point after the capture's last sample: sigrok's decoder never
 * reaches it (decoders/uart/pd.py waits for that sample with 'skip'), so a
 * frame the capture cuts before its last data bit is no byte, and one cut
 * before its stop bit is a byte with no framing error. */
static int past_end(const struct trace *tr, double t)
{
    double half = tr->sample_rate_hz > 0 ? 0.5e9 / tr->sample_rate_hz : 0;
    return t > (double)tr->t_end_ns + half;
}

/* A falling edge starts a frame only when the line is still low at the
 * start bit's sample point, as sigrok's uart decoder checks it (decoders/
 * uart/pd.py, wait_for_start_bit then get_start_bit: "if self.startbit[rxtx]
 * != 0 ... a false start bit"): a shorter low glitch is no byte. A frame
 * whose stop bit is low is a framing error, counted, and its byte kept as
 * sigrok's decoder outputs it (get_data_bits puts the byte before
 * get_stop_bits checks the stop bit); the next start bit is a falling edge
 * after the stop bit's sample point, as there. Every frame is counted;
 * bytes past `cap` are counted, not stored. */
/* The decoder behind the three below: each byte's value into out[] and,
 * when `at` is not NULL, its start bit's falling edge into at[]. */
static size_t decode(const struct trace *tr, int baud, uint8_t *out, struct uart_byte *at, size_t cap,
                     struct uart_stats *st)
{
    struct uart_stats z = {0};
    if (st == NULL)
        st = &z;
    *st = z;
    if (!trace_has(tr, CH_RX) || baud <= 0)
        return 0;
    double bit_ns = 1e9 / baud;
    struct rx_cursor cur = {tr, 0, tr->initial[CH_RX]};
    size_t n = 0;
    int64_t t = 0;
    for (;;) {
        int64_t start = next_fall(tr, cur.next > 0 ? cur.next - 1 : 0, t);
        if (start < 0)
            break;
        double mid = sample_point(tr, start, bit_ns, 0);
        if (past_end(tr, mid))
            break;
        if (level_at(&cur, mid) != 0) { /* high again at mid-start: a glitch */
            st->glitches++;
            t = start + 1;
            continue;
        }
        if (past_end(tr, sample_point(tr, start, bit_ns, 8)))
            break; /* the capture ends before the last data bit: no byte, as in sigrok's */
        uint8_t value = 0;
        for (int b = 0; b < 8; b++)
            value |= (uint8_t)(level_at(&cur, sample_point(tr, start, bit_ns, 1 + b)) << b);
        double stop_at = sample_point(tr, start, bit_ns, 9);
        int stop = past_end(tr, stop_at) || level_at(&cur, stop_at); /* a stop bit after the end is no error */
        if (n < cap && at != NULL)
            at[n++] = (struct uart_byte){(double)start, value};
        else if (n < cap)
            out[n++] = value;
        st->frames++;
        if (stop)
            st->bytes++;
        else
            st->framing_errors++;
        t = (int64_t)ceil(stop_at) + 1; /* a falling edge after the stop bit's sample point */
    }
    return n;
}

size_t uart_decode_counted(const struct trace *tr, int baud, uint8_t *out, size_t cap, struct uart_stats *st)
{
    return decode(tr, baud, out, NULL, cap, st);
}

size_t uart_decode_timed(const struct trace *tr, int baud, struct uart_byte *out, size_t cap)
{
    return decode(tr, baud, NULL, out, cap, NULL);
}

size_t uart_decode(const struct trace *tr, int baud, uint8_t *out, size_t cap)
{
    return uart_decode_counted(tr, baud, out, cap, NULL);
}

/* The bit time the RX edges show: the shortest interval between two RX
 * edges that at least one in 50 intervals (and 3) lies within 1.5× of,
 * so a few glitches do not count; their mean. 0 with too few edges. */
double uart_guess_baud(const struct trace *tr)
{
    double floor_ns = 0;
    for (int round = 0; round < 16; round++) {
        int64_t last = -1;
        double m = INFINITY;
        size_t total = 0;
        for (size_t i = 0; i < tr->n; i++) {
            if (tr->edges[i].channel != CH_RX)
                continue;
            if (last >= 0) {
                double d = (double)(tr->edges[i].t_ns - last);
                total++;
                if (d > floor_ns && d < m)
                    m = d;
            }
            last = tr->edges[i].t_ns;
        }
        if (isinf(m))
            return 0;
        size_t k = 0;
        double sum = 0;
        last = -1;
        for (size_t i = 0; i < tr->n; i++) {
            if (tr->edges[i].channel != CH_RX)
                continue;
            if (last >= 0) {
                double d = (double)(tr->edges[i].t_ns - last);
                if (d >= m && d <= 1.5 * m)
                    k++, sum += d;
            }
            last = tr->edges[i].t_ns;
        }
        if (k >= 3 && k * 50 >= total) /* under 1 baud (the least --baud takes) is no UART */
            return 1e9 / (sum / (double)k) >= 1 ? 1e9 / (sum / (double)k) : 0;
        floor_ns = m;
    }
    return 0;
}
