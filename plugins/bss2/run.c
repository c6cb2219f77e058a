/*
 * plugins/bss2/run.c — xRun and xTrace of the "bss2" backend: weight
 * quantisation into exc/inh rows, the emulated neuron dynamics layer by
 * layer over the whole [batch][time] sequence, temporal noise, membrane
 * clip, refractory hold, spike-time grid and the ADC readout. Model and
 * settings: plugin.c.
 *
 * Buffers grow only: the first run of a shape allocates, later runs of the
 * same or a smaller shape do not. Hot loops are plain maps over
 * contiguous float32 per-neuron arrays; the input events are summed row by
 * row (silent sources cost one compare).
 *
 * Temporal noise draws: an own xoshiro256** generator (state seeded from
 * the host stream "temporal_noise"), each 64-bit output cut into five
 * 12-bit indices into a table of 4096 equiprobable normal quantiles
 * Φ⁻¹((i + ½)/4096), rescaled to unit variance: a discrete normal whose
 * tails end at ±3.5σ, plenty for membrane noise and ~2 ns a draw.
 */
#include <math.h>
#include <string.h>

#include "bss2.h"

/* ------------------------------------------------------------ randomness */

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t xoshiro_next(uint64_t *s)
{
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

void bss2__rng_seed(bss2 *s, sl_rng *from)
{
    for (int i = 0; i < 4; i++)
        s->rng[i] = s->host->xRngNext(from);
    if ((s->rng[0] | s->rng[1] | s->rng[2] | s->rng[3]) == 0)
        s->rng[0] = 0x9e3779b97f4a7c15ull; /* all-zero state is fixed */
}

static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

void bss2__norm_table(float *table)
{
    const size_t N = BSS2_NORM_SIZE;
    double var = 0.0;
    double x[BSS2_NORM_SIZE / 2];
    for (size_t i = 0; i < N / 2; i++) {
        double p = ((double)i + 0.5) / (double)N, lo = -8.0, hi = 0.0;
        for (int it = 0; it < 20; it++) { /* bracket, then Newton */
            double mid = 0.5 * (lo + hi);
            if (phi(mid) < p)
                lo = mid;
            else
                hi = mid;
        }
        double q = 0.5 * (lo + hi);
        for (int it = 0; it < 4; it++)
            q -= (phi(q) - p) / (exp(-0.5 * q * q) / sqrt(2.0 * M_PI));
        x[i] = q;
        var += 2.0 * q * q;
    }
    double scale = 1.0 / sqrt(var / (double)N);
    for (size_t i = 0; i < N / 2; i++) {
        table[i] = (float)(x[i] * scale);
        table[N - 1 - i] = (float)(-x[i] * scale);
    }
}

void bss2__fill_normals(bss2 *s, float *restrict out, size_t n)
{
    size_t k = 0;
    while (k < n) {
        uint64_t r = xoshiro_next(s->rng);
        for (int j = 0; j < 5 && k < n; j++, r >>= BSS2_NORM_BITS)
            out[k++] = s->norm_table[r & (BSS2_NORM_SIZE - 1)];
    }
}

/* ------------------------------------------------------------- buffers */

static int ensure(bss2 *s, float **buf, size_t need)
{
    s->host->xFree(*buf);
    *buf = s->host->xAlloc(need * sizeof(float));
    if (*buf == NULL)
        return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                               "cannot allocate %zu floats of traces", need);
    return SL_OK;
}

/* Trace buffers of every layer for B×T, and the step map. */
static int prepare_run(bss2 *s, size_t B, size_t T)
{
    const size_t lim = SIZE_MAX / sizeof(float);
    int rc;
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        if (T > 0 && (B > lim / T || B * T > lim / L->n))
            return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                                   "a run of %zu x %zu steps is too large",
                                   B, T);
        size_t need = B * T * L->n;
        if (need <= L->cap)
            continue;
        if ((rc = ensure(s, &L->vmem, need)) < 0 ||
            (L->spiking && (rc = ensure(s, &L->spk, need)) < 0))
            return rc;
        if (s->remap && L->spiking && (rc = ensure(s, &L->spk_rep, need)) < 0)
            return rc;
        L->cap = need;
    }
    return SL_OK;
}

/* Spike-time grid: event of step n stamped with clock cycle
 * c = ceil(n·dt_chip/grid), delivered / recorded in step
 * floor(c·grid/dt_chip) (>= n; >= T: after the run, dropped). Only built
 * when the grid is coarser than a step; otherwise every step maps to
 * itself and s->remap stays 0. */
