/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sequence DSL (harness/dsl.h): esptool's custom_reset_sequence
 * ("D0|R1|W0.1|D1|R0|W0.05|D0", U<dtr>,<rts>) plus the port ops O, O0, C,
 * C0. Errors are "column N: reason", N the 1-based column of the offending
 * character; every expected column below is counted by hand. */
#include <criterion/criterion.h>

#include "helpers.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/lab/lab_dsl.h"


/* Parses `text` and asserts success with `n` ops. */
static void parse_ok(const char *text, struct op_seq *seq, int n)
{
    char err[160] = "";
    int rc = dsl_parse(text, seq, err, sizeof err);
    cr_assert_eq(rc, 0, "dsl_parse(\"%s\") failed: %s", text, err);
    cr_assert_eq(seq->n, n, "dsl_parse(\"%s\"): %d ops, expected %d", text, seq->n, n);
}

static void assert_line_op(const struct op_seq *seq, int i, enum op_kind kind, int value, int pos)
{
    const struct op *op = &seq->ops[i];
    cr_assert_eq(op->kind, kind, "op %d: kind %d, expected %d", i, (int)op->kind, (int)kind);
    if (kind == OP_DTR)
        cr_assert_eq(op->dtr, value, "op %d: D%d, expected D%d", i, op->dtr, value);
    else
        cr_assert_eq(op->rts, value, "op %d: R%d, expected R%d", i, op->rts, value);
    cr_assert_eq(op->pos, pos, "op %d: pos %d, expected %d", i, op->pos, pos);
}

static void assert_both_op(const struct op_seq *seq, int i, int dtr, int rts, int pos)
{
    const struct op *op = &seq->ops[i];
    cr_assert_eq(op->kind, OP_BOTH, "op %d: kind %d, expected OP_BOTH", i, (int)op->kind);
    cr_assert_eq(op->dtr, dtr, "op %d: U%d,%d, expected U%d,%d", i, op->dtr, op->rts, dtr, rts);
    cr_assert_eq(op->rts, rts, "op %d: U%d,%d, expected U%d,%d", i, op->dtr, op->rts, dtr, rts);
    cr_assert_eq(op->pos, pos, "op %d: pos %d, expected %d", i, op->pos, pos);
}

static void assert_wait_op(const struct op_seq *seq, int i, double seconds, int pos)
{
    const struct op *op = &seq->ops[i];
    cr_assert_eq(op->kind, OP_WAIT, "op %d: kind %d, expected OP_WAIT", i, (int)op->kind);
    cr_assert(fabs(op->wait_s - seconds) < 1e-12, "op %d: W%g, expected W%g", i, op->wait_s, seconds);
    cr_assert_eq(op->pos, pos, "op %d: pos %d, expected %d", i, op->pos, pos);
}

static void assert_port_op(const struct op_seq *seq, int i, enum op_kind kind, int pos)
{
    const struct op *op = &seq->ops[i];
    cr_assert_eq(op->kind, kind, "op %d: kind %d, expected %d", i, (int)op->kind, (int)kind);
    cr_assert(op_is_port_op(op->kind), "op %d is not a port op", i);
    cr_assert_eq(op->pos, pos, "op %d: pos %d, expected %d", i, op->pos, pos);
}

/* Asserts that `text` is rejected with "column <column>: ..." containing
 * `reason`, and that nothing is left allocated in the output. */
static void expect_error(const char *text, int column, const char *reason)
{
    struct op_seq seq = {NULL, -1};
    char err[160] = "", prefix[32];
    int rc = dsl_parse(text, &seq, err, sizeof err);
    cr_assert_eq(rc, -1, "dsl_parse(\"%s\") accepted it (%d ops); expected an error at column %d", text, seq.n,
                 column);
    snprintf(prefix, sizeof prefix, "column %d: ", column);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "dsl_parse(\"%s\"): expected \"%s...\", got \"%s\"", text,
              prefix, err);
    cr_assert_not_null(strstr(err, reason), "dsl_parse(\"%s\"): expected the error to mention \"%s\", got \"%s\"",
                       text, reason, err);
    cr_assert_null(strchr(err, '\n'), "the error spans lines: \"%s\"", err);
    cr_assert_null(seq.ops, "dsl_parse(\"%s\") left ops allocated after failing", text);
    cr_assert_eq(seq.n, 0, "dsl_parse(\"%s\") left n = %d after failing", text, seq.n);
    assert_no_leaks(text);
}

