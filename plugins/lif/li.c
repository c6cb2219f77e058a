/*
 * plugins/lif/li.c — component "li": leaky-integrator readout
 * (jaxsnn.discrete li_step), the non-spiking output layer whose membrane
 * is decoded (e.g. max over time, then log-softmax).
 *
 * Model (specs/lif.md §3, LI step): state V, I (voltage units), input x[n]
 * (channel i of the input sequence). Unlike "lif" the input is added
 * first, so it reaches V in the same step:
 *   j      = I[n] + x[n]
 *   V[n+1] = V[n] + (dt/tau_mem)·((v_leak − V[n]) + j)
 *   I[n+1] = j − (dt/tau_syn)·j
 * Output of step n: V[n+1]. V[0] = v_leak, I[0] = 0.
 * Settings: tau_mem 1e-2, tau_syn 5e-3, v_leak 0 (seconds, voltage units),
 * n optional (must equal the input channels), scheme "euler" (above) or
 * "beta" (snnTorch, torch_bptt.py's readout: V[n+1] = β·V[n] + (1 − β)·
 * v_leak + j with β = e^(−dt/tau_mem), I decaying by e^(−dt/tau_syn)),
 * synapse true (false: j = x[n], I stays 0, tau_syn not used).
 * Both schemes run as V[n+1] = dm·V[n] + kv + dj·j with the constants of
 * li_layer (for euler the expression above, so its bits are unchanged).
 *
 * The step is linear, so the backward needs no tape; it still requires
 * SL_MODE_TRAIN like every layer (call-order contract of neuron.h).
 * Observables (SL_MODE_RECORD), unit "1": v_mem V[n+1] (= the output),
 * i_syn I[n+1].
 *
 * Hardware in the loop (extension SL_EXT_SUBSTITUTE, spikelab/hil.h):
 * xSubstitute(v, z, out) after a forward in SL_MODE_TRAIN rewrites the
 * output with the measured membrane v (z is ignored: the readout does not
 * spike). The backward of this linear step does not depend on the forward
 * values, so the gradients stay what they were; the record observables
 * keep the simulated values.
 */
#include <math.h>
#include <string.h>

#include "common.h"

typedef struct li_layer {
    lif__base base; /* first: helpers take &self->base */
    int beta;       /* scheme = "beta" */
    float dm, dj, kv, ds; /* beta: V ← dm·V + kv + dj·j, I ← ds·j */
    float *scratch; /* owned block of 2n floats: V/I, or λV/λI */
} li_layer;

static void li_destroy(void *self_)
{
    li_layer *s = self_;
    if (s == NULL)
        return;
    const sl_host *h = s->base.host;
    lif__base_free(&s->base);
    h->xFree(s->scratch);
    h->xFree(s);
}

static int li_create(const sl_host *host, sl_ctx *ctx,
                     const sl_layer_info *info, void **self, size_t *n_out)
{
    int rc;
    if (self == NULL || n_out == NULL)
        return host->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    li_layer *s = host->xAlloc(sizeof *s);
    if (s == NULL)
        return host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a layer");
    const char *scheme;
    int synapse;
    if ((rc = host->xGetString(ctx, "scheme", "euler", &scheme)) < 0 ||
        (rc = host->xGetBool(ctx, "synapse", 1, &synapse)) < 0)
        goto fail;
    if (strcmp(scheme, "euler") != 0 && strcmp(scheme, "beta") != 0) {
        rc = host->xError(ctx, "scheme", SL_ECONFIG, "scheme = \"%s\" is "
                          "not known: use \"euler\" or \"beta\"", scheme);
        goto fail;
    }
    s->beta = strcmp(scheme, "beta") == 0;
    if ((rc = lif__base_init(&s->base, host, ctx, info,
                             (synapse ? 0u : LIF__NO_SYN) |
                                 (s->beta ? LIF__STABLE : 0u))) < 0)
        goto fail;
    {
        const lif__base *b = &s->base;
        if (s->beta) {
            const double beta = exp(-b->dt / b->tau_mem);
            s->dm = (float)beta;
            s->dj = 1.0f;
            s->kv = (float)((1.0 - beta) * (double)b->v_leak);
            s->ds = synapse ? (float)exp(-b->dt / b->tau_syn) : 0.0f;
        } else { /* the Euler constants the loops used before */
            s->dm = 1.0f - b->a_mem;
            s->dj = b->a_mem;
            s->kv = 0.0f;
            s->ds = b->d_syn;
        }
    }
    if (s->base.n > SIZE_MAX / sizeof(float) / 2) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "too many neurons");
        goto fail;
    }
    s->scratch = host->xAlloc(2 * s->base.n * sizeof(float));
    if (s->scratch == NULL) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate state");
        goto fail;
    }
    *self = s;
    *n_out = s->base.n;
    return SL_OK;
fail:
    li_destroy(s);
    return rc;
}

static int li_params(void *self_, sl_param *out, size_t cap, size_t *count)
{
    li_layer *s = self_;
    (void)out;
    (void)cap;
    if (count == NULL)
        return s->base.host->xError(s->base.ctx, NULL, SL_EINVAL,
                                    "xParams: NULL count");
    *count = 0;
    return SL_OK;
}

