/*
 * plugins/bss2/place.c — xPlace of the "bss2" backend: checks that a network
 * is one the emulated chip runs (linear → lif … → lif | li, no bias, no
 * recurrence), reads each neuron layer's settings through its context,
 * places the layers on the chip's two halves under its limits (512
 * neurons, 256 synapse rows and 256 neuron columns per half, an exc and an
 * inh row per source → fan-in 128) and derives the per-neuron constants
 * with the chip's fixed pattern. Model and settings: plugin.c.
 */
#include <math.h>
#include <string.h>

#include "bss2.h"

void bss2__free_layers(bss2 *s)
{
    const sl_host *h = s->host;
    for (size_t l = 0; l < s->n_layers; l++) {
        bss2__layer *L = &s->layers[l];
        h->xFree(L->block);
        h->xFree(L->vmem);
        h->xFree(L->spk);
        h->xFree(L->spk_rep);
        h->xFree(L->em);
        h->xFree(L->ev_fe);
        h->xFree(L->ev_w);
        h->xFree(L->times);
        h->xFree(L->ev_cnt);
    }
    h->xFree(s->ev_in);
    s->ev_in = NULL;
    s->ev_in_cap = 0;
    s->events = 0;
    h->xFree(s->layers);
    h->xFree(s->view_to_layer);
    s->layers = NULL;
    s->view_to_layer = NULL;
    s->n_layers = 0;
    s->placed = 0;
    s->have_run = 0;
}

/* Index of a linear layer's "weight" parameter [n_in][n_out]; refuses a
 * bias (the chip's synapses add none). */
static int find_weight(bss2 *s, const sl_layer_view *v, size_t li,
                       size_t *idx)
{
    const sl_host *h = s->host;
    int found = 0;
    for (size_t p = 0; p < v->n_params; p++) {
        const sl_param *P = &v->params[p];
        if (P->name == NULL)
            continue;
        if (strcmp(P->name, "bias") == 0)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (linear) has a bias: the chip's "
                             "synapses add none; set bias = false in that "
                             "layer to run it on bss2",
                             li);
        if (strcmp(P->name, "weight") == 0) {
            if (P->data == NULL || P->ndim != 2 || P->shape[0] != v->n_in ||
                P->shape[1] != v->n_out || P->n != v->n_in * v->n_out)
                return h->xError(s->ctx, NULL, SL_EINVAL,
                                 "layer %zu (linear): its weight is not a "
                                 "[%zu][%zu] matrix",
                                 li, v->n_in, v->n_out);
            *idx = p;
            found = 1;
        }
    }
    if (!found)
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "layer %zu (linear) has no \"weight\" parameter",
                         li);
    return SL_OK;
}

/* Read one float setting of a neuron layer (its own group, its default). */
static int layer_float(bss2 *s, const sl_layer_view *v, size_t li,
                       const char *key, double def, double *out)
{
    int rc = s->host->xGetFloat(v->ctx, key, def, out);
    if (rc < 0)
        return s->host->xError(s->ctx, NULL, rc,
                               "layer %zu (%s): cannot read %s", li, v->type,
                               key);
    if (!isfinite(*out))
        return s->host->xError(s->ctx, NULL, SL_ECONFIG,
                               "layer %zu (%s): %s = %g is not finite", li,
                               v->type, key, *out);
    return SL_OK;
}

