/*
 * tests/test_lifevent.c — lifevent.so: the event-based LIF of
 * specs/lif.md §5. The model code (spikelab/slaux_event.h, header-only) is compiled
 * in for the reference values of §6.3 (next crossing) and §6.4
 * (EventProp), and for the finite-difference checks of both backward
 * passes through two layers; the plugin itself is loaded through the real
 * loader for its descriptor, settings, buffers, conversions and losses.
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

#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "testutil.h"
#include "spikelab/slaux_event.h"

static sl__registry *reg;

static void near(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.10g, want %.10g (rel %g)", what, got, want, rel);
}

static lev__model model(double tm, double ts, double vth, double vleak,
                       double vreset, double tmax)
{
    lev__model m = {tm, ts, vth, vleak, vreset, tmax, 0, 0};
    lev__model_init(&m);
    return m;
}

static double next_of(double tm, double ts, double v0, double i0, double vth,
                      double vleak)
{
    lev__model m = model(tm, ts, vth, vleak, -1000, 1);
    return lev__next(&m, v0 - vleak, i0, INFINITY);
}

/* §6.3: every row of the table, the special cases and the general ratio */
static void test_next_crossing_reference(void **state)
{
    (void)state;
    static const struct { double v0, i0, vth, vl, t; } rows[] = {
        {0, 3, 0.6, 0, 3.2350713e-3},   {0, 5, 1, 0, 3.2350713e-3},
        {0, 4.5, 1, 0, 4.0546511e-3},   {0, 8, 1, 0, 1.5834718e-3},
        {0, 4, 1, 0, 6.9314718e-3},     {0, 3.9, 1, 0, INFINITY},
        {0.5, 3, 1, 0, 4.0546511e-3},   {-0.5, 6, 1, 0, 4.0546511e-3},
        {0.2, 5, 1, 0.2, 2.2314355e-3}, {0.95, 0, 1, 2, 4.879016e-4},
        {0.9, 0.5, 1, 0, INFINITY},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        double t = next_of(1e-2, 5e-3, rows[r].v0, rows[r].i0, rows[r].vth,
                           rows[r].vl);
        char what[64];
        snprintf(what, sizeof what, "6.3 row %zu", r);
        if (isinf(rows[r].t))
            assert_true(isinf(t));
        else
            near(t, rows[r].t, 2e-7, what);
    }
    /* leak over threshold */
    near(next_of(1e-2, 5e-3, 0, 0, 1, 3), 4.0546511e-3, 2e-7, "lot 1");
    near(next_of(2e-2, 1e-2, 0, 0, 1, 2), 1.3862944e-2, 2e-7, "lot 2");
    /* equal constants (Lambert W) */
    near(next_of(5e-3, 5e-3, 0, 3, 0.6, 0), 1.2958555e-3, 2e-7, "single");
    near(next_of(1e-2, 1e-2, 0, 5, 1, 0), 2.5917110e-3, 2e-7, "single 2");
    /* general ratio */
    near(next_of(1e-2, 3e-3, 0, 8, 1, 0), 1.8531323e-3, 2e-7, "general");
    near(next_of(1e-2, 3e-3, 0.3, 8, 1, 0), 1.1801051e-3, 2e-7, "general 2");
    assert_true(isinf(next_of(2e-2, 5e-3, 0, 3, 1, 0)));
    /* hardware scale */
    near(next_of(12e-6, 6e-6, 0, 5, 1, 0), 3.8820856e-6, 2e-7, "hw 1");
    near(next_of(10e-6, 5e-6, 0, 5, 1, 0), 3.2350713e-6, 2e-7, "hw 2");
    near(next_of(10e-6, 10e-6, 0, 5, 1, 0), 2.5917110e-6, 2e-7, "hw 3");
    near(next_of(6e-6, 6e-6, 0, 5, 1, 0), 1.5550266e-6, 2e-7, "hw 4");
    /* the general solver agrees with the closed forms next to their
     * ratios (continuity: 1e-5 relative change of tau_syn) */
    near(next_of(1e-2, 5.00005e-3, 0, 5, 1, 0), 3.2350713e-3, 1e-4, "~2:1");
    near(next_of(1e-2, 0.999995e-2, 0, 5, 1, 0), 2.5917110e-3, 1e-4, "~1:1");
    /* above threshold already */
    assert_true(next_of(1e-2, 5e-3, 1.2, 0, 1, 0) == 0);
    /* PSP peaks per unit I0 */
    lev__model m = model(1e-2, 5e-3, 1, 0, 0, 1);
    near(lev__kernel(&m, 6.9314718e-3), 0.25, 1e-7, "peak 2:1");
    m = model(1e-2, 3e-3, 1, 0, 0, 1);
    near(lev__kernel(&m, 5.1598834e-3), 0.1790731, 1e-6, "peak 10:3");
    /* flow check (jaxsnn test) */
    m = model(1, 1, 1, 0, 0, 10);
    double u = 1, i = 1;
    lev__flow(&m, 1, &u, &i);
    near(i, 0.3678794, 1e-6, "flow I");
    near(u, 0.7357589, 1e-6, "flow V");
    /* Lambert W */
    near(lev__lambert_w0(1.0), 0.5671432904097838, 1e-14, "W(1)");
    near(lev__lambert_w0(-0.3), -0.4894022271802149, 1e-13, "W(-0.3)");
    near(lev__lambert_w0(100.0), 3.385630140290050, 1e-14, "W(100)");
}

