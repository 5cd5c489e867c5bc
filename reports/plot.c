#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utf8.h"

extern char **environ;

#define NS_PER_MS 1e6

/* Series colours, distinguishable on white and by most colour-blind
 * readers; gnuplot's own default cycle includes a pale yellow. */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define PALETTE_N ((int)(sizeof palette / sizeof palette[0]))

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------ text -- */

/* `s` as a gnuplot single-quoted string, where only '' is special (no
 * backslash escapes). Control characters are dropped: a newline would end
 * the command. Literal rendering of ^ _ @ & { } is the caller's
 * `noenhanced`. */
static void put_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('\'', f);
    while (*p) {
        int n = *p >= 0x80 ? utf8_char_len(p) : 1;
        if (n == 0)
            fputc('?', f);
        else if (*p == '\'')
            fputs("''", f);
        else if (*p >= 0x80 || (*p >= 0x20 && *p != 0x7F))
            fwrite(p, 1, (size_t)n, f);
        p += n ? n : 1;
    }
    fputc('\'', f);
}

static void put_textf(FILE *f, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put_text(f, buf);
}

/* A path gnuplot would write somewhere else after put_text's clean-up. */
static int path_is_literal(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p >= 0x80 ? utf8_char_len(p) : (*p >= 0x20 && *p != 0x7F);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/* -------------------------------------------------------------- gnuplot -- */

enum plot_format { FORMAT_SVG, FORMAT_PNG };

static int format_of(const char *path, enum plot_format *fmt)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".svg") == 0)
        *fmt = FORMAT_SVG;
    else if (dot && strcasecmp(dot, ".png") == 0)
        *fmt = FORMAT_PNG;
    else
        return -1;
    return 0;
}

/* Checks the output path and creates the file: gnuplot reports an
 * unwritable output as a warning and then plots to stdout. */
static int prepare_output(const char *path, enum plot_format *fmt, char *err, size_t err_len)
{
    if (path == NULL || *path == '\0')
        return fail(err, err_len, "plot: no output path");
    if (!path_is_literal(path)) /* and it could not go into a one-line message */
        return fail(err, err_len, "plot: output path has control characters or invalid UTF-8");
    if (format_of(path, fmt) < 0)
        return fail(err, err_len, "plot: %s: unknown format (the name must end in .svg or .png)", path);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return fail(err, err_len, "plot: cannot write %s: %s", path, strerror(errno));
    fclose(f);
    return 0;
}

/* Every plot starts from gnuplot's defaults, whatever the plot before it in
 * the same process set (labels, objects, log scales, a multiplot cut short
 * by an error), so a plot draws the same bytes alone or in a batch. */
static void put_prologue(FILE *f, enum plot_format fmt, const char *out_path)
{
    fputs("unset multiplot\nreset\nset encoding utf8\n", f);
    if (fmt == FORMAT_SVG)
        fputs("set terminal svg size 1000,560 dynamic enhanced font 'sans,11' background '#ffffff'\n", f);
    else
        fputs("set terminal pngcairo size 1000,560 enhanced font 'sans,11' background '#ffffff'\n", f);
    for (int i = 0; i < PALETTE_N; i++)
        fprintf(f, "set linetype %d lc rgb '%s' lw 1.5\n", i + 1, palette[i]);
    fprintf(f, "set linetype cycle %d\n", PALETTE_N);
    /* The SVG terminal opens a page with the stroke colour the page before
     * it ended with (the first page of a process: another one again); a
     * throwaway page first makes every page open alike. */
    fputs("set output '/dev/null'\nplot x notitle\nset output ", f);
    /* gnuplot expands a leading ~ in file names; the caller meant a file
     * here (prepare_output created it), so the name is concatenated to ./ */
    if (out_path[0] == '~')
        fputs("'./'.", f);
    put_text(f, out_path);
    fputc('\n', f);
}

#define STATUS_TAG "resetlab-plot"

/* What gnuplot reads on stdin for plot `index`, whose commands are in
 * `file`. gnuplot reads stdin a byte at a time (a read(2) each: 3 s of
 * system time for the default matrix's report) and a loaded file through
 * stdio, so the plots' commands and data are loaded and stdin only names
 * them. An error inside a loaded file ends that file alone: gnuplot goes
 * on with stdin, where each plot reports on stdout whether it drew without
 * one. */
static void put_driver(FILE *f, const char *file, int index)
{
    fputs("reset errors\nload ", f);
    put_text(f, file);
    fprintf(f, "\nunset multiplot\nunset output\nset print '-'\n"
               "print sprintf('" STATUS_TAG " %d %%d %%s', GPVAL_ERRNO, GPVAL_ERRMSG)\n", index);
}

/* An unlinked temporary file (gnuplot's stdin, stdout or stderr): nothing
 * to clean up on any path, and no pipe to deadlock on while gnuplot
 * writes. */
static FILE *temp_open(char *err, size_t err_len)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/resetlab-plot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        fail(err, err_len, "plot: cannot create a temporary file %s: %s", path, strerror(errno));
        return NULL;
    }
    unlink(path);
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* each gnuplot gets its own three, dup'ed to 0, 1 and 2 */
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) {
        fail(err, err_len, "plot: fdopen: %s", strerror(errno));
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
        return fail(err, err_len, "gnuplot not found (%s: %s): apt-get install gnuplot-nox, or set RESETLAB_GNUPLOT",
                    prog, strerror(rc));
    return fail(err, err_len, "cannot run gnuplot (%s): %s", prog, strerror(rc));
}

/* One gnuplot process of a batch: its stdin and what it printed. */
struct job {
    FILE *script, *out, *errs;
    int n_plots;
    long bytes; /* of the plots' commands: the work it has */
    pid_t pid;
    int started;
};

/* Starts gnuplot on the job's script (stdin), stdout and stderr into the
 * job's temporary files. */