/* The neuron settings of layer li (lif or li) with the lif/li defaults. */
static int read_neuron(bss2 *s, const sl_layer_view *v, size_t li,
                       bss2__layer *L)
{
    const sl_host *h = s->host;
    double tm, ts, vl, vt = 0.6, vr = 0.0;
    int rc;
    if ((rc = layer_float(s, v, li, "tau_mem", 1e-2, &tm)) < 0 ||
        (rc = layer_float(s, v, li, "tau_syn", 5e-3, &ts)) < 0 ||
        (rc = layer_float(s, v, li, "v_leak", 0.0, &vl)) < 0)
        return rc;
    if (L->spiking) {
        int rec;
        const char *fwd;
        if ((rc = layer_float(s, v, li, "v_th", 0.6, &vt)) < 0 ||
            (rc = layer_float(s, v, li, "v_reset", 0.0, &vr)) < 0)
            return rc;
        if ((rc = h->xGetBool(v->ctx, "recurrent", 0, &rec)) < 0 ||
            (rc = h->xGetString(v->ctx, "forward", "step", &fwd)) < 0)
            return h->xError(s->ctx, NULL, rc,
                             "layer %zu (lif): cannot read its settings", li);
        if (rec)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (lif): recurrent = true is not "
                             "supported by bss2 (only feed-forward "
                             "projections are placed); remove the "
                             "recurrence or use the sim backend",
                             li);
        if (strcmp(fwd, "step") != 0)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (lif): forward = \"%s\" cannot run "
                             "on the chip, whose comparator makes step "
                             "spikes; use forward = \"step\"",
                             li, fwd);
        /* lif variants the chip's neuron does not have: refused, never
         * silently run as the plain LIF (scheme and input_order only pick
         * the software step and do not matter on a continuous chip) */
        const char *reset;
        int delay, syn, leak;
        double tref;
        if ((rc = h->xGetString(v->ctx, "reset", "to_v_reset", &reset)) < 0 ||
            (rc = h->xGetBool(v->ctx, "reset_delay", 0, &delay)) < 0 ||
            (rc = h->xGetBool(v->ctx, "synapse", 1, &syn)) < 0 ||
            (rc = h->xGetBool(v->ctx, "leak", 1, &leak)) < 0 ||
            (rc = h->xGetFloat(v->ctx, "t_ref", 0.0, &tref)) < 0)
            return h->xError(s->ctx, NULL, rc,
                             "layer %zu (lif): cannot read its settings", li);
        if (strcmp(reset, "to_v_reset") != 0 || delay || !syn || !leak)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (lif): reset = \"%s\"%s%s%s cannot "
                             "run on the chip, whose neuron resets to v_reset "
                             "at once and has a leak and an exponential "
                             "synapse; use the defaults or the sim backend",
                             li, reset, delay ? ", reset_delay = true" : "",
                             syn ? "" : ", synapse = false",
                             leak ? "" : ", leak = false");
        if (tref > 0)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (lif): t_ref = %g s is the software "
                             "neuron's; on the chip set the backend's "
                             "refractory (backend.refractory) instead",
                             li, tref);
        if (!(vt > vl))
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu (lif): v_th = %g must lie above "
                             "v_leak = %g: the chip is calibrated from the "
                             "leak up to the threshold",
                             li, vt, vl);
        L->span = (float)(vt - vl);
    } else {
        L->span = (float)s->li_range;
    }
    L->tau_mem = tm;
    L->tau_syn = ts;
    L->v_leak = (float)vl;
    L->v_th = (float)vt;
    L->v_reset = (float)vr;

    if (!(s->gain <= L->span))
        return h->xError(s->ctx, "gain", SL_EFIT,
                         "gain = %g per LSB exceeds layer %zu's whole "
                         "leak-threshold span %g: one weight LSB cannot "
                         "overshoot the threshold on a calibrated chip; "
                         "lower gain (or raise weight_scale)",
                         s->gain, li, (double)L->span);
    const double tunit = s->bio ? 1e-3 : 1.0; /* → chip seconds */
    if (tm * tunit > 1e-3 || ts * tunit > 1e-3)
        h->xLog(s->ctx, SL_LOG_WARN,
                "layer %zu (%s): tau_mem %g s / tau_syn %g s are %s time, "
                "i.e. ms on the chip whose calibrated range is us: did you "
                "mean time = \"bio\"?",
                li, v->type, tm, ts, s->bio ? "biological" : "chip");
    return SL_OK;
}

/* Place layer L (its neurons need n columns, its sources 2·n_in rows in
 * every half holding some of them): whole into the first half with room,
 * else split over both halves. */