/* ------------------------------------------------------------ valid -- */

Test(dsl, esptool_classic_reset)
{
    /* columns: D0=1 R1=4 W0.1=7 D1=12 R0=15 W0.05=18 D0=24 */
    struct op_seq seq;
    parse_ok("D0|R1|W0.1|D1|R0|W0.05|D0", &seq, 7);
    assert_line_op(&seq, 0, OP_DTR, 0, 1);
    assert_line_op(&seq, 1, OP_RTS, 1, 4);
    assert_wait_op(&seq, 2, 0.1, 7);
    assert_line_op(&seq, 3, OP_DTR, 1, 12);
    assert_line_op(&seq, 4, OP_RTS, 0, 15);
    assert_wait_op(&seq, 5, 0.05, 18);
    assert_line_op(&seq, 6, OP_DTR, 0, 24);
    op_seq_free(&seq);
}

Test(dsl, esptool_unix_tight_reset)
{
    /* columns: U0,0=1 U1,1=6 U0,1=11 W0.1=16 U1,0=21 W0.05=26 U0,0=32 D0=37 */
    struct op_seq seq;
    parse_ok("U0,0|U1,1|U0,1|W0.1|U1,0|W0.05|U0,0|D0", &seq, 8);
    assert_both_op(&seq, 0, 0, 0, 1);
    assert_both_op(&seq, 1, 1, 1, 6);
    assert_both_op(&seq, 2, 0, 1, 11);
    assert_wait_op(&seq, 3, 0.1, 16);
    assert_both_op(&seq, 4, 1, 0, 21);
    assert_wait_op(&seq, 5, 0.05, 26);
    assert_both_op(&seq, 6, 0, 0, 32);
    assert_line_op(&seq, 7, OP_DTR, 0, 37);
    op_seq_free(&seq);
}

Test(dsl, port_ops_open_close_and_lowered_variants)
{
    /* columns: O=1 O0=3 C=6 C0=8 */
    struct op_seq seq;
    parse_ok("O|O0|C|C0", &seq, 4);
    assert_port_op(&seq, 0, OP_OPEN, 1);
    assert_port_op(&seq, 1, OP_OPEN_LOWERED, 3);
    assert_port_op(&seq, 2, OP_CLOSE, 6);
    assert_port_op(&seq, 3, OP_CLOSE_RTS_DTR, 8);
    op_seq_free(&seq);
}

Test(dsl, line_ops_are_not_port_ops)
{
    cr_assert(!op_is_port_op(OP_DTR));
    cr_assert(!op_is_port_op(OP_RTS));
    cr_assert(!op_is_port_op(OP_BOTH));
    cr_assert(!op_is_port_op(OP_WAIT));
}

Test(dsl, spaces_around_tokens_are_skipped)
{
    /* "O | D1": O at column 1, D1 at column 5 */
    struct op_seq seq;
    parse_ok("O | D1", &seq, 2);
    assert_port_op(&seq, 0, OP_OPEN, 1);
    assert_line_op(&seq, 1, OP_DTR, 1, 5);
    op_seq_free(&seq);
}

Test(dsl, leading_trailing_spaces_and_tabs)
{
    /* "  R1\t|\tW0.5  ": two spaces, R1 = columns 3-4, tab = 5, '|' = 6,
     * tab = 7, W0.5 from column 8 */
    struct op_seq seq;
    parse_ok("  R1\t|\tW0.5  ", &seq, 2);
    assert_line_op(&seq, 0, OP_RTS, 1, 3);
    assert_wait_op(&seq, 1, 0.5, 8);
    op_seq_free(&seq);
}

Test(dsl, empty_text_is_an_empty_sequence)
{
    struct op_seq seq = {NULL, -1};
    parse_ok("", &seq, 0);
    cr_assert_null(seq.ops, "an empty sequence should not allocate");
}

Test(dsl, blank_text_is_an_empty_sequence)
{
    struct op_seq seq = {NULL, -1};
    parse_ok("  \t ", &seq, 0);
    cr_assert_null(seq.ops, "a blank sequence should not allocate");
}

