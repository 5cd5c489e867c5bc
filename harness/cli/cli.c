/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every command's options share (cli.h).
 * May call: harness/lab (loading the lab), libc. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_bad_input(const char *fmt, const char *a, const char *b)
{
    fputs("resetlab: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* ./NAME when it exists, else the lab installed beside the binary, else
 * the copy beside the sources (a binary in the build tree). */
const char *cli_default_path(const char *name, char *buf, size_t len)
{
    if (access(name, F_OK) == 0)
        return name;
    lab_shipped_path(name, buf, len); /* not found: the source tree's path, for the error */
    return buf;
}

/* Digits alone: no sign, blank, 0x or exponent (strtoull would take
 * " 5", "+5" and "-1", the last as 2^64-1). */
static int all_digits(const char *v)
{
    return v[0] != '\0' && strspn(v, "0123456789") == strlen(v);
}

int cli_parse_uint(const char *cmd, const char *opt, const char *v, const char *what, uint64_t lo, uint64_t hi,
                   uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = all_digits(v) ? strtoull(v, &end, 10) : 0;
    if (!all_digits(v) || errno != 0 || n < lo || n > hi) {
        fprintf(stderr, "resetlab: %s: %s needs %s from %llu to %llu, got '%s'\n", cmd, opt, what,
                (unsigned long long)lo, (unsigned long long)hi, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* Digits, then '.' and digits, then e or e- and digits, the last two
 * optional: 0.05, 1e-9, 300. */
static int decimal_form(const char *v)
{
    size_t i = strspn(v, "0123456789");
    if (i == 0)
        return 0;
    if (v[i] == '.') {
        size_t f = strspn(v + i + 1, "0123456789");
        if (f == 0)
            return 0;
        i += 1 + f;
    }
    if (v[i] == 'e' || v[i] == 'E') {
        i += 1 + (v[i + 1] == '-');
        size_t x = strspn(v + i, "0123456789");
        if (x == 0)
            return 0;
        i += x;
    }
    return v[i] == '\0';
}

int cli_decimal(const char *v, double lo, double hi, double *out)
{
    errno = 0;
    double x = decimal_form(v) ? strtod(v, NULL) : 0;
    if (!decimal_form(v) || errno != 0 || !(x >= lo && x <= hi))
        return -1;
    *out = x;
    return 0;
}

int cli_parse_decimal(const char *cmd, const char *opt, const char *v, const char *what, double lo, double hi,
                      double *out)
{
    if (cli_decimal(v, lo, hi, out) == 0)
        return 0;
    fprintf(stderr, "resetlab: %s: %s needs %s from %g to %g, got '%s'\n", cmd, opt, what, lo, hi, v);
    return -1;
}

int cli_is_one_of(const char *opt, const char *const *known)
{
    for (int k = 0; known[k] != NULL; k++)
        if (strcmp(known[k], opt) == 0)
            return 1;
    return 0;
}

/* Options whose value is optional, written only as --NAME=VALUE: the
 * command reads them whole (serve --reset-replay[=STRATEGY]). */
static const char *const own_equals[] = {"--reset-replay=", NULL};

static int splits(const char *a)
{
    for (int k = 0; own_equals[k]; k++)
        if (strncmp(a, own_equals[k], strlen(own_equals[k])) == 0)
            return 0;
    return strncmp(a, "--", 2) == 0 && a[2] != '\0' && a[2] != '=' && strchr(a, '=') != NULL;
}

char **cli_split_equals(int argc, char **argv, int *new_argc)
{
    static char **split; /* reachable to the end: argv's lifetime */
    int n = 0, extra = 0;
    *new_argc = argc;
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        extra += splits(argv[i]);
    if (extra == 0 || (split = calloc((size_t)(argc + extra + 1), sizeof *split)) == NULL)
        return argv;
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        char *copy = splits(argv[i]) ? strdup(argv[i]) : NULL;
        if (copy == NULL) {
            split[n++] = argv[i];
            continue;
        }
        char *eq = strchr(copy, '=');
        *eq = '\0';
        split[n++] = copy;
        split[n++] = eq + 1;
    }
    for (; i < argc; i++)
        split[n++] = argv[i];
    *new_argc = n;
    return split;
}

/* Options every lab command takes; returns 1 when consumed (with *i moved). */
int cli_common_opt(struct cli_common *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--boards") != 0 && strcmp(a, "--scenarios") != 0)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    if (strcmp(a, "--boards") == 0)
        c->boards = argv[++*i];
    else
        c->scenarios = argv[++*i];
    return 1;
}

volatile sig_atomic_t cli_stop_asked;

static void on_stop_signal(int sig)
{
    cli_stop_asked = sig;
    signal(sig, SIG_DFL);
}

void cli_catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_load_lab(struct cli_common *c, struct lab *lab)
{
    char err[512];
    if (c->boards == NULL)
        c->boards = cli_default_path("boards.yaml", c->boards_buf, sizeof c->boards_buf);
    if (c->scenarios == NULL)
        c->scenarios = cli_default_path("scenarios", c->scenarios_buf, sizeof c->scenarios_buf);
    if (lab_load(lab, c->boards, err, sizeof err) != 0 || scenarios_load(lab, c->scenarios, err, sizeof err) != 0) {
        lab_free(lab);
        fprintf(stderr, "resetlab: %s\n", err);
        return -1;
    }
    for (int i = 0; i < lab->n_scenarios; i++) /* loaded, but not as asked: say so once */
        if (lab->scenarios[i].tool && lab->scenarios[i].tool->attempts_capped)
            fprintf(stderr, "resetlab: %s: connect attempts capped at %d (0 is esptool's 'forever'; a run has to end)\n",
                    lab->scenarios[i].file, TOOL_MAX_ATTEMPTS);
    return 0;
}

