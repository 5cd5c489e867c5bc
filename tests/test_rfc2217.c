/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The telnet + RFC 2217 codec, byte by byte (harness/rfc2217.h). Expected
 * bytes are written by hand from the RFCs: IAC 255 (0xFF), SB 250 (0xFA),
 * SE 240 (0xF0), WILL 251, WONT 252, DO 253, DONT 254 (RFC 854);
 * COM-PORT-OPTION 44 (0x2C), SET-BAUDRATE 1, SET-CONTROL 5 with 8/9 DTR
 * on/off and 11/12 RTS on/off, PURGE-DATA 12, answers +100 (RFC 2217). */
#include "harness/port/port_rfc2217_codec.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define IAC 0xFF
#define SB 0xFA
#define SE 0xF0

static void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len, const char *what)
{
    cr_assert_eq(got_len, want_len, "%s: %zu bytes, want %zu", what, got_len, want_len);
    for (size_t i = 0; i < want_len; i++)
        cr_assert_eq(got[i], want[i], "%s: byte %zu is 0x%02X, want 0x%02X", what, i, got[i], want[i]);
}

/* ---- encoders ---------------------------------------------------------- */

Test(encode, set_baudrate_115200_is_four_bytes_big_endian)
{
    /* IAC SB COM-PORT-OPTION SET-BAUDRATE <115200 = 0x0001C200> IAC SE */
    static const uint8_t want[] = {IAC, SB, 44, 1, 0x00, 0x01, 0xC2, 0x00, IAC, SE};
    uint8_t out[R2217_COMMAND_MAX];
    size_t n = r2217_encode_baud(115200, out, sizeof out);
    assert_bytes(out, n, want, sizeof want, "SET-BAUDRATE 115200");
}

Test(encode, set_baudrate_doubles_an_iac_value_byte)
{
    /* 65535 = 0x0000FFFF: each 0xFF value byte is sent as IAC IAC */
    static const uint8_t want[] = {IAC, SB, 44, 1, 0x00, 0x00, IAC, IAC, IAC, IAC, IAC, SE};
    uint8_t out[R2217_COMMAND_MAX];
    size_t n = r2217_encode_baud(65535, out, sizeof out);
    assert_bytes(out, n, want, sizeof want, "SET-BAUDRATE 65535");
}

Test(encode, set_control_dtr_and_rts_values)
{
    static const struct {
        uint8_t value;
        const char *name;
    } cases[] = {{8, "DTR on"}, {9, "DTR off"}, {11, "RTS on"}, {12, "RTS off"}};
    for (size_t i = 0; i < 4; i++) {
        /* IAC SB COM-PORT-OPTION SET-CONTROL <value> IAC SE */
        const uint8_t want[] = {IAC, SB, 44, 5, cases[i].value, IAC, SE};
        uint8_t out[R2217_COMMAND_MAX];
        size_t n = r2217_encode_control(cases[i].value, out, sizeof out);
        assert_bytes(out, n, want, sizeof want, cases[i].name);
        cr_assert_str_eq(r2217_control_name(cases[i].value), cases[i].name);
    }
}

Test(encode, purge_data_both_buffers)
{
    /* IAC SB COM-PORT-OPTION PURGE-DATA <3: both buffers> IAC SE */
    static const uint8_t want[] = {IAC, SB, 44, 12, 3, IAC, SE};
    uint8_t out[R2217_COMMAND_MAX];
    assert_bytes(out, r2217_encode_purge(3, out, sizeof out), want, sizeof want, "PURGE-DATA 3");
}

Test(encode, command_that_does_not_fit_is_not_written)
{
    uint8_t out[9];
    cr_assert_eq(r2217_encode_baud(115200, out, sizeof out), 0);
}

Test(encode, hello_offers_com_port_binary_and_sga)
{
    static const uint8_t want[] = {IAC, 251, 44, IAC, 251, 0, IAC, 253, 0, IAC, 251, 3, IAC, 253, 3};
    struct r2217 c;
    r2217_init(&c);
    uint8_t out[32];
    assert_bytes(out, r2217_hello(&c, out, sizeof out), want, sizeof want, "hello");
}

