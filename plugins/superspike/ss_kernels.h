/*
 * plugins/superspike/ss_kernels.h — the SuperSpike / van Rossum filter
 * maths of specs/superspike.md §3–§6, header-only so that superspike.so
 * (rule.c, and the "van_rossum" loss in van_rossum.c) and the unit tests
 * compile the very same code. No allocation anywhere in here; every function works on
 * caller-owned arrays.
 *
 * Kernels (§4): length K = n + (1 − n mod 2) with n = steps(kernel_length,
 * dt), centre c = K/2 (integer division), H = c. Index c+1+k, k = 0..H−1:
 *   psc[c+1+k] = exp(−k/(tau_syn/dt))
 *   psp[c+1+k] = exp(−k/(tau_syn/dt)) − exp(−k/(tau_mem/dt))   (vrd = psp)
 * and every index ≤ c is exactly 0. The divisions are done as written
 * (tau_syn/dt = 50.00000000000001 for the tutorial), for bit-exactness with
 * NumPy.
 *
 * Steps from a duration (our choice, spec uses Python int()): n =
 * floor(len/dt + 1e-9). For the tutorial (100e-6/0.1e-6 =
 * 1000.0000000000001, 200e-6/0.1e-6 = 2000.0000000000002) this is int();
 * it differs only when the ratio falls a hair *below* an integer (e.g.
 * 0.3/0.1 = 2.9999999999999996 → 3, where int() would give 2).
 *
 * convolve-same (§5): y[i] = Σ_{ℓ=−c..c} k[c+ℓ]·x[i−ℓ], x outside 0..N−1 is
 * 0, i = 0..N−1 (= numpy.convolve(x, k, 'same') for N ≥ K; for N < K NumPy
 * would return K values — we keep N, the definition above). With our
 * kernels only lags ℓ ≥ 1 are nonzero: a causal filter with a one-step
 * delay. The fast forms below use the "tail" t[k] = k[c+1+k], k < H:
 *   y[i] = Σ_{k=0}^{H−1} t[k]·x[i−1−k].
 */
#ifndef SS_KERNELS_H
#define SS_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spikelab/spikelab.h"

/* Whole steps in `len` seconds at `dt` (see above); 0 when not positive. */
static inline size_t ss_steps(double len, double dt)
{
    if (!(len > 0) || !(dt > 0) || !isfinite(len / dt))
        return 0;
    double r = floor(len / dt + 1e-9);
    if (r > 1e12)
        return 0; /* absurd; callers refuse 0 */
    return (size_t)r;
}

/* Kernel length K (odd) for kernel_length seconds at dt. */
static inline size_t ss_kernel_size(double kernel_length, double dt)
{
    size_t n = ss_steps(kernel_length, dt);
    return n + (1 - n % 2);
}

/* Fill psc[K] and psp[K] (full arrays, §4). */
static inline void ss_kernel_build(double tau_mem, double tau_syn, double dt,
                                   size_t K, double *psc, double *psp)
{
    size_t c = K / 2;
    double rs = tau_syn / dt, rm = tau_mem / dt;
    for (size_t i = 0; i <= c && i < K; i++)
        psc[i] = psp[i] = 0.0;
    for (size_t k = 0; c + 1 + k < K; k++) {
        double es = exp(-(double)k / rs), em = exp(-(double)k / rm);
        psc[c + 1 + k] = es;
        psp[c + 1 + k] = es - em;
    }
}

/* The kernel settings shared by the rule and the van_rossum loss:
 * tau_mem 10e-6 s, tau_syn 5e-6 s, kernel_length 100e-6 s (all > 0,
 * tau_mem ≠ tau_syn). Whether kernel_length covers ≥ 2 steps of dt is
 * checked once dt is known. */
