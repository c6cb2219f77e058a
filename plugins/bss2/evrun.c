/*
 * plugins/bss2/evrun.c — the "bss2" backend's event mode: a network of
 * lif_event layers (spike times in, spike times out; spikelab/events.h)
 * run on the emulated chip event by event (specs/bss2.md §6, §7.2).
 *
 * Per sample (one run of the chip):
 *  1. inputs: every spike time before the first layer's t_max is put on
 *     the FPGA clock (round to the nearest cycle of spike_grid, spec §1
 *     and open question 4: we round) and delayed by input_latency;
 *  2. each layer integrates exactly between events (lif.md §5 flow, the
 *     same solver as lifevent.so: spikelab/slaux_event.h),
 *     every neuron with its own fixed-pattern tau_mem, tau_syn and
 *     threshold, plus a threshold drawn anew for this run (threshold
 *     noise, trial to trial); a spike resets the membrane to v_reset and
 *     holds it there for `refractory` (the current keeps decaying and
 *     integrating: the chip clamps only the membrane), then releases it;
 *  3. on-chip routing: a layer's spikes reach the next layer at their
 *     exact crossing times (the chip's analog time, not its timestamps);
 *  4. recording: the crossing time plus jitter N(jitter_bias, jitter²) is
 *     floored to a clock cycle (the FPGA timestamps integer cycles), then
 *     spike_time_offset is added (jaxsnn's time_offset correction) and
 *     the result clamped at 0. Why jitter on the record and not on the
 *     routing: jaxsnn's mock adds its noise to the recorded times after
 *     the forward pass, and the threshold noise already perturbs the real
 *     dynamics.
 * Ties as lifevent's event loop: an input before a spike at the same
 * time, of two spikes the lower neuron first. With every imperfection off
 * (ideal, weight_quant = false, no latency) the recorded times are the
 * software event network's spike times floored to the 8 ns grid
 * (tests/test_bss2.c, test_events_ideal).
 *
 * Weights of a run: w_hw = round-half-even(clip(weight_scale·w, ±63))
 * (weight_quant; else weight_scale·w unrounded), the jump of an input
 * spike gain·f·w_hw with f the neuron's exc or inh gain factor.
 *
 * A neuron that spikes more often than the sequence has slots is an
 * error naming the refractory setting; the chip's readout would drop the
 * rest silently, a training loop must not.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bss2.h"

/* Effective jumps of layer L for this run into L->ev_w. */
static int event_weights(bss2 *s, bss2__layer *L, const sl_network_view *net)
{
    const sl_param *P = &net->layers[L->lin].params[L->widx];
    const size_t n = L->n, N = L->n_in * n;
    for (size_t i = 0; i < N; i++) {
        double w = s->weight_scale * (double)P->data[i];
        if (!isfinite(w))
            return s->host->xError(s->ctx, NULL, SL_ENUMERIC,
                                   "layer %zu weight [%zu][%zu] = %g is not "
                                   "finite",
                                   L->lin, i / n, i % n, (double)P->data[i]);
        if (s->weight_quant) {
            if (w > BSS2_W_MAX)
                w = BSS2_W_MAX;
            if (w < -BSS2_W_MAX)
                w = -BSS2_W_MAX;
            w = nearbyint(w);
        }
        const size_t k = i % n;
        L->ev_w[i] = (float)(s->gain * (w >= 0 ? L->ev_fe[k] : L->ev_fi[k]) * w);
    }
    return SL_OK;
}

/* Advance neuron k to time t (the membrane held while refractory). */
static void advance(bss2__layer *L, size_t k, double t)
{
    const lev__model *m = &L->em[k];
    double tl = L->ev_tl[k], rel = L->ev_rel[k];
    if (rel > tl) {
        double d = (t < rel ? t : rel) - tl;
        L->ev_i[k] *= exp(-d / m->tau_syn);
        tl = t < rel ? t : rel;
    }
    lev__flow(m, t - tl, &L->ev_u[k], &L->ev_i[k]);
    L->ev_tl[k] = t;
}

/* Absolute time of neuron k's next crossing from its state at t, if
 * before `end` (the next input, or t_max): every input re-solves every
 * neuron, so a crossing after the next input need not be found now, and
 * the solver's bracket check turns most neurons down without iterating
 * (the root finding of a general tau ratio, which the fixed pattern
 * makes of every neuron, is what costs). */
