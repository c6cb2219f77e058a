/* core/engine/forward.c — where a forward pass runs, and what training sees of it.
 *
 * One entry point, sl__engine_forward, hides whether the network runs in
 * software (the layers' own xForward, backend "sim") or on a backend that
 * runs it (SL_BACKEND_RUNS, e.g. the emulated BrainScaleS-2 chip "bss2"):
 *   - inference (mode 0): the output of the last layer;
 *   - SL_MODE_TRAIN on a backend = hardware-in-the-loop BPTT (Cramer et al.
 *     2022, bss2.md §7): the backend runs the batch; then the software
 *     layers run forward in train mode one by one and every layer offering
 *     SL_EXT_SUBSTITUTE (hil.h) replaces its tape and output by the
 *     backend's measured membrane and spikes, so the next layer sees the
 *     measured activity, the loss is taken on the measured output and the
 *     backward pass evaluates the surrogate on measured values; an event
 *     layer (sl.events.v1) takes the measured spike times instead
 *     (SL_EXT_SUBSTITUTE_EVENTS) and computes its spike-time gradient at
 *     them (bss2.md §7.2);
 *   - SL_MODE_RECORD (trace rules): the forward with every layer's
 *     observables kept, gathered by sl__engine_traces into the
 *     sl_trace_view a rule's xRuleUpdate consumes.
 * And the teacher: targets made by the network itself with drawn
 * parameters (sl__engine_teacher).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/forward.h"
#include "engine/rng.h"
/* NumPy's legacy MT19937 stream (the public header-only helper the
 * superspike and datasets plugins draw from too) */
#include "spikelab/slaux_mt19937.h"

static int backend_error(sl__experiment *exp, int rc, sl__err *err)
{
    return sl__ctx_take_error(&exp->backend.ctx, rc, err);
}

/* Trace `name` of layer `li` from the backend's last run, or NULL. */
static const float *backend_trace(sl__experiment *exp, size_t li,
                                  const char *name, size_t b, size_t T,
                                  size_t n)
{
    const sl_backend_iface *bi = exp->backend.iface;
    for (size_t idx = 0; idx < 32; idx++) {
        sl_observable o;
        memset(&o, 0, sizeof o);
        o.struct_size = sizeof o;
        if (bi->xTrace(exp->backend.self, li, idx, &o) != SL_OK)
            return NULL;
        if (o.name && strcmp(o.name, name) == 0 && o.data && o.batch == b &&
            o.time == T && o.channels == n)
            return o.data;
    }
    return NULL;
}

static int is_linear(const sl__layer *l)
{
    return strcmp(l->entry->comp->name, "linear") == 0;
}

/* Hardware-in-the-loop: software forward with the measured values
 * substituted layer by layer. */
static int hil_forward(sl__experiment *exp, const float *x, size_t b,
                       size_t T, sl__err *err)
{
    sl__network *net = &exp->net;
    int rc = sl__network_prepare(net, b, T, SL_MODE_TRAIN, err);
    if (rc)
        return rc;
    const float *in = x;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        if ((rc = l->iface->xForward(l->self, in, l->out)))
            return sl__ctx_take_error(&l->ctx, rc, err);
        in = l->out;
        if (is_linear(l))
            continue; /* synapses: nothing measured, nothing to replace */
        if (sl__layer_events(l) & SL_EVENTS_OUT) {
            /* an event layer: the chip recorded its spike times */
            const sl_substitute_events_ext *ev =
                l->iface->xExtension
                    ? l->iface->xExtension(l->self, SL_EXT_SUBSTITUTE_EVENTS)
                    : NULL;
            if (!ev || ev->struct_size < sizeof *ev || !ev->xSubstituteEvents)
                return sl__fail(err, SL_ECONFIG, "event layer '%s' (%s) "
                                "cannot take measured spike times (no %s "
                                "extension); train it on backend \"sim\"",
                                l->label, l->entry->comp->name,
                                SL_EXT_SUBSTITUTE_EVENTS);
            const float *t = backend_trace(exp, i, SL_TRACE_SPIKE_TIMES, b, T,
                                           l->n_out);
            if (!t)
                return sl__fail(err, SL_EPLUGIN, "backend '%s' recorded no "
                                "'%s' of the event layer '%s' (%zu x %zu x "
                                "%zu)", exp->backend.entry->comp->name,
                                SL_TRACE_SPIKE_TIMES, l->label, b, T,
                                l->n_out);
            if ((rc = ev->xSubstituteEvents(l->self, t, l->out)))
                return sl__ctx_take_error(&l->ctx, rc, err);
            continue;
        }
        const sl_substitute_ext *ext =
            l->iface->xExtension
                ? l->iface->xExtension(l->self, SL_EXT_SUBSTITUTE)
                : NULL;
        if (!ext || ext->struct_size < sizeof *ext || !ext->xSubstitute)
            return sl__fail(err, SL_ECONFIG, "layer '%s' (%s) cannot take "
                            "measured traces (no %s extension), so "
                            "hardware-in-the-loop training cannot use it; "
                            "train on backend \"sim\" or use lif/li layers",
                            l->label, l->entry->comp->name,
                            SL_EXT_SUBSTITUTE);
        const float *v = backend_trace(exp, i, SL_TRACE_V_MEM, b, T, l->n_out);
        const float *z = backend_trace(exp, i, SL_TRACE_SPIKES, b, T,
                                       l->n_out);
        if (!v)
            return sl__fail(err, SL_EPLUGIN, "backend '%s' recorded no '%s' "
                            "trace of layer '%s' (%zu x %zu x %zu)",
                            exp->backend.entry->comp->name, SL_TRACE_V_MEM,
                            l->label, b, T, l->n_out);
        if ((l->iface->flags & SL_NEURON_SPIKING) && !z)
            return sl__fail(err, SL_EPLUGIN, "backend '%s' recorded no "
                            "spikes of the spiking layer '%s'",
                            exp->backend.entry->comp->name, l->label);
        if ((rc = ext->xSubstitute(l->self, v, z, l->out)))
            return sl__ctx_take_error(&l->ctx, rc, err);
    }
    return SL_OK;
}

