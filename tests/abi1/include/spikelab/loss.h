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
     * out->time or 1 = broadcast; channels and batch match). Writes the
     * mean loss to *value and, unless grad is NULL, dL/d(out) into grad
     * ([batch][time][channels], overwritten). MUST NOT allocate. */
    int (*xEval)(void *self, const sl_seq *out, const sl_seq *target,
                 double *value, float *grad);

    const void *(*xExtension)(void *self, const char *name);
} sl_loss_iface;

#ifdef __cplusplus
}
#endif
#endif
