/*
 * spikelab/loss.h — losses: a value and its gradient w.r.t. the network
 * output, given the target.
 */
#ifndef SPIKELAB_LOSS_H
#define SPIKELAB_LOSS_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_loss_iface {
    uint32_t struct_size;
    uint32_t flags; /* none yet */

    /* --- ABI 1.0 --- */
    int (*xCreate)(const sl_host *host, sl_ctx *ctx, void **self);
    void (*xDestroy)(void *self);

    /* Evaluate the loss of `out` against `target` (target->time is either
     * out->time or 1 = broadcast; channels and batch match).
     *
     * *value: the loss of the batch as ONE number, averaged at least over
     * the batch elements, so that it does not grow with the batch size; a
     * component states in its documentation what else it averages over
     * (mse: the mean over batch, time and channels; cross_entropy and
     * van_rossum: the mean over the batch of a per-sample sum).
     *
     * grad (unless NULL): the exact gradient of that same *value with
     * respect to every element of out, dL/d(out[b][t][c]), written into
     * grad ([batch][time][channels], every element overwritten) — so the
     * 1/batch of the mean is already in it and the core does not rescale.
     * For a loss through a non-differentiable decode (e.g. a max over
     * time) it is the gradient almost everywhere, as the component says.
     *
     * MUST NOT allocate. Borrowed: out, target, grad for the call. Returns
     * SL_OK, SL_EINVAL (shapes), SL_ENUMERIC (non-finite value, after
     * writing *value and grad). */
    int (*xEval)(void *self, const sl_seq *out, const sl_seq *target,
                 double *value, float *grad);

    const void *(*xExtension)(void *self, const char *name);
} sl_loss_iface;

#ifdef __cplusplus
}
#endif
#endif
