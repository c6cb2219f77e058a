/*
 * plugins/datasets/yinyang.h — the "yinyang" dataset component of
 * datasets.so (yinyang.c) as seen from the rest of the plugin, and its
 * test-only extension "sl.yinyang.debug" (tests/test_yinyang.c includes
 * this header to check the geometry and the encoding directly).
 */
#ifndef SL_PLUGIN_DATASETS_YINYANG_H
#define SL_PLUGIN_DATASETS_YINYANG_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"

/* xExtension(self, SL_YINYANG_DEBUG) returns a `const sl_yinyang_debug *`
 * (static, never freed). Not a stable interface: it lets tests check the
 * labels of arbitrary points and the spike steps of arbitrary features. */
#define SL_YINYANG_DEBUG "sl.yinyang.debug"

typedef struct sl_yinyang_debug {
    uint32_t struct_size;
    /* Label of the point (x, y) (spec §1): 0, 1 or 2, or -1 outside the
     * big circle (distance to (0.5, 0.5) > r_big). */
    int (*xLabel)(double x, double y);
    /* The point and label of sample i (SL_EINVAL past the last one). */
    int (*xPoint)(void *self, size_t i, double *x, double *y, int *label);
    /* The time step of the spike of a feature value f (spec §3.2, with
     * the instance's t_early, t_late, dt), and of the bias spike. */
    long (*xStep)(void *self, double f);
    long (*xBiasStep)(void *self);
} sl_yinyang_debug;

/* The component's table (yinyang.c), listed by datasets.c. */
extern const sl_dataset_iface yy__iface;

#endif
