/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a capture file into a trace (sigrok_read, capture_sigrok.h): a
 * sigrok session (.sr) through sr_session_load, VCD and CSV through
 * libsigrok's input modules, each streamed through the reader of
 * capture_edges.c. The pitfalls are the ones checked in CONTRIBUTING.md#library-facts:
 * a non-zip .sr gives SR_ERR with no message, input modules hand over their
 * device instance only after the first chunk; the VCD pre-scan refuses what
 * libsigrok 0.5.2's VCD input would crash or hang on; a CSV file's rate is
 * given, or read from sigrok's own comment. A .sr is pre-scanned first
 * (capture_srzip.c): libsigrok hangs on some metadata; the logic chunks'
 * CRC-32s are checked as the bytes come (libsigrok passes a failing one on).
 * May call: libsigrok, glib, capture_edges.c (the reader), capture_srzip.c (the .sr pre-scan),
 * analyzers/ (trace types). */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_CHUNK (1u << 20)  /* bytes per sr_input_send */

#define reader sigrok_reader

/* The session's packets: each LOGIC packet's bytes checked against its
 * chunk's CRC-32 (capture_srzip.c), then read. The first chunk that fails
 * is kept in `bad` and said at the end: a chunk libsigrok delivered short
 * is named by the byte count first, as before. */
struct session_feed {
    struct reader *r;
    struct sigrok_sr_chunks chunks;
    char bad[200];
};

static void session_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *data)
{
    struct session_feed *f = data;
    if (!f->bad[0] && pkt->type == SR_DF_LOGIC) {
        const struct sr_datafeed_logic *logic = pkt->payload;
        sigrok_sr_chunks_feed(&f->chunks, logic->data, logic->length, f->bad, sizeof f->bad);
    }
    sigrok_reader_packet(sdi, pkt, f->r);
}

static int read_session(struct sigrok *s, struct reader *r)
{
    struct sr_session *session = NULL;
    uint64_t logic_bytes;
    int unitsize;
    char base[SIGROK_SR_BASE_MAX + 1];
    if (sigrok_sr_prescan(r->path, &logic_bytes, &unitsize, base, sizeof base, r->err, sizeof r->err) != 0)
        return -1;
    if (sr_session_load(s->ctx, r->path, &session) != SR_OK) {
        snprintf(r->err, sizeof r->err, "%s: not a readable sigrok session (.sr): missing, truncated or not a srzip file",
                 r->path);
        return -1;
    }
    GSList *devs = NULL;
    int rc = sr_session_dev_list(session, &devs);
    if (rc != SR_OK || devs == NULL) {
        snprintf(r->err, sizeof r->err, "%s: the sigrok session holds no device", r->path);
        g_slist_free(devs);
        sr_session_destroy(session);
        return -1;
    }
    g_slist_free(devs);
    struct session_feed feed = {r, {0}, ""};
    sigrok_sr_chunks_open(&feed.chunks, r->path, base); /* unopened: nothing is checked */
    sr_session_datafeed_callback_add(session, session_packet, &feed);
    r->session = session;
    rc = sr_session_start(session);
    if (rc == SR_OK)
        rc = sr_session_run(session);
    sr_session_stop(session);
    r->session = NULL;
    sr_session_destroy(session);
    sigrok_sr_chunks_close(&feed.chunks);
    if (rc != SR_OK && !r->failed)
        sigrok_reader_fail(r, "%s: reading the session failed (%s)%s", sr_strerror(rc), "");
    uint64_t got = r->logic_unitsize ? r->n_samples * r->logic_unitsize : 0;
    if (!r->failed && got < logic_bytes) { /* a chunk libsigrok could not inflate (the first: no packet at all) */
        char chunk[200], figures[80];
        sigrok_sr_bad_chunk(r->path, got, chunk, sizeof chunk);
        snprintf(figures, sizeof figures, "%llu of its %llu bytes", (unsigned long long)got,
                 (unsigned long long)logic_bytes);
        sigrok_reader_fail(r, "%s: corrupt chunk %s: libsigrok delivered %s of logic data", chunk, figures);
    } else if (feed.bad[0]) { /* whatever else was wrong came from the chunk's garbage */
        snprintf(r->err, sizeof r->err, "%s: %s", r->path, feed.bad);
        r->failed = 1;
    } else if (!r->failed && r->logic_unitsize && r->logic_unitsize != (unsigned)unitsize) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%u", r->logic_unitsize), snprintf(b, sizeof b, "%d", unitsize);
        sigrok_reader_fail(r, "%s: logic packets of %s bytes a sample, the metadata says unitsize=%s", a, b);
    }
    return r->failed ? -1 : 0;
}

/* sigrok's own CSV output says "; Samplerate: 4 MHz" in its first lines;
 * its CSV input does not read that back. */
