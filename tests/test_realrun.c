/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A run on "real hardware" end to end, with what this machine has: the
 * serial port through a fake OS layer (a seam under the backend) and the
 * logic analyzer as libsigrok's demo driver. The demo's lines do not follow
 * the port, so the analysis judges a board that never resets: the point is
 * the plumbing — capture around the sequence, op log aligned to the
 * capture's clock, every analyzer run, errors as infrastructure. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness/run/run_cell.h"
#include "harness/run/run_real.h"
#include "harness/run/run_recorder.h"
#include "harness/run/run_tune.h"
#include "helpers.h"

static struct run_buffers rb;
static int bits_now, n_set, n_bis, n_bic, n_writes, opened, unlocked_moments, n_lists;

/* Whether another process could take the port lock right now: a fresh
 * open file description conflicts with ours, as another job's would. */
static int lock_is_free(const char *device)
{
    char file[512];
    serial_lock_path(device, file, sizeof file);
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        return 1;
    int free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_now;
}

static int fake_open(const char *path, void **handle, char *why, size_t len)
{
    (void)path, (void)why, (void)len;
    *handle = &bits_now;
    bits_now = TIOCM_DTR | TIOCM_RTS; /* Linux raises both in open(2) */
    opened++;
    unlocked_moments += lock_is_free(path);
    return 0;
}
static int fake_close(void *h)
{
    (void)h;
    unlocked_moments += lock_is_free("/dev/ttyUSB7");
    return 0;
}
static int fake_exclusive(void *h) { (void)h; return 0; }
static int fake_get_bits(void *h, int *bits) { (void)h; *bits = bits_now; return 0; }
static int fake_set_bits(void *h, int bits) { (void)h; bits_now = bits; n_set++; return 0; }
static int fake_bis(void *h, int bits) { (void)h; bits_now |= bits; n_bis++; return 0; }
static int fake_bic(void *h, int bits) { (void)h; bits_now &= ~bits; n_bic++; return 0; }
static int fake_write(void *h, const uint8_t *b, size_t n) { (void)h, (void)b, (void)n; n_writes++; return 0; }
/* One CP2102 on USB, as sysfs would describe it. */
static int fake_list(struct serial_port_info *out, int max)
{
    n_lists++; /* a port spec resolved: a port object made */
    if (max < 1)
        return 0;
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB7");
    out->transport = SERIAL_USB;
    out->vid = 0x10c4, out->pid = 0xea60;
    snprintf(out->serial, sizeof out->serial, "0001");
    return 1;
}

static const struct serial_sys fake_sys = {.open = fake_open, .close = fake_close, .exclusive = fake_exclusive, .get_bits = fake_get_bits,
    .set_bits = fake_set_bits, .bis = fake_bis, .bic = fake_bic, .write = fake_write, .list = fake_list};

TestSuite(realrun, .init = suite_lab_setup, .fini = suite_lab_teardown);

/* The devkitc as if on a real port (a USB match, found in the fake port
 * list) and a real analyzer (the demo driver). */
