/*
 * tests/test_nef.c — the nef plugin's numerics against specs/nef.md §10
 * (values cross-checked there against Nengo itself): gain and bias,
 * LIFRate, the LIF spike traces, Lowpass coefficients, the 4-neuron
 * decoders, the seeded ensemble draws (60×1 and 300×3), WhiteSignal
 * samples; and the Lua sandbox: io/os/load refused, a runaway function
 * stopped by its instruction budget, wrong results named. The plugin's
 * sources are compiled into this test (nef.h is internal to the .so).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/nef/nef.h"

#define NEAR(a, b, tol)                                                       \
    do {                                                                      \
        double a_ = (a), b_ = (b);                                            \
        if (!(fabs(a_ - b_) <= (tol) * (1.0 + fabs(b_)))) {                   \
            print_error("%s = %.17g, expected %.17g\n", #a, a_, b_);          \
            fail();                                                           \
        }                                                                     \
    } while (0)

static void test_gain_bias(void **st)
{
    (void)st;
    nef_lif p = NEF_LIF_DEFAULT;
    const double mr[5] = {200, 300, 400, 250, 100}, ic[5] = {-0.5, 0, 0.9, -1, 0};
    const double g[5] = {4.11944132112, 14.5055551441, 395.020833116,
                         4.75416597239, 2.03324478172};
    const double b[5] = {3.05972066056, 1, -354.518749805, 5.75416597239, 1};
    for (int i = 0; i < 5; i++) {
        double gg, bb;
        assert_int_equal(nef_gain_bias(&p, mr[i], ic[i], &gg, &bb), SL_OK);
        NEAR(gg, g[i], 1e-11);
        NEAR(bb, b[i], 1e-11);
    }
    double gg, bb;
    assert_int_equal(nef_gain_bias(&p, 500, 0, &gg, &bb), SL_EINVAL);
    assert_int_equal(nef_gain_bias(&p, 200, 1.0, &gg, &bb), SL_EINVAL);
}

static void test_lif_rate(void **st)
{
    (void)st;
    nef_lif p = NEF_LIF_DEFAULT;
    assert_true(nef_lif_rate(&p, 1.0) == 0.0);
    assert_true(nef_lif_rate(&p, -3.0) == 0.0);
    const double j[6] = {1.001, 1.5, 2, 5, 10, 100};
    const double r[6] = {7.13393485353, 41.7149068741, 63.0400021906,
                         154.729994755, 243.474262031, 454.337550288};
    for (int i = 0; i < 6; i++)
        NEAR(nef_lif_rate(&p, j[i]), r[i], 1e-11);
}

static void test_lif_traces(void **st)
{
    (void)st;
    nef_lif p = NEF_LIF_DEFAULT;
    double v = 0, ref = 0, out, j = 2;
    int spikes = 0, first[8], nf = 0;
    for (int n = 1; n <= 1000; n++) {
        nef_lif_step(&p, 1e-3, 1, &j, &v, &ref, &out, NULL);
        if (n == 1) NEAR(v, 0.097541150999, 1e-11);
        if (n == 2) NEAR(v, 0.190325163928, 1e-11);
        if (n == 3) NEAR(v, 0.278584047150, 1e-11);
        if (n == 13) NEAR(v, 0.955908446478, 1e-11);
        if (n == 14) {
            assert_true(out == 1000.0);
            assert_true(v == 0.0);
            NEAR(ref, 0.0028629436112, 1e-11);
        }
        if (n == 15) NEAR(ref, 0.0018629436112, 1e-11);
        if (n == 16) {
            NEAR(ref, 0.000862943611, 1e-9);
            NEAR(v, 0.013658784834, 1e-11);
        }
        if (n == 17) NEAR(v, 0.110533789036, 1e-11);
        if (out > 0) {
            spikes++;
            if (nf < 8)
                first[nf++] = n;
        }
    }
    const int want[8] = {14, 30, 46, 62, 78, 94, 110, 125};
    for (int i = 0; i < 8; i++)
        assert_int_equal(first[i], want[i]);
    assert_int_equal(spikes, 63);
    /* J = 1.5, v0 = 0.5 */
    v = 0.5;
    ref = 0;
    j = 1.5;
    spikes = 0;
    nf = 0;
    for (int n = 1; n <= 1000; n++) {
        nef_lif_step(&p, 1e-3, 1, &j, &v, &ref, &out, NULL);
        if (n == 1) NEAR(v, 0.548770575499, 1e-11);
        if (n == 2) NEAR(v, 0.595162581964, 1e-11);
        if (out > 0 && nf < 4)
            first[nf++] = n;
        spikes += out > 0;
    }
    assert_int_equal(first[0], 14);
    assert_int_equal(first[1], 38);
    assert_int_equal(first[2], 62);
    assert_int_equal(first[3], 86);
    assert_int_equal(spikes, 42);
}