static uint64_t csv_comment_samplerate(FILE *f)
{
    char line[256];
    uint64_t rate = 0;
    for (int i = 0; i < 16 && rate == 0 && fgets(line, sizeof line, f); i++) {
        const char *p = strstr(line, "Samplerate:");
        if (line[0] != ';' || p == NULL)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        if (sigrok_parse_scaled(p + strlen("Samplerate:"), 1, &rate) != 0)
            rate = 0;
    }
    rewind(f);
    return rate;
}

static GHashTable *csv_options(uint64_t samplerate)
{
    GHashTable *opts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    g_hash_table_insert(opts, "samplerate", g_variant_ref_sink(g_variant_new_uint64(samplerate)));
    return opts;
}

/* What libsigrok 0.5.2's VCD input would crash or hang on, read in one
 * pass over the file's whitespace-separated tokens (found by fuzz_capture):
 *  - it divides by the $timescale's number, read with strtoull (blanks,
 *    then a sign, then digits): "$timescale 0 ns", "+0 ns" or "\f0 ns" is
 *    SIGFPE. VCD allows 1, 10 and 100; 1 to 10^6 is let through (an
 *    unparsable one libsigrok reports itself), a negative one is refused;
 *  - it makes every sample up to the last timestamp (#N at a token's
 *    start): a stray #2505555… keeps it busy for hours;
 *  - the header ends past the $end after $enddefinitions (the file's size
 *    when there is none): it is sent alone, see vcd_has_channels. */
struct vcd_prescan {
    long header_end;
    uint64_t last_stamp; /* UINT64_MAX: more digits than fit */
    char timescale[21];  /* the number's token (20 bytes of it), when it is out of range */
    int in_defs_end, after_timescale;
};

/* A token of `len` bytes starting at `at`, its first `kept` bytes in tok. */
static void vcd_token(struct vcd_prescan *v, const char *tok, size_t kept, size_t len, long at)
{
    if (tok[0] == '#') { /* the digits after it; more than 19, or cut off, overflow */
        size_t d = 1;
        uint64_t x = 0;
        while (d < kept && tok[d] >= '0' && tok[d] <= '9')
            x = x * 10 + (uint64_t)(tok[d++] - '0');
        if (d - 1 > 19 || (d == kept && len > kept))
            x = UINT64_MAX;
        if (x > v->last_stamp)
            v->last_stamp = x;
    }
    if (v->header_end >= 0)
        return;
    if (v->after_timescale) { /* as libsigrok's sr_parse_period reads it: strtoull, so a sign too */
        v->after_timescale = 0;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(tok, &end, 10);
        if (end != tok && (errno != 0 || n == 0 || n > 1000000 || tok[0] == '-' || len > kept))
            snprintf(v->timescale, sizeof v->timescale, "%.*s", (int)strcspn(tok, "$"), tok);
    }
    if (strcmp(tok, "$timescale") == 0)
        v->after_timescale = 1;
    else if (strcmp(tok, "$enddefinitions") == 0)
        v->in_defs_end = 1;
    else if (v->in_defs_end && strncmp(tok, "$end", 4) == 0)
        v->header_end = at + 4;
}

static void vcd_prescan(FILE *f, struct vcd_prescan *v)
{
    static char buf[1 << 16];
    char tok[32];
    size_t kept = 0, len = 0, got;
    long pos = 0, at = 0;
    *v = (struct vcd_prescan){.header_end = -1};
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++, pos++) {
            char c = buf[i];
            if (!isspace((unsigned char)c)) { /* C's six, as libsigrok's g_strstrip and strtoull skip */
                if (len++ == 0)
                    at = pos;
                if (kept < sizeof tok - 1)
                    tok[kept++] = c;
                continue;
            }
            if (len > 0) {
                tok[kept] = '\0';
                vcd_token(v, tok, kept, len, at);
            }
            kept = len = 0;
        }
    if (len > 0) {
        tok[kept] = '\0';
        vcd_token(v, tok, kept, len, at);
    }
    if (v->header_end < 0)
        v->header_end = pos;
    rewind(f);
}

/* libsigrok 0.5.2's VCD input divides by its channel count on the first
 * value change: a header that declares no $var (or none it could read)
 * kills the process with SIGFPE (sigrok-cli too; found by fuzz_capture).
 * So the header goes first, alone, and its channels are looked at. */
static int vcd_has_channels(const struct sr_input *in)
{
    struct sr_dev_inst *sdi = sr_input_dev_inst_get(in);
    return sdi != NULL && sr_dev_inst_channels_get(sdi) != NULL;
}