static struct board_profile demo_board(const char *pattern)
{
    struct board_profile b = *lab_board(&suite_lab, "devkitc");
    snprintf(b.port, sizeof b.port, "usb:10c4:ea60");
    /* each test its own lock directory: tests run in parallel on the same fake port */
    static char lock_dir[64];
    snprintf(lock_dir, sizeof lock_dir, "/tmp/resetlab-locks-XXXXXX");
    cr_assert_not_null(mkdtemp(lock_dir));
    setenv("RESETLAB_LOCK_DIR", lock_dir, 1);
    snprintf(b.analyzer.kind, sizeof b.analyzer.kind, "sigrok");
    snprintf(b.analyzer.driver, sizeof b.analyzer.driver, "demo");
    snprintf(b.analyzer.config, sizeof b.analyzer.config, "samplerate=1M:pattern=%s", pattern);
    snprintf(b.analyzer.channels, sizeof b.analyzer.channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0");
    b.analyzer.pretrigger_pct = 20;
    b.analyzer.tail_ms = 150; /* the demo hands over its samples every 100 ms: wait past that before stopping */
    return b;
}

/* One run as a cell makes it: the port claimed (and locked) around it. */
static void run_once(struct sigrok *sr, const struct board_profile *b, const char *scenario)
{
    char err[400];
    struct port *port = port_serial_new(b->port, &fake_sys, err, sizeof err);
    cr_assert_not_null(port, "%s", err);
    run_real_once(sr, b, lab_scenario(&suite_lab, scenario), port, &rb);
    port_serial_free(port);
}

Test(realrun, a_scenario_runs_captured_aligned_and_analyzed)
{
    struct board_profile b = demo_board("all-high");
    cr_assert(board_is_real(&b));
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    run_once(sr, &b, "esptool-tight");
    sigrok_free(sr);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    /* esptool-tight: O, U0,0, U1,1, U0,1, W0.1, U1,0, W0.05, U0,0, D0, S, W0.1: one TIOCMSET per U */
    cr_assert_eq(opened, 1);
    cr_assert_eq(n_set, 5, "%d TIOCMSETs", n_set);
    cr_assert_eq(n_writes, 1, "the SYNC probe");
    /* the demo's lines never move: no reset, so the download expectation fails, for that reason */
    cr_assert_eq(rb.a.n_resets, 0);
    cr_assert_eq(rb.a.verdict, VERDICT_FAIL);
    cr_assert_str_eq(rb.a.findings[0].kind, "no-reset", "%s", rb.a.findings[0].message);
    /* the op log now runs on the capture's clock: inside it, in order, 0.1 s waits kept */
    cr_assert_gt(rb.n_log, 8);
    for (size_t i = 0; i < rb.n_log; i++) {
        cr_assert_geq(rb.log[i].t_before_ns, 0, "op %zu (%s) at %lld ns", i, rb.log[i].label,
                      (long long)rb.log[i].t_before_ns);
        cr_assert_leq(rb.log[i].t_after_ns, rb.tr.t_end_ns, "op %zu ends after the capture", i);
    }
    int64_t wait = rb.log[4].t_after_ns - rb.log[4].t_before_ns;
    cr_assert_str_eq(rb.log[4].label, "W0.1");
    cr_assert(wait >= 100000000 && wait < 150000000, "W0.1 took %lld ns", (long long)wait);
    cr_assert_float_eq(rb.tr.sample_rate_hz, 1e6, 1e-6);
    cr_assert(trace_has(&rb.tr, CH_DTR) && trace_has(&rb.tr, CH_EN) && !trace_has(&rb.tr, CH_RX));
}

/* A capture busier than a run holds (the demo's counter toggles D0 every
 * sample) is an infrastructure error, not a board failure. */
Test(realrun, a_capture_too_busy_is_an_infrastructure_error)
{
    struct board_profile b = demo_board("incremental");
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    run_once(sr, &b, "esptool-hard-reset");
    sigrok_free(sr);
    cr_assert_eq(rb.a.verdict, VERDICT_ERROR);
    cr_assert_str_eq(rb.a.findings[0].kind, "infrastructure");
    cr_assert(strstr(rb.a.findings[0].message, "more than the 4096 a run holds") != NULL, "%s", rb.a.findings[0].message);
}

/* No such analyzer: the run says so, once. */
Test(realrun, a_missing_analyzer_is_an_infrastructure_error)
{
    struct board_profile b = demo_board("all-high");
    snprintf(b.analyzer.driver, sizeof b.analyzer.driver, "nosuchanalyzer");
    struct sigrok *sr = sigrok_new(NULL, 0);
    run_once(sr, &b, "esptool-tight");
    sigrok_free(sr);
    cr_assert_eq(rb.a.verdict, VERDICT_ERROR);
    cr_assert(strstr(rb.a.findings[0].message, "no driver 'nosuchanalyzer'") != NULL, "%s", rb.a.findings[0].message);
}

/* `resetlab run` on a lab with a real board: it runs in --host-label's column, and on a
 * machine without that board every run is an infrastructure error that
 * says what is missing; the simulated boards run as ever. */
Test(realrun, run_reports_a_missing_board_as_errors_not_failures)
{
    char out[1 << 15], err[4096], path[256], args[700];
    char *text = shipped_lab_with_real_board("bench-devkitc", "usb:10c4:ea61:nosuchserial");
    write_temp(text, ".yaml", path, sizeof path);
    free(text);
    snprintf(args, sizeof args,
             "run --boards %s --board bench-devkitc --board devkitc --scenario esptool-tight --iterations 2 "
             "--host-label bench --out /tmp/resetlab-realrun-cli",
             path);
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 3, "exit %d (issue 22: infrastructure errors only exit 3): %s", rc, err);
    cr_assert(strstr(out, " bench\n") && strstr(out, "   error \n"), "no 'bench' column or 'error' cell:\n%s", out);
    cr_assert(strstr(out, "bench-devkitc / bench / esptool-tight: download 0, flash 0, no-reset 0, marginal 0, errors 2; "
                          "no serial port matches usb:10c4:ea61:nosuchserial") != NULL,
              "%s", out);
    cr_assert(strstr(out, "devkitc                esptool-tight            download       100.0%") != NULL, "%s", out);
    cr_assert_eq(system("rm -rf /tmp/resetlab-realrun-cli"), 0);
}

