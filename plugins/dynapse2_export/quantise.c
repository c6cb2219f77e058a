/*
 * plugins/dynapse2_export/quantise.c — 4-bit weight quantisation against
 * four per-core base weights (specs/dynapse2_export.md §3.4, the
 * deterministic replacement of Rockpool's stochastic "autoencoder").
 *
 * Given the magnitudes a_1..a_M > 0 of a core's non-zero weights (row-major
 * over [w_in; w_rec] restricted to the core's columns), find base weights
 * c_0..c_3 >= 0 and masks m_j ∈ 0..15 so that the level
 *   L(m) = ((b0·c0 + b1·c1) + b2·c2) + b3·c3,   b_k = bit k of m,
 * approximates a_j. Lloyd-style alternation from the uniform 4-bit
 * quantiser c = (max a / 15)·(1, 2, 4, 8):
 *   assign  m_j = argmin_m |a_j − L(m)|, ties → smallest m (mask 0 is
 *           allowed: the connection is then dropped, as in Rockpool —
 *           open question 5, counted and reported by the caller);
 *   stop    when the assignment equals the previous one (at most 100
 *           rounds);
 *   refit   the base weights used by some mask by exact non-negative least
 *           squares: every subset of free variables is solved through its
 *           normal equations (integer Gram matrix; skipped when it is
 *           singular, decided exactly); among the solutions
 *           with all entries >= 0 the smallest residual wins, ties → the
 *           lowest subset bitmask. Unused base weights keep their value.
 * The MSE never increases (assignment and refit each minimise it), so the
 * result is never worse than the uniform quantiser (tested).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "d2.h"

double d2_level(const double c[4], unsigned m)
{
    return (((m & 1u ? c[0] : 0.0) + (m & 2u ? c[1] : 0.0)) +
            (m & 4u ? c[2] : 0.0)) +
           (m & 8u ? c[3] : 0.0);
}

/* Whether the columns idx[0..s) of the 0/1 matrix whose rows are the
 * masks present (cnt[v] > 0) are linearly independent: the Gram matrix
 * B^T·diag(cnt)·B of the subset is then non-singular (its determinant is
 * exactly non-zero). Exact: fraction-free elimination on at most 16 × 4
 * small integers. */
static int independent(const int64_t cnt[16], const int idx[4], int s)
{
    int64_t a[16][4];
    int rows = 0;
    for (unsigned v = 0; v < 16; v++) {
        if (cnt[v] == 0)
            continue;
        for (int q = 0; q < s; q++)
            a[rows][q] = (v >> idx[q]) & 1u;
        rows++;
    }
    int rank = 0;
    for (int col = 0; col < s && rank < rows; col++) {
        int p = -1;
        for (int r = rank; r < rows; r++)
            if (a[r][col] != 0) {
                p = r;
                break;
            }
        if (p < 0)
            return 0;
        for (int q = 0; q < s; q++) {
            int64_t t = a[rank][q];
            a[rank][q] = a[p][q];
            a[p][q] = t;
        }
        for (int r = rank + 1; r < rows; r++) {
            int64_t f = a[r][col], g = a[rank][col];
            for (int q = 0; q < s; q++)
                a[r][q] = a[r][q] * g - a[rank][q] * f;
            /* keep the entries small: divide by their gcd */
            int64_t d = 0;
            for (int q = 0; q < s; q++) {
                int64_t x = a[r][q] < 0 ? -a[r][q] : a[r][q], y = d;
                while (y) {
                    int64_t t = x % y;
                    x = y;
                    y = t;
                }
                d = x;
            }
            if (d > 1)
                for (int q = 0; q < s; q++)
                    a[r][q] /= d;
        }
        rank++;
    }
    return rank == s;
}

/* Solve the s×s system G x = r (G non-singular) by Gaussian elimination
 * with partial pivoting, in double. */