static double next_at(const bss2__layer *L, size_t k, double t, double end)
{
    const lev__model *m = &L->em[k];
    double rel = L->ev_rel[k];
    if (rel > t) {
        if (rel >= end)
            return INFINITY;
        double ir = L->ev_i[k] * exp(-(rel - t) / m->tau_syn);
        return rel + lev__next(m, L->ev_u[k], ir, end - rel);
    }
    if (!(end > t)) /* another input at this very time re-solves it */
        return INFINITY;
    return t + lev__next(m, L->ev_u[k], L->ev_i[k], end - t);
}

/* Layer L over one sample: inputs in[0..ne) sorted; its spikes (exact
 * times, in time order) into out[0..cap), their count returned, −1 when
 * more than cap. */
static long layer_run(bss2 *s, bss2__layer *L, const lev__in *in, size_t ne,
                      lev__in *out, size_t cap, double tref)
{
    const size_t n = L->n;
    const double tmax = L->em[0].t_max;
    double end = ne > 0 && in[0].t < tmax ? in[0].t : tmax;
    for (size_t k = 0; k < n; k++) {
        L->ev_u[k] = -L->em[k].v_leak; /* V(0) = 0, as lifevent */
        L->ev_i[k] = 0;
        L->ev_tl[k] = 0;
        L->ev_rel[k] = -INFINITY;
        L->ev_nx[k] = next_at(L, k, 0, end);
    }
    size_t p = 0, no = 0;
    for (;;) {
        size_t kmin = 0;
        double tk = INFINITY;
        for (size_t k = 0; k < n; k++)
            if (L->ev_nx[k] < tk) {
                tk = L->ev_nx[k];
                kmin = k;
            }
        double tin = p < ne ? in[p].t : INFINITY;
        if (tin < tmax && tin <= tk) {
            const float *row = L->ev_w + in[p].src * n;
            p++;
            end = p < ne && in[p].t < tmax ? in[p].t : tmax;
            for (size_t k = 0; k < n; k++) {
                advance(L, k, tin);
                L->ev_i[k] += row[k];
                L->ev_nx[k] = next_at(L, k, tin, end);
            }
        } else if (tk < tmax) {
            if (no == cap)
                return -1;
            advance(L, kmin, tk);
            out[no++] = (lev__in){tk, kmin, 0};
            L->ev_u[kmin] = L->em[kmin].v_reset - L->em[kmin].v_leak;
            L->ev_rel[kmin] = tk + tref;
            L->ev_nx[kmin] = next_at(L, kmin, tk, end);
        } else {
            break;
        }
    }
    (void)s;
    return (long)no;
}

static int grow(bss2 *s, void **buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return SL_OK;
    s->host->xFree(*buf);
    *buf = s->host->xAlloc(need * size);
    if (*buf == NULL) {
        *cap = 0;
        return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                               "cannot allocate %zu event entries", need);
    }
    *cap = need;
    return SL_OK;
}

