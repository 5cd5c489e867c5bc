/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The telnet + RFC 2217 codec (port_rfc2217_codec.h): a byte-at-a-time state machine,
 * so input split at any byte parses exactly as the whole.
 * May call: libc; no I/O. */
#include "port_rfc2217_codec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_DATA, S_IAC, S_VERB, S_SB, S_SB_IAC };

void r2217_init(struct r2217 *c)
{
    memset(c, 0, sizeof *c);
    c->state = S_DATA;
}

int r2217_idle(const struct r2217 *c)
{
    return c->state == S_DATA;
}

/* ---- negotiation --------------------------------------------------------- */

static uint8_t verb_bit(uint8_t verb)
{
    return (uint8_t)(1u << (verb - TELNET_WILL));
}

static int supported(uint8_t opt)
{
    return opt == TELNET_OPT_BINARY || opt == TELNET_OPT_SGA || opt == TELNET_OPT_COM_PORT;
}

/* Each (verb, option) goes out at most once per connection, so two peers
 * that disagree cannot answer each other forever. */
static void reply_once(struct r2217 *c, uint8_t verb, uint8_t opt)
{
    if ((c->sent[opt] & verb_bit(verb)) || c->reply_len + 3 > sizeof c->reply)
        return;
    c->sent[opt] |= verb_bit(verb);
    c->reply[c->reply_len++] = TELNET_IAC;
    c->reply[c->reply_len++] = verb;
    c->reply[c->reply_len++] = opt;
}

void r2217_init_server(struct r2217 *c)
{
    r2217_init(c);
    c->server = 1;
}

size_t r2217_hello(struct r2217 *c, uint8_t *out, size_t cap)
{
    uint8_t com = c->server ? TELNET_DO : TELNET_WILL;
    const uint8_t hello[][2] = {{com, TELNET_OPT_COM_PORT},  {TELNET_WILL, TELNET_OPT_BINARY},
                                {TELNET_DO, TELNET_OPT_BINARY}, {TELNET_WILL, TELNET_OPT_SGA},
                                {TELNET_DO, TELNET_OPT_SGA}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof hello / sizeof hello[0] && n + 3 <= cap; i++) {
        c->sent[hello[i][1]] |= verb_bit(hello[i][0]);
        out[n++] = TELNET_IAC;
        out[n++] = hello[i][0];
        out[n++] = hello[i][1];
    }
    return n;
}

/* The client says WILL COM-PORT-OPTION, the server DO (RFC 2217 p. 3);
 * each side reports the other's yes or no as AGREED or REFUSED. */
static void on_verb(struct r2217 *c, uint8_t verb, uint8_t opt, struct r2217_event *ev)
{
    uint8_t yes = c->server ? TELNET_WILL : TELNET_DO, no = c->server ? TELNET_WONT : TELNET_DONT;
    if (verb == TELNET_DO)
        reply_once(c, supported(opt) ? TELNET_WILL : TELNET_WONT, opt);
    else if (verb == TELNET_WILL)
        reply_once(c, supported(opt) ? TELNET_DO : TELNET_DONT, opt);
    if (opt == TELNET_OPT_COM_PORT && verb == yes)
        ev->kind = R2217_EV_AGREED;
    else if (opt == TELNET_OPT_COM_PORT && verb == no)
        ev->kind = R2217_EV_REFUSED;
    /* WONT, and DONT for other options: already off on our side; no answer. */
}

/* ---- subnegotiations ----------------------------------------------------- */

static void malformed(struct r2217_event *ev, const char *what)
{
    ev->kind = R2217_EV_MALFORMED;
    ev->what = what;
}

/* Value bytes each command and its answer carry (RFC 2217 pp. 6-11). */
static int value_len(int command)
{
    if (command == R2217_SET_BAUDRATE)
        return 4;
    if (command == R2217_FLOWCONTROL_SUSPEND || command == R2217_FLOWCONTROL_RESUME)
        return 0;
    return 1;
}