static int spawn_gnuplot(struct job *j, char *err, size_t err_len)
{
    if (fflush(j->script) != 0 || ferror(j->script) || fseek(j->script, 0, SEEK_SET) != 0)
        return fail(err, err_len, "plot: cannot write the gnuplot script: %s", strerror(errno));
    if ((j->out = temp_open(err, err_len)) == NULL || (j->errs = temp_open(err, err_len)) == NULL)
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

/* Waits for the job's gnuplot; -1 with one line in err when the process
 * itself failed (as opposed to one of its plots). */
static int wait_gnuplot(struct job *j, char *err, size_t err_len)
{
    int status = 0;
    while (waitpid(j->pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(err, err_len, "plot: waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return fail(err, err_len, "gnuplot (%s) killed by signal %d", gnuplot_program(), WTERMSIG(status));
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
    return fail(err, err_len, "gnuplot failed (exit %d): %s", code, *why ? why : "no message");
}

/* ---------------------------------------------------------------- batch -- */

#define BATCH_MAX_JOBS 4

struct queued_plot {
    char *out_path;
    int job;
    int status;  /* gnuplot's GPVAL_ERRNO once it ran; -1: no status line */
    char *error; /* after plot_batch_run: NULL when written */
};

struct plot_batch {
    char dir[4096]; /* a temporary folder: each plot's commands, N.gp */
    struct job jobs[BATCH_MAX_JOBS];
    int n_jobs;
    struct queued_plot *plots;
    int n, cap;
    int ran;
};

static int default_jobs(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > BATCH_MAX_JOBS ? BATCH_MAX_JOBS : (int)cpus;
}

struct plot_batch *plot_batch_new(int jobs, char *err, size_t err_len)
{
    struct plot_batch *b = calloc(1, sizeof *b);
    if (b == NULL) {
        fail(err, err_len, "plot: out of memory");
        return NULL;
    }
    b->n_jobs = jobs <= 0 ? default_jobs() : jobs > BATCH_MAX_JOBS ? BATCH_MAX_JOBS : jobs;
    const char *tmp = getenv("TMPDIR");
    snprintf(b->dir, sizeof b->dir, "%s/resetlab-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int ok = path_is_literal(b->dir) ? 1 : (fail(err, err_len, "plot: TMPDIR has control characters"), 0);
    if (ok && mkdtemp(b->dir) == NULL) {
        fail(err, err_len, "plot: cannot create a temporary folder %s: %s", b->dir, strerror(errno));
        ok = 0;
    }
    for (int i = 0; ok && i < b->n_jobs; i++)
        ok = (b->jobs[i].script = temp_open(err, err_len)) != NULL;
    if (!ok) {
        plot_batch_free(b);
        return NULL;
    }
    return b;
}

/* The job with the least to draw: the jobs finish at about the same time,
 * and the same plots always land in the same places. */
static int lightest_job(const struct plot_batch *b)
{
    int best = 0;
    for (int i = 1; i < b->n_jobs; i++)
        if (b->jobs[i].bytes < b->jobs[best].bytes)
            best = i;
    return best;
}

static int grow(struct plot_batch *b)
{
    if (b->n < b->cap)
        return 0;
    int cap = b->cap ? 2 * b->cap : 16;
    struct queued_plot *p = realloc(b->plots, sizeof *p * (size_t)cap);
    if (p == NULL)
        return -1;
    b->plots = p;
    b->cap = cap;
    return 0;
}

typedef int (*script_body)(FILE *f, const void *ctx, char *err, size_t err_len);

static void plot_file(const struct plot_batch *b, int index, char *out, size_t len)
{
    snprintf(out, len, "%s/%d.gp", b->dir, index);
}

/* Writes the plot's commands (prologue, body) to its file; -1 with the
 * file removed on failure. Returns the file's size. */
static long write_plot_file(const char *file, enum plot_format fmt, const char *out_path, script_body body,
                            const void *ctx, char *err, size_t err_len)
{
    FILE *f = fopen(file, "w");
    if (f == NULL)
        return fail(err, err_len, "plot: cannot write %s: %s", file, strerror(errno));
    put_prologue(f, fmt, out_path);
    int rc = body(f, ctx, err, err_len);
    long size = ftell(f);
    if ((ferror(f) | fclose(f)) != 0 && rc == 0)
        rc = fail(err, err_len, "plot: cannot write %s", file);
    if (rc < 0)
        unlink(file);
    return rc < 0 ? -1 : size;
}

/* Writes one plot's commands and names them on a job's stdin; on failure
 * nothing is queued and the output is removed. Returns the plot's index. */
static int batch_add(struct plot_batch *b, const char *out_path, script_body body, const void *ctx, char *err,
                     size_t err_len)
{
    enum plot_format fmt = FORMAT_SVG;
    char file[4200];
    if (b->ran)
        return fail(err, err_len, "plot: the batch has already been drawn");
    if (prepare_output(out_path, &fmt, err, err_len) < 0)
        return -1;
    char *path = strdup(out_path);
    if (path == NULL || grow(b) != 0) {
        free(path);
        unlink(out_path);
        return fail(err, err_len, "plot: out of memory");
    }
    plot_file(b, b->n, file, sizeof file);
    long size = write_plot_file(file, fmt, out_path, body, ctx, err, err_len);
    if (size < 0) {
        free(path);
        unlink(out_path);
        return -1;
    }
    struct job *j = &b->jobs[lightest_job(b)];
    put_driver(j->script, file, b->n);
    j->n_plots++;
    j->bytes += size;
    b->plots[b->n] = (struct queued_plot){.out_path = path, .job = (int)(j - b->jobs), .status = -1};
    return b->n++;
}

/* Reads the status lines a job's gnuplot printed. */
static void read_statuses(struct plot_batch *b, struct job *j)
{
    char line[512];
    rewind(j->out);
    while (fgets(line, sizeof line, j->out)) {
        int index, errno_value, used = 0;
        if (sscanf(line, STATUS_TAG " %d %d %n", &index, &errno_value, &used) < 2 || index < 0 || index >= b->n)
            continue;
        struct queued_plot *q = &b->plots[index];
        q->status = errno_value;
        if (errno_value != 0 && q->error == NULL) {
            char why[600];
            line[strcspn(line, "\n")] = '\0';
            snprintf(why, sizeof why, "gnuplot failed on %s: %s", q->out_path, used ? line + used : "no message");
            q->error = strdup(why);
        }
    }
}

/* A plot without an error of its own: written, or the process's reason. */
static void settle_plot(struct queued_plot *q, const char *job_error)
{
    struct stat st;
    char why[600];
    if (q->error == NULL && q->status != 0)
        q->error = strdup(job_error && *job_error ? job_error : "gnuplot stopped before this plot");
    if (q->error == NULL && (stat(q->out_path, &st) < 0 || st.st_size == 0)) {
        snprintf(why, sizeof why, "gnuplot wrote nothing to %s", q->out_path);
        q->error = strdup(why);
    }
    if (q->error != NULL)
        unlink(q->out_path);
}

int plot_batch_run(struct plot_batch *b, char *err, size_t err_len)
{
    if (b->ran)
        return fail(err, err_len, "plot: the batch has already been drawn");
    b->ran = 1;
    char job_error[BATCH_MAX_JOBS][600];
    for (int i = 0; i < b->n_jobs; i++) { /* all started before any is waited for: they run in parallel */
        job_error[i][0] = '\0';
        if (b->jobs[i].n_plots > 0)
            spawn_gnuplot(&b->jobs[i], job_error[i], sizeof job_error[i]);
    }
    for (int i = 0; i < b->n_jobs; i++) {
        struct job *j = &b->jobs[i];
        if (!j->started)
            continue;
        wait_gnuplot(j, job_error[i], sizeof job_error[i]); /* the reason of plots without a status line */
        read_statuses(b, j);
    }
    int failed = 0;
    for (int k = 0; k < b->n; k++) {
        struct queued_plot *q = &b->plots[k];
        settle_plot(q, job_error[q->job]);
        if (q->error != NULL && failed++ == 0)
            fail(err, err_len, "%s", q->error);
    }
    return failed ? -1 : 0;
}

const char *plot_batch_error(const struct plot_batch *b, int index)
{
    if (index < 0 || index >= b->n)
        return "no such plot";
    if (!b->ran)
        return "not drawn yet";
    return b->plots[index].error;
}

void plot_batch_free(struct plot_batch *b)
{
    if (b == NULL)
        return;
    for (int k = 0; k < b->n; k++) {
        char file[4200];
        plot_file(b, k, file, sizeof file);
        unlink(file);
        if (!b->ran) /* queued, never drawn: no empty file left behind */
            unlink(b->plots[k].out_path);
        free(b->plots[k].out_path);
        free(b->plots[k].error);
    }
    if (b->dir[0] && strstr(b->dir, "XXXXXX") == NULL) /* mkdtemp made it */
        rmdir(b->dir);
    for (int i = 0; i < b->n_jobs; i++) {
        struct job *j = &b->jobs[i];
        if (j->started && !b->ran)
            waitpid(j->pid, NULL, 0);
        FILE *files[] = {j->script, j->out, j->errs};
        for (int k = 0; k < 3; k++)
            if (files[k])
                fclose(files[k]);
    }
    free(b->plots);
    free(b);
}

/* A single plot: a batch of one. */
static int draw_alone(struct plot_batch *b, int queued, char *err, size_t err_len)
{
    int rc = b != NULL && queued >= 0 ? plot_batch_run(b, err, err_len) : -1;
    plot_batch_free(b);
    return rc;
}

/* ------------------------------------------------------- timing diagram -- */

/* One EN low pulse and the chip reset it caused, as the plot models it. */
struct en_pulse {
    int64_t low_ns;     /* EN driven low */
    int64_t release_ns; /* EN released and charging; INT64_MAX: not within the trace */
    double tau_s;       /* time constant of the charge after the release */
    double t_chip_ns;   /* the chip leaves reset; NaN when unknown */
    double margin_ms;   /* the analyzer's strap margin; NaN when unknown */
};

static double board_tau_s(const struct board_model *bm)
{
    return bm->en_r_ohms * bm->en_c_farads;
}

/* Time for EN, charging from 0 V with τ, to reach `volts`. */
static double charge_time_s(double tau_s, double vdd, double volts)
{
    if (!(volts > 0 && volts < vdd) || !(tau_s > 0))
        return 0;
    return tau_s * log(vdd / (vdd - volts));
}

static int pulses_from_analysis(const struct analysis *a, const struct board_model *bm, struct en_pulse *out)
{
    int n = a->n_resets < ANALYSIS_MAX_RESETS ? a->n_resets : ANALYSIS_MAX_RESETS;
    for (int i = 0; i < n; i++) {
        const struct reset_event *r = &a->resets[i];
        double tau = r->tau_ms > 0 ? r->tau_ms / 1e3 : board_tau_s(bm);
        int64_t release = r->release_ns;
        /* Release unknown but the chip's release estimated: the model
         * curve must cross VIH at t_chip. */
        if (release < 0 && isfinite(r->t_chip_ns))
            release = (int64_t)(r->t_chip_ns - charge_time_s(tau, bm->vdd, bm->chip.vih_frac * bm->vdd) * 1e9);
        out[i] = (struct en_pulse){.low_ns = r->en_low_ns, .release_ns = release >= 0 ? release : INT64_MAX,
                                   .tau_s = tau, .t_chip_ns = r->t_chip_ns, .margin_ms = r->margin_ms};
    }
    return n;
}

static void pulse_from_rise(struct en_pulse *p, int64_t rise_ns, const struct board_model *bm, double threshold_v)
{
    double vdd = bm->vdd;
    int64_t release = rise_ns - (int64_t)(charge_time_s(p->tau_s, vdd, threshold_v) * 1e9);
    p->release_ns = release > p->low_ns ? release : p->low_ns;
    p->t_chip_ns = (double)p->release_ns + charge_time_s(p->tau_s, vdd, bm->chip.vih_frac * vdd) * 1e9;
}

/* Without an analysis: each EN low pulse the analyzer saw, released
 * τ·ln(VDD/(VDD − threshold)) before EN's rising edge, τ = R·C. */
static int pulses_from_edges(const struct trace *tr, const struct board_model *bm, double threshold_v,
                             struct en_pulse *out)
{
    int n = 0;
    if (!trace_has(tr, CH_EN))
        return 0;
    if (tr->initial[CH_EN] == 0)
        out[n++] = (struct en_pulse){.low_ns = 0, .release_ns = INT64_MAX, .tau_s = board_tau_s(bm),
                                     .t_chip_ns = NAN, .margin_ms = NAN};
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel != CH_EN)
            continue;
        if (e->level == 0 && n < ANALYSIS_MAX_RESETS)
            out[n++] = (struct en_pulse){.low_ns = e->t_ns, .release_ns = INT64_MAX, .tau_s = board_tau_s(bm),
                                         .t_chip_ns = NAN, .margin_ms = NAN};
        else if (e->level == 1 && n > 0 && out[n - 1].release_ns == INT64_MAX)
            pulse_from_rise(&out[n - 1], e->t_ns, bm, threshold_v);
    }
    return n;
}

struct timing_ctx {
    const struct timing_plot *p;
    struct en_pulse pulses[ANALYSIS_MAX_RESETS];
    int n_pulses;
    double threshold_v;
    int64_t from_ns, to_ns;
};

static int64_t first_line_edge(const struct trace *tr)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->edges[i].channel == CH_DTR || tr->edges[i].channel == CH_RTS)
            return tr->edges[i].t_ns;
    return tr->n > 0 ? tr->edges[0].t_ns : 0;
}

/* The first IO0 edge within 100 ms after `t`, else t. In the classic race
 * it is the late IO0 fall the whole diagram is about, and it comes up to
 * tens of ms after the strap window. */
static int64_t late_io0_edge(const struct trace *tr, int64_t t)
{
    for (size_t i = 0; i < tr->n; i++) {
        const struct edge *e = &tr->edges[i];
        if (e->channel == CH_IO0 && e->t_ns > t)
            return e->t_ns <= t + (int64_t)(100 * NS_PER_MS) ? e->t_ns : t;
    }
    return t;
}

/* The end of the last strap window, or of the IO0 edge that missed it. */
static int64_t last_event(const struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    int64_t last = INT64_MIN;
    for (int i = 0; i < c->n_pulses; i++)
        if (isfinite(c->pulses[i].t_chip_ns)) {
            int64_t end = (int64_t)(c->pulses[i].t_chip_ns + c->p->bm->chip.hold_ms * NS_PER_MS);
            last = end > last ? end : last;
        }
    if (last != INT64_MIN)
        return late_io0_edge(tr, last);
    return tr->n > 0 ? tr->edges[tr->n - 1].t_ns : tr->t_end_ns; /* no reset: the last edge */
}

static void auto_window(struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    int64_t from = first_line_edge(tr) - (int64_t)(5 * NS_PER_MS);
    int64_t to = last_event(c) + (int64_t)(10 * NS_PER_MS);
    if (from < 0)
        from = 0;
    if (tr->t_end_ns > 0 && to > tr->t_end_ns)
        to = tr->t_end_ns;
    if (to <= from) /* an empty trace: still a readable, empty diagram */
        to = from + (int64_t)(10 * NS_PER_MS);
    c->from_ns = from;
    c->to_ns = to;
}

static void put_point(FILE *f, int64_t t_ns, double y)
{
    fprintf(f, "%.6f %.4f\n", (double)t_ns / NS_PER_MS, y);
}

/* A digital channel as points for `with steps`: the level at the window's
 * start, each edge inside it, the level at its end. */
static void put_digital(FILE *f, const char *block, const struct timing_ctx *c, enum channel ch, double high)
{
    const struct trace *tr = c->p->tr;
    fprintf(f, "$%s << EOD\n", block);
    if (trace_has(tr, ch)) {
        int level = trace_level_at(tr, ch, c->from_ns);
        put_point(f, c->from_ns, level * high);
        for (size_t i = 0; i < tr->n; i++) {
            const struct edge *e = &tr->edges[i];
            if (e->channel == ch && e->t_ns > c->from_ns && e->t_ns < c->to_ns) {
                level = e->level;
                put_point(f, e->t_ns, level * high);
            }
        }
        put_point(f, c->to_ns, level * high);
    }
    fputs("EOD\n", f);
}

/* What the modelled EN voltage follows between two events. */
struct en_curve {
    int charging;       /* else flat at flat_v */
    double flat_v;
    int64_t release_ns; /* charging from 0 V since */
    double tau_s;
};

static double en_curve_v(const struct en_curve *cv, double vdd, int64_t t_ns)
{
    if (!cv->charging)
        return cv->flat_v;
    if (!(cv->tau_s > 0)) /* no capacitor: EN follows the pull-up at once */
        return vdd;
    return vdd * (1 - exp(-(double)(t_ns - cv->release_ns) / 1e9 / cv->tau_s));
}

/* The curve over [a, b] clipped to the window and after *last: dense over
 * the first 7τ of a charge (where it rises), two points where it is flat. */
static void put_en_segment(FILE *f, const struct en_curve *cv, int64_t a, int64_t b, const struct timing_ctx *c,
                           int64_t *last)
{
    double vdd = c->p->bm->vdd;
    a = a > *last ? a : *last;
    a = a > c->from_ns ? a : c->from_ns;
    b = b < c->to_ns ? b : c->to_ns;
    if (b < a)
        return;
    put_point(f, a, en_curve_v(cv, vdd, a));
    if (cv->charging && cv->tau_s > 0) {
        int64_t rise_end = cv->release_ns + (int64_t)(7 * cv->tau_s * 1e9);
        int64_t dense_end = rise_end < b ? rise_end : b;
        for (int k = 1; k < 200 && dense_end > a; k++) {
            int64_t t = a + (dense_end - a) * k / 200;
            put_point(f, t, en_curve_v(cv, vdd, t));
        }
    }
    put_point(f, b, en_curve_v(cv, vdd, b));
    *last = b;
}

static void put_en_model(FILE *f, const struct timing_ctx *c)
{
    const struct trace *tr = c->p->tr;
    double vdd = c->p->bm->vdd;
    int high_at_start = !trace_has(tr, CH_EN) || tr->initial[CH_EN];
    struct en_curve cv = {.charging = 0, .flat_v = high_at_start ? vdd : 0};
    int64_t cursor = INT64_MIN, last = INT64_MIN;
    fputs("$ENMODEL << EOD\n", f);
    for (int i = 0; i < c->n_pulses; i++) {
        const struct en_pulse *pl = &c->pulses[i];
        put_en_segment(f, &cv, cursor, pl->low_ns, c, &last);
        cv = (struct en_curve){.charging = 0, .flat_v = 0};
        put_en_segment(f, &cv, pl->low_ns, pl->release_ns, c, &last);
        cv = (struct en_curve){.charging = 1, .release_ns = pl->release_ns, .tau_s = pl->tau_s};
        cursor = pl->release_ns;
    }
    put_en_segment(f, &cv, cursor, INT64_MAX, c, &last);
    fputs("EOD\n", f);
}

/* Sampled EN inside the window, at most ~4000 points: beyond that each
 * bucket gives its minimum and maximum, so no edge or dip disappears. */
static void put_en_samples(FILE *f, const struct timing_ctx *c)
{
    const struct analog *an = &c->p->tr->en_v;
    fputs("$ENV << EOD\n", f);
    double per = an->period_ns > 0 ? an->period_ns : 1;
    double lo = ceil((double)(c->from_ns - an->t0_ns) / per), hi = floor((double)(c->to_ns - an->t0_ns) / per) + 1;
    size_t i0 = lo < 0 ? 0 : lo > (double)an->n ? an->n : (size_t)lo;
    size_t i1 = hi < 0 ? 0 : hi > (double)an->n ? an->n : (size_t)hi;
    size_t stride = i1 > i0 ? (i1 - i0 + 1999) / 2000 : 1;
    for (size_t b = i0; b < i1; b += stride) {
        size_t end = b + stride < i1 ? b + stride : i1, mn = b, mx = b;
        for (size_t i = b; i < end; i++) {
            mn = an->v[i] < an->v[mn] ? i : mn;
            mx = an->v[i] > an->v[mx] ? i : mx;
        }
        size_t first = mn < mx ? mn : mx, second = mn < mx ? mx : mn;
        put_point(f, an->t0_ns + (int64_t)((double)first * per), an->v[first]);
        if (second != first)
            put_point(f, an->t0_ns + (int64_t)((double)second * per), an->v[second]);
    }
    fputs("EOD\n", f);
}

/* Lanes, top to bottom, in screen fractions: the plot area runs from
 * LANES_BOTTOM to LANES_TOP, EN gets the most height (it carries the
 * analog curve and two thresholds). */
#define LANES_LEFT 0.13
#define LANES_RIGHT 0.82
#define LANES_BOTTOM 0.10
#define LANES_TOP 0.90
enum lane { LANE_DTR, LANE_RTS, LANE_EN, LANE_IO0, LANE_COUNT };
static const double lane_weight[LANE_COUNT] = {1, 1, 2.4, 1};

static void lane_bounds(enum lane l, double *bottom, double *top)
{
    double total = 0, above = 0;
    for (int i = 0; i < LANE_COUNT; i++) {
        total += lane_weight[i];
        above += i < (int)l ? lane_weight[i] : 0;
    }
    double unit = (LANES_TOP - LANES_BOTTOM) / total;
    *top = LANES_TOP - above * unit;
    *bottom = *top - lane_weight[l] * unit;
}

/* The strap windows, shaded across every lane (objects and arrows stay set
 * for all the panels of the multiplot), and a line where the chip leaves
 * reset. */
static void put_strap_windows(FILE *f, const struct timing_ctx *c)
{
    const struct chip_timing *chip = &c->p->bm->chip;
    double from = (double)c->from_ns / NS_PER_MS, to = (double)c->to_ns / NS_PER_MS;
    for (int i = 0; i < c->n_pulses; i++) {
        double t = c->pulses[i].t_chip_ns / NS_PER_MS;
        if (!isfinite(t))
            continue;
        double a = fmax(t - chip->setup_ms, from), b = fmin(t + chip->hold_ms, to);
        if (b > a)
            fprintf(f,
                    "set object %d rect from first %.6f, graph 0 to first %.6f, graph 1 behind "
                    "fc rgb '#f5a623' fs transparent solid 0.25 noborder\n",
                    i + 1, a, b);
        if (t >= from && t <= to)
            fprintf(f, "set arrow %d from first %.6f, graph 0 to first %.6f, graph 1 nohead "
                    "lc rgb '#b22222' lw 1.2 dt 2 front\n", i + 1, t, t);
    }
}

static void put_chip_labels(FILE *f, const struct timing_ctx *c)
{
    double from = (double)c->from_ns / NS_PER_MS, to = (double)c->to_ns / NS_PER_MS;
    for (int i = 0; i < c->n_pulses; i++) {
        double t = c->pulses[i].t_chip_ns / NS_PER_MS;
        if (isfinite(t) && t >= from && t <= to)
            fprintf(f, "set label %d 'chip leaves reset' at first %.6f, graph 0.93 offset char 0.6, 0 left "
                    "tc rgb '#b22222' font ',10' front\n", 20 + i, t);
    }
}

/* The IO0 edge and window boundary the analyzer measured the margin
 * between: the pair whose distance is |margin|. Returns 0 when none is
 * (IO0 without edges, or a margin from another reset's edge). */
static int margin_span(const struct timing_ctx *c, const struct en_pulse *pl, double *edge_ms, double *bound_ms)
{
    const struct chip_timing *chip = &c->p->bm->chip;
    const struct trace *tr = c->p->tr;
    double t = pl->t_chip_ns / NS_PER_MS, bounds[2] = {t - chip->setup_ms, t + chip->hold_ms};
    double best = INFINITY;
    for (size_t i = 0; i < tr->n; i++) {
        if (tr->edges[i].channel != CH_IO0)
            continue;
        double e = (double)tr->edges[i].t_ns / NS_PER_MS;
        for (int k = 0; k < 2; k++) {
            double miss = fabs(fabs(e - bounds[k]) - fabs(pl->margin_ms));
            if (miss < best) {
                best = miss;
                *edge_ms = e;
                *bound_ms = bounds[k];
            }
        }
    }
    return best < 0.01;
}

/* The strap margin in the IO0 lane: an arrow from the window to the IO0
 * edge it was measured to, red when IO0 missed the window. */
static void put_margins(FILE *f, const struct timing_ctx *c)
{
    double from = (double)c->from_ns / NS_PER_MS, to = (double)c->to_ns / NS_PER_MS;
    for (int i = 0; i < c->n_pulses; i++) {
        const struct en_pulse *pl = &c->pulses[i];
        double edge = 0, bound = 0;
        if (!isfinite(pl->t_chip_ns) || !isfinite(pl->margin_ms) || !margin_span(c, pl, &edge, &bound))
            continue;
        if (fmin(edge, bound) < from || fmax(edge, bound) > to)
            continue;
        const char *colour = pl->margin_ms < 0 ? "#c0392b" : "#1a7f37";
        if (fabs(edge - bound) > 1e-6)
            fprintf(f, "set arrow %d from first %.6f, graph 0.55 to first %.6f, graph 0.55 heads size screen 0.006,30 "
                    "lc rgb '%s' lw 1.5 front\n", 40 + i, bound, edge, colour);
        /* Under the arrow, between the low and high levels, on a white box
         * where it crosses the window's line. */
        fprintf(f, "set label %d 'strap margin %+.2f ms' at first %.6f, graph 0.36 center tc rgb '%s' "
                "font ',10' boxed front\n", 40 + i, pl->margin_ms, (edge + bound) / 2, colour);
    }
}

static void put_lane_frame(FILE *f, enum lane l, const char *name, const char *note)
{
    double bottom, top;
    lane_bounds(l, &bottom, &top);
    fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", top, bottom);
    fprintf(f, "set label 1 '%s' at screen 0.012, screen %.4f left font ',12'\n", name,
            (top + bottom) / 2 + (note ? 0.012 : 0));
    if (note)
        fprintf(f, "set label 2 '%s' at screen 0.012, screen %.4f left font ',9' tc rgb '#555555'\n", note,
                (top + bottom) / 2 - 0.018);
    int bottom_lane = l == LANE_IO0;
    fprintf(f, "set format x '%s'\n", bottom_lane ? "%g" : "");
    fprintf(f, bottom_lane ? "set xlabel 'time (ms)'\n" : "unset xlabel\n");
}

static void put_digital_lane(FILE *f, const struct timing_ctx *c, enum lane l, enum channel ch, const char *colour)
{
    static const char *const names[LANE_COUNT] = {"DTR pin", "RTS pin", "EN", "IO0 pin"};
    put_lane_frame(f, l, names[l], ch == CH_IO0 ? "low = download" : "low = asserted");
    fputs("set yrange [-0.25:1.35]\nset ytics ('low' 0, 'high' 1)\nunset key\n", f);
    if (trace_has(c->p->tr, ch))
        fprintf(f, "plot $%s with steps lw 2 lc rgb '%s' notitle\n", channel_name(ch), colour);
    else
        fputs("set label 3 'not captured' at graph 0.5, graph 0.5 center tc rgb '#777777'\nplot NaN notitle\n", f);
    fputs("unset label\n", f);
}

static void put_en_lane(FILE *f, const struct timing_ctx *c)
{
    const struct board_model *bm = c->p->bm;
    double vdd = bm->vdd, vih = bm->chip.vih_frac * vdd;
    char note[48] = "";
    if (c->n_pulses > 0 && c->pulses[c->n_pulses - 1].tau_s > 0)
        snprintf(note, sizeof note, "τ = %.2f ms", c->pulses[c->n_pulses - 1].tau_s * 1e3);
    put_lane_frame(f, LANE_EN, "EN (V)", *note ? note : NULL);
    put_chip_labels(f, c);
    fprintf(f, "set yrange [-0.25:%.4f]\nset ytics 1 format '%%g'\n", vdd * 1.3);
    fprintf(f, "set key at screen %.3f, screen %.4f left top Left reverse samplen 2 spacing 1.1 font ',10'\n",
            LANES_RIGHT + 0.012, LANES_TOP - 0.02);
    fputs("plot ", f);
    if (c->p->tr->en_v.n > 0)
        fputs("$ENV with lines lw 2 lc rgb '#000000' title 'EN sampled', ", f);
    else
        fputs("$ENMODEL with lines lw 2 lc rgb '#000000' title 'EN, RC model', ", f);
    if (trace_has(c->p->tr, CH_EN))
        fputs("$ENDIG with steps lw 1 lc rgb '#b8b8b8' title 'EN, analyzer', ", f);
    fprintf(f, "%.4f with lines dt 2 lw 1.2 lc rgb '#b22222' title 'chip V_{IH} %.4g V'", vih, vih);
    if (c->threshold_v > 0)
        fprintf(f, ", %.4f with lines dt 3 lw 1.2 lc rgb '#555555' title 'threshold %.4g V'", c->threshold_v,
                c->threshold_v);
    /* A legend entry for the shading, which is an object, not a plot. */
    fputs(", NaN with boxes fs transparent solid 0.25 noborder lc rgb '#f5a623' title 'strap window'", f);
    fputs("\nunset label\nunset key\n", f);
}

static void put_title(FILE *f, const char *title)
{
    if (title == NULL || *title == '\0')
        return;
    fputs("set label 10 ", f);
    put_text(f, title);
    fprintf(f, " at screen 0.5, screen %.4f center noenhanced font ',12'\n", LANES_TOP + 0.05);
}

static int timing_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    const struct timing_ctx *c = ctx;
    const struct trace *tr = c->p->tr;
    put_digital(f, "DTR", c, CH_DTR, 1);
    put_digital(f, "RTS", c, CH_RTS, 1);
    put_digital(f, "IO0", c, CH_IO0, 1);
    put_digital(f, "ENDIG", c, CH_EN, c->p->bm->vdd);
    if (tr->en_v.n > 0)
        put_en_samples(f, c);
    else
        put_en_model(f, c);
    fprintf(f, "set xrange [%.6f:%.6f]\n", (double)c->from_ns / NS_PER_MS, (double)c->to_ns / NS_PER_MS);
    fprintf(f, "set lmargin at screen %.3f\nset rmargin at screen %.3f\n", LANES_LEFT, LANES_RIGHT);
    fputs("set grid xtics lc rgb '#e0e0e0' lw 1 dt 1\nset border 15 lc rgb '#404040'\nset tics nomirror\n"
          "set style textbox opaque noborder margins 1,1\nset mxtics 5\nset multiplot\n", f);
    put_strap_windows(f, c);
    put_title(f, c->p->title);
    put_digital_lane(f, c, LANE_DTR, CH_DTR, "#1f5fbf");
    put_digital_lane(f, c, LANE_RTS, CH_RTS, "#1a8a3a");
    put_en_lane(f, c);
    put_margins(f, c);
    put_digital_lane(f, c, LANE_IO0, CH_IO0, "#7b3fa0");
    fputs("unset multiplot\n", f);
    return 0;
}

