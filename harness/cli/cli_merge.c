/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab merge`: the stores of several machines (or of a run's shards)
 * into one, each session once; reports/store_merge.c does the copying.
 * May call: reports/ (the store), harness/run (path limits), libc. */
#include "cli_commands.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "harness/run/run.h"
#include "reports/store_merge.h"

static const char usage[] =
    "usage: resetlab merge STORE... --db ALL\n"
    "\n"
    "Copies the sessions of results stores made elsewhere (each machine of a lab,\n"
    "each --shard of a run: their results.db) into the store ALL (made when\n"
    "missing), so that one report shows them together:\n"
    "  resetlab merge bench1/results.db bench2/results.db --db lab.db\n"
    "  resetlab report --db lab.db --sessions merged\n"
    "Each session goes in once. A session keeps the id it was given when it began\n"
    "wherever it is copied (a store made before resetlab gave ids: a SHA-256 of\n"
    "its runs names it), so merging the same stores again adds nothing. The\n"
    "session ids in ALL are new (its own numbering); the line printed gives them,\n"
    "and `report --sessions merged` reports the sessions this merge named.\n"
    "\n"
    "Refused, with one line and nothing written: a file that is not a resetlab\n"
    "store or is damaged (SQLite's quick_check), a store of a newer schema than\n"
    "this resetlab's, one session id with two different contents (a session\n"
    "resumed in one place after it was copied), ALL named as a source too.\n"
    "Every check is made before the first row is copied; then the stores' new\n"
    "sessions are copied in one transaction, so a merge cut short (a full disk,\n"
    "a kill) leaves ALL as it was; run it again.\n"
    "\n"
    "options:\n"
    "  --db ALL   the store to merge into (required)\n"
    "Limits: 1 to 64 stores in one merge; at most 100000 sessions in ALL and the\n"
    "stores together; paths at most 480 bytes once made absolute; a store's table\n"
    "of at most 96 columns, each named in letters, digits and _ (63 at most).\n"
    "\n"
    "Prints: merged N stores into ALL: A sessions added (R runs), P already there;\n"
    "sessions I,J,K. exit status: 0 merged, 2 bad input (as above) or an I/O error.\n";

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The stores and --db: every path checked, ALL not among the stores. */
static int parse_merge(int argc, char **argv, const char **db, const char **srcs, int *n)
{
    char err[RUN_MAX_PATH + 200];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0) {
            if (i + 1 >= argc)
                return cli_bad_input("merge: --db needs a value%s%s", "", "");
            *db = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0')
            return cli_bad_input("merge: unknown option '%s'%s (resetlab help merge)", a, "");
        else if (*n >= MERGE_MAX_STORES)
            return cli_bad_input("merge: more than 64 stores in one merge%s%s", "", "");
        else
            srcs[(*n)++] = a;
    }
    if (*db == NULL)
        return cli_bad_input("merge: no --db ALL: name the store to merge into (resetlab help merge)%s%s", "", "");
    if (*n == 0)
        return cli_bad_input("merge: no stores to merge into %s%s", *db, "");
    if (run_check_file_path("--db", *db, err, sizeof err) != 0)
        return cli_bad_input("merge: %s%s", err, "");
    for (int k = 0; k < *n; k++) {
        if (run_check_file_path("a store", srcs[k], err, sizeof err) != 0)
            return cli_bad_input("merge: %s%s", err, "");
        struct stat st;
        if (stat(srcs[k], &st) != 0 || !S_ISREG(st.st_mode))
            return cli_bad_input("merge: %s: no such store%s", srcs[k], "");
        if (same_file(srcs[k], *db) || strcmp(srcs[k], *db) == 0)
            return cli_bad_input("merge: %s is the store merged into (--db): name it once%s", srcs[k], "");
    }
    return 0;
}

static int cli_merge(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage, stdout), 0;
    const char *db = NULL, *srcs[MERGE_MAX_STORES];
    int n = 0;
    if (parse_merge(argc, argv, &db, srcs, &n) != 0)
        return 2;
    struct merge_result r;
    char err[1200];
    if (store_merge(db, srcs, n, &r, err, sizeof err) != 0)
        return cli_bad_input("merge: %s%s", err, "");
    printf("merged %d store%s into %s: %d session%s added (%lld runs), %d already there; sessions %s\n", n,
           n == 1 ? "" : "s", db, r.added, r.added == 1 ? "" : "s", (long long)r.runs_added, r.present, r.ids);
    return 0;
}

const struct cli_command cli_merge_command = {"merge", "copy the sessions of other machines' stores into one store",
                                              usage, cli_merge};
