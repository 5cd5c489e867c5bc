/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host timing: how late waits on absolute deadlines wake up (p50/p99),
 * on this machine with the clock and sleep the serial backend uses
 * (serial_sleep_until_ns: clock_nanosleep TIMER_ABSTIME on
 * CLOCK_MONOTONIC), and in the virtual lab's host profiles (what the
 * simulator draws for a sleep's overshoot, from boards.yaml).
 *   usage: bench_timing BOARDS_YAML [WAITS=2000]
 * Prints one JSON object per line. */
#include <stdio.h>
#include <stdlib.h>

#include "harness/lab/lab_load.h"
#include "harness/port/port_serial.h"
#include "reports/results.h"
#include "sim/world.h"

static void report(const char *where, const char *what, double period_ms, double *over_us, int n)
{
    double p50 = percentile(over_us, n, 0.5), p99 = percentile(over_us, n, 0.99), max = percentile(over_us, n, 1);
    printf("{\"group\": \"host-timing\", \"where\": \"%s\", \"what\": \"%s\", \"wait_ms\": %g, \"waits\": %d, "
           "\"overshoot_p50_us\": %.1f, \"overshoot_p99_us\": %.1f, \"overshoot_max_us\": %.1f}\n",
           where, what, period_ms, n, p50, p99, max);
}

static void this_machine(double period_ms, double *over, int n)
{
    int64_t period = (int64_t)(period_ms * 1e6), deadline = serial_now_ns();
    for (int i = 0; i < n; i++) {
        deadline += period;
        serial_sleep_until_ns(deadline);
        over[i] = (double)(serial_now_ns() - deadline) / 1e3;
    }
    report("this machine", "clock_nanosleep(TIMER_ABSTIME)", period_ms, over, n);
}

static void profiles(const struct lab *lab, double period_ms, double *over, int n)
{
    struct sim_world *w = sim_world_new();
    for (int h = 0; h < lab->n_hosts; h++) {
        sim_world_reset(w, &lab->boards[0], &lab->hosts[h], 1);
        for (int i = 0; i < n; i++) {
            int64_t t = sim_now_ns(w);
            sim_sleep(w, period_ms / 1e3);
            over[i] = (double)(sim_now_ns(w) - t - (int64_t)(period_ms * 1e6)) / 1e3;
        }
        report("virtual lab", lab->hosts[h].name, period_ms, over, n);
    }
    sim_world_free(w);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_timing BOARDS_YAML [WAITS]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    if (n < 10)
        n = 10;
    struct lab lab;
    char err[512];
    if (lab_load(&lab, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "bench_timing: %s\n", err);
        return 2;
    }
    double *over = malloc((size_t)n * sizeof *over);
    if (over == NULL)
        return 1;
    this_machine(1, over, n);
    this_machine(10, over, n / 10 > 10 ? n / 10 : 10);
    profiles(&lab, 1, over, n);
    free(over);
    lab_free(&lab);
    return 0;
}
