/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Network serial bridges in the virtual lab (sim/netbridge.c,
 * docs/bridges.md): each bridge's line semantics against hand-built
 * sequences on a fixture host whose numbers are round (a 1 ms serial
 * request, a 5 ms link, no jitter), so every edge time is computed by hand;
 * the sniff rules; a client's wait; UART batching. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_dsl.h"
#include "harness/lab/lab_load.h"
#include "helpers.h"
#include "sim/netbridge.h"
#include "sim/world.h"

#define MS 1000000LL

static struct lab lab;
static struct sim_world *w;
static struct edge edges[4096];
static uint8_t uart[8192];

static void setup(void)
{
    load_shipped_lab(&lab);
    w = sim_world_new();
}

static void teardown(void)
{
    sim_world_free(w);
    lab_free(&lab);
}

TestSuite(bridges, .init = setup, .fini = teardown);

/* ---- fixtures: round numbers, not the lab's ---- */

static const struct latency fixed_1ms = {1, 1, 0, 0, 0}, none = {0, 0, 0, 0, 0};
static struct net_link link5 = {"link5", {5, 5, 0, 0, 0}};

static struct net_client poller(void) /* pyserial's shape: polls every 50 ms, gives up after 3 s, sleeps 100 ms when told */
{
    return (struct net_client){.name = "poller", .has_lines = 1, .poll_ms = 50, .timeout_ms = 3000,
                               .no_answer_sleep_ms = 100};
}

static struct net_bridge answering(void) /* ser2net's shape: TIOCMGET + TIOCMSET, then the read-back */
{
    struct net_bridge b = {.name = "answering", .answers_settings = 1, .answers_other_control = 1,
                           .requests_per_line = 2, .requests_per_answer = 1};
    for (int k = 0; k < NET_CMD_COUNT; k++)
        b.cmd[k] = (struct net_command){.drives = k >= NET_RTS_ON, .level = k == NET_DTR_ON || k == NET_RTS_ON,
                                        .answers = 1};
    return b;
}

static struct host_profile host_with(const struct net_bridge *b, const struct net_client *c, int ign)
{
    struct host_profile h = {.name = "fixture", .os = OS_LINUX, .request = fixed_1ms, .overshoot = none,
                             .split_both_lines = 1, .port = PORT_RFC2217};
    h.net = (struct net_path){.bridge = b, .link = &link5, .client = c, .ign_set_control = ign};
    return h;
}

static struct trace run_to_end(void)
{
    struct trace tr = {.edges = edges, .cap = sizeof edges / sizeof edges[0]};
    size_t n = 0;
    cr_assert(sim_finish(w, &tr, uart, sizeof uart, &n, NULL) == 0);
    return tr;
}

/* The k-th (0-based) edge of a channel, in ms; -1 when there is none. */
static double edge_ms(const struct trace *tr, enum channel ch, int k)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->edges[i].channel == ch && k-- == 0)
            return (double)tr->edges[i].t_ns / 1e6;
    return -1;
}

static int count_edges(const struct trace *tr, enum channel ch)
{
    int n = 0;
    for (size_t i = 0; i < tr->n; i++)
        n += tr->edges[i].channel == ch;
    return n;
}

#define NEAR(a, b) (fabs((a) - (b)) < 0.001)

/* Open without lines (O0 sends DTR off, RTS off: no edge from the
 * closed state), then the clock back to a known base. */
static void open_at_zero(const struct host_profile *h)
{
    sim_world_reset(w, lab_board(&lab, "devkitc"), h, 1);
    cr_assert(sim_open(w, 1) == 0);
}

/* ---- ser2net's shape: one line per command, each answered ---- */

Test(bridges, an_answered_command_moves_its_line_after_two_requests_and_returns_on_the_next_poll)
{
    struct net_bridge b = answering();
    struct net_client c = poller();
    struct host_profile h = host_with(&b, &c, 0);
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    cr_assert(sim_set_lines(w, 1, -1) == 0);
    /* sent at t0, there at +5, TIOCMGET +1, TIOCMSET +1: the line at +7; answer +8, back +13; polled at +50 */
    cr_assert_eq(sim_now_ns(w) - t0, 50 * MS);
    cr_assert(sim_set_lines(w, -1, 1) == 0);
    cr_assert_eq(sim_now_ns(w) - t0, 100 * MS);
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6;
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 0) - base, 7.0), "DTR at %.3f", edge_ms(&tr, CH_DTR, 0) - base);
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 57.0), "RTS at %.3f", edge_ms(&tr, CH_RTS, 0) - base);
}

