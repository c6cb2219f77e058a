/* plugins/nef/nef.h — the Neural Engineering Framework as Nengo does it
 * (../shared/specs/nef.md): ensembles of LIF neurons, decoded connections
 * with functions, nodes, Lowpass synapses, probes and PES, simulated step
 * by step in float64 in the order of spec §6.
 *
 *   dist.c   NumPy's legacy RandomState draws, QuasirandomSequence,
 *            ScatteredHypersphere (with its incomplete-beta table),
 *            WhiteSignal
 *   ens.c    LIF/LIFRate, gain and bias, ensemble build, LstsqL2 decoders
 *   fn.c     user functions: named built-ins and sandboxed Lua
 *   model.c  the model group of an experiment → nef_model, checked
 *   sim.c    build (decoders, node tables) and the time step
 *   plugin.c the "nef" component and its sl.simulate.v1 extension
 * Names are nef_ (internal to this .so; only spikelab_plugin_init is
 * exported). */
#ifndef SL_PLUGIN_NEF_H
#define SL_PLUGIN_NEF_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <spikelab/abi.h>
#include <spikelab/slaux_mt19937.h>

/* ---- NumPy RandomState (legacy) ----------------------------------- */
typedef struct nef_rs {
    slaux_mt mt;
    double gauss;
    int has_gauss;
} nef_rs;

void nef_rs_seed(nef_rs *r, uint32_t seed);
double nef_rs_double(nef_rs *r);                        /* rand() */
double nef_rs_uniform(nef_rs *r, double lo, double hi); /* uniform */
double nef_rs_gauss(nef_rs *r);                         /* standard_normal */
uint32_t nef_rs_interval(nef_rs *r, uint32_t max);      /* [0, max] */
uint32_t nef_rs_seed_draw(nef_rs *r);                   /* randint(2^31-1) */
/* shuffle the n rows (of d doubles each) of x in place */
void nef_rs_shuffle(nef_rs *r, double *x, size_t n, size_t d);

/* QuasirandomSequence().sample(n, d) into z[n][d]; SL_ENOMEM. */
int nef_quasirandom(nef_rs *r, size_t n, size_t d, double *z);
/* ScatteredHypersphere(surface).sample(n, d) into x[n][d] (sct-approx);
 * SL_ENOMEM, SL_ENUMERIC (SVD failed). */
int nef_scattered(nef_rs *r, int surface, size_t n, size_t d, double *x);
/* The regularised incomplete beta I_w(a, 1/2) (spec §3) and Nengo's
 * interpolated inverse table for a = k/2 (sct-approx). */
double nef_betainc_half(double a, double w);
double nef_betaincinv_table(unsigned k, double y);

/* WhiteSignal(period, high, rms) of dims d from RandomState(seed): the
 * period's samples out[L][d], L = 2*ceil(period/dt/2) (*len). *out is
 * malloc'd (free). SL_EINVAL when high < 1/period or high > 0.5/dt. */
int nef_white_signal(uint32_t seed, double period, double high, double rms,
                     size_t d, double dt, double **out, size_t *len);

/* ---- LIF ----------------------------------------------------------- */
typedef struct nef_lif {
    double tau_rc, tau_ref, amplitude, min_voltage;
} nef_lif;

#define NEF_LIF_DEFAULT {0.02, 0.002, 1.0, 0.0}

double nef_lif_rate(const nef_lif *p, double j); /* LIFRate, Hz */
/* gain/bias from max rate and intercept; SL_EINVAL when m >= 1/tau_ref or
 * the gain is not finite and positive */
int nef_gain_bias(const nef_lif *p, double max_rate, double intercept,
                  double *gain, double *bias);
/* One LIF step of n neurons with input J (spec §2): v, ref updated; out[i]
 * = amplitude/dt or 0; returns the number of spikes, their indices in
 * spiked[] (may be NULL). The arrays must not overlap. */
size_t nef_lif_step(const nef_lif *p, double dt, size_t n,
                    const double *restrict j, double *restrict v,
                    double *restrict ref, double *restrict out,
                    uint32_t *restrict spiked);

/* The step loop is compiled twice (sim.c: for AVX2 and for the x86-64
 * baseline); what it calls is inlined into both. */
