/* core/engine/kernels.c — the portable matrix product (kernels.h).
 *
 * Compiled with -ffp-contract=off (core/local.mk, its own convenience
 * library): GCC would otherwise fuse s + a*b into one FMA wherever the
 * target has FMA (-march=haswell and later), and a fused product is
 * rounded once instead of twice.
 *
 * Shape of the computation: C is cut into tiles of MI rows x NJ columns;
 * a tile's sums live in `acc` (on the stack) while k runs in blocks of KB,
 * and the KB x NJ panel of op(B) a block needs is read from B's rows when
 * they are contiguous and whole, else first copied into `bp` (packed:
 * contiguous, zero-padded to NJ columns, whatever the transposition and
 * stride of B). Then, per row of the tile and per p of the block, acc[row][0..NJ) += a(row, p) * bp[p][0..NJ), NJ/4 vectors of
 * four lanes: one broadcast scalar of A times one packed row of B, added
 * to the row's partial sums. Each lane is one output element, and p runs
 * in increasing order within a block and from block to block (acc carries
 * the sum across blocks unchanged: a float stored and reloaded is exact),
 * so every element is summed exactly as kernels.h writes it.
 *
 * When C has few columns (the dense layer's forward: rows = batch x time,
 * two outputs) lanes over columns would be mostly padding, so the product
 * is computed transposed, C^T = op(B)^T op(A)^T, lanes over rows of C.
 * That is the same formula element by element: the p-th product is
 * b(p, j) * a(i, p), and IEEE multiplication is commutative.
 */
#include <stdint.h>
#include <string.h>

#include "engine/kernels.h"

#define NJ 32  /* columns per tile: 8 vectors of 4 (named below) */
#define MI 32  /* rows per tile */
#define KB 128 /* p per block: the packed panel is KB x NJ floats, 16 KiB */

#if defined(__GNUC__)
/* Four lanes: the width of SSE2, which every x86-64 CPU has. A wider
 * vector would give the same bits (lanes are independent elements); at
 * the baseline target GCC would only split it. */
typedef float v4 __attribute__((vector_size(16)));
#define VL 4
#endif

/* Pack op(B)[p0 .. p0+pb)[j0 .. j0+nj) into bp (rows of NJ, zero-padded). */
static void pack(float *bp, const float *b, size_t bs_p, size_t bs_j,
                 size_t p0, size_t pb, size_t j0, size_t nj)
{
    if (nj < NJ)
        memset(bp, 0, pb * NJ * sizeof *bp);
    if (bs_j == 1) {
        for (size_t p = 0; p < pb; p++)
            memcpy(bp + p * NJ, b + (p0 + p) * bs_p + j0, nj * sizeof *bp);
    } else {
        for (size_t p = 0; p < pb; p++)
            for (size_t j = 0; j < nj; j++)
                bp[p * NJ + j] = b[(p0 + p) * bs_p + (j0 + j) * bs_j];
    }
}

/* C(i, j) = alpha * sum_p A(i, p) B(p, j) + beta * C(i, j) with general
 * strides: A(i, p) = a[i*as_i + p*as_p], B(p, j) = b[p*bs_p + j*bs_j],
 * C(i, j) = c[i*cs_i + j*cs_j]. */
