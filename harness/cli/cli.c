/* What every command's options share (cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RESETLAB_DATADIR
#define RESETLAB_DATADIR "."
#endif

int cli_bad_input(const char *fmt, const char *a, const char *b)
{
    fputs("resetlab: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* ./NAME when it exists, else the copy beside the sources. */
const char *cli_default_path(const char *name, char *buf, size_t len)
{
    if (access(name, F_OK) == 0)
        return name;
    snprintf(buf, len, "%s/%s", RESETLAB_DATADIR, name);
    return buf;
}

int cli_parse_count(const char *opt, const char *v, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0 || n < 1 || n > max) {
        char range[32];
        snprintf(range, sizeof range, "1 to %ld", max);
        fprintf(stderr, "resetlab: %s needs a whole number from %s, got '%s'\n", opt, range, v);
        return -1;
    }
    *out = n;
    return 0;
}

int cli_parse_seed(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0)
        return -1;
    *out = n;
    return 0;
}

int cli_is_one_of(const char *opt, const char *const *known)
{
    for (int k = 0; known[k] != NULL; k++)
        if (strcmp(known[k], opt) == 0)
            return 1;
    return 0;
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
    return 0;
}

