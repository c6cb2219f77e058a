/*
 * plugins/dynapse2_export/dynapse2.h — the plugin-private extension
 * "dynapse2.private.v1" of the "dynapse2" backend (dynapse2_export.so):
 * the error figures and the bias generator, for tests/test_dynapse2_export.c.
 * The core never sees it: it deploys through the public extension
 * SL_EXT_DEPLOY (<spikelab/deploy.h>: xQuantise, xRead, xFigures), which
 * this plugin implements too. Obtained with
 *
 *     const d2_ext *x = iface->xExtension(self, D2_EXT_PRIVATE);
 *
 * (static, never freed). Plain C, only <spikelab/backend.h> types.
 *
 * The networks it handles are a "linear" layer (weight [n_in][n], no bias)
 * feeding a "dynapsim" layer of n neurons (optional w_rec [n][n]); the 13
 * DynapSim currents are read from the dynapsim layer's parameters of the
 * same names (shape [n], nominal amperes) when it has them, else from its
 * settings. Writing (xQuantise, xRead) goes to the `out` view's tensors of
 * the same layer and name: "weight", "w_rec" and every current the layer
 * exposes as a parameter (currents it does not expose are skipped and
 * counted in d2_stats.currents_skipped).
 */
#ifndef SL_PLUGIN_DYNAPSE2_H
#define SL_PLUGIN_DYNAPSE2_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define D2_EXT_PRIVATE "dynapse2.private.v1"

/* Figures of the last xPlace / xExport / xQuantise / xRead. Weight
 * errors are in weight units (a weight w is a current w·Iscale) over every
 * non-zero float weight, dropped ones included; current errors over every
 * neuron's 13 currents that are > 0. The public figures (xFigures) are
 * made from these. */
typedef struct d2_stats {
    uint32_t struct_size;
    size_t n_in, n_neurons;
    size_t n_chips, n_cores;    /* chips and cores used */
    size_t n_connections;       /* non-zero weights (input + recurrent) */
    size_t n_dropped;           /* of those, quantised to mask 0 (lost) */
    double weight_mse;          /* mean (w_q − w)², Iw bias rounding incl. */
    double weight_mse_codes;    /* the quantiser's own MSE (spec §3.4, base
                                   weights before bias rounding) */
    double weight_rel_rmse;     /* sqrt(weight_mse) / rms(|w|) */
    double weight_max_abs_error;
    double current_max_rel_error; /* max |I_q − I| / I */
    size_t currents_skipped;    /* currents not writable in `out` (0 when
                                   the layer exposes them all) */
} d2_stats;

typedef struct d2_ext {
    uint32_t struct_size;
    int (*xStats)(void *self, d2_stats *out);
    /* The bias generator in use (fitted model, or the exact table given
     * by paramgen_table): a chip parameter name as in the configuration
     * ("SOIF_LEAK_N", "SYAM_W0_P", ...) and a current (A) → (coarse,
     * fine), and back. SL_ENOTFOUND for an unknown name, SL_EINVAL for a
     * NaN/negative current or codes out of range. */
    int (*xToBias)(void *self, const char *param, double current,
                   int *coarse, int *fine);
    int (*xFromBias)(void *self, const char *param, int coarse, int fine,
                     double *current);
} d2_ext;

#ifdef __cplusplus
}
#endif
#endif