static void test_lowpass(void **st)
{
    (void)st;
    /* the coefficients sim.c uses: a = exp(-dt/tau), b = 1 - a */
    const double tau[5] = {0.005, 0.01, 0.03, 0.1, 0.2};
    const double a[5] = {0.81873075307798182, 0.90483741803595952,
                         0.96721610048200590, 0.99004983374916811,
                         0.99501247919268232};
    for (int i = 0; i < 5; i++)
        NEAR(exp(-1e-3 / tau[i]), a[i], 1e-15);
    NEAR(1.0 - exp(-1e-3 / 0.005), 0.18126924692201818, 1e-15);
}

static void test_tiny_decoders(void **st)
{
    (void)st;
    nef_lif p = NEF_LIF_DEFAULT;
    const double enc[4] = {1, -1, 1, -1}, mr[4] = {200, 250, 300, 350},
                 ic[4] = {-0.5, 0, 0.3, -0.2};
    const double gw[4] = {4.119441321118, 9.508331944775, 20.722221634395,
                          19.03075387715};
    const double bw[4] = {3.059720660559, 1, -5.216666490318,
                          4.80615077543};
    double g[4], b[4], A[44], y[11], y2[11], d1[4], d2[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(nef_gain_bias(&p, mr[i], ic[i], &g[i], &b[i]), 0);
        NEAR(g[i], gw[i], 1e-11);
        NEAR(b[i], bw[i], 1e-11);
    }
    for (int q = 0; q < 11; q++) {
        double x = -1 + 0.2 * q;
        y[q] = x;
        y2[q] = x * x;
        for (int i = 0; i < 4; i++)
            A[q * 4 + i] = nef_lif_rate(&p, g[i] * x * enc[i] + b[i]);
    }
    NEAR(A[20], 100.856625249945, 1e-12);
    assert_true(A[21] == 0.0 && A[22] == 0.0);
    NEAR(A[23], 150.024847473371, 1e-12);
    assert_int_equal(nef_lstsq_l2(A, 11, 4, y, 1, 0.1, d1), SL_OK);
    assert_int_equal(nef_lstsq_l2(A, 11, 4, y2, 1, 0.1, d2), SL_OK);
    const double w1[4] = {0.001654252106, -0.001671649438, 0.001850604397,
                          -0.001130475633};
    const double w2[4] = {-0.000222904111, 0.002192596622, 0.002660400502,
                          0.000236740938};
    for (int i = 0; i < 4; i++) {
        NEAR(d1[i], w1[i], 1e-9);
        NEAR(d2[i], w2[i], 1e-9);
    }
    /* decoded at x = -1, 0, 1 */
    const double dx[3] = {-0.8136, -0.0028, 0.886};
    for (int k = 0; k < 3; k++) {
        double s = 0;
        for (int i = 0; i < 4; i++)
            s += A[(5 * k) * 4 + i] * d1[i];
        assert_true(fabs(s - dx[k]) < 6e-4);
    }
    /* the dual form (fewer points than neurons) solves the same problem */
    double Ad[4 * 3], yd[3], dp[4], dd[4];
    for (int q = 0; q < 3; q++) {
        yd[q] = y[q * 5];
        memcpy(Ad + q * 4, A + q * 5 * 4, 4 * sizeof(double));
    }
    assert_int_equal(nef_lstsq_l2(Ad, 3, 4, yd, 1, 0.1, dd), SL_OK);
    /* primal with the same λ: (AᵀA + 3σ²I) x = Aᵀy by hand */
    double G[16] = {0}, r[4] = {0}, amax = 0;
    for (int q = 0; q < 12; q++)
        amax = Ad[q] > amax ? Ad[q] : amax;
    double lam = 3 * (0.1 * amax) * (0.1 * amax);
    for (int q = 0; q < 3; q++)
        for (int i = 0; i < 4; i++) {
            r[i] += Ad[q * 4 + i] * yd[q];
            for (int k = 0; k < 4; k++)
                G[i * 4 + k] += Ad[q * 4 + i] * Ad[q * 4 + k];
        }
    for (int i = 0; i < 4; i++)
        G[i * 4 + i] += lam;
    assert_int_equal(nef_gram_chol(Ad, 3, 4, lam, G), SL_OK);
    (void)r;
    assert_int_equal(nef_chol_solve(G, Ad, 3, 4, yd, 1, dp), SL_OK);
    for (int i = 0; i < 4; i++)
        NEAR(dd[i], dp[i], 1e-10);
    double zero[44] = {0};
    assert_int_equal(nef_lstsq_l2(zero, 11, 4, y, 1, 0.1, d1), SL_ENUMERIC);
}

