/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tools as data (issue #19): the shipped tool files run their connect
 * loops as the tools' own code does, checked op by op and ms by ms on a
 * host whose requests take exactly 1 ms; the known field cases on the
 * shipped host profiles; esptool.cfg's overrides; bad tool files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_cell.h"
#include "helpers.h"

TestSuite(tools, .init = suite_lab_setup, .fini = suite_lab_teardown);

static struct run_buffers rb;

static struct host_profile fixed_host(enum host_os os, enum port_kind port)
{
    struct host_profile h = {.os = os, .port = port, .request = {.floor_ms = 1, .median_ms = 1}};
    snprintf(h.name, sizeof h.name, "fixed-1ms");
    return h;
}

static const struct analysis *run_tool_on(const char *board, const struct host_profile *h, const struct scenario *s,
                                          uint64_t seed)
{
    const struct board_profile *b = lab_board(&suite_lab, board);
    cr_assert(b && s, "%s missing", board);
    run_sim_once(suite_world, b, h, s, seed, &rb);
    cr_assert_neq(rb.a.verdict, VERDICT_ERROR, "%s", rb.a.findings[0].message);
    return &rb.a;
}

/* The op log's labels from op `from` on, joined by '|'. */
static const char *labels(size_t from, size_t n, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = from; i < from + n && i < rb.n_log; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i > from ? "|" : "", rb.log[i].label);
    return buf;
}

/* esptool 4.x on Linux, local port: UnixTightReset 0.05 first (loader.py
 * _construct_reset_strategy_sequence), then SYNC (sync(): 0.1 s). Every
 * request takes 1 ms, waits are exact: U0,0 U1,1 U0,1 done at 4 ms, W0.1
 * to 104 ms, U1,0 at 105 ms (EN and IO0 in one request), W0.05 to 155 ms,
 * U0,0 and D0 at 157 ms; the 46-byte SYNC is at the chip 3.993 ms later
 * (160.993 ms), long after the ROM listens (105 + 13.863 + 1 ms + its
 * banner); its first 14-byte reply ends 1.215 ms after that: 162.208 ms
 * from the open. */
Test(tools, esptool4_on_linux_connects_with_unix_tight_in_162_ms)
{
    struct host_profile h = fixed_host(OS_LINUX, PORT_LOCAL);
    const struct analysis *a = run_tool_on("devkitc", &h, lab_scenario(&suite_lab, "esptool-4"), 1);
    char buf[512];
    cr_assert_str_eq(labels(0, 10, buf, sizeof buf), "O|U0,0|U1,1|U0,1|W0.1|U1,0|W0.05|U0,0|D0|S");
    cr_assert(a->tool.ran && a->tool.connected && a->tool.attempts == 1);
    cr_assert_str_eq(a->tool.strategy, "UnixTightReset 0.05");
    cr_assert(fabs(a->tool.connect_ms - 162.208) < 0.002, "connected after %.4f ms", a->tool.connect_ms);
    /* then --after hard_reset: HardReset R1 (DTR written again), 0.1 s, R0; the app boots */
    cr_assert_eq(a->tool.after, BOOT_FLASH);
    cr_assert_eq(a->verdict, VERDICT_PASS);
    cr_assert_eq(a->outcome, BOOT_DOWNLOAD);
    cr_assert(fabs(a->margin_ms - 13.863) < 0.01, "the connecting reset's margin %.4f ms", a->margin_ms);
}

/* esptool 4.8+ on Windows: O0 (dtr = rts = False before the open), then
 * ClassicReset 0.05: D0, R1, W0.1, D1, R0, W0.05, D0, each R followed by
 * _setRTS's write of DTR (one logged op, two line requests). */
Test(tools, esptool4_on_windows_uses_classic_reset_with_the_dtr_rewrite)
{
    struct host_profile h = fixed_host(OS_WINDOWS, PORT_LOCAL);
    const struct analysis *a = run_tool_on("devkitc", &h, lab_scenario(&suite_lab, "esptool-4"), 1);
    char buf[512];
    cr_assert_str_eq(labels(0, 9, buf, sizeof buf), "O0|D0|R1|W0.1|D1|R0|W0.05|D0|S");
    cr_assert_str_eq(a->tool.strategy, "ClassicReset 0.05");
    /* R1 took two requests (RTS, then DTR again): 1 ms for D0, 2 ms for R1 */
    cr_assert_eq(rb.log[2].t_after_ns - rb.log[2].t_before_ns, 2000000);
    cr_assert_eq(rb.log[1].t_after_ns - rb.log[1].t_before_ns, 1000000);
    cr_assert(a->tool.connected && a->tool.attempts == 1);
}

