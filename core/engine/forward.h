/* core/engine/forward.h — forward passes in software or on a running backend,
 * hardware-in-the-loop substitution, traces for learning rules, and the
 * teacher that makes targets (see engine.c). */
#ifndef SL_CORE_ENGINE_H
#define SL_CORE_ENGINE_H

#include <stdio.h>

#include "engine/experiment.h"

#define SL__ENGINE_MAX_LAYERS 64
#define SL__ENGINE_MAX_OBS 8

/* Storage for one sl_trace_view (large: keep it on the heap). */
typedef struct sl__engine_tv {
    sl_trace_view view;
    sl_layer_trace layers[SL__ENGINE_MAX_LAYERS];
    sl_observable obs[SL__ENGINE_MAX_LAYERS][SL__ENGINE_MAX_OBS];
} sl__engine_tv;

/* Forward pass of x [b][T][n_in]. mode: 0 (inference), SL_MODE_TRAIN
 * (BPTT follows; on a running backend: hardware-in-the-loop), or
 * SL_MODE_RECORD. *out: the network's output [b][T][n_out], borrowed. */
int sl__engine_forward(sl__experiment *exp, const float *x, size_t b,
                       size_t T, uint32_t mode, const float **out,
                       sl__err *err);

/* Forward in record mode and fill tv->view (target left empty). */
int sl__engine_traces(sl__experiment *exp, const float *x, size_t b,
                      size_t T, sl__engine_tv *tv, sl__err *err);

/* When the experiment has a teacher: replace its datasets' targets by the
 * network's output with the teacher's parameter. */
int sl__engine_teacher(sl__experiment *exp, FILE *report, sl__err *err);

#endif
