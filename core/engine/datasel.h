/* core/engine/datasel.h — which samples of a dataset component a run uses,
 * in which order, where they live, and what they were read from.
 *
 * Keys of every dataset group (data.NAME, besides the component's own):
 *   limit = K;             the first K samples of the component (0: all)
 *   validation = { fraction = 0.1; | count = 500;  seed = 0;
 *                  name = "NAME_val"; };
 *                          a seeded split: that many of the (limited)
 *                          samples become the dataset `name`, the rest
 *                          stay NAME; both keep file order
 *   store = "auto" | "memory" | "stream";
 *                          memory: every sample drawn once into float32
 *                          (as before); stream: fetched from the
 *                          component per batch, so a data set larger than
 *                          memory can be used; auto: memory up to
 *                          SL__DATA_MEMORY_MAX bytes, stream above.
 *
 * Shuffling (train.shuffle) is a pure function of (run seed, dataset name,
 * epoch): the permutation of epoch e is a Fisher-Yates shuffle of the
 * identity drawn from the stream derived from (seed, "data.NAME",
 * "shuffle.E"). No stream state carries from one epoch to the next, so a
 * resumed run needs only the epoch number to continue the same order. */
#ifndef SL_ENGINE_DATASEL_H
#define SL_ENGINE_DATASEL_H

#include "engine/experiment.h"

/* Datasets above this size (float32 inputs + targets) are streamed when
 * store = "auto": 1 GiB, or a quarter of physical memory if less. */
#define SL__DATA_MEMORY_MAX ((double)(1u << 30))

/* After the component of exp->data[k] is created: read limit, validation
 * and store; set sel and info.n_samples; append the validation split as
 * a new dataset slot. SL_OK or an error naming the key. */
int sl__data_select(sl__experiment *exp, size_t k, sl__err *err);

/* Last step of loading: materialise (store = memory) or check one sample
 * (stream) of every dataset, refuse NaN/inf, and hash the files the
 * component names (SL_DATASET_EXT_SOURCE) into d->ident. */
int sl__data_load(sl__experiment *exp, sl__err *err);

/* Copy the samples idx[0..b) (indices into the dataset's selection) into
 * x [b][n_steps][n_in] and y [b][target_steps][n_out] (caller-owned). */
int sl__data_gather(sl__dataset *d, const size_t *idx, size_t b, float *x,
                    float *y, sl__err *err);

/* Samples start..start+b-1: *x and *y point into the dataset's memory, or
 * (streamed) into xbuf/ybuf, filled here; the buffers may be NULL when
 * the dataset is in memory. */
int sl__data_range(sl__dataset *d, size_t start, size_t b, float *xbuf,
                   float *ybuf, const float **x, const float **y,
                   sl__err *err);

/* order[0..n) of epoch `epoch` (1-based), a pure function of (seed,
 * d->name, epoch). */
void sl__data_order(uint64_t seed, const sl__dataset *d, int64_t epoch,
                    size_t *order);

/* Free what datasel allocated on d (sel, ident, samples). */
void sl__data_free(sl__dataset *d);

#endif