static nef_ens make_ens(size_t n, size_t d)
{
    nef_ens e;
    memset(&e, 0, sizeof e);
    e.n = n;
    e.d = d;
    e.radius = 1;
    e.max_rate_lo = 200;
    e.max_rate_hi = 400;
    e.icpt_lo = -1;
    e.icpt_hi = 0.9;
    e.lif = (nef_lif)NEF_LIF_DEFAULT;
    return e;
}

static void test_ensemble_60(void **st)
{
    (void)st;
    nef_ens e = make_ens(60, 1);
    assert_int_equal(nef_ens_build(&e, 0), SL_OK);
    assert_int_equal(e.n_eval, 750);
    NEAR(e.eval[0], -0.8491421267352424, 1e-13);
    NEAR(e.eval[1], 0.6874801705939915, 1e-13);
    NEAR(e.eval[2], 0.8501468372606581, 1e-13);
    for (int i = 0; i < 3; i++)
        assert_true(e.enc[i] == -1.0);
    NEAR(e.max_rates[0], 265.3805451131557, 1e-14);
    NEAR(e.max_rates[1], 236.2952640608338, 1e-14);
    NEAR(e.max_rates[2], 233.25791400171775, 1e-14);
    NEAR(e.intercepts[0], 0.18064592138453972, 1e-14);
    NEAR(e.intercepts[1], -0.43263404105492387, 1e-14);
    NEAR(e.intercepts[2], -0.12427215320755858, 1e-14);
    NEAR(e.gain[0], 13.203659325386784, 1e-13);
    NEAR(e.bias[0], -1.3851872044820657, 1e-13);
    NEAR(e.v[0], 0.417022004702574, 1e-15);
    NEAR(e.v[1], 0.7203244934421581, 1e-15);
    NEAR(e.v[2], 0.00011437481734488664, 1e-15);
    nef_ens_free(&e);
}

