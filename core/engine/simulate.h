/* core/engine/simulate.h — the simulate mode: an experiment with a
 * `simulate` section runs a model over time instead of training a
 * network (no datasets, epochs or loss).
 *
 *   simulate = { duration = 10.0; dt = 1e-3; record = true; };
 *   model = { type = "nef"; ... };   // a component offering
 *                                    // sl.simulate.v1 (simulate.h)
 *
 * The engine builds the model, runs it in chunks (progress and interrupt
 * between chunks), keeps every probe's values (float64) and hands the
 * traces, per-probe summaries and the model's own figures to the caller
 * through sl__sim_sink; it knows no database. */
#ifndef SL_ENGINE_SIMULATE_H
#define SL_ENGINE_SIMULATE_H

#include <stdint.h>

#include <spikelab/simulate.h>

#include "engine/experiment.h"

typedef struct sl__simulate sl__simulate;

typedef struct sl__sim_sink {
    void *user;
    /* a result (a summary or a model figure); name borrowed */
    int (*on_result)(void *user, const char *name, double value);
    /* a probe's trace: data [steps][dims] float64, borrowed */
    int (*on_trace)(void *user, const char *probe, const double *data,
                    uint64_t steps, size_t dims);
    /* an array of a sl.simulate.v2 model (simulate.h), borrowed; may be
     * NULL (not recorded) */
    int (*on_array)(void *user, const sl_sim_array *a);
    /* progress: steps done of total, seconds of simulated time per
     * second of wall time so far; may be NULL */
    int (*on_progress)(void *user, uint64_t done, uint64_t total,
                       double dt);
} sl__sim_sink;

/* Does the experiment's file have a `simulate` section? */
int sl__simulate_wanted(const sl__experiment *exp);
/* Read `simulate` and create the `model` component (which reads and
 * checks its whole model now). Errors name the key and line. */
int sl__simulate_load(sl__experiment *exp, sl__err *err);
/* Build and run; SL_EINTR when *exp->stop was set (the traces recorded
 * so far are still handed over). */
int sl__simulate_run(sl__experiment *exp, const sl__sim_sink *sink,
                     sl__err *err);
void sl__simulate_free(sl__experiment *exp);
/* Steps of the run and the wall time of the build and of the run (s),
 * after sl__simulate_run. */
uint64_t sl__simulate_steps(const sl__experiment *exp);
/* steps actually run (fewer when interrupted) */
uint64_t sl__simulate_done(const sl__experiment *exp);
double sl__simulate_dt(const sl__experiment *exp);
void sl__simulate_times(const sl__experiment *exp, double *build,
                        double *run);

#endif