static int li_prepare(void *self_, size_t batch, size_t time, uint32_t mode)
{
    li_layer *s = self_;
    size_t elems;
    return lif__base_prepare(&s->base, batch, time, mode, &elems);
}

static int li_forward(void *self_, const float *in, float *out)
{
    li_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_forward(b, in, out);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time;
    const float a_mem = b->a_mem, d_syn = b->d_syn, v_leak = b->v_leak;
    const float dm = s->dm, kv = s->kv, ds = s->ds;
    const int record = (b->mode & SL_MODE_RECORD) != 0;
    float *restrict v = s->scratch, *restrict cur = s->scratch + n;

    for (size_t bi = 0; bi < b->batch; bi++) {
        for (size_t k = 0; k < n; k++) {
            v[k] = v_leak;
            cur[k] = 0.0f;
        }
        for (size_t t = 0; t < T; t++) {
            const size_t off = (bi * T + t) * n;
            const float *restrict x = in + off;
            float *restrict y = out + off;
            if (s->beta)
                for (size_t k = 0; k < n; k++) {
                    float j = cur[k] + x[k]; /* input first */
                    v[k] = dm * v[k] + kv + j;
                    cur[k] = ds * j;
                    y[k] = v[k];
                }
            else
                for (size_t k = 0; k < n; k++) {
                    float j = cur[k] + x[k]; /* input first */
                    v[k] = v[k] + a_mem * ((v_leak - v[k]) + j);
                    cur[k] = d_syn * j;
                    y[k] = v[k];
                }
            if (record) {
                memcpy(b->rec_v + off, v, n * sizeof(float));
                memcpy(b->rec_i + off, cur, n * sizeof(float));
            }
        }
        if ((rc = lif__check_finite(b, v, cur)) < 0)
            return rc;
    }
    b->have_forward = 1;
    return SL_OK;
}

/*
 * Adjoints λV = dL/dV[n+1] (from later steps), λI = dL/dI[n+1], swept from
 * the last step (both 0) back. For step n:
 *   gV = dout + λV                         (V[n+1] is also the output)
 *   gj = gV·(dt/tau_mem) + λI·(1 − dt/tau_syn)  = dL/dj = dL/dx[n]
 *   λV ← gV·(1 − dt/tau_mem),  λI ← gj
 * (beta: gj = gV + λI·ds, λV ← gV·β.)
 */
static int li_backward(void *self_, const float *dout, float *din)
{
    li_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_backward(b, dout);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time;
    /* euler: dj = dt/tau_mem, dm = 1 − dt/tau_mem, ds = 1 − dt/tau_syn */
    const float a_mem = s->dj, d_mem = s->dm, d_syn = s->ds;
    float *restrict lv = s->scratch, *restrict li = s->scratch + n;

    for (size_t bi = 0; bi < b->batch; bi++) {
        for (size_t k = 0; k < n; k++)
            lv[k] = li[k] = 0.0f;
        for (size_t t = T; t-- > 0;) {
            const size_t off = (bi * T + t) * n;
            const float *restrict g = dout + off;
            for (size_t k = 0; k < n; k++) {
                float gv = g[k] + lv[k];
                float gj = gv * a_mem + li[k] * d_syn;
                lv[k] = gv * d_mem;
                li[k] = gj;
            }
            if (din != NULL)
                memcpy(din + off, li, n * sizeof(float));
        }
    }
    return SL_OK;
}

static int li_observable(void *self_, size_t idx, sl_observable *out)
{
    li_layer *s = self_;
    lif__base *b = &s->base;
    if (out == NULL)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xObservable: NULL output");
    if (!b->prepared || !(b->mode & SL_MODE_RECORD) || !b->have_forward)
        return SL_ENOTFOUND;
    switch (idx) {
    case 0:
        lif__observable(b, "v_mem", b->rec_v, out);
        return SL_OK;
    case 1:
        lif__observable(b, "i_syn", b->rec_i, out);
        return SL_OK;
    default:
        return SL_ENOTFOUND;
    }
}

/* SL_EXT_SUBSTITUTE: the output of a readout is its membrane. */
static int li_substitute(void *self_, const float *v, const float *z,
                         float *out)
{
    li_layer *s = self_;
    lif__base *b = &s->base;
    (void)z;
    int rc = lif__substitute_check(b, v, out);
    if (rc != SL_OK)
        return rc;
    const size_t N = b->batch * b->time * b->n;
    if (N > 0)
        memmove(out, v, N * sizeof(float));
    return SL_OK;
}

static const sl_substitute_ext li_substitute_ext = {
    .struct_size = sizeof(sl_substitute_ext),
    .xSubstitute = li_substitute,
};

static const void *li_extension(void *self_, const char *name)
{
    (void)self_;
    if (name != NULL && strcmp(name, SL_EXT_SUBSTITUTE) == 0)
        return &li_substitute_ext;
    return NULL;
}

const sl_neuron_iface lif__li_iface = {
    .struct_size = sizeof(sl_neuron_iface),
    .flags = 0,
    .xCreate = li_create,
    .xDestroy = li_destroy,
    .xParams = li_params,
    .xPrepare = li_prepare,
    .xForward = li_forward,
    .xBackward = li_backward,
    .xObservable = li_observable,
    .xExtension = li_extension,
};