/* A real run kept as a capture: the RX line comes from the capture itself
 * (no byte times as on the virtual lab); reading it back gives the trace. */
Test(realrun, a_real_run_is_kept_as_a_capture)
{
    struct board_profile b = demo_board("walking-one");
    snprintf(b.analyzer.channels, sizeof b.analyzer.channels, "D0=DTR,D1=RTS,D2=EN,D3=IO0,D4=RX");
    snprintf(b.analyzer.config, sizeof b.analyzer.config, "samplerate=2k:pattern=walking-one");
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    const struct scenario *s = lab_scenario(&suite_lab, "esptool-hard-reset");
    run_once(sr, &b, s->name);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    cr_assert(trace_has(&rb.tr, CH_RX) && rb.tr.n > 0, "%zu edges", rb.tr.n);
    char dir[] = "/tmp/resetlab-realcap-XXXXXX", path[256], err[320];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/real.sr", dir);
    cr_assert_eq(run_write_capture(sr, NULL, &b, &real_host, s, 0, 0, &rb, path, err, sizeof err), 0, "%s", err);
    struct trace back;
    cr_assert_eq(sigrok_read(sr, path, NULL, NULL, &back, err, sizeof err), 0, "%s", err);
    sigrok_free(sr);
    cr_assert_eq(back.present, rb.tr.present, "channels %#x, the run had %#x", back.present, rb.tr.present);
    cr_assert_eq(back.n, rb.tr.n, "%zu edges read back, the run had %zu", back.n, rb.tr.n);
    for (size_t i = 0; i < back.n; i++)
        cr_assert(back.edges[i].t_ns == rb.tr.edges[i].t_ns && back.edges[i].channel == rb.tr.edges[i].channel &&
                      back.edges[i].level == rb.tr.edges[i].level,
                  "edge %zu differs", i);
    free(back.edges);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A cell keeps the port locked from its first run to its last, through
 * every close and reopen between runs, and lets go when it ends; a cell
 * that finds the port taken reports every run as an infrastructure error
 * naming the holder. */
Test(realrun, a_cell_holds_the_port_lock_between_runs)
{
    struct board_profile b = demo_board("all-high");
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    char err[400] = "";
    struct cell_sink sink = {.sigrok = sr, .serial = &fake_sys, .err = err, .err_len = sizeof err};
    struct cell_stats cell;
    const struct scenario *s = lab_scenario(&suite_lab, "esptool-hard-reset");
    cr_assert_eq(run_cell(NULL, &b, &real_host, s, 2, 1, &cell, &sink), 0, "%s", err);
    cr_assert_eq(opened, 2, "%d opens", opened);
    cr_assert_eq(n_lists, 1, "the port was claimed %d times, not once for the cell", n_lists);
    cr_assert_eq(unlocked_moments, 0, "the port lock was free at %d opens/closes", unlocked_moments);
    cr_assert(lock_is_free("/dev/ttyUSB7"), "the cell kept the lock after it ended");
    cr_assert_eq(cell.errors, 0);
    cell_free(&cell);

    struct port *holder = port_serial_new(b.port, &fake_sys, err, sizeof err);
    cr_assert_not_null(holder, "%s", err);
    cr_assert_eq(run_cell(NULL, &b, &real_host, s, 2, 1, &cell, &sink), 0, "%s", err);
    port_serial_free(holder);
    sigrok_free(sr);
    cr_assert_eq(opened, 2, "a taken port was opened");
    cr_assert_eq(cell.errors, 2);
    char want[64];
    snprintf(want, sizeof want, "/dev/ttyUSB7 is in use by pid %ld (", (long)getpid());
    const struct finding *worst = cell_worst(&cell);
    cr_assert_not_null(worst);
    cr_assert(strstr(worst->message, want) != NULL, "%s", worst->message);
    cell_free(&cell);
}

/* tune on a real board: each candidate runs through the port and the
 * analyzer; the demo's lines never move, so every candidate fails and
 * stops at its first failure too many. */
Test(realrun, tune_runs_candidates_on_the_real_board_and_stops_early)
{
    struct board_profile b = demo_board("all-high");
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    char err[400];
    struct port *port = port_serial_new(b.port, &fake_sys, err, sizeof err);
    cr_assert_not_null(port, "%s", err);
    struct tune_opts o = {&b, &real_host, 0.9, 1.0, 30, 1, sr, port, 0};
    struct tune_result r = {.family = TUNE_ONE_CALL, .hold_ms = 1, .boot_ms = 20};
    tune_sequence(r.family, r.hold_ms, r.boot_ms, r.reset, sizeof r.reset);
    cr_assert_str_eq(r.reset, "U0,1|W0.001|U1,0|W0.02|U0,0");
    int sets_before = n_set;
    cr_assert_eq(tune_evaluate(&o, &r, 1, err, sizeof err), 0, "%s", err);
    port_serial_free(port);
    sigrok_free(sr);
    /* 30/30 has a 95 % Wilson lower bound of 30/(30 + 1.96²) = 0.887 < 0.9: no
     * outcome of 30 runs can meet the target, so the candidate stops after one */
    cr_assert_eq(r.runs, 1, "stopped after %d runs", r.runs);
    cr_assert_eq(r.passed, 0);
    cr_assert_eq(r.met, 0);
    cr_assert_geq(n_set - sets_before, 3 * r.runs, "three U (TIOCMSET) per run");
}

/* ---- a port that vanishes mid-run and comes back ----
 * The USB adapter is pulled during run 2 (its next TIOCMSET fails with EIO),
 * is still gone when run 3 opens it (ENOENT), and is back for run 4: runs 2
 * and 3 are infrastructure errors saying so, not board failures; the cell
 * goes on, and run 4 reopens the port and is judged as run 1 was. */
#include <errno.h>

static int vanish_opens, vanish_sets_in_run;
static char vanish_released[8]; /* the lines released one by one after the failure, in order */

static int vanish_bic(void *h, int bits)
{
    if (vanish_opens == 2 && vanish_sets_in_run >= 2 && strlen(vanish_released) < sizeof vanish_released - 1)
        strcat(vanish_released, bits == TIOCM_RTS ? "R" : bits == TIOCM_DTR ? "D" : "?");
    return fake_bic(h, bits);
}

static int vanish_open(const char *path, void **handle, char *why, size_t len)
{
    vanish_opens++;
    vanish_sets_in_run = 0;
    if (vanish_opens == 3) {
        snprintf(why, len, "No such file or directory");
        errno = ENOENT;
        return -1;
    }
    return fake_open(path, handle, why, len);
}

static int vanish_set_bits(void *h, int bits)
{
    if (vanish_opens == 2 && ++vanish_sets_in_run == 2) {
        errno = EIO;
        return -1;
    }
    return fake_set_bits(h, bits);
}

/* A cell made as `resetlab run` makes it, on the demo analyzer and a fake
 * seam: each run's runs.jsonl line into `lines`, the stop flag given. */
struct recorded_cell {
    struct sigrok *sr;
    char *lines, err[400];
    size_t lines_len;
    FILE *runs;
    struct recorder rec;
    struct cell_sink sink;
    struct cell_stats cell;
};

static void recorded_cell_open(struct recorded_cell *c, const struct serial_sys *sys, volatile sig_atomic_t *stop)
{
    memset(c, 0, sizeof *c);
    c->sr = sigrok_new(NULL, 0);
    cr_assert_not_null(c->sr);
    c->runs = open_memstream(&c->lines, &c->lines_len);
    cr_assert_not_null(c->runs);
    c->rec = (struct recorder){.runs = c->runs, .stop = stop, .err = c->err, .err_len = sizeof c->err};
    c->sink = (struct cell_sink){.recorder = &c->rec, .sigrok = c->sr, .serial = sys, .err = c->err,
                                 .err_len = sizeof c->err};
}

/* After the cell: lines holds what it recorded (free it with the rest). */
static void recorded_cell_done(struct recorded_cell *c)
{
    sigrok_free(c->sr);
    fclose(c->runs);
}

static void recorded_cell_free(struct recorded_cell *c)
{
    free(c->lines);
    cell_free(&c->cell);
}

Test(realrun, a_port_that_vanishes_is_an_error_and_is_reopened_when_back)
{
    struct serial_sys vanish_sys = fake_sys;
    vanish_sys.open = vanish_open;
    vanish_sys.set_bits = vanish_set_bits;
    vanish_sys.bic = vanish_bic;
    struct board_profile b = demo_board("all-high");
    static struct recorded_cell c;
    recorded_cell_open(&c, &vanish_sys, NULL);
    const struct scenario *s = lab_scenario(&suite_lab, "esptool-tight");
    cr_assert_eq(run_cell(NULL, &b, &real_host, s, 4, 1, &c.cell, &c.sink), 0, "%s", c.err);
    recorded_cell_done(&c);
    cr_assert_eq(vanish_opens, 4, "%d opens", vanish_opens);
    /* after the failure the lines were released RTS first, then DTR (were the
     * port still there, the board is neither held in reset nor strapped) */
    cr_expect_str_eq(vanish_released, "RD");
    cr_assert_eq(c.cell.runs, 4);
    cr_assert_eq(c.cell.errors, 2, "%d errors", c.cell.errors);
    cr_assert_eq(c.cell.failed, 2, "runs 1 and 4 are judged (the demo's lines never move: a fail)");
    /* run by run: judged, the pull named, the absence named, judged again */
    char *line[4] = {c.lines, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        cr_assert_not_null(line[i - 1]);
        line[i] = strchr(line[i - 1], '\n');
        cr_assert_not_null(line[i], "fewer than 4 lines:\n%s", c.lines);
        *line[i]++ = '\0';
    }
    cr_expect(strstr(line[0], "\"verdict\": \"fail\"") != NULL, "run 1: %s", line[0]);
    cr_expect(strstr(line[1], "\"verdict\": \"error\"") && strstr(line[1], "Input/output error"), "run 2: %s", line[1]);
    cr_expect(strstr(line[2], "\"verdict\": \"error\"") && strstr(line[2], "/dev/ttyUSB7: no such port (unplugged?)"), "run 3: %s", line[2]);
    cr_expect(strstr(line[3], "\"verdict\": \"fail\"") != NULL, "run 4 (the port back): %s", line[3]);
    recorded_cell_free(&c);
}

/* ---- SIGINT/SIGTERM in the middle of a real run ----
 * A cell of 3 runs of a scenario with a 3 s wait; another thread sets the
 * stop flag (as the signal handler does) 500 ms into run 2's wait. The
 * wait ends at once; RTS is released, then DTR, then the port closes; the
 * cut-short run is neither in the cell nor recorded, run 3 is never
 * made, and the cell returns 1 (a stop), as run_matrix expects. */
#include <pthread.h>
#include <stdatomic.h>

#include "harness/lab/lab_dsl.h"

static volatile sig_atomic_t stop_flag;
static atomic_int stop_opens;
static atomic_llong stop_open2_ns, stop_set_ns;
static char stop_calls[16]; /* run 2's releases and close, in order: R, D, C */

static void note_run2(char what)
{
    size_t n = strlen(stop_calls);
    if (atomic_load(&stop_opens) == 2 && n + 1 < sizeof stop_calls)
        stop_calls[n] = what;
}

static int stop_open(const char *path, void **handle, char *why, size_t len)
{
    if (atomic_fetch_add(&stop_opens, 1) + 1 == 2)
        atomic_store(&stop_open2_ns, serial_now_ns());
    return fake_open(path, handle, why, len);
}

static int stop_bic(void *h, int bits)
{
    note_run2(bits == TIOCM_RTS ? 'R' : bits == TIOCM_DTR ? 'D' : '?');
    return fake_bic(h, bits);
}

static int stop_close(void *h)
{
    note_run2('C');
    return fake_close(h);
}

/* Sets the stop flag 500 ms after open number *(int *)arg. */
static void *stop_500ms_after_open(void *arg)
{
    while (atomic_load(&stop_opens) < *(const int *)arg)
        usleep(1000);
    usleep(500 * 1000);
    atomic_store(&stop_set_ns, serial_now_ns());
    stop_flag = SIGTERM;
    return NULL;
}

Test(realrun, a_stop_mid_wait_cuts_the_run_short_releases_the_lines_and_records_nothing_of_it)
{
    struct serial_sys stop_sys = fake_sys;
    stop_sys.open = stop_open;
    stop_sys.bic = stop_bic;
    stop_sys.close = stop_close;
    struct board_profile b = demo_board("all-high");
    struct scenario s = *lab_scenario(&suite_lab, "esptool-hard-reset");
    static struct recorded_cell c;
    recorded_cell_open(&c, &stop_sys, &stop_flag);
    cr_assert_eq(dsl_parse("O|U0,1|W3|U1,0|W0.05|U0,0|C", &s.seq[OS_LINUX], c.err, sizeof c.err), 0, "%s", c.err);
    pthread_t th;
    static const int run2_open = 2; /* then run 2 has set one line and is in its 3 s wait */
    cr_assert_eq(pthread_create(&th, NULL, stop_500ms_after_open, (void *)&run2_open), 0);
    int rc = run_cell(NULL, &b, &real_host, &s, 3, 1, &c.cell, &c.sink);
    int64_t t_end = serial_now_ns();
    pthread_join(th, NULL);
    recorded_cell_done(&c);
    op_seq_free(&s.seq[OS_LINUX]);
    double after_stop_ms = (double)(t_end - atomic_load(&stop_set_ns)) / 1e6;
    double into_wait_ms = (double)(t_end - atomic_load(&stop_open2_ns)) / 1e6;
    fprintf(stderr, "realrun: the cell stopped %.1f ms after the stop, %.1f ms after run 2 opened the port\n",
            after_stop_ms, into_wait_ms);
    cr_assert_eq(rc, 1, "run_cell returned %d (%s), not the stop", rc, c.err);
    cr_expect_lt(after_stop_ms, 1000.0, "the cell went on for %.1f ms after the stop", after_stop_ms);
    cr_expect_lt(into_wait_ms, 2000.0, "run 2's 3 s wait was not cut short (%.1f ms)", into_wait_ms);
    cr_expect_str_eq(stop_calls, "RDC", "run 2's releases and close");
    cr_expect_eq(atomic_load(&stop_opens), 2, "run 3 was made");
    cr_expect_eq(c.cell.runs, 1, "%d runs in the cell", c.cell.runs);
    cr_expect_eq(count_of(c.lines, "\n"), 1, "runs.jsonl:\n%s", c.lines);
    cr_expect(strstr(c.lines, "\"iteration\": 0") != NULL, "%s", c.lines);
    recorded_cell_free(&c);
}

/* The capture's tail is part of the run: a stop in it (here 500 ms into a
 * 3 s tail_ms, the sequence done and the port closed) cuts the run short
 * too, with nothing to release and nothing recorded. */
Test(realrun, a_stop_in_the_capture_tail_cuts_the_run_short)
{
    struct serial_sys stop_sys = fake_sys;
    stop_sys.open = stop_open;
    struct board_profile b = demo_board("all-high");
    b.analyzer.tail_ms = 3000;
    static struct recorded_cell c;
    recorded_cell_open(&c, &stop_sys, &stop_flag);
    pthread_t th;
    static const int run1_open = 1; /* esptool-hard-reset takes 200 ms: then the tail */
    cr_assert_eq(pthread_create(&th, NULL, stop_500ms_after_open, (void *)&run1_open), 0);
    int rc = run_cell(NULL, &b, &real_host, lab_scenario(&suite_lab, "esptool-hard-reset"), 2, 1, &c.cell, &c.sink);
    double after_stop_ms = (double)(serial_now_ns() - atomic_load(&stop_set_ns)) / 1e6;
    pthread_join(th, NULL);
    recorded_cell_done(&c);
    fprintf(stderr, "realrun: a stop in the tail ended the cell %.1f ms later\n", after_stop_ms);
    cr_assert_eq(rc, 1, "run_cell returned %d (%s), not the stop", rc, c.err);
    cr_expect_lt(after_stop_ms, 1000.0, "the tail went on for %.1f ms after the stop", after_stop_ms);
    cr_expect_eq(atomic_load(&stop_opens), 1, "run 2 was made");
    cr_expect_eq(c.cell.runs, 0, "%d runs in the cell", c.cell.runs);
    cr_expect_str_eq(c.lines, "", "runs.jsonl:\n%s", c.lines);
    recorded_cell_free(&c);
}

/* ---- the analyzer's capture ending early ----
 * An unplugged or overflowing USB analyzer makes libsigrok end the session
 * on its own, short of its limit; a limit shorter than the scenario ends
 * it at the limit, before the sequence does. Either way the trace is
 * truncated: an infrastructure error naming the figures, never a fail. */
#define MS_NS 1000000LL

static enum capture_end end_of(struct capture_figures f, char *why, size_t len)
{
    why[0] = '\0';
    return capture_end_of(&f, "fx2lafw", why, len);
}

Test(realrun, how_a_capture_ended_is_told_from_its_figures)
{
    char why[200];
    /* at 1 MHz from t = 1000 ms: the sequence ends 400 ms in */
    struct capture_figures f = {.samples = 4000000, .limit_samples = 4000000, .samplerate_hz = 1e6,
                                .start_ns = 1000 * MS_NS, .end_ns = 5000 * MS_NS, .sequence_end_ns = 1400 * MS_NS};
    cr_expect_eq(end_of(f, why, sizeof why), CAPTURE_WHOLE, "at its limit after the sequence: %s", why);
    struct capture_figures g = f;
    g.stopped = 1, g.limit_samples = 0, g.samples = 550000, g.end_ns = 1550 * MS_NS;
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_WHOLE, "stopped by resetlab, no limit: %s", why);
    g = f;
    g.samples = 3970000; /* limit_time rounded by a driver: 0.75 % short */
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_WHOLE, "%s", why);

    g = f;
    g.samples = g.limit_samples = 50000, g.end_ns = 1050 * MS_NS;
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_LIMIT_SHORT);
    cr_expect_str_eq(why, "fx2lafw: the capture stopped at its limit, 50000 samples (50 ms at 1 MHz), before the "
                          "sequence ended 400 ms in: raise limit_samples or limit_time");

    g = f;
    g.samples = 120000, g.end_ns = 1120 * MS_NS;
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_ABORTED);
    cr_expect_str_eq(why, "fx2lafw: the capture ended on its own after 120 ms, 120000 samples of the 4000000 asked; "
                          "the sequence ended 400 ms in: analyzer unplugged or its transfers overflowed");
    g.end_ns = 1450 * MS_NS, g.samples = 450000; /* in the tail, after the sequence: still short of its limit */
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_ABORTED, "%s", why);
    g.limit_samples = 0; /* no limit: only an abort ends it before resetlab stops it */
    cr_expect_eq(end_of(g, why, sizeof why), CAPTURE_ABORTED);
    cr_expect_str_eq(why, "fx2lafw: the capture ended on its own after 450 ms, 450000 samples (no limit set); the "
                          "sequence ended 400 ms in: analyzer unplugged or its transfers overflowed");
    cr_expect_lt(strlen(why), 180, "longer than a finding holds: %s", why);
}

