/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab report`: options, Ctrl-C; harness/report writes the page.
 * May call: harness/report, harness/run (path limits), libc (signals). */
#include "cli_commands.h"

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "harness/report/report.h"
#include "harness/run/run.h"

#define REPORT_SESSION_MAX 1000000000000ull /* --session N */

static const char usage[] =
    "usage: resetlab report [--db FILE | --out DIR] [--session N | --sessions LIST |\n"
    "                       --date DAY[..DAY]] [--last N] [--report DIR] [--metrics FILE]\n"
    "                       [--plots all|lean]\n"
    "\n"
    "Writes the HTML report of a session of the results store: REPORT/index.html,\n"
    "one self-contained page (no network; open it from disk, or keep the folder as\n"
    "a CI artifact), with its plots beside it in REPORT/plots/*.svg (gnuplot):\n"
    "  - the session's facts: host, OS, kernel, virtualization, resetlab version,\n"
    "    boards.yaml and its SHA-256, seed, iterations;\n"
    "  - the pass rate of every cell with its 95 % Wilson interval, coloured;\n"
    "  - per cell below its expectation: worst finding, outcomes, board diagnoses,\n"
    "    strap margin and DTR/RTS gap figures, and the timing diagrams of its\n"
    "    typical run (median margin) and worst run (lowest margin), re-simulated\n"
    "    from their seeds on the session's lab (not when boards.yaml changed since\n"
    "    the session, nor for a real board: the page says why); of the known\n"
    "    failures (docs/gates.md) only the first cell of each reason is drawn,\n"
    "    its worst run, unless --plots all;\n"
    "  - per board and scenario with such a cell: the DTR/RTS gap per host;\n"
    "  - trends: pass rate and median margin per cell over the last sessions of\n"
    "    the store, when it holds more than one.\n"
    "`resetlab run` writes the same report into its folder at its end.\n"
    "With --report DIR, --sessions or --date, summary.json and junit.xml of what the\n"
    "page shows go beside it too (as `resetlab run` writes them; docs/ci.md).\n"
    "\n"
    "options:\n"
    "  --db FILE      the results store (default: DIR/results.db)\n"
    "  --out DIR      the run folder whose store to read (default: results)\n"
    "  --session N    this session, 1 to 10^12 (default: the newest complete one;\n"
    "                 an interrupted one only when named, and the page says it is\n"
    "                 partial)\n"
    "  --sessions LIST  a group of sessions as one matrix, a column per host (real\n"
    "                 and simulated side by side): ids 4,5,6 or ranges 4-6, or\n"
    "                 'merged': the sessions the last `resetlab merge` into this\n"
    "                 store named (its stores' sessions). They must have run on one\n"
    "                 lab (the same boards.yaml SHA-256). A run's shards (run --shard\n"
    "                 K/N) are put back in the run's order: the group's summary.json\n"
    "                 and junit.xml are the unsharded run's, times aside. A cell in\n"
    "                 two sessions pools their runs: counts, outcomes, findings, min\n"
    "                 and max exactly, percentiles those of the session with more\n"
    "                 samples (a cell's row keeps its figures, not every run's).\n"
    "                 At most 1000 sessions.\n"
    "  --date DAY[..DAY]  the same for the complete sessions begun on a UTC day\n"
    "                 (2026-12-05) or from one day to another (2026-12-01..2026-12-05)\n"
    "  --last N       trends over the last N sessions up to this one, 1 to 1000\n"
    "                 (default 30; 1: no trends)\n"
    "  --report DIR   where index.html and plots/ go (default: the store's folder)\n"
    "  --plots WHICH  lean (default): every diagram of a cell below its expectation\n"
    "                 that is not known, and of the known failures the worst run of\n"
    "                 the first cell of each reason (the default run's page and plots:\n"
    "                 4.6 MB, 133 MB drawn all); all: every failing cell's\n"
    "  --metrics FILE also the session's figures as OpenMetrics text, as `resetlab run\n"
    "                 --metrics` writes them (its duration from the store's start and\n"
    "                 finish times, to the second; docs/ci.md)\n"
    "FILE and DIR: at most 480 bytes once made absolute. Numbers: digits alone, no\n"
    "sign or blanks.\n"
    "\n"
    "The new report is made beside the old one (plots in DIR/.plots.new, the page\n"
    "as DIR/.index.html.tmp, fsync'd) and swapped in at the end: until then the\n"
    "old index.html and plots/ are whole, and an error, Ctrl-C or a kill leaves\n"
    "them so. Of plots/, only the plots resetlab made (its manifest,\n"
    "plots/.resetlab-plots, names them) are removed; other files stay. One\n"
    "resetlab writes into a folder at a time (DIR/.lock): a report into a folder\n"
    "`resetlab run` is writing is refused, naming it. Ctrl-C or SIGTERM stops the\n"
    "report and its gnuplot processes; gnuplot dies with resetlab, even by SIGKILL.\n"
    "\n"
    "Prints the page's path. exit status: 0 written (plots gnuplot could not draw are\n"
    "notes on the page and a warning), 2 bad input (no store, no such session, the\n"
    "folder in use) or an output error, 130 interrupted by Ctrl-C, 143 by SIGTERM.\n";