/* jaxsnn's test_nan vector: 60 neurons, V = 0, tau 1e-2/5e-3, v_th 0.6,
 * t_max 0.02; non-spiking neurons count t_max */
static void test_next_crossing_vector(void **state)
{
    (void)state;
    static const double cur[60] = {
    0.45193174, 3.19146, 0.7908741, 1.0539854, 0.56739396, 0.7030711,
    1.3831071, 1.913287, 0.49313363, 2.508708, 2.335917, 0.42423773,
    0.9986891, 0.6763091, 0.6967824, 1.8609539, 1.0740578, 1.8261349,
    0.99030566, 2.1311684, 2.0386827, 1.0601723, 0.3659073, 1.2009021,
    2.4924612, 2.7251928, 1.5452971, 1.6464705, 1.6182272, 2.121055,
    2.5739164, 2.472322, 1.1995058, 1.9270785, 2.1202886, 1.451486,
    0.53539944, 1.2206947, 2.8484209, 0.68368566, 0.43251452, 0.5766972,
    2.637784, 1.8045906, 1.5158126, 2.9772224, 1.8381596, 2.6536105,
    1.9222406, 1.2088894, 1.0864722, 1.0823696, 1.6205056, 2.3292239,
    1.2918817, 0.657693, 1.7307178, 0.55521065, 2.3550713, 1.9288002,
    };
    lev__model m = model(1e-2, 5e-3, 0.6, 0, 0, 0.02);
    double sum = 0;
    int spiking = 0;
    for (int k = 0; k < 60; k++) {
        double t = lev__next(&m, 0, cur[k], 0.02);
        spiking += !isinf(t);
        sum += isinf(t) ? 0.02 : t;
    }
    near(sum, 1.0424548, 1e-7, "sum of times");
    assert_int_equal(spiking, 10);
}

/* One layer on one sample: the log and its spike times. */
static long run_layer(const lev__model *m, const float *w, size_t n,
                      const lev__in *in, size_t ne, lev__log *log, size_t cap)
{
    double ws_[4 * 64];
    assert_true(n <= 64);
    lev__work ws = {ws_, ws_ + n, ws_ + 2 * n, ws_ + 3 * n};
    return lev__forward(m, w, n, in, ne, &ws, log, cap);
}