/* The demo driver with a limit shorter than esptool-tight (~300 ms):
 * each run of the cell is an error saying so, the cell goes on; the
 * same for limit_time, which the demo takes itself. */
Test(realrun, a_capture_limit_shorter_than_the_sequence_is_an_error_not_a_fail)
{
    const char *configs[] = {"samplerate=1M:limit_samples=50k:pattern=all-high", "samplerate=1M:limit_time=50:pattern=all-high"};
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    for (int k = 0; k < 2; k++) {
        struct board_profile b = demo_board("all-high");
        snprintf(b.analyzer.config, sizeof b.analyzer.config, "%s", configs[k]);
        char err[400] = "";
        struct cell_sink sink = {.sigrok = sr, .serial = &fake_sys, .err = err, .err_len = sizeof err};
        struct cell_stats cell;
        cr_assert_eq(run_cell(NULL, &b, &real_host, lab_scenario(&suite_lab, "esptool-tight"), 2, 1, &cell, &sink),
                     0, "%s", err);
        cr_expect_eq(cell.errors, 2, "%s: %d errors, %d failed", configs[k], cell.errors, cell.failed);
        cr_expect_eq(cell.failed, 0, "%s", configs[k]);
        const struct finding *worst = cell_worst(&cell);
        cr_assert_not_null(worst);
        fprintf(stderr, "realrun: %s\n", worst->message);
        cr_expect(strstr(worst->message, "demo: the capture stopped at its limit, 50000 samples (50 ms at 1 MHz), "
                                         "before the sequence ended ") &&
                      strstr(worst->message, " ms in: raise limit_samples or limit_time"),
                  "%s: %s", configs[k], worst->message);
        cell_free(&cell);
    }
    sigrok_free(sr);
}

/* A USB analyzer that is not there (fx2lafw on a machine without one):
 * the run opens it again, finds nothing and says so, as an error. */
Test(realrun, an_analyzer_not_plugged_in_is_an_infrastructure_error)
{
    struct board_profile b = demo_board("all-high");
    snprintf(b.analyzer.driver, sizeof b.analyzer.driver, "fx2lafw");
    snprintf(b.analyzer.config, sizeof b.analyzer.config, "samplerate=4M");
    struct sigrok *sr = sigrok_new(NULL, 0);
    cr_assert_not_null(sr);
    run_once(sr, &b, "esptool-tight");
    sigrok_free(sr);
    cr_assert_eq(rb.a.verdict, VERDICT_ERROR);
    cr_expect_str_eq(rb.a.findings[0].message,
                     "fx2lafw: libsigrok's fx2lafw driver found no device (plugged in? try sigrok-cli -d fx2lafw --scan)");
    cr_expect_eq(opened, 0, "the port was opened without an analyzer");
}