/* Over rfc2217:// esptool has ClassicReset alone, whatever the OS. */
Test(tools, esptool4_over_rfc2217_uses_classic_reset_only)
{
    struct host_profile h = fixed_host(OS_LINUX, PORT_RFC2217);
    const struct analysis *a = run_tool_on("devkitc", &h, lab_scenario(&suite_lab, "esptool-4"), 1);
    cr_assert_str_eq(a->tool.strategy, "ClassicReset 0.05");
    for (size_t i = 0; i < rb.n_log; i++)
        cr_assert(rb.log[i].label[0] != 'U', "op %zu is %s: no U step over rfc2217", i, rb.log[i].label);
}

/* The USB-Serial/JTAG PID 0x1001 picks USBJTAGSerialReset on every
 * attempt; the ROM's banner then comes over USB. */
Test(tools, the_usb_jtag_pid_picks_the_usb_reset)
{
    struct host_profile h = fixed_host(OS_LINUX, PORT_LOCAL);
    const struct analysis *a = run_tool_on("esp32c3-usb", &h, lab_scenario(&suite_lab, "esptool-4"), 1);
    cr_assert_str_eq(a->tool.strategy, "USBJTAGSerialReset");
    cr_assert(a->tool.connected && a->tool.after == BOOT_FLASH);
}

/* esptool 3.x: every attempt fails on a board without its EN capacitor
 * (the classic race on any host), and it cycles 0.05 and 0.5 s over 7
 * attempts, then says what it saw: the flash-boot banner. */
Test(tools, esptool3_runs_out_of_attempts_and_says_why)
{
    struct host_profile h = fixed_host(OS_LINUX, PORT_LOCAL);
    const struct analysis *a = run_tool_on("nodemcu-nocap", &h, lab_scenario(&suite_lab, "esptool-3"), 1);
    cr_assert(!a->tool.connected);
    cr_assert_eq(a->tool.attempts, 7);
    cr_assert_str_eq(a->tool.strategy, "ClassicReset 0.05", "attempt 7 of the cycle 0.05, 0.5, 0.05, ...");
    cr_assert_str_eq(a->tool.error, "Failed to connect to Espressif device: Wrong boot mode detected (0x13)! The chip "
                                    "needs to be in download mode.");
    cr_assert_eq(a->verdict, VERDICT_FAIL);
    cr_assert_str_eq(a->findings[0].kind, "tool-failed");
    int waits = 0; /* 7 attempts × 5 SYNC tries, each followed by esptool's 0.05 s */
    for (size_t i = 0; i < rb.n_log; i++)
        waits += strcmp(rb.log[i].label, "W0.05") == 0;
    cr_assert_eq(waits, 4 * 1 + 7 * 5, "%d W0.05 ops", waits); /* 4 ClassicReset 0.05 attempts */
}

/* On the shipped host profiles: the cases the issue names. */
static struct cell_stats cell_of(const char *board, const char *host, const char *scenario, int n)
{
    struct cell_stats c;
    cr_assert_eq(run_cell(suite_world, lab_board(&suite_lab, board), lab_host(&suite_lab, host),
                          lab_scenario(&suite_lab, scenario), n, 1, &c, NULL),
                 0);
    cell_close(&c);
    return c;
}

Test(tools, the_vm_story_on_the_shipped_hosts)
{
    /* a Linux guest with USB passthrough: esptool 4.x connects at once with UnixTightReset */
    struct cell_stats c = cell_of("devkitc", "vm-usb-passthrough", "esptool-4", 200);
    cr_expect_eq(c.connected, 200);
    cr_expect_eq(c.attempts.max, 1);
    cell_free(&c);
    /* esptool 3.x there: ClassicReset alone, each attempt a coin toss */
    c = cell_of("devkitc", "vm-usb-passthrough", "esptool-3", 200);
    cr_expect(c.connected < 200 && c.connected > 150, "esptool 3.x connected %d of 200", c.connected);
    cr_expect_gt(c.attempts.p95, 1);
    cell_free(&c);
    /* a Windows guest: esptool 4.x falls back to ClassicReset and fails now and then */
    c = cell_of("devkitc", "vm-usb-passthrough-win", "esptool-4", 200);
    cr_expect(c.connected < 200, "esptool 4.x in a Windows guest connected %d of 200", c.connected);
    cell_free(&c);
    /* over RFC 2217 with pyserial's client: 50 ms a line change, never */
    c = cell_of("devkitc", "rfc2217-pyserial", "esptool-4", 50);
    cr_expect_eq(c.connected, 0);
    cell_free(&c);
}