/* §6.4 and the weight derivative of §6.3's first row */
static void test_eventprop_reference(void **state)
{
    (void)state;
    lev__model m = model(1e-2, 5e-3, 1, 0, -1000, 0.02);
    float w[2] = {3.0f, 2.5f};
    lev__in in[2] = {{0, 0, 0}, {1e-3, 1, 1}};
    lev__log log[8];
    long nl = run_layer(&m, w, 1, in, 2, log, 8);
    assert_int_equal(nl, 3);
    assert_int_equal(log[2].kind, 1);
    near(log[2].t, 3.2330621e-3, 1e-7, "t*");
    near(log[2].cur, 3.1709313, 1e-7, "I(t*)");
    double g[8] = {0, 0, 1}, gw[2] = {0, 0}, gin[2], lam[2];
    lev__eventprop(&m, w, 1, in, 2, log, (size_t)nl, g, gw, gin, lam);
    near(gw[0], -9.2096399e-4, 1e-7, "dL/dw1");
    near(gw[1], -7.3737043e-4, 1e-7, "dL/dw2");
    near(gin[1], 0.55242855, 1e-7, "dL/dt_in2");
    double g2[8] = {0, 0, 1}, gw2[2] = {0, 0}, gin2[2];
    lev__ttfs(&m, w, 1, in, 2, log, (size_t)nl, g2, gw2, gin2);
    near(gw2[0], -9.2096399e-4, 1e-7, "ttfs dL/dw1");
    near(gw2[1], -7.3737043e-4, 1e-7, "ttfs dL/dw2");
    near(gin2[1], 0.55242855, 1e-7, "ttfs dL/dt_in2");

    /* the derivative of t* by w for I0 = 3w (w = 1): v_th 0.6, 2:1 and 1:1 */
    static const struct { double tm, ts, t, d; } rows[] = {
        {1e-2, 5e-3, 3.2350713e-3, -6.1803399e-3},
        {5e-3, 5e-3, 1.2958555e-3, -1.7491968e-3},
    };
    for (int r = 0; r < 2; r++) {
        m = model(rows[r].tm, rows[r].ts, 0.6, 0, -1000, 0.02);
        float w1 = 3.0f;
        lev__in one = {0, 0, 0};
        nl = run_layer(&m, &w1, 1, &one, 1, log, 8);
        assert_int_equal(nl, 2);
        near(log[1].t, rows[r].t, 1e-7, "t* (3w)");
        double g1[2] = {0, 1}, gw1 = 0, lam1[2];
        lev__eventprop(&m, &w1, 1, &one, 1, log, 2, g1, &gw1, NULL, lam1);
        near(3 * gw1, rows[r].d, 1e-7, "dt*/dw eventprop");
        double g3[2] = {0, 1}, gw3 = 0;
        lev__ttfs(&m, &w1, 1, &one, 1, log, 2, g3, &gw3, NULL);
        near(3 * gw3, rows[r].d, 1e-7, "dt*/dw ttfs");
    }
}

/* ---- finite differences through two layers ---------------------------- */

#define NI 5
#define NH 12
#define NO 3
#define CAP 1024

typedef struct net2 {
    lev__model m;
    float w1[NI * NH], w2[NH * NO];
    lev__in in[NI];
    double c[NO * 8]; /* loss weights of output spike k's r-th spike */
} net2;

/* L = Σ over output spikes of c[k][r]·t, also its spike count */
static double net2_loss(const net2 *n, size_t *count)
{
    lev__log l1[CAP], l2[CAP];
    long n1 = run_layer(&n->m, n->w1, NH, n->in, NI, l1, CAP);
    assert_true(n1 >= 0);
    lev__in h[CAP];
    size_t nh = 0;
    for (long e = 0; e < n1; e++)
        if (l1[e].kind == 1)
            h[nh] = (lev__in){l1[e].t, l1[e].idx, (size_t)e}, nh++;
    long n2 = run_layer(&n->m, n->w2, NO, h, nh, l2, CAP);
    if (n2 < 0)
        fail_msg("output layer overflows: %zu hidden spikes", nh);
    double L = 0;
    size_t rk[NO] = {0};
    for (long e = 0; e < n2; e++)
        if (l2[e].kind == 1) {
            size_t k = l2[e].idx, r = rk[k]++;
            L += n->c[k * 8 + (r < 8 ? r : 7)] * l2[e].t;
        }
    *count = nh * 1000 + (size_t)(n2 - (long)nh);
    return L;
}

/* analytic gradient of net2_loss: dW1, dW2, dt_in */
static void net2_grad(const net2 *n, int ttfs, double *g1, double *g2,
                      double *gin)
{
    lev__log l1[CAP], l2[CAP];
    long n1 = run_layer(&n->m, n->w1, NH, n->in, NI, l1, CAP);
    lev__in h[CAP];
    size_t nh = 0;
    for (long e = 0; e < n1; e++)
        if (l1[e].kind == 1)
            h[nh] = (lev__in){l1[e].t, l1[e].idx, (size_t)e}, nh++;
    long n2 = run_layer(&n->m, n->w2, NO, h, nh, l2, CAP);
    if (n1 < 0 || n2 < 0)
        fail_msg("overflow: %ld %ld (%zu hidden spikes)", n1, n2, nh);
    double g[CAP] = {0}, gh[CAP] = {0}, lam[2 * NH];
    size_t rk[NO] = {0};
    for (long e = 0; e < n2; e++)
        if (l2[e].kind == 1) {
            size_t k = l2[e].idx, r = rk[k]++;
            g[e] = n->c[k * 8 + (r < 8 ? r : 7)];
        }
    if (ttfs)
        lev__ttfs(&n->m, n->w2, NO, h, nh, l2, (size_t)n2, g, g2, gh);
    else
        lev__eventprop(&n->m, n->w2, NO, h, nh, l2, (size_t)n2, g, g2, gh,
                      lam);
    double gl[CAP] = {0};
    for (size_t p = 0; p < nh; p++)
        gl[h[p].slot] = gh[p];
    if (ttfs)
        lev__ttfs(&n->m, n->w1, NH, n->in, NI, l1, (size_t)n1, gl, g1, gin);
    else
        lev__eventprop(&n->m, n->w1, NH, n->in, NI, l1, (size_t)n1, gl, g1,
                      gin, lam);
}

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Compare both backward passes with central differences of the loss
 * (weights perturbed in double through float: the weights are float, so
 * the step is a float increment; times stay double). Entries whose
 * perturbation changes the spike count are skipped; returns how many
 * entries were compared. */