Test(encode, data_doubles_iac)
{
    static const uint8_t in[] = {'A', IAC, 'B', IAC, IAC};
    static const uint8_t want[] = {'A', IAC, IAC, 'B', IAC, IAC, IAC, IAC};
    uint8_t out[16];
    size_t used;
    assert_bytes(out, r2217_encode_data(in, sizeof in, &used, out, sizeof out), want, sizeof want, "data");
    cr_assert_eq(used, sizeof in);
}

Test(encode, data_never_splits_an_iac_pair)
{
    static const uint8_t in[] = {'A', IAC, 'B'};
    uint8_t out[2];
    size_t used;
    cr_assert_eq(r2217_encode_data(in, sizeof in, &used, out, sizeof out), 1, "only 'A' fits; IAC IAC would not");
    cr_assert_eq(used, 1);
}

/* ---- the parser: everything a stream yields, however it is cut ----------- */

struct parsed {
    uint8_t data[16384];
    size_t data_len;
    uint8_t reply[256];
    size_t reply_len;
    struct r2217_event ev[64];
    size_t n_ev;
};

static void feed_part(struct r2217 *c, const uint8_t *in, size_t n, struct parsed *p)
{
    while (n > 0) {
        struct r2217_event ev;
        size_t k = r2217_feed(c, in, n, p->data, sizeof p->data, &p->data_len, &ev);
        cr_assert(k > 0 || ev.kind != R2217_EV_NONE, "the parser made no progress");
        if (ev.kind != R2217_EV_NONE && p->n_ev < 64)
            p->ev[p->n_ev++] = ev;
        cr_assert_leq(p->reply_len + c->reply_len, sizeof p->reply);
        memcpy(p->reply + p->reply_len, c->reply, c->reply_len);
        p->reply_len += c->reply_len;
        c->reply_len = 0;
        in += k;
        n -= k;
    }
}

/* Parses `in` cut at `cut1` and `cut2` (cut1 <= cut2 <= n), after a hello. */
static struct parsed *parse_cut(const uint8_t *in, size_t n, size_t cut1, size_t cut2)
{
    struct parsed *p = calloc(1, sizeof *p);
    cr_assert_not_null(p);
    struct r2217 c;
    r2217_init(&c);
    uint8_t hello[32];
    r2217_hello(&c, hello, sizeof hello);
    feed_part(&c, in, cut1, p);
    feed_part(&c, in + cut1, cut2 - cut1, p);
    feed_part(&c, in + cut2, n - cut2, p);
    return p;
}

static struct parsed *parse(const uint8_t *in, size_t n)
{
    return parse_cut(in, n, n, n);
}

static void assert_same(const struct parsed *a, const struct parsed *b, size_t cut1, size_t cut2)
{
    cr_assert(a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0, "data differs at cuts %zu,%zu",
              cut1, cut2);
    cr_assert(a->reply_len == b->reply_len && memcmp(a->reply, b->reply, a->reply_len) == 0,
              "replies differ at cuts %zu,%zu", cut1, cut2);
    cr_assert_eq(a->n_ev, b->n_ev, "events differ at cuts %zu,%zu", cut1, cut2);
    for (size_t i = 0; i < a->n_ev; i++)
        cr_assert(a->ev[i].kind == b->ev[i].kind && a->ev[i].command == b->ev[i].command &&
                      a->ev[i].value == b->ev[i].value && a->ev[i].what == b->ev[i].what,
                  "event %zu differs at cuts %zu,%zu", i, cut1, cut2);
}

/* Data, an escaped 0xFF, verbs, a baud answer with an escaped value byte,
 * a control answer, a malformed command and more data. */
static const uint8_t MIXED[] = {
    'h', 'i', IAC, IAC, 'x',                                  /* data "hi\xffx" */
    IAC, 251, 1,                                              /* WILL ECHO: refused with DONT ECHO */
    IAC, 253, 44,                                             /* DO COM-PORT: agreed */
    IAC, SB, 44, 101, 0x00, 0x00, IAC, IAC, IAC, IAC, IAC, SE, /* SET-BAUDRATE answer 65535 */
    IAC, SB, 44, 105, 9, IAC, SE,                             /* SET-CONTROL answer DTR off */
    IAC, 0x10,                                                /* not a telnet command */
    IAC, 241,                                                 /* NOP: ignored */
    'o', 'k', IAC, IAC,
};

