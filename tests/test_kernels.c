/* tests/test_kernels.c — the portable matrix product (engine/kernels.h):
 * every element bit for bit equal to the formula kernels.h promises (sum
 * over p in increasing order, one rounding per + and *, then alpha·s +
 * beta·C), for each transposition, shapes that cross the kernel's tiles
 * and blocks and take both lane orientations, strides wider than the
 * matrices; beta = 0 never reads C; the host tables differ in xGemm only.
 *
 * The reference rounds every product and sum through a volatile float, so
 * it is the formula whatever this file's compiler flags (no contraction
 * into FMA can reach it); a kernel built with FMA contraction would fail
 * here on any CPU with FMA. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/host.h"
#include "engine/kernels.h"

static uint64_t rs = 0x9e3779b97f4a7c15ULL;
static float rnd(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    /* spread over several binades, both signs, so sums round often */
    double u = (double)(rs >> 11) / 9007199254740992.0;
    return (float)((u - 0.5) * ldexp(1.0, (int)(rs % 9) - 4));
}

static float at(const float *x, size_t ld, int trans, size_t r, size_t c)
{
    return trans ? x[c * ld + r] : x[r * ld + c];
}

static float ref_elem(int ta, int tb, size_t i, size_t j, size_t k,
                      float alpha, const float *a, size_t lda, const float *b,
                      size_t ldb, float beta, float c)
{
    volatile float s = 0.0f;
    for (size_t p = 0; p < k; p++) {
        volatile float prod = at(a, lda, ta, i, p) * at(b, ldb, tb, p, j);
        s = s + prod;
    }
    volatile float t = alpha * s;
    if (beta == 0.0f)
        return t;
    volatile float u = beta * c;
    return t + u;
}

/* op(A) m x k, op(B) k x n, C m x n, each stored with `pad` extra columns */
static void check(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                  float beta, size_t pad)
{
    size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k,
           bc = tb ? k : n;
    /* at least 1, as BLAS requires even for an empty inner dimension */
    size_t lda = ac + pad ? ac + pad : 1, ldb = bc + pad ? bc + pad : 1,
           ldc = n + pad;
    float *a = malloc((ar * lda + 1) * sizeof *a);
    float *b = malloc((br * ldb + 1) * sizeof *b);
    float *c = malloc((m * ldc + 1) * sizeof *c);
    float *c0 = malloc((m * ldc + 1) * sizeof *c0);
    assert_non_null(a), assert_non_null(b), assert_non_null(c),
        assert_non_null(c0);
    for (size_t x = 0; x < ar * lda; x++)
        a[x] = rnd();
    for (size_t x = 0; x < br * ldb; x++)
        b[x] = rnd();
    for (size_t x = 0; x < m * ldc; x++)
        /* beta = 0: C must not be read, so NaN must not come through */
        c0[x] = beta == 0.0f ? NAN : rnd();
    memcpy(c, c0, m * ldc * sizeof *c);
    sl__gemm_portable(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < ldc; j++) {
            float got = c[i * ldc + j];
            if (j >= n) { /* padding: untouched */
                assert_memory_equal(&got, &c0[i * ldc + j], sizeof got);
                continue;
            }
            float want = ref_elem(ta, tb, i, j, k, alpha, a, lda, b, ldb,
                                  beta, c0[i * ldc + j]);
            if (memcmp(&got, &want, sizeof got) != 0)
                fail_msg("ta=%d tb=%d m=%zu n=%zu k=%zu alpha=%g beta=%g: "
                         "C[%zu][%zu] = %.9g, the formula gives %.9g", ta, tb,
                         m, n, k, alpha, beta, i, j, got, want);
        }
    }
    /* the BLAS table computes the same product (to rounding): both read
     * the operands the same way */
    float *cb = malloc((m * ldc + 1) * sizeof *cb);
    assert_non_null(cb);
    for (size_t x = 0; x < m * ldc; x++)
        cb[x] = beta == 0.0f ? NAN : c0[x];
    sl__host.xGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cb, ldc);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double mag = 0;
            for (size_t p = 0; p < k; p++)
                mag += fabs((double)at(a, lda, ta, i, p) *
                            at(b, ldb, tb, p, j));
            mag = fabs(alpha) * mag +
                  (beta == 0.0f ? 0.0 : fabs(beta * c0[i * ldc + j]));
            if (!(fabs((double)cb[i * ldc + j] - c[i * ldc + j]) <=
                  1e-5 * mag + 1e-30))
                fail_msg("ta=%d tb=%d m=%zu n=%zu k=%zu alpha=%g beta=%g: "
                         "C[%zu][%zu] = %.9g here, %.9g by BLAS", ta, tb, m,
                         n, k, alpha, beta, i, j, c[i * ldc + j],
                         cb[i * ldc + j]);
        }
    free(cb);
    free(a), free(b), free(c), free(c0);
}

static void test_formula_all_transpositions(void **state)
{
    /* shapes: the dense layer's (rows = batch x time, 60 in, 2 out), tile
     * and block edges (32 columns or rows, 128 p per block), tiny and
     * empty inner dimensions */
    static const size_t shapes[][3] = {
        {1000, 2, 60}, {60, 2, 1000}, {1000, 60, 2}, {1, 1, 1},
        {33, 31, 129}, {32, 32, 128}, {5, 70, 300}, {70, 5, 257},
        {3, 3, 0},     {64, 65, 7},
    };
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
                check(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f,
                      0.0f, 0);
                check(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f,
                      1.0f, 3);
                check(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 0.7f,
                      -1.3f, 1);
            }
}

/* m or n zero: nothing is written (C may be anything, even unreadable) */
static void test_empty(void **state)
{
    float c = 5.0f;
    sl__gemm_portable(0, 0, 0, 1, 3, 1.0f, NULL, 3, NULL, 1, 0.0f, &c, 1);
    sl__gemm_portable(0, 0, 1, 0, 3, 1.0f, NULL, 3, NULL, 1, 0.0f, &c, 1);
    assert_true(c == 5.0f);
}

static void test_host_tables(void **state)
{
    assert_ptr_equal(sl__host_for(SL__NUMERICS_BLAS), &sl__host);
    assert_ptr_equal(sl__host_for(SL__NUMERICS_PORTABLE), &sl__host_portable);
    assert_true(sl__host_portable.xGemm == sl__gemm_portable);
    assert_true(sl__host.xGemm != sl__gemm_portable);
    /* everything before xGemm is the same table */
    assert_memory_equal(&sl__host, &sl__host_portable,
                        offsetof(sl_host, xGemm));
    assert_int_equal(sl__host_portable.struct_size, sizeof(sl_host));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formula_all_transpositions),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_host_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