int bss2__run_events(bss2 *s, const sl_network_view *net,
                     const sl_seq *input, sl_seq *output)
{
    const sl_host *h = s->host;
    const size_t B = input->batch, T = input->time, ni = s->n_in;
    const double tunit = s->bio ? 1e3 : 1.0; /* chip s → experiment units */
    const double grid = s->spike_grid * tunit;
    const double lat = s->input_latency * tunit;
    const double jit = s->jitter * tunit, jbias = s->jitter_bias * tunit;
    const double offs = s->spike_time_offset * tunit;
    const double tref = s->refractory;
    int rc;

    if (input->channels != ni || (B * T > 0 && input->data == NULL))
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "input has %zu channels, the network %zu",
                         input->channels, ni);
    /* buffers: every layer's times; one sample's events in and out */
    size_t need_ev = ni * T;
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        if (T > 0 && B > SIZE_MAX / sizeof(float) / T / L->n)
            return h->xError(s->ctx, NULL, SL_ENOMEM,
                             "a run of %zu x %zu slots is too large", B, T);
        size_t need = B * T * L->n;
        if (need > L->cap) {
            h->xFree(L->times);
            L->times = h->xAlloc(need * sizeof(float));
            if (L->times == NULL) {
                L->cap = 0;
                return h->xError(s->ctx, NULL, SL_ENOMEM,
                                 "cannot allocate %zu spike times", need);
            }
            L->cap = need;
        }
        if (L->n * T > need_ev)
            need_ev = L->n * T;
        if ((rc = event_weights(s, L, net)) < 0)
            return rc;
    }
    if ((rc = grow(s, (void **)&s->ev_in, &s->ev_in_cap, 2 * need_ev,
                   sizeof *s->ev_in)) < 0)
        return rc;
    lev__in *a = s->ev_in, *b2 = s->ev_in + need_ev;

    float nrm[1];
    for (size_t b = 0; b < B; b++) {
        /* 1. inputs on the clock, delayed */
        const float *x = input->data + b * T * ni;
        const double tmax0 = s->layers[0].em[0].t_max;
        size_t ne = 0;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < ni; j++) {
                double v = x[t * ni + j];
                if (isnan(v) || v < 0)
                    return h->xError(s->ctx, NULL, SL_EINVAL,
                                     "sample %zu, slot %zu, channel %zu: "
                                     "spike time %g s is not a time >= 0 "
                                     "(+inf for none)",
                                     b, t, j, v);
                if (!(v < tmax0))
                    continue;
                if (grid > 0)
                    v = nearbyint(v / grid) * grid;
                a[ne++] = (lev__in){v + lat, j, t * ni + j};
            }
        qsort(a, ne, sizeof *a, lev__in_cmp);

        for (size_t l = 0; l < s->n_layers; l++) {
            bss2__layer *L = &s->layers[l];
            const size_t n = L->n;
            /* 2. this run's thresholds */
            for (size_t k = 0; k < n; k++) {
                double th = L->ev_th[k];
                if (s->threshold_noise > 0) {
                    bss2__fill_normals(s, nrm, 1);
                    th += s->threshold_noise * (double)L->span * nrm[0];
                }
                L->em[k].th = th;
            }
            long no = layer_run(s, L, a, ne, b2, need_ev, tref);
            if (no < 0)
                return h->xError(s->ctx, "refractory", SL_ECONFIG,
                                 "sample %zu: layer %zu spikes more than "
                                 "%zu times (%zu neurons x %zu slots); "
                                 "raise the refractory period or the "
                                 "sequence's slots",
                                 b, L->view, need_ev, n, T);
            /* 4. recording */
            float *y = L->times + b * T * n;
            for (size_t i = 0; i < T * n; i++)
                y[i] = INFINITY;
            for (size_t k = 0; k < n; k++)
                L->ev_cnt[k] = 0;
            for (long e = 0; e < no; e++) {
                size_t k = b2[e].src;
                double t = b2[e].t;
                if (jit > 0) {
                    bss2__fill_normals(s, nrm, 1);
                    t += jit * nrm[0];
                }
                t += jbias;
                if (grid > 0)
                    t = floor(t / grid) * grid;
                t += offs;
                if (t < 0)
                    t = 0;
                if (L->ev_cnt[k] == T)
                    return h->xError(s->ctx, "refractory", SL_ECONFIG,
                                     "sample %zu: layer %zu neuron %zu "
                                     "spikes more than %zu times, the "
                                     "slots of the event sequence; raise "
                                     "the refractory period (jaxsnn: 30 us "
                                     "= one spike per run) or the slots",
                                     b, L->view, k, T);
                /* insertion keeps a neuron's times ascending (jitter
                 * may reorder them) */
                size_t c = L->ev_cnt[k]++;
                while (c > 0 && y[(c - 1) * n + k] > (float)t) {
                    y[c * n + k] = y[(c - 1) * n + k];
                    c--;
                }
                y[c * n + k] = (float)t;
            }
            /* 3. routing: the exact times feed the next layer */
            lev__in *tmp = a;
            a = b2;
            b2 = tmp;
            ne = (size_t)no;
        }
    }
    const bss2__layer *last = &s->layers[s->n_layers - 1];
    output->data = last->times;
    output->batch = B;
    output->time = T;
    output->channels = last->n;
    output->dt = input->dt > 0 ? input->dt : s->dt;
    s->batch = B;
    s->time = T;
    s->have_run = 1;
    return SL_OK;
}

int bss2__trace_events(bss2 *s, size_t layer, size_t idx, sl_observable *out)
{
    if (!s->have_run || layer >= s->n_view_layers || idx != 0)
        return SL_ENOTFOUND;
    const bss2__layer *L = &s->layers[layer];
    out->struct_size = sizeof *out;
    out->unit = "s";
    out->batch = s->batch;
    out->time = s->time;
    out->channels = L->n;
    out->name = SL_TRACE_SPIKE_TIMES;
    out->data = L->times;
    return SL_OK;
}