Test(parse, mixed_stream_whole)
{
    struct parsed *p = parse(MIXED, sizeof MIXED);
    static const uint8_t data[] = {'h', 'i', IAC, 'x', 'o', 'k', IAC};
    static const uint8_t reply[] = {IAC, 254, 1};
    assert_bytes(p->data, p->data_len, data, sizeof data, "data");
    assert_bytes(p->reply, p->reply_len, reply, sizeof reply, "replies");
    cr_assert_eq(p->n_ev, 4);
    cr_assert_eq(p->ev[0].kind, R2217_EV_AGREED);
    cr_assert(p->ev[1].kind == R2217_EV_ANSWER && p->ev[1].command == 1 && p->ev[1].value == 65535 &&
              p->ev[1].value_len == 4);
    cr_assert(p->ev[2].kind == R2217_EV_ANSWER && p->ev[2].command == 5 && p->ev[2].value == 9);
    cr_assert_eq(p->ev[3].kind, R2217_EV_MALFORMED);
    cr_assert_str_eq(p->ev[3].what, "unknown telnet command");
    free(p);
}

Test(parse, mixed_stream_cut_at_every_pair_of_points)
{
    struct parsed *whole = parse(MIXED, sizeof MIXED);
    for (size_t i = 0; i <= sizeof MIXED; i++)
        for (size_t j = i; j <= sizeof MIXED; j++) {
            struct parsed *p = parse_cut(MIXED, sizeof MIXED, i, j);
            assert_same(whole, p, i, j);
            free(p);
        }
    free(whole);
}

Test(parse, negotiation_answers_each_verb_once)
{
    static const uint8_t in[] = {
        IAC, 253, 1, IAC, 253, 1,   /* DO ECHO twice: one WONT ECHO */
        IAC, 251, 44,               /* WILL COM-PORT: DO COM-PORT */
        IAC, 251, 44,               /* again: nothing */
        IAC, 253, 0, IAC, 251, 3,   /* DO BINARY, WILL SGA: the hello already said so */
        IAC, 254, 44,               /* DONT COM-PORT: refused */
    };
    static const uint8_t reply[] = {IAC, 252, 1, IAC, 253, 44};
    struct parsed *p = parse(in, sizeof in);
    assert_bytes(p->reply, p->reply_len, reply, sizeof reply, "replies");
    cr_assert_eq(p->n_ev, 1);
    cr_assert_eq(p->ev[0].kind, R2217_EV_REFUSED);
    free(p);
}

Test(parse, a_thousand_do_echo_get_one_answer)
{
    static uint8_t in[3000];
    for (size_t i = 0; i < sizeof in; i += 3)
        in[i] = IAC, in[i + 1] = 253, in[i + 2] = 1;
    struct parsed *p = parse(in, sizeof in);
    cr_assert_eq(p->reply_len, 3, "no negotiation loop");
    free(p);
}

/* ---- malformed input ----------------------------------------------------- */

static void assert_one_malformed(const struct parsed *p, const char *what)
{
    size_t found = 0;
    for (size_t i = 0; i < p->n_ev; i++)
        if (p->ev[i].kind == R2217_EV_MALFORMED) {
            found++;
            cr_assert_str_eq(p->ev[i].what, what);
        }
    cr_assert_eq(found, 1, "want one '%s', got %zu malformed events", what, found);
}

Test(malformed, sb_without_se_then_a_verb)
{
    static const uint8_t in[] = {IAC, SB, 44, 105, 8, IAC, 251, 1, 'z'};
    struct parsed *p = parse(in, sizeof in);
    assert_one_malformed(p, "subnegotiation ended without IAC SE");
    static const uint8_t reply[] = {IAC, 254, 1}; /* the WILL after it is still read */
    assert_bytes(p->reply, p->reply_len, reply, sizeof reply, "replies");
    assert_bytes(p->data, p->data_len, (const uint8_t *)"z", 1, "data");
    free(p);
}

Test(malformed, lone_iac_at_the_end_waits_for_more)
{
    struct r2217 c;
    r2217_init(&c);
    static const uint8_t in[] = {'a', 'b', IAC};
    uint8_t data[8];
    size_t len = 0;
    struct r2217_event ev;
    cr_assert_eq(r2217_feed(&c, in, sizeof in, data, sizeof data, &len, &ev), 3);
    cr_assert_eq(ev.kind, R2217_EV_NONE);
    assert_bytes(data, len, (const uint8_t *)"ab", 2, "data");
    cr_assert_not(r2217_idle(&c), "a half-read IAC is reported as not idle");
    static const uint8_t rest[] = {IAC};
    r2217_feed(&c, rest, 1, data, sizeof data, &len, &ev);
    cr_assert(len == 3 && data[2] == IAC && r2217_idle(&c));
}