static inline int ss_read_kernel_settings(const sl_host *h, sl_ctx *ctx,
                                          double *tau_mem, double *tau_syn,
                                          double *kernel_length)
{
    int rc;
    if ((rc = h->xGetFloat(ctx, "tau_mem", 10e-6, tau_mem)) ||
        (rc = h->xGetFloat(ctx, "tau_syn", 5e-6, tau_syn)) ||
        (rc = h->xGetFloat(ctx, "kernel_length", 100e-6, kernel_length)))
        return rc;
    if (!(*tau_mem > 0))
        return h->xError(ctx, "tau_mem", SL_ECONFIG,
                         "tau_mem = %g s must be > 0 (tutorial: 10e-6)",
                         *tau_mem);
    if (!(*tau_syn > 0))
        return h->xError(ctx, "tau_syn", SL_ECONFIG,
                         "tau_syn = %g s must be > 0 (tutorial: 5e-6)",
                         *tau_syn);
    if (*tau_mem == *tau_syn)
        return h->xError(ctx, "tau_syn", SL_ECONFIG,
                         "tau_syn must differ from tau_mem (both %g s): the "
                         "PSP kernel exp(-t/tau_syn) - exp(-t/tau_mem) would "
                         "be identically 0", *tau_mem);
    if (!(*kernel_length > 0))
        return h->xError(ctx, "kernel_length", SL_ECONFIG,
                         "kernel_length = %g s must be > 0 (tutorial: "
                         "100e-6)", *kernel_length);
    return SL_OK;
}

/* Fast-sigmoid surrogate of §3 on the normalised membrane. */
static inline double ss_surrogate(double v, double beta)
{
    double q = 1.0 + fabs(beta * (v - 1.0));
    return 1.0 / (q * q);
}

/* Reference convolve-same for any odd kernel length M (all lags), O(N·M).
 * The tests compare every fast form below against this one. */
static inline void ss_conv_same(const double *x, size_t N, const double *k,
                                size_t M, double *y)
{
    ptrdiff_t c = (ptrdiff_t)(M / 2);
    for (ptrdiff_t i = 0; i < (ptrdiff_t)N; i++) {
        double s = 0.0;
        for (ptrdiff_t l = -c; l <= c; l++) {
            ptrdiff_t m = i - l;
            if (m >= 0 && m < (ptrdiff_t)N)
                s += k[c + l] * x[m];
        }
        y[i] = s;
    }
}

/* y = convolve_same(d, kernel) from the kernel's tail, visiting only the
 * nonzero d: each d[s] ≠ 0 adds d[s]·t[k] to y[s+1+k]. Exactly the FIR sum
 * (the same terms; only the summation order differs). O(nnz(d)·H). */
static inline void ss_scatter_tail_d(const double *d, size_t N,
                                     const double *tail, size_t H, double *y)
{
    for (size_t i = 0; i < N; i++)
        y[i] = 0.0;
    for (size_t s = 0; s + 1 < N; s++) {
        double v = d[s];
        if (v == 0.0)
            continue;
        size_t lim = N - 1 - s < H ? N - 1 - s : H;
        double *yp = y + s + 1;
        for (size_t k = 0; k < lim; k++)
            yp[k] += v * tail[k];
    }
}

/* One value of the adjoint (correlation) of the causal filter, by the FIR
 * sum, O(H) (the tests' reference for ss_corr_exp):
 * Σ_{k=0}^{H−1} t[k]·g[s+1+k] (terms past N−1 dropped). */
static inline double ss_corr_at(const double *g, size_t N, size_t s,
                                const double *tail, size_t H)
{
    if (s + 1 >= N)
        return 0.0;
    size_t lim = N - 1 - s < H ? N - 1 - s : H;
    const double *gp = g + s + 1;
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    size_t k = 0;
    for (; k + 4 <= lim; k += 4) {
        a0 += tail[k] * gp[k];
        a1 += tail[k + 1] * gp[k + 1];
        a2 += tail[k + 2] * gp[k + 2];
        a3 += tail[k + 3] * gp[k + 3];
    }
    for (; k < lim; k++)
        a0 += tail[k] * gp[k];
    return (a0 + a1) + (a2 + a3);
}

/* Exponential-kernel parameters: a = exp(−1/(tau/dt)) and aH =
 * exp(−H/(tau/dt)), the first kernel term past the truncation. */
typedef struct ss_exp {
    double a, aH;
} ss_exp;

static inline ss_exp ss_exp_of(double tau, double dt, size_t H)
{
    ss_exp x = {exp(-1.0 / (tau / dt)), exp(-(double)H / (tau / dt))};
    return x;
}