/* ---- esptool.cfg and bad tool files: written beside the shipped lab ---- */

static char dir[64];

static void write_tool(const char *name, const char *extra)
{
    char src[512], path[600], cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/*.yaml %s/", dir, src_path("scenarios", src, sizeof src), dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
    FILE *f = fopen(path, "w");
    char base[512];
    FILE *in = fopen(src_path("scenarios/esptool-4.yaml", base, sizeof base), "r");
    cr_assert(f && in);
    char line[512];
    while (fgets(line, sizeof line, in))
        if (strncmp(line, "name:", 5) == 0)
            fprintf(f, "name: %s\n", name);
        else
            fputs(line, f);
    fputs(extra, f);
    fclose(in);
    fclose(f);
}

static void load(struct lab *lab)
{
    char err[512], boards[512];
    cr_assert_eq(lab_load(lab, src_path("boards.yaml", boards, sizeof boards), err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenarios_load(lab, dir, err, sizeof err), 0, "%s", err);
}

static void setup_dir(void)
{
    suite_lab_setup();
    snprintf(dir, sizeof dir, "/tmp/resetlab-tools-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown_dir(void)
{
    remove_tree(dir);
    suite_lab_teardown();
}

TestSuite(esptool_cfg, .init = setup_dir, .fini = teardown_dir);

/* reset_delay replaces both delays (delay = extra_delay), connect_attempts
 * the 7, sync_timeout the 0.1 s (loader.py, config.py). */
Test(esptool_cfg, reset_delay_attempts_and_sync_timeout)
{
    write_tool("cfg", "esptool_cfg: {reset_delay: 0.2, connect_attempts: 3, sync_timeout: 0.25}\n");
    struct lab lab;
    load(&lab);
    const struct scenario *s = lab_scenario(&lab, "cfg");
    cr_assert_eq(s->tool->attempts, 3);
    cr_assert_float_eq(s->tool->sync.timeout_s, 0.25, 1e-12);
    const struct tool_rule *linux_rule = &s->tool->cycle[1];
    cr_assert_eq(linux_rule->n_steps, 4);
    cr_assert_str_eq(linux_rule->steps[0].label, "UnixTightReset 0.2");
    cr_assert_str_eq(linux_rule->steps[1].label, "UnixTightReset 0.2", "extra_delay = reset_delay too");
    cr_assert_str_eq(linux_rule->steps[3].label, "ClassicReset 0.2");
    cr_assert_str_eq(s->tool->cycle[0].steps[0].label, "USBJTAGSerialReset", "no delay to replace");
    struct host_profile h = fixed_host(OS_WINDOWS, PORT_LOCAL); /* ClassicReset only: fails on this board */
    run_sim_once(suite_world, lab_board(&lab, "nodemcu-nocap"), &h, s, 1, &rb);
    cr_assert(!rb.a.tool.connected);
    cr_assert_eq(rb.a.tool.attempts, 3);
    int waits = 0; /* both delays are 0.2 s now */
    for (size_t i = 0; i < rb.n_log; i++)
        waits += strcmp(rb.log[i].label, "W0.2") == 0;
    cr_assert_eq(waits, 3);
    lab_free(&lab);
}

/* custom_reset_sequence replaces every strategy, the USB-JTAG one too,
 * and its R does not write DTR again (esptool's CustomReset). Its U step
 * over rfc2217:// stops esptool: io.UnsupportedOperation. */
Test(esptool_cfg, custom_reset_sequence_replaces_the_cycle)
{
    write_tool("custom", "esptool_cfg: {custom_reset_sequence: \"U0,1|W0.1|U1,0|W0.05|U0,0\"}\n");
    struct lab lab;
    load(&lab);
    const struct scenario *s = lab_scenario(&lab, "custom");
    cr_assert_eq(s->tool->n_cycle, 1);
    cr_assert_eq(s->tool->cycle[0].steps[0].rewrite_dtr, 0);
    struct host_profile h = fixed_host(OS_LINUX, PORT_LOCAL);
    run_sim_once(suite_world, lab_board(&lab, "esp32c3-usb"), &h, s, 1, &rb);
    cr_assert_str_eq(rb.a.tool.strategy, "custom_reset_sequence");
    char buf[256];
    cr_assert_str_eq(labels(1, 5, buf, sizeof buf), "U0,1|W0.1|U1,0|W0.05|U0,0");
    struct host_profile net = fixed_host(OS_LINUX, PORT_RFC2217);
    run_sim_once(suite_world, lab_board(&lab, "devkitc"), &net, s, 1, &rb);
    cr_assert(!rb.a.tool.connected && rb.a.tool.attempts == 1);
    cr_assert(strstr(rb.a.tool.error, "io.UnsupportedOperation: fileno") != NULL, "%s", rb.a.tool.error);
    lab_free(&lab);
}

static void expect_load_error(const char *extra, const char *want)
{
    write_tool("bad", extra);
    struct lab lab;
    char err[512], boards[512];
    cr_assert_eq(lab_load(&lab, src_path("boards.yaml", boards, sizeof boards), err, sizeof err), 0);
    cr_assert_neq(scenarios_load(&lab, dir, err, sizeof err), 0, "loaded: %s", extra);
    cr_assert(strstr(err, want) != NULL && strchr(err, '\n') == NULL, "'%s' for\n%s", err, extra);
    lab_free(&lab);
}

Test(esptool_cfg, bad_tool_files_are_one_line)
{
    /* the connect key is written again below the file's own: YAML duplicate keys are refused at load */
    char text[1024];
    snprintf(text, sizeof text, "fail_message_extra: 1\n");
    expect_load_error(text, "bad.yaml:");
    expect_load_error("esptool_cfg: {custom_reset_sequence: \"D0|Q1\"}\n", "esptool_cfg.custom_reset_sequence");
    expect_load_error("esptool_cfg: {reset_delay: -1}\n", "reset_delay");
    expect_load_error("esptool_cfg: {connect_attempts: 2.5}\n", "attempts is a whole number");
}

/* A file of its own: an unknown strategy, a cycle with no entries, attempts 0. */
static void write_raw(const char *name, const char *text)
{
    char src[512], path[600], cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/*.yaml %s/", dir, src_path("scenarios", src, sizeof src), dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

#define TOOL_HEAD                                                                                                  \
    "name: t\ntool: \"test tool\"\norigin: test\nexpect: download\nfail_message: \"no: {error}\"\n"                \
    "strategies:\n  Classic: \"D0|R1|W0.1|D1|R0|W$delay|D0\"\n"
#define SYNC_LINE "  sync: {tries: 5, timeout_s: 0.1, replies: 8, reply_timeout_s: 3, pause_s: 0.05}\n"

static void expect_raw_error(const char *text, const char *want)
{
    write_raw("t", text);
    struct lab lab;
    char err[512], boards[512];
    cr_assert_eq(lab_load(&lab, src_path("boards.yaml", boards, sizeof boards), err, sizeof err), 0);
    cr_assert_neq(scenarios_load(&lab, dir, err, sizeof err), 0, "loaded:\n%s", text);
    cr_assert(strstr(err, want) != NULL && strchr(err, '\n') == NULL, "'%s' for\n%s", err, text);
    lab_free(&lab);
}

Test(esptool_cfg, bad_connect_loops)
{
    expect_raw_error(TOOL_HEAD "connect:\n  attempts: 7\n" SYNC_LINE "  cycle:\n    - use: [Tight 0.05]\n",
                     "t.yaml:12: connect.cycle[0]: unknown strategy 'Tight' (not in this file's strategies)");
    expect_raw_error(TOOL_HEAD "connect:\n  attempts: 7\n" SYNC_LINE "  cycle: []\n",
                     "connect.cycle: no rules: list at least one");
    expect_raw_error(TOOL_HEAD "connect:\n  attempts: 7\n" SYNC_LINE "  cycle:\n    - use: []\n",
                     "'use' must list at least one strategy");
    expect_raw_error(TOOL_HEAD "connect:\n  attempts: 7\n" SYNC_LINE "  cycle:\n    - use: [Classic]\n",
                     "'Classic' has $delay: give it one");
    expect_raw_error(TOOL_HEAD "connect:\n  attempts: 7\n" SYNC_LINE "  cycle:\n    - when: {os: [macos]}\n"
                                                                     "      use: [Classic 0.05]\n",
                     "os: expected linux or windows, got 'macos'");
    expect_raw_error("name: t\norigin: test\nexpect: download\nsequence: \"O\"\nstrategies: {A: \"D0\"}\n",
                     "only a tool has this key: add its 'connect' loop");
}

/* esptool's connect_attempts 0 is "forever": a run has to end, so it is
 * capped, and the command says so once. */
Test(esptool_cfg, attempts_zero_is_capped_with_a_line)
{
    write_raw("t", TOOL_HEAD "connect:\n  attempts: 0\n" SYNC_LINE "  cycle:\n    - use: [Classic 0.05]\n");
    struct lab lab;
    load(&lab);
    cr_assert_eq(lab_scenario(&lab, "t")->tool->attempts, TOOL_MAX_ATTEMPTS);
    cr_assert(lab_scenario(&lab, "t")->tool->attempts_capped);
    lab_free(&lab);
    char args[256], out[4096], err[2048];
    snprintf(args, sizeof args, "list --scenarios %s", dir);
    cr_assert_eq(run_cli(args, out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(err, "t.yaml: connect attempts capped at 14 (0 is esptool's 'forever'") != NULL, "%s", err);
    cr_assert_eq(count_of(err, "\n"), 1, "one line: %s", err);
}

/* tune compares against the tools a user runs, and never offers a U
 * sequence where esptool cannot use one (issue #19, item 5). */
Test(tools, tune_compares_with_the_tools_and_knows_where_u_fails)
{
    static char out[1 << 16], err[1 << 12];
    cr_assert_eq(run_cli("tune --board devkitc --host vm-usb-passthrough --iterations 200 --target 0.95", out,
                         sizeof out, err, sizeof err),
                 0, "%s%s", out, err);
    cr_assert(strstr(out, "esptool 4.5-4.12 on this board and host: connects in 100.0 % of 200 runs, on attempt 1") !=
                  NULL, "%s", out);
    cr_assert(strstr(out, "esptool 3.2-4.4 on this board and host: connects in ") != NULL, "%s", out);
    cr_assert(strstr(out, "custom_reset_sequence = U0,1|") != NULL, "%s", out);
    cr_assert(strstr(out, "io.UnsupportedOperation") != NULL, "the U caveat: %s", out);
    cr_assert_eq(run_cli("tune --board devkitc --host rfc2217-pyserial --iterations 200 --target 0.95", out, sizeof out,
                         err, sizeof err),
                 1, "%s%s", out, err);
    cr_assert(strstr(out, "custom_reset_sequence = U") == NULL, "a U sequence over rfc2217://: %s", out);
    cr_assert(strstr(out, "esptool 4.5-4.12 on this board and host: connects in 0.0 % of 200 runs") != NULL, "%s", out);
}

/* esptool's --before modes beside default_reset (scenarios/esptool-before):
 * usb_reset takes the USB-Serial/JTAG sequence whatever the PID, which the
 * ESP32-C3 answers and a DevKitC's transistors do not; no_reset tries SYNC
 * with no reset at all, and a chip running its app never answers. */
Test(tools, esptools_before_modes)
{
    struct lab lab;
    char err[512], boards[512], dir_path[512];
    cr_assert_eq(lab_load(&lab, src_path("boards.yaml", boards, sizeof boards), err, sizeof err), 0, "%s", err);
    cr_assert_eq(scenarios_load(&lab, src_path("scenarios/esptool-before", dir_path, sizeof dir_path), err, sizeof err),
                 0, "%s", err);
    struct host_profile h = fixed_host(OS_LINUX, PORT_LOCAL);
    const struct scenario *usb = lab_scenario(&lab, "esptool-4-usb-reset"), *none = lab_scenario(&lab, "esptool-4-no-reset");
    cr_assert(usb && none);
    run_sim_once(suite_world, lab_board(&lab, "esp32c3-usb"), &h, usb, 1, &rb);
    cr_assert(rb.a.tool.connected && rb.a.tool.attempts == 1);
    run_sim_once(suite_world, lab_board(&lab, "devkitc"), &h, usb, 1, &rb);
    cr_assert(!rb.a.tool.connected);
    cr_assert_str_eq(rb.a.tool.strategy, "USBJTAGSerialReset");
    run_sim_once(suite_world, lab_board(&lab, "devkitc"), &h, none, 1, &rb);
    cr_assert(!rb.a.tool.connected && rb.a.tool.attempts == 7);
    cr_assert_str_eq(rb.a.tool.error, "Failed to connect to Espressif device: No serial data received.");
    cr_assert_eq(rb.a.n_resets, 0, "no reset at all");
    lab_free(&lab);
}
