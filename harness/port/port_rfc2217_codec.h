/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pure telnet + RFC 2217 (COM-PORT-OPTION) codec: bytes in, events and
 * bytes out, no I/O and no clock, so it is tested byte by byte and shared by
 * the client port backend and, later, `resetlab serve`.
 *
 * Hand-written rather than gensio (README, "Remote ports"): gensio 2.6.2
 * matches answers per option without the value and has fixed ~5 s
 * timeouts; here an answer is matched by (command, value) and the caller
 * owns every deadline.
 *
 * Subset: RFC 854/855 (IAC, verbs, SB ... IAC SE), 856 BINARY, 858 SGA,
 * 2217 SET-BAUDRATE, SET-CONTROL, PURGE-DATA and the server's answers. */
#ifndef RESETLAB_PORT_PORT_RFC2217_CODEC_H
#define RESETLAB_PORT_PORT_RFC2217_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* RFC 854 command bytes. */
enum {
    TELNET_SE = 240,
    TELNET_NOP = 241,
    TELNET_SB = 250,
    TELNET_WILL = 251,
    TELNET_WONT = 252,
    TELNET_DO = 253,
    TELNET_DONT = 254,
    TELNET_IAC = 255,
};

/* Options: RFC 856, 858, 2217. */
enum { TELNET_OPT_BINARY = 0, TELNET_OPT_SGA = 3, TELNET_OPT_COM_PORT = 44 };

/* RFC 2217 client commands; the server answers with command + 100. */
enum {
    R2217_SIGNATURE = 0,
    R2217_SET_BAUDRATE = 1,
    R2217_SET_DATASIZE = 2,
    R2217_SET_PARITY = 3,
    R2217_SET_STOPSIZE = 4,
    R2217_SET_CONTROL = 5,
    R2217_NOTIFY_LINESTATE = 6,
    R2217_NOTIFY_MODEMSTATE = 7,
    R2217_FLOWCONTROL_SUSPEND = 8,
    R2217_FLOWCONTROL_RESUME = 9,
    R2217_SET_LINESTATE_MASK = 10,
    R2217_SET_MODEMSTATE_MASK = 11,
    R2217_PURGE_DATA = 12,
    R2217_SERVER_OFFSET = 100,
};

/* SET-CONTROL values (RFC 2217 p. 8): 0 asks for the flow control, 7 for
 * DTR, 10 for RTS; 1-3, 13-19 set flow control; 4-6 are BREAK. */
enum {
    R2217_FLOW_REQUEST = 0,
    R2217_FLOW_NONE = 1,
    R2217_DTR_REQUEST = 7,
    R2217_DTR_ON = 8,
    R2217_DTR_OFF = 9,
    R2217_RTS_REQUEST = 10,
    R2217_RTS_ON = 11,
    R2217_RTS_OFF = 12,
};
/* PURGE-DATA values. */
enum { R2217_PURGE_RX = 1, R2217_PURGE_TX = 2, R2217_PURGE_BOTH = 3 };

/* A COM-PORT subnegotiation longer than this is reported, not stored. */
#define R2217_SB_MAX 64
/* The longest encoded command: IAC SB 44 cmd, 4 value bytes all doubled, IAC SE. */
#define R2217_COMMAND_MAX 14

enum r2217_event_kind {
    R2217_EV_NONE,
    R2217_EV_ANSWER,    /* the server answered `command` with `value` */
    R2217_EV_AGREED,    /* the server said DO COM-PORT-OPTION */
    R2217_EV_REFUSED,   /* the server said DONT COM-PORT-OPTION */
    R2217_EV_MALFORMED, /* `what` says how; parsing goes on */
    R2217_EV_COMMAND,   /* server: the client sent `command` with `value` */
};

struct r2217_event {
    enum r2217_event_kind kind;
    int command;       /* ANSWER: the client command answered (server code - 100); COMMAND: the command */
    uint32_t value;    /* ANSWER, COMMAND: big-endian value bytes (SIGNATURE: the first 4) */
    size_t value_len;  /* ANSWER, COMMAND: how many value bytes */
    const char *what;  /* MALFORMED: a static phrase */
};

