/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The serve suites' fixture (test_serve.c, test_serve_sockets.c): a fresh
 * folder per test, `resetlab serve` started as the resetlab binary on a
 * free port and stopped with SIGTERM (it must exit 0: under ASan, no leak
 * and no memory error), and its serve.jsonl read back. */
#ifndef RESETLAB_SERVE_FIXTURE_H
#define RESETLAB_SERVE_FIXTURE_H

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static char out_dir[64];

static inline void make_dir(void)
{
    snprintf(out_dir, sizeof out_dir, "/tmp/resetlab-serve-XXXXXX");
    cr_assert_not_null(mkdtemp(out_dir));
}

static inline void drop_dir(void)
{
    remove_tree(out_dir);
}

struct server {
    pid_t pid;
    int out_fd;
    int port;
    char url[64];
    char err_path[128];
    char tty[64];       /* with --tty: the port's path */
    char tty_env[1024]; /* and the environment serve printed for it */
};

static inline int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `resetlab serve --listen 127.0.0.1:0 --out DIR ARGS...`, its first stdout
 * line giving the port. */
/* One line of the server's stdout (10 s at most). */
static inline void server_line(struct server *sv, char *line, size_t len)
{
    size_t n = 0;
    struct pollfd pf = {.fd = sv->out_fd, .events = POLLIN};
    while (n + 1 < len && poll(&pf, 1, 10000) == 1 && read(sv->out_fd, line + n, 1) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
}

/* `resetlab serve` on board with `extra` options: over RFC 2217 on a port
 * of its choosing (sv->url), or with --tty on a local virtual port (sv->tty,
 * sv->tty_env). */
static inline void start_server(struct server *sv, const char *board, const char *extra)
{
    const char *bin = getenv("RESETLAB_BIN");
    cr_assert_not_null(bin, "RESETLAB_BIN is set by ctest");
    sv->tty[0] = sv->tty_env[0] = '\0';
    char boards[512];
    src_path("boards.yaml", boards, sizeof boards);
    snprintf(sv->err_path, sizeof sv->err_path, "%s/stderr.txt", out_dir);
    char cmd[2048];
    int tty = strstr(extra, "--tty") != NULL; /* a local virtual port instead of a TCP one */
    snprintf(cmd, sizeof cmd, "exec %s serve --board %s %s --out %s --boards %s %s 2>%s", bin, board,
             tty ? "" : "--listen 127.0.0.1:0", out_dir, boards, extra, sv->err_path);
    int out[2];
    cr_assert_eq(pipe(out), 0);
    sv->pid = fork();
    cr_assert_geq(sv->pid, 0);
    if (sv->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    sv->out_fd = out[0];
    char line[256];
    server_line(sv, line, sizeof line);
    if (tty) { /* "serving B on H at /dev/pts/N (log: ...)" (a USB name on native USB boards), then the environment */
        const char *pts = strstr(line, " at /dev/");
        cr_assert_not_null(pts, "serve said '%s'", line);
        sscanf(pts + 4, "%63s", sv->tty);
        server_line(sv, sv->tty_env, sizeof sv->tty_env);
        cr_assert(strncmp(sv->tty_env, "LD_PRELOAD=", 11) == 0, "serve's second line: '%s'", sv->tty_env);
        return;
    }
    /* rfc2217://, or socket:// for a bridge that sniffs (serve --bridge esp-link) */
    const char *at = strstr(line, "rfc2217://127.0.0.1:");
    const char *raw = strstr(line, "socket://127.0.0.1:");
    cr_assert(at != NULL || raw != NULL, "serve said '%s'", line);
    at = at ? at : raw;
    sv->port = atoi(strstr(at, "127.0.0.1:") + strlen("127.0.0.1:"));
    cr_assert_gt(sv->port, 0);
    snprintf(sv->url, sizeof sv->url, "%s127.0.0.1:%d", raw && at == raw ? "socket://" : "rfc2217://", sv->port);
}

/* SIGTERM; the server must stop cleanly (exit 0: no leak, no ASan error). */
static inline void stop_server(struct server *sv)
{
    kill(sv->pid, SIGTERM);
    int st = 0;
    cr_assert_eq(waitpid(sv->pid, &st, 0), sv->pid);
    close(sv->out_fd);
    size_t len = 0;
    char *err = slurp(sv->err_path, &len);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "serve ended with status %d; stderr:\n%s", st,
              err ? err : "");
    free(err);
}

static inline char *read_log(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/serve.jsonl", out_dir);
    char *log = slurp(path, NULL);
    cr_assert_not_null(log);
    return log;
}

#endif