int plot_batch_timing(struct plot_batch *b, const char *out_path, const struct timing_plot *p, char *err,
                      size_t err_len)
{
    if (p == NULL || p->tr == NULL || p->bm == NULL)
        return fail(err, err_len, "plot_timing: no trace or no board model");
    if (!(p->bm->vdd > 0))
        return fail(err, err_len, "plot_timing: the board model has no VDD");
    struct timing_ctx c = {.p = p};
    c.threshold_v = p->threshold_v > 0 ? p->threshold_v : p->tr->threshold_v;
    c.n_pulses = p->a ? pulses_from_analysis(p->a, p->bm, c.pulses)
                      : pulses_from_edges(p->tr, p->bm, c.threshold_v, c.pulses);
    if (p->t_from_ns == 0 && p->t_to_ns == 0) {
        auto_window(&c);
    } else {
        if (p->t_to_ns <= p->t_from_ns)
            return fail(err, err_len, "plot_timing: empty time window (%lld..%lld ns)", (long long)p->t_from_ns,
                        (long long)p->t_to_ns);
        c.from_ns = p->t_from_ns;
        c.to_ns = p->t_to_ns;
    }
    return batch_add(b, out_path, timing_body, &c, err, err_len);
}

int plot_timing(const char *out_path, const struct timing_plot *p, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return draw_alone(b, b ? plot_batch_timing(b, out_path, p, err, err_len) : -1, err, err_len);
}

