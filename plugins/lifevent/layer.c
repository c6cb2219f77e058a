/*
 * plugins/lifevent/layer.c — component "lif_event": a layer of
 * event-based LIF neurons with exact spike times (specs/lif.md §5) and
 * its input weights, trained by EventProp or by the analytic
 * time-to-first-spike gradient (spikelab/slaux_event.h has the model, the solver and
 * both backward passes).
 *
 * Sequences are event sequences (spikelab/events.h): in[b][s][j] is the
 * time of the s-th spike of input channel j, out[b][s][k] the time of the
 * s-th spike of neuron k (+INFINITY when none), s < the sequence's time
 * length T. Per sample, the input spikes before t_max are sorted by time
 * (ties: lower channel, then earlier slot: jaxsnn's stable arg-sort), the
 * layer runs its event loop, and its spikes fill the output slots.
 * Settings input/output = "dense" convert that side (events.h's rule:
 * bin starts in, floor(t/dt) out); such a layer runs forward only.
 *
 * Parameters: weight [n_in][n] (SL_PARAM_WEIGHT: an input spike of j adds
 * weight[j][i] to I_i), drawn N(mean, std) from the stream "weight".
 *
 * Buffers (sized in xPrepare, none allocated in forward or backward): per
 * sample a log of at most n_in·T input events and max_spikes spikes
 * (default n·T). A sample whose layer would spike more than max_spikes
 * times, or a neuron that would spike more often than the sequence has
 * slots, is an error naming the layer, the sample and the setting to
 * raise — never a silently truncated output (jaxsnn truncates).
 *
 * Refractory time: not offered yet (the adjoint through a clamped
 * membrane is open question 3 of the spec); the default v_reset far below
 * threshold (jaxsnn's −1000) makes each neuron spike at most once in the
 * Yin-Yang task.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "lifevent.h"

typedef struct lev__layer {
    const sl_host *h;
    sl_ctx *ctx;
    lev__model m;
    size_t n_in, n;
    int ttfs;            /* gradient = "ttfs" (else EventProp) */
    int dense_in, dense_out;
    double dt;           /* s per step: the dense sides' bins */
    size_t max_spikes;   /* setting; 0: n·T */
    float *w, *gw;       /* [n_in][n] */
    sl_events_ext ext;
    /* xPrepare */
    size_t batch, T, cap_in, cap;
    uint32_t mode;
    lev__in *in;          /* [batch][cap_in] sorted input events */
    size_t *n_ev;        /* [batch] */
    lev__log *log;        /* [batch][cap] */
    size_t *n_log;       /* [batch] */
    size_t *cnt;         /* n: spikes per neuron so far */
    double *work;        /* 4n (state) + 2n (adjoint) */
    double *g;           /* cap: cotangents of one sample's log */
    double *gin;         /* cap_in */
    double *gwd;         /* [n_in][n] float64 sums of one batch */
    int have_fwd;
} lev__layer;

static void layer_free_buffers(lev__layer *s)
{
    const sl_host *h = s->h;
    h->xFree(s->in), h->xFree(s->n_ev), h->xFree(s->log);
    h->xFree(s->n_log), h->xFree(s->cnt), h->xFree(s->work);
    h->xFree(s->g), h->xFree(s->gin), h->xFree(s->gwd);
    s->in = NULL, s->n_ev = NULL, s->log = NULL, s->n_log = NULL;
    s->cnt = NULL, s->work = NULL, s->g = NULL, s->gin = NULL;
    s->gwd = NULL;
    s->batch = s->T = 0;
}

static void layer_destroy(void *self)
{
    lev__layer *s = self;
    if (s == NULL)
        return;
    layer_free_buffers(s);
    s->h->xFree(s->w);
    s->h->xFree(s->gw);
    s->h->xFree(s);
}