static int build_step_map(bss2 *s, size_t T)
{
    const double dt_chip = s->dt * (s->bio ? 1e-3 : 1.0);
    s->remap = s->spike_grid > 0 && dt_chip < s->spike_grid;
    if (!s->remap)
        return SL_OK;
    if (T > s->cap_map) {
        s->host->xFree(s->step_map);
        s->step_map = s->host->xAlloc(T * sizeof *s->step_map);
        if (s->step_map == NULL) {
            s->cap_map = 0;
            return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                                   "cannot allocate the spike-time map");
        }
        s->cap_map = T;
    }
    const double r = dt_chip / s->spike_grid;
    for (size_t n = 0; n < T; n++) {
        double c = ceil((double)n * r - 1e-9);
        double m = floor(c / r + 1e-9);
        s->step_map[n] = m < (double)T ? (size_t)m : T;
    }
    return SL_OK;
}

/* w_hw = round-half-even(clip(weight_scale·w, −63, 63)); exc row w_hw ≥ 0,
 * inh row −w_hw < 0 (the tutorial's set_weights). */
static int quantise_weights(bss2 *s, const sl_network_view *net)
{
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        const sl_param *P = &net->layers[L->lin].params[L->widx];
        const size_t N = L->n_in * L->n;
        for (size_t i = 0; i < N; i++) {
            double w = s->weight_scale * (double)P->data[i];
            if (!isfinite(w))
                return s->host->xError(s->ctx, NULL, SL_ENUMERIC,
                                       "layer %zu weight [%zu][%zu] = %g is "
                                       "not finite",
                                       L->lin, i / L->n, i % L->n,
                                       (double)P->data[i]);
            if (w > BSS2_W_MAX)
                w = BSS2_W_MAX;
            if (w < -BSS2_W_MAX)
                w = -BSS2_W_MAX;
            if (s->weight_quant)
                w = nearbyint(w); /* default rounding mode: half to even */
            L->w_exc[i] = w >= 0 ? (float)w : 0.0f;
            L->w_inh[i] = w < 0 ? (float)-w : 0.0f;
        }
    }
    return SL_OK;
}

/* --------------------------------------------------------------- dynamics */

/* Whether a source row has any event: an OR over the bits without the
 * sign (so −0 is silent), branch-free and vectorisable — most rows of a
 * spike train are silent. */
static inline int row_any(const float *restrict row, size_t m)
{
    uint32_t acc = 0;
    for (size_t j = 0; j < m; j++) {
        uint32_t u;
        memcpy(&u, &row[j], sizeof u);
        acc |= u & 0x7fffffffu;
    }
    return acc != 0;
}

/* Add the events of one source row (counts) to xe / xi, zeroing them
 * first unless *have (events already added this step); sets *have. With
 * check, the counts are validated (network input: the chip takes spike
 * events). */
static int add_events(bss2 *s, const bss2__layer *L, const float *restrict row,
                      int check, size_t b, size_t t, int *have)
{
    const size_t n = L->n;
    float *restrict xe = L->xe, *restrict xi = L->xi;
    if (!row_any(row, L->n_in))
        return SL_OK;
    if (!*have) {
        for (size_t k = 0; k < n; k++)
            xe[k] = xi[k] = 0.0f;
        *have = 1;
    }
    for (size_t j = 0; j < L->n_in; j++) {
        const float c = row[j];
        if (c == 0.0f)
            continue;
        if (check && (!(c > 0.0f) || c != rintf(c)))
            return s->host->xError(s->ctx, NULL, SL_EINVAL,
                                   "input [%zu][%zu][%zu] = %g: the chip "
                                   "receives spike events, so inputs must "
                                   "be spike counts (0, 1, 2, ...)",
                                   b, t, j, (double)c);
        const float *restrict we = L->w_exc + j * n;
        const float *restrict wi = L->w_inh + j * n;
        for (size_t k = 0; k < n; k++) {
            xe[k] += c * we[k];
            xi[k] += c * wi[k];
        }
    }
    return SL_OK;
}

/* One layer over the whole sequence: src [B][T][n_in] (events), traces into
 * L->vmem (raw pre-reset membrane) and L->spk. */
