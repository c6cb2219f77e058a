/* core/engine/metrics.h — evaluation metrics over network outputs. */
#ifndef SL_CORE_METRICS_H
#define SL_CORE_METRICS_H

#include <stddef.h>
#include <stdio.h>

/* Firing rates (Hz) of each output channel of one sample: Σ_t out / (T·dt).
 * out: [time][channels]; rates: [channels]. */
void sl__rates(const float *out, size_t time, size_t channels, double dt,
               double *rates);

/* Firing-rate ratio of one sample.
 * target mode: rate of the target channel / highest rate of the others
 *   (the learning goal: the correct neuron fires harder than the rest);
 * max_min mode: highest rate / lowest rate (spec dynapsim §7; ≥ 1, used
 *   where there is no correct neuron, e.g. unseen noise).
 * Either is +inf when the denominator is 0 and the numerator is not, and 1
 * when both are 0 (no preference either way). */
double sl__frr_target(const double *rates, size_t channels, size_t target);
double sl__frr_max_min(const double *rates, size_t channels);

/* Quantile (linear interpolation) of n values, +inf allowed; sorts v. */
double sl__quantile(double *v, size_t n, double q);

/* Print a text histogram of v (finite values in `bins` bins between their
 * min and max, plus a count of infinite values). */
void sl__histogram(FILE *f, const double *v, size_t n, int bins,
                   const char *label);

#endif
