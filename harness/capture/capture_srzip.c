/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pre-scan of a sigrok session (.sr) before libsigrok loads it
 * (sigrok_sr_prescan, capture_internal.h). libsigrok 0.5.2's
 * sr_session_load makes one channel per "total probes" and "total analog"
 * of the metadata, appending each to a list (quadratic): "total
 * probes=100000" takes 11 s, 10^9 hangs it (sigrok-cli too), whatever the
 * file's size. So the metadata member is read here the way libsigrok reads
 * it (libzip, then GKeyFile, g_key_file_get_integer and
 * sr_parse_sizestring), and what no analyzer writes is refused with one
 * line: more channels than the largest analyzers have, a sample rate of
 * 0, a unit size that does not hold the logic channels, several devices,
 * a metadata member larger than any real one, more sample data than
 * SIGROK_SR_MAX_DATA_BYTES. Whatever this cannot read (not a zip, no
 * metadata) is left to libsigrok, which reports it.
 * May call: libsigrok (sr_parse_sizestring), glib, libzip, libc. */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

/* The metadata member, read whole (at most SIGROK_SR_MAX_METADATA bytes):
 * a GKeyFile, or NULL with err set (too large) or not (unreadable). */
static GKeyFile *read_metadata(zip_t *z, const char *path, char *err, size_t err_len)
{
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z, "metadata", 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        return NULL;
    if (st.size > SIGROK_SR_MAX_METADATA) {
        snprintf(err, err_len, "%s: its metadata is %llu bytes, more than the %d a sigrok session's has", path,
                 (unsigned long long)st.size, SIGROK_SR_MAX_METADATA);
        return NULL;
    }
    char *text = malloc(st.size ? st.size : 1);
    zip_file_t *f = text ? zip_fopen_index(z, st.index, 0) : NULL;
    zip_int64_t got = f ? zip_fread(f, text, st.size) : -1;
    if (f)
        zip_fclose(f);
    GKeyFile *kf = NULL;
    if (got >= 0) {
        kf = g_key_file_new();
        if (!g_key_file_load_from_data(kf, text, (gsize)got, G_KEY_FILE_NONE, NULL)) {
            g_key_file_free(kf);
            kf = NULL;
        }
    }
    free(text);
    return kf;
}

/* The key's text for an error line: printable, at most 24 characters. */
static void shown(GKeyFile *kf, const char *group, const char *key, char *out, size_t len)
{
    char *v = g_key_file_get_value(kf, group, key, NULL);
    snprintf(out, len, "%.24s", v ? v : "");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    g_free(v);
}

/* An integer key as libsigrok reads it, in [lo, hi]; absent: *out = dflt. */
static int int_key(GKeyFile *kf, const char *group, const char *key, int lo, int hi, int dflt, int *out)
{
    *out = dflt;
    if (!g_key_file_has_key(kf, group, key, NULL))
        return 0;
    GError *e = NULL;
    int v = g_key_file_get_integer(kf, group, key, &e);
    if (e != NULL) {
        g_error_free(e);
        return -1;
    }
    *out = v;
    return v >= lo && v <= hi ? 0 : -1;
}

