/*
 * spikelab/slaux_event.h — the event-based LIF of specs/lif.md §5 in
 * float64: exact flow, next threshold crossing, one layer's event loop,
 * and its two exact backward passes (EventProp adjoint, analytic
 * time-to-first-spike through the crossing equations). A helper, not part
 * of the plugin ABI: header-only (static inline), as slaux_mt19937.h, so
 * that lifevent.so (the lif_event layer), bss2.so (its event mode: the
 * emulated chip integrates with the same solver) and the unit tests use
 * one copy. Names keep lifevent's prefix lev__.
 *
 * Model, in units of the membrane (voltage units, seconds):
 *   tau_mem·dV/dt = −(V − v_leak) + I,   tau_syn·dI/dt = −I;
 *   an input spike of source j adds W[j][i] to I_i; V crossing v_th from
 *   below is a spike, after which V = v_reset. State is kept relative to
 *   the leak, u = V − v_leak, threshold θ' = v_th − v_leak. V(0) = 0,
 *   I(0) = 0 (jaxsnn's initial state).
 * Flow over s (exact): I(s) = I·e^(−s/tau_syn),
 *   u(s) = u·e^(−s/tau_mem) + I·k(s),
 *   k(s) = tau_syn/(tau_mem − tau_syn)·(e^(−s/tau_mem) − e^(−s/tau_syn))
 *   (written with expm1 so that tau_mem close to tau_syn loses nothing),
 *   k(s) = (s/tau)·e^(−s/tau) for equal constants.
 */
#ifndef SPIKELAB_SLAUX_EVENT_H
#define SPIKELAB_SLAUX_EVENT_H

#include <float.h>
#include <math.h>
#include <stddef.h>

enum { LEV_GENERAL = 0, LEV_DOUBLE = 1, LEV_SINGLE = 2 };

typedef struct lev__model {
    double tau_mem, tau_syn; /* s, > 0 */
    double v_th, v_leak, v_reset; /* v_reset < v_th */
    double t_max;                 /* s: end of the run (events at >= t_max are none) */
    int kind; /* LEV_*: set by lev__model_init from the time constants */
    double th; /* v_th − v_leak */
} lev__model;

/* Fills kind and th. tau_mem = 2·tau_syn and tau_mem = tau_syn (relative
 * 1e-9) take the closed forms of §5.2/§5.3, any other ratio §5.4. */

/* Advance (u, I) by s >= 0 seconds. */

/* The PSP kernel k(s) of a unit current (see above) and its derivative. */

/* Time from now to the next upward crossing of u = th from (u0, i0),
 * or INFINITY when there is none within horizon h (h may be INFINITY).
 * u0 >= th gives 0. */

/* One input event of a sample: time (s) and source channel. */
typedef struct lev__in {
    double t;
    size_t src;
    size_t slot; /* the caller's: where the event came from (not read here) */
} lev__in;

/* qsort order of input events: by time, then source, then slot, so that
 * simultaneous events are processed in one fixed order */
static inline int lev__in_cmp(const void *a_, const void *b_)
{
    const lev__in *a = (const lev__in *)a_, *b = (const lev__in *)b_;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return a->slot < b->slot ? -1 : a->slot > b->slot;
}

/* One entry of a layer's event log in processing order: an input event
 * (kind 0, idx = position in the sorted input array) or a spike (kind 1,
 * idx = neuron, cur = I of that neuron at the spike, needed by both
 * backward passes). */
typedef struct lev__log {
    double t;
    double cur;
    unsigned kind;
    size_t idx;
} lev__log;

/* Work space of one layer of n neurons. */
typedef struct lev__work {
    double *u, *i, *tl, *nx; /* n each: state at time tl, next absolute crossing */
} lev__work;

/* Run one layer over one sample (§5.1, feed-forward form): w is [n_in][n]
 * (row = source), in[0..n_ev) sorted by time (ties: the order given),
 * every time finite. Writes the processed events to log (cap entries);
 * returns the number written, or −1 when the layer would spike more than
 * cap − n_ev times (the room the inputs leave). Spikes are the log
 * entries of kind 1, in time order. Ties: an input before a spike at the
 * same time; of two spikes at once the lower index first (§7 Q4). */

/* Backward passes over the log of lev__forward. g[e] is dL/dt of log
 * entry e for spikes (ignored for inputs). Accumulates dL/dW into gw
 * ([n_in][n], may be NULL) and writes dL/dt of each input event into
 * gin[0..n_ev) (may be NULL). lam is 2n doubles of scratch (EventProp)
 * or nothing (ttfs: g is modified, receiving the cotangents that later
 * spikes of the same neuron pass to earlier ones through the reset). */