/* A server reads the client's commands (codes 0-12). */
static void finish_command(struct r2217 *c, struct r2217_event *ev)
{
    int command = c->sb[1];
    size_t len = c->sb_len - 2;
    if (command > R2217_PURGE_DATA)
        return malformed(ev, "unknown COM-PORT-OPTION command");
    if (command != R2217_SIGNATURE && (int)len != value_len(command))
        return malformed(ev, "COM-PORT-OPTION command with the wrong number of value bytes");
    ev->kind = R2217_EV_COMMAND;
    ev->command = command;
    ev->value_len = len;
    ev->value = 0;
    for (size_t i = 0; i < len && i < 4; i++) /* SIGNATURE's text is not kept */
        ev->value = ev->value << 8 | c->sb[2 + i];
}

static void finish_sb(struct r2217 *c, struct r2217_event *ev)
{
    if (c->sb_overflow)
        return malformed(ev, "subnegotiation longer than 64 bytes");
    if (c->sb_len == 0)
        return malformed(ev, "empty subnegotiation");
    if (c->sb[0] != TELNET_OPT_COM_PORT)
        return; /* an option we refused: nothing to do */
    if (c->sb_len < 2)
        return malformed(ev, "COM-PORT-OPTION subnegotiation without a command");
    if (c->server)
        return finish_command(c, ev);
    if (c->sb[1] < R2217_SERVER_OFFSET || c->sb[1] > R2217_SERVER_OFFSET + R2217_PURGE_DATA)
        return malformed(ev, "unknown COM-PORT-OPTION answer code");
    int command = c->sb[1] - R2217_SERVER_OFFSET;
    size_t len = c->sb_len - 2;
    if (command == R2217_SIGNATURE)
        return; /* free text about the server */
    if ((int)len != value_len(command))
        return malformed(ev, "COM-PORT-OPTION answer with the wrong number of value bytes");
    ev->kind = R2217_EV_ANSWER;
    ev->command = command;
    ev->value_len = len;
    ev->value = 0;
    for (size_t i = 0; i < len; i++)
        ev->value = ev->value << 8 | c->sb[2 + i];
}

static void sb_put(struct r2217 *c, uint8_t b)
{
    if (c->sb_len < sizeof c->sb)
        c->sb[c->sb_len++] = b;
    else
        c->sb_overflow = 1;
}

/* ---- the state machine --------------------------------------------------- */

static void data_put(uint8_t b, uint8_t *data, size_t *data_len)
{
    data[(*data_len)++] = b;
}

static void after_iac(struct r2217 *c, uint8_t b, uint8_t *data, size_t *data_len, struct r2217_event *ev)
{
    c->state = S_DATA;
    if (b == TELNET_IAC) {
        data_put(b, data, data_len);
    } else if (b >= TELNET_WILL && b <= TELNET_DONT) {
        c->verb = b;
        c->state = S_VERB;
    } else if (b == TELNET_SB) {
        c->sb_len = 0;
        c->sb_overflow = 0;
        c->state = S_SB;
    } else if (b == TELNET_SE) {
        malformed(ev, "IAC SE outside a subnegotiation");
    } else if (b < TELNET_SE) {
        malformed(ev, "unknown telnet command");
    }
    /* NOP, DM, BRK, IP, AO, AYT, EC, EL, GA: nothing for a serial port */
}