static int fd_nonzero; /* compared entries whose difference is not 0 */
static int fd_check(net2 *n, const char *what)
{
    double g1[2][NI * NH], g2[2][NH * NO], gi[2][NI];
    for (int mode = 0; mode < 2; mode++) {
        memset(g1[mode], 0, sizeof g1[mode]);
        memset(g2[mode], 0, sizeof g2[mode]);
        net2_grad(n, mode, g1[mode], g2[mode], gi[mode]);
    }
    int compared = 0;
    size_t c0, cp, cm;
    net2_loss(n, &c0);
    for (int layer = 0; layer < 3; layer++) {
        size_t cnt = layer == 0 ? NI * NH : layer == 1 ? NH * NO : NI;
        for (size_t i = 0; i < cnt; i++) {
            double fd;
            if (layer < 2) {
                float *w = layer == 0 ? &n->w1[i] : &n->w2[i];
                float w0 = *w, hh = 1e-6f * (fabsf(w0) > 0.1f ? fabsf(w0) : 0.1f);
                *w = w0 + hh;
                double lp = net2_loss(n, &cp);
                *w = w0 - hh;
                double lm = net2_loss(n, &cm);
                double dw = (double)(w0 + hh) - (double)(w0 - hh);
                *w = w0;
                fd = (lp - lm) / dw;
            } else {
                double t0 = n->in[i].t, hh = 1e-6 * n->m.tau_syn;
                n->in[i].t = t0 + hh;
                double lp = net2_loss(n, &cp);
                n->in[i].t = t0 - hh;
                double lm = net2_loss(n, &cm);
                n->in[i].t = t0;
                fd = (lp - lm) / (2 * hh);
            }
            if (cp != c0 || cm != c0)
                continue;
            for (int mode = 0; mode < 2; mode++) {
                double a = layer == 0 ? g1[mode][i]
                           : layer == 1 ? g2[mode][i] : gi[mode][i];
                double scale = fabs(fd) > fabs(a) ? fabs(fd) : fabs(a);
                /* relative 1e-3; an entry that is 0 both ways (a spike
                 * it does not reach) must be 0 both ways */
                if (!(fabs(a - fd) <= 1e-3 * scale + 1e-12))
                    fail_msg("%s: %s layer %d entry %zu: analytic %.9g, "
                             "finite difference %.9g", what,
                             mode ? "ttfs" : "eventprop", layer, i, a, fd);
            }
            compared++;
            fd_nonzero += fd != 0;
        }
    }
    return compared;
}

static void net2_init(net2 *n, uint64_t seed, double m1, double s1,
                      double m2, double s2)
{
    uint64_t s = seed;
    for (int i = 0; i < NI * NH; i++) {
        double z = 0;
        for (int k = 0; k < 12; k++)
            z += urand(&s);
        n->w1[i] = (float)(m1 + s1 * (z - 6));
    }
    for (int i = 0; i < NH * NO; i++) {
        double z = 0;
        for (int k = 0; k < 12; k++)
            z += urand(&s);
        n->w2[i] = (float)(m2 + s2 * (z - 6));
    }
    double tl = 2 * n->m.tau_syn;
    for (int j = 0; j < NI; j++)
        /* the bias just after 0: at t = 0 its time derivative would be
         * one-sided (the run starts there; with v_leak != 0 the state
         * moves from t = 0 on) */
        n->in[j] = (lev__in){j == NI - 1 ? 0.05 * tl : urand(&s) * tl,
                            (size_t)j, 0};
    /* sorted by time, ties by channel (what the layer does) */
    for (int a = 1; a < NI; a++)
        for (int b = a; b > 0 && n->in[b].t < n->in[b - 1].t; b--) {
            lev__in t = n->in[b];
            n->in[b] = n->in[b - 1];
            n->in[b - 1] = t;
        }
    for (int k = 0; k < NO * 8; k++)
        n->c[k] = urand(&s) * 2 - 1;
}

