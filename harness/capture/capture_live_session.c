/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Live capture through libsigrok 0.5.2: the session, the trigger and the
 * finish; see capture_live.h for the trigger and the op-log alignment. The
 * calls: the device found, opened and configured (capture_live_device.c),
 * then sr_session_new / dev_add / datafeed_callback_add, then on a GThread
 * with its own thread-default GMainContext: sr_session_start and
 * sr_session_run. sr_session_stop from the caller's thread is safe: it
 * hands the stop to the session's main context (g_main_context_invoke).
 * May call: libsigrok, glib, capture_edges.c (the reader),
 * capture_live_device.c, capture_live_config.c (the driver's name). */
#include "capture_live.h"
#include "capture_internal.h"

#include <glib.h>
#include <libsigrok/libsigrok.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------- the session -- */

static void on_packet(const struct sr_dev_inst *sdi, const struct sr_datafeed_packet *pkt, void *data)
{
    struct live_capture *c = data;
    if (pkt->type == SR_DF_TRIGGER && !c->sr_trigger) {
        c->sr_trigger = 1;
        c->sr_trigger_sample = c->reader.n_samples;
    }
    int64_t t = pkt->type == SR_DF_LOGIC ? now_ns() : 0; /* before our own work on it */
    sigrok_reader_packet(sdi, pkt, &c->reader);
    if (pkt->type != SR_DF_LOGIC)
        return;
    /* Every sample so far was taken before this packet arrived: each
     * packet bounds the host time of sample 0 from above. Drivers that
     * deliver a backlog at once (the demo, USB bulk buffers) make the
     * first packet's bound loose; a later packet's is tighter. */
    const struct sr_datafeed_logic *logic = pkt->payload;
    g_mutex_lock(&c->lock);
    if (c->samplerate == 0)
        c->samplerate = c->reader.samplerate;
    if (c->samplerate) {
        int64_t bound = t - (int64_t)llround((double)c->reader.n_samples * 1e9 / (double)c->samplerate);
        if (c->t0_bound_ns == 0 || bound < c->t0_bound_ns)
            c->t0_bound_ns = bound;
    }
    if (!c->streaming) {
        c->t_first_packet_ns = t;
        c->first_packet_samples = logic->unitsize ? logic->length / logic->unitsize : 0;
        c->streaming = 1;
        g_cond_broadcast(&c->cond);
    }
    g_mutex_unlock(&c->lock);
}

static gpointer session_thread(gpointer data)
{
    struct live_capture *c = data;
    GMainContext *mc = g_main_context_new();
    g_main_context_push_thread_default(mc); /* the session's sources go here, not to the default context */
    c->t_start_ns = now_ns();
    int rc = sr_session_start(c->session);
    g_mutex_lock(&c->lock);
    c->started = 1;
    c->start_rc = rc;
    c->running = rc == SR_OK;
    g_cond_broadcast(&c->cond);
    g_mutex_unlock(&c->lock);
    if (rc == SR_OK) {
        rc = sr_session_run(c->session);
        g_mutex_lock(&c->lock);
        c->t_end_ns = now_ns();
        c->running = 0;
        c->start_rc = rc;
        g_cond_broadcast(&c->cond);
        g_mutex_unlock(&c->lock);
    }
    g_main_context_pop_thread_default(mc);
    g_main_context_unref(mc);
    return NULL;
}

static void release(struct live_capture *c)
{
    if (c->session)
        sr_session_destroy(c->session);
    if (c->sdi)
        sr_dev_close(c->sdi);
    if (c->drv)
        live_device_use(c->drv, -1);
    g_mutex_clear(&c->lock);
    g_cond_clear(&c->cond);
    sigrok_trace_free(&c->tr);
    free(c->reader.scratch);
    free(c->reader.en_edges);
    free(c);
}

struct live_capture *live_capture_start(struct sigrok *s, const struct live_config *cfg, char *err, size_t err_len)
{
    if (!(cfg->pretrigger_pct >= 0 && cfg->pretrigger_pct <= 100)) {
        snprintf(err, err_len, "pretrigger: %g%% is not between 0 and 100", cfg->pretrigger_pct);
        return NULL;
    }
    struct live_capture *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    g_mutex_init(&c->lock);
    g_cond_init(&c->cond);
    char name[64];
    if (live_config_driver_name(cfg->driver, name, sizeof name) != 0) {
        snprintf(err, err_len, "driver: '%s' is not a libsigrok driver name", cfg->driver);
        release(c);
        return NULL;
    }
    snprintf(c->what, sizeof c->what, "%s capture", name);
    if (live_device_find(c, s, err, err_len) != 0 || live_device_check_map(c, err, err_len) != 0) {
        release(c);
        return NULL;
    }
    struct sr_channel *en_analog = live_device_en_analog(c);
    for (GSList *l = sr_dev_inst_channels_get(c->sdi); l != NULL; l = l->next) {
        struct sr_channel *ch = l->data;
        if (ch->type != SR_CHANNEL_LOGIC) /* not read: spare the driver the work */
            sr_dev_channel_enable(ch, ch == en_analog);
    }
    if (live_device_apply_config(c, err, err_len) != 0) {
        release(c);
        return NULL;
    }
    sigrok_reader_init(&c->reader, c->what, &c->cfg.map, &c->tr);
    c->reader.opts = cfg->read;
    int rc = sr_session_new(sigrok_context(s), &c->session);
    if (rc == SR_OK)
        rc = sr_session_dev_add(c->session, c->sdi);
    if (rc == SR_OK)
        rc = sr_session_datafeed_callback_add(c->session, on_packet, c);
    if (rc != SR_OK) {
        snprintf(err, err_len, "%s: cannot make a libsigrok session (%s)", c->cfg.driver, sr_strerror(rc));
        release(c);
        return NULL;
    }
    GError *gerr = NULL;
    c->thread = g_thread_try_new("resetlab-capture", session_thread, c, &gerr);
    if (c->thread == NULL) {
        snprintf(err, err_len, "%s: cannot start the capture thread (%s)", c->cfg.driver, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        release(c);
        return NULL;
    }
    g_mutex_lock(&c->lock);
    while (!c->started)
        g_cond_wait(&c->cond, &c->lock);
    rc = c->start_rc;
    g_mutex_unlock(&c->lock);
    if (rc != SR_OK) {
        g_thread_join(c->thread);
        snprintf(err, err_len, "%s: the acquisition did not start (%s)", c->cfg.driver, sr_strerror(rc));
        release(c);
        return NULL;
    }
    return c;
}

int live_capture_wait_streaming(struct live_capture *c, int timeout_ms)
{
    return live_capture_wait_streaming_or_stop(c, timeout_ms, NULL);
}

/* A signal handler cannot signal the condition, so with a stop flag the
 * wait wakes every LIVE_STOP_POLL_MS to look at it. */
int live_capture_wait_streaming_or_stop(struct live_capture *c, int timeout_ms, const volatile sig_atomic_t *stop)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&c->lock);
    while (!c->streaming && c->running && !(stop && *stop)) {
        gint64 now = g_get_monotonic_time(), slice = (gint64)LIVE_STOP_POLL_MS * 1000;
        if (now >= deadline)
            break;
        g_cond_wait_until(&c->cond, &c->lock, stop && deadline - now > slice ? now + slice : deadline);
    }
    int ok = c->streaming;
    g_mutex_unlock(&c->lock);
    return ok ? 0 : stop && *stop ? 1 : -1;
}

