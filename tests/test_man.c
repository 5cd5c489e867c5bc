/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The man pages made from the --help texts (harness/cli/cli_man.c): troff
 * escaping by hand-written expectation, and for every command a page that
 * groff reads without a warning and that holds every word its --help
 * prints. Needs groff (groff-base; ci/bootstrap installs it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli_man.h"
#include "helpers.h"

static char out[1 << 17], err[1 << 14];

/* What cli_man_write makes of `help` for a command named "x". */
static char *page_of(const char *help)
{
    static const struct cli_command x = {"x", "does x", NULL, NULL};
    static const struct cli_command *const all[] = {&x};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert(f != NULL);
    cli_man_write(f, &x, help, "9.9", all, 1);
    fclose(f);
    return text;
}

Test(man, escapes_troff_and_reads_the_layout)
{
    char *p = page_of("usage: resetlab x [--a N]\n"
                      "\n"
                      ".dot first, a back\\slash, 'quotes' and `code`, τ = 1.4 ms\n"
                      "  - an item\n"
                      "    going on\n"
                      "\n"
                      "options:\n"
                      "  --a N    alpha\n"
                      "  --bb     beta,\n"
                      "           more beta\n"
                      "\n"
                      "exit status: 0 fine, 2 bad input.\n");
    cr_expect(strstr(p, ".TH RESETLAB\\-X 1 \"\" \"resetlab 9.9\" \"resetlab manual\"\n"), "%s", p);
    cr_expect(strstr(p, ".SH NAME\nresetlab\\-x \\- does x\n"), "%s", p);
    cr_expect(strstr(p, ".SH SYNOPSIS\n.nf\nresetlab x [\\-\\-a N]\n.fi\n"), "%s", p);
    cr_expect(strstr(p, ".SH DESCRIPTION\n.PP\n\\&.dot first, a back\\eslash, \\(aqquotes\\(aq and \\(gacode\\(ga, "
                        "\\[u03C4] = 1.4 ms\n.IP \\(bu 2\nan item\ngoing on\n"),
              "%s", p);
    cr_expect(strstr(p, ".SH OPTIONS\n.TP\n\\fB\\-\\-a\\fR \\fIN\\fR\nalpha\n.TP\n\\fB\\-\\-bb\\fR\nbeta,\nmore beta\n"),
              "%s", p);
    cr_expect(strstr(p, ".SH \"EXIT STATUS\"\n.PP\n0 fine, 2 bad input.\n"), "%s", p);
    cr_expect(strstr(p, ".SH \"SEE ALSO\"\n\\fBresetlab\\fR(1)\n"), "%s", p);
    free(p);
}

Test(man, an_option_list_without_its_header_and_prose_after_it)
{
    /* serve's text: options with no "options:" line; run's: prose after them */
    char *p = page_of("usage: resetlab x\n\nWhat x does.\n\n  --listen HOST:PORT   where\n\nwrites FILE.\n");
    cr_expect(strstr(p, ".SH DESCRIPTION\n.PP\nWhat x does.\n.SH OPTIONS\n.TP\n"
                        "\\fB\\-\\-listen\\fR \\fIHOST:PORT\\fR\nwhere\n.SH NOTES\n.PP\nwrites FILE.\n"),
              "%s", p);
    free(p);
}

/* The words of `text` (blank-separated). */
static int words_of(char *text, char **w, int max)
{
    int n = 0;
    for (char *t = strtok(text, " \t\n"); t && n < max; t = strtok(NULL, " \t\n"))
        w[n++] = t;
    return n;
}

/* The dashes groff prints for \- (and the bullets of items) back in ASCII. */
static void ascii_dashes(char *s)
{
    /* U+2212, U+2010, U+2011, and U+2022: an item's bullet is its "-" */
    static const char *const minus[] = {"\xe2\x88\x92", "\xe2\x80\x90", "\xe2\x80\x91", "\xe2\x80\xa2"};
    for (size_t k = 0; k < sizeof minus / sizeof minus[0]; k++)
        for (char *p; (p = strstr(s, minus[k])) != NULL;) {
            *p = '-';
            memmove(p + 1, p + 3, strlen(p + 3) + 1);
        }
}

/* Every word of `help` (but the labels the page turns into headings) is
 * a word of `page`, as often: nothing --help says is lost. */
static void expect_every_word(const char *name, char *help, char *page)
{
    static char *hw[8192], *pw[16384];
    int nh = words_of(help, hw, 8192), np = words_of(page, pw, 16384);
    static const char *const labels[] = {"usage:", "options:", "commands:", "examples:"};
    for (int i = 0; i < nh; i++) {
        int label = 0;
        for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++)
            label |= strcmp(hw[i], labels[k]) == 0;
        if (label || (strcmp(hw[i], "exit") == 0 && i + 1 < nh && strcmp(hw[i + 1], "status:") == 0 && ++i))
            continue;
        int found = 0;
        for (int j = 0; j < np && !found; j++)
            if (pw[j] != NULL && strcmp(pw[j], hw[i]) == 0) {
                pw[j] = NULL; /* each page word counts once */
                found = 1;
            }
        cr_expect(found, "%s: the man page lacks the word '%s' of its --help", name, hw[i]);
    }
}