static int run_layer(bss2 *s, bss2__layer *L, const float *src, size_t B,
                     size_t T, int first)
{
    const size_t n = L->n, m = L->n_in;
    const int noise = s->noise > 0, clip = s->membrane_clip;
    const int remap_in = first && s->remap;
    const float v_reset = L->v_reset, lo = L->v_lo, hi = L->v_hi;
    const float refs = (float)s->ref_steps;
    const float *restrict a = L->a_mem, *restrict ds = L->d_syn;
    const float *restrict th = L->th, *restrict leak = L->leak;
    const float *restrict ge = L->g_exc, *restrict gi = L->g_inh;
    const float *restrict sig = L->sigma;
    float *restrict v = L->v, *restrict cur = L->cur, *restrict ref = L->ref;
    const float *xe = L->xe, *xi = L->xi; /* written by add_events */
    float *restrict nrm = L->nrm;
    int rc;

    for (size_t b = 0; b < B; b++) {
        for (size_t k = 0; k < n; k++) {
            v[k] = leak[k];
            cur[k] = 0.0f;
            ref[k] = 0.0f;
        }
        size_t np = 0; /* next input step to deliver (spike grid) */
        for (size_t t = 0; t < T; t++) {
            const size_t off = (b * T + t) * n;
            int ev = 0; /* events this step (xe / xi valid) */
            if (remap_in) {
                for (; np < T && s->step_map[np] == t; np++)
                    if ((rc = add_events(s, L, src + (b * T + np) * m, 1, b,
                                         np, &ev)) < 0)
                        return rc;
            } else if ((rc = add_events(s, L, src + (b * T + t) * m, first, b,
                                        t, &ev)) < 0) {
                return rc;
            }
            float *restrict vm = L->vmem + off;

            if (L->spiking) {
                float *restrict z = L->spk + off;
                /* 1. integrate with the old current (lif.c step 1) */
                for (size_t k = 0; k < n; k++)
                    vm[k] = v[k] + a[k] * ((leak[k] - v[k]) + cur[k]);
                if (noise) {
                    bss2__fill_normals(s, nrm, n);
                    for (size_t k = 0; k < n; k++)
                        vm[k] += sig[k] * nrm[k];
                }
                if (clip)
                    for (size_t k = 0; k < n; k++)
                        vm[k] = fminf(fmaxf(vm[k], lo), hi);
                if (refs > 0.0f) {
                    /* held at reset while refractory, no spike */
                    for (size_t k = 0; k < n; k++) {
                        if (ref[k] > 0.0f) {
                            vm[k] = v_reset;
                            ref[k] -= 1.0f;
                            z[k] = 0.0f;
                        } else {
                            z[k] = vm[k] > th[k] ? 1.0f : 0.0f;
                            ref[k] = z[k] * refs;
                        }
                    }
                } else {
                    /* 3. strict threshold */
                    for (size_t k = 0; k < n; k++)
                        z[k] = vm[k] > th[k] ? 1.0f : 0.0f;
                }
                /* 4. reset; 2.+5. synaptic decay, then this step's input
                 * (+ 0 without events: the same float result as adding
                 * a zero input) */
                for (size_t k = 0; k < n; k++)
                    v[k] = (1.0f - z[k]) * vm[k] + z[k] * v_reset;
                if (ev)
                    for (size_t k = 0; k < n; k++)
                        cur[k] = ds[k] * cur[k] +
                                 (ge[k] * xe[k] - gi[k] * xi[k]);
                else
                    for (size_t k = 0; k < n; k++)
                        cur[k] = ds[k] * cur[k] + 0.0f;
            } else {
                /* li.c: input first, reaches V in the same step */
                if (ev)
                    for (size_t k = 0; k < n; k++) {
                        float j = cur[k] + (ge[k] * xe[k] - gi[k] * xi[k]);
                        v[k] = v[k] + a[k] * ((leak[k] - v[k]) + j);
                        cur[k] = ds[k] * j;
                    }
                else
                    for (size_t k = 0; k < n; k++) {
                        float j = cur[k] + 0.0f;
                        v[k] = v[k] + a[k] * ((leak[k] - v[k]) + j);
                        cur[k] = ds[k] * j;
                    }
                if (noise) {
                    bss2__fill_normals(s, nrm, n);
                    for (size_t k = 0; k < n; k++)
                        v[k] += sig[k] * nrm[k];
                }
                if (clip)
                    for (size_t k = 0; k < n; k++)
                        v[k] = fminf(fmaxf(v[k], lo), hi);
                memcpy(vm, v, n * sizeof *vm);
            }
        }
        for (size_t k = 0; k < n; k++)
            if (!isfinite(v[k]) || !isfinite(cur[k]))
                return s->host->xError(s->ctx, NULL, SL_ENUMERIC,
                                       "layer %zu neuron %zu: state became "
                                       "%g / %g",
                                       L->view, k, (double)v[k],
                                       (double)cur[k]);
    }
    return SL_OK;
}