Test(bridges, ign_set_control_sleeps_100_ms_a_command_instead_of_polling)
{
    struct net_bridge b = answering();
    struct net_client c = poller();
    struct host_profile h = host_with(&b, &c, 1);
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    cr_assert(sim_set_lines(w, 1, 1) == 0); /* two commands: DTR, then RTS */
    cr_assert_eq(sim_now_ns(w) - t0, 200 * MS);
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6;
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 0) - base, 7.0));
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 107.0), "RTS at %.3f", edge_ms(&tr, CH_RTS, 0) - base);
}

Test(bridges, a_pair_in_one_send_moves_both_lines_3_ms_apart_instead_of_50)
{
    struct net_bridge b = answering();
    struct net_client c = {.name = "ours", .has_lines = 1, .poll_ms = 0, .timeout_ms = 1000, .pair_in_one_send = 1};
    struct host_profile h = host_with(&b, &c, 0);
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    cr_assert(sim_set_lines(w, 1, 1) == 0);
    /* both there at +5; DTR's requests +7, its answer +8; RTS's +10, answer +11, back +16 (no poll) */
    cr_assert_eq(sim_now_ns(w) - t0, 16 * MS);
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6;
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 0) - base, 7.0));
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 10.0), "RTS at %.3f", edge_ms(&tr, CH_RTS, 0) - base);
}

/* ---- esp_rfc2217_server's shape: a replay on DTR on, nothing answered ---- */

static struct net_bridge replaying(void)
{
    struct net_bridge b = {.name = "replaying", .answers_settings = 1, .answers_other_control = 1,
                           .requests_per_line = 1};
    char err[160];
    cr_assert(dsl_parse("U0,0|U1,1|U0,1|W0.1|U1,0|W0.05|U0,0|D0", &b.cmd[NET_DTR_ON].replay, err,
                                  sizeof err) == 0, "%s", err);
    b.cmd[NET_DTR_ON].unless_armed = b.cmd[NET_DTR_ON].arms = 1;
    b.cmd[NET_DTR_ON].drives = -1;
    b.cmd[NET_DTR_OFF] = (struct net_command){.drives = 0, .level = 0, .disarms = 1};
    b.cmd[NET_RTS_ON] = (struct net_command){.drives = -1};
    b.cmd[NET_RTS_OFF] = (struct net_command){.drives = -1};
    return b;
}

Test(bridges, dtr_on_replays_the_reset_on_the_server_with_its_own_timing)
{
    struct net_bridge b = replaying();
    struct net_client c = poller();
    struct host_profile h = host_with(&b, &c, 1);
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    cr_assert(sim_set_lines(w, 0, 1) == 0);  /* DTR off (a line), RTS on (swallowed): 200 ms of sleeps */
    cr_assert(sim_set_lines(w, 1, 0) == 0);  /* DTR on: the replay, there at +205 */
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6 + 205;
    /* U0,0 +1, U1,1 +2, U0,1 +3, W0.1, U1,0 +104, W0.05, U0,0 +155, D0 +156 (1 ms a request) */
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 0) - base, 2.0), "DTR at %.3f", edge_ms(&tr, CH_DTR, 0) - base);
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 2.0), "RTS at %.3f", edge_ms(&tr, CH_RTS, 0) - base);
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 1) - base, 3.0));   /* (0,1): EN low */
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 2) - base, 104.0)); /* (1,0): IO0 low, EN released together */
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 1) - base, 104.0));
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 3) - base, 155.0));
    op_seq_free(&b.cmd[NET_DTR_ON].replay);
}

Test(bridges, a_second_dtr_on_is_swallowed_until_dtr_off_disarms)
{
    struct net_bridge b = replaying();
    struct net_client c = poller();
    struct host_profile h = host_with(&b, &c, 1);
    open_at_zero(&h);
    cr_assert(sim_set_lines(w, 1, -1) == 0); /* replay: 5 line changes, 4 of them on DTR */
    cr_assert(sim_set_lines(w, 1, -1) == 0); /* armed: nothing */
    struct trace tr = run_to_end();
    cr_assert_eq(count_edges(&tr, CH_DTR), 4);
    sim_continue(w);
    cr_assert(sim_set_lines(w, 0, -1) == 0); /* disarms (DTR already off: no edge) */
    cr_assert(sim_set_lines(w, 1, -1) == 0); /* replays again */
    tr = run_to_end();
    cr_assert_eq(count_edges(&tr, CH_DTR), 4);
    op_seq_free(&b.cmd[NET_DTR_ON].replay);
}