static void test_ensemble_300x3(void **st)
{
    (void)st;
    nef_ens e = make_ens(300, 3);
    assert_int_equal(nef_ens_build(&e, 0), SL_OK);
    assert_int_equal(e.n_eval, 1500);
    const double ev[3] = {0.5857515661423347, 0.18791025570475023,
                          -0.17771646179189482};
    const double en[3] = {0.9343598699821207, 0.3552250085674945,
                          -0.028050430570993372};
    for (int k = 0; k < 3; k++) {
        NEAR(e.eval[k], ev[k], 4e-13);
        NEAR(e.enc[k], en[k], 4e-13);
    }
    NEAR(e.max_rates[0], 280.1759127263971, 1e-14);
    NEAR(e.intercepts[0], -0.12201469370784523, 1e-14);
    NEAR(e.gain[0], 10.919641022578496, 1e-12);
    /* every encoder is a unit vector, every eval point inside the ball */
    for (size_t i = 0; i < e.n; i++) {
        double s = 0;
        for (int k = 0; k < 3; k++)
            s += e.enc[i * 3 + k] * e.enc[i * 3 + k];
        NEAR(s, 1.0, 1e-14);
    }
    nef_ens_free(&e);
    assert_int_equal(nef_default_n_eval(600, 6), 2500);
    assert_int_equal(nef_default_n_eval(2000, 1), 4000);
}

static void test_white_signal(void **st)
{
    (void)st;
    double *x;
    size_t len;
    assert_int_equal(nef_white_signal(0, 10, 5, 0.5, 1, 1e-3, &x, &len),
                     SL_OK);
    assert_int_equal(len, 10000);
    /* output at step n is signal[n mod L] */
    NEAR(x[1], -0.2925371843388324, 1e-12);
    NEAR(x[2], -0.28485954727212404, 1e-12);
    NEAR(x[3], -0.2771856377990589, 1e-12);
    NEAR(x[4], -0.26952451867884114, 1e-12);
    double ms = 0;
    for (size_t i = 0; i < len; i++)
        ms += x[i] * x[i];
    NEAR(sqrt(ms / (double)len), 0.56403, 1e-4); /* spec §7 */
    free(x);
    assert_int_equal(nef_white_signal(0, 10, 0.05, 0.5, 1, 1e-3, &x, &len),
                     SL_EINVAL);
    assert_int_equal(nef_white_signal(0, 10, 600, 0.5, 1, 1e-3, &x, &len),
                     SL_EINVAL);
}

/* ---- Lua ---------------------------------------------------------------- */