Test(malformed, sb_of_10_kb_is_one_overflow_and_parsing_goes_on)
{
    size_t n = 3 + 10240 + 2 + 2;
    uint8_t *in = malloc(n);
    cr_assert_not_null(in);
    in[0] = IAC, in[1] = SB, in[2] = 44;
    memset(in + 3, 'q', 10240);
    in[n - 4] = IAC, in[n - 3] = SE, in[n - 2] = 'o', in[n - 1] = 'k';
    struct parsed *p = parse(in, n);
    assert_one_malformed(p, "subnegotiation longer than 64 bytes");
    assert_bytes(p->data, p->data_len, (const uint8_t *)"ok", 2, "data after the SB");
    free(p);
    free(in);
}

Test(malformed, unknown_commands_and_stray_se)
{
    static const uint8_t a[] = {IAC, 0x10};
    struct parsed *p = parse(a, sizeof a);
    assert_one_malformed(p, "unknown telnet command");
    free(p);
    static const uint8_t b[] = {IAC, SE};
    p = parse(b, sizeof b);
    assert_one_malformed(p, "IAC SE outside a subnegotiation");
    free(p);
    static const uint8_t c[] = {IAC, SB, 44, 200, 1, IAC, SE};
    p = parse(c, sizeof c);
    assert_one_malformed(p, "unknown COM-PORT-OPTION answer code");
    free(p);
    static const uint8_t d[] = {IAC, SB, IAC, SE};
    p = parse(d, sizeof d);
    assert_one_malformed(p, "empty subnegotiation");
    free(p);
    static const uint8_t e[] = {IAC, SB, 44, IAC, SE};
    p = parse(e, sizeof e);
    assert_one_malformed(p, "COM-PORT-OPTION subnegotiation without a command");
    free(p);
}

Test(malformed, short_set_baudrate_answer)
{
    static const uint8_t in[] = {IAC, SB, 44, 101, 0x01, 0xC2, IAC, SE};
    struct parsed *p = parse(in, sizeof in);
    assert_one_malformed(p, "COM-PORT-OPTION answer with the wrong number of value bytes");
    free(p);
}

Test(malformed, set_control_answer_without_value)
{
    static const uint8_t in[] = {IAC, SB, 44, 105, IAC, SE};
    struct parsed *p = parse(in, sizeof in);
    assert_one_malformed(p, "COM-PORT-OPTION answer with the wrong number of value bytes");
    free(p);
}

Test(malformed, other_options_subnegotiation_is_ignored)
{
    static const uint8_t in[] = {IAC, SB, 24, 1, IAC, SE, 'k'}; /* TERMINAL-TYPE SEND */
    struct parsed *p = parse(in, sizeof in);
    cr_assert_eq(p->n_ev, 0);
    assert_bytes(p->data, p->data_len, (const uint8_t *)"k", 1, "data");
    free(p);
}

Test(parse, full_data_buffer_stops_and_resumes)
{
    struct r2217 c;
    r2217_init(&c);
    static const uint8_t in[] = {'a', IAC, IAC, 'b'};
    uint8_t data[4];
    size_t len = 0;
    struct r2217_event ev;
    size_t k = r2217_feed(&c, in, sizeof in, data, 1, &len, &ev);
    cr_assert(k == 2 && len == 1, "stops before the IAC IAC that would not fit (k=%zu)", k);
    k += r2217_feed(&c, in + k, sizeof in - k, data, sizeof data, &len, &ev);
    cr_assert_eq(k, sizeof in);
    assert_bytes(data, len, (const uint8_t[]){'a', IAC, 'b'}, 3, "data");
}

/* ---- the ack matcher ----------------------------------------------------- */

static struct r2217_event answer(int command, uint32_t value)
{
    return (struct r2217_event){.kind = R2217_EV_ANSWER, .command = command, .value = value, .value_len = 1};
}

