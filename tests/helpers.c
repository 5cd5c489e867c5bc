/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared test fixtures (helpers.h says what each does): paths, temporary
 * files, running the CLI and a shell, the leak check, the shipped lab. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/lab/lab_load.h"

#if defined(__SANITIZE_ADDRESS__)
#define RESETLAB_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESETLAB_TEST_LSAN 1
#endif
#endif
#ifdef RESETLAB_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

void assert_no_leaks(const char *what)
{
#ifdef RESETLAB_TEST_LSAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked after %s (see the LeakSanitizer report)", what);
#else
    (void)what;
#endif
}

struct lab suite_lab;
struct sim_world *suite_world;

void suite_lab_setup(void)
{
    load_shipped_lab(&suite_lab);
    suite_world = sim_world_new();
}

void suite_lab_teardown(void)
{
    sim_world_free(suite_world);
    lab_free(&suite_lab);
}

const char *src_path(const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", RESETLAB_SOURCE_DIR, rel);
    return buf;
}

const char *write_temp(const char *text, const char *suffix, char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/resetlab-test-XXXXXX%s", suffix);
    int fd = mkstemps(buf, (int)strlen(suffix));
    cr_assert(fd >= 0, "mkstemps failed");
    size_t n = strlen(text);
    cr_assert(write(fd, text, n) == (ssize_t)n);
    close(fd);
    return buf;
}

void load_shipped_lab(struct lab *lab)
{
    char err[512], boards[512], scen[512];
    cr_assert(lab_load(lab, src_path("boards.yaml", boards, sizeof boards), err, sizeof err) == 0, "%s", err);
    cr_assert(scenarios_load(lab, src_path("scenarios", scen, sizeof scen), err, sizeof err) == 0, "%s", err);
}

char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return s;
}

static void read_into(const char *path, char *buf, size_t len)
{
    size_t n = 0;
    char *s = slurp(path, &n);
    buf[0] = '\0';
    if (s) {
        snprintf(buf, len, "%s", s);
        free(s);
    }
    unlink(path);
}

const char *expect_bad_input(const char *args, const char *want)
{
    static char out[1 << 18], err[1 << 14];
    int rc = run_cli(args, out, sizeof out, err, sizeof err);
    int lines = 0;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(rc, 2, "`resetlab %s` exited %d (stderr: %s)", args, rc, err);
    cr_expect_eq(lines, 1, "`resetlab %s` stderr: %s", args, err);
    cr_expect(strstr(err, want) != NULL, "`resetlab %s` stderr %s lacks '%s'", args, err, want);
    return err;
}

int run_shell(const char *cmd, char *out, size_t out_len, char *err, size_t err_len)
{
    char o[] = "/tmp/resetlab-out-XXXXXX", e[] = "/tmp/resetlab-err-XXXXXX";
    close(mkstemp(o));
    close(mkstemp(e));
    char full[8192];
    cr_assert((size_t)snprintf(full, sizeof full, "( %s ) >%s 2>%s", cmd, o, e) < sizeof full, "command too long");
    int status = system(full);
    read_into(o, out, out_len);
    read_into(e, err, err_len);
    unlink(o);
    unlink(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_cli(const char *args, char *out, size_t out_len, char *err, size_t err_len)
{
    const char *bin = getenv("RESETLAB_BIN");
    cr_assert(bin != NULL, "RESETLAB_BIN is not set (run the tests through ctest)");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s", RESETLAB_SOURCE_DIR, bin, args);
    return run_shell(cmd, out, out_len, err, err_len);
}

void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

const char *test_python(void)
{
    const char *py = getenv("RESETLAB_PYTHON");
    if (py && py[0])
        return py;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

void skip_without_pyserial(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "%s -c 'import serial.rfc2217' 2>/dev/null", test_python());
    if (system(cmd) != 0)
        cr_skip_test("python3-serial is not installed (apt-get install python3-serial)");
}

int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

char *shipped_lab_with_real_board(const char *name, const char *port)
{
    char path[512], *shipped = slurp(src_path("boards.yaml", path, sizeof path), NULL);
    cr_assert_not_null(shipped);
    size_t len = strlen(shipped) + strlen(name) + strlen(port) + 1024;
    char *text = malloc(len);
    cr_assert_not_null(text);
    snprintf(text, len,
             "%s  %s:\n    chip: esp32\n    bridge: cp210x\n    circuit: two-transistor\n"
             "    en: {r_ohms: 10000, c_farads: 1.0e-6, c_tolerance: 0.2}\n"
             "    io0: {pullup_ohms: 10000, c_farads: 10.0e-12}\n    vdd: 3.3\n    port: %s\n"
             "    analyzer: {kind: sigrok, driver: demo, config: \"samplerate=1M:pattern=all-high\", "
             "channels: \"D0=DTR,D1=RTS,D2=EN,D3=IO0\", threshold_v: 1.5, tail_ms: 150, settle_ms: 0.1, "
             "transient_max_ms: 200}\n",
             shipped, name, port);
    free(shipped);
    return text;
}

void gap_samples(double native[N_GAPS], double vm[N_GAPS])
{
    for (int i = 0; i < N_GAPS; i++) {
        native[i] = 0.3 + 1.5 * ((i * 37) % N_GAPS) / N_GAPS;
        vm[i] = 10 + 35.0 * ((i * 53) % N_GAPS) / N_GAPS + (i % 50 == 0 ? 25 : 0);
    }
    vm[7] = NAN;
}

void assert_valid_svg(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    cr_assert_eq(system(cmd), 0, "%s does not parse as XML", path);
}

const char *put_in_dir(const char *dir, const char *name, const char *text)
{
    static char path[8][1024];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs(text, f);
    fclose(f);
    return p;
}