/* -------------------------------------------------------- distributions -- */

struct pooled {
    double *v; /* finite samples of every series, transformed, sorted */
    int n;
    int log_x; /* every sample positive and spanning a factor of 50 or more */
};

static int count_finite(const struct plot_series *s)
{
    int n = 0;
    for (int i = 0; s->x && i < s->n; i++)
        n += isfinite(s->x[i]);
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Finite samples of all series, ascending; NULL on allocation failure. */
static double *sorted_finite(const struct plot_series *series, int n_series, int *n)
{
    int total = 0;
    for (int s = 0; s < n_series; s++)
        total += count_finite(&series[s]);
    double *v = malloc(sizeof *v * (size_t)(total > 0 ? total : 1));
    if (v == NULL)
        return NULL;
    *n = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; series[s].x && i < series[s].n; i++)
            if (isfinite(series[s].x[i]))
                v[(*n)++] = series[s].x[i];
    qsort(v, (size_t)*n, sizeof *v, cmp_double);
    return v;
}

static int pool(const struct plot_series *series, int n_series, struct pooled *p)
{
    p->v = sorted_finite(series, n_series, &p->n);
    if (p->v == NULL)
        return -1;
    p->log_x = p->n > 0 && p->v[0] > 0 && p->v[p->n - 1] / p->v[0] >= 50;
    if (p->log_x)
        for (int i = 0; i < p->n; i++)
            p->v[i] = log10(p->v[i]);
    return 0;
}