Test(acks, matched_by_command_and_value_in_any_order)
{
    struct r2217_acks a;
    r2217_acks_reset(&a);
    r2217_acks_expect(&a, R2217_SET_CONTROL, R2217_DTR_OFF);
    r2217_acks_expect(&a, R2217_SET_CONTROL, R2217_RTS_ON);
    struct r2217_event rts = answer(5, 11), dtr = answer(5, 9);
    cr_assert_eq(r2217_acks_match(&a, &rts), 1);
    cr_assert_eq(r2217_acks_first_missing(&a), 0, "DTR off is still missing");
    cr_assert_eq(r2217_acks_match(&a, &dtr), 1);
    cr_assert(r2217_acks_all_done(&a));
}

Test(acks, a_wrong_value_is_never_success)
{
    struct r2217_acks a;
    r2217_acks_reset(&a);
    r2217_acks_expect(&a, R2217_SET_CONTROL, R2217_DTR_OFF);
    struct r2217_event wrong = answer(5, R2217_DTR_ON);
    cr_assert_eq(r2217_acks_match(&a, &wrong), 0);
    cr_assert_not(r2217_acks_all_done(&a));
    cr_assert(a.mismatches == 1 && a.last_mismatch == R2217_DTR_ON);
    struct r2217_event again = answer(5, R2217_DTR_OFF), twice = answer(5, R2217_DTR_OFF);
    cr_assert_eq(r2217_acks_match(&a, &again), 1);
    cr_assert_eq(r2217_acks_match(&a, &twice), 0, "one answer completes one request");
}

Test(acks, an_answer_to_another_command_or_no_answer)
{
    struct r2217_acks a;
    r2217_acks_reset(&a);
    r2217_acks_expect(&a, R2217_SET_BAUDRATE, 115200);
    struct r2217_event ctl = answer(5, 8), other = {.kind = R2217_EV_AGREED};
    cr_assert_eq(r2217_acks_match(&a, &ctl), 0);
    cr_assert_eq(r2217_acks_match(&a, &other), 0);
    cr_assert_eq(a.mismatches, 0, "another command's answer is unsolicited, not a mismatch");
    for (int i = 1; i < R2217_MAX_PENDING; i++)
        cr_assert_eq(r2217_acks_expect(&a, 5, 8), 0);
    cr_assert_eq(r2217_acks_expect(&a, 5, 8), -1, "a full matcher says so");
}

/* ---- URLs ---------------------------------------------------------------- */

Test(url, host_and_port)
{
    char host[64], port[8], err[200];
    cr_assert_eq(r2217_parse_url("rfc2217://127.0.0.1:4000", host, sizeof host, port, sizeof port, err, sizeof err), 0);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_str_eq(port, "4000");
    cr_assert_eq(r2217_parse_url("rfc2217://[::1]:2217", host, sizeof host, port, sizeof port, err, sizeof err), 0);
    cr_assert_str_eq(host, "::1");
}