/*
 * The transpose of the causal truncated exponential filters, in O(N):
 *   out[s] = Σ_{k=0}^{H−1} (a1^k − a2^k)·g[s+1+k]   (g past N−1 is 0)
 * (a2 = NULL: the single exponential Σ a1^k g[s+1+k], i.e. corr with
 * kernel_psc; with a2: kernel_psp) by the windowed recursion, backwards:
 *   A[s] = g[s+1] + a·A[s+1] − a^H·g[s+1+H].
 * It is the FIR sum in exact arithmetic (the window is exact, not the
 * infinite IIR of spec §5); in floating point it differs from ss_corr_at
 * by rounding only: a^k by repeated products instead of exp(−k/τ), and
 * errors that decay by a per step. Measured (tests/test_superspike.c,
 * test_recursion_error): max |IIR − FIR| / max |FIR| = 1.3e-14 on the
 * tutorial's kernels (random sparse and dense signals, 1..2000 steps);
 * the test asserts < 1e-12.
 */
static inline void ss_corr_exp(const double *g, size_t N, ss_exp e1,
                               const ss_exp *e2, size_t H, double *out)
{
    double A = 0.0, B = 0.0;
    if (N == 0)
        return;
    out[N - 1] = 0.0;
    for (size_t s = N - 1; s-- > 0;) {
        double in = g[s + 1];
        double old = s + 1 + H < N ? g[s + 1 + H] : 0.0;
        A = in + e1.a * A - e1.aH * old;
        if (e2)
            B = in + e2->a * B - e2->aH * old;
        out[s] = A - B;
    }
}

/*
 * The SuperSpike update of one post neuron (§6 step 4), summed over the
 * inputs:
 *   dw[j] += Σ_i e[i] · conv_same(sd ⊙ conv_same(S_j, psc), psp)[i]
 * computed through the transposes of both filters (the same finite sum of
 * products, reordered):
 *   r  = corr(e, psp)        r[s] = Σ_{l≥1} psp[c+l]·e[s+l]
 *   g  = sd ⊙ r
 *   q  = corr(g, psc)
 *   dw[j] += Σ_s S_j[s]·q[s]
 * so the cost is O(N) per post neuron for r and q (ss_corr_exp) plus one
 * pass over S (8 floats per test), instead of O(N·H) per input and
 * signal.
 *   e, sd      [N] error and σ'(v_norm) of this post neuron
 *   S          input block [N][n_in] (row stride n_in), float
 *   r, g       [N] scratch
 *   dw         n_in accumulators with stride dw_stride (a column of
 *              dw[n_in][n_out]); NOT scaled by eta/N here.
 * e ≡ 0 (output equals target) returns at once: the update is 0.
 */
static inline void ss_dw_post(size_t N, size_t H, ss_exp syn, ss_exp mem,
                              const double *e, const double *sd,
                              const float *S, size_t n_in, double *r,
                              double *g, double *dw, size_t dw_stride)
{
    int any = 0;
    for (size_t i = 0; i < N && !any; i++)
        any = e[i] != 0.0;
    if (!any)
        return;
    ss_corr_exp(e, N, syn, &mem, H, r);
    for (size_t s = 0; s < N; s++)
        g[s] = sd[s] * r[s];
    ss_corr_exp(g, N, syn, NULL, H, r); /* q, into r; q[N−1] = 0 */
    /* S is mostly zeros: scan the flat [N][n_in] block 8 floats at a time
     * with a branch-free OR of the bit patterns (−0.0 counts as nonzero
     * and adds 0), and visit single entries only in nonzero chunks */
    const size_t M = N * n_in, M8 = M - M % 8;
    for (size_t k = 0; k < M8; k += 8) {
        uint64_t u[4];
        memcpy(u, S + k, sizeof u);
        if (!((u[0] | u[1]) | (u[2] | u[3])))
            continue;
        for (size_t i = k; i < k + 8; i++)
            if (S[i] != 0.0f)
                dw[(i % n_in) * dw_stride] += (double)S[i] * r[i / n_in];
    }
    for (size_t k = M8; k < M; k++)
        if (S[k] != 0.0f)
            dw[(k % n_in) * dw_stride] += (double)S[k] * r[k / n_in];
}

#endif