/* ADC readout of a membrane trace, in place: model → LSB by the
 * calibration, rounded half-even, clipped to the ADC's range, back. */
static void adc_readout(const bss2__layer *L, float *restrict x, size_t N)
{
    const float al = L->adc_leak, sc = L->adc_scale, mx = L->adc_max;
    const float vl = L->v_leak;
    for (size_t i = 0; i < N; i++) {
        float q = rintf(al + sc * (x[i] - vl));
        q = fminf(fmaxf(q, 0.0f), mx);
        x[i] = vl + (q - al) / sc;
    }
}

int bss2__run(void *self, const sl_network_view *net, const sl_seq *input,
              sl_seq *output)
{
    bss2 *s = self;
    const sl_host *h = s->host;
    int rc;
    s->have_run = 0;
    if (!s->placed)
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "xRun before a successful xPlace");
    if (net == NULL || input == NULL || output == NULL ||
        net->n_layers != s->n_view_layers || net->layers == NULL)
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "xRun needs the placed network, an input and an "
                         "output");
    for (size_t l = 0; l < s->n_layers; l++) {
        const bss2__layer *L = &s->layers[l];
        const sl_layer_view *lin = &net->layers[L->lin];
        if (lin->n_in != L->n_in || lin->n_out != L->n ||
            net->layers[L->view].n_out != L->n || lin->n_params <= L->widx)
            return h->xError(s->ctx, NULL, SL_EINVAL,
                             "xRun with a network other than the placed "
                             "one: place it first");
    }
    const size_t B = input->batch, T = input->time;
    if (input->channels != s->n_in || (B * T > 0 && input->data == NULL))
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "input has %zu channels, the network %zu",
                         input->channels, s->n_in);
    if (input->dt > 0 && fabs(input->dt - s->dt) > 1e-9 * s->dt)
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "input dt %g s differs from the network dt %g s",
                         input->dt, s->dt);

    if (s->events)
        return bss2__run_events(s, net, input, output);
    if ((rc = build_step_map(s, T)) < 0 || (rc = prepare_run(s, B, T)) < 0 ||
        (rc = quantise_weights(s, net)) < 0)
        return rc;

    const float *src = input->data;
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        if ((rc = run_layer(s, L, src, B, T, l == 0)) < 0)
            return rc;
        src = L->spk; /* on-chip routing: unstamped spikes */
    }

    /* readout */
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        const size_t N = B * T * L->n;
        if (s->adc != ADC_OFF)
            adc_readout(L, L->vmem, N);
        if (s->remap && L->spiking) {
            memset(L->spk_rep, 0, N * sizeof(float));
            for (size_t b = 0; b < B; b++)
                for (size_t t = 0; t < T; t++) {
                    size_t to = s->step_map[t];
                    if (to >= T)
                        continue;
                    const float *restrict z = L->spk + (b * T + t) * L->n;
                    float *restrict y = L->spk_rep + (b * T + to) * L->n;
                    for (size_t k = 0; k < L->n; k++)
                        y[k] += z[k];
                }
        }
    }

    const bss2__layer *last = &s->layers[s->n_layers - 1];
    output->data = last->spiking ? (s->remap ? last->spk_rep : last->spk)
                                 : last->vmem;
    output->batch = B;
    output->time = T;
    output->channels = last->n;
    output->dt = input->dt > 0 ? input->dt : s->dt;
    s->batch = B;
    s->time = T;
    s->have_run = 1;
    return SL_OK;
}

int bss2__trace(void *self, size_t layer, size_t idx, sl_observable *out)
{
    bss2 *s = self;
    if (out == NULL)
        return s->host->xError(s->ctx, NULL, SL_EINVAL, "xTrace: NULL output");
    if (s->events)
        return bss2__trace_events(s, layer, idx, out);
    if (!s->have_run || layer >= s->n_view_layers ||
        s->view_to_layer[layer] == 0)
        return SL_ENOTFOUND;
    const bss2__layer *L = &s->layers[s->view_to_layer[layer] - 1];
    out->struct_size = sizeof *out;
    out->unit = "1";
    out->batch = s->batch;
    out->time = s->time;
    out->channels = L->n;
    if (idx == 0) {
        out->name = SL_TRACE_V_MEM;
        out->data = L->vmem;
        return SL_OK;
    }
    if (idx == 1 && L->spiking) {
        out->name = SL_TRACE_SPIKES;
        out->data = s->remap ? L->spk_rep : L->spk;
        return SL_OK;
    }
    return SL_ENOTFOUND;
}