Test(url, bad_ones_say_why)
{
    char host[64], port[8], err[200];
    static const struct {
        const char *url, *why;
    } bad[] = {{"rfc2217://nohost", "no :PORT"},
               {"rfc2217://:4000", "no host"},
               {"rfc2217://h:0", "not a number from 1 to 65535"},
               {"rfc2217://h:70000", "not a number"},
               {"rfc2217://h:12a", "not a number"},
               {"tcp://h:1", "not an rfc2217:// URL"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(r2217_parse_url(bad[i].url, host, sizeof host, port, sizeof port, err, sizeof err), -1, "%s",
                     bad[i].url);
        cr_assert_not_null(strstr(err, bad[i].why), "%s: got \"%s\"", bad[i].url, err);
    }
}

/* ---- the server's side (resetlab serve) ----------------------------------- */

static struct parsed *parse_as_server(const uint8_t *in, size_t n)
{
    struct parsed *p = calloc(1, sizeof *p);
    cr_assert_not_null(p);
    struct r2217 c;
    r2217_init_server(&c);
    uint8_t hello[32];
    size_t k = r2217_hello(&c, hello, sizeof hello);
    static const uint8_t want_hello[] = {IAC, 253, 44, IAC, 251, 0, IAC, 253, 0, IAC, 251, 3, IAC, 253, 3};
    cr_assert(k == sizeof want_hello && memcmp(hello, want_hello, k) == 0, "a server says DO COM-PORT-OPTION");
    feed_part(&c, in, n, p);
    return p;
}

/* pyserial's client at open: WILL COM-PORT, then its four settings, a
 * SET-CONTROL, PURGE and the flow-control suspend (no value byte). */
Test(server, client_commands_become_events)
{
    static const uint8_t in[] = {
        IAC, 251, 44,                              /* WILL COM-PORT: the client agrees */
        IAC, SB, 44, 1, 0x00, 0x01, 0xc2, 0x00, IAC, SE, /* SET-BAUDRATE 115200 */
        IAC, SB, 44, 2, 8, IAC, SE,                /* SET-DATASIZE 8 */
        IAC, SB, 44, 5, 8, IAC, SE,                /* SET-CONTROL DTR on */
        IAC, SB, 44, 12, 3, IAC, SE,               /* PURGE-DATA both */
        IAC, SB, 44, 8, IAC, SE,                   /* FLOWCONTROL-SUSPEND */
        IAC, SB, 44, 0, IAC, SE,                   /* SIGNATURE request */
    };
    struct parsed *p = parse_as_server(in, sizeof in);
    cr_assert_eq(p->n_ev, 7);
    cr_assert_eq(p->ev[0].kind, R2217_EV_AGREED);
    const int cmd[] = {1, 2, 5, 12, 8, 0};
    const uint32_t val[] = {115200, 8, 8, 3, 0, 0};
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(p->ev[1 + i].kind, R2217_EV_COMMAND, "event %d", i + 1);
        cr_assert_eq(p->ev[1 + i].command, cmd[i]);
        cr_assert_eq(p->ev[1 + i].value, val[i]);
    }
    cr_assert_eq(p->reply_len, 0, "WILL COM-PORT answered by the hello's DO, not again");
    free(p);
}

Test(server, malformed_client_commands)
{
    static const uint8_t in[] = {
        IAC, SB, 44, 99, 1, IAC, SE,         /* no such command */
        IAC, SB, 44, 5, IAC, SE,             /* SET-CONTROL without its value */
        IAC, SB, 44, 8, 1, IAC, SE,          /* FLOWCONTROL-SUSPEND takes no value */
        IAC, SB, 44, 105, 8, IAC, SE,        /* an answer, sent to a server */
    };
    struct parsed *p = parse_as_server(in, sizeof in);
    cr_assert_eq(p->n_ev, 4);
    cr_assert_str_eq(p->ev[0].what, "unknown COM-PORT-OPTION command");
    for (int i = 1; i < 3; i++)
        cr_assert_str_eq(p->ev[i].what, "COM-PORT-OPTION command with the wrong number of value bytes");
    cr_assert_str_eq(p->ev[3].what, "unknown COM-PORT-OPTION command");
    free(p);
}

/* RFC 2217: FLOWCONTROL-SUSPEND (8) and -RESUME (9) carry no value;
 * SET-LINESTATE-MASK (10) and SET-MODEMSTATE-MASK (11) carry one byte. */
Test(parse, flow_control_answers_have_no_value_masks_have_one)
{
    static const uint8_t in[] = {IAC, SB, 44, 108, IAC, SE, IAC, SB, 44, 109, IAC, SE,
                                 IAC, SB, 44, 110, 0xff, 0xff, IAC, SE, IAC, SB, 44, 111, 0x00, IAC, SE};
    struct parsed *p = parse(in, sizeof in);
    cr_assert_eq(p->n_ev, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(p->ev[i].kind, R2217_EV_ANSWER, "answer %d: %s", i, p->ev[i].what ? p->ev[i].what : "");
    cr_assert_eq(p->ev[2].value, 0xff);
    free(p);
}

Test(server, answers_are_command_plus_100)
{
    uint8_t out[R2217_COMMAND_MAX];
    const uint8_t v = R2217_RTS_OFF;
    size_t n = r2217_encode_answer(R2217_SET_CONTROL, &v, 1, out, sizeof out);
    static const uint8_t want[] = {IAC, SB, 44, 105, 12, IAC, SE};
    cr_assert(n == sizeof want && memcmp(out, want, n) == 0);
    cr_assert_eq(r2217_encode_answer(13, &v, 1, out, sizeof out), 0, "no command 13");
    cr_assert_str_eq(r2217_command_name(R2217_SET_MODEMSTATE_MASK), "SET-MODEMSTATE-MASK");
    cr_assert_str_eq(r2217_command_name(42), "?");
}