static int layer_create(const sl_host *h, sl_ctx *ctx,
                        const sl_layer_info *info, void **self,
                        size_t *n_out)
{
    int rc;
    if (self == NULL || n_out == NULL || info == NULL)
        return h->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL argument");
    *self = NULL;
    lev__layer *s = h->xAlloc(sizeof *s);
    if (s == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a layer");
    s->h = h;
    s->ctx = ctx;
    int64_t n = 0, maxsp = 0;
    double mean, std;
    const char *grad, *din, *dout;
    if ((rc = h->xGetInt(ctx, "n", 0, &n)) < 0 ||
        (rc = h->xGetFloat(ctx, "tau_mem", 1e-2, &s->m.tau_mem)) < 0 ||
        (rc = h->xGetFloat(ctx, "tau_syn", 5e-3, &s->m.tau_syn)) < 0 ||
        (rc = h->xGetFloat(ctx, "v_th", 1.0, &s->m.v_th)) < 0 ||
        (rc = h->xGetFloat(ctx, "v_leak", 0.0, &s->m.v_leak)) < 0 ||
        (rc = h->xGetFloat(ctx, "v_reset", 0.0, &s->m.v_reset)) < 0 ||
        (rc = h->xGetFloat(ctx, "t_max", 2e-2, &s->m.t_max)) < 0 ||
        (rc = h->xGetString(ctx, "gradient", "eventprop", &grad)) < 0 ||
        (rc = h->xGetInt(ctx, "max_spikes", 0, &maxsp)) < 0 ||
        (rc = h->xGetFloat(ctx, "mean", 0.0, &mean)) < 0 ||
        (rc = h->xGetFloat(ctx, "std", 1.0, &std)) < 0 ||
        (rc = h->xGetString(ctx, "input", "events", &din)) < 0 ||
        (rc = h->xGetString(ctx, "output", "events", &dout)) < 0)
        goto fail;
    if (n < 1) {
        rc = h->xError(ctx, "n", SL_ECONFIG, "n = %lld: a layer needs at "
                       "least one neuron (e.g. n = 100)", (long long)n);
        goto fail;
    }
    if (!(s->m.v_reset < s->m.v_th)) {
        rc = h->xError(ctx, "v_reset", SL_ECONFIG, "v_reset = %g must be "
                       "below v_th = %g (else a spike would follow each "
                       "spike at once)", s->m.v_reset, s->m.v_th);
        goto fail;
    }
    s->ttfs = strcmp(grad, "ttfs") == 0;
    s->dense_in = strcmp(din, "dense") == 0;
    s->dense_out = strcmp(dout, "dense") == 0;
    s->dt = info->dt;
    if ((s->dense_in || s->dense_out) && !(s->dt > 0)) {
        rc = h->xError(ctx, s->dense_in ? "input" : "output", SL_ECONFIG,
                       "a dense side needs the network's dt > 0");
        goto fail;
    }
    lev__model_init(&s->m);
    s->n_in = info->n_in;
    s->n = (size_t)n;
    s->max_spikes = (size_t)maxsp;
    if (s->n_in == 0 || s->n_in > ((size_t)1 << 24) / s->n + 1) {
        rc = h->xError(ctx, "n", SL_ECONFIG, "%zu inputs x %zu neurons: "
                       "out of range", s->n_in, s->n);
        goto fail;
    }
    size_t nw = s->n_in * s->n;
    s->w = h->xAlloc(nw * sizeof(float));
    s->gw = h->xAlloc(nw * sizeof(float));
    if (!s->w || !s->gw) {
        rc = h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate weights");
        goto fail;
    }
    sl_rng rng;
    h->xRngDerive(ctx, "weight", &rng);
    for (size_t i = 0; i < nw; i++)
        s->w[i] = (float)(mean + std * h->xRngNormal(&rng));
    s->ext.struct_size = sizeof s->ext;
    s->ext.flags = (s->dense_in ? 0u : SL_EVENTS_IN) |
                   (s->dense_out ? 0u : SL_EVENTS_OUT);
    *self = s;
    *n_out = s->n;
    return SL_OK;
fail:
    layer_destroy(s);
    return rc;
}

static int layer_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    lev__layer *s = self;
    if (count == NULL)
        return s->h->xError(s->ctx, NULL, SL_EINVAL, "xParams: NULL count");
    *count = 1;
    if (cap >= 1 && out != NULL) {
        out[0] = (sl_param){sizeof(sl_param),
                            SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT,
                            "weight", s->w, s->gw, s->n_in * s->n, 2,
                            {s->n_in, s->n}};
    }
    return SL_OK;
}