static void gemm_strided(size_t m, size_t n, size_t k, float alpha,
                         const float *a, size_t as_i, size_t as_p,
                         const float *b, size_t bs_p, size_t bs_j,
                         float beta, float *c, size_t cs_i, size_t cs_j)
{
#if defined(__GNUC__)
    float acc[MI * NJ] __attribute__((aligned(16)));
    float bp[KB * NJ] __attribute__((aligned(16)));
#else
    float acc[MI * NJ];
    float bp[KB * NJ];
#endif
    for (size_t j0 = 0; j0 < n; j0 += NJ) {
        size_t nj = n - j0 < NJ ? n - j0 : NJ;
        for (size_t i0 = 0; i0 < m; i0 += MI) {
            size_t mi = m - i0 < MI ? m - i0 : MI;
            if (k == 0)
                memset(acc, 0, mi * NJ * sizeof *acc);
            for (size_t p0 = 0; p0 < k; p0 += KB) {
                size_t pb = k - p0 < KB ? k - p0 : KB;
                /* the panel: B's own rows when they are contiguous and
                 * whole, else a packed copy */
                const float *panel = bp;
                size_t pstride = NJ;
                if (bs_j == 1 && nj == NJ) {
                    panel = b + p0 * bs_p + j0;
                    pstride = bs_p;
                } else {
                    pack(bp, b, bs_p, bs_j, p0, pb, j0, nj);
                }
                for (size_t i = 0; i < mi; i++) {
                    const float *ar = a + (i0 + i) * as_i + p0 * as_p;
                    float *s = acc + i * NJ;
#if defined(__GNUC__)
                    /* the row's NJ partial sums in 8 named vectors, so
                     * that they stay in registers across p; the first
                     * block starts them at 0 */
                    v4 r0 = {0}, r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0},
                       r5 = {0}, r6 = {0}, r7 = {0};
                    if (p0) {
                        memcpy(&r0, s + 0, sizeof r0);
                        memcpy(&r1, s + 4, sizeof r1);
                        memcpy(&r2, s + 8, sizeof r2);
                        memcpy(&r3, s + 12, sizeof r3);
                        memcpy(&r4, s + 16, sizeof r4);
                        memcpy(&r5, s + 20, sizeof r5);
                        memcpy(&r6, s + 24, sizeof r6);
                        memcpy(&r7, s + 28, sizeof r7);
                    }
                    for (size_t p = 0; p < pb; p++) {
                        float x = ar[p * as_p];
                        v4 xv = {x, x, x, x}, y[8];
                        /* (memcpy: B's rows need not be 16-byte aligned) */
                        memcpy(y, panel + p * pstride, sizeof y);
                        r0 = r0 + xv * y[0];
                        r1 = r1 + xv * y[1];
                        r2 = r2 + xv * y[2];
                        r3 = r3 + xv * y[3];
                        r4 = r4 + xv * y[4];
                        r5 = r5 + xv * y[5];
                        r6 = r6 + xv * y[6];
                        r7 = r7 + xv * y[7];
                    }
                    memcpy(s + 0, &r0, sizeof r0);
                    memcpy(s + 4, &r1, sizeof r1);
                    memcpy(s + 8, &r2, sizeof r2);
                    memcpy(s + 12, &r3, sizeof r3);
                    memcpy(s + 16, &r4, sizeof r4);
                    memcpy(s + 20, &r5, sizeof r5);
                    memcpy(s + 24, &r6, sizeof r6);
                    memcpy(s + 28, &r7, sizeof r7);
#else
                    if (!p0)
                        memset(s, 0, NJ * sizeof *s);
                    for (size_t p = 0; p < pb; p++) {
                        float x = ar[p * as_p];
                        const float *row = panel + p * pstride;
                        for (size_t j = 0; j < NJ; j++)
                            s[j] = s[j] + x * row[j];
                    }
#endif
                }
            }
            for (size_t i = 0; i < mi; i++) {
                const float *s = acc + i * NJ;
                float *cr = c + (i0 + i) * cs_i + j0 * cs_j;
                size_t j = 0;
#if defined(__GNUC__)
                if (cs_j == 1) { /* the same two roundings, 4 at a time */
                    v4 av = {alpha, alpha, alpha, alpha},
                       bv = {beta, beta, beta, beta};
                    for (; j + VL <= nj; j += VL) {
                        v4 sv, cv;
                        memcpy(&sv, s + j, sizeof sv);
                        if (beta == 0.0f) {
                            cv = av * sv;
                        } else {
                            memcpy(&cv, cr + j, sizeof cv);
                            cv = av * sv + bv * cv;
                        }
                        memcpy(cr + j, &cv, sizeof cv);
                    }
                }
#endif
                if (beta == 0.0f)
                    for (; j < nj; j++)
                        cr[j * cs_j] = alpha * s[j];
                else
                    for (; j < nj; j++)
                        cr[j * cs_j] = alpha * s[j] + beta * cr[j * cs_j];
            }
        }
    }
}

void sl__gemm_portable(int trans_a, int trans_b, size_t m, size_t n,
                       size_t k, float alpha, const float *a, size_t lda,
                       const float *b, size_t ldb, float beta, float *c,
                       size_t ldc)
{
    if (!m || !n)
        return;
    /* op(A)(i, p) and op(B)(p, j) as strides */
    size_t as_i = trans_a ? 1 : lda, as_p = trans_a ? lda : 1;
    size_t bs_p = trans_b ? 1 : ldb, bs_j = trans_b ? ldb : 1;
    /* lanes over whichever of C's dimensions wastes fewer padding lanes
     * (ties: columns) */
    size_t waste_n = (NJ - n % NJ) % NJ, waste_m = (NJ - m % NJ) % NJ;
    if (n < NJ && waste_m * n < waste_n * m)
        gemm_strided(n, m, k, alpha, b, bs_j, bs_p, a, as_p, as_i, beta, c,
                     1, ldc);
    else
        gemm_strided(m, n, k, alpha, a, as_i, as_p, b, bs_p, bs_j, beta, c,
                     ldc, 1);
}