/* The device section's channels, unit size and sample rate. */
static int check_device(GKeyFile *kf, const char *group, const char *path, int *unitsize_out, char *err,
                        size_t err_len)
{
    char v[32];
    int probes, analog, unitsize;
    if (int_key(kf, group, "total probes", 0, SIGROK_SR_MAX_LOGIC, 0, &probes) != 0) {
        shown(kf, group, "total probes", v, sizeof v);
        snprintf(err, err_len, "%s: total probes=%s: not 0 to %d logic channels", path, v, SIGROK_SR_MAX_LOGIC);
        return -1;
    }
    if (int_key(kf, group, "total analog", 0, SIGROK_SR_MAX_ANALOG, 0, &analog) != 0) {
        shown(kf, group, "total analog", v, sizeof v);
        snprintf(err, err_len, "%s: total analog=%s: not 0 to %d analog channels", path, v,
                 SIGROK_SR_MAX_ANALOG);
        return -1;
    }
    /* the channels the samples must hold: up to the last one named (probeN,
     * the enabled ones). An OLS or a Logic16 saved its 32 or 16 channels
     * with unitsize=1 and one or two named: the others are not in the data. */
    int named = probes;
    for (char key[24]; named > 0; named--) {
        snprintf(key, sizeof key, "probe%d", named);
        if (g_key_file_has_key(kf, group, key, NULL))
            break;
    }
    /* a probeN past total probes: libsigrok cannot name that channel and
     * fails to load the session ("not a readable session" said nothing) */
    gchar **keys = g_key_file_get_keys(kf, group, NULL, NULL);
    long beyond = 0;
    for (int i = 0; keys != NULL && keys[i] != NULL && beyond == 0; i++) {
        char *end = NULL;
        long k = strncmp(keys[i], "probe", 5) == 0 ? strtol(keys[i] + 5, &end, 10) : 0;
        if (end != NULL && *end == '\0' && end != keys[i] + 5 && k > probes)
            beyond = k;
    }
    g_strfreev(keys);
    if (beyond > 0) {
        snprintf(err, err_len, "%s: probe%ld names a channel past total probes=%d: the metadata disagrees with itself",
                 path, beyond, probes);
        return -1;
    }
    /* logic data (a capturefile) with no unitsize: libsigrok reads none of it
     * ("Neither analog nor logic data. Ignoring.") */
    if (g_key_file_has_key(kf, group, "capturefile", NULL) && !g_key_file_has_key(kf, group, "unitsize", NULL)) {
        snprintf(err, err_len, "%s: its metadata gives no unitsize: libsigrok reads no logic data without one", path);
        return -1;
    }
    if (int_key(kf, group, "unitsize", 1, 8, 1, &unitsize) != 0 || unitsize * 8 < named) {
        shown(kf, group, "unitsize", v, sizeof v);
        snprintf(err, err_len, "%s: unitsize=%s: not 1 to 8 bytes a sample, enough for its %d logic channels", path, v,
                 named);
        return -1;
    }
    char *rate = g_key_file_get_value(kf, group, "samplerate", NULL);
    uint64_t hz = 1;
    int bad_rate = rate != NULL && (sr_parse_sizestring(rate, &hz) != SR_OK || hz == 0);
    g_free(rate);
    if (bad_rate) {
        shown(kf, group, "samplerate", v, sizeof v);
        snprintf(err, err_len, "%s: samplerate=%s: not a rate above 0 Hz", path, v);
        return -1;
    }
    *unitsize_out = unitsize;
    return 0;
}

/* The member libsigrok 0.5.2 reads as chunk k of the logic data
 * (session_driver.c, stream_session_data): the capturefile itself when it
 * is a member (k = 0, nothing more), else capturefile-1, -2, ... up to the
 * first one missing. 0 with its size and CRC-32, -1 past the last. */
static int chunk_stat(zip_t *z, const char *base, int single, int k, zip_stat_t *st)
{
    char member[SIGROK_SR_BASE_MAX + 16];
    if (single && k > 0)
        return -1;
    if (single)
        snprintf(member, sizeof member, "%s", base);
    else
        snprintf(member, sizeof member, "%s-%d", base, k);
    zip_stat_init(st);
    return zip_stat(z, member, 0, st) == 0 && (st->valid & ZIP_STAT_SIZE) ? 0 : -1;
}

static int has_member(zip_t *z, const char *name)
{
    zip_stat_t st;
    zip_stat_init(&st);
    return zip_stat(z, name, 0, &st) == 0;
}

/* The logic chunks in libsigrok's order: each holds whole samples of the
 * unit size; their sizes add up to what the session must deliver
 * (*logic_bytes). A chunk of `base` libsigrok would not reach (after a
 * gap, or beside the single member) is refused: its samples would be lost
 * without a word. Every other member but the version and the metadata is
 * sample data too (analog), counted against SIGROK_SR_MAX_DATA_BYTES. */