static int layer_prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    lev__layer *s = self;
    const sl_host *h = s->h;
    if (batch == s->batch && time == s->T && mode == s->mode && s->log)
        return SL_OK;
    layer_free_buffers(s);
    s->mode = mode;
    if (batch == 0 || time == 0)
        return h->xError(s->ctx, NULL, SL_EINVAL, "xPrepare: empty shape");
    size_t sp = s->max_spikes ? s->max_spikes : s->n * time;
    s->cap_in = s->n_in * time;
    s->cap = s->cap_in + sp;
    if (s->cap / (time) < s->n_in || batch > ((size_t)1 << 40) / s->cap) {
        return h->xError(s->ctx, "max_spikes", SL_ENOMEM,
                         "event buffers of %zu x %zu entries: too large",
                         batch, s->cap);
    }
    s->in = h->xAlloc(batch * s->cap_in * sizeof *s->in);
    s->n_ev = h->xAlloc(batch * sizeof *s->n_ev);
    s->log = h->xAlloc(batch * s->cap * sizeof *s->log);
    s->n_log = h->xAlloc(batch * sizeof *s->n_log);
    s->cnt = h->xAlloc(s->n * sizeof *s->cnt);
    s->work = h->xAlloc(6 * s->n * sizeof *s->work);
    s->g = h->xAlloc(s->cap * sizeof *s->g);
    s->gin = h->xAlloc(s->cap_in * sizeof *s->gin);
    s->gwd = h->xAlloc(s->n_in * s->n * sizeof *s->gwd);
    if (!s->in || !s->n_ev || !s->log || !s->n_log || !s->cnt || !s->work ||
        !s->g || !s->gin || !s->gwd) {
        layer_free_buffers(s);
        return h->xError(s->ctx, "max_spikes", SL_ENOMEM,
                         "cannot allocate event buffers for %zu samples of "
                         "%zu events", batch, s->cap);
    }
    s->batch = batch;
    s->T = time;
    s->have_fwd = 0;
    return SL_OK;
}

/* The input events of sample b, sorted; returns their count or −1 after
 * reporting a bad time. */
static long gather(lev__layer *s, size_t b, const float *x, lev__in *ev)
{
    const size_t T = s->T, ni = s->n_in;
    size_t ne = 0;
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < ni; j++) {
            double v = x[t * ni + j];
            if (s->dense_in) {
                if (isnan(v) || v < 0 || v > 1e6) {
                    s->h->xError(s->ctx, NULL, SL_EINVAL, "sample %zu, step "
                                 "%zu, channel %zu: %g is not a spike "
                                 "count", b, t, j, v);
                    return -1;
                }
                long m = lround(v);
                if (m > 1) {
                    s->h->xError(s->ctx, "input", SL_EINVAL, "sample %zu, "
                                 "step %zu, channel %zu: %ld spikes in one "
                                 "bin; the conversion to events takes at "
                                 "most one per step", b, t, j, m);
                    return -1;
                }
                if (m == 1 && (double)t * s->dt < s->m.t_max)
                    ev[ne++] = (lev__in){(double)t * s->dt, j, t * ni + j};
                continue;
            }
            if (isnan(v) || v < 0) {
                s->h->xError(s->ctx, NULL, SL_EINVAL, "sample %zu, slot %zu, "
                             "channel %zu: spike time %g s is not a time "
                             ">= 0 (an event sequence holds times, +inf "
                             "for none)", b, t, j, v);
                return -1;
            }
            if (v < s->m.t_max)
                ev[ne++] = (lev__in){v, j, t * ni + j};
        }
    qsort(ev, ne, sizeof *ev, lev__in_cmp);
    return (long)ne;
}