static int place_layer(bss2 *s, bss2__layer *L, size_t li, const char *type)
{
    const size_t n = L->n, rows = 2 * L->n_in;
    for (int h = 0; h < BSS2_HALVES; h++) {
        if (s->cols_used[h] + n <= BSS2_COLS_PER_HALF &&
            s->rows_used[h] + rows <= BSS2_ROWS_PER_HALF) {
            L->half0 = h;
            L->n_half0 = n;
            L->col0 = s->cols_used[h];
            L->col1 = 0;
            s->cols_used[h] += n;
            s->rows_used[h] += rows;
            return SL_OK;
        }
    }
    size_t free0 = BSS2_COLS_PER_HALF - s->cols_used[0];
    size_t free1 = BSS2_COLS_PER_HALF - s->cols_used[1];
    if (s->rows_used[0] + rows <= BSS2_ROWS_PER_HALF &&
        s->rows_used[1] + rows <= BSS2_ROWS_PER_HALF && free0 + free1 >= n) {
        L->half0 = 0;
        L->n_half0 = free0;
        L->col0 = s->cols_used[0];
        L->col1 = s->cols_used[1];
        s->cols_used[0] = BSS2_COLS_PER_HALF;
        s->cols_used[1] += n - free0;
        s->rows_used[0] += rows;
        s->rows_used[1] += rows;
        return SL_OK;
    }
    return s->host->xError(
        s->ctx, NULL, SL_EFIT,
        "synapse rows: layer %zu (%s) needs %zu neuron columns and %zu "
        "synapse rows (an exc and an inh row for each of its %zu sources) "
        "in every half it uses, but half 0 has %zu columns and %zu rows "
        "free, half 1 %zu and %zu (each half has %d rows and %d columns); "
        "use fewer sources or neurons",
        li, type, n, rows, L->n_in, free0,
        BSS2_ROWS_PER_HALF - s->rows_used[0], free1,
        BSS2_ROWS_PER_HALF - s->rows_used[1], BSS2_ROWS_PER_HALF,
        BSS2_COLS_PER_HALF);
}

/* Physical neuron index (0..511) of neuron k of L. */
static size_t phys_index(const bss2__layer *L, size_t k)
{
    if (k < L->n_half0)
        return (size_t)L->half0 * BSS2_COLS_PER_HALF + L->col0 + k;
    return (size_t)(1 - L->half0) * BSS2_COLS_PER_HALF + L->col1 +
           (k - L->n_half0);
}

/* Per-neuron constants of L with the fixed pattern of its placement. */
static int derive_neurons(bss2 *s, bss2__layer *L, size_t li)
{
    const sl_host *h = s->host;
    const size_t n = L->n;
    if (L->n_in > SIZE_MAX / sizeof(float) / 2 / n - 16)
        return h->xError(s->ctx, NULL, SL_ENOMEM, "layer %zu too large", li);
    size_t floats = 13 * n + 2 * L->n_in * n;
    L->block = h->xAlloc(floats * sizeof(float));
    if (L->block == NULL)
        return h->xError(s->ctx, NULL, SL_ENOMEM,
                         "cannot allocate layer %zu on the chip", li);
    float *p = L->block;
    L->a_mem = p, p += n;
    L->d_syn = p, p += n;
    L->th = p, p += n;
    L->leak = p, p += n;
    L->g_exc = p, p += n;
    L->g_inh = p, p += n;
    L->sigma = p, p += n;
    L->v = p, p += n;
    L->cur = p, p += n;
    L->xe = p, p += n;
    L->xi = p, p += n;
    L->ref = p, p += n;
    L->nrm = p, p += n;
    L->w_exc = p, p += L->n_in * n;
    L->w_inh = p;

    const double dt = s->dt, *fp = s->fp;
    for (size_t k = 0; k < n; k++) {
        const float *draw = s->fp_draw[phys_index(L, k)];
        double f_tm = 1.0 + fp[FP_TAU_MEM] * draw[FP_TAU_MEM];
        double f_ts = 1.0 + fp[FP_TAU_SYN] * draw[FP_TAU_SYN];
        double f_th = 1.0 + fp[FP_THRESHOLD] * draw[FP_THRESHOLD];
        double f_ge = 1.0 + fp[FP_GAIN_EXC] * draw[FP_GAIN_EXC];
        double f_gi = 1.0 + fp[FP_GAIN_INH] * draw[FP_GAIN_INH];
        double tm = L->tau_mem * f_tm, ts = L->tau_syn * f_ts;
        if (!(dt < tm) || !(dt < ts))
            return h->xError(s->ctx, fp[FP_TAU_MEM] > 0 ? "fp_tau_mem" : NULL,
                             SL_EFIT,
                             "layer %zu (neuron %zu): tau_mem %g s / "
                             "tau_syn %g s (after the fixed pattern) must "
                             "exceed dt = %g s for a stable Euler step; "
                             "raise the taus, lower dt or the fp_tau_* "
                             "spread",
                             li, k, tm, ts, dt);
        /* the same float expressions as plugins/lif/common.c, so that the
         * ideal chip reproduces lif bit for bit */
        float a_syn = (float)(dt / ts);
        L->a_mem[k] = (float)(dt / tm);
        L->d_syn[k] = 1.0f - a_syn;
        L->leak[k] = fp[FP_LEAK] > 0
                         ? (float)((double)L->v_leak +
                                   fp[FP_LEAK] * L->span * draw[FP_LEAK])
                         : L->v_leak;
        L->th[k] = fp[FP_THRESHOLD] > 0
                       ? (float)((double)L->v_leak +
                                 ((double)L->v_th - L->v_leak) * f_th)
                       : L->v_th;
        L->g_exc[k] = (float)(s->gain * f_ge);
        L->g_inh[k] = (float)(s->gain * f_gi);
        /* `noise` is the stationary std of the free membrane (bss2.md
         * §5: "of order 1 LSB CADC"); the leak filters the per-step draws
         * (an AR(1) process V ← (1−a)V + σn), so the per-step σ is
         * noise·span·sqrt(1 − (1−a)²). */
        double ar = 1.0 - dt / tm;
        L->sigma[k] = (float)(s->noise * L->span * sqrt(1.0 - ar * ar));
    }

    /* membrane range: the CADC's full scale 0..255 LSB of the calibration
     * leak ↦ cadc_leak, leak + span ↦ cadc_threshold */
    double cscale = (s->cadc_threshold - s->cadc_leak) / L->span;
    if (s->membrane_clip) {
        L->v_lo = (float)(L->v_leak - s->cadc_leak / cscale);
        L->v_hi = (float)(L->v_leak + (255.0 - s->cadc_leak) / cscale);
    } else {
        L->v_lo = -INFINITY;
        L->v_hi = INFINITY;
    }
    double al = s->cadc_leak, at = s->cadc_threshold, amax = 255;
    if (s->adc == ADC_MADC)
        al = s->madc_leak, at = s->madc_threshold, amax = 1023;
    double ascale = (at - al) / L->span;
    L->adc_scale = (float)ascale;
    L->adc_leak = (float)al;
    L->adc_max = (float)amax;
    return SL_OK;
}