/* Host time of raw sample 0: the tightest packet bound, never before the
 * acquisition started. */
static int64_t t0_estimate(int64_t t_start, int64_t bound)
{
    if (bound == 0)
        return 0;
    return bound < t_start ? t_start : bound;
}

int64_t live_capture_t0_ns(struct live_capture *c)
{
    g_mutex_lock(&c->lock);
    int64_t t0 = t0_estimate(c->t_start_ns, c->t0_bound_ns);
    g_mutex_unlock(&c->lock);
    return t0;
}

/* EN's samples before the cut go; the rest move to the new t = 0. */
static void cut_analog(struct analog *a, int64_t cut_ns)
{
    if (a->n == 0)
        return;
    double first = ceil(((double)cut_ns - (double)a->t0_ns) / a->period_ns - 1e-9);
    size_t drop = first <= 0 ? 0 : first >= (double)a->n ? a->n : (size_t)first;
    memmove(a->v, a->v + drop, (a->n - drop) * sizeof *a->v);
    a->n -= drop;
    a->t0_ns = llround((double)a->t0_ns + (double)drop * a->period_ns) - cut_ns;
}

/* The software trigger (capture_live.h): cut the trace `pct` % of its
 * samples before its first DTR/RTS edge. */
static void apply_trigger(struct trace *tr, uint64_t n_samples, double pct, struct live_timing *t)
{
    const struct edge *first = NULL;
    for (size_t i = 0; i < tr->n && first == NULL; i++)
        if (tr->edges[i].channel == CH_DTR || tr->edges[i].channel == CH_RTS)
            first = &tr->edges[i];
    if (first == NULL)
        return;
    double rate = tr->sample_rate_hz, ns = 1e9 / rate;
    uint64_t trig = (uint64_t)llround((double)first->t_ns * rate / 1e9);
    uint64_t pre = (uint64_t)llround(pct / 100.0 * (double)n_samples);
    uint64_t cut = trig > pre ? trig - pre : 0;
    t->triggered = 1;
    t->cut_samples = cut;
    t->trigger_sample = trig - cut;
    t->trigger_t_ns = llround((double)(trig - cut) * ns);
    if (cut == 0)
        return;
    /* Edges up to the cut become the initial levels; the rest move. */
    int64_t cut_ns = llround((double)cut * ns);
    size_t k = 0;
    for (size_t i = 0; i < tr->n; i++) {
        struct edge e = tr->edges[i];
        if (e.t_ns <= cut_ns) {
            tr->initial[e.channel] = e.level;
            continue;
        }
        uint64_t s = (uint64_t)llround((double)e.t_ns * rate / 1e9);
        e.t_ns = llround((double)(s - cut) * ns);
        tr->edges[k++] = e;
    }
    tr->n = k;
    tr->t_end_ns = llround((double)(n_samples - cut - 1) * ns);
    cut_analog(&tr->en_v, cut_ns);
}

