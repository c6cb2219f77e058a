/*
 * spikelab/dataset.h — sized, indexable samples (input sequence + target),
 * deterministic given their settings and seed.
 */
#ifndef SPIKELAB_DATASET_H
#define SPIKELAB_DATASET_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_dataset_info {
    uint32_t struct_size;
    size_t n_samples;
    size_t n_steps;      /* time steps per input sequence */
    size_t n_in;         /* input channels */
    size_t n_out;        /* target channels */
    size_t target_steps; /* n_steps, or 1 for a target broadcast in time */
    double dt;           /* s per step */
} sl_dataset_info;

typedef struct sl_dataset_iface {
    uint32_t struct_size;
    uint32_t flags; /* none yet */

    /* --- ABI 1.0 --- */
    /* Create and fill *info (the core sets info->struct_size first). */
    int (*xCreate)(const sl_host *host, sl_ctx *ctx, void **self,
                   sl_dataset_info *info);
    void (*xDestroy)(void *self);
    /* Write sample `index` (< n_samples): input [n_steps][n_in] and target
     * [target_steps][n_out]; both buffers belong to the caller. The same
     * index always gives the same sample. */
    int (*xGet)(void *self, size_t index, float *input, float *target);

    const void *(*xExtension)(void *self, const char *name);
} sl_dataset_iface;

#ifdef __cplusplus
}
#endif
#endif