/*
 * Implementation (header-only, static inline: lifevent.so and bss2.so
 * each compile this one copy). Next crossing: the closed forms of jaxsnn's
 * ttfs_double_time (§5.2) and ttfs_single_time (§5.3, Lambert W to full
 * precision by Halley's iteration instead of 5 fixed-point steps), and
 * for any other ratio the bracketed, safeguarded Newton of §5.4 (jaxsnn's
 * unbracketed Newton can land on the falling crossing or step over a
 * narrow peak).
 *
 * The event loop (§5.1) keeps each neuron's state at the time it last
 * changed and its next crossing as an absolute time: an input changes
 * every neuron's current (all are advanced and re-solved), a spike
 * changes only the spiking neuron (only it is re-solved), so a layer of n
 * neurons with s spikes costs O(n·inputs + s·n) instead of O(n) crossings
 * per event.
 *
 * Backward passes over the event log (both exact for this forward, so
 * they agree with each other and with finite differences of the spike
 * times; tests/test_lifevent.c checks both):
 *  - EventProp (§5.5, as jaxsnn): the adjoint (λ_V, λ_I) flowed backward
 *    between events; at a spike of k with stored current I and cotangent
 *    g: λ_V[k] += (g + (v_th − v_reset)·λ_V[k])/(I − θ'), θ' = v_th −
 *    v_leak (jaxsnn writes I − v_th: v_leak = 0 there); at an input from
 *    j: dL/dW[j][i] += −tau_syn·λ_I[i], dL/dt_in += Σ_i W[j][i]·(λ_V[i] −
 *    λ_I[i]).
 *  - "ttfs": the analytic time-to-first-spike gradient through the
 *    crossing equation. Spike e of neuron k solves
 *      F = u0·e^(−t/τm) + Σ_{inputs j before e} W[j][k]·k(t − t_j)
 *          + Σ_{own spikes r before e} (v_reset − v_th)·e^(−(t − t_r)/τm)
 *          − θ' = 0,
 *    so dt_e/dp = −(∂F/∂p)/(∂F/∂t) with ∂F/∂t = (I(t_e) − θ')/τm; the
 *    reset terms pass each spike's cotangent on to the neuron's earlier
 *    spikes (processed in reverse time order).
 * Denominators I − θ' are kept at least 1e-6 in magnitude (jaxsnn's
 * guard): at a tangential crossing the true gradient is infinite.
 */
static inline void lev__model_init(lev__model *m)
{
    double r = m->tau_mem / m->tau_syn;
    m->kind = LEV_GENERAL;
    if (fabs(r - 2.0) <= 2e-9) {
        m->kind = LEV_DOUBLE;
        m->tau_syn = 0.5 * m->tau_mem;
    } else if (fabs(r - 1.0) <= 1e-9) {
        m->kind = LEV_SINGLE;
        m->tau_syn = m->tau_mem;
    }
    m->th = m->v_th - m->v_leak;
}

static inline double lev__kernel(const lev__model *m, double s)
{
    double tm = m->tau_mem, ts = m->tau_syn;
    if (m->kind == LEV_SINGLE)
        return s / tm * exp(-s / tm);
    return -ts / (tm - ts) * exp(-s / tm) * expm1(-s * (tm - ts) / (tm * ts));
}

static inline double lev__kernel_dot(const lev__model *m, double s)
{
    return (exp(-s / m->tau_syn) - lev__kernel(m, s)) / m->tau_mem;
}

static inline void lev__flow(const lev__model *m, double s, double *u, double *i)
{
    if (s <= 0)
        return;
    *u = *u * exp(-s / m->tau_mem) + *i * lev__kernel(m, s);
    *i *= exp(-s / m->tau_syn);
}

/* Principal branch of Lambert's W on [−1/e, ∞), full double precision
 * (Halley's iteration); NaN below −1/e. */

static inline double lev__lambert_w0(double x)
{
    const double em1 = 0.36787944117144233; /* 1/e */
    if (!(x >= -em1))
        return NAN;
    if (x == 0)
        return 0;
    double w;
    if (x < -0.25) { /* series at the branch point */
        double p = sqrt(2.0 * (2.718281828459045 * x + 1.0)); /* e */
        w = -1.0 + p - p * p / 3.0 + 11.0 / 72.0 * p * p * p;
    } else if (x < 3.0) {
        w = log1p(x);
        w = w * (1.0 - 0.3 * w / (1.0 + w)); /* rough, Halley fixes it */
    } else {
        double l = log(x);
        w = l - log(l);
    }
    for (int it = 0; it < 64; it++) {
        double ew = exp(w), f = w * ew - x;
        double wp1 = w + 1.0;
        if (wp1 == 0)
            break;
        double d = f / (ew * wp1 - (w + 2.0) * f / (2.0 * wp1));
        w -= d;
        if (fabs(d) <= 4 * DBL_EPSILON * (1.0 + fabs(w)))
            break;
    }
    return w;
}