static double to_axis(const struct pooled *p, double v)
{
    return p->log_x ? log10(v) : v;
}

static double from_axis(const struct pooled *p, double u)
{
    return p->log_x ? pow(10, u) : u;
}

/* Quantile of sorted values, linear between order statistics (R type 7). */
static double quantile(const double *v, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

struct bins {
    double lo, width; /* on the axis scale (log10 when log_x) */
    int n;
};

/* Freedman–Diaconis width 2·IQR·n^(−1/3) of one series on the axis
 * scale; 0 when it has too few distinct samples; -1 when out of memory. */
static double fd_width(const struct plot_series *s, const struct pooled *p)
{
    int n = 0;
    double *v = sorted_finite(s, 1, &n);
    if (v == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        v[i] = to_axis(p, v[i]);
    double h = n >= 2 ? 2 * (quantile(v, n, 0.75) - quantile(v, n, 0.25)) / cbrt((double)n) : 0;
    free(v);
    return h;
}

/* The narrowest series' Freedman–Diaconis width (robust to the rare spikes
 * of USB latency); the pooled samples' would be the spread *between* hosts
 * and lump a tight host into one bar. 8 to 60 bins over the joint range. */
static int choose_bins(const struct plot_series *series, int n_series, const struct pooled *p, struct bins *out)
{
    if (p->n == 0) {
        *out = (struct bins){.lo = 0, .width = 1, .n = 1};
        return 0;
    }
    double lo = p->v[0], range = p->v[p->n - 1] - lo;
    if (!(range > 0)) { /* every sample equal: one bin around it */
        double half = p->log_x ? 0.5 : fabs(lo) > 0 ? fabs(lo) * 0.1 : 0.5;
        *out = (struct bins){.lo = lo - half, .width = 2 * half, .n = 1};
        return 0;
    }
    double h = INFINITY;
    for (int s = 0; s < n_series; s++) {
        double w = fd_width(&series[s], p);
        if (w < 0)
            return -1;
        h = w > 0 ? fmin(h, w) : h;
    }
    int n = isfinite(h) ? (int)ceil(range / h) : 20;
    n = n < 8 ? 8 : n > 60 ? 60 : n;
    *out = (struct bins){.lo = lo, .width = range / n, .n = n};
    return 0;
}

static int bin_of(const struct bins *b, double u)
{
    int k = (int)floor((u - b->lo) / b->width);
    return k < 0 ? 0 : k >= b->n ? b->n - 1 : k; /* the maximum closes the last bin */
}

/* The outline of one series' histogram, in fractions of its samples. */
static int put_histogram(FILE *f, int index, const struct plot_series *s, const struct pooled *p,
                         const struct bins *b, double *max_frac)
{
    int *count = calloc((size_t)b->n, sizeof *count);
    if (count == NULL)
        return -1;
    int n = count_finite(s);
    for (int i = 0; i < s->n; i++)
        if (isfinite(s->x[i]))
            count[bin_of(b, to_axis(p, s->x[i]))]++;
    fprintf(f, "$S%d << EOD\n", index);
    fprintf(f, "%.9g 0\n", from_axis(p, b->lo));
    for (int k = 0; k < b->n; k++) {
        double frac = (double)count[k] / n;
        *max_frac = frac > *max_frac ? frac : *max_frac;
        fprintf(f, "%.9g %.6f\n%.9g %.6f\n", from_axis(p, b->lo + k * b->width), frac,
                from_axis(p, b->lo + (k + 1) * b->width), frac);
    }
    fprintf(f, "%.9g 0\nEOD\n", from_axis(p, b->lo + b->n * b->width));
    free(count);
    return 0;
}

/* The empirical CDF of one series, for `with steps`, from the left edge of
 * the plot at 0 to its right edge at 1. */
static int put_cdf(FILE *f, int index, const struct plot_series *s, double x_lo, double x_hi)
{
    int n = 0;
    double *v = sorted_finite(s, 1, &n);
    if (v == NULL)
        return -1;
    fprintf(f, "$S%d << EOD\n%.9g 0\n", index, x_lo);
    for (int i = 0; i < n; i++)
        fprintf(f, "%.9g %.6f\n", v[i], (double)(i + 1) / n);
    fprintf(f, "%.9g 1\nEOD\n", x_hi);
    free(v);
    return 0;
}

struct dist_ctx {
    const struct plot_series *series;
    int n_series;
    const char *title, *xlabel;
    int cdf;
};

static void put_common(FILE *f, const char *title, const char *xlabel, const char *ylabel)
{
    if (title && *title) {
        fputs("set title ", f);
        put_text(f, title);
        fputs(" noenhanced font ',12'\n", f);
    }
    fputs("set xlabel ", f);
    put_text(f, xlabel);
    fputs(" noenhanced\nset ylabel ", f);
    put_text(f, ylabel);
    /* The legend goes outside, to the right: it must never hide a tail. */
    fputs(" noenhanced\nset key outside right top Left reverse samplen 2 spacing 1.2\n"
          "set grid lc rgb '#e0e0e0' lw 1 dt 1\nset border 3 lc rgb '#404040'\nset tics nomirror\n", f);
}

static void put_series_legend(FILE *f, const struct plot_series *s, int n_finite, const char *none)
{
    if (n_finite > 0)
        put_textf(f, "%s (n = %d)", s->name ? s->name : "?", n_finite);
    else
        put_textf(f, "%s (%s)", s->name ? s->name : "?", none);
    fputs(" noenhanced", f);
}

/* The x range: the pooled samples with 3 % either side (on the axis scale). */
static void x_range(const struct pooled *p, const struct bins *b, int cdf, double *lo, double *hi)
{
    double a = cdf && p->n > 0 ? p->v[0] : b->lo, z = cdf && p->n > 0 ? p->v[p->n - 1] : b->lo + b->n * b->width;
    double pad = z > a ? (z - a) * 0.03 : p->log_x ? 0.1 : fabs(a) > 0 ? fabs(a) * 0.1 : 0.5;
    *lo = from_axis(p, a - pad);
    *hi = from_axis(p, z + pad);
}

static int put_dist_data(FILE *f, const struct dist_ctx *d, const struct pooled *p, double *y_max)
{
    struct bins b;
    if (choose_bins(d->series, d->n_series, p, &b) < 0)
        return -1;
    double lo, hi;
    x_range(p, &b, d->cdf, &lo, &hi);
    fprintf(f, "set xrange [%.9g:%.9g]\n", lo, hi);
    *y_max = 0;
    for (int s = 0; s < d->n_series; s++) {
        if (count_finite(&d->series[s]) == 0)
            continue;
        int rc = d->cdf ? put_cdf(f, s, &d->series[s], lo, hi) : put_histogram(f, s, &d->series[s], p, &b, y_max);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void put_dist_plot(FILE *f, const struct dist_ctx *d)
{
    fputs("plot ", f);
    for (int s = 0; s < d->n_series; s++) {
        int n = count_finite(&d->series[s]), lt = s % PALETTE_N + 1;
        if (s > 0)
            fputs(", ", f);
        if (n == 0)
            fprintf(f, "NaN with lines lt %d title ", lt);
        else if (d->cdf)
            fprintf(f, "$S%d with steps lt %d lw 2 title ", s, lt);
        else /* a light fill under each outline, so overlapping hosts stay readable */
            fprintf(f, "$S%d with filledcurves y=0 lt %d fs transparent solid 0.12 noborder notitle, "
                    "$S%d with lines lt %d lw 2 title ", s, lt, s, lt);
        put_series_legend(f, &d->series[s], n, "no samples");
    }
    if (d->n_series == 0)
        fputs("NaN notitle", f);
    fputc('\n', f);
}

static int dist_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    const struct dist_ctx *d = ctx;
    struct pooled p;
    if (pool(d->series, d->n_series, &p) < 0)
        return fail(err, err_len, "plot_distribution: out of memory");
    put_common(f, d->title, d->xlabel, d->cdf ? "fraction of samples ≤ x" : "fraction of samples");
    if (p.log_x)
        fputs("set logscale x 10\nset format x '%g'\n", f);
    double y_max = 0;
    int rc = put_dist_data(f, d, &p, &y_max);
    free(p.v);
    if (rc < 0)
        return fail(err, err_len, "plot_distribution: out of memory");
    if (d->cdf)
        fputs("set yrange [-0.02:1.02]\nset ytics 0.25\n", f);
    else
        fprintf(f, "set yrange [0:%.6f]\n", y_max > 0 ? y_max * 1.1 : 1);
    if (p.n == 0)
        fputs("set label 1 'no samples' at graph 0.5, graph 0.5 center tc rgb '#777777'\n", f);
    put_dist_plot(f, d);
    return 0;
}

static int check_series(const char *who, const struct plot_series *series, int n_series, char *err, size_t err_len)
{
    if (n_series < 0 || (n_series > 0 && series == NULL))
        return fail(err, err_len, "%s: no series", who);
    for (int s = 0; s < n_series; s++)
        if (series[s].n < 0 || (series[s].n > 0 && series[s].x == NULL))
            return fail(err, err_len, "%s: series %d has no samples array", who, s);
    return 0;
}

int plot_batch_distribution(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                            const char *title, const char *xlabel, int cdf, char *err, size_t err_len)
{
    if (check_series("plot_distribution", series, n_series, err, err_len) < 0)
        return -1;
    struct dist_ctx d = {.series = series, .n_series = n_series, .title = title, .xlabel = xlabel, .cdf = cdf};
    return batch_add(b, out_path, dist_body, &d, err, err_len);
}

int plot_distribution(const char *out_path, const struct plot_series *series, int n_series, const char *title,
                      const char *xlabel, int cdf, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return draw_alone(b, b ? plot_batch_distribution(b, out_path, series, n_series, title, xlabel, cdf, err, err_len) : -1,
                      err, err_len);
}

/* ---------------------------------------------------------------- trend -- */

struct trend_ctx {
    const struct plot_series *series;
    int n_series;
    const char *title, *ylabel;
};

/* One series as "session value" lines; a blank line for NaN, which gnuplot
 * draws as a break in the line rather than bridging a session without data
 * (one: two blank lines would start a new data set). */
static void put_trend_series(FILE *f, int index, const struct plot_series *s)
{
    fprintf(f, "$S%d << EOD\n", index);
    int broken = 1;
    for (int i = 0; i < s->n; i++) {
        if (isfinite(s->x[i]))
            fprintf(f, "%d %.9g\n", i, s->x[i]);
        else if (!broken)
            fputc('\n', f);
        broken = !isfinite(s->x[i]);
    }
    fputs("EOD\n", f);
}

/* The legend under the plot, in as many columns as the longest name allows
 * in ~130 characters of width. gnuplot does not reserve the rows of a key
 * below the plot and writes the x label over them, so the bottom margin is
 * set here. */
static void put_trend_key(FILE *f, const struct trend_ctx *t)
{
    size_t longest = 0;
    for (int s = 0; s < t->n_series; s++) {
        size_t len = t->series[s].name ? strlen(t->series[s].name) + 10 : 11; /* + " (no data)" */
        longest = len > longest ? len : longest;
    }
    int cols = (int)(130 / (longest + 6));
    cols = cols < 1 ? 1 : cols > 4 ? 4 : cols;
    int rows = (t->n_series + cols - 1) / cols;
    fprintf(f, "set key below left Left reverse samplen 2 spacing 1.1 maxcols %d\nset bmargin %d\n", cols,
            5 + (rows > 0 ? rows : 1));
}

static void trend_ranges(FILE *f, const struct trend_ctx *t)
{
    int sessions = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < t->n_series; s++) {
        const struct plot_series *ser = &t->series[s];
        sessions = ser->n > sessions ? ser->n : sessions;
        for (int i = 0; i < ser->n; i++)
            if (isfinite(ser->x[i])) {
                lo = fmin(lo, ser->x[i]);
                hi = fmax(hi, ser->x[i]);
            }
    }
    fprintf(f, "set xrange [-0.5:%.1f]\nset xtics %d format '%%.0f'\nset mxtics %d\n", sessions > 0 ? sessions - 0.5 : 0.5,
            sessions <= 15 ? 1 : 5, sessions <= 15 ? 1 : 5);
    if (lo > hi) {
        fputs("set yrange [0:1]\nset label 1 'no data' at graph 0.5, graph 0.5 center tc rgb '#777777'\n", f);
        return;
    }
    double pad = hi > lo ? (hi - lo) * 0.06 : fabs(lo) > 0 ? fabs(lo) * 0.05 : 1;
    fprintf(f, "set yrange [%.9g:%.9g]\n", lo - pad, hi + pad);
}

static int trend_body(FILE *f, const void *ctx, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    const struct trend_ctx *t = ctx;
    put_common(f, t->title, "session", t->ylabel);
    /* Cell names are long ("devkitc / vm-usb-passthrough / esptool-classic"):
     * a legend at the side would squeeze the sessions into half the width. */
    put_trend_key(f, t);
    trend_ranges(f, t);
    for (int s = 0; s < t->n_series; s++)
        put_trend_series(f, s, &t->series[s]);
    fputs("plot ", f);
    for (int s = 0; s < t->n_series; s++) {
        int n = count_finite(&t->series[s]), lt = s % PALETTE_N + 1;
        fputs(s > 0 ? ", " : "", f);
        const char *name = t->series[s].name ? t->series[s].name : "?";
        /* past the palette's colours, a series is told apart by a dashed
         * line and square points */
        int again = s >= PALETTE_N;
        if (n > 0) {
            fprintf(f, "$S%d with linespoints lt %d lw 1.5 dt %d pt %d ps 0.7 title ", s, lt, again ? 2 : 1,
                    again ? 5 : 7);
            put_text(f, name);
        } else {
            fprintf(f, "NaN with linespoints lt %d title ", lt);
            put_textf(f, "%s (no data)", name);
        }
        fputs(" noenhanced", f);
    }
    fputs(t->n_series == 0 ? "NaN notitle\n" : "\n", f);
    return 0;
}

int plot_batch_trend(struct plot_batch *b, const char *out_path, const struct plot_series *series, int n_series,
                     const char *title, const char *ylabel, char *err, size_t err_len)
{
    if (check_series("plot_trend", series, n_series, err, err_len) < 0)
        return -1;
    struct trend_ctx t = {.series = series, .n_series = n_series, .title = title, .ylabel = ylabel};
    return batch_add(b, out_path, trend_body, &t, err, err_len);
}

int plot_trend(const char *out_path, const struct plot_series *series, int n_series, const char *title,
               const char *ylabel, char *err, size_t err_len)
{
    struct plot_batch *b = plot_batch_new(1, err, err_len);
    return draw_alone(b, b ? plot_batch_trend(b, out_path, series, n_series, title, ylabel, err, err_len) : -1, err,
                      err_len);
}
