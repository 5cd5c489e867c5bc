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

/* Length of the well-formed UTF-8 sequence at `s`; 0 when it is not one
 * (a name cut mid-character by snprintf, bytes quoted from a port). gnuplot
 * copies text into the SVG as it is, and one bad byte makes the whole file
 * unparsable. */
static int utf8_len(const unsigned char *s)
{
    static const uint32_t shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4)
        return 0;
    uint32_t cp = s[0] & (0x7Fu >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < shortest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

/* `s` as a gnuplot single-quoted string, where only '' is special (no
 * backslash escapes). Control characters are dropped: a newline would end
 * the command. Literal rendering of ^ _ @ & { } is the caller's
 * `noenhanced`. */
static void put_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('\'', f);
    while (*p) {
        int n = *p >= 0x80 ? utf8_len(p) : 1;
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
        int n = *p >= 0x80 ? utf8_len(p) : (*p >= 0x20 && *p != 0x7F);
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

static void put_prologue(FILE *f, enum plot_format fmt, const char *out_path)
{
    fputs("set encoding utf8\n", f);
    if (fmt == FORMAT_SVG)
        fputs("set terminal svg size 1000,560 dynamic enhanced font 'sans,11' background '#ffffff'\n", f);
    else
        fputs("set terminal pngcairo size 1000,560 enhanced font 'sans,11' background '#ffffff'\n", f);
    fputs("set output ", f);
    /* gnuplot expands a leading ~ in file names; the caller meant a file
     * here (prepare_output created it), so the name is concatenated to ./ */
    if (out_path[0] == '~')
        fputs("'./'.", f);
    put_text(f, out_path);
    fputc('\n', f);
    for (int i = 0; i < PALETTE_N; i++)
        fprintf(f, "set linetype %d lc rgb '%s' lw 1.5\n", i + 1, palette[i]);
    fprintf(f, "set linetype cycle %d\n", PALETTE_N);
}

/* The script goes to an unlinked temporary file that becomes gnuplot's
 * stdin: nothing to clean up on any path, and no pipe to deadlock on while
 * gnuplot writes warnings. */
static FILE *script_open(char *err, size_t err_len)
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
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) {
        fail(err, err_len, "plot: fdopen: %s", strerror(errno));
        close(fd);
    }
    return f;
}

/* Reads `fd` to its end, keeping the last len - 1 bytes: gnuplot's error
 * comes last, after the echo of the failing command. */
static void read_tail(int fd, char *buf, size_t len)
{
    size_t used = 0;
    char chunk[1024];
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

/* Starts gnuplot with `script_fd` as stdin, stdout discarded and stderr
 * into a pipe whose read end is returned in *stderr_fd. */
static int spawn_gnuplot(int script_fd, pid_t *pid, int *stderr_fd, char *err, size_t err_len)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) < 0)
        return fail(err, err_len, "plot: pipe: %s", strerror(errno));
    /* Only the copies dup2'ed to 0 and 2 may reach gnuplot. */
    fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, script_fd, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
    const char *prog = gnuplot_program();
    /* --default-settings: no ~/.gnuplot or system gnuplotrc, so the output
     * does not depend on who runs the report. */
    char *argv[] = {(char *)prog, (char *)"--default-settings", NULL};
    int rc = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipe_fds[1]);
    if (rc != 0) {
        close(pipe_fds[0]);
        return spawn_failed(rc, prog, err, err_len);
    }
    *stderr_fd = pipe_fds[0];
    return 0;
}

static int wait_gnuplot(pid_t pid, int stderr_fd, char *err, size_t err_len)
{
    char tail[2048];
    read_tail(stderr_fd, tail, sizeof tail);
    close(stderr_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(err, err_len, "plot: waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return fail(err, err_len, "gnuplot (%s) killed by signal %d", gnuplot_program(), WTERMSIG(status));
    int code = WEXITSTATUS(status);
    const char *why = last_line(tail);
    /* A shell-style "command not found" from a C library whose posix_spawn
     * reports exec failures only through the exit status. */
    if (code == 127 && *why == '\0')
        return spawn_failed(ENOENT, gnuplot_program(), err, err_len);
    if (code != 0)
        return fail(err, err_len, "gnuplot failed (exit %d): %s", code, *why ? why : "no message");
    return 0;
}

static int run_gnuplot(FILE *script, const char *out_path, char *err, size_t err_len)
{
    if (fflush(script) != 0 || ferror(script) || fseek(script, 0, SEEK_SET) != 0)
        return fail(err, err_len, "plot: cannot write the gnuplot script: %s", strerror(errno));
    pid_t pid;
    int stderr_fd = -1;
    if (spawn_gnuplot(fileno(script), &pid, &stderr_fd, err, err_len) < 0)
        return -1;
    if (wait_gnuplot(pid, stderr_fd, err, err_len) < 0)
        return -1;
    struct stat st;
    if (stat(out_path, &st) < 0 || st.st_size == 0)
        return fail(err, err_len, "gnuplot wrote nothing to %s", out_path);
    return 0;
}

typedef int (*script_body)(FILE *f, const void *ctx, char *err, size_t err_len);

/* Prologue, body, run; removes the output on failure. */
static int plot_with(const char *out_path, script_body body, const void *ctx, char *err, size_t err_len)
{
    enum plot_format fmt = FORMAT_SVG;
    if (prepare_output(out_path, &fmt, err, err_len) < 0)
        return -1;
    FILE *script = script_open(err, err_len);
    int rc = script ? 0 : -1;
    if (rc == 0) {
        put_prologue(script, fmt, out_path);
        rc = body(script, ctx, err, err_len);
    }
    if (rc == 0) {
        fputs("unset output\n", script);
        rc = run_gnuplot(script, out_path, err, err_len);
    }
    if (script)
        fclose(script);
    if (rc < 0)
        unlink(out_path);
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

int plot_timing(const char *out_path, const struct timing_plot *p, char *err, size_t err_len)
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
    return plot_with(out_path, timing_body, &c, err, err_len);
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

int plot_distribution(const char *out_path, const struct plot_series *series, int n_series, const char *title,
                      const char *xlabel, int cdf, char *err, size_t err_len)
{
    if (check_series("plot_distribution", series, n_series, err, err_len) < 0)
        return -1;
    struct dist_ctx d = {.series = series, .n_series = n_series, .title = title, .xlabel = xlabel, .cdf = cdf};
    return plot_with(out_path, dist_body, &d, err, err_len);
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
        if (n > 0) {
            fprintf(f, "$S%d with linespoints lt %d lw 1.5 pt 7 ps 0.7 title ", s, lt);
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

int plot_trend(const char *out_path, const struct plot_series *series, int n_series, const char *title,
               const char *ylabel, char *err, size_t err_len)
{
    if (check_series("plot_trend", series, n_series, err, err_len) < 0)
        return -1;
    struct trend_ctx t = {.series = series, .n_series = n_series, .title = title, .ylabel = ylabel};
    return plot_with(out_path, trend_body, &t, err, err_len);
}