int sl__engine_forward(sl__experiment *exp, const float *x, size_t b,
                       size_t T, uint32_t mode, const float **out,
                       sl__err *err)
{
    sl__network *net = &exp->net;
    int rc;
    if (!exp->on_backend) {
        if ((rc = sl__network_prepare(net, b, T, mode, err)) ||
            (rc = sl__network_forward(net, x, err)))
            return rc;
        *out = sl__network_output(net);
        return SL_OK;
    }
    sl_layer_view views[SL__ENGINE_MAX_LAYERS];
    sl_network_view nv;
    if (net->n_layers > SL__ENGINE_MAX_LAYERS)
        return sl__fail(err, SL_ECONFIG, "at most %d layers on a backend",
                        SL__ENGINE_MAX_LAYERS);
    sl__network_view(net, views, &nv);
    const sl_backend_iface *bi = exp->backend.iface;
    sl_seq in = {x, b, T, net->n_in, net->dt};
    sl_seq o;
    memset(&o, 0, sizeof o);
    if ((rc = bi->xRun(exp->backend.self, &nv, &in, &o)))
        return backend_error(exp, rc, err);
    if (!o.data || o.batch != b || o.time != T || o.channels != net->n_out)
        return sl__fail(err, SL_EPLUGIN, "backend '%s' returned output of "
                        "shape %zu x %zu x %zu, expected %zu x %zu x %zu",
                        exp->backend.entry->comp->name, o.batch, o.time,
                        o.channels, b, T, net->n_out);
    *out = o.data;
    if (mode & SL_MODE_TRAIN) {
        if ((rc = hil_forward(exp, x, b, T, err)))
            return rc;
        *out = sl__network_output(net);
    }
    return SL_OK;
}

int sl__engine_traces(sl__experiment *exp, const float *x, size_t b,
                      size_t T, sl__engine_tv *tv, sl__err *err)
{
    sl__network *net = &exp->net;
    if (net->n_layers > SL__ENGINE_MAX_LAYERS)
        return sl__fail(err, SL_ECONFIG, "at most %d layers for a learning "
                        "rule", SL__ENGINE_MAX_LAYERS);
    const float *out;
    int rc = sl__engine_forward(exp, x, b, T, SL_MODE_RECORD, &out, err);
    if (rc)
        return rc;
    const sl_backend_iface *bi = exp->backend.iface;
    const float *prev = x;
    size_t prev_ch = net->n_in;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        sl_layer_trace *t = &tv->layers[i];
        memset(t, 0, sizeof *t);
        t->struct_size = sizeof *t;
        t->type = l->entry->comp->name;
        t->input = (sl_seq){prev, b, T, prev_ch, net->dt};
        size_t no = 0;
        const float *lout = NULL;
        for (size_t idx = 0; idx < SL__ENGINE_MAX_OBS; idx++) {
            sl_observable *o = &tv->obs[i][no];
            memset(o, 0, sizeof *o);
            o->struct_size = sizeof *o;
            if (exp->on_backend)
                rc = bi->xTrace(exp->backend.self, i, idx, o);
            else
                rc = l->iface->xObservable
                         ? l->iface->xObservable(l->self, idx, o)
                         : SL_ENOTFOUND;
            if (rc != SL_OK)
                break;
            if (!o->data || o->batch != b || o->time != T)
                continue; /* a malformed trace is left out */
            no++;
        }
        if (!exp->on_backend) {
            lout = l->out;
        } else if (i + 1 == net->n_layers) {
            lout = out;
        } else {
            for (size_t k = 0; k < no; k++)
                if (strcmp(tv->obs[i][k].name, SL_TRACE_SPIKES) == 0 &&
                    tv->obs[i][k].channels == l->n_out)
                    lout = tv->obs[i][k].data;
            /* synaptic currents are not observable on a chip: a linear
             * layer's output stays NULL there */
        }
        t->output = (sl_seq){lout, b, T, l->n_out, net->dt};
        t->n_observables = no;
        t->observables = tv->obs[i];
        t->n_params = l->n_params;
        t->params = l->params;
        prev = lout;
        prev_ch = l->n_out;
    }
    tv->view.struct_size = sizeof tv->view;
    tv->view.n_layers = net->n_layers;
    tv->view.layers = tv->layers;
    return SL_OK;
}