Test(bridges, an_unanswered_command_without_ign_set_control_gives_up_after_the_timeout)
{
    struct net_bridge b = replaying();
    struct net_client c = poller();
    struct host_profile h = host_with(&b, &c, 0);
    sim_world_reset(w, lab_board(&lab, "devkitc"), &h, 1);
    cr_assert(sim_open(w, 1) == 0); /* DTR off at 0: never answered */
    cr_assert_eq(sim_now_ns(w), 3000 * MS); /* pyserial's SerialException after _network_timeout */
    cr_assert(sim_set_lines(w, 1, -1) == 0); /* the tool has stopped: no replay */
    struct trace tr = run_to_end();
    cr_assert_eq(count_edges(&tr, CH_DTR), 0);
    op_seq_free(&b.cmd[NET_DTR_ON].replay);
}

/* ---- esp-link's shape: its own pins, no answers, a sniffed reset ---- */

static const struct circuit *direct(void)
{
    for (int i = 0; i < lab.n_circuits; i++)
        if (strcmp(lab.circuits[i].name, "direct") == 0)
            return &lab.circuits[i];
    cr_assert_fail("no direct circuit");
    return NULL;
}

static struct net_bridge pins(void)
{
    struct net_bridge b = {.name = "pins", .n_sniff = 3, .circuit = direct()};
    b.cmd[NET_DTR_ON] = (struct net_command){.drives = 1, .level = 1}; /* the reset pin: RTS -> EN in direct */
    b.cmd[NET_DTR_OFF] = (struct net_command){.drives = 1, .level = 0};
    b.cmd[NET_RTS_ON] = (struct net_command){.drives = 0, .level = 1}; /* the ISP pin: DTR -> IO0 */
    b.cmd[NET_RTS_OFF] = (struct net_command){.drives = 0, .level = 0};
    b.sniff[0] = (struct net_sniff){{0x30, 0x20}, 2, 0, NET_MODE_PROGRAM};
    b.sniff[1] = (struct net_sniff){{0x3F, 0x0A}, 2, 0, NET_MODE_PROGRAM};
    b.sniff[2] = (struct net_sniff){{0xFF, 0xFD}, 2, 1, NET_MODE_TELNET};
    char err[160];
    cr_assert(dsl_parse("R1|W0.0001|D1|W0.002|R0|W0.001", &b.program_enter, err, sizeof err) == 0);
    cr_assert(dsl_parse("D0|W0.0001|R1|W0.0001|R0", &b.program_leave, err, sizeof err) == 0);
    return b;
}

Test(bridges, telnet_mode_drives_the_reset_pin_from_dtr_and_answers_nothing)
{
    struct net_bridge b = pins();
    struct net_client c = poller();
    c.n_hello = 3;
    memcpy(c.hello, (uint8_t[]){0xFF, 0xFD, 0x01}, 3); /* IAC DO ECHO: telnet mode */
    struct host_profile h = host_with(&b, &c, 1);
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    cr_assert(sim_set_lines(w, 1, -1) == 0); /* DTR on: the reset pin low (the board-side RTS) */
    cr_assert_eq(sim_now_ns(w) - t0, 100 * MS);
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6;
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 5.0), "reset pin at %.3f", edge_ms(&tr, CH_RTS, 0) - base);
    cr_assert_eq(count_edges(&tr, CH_DTR), 0);
    double en = edge_ms(&tr, CH_EN, 0) - base; /* the pin on EN directly: 50 ohm x 1 uF, under 1.5 V in 39 us */
    cr_assert(en > 5.0 && en < 5.1, "EN low at %.4f", en);
    op_seq_free(&b.program_enter);
    op_seq_free(&b.program_leave);
}

Test(bridges, a_programming_connection_pulses_reset_holds_isp_and_eats_its_first_segment)
{
    struct net_bridge b = pins();
    struct net_client c = {.name = "socket", .has_lines = 0, .timeout_ms = 3000};
    struct host_profile h = host_with(&b, &c, 0);
    h.net.program_port = 1;
    open_at_zero(&h);
    int64_t t0 = sim_now_ns(w);
    static const uint8_t sync[] = {0xC0, 0x00, 0x08, 0xC0};
    cr_assert(sim_write(w, sync, sizeof sync) == 0);
    cr_assert(sim_set_lines(w, 1, 1) == 0); /* socket://: no lines at all */
    cr_assert(sim_close(w) == 0);
    struct trace tr = run_to_end();
    double base = (double)t0 / 1e6;
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 0) - base, 5.0), "reset low at %.4f", edge_ms(&tr, CH_RTS, 0) - base);
    double en = edge_ms(&tr, CH_EN, 0) - base;
    cr_assert(en > 5.0 && en < 5.1, "EN low at %.4f", en);
    cr_assert(NEAR(edge_ms(&tr, CH_IO0, 0) - base, 5.1), "IO0 low at %.4f", edge_ms(&tr, CH_IO0, 0) - base);
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 1) - base, 7.1), "reset released at %.4f", edge_ms(&tr, CH_RTS, 1) - base);
    /* the close (sent at +0, there at +5 after the dance ended at +8.1): ISP high, 100 us, a 100 us reset pulse */
    cr_assert(NEAR(edge_ms(&tr, CH_DTR, 1) - base, 8.1), "ISP high at %.4f", edge_ms(&tr, CH_DTR, 1) - base);
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 2) - base, 8.2));
    cr_assert(NEAR(edge_ms(&tr, CH_RTS, 3) - base, 8.3));
    op_seq_free(&b.program_enter);
    op_seq_free(&b.program_leave);
}