static int layer_forward(void *self, const float *in, float *out)
{
    lev__layer *s = self;
    const sl_host *h = s->h;
    if (s->log == NULL || in == NULL || out == NULL)
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "xForward before xPrepare or with NULL buffers");
    const size_t T = s->T, n = s->n, ni = s->n_in;
    lev__work ws = {s->work, s->work + n, s->work + 2 * n, s->work + 3 * n};
    for (size_t b = 0; b < s->batch; b++) {
        lev__in *ev = s->in + b * s->cap_in;
        lev__log *lg = s->log + b * s->cap;
        long ne = gather(s, b, in + b * T * ni, ev);
        if (ne < 0)
            return SL_EINVAL;
        s->n_ev[b] = (size_t)ne;
        long nl = lev__forward(&s->m, s->w, n, ev, (size_t)ne, &ws, lg,
                              (size_t)ne + (s->cap - s->cap_in));
        if (nl < 0)
            return h->xError(s->ctx, "max_spikes", SL_ECONFIG,
                             "sample %zu: the layer spikes more than "
                             "max_spikes = %zu times before t_max = %g s; "
                             "raise max_spikes", b, s->cap - s->cap_in,
                             s->m.t_max);
        s->n_log[b] = (size_t)nl;
        float *y = out + b * T * n;
        for (size_t k = 0; k < n; k++)
            s->cnt[k] = 0;
        if (s->dense_out)
            for (size_t i = 0; i < T * n; i++)
                y[i] = 0;
        else
            for (size_t i = 0; i < T * n; i++)
                y[i] = INFINITY;
        for (long e = 0; e < nl; e++) {
            if (lg[e].kind != 1)
                continue;
            size_t k = lg[e].idx;
            if (s->dense_out) {
                double q = floor(lg[e].t / s->dt);
                if (!(q < (double)T))
                    return h->xError(s->ctx, "output", SL_ECONFIG,
                                     "sample %zu: neuron %zu spikes at %g s, "
                                     "after the dense output's %zu steps of "
                                     "%g s; lengthen the sequence or lower "
                                     "t_max", b, k, lg[e].t, T, s->dt);
                y[(size_t)q * n + k] += 1.0f;
                continue;
            }
            if (s->cnt[k] == T)
                return h->xError(s->ctx, NULL, SL_ECONFIG,
                                 "sample %zu: neuron %zu spikes more than %zu "
                                 "times, the slots per channel of the event "
                                 "sequence (its time length); lengthen it "
                                 "or lower t_max", b, k, T);
            y[s->cnt[k]++ * n + k] = (float)lg[e].t;
        }
    }
    s->have_fwd = 1;
    return SL_OK;
}

static int layer_backward(void *self, const float *dout, float *din)
{
    lev__layer *s = self;
    const sl_host *h = s->h;
    if (!s->have_fwd || !(s->mode & SL_MODE_TRAIN) || dout == NULL)
        return h->xError(s->ctx, NULL, SL_EINVAL, "xBackward without a "
                         "forward in SL_MODE_TRAIN");
    if (s->dense_in || s->dense_out)
        return h->xError(s->ctx, s->dense_in ? "input" : "output",
                         SL_EINVAL, "a dense side has no gradient (spike "
                         "counts of bins do not move with the weights); "
                         "train through event sequences only");
    const size_t T = s->T, n = s->n, ni = s->n_in;
    memset(s->gwd, 0, ni * n * sizeof *s->gwd);
    for (size_t b = 0; b < s->batch; b++) {
        const lev__in *ev = s->in + b * s->cap_in;
        const lev__log *lg = s->log + b * s->cap;
        const size_t nl = s->n_log[b], ne = s->n_ev[b];
        const float *gy = dout + b * T * n;
        for (size_t k = 0; k < n; k++)
            s->cnt[k] = 0;
        for (size_t e = 0; e < nl; e++) {
            s->g[e] = 0;
            if (lg[e].kind == 1) {
                size_t k = lg[e].idx;
                double v = gy[s->cnt[k]++ * n + k];
                s->g[e] = isfinite(v) ? v : 0;
            }
        }
        if (s->ttfs)
            lev__ttfs(&s->m, s->w, n, ev, ne, lg, nl, s->g, s->gwd, s->gin);
        else
            lev__eventprop(&s->m, s->w, n, ev, ne, lg, nl, s->g, s->gwd,
                          s->gin, s->work + 4 * n);
        if (din) {
            float *gx = din + b * T * ni;
            for (size_t i = 0; i < T * ni; i++)
                gx[i] = 0;
            for (size_t p = 0; p < ne; p++)
                gx[ev[p].slot] = (float)s->gin[p];
        }
    }
    for (size_t i = 0; i < ni * n; i++)
        s->gw[i] += (float)s->gwd[i];
    return SL_OK;
}

