/* plugins/lif/common.c — settings, buffers and checks shared by the "lif"
 * and "li" components (see common.h). */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>

#include "common.h"

int lif__base_init(lif__base *b, const sl_host *host, sl_ctx *ctx,
                   const sl_layer_info *info, unsigned flags)
{
    int rc;
    b->host = host;
    b->ctx = ctx;
#if LIF__HAVE_WIDE
    {
        const char *no = getenv("SPIKELAB_NO_AVX2");
        b->wide = __builtin_cpu_supports("avx2") && !(no && *no && *no != '0');
    }
#endif

    if (info == NULL || !SL_HAS_FIELD(sl_layer_info, info, dt))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "layer info missing or too old (struct_size)");
    if (info->n_in == 0)
        return host->xError(ctx, NULL, SL_EINVAL,
                            "the layer has no input channels: put a layer "
                            "with at least one output before it");
    if (!(info->dt > 0) || !isfinite(info->dt))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "network dt must be a positive number of "
                            "seconds (got %g)",
                            info->dt);
    b->dt = info->dt;

    /* One neuron per input channel: the weights live in the preceding
     * (linear) layer, so `n` is only a consistency check. */
    if (host->xHasKey(ctx, "n")) {
        int64_t n;
        if ((rc = host->xGetInt(ctx, "n", (int64_t)info->n_in, &n)) < 0)
            return rc;
        if (n < 0 || (uint64_t)n != (uint64_t)info->n_in)
            return host->xError(
                ctx, "n", SL_ECONFIG,
                "n = %lld does not match the %zu input channels: this "
                "layer has one neuron per input channel; set the preceding "
                "layer's size to %lld or remove n",
                (long long)n, info->n_in, (long long)n);
    }
    b->n = info->n_in;

    if ((rc = host->xGetFloat(ctx, "tau_mem", 1e-2, &b->tau_mem)) < 0)
        return rc;
    if (!(flags & LIF__NO_SYN)) {
        if ((rc = host->xGetFloat(ctx, "tau_syn", 5e-3, &b->tau_syn)) < 0)
            return rc;
    } else if (host->xHasKey(ctx, "tau_syn")) {
        /* it would silently do nothing */
        return host->xError(ctx, "tau_syn", SL_ECONFIG,
                            "tau_syn only applies with synapse = true: "
                            "remove tau_syn or set synapse = true");
    }
    double v_leak;
    if ((rc = host->xGetFloat(ctx, "v_leak", 0.0, &v_leak)) < 0)
        return rc;

    if (!(b->tau_mem > 0) || !isfinite(b->tau_mem))
        return host->xError(ctx, "tau_mem", SL_ECONFIG,
                            "tau_mem must be a positive time in seconds "
                            "(got %g), e.g. tau_mem = 1e-2",
                            b->tau_mem);
    if (!(flags & LIF__NO_SYN) && (!(b->tau_syn > 0) || !isfinite(b->tau_syn)))
        return host->xError(ctx, "tau_syn", SL_ECONFIG,
                            "tau_syn must be a positive time in seconds "
                            "(got %g), e.g. tau_syn = 5e-3",
                            b->tau_syn);
    /* Forward Euler of a leak with time constant tau is stable and
     * monotone only for dt < tau; beyond that the state oscillates. */
    if (!(flags & (LIF__STABLE | LIF__NO_LEAK)) && !(b->dt < b->tau_mem))
        return host->xError(ctx, "tau_mem", SL_ECONFIG,
                            "tau_mem = %g s must be larger than the network "
                            "dt = %g s (Euler step stability): raise tau_mem "
                            "or lower dt",
                            b->tau_mem, b->dt);
    if (!(flags & (LIF__STABLE | LIF__NO_SYN)) && !(b->dt < b->tau_syn))
        return host->xError(ctx, "tau_syn", SL_ECONFIG,
                            "tau_syn = %g s must be larger than the network "
                            "dt = %g s (Euler step stability): raise tau_syn "
                            "or lower dt",
                            b->tau_syn, b->dt);
    if (!isfinite(v_leak))
        return host->xError(ctx, "v_leak", SL_ECONFIG,
                            "v_leak must be a finite number (got %g)", v_leak);
    b->v_leak = (float)v_leak;

    b->a_mem = (float)(b->dt / b->tau_mem);
    b->a_syn = (flags & LIF__NO_SYN) ? 1.0f : (float)(b->dt / b->tau_syn);
    b->d_syn = 1.0f - b->a_syn;
    return SL_OK;
}