/* One byte; returns 0 when it must be seen again in the new state. */
static int step(struct r2217 *c, uint8_t b, uint8_t *data, size_t *data_len, struct r2217_event *ev)
{
    switch (c->state) {
    case S_DATA:
        if (b == TELNET_IAC)
            c->state = S_IAC;
        else
            data_put(b, data, data_len);
        return 1;
    case S_IAC:
        after_iac(c, b, data, data_len, ev);
        return 1;
    case S_VERB:
        c->state = S_DATA;
        on_verb(c, c->verb, b, ev);
        return 1;
    case S_SB:
        if (b == TELNET_IAC)
            c->state = S_SB_IAC;
        else
            sb_put(c, b);
        return 1;
    default: /* S_SB_IAC */
        if (b == TELNET_IAC) {
            sb_put(c, b);
            c->state = S_SB;
            return 1;
        }
        if (b == TELNET_SE) {
            c->state = S_DATA;
            finish_sb(c, ev);
            return 1;
        }
        /* The peer started a new command inside the SB: drop the SB and
         * read this byte as the command it is. */
        c->state = S_IAC;
        malformed(ev, "subnegotiation ended without IAC SE");
        return 0;
    }
}

static int yields_data(const struct r2217 *c, uint8_t b)
{
    return (c->state == S_DATA && b != TELNET_IAC) || (c->state == S_IAC && b == TELNET_IAC);
}

size_t r2217_feed(struct r2217 *c, const uint8_t *in, size_t n, uint8_t *data, size_t data_cap, size_t *data_len,
                  struct r2217_event *ev)
{
    memset(ev, 0, sizeof *ev);
    size_t i = 0;
    while (i < n && ev->kind == R2217_EV_NONE) {
        if (yields_data(c, in[i]) && *data_len >= data_cap)
            break;
        i += (size_t)step(c, in[i], data, data_len, ev);
    }
    return i;
}

/* ---- encoders ------------------------------------------------------------ */

size_t r2217_encode_data(const uint8_t *in, size_t n, size_t *consumed, uint8_t *out, size_t cap)
{
    size_t i = 0, k = 0;
    for (; i < n; i++) {
        size_t need = in[i] == TELNET_IAC ? 2 : 1;
        if (k + need > cap)
            break;
        out[k++] = in[i];
        if (in[i] == TELNET_IAC)
            out[k++] = TELNET_IAC;
    }
    *consumed = i;
    return k;
}

size_t r2217_encode_command(int command, const uint8_t *value, size_t len, uint8_t *out, size_t cap)
{
    size_t need = 6 + len;
    for (size_t i = 0; i < len; i++)
        need += value[i] == TELNET_IAC;
    if (need > cap || command < 0 || command > 255)
        return 0;
    size_t k = 0;
    out[k++] = TELNET_IAC;
    out[k++] = TELNET_SB;
    out[k++] = TELNET_OPT_COM_PORT;
    out[k++] = (uint8_t)command;
    for (size_t i = 0; i < len; i++) {
        out[k++] = value[i];
        if (value[i] == TELNET_IAC)
            out[k++] = TELNET_IAC;
    }
    out[k++] = TELNET_IAC;
    out[k++] = TELNET_SE;
    return k;
}

size_t r2217_encode_answer(int command, const uint8_t *value, size_t len, uint8_t *out, size_t cap)
{
    if (command < 0 || command > R2217_PURGE_DATA)
        return 0;
    return r2217_encode_command(command + R2217_SERVER_OFFSET, value, len, out, cap);
}

size_t r2217_encode_baud(uint32_t baud, uint8_t *out, size_t cap)
{
    const uint8_t v[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8), (uint8_t)baud};
    return r2217_encode_command(R2217_SET_BAUDRATE, v, sizeof v, out, cap);
}

size_t r2217_encode_control(uint8_t value, uint8_t *out, size_t cap)
{
    return r2217_encode_command(R2217_SET_CONTROL, &value, 1, out, cap);
}

size_t r2217_encode_purge(uint8_t what, uint8_t *out, size_t cap)
{
    return r2217_encode_command(R2217_PURGE_DATA, &what, 1, out, cap);
}

/* ---- the ack matcher ----------------------------------------------------- */

void r2217_acks_reset(struct r2217_acks *a)
{
    memset(a, 0, sizeof *a);
}