static int read_with_input(struct sigrok *s, struct reader *r, const char *module)
{
    FILE *f = fopen(r->path, "rb");
    if (f == NULL) {
        snprintf(r->err, sizeof r->err, "%s: %s", r->path, strerror(errno));
        return -1;
    }
    GHashTable *opts = NULL;
    if (strcmp(module, "csv") == 0) {
        uint64_t rate = r->opts.samplerate ? r->opts.samplerate : csv_comment_samplerate(f);
        if (rate == 0) {
            snprintf(r->err, sizeof r->err, "%s: a CSV file does not say its sample rate: give --samplerate HZ", r->path);
            fclose(f);
            return -1;
        }
        opts = csv_options(rate);
    }
    const struct sr_input *in = sr_input_new(sr_input_find((char *)module), opts);
    if (opts)
        g_hash_table_destroy(opts);
    struct sr_session *session = NULL;
    if (in == NULL || sr_session_new(s->ctx, &session) != SR_OK) {
        snprintf(r->err, sizeof r->err, "%s: libsigrok's %s input is not available", r->path, module);
        if (in)
            sr_input_free(in);
        fclose(f);
        return -1;
    }
    sr_session_datafeed_callback_add(session, sigrok_reader_packet, r);
    sigrok_log_clear();
    char *chunk = malloc(READ_CHUNK);
    int added = 0, rc = chunk ? SR_OK : SR_ERR_MALLOC;
    long header = -1, sent = 0;
    if (strcmp(module, "vcd") == 0) {
        struct vcd_prescan v;
        vcd_prescan(f, &v);
        header = v.header_end;
        uint64_t most = r->opts.vcd_max_samples ? r->opts.vcd_max_samples : SIGROK_VCD_MAX_SAMPLES;
        if (v.timescale[0]) {
            sigrok_reader_fail(r, "%s: $timescale %s: not 1, 10 or 100 of s, ms, us, ns, ps or fs%s", v.timescale, "");
        } else if (v.last_stamp > most) {
            char limit[32];
            snprintf(limit, sizeof limit, "%llu", (unsigned long long)most);
            sigrok_reader_fail(r, "%s: a timestamp beyond %s samples (libsigrok makes every sample up to the last one)%s",
                               limit, "");
        }
    }
    size_t got, want;
    while (rc == SR_OK && !r->failed) {
        want = READ_CHUNK;
        if (header > sent && (long)want > header - sent)
            want = (size_t)(header - sent); /* the header alone */
        if ((got = fread(chunk, 1, want, f)) == 0)
            break;
        GString *buf = g_string_new_len(chunk, (gssize)got);
        int header_done = header >= 0 && sent < header && sent + (long)got >= header;
        if (header_done) /* libsigrok takes whole lines: end the header's (VCD is free-form) */
            g_string_append_c(buf, '\n');
        rc = sr_input_send(in, buf);
        g_string_free(buf, TRUE);
        sent += (long)got;
        if (rc == SR_OK && header_done && !vcd_has_channels(in)) {
            sigrok_reader_fail(r, "%s: no channels: the VCD header declares no $var that libsigrok reads%s%s", "", "");
            break;
        }
        struct sr_dev_inst *sdi = added ? NULL : sr_input_dev_inst_get(in);
        if (sdi != NULL)
            added = sr_session_dev_add(session, sdi) == SR_OK;
    }
    if (rc == SR_OK && !r->failed)
        rc = sr_input_end(in);
    free(chunk);
    fclose(f);
    sr_input_free(in);
    sr_session_destroy(session);
    if (rc != SR_OK)
        sigrok_reader_fail(r, "%s: libsigrok could not parse it as %s: %s", module,
                           sigrok_log_first()[0] ? sigrok_log_first() : sr_strerror(rc));
    else if (!r->resolved && !r->failed)
        sigrok_reader_fail(r, "%s: no samples in it%s%s", "", "");
    return r->failed ? -1 : 0;
}

static const char *extension(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

int sigrok_read(struct sigrok *s, const char *path, const struct channel_map *map, const struct sigrok_read_opts *opts,
                struct trace *tr, char *err, size_t err_len)
{
    struct reader r;
    sigrok_reader_init(&r, path, map, tr);
    r.line_steps_limit = 1; /* analyze_run's limit, before the memory past it */
    if (opts != NULL)
        r.opts = *opts;
    const char *ext = extension(path);
    int rc;
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    fclose(probe);
    if (strcasecmp(ext, "sr") == 0)
        rc = read_session(s, &r);
    else if (strcasecmp(ext, "vcd") == 0 || strcasecmp(ext, "csv") == 0)
        rc = read_with_input(s, &r, strcasecmp(ext, "vcd") == 0 ? "vcd" : "csv");
    else if (ext[0] == '\0') {
        snprintf(r.err, sizeof r.err, "%s: no file extension to tell its format: name it .sr, .vcd or .csv", path);
        rc = -1;
    } else {
        snprintf(r.err, sizeof r.err, "%s: unknown capture format '.%s' (use .sr, .vcd or .csv)", path, ext);
        rc = -1;
    }
    if (rc != 0 && !r.failed) { /* failed before any packet: the reason is in r.err */
        snprintf(err, err_len, "%s", r.err);
        free(r.scratch), free(r.en_edges);
        sigrok_trace_free(tr);
        memset(tr, 0, sizeof *tr);
        return -1;
    }
    return sigrok_reader_finish(&r, err, err_len);
}
