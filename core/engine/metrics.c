/* core/engine/metrics.c — firing rates, FRR, quantiles and a text histogram. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"

void sl__rates(const float *out, size_t time, size_t channels, double dt,
               double *rates)
{
    for (size_t c = 0; c < channels; c++)
        rates[c] = 0;
    for (size_t t = 0; t < time; t++)
        for (size_t c = 0; c < channels; c++)
            rates[c] += out[t * channels + c];
    for (size_t c = 0; c < channels; c++)
        rates[c] /= (double)time * dt;
}

static double ratio(double num, double den)
{
    if (den > 0)
        return num / den;
    return num > 0 ? INFINITY : 1.0;
}

double sl__frr_target(const double *rates, size_t channels, size_t target)
{
    double other = 0;
    int have = 0;
    for (size_t c = 0; c < channels; c++)
        if (c != target && (!have || rates[c] > other))
            other = rates[c], have = 1;
    return ratio(rates[target], other);
}

double sl__frr_max_min(const double *rates, size_t channels)
{
    double lo = rates[0], hi = rates[0];
    for (size_t c = 1; c < channels; c++) {
        if (rates[c] < lo)
            lo = rates[c];
        if (rates[c] > hi)
            hi = rates[c];
    }
    return ratio(hi, lo);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sl__quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n)
        return v[n - 1];
    double f = pos - (double)i;
    if (f == 0)
        return v[i];
    if (isinf(v[i + 1]))
        return v[i + 1];
    return v[i] + f * (v[i + 1] - v[i]);
}

void sl__histogram(FILE *f, const double *v, size_t n, int bins,
                   const char *label)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t n_inf = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            n_inf++;
            continue;
        }
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    fprintf(f, "  %s (%zu values):\n", label, n);
    if (n_inf < n) {
        size_t counts[64] = {0}, peak = 1;
        if (bins > 64)
            bins = 64;
        double w = hi > lo ? (hi - lo) / bins : 1.0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i]))
                continue;
            int b = hi > lo ? (int)((v[i] - lo) / w) : 0;
            if (b >= bins)
                b = bins - 1;
            counts[b]++;
        }
        for (int b = 0; b < bins; b++)
            if (counts[b] > peak)
                peak = counts[b];
        int shown = hi > lo ? bins : 1;
        for (int b = 0; b < shown; b++) {
            int bar = (int)(40.0 * (double)counts[b] / (double)peak + 0.5);
            fprintf(f, "    [%8.3f, %8.3f%c %4zu %.*s\n", lo + b * w,
                    hi > lo ? lo + (b + 1) * w : hi, b + 1 == shown ? ']' : ')',
                    counts[b], bar,
                    "########################################");
        }
    }
    if (n_inf)
        fprintf(f, "    inf (silent denominator) %4zu\n", n_inf);
}