Test(bridges, sniff_rules_match_exactly_or_by_prefix_and_nothing_else)
{
    struct net_bridge b = pins();
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t *)"0 ", 2), NET_MODE_PROGRAM);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t *)"0 0 ", 4), NET_MODE_TRANSPARENT); /* exact: one segment */
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t *)"0", 1), NET_MODE_TRANSPARENT);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t *)"?\n", 2), NET_MODE_PROGRAM);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t *)"?", 1), NET_MODE_TRANSPARENT);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t[]){0xFF, 0xFD, 0x01}, 3), NET_MODE_TELNET);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t[]){0xFF, 0xFD}, 2), NET_MODE_TELNET);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t[]){0xFF}, 1), NET_MODE_TRANSPARENT);
    cr_assert_eq(netbridge_sniff(&b, (const uint8_t[]){0xC0, 0x00, 0x08}, 3), NET_MODE_TRANSPARENT); /* esptool's SYNC */
    struct net_bridge none_ = answering();
    cr_assert_eq(netbridge_sniff(&none_, (const uint8_t *)"0 ", 2), NET_MODE_RFC2217);
    op_seq_free(&b.program_enter);
    op_seq_free(&b.program_leave);
}

/* ---- a client's wait and UART batching: pure ---- */

Test(bridges, a_poll_returns_on_the_first_look_after_the_answer)
{
    cr_assert_eq(netbridge_poll_return(0, 13 * MS, 50, 0), 50 * MS);
    cr_assert_eq(netbridge_poll_return(0, 50 * MS, 50, 0), 50 * MS);
    cr_assert_eq(netbridge_poll_return(0, 51 * MS, 50, 0), 100 * MS);
    cr_assert_eq(netbridge_poll_return(0, 13 * MS, 50, MS / 10), 50 * MS + MS / 10); /* each sleep 0.1 ms late */
    cr_assert_eq(netbridge_poll_return(0, 13 * MS, 0, 0), 13 * MS);
}

Test(bridges, uart_batches_leave_at_80_bytes_or_after_4_quiet_character_times)
{
    /* 100 bytes back to back at 115,200 8N1: 86,806 ns a byte, byte i done at (i + 1) byte times */
    double byte_ns = 1e10 / 115200;
    int64_t t[100], out[100];
    for (int i = 0; i < 100; i++)
        t[i] = (int64_t)llround((i + 1) * byte_ns);
    netbridge_batches(t, 100, 80, 4, byte_ns, out);
    cr_assert_eq(out[0], t[79]);  /* 6.944 ms: the FIFO full at byte 80 */
    cr_assert_eq(out[79], t[79]);
    cr_assert(NEAR((double)out[80] / 1e6, 104 * byte_ns / 1e6), "got %.4f ms", (double)out[80] / 1e6); /* 9.028 ms */
    cr_assert_eq(out[99], out[80]);
    /* two bytes 1 ms apart (11.5 character times): two batches, each 4 character times late (0.347 ms) */
    int64_t two[2] = {0, MS}, o2[2];
    netbridge_batches(two, 2, 80, 4, byte_ns, o2);
    cr_assert(NEAR((double)o2[0] / 1e6, 0.347), "got %.4f", (double)o2[0] / 1e6);
    cr_assert(NEAR((double)o2[1] / 1e6, 1.347));
    netbridge_batches(two, 2, 0, 0, byte_ns, o2); /* no batching: each byte as it comes */
    cr_assert_eq(o2[1], MS);
}

/* ---- boards.yaml's network sections refuse bad input in one line ---- */