Test(dsl, wait_bounds_zero_and_one_hour_are_accepted)
{
    struct op_seq seq;
    parse_ok("W0|W3600|W.25", &seq, 3);
    assert_wait_op(&seq, 0, 0.0, 1);
    assert_wait_op(&seq, 1, 3600.0, 4);
    assert_wait_op(&seq, 2, 0.25, 10);
    op_seq_free(&seq);
}

Test(dsl, long_sequence_grows_past_initial_capacity)
{
    /* 20 ops: more than the 8 the parser starts with; D0 every 3 columns */
    char text[128] = "";
    for (int i = 0; i < 20; i++)
        strcat(text, i ? "|D0" : "D0");
    struct op_seq seq;
    parse_ok(text, &seq, 20);
    for (int i = 0; i < 20; i++)
        assert_line_op(&seq, i, OP_DTR, 0, 1 + 3 * i);
    op_seq_free(&seq);
}

/* -------------------------------------------------------- formatting -- */

static void round_trip(const char *token)
{
    struct op_seq seq;
    char buf[32];
    parse_ok(token, &seq, 1);
    dsl_format_op(&seq.ops[0], buf, sizeof buf);
    op_seq_free(&seq);
    cr_assert_str_eq(buf, token, "\"%s\" formats back as \"%s\"", token, buf);
}