static void test_gradients_fd(void **state)
{
    (void)state;
    static const struct {
        double tm, ts, vth, vleak, vreset, m1, s1, m2, s2;
        const char *what;
    } cases[] = {
        /* jaxsnn's Yin-Yang (one spike per neuron) */
        {1e-2, 5e-3, 1, 0, -1000, 3.0, 1.6, 1.5, 0.8, "2:1 single spike"},
        /* several spikes per neuron: the reset term of both passes */
        {1e-2, 5e-3, 1, 0, 0, 5.0, 2.0, 4.0, 1.5, "2:1 reset to 0"},
        {5e-3, 5e-3, 0.6, 0, 0, 1.5, 1.0, 0.4, 0.5, "1:1 reset to 0"},
        {1e-2, 3e-3, 1, 0, -0.5, 5.0, 2.0, 4.0, 1.5, "10:3 general"},
        /* v_leak != 0 (open question 3): threshold relative to leak */
        {1e-2, 5e-3, 1, 0.3, 0, 4.0, 2.0, 3.5, 1.5, "2:1 v_leak 0.3"},
        /* hardware time scale */
        {12e-6, 6e-6, 1, 0, -1000, 3.0, 1.6, 1.5, 0.8, "bss2 scale"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int total = 0;
        fd_nonzero = 0;
        for (uint64_t seed = 1; seed <= 4; seed++) {
            net2 n;
            n.m = model(cases[c].tm, cases[c].ts, cases[c].vth,
                        cases[c].vleak, cases[c].vreset, 4 * cases[c].ts);
            net2_init(&n, seed * 7919 + c, cases[c].m1, cases[c].s1,
                      cases[c].m2, cases[c].s2);
            total += fd_check(&n, cases[c].what);
        }
        print_message("%s: %d of %d entries compared, %d of them nonzero\n",
                      cases[c].what, total, 4 * (NI * NH + NH * NO + NI),
                      fd_nonzero);
        if (fd_nonzero < total / 3)
            fail_msg("%s: too few nonzero gradients", cases[c].what);
        /* the check must have compared a real share of the entries */
        if (total < 4 * (NI * NH + NH * NO) / 4)
            fail_msg("%s: only %d entries compared", cases[c].what, total);
    }
}

/* The comparison can fail: the backward passes run with the reset term
 * of the jump scaled wrong (the model's v_reset changed for the backward
 * only, the forward log unchanged) disagree with the finite differences
 * of the first layer's weights in a net whose neurons spike repeatedly,
 * while the right ones agree. */
static void test_gradients_fd_can_fail(void **state)
{
    (void)state;
    net2 n;
    n.m = model(1e-2, 5e-3, 1, 0, 0, 2e-2);
    net2_init(&n, 11, 5.0, 2.0, 4.0, 1.5);
    lev__log l1[CAP], l2[CAP];
    long n1 = run_layer(&n.m, n.w1, NH, n.in, NI, l1, CAP);
    assert_true(n1 > 0);
    size_t per[NH] = {0}, most = 0;
    for (long e = 0; e < n1; e++)
        if (l1[e].kind == 1 && ++per[l1[e].idx] > most)
            most = per[l1[e].idx];
    assert_true(most >= 2); /* several spikes per neuron: resets matter */
    lev__in h[CAP];
    size_t nh = 0;
    for (long e = 0; e < n1; e++)
        if (l1[e].kind == 1)
            h[nh] = (lev__in){l1[e].t, l1[e].idx, (size_t)e}, nh++;
    long n2 = run_layer(&n.m, n.w2, NO, h, nh, l2, CAP);
    assert_true(n2 >= 0);
    int bad[2] = {0, 0};
    for (int wrong = 0; wrong < 2; wrong++)
        for (int mode = 0; mode < 2; mode++) {
            lev__model mb = n.m;
            if (wrong)
                mb.v_reset = 0.5;
            double g[CAP] = {0}, gh[CAP] = {0}, gl[CAP] = {0}, lam[2 * NH];
            double g1[NI * NH] = {0}, g2[NH * NO] = {0}, gin[NI];
            size_t rk[NO] = {0};
            for (long e = 0; e < n2; e++)
                if (l2[e].kind == 1) {
                    size_t k = l2[e].idx, r = rk[k]++;
                    g[e] = n.c[k * 8 + (r < 8 ? r : 7)];
                }
            if (mode)
                lev__ttfs(&mb, n.w2, NO, h, nh, l2, (size_t)n2, g, g2, gh);
            else
                lev__eventprop(&mb, n.w2, NO, h, nh, l2, (size_t)n2, g, g2,
                              gh, lam);
            for (size_t p = 0; p < nh; p++)
                gl[h[p].slot] = gh[p];
            if (mode)
                lev__ttfs(&mb, n.w1, NH, n.in, NI, l1, (size_t)n1, gl, g1,
                         gin);
            else
                lev__eventprop(&mb, n.w1, NH, n.in, NI, l1, (size_t)n1, gl,
                              g1, gin, lam);
            size_t c0, cp, cm;
            net2_loss(&n, &c0);
            int compared = 0;
            for (int i = 0; i < NI * NH; i++) {
                float w0 = n.w1[i], hh = 1e-6f * fmaxf(fabsf(w0), 0.1f);
                n.w1[i] = w0 + hh;
                double lp = net2_loss(&n, &cp);
                n.w1[i] = w0 - hh;
                double lm = net2_loss(&n, &cm);
                double dw = (double)(w0 + hh) - (double)(w0 - hh);
                n.w1[i] = w0;
                if (cp != c0 || cm != c0)
                    continue;
                compared++;
                double fd = (lp - lm) / dw;
                double sc = fmax(fabs(fd), fabs(g1[i]));
                if (!(fabs(g1[i] - fd) <= 1e-3 * sc + 1e-12))
                    bad[wrong]++;
            }
            assert_true(compared > NI * NH / 2);
        }
    assert_int_equal(bad[0], 0);
    assert_true(bad[1] > 0);
}

/* ---- the plugin through the loader ------------------------------------ */

typedef struct comp {
    sl__config *cfg;
    sl_ctx ctx;
    const void *iface;
    void *self;
    size_t n_out;
} comp;

static int comp_try(comp *C, int kind, const char *name, const char *text,
                    size_t n_in)
{
    sl__err err;
    memset(C, 0, sizeof *C);
    if (sl__config_load_string(text, "test", &C->cfg, &err) != SL_OK)
        fail_msg("config \"%s\": %s", text, err.msg);
    const sl__entry *e = sl__registry_find(reg, kind, name);
    assert_non_null(e);
    sl__ctx_init(&C->ctx, C->cfg, sl__config_root(C->cfg), 42, name);
    sl_test_declare(&C->ctx, e);
    C->iface = e->comp->iface;
    if (kind == SL_KIND_NEURON) {
        sl_layer_info info = {sizeof info, n_in, 1e-3, NULL, 0};
        return ((const sl_neuron_iface *)C->iface)
            ->xCreate(&sl__host, &C->ctx, &info, &C->self, &C->n_out);
    }
    return ((const sl_loss_iface *)C->iface)
        ->xCreate(&sl__host, &C->ctx, &C->self);
}

static void comp_free(comp *C, int kind)
{
    if (C->self) {
        if (kind == SL_KIND_NEURON)
            ((const sl_neuron_iface *)C->iface)->xDestroy(C->self);
        else
            ((const sl_loss_iface *)C->iface)->xDestroy(C->self);
    }
    sl__config_free(C->cfg);
}

static void test_plugin_layer(void **state)
{
    (void)state;
    comp C;
    int rc = comp_try(&C, SL_KIND_NEURON, "lif_event",
                      "n = 1; v_reset = -1000.0; t_max = 0.02;", 2);
    if (rc)
        fail_msg("%s", C.ctx.err.msg);
    const sl_neuron_iface *L = C.iface;
    const sl_events_ext *ext = L->xExtension(C.self, SL_EXT_EVENTS);
    assert_non_null(ext);
    assert_int_equal(ext->flags, SL_EVENTS_IN | SL_EVENTS_OUT);
    sl_param p;
    size_t np;
    assert_int_equal(L->xParams(C.self, &p, 1, &np), SL_OK);
    assert_int_equal(np, 1);
    p.data[0] = 3.0f, p.data[1] = 2.5f;
    /* batch 2, 2 slots: sample 0 is §6.4 (second slot empty), sample 1
     * the same spikes given in the other channel order and slots */
    assert_int_equal(L->xPrepare(C.self, 2, 2, SL_MODE_TRAIN), SL_OK);
    float in[2 * 2 * 2] = {0.0f, 1e-3f, INFINITY, INFINITY,
                           INFINITY, 1e-3f, 0.0f, INFINITY};
    float out[2 * 2];
    rc = L->xForward(C.self, in, out);
    if (rc)
        fail_msg("%s", C.ctx.err.msg);
    near(out[0], 3.2330621e-3, 1e-6, "plugin t*");
    assert_true(isinf(out[1]));
    near(out[2], 3.2330621e-3, 1e-6, "plugin t* (slots)");
    float dout[4] = {1, 0, 1, 0}, din[8];
    memset(p.grad, 0, 2 * sizeof(float));
    assert_int_equal(L->xBackward(C.self, dout, din), SL_OK);
    near(p.grad[0], 2 * -9.2096399e-4, 1e-5, "plugin dL/dw1");
    near(p.grad[1], 2 * -7.3737043e-4, 1e-5, "plugin dL/dw2");
    near(din[1], 0.55242855, 1e-5, "plugin dL/dt_in2");
    near(din[5], 0.55242855, 1e-5, "plugin dL/dt_in2 (slot 0)");
    assert_true(din[2] == 0 && din[3] == 0);
    /* bad input: a negative or NaN time */
    in[0] = -1.0f;
    assert_int_equal(L->xForward(C.self, in, out), SL_EINVAL);
    assert_non_null(strstr(C.ctx.err.msg, "not a time"));
    comp_free(&C, SL_KIND_NEURON);

    /* v_reset at or above v_th: refused, naming the key */
    rc = comp_try(&C, SL_KIND_NEURON, "lif_event", "n = 2; v_reset = 1.0;",
                  2);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(C.ctx.err.msg, "v_reset"));
    comp_free(&C, SL_KIND_NEURON);

    /* leak over threshold: regular firing fills the buffers → error */
    rc = comp_try(&C, SL_KIND_NEURON, "lif_event",
                  "n = 1; v_leak = 3.0; max_spikes = 2; mean = 0.0; "
                  "std = 0.0;", 1);
    assert_int_equal(rc, SL_OK);
    L = C.iface;
    assert_int_equal(L->xPrepare(C.self, 1, 8, 0), SL_OK);
    float one[8] = {INFINITY, INFINITY, INFINITY, INFINITY,
                    INFINITY, INFINITY, INFINITY, INFINITY}, o8[8];
    assert_int_equal(L->xForward(C.self, one, o8), SL_ECONFIG);
    assert_non_null(strstr(C.ctx.err.msg, "max_spikes"));
    /* with room: period tau_mem·ln(3/2) (§6.3), 4 spikes before 0.02 s */
    comp_free(&C, SL_KIND_NEURON);
    rc = comp_try(&C, SL_KIND_NEURON, "lif_event",
                  "n = 1; v_leak = 3.0; mean = 0.0; std = 0.0;", 1);
    assert_int_equal(rc, SL_OK);
    L = C.iface;
    assert_int_equal(L->xPrepare(C.self, 1, 8, 0), SL_OK);
    assert_int_equal(L->xForward(C.self, one, o8), SL_OK);
    for (int k = 0; k < 4; k++)
        near(o8[k], (k + 1) * 4.0546511e-3, 1e-6, "regular firing");
    assert_true(isinf(o8[4]));
    comp_free(&C, SL_KIND_NEURON);
    /* fewer slots than one neuron's spikes: an error, not a truncation */
    rc = comp_try(&C, SL_KIND_NEURON, "lif_event",
                  "n = 1; v_leak = 3.0; max_spikes = 100; mean = 0.0; "
                  "std = 0.0;", 1);
    assert_int_equal(rc, SL_OK);
    L = C.iface;
    assert_int_equal(L->xPrepare(C.self, 1, 2, 0), SL_OK);
    assert_int_equal(L->xForward(C.self, one, o8), SL_ECONFIG);
    assert_non_null(strstr(C.ctx.err.msg, "slots"));
    comp_free(&C, SL_KIND_NEURON);
}

