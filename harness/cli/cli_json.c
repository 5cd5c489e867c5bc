/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The documents of list --json, probe --json and tune --json (cli_json.h).
 * May call: reports/ (JSON values, cells), harness/run (tune's result), libc. */
#include "cli_json.h"

#include <math.h>

static void key_str(FILE *f, const char *sep, const char *key, const char *v)
{
    fprintf(f, "%s\"%s\": ", sep, key);
    json_str(f, v);
}

static void key_num(FILE *f, const char *sep, const char *key, double v)
{
    fprintf(f, "%s\"%s\": ", sep, key);
    json_num(f, v);
}

void cli_list_json(FILE *f, const struct lab *lab)
{
    key_str(f, "{", "boards_file", lab->path);
    fputs(",\n \"boards\": [", f);
    for (int i = 0; i < lab->n_boards; i++) {
        const struct board_profile *b = &lab->boards[i];
        key_str(f, i ? ",\n  {" : "\n  {", "name", b->name);
        key_str(f, ", ", "chip", b->chip->name);
        key_str(f, ", ", "bridge", b->bridge->name);
        key_str(f, ", ", "circuit", b->circuit->name);
        key_num(f, ", ", "en_r_ohms", b->en_r_ohms);
        fprintf(f, ", \"en_c_farads\": %g", b->en_c_farads);
        key_str(f, ", ", "port", b->port);
        fputs(", \"fault\": ", f);
        if (b->fault[0])
            json_str(f, b->fault);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs("],\n \"hosts\": [", f);
    for (int i = 0; i < lab->n_hosts; i++) {
        const struct host_profile *h = &lab->hosts[i];
        key_str(f, i ? ",\n  {" : "\n  {", "name", h->name);
        key_str(f, ", ", "os", host_os_name(h->os));
        key_num(f, ", ", "request_median_ms", h->request.median_ms);
        key_num(f, ", ", "request_floor_ms", h->request.floor_ms);
        fprintf(f, ", \"split_both_lines\": %s", h->split_both_lines ? "true" : "false");
        key_str(f, ", ", "port", h->port == PORT_RFC2217 ? "rfc2217" : "local");
        fputc('}', f);
    }
    fputs("],\n \"scenarios\": [", f);
    for (int i = 0; i < lab->n_scenarios; i++) {
        const struct scenario *s = &lab->scenarios[i];
        key_str(f, i ? ",\n  {" : "\n  {", "name", s->name);
        key_str(f, ", ", "expect", boot_mode_name(s->expected));
        key_str(f, ", ", "origin", s->origin);
        fputs(", \"tool\": ", f);
        if (s->product[0])
            json_str(f, s->product);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

void cli_probe_json(FILE *f, const struct board_profile *b, const struct host_profile *h, int iterations,
                    uint64_t seed, struct cell_stats *cells, int n, int exit_status)
{
    key_str(f, "{", "board", b->name);
    key_str(f, ", ", "host", h->name);
    fprintf(f, ", \"iterations\": %d, \"seed\": %llu, \"exit_status\": %d,\n", iterations, (unsigned long long)seed,
            exit_status);
    write_cells_json(f, cells, n);
    fputs("}\n", f);
}

void cli_tune_json(FILE *f, const struct tune_opts *o, int tried, double seconds, const struct tune_result *best,
                   int exit_status)
{
    key_str(f, "{", "board", o->board->name);
    key_str(f, ", ", "host", o->host->name);
    key_num(f, ", ", "target", o->target);
    key_num(f, ", ", "min_margin_ms", o->min_margin_ms);
    fprintf(f, ", \"candidates\": %d, \"iterations\": %d", tried, o->iterations);
    key_num(f, ", ", "seconds", seconds);
    fprintf(f, ", \"exit_status\": %d,\n \"best\": ", exit_status);
    if (best == NULL) {
        fputs("null}\n", f);
        return;
    }
    key_str(f, "{", "family", tune_family_name(best->family));
    key_num(f, ", ", "hold_ms", best->hold_ms);
    key_num(f, ", ", "boot_ms", best->boot_ms);
    key_str(f, ", ", "custom_reset_sequence", best->reset);
    fprintf(f, ", \"runs\": %d, \"passed\": %d", best->runs, best->passed);
    key_num(f, ", ", "wilson_lo", best->lo);
    key_num(f, ", ", "wilson_hi", best->hi);
    key_num(f, ", ", "reset_ms", best->reset_ms);
    key_num(f, ", ", "margin_min_ms", isnan(best->margin_min) ? NAN : best->margin_min);
    key_num(f, ", ", "margin_p1_ms", best->margin_p1);
    key_num(f, ", ", "margin_p50_ms", best->margin_p50);
    fputs("}}\n", f);
}