/* One connection's parser and negotiation state; zero it with r2217_init. */
struct r2217 {
    int server; /* parses commands instead of answers */
    int state;
    uint8_t verb;
    uint8_t sb[R2217_SB_MAX];
    size_t sb_len;
    int sb_overflow;
    uint8_t sent[256]; /* per option: which of WILL/WONT/DO/DONT we sent, so each is sent once */
    /* Negotiation answers waiting to be sent. At most two per option (one
     * of WILL/WONT, one of DO/DONT) ever go out, so this never fills. */
    uint8_t reply[256 * 2 * 3];
    size_t reply_len;
};

void r2217_init(struct r2217 *c);

/* The server's side: the client's commands become R2217_EV_COMMAND. */
void r2217_init_server(struct r2217 *c);

/* The first message (a client's WILL COM-PORT, a server's DO COM-PORT;
 * WILL/DO BINARY, WILL/DO SGA), recorded as sent. Returns its length;
 * `out` holds at least 15 bytes. */
size_t r2217_hello(struct r2217 *c, uint8_t *out, size_t cap);

/* Parses in[0..n) until one event completes or the input ends, and returns
 * the bytes consumed. Serial data goes to data[*data_len..data_cap); when
 * that is full, parsing stops before the next data byte. Negotiation
 * answers collect in c->reply: send and clear them after each call. Input
 * may be split at any byte. */
size_t r2217_feed(struct r2217 *c, const uint8_t *in, size_t n, uint8_t *data, size_t data_cap, size_t *data_len,
                  struct r2217_event *ev);

/* 1 when no telnet sequence is half-parsed (a lone IAC or an open SB). */
int r2217_idle(const struct r2217 *c);

/* Data with every IAC doubled. Encodes from in[0..n) while it fits in
 * out[0..cap), sets *consumed and returns the bytes written. */
size_t r2217_encode_data(const uint8_t *in, size_t n, size_t *consumed, uint8_t *out, size_t cap);

/* IAC SB COM-PORT-OPTION cmd value... IAC SE, IAC doubled in the value.
 * Returns the length, or 0 when it does not fit. */
size_t r2217_encode_command(int command, const uint8_t *value, size_t len, uint8_t *out, size_t cap);
size_t r2217_encode_baud(uint32_t baud, uint8_t *out, size_t cap);
size_t r2217_encode_control(uint8_t value, uint8_t *out, size_t cap);
size_t r2217_encode_purge(uint8_t what, uint8_t *out, size_t cap);
/* A server's answer or notification: command + 100 with the value. */
size_t r2217_encode_answer(int command, const uint8_t *value, size_t len, uint8_t *out, size_t cap);

/* Answers we wait for, keyed by (command, value): an answer with another
 * value, or one nobody waits for, never completes a request. */
#define R2217_MAX_PENDING 8
struct r2217_acks {
    struct {
        int command;
        uint32_t value;
        int done;
    } want[R2217_MAX_PENDING];
    int n;
    int mismatches;       /* answers to a waited-for command with another value */
    uint32_t last_mismatch;
};

void r2217_acks_reset(struct r2217_acks *a);
int r2217_acks_expect(struct r2217_acks *a, int command, uint32_t value); /* -1 when full */
/* 1 when the event completed a waited-for request, else 0. */
int r2217_acks_match(struct r2217_acks *a, const struct r2217_event *ev);
int r2217_acks_all_done(const struct r2217_acks *a);
/* The first request still unanswered, or -1. */
int r2217_acks_first_missing(const struct r2217_acks *a);

/* "SET-CONTROL", "DTR on" ...; "?" for others. */
const char *r2217_command_name(int command);
const char *r2217_control_name(uint32_t value);

/* "rfc2217://HOST:PORT" (HOST may be [v6]); 0, or -1 with one line in err. */
int r2217_parse_url(const char *spec, char *host, size_t host_len, char *port, size_t port_len, char *err,
                    size_t err_len);
int r2217_is_url(const char *spec);

#endif