/* dense ↔ events: bin starts in, floor(t/dt) out (dt = 1e-3) */
static void test_plugin_dense(void **state)
{
    (void)state;
    comp C;
    int rc = comp_try(&C, SL_KIND_NEURON, "lif_event",
                      "n = 1; v_reset = -1000.0; input = \"dense\"; "
                      "output = \"dense\";", 2);
    if (rc)
        fail_msg("%s", C.ctx.err.msg);
    const sl_neuron_iface *L = C.iface;
    const sl_events_ext *ext = L->xExtension(C.self, SL_EXT_EVENTS);
    assert_int_equal(ext->flags, 0);
    sl_param p;
    size_t np;
    L->xParams(C.self, &p, 1, &np);
    p.data[0] = 3.0f, p.data[1] = 2.5f;
    assert_int_equal(L->xPrepare(C.self, 1, 10, SL_MODE_TRAIN), SL_OK);
    float in[20] = {0}, out[10];
    in[0] = 1.0f;     /* channel 0 at step 0 → t = 0 */
    in[1 * 2 + 1] = 1.0f; /* channel 1 at step 1 → t = 1e-3 */
    assert_int_equal(L->xForward(C.self, in, out), SL_OK);
    /* spike at 3.233e-3 s → step 3 */
    for (int t = 0; t < 10; t++)
        assert_true(out[t] == (t == 3 ? 1.0f : 0.0f));
    float dout[10] = {0}, din[20];
    assert_int_equal(L->xBackward(C.self, dout, din), SL_EINVAL);
    in[0] = 2.0f;
    assert_int_equal(L->xForward(C.self, in, out), SL_EINVAL);
    comp_free(&C, SL_KIND_NEURON);
}

