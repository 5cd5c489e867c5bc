/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The gnuplot processes of a batch (plot_internal.h): each one started on
 * its script with unlinked temporary files as stdin, stdout and stderr,
 * waited for (or killed, when a stop is asked for), and its failure told
 * in one line.
 * May call: gnuplot (fork, exec), libc. */
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

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

/* In the child, between fork and exec: only async-signal-safe calls. The
 * exec's failure goes back through `report`, closed on exec. */
static void exec_gnuplot(const int fds[3], int report, pid_t parent, const char *prog, char **argv)
{
    int e;
#ifdef __linux__
    /* gnuplot dies with resetlab, even by SIGKILL: left alone it would go
     * on writing plots into a report folder that is no longer its own */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    for (int k = 0; k < 3; k++)
        if (dup2(fds[k], k) < 0)
            goto failed;
    execvp(prog, argv);
failed:
    e = errno;
    if (write(report, &e, sizeof e) != (ssize_t)sizeof e) {
        /* the exit status says it failed */
    }
    _exit(127);
}

int plot_spawn_gnuplot(struct plot_job *j, char *err, size_t err_len)
{
    if (fflush(j->script) != 0 || ferror(j->script) || fseek(j->script, 0, SEEK_SET) != 0)
        return plot_fail(err, err_len, "plot: cannot write the gnuplot script: %s", strerror(errno));
    if ((j->out = plot_temp_open(err, err_len)) == NULL || (j->errs = plot_temp_open(err, err_len)) == NULL)
        return -1;
    const char *prog = gnuplot_program();
    /* --default-settings: no ~/.gnuplot or system gnuplotrc, so the output
     * does not depend on who runs the report. */
    char *argv[] = {(char *)prog, (char *)"--default-settings", NULL};
    int fds[3] = {fileno(j->script), fileno(j->out), fileno(j->errs)}, report[2];
    if (pipe(report) != 0)
        return plot_fail(err, err_len, "cannot run gnuplot (%s): pipe: %s", prog, strerror(errno));
    fcntl(report[0], F_SETFD, FD_CLOEXEC);
    fcntl(report[1], F_SETFD, FD_CLOEXEC);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0)
        exec_gnuplot(fds, report[1], parent, prog, argv);
    int e = errno;
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return spawn_failed(e, prog, err, err_len);
    }
    ssize_t got;
    while ((got = read(report[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(report[0]);
    if (got == (ssize_t)sizeof e) { /* exec failed: the child is gone */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return spawn_failed(e, prog, err, err_len);
    }
    j->pid = pid;
    j->started = 1;
    return 0;
}

/* Waits for the process; when *stop is set (SIGINT, SIGTERM), kills it
 * first. 0, or -1 when stopped. */
static int wait_or_stop(pid_t pid, volatile sig_atomic_t *stop, int *status)
{
    struct timespec tick = {0, 2000000};
    for (;;) {
        if (stop && *stop)
            kill(pid, SIGKILL);
        pid_t got = waitpid(pid, status, stop && !*stop ? WNOHANG : 0);
        if (got == pid)
            return stop && *stop ? -1 : 0;
        if (got < 0 && errno != EINTR)
            return -1;
        if (got == 0)
            nanosleep(&tick, NULL);
    }
}

int plot_wait_gnuplot(struct plot_job *j, volatile sig_atomic_t *stop, char *err, size_t err_len)
{
    int status = 0;
    if (wait_or_stop(j->pid, stop, &status) != 0) {
        if (stop && *stop)
            return plot_fail(err, err_len, "interrupted");
        return plot_fail(err, err_len, "plot: waitpid: %s", strerror(errno));
    }
    if (WIFSIGNALED(status))
        return plot_fail(err, err_len, "gnuplot (%s) killed by signal %d", gnuplot_program(), WTERMSIG(status));
    char tail[2048];
    read_tail(fileno(j->errs), tail, sizeof tail);
    int code = WEXITSTATUS(status);
    if (code == 0)
        return 0;
    const char *why = last_line(tail);
    /* A shell-style "command not found": a program that ran (a wrapper
     * script) but could not run gnuplot itself. */
    if (code == 127 && *why == '\0')
        return spawn_failed(ENOENT, gnuplot_program(), err, err_len);
    /* A plot's error exits gnuplot with 1 at the end and was reported by
     * its status line; anything else is the process's. */
    return plot_fail(err, err_len, "gnuplot failed (exit %d): %s", code, *why ? why : "no message");
}
