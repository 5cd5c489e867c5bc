/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab analyze's JSON line: a run's members (results.c), with every
 * reset of the capture listed and every finding, as many as it holds
 * (analysis_lists): a real capture can hold more than a run keeps.
 * May call: reports/results.c, libc. */
#include "results.h"

#include <stdio.h>

/* A time in ms, or null for the -1 of "not seen". */
static void json_ns_ms(FILE *f, int64_t t_ns)
{
    if (t_ns < 0)
        fputs("null", f);
    else
        json_num(f, (double)t_ns / 1e6);
}

/* Each reset of a capture (resetlab analyze --json). */
static void write_reset_events_json(FILE *f, const struct reset_event *r, int n)
{
    fputs("[", f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", {\"en_low_ms\": " : "{\"en_low_ms\": ", f);
        json_ns_ms(f, r[i].en_low_ns);
        fputs(", \"en_high_ms\": ", f); /* EN's rise the analyzer saw */
        json_ns_ms(f, r[i].en_rise_ns);
        fputs(", \"released_ms\": ", f);
        json_ns_ms(f, r[i].release_ns);
        fputs(", \"en_release_ms\": ", f);
        json_num(f, r[i].en_release_ms);
        fputs(", \"tau_ms\": ", f);
        json_num(f, r[i].tau_ms);
        fputs(", \"strap\": ", f);
        if (r[i].predicted == BOOT_NONE)
            fputs("null", f);
        else
            json_str(f, boot_mode_name(r[i].predicted));
        fputs(", \"margin_ms\": ", f);
        json_num(f, r[i].margin_ms);
        fputs(", \"gap_ms\": ", f);
        json_num(f, r[i].gap_ms);
        fprintf(f, ", \"spurious\": %s}", r[i].spurious ? "true" : "false");
    }
    fputs("]", f);
}

void write_capture_json(FILE *f, const struct run_record *r, const struct analysis_lists *all)
{
    flockfile(f);
    write_run_json_fields(f, r);
    fprintf(f, "\"findings_cut\": %s, \"reset_events\": ", all->findings_cut ? "true" : "false");
    write_reset_events_json(f, all->resets, all->n_resets);
    fputs(", \"findings\": ", f);
    write_finding_list_json(f, all->findings, all->n_findings);
    fputs("}\n", f);
    funlockfile(f);
}