static void expect_lab_error(const char *from, const char *to, const char *want)
{
    char path[512], tmp[512], err[512] = "";
    char *text = slurp(src_path("boards.yaml", path, sizeof path), NULL);
    cr_assert_not_null(text);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "the shipped boards.yaml has no '%s'", from);
    size_t head = (size_t)(at - text), len = strlen(text) + strlen(to) + 1;
    char *bad = malloc(len);
    snprintf(bad, len, "%.*s%s%s", (int)head, text, to, at + strlen(from));
    struct lab l;
    cr_assert(lab_load(&l, write_temp(bad, ".yaml", tmp, sizeof tmp), err, sizeof err) != 0, "loaded: %s", to);
    cr_assert(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
    cr_assert(strchr(err, '\n') == NULL);
    free(bad);
    free(text);
    remove(tmp);
}

Test(bridges, malformed_network_sections_are_one_error_line)
{
    expect_lab_error("network: {bridge: ser2net, link: lan,", "network: {bridge: nope, link: lan,",
                     "unknown net bridge 'nope'");
    expect_lab_error("network: {bridge: ser2net, link: lan,", "network: {bridge: ser2net, link: moon,",
                     "unknown net link 'moon'");
    expect_lab_error("{exact: [0x30, 0x20], mode: program}", "{exact: [0x30, 0x120], mode: program}",
                     "expected a byte");
    expect_lab_error("{exact: [0x30, 0x20], mode: program}", "{exact: [0x30], prefix: [0x20], mode: program}",
                     "one of them");
    expect_lab_error("{exact: [0x30, 0x20], mode: program}", "{exact: [0x30, 0x20], mode: avr}",
                     "mode must be rfc2217, transparent, telnet or program");
    expect_lab_error("dtr_on:  {line: dtr, answers: true}", "dtr_on:  {line: en, answers: true}",
                     "line must be dtr or rts");
    expect_lab_error("on_connect: \"U1,1\"", "on_connect: \"U1,1|O\"", "line changes and waits only");
    expect_lab_error("uart_batch: {fifo_full: 80,", "uart_batch: {fifo_full: 0,", "fifo_full");
    expect_lab_error("    has_lines: false ", "    default: true\n    has_lines: false ", "a second default client");
}

/* ---- the commands: run takes the network hosts, serve refuses them ---- */

Test(bridges, serve_refuses_a_network_host_in_one_line)
{
    expect_bad_input("serve --board devkitc --host ser2net-lan", "through a network bridge (ser2net)");
}

Test(bridges, run_through_esp_link_2323_connects_with_the_sniffed_reset)
{
    char out[65536], err[4096];
    int rc = run_cli("run --board devkitc --host esp-link-2323 --scenario esptool-4 --iterations 5 --quiet --no-known "
                     "--out /tmp/resetlab-test-bridges-run",
                     out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err); /* the tool connects, its hard reset goes nowhere */
    char path[256], *summary = slurp("/tmp/resetlab-test-bridges-run/summary.json", NULL);
    (void)path;
    cr_assert_not_null(summary);
    cr_assert(strstr(summary, "\"connected\": 5") != NULL || strstr(summary, "\"connected\":5") != NULL, "%.400s",
              summary);
    free(summary);
    remove_tree("/tmp/resetlab-test-bridges-run");
}

Test(bridges, a_scenario_naming_an_unknown_client_is_one_error_line)
{
    char dir[] = "/tmp/resetlab-bridges-XXXXXX", path[300], err[512] = "";
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("name: x\norigin: test\nexpect: download\nrfc2217_client: nope\nsequence: \"O|D0|R1|W0.1|D1|R0|W0.05|D0\"\n", f);
    fclose(f);
    struct lab l;
    char boards[512];
    cr_assert(lab_load(&l, src_path("boards.yaml", boards, sizeof boards), err, sizeof err) == 0, "%s", err);
    cr_assert(scenarios_load(&l, dir, err, sizeof err) != 0);
    cr_assert(strstr(err, "rfc2217_client: unknown client 'nope'") != NULL, "%s", err);
    lab_free(&l);
    remove_tree(dir);
    /* the shipped esptool 3-5 name pyserial */
    cr_assert_str_eq(lab_scenario(&lab, "esptool-4")->net_client->name, "pyserial");
}

Test(bridges, list_says_which_bridge_a_host_goes_through)
{
    static char out[1 << 16], err[4096];
    cr_assert_eq(run_cli("list", out, sizeof out, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(out, ", through ser2net over lan\n") != NULL, "%s", out);
    cr_assert(strstr(out, ", through esp-rfc2217-server over lan, ?ign_set_control\n") != NULL);
    cr_assert(strstr(out, ", through esp-link over wifi, client pyserial-socket, programming port\n") != NULL);
}