void lif__base_free(lif__base *b)
{
    b->host->xFree(b->rec_v);
    b->host->xFree(b->rec_i);
    b->rec_v = b->rec_i = NULL;
    b->cap_v = b->cap_i = 0;
}

size_t lif__seq_elems(lif__base *b, size_t batch, size_t time, int *status)
{
    *status = SL_OK;
    if (batch == 0 || time == 0)
        return 0;
    /* every buffer is elems * sizeof(float) bytes: keep that in size_t */
    size_t lim = SIZE_MAX / sizeof(float);
    if (batch > lim / time || batch * time > lim / b->n) {
        *status = b->host->xError(b->ctx, NULL, SL_ENOMEM,
                                  "sequence of %zu x %zu x %zu floats is "
                                  "too large",
                                  batch, time, b->n);
        return 0;
    }
    return batch * time * b->n;
}

int lif__ensure(lif__base *b, float **buf, size_t *cap, size_t need,
                const char *what)
{
    if (need <= *cap)
        return SL_OK;
    b->host->xFree(*buf);
    *buf = b->host->xAlloc(need * sizeof(float));
    if (*buf == NULL) {
        *cap = 0;
        return b->host->xError(b->ctx, NULL, SL_ENOMEM,
                               "cannot allocate %zu floats for %s", need,
                               what);
    }
    *cap = need;
    return SL_OK;
}

int lif__base_prepare(lif__base *b, size_t batch, size_t time, uint32_t mode,
                      size_t *elems)
{
    int rc;
    b->prepared = 0;
    b->have_forward = 0;
    if (mode & ~(uint32_t)(SL_MODE_TRAIN | SL_MODE_RECORD))
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "unknown mode bits 0x%x in xPrepare",
                               (unsigned)mode);
    *elems = lif__seq_elems(b, batch, time, &rc);
    if (rc < 0)
        return rc;
    if (mode & SL_MODE_RECORD) {
        if ((rc = lif__ensure(b, &b->rec_v, &b->cap_v, *elems, "v_mem")) < 0 ||
            (rc = lif__ensure(b, &b->rec_i, &b->cap_i, *elems, "i_syn")) < 0)
            return rc;
    }
    b->batch = batch;
    b->time = time;
    b->mode = mode;
    b->prepared = 1;
    return SL_OK;
}

int lif__check_forward(lif__base *b, const float *in, const float *out)
{
    if (!b->prepared)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xForward called before a successful "
                               "xPrepare");
    if ((in == NULL || out == NULL) && b->batch * b->time > 0)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xForward needs input and output buffers");
    return SL_OK;
}

int lif__check_backward(lif__base *b, const float *dout)
{
    if (!b->prepared || !(b->mode & SL_MODE_TRAIN))
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xBackward needs xPrepare with SL_MODE_TRAIN");
    if (!b->have_forward)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xBackward called before xForward");
    if (dout == NULL && b->batch * b->time > 0)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xBackward needs dL/d(out)");
    return SL_OK;
}

void lif__observable(const lif__base *b, const char *name, const float *data,
                     sl_observable *out)
{
    out->struct_size = sizeof *out;
    out->name = name;
    out->unit = "1";
    out->data = data;
    out->batch = b->batch;
    out->time = b->time;
    out->channels = b->n;
}

int lif__check_finite(lif__base *b, const float *v, const float *i)
{
    for (size_t k = 0; k < b->n; k++)
        if (!isfinite(v[k]) || !isfinite(i[k]))
            return b->host->xError(b->ctx, NULL, SL_ENUMERIC,
                                   "neuron %zu: state became %g / %g (NaN "
                                   "or overflow): check the input scale and "
                                   "the time constants",
                                   k, (double)v[k], (double)i[k]);
    return SL_OK;
}

int lif__substitute_check(const lif__base *b, const float *v,
                          const float *out)
{
    if (!b->prepared || !(b->mode & SL_MODE_TRAIN) || !b->have_forward)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xSubstitute needs a preceding xForward "
                               "after xPrepare with SL_MODE_TRAIN");
    if (b->batch * b->time * b->n > 0 && (v == NULL || out == NULL))
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xSubstitute needs the measured membrane and "
                               "the output buffer");
    return SL_OK;
}
