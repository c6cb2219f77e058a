/* tests/test_rng.c — seeded streams: determinism, independence of
 * derivation order, and the distributions' first moments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/rng.h"

static void test_same_seed_same_stream(void **state)
{
    sl_rng a, b, c;
    sl__rng_derive(&a, 42, "layer", "weight");
    sl__rng_derive(&b, 42, "layer", "weight");
    sl__rng_derive(&c, 43, "layer", "weight");
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sl__rng_next(&a), y = sl__rng_next(&b), z = sl__rng_next(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_true(differ > 990);
}

static void test_purpose_and_component_separate_streams(void **state)
{
    sl_rng a, b, c;
    sl__rng_derive(&a, 1, "layer0", "weight");
    sl__rng_derive(&b, 1, "layer1", "weight");
    sl__rng_derive(&c, 1, "layer0", "mismatch");
    uint64_t x = sl__rng_next(&a);
    assert_true(x != sl__rng_next(&b));
    assert_true(x != sl__rng_next(&c));
}

static void test_moments(void **state)
{
    sl_rng r;
    sl__rng_seed(&r, 7, "moments");
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, sp = 0, sp2 = 0, sl = 0;
    for (int i = 0; i < n; i++) {
        double u = sl__rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        su += u;
        double g = sl__rng_normal(&r);
        sn += g;
        sn2 += g * g;
        double p = sl__rng_poisson(&r, 0.05);
        sp += p;
        sp2 += p * p;
        sl += sl__rng_poisson(&r, 30.0);
    }
    /* bounds are ~5 standard errors */
    assert_true(fabs(su / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
    assert_true(fabs(sn / n) < 5 / sqrt(n));
    assert_true(fabs(sn2 / n - 1.0) < 5 * sqrt(2.0 / n));
    double mp = sp / n;
    assert_true(fabs(mp - 0.05) < 5 * sqrt(0.05 / n));
    assert_true(fabs((sp2 / n - mp * mp) - 0.05) < 0.003);  /* variance = mean */
    assert_true(fabs(sl / n - 30.0) < 5 * sqrt(30.0 / n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_stream),
        cmocka_unit_test(test_purpose_and_component_separate_streams),
        cmocka_unit_test(test_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