#define NEF_INLINE static inline __attribute__((always_inline))
NEF_INLINE size_t nef_lif_step_inline(const nef_lif *p, double dt, size_t n,
                                      const double *restrict j,
                                      double *restrict v,
                                      double *restrict ref,
                                      double *restrict out,
                                      uint32_t *restrict spiked)
{
    /* Two passes, so that the common case is a branch-free loop the
     * compiler vectorises (SL_VEC_CFLAGS), with the same arithmetic as one
     * scalar pass of Nengo's update (spec §2), bit for bit:
     *   1. every neuron as if it were out of its refractory period for the
     *      whole step (Δ = dt: e = expm1(-dt/tau_rc), one call for all) or
     *      refractory for the whole step (Δ <= 0: e = -0.0, v kept). A
     *      neuron that spikes, or whose refractory period ends inside the
     *      step (0 < Δ < dt), is marked by out[i] = 1 and its v left as it
     *      was (v and j are all pass 2 needs; ref already holds r).
     *   2. the marked neurons alone, in index order: the partial step's
     *      expm1, the spike's sub-step time (log1p), the reset. */
    const double full = expm1(-dt / p->tau_rc);
    const double spike = p->amplitude / dt;
    const double vmin = p->min_voltage;
    for (size_t i = 0; i < n; i++) {
        double r = ref[i] - dt;
        double delta = dt - r;
        double e = delta >= dt ? full : -0.0;
        double vo = v[i], vi = vo - (j[i] - vo) * e;
        int mark = ((delta < dt) & (delta > 0.0)) | (vi > 1.0);
        double vc = vi < vmin ? vmin : vi;
        v[i] = mark ? vo : vc;
        ref[i] = r;
        out[i] = mark ? 1.0 : 0.0;
    }
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i] == 0.0)
            continue;
        double r = ref[i], delta = dt - r;
        double e = delta >= dt ? full : expm1(-delta / p->tau_rc);
        double ji = j[i], vi = v[i] - (ji - v[i]) * e;
        if (vi > 1.0) {
            double ts = dt + p->tau_rc * log1p(-(vi - 1.0) / (ji - 1.0));
            out[i] = spike;
            v[i] = 0.0;
            ref[i] = p->tau_ref + ts;
            if (spiked)
                spiked[ns] = (uint32_t)i;
            ns++;
        } else {
            out[i] = 0.0;
            v[i] = vi < vmin ? vmin : vi;
        }
    }
    return ns;
}

/* ---- ensembles ------------------------------------------------------ */
typedef struct nef_ens {
    char *name;
    char key[40];       /* "ensembles.[i]" for messages */
    size_t n, d;        /* neurons, dimensions */
    double radius;
    double max_rate_lo, max_rate_hi, icpt_lo, icpt_hi;
    int64_t seed;       /* -1: from the network seed */
    int64_t n_eval;     /* 0: Nengo's default */
    nef_lif lif;
    /* built */
    uint32_t used_seed;
    double *eval;       /* [n_eval][d], scaled by the radius */
    double *enc;        /* [n][d] unit encoders */
    double *max_rates, *intercepts, *gain, *bias;
    double *enc_scaled; /* [d][n] enc * gain / radius, by dimension (the
                           step's input loop runs along neurons) */
    double *rates;      /* A = [n_eval][n], rates at the eval points */
    double a_max;       /* max(A) */
    double *chol;       /* Cholesky factor of AᵀA + λI, kept for every
                           decoder solved from this ensemble */
    double chol_reg;
    /* state */
    double *v, *ref, *j, *a, *x, *nin;
    uint32_t *spiked;
    size_t n_spiked;
} nef_ens;

/* Default number of eval points (spec §3). */
size_t nef_default_n_eval(size_t n, size_t d);
/* Draw eval points, encoders, rates, intercepts; compute gain/bias and the
 * activity matrix; initial state from RandomState(seed + 1). e->n, d,
 * radius, ranges, lif, n_eval set. SL_ENOMEM / SL_EINVAL (gain). */
int nef_ens_build(nef_ens *e, uint32_t seed);
void nef_ens_free(nef_ens *e);

/* LstsqL2 (reg) decoders for targets y[n_eval][m] from activities
 * a[n_eval][n]: dec[n][m] (per neuron, row-major; Nengo's decoders
 * transposed). SL_ENUMERIC when A is all zeros or the solve fails. */
int nef_lstsq_l2(const double *a, size_t n_eval, size_t n, const double *y,
                 size_t m, double reg, double *dec);

/* The same, for an ensemble's activities, its factorisation computed once
 * and kept (every connection and probe from it shares A). */
int nef_ens_solve(nef_ens *e, const double *y, size_t m, double reg,
                  double *dec);
int nef_gram_chol(const double *a, size_t ne, size_t n, double lam,
                  double *g);
int nef_chol_solve(const double *g, const double *a, size_t ne, size_t n,
                   const double *y, size_t m, double *dec);

/* ---- user functions -------------------------------------------------- */
typedef struct nef_lua nef_lua; /* one sandboxed Lua state per model */

/* budget: instructions per call (0: the default 1e6) */
int nef_lua_new(nef_lua **out, int64_t budget, char *err, size_t errlen);
void nef_lua_free(nef_lua *L);
/* Compile `src` (an expression evaluating to a function, e.g.
 * "function(t) return t end"); *ref identifies it. */
