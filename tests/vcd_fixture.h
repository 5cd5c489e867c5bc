/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Synthetic VCD captures for the analyze suites (test_analyze_*.c): edges
 * on named channels at a $timescale the test picks, 8N1 bytes on a line,
 * written to a file that `resetlab analyze` reads through libsigrok. */
#ifndef RESETLAB_VCD_FIXTURE_H
#define RESETLAB_VCD_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#define VCD_MAX_EDGES (1 << 20)

struct vedge {
    long tick; /* one $timescale step */
    int ch, level;
};

struct vcd {
    const char *names[5];
    int n_ch, initial[5];
    double rate_hz; /* 1 / $timescale: 1e7 (100 ns) or 1e6 (1 us) */
    struct vedge *e;
    int n;
};

static inline void vcd_add(struct vcd *v, double t_ms, int ch, int level)
{
    if (v->e == NULL)
        v->e = malloc(VCD_MAX_EDGES * sizeof *v->e);
    cr_assert(v->e != NULL && v->n < VCD_MAX_EDGES);
    v->e[v->n++] = (struct vedge){(long)(t_ms * 1e-3 * v->rate_hz + 0.5), ch, level};
}

/* 8N1 bytes on channel ch from t_ms on, at `baud`; returns the end. */
static inline double vcd_add_uart(struct vcd *v, int ch, double t_ms, int baud, const char *s, size_t len)
{
    double bit_ms = 1e3 / baud;
    int level = 1;
    for (size_t i = 0; i < len; i++) {
        int bits[10] = {0};
        for (int b = 0; b < 8; b++)
            bits[1 + b] = ((unsigned char)s[i] >> b) & 1;
        bits[9] = 1;
        for (int b = 0; b < 10; b++, t_ms += bit_ms)
            if (bits[b] != level)
                vcd_add(v, t_ms, ch, level = bits[b]);
    }
    return t_ms;
}

static inline int vcd_by_tick(const void *a, const void *b)
{
    const struct vedge *x = a, *y = b;
    return (x->tick > y->tick) - (x->tick < y->tick);
}

/* Writes DIR/NAME.vcd (ending at end_ms) and frees the edges. */
static inline const char *vcd_write(struct vcd *v, const char *dir, const char *name, double end_ms)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.vcd", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "$timescale %s $end\n$scope module top $end\n", v->rate_hz == 1e6 ? "1 us" : "100 ns");
    for (int c = 0; c < v->n_ch; c++)
        fprintf(f, "$var wire 1 %c %s $end\n", '!' + c, v->names[c]);
    fprintf(f, "$upscope $end\n$enddefinitions $end\n#0");
    for (int c = 0; c < v->n_ch; c++)
        fprintf(f, " %d%c", v->initial[c], '!' + c);
    if (v->n)
        qsort(v->e, (size_t)v->n, sizeof v->e[0], vcd_by_tick);
    long last = 0;
    for (int i = 0; i < v->n; i++) {
        if (v->e[i].tick != last)
            fprintf(f, "\n#%ld", last = v->e[i].tick);
        fprintf(f, " %d%c", v->e[i].level, '!' + v->e[i].ch);
    }
    fprintf(f, "\n#%ld\n", (long)(end_ms * 1e-3 * v->rate_hz));
    fclose(f);
    free(v->e);
    v->e = NULL;
    return path;
}

#endif