/* p ← mean + std·N(0,1), from NumPy's stream (numpy_seed) or ours. */
static void teacher_draw(const sl__teacher *t, sl_param *p, double mean,
                         double std, sl_rng *rng, slaux_mt *mt,
                         double *cache, int *has)
{
    for (size_t i = 0; i < p->n; i++)
        p->data[i] = (float)(mean + std * (t->numpy_seed >= 0
                                               ? slaux_mt_gauss(mt, cache,
                                                                has)
                                               : sl__rng_normal(rng)));
}

int sl__engine_teacher(sl__experiment *exp, FILE *report, sl__err *err)
{
    sl__teacher *t = &exp->teacher;
    if (!t->on)
        return SL_OK;
    sl_param *p = t->param;
    float *saved = malloc(p->n * sizeof(float));
    if (!saved)
        return sl__fail(err, SL_ENOMEM, "out of memory for the teacher");
    memcpy(saved, p->data, p->n * sizeof(float));
    /* The draws: by default the run's stream (teacher, PARAM); with
     * numpy_seed, NumPy's legacy RandomState (MT19937, polar Box–Muller)
     * in the parameter's C order — the SuperSpike tutorial's
     * np.random.seed(123); normal(27, 1, (25, 1)) — and, with `init`, the
     * training start drawn next from the same stream (its normal(10, 20,
     * (25, 1))), replacing the layer's own initialisation. */
    sl_rng rng;
    slaux_mt mt;
    double cache = 0;
    int has = 0;
    if (t->numpy_seed >= 0)
        slaux_mt_seed(&mt, (uint32_t)t->numpy_seed);
    else
        sl__rng_derive(&rng, (uint64_t)exp->seed, "teacher", p->name);
    teacher_draw(t, p, t->mean, t->std, &rng, &mt, &cache, &has);
    int rc = SL_OK;
    for (size_t k = 0; k < t->n_data && !rc; k++) {
        sl__dataset *d = t->data[k];
        const sl_dataset_info *in = &d->info;
        size_t n = in->n_samples, C = n < 128 ? n : 128;
        size_t ni = in->n_steps * in->n_in, nt = in->n_steps * in->n_out;
        double spikes = 0;
        for (size_t s = 0; s < n && !rc; s += C) {
            size_t b = n - s < C ? n - s : C;
            const float *out;
            rc = sl__engine_forward(exp, d->inputs + s * ni, b, in->n_steps,
                                    0, &out, err);
            if (rc)
                break;
            memcpy(d->targets + s * nt, out, b * nt * sizeof(float));
            for (size_t i = 0; i < b * nt; i++)
                spikes += out[i];
        }
        if (!rc && report)
            fprintf(report, "teacher: %s.%s ~ N(%g, %g); targets of '%s' "
                    "made by the network: %g output spikes in %zu "
                    "sample%s\n", exp->net.layers[t->layer].label, p->name,
                    t->mean, t->std, d->name, spikes, n, n == 1 ? "" : "s");
    }
    memcpy(p->data, saved, p->n * sizeof(float));
    free(saved);
    if (!rc && t->has_init) {
        teacher_draw(t, p, t->init_mean, t->init_std, &rng, &mt, &cache,
                     &has);
        if (report)
            fprintf(report, "teacher: training starts from %s.%s ~ N(%g, "
                    "%g)%s\n", exp->net.layers[t->layer].label, p->name,
                    t->init_mean, t->init_std,
                    t->numpy_seed >= 0 ? ", drawn next from the NumPy stream"
                                       : "");
    }
    return rc;
}