int nef_lua_compile(nef_lua *L, const char *src, const char *what, int *ref,
                    char *err, size_t errlen);
/* Call function ref with a number (t) or a vector (x, n values); the
 * result, a number or a list of numbers, into out (capacity cap), its
 * length in *len. Errors (Lua error, budget, not numbers) into err. */
int nef_lua_call(nef_lua *L, int ref, const double *arg, size_t n_arg,
                 int vector_arg, double *out, size_t cap, size_t *len,
                 char *err, size_t errlen);
/* The results function: called with no argument; the probe helpers are
 * given by the caller as the probe table. Returns name/value pairs through
 * emit. */
typedef struct nef_probe_data {
    const char *name;
    size_t dims, steps;
    double dt;
    const double *data; /* [steps][dims] */
} nef_probe_data;
int nef_lua_results(nef_lua *L, int ref, const nef_probe_data *p, size_t n,
                    int (*emit)(void *u, const char *name, double v),
                    void *u, char *err, size_t errlen);

#endif

/* ---- the model -------------------------------------------------------- */
enum { NEF_REF_ENS = 1, NEF_REF_NEURONS, NEF_REF_NODE, NEF_REF_RULE };

typedef struct nef_ref {
    int kind;      /* NEF_REF_* */
    size_t idx;    /* ensemble, node or connection index */
    size_t lo, hi; /* dimension slice [lo, hi) */
} nef_ref;

enum { NEF_NODE_CONST = 1, NEF_NODE_WHITE, NEF_NODE_SCHEDULE, NEF_NODE_LUA };

typedef struct nef_piece {
    double from, to;
    double *value; /* [d] */
} nef_piece;

typedef struct nef_node {
    char *name;
    char key[40];  /* "nodes.[i]" for messages */
    int kind;
    size_t d;
    double *value; /* constant, or a schedule's value outside its pieces */
    double period, high, rms;
    int64_t seed;  /* -1: from the network seed */
    nef_piece *pieces;
    size_t n_pieces;
    int lua_ref;
    /* built */
    double *table; /* [len][d]: output at step n is row (n - 1) % len, or
                      n % len for WhiteSignal (white = 1) */
    size_t len;
    int white;
    const double *u; /* this step's output (a row of table) */
} nef_node;

enum { NEF_FN_IDENTITY = 1, NEF_FN_ZERO, NEF_FN_RANDOM, NEF_FN_LUA };
enum { NEF_T_NONE = 0, NEF_T_SCALAR, NEF_T_MATRIX, NEF_T_FILL };

typedef struct nef_conn {
    char *name;    /* NULL when unnamed */
    char key[40];  /* "connections.[i]" */
    nef_ref pre, post;
    int fn, lua_ref;
    int tkind;
    double scalar; /* SCALAR and FILL */
    double *mat;   /* MATRIX [d_out][d_mid] */
    size_t n_mat;
    double tau;    /* synapse, s (> 0) */
    int pes;
    double kappa, tau_pre;
    size_t d_mid, d_out, n_pre;
    /* built */
    double fa, fb;   /* Lowpass coefficients */
    double pa;       /* PES pre filter coefficient */
    double *W;       /* ensemble pre: [n_pre][d_out] (W = T·decoders,
                        transposed); node pre: NULL (T applied directly) */
    double *y, *w;   /* [d_out] */
    double *abar, *delta, *e; /* PES: [n_pre], [n_pre][d_out], [d_out] */
    int has_delta;
    uint32_t seed;
} nef_conn;

typedef struct nef_probe {
    char *name;
    char key[40];
    nef_ref target;    /* ensemble (decoded, all dims) or node */
    double tau;        /* 0: no synapse */
    size_t d;
    double fa, fb;
    double *dec;       /* ensemble: identity decoders [n][d] */
    double *y, *w;     /* [d] */
} nef_probe;

typedef struct nef_model {
    nef_ens *ens;
    size_t n_ens;
    nef_node *nodes;
    size_t n_nodes;
    nef_conn *conns;
    size_t n_conns;
    nef_probe *probes;
    size_t n_probes;
    nef_lua *lua;
    int results_ref;   /* 0: none */
    double reg;        /* LstsqL2 regularisation */
    /* run */
    double dt;
    uint64_t step;     /* steps done */
    uint64_t n_steps;  /* steps the node tables cover */
} nef_model;

/* Build: seeds (Nengo's order from the network seed), ensembles,
 * decoders, node tables for n_steps steps. Errors name the object in
 * msg. */
int nef_model_build(nef_model *m, uint32_t net_seed, double dt,
                    uint64_t n_steps, char *msg, size_t msglen,
                    const char **key);
/* Run n steps; out[p] receives n rows of probe p's d values (may be NULL:
 * not recorded). */
void nef_model_run(nef_model *m, uint64_t n, double *const *out);
void nef_model_free(nef_model *m);