static int check_data_size(zip_t *z, const char *path, const char *base, int unitsize, uint64_t *logic_bytes,
                           char *err, size_t err_len)
{
    int single = has_member(z, base);
    char first[SIGROK_SR_BASE_MAX + 16];
    snprintf(first, sizeof first, "%s-1", base);
    if (base[0] == '\0') /* no capturefile (an analog-only session, a Hantek's) or no metadata: no chunk to walk */
        single = 1;
    else if (!single && !has_member(z, first)) {
        snprintf(err, err_len, "%s: no logic data: the metadata's capturefile=%s names no member (%s nor %s-1)", path,
                 base, base, base);
        return -1;
    }
    zip_stat_t st;
    int k = single ? 0 : 1;
    for (; base[0] && chunk_stat(z, base, single, k, &st) == 0; k++) {
        if (st.size % (zip_uint64_t)unitsize != 0) {
            snprintf(err, err_len, "%s: chunk %.40s holds %llu bytes, not whole samples of unitsize=%d: the unit size or "
                     "channel count disagrees with the data", path, st.name, (unsigned long long)st.size, unitsize);
            return -1;
        }
        *logic_bytes += st.size;
    }
    size_t len = strlen(base);
    uint64_t total = 0;
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_init(&st);
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
            !(st.valid & ZIP_STAT_NAME) || strcmp(st.name, "version") == 0 || strcmp(st.name, "metadata") == 0)
            continue;
        char *end = NULL;
        long chunk = len && strncmp(st.name, base, len) == 0 && st.name[len] == '-' ? strtol(st.name + len + 1, &end, 10)
                                                                                    : 0;
        if (end != NULL && *end == '\0' && chunk > 0 && single) {
            snprintf(err, err_len, "%s: chunk %.40s is not read: the logic data is the single member %s (libsigrok "
                     "reads no chunk beside it, their samples would be lost)", path, st.name, base);
            return -1;
        }
        if (end != NULL && *end == '\0' && chunk >= k) {
            snprintf(err, err_len, "%s: chunk %.40s is not read: %s-%d is missing (libsigrok stops there, the samples "
                     "after it would be lost)", path, st.name, base, k);
            return -1;
        }
        total += st.size;
        if (total > SIGROK_SR_MAX_DATA_BYTES) {
            snprintf(err, err_len, "%s: more than %llu bytes of samples (libsigrok inflates them all)", path,
                     (unsigned long long)SIGROK_SR_MAX_DATA_BYTES);
            return -1;
        }
    }
    return 0;
}

/* Chunk k: its size and the CRC-32 its zip entry gives, none of it fed yet
 * (open 0 past the last chunk). */
static void chunk_begin(struct sigrok_sr_chunks *c)
{
    zip_stat_t st;
    c->open = chunk_stat(c->zip, c->base, c->single, c->k, &st) == 0;
    c->size = c->open ? st.size : 0;
    c->checked = c->open && (st.valid & ZIP_STAT_CRC);
    c->want = c->checked ? st.crc : 0;
    c->done = 0;
    c->crc = crc32(0, NULL, 0);
    snprintf(c->name, sizeof c->name, "%.63s", c->open ? st.name : "");
}

int sigrok_sr_chunks_open(struct sigrok_sr_chunks *c, const char *path, const char *base)
{
    int zerr = 0;
    *c = (struct sigrok_sr_chunks){0};
    if (base[0] == '\0') /* no logic chunks */
        return 0;
    snprintf(c->base, sizeof c->base, "%s", base);
    c->zip = zip_open(path, ZIP_RDONLY, &zerr);
    if (c->zip == NULL)
        return -1;
    c->single = has_member(c->zip, base);
    c->k = c->single ? 0 : 1;
    chunk_begin(c);
    return 0;
}

/* The chunk just completed against its CRC-32; then the next one (empty
 * ones, which libsigrok sends nothing of, are checked at once). */
static int chunk_done(struct sigrok_sr_chunks *c, char *bad, size_t len)
{
    for (;;) {
        if (c->checked && c->crc != c->want) {
            snprintf(bad, len, "corrupt chunk %s (bytes %llu to %llu of the logic data): its samples disagree with its "
                     "CRC-32 (libsigrok passes them on)", c->name, (unsigned long long)c->at,
                     (unsigned long long)(c->at + c->size));
            return -1;
        }
        c->at += c->size;
        c->k++;
        chunk_begin(c);
        if (!c->open || c->size > 0)
            return 0;
    }
}

int sigrok_sr_chunks_feed(struct sigrok_sr_chunks *c, const uint8_t *p, uint64_t n, char *bad, size_t len)
{
    if (c->zip == NULL)
        return 0;
    while (n > 0 && c->open) {
        uint64_t take = c->size - c->done < n ? c->size - c->done : n;
        c->crc = crc32_z(c->crc, p, (z_size_t)take);
        c->done += take, p += take, n -= take;
        if (c->done == c->size && chunk_done(c, bad, len) != 0)
            return -1;
    }
    return 0;
}