/* u(t) − th and du/dt from (u0, i0). */
static inline double lev__f_at(const lev__model *m, double u0, double i0, double t,
                   double *dfdt)
{
    double u = u0, i = i0;
    lev__flow(m, t, &u, &i);
    if (dfdt)
        *dfdt = (i - u) / m->tau_mem;
    return u - m->th;
}

/* Root of f in [lo, hi] with f(lo) < 0 <= f(hi): Newton, bisection
 * whenever a step leaves the bracket or the slope is not positive. */
static inline double lev__solve(const lev__model *m, double u0, double i0, double lo,
                    double hi)
{
    const double tol = 1e-12 * m->tau_mem;
    double t = hi;
    for (int it = 0; it < 200; it++) {
        double fp, f = lev__f_at(m, u0, i0, t, &fp);
        if (f == 0)
            return t;
        if (f > 0)
            hi = t;
        else
            lo = t;
        double tn = fp > 0 ? t - f / fp : NAN;
        if (!(tn > lo && tn < hi))
            tn = 0.5 * (lo + hi);
        if (fabs(tn - t) < tol || hi - lo < tol)
            return tn;
        t = tn;
    }
    return hi;
}

static inline double lev__next_general(const lev__model *m, double u0, double i0,
                           double h)
{
    double tm = m->tau_mem, ts = m->tau_syn, th = m->th;
    if (fabs(i0) < DBL_MIN) {
        if (th < 0) { /* leak over threshold: u → 0 > th */
            double t = tm * log(u0 / th);
            return t <= h ? t : INFINITY;
        }
        return INFINITY;
    }
    double tpk = -1;
    if (i0 > 0) {
        if (m->kind == LEV_SINGLE) {
            tpk = tm * (1.0 - u0 / i0);
        } else {
            double arg = i0 * tm / (u0 * (tm - ts) + i0 * ts);
            if (arg > 0)
                tpk = tm * ts / (tm - ts) * log(arg);
        }
    }
    if (tpk > 0) {
        double T = tpk < h ? tpk : h;
        if (lev__f_at(m, u0, i0, T, NULL) >= 0)
            return lev__solve(m, u0, i0, 0, T);
    }
    if (th < 0) {
        double T = tm;
        while (lev__f_at(m, u0, i0, T, NULL) < 0 && T < h && T < 1e300)
            T *= 2;
        if (T > h)
            T = h;
        if (lev__f_at(m, u0, i0, T, NULL) < 0)
            return INFINITY;
        return lev__solve(m, u0, i0, 0, T);
    }
    return INFINITY;
}

static inline double lev__next_double(const lev__model *m, double u0, double i0, double h)
{
    double th = m->th;
    if (fabs(i0) < DBL_MIN) {
        if (th < 0) {
            double t = m->tau_mem * (log(-u0) - log(-th));
            return t <= h ? t : INFINITY;
        }
        return INFINITY;
    }
    double a1 = -i0, a2 = u0 + i0, d = -th;
    double disc = a2 * a2 - 4.0 * a1 * d;
    if (disc < 0)
        return INFINITY;
    double sq = sqrt(disc), r;
    if (a2 >= 0) {
        double den = a2 + sq;
        if (den == 0)
            return INFINITY;
        r = -2.0 * a1 / den;
    } else {
        if (d == 0)
            return INFINITY;
        r = (sq - a2) / (2.0 * d);
    }
    if (!(r > 1.0))
        return INFINITY;
    double t = m->tau_mem * log(r);
    return t <= h ? t : INFINITY;
}

static inline double lev__next_single(const lev__model *m, double u0, double i0, double h)
{
    if (!(i0 > 0))
        return lev__next_general(m, u0, i0, h);
    double warg = -(m->th / i0) * exp(-u0 / i0);
    if (warg < -0.36787944117144233)
        return INFINITY;
    double s = -u0 / i0 - lev__lambert_w0(warg);
    if (!(s > 0))
        return INFINITY;
    double t = m->tau_mem * s;
    return t <= h ? t : INFINITY;
}

static inline double lev__next(const lev__model *m, double u0, double i0, double h)
{
    if (u0 >= m->th)
        return 0;
    switch (m->kind) {
    case LEV_DOUBLE:
        return lev__next_double(m, u0, i0, h);
    case LEV_SINGLE:
        return lev__next_single(m, u0, i0, h);
    default:
        return lev__next_general(m, u0, i0, h);
    }
}