static const char *const commands[] = {"run",   "list",    "analyze", "probe", "report", "compare",
                                       "serve", "observe", "tune",    "ports", "calibrate", "help"};

Test(man, every_page_renders_cleanly_and_says_all_that_help_says)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char args[128], file[] = "/tmp/resetlab-man-XXXXXX", cmd[512];
        close(mkstemp(file));
        snprintf(args, sizeof args, "help --man %s >%s", commands[i], file);
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s: %s", commands[i], err);
        snprintf(cmd, sizeof cmd, "groff -man -Tutf8 -ww -z %s", file);
        cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "groff: %s", err);
        cr_expect_str_empty(err, "groff warns on resetlab-%s.1: %s", commands[i], err);
        snprintf(cmd, sizeof cmd, "groff -man -Tutf8 -P-cbou %s", file);
        cr_assert_eq(run_shell(cmd, out, sizeof out, err, sizeof err), 0, "groff: %s", err);
        char *page = strdup(out);
        ascii_dashes(page);
        snprintf(args, sizeof args, "help %s", commands[i]);
        cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0);
        char *help = strdup(out);
        cr_expect(strstr(page, "NAME") && strstr(page, "SYNOPSIS"), "%s", page);
        expect_every_word(commands[i], help, page);
        free(page);
        free(help);
        unlink(file);
    }
}

Test(man, the_main_page_names_every_command_and_its_page)
{
    cr_assert_eq(run_cli("help --man", out, sizeof out, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char entry[64], see[64];
        snprintf(entry, sizeof entry, ".TP\n\\fB%s\\fR\n", commands[i]);
        snprintf(see, sizeof see, "\\fBresetlab\\-%s\\fR(1)", commands[i]);
        cr_expect(strstr(out, entry) && strstr(out, see), "resetlab.1 lacks %s: %s", commands[i], out);
    }
}

Test(man, man_pages_writes_one_page_per_command)
{
    char dir[] = "/tmp/resetlab-manpages-XXXXXX", args[128], path[256];
    cr_assert(mkdtemp(dir));
    snprintf(args, sizeof args, "help --man-pages %s", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/resetlab.1", dir);
    cr_expect(access(path, R_OK) == 0);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        snprintf(path, sizeof path, "%s/resetlab-%s.1", dir, commands[i]);
        size_t len = 0;
        char *text = slurp(path, &len);
        cr_expect(text && strstr(text, ".SH NAME"), "%s", path);
        free(text);
    }
    remove_tree(dir);
}

Test(man, bad_input_is_one_line)
{
    expect_bad_input("help --man bogus", "help: unknown command 'bogus'");
    expect_bad_input("help --man run tune", "help: --man takes one command at most");
    expect_bad_input("help --man-pages", "help: --man-pages needs one folder");
    expect_bad_input("help --man-pages /nonexistent/resetlab", "/nonexistent/resetlab/resetlab.1: No such file");
}

/* Every command the main --help lists answers `CMD --help` and `-h` with
 * the text `help CMD` prints, exit 0, and nothing on stderr (calibrate's
 * --help was an unknown option until this test). */
Test(man, every_command_answers_help_as_help_does)
{
    static char top[16384], want[65536], got[65536], errs[4096];
    cr_assert_eq(run_cli("--help", top, sizeof top, errs, sizeof errs), 0);
    const char *at = strstr(top, "\ncommands:\n");
    cr_assert_not_null(at, "%s", top);
    int n = 0;
    for (const char *line = at + 11; *line == ' '; line = strchr(line, '\n') + 1) {
        char name[32], cmd[64];
        cr_assert_eq(sscanf(line, " %31s", name), 1);
        if (strcmp(name, "help") == 0)
            break;
        snprintf(cmd, sizeof cmd, "help %s", name);
        cr_assert_eq(run_cli(cmd, want, sizeof want, errs, sizeof errs), 0, "%s: %s", cmd, errs);
        const char *flags[] = {"--help", "-h"};
        for (int f = 0; f < 2; f++) {
            snprintf(cmd, sizeof cmd, "%s %s", name, flags[f]);
            int rc = run_cli(cmd, got, sizeof got, errs, sizeof errs);
            cr_expect_eq(rc, 0, "`resetlab %s` exits %d: %s", cmd, rc, errs);
            cr_expect_str_eq(got, want, "`resetlab %s` is not `resetlab help %s`", cmd, name);
            cr_expect_str_empty(errs, "`resetlab %s` wrote to stderr: %s", cmd, errs);
        }
        n++;
    }
    cr_expect_geq(n, 11, "only %d commands listed:\n%s", n, top);
}
