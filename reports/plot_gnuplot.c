/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gnuplot processes of a batch (plot_internal.h): each one started on
 * its script with unlinked temporary files as stdin, stdout and stderr,
 * waited for, and its failure told in one line.
 * May call: gnuplot (posix_spawn), libc. */
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

FILE *plot_temp_open(char *err, size_t err_len)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/resetlab-plot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        plot_fail(err, err_len, "plot: cannot create a temporary file %s: %s", path, strerror(errno));
        return NULL;
    }
    unlink(path);
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* each gnuplot gets its own three, dup'ed to 0, 1 and 2 */
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) {
        plot_fail(err, err_len, "plot: fdopen: %s", strerror(errno));
        close(fd);
    }
    return f;
}

/* Reads `fd` from its start to its end, keeping the last len - 1 bytes:
 * gnuplot's error comes last, after the echo of the failing command. */
static void read_tail(int fd, char *buf, size_t len)
{
    size_t used = 0;
    char chunk[1024];
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t n = (size_t)got < len - 1 ? (size_t)got : len - 1;
        if (used + n > len - 1) {
            size_t drop = used + n - (len - 1);
            memmove(buf, buf + drop, used - drop);
            used -= drop;
        }
        memcpy(buf + used, chunk + (size_t)got - n, n);
        used += n;
    }
    buf[used] = '\0';
}

/* The last non-blank line of `text`, trimmed, in place. */
static const char *last_line(char *text)
{
    char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    while (*start == ' ' || *start == '\t')
        start++;
    return start;
}

static const char *gnuplot_program(void)
{
    const char *prog = getenv("RESETLAB_GNUPLOT");
    return prog && *prog ? prog : "gnuplot";
}

static int spawn_failed(int rc, const char *prog, char *err, size_t err_len)
{
    if (rc == ENOENT || rc == EACCES || rc == ENOTDIR)
        return plot_fail(err, err_len,
                         "gnuplot not found (%s: %s): apt-get install gnuplot-nox, or set RESETLAB_GNUPLOT", prog,
                         strerror(rc));
    return plot_fail(err, err_len, "cannot run gnuplot (%s): %s", prog, strerror(rc));
}

int plot_spawn_gnuplot(struct plot_job *j, char *err, size_t err_len)
{
    if (fflush(j->script) != 0 || ferror(j->script) || fseek(j->script, 0, SEEK_SET) != 0)
        return plot_fail(err, err_len, "plot: cannot write the gnuplot script: %s", strerror(errno));
    if ((j->out = plot_temp_open(err, err_len)) == NULL || (j->errs = plot_temp_open(err, err_len)) == NULL)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(j->script), 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(j->out), 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(j->errs), 2);
    const char *prog = gnuplot_program();
    /* --default-settings: no ~/.gnuplot or system gnuplotrc, so the output
     * does not depend on who runs the report. */
    char *argv[] = {(char *)prog, (char *)"--default-settings", NULL};
    int rc = posix_spawnp(&j->pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return spawn_failed(rc, prog, err, err_len);
    j->started = 1;
    return 0;
}

int plot_wait_gnuplot(struct plot_job *j, char *err, size_t err_len)
{
    int status = 0;
    while (waitpid(j->pid, &status, 0) < 0)
        if (errno != EINTR)
            return plot_fail(err, err_len, "plot: waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return plot_fail(err, err_len, "gnuplot (%s) killed by signal %d", gnuplot_program(), WTERMSIG(status));
    char tail[2048];
    read_tail(fileno(j->errs), tail, sizeof tail);
    int code = WEXITSTATUS(status);
    if (code == 0)
        return 0;
    const char *why = last_line(tail);
    /* A shell-style "command not found" from a C library whose posix_spawn
     * reports exec failures only through the exit status. */
    if (code == 127 && *why == '\0')
        return spawn_failed(ENOENT, gnuplot_program(), err, err_len);
    /* A plot's error exits gnuplot with 1 at the end and was reported by
     * its status line; anything else is the process's. */
    return plot_fail(err, err_len, "gnuplot failed (exit %d): %s", code, *why ? why : "no message");
}
