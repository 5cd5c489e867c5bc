/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a simulated run's time goes: the default matrix's runs, each phase
 * timed alone on one thread, so bench/run can say which one bounds the
 * runs per second:
 *   sim       the virtual lab and every analyzer (run_sim_once)
 *   sim-tools the same for the tools' connect loops alone (several
 *             attempts of a reset strategy each, with the tool's reads)
 *   store     the results store's insert of the same runs (store_add_run,
 *             the default mode: WAL, grouped commits), into a new store
 *   jsonl     runs.jsonl's lines for them
 * The sim phase is timed alone; a second pass keeps the runs in memory
 * (only what the writers read) for the others.
 *   usage: bench_phases BOARDS_YAML SCENARIOS_DIR WORK_DIR [ITERATIONS=200]
 * Prints one JSON object per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_real.h"
#include "reports/results.h"
#include "reports/store.h"
#include "sim/world.h"

struct kept_run {
    struct run_record rec;    /* rec.a: set to the scratch analysis when written */
    struct analysis_tail *a;  /* what follows the findings, and the findings used */
};

/* struct analysis from n_findings on, then its findings */
struct analysis_tail {
    size_t tail_len;
    unsigned char bytes[];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TAIL_FROM offsetof(struct analysis, n_findings)

static struct analysis_tail *keep(const struct analysis *a)
{
    size_t tail = sizeof *a - TAIL_FROM, found = (size_t)a->n_findings * sizeof a->findings[0];
    struct analysis_tail *k = malloc(sizeof *k + tail + found);
    if (k == NULL)
        return NULL;
    k->tail_len = tail;
    memcpy(k->bytes, (const unsigned char *)a + TAIL_FROM, tail);
    memcpy(k->bytes + tail, a->findings, found);
    return k;
}

/* The kept run as the writers take it, in `scratch`. */
static const struct run_record *unpack(const struct kept_run *r, struct analysis *scratch, struct run_record *rec)
{
    memcpy((unsigned char *)scratch + TAIL_FROM, r->a->bytes, r->a->tail_len);
    memcpy(scratch->findings, r->a->bytes + r->a->tail_len, (size_t)scratch->n_findings * sizeof scratch->findings[0]);
    *rec = r->rec;
    rec->a = scratch;
    return rec;
}

static void report(const char *phase, size_t runs, double seconds)
{
    printf("{\"group\": \"sim-phases\", \"phase\": \"%s\", \"runs\": %zu, \"seconds\": %.3f, \"us_per_run\": %.2f, "
           "\"runs_per_s\": %.0f}\n",
           phase, runs, seconds, seconds * 1e6 / (double)runs, (double)runs / seconds);
}

/* Which runs a pass makes: every scenario's, or only the tools' connect
 * loops (issue #19: a tool run is several attempts of a strategy). */
enum only { ALL_RUNS, TOOL_RUNS };

/* Every applicable cell's runs, simulated and analysed; kept when `out`. */
static size_t simulate(const struct lab *lab, int iterations, struct kept_run *out, size_t cap, enum only only)
{
    struct sim_world *w = sim_world_new();
    struct run_buffers *rb = malloc(sizeof *rb);
    size_t n = 0;
    for (int b = 0; b < lab->n_boards && w && rb; b++)
        for (int s = 0; s < lab->n_scenarios; s++)
            for (int h = 0; h < lab->n_hosts; h++) {
                const struct board_profile *bp = &lab->boards[b];
                const struct scenario *sc = &lab->scenarios[s];
                const struct host_profile *hp = &lab->hosts[h];
                if (board_is_real(bp) || !scenario_applies(sc, bp, hp) || (only == TOOL_RUNS && sc->tool == NULL))
                    continue;
                for (int it = 0; it < iterations && n < cap; it++, n++) {
                    uint64_t rs = run_seed(1, bp->name, hp->name, sc->name, it);
                    run_sim_once(w, bp, hp, sc, rs, rb);
                    if (out == NULL)
                        continue;
                    out[n].a = keep(&rb->a);
                    out[n].rec = (struct run_record){bp->name, hp->name, sc->name, it, rs, sc->expected, NULL};
                }
            }
    free(rb);
    sim_world_free(w);
    return n;
}

static int store_all(const char *dir, const struct kept_run *runs, size_t n)
{
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/phases.db", dir);
    unlink(path);
    double t0 = now_s();
    struct store *st = store_open(path, STORE_WRITE, err, sizeof err);
    struct session_facts facts = {.started = "2026-01-01T00:00:00Z", .seed = 1, .iterations = 1};
    int64_t session;
    if (st == NULL || store_session_begin(st, &facts, &session, err, sizeof err) != 0) {
        fprintf(stderr, "bench_phases: %s\n", err);
        store_close(st);
        return -1;
    }
    struct analysis *scratch = malloc(sizeof *scratch);
    struct run_record rec;
    int rc = scratch ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = store_add_run(st, session, unpack(&runs[i], scratch, &rec), 0, err, sizeof err)) != 0)
            fprintf(stderr, "bench_phases: %s\n", err);
    free(scratch);
    store_close(st);
    if (rc == 0)
        report("store", n, now_s() - t0);
    return rc;
}

static int jsonl_all(const char *dir, const struct kept_run *runs, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/phases.jsonl", dir);
    double t0 = now_s();
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    struct analysis *scratch = malloc(sizeof *scratch);
    struct run_record rec;
    for (size_t i = 0; i < n && scratch; i++)
        write_run_json(f, unpack(&runs[i], scratch, &rec));
    int rc = fclose(f) == 0 && scratch ? 0 : -1;
    free(scratch);
    report("jsonl", n, now_s() - t0);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_phases BOARDS_YAML SCENARIOS_DIR WORK_DIR [ITERATIONS]\n");
        return 2;
    }
    int iterations = argc > 4 ? atoi(argv[4]) : 200;
    struct lab lab;
    char err[512];
    if (lab_load(&lab, argv[1], err, sizeof err) != 0 || scenarios_load(&lab, argv[2], err, sizeof err) != 0) {
        fprintf(stderr, "bench_phases: %s\n", err);
        return 2;
    }
    size_t cap = (size_t)lab.n_boards * (size_t)lab.n_scenarios * (size_t)lab.n_hosts * (size_t)iterations;
    struct kept_run *runs = calloc(cap ? cap : 1, sizeof *runs);
    int rc = runs ? 0 : 1;
    double t0 = now_s();
    size_t n = simulate(&lab, iterations, NULL, cap, ALL_RUNS);
    report("sim", n, now_s() - t0);
    t0 = now_s();
    size_t n_tools = simulate(&lab, iterations, NULL, cap, TOOL_RUNS);
    report("sim-tools", n_tools, now_s() - t0);
    if (runs)
        simulate(&lab, iterations, runs, cap, ALL_RUNS);
    if (rc == 0 && (store_all(argv[3], runs, n) != 0 || jsonl_all(argv[3], runs, n) != 0))
        rc = 1;
    for (size_t i = 0; i < n; i++)
        free(runs[i].a);
    free(runs);
    lab_free(&lab);
    return rc;
}