int r2217_acks_expect(struct r2217_acks *a, int command, uint32_t value)
{
    if (a->n >= R2217_MAX_PENDING)
        return -1;
    a->want[a->n].command = command;
    a->want[a->n].value = value;
    a->want[a->n].done = 0;
    a->n++;
    return 0;
}

int r2217_acks_match(struct r2217_acks *a, const struct r2217_event *ev)
{
    if (ev->kind != R2217_EV_ANSWER)
        return 0;
    int command_waited = 0;
    for (int i = 0; i < a->n; i++) {
        if (a->want[i].done || a->want[i].command != ev->command)
            continue;
        command_waited = 1;
        if (a->want[i].value == ev->value) {
            a->want[i].done = 1;
            return 1;
        }
    }
    if (command_waited) {
        a->mismatches++;
        a->last_mismatch = ev->value;
    }
    return 0;
}

int r2217_acks_first_missing(const struct r2217_acks *a)
{
    for (int i = 0; i < a->n; i++)
        if (!a->want[i].done)
            return i;
    return -1;
}

int r2217_acks_all_done(const struct r2217_acks *a)
{
    return r2217_acks_first_missing(a) < 0;
}

const char *r2217_command_name(int command)
{
    static const char *const names[] = {
        "SIGNATURE",          "SET-BAUDRATE",        "SET-DATASIZE",        "SET-PARITY",     "SET-STOPSIZE",
        "SET-CONTROL",        "NOTIFY-LINESTATE",    "NOTIFY-MODEMSTATE",   "FLOWCONTROL-SUSPEND",
        "FLOWCONTROL-RESUME", "SET-LINESTATE-MASK",  "SET-MODEMSTATE-MASK", "PURGE-DATA"};
    if (command < 0 || command > R2217_PURGE_DATA)
        return "?";
    return names[command];
}

const char *r2217_control_name(uint32_t value)
{
    switch (value) {
    case R2217_DTR_ON:
        return "DTR on";
    case R2217_DTR_OFF:
        return "DTR off";
    case R2217_RTS_ON:
        return "RTS on";
    case R2217_RTS_OFF:
        return "RTS off";
    default:
        return "?";
    }
}

/* ---- URLs ---------------------------------------------------------------- */

int r2217_is_url(const char *spec)
{
    return strncmp(spec, "rfc2217://", 10) == 0;
}

static int bad_url(char *err, size_t err_len, const char *spec, const char *why)
{
    snprintf(err, err_len, "port '%s': %s; expected rfc2217://HOST:PORT", spec, why);
    return -1;
}

static int valid_port_number(const char *s)
{
    if (*s == '\0' || strlen(s) > 5)
        return 0;
    for (const char *q = s; *q; q++)
        if (!isdigit((unsigned char)*q))
            return 0;
    long v = strtol(s, NULL, 10);
    return v >= 1 && v <= 65535;
}

int r2217_parse_url(const char *spec, char *host, size_t host_len, char *port, size_t port_len, char *err,
                    size_t err_len)
{
    if (!r2217_is_url(spec))
        return bad_url(err, err_len, spec, "not an rfc2217:// URL");
    const char *h = spec + 10, *colon;
    size_t hlen;
    if (*h == '[') { /* [v6]:port */
        const char *close = strchr(h, ']');
        if (close == NULL || close[1] != ':')
            return bad_url(err, err_len, spec, "no :PORT after the host");
        h++;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(h, ':');
        if (colon == NULL)
            return bad_url(err, err_len, spec, "no :PORT after the host");
        hlen = (size_t)(colon - h);
    }
    if (hlen == 0 || hlen >= host_len)
        return bad_url(err, err_len, spec, hlen == 0 ? "no host" : "host too long");
    if (!valid_port_number(colon + 1) || strlen(colon + 1) >= port_len)
        return bad_url(err, err_len, spec, "the port is not a number from 1 to 65535");
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    snprintf(port, port_len, "%s", colon + 1);
    return 0;
}