static void solve(double G[4][4], double r[4], int s, double x[4])
{
    double a[4][5];
    for (int i = 0; i < s; i++) {
        for (int j = 0; j < s; j++)
            a[i][j] = G[i][j];
        a[i][s] = r[i];
    }
    for (int k = 0; k < s; k++) {
        int p = k;
        for (int i = k + 1; i < s; i++)
            if (fabs(a[i][k]) > fabs(a[p][k]))
                p = i;
        if (p != k)
            for (int j = 0; j <= s; j++) {
                double t = a[k][j];
                a[k][j] = a[p][j];
                a[p][j] = t;
            }
        for (int i = k + 1; i < s; i++) {
            double f = a[i][k] / a[k][k];
            for (int j = k; j <= s; j++)
                a[i][j] -= f * a[k][j];
        }
    }
    for (int i = s - 1; i >= 0; i--) {
        double v = a[i][s];
        for (int j = i + 1; j < s; j++)
            v -= a[i][j] * x[j];
        x[i] = v / a[i][i];
    }
}

/* Non-negative least squares over the base weights in `used` (bitmask),
 * given the masks; updates c[k] for k in used. */
static void refit(const double *a, size_t M, const uint8_t *m, unsigned used,
                  double c[4])
{
    /* sufficient statistics per mask value: count and sum of a */
    double sum[16] = {0};
    int64_t cnt[16] = {0};
    for (size_t j = 0; j < M; j++) {
        cnt[m[j]]++;
        sum[m[j]] += a[j];
    }
    double best_res = INFINITY, best[4] = {0, 0, 0, 0};
    for (unsigned S = 0; S < 16; S++) {
        if (S & ~used)
            continue;
        int idx[4], s = 0;
        for (int k = 0; k < 4; k++)
            if (S & (1u << k))
                idx[s++] = k;
        double x[4] = {0, 0, 0, 0};
        if (s > 0) {
            if (!independent(cnt, idx, s))
                continue;
            double G[4][4], r[4];
            int64_t gi[4][4];
            for (int p = 0; p < s; p++) {
                r[p] = 0;
                for (int q = 0; q < s; q++)
                    gi[p][q] = 0;
                for (unsigned v = 0; v < 16; v++) {
                    if (!(v & (1u << idx[p])))
                        continue;
                    r[p] += sum[v];
                    for (int q = 0; q < s; q++)
                        if (v & (1u << idx[q]))
                            gi[p][q] += cnt[v];
                }
            }
            for (int p = 0; p < s; p++)
                for (int q = 0; q < s; q++)
                    G[p][q] = (double)gi[p][q];
            solve(G, r, s, x);
            int ok = 1;
            for (int p = 0; p < s; p++)
                ok &= x[p] >= 0;
            if (!ok)
                continue;
        }
        double cc[4] = {0, 0, 0, 0};
        for (int p = 0; p < s; p++)
            cc[idx[p]] = x[p];
        double res = 0;
        for (size_t j = 0; j < M; j++) {
            double d = d2_level(cc, m[j] & S) - a[j];
            res += d * d;
        }
        if (res < best_res) {
            best_res = res;
            memcpy(best, cc, sizeof best);
        }
    }
    for (int k = 0; k < 4; k++)
        if (used & (1u << k))
            c[k] = best[k];
}

static void assign(const double *a, size_t M, const double c[4], uint8_t *m)
{
    double L[16];
    for (unsigned v = 0; v < 16; v++)
        L[v] = d2_level(c, v);
    for (size_t j = 0; j < M; j++) {
        unsigned bm = 0;
        double be = fabs(a[j] - L[0]);
        for (unsigned v = 1; v < 16; v++) {
            double e = fabs(a[j] - L[v]);
            if (e < be) {
                be = e;
                bm = v;
            }
        }
        m[j] = (uint8_t)bm;
    }
}

/* §3.4's alternation from the base weights in c (updated), masks into m;
 * prev is scratch of M bytes. Returns the refits done. */
static int lloyd(const double *a, size_t M, double c[4], uint8_t *m,
                 uint8_t *prev)
{
    int refits = 0;
    for (int it = 0; it < 100; it++) {
        assign(a, M, c, m);
        if (it > 0 && memcmp(prev, m, M) == 0)
            break;
        memcpy(prev, m, M);
        unsigned used = 0;
        for (size_t j = 0; j < M; j++)
            used |= m[j];
        refit(a, M, m, used, c);
        refits++;
    }
    return refits;
}

static double sq_error(const double *a, size_t M, const double c[4],
                       const uint8_t *m)
{
    double s = 0;
    for (size_t j = 0; j < M; j++) {
        double d = d2_level(c, m[j]) - a[j];
        s += d * d;
    }
    return s;
}

