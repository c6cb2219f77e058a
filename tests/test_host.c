/*
 * tests/test_host.c — the host table (core/engine/host.c) under a
 * careless plugin (issue 12, finding 8): every entry point called with
 * NULL handles and NULL pointers returns a status, never crashes, and
 * reports on the context when there is one. Before, xError(NULL, ...)
 * crashed the host while xLog(NULL, ...) was tolerated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/host.h"

/* The format argument is NULL on purpose: a plugin may pass anything. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wnonnull"
#pragma GCC diagnostic ignored "-Wformat-zero-length"

static const sl_host *H = &sl__host;

static void test_null_context(void **state)
{
    (void)state;
    int64_t i = 7;
    double d = 7;
    int b = 7;
    const char *s = "x";
    float v[3] = {7, 7, 7};
    /* no context: the status says so, and *out holds the default */
    assert_int_equal(H->xGetInt(NULL, "k", 3, &i), SL_EINVAL);
    assert_int_equal(i, 3);
    assert_int_equal(H->xGetFloat(NULL, "k", 2.5, &d), SL_EINVAL);
    assert_true(d == 2.5);
    assert_int_equal(H->xGetBool(NULL, "k", 1, &b), SL_EINVAL);
    assert_int_equal(b, 1);
    assert_int_equal(H->xGetString(NULL, "k", "def", &s), SL_EINVAL);
    assert_string_equal(s, "def");
    assert_int_equal(H->xGetFloatVec(NULL, "k", 1.5, v, 3), SL_EINVAL);
    assert_true(v[0] == 1.5f && v[2] == 1.5f);
    assert_int_equal(H->xHasKey(NULL, "k"), 0);
    /* every pointer NULL at once */
    assert_int_equal(H->xGetInt(NULL, NULL, 0, NULL), SL_EINVAL);
    assert_int_equal(H->xGetFloat(NULL, NULL, 0, NULL), SL_EINVAL);
    assert_int_equal(H->xGetBool(NULL, NULL, 0, NULL), SL_EINVAL);
    assert_int_equal(H->xGetString(NULL, NULL, NULL, NULL), SL_EINVAL);
    assert_int_equal(H->xGetFloatVec(NULL, NULL, 0, NULL, 4), SL_EINVAL);
    assert_int_equal(H->xHasKey(NULL, NULL), 0);
    /* errors keep their code (a non-negative one becomes SL_EINVAL) */
    assert_int_equal(H->xError(NULL, NULL, SL_EDATA, "lost %d", 1),
                     SL_EDATA);
    assert_int_equal(H->xError(NULL, "key", 0, NULL), SL_EINVAL);
    H->xLog(NULL, SL_LOG_WARN, NULL);
    H->xLog(NULL, 99, "level out of range");
    sl_rng r;
    memset(&r, 0, sizeof r);
    H->xRngDerive(NULL, NULL, &r);
    H->xRngDerive(NULL, "p", NULL);
    H->xRngSeed(NULL, 1, "p");
    H->xRngSeed(&r, 1, NULL);
    assert_int_equal(H->xRngNext(NULL), 0);
    assert_true(H->xRngUniform(NULL) == 0.0);
    assert_true(H->xRngNormal(NULL) == 0.0);
    assert_int_equal(H->xRngPoisson(NULL, 3.0), 0);
    assert_int_equal(H->xRngPoisson(&r, 1e300), UINT32_MAX);
    H->xFree(NULL);
    /* a size that would wrap when rounded up is refused, not shrunk */
    assert_null(H->xAlloc(SIZE_MAX));
    assert_null(H->xAlloc(SIZE_MAX - 10));
    void *p = H->xAlloc(0);
    assert_non_null(p);
    H->xFree(p);
}

/* With a context, a NULL key or output is the plugin's error, recorded on
 * its context with the function's name. */
static void test_null_pointers_with_context(void **state)
{
    (void)state;
    sl_ctx ctx;
    sl__ctx_init(&ctx, NULL, NULL, 42, "layer");
    int64_t i;
    assert_int_equal(sl__host.xGetInt(&ctx, NULL, 1, &i), SL_EINVAL);
    assert_non_null(strstr(ctx.err.msg, "xGetInt called with a NULL key"));
    assert_int_equal(sl__host.xGetInt(&ctx, "k", 1, NULL), SL_EINVAL);
    assert_non_null(strstr(ctx.err.msg, "xGetInt called with a NULL out"));
    assert_int_equal(sl__host.xGetFloatVec(&ctx, "k", 1, NULL, 2),
                     SL_EINVAL);
    /* n = 0 with no buffer asks for nothing: fine */
    assert_int_equal(sl__host.xGetFloatVec(&ctx, "k", 1, NULL, 0), SL_OK);
    assert_int_equal(sl__host.xHasKey(&ctx, NULL), 0);
    assert_int_equal(sl__host.xError(&ctx, NULL, SL_EDATA, NULL), SL_EDATA);
    assert_non_null(strstr(ctx.err.msg, "NULL format"));
    sl_rng a, b;
    sl__host.xRngDerive(&ctx, NULL, &a);
    sl__host.xRngDerive(&ctx, "", &b);
    assert_memory_equal(&a, &b, sizeof a); /* NULL purpose hashes as "" */
    /* valid calls are untouched */
    assert_int_equal(sl__host.xGetInt(&ctx, "k", 5, &i), SL_OK);
    assert_int_equal(i, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_context),
        cmocka_unit_test(test_null_pointers_with_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