void sigrok_sr_chunks_close(struct sigrok_sr_chunks *c)
{
    if (c->zip != NULL)
        zip_discard(c->zip);
    c->zip = NULL;
}

/* The first logic chunk (logic-1-1, logic-1-2, ... as libsigrok reads
 * them) that libzip cannot inflate whole (a deflate or CRC error, or fewer
 * bytes than its header says), with libzip's reason; else the one holding
 * byte `offset` of the logic data. Read only after a session came up short. */
void sigrok_sr_bad_chunk(const char *path, uint64_t offset, char *name, size_t len)
{
    snprintf(name, len, "?");
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    char *buf = malloc(1u << 16);
    if (z == NULL || buf == NULL) {
        free(buf);
        if (z)
            zip_discard(z);
        return;
    }
    uint64_t at = 0;
    char by_offset[96] = "";
    for (int k = 1; k < 1 << 24; k++) {
        char member[32];
        snprintf(member, sizeof member, "logic-1-%d", k);
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat(z, member, 0, &st) != 0 && (k > 1 || zip_stat(z, "logic-1", 0, &st) != 0))
            break;
        if (!by_offset[0] && offset < at + st.size)
            snprintf(by_offset, sizeof by_offset, "%s (bytes %llu to %llu of the logic data)", st.name,
                     (unsigned long long)at, (unsigned long long)(at + st.size));
        zip_file_t *f = zip_fopen_index(z, st.index, 0);
        zip_int64_t got = 0, total = 0;
        while (f != NULL && (got = zip_fread(f, buf, 1u << 16)) > 0)
            total += got;
        if (f == NULL || got < 0 || (zip_uint64_t)total != st.size) {
            snprintf(name, len, "%s (bytes %llu to %llu of the logic data: %s)", st.name, (unsigned long long)at,
                     (unsigned long long)(at + st.size),
                     f ? zip_error_strerror(zip_file_get_error(f)) : zip_error_strerror(zip_get_error(z)));
            if (f)
                zip_fclose(f);
            free(buf);
            zip_discard(z);
            return;
        }
        zip_fclose(f);
        at += st.size;
    }
    if (by_offset[0])
        snprintf(name, len, "%s", by_offset);
    free(buf);
    zip_discard(z);
}

int sigrok_sr_prescan(const char *path, uint64_t *logic_bytes, int *unitsize, char *base, size_t base_len, char *err,
                      size_t err_len)
{
    int zerr = 0;
    *logic_bytes = 0, *unitsize = 1;
    snprintf(base, base_len, "%s", ""); /* no metadata: left to libsigrok, which reports it */
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (z == NULL)
        return 0; /* libsigrok says it is not a session */
    err[0] = '\0';
    GKeyFile *kf = read_metadata(z, path, err, err_len);
    int rc = err[0] ? -1 : 0;
    if (kf != NULL) {
        gchar **groups = g_key_file_get_groups(kf, NULL);
        int devices = 0;
        for (int i = 0; rc == 0 && groups[i] != NULL; i++) {
            if (strncmp(groups[i], "device ", 7) != 0)
                continue;
            if (++devices > 1) {
                snprintf(err, err_len, "%s: more than one device in the session (resetlab reads one analyzer's)",
                         path);
                rc = -1;
            } else {
                rc = check_device(kf, groups[i], path, unitsize, err, err_len);
                char *v = g_key_file_get_value(kf, groups[i], "capturefile", NULL);
                if (rc == 0 && v != NULL && strlen(v) > SIGROK_SR_BASE_MAX) {
                    snprintf(err, err_len, "%s: capturefile=%.40s…: longer than %d characters", path, v,
                             SIGROK_SR_BASE_MAX);
                    rc = -1;
                }
                snprintf(base, base_len, "%s", v && strlen(v) <= SIGROK_SR_BASE_MAX ? v : "");
                g_free(v);
            }
        }
        g_strfreev(groups);
        g_key_file_free(kf);
    }
    if (rc == 0)
        rc = check_data_size(z, path, base, *unitsize, logic_bytes, err, err_len);
    zip_discard(z);
    return rc;
}
