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

/* --- Extension "spikelab.dataset.source" (SL_DATASET_EXT_SOURCE) ---
 * A data set read from files answers xExtension(self, SL_DATASET_EXT_SOURCE)
 * with this description, so that a run records exactly what it trained
 * on: the core stores each file's path, size and SHA-256 (hashed by the
 * core, at load, before training) and each note with the run's
 * environment (data.NAME.ROLE.path|size|sha256, data.NAME.KEY). Owned by
 * the data set, valid until its xDestroy. A data set without files
 * returns NULL, as before. */
#define SL_DATASET_EXT_SOURCE "spikelab.dataset.source"

typedef struct sl_dataset_source {
    uint32_t struct_size;
    size_t n_files;
    const char *const *roles; /* per file: "images", "labels", "file"... */
    const char *const *paths; /* per file: the path as opened */
    size_t n_notes;           /* facts worth keeping with the run */
    const char *const *note_keys;   /* e.g. "events_dropped" */
    const char *const *note_values; /* e.g. "12" */
} sl_dataset_source;

#ifdef __cplusplus
}
#endif
#endif
