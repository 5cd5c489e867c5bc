/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A capture's sidecar (run_meta.h): the op log and the run's names beside
 * FILE.sr as FILE.yaml, written by run_cell.c and read back by `resetlab
 * analyze` with the lab's YAML reader (at most RUN_META_MAX_BYTES), its
 * names checked as the lab's are. May call: harness/lab (lab_yaml.h,
 * lab_load.h), libc. */
#include "run_meta.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_load.h"
#include "harness/lab/lab_yaml.h"

void run_meta_path(const char *capture, char *out, size_t len)
{
    const char *dot = strrchr(capture, '.'), *slash = strrchr(capture, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - capture) : strlen(capture);
    snprintf(out, len, "%.*s.yaml", (int)stem, capture);
}

static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int run_meta_write(const char *path, const struct run_meta *m, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    fputs("# resetlab: the run recorded in the capture beside this file (op log times in ns)\nboard: ", f);
    yaml_quoted(f, m->board);
    fputs("\nhost: ", f);
    yaml_quoted(f, m->host);
    fputs("\nscenario: ", f);
    yaml_quoted(f, m->scenario);
    fprintf(f, "\nseed: %" PRIu64 "\niteration: %d\nexpect: %s\nops:\n", m->seed, m->iteration,
            boot_mode_name(m->expected));
    for (size_t i = 0; i < m->n_ops; i++) {
        const struct op_record *r = &m->ops[i];
        fputs("  - {label: ", f);
        yaml_quoted(f, r->label);
        fprintf(f, ", index: %d, port_op: %s, first_open: %s, t_before_ns: %" PRId64 ", t_after_ns: %" PRId64 "}\n",
                r->index, r->is_port_op ? "true" : "false", r->first_open ? "true" : "false", r->t_before_ns,
                r->t_after_ns);
    }
    if (fclose(f) != 0) {
        snprintf(err, err_len, "%s: write failed", path);
        return -1;
    }
    return 0;
}

/* A whole number, as text (doubles lose nanoseconds and seeds). */
static int get_int64(struct ydoc *y, yaml_node_t *m, const char *path, const char *key, int64_t lo, int64_t *out)
{
    char text[32], *end;
    if (yget_string(y, m, path, key, text, sizeof text) != 0)
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo)
        return yfail(y, ymap_get(y, m, key), path, "%s: expected a whole number >= %lld, got '%s'", key, (long long)lo,
                     text);
    *out = v;
    return 0;
}

static int read_op(struct ydoc *y, yaml_node_t *n, const char *path, struct op_record *r)
{
    static const char *const keys[] = {"label", "index", "port_op", "first_open", "t_before_ns", "t_after_ns", NULL};
    int64_t index;
    if (ymap_require(y, n, path) || ymap_only(y, n, path, keys) ||
        yget_string(y, n, path, "label", r->label, sizeof r->label) || get_int64(y, n, path, "index", 0, &index) ||
        yget_bool(y, n, path, "port_op", &r->is_port_op) || yget_bool(y, n, path, "first_open", &r->first_open) ||
        get_int64(y, n, path, "t_before_ns", 0, &r->t_before_ns) ||
        get_int64(y, n, path, "t_after_ns", 0, &r->t_after_ns))
        return -1;
    if (index > RUNNER_MAX_OPS || r->t_after_ns < r->t_before_ns)
        return yfail(y, n, path, "index beyond %d or t_after_ns before t_before_ns", RUNNER_MAX_OPS);
    r->index = (int)index;
    return 0;
}

static int read_ops(struct ydoc *y, yaml_node_t *root, struct run_meta *m)
{
    yaml_node_t *ops = ymap_get(y, root, "ops");
    if (ops == NULL)
        return yfail(y, root, "", "missing key 'ops'");
    if (yseq_require(y, ops, "ops"))
        return -1;
    YSEQ_FOREACH(y, ops, item)
    {
        char path[32];
        snprintf(path, sizeof path, "ops[%zu]", m->n_ops);
        if (m->n_ops >= RUNNER_MAX_OPS)
            return yfail(y, ops, "ops", "more than %d ops", RUNNER_MAX_OPS);
        struct op_record *r = &m->ops[m->n_ops];
        if (read_op(y, yaml_document_get_node(&y->doc, *item), path, r) != 0)
            return -1;
        if (m->n_ops > 0 && r->t_before_ns < m->ops[m->n_ops - 1].t_after_ns)
            return yfail(y, yaml_document_get_node(&y->doc, *item), path, "starts before the op before it ended");
        m->n_ops++;
    }
    return 0;
}

int run_meta_read(const char *path, struct run_meta *m, char *err, size_t err_len)
{
    static const char *const keys[] = {"board", "host", "scenario", "seed", "iteration", "expect", "ops", NULL};
    struct ydoc y;
    memset(m, 0, sizeof *m);
    if (ydoc_load_max(&y, path, RUN_META_MAX_BYTES, err, err_len) != 0)
        return -1;
    yaml_node_t *root = ydoc_root(&y);
    char expect[16], seed[32], *end;
    int64_t iteration;
    int rc = -1;
    if (ymap_require(&y, root, "") || ymap_only(&y, root, "", keys) ||
        yget_string(&y, root, "", "board", m->board, sizeof m->board) ||
        yget_string(&y, root, "", "host", m->host, sizeof m->host) ||
        yget_string(&y, root, "", "scenario", m->scenario, sizeof m->scenario) ||
        yget_string(&y, root, "", "seed", seed, sizeof seed) || get_int64(&y, root, "", "iteration", 0, &iteration) ||
        yget_string(&y, root, "", "expect", expect, sizeof expect))
        goto out;
    static const char *const named[] = {"board", "host", "scenario"};
    const char *names[] = {m->board, m->host, m->scenario};
    for (int i = 0; i < 3; i++) {
        char why[160];
        if (lab_name_check(names[i], i == 2 ? LAB_SCENARIO_NAME_MAX : LAB_NAME_MAX, why, sizeof why) != 0) {
            yfail(&y, ymap_get(&y, root, named[i]), named[i], "%s", why);
            goto out;
        }
    }
    errno = 0;
    m->seed = strtoull(seed, &end, 10);
    if (errno != 0 || end == seed || *end != '\0') {
        yfail(&y, ymap_get(&y, root, "seed"), "seed", "expected a whole number, got '%s'", seed);
        goto out;
    }
    int mode = boot_mode_parse(expect);
    if (mode < 0 || mode == BOOT_MARGINAL) {
        yfail(&y, ymap_get(&y, root, "expect"), "expect", "must be download, flash or no-reset, got '%s'", expect);
        goto out;
    }
    m->expected = (enum boot_mode)mode;
    m->iteration = (int)(iteration > 1000000000 ? 1000000000 : iteration);
    rc = read_ops(&y, root, m);
out:
    ydoc_free(&y);
    return rc;
}