struct report_opts {
    const char *db, *out, *report_dir, *metrics, *sessions, *date;
    uint64_t session, last;
    int all_plots;
};

static int parse_report_opt(struct report_opts *o, int argc, char **argv, int *i)
{
    static const char *const known[] = {"--db", "--out", "--session", "--last", "--report", "--metrics", "--sessions", "--date", "--plots", NULL};
    const char *a = argv[*i];
    int k = 0;
    while (known[k] && strcmp(known[k], a) != 0)
        k++;
    if (known[k] == NULL)
        return cli_bad_input("report: unknown option '%s'%s (resetlab help report)", a, ""), -1;
    if (*i + 1 >= argc)
        return cli_bad_input("%s needs a value%s", a, ""), -1;
    const char *v = argv[++*i];
    switch (k) {
    case 0: o->db = v; return 0;
    case 1: o->out = v; return 0;
    case 2: return cli_parse_uint("report", a, v, "a whole number", 1, REPORT_SESSION_MAX, &o->session);
    case 3: return cli_parse_uint("report", a, v, "a whole number", 1, REPORT_MAX_LAST, &o->last);
    case 4: o->report_dir = v; return 0;
    case 5: o->metrics = v; return 0;
    case 6: o->sessions = v; return 0;
    case 7: o->date = v; return 0;
    default:
        if (strcmp(v, "all") != 0 && strcmp(v, "lean") != 0)
            return cli_bad_input("report: --plots must be all or lean, got '%s'%s", v, ""), -1;
        o->all_plots = v[0] == 'a';
        return 0;
    }
}


/* --db, --out, --report and --metrics checked before anything is made. */
static int check_paths(const struct report_opts *o)
{
    const char *what[] = {"--db", "--out", "--report"}, *path[] = {o->db, o->out, o->report_dir};
    char err[RUN_MAX_PATH + 200];
    for (int i = 0; i < 3; i++)
        if (path[i] && run_check_path(what[i], path[i], err, sizeof err) != 0)
            return cli_bad_input("report: %s%s", err, "");
    if (o->metrics && run_check_file_path("--metrics", o->metrics, err, sizeof err) != 0)
        return cli_bad_input("report: %s%s", err, "");
    return 0;
}

static int cli_report(int argc, char **argv)
{
    struct report_opts o = {.last = REPORT_DEFAULT_LAST};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    for (int i = 1; i < argc; i++)
        if (parse_report_opt(&o, argc, argv, &i) != 0)
            return 2;
    if (o.db && o.out)
        return cli_bad_input("report: give --db FILE or --out DIR, not both%s%s", "", "");
    if ((o.session > 0) + (o.sessions != NULL) + (o.date != NULL) > 1)
        return cli_bad_input("report: give one of --session, --sessions and --date%s%s", "", "");
    if (check_paths(&o) != 0)
        return 2;
    char db[1024], dir[1024];
    snprintf(db, sizeof db, "%s/results.db", o.out ? o.out : "results");
    const char *db_path = o.db ? o.db : db;
    snprintf(dir, sizeof dir, "%s", db_path);
    struct report_request rq = {.db_path = db_path, .session = o.session,
                                .report_dir = o.report_dir ? o.report_dir : dirname(dir), .last = (int)o.last,
                                .stop = &cli_stop_asked, .lock_folder = 1, .metrics_path = o.metrics,
                                .sessions = o.sessions, .date = o.date,
                                .write_results = o.report_dir || o.sessions || o.date, .all_plots = o.all_plots};
    char page[1200], err[1000] = "";
    struct report_warnings warn;
    cli_catch_stop_signals();
    int rc = report_write(&rq, page, sizeof page, &warn, err, sizeof err);
    if (rc == REPORT_INTERRUPTED) {
        fprintf(stderr, "resetlab: report: %s\n", err);
        return 128 + (int)cli_stop_asked;
    }
    if (rc != 0)
        return cli_bad_input("report: %s%s", err, "");
    if (warn.plots_failed > 0)
        fprintf(stderr, "resetlab: warning: %d plots not drawn: %s\n", warn.plots_failed, warn.first);
    printf("wrote %s\n", page);
    return 0;
}

const struct cli_command cli_report_command = {"report", "write a session's HTML report (matrix, failing cells' timing diagrams, trends)", usage, cli_report};