int d2_quantise(const double *a, size_t M, double c[4], uint8_t *m,
                double *mse)
{
    c[0] = c[1] = c[2] = c[3] = 0;
    *mse = 0;
    if (M == 0)
        return 0;
    double amax = 0;
    for (size_t j = 0; j < M; j++)
        if (a[j] > amax)
            amax = a[j];
    for (int k = 0; k < 4; k++)
        c[k] = amax / 15.0 * (double)(1u << k);
    uint8_t *prev = malloc(M);
    if (prev == NULL)
        return SL_ENOMEM;
    int refits = lloyd(a, M, c, m, prev);
    free(prev);
    *mse = sq_error(a, M, c, m) / (double)M;
    return refits;
}

/* The alternation stops in the first local minimum it meets, and often
 * that wastes a base weight: when the weights span a wide range (a
 * neuron's strong recurrent weights beside many small input weights),
 * the refit sets a base weight to 0 or leaves it unused, no mask then
 * selects it, and it never comes back; the other three must cover
 * everything (seen in issue 22: base weights (0.69, 2.17, 12.05, 0), 28
 * of 62 weights dropped, the recurrent inhibition 3.41 → 2.86). Here the
 * alternation runs from several starts, geometric base weights c_k =
 * c_0·ρ^k with sum max(a) for ρ = 2 (§3.4's uniform start, first), 1.5,
 * 2.5, 3 and 4, and after each convergence every base weight that no
 * mask uses, or that is 0, is re-seeded at the largest remaining error
 * |a_j − L(m_j)| and the alternation resumed, while that lowers the
 * error (at most 4 times). The lowest MSE wins (ties: the earlier), so
 * the result is never worse than d2_quantise's. Deterministic. */
int d2_quantise_best(const double *a, size_t M, double c[4], uint8_t *m,
                     double *mse)
{
    int refits = d2_quantise(a, M, c, m, mse);
    if (refits < 0 || M == 0)
        return refits;
    uint8_t *buf = malloc(3 * M);
    if (buf == NULL)
        return SL_ENOMEM;
    uint8_t *tm = buf, *prev = buf + M, *tm2 = buf + 2 * M;
    double best = *mse * (double)M, amax = 0;
    for (size_t j = 0; j < M; j++)
        if (a[j] > amax)
            amax = a[j];
    static const double rho[5] = {2.0, 1.5, 2.5, 3.0, 4.0};
    for (int r = 0; r < 5; r++) {
        double tc[4], c0 = amax / (1 + rho[r] * (1 + rho[r] * (1 + rho[r])));
        for (int k = 0; k < 4; k++)
            tc[k] = c0 * pow(rho[r], k);
        refits += lloyd(a, M, tc, tm, prev);
        double e = sq_error(a, M, tc, tm);
        for (int round = 0; round < 4; round++) {
            unsigned used = 0;
            for (size_t j = 0; j < M; j++)
                used |= tm[j];
            size_t worst = 0;
            double we = -1;
            for (size_t j = 0; j < M; j++) {
                double d = fabs(a[j] - d2_level(tc, tm[j]));
                if (d > we) {
                    we = d;
                    worst = j;
                }
            }
            double nc[4];
            memcpy(nc, tc, sizeof nc);
            int moved = 0;
            for (int k = 0; k < 4; k++)
                if (!(used & (1u << k)) || !(tc[k] > 0)) {
                    /* one weight per round: the others follow the
                     * next residual */
                    nc[k] = fabs(a[worst] - d2_level(tc, tm[worst]));
                    moved = nc[k] > 0;
                    break;
                }
            if (!moved)
                break;
            refits += lloyd(a, M, nc, tm2, prev);
            double e2 = sq_error(a, M, nc, tm2);
            if (!(e2 < e))
                break;
            e = e2;
            memcpy(tc, nc, sizeof tc);
            memcpy(tm, tm2, M);
        }
        if (e < best) {
            best = e;
            memcpy(c, tc, 4 * sizeof(double));
            memcpy(m, tm, M);
        }
    }
    free(buf);
    *mse = best / (double)M;
    return refits;
}
