/* core/engine/kernels.h — the engine's own matrix kernels, used instead of
 * BLAS in portable numerics mode (settings.c: numerics = "portable";
 * ARCHITECTURE.md, "What is bit-identical, and when").
 *
 * Why our own: a BLAS chooses its kernel per CPU (OpenBLAS: Haswell,
 * SkylakeX, ...), and kernels sum in different orders and fuse
 * multiply-adds differently, so the same product has other bits on another
 * machine. Here every output element has one fixed formula, whatever the
 * CPU, the vector width the compiler chose, the optimisation level or the
 * thread that runs it:
 *
 *   s = 0; for p = 0, 1, ..., k-1: s = s + op(A)[i][p] * op(B)[p][j]
 *   C[i][j] = alpha * s + beta * C[i][j]      (beta == 0: alpha * s)
 *
 * each + and * one IEEE binary32 operation rounded to nearest, no fused
 * multiply-add (kernels.c is compiled with -ffp-contract=off), no
 * reassociation. Lanes of a vector hold different output elements, never
 * parts of one sum, so vectorising does not change a single bit.
 */
#ifndef SL_ENGINE_KERNELS_H
#define SL_ENGINE_KERNELS_H

#include <stddef.h>

/* C = alpha * op(A) * op(B) + beta * C, float32, row-major, the contract of
 * sl_host.xGemm (abi.h): op(A) is m x k (A stored k x m when trans_a),
 * op(B) is k x n (B stored n x k when trans_b), C is m x n; lda, ldb, ldc
 * are the row strides as stored. beta == 0: C is only written. Neither
 * allocates nor keeps anything; reentrant. */
void sl__gemm_portable(int trans_a, int trans_b, size_t m, size_t n,
                       size_t k, float alpha, const float *a, size_t lda,
                       const float *b, size_t ldb, float beta, float *c,
                       size_t ldc);

#endif