/* The device's limit in samples: whichever of limit_samples and
 * limit_time (at the samplerate) comes first; 0 when neither is set. */
static uint64_t limit_in_samples(const struct live_capture *c)
{
    uint64_t rate = c->samplerate ? c->samplerate : c->reader.samplerate;
    double by_time = (double)c->limit_ms * (double)rate / 1000.0;
    uint64_t t = c->limit_ms && rate ? (by_time >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)by_time) : 0;
    if (c->limit_samples && t)
        return c->limit_samples < t ? c->limit_samples : t;
    return c->limit_samples ? c->limit_samples : t;
}

int live_capture_finish_timed(struct live_capture *c, int stop_now, struct trace *tr, struct live_timing *timing,
                              char *err, size_t err_len)
{
    struct live_timing t = {0};
    memset(tr, 0, sizeof *tr);
    g_mutex_lock(&c->lock);
    int stop = c->running && (stop_now || !c->has_limit);
    g_mutex_unlock(&c->lock);
    if (stop) {
        c->stop_requested = 1;
        sr_session_stop(c->session);
    }
    g_thread_join(c->thread);
    int rc = c->start_rc;
    t.t_start_ns = c->t_start_ns;
    t.t_first_packet_ns = c->t_first_packet_ns;
    t.first_packet_samples = c->first_packet_samples;
    t.samples = c->reader.n_samples;
    t.sr_trigger = c->sr_trigger;
    t.sr_trigger_sample = c->sr_trigger_sample;
    t.stopped = c->stop_requested;
    t.limit_samples = limit_in_samples(c);
    t.t_end_ns = c->t_end_ns;
    int out = 0;
    if (rc != SR_OK) {
        snprintf(err, err_len, "%s: the capture failed (%s)", c->cfg.driver, sr_strerror(rc));
        out = -1;
    } else if (!c->reader.failed && !c->reader.resolved) {
        snprintf(err, err_len, "%s: %s before any samples arrived", c->cfg.driver,
                 c->stop_requested ? "stopped" : "the capture ended");
        out = -1;
    } else if (sigrok_reader_finish(&c->reader, err, err_len) != 0) {
        out = -1;
    } else {
        if (c->cfg.trigger)
            apply_trigger(&c->tr, c->reader.n_samples, c->cfg.pretrigger_pct, &t);
        int64_t t0 = t0_estimate(t.t_start_ns, c->t0_bound_ns);
        t.t0_ns = t0 ? t0 + llround((double)t.cut_samples * 1e9 / c->tr.sample_rate_hz) : 0;
        *tr = c->tr; /* the edges are the caller's now */
        memset(&c->tr, 0, sizeof c->tr);
    }
    if (timing)
        *timing = t;
    release(c);
    return out;
}

int live_capture_finish(struct live_capture *c, int stop_now, struct trace *tr, char *err, size_t err_len)
{
    return live_capture_finish_timed(c, stop_now, tr, NULL, err, err_len);
}