static void test_lua_functions(void **st)
{
    (void)st;
    nef_lua *L;
    char err[300];
    int ref;
    assert_int_equal(nef_lua_new(&L, 100000, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_compile(L, "function(x) return { x[1] * 2, "
                                        "math.sin(x[2]) } end",
                                     "f", &ref, err, sizeof err),
                     SL_OK);
    double x[2] = {1.5, 0.5}, out[4];
    size_t n;
    assert_int_equal(nef_lua_call(L, ref, x, 2, 1, out, 4, &n, err,
                                  sizeof err), SL_OK);
    assert_int_equal(n, 2);
    assert_true(out[0] == 3.0);
    NEAR(out[1], sin(0.5), 1e-15);
    /* wrong lengths and types are named */
    assert_int_equal(nef_lua_call(L, ref, x, 2, 1, out, 1, &n, err,
                                  sizeof err), SL_ECONFIG);
    assert_non_null(strstr(err, "returned 2 values, expected 1"));
    assert_int_equal(nef_lua_compile(L, "function(t) return 'a' end", "g",
                                     &ref, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_call(L, ref, x, 1, 0, out, 4, &n, err,
                                  sizeof err), SL_ECONFIG);
    assert_non_null(strstr(err, "not a number"));
    /* a Lua error carries its message */
    assert_int_equal(nef_lua_compile(L, "function(t) error('boom') end", "h",
                                     &ref, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_call(L, ref, x, 1, 0, out, 4, &n, err,
                                  sizeof err), SL_ECONFIG);
    assert_non_null(strstr(err, "boom"));
    /* not a function, a syntax error */
    assert_int_equal(nef_lua_compile(L, "42", "k", &ref, err, sizeof err),
                     SL_ECONFIG);
    assert_int_equal(nef_lua_compile(L, "function(t) return end end", "k",
                                     &ref, err, sizeof err), SL_ECONFIG);
    assert_non_null(strstr(err, "syntax"));
    nef_lua_free(L);
}

static void test_lua_budget(void **st)
{
    (void)st;
    nef_lua *L;
    char err[300];
    int ref;
    assert_int_equal(nef_lua_new(&L, 100000, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_compile(L, "function(t) while true do end end",
                                     "spin", &ref, err, sizeof err), SL_OK);
    double t = 0, out[1];
    size_t n;
    assert_int_equal(nef_lua_call(L, ref, &t, 1, 0, out, 1, &n, err,
                                  sizeof err), SL_ECONFIG);
    if (!strstr(err, "instruction budget"))
        print_error("got: %s\n", err);
    assert_non_null(strstr(err, "instruction budget"));
    /* the budget is per call: a short function still runs afterwards */
    assert_int_equal(nef_lua_compile(L, "function(t) return t + 1 end", "ok",
                                     &ref, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_call(L, ref, &t, 1, 0, out, 1, &n, err,
                                  sizeof err), SL_OK);
    assert_true(out[0] == 1.0);
    nef_lua_free(L);
    /* memory without end is an error too, not an OOM kill (the default
     * budget, 1e6 instructions, is not reached first: 64 MiB come sooner) */
    assert_int_equal(nef_lua_new(&L, 1000000000, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_compile(L, "function(t) local s = {} for i = 1, "
                                        "1e9 do s[i] = i end return 0 end",
                                     "grow", &ref, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_call(L, ref, &t, 1, 0, out, 1, &n, err,
                                  sizeof err), SL_ECONFIG);
    assert_non_null(strstr(err, "not enough memory"));
    nef_lua_free(L);
}

static void test_lua_sandbox(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "function(t) return io.open('/etc/passwd') end",
        "function(t) return os.time() end",
        "function(t) os.execute('true') return 0 end",
        "function(t) return load('return 1')() end",
        "function(t) return dofile('/etc/passwd') end",
        "function(t) return loadfile('/etc/passwd') end",
        "function(t) return require('io') end",
        "function(t) return math.random() end",
        "function(t) return debug.traceback() end",
        "function(t) return package.loaded.io end",
        "function(t) print('x') return 0 end",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nef_lua *L;
        char err[300];
        int ref;
        assert_int_equal(nef_lua_new(&L, 100000, err, sizeof err), SL_OK);
        assert_int_equal(nef_lua_compile(L, bad[i], "f", &ref, err,
                                         sizeof err), SL_OK);
        double t = 0, out[1];
        size_t n;
        int rc = nef_lua_call(L, ref, &t, 1, 0, out, 1, &n, err, sizeof err);
        if (rc != SL_ECONFIG)
            print_error("sandbox let through: %s\n", bad[i]);
        assert_int_equal(rc, SL_ECONFIG);
        assert_non_null(strstr(err, "nil"));
        nef_lua_free(L);
    }
    /* a binary chunk is refused (text only) */
    nef_lua *L;
    char err[300];
    int ref;
    assert_int_equal(nef_lua_new(&L, 100000, err, sizeof err), SL_OK);
    assert_int_equal(nef_lua_compile(L, "\x1bLua", "b", &ref, err,
                                     sizeof err), SL_ECONFIG);
    nef_lua_free(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gain_bias),
        cmocka_unit_test(test_lif_rate),
        cmocka_unit_test(test_lif_traces),
        cmocka_unit_test(test_lowpass),
        cmocka_unit_test(test_tiny_decoders),
        cmocka_unit_test(test_ensemble_60),
        cmocka_unit_test(test_ensemble_300x3),
        cmocka_unit_test(test_white_signal),
        cmocka_unit_test(test_lua_functions),
        cmocka_unit_test(test_lua_budget),
        cmocka_unit_test(test_lua_sandbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
