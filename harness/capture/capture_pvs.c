/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A PulseView session setup (.pvs) beside each sigrok session resetlab
 * writes (capture_sigrok.h): `pulseview -s RUN.pvs RUN.sr` opens the
 * capture with its channels coloured as in the report's timing diagrams
 * and the UART decoder on RX at the chip's ROM baud rate. The file is the
 * Qt INI that PulseView 0.4's Session::save_setup writes and
 * Session::restore_setup reads (pv/session.cpp): a group per channel named
 * as the channel (SignalBase::save_settings: name, enabled, color as
 * ARGB, conversion_type, conv_options), decode_signal0 with its decoder
 * stack (DecodeSignal::save_settings: decoders, decoder0\id, \visible,
 * \options with option0\name, \type and \value, the GVariant's bytes as
 * GlobalSettings::store_gvariant stores them; channels, channel0\name,
 * \initial_pin_state, \assigned_signal_name), then decode_signals, views
 * and meta_objs.
 * May call: reports/ (the diagrams' colours), analyzers/ (channel names), libc (stdio, unlink). */
#include "capture_internal.h"
#include "capture_sigrok.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/plot.h"

/* "#1f5fbf" as Qt's QColor::rgba(): 0xAARRGGBB, opaque. */
static unsigned long argb(const char *hex)
{
    return 0xFF000000ul | (strtoul(hex + 1, NULL, 16) & 0xFFFFFFul);
}

static void put_signal(FILE *f, const char *name, const char *colour)
{
    fprintf(f, "[%s]\nname=%s\nenabled=true\ncolor=%lu\nconversion_type=0\nconv_options=0\n\n", name, name,
            argb(colour));
}

/* The uart decoder's baudrate, an int64 GVariant ('x': libsigrokdecode
 * turns a decoder's integer option into one), as QSettings writes a
 * QByteArray: @ByteArray(...) with every byte \xHH (the native, little
 * endian, bytes g_variant_get_data gives). */
static void put_baudrate(FILE *f, long long baud)
{
    fputs("decoder0\\options=1\ndecoder0\\option0\\name=baudrate\ndecoder0\\option0\\type=x\n"
          "decoder0\\option0\\value=@ByteArray(",
          f);
    for (int i = 0; i < 8; i++)
        fprintf(f, "\\x%02x", (unsigned)((unsigned long long)baud >> (8 * i)) & 0xFFu);
    fputs(")\n", f);
}

/* The UART decoder on RX: its default is 115200 baud, so other rates are
 * an option (DecodeSignal::save_settings keeps only options that differ). */
static void put_uart(FILE *f, int baud)
{
    fprintf(f, "[decode_signal0]\nname=UART\nenabled=true\ncolor=%lu\nconversion_type=0\nconv_options=0\n"
               "decoders=1\ndecoder0\\id=uart\ndecoder0\\visible=true\n",
            argb(plot_channel_colour(CH_RX)));
    if (baud != 115200)
        put_baudrate(f, baud);
    else
        fputs("decoder0\\options=0\n", f);
    /* uart's channels: rx (id 0) and tx (1), both optional; initial_pin_state 2 is
     * SRD_INITIAL_PIN_SAME_AS_SAMPLE0 (libsigrokdecode.h), PulseView's default */
    fputs("channels=1\nchannel0\\name=RX\nchannel0\\initial_pin_state=2\nchannel0\\assigned_signal_name=RX\n\n", f);
}

/* RUN.pvs beside RUN.sr; -1 when the name does not end in .sr or is too long. */
static int pvs_path_of(const char *sr_path, char *out, size_t len)
{
    size_t n = strlen(sr_path);
    if (n < 3 || strcmp(sr_path + n - 3, ".sr") != 0 || n + 2 >= len)
        return -1;
    snprintf(out, len, "%.*s.pvs", (int)(n - 3), sr_path);
    return 0;
}

int sigrok_write_pvs(const char *sr_path, const enum channel *chans, int n, int en_analog, int baud, char *err,
                     size_t err_len)
{
    char path[1200];
    if (pvs_path_of(sr_path, path, sizeof path) != 0) {
        snprintf(err, err_len, "%s: a sigrok session's name ends in .sr", sr_path);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    int uart = 0;
    for (int i = 0; i < n; i++) {
        put_signal(f, channel_name(chans[i]), plot_channel_colour(chans[i]));
        uart |= chans[i] == CH_RX && baud > 0;
    }
    if (en_analog)
        put_signal(f, "EN_V", plot_channel_colour(CH_EN));
    if (uart)
        put_uart(f, baud);
    fprintf(f, "[General]\ndecode_signals=%d\nviews=0\nmeta_objs=0\n", uart);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, err_len, "%s: write failed", path);
        return -1;
    }
    return 0;
}

void sigrok_remove_session(const char *sr_path)
{
    char pvs[1200];
    unlink(sr_path);
    if (pvs_path_of(sr_path, pvs, sizeof pvs) == 0)
        unlink(pvs);
}