int bss2__place(void *self, const sl_network_view *net)
{
    bss2 *s = self;
    const sl_host *h = s->host;
    int rc;

    bss2__free_layers(s);
    if (net == NULL || !SL_HAS_FIELD(sl_network_view, net, layers) ||
        (net->n_layers > 0 && net->layers == NULL))
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "xPlace: no network view (or one too old)");
    if (net->n_layers > 0 && net->layers[0].type &&
        strcmp(net->layers[0].type, "lif_event") == 0)
        return bss2__place_events(s, net);
    if (!(net->dt > 0) || !isfinite(net->dt))
        return h->xError(s->ctx, NULL, SL_EINVAL,
                         "network dt must be a positive time (got %g)",
                         net->dt);
    if (net->n_layers < 2 || net->n_layers % 2 != 0)
        return h->xError(s->ctx, NULL, SL_EFIT,
                         "bss2 runs linear -> lif pairs (the last neuron "
                         "layer may be li); this network has %zu layers",
                         net->n_layers);
    s->dt = net->dt;

    /* structure: (linear, lif)*, last (linear, lif|li) */
    const size_t nl = net->n_layers / 2;
    s->total_neurons = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const sl_layer_view *v = &net->layers[i];
        if (v->struct_size < sizeof(sl_layer_view) || v->type == NULL ||
            v->ctx == NULL)
            return h->xError(s->ctx, NULL, SL_EINVAL,
                             "layer %zu: incomplete layer view", i);
        int want_linear = i % 2 == 0;
        if (want_linear && strcmp(v->type, "linear") != 0)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu is \"%s\": bss2 needs a \"linear\" "
                             "projection (the synapse rows) before every "
                             "neuron layer, so layers 0, 2, 4, ... must be "
                             "linear",
                             i, v->type);
        if (!want_linear) {
            int last = i + 1 == net->n_layers;
            if (strcmp(v->type, "lif") != 0 &&
                !(last && strcmp(v->type, "li") == 0))
                return h->xError(
                    s->ctx, NULL, SL_EFIT,
                    "layer %zu is \"%s\": bss2 runs \"lif\" neuron layers%s",
                    i, v->type,
                    last ? " and an \"li\" readout as the last layer"
                         : " (\"li\" only as the last layer)");
            if (v->n_in != v->n_out || v->n_in != net->layers[i - 1].n_out)
                return h->xError(s->ctx, NULL, SL_EINVAL,
                                 "layer %zu: sizes do not chain", i);
            s->total_neurons += v->n_out;
        }
    }
    if (s->total_neurons > BSS2_NEURONS)
        return h->xError(s->ctx, NULL, SL_EFIT,
                         "neurons: the network has %zu neurons but the chip "
                         "has %d (two halves of %d); make the layers "
                         "smaller",
                         s->total_neurons, BSS2_NEURONS,
                         BSS2_COLS_PER_HALF);

    s->layers = h->xAlloc(nl * sizeof *s->layers);
    s->view_to_layer = h->xAlloc(net->n_layers * sizeof *s->view_to_layer);
    if (s->layers == NULL || s->view_to_layer == NULL) {
        bss2__free_layers(s);
        return h->xError(s->ctx, NULL, SL_ENOMEM, "cannot allocate layers");
    }
    s->n_layers = nl;
    s->n_view_layers = net->n_layers;
    s->n_in = net->layers[0].n_in;
    memset(s->rows_used, 0, sizeof s->rows_used);
    memset(s->cols_used, 0, sizeof s->cols_used);

    for (size_t l = 0; l < nl; l++) {
        bss2__layer *L = &s->layers[l];
        const sl_layer_view *lin = &net->layers[2 * l];
        const sl_layer_view *neu = &net->layers[2 * l + 1];
        size_t widx = 0;
        L->lin = 2 * l;
        L->view = 2 * l + 1;
        L->n_in = lin->n_in;
        L->n = neu->n_out;
        L->spiking = strcmp(neu->type, "lif") == 0;
        s->view_to_layer[L->view] = l + 1;
        if ((rc = find_weight(s, lin, L->lin, &widx)) < 0 ||
            (rc = read_neuron(s, neu, L->view, L)) < 0)
            goto fail;
        L->widx = widx;
        if (L->n_in > BSS2_MAX_FAN_IN) {
            rc = h->xError(s->ctx, NULL, SL_EFIT,
                           "fan-in: layer %zu (%s) has %zu sources but a "
                           "neuron takes at most %d (each source needs an "
                           "excitatory and an inhibitory synapse row, %d "
                           "rows per half); reduce layer %zu's inputs",
                           L->view, neu->type, L->n_in, BSS2_MAX_FAN_IN,
                           BSS2_ROWS_PER_HALF, L->lin);
            goto fail;
        }
        if ((rc = place_layer(s, L, L->view, neu->type)) < 0 ||
            (rc = derive_neurons(s, L, L->view)) < 0)
            goto fail;
    }

    s->ref_steps = (size_t)llround(s->refractory / s->dt);
    s->placed = 1;
    return SL_OK;