static inline long lev__forward(const lev__model *m, const float *w, size_t n,
                 const lev__in *in, size_t n_ev, lev__work *ws, lev__log *log,
                 size_t cap)
{
    double *u = ws->u, *cur = ws->i, *tl = ws->tl, *nx = ws->nx;
    const double tmax = m->t_max, ureset = m->v_reset - m->v_leak;
    for (size_t k = 0; k < n; k++) {
        u[k] = -m->v_leak; /* V(0) = 0 */
        cur[k] = 0;
        tl[k] = 0;
        nx[k] = lev__next(m, u[k], 0, tmax);
    }
    size_t p = 0, nl = 0;
    if (cap < n_ev)
        return -1;
    for (;;) {
        size_t kmin = 0;
        double tk = INFINITY;
        for (size_t k = 0; k < n; k++)
            if (nx[k] < tk) {
                tk = nx[k];
                kmin = k;
            }
        double tin = p < n_ev ? in[p].t : INFINITY;
        if (tin < tmax && tin <= tk) {
            if (nl == cap)
                return -1;
            const float *row = w + in[p].src * n;
            for (size_t k = 0; k < n; k++) {
                lev__flow(m, tin - tl[k], &u[k], &cur[k]);
                tl[k] = tin;
                cur[k] += row[k];
                nx[k] = tin + lev__next(m, u[k], cur[k], tmax - tin);
            }
            log[nl].t = tin; /* member by member: C and C++ */
            log[nl].cur = 0;
            log[nl].kind = 0;
            log[nl++].idx = p;
            p++;
        } else if (tk < tmax) {
            if (nl - p >= cap - n_ev) /* the rest is the inputs' */
                return -1;
            lev__flow(m, tk - tl[kmin], &u[kmin], &cur[kmin]);
            tl[kmin] = tk;
            log[nl].t = tk;
            log[nl].cur = cur[kmin];
            log[nl].kind = 1;
            log[nl++].idx = kmin;
            u[kmin] = ureset;
            nx[kmin] = tk + lev__next(m, ureset, cur[kmin], tmax - tk);
        } else {
            break;
        }
    }
    return (long)nl;
}

static inline double lev__guard(double den)
{
    if (fabs(den) < 1e-6)
        return den < 0 ? -1e-6 : 1e-6;
    return den;
}

static inline void lev__eventprop(const lev__model *m, const float *w, size_t n,
                   const lev__in *in, size_t n_ev, const lev__log *log,
                   size_t n_log, const double *g, double *gw, double *gin,
                   double *lam)
{
    double *lv = lam, *li = lam + n;
    const double tm = m->tau_mem, ts = m->tau_syn;
    (void)n_ev;
    for (size_t k = 0; k < 2 * n; k++)
        lam[k] = 0;
    double tcur = n_log ? log[n_log - 1].t : 0;
    for (size_t e = n_log; e-- > 0;) {
        double s = tcur - log[e].t;
        if (s > 0) {
            double em = exp(-s / tm), es = exp(-s / ts);
            double kk = tm / ts * lev__kernel(m, s);
            for (size_t k = 0; k < n; k++) {
                double v = lv[k];
                lv[k] = v * em;
                li[k] = li[k] * es + v * kk;
            }
        }
        tcur = log[e].t;
        if (log[e].kind == 1) {
            size_t k = log[e].idx;
            lv[k] += (g[e] + (m->v_th - m->v_reset) * lv[k]) /
                     lev__guard(log[e].cur - m->th);
        } else {
            size_t p = log[e].idx, j = in[p].src;
            const float *row = w + j * n;
            double acc = 0;
            for (size_t k = 0; k < n; k++) {
                if (gw)
                    gw[j * n + k] += -ts * li[k];
                acc += row[k] * (lv[k] - li[k]);
            }
            if (gin)
                gin[p] = acc;
        }
    }
}

static inline void lev__ttfs(const lev__model *m, const float *w, size_t n, const lev__in *in,
              size_t n_ev, const lev__log *log, size_t n_log, double *g,
              double *gw, double *gin)
{
    const double tm = m->tau_mem;
    if (gin)
        for (size_t p = 0; p < n_ev; p++)
            gin[p] = 0;
    for (size_t e = n_log; e-- > 0;) {
        if (log[e].kind != 1 || g[e] == 0)
            continue;
        size_t k = log[e].idx;
        double te = log[e].t;
        double c = -g[e] * tm / lev__guard(log[e].cur - m->th);
        for (size_t q = 0; q < e; q++) {
            double s = te - log[q].t;
            if (log[q].kind == 0) {
                size_t p = log[q].idx, j = in[p].src;
                if (gw)
                    gw[j * n + k] += c * lev__kernel(m, s);
                if (gin)
                    gin[p] += -c * (double)w[j * n + k] *
                              lev__kernel_dot(m, s);
            } else if (log[q].idx == k) {
                g[q] += c * (m->v_reset - m->v_th) / tm * exp(-s / tm);
            }
        }
    }
}

#endif
