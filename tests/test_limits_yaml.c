/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every YAML file resetlab reads (boards.yaml, a scenario, a capture's op
 * log) has a size, a depth, a count and one document (issue 18, items 7, 8
 * and 22): 100,000 levels of '[' took libyaml 21 s (200,000 over 300 s),
 * an op log of 108 MB 2.4 GB and 7.9 s before its op count was refused,
 * and a second document was ignored. Each run is a child whose time and peak RSS
 * are measured. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness/lab/lab_yaml.h"
#include "harness/run/run_meta.h"
#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-limits-yaml-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(limits_yaml, .init = setup, .fini = teardown);

static const char *in_dir(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* `n` times `s`, then `tail`: a malloc'd string. */
static char *repeat(const char *s, size_t n, const char *tail)
{
    size_t k = strlen(s), t = strlen(tail);
    char *out = malloc(k * n + t + 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * k, s, k);
    memcpy(out + k * n, tail, t + 1);
    return out;
}

/* A capture of a quiet board with `oplog` beside it as its op log. */
static const char *capture_with_oplog(const char *name, const char *oplog, size_t len, char *path, size_t path_len)
{
    char meta[1024], yaml[256];
    static const uint8_t quiet[] = {0x03};
    sr_metadata(meta, sizeof meta, 2, "");
    snprintf(path, path_len, "%s/%s.sr", dir, name);
    write_sr(path, meta, quiet, 1, 64);
    snprintf(yaml, sizeof yaml, "%s/%s.yaml", dir, name);
    write_file(yaml, oplog, len);
    return path;
}

/* 100,000 levels of '[' in boards.yaml, in a scenario and in an op log:
 * 26 s, 32 s and 46 s in libyaml before; refused at level 65 now. */
Test(limits_yaml, nesting_100000_deep_is_refused_at_level_65_at_once)
{
    char *deep = repeat("[", 100000, "\n"), path[256], scen[256];
    write_file(in_dir("deep.yaml", path, sizeof path), deep, strlen(deep));
    const char *list[] = {"list", "--boards", path, NULL};
    struct measured m = run_measured(list);
    expect_refused(&m, "deep.yaml:1: lists and mappings nested more than 64 deep");
    cr_expect_lt(m.seconds, 5.0, "boards.yaml: %.1f s", m.seconds);

    cr_assert_eq(mkdir(in_dir("scenarios", scen, sizeof scen), 0755), 0);
    char file[300];
    snprintf(file, sizeof file, "%s/deep.yaml", scen);
    write_file(file, deep, strlen(deep));
    const char *list2[] = {"list", "--scenarios", scen, NULL};
    m = run_measured(list2);
    expect_refused(&m, "nested more than 64 deep");
    cr_expect_lt(m.seconds, 5.0, "scenario: %.1f s", m.seconds);

    char sr[256];
    capture_with_oplog("deep-oplog", deep, strlen(deep), sr, sizeof sr);
    const char *analyze[] = {"analyze", sr, NULL};
    m = run_measured(analyze);
    expect_refused(&m, "deep-oplog.yaml:1: lists and mappings nested more than 64 deep");
    cr_expect_lt(m.seconds, 5.0, "op log: %.1f s", m.seconds);
    free(deep);
}

/* The limit is the parser's, exact: 64 levels parse (and the lab says what
 * is wrong with them), 65 do not; one per line counts lines too. */
Test(limits_yaml, nesting_of_64_parses_and_65_does_not)
{
    char path[256], err[512];
    struct ydoc y;
    for (int depth = YDOC_MAX_DEPTH; depth <= YDOC_MAX_DEPTH + 1; depth++) {
        char *open = repeat("[\n", (size_t)depth, ""), *close = repeat("]", (size_t)depth, "\n");
        size_t n = strlen(open) + strlen(close) + 1;
        char *text = malloc(n);
        cr_assert_not_null(text);
        snprintf(text, n, "%s%s", open, close);
        write_file(in_dir("nest.yaml", path, sizeof path), text, strlen(text));
        int rc = ydoc_load(&y, path, err, sizeof err);
        if (depth == YDOC_MAX_DEPTH) {
            cr_expect_eq(rc, 0, "64 deep: %s", err);
            ydoc_free(&y);
        } else {
            cr_expect_eq(rc, -1);
            cr_expect(strstr(err, "nest.yaml:65: lists and mappings nested more than 64 deep") != NULL, "%s", err);
        }
        free(open), free(close), free(text);
    }
}

/* Over 1 MiB is refused before it is read, from its size; a file without
 * one (/dev/zero) after 1 MiB + 1 byte. */
Test(limits_yaml, a_file_over_1_mib_is_refused_before_it_is_read)
{
    char *big = repeat("# a comment of forty bytes, and newline\n", 52429, ""), path[256]; /* 2,097,160 bytes */
    write_file(in_dir("big.yaml", path, sizeof path), big, strlen(big));
    free(big);
    const char *list[] = {"list", "--boards", path, NULL};
    struct measured m = run_measured(list);
    expect_refused(&m, "big.yaml: 2097160 bytes, over the limit of 1048576 for this file");
    const char *zero[] = {"list", "--boards", "/dev/zero", NULL};
    m = run_measured(zero);
    expect_refused(&m, "/dev/zero: over the limit of 1048576 bytes for this file");
    cr_expect_lt(m.seconds, 5.0);
}

/* 100,001 values are refused on the parser's events, before the document
 * (16 MB for 100,000) is built. */
Test(limits_yaml, more_than_100000_values_are_refused)
{
    char path[256];
    char *many = repeat("a,", YDOC_MAX_NODES, "a]\n"); /* the list and 100,001 scalars */
    char *text = malloc(strlen(many) + 16);
    cr_assert_not_null(text);
    snprintf(text, strlen(many) + 16, "chips: [%s", many);
    write_file(in_dir("many.yaml", path, sizeof path), text, strlen(text));
    const char *list[] = {"list", "--boards", path, NULL};
    struct measured m = run_measured(list);
    expect_refused(&m, "many.yaml:1: more than 100000 values (scalars, lists and mappings)");
    free(many), free(text);
}

/* A second document was ignored: refused with the line of its '---'. */
Test(limits_yaml, a_second_document_is_refused_with_its_line)
{
    char shipped_path[512], path[256], scen[256], file[300];
    size_t len;
    char *shipped = slurp(src_path("boards.yaml", shipped_path, sizeof shipped_path), &len);
    cr_assert_not_null(shipped);
    int lines = count_of(shipped, "\n");
    char *text = malloc(len + 64);
    cr_assert_not_null(text);
    snprintf(text, len + 64, "%s---\nchips: {}\n", shipped);
    write_file(in_dir("two.yaml", path, sizeof path), text, strlen(text));
    const char *list[] = {"list", "--boards", path, NULL};
    struct measured m = run_measured(list);
    char want[128];
    snprintf(want, sizeof want, "two.yaml:%d: a second YAML document ('---'): a file holds one", lines + 1);
    expect_refused(&m, want);
    free(shipped), free(text);

    cr_assert_eq(mkdir(in_dir("scenarios", scen, sizeof scen), 0755), 0);
    snprintf(file, sizeof file, "%s/two.yaml", scen);
    const char *two = "name: two\norigin: test\nexpect: download\nsequence: \"O|D1|W0.1|D0\"\n---\nname: three\n";
    write_file(file, two, strlen(two));
    const char *list2[] = {"list", "--scenarios", scen, NULL};
    m = run_measured(list2);
    expect_refused(&m, "two.yaml:5: a second YAML document");
}

/* The op log of RUNNER_MAX_OPS ops with every field at its longest fits
 * the op log's limit three times over. */
Test(limits_yaml, the_longest_op_log_resetlab_writes_fits_its_limit)
{
    struct run_meta *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    memset(m->board, 'b', sizeof m->board - 1);
    memset(m->host, 'h', sizeof m->host - 1);
    memset(m->scenario, 's', sizeof m->scenario - 1);
    m->seed = UINT64_MAX;
    m->iteration = 1000000000;
    m->n_ops = RUNNER_MAX_OPS;
    for (int i = 0; i < RUNNER_MAX_OPS; i++)
        m->ops[i] = (struct op_record){INT64_MAX, INT64_MAX, RUNNER_MAX_OPS, 1, "W3600.000000000", 1};
    char path[256], err[256];
    cr_assert_eq(run_meta_write(in_dir("longest.yaml", path, sizeof path), m, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_lt(st.st_size * 3, RUN_META_MAX_BYTES, "%lld bytes", (long long)st.st_size);
    free(m);
}

/* The 108 MB op log: 2.4 GB and 7.9 s before "more than 128 ops"
 * (RUNNER_MAX_OPS was 128 then); refused from its size now, with nothing
 * read. */
Test(limits_yaml, a_108_mb_op_log_is_refused_from_its_size_with_flat_memory)
{
    static const char head[] = "board: \"devkitc\"\nhost: \"native-linux\"\nscenario: \"esptool-classic\"\n"
                               "seed: 1\niteration: 0\nexpect: download\nops:\n";
    static const char op[] = "  - {label: \"D1\", index: 1, port_op: false, first_open: false, "
                             "t_before_ns: 1000, t_after_ns: 2000}\n";
    char sr[256], yaml[256];
    capture_with_oplog("huge", head, strlen(head), sr, sizeof sr);
    snprintf(yaml, sizeof yaml, "%s/huge.yaml", dir);
    FILE *f = fopen(yaml, "ab");
    cr_assert_not_null(f);
    size_t n = ((size_t)108 << 20) / (sizeof op - 1);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(fwrite(op, 1, sizeof op - 1, f), sizeof op - 1);
    cr_assert_eq(fclose(f), 0);
    const char *args[] = {"analyze", sr, NULL};
    struct measured m = run_measured(args);
    char want[64];
    snprintf(want, sizeof want, "over the limit of %d for this file", RUN_META_MAX_BYTES);
    expect_refused(&m, want);
    cr_expect_lt(m.maxrss_kb, 50 * 1024, "peak RSS %ld KB", m.maxrss_kb);
    cr_expect_lt(m.seconds, 5.0, "%.1f s", m.seconds);
}

/* Under the size limit, the op count stops it: RUNNER_MAX_OPS + 500 ops in
 * 185 KB. */
Test(limits_yaml, an_op_log_under_the_size_limit_stops_at_128_ops)
{
    size_t cap = RUN_META_MAX_BYTES, n = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    n += (size_t)snprintf(text, cap, "board: \"devkitc\"\nhost: \"native-linux\"\nscenario: \"esptool-classic\"\n"
                                     "seed: 1\niteration: 0\nexpect: download\nops:\n");
    for (int i = 0; i < RUNNER_MAX_OPS + 500; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "  - {label: \"D1\", index: 1, port_op: false, first_open: false, t_before_ns: %d, "
                              "t_after_ns: %d}\n",
                              i * 10, i * 10 + 5);
    cr_assert_lt(n, (size_t)RUN_META_MAX_BYTES);
    char sr[256];
    capture_with_oplog("ops500", text, n, sr, sizeof sr);
    free(text);
    const char *args[] = {"analyze", sr, NULL};
    struct measured m = run_measured(args);
    char want[64];
    snprintf(want, sizeof want, "ops: more than %d ops", RUNNER_MAX_OPS);
    expect_refused(&m, want);
    cr_expect_lt(m.maxrss_kb, 50 * 1024, "peak RSS %ld KB", m.maxrss_kb);
}