fail:
    bss2__free_layers(s);
    return rc;
}

/* ------------------------------------------------------------ event mode */

/* The settings of lif_event layer li with lifevent's defaults; the chip
 * takes and gives spike events only, so a dense side is refused. */
static int read_event_neuron(bss2 *s, const sl_layer_view *v, size_t li,
                             bss2__layer *L, lev__model *m)
{
    const sl_host *h = s->host;
    const char *din, *dout;
    int rc;
    if ((rc = layer_float(s, v, li, "tau_mem", 1e-2, &m->tau_mem)) < 0 ||
        (rc = layer_float(s, v, li, "tau_syn", 5e-3, &m->tau_syn)) < 0 ||
        (rc = layer_float(s, v, li, "v_th", 1.0, &m->v_th)) < 0 ||
        (rc = layer_float(s, v, li, "v_leak", 0.0, &m->v_leak)) < 0 ||
        (rc = layer_float(s, v, li, "v_reset", 0.0, &m->v_reset)) < 0 ||
        (rc = layer_float(s, v, li, "t_max", 2e-2, &m->t_max)) < 0)
        return rc;
    if ((rc = h->xGetString(v->ctx, "input", "events", &din)) < 0 ||
        (rc = h->xGetString(v->ctx, "output", "events", &dout)) < 0)
        return h->xError(s->ctx, NULL, rc,
                         "layer %zu (lif_event): cannot read its settings",
                         li);
    if (strcmp(din, "events") != 0 || strcmp(dout, "events") != 0)
        return h->xError(s->ctx, NULL, SL_EFIT,
                         "layer %zu (lif_event): input/output = \"dense\" "
                         "cannot run on the chip, which takes and records "
                         "spike events; use events on both sides",
                         li);
    if (!(m->v_th > m->v_leak))
        return h->xError(s->ctx, NULL, SL_EFIT,
                         "layer %zu (lif_event): v_th = %g must lie above "
                         "v_leak = %g: the chip is calibrated from the leak "
                         "up to the threshold",
                         li, m->v_th, m->v_leak);
    L->tau_mem = m->tau_mem;
    L->tau_syn = m->tau_syn;
    L->v_leak = (float)m->v_leak;
    L->v_th = (float)m->v_th;
    L->v_reset = (float)m->v_reset;
    L->span = (float)(m->v_th - m->v_leak);
    const double tunit = s->bio ? 1e-3 : 1.0;
    if (m->tau_mem * tunit > 1e-3 || m->tau_syn * tunit > 1e-3)
        h->xLog(s->ctx, SL_LOG_WARN,
                "layer %zu (lif_event): tau_mem %g s / tau_syn %g s are %s "
                "time, i.e. ms on the chip whose calibrated range is us: "
                "did you mean time = \"bio\"?",
                li, m->tau_mem, m->tau_syn, s->bio ? "biological" : "chip");
    return SL_OK;
}