Test(dsl, format_round_trips_each_kind)
{
    static const char *const tokens[] = {"D0", "D1", "R0", "R1", "U1,0", "U0,1", "W0.05", "W0.1",
                                         "W2",  "O",  "O0", "C",  "C0"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        round_trip(tokens[i]);
}

Test(dsl, format_round_trips_a_whole_sequence)
{
    const char *text = "O|U0,0|U1,1|U0,1|W0.1|U1,0|W0.05|U0,0|D0|C0";
    struct op_seq seq;
    parse_ok(text, &seq, 10);
    char out[128] = "", tok[32];
    for (int i = 0; i < seq.n; i++) {
        dsl_format_op(&seq.ops[i], tok, sizeof tok);
        if (i)
            strcat(out, "|");
        strcat(out, tok);
    }
    op_seq_free(&seq);
    cr_assert_str_eq(out, text);
}

Test(dsl, format_truncates_to_the_buffer)
{
    struct op op = {.kind = OP_BOTH, .dtr = 1, .rts = 0};
    char buf[3];
    dsl_format_op(&op, buf, sizeof buf);
    cr_assert_str_eq(buf, "U1", "a 3-byte buffer holds \"U1\", got \"%s\"", buf);
}

/* --------------------------------------------------------- malformed -- */

/* "D2": '2' is column 2 */
Test(dsl_errors, dtr_value_not_a_bit) { expect_error("D2", 2, "expected 0 or 1, got '2'"); }

/* "X1": 'X' is column 1 */
Test(dsl_errors, unknown_step_letter) { expect_error("X1", 1, "unknown step 'X1'"); }

/* "d0": steps are upper case; 'd' is column 1 */
Test(dsl_errors, lower_case_step_letter) { expect_error("d0", 1, "unknown step 'd0'"); }

/* "D0||R1": D0 = columns 1-2, '|' = 3, the second '|' = 4 */
Test(dsl_errors, empty_step_between_separators) { expect_error("D0||R1", 4, "empty step"); }

/* "D0|": the end of text after '|' is column 4 */
Test(dsl_errors, trailing_separator) { expect_error("D0|", 4, "empty step"); }

/* "D0 | ": the end of text after the spaces is column 6 */
Test(dsl_errors, trailing_separator_then_spaces) { expect_error("D0 | ", 6, "empty step"); }

/* "|D0": '|' is column 1 */
Test(dsl_errors, leading_separator) { expect_error("|D0", 1, "empty step"); }

/* "U1": the end of text where ',' should be is column 3 */
Test(dsl_errors, both_lines_missing_comma) { expect_error("U1", 3, "U takes <dtr>,<rts>"); }

/* "U1,": the end of text where the RTS bit should be is column 4 */
Test(dsl_errors, both_lines_missing_rts) { expect_error("U1,", 4, "expected 0 or 1, got 'end of text'"); }

/* "U1;0": ';' is column 3 */
Test(dsl_errors, both_lines_wrong_separator) { expect_error("U1;0", 3, "U takes <dtr>,<rts> as in U1,0; got 'U1;0'"); }

/* "U2,0": '2' is column 2 */
Test(dsl_errors, both_lines_dtr_not_a_bit) { expect_error("U2,0", 2, "expected 0 or 1, got '2'"); }

/* "U1,2": '2' is column 4 */
Test(dsl_errors, both_lines_rts_not_a_bit) { expect_error("U1,2", 4, "expected 0 or 1, got '2'"); }

/* "W": the end of text where the number should be is column 2 */
Test(dsl_errors, wait_without_number) { expect_error("W", 2, "W needs a number of seconds, got 'end of text'"); }

/* "W-1": '-' is column 2 */
Test(dsl_errors, wait_negative) { expect_error("W-1", 2, "W needs a number of seconds, got '-1'"); }

/* "Wabc": 'a' is column 2 */
Test(dsl_errors, wait_not_a_number) { expect_error("Wabc", 2, "W needs a number of seconds, got 'abc'"); }

/* "W1e9": the number starts at column 2 and is above 3600 s */
Test(dsl_errors, wait_out_of_range) { expect_error("W1e9", 2, "wait out of range (0 to 3600 s)"); }

/* "W3600.5": just above the limit; the number starts at column 2 */
Test(dsl_errors, wait_just_above_one_hour) { expect_error("W3600.5", 2, "wait out of range"); }

/* "D0|W1e999": strtod overflows (ERANGE); the number starts at column 5 */
Test(dsl_errors, wait_overflow) { expect_error("D0|W1e999", 5, "wait out of range"); }

/* "W0.1x": W0.1 = columns 1-4, 'x' = 5 */
Test(dsl_errors, junk_after_wait) { expect_error("W0.1x", 5, "unexpected 'x' after a step"); }

/* "D0 R1": D0 = columns 1-2, space = 3, 'R' = 4 */
Test(dsl_errors, missing_separator) { expect_error("D0 R1", 4, "unexpected 'R1' after a step (steps are separated by |)"); }

/* "O1": O = column 1; '1' (column 2) is neither 0 nor a separator */
Test(dsl_errors, open_with_bad_suffix) { expect_error("O1", 2, "unexpected '1' after a step"); }

/* "R": the end of text where the bit should be is column 2 */
Test(dsl_errors, rts_without_value) { expect_error("R", 2, "expected 0 or 1, got 'end of text'"); }

/* "Dtrue": 't' is column 2 */
Test(dsl_errors, dtr_spelled_as_boolean) { expect_error("Dtrue", 2, "expected 0 or 1, got 't'"); }

/* "O|D0|R1|W0.1|D1|R0|W0.05|Q": 'Q' is column 26; the first seven ops were
 * already pushed, so this also checks they are freed (ASan) */
Test(dsl_errors, error_late_in_sequence_frees_earlier_ops)
{
    expect_error("O|D0|R1|W0.1|D1|R0|W0.05|Q", 26, "unknown step 'Q'");
}

/* Twelve ops (past the first realloc) and then a bad one at column 37 */
Test(dsl_errors, error_after_growth_frees_everything)
{
    /* "D0|" × 12 = 36 columns, then 'D' at 37 and '9' at 38 */
    expect_error("D0|D0|D0|D0|D0|D0|D0|D0|D0|D0|D0|D0|D9", 38, "expected 0 or 1, got '9'");
}

/* esptool's float() takes decimals only: no hex, no infinities. */
Test(dsl_errors, wait_in_hex_is_refused) { expect_error("O|W0x10", 5, "unexpected 'x10'"); }

Test(dsl, sync_probe_step)
{
    struct op_seq seq;
    parse_ok("O|S|W0.1", &seq, 3);
    cr_assert_eq(seq.ops[1].kind, OP_SYNC);
    cr_assert_eq(seq.ops[1].pos, 3);
    cr_assert_not(op_is_port_op(OP_SYNC));
    char buf[8];
    dsl_format_op(&seq.ops[1], buf, sizeof buf);
    cr_assert_str_eq(buf, "S");
    op_seq_free(&seq);
}
