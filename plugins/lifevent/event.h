/*
 * plugins/lifevent/event.h — the event-based LIF of specs/lif.md §5 in
 * float64: exact flow, next threshold crossing, one layer's event loop,
 * and its two exact backward passes (EventProp adjoint, analytic
 * time-to-first-spike through the crossing equations). Internal to
 * lifevent.so (prefix lev__); the component (layer.c) and the unit tests
 * (tests/test_lifevent.c, which compiles event.c in) use it.
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
#ifndef LIFEVENT_EVENT_H
#define LIFEVENT_EVENT_H

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
void lev__model_init(lev__model *m);

/* Advance (u, I) by s >= 0 seconds. */
void lev__flow(const lev__model *m, double s, double *u, double *i);

/* The PSP kernel k(s) of a unit current (see above) and its derivative. */
double lev__kernel(const lev__model *m, double s);
double lev__kernel_dot(const lev__model *m, double s);

/* Time from now to the next upward crossing of u = th from (u0, i0),
 * or INFINITY when there is none within horizon h (h may be INFINITY).
 * u0 >= th gives 0. */
double lev__next(const lev__model *m, double u0, double i0, double h);

/* Principal branch of Lambert's W on [−1/e, ∞), full double precision
 * (Halley's iteration); NaN below −1/e. */
double lev__lambert_w0(double x);

/* One input event of a sample: time (s) and source channel. */
typedef struct lev__in {
    double t;
    size_t src;
    size_t slot; /* the caller's: where the event came from (not read here) */
} lev__in;

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
long lev__forward(const lev__model *m, const float *w, size_t n,
                 const lev__in *in, size_t n_ev, lev__work *ws, lev__log *log,
                 size_t cap);

/* Backward passes over the log of lev__forward. g[e] is dL/dt of log
 * entry e for spikes (ignored for inputs). Accumulates dL/dW into gw
 * ([n_in][n], may be NULL) and writes dL/dt of each input event into
 * gin[0..n_ev) (may be NULL). lam is 2n doubles of scratch (EventProp)
 * or nothing (ttfs: g is modified, receiving the cotangents that later
 * spikes of the same neuron pass to earlier ones through the reset). */
void lev__eventprop(const lev__model *m, const float *w, size_t n,
                   const lev__in *in, size_t n_ev, const lev__log *log,
                   size_t n_log, const double *g, double *gw, double *gin,
                   double *lam);
void lev__ttfs(const lev__model *m, const float *w, size_t n, const lev__in *in,
              size_t n_ev, const lev__log *log, size_t n_log, double *g,
              double *gw, double *gin);

#endif