/* losses: values and gradients by finite differences */
static void test_losses(void **state)
{
    (void)state;
    for (int ce = 0; ce < 2; ce++) {
        comp C;
        int rc = comp_try(&C, SL_KIND_LOSS, ce ? "ttfs_ce" : "ttfs_mse",
                          "tau = 1e-2;", 0);
        if (rc)
            fail_msg("%s", C.ctx.err.msg);
        const sl_loss_iface *F = C.iface;
        float t[2 * 3] = {4e-3f, 6e-3f, INFINITY, 7e-3f, 3e-2f, 5e-3f};
        float y[2 * 3] = {1, 0, 0, 0, 0, 1};
        sl_seq so = {t, 2, 1, 3, 1e-3}, sy = {y, 2, 1, 3, 1e-3};
        double v;
        float g[6];
        assert_int_equal(F->xEval(C.self, &so, &sy, &v, g), SL_OK);
        double want;
        if (!ce) {
            double a = ((4e-3 - 4.5e-3) / 1e-2), b = (6e-3 - 5.5e-3) / 1e-2,
                   c = (2e-2 - 5.5e-3) / 1e-2, d = (7e-3 - 5.5e-3) / 1e-2,
                   e = (2e-2 - 5.5e-3) / 1e-2, f = (5e-3 - 4.5e-3) / 1e-2;
            want = (a * a + b * b + c * c + d * d + e * e + f * f) / 2;
        } else {
            double s0 = log(1 + exp((4e-3 - 6e-3) / 1e-2) +
                            exp((4e-3 - 2e-2) / 1e-2));
            double s1 = log(exp((5e-3 - 7e-3) / 1e-2) +
                            exp((5e-3 - 2e-2) / 1e-2) + 1);
            want = (s0 + s1) / 2;
        }
        near(v, want, 1e-6, ce ? "ce value" : "mse value");
        assert_true(g[2] == 0 && g[4] == 0); /* clipped: no gradient */
        for (int i = 0; i < 6; i++) {
            if (i == 2 || i == 4)
                continue;
            float t0 = t[i], hh = 1e-6f;
            double vp, vm;
            t[i] = t0 + hh;
            F->xEval(C.self, &so, &sy, &vp, NULL);
            t[i] = t0 - hh;
            F->xEval(C.self, &so, &sy, &vm, NULL);
            double dt = (double)(t0 + hh) - (double)(t0 - hh);
            t[i] = t0;
            near(g[i], (vp - vm) / dt, 2e-3, "loss gradient");
        }
        comp_free(&C, SL_KIND_LOSS);
    }
}

static int setup(void **state)
{
    (void)state;
    reg = sl_test_load_plugin("lifevent", NULL);
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(reg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_crossing_reference),
        cmocka_unit_test(test_next_crossing_vector),
        cmocka_unit_test(test_eventprop_reference),
        cmocka_unit_test(test_gradients_fd),
        cmocka_unit_test(test_gradients_fd_can_fail),
        cmocka_unit_test(test_plugin_layer),
        cmocka_unit_test(test_plugin_dense),
        cmocka_unit_test(test_losses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
