/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sequence DSL (lab_dsl.h): parsing esptool's custom_reset_sequence
 * with resetlab's port ops into an op_seq, each op with its position for
 * errors, and formatting an op back. May call: sim/ (lab types), libc. */
#include "lab_dsl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAIT_S 3600.0

struct cursor {
    const char *text;
    size_t i;
    char *err;
    size_t err_len;
};

static int fail_at(struct cursor *c, size_t at, const char *fmt, const char *what)
{
    char msg[128];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(c->err, c->err_len, "column %zu: %s", at + 1, msg);
    return -1;
}

static void skip_spaces(struct cursor *c)
{
    while (c->text[c->i] == ' ' || c->text[c->i] == '\t')
        c->i++;
}

/* The token's text, for messages: up to the next '|' or the end. */
static const char *token_text(const struct cursor *c, size_t at, char *buf, size_t len)
{
    size_t n = strcspn(c->text + at, "|");
    if (n >= len)
        n = len - 1;
    memcpy(buf, c->text + at, n);
    buf[n] = '\0';
    return buf;
}

static int parse_bit(struct cursor *c, uint8_t *out)
{
    char ch = c->text[c->i];
    if (ch != '0' && ch != '1') {
        char tok[2] = {ch, '\0'};
        return fail_at(c, c->i, "expected 0 or 1, got '%s'", ch ? tok : "end of text");
    }
    *out = (uint8_t)(ch - '0');
    c->i++;
    return 0;
}

static int parse_wait(struct cursor *c, struct op *op)
{
    const char *start = c->text + c->i;
    if (!isdigit((unsigned char)*start) && *start != '.')
        return fail_at(c, c->i, "W needs a number of seconds, got '%s'", *start ? start : "end of text");
    size_t len = strspn(start, "0123456789.eE+-"); /* a decimal number, as esptool's float() takes it */
    char *end;
    errno = 0;
    double s = strtod(start, &end);
    if ((size_t)(end - start) > len)
        end = (char *)start + len; /* no hex, no "inf": what follows is reported as unexpected */
    if (errno != 0 || !isfinite(s) || s < 0 || s > MAX_WAIT_S)
        return fail_at(c, c->i, "wait out of range (0 to 3600 s): '%s'", start);
    op->wait_s = s;
    c->i += (size_t)(end - start);
    return 0;
}

static int parse_one(struct cursor *c, struct op *op)
{
    size_t at = c->i;
    char letter = c->text[c->i++];
    char tok[32];
    op->pos = (int)at + 1;
    switch (letter) {
    case 'D':
        op->kind = OP_DTR;
        return parse_bit(c, &op->dtr);
    case 'R':
        op->kind = OP_RTS;
        return parse_bit(c, &op->rts);
    case 'U':
        op->kind = OP_BOTH;
        if (parse_bit(c, &op->dtr) != 0)
            return -1;
        if (c->text[c->i] != ',')
            return fail_at(c, c->i, "U takes <dtr>,<rts> as in U1,0; got '%s'", token_text(c, at, tok, sizeof tok));
        c->i++;
        return parse_bit(c, &op->rts);
    case 'W':
        op->kind = OP_WAIT;
        return parse_wait(c, op);
    case 'S':
        op->kind = OP_SYNC;
        return 0;
    case 'O':
    case 'C': {
        int lowered = c->text[c->i] == '0';
        c->i += lowered;
        op->kind = letter == 'O' ? (lowered ? OP_OPEN_LOWERED : OP_OPEN) : (lowered ? OP_CLOSE_RTS_DTR : OP_CLOSE);
        return 0;
    }
    case '\0':
    case '|':
        c->i--;
        return fail_at(c, at, "%s", "empty step (expected D, R, U, W, S, O or C)");
    default:
        return fail_at(c, at, "unknown step '%s' (expected D, R, U, W, S, O or C)", token_text(c, at, tok, sizeof tok));
    }
}

static int push(struct op_seq *seq, int *cap, const struct op *op)
{
    if (seq->n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        struct op *p = realloc(seq->ops, (size_t)ncap * sizeof *p);
        if (p == NULL)
            return -1;
        seq->ops = p;
        *cap = ncap;
    }
    seq->ops[seq->n++] = *op;
    return 0;
}

int dsl_parse(const char *text, struct op_seq *out, char *err, size_t err_len)
{
    struct cursor c = {text, 0, err, err_len};
    int cap = 0;
    *out = (struct op_seq){0};
    skip_spaces(&c);
    if (text[c.i] == '\0')
        return 0;
    for (;;) {
        struct op op = {0};
        skip_spaces(&c);
        if (parse_one(&c, &op) != 0)
            goto bad;
        dsl_format_op(&op, op.label, sizeof op.label);
        skip_spaces(&c);
        char ch = text[c.i];
        if (ch != '\0' && ch != '|') {
            char tok[32];
            fail_at(&c, c.i, "unexpected '%s' after a step (steps are separated by |)", token_text(&c, c.i, tok, sizeof tok));
            goto bad;
        }
        if (push(out, &cap, &op) != 0) {
            snprintf(err, err_len, "out of memory");
            goto bad;
        }
        if (ch == '\0')
            return 0;
        c.i++;
    }
bad:
    op_seq_free(out);
    return -1;
}

void dsl_format_reset(const struct op_seq *seq, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < seq->n && seq->ops[i].kind != OP_SYNC; i++) {
        if (op_is_port_op(seq->ops[i].kind))
            continue;
        char tok[24];
        dsl_format_op(&seq->ops[i], tok, sizeof tok);
        int n = snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? "|" : "", tok);
        if (n < 0 || at + (size_t)n >= len)
            return; /* cut: the caller's buffer is its limit */
        at += (size_t)n;
    }
}

void dsl_format_op(const struct op *op, char *buf, size_t len)
{
    switch (op->kind) {
    case OP_DTR: snprintf(buf, len, "D%u", op->dtr); break;
    case OP_RTS: snprintf(buf, len, "R%u", op->rts); break;
    case OP_BOTH: snprintf(buf, len, "U%u,%u", op->dtr, op->rts); break;
    case OP_WAIT: snprintf(buf, len, "W%g", op->wait_s); break;
    case OP_SYNC: snprintf(buf, len, "S"); break;
    case OP_OPEN: snprintf(buf, len, "O"); break;
    case OP_OPEN_LOWERED: snprintf(buf, len, "O0"); break;
    case OP_CLOSE: snprintf(buf, len, "C"); break;
    case OP_CLOSE_RTS_DTR: snprintf(buf, len, "C0"); break;
    }
}