static int cmp_log(const void *a_, const void *b_)
{
    const lev__log *a = a_, *b = b_;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->kind != b->kind) /* an input before a spike at the same time */
        return a->kind < b->kind ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Hardware in the loop (hil.h, specs/bss2.md §7.2): the measured spike
 * times replace this layer's own. Per sample the log is rebuilt from the
 * inputs of the last forward (the previous layer's measured times when
 * it was substituted too) and the measured spikes, in time order (ties
 * as the forward: inputs first, then the lower neuron), each spike with
 * the current the software model has at that time,
 *   I_k(t) = Σ_{inputs j at t_j <= t} W[j][k]·e^(−(t − t_j)/tau_syn)
 * (the current does not depend on resets, so no root solving and no
 * membrane are needed); both backward passes then run on it unchanged.
 * Measured times at or after t_max are dropped (the software run ends
 * there); a negative one is an error. */
static int layer_substitute_events(void *self, const float *times,
                                   float *out)
{
    lev__layer *s = self;
    const sl_host *h = s->h;
    if (!s->have_fwd || !(s->mode & SL_MODE_TRAIN) || times == NULL ||
        out == NULL)
        return h->xError(s->ctx, NULL, SL_EINVAL, "xSubstituteEvents "
                         "without a forward in SL_MODE_TRAIN");
    if (s->dense_in || s->dense_out)
        return h->xError(s->ctx, s->dense_in ? "input" : "output",
                         SL_EINVAL, "measured spike times replace an event "
                         "layer's output only: use events on both sides");
    const size_t T = s->T, n = s->n;
    const double ts = s->m.tau_syn;
    for (size_t b = 0; b < s->batch; b++) {
        const float *x = times + b * T * n;
        float *y = out + b * T * n;
        lev__log *lg = s->log + b * s->cap;
        const lev__in *ev = s->in + b * s->cap_in;
        const size_t ne = s->n_ev[b];
        size_t nl = 0;
        for (size_t p = 0; p < ne; p++)
            lg[nl++] = (lev__log){ev[p].t, 0, 0, p};
        for (size_t k = 0; k < n; k++) {
            size_t c = 0;
            for (size_t q = 0; q < T; q++) {
                double t = x[q * n + k];
                if (isnan(t) || t < 0)
                    return h->xError(s->ctx, NULL, SL_EINVAL, "sample %zu, "
                                     "slot %zu, neuron %zu: measured spike "
                                     "time %g s is not a time >= 0", b, q,
                                     k, t);
                if (!(t < s->m.t_max))
                    continue;
                if (nl == s->cap)
                    return h->xError(s->ctx, "max_spikes", SL_ECONFIG,
                                     "sample %zu: the measured layer "
                                     "spikes more than max_spikes = %zu "
                                     "times; raise max_spikes", b,
                                     s->cap - s->cap_in);
                lg[nl++] = (lev__log){t, 0, 1, k};
                y[c++ * n + k] = (float)t;
            }
            for (; c < T; c++)
                y[c * n + k] = INFINITY;
        }
        qsort(lg, nl, sizeof *lg, cmp_log);
        /* the current at each spike: inputs folded in time order */
        for (size_t e = 0; e < nl; e++) {
            if (lg[e].kind != 1)
                continue;
            size_t k = lg[e].idx;
            double cur = 0;
            for (size_t q = 0; q < e; q++)
                if (lg[q].kind == 0) {
                    const lev__in *in = &ev[lg[q].idx];
                    cur += (double)s->w[in->src * n + k] *
                           exp(-(lg[e].t - lg[q].t) / ts);
                }
            lg[e].cur = cur;
        }
        s->n_log[b] = nl;
    }
    return SL_OK;
}

static const void *layer_extension(void *self, const char *name)
{
    static const sl_substitute_events_ext sub = {
        sizeof(sl_substitute_events_ext), layer_substitute_events};
    lev__layer *s = self;
    if (s == NULL || name == NULL)
        return NULL;
    if (strcmp(name, SL_EXT_EVENTS) == 0)
        return &s->ext;
    if (strcmp(name, SL_EXT_SUBSTITUTE_EVENTS) == 0)
        return &sub;
    return NULL;
}

const sl_neuron_iface lev__layer_iface = {
    sizeof(sl_neuron_iface), 0, /* events are times, not counts */
    layer_create, layer_destroy, layer_params, layer_prepare,
    layer_forward, layer_backward, NULL, layer_extension,
};