/* Event mode: every layer a lif_event layer (its own weight [n_in][n]),
 * placed as the dense mode places a linear+lif pair. Per neuron: the
 * model with the fixed pattern on tau_mem, tau_syn and the
 * leak→threshold distance, and the exc / inh gain factors (the leak
 * offset has no meaning here: the event model starts at rest, V = 0). The
 * chip's reset: the layer's v_reset held inside the membrane range when
 * membrane_clip is on (jaxsnn's software twin uses −1000, which the chip
 * realises as its lowest reachable membrane). */
int bss2__place_events(bss2 *s, const sl_network_view *net)
{
    const sl_host *h = s->host;
    int rc;
    const size_t nl = net->n_layers;
    s->total_neurons = 0;
    for (size_t i = 0; i < nl; i++) {
        const sl_layer_view *v = &net->layers[i];
        if (v->struct_size < sizeof(sl_layer_view) || v->type == NULL ||
            v->ctx == NULL)
            return h->xError(s->ctx, NULL, SL_EINVAL,
                             "layer %zu: incomplete layer view", i);
        if (strcmp(v->type, "lif_event") != 0)
            return h->xError(s->ctx, NULL, SL_EFIT,
                             "layer %zu is \"%s\": a network of event "
                             "layers runs on bss2 only when every layer is "
                             "\"lif_event\"",
                             i, v->type);
        if (i > 0 && v->n_in != net->layers[i - 1].n_out)
            return h->xError(s->ctx, NULL, SL_EINVAL,
                             "layer %zu: sizes do not chain", i);
        s->total_neurons += v->n_out;
    }
    if (s->total_neurons > BSS2_NEURONS)
        return h->xError(s->ctx, NULL, SL_EFIT,
                         "neurons: the network has %zu neurons but the chip "
                         "has %d (two halves of %d); make the layers "
                         "smaller",
                         s->total_neurons, BSS2_NEURONS,
                         BSS2_COLS_PER_HALF);
    s->layers = h->xAlloc(nl * sizeof *s->layers);
    s->view_to_layer = h->xAlloc(nl * sizeof *s->view_to_layer);
    if (s->layers == NULL || s->view_to_layer == NULL) {
        bss2__free_layers(s);
        return h->xError(s->ctx, NULL, SL_ENOMEM, "cannot allocate layers");
    }
    s->n_layers = nl;
    s->n_view_layers = nl;
    s->n_in = net->layers[0].n_in;
    s->dt = net->dt;
    s->events = 1;
    memset(s->rows_used, 0, sizeof s->rows_used);
    memset(s->cols_used, 0, sizeof s->cols_used);
    size_t max_in = 0;
    for (size_t l = 0; l < nl; l++) {
        bss2__layer *L = &s->layers[l];
        const sl_layer_view *v = &net->layers[l];
        lev__model m;
        memset(&m, 0, sizeof m);
        L->lin = L->view = l;
        L->n_in = v->n_in;
        L->n = v->n_out;
        L->spiking = 1;
        s->view_to_layer[l] = l + 1;
        int found = 0;
        for (size_t p = 0; p < v->n_params; p++) {
            const sl_param *P = &v->params[p];
            if (P->name && strcmp(P->name, "weight") == 0 && P->data &&
                P->ndim == 2 && P->shape[0] == v->n_in &&
                P->shape[1] == v->n_out && P->n == v->n_in * v->n_out) {
                L->widx = p;
                found = 1;
            }
        }
        if (!found) {
            rc = h->xError(s->ctx, NULL, SL_EINVAL,
                           "layer %zu (lif_event) has no [%zu][%zu] "
                           "\"weight\" parameter",
                           l, v->n_in, v->n_out);
            goto fail;
        }
        if ((rc = read_event_neuron(s, v, l, L, &m)) < 0)
            goto fail;
        if (L->n_in > BSS2_MAX_FAN_IN) {
            rc = h->xError(s->ctx, NULL, SL_EFIT,
                           "fan-in: layer %zu (lif_event) has %zu sources "
                           "but a neuron takes at most %d (each source "
                           "needs an excitatory and an inhibitory synapse "
                           "row, %d rows per half)",
                           l, L->n_in, BSS2_MAX_FAN_IN, BSS2_ROWS_PER_HALF);
            goto fail;
        }
        if ((rc = place_layer(s, L, l, "lif_event")) < 0)
            goto fail;
        const size_t n = L->n;
        L->em = h->xAlloc(n * sizeof *L->em);
        L->ev_fe = h->xAlloc(8 * n * sizeof *L->ev_fe);
        L->ev_w = h->xAlloc(L->n_in * n * sizeof *L->ev_w);
        L->ev_cnt = h->xAlloc(n * sizeof *L->ev_cnt);
        if (!L->em || !L->ev_fe || !L->ev_w || !L->ev_cnt) {
            rc = h->xError(s->ctx, NULL, SL_ENOMEM,
                           "cannot allocate layer %zu on the chip", l);
            goto fail;
        }
        L->ev_fi = L->ev_fe + n;
        L->ev_th = L->ev_fe + 2 * n;
        L->ev_u = L->ev_fe + 3 * n;
        L->ev_i = L->ev_fe + 4 * n;
        L->ev_tl = L->ev_fe + 5 * n;
        L->ev_nx = L->ev_fe + 6 * n;
        L->ev_rel = L->ev_fe + 7 * n;
        /* the reset the chip can hold: inside the membrane range */
        double cscale = (s->cadc_threshold - s->cadc_leak) / L->span;
        double v_lo = m.v_leak - s->cadc_leak / cscale;
        if (s->membrane_clip && m.v_reset < v_lo)
            m.v_reset = v_lo;
        const double *fp = s->fp;
        for (size_t k = 0; k < n; k++) {
            const float *draw = s->fp_draw[phys_index(L, k)];
            lev__model *e = &L->em[k];
            *e = m;
            e->tau_mem = m.tau_mem * (1.0 + fp[FP_TAU_MEM] * draw[FP_TAU_MEM]);
            e->tau_syn = m.tau_syn * (1.0 + fp[FP_TAU_SYN] * draw[FP_TAU_SYN]);
            e->v_th = m.v_leak + (m.v_th - m.v_leak) *
                                     (1.0 + fp[FP_THRESHOLD] *
                                                draw[FP_THRESHOLD]);
            lev__model_init(e);
            L->ev_th[k] = e->th;
            L->ev_fe[k] = 1.0 + fp[FP_GAIN_EXC] * draw[FP_GAIN_EXC];
            L->ev_fi[k] = 1.0 + fp[FP_GAIN_INH] * draw[FP_GAIN_INH];
        }
        if (L->n_in > max_in)
            max_in = L->n_in;
    }
    s->placed = 1;
    return SL_OK;
fail:
    bss2__free_layers(s);
    return rc;
}
