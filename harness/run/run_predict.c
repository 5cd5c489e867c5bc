/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A real session's cells on the virtual lab (run_predict.h): each real
 * board's model twin runs the cell's scenario on the host profile that
 * models the real run's host, as many times as the session asked, with its
 * seed; the counts go into a compare side for compare_predict.c.
 * May call: run_cell.c, harness/capture (the sample rate's syntax), reports/ (cells, the compare side),
 * libc. */
#include "run_predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/capture/capture_sigrok.h"
#include "run_cell.h"

/* The samplerate=... of a sigrok config, in Hz; 0 when it has none. */
static double config_samplerate(const char *config)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", config);
    for (char *save = NULL, *kv = strtok_r(copy, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
        uint64_t hz;
        if (strncmp(kv, "samplerate=", 11) == 0 && sigrok_parse_scaled(kv + 11, 1, &hz) == 0)
            return (double)hz;
    }
    return 0;
}

int run_model_twin(const struct board_profile *real, struct board_profile *out, char *err, size_t err_len)
{
    *out = *real;
    snprintf(out->port, sizeof out->port, "sim");
    if (strcmp(real->analyzer.kind, "sim") == 0)
        return 0;
    snprintf(out->analyzer.kind, sizeof out->analyzer.kind, "sim");
    if (out->analyzer.sample_rate_hz <= 0)
        out->analyzer.sample_rate_hz = config_samplerate(real->analyzer.config);
    if (out->analyzer.sample_rate_hz <= 0) {
        snprintf(err, err_len, "board '%s': its analyzer's config names no samplerate for the model's analyzer",
                 real->name);
        return -1;
    }
    return 0;
}

const struct host_profile *run_predict_host(const struct lab *lab, const char *column, const char *profile)
{
    if (profile)
        return lab_host(lab, profile);
    const struct host_profile *best = lab_host(lab, column);
    if (best)
        return best;
    size_t best_len = 0;
    for (int i = 0; i < lab->n_hosts; i++) { /* the longest name that starts the column's */
        size_t n = strlen(lab->hosts[i].name);
        if (n > best_len && strncmp(column, lab->hosts[i].name, n) == 0 && column[n] == '-')
            best = &lab->hosts[i], best_len = n;
    }
    return best;
}

static int add_cell(struct compare_side *side, const struct compare_cell *like, const struct cell_stats *c)
{
    if (side->n == side->cap) {
        int cap = side->cap ? 2 * side->cap : 16;
        struct compare_cell *more = realloc(side->cells, (size_t)cap * sizeof *more);
        if (more == NULL)
            return -1;
        side->cells = more, side->cap = cap;
    }
    struct compare_cell *to = &side->cells[side->n++];
    memset(to, 0, sizeof *to);
    snprintf(to->board, sizeof to->board, "%s", like->board);
    snprintf(to->host, sizeof to->host, "%s", like->host);
    snprintf(to->scenario, sizeof to->scenario, "%s", like->scenario);
    snprintf(to->expected, sizeof to->expected, "%s", like->expected);
    to->runs = c->runs, to->passed = c->passed;
    return 0;
}

/* One measured cell's prediction into `model`. */
static int predict_cell(struct sim_world *w, const struct lab *lab, const struct compare_cell *m, const char *profile,
                        int iterations, uint64_t seed, struct compare_side *model, char *err, size_t len)
{
    const struct board_profile *real = lab_board(lab, m->board);
    const struct scenario *s = lab_scenario(lab, m->scenario);
    const struct host_profile *h = run_predict_host(lab, m->host, profile);
    if (real == NULL || s == NULL)
        return snprintf(err, len, "%s '%s' of the session is not in %s", real ? "scenario" : "board",
                        real ? m->scenario : m->board, lab->path), -1;
    if (h == NULL)
        return snprintf(err, len, "no host profile of %s models host '%s'%s: name one with --profile", lab->path,
                        profile ? profile : m->host, profile ? " (--profile)" : ""), -1;
    struct board_profile twin;
    if (run_model_twin(real, &twin, err, len) != 0)
        return -1;
    struct cell_sink sink = {.err = err, .err_len = len};
    struct cell_stats cell;
    int rc = run_cell(w, &twin, h, s, iterations, seed, &cell, &sink);
    if (rc == 0)
        rc = add_cell(model, m, &cell);
    cell_free(&cell);
    if (rc != 0 && err[0] == '\0')
        snprintf(err, len, "out of memory");
    return rc == 0 ? 0 : -1;
}

int run_predict(const struct lab *lab, const struct compare_side *measured, const char *profile, int iterations,
                uint64_t seed, struct compare_side *model, char *err, size_t err_len)
{
    err[0] = '\0';
    struct sim_world *w = sim_world_new();
    if (w == NULL)
        return snprintf(err, err_len, "out of memory"), -1;
    int rc = 0;
    for (int i = 0; i < measured->n && rc == 0; i++)
        rc = predict_cell(w, lab, &measured->cells[i], profile, iterations, seed, model, err, err_len);
    sim_world_free(w);
    return rc;
}
