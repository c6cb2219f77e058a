/* plugins/nef/sim.c — build a model (seeds, ensembles, decoders, node
 * tables) and run it step by step in the order of spec §6, which
 * reproduces Nengo's reference simulator. float64 throughout, as Nengo.
 *
 * The time loop makes no allocation and no indirect call: node outputs
 * (Lua included) are tables filled at build, spikes are gathered as an
 * index list so W·a only touches the columns of neurons that spiked
 * (their activity is amplitude/dt, the others exactly 0, so the sum is
 * Nengo's to the order of additions), and a PES update whose error is
 * exactly 0 is exactly 0 and skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nef.h"

static size_t ref_dims(const nef_model *m, const nef_ref *r)
{
    return r->hi - r->lo;
    (void)m;
}

static int fill_node(nef_model *m, nef_node *nd, uint32_t seed,
                     uint64_t n_steps, char *msg, size_t len)
{
    size_t d = nd->d;
    if (nd->kind == NEF_NODE_WHITE) {
        int rc = nef_white_signal(nd->seed >= 0 ? (uint32_t)nd->seed : seed,
                                  nd->period, nd->high, nd->rms, d, m->dt,
                                  &nd->table, &nd->len);
        if (rc == SL_EINVAL)
            snprintf(msg, len, "white_signal needs 1/period <= high <= "
                     "0.5/dt (period %g s, high %g Hz, dt %g s)", nd->period,
                     nd->high, m->dt);
        nd->white = 1;
        return rc;
    }
    if (nd->kind == NEF_NODE_CONST) {
        nd->table = malloc(d * sizeof(double));
        if (!nd->table)
            return SL_ENOMEM;
        memcpy(nd->table, nd->value, d * sizeof(double));
        nd->len = 1;
        return SL_OK;
    }
    nd->len = n_steps ? n_steps : 1;
    nd->table = malloc(nd->len * d * sizeof(double));
    if (!nd->table)
        return SL_ENOMEM;
    for (uint64_t n = 1; n <= nd->len; n++) {
        double t = (double)n * m->dt, *row = nd->table + (n - 1) * d;
        if (nd->kind == NEF_NODE_SCHEDULE) {
            double tau = nd->period > 0 ? fmod(t, nd->period) : t;
            const double *v = nd->value;
            for (size_t p = 0; p < nd->n_pieces; p++)
                if (nd->pieces[p].from < tau && tau < nd->pieces[p].to) {
                    v = nd->pieces[p].value;
                    break;
                }
            memcpy(row, v, d * sizeof(double));
            continue;
        }
        size_t got;
        char e[256];
        int rc = nef_lua_call(m->lua, nd->lua_ref, &t, 1, 0, row, d, &got, e,
                              sizeof e);
        if (!rc && got != d) {
            snprintf(e, sizeof e, "returned %zu values, expected %zu", got,
                     d);
            rc = SL_ECONFIG;
        }
        if (rc) {
            snprintf(msg, len, "output function at t = %g s: %s", t, e);
            return rc;
        }
    }
    return SL_OK;
}

/* Targets of a decoded connection at the eval points: y[n_eval][d_mid]. */
static int targets(nef_model *m, nef_conn *c, const nef_ens *e, double *y,
                   char *msg, size_t len)
{
    size_t ne = (size_t)e->n_eval, dm = c->d_mid;
    size_t lo = c->pre.lo, w = c->pre.hi - c->pre.lo;
    nef_rs rs;
    if (c->fn == NEF_FN_RANDOM)
        nef_rs_seed(&rs, c->seed);
    for (size_t p = 0; p < ne; p++) {
        const double *x = e->eval + p * e->d + lo;
        double *yp = y + p * dm;
        if (c->fn == NEF_FN_IDENTITY) {
            memcpy(yp, x, w * sizeof(double));
        } else if (c->fn == NEF_FN_ZERO) {
            memset(yp, 0, dm * sizeof(double));
        } else if (c->fn == NEF_FN_RANDOM) {
            for (size_t k = 0; k < dm; k++)
                yp[k] = nef_rs_double(&rs);
        } else {
            size_t got;
            char er[256];
            int rc = nef_lua_call(m->lua, c->lua_ref, x, w, 1, yp, dm, &got,
                                  er, sizeof er);
            if (!rc && got != dm) {
                snprintf(er, sizeof er, "returned %zu values at one eval "
                         "point and %zu at the first", got, dm);
                rc = SL_ECONFIG;
            }
            if (rc) {
                snprintf(msg, len, "function at eval point %zu: %s", p, er);
                return rc;
            }
        }
    }
    return SL_OK;
}

static double lowpass_a(double tau, double dt) { return exp(-dt / tau); }

int nef_model_build(nef_model *m, uint32_t net_seed, double dt,
                    uint64_t n_steps, char *msg, size_t len, const char **key)
{
    m->dt = dt;
    m->n_steps = n_steps;
    m->step = 0;
    *key = NULL;
    /* Nengo's seeds: one randint(2^31-1) per object from
     * RandomState(network seed), by type (Connection, Ensemble, Network,
     * Node, Probe) and creation order; an own seed takes precedence */
    nef_rs rs;
    nef_rs_seed(&rs, net_seed);
    for (size_t i = 0; i < m->n_conns; i++)
        m->conns[i].seed = nef_rs_seed_draw(&rs);
    uint32_t *ens_seed = malloc((m->n_ens + 1) * sizeof(uint32_t));
    uint32_t *node_seed = malloc((m->n_nodes + 1) * sizeof(uint32_t));
    if (!ens_seed || !node_seed) {
        free(ens_seed);
        free(node_seed);
        return SL_ENOMEM;
    }
    for (size_t i = 0; i < m->n_ens; i++)
        ens_seed[i] = nef_rs_seed_draw(&rs);
    for (size_t i = 0; i < m->n_nodes; i++)
        node_seed[i] = nef_rs_seed_draw(&rs);
    int rc = SL_OK;
    for (size_t i = 0; !rc && i < m->n_ens; i++) {
        nef_ens *e = &m->ens[i];
        uint32_t s = e->seed >= 0 ? (uint32_t)e->seed : ens_seed[i];
        rc = nef_ens_build(e, s);
        if (rc == SL_EINVAL)
            snprintf(msg, len, "ensemble '%s': a max rate >= 1/tau_ref or "
                     "an intercept >= 1 gives no valid gain", e->name);
        if (rc)
            *key = e->key;
    }
    for (size_t i = 0; !rc && i < m->n_nodes; i++) {
        rc = fill_node(m, &m->nodes[i], node_seed[i], n_steps, msg, len);
        if (rc)
            *key = m->nodes[i].key;
    }
    free(ens_seed);
    free(node_seed);
    if (rc)
        return rc;
    for (size_t i = 0; i < m->n_conns; i++) {
        nef_conn *c = &m->conns[i];
        *key = c->key;
        c->fa = lowpass_a(c->tau, dt);
        c->fb = 1.0 - c->fa;
        c->y = calloc(c->d_out, sizeof(double));
        c->w = calloc(c->d_out, sizeof(double));
        if (!c->y || !c->w)
            return SL_ENOMEM;
        if (c->pre.kind != NEF_REF_ENS)
            continue;
        const nef_ens *e = &m->ens[c->pre.idx];
        size_t n = e->n, ne = (size_t)e->n_eval, dm = c->d_mid;
        c->n_pre = n;
        double *y = malloc(ne * dm * sizeof(double));
        double *dec = malloc(n * dm * sizeof(double));
        c->W = calloc(n * c->d_out, sizeof(double));
        if (!y || !dec || !c->W) {
            free(y);
            free(dec);
            return SL_ENOMEM;
        }
        rc = targets(m, c, e, y, msg, len);
        if (!rc && c->fn == NEF_FN_ZERO)
            memset(dec, 0, n * dm * sizeof(double));
        else if (!rc && (rc = nef_ens_solve(&m->ens[c->pre.idx], y, dm,
                                            m->reg, dec)))
            snprintf(msg, len, "solving the decoders from ensemble '%s' "
                     "failed (%s)", e->name,
                     e->a_max > 0 ? "Cholesky" : "no neuron is active at "
                                                 "any eval point");
        free(y);
        if (rc) {
            free(dec);
            return rc;
        }
        /* W = T·decoders, kept per neuron: W[q][o] */
        for (size_t q = 0; q < n; q++)
            for (size_t o = 0; o < c->d_out; o++) {
                double s;
                switch (c->tkind) {
                case NEF_T_NONE: s = dec[q * dm + o]; break;
                case NEF_T_SCALAR: s = c->scalar * dec[q * dm + o]; break;
                case NEF_T_FILL:
                    s = 0.0;
                    for (size_t k = 0; k < dm; k++)
                        s += c->scalar * dec[q * dm + k];
                    break;
                default:
                    s = 0.0;
                    for (size_t k = 0; k < dm; k++)
                        s += c->mat[o * dm + k] * dec[q * dm + k];
                }
                c->W[q * c->d_out + o] = s;
            }
        free(dec);
        if (c->pes) {
            c->pa = lowpass_a(c->tau_pre, dt);
            c->abar = calloc(n, sizeof(double));
            c->delta = calloc(n * c->d_out, sizeof(double));
            c->e = calloc(c->d_out, sizeof(double));
            if (!c->abar || !c->delta || !c->e)
                return SL_ENOMEM;
        }
    }
    for (size_t i = 0; i < m->n_probes; i++) {
        nef_probe *p = &m->probes[i];
        *key = p->key;
        p->d = ref_dims(m, &p->target);
        p->fa = p->tau > 0 ? lowpass_a(p->tau, dt) : 0.0;
        p->fb = 1.0 - p->fa;
        p->y = calloc(p->d, sizeof(double));
        p->w = calloc(p->d, sizeof(double));
        if (!p->y || !p->w)
            return SL_ENOMEM;
        if (p->target.kind != NEF_REF_ENS)
            continue;
        /* an ensemble probe is a decoded connection without a function */
        nef_ens *e = &m->ens[p->target.idx];
        p->dec = malloc(e->n * e->d * sizeof(double));
        if (!p->dec)
            return SL_ENOMEM;
        if ((rc = nef_ens_solve(e, e->eval, e->d, m->reg, p->dec))) {
            snprintf(msg, len, "solving the decoders of ensemble '%s' "
                     "failed", e->name);
            return rc;
        }
    }
    *key = NULL;
    return SL_OK;
}

/* w = Σ_{i spiked} W[i]·a_i */
NEF_INLINE void decode(const nef_ens *e, const double *W, size_t d_out,
                       double *w)
{
    memset(w, 0, d_out * sizeof(double));
    for (size_t s = 0; s < e->n_spiked; s++) {
        size_t i = e->spiked[s];
        const double *wi = W + i * d_out;
        double ai = e->a[i];
        for (size_t o = 0; o < d_out; o++)
            w[o] += wi[o] * ai;
    }
}

NEF_INLINE void node_weighted(const nef_conn *c, const nef_node *nd,
                              double *w)
{
    const double *u = nd->u + c->pre.lo;
    size_t din = c->pre.hi - c->pre.lo;
    switch (c->tkind) {
    case NEF_T_NONE:
        memcpy(w, u, c->d_out * sizeof(double));
        break;
    case NEF_T_SCALAR:
        for (size_t o = 0; o < c->d_out; o++)
            w[o] = c->scalar * u[o];
        break;
    case NEF_T_FILL:
        for (size_t o = 0; o < c->d_out; o++) {
            double s = 0.0;
            for (size_t k = 0; k < din; k++)
                s += c->scalar * u[k];
            w[o] = s;
        }
        break;
    default:
        for (size_t o = 0; o < c->d_out; o++) {
            double s = 0.0;
            for (size_t k = 0; k < din; k++)
                s += c->mat[o * din + k] * u[k];
            w[o] = s;
        }
    }
}

NEF_INLINE void run_body(nef_model *m, uint64_t steps, double *const *out)
{
    const double dt = m->dt;
    for (uint64_t it = 0; it < steps; it++) {
        uint64_t n = ++m->step;
        /* 1 nodes */
        for (size_t k = 0; k < m->n_nodes; k++) {
            nef_node *nd = &m->nodes[k];
            size_t row = nd->white ? (size_t)(n % nd->len)
                         : nd->len == 1 ? 0
                         : (size_t)((n - 1) < nd->len ? n - 1 : nd->len - 1);
            nd->u = nd->table + row * nd->d;
        }
        /* 2 ensemble inputs from the filter states of step n-1 */
        for (size_t k = 0; k < m->n_ens; k++) {
            nef_ens *e = &m->ens[k];
            memset(e->x, 0, e->d * sizeof(double));
            memset(e->nin, 0, e->n * sizeof(double));
        }
        for (size_t i = 0; i < m->n_conns; i++) {
            const nef_conn *c = &m->conns[i];
            if (c->post.kind == NEF_REF_ENS) {
                double *x = m->ens[c->post.idx].x + c->post.lo;
                for (size_t o = 0; o < c->d_out; o++)
                    x[o] += c->y[o];
            } else if (c->post.kind == NEF_REF_NEURONS) {
                double *x = m->ens[c->post.idx].nin;
                for (size_t o = 0; o < c->d_out; o++)
                    x[o] += c->y[o];
            }
        }
        /* 3 currents and neurons */
        for (size_t k = 0; k < m->n_ens; k++) {
            nef_ens *e = &m->ens[k];
            const size_t d = e->d, nn = e->n;
            /* per neuron s = Σ_q enc_scaled·x in the order q = 0, 1, ...
             * (as Nengo's dot product), computed dimension by dimension
             * so that each pass is a vectorisable loop along neurons */
            double *restrict jj = e->j;
            for (size_t i = 0; i < nn; i++)
                jj[i] = 0.0;
            for (size_t q = 0; q < d; q++) {
                const double *restrict col = e->enc_scaled + q * nn;
                const double xq = e->x[q];
                for (size_t i = 0; i < nn; i++)
                    jj[i] += col[i] * xq;
            }
            for (size_t i = 0; i < nn; i++)
                jj[i] = e->bias[i] + jj[i] + e->gain[i] * e->nin[i];
            e->n_spiked = nef_lif_step_inline(&e->lif, dt, e->n, e->j, e->v,
                                              e->ref, e->a, e->spiked);
        }
        /* 4 learning: the update of step n-1 */
        for (size_t i = 0; i < m->n_conns; i++) {
            nef_conn *c = &m->conns[i];
            if (!c->pes || !c->has_delta)
                continue;
            const size_t nw = c->n_pre * c->d_out;
            for (size_t q = 0; q < nw; q++)
                c->W[q] += c->delta[q];
        }
        /* 5 weighted inputs of every connection */
        for (size_t i = 0; i < m->n_conns; i++) {
            nef_conn *c = &m->conns[i];
            if (c->pre.kind == NEF_REF_ENS)
                decode(&m->ens[c->pre.idx], c->W, c->d_out, c->w);
            else
                node_weighted(c, &m->nodes[c->pre.idx], c->w);
        }
        /* 6 PES: error from the filter states of step n-1 */
        for (size_t i = 0; i < m->n_conns; i++) {
            nef_conn *c = &m->conns[i];
            if (!c->pes)
                continue;
            const nef_ens *e = &m->ens[c->pre.idx];
            const double pa = c->pa, pb = 1.0 - pa;
            for (size_t q = 0; q < c->n_pre; q++)
                c->abar[q] = pa * c->abar[q] + pb * e->a[q];
            memset(c->e, 0, c->d_out * sizeof(double));
            for (size_t j = 0; j < m->n_conns; j++) {
                const nef_conn *ec = &m->conns[j];
                if (ec->post.kind == NEF_REF_RULE && ec->post.idx == i)
                    for (size_t o = 0; o < c->d_out; o++)
                        c->e[o] += ec->y[o];
            }
            int any = 0;
            for (size_t o = 0; o < c->d_out; o++)
                any |= c->e[o] != 0.0;
            c->has_delta = any;
            if (!any)
                continue;
            const double scale = -(c->kappa * dt / (double)c->n_pre);
            for (size_t q = 0; q < c->n_pre; q++) {
                const double aq = c->abar[q];
                double *dq = c->delta + q * c->d_out;
                for (size_t o = 0; o < c->d_out; o++)
                    dq[o] = scale * c->e[o] * aq;
            }
        }
        /* 8 probes (before 7: a filtered probe reads y_{n-1}) */
        for (size_t p = 0; p < m->n_probes; p++) {
            nef_probe *pr = &m->probes[p];
            const double *src;
            if (pr->target.kind == NEF_REF_NODE) {
                src = m->nodes[pr->target.idx].u + pr->target.lo;
            } else {
                decode(&m->ens[pr->target.idx], pr->dec, pr->d, pr->w);
                src = pr->w;
            }
            if (pr->tau > 0) {
                if (out && out[p])
                    memcpy(out[p] + it * pr->d, pr->y, pr->d * sizeof(double));
                for (size_t q = 0; q < pr->d; q++)
                    pr->y[q] = pr->fa * pr->y[q] + pr->fb * src[q];
            } else if (out && out[p]) {
                memcpy(out[p] + it * pr->d, src, pr->d * sizeof(double));
            }
        }
        /* 7 synapses */
        for (size_t i = 0; i < m->n_conns; i++) {
            nef_conn *c = &m->conns[i];
            for (size_t o = 0; o < c->d_out; o++)
                c->y[o] = c->fa * c->y[o] + c->fb * c->w[o];
        }
    }
}

/* The step loop twice: for AVX2 (4 doubles per vector) and for the
 * x86-64 baseline (SSE2, 2), the AVX2 one taken when the CPU has it and
 * SPIKELAB_NO_AVX2 is not set (as lif.so does). Both give the same bits:
 * -ffp-contract=off forbids fused multiply-adds in both (the avx2 target
 * does not include FMA), every vectorised loop is element-wise, and no
 * floating-point sum is reordered (no -ffast-math); tests/wide.sh runs
 * both demos with both and compares. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SL_NO_WIDE)
__attribute__((target("avx2"))) static void run_avx2(nef_model *m,
                                                     uint64_t steps,
                                                     double *const *out)
{
    run_body(m, steps, out);
}

static void run_base(nef_model *m, uint64_t steps, double *const *out)
{
    run_body(m, steps, out);
}

void nef_model_run(nef_model *m, uint64_t steps, double *const *out)
{
    static int wide = -1;
    if (wide < 0) {
        const char *no = getenv("SPIKELAB_NO_AVX2");
        __builtin_cpu_init();
        wide = __builtin_cpu_supports("avx2") && !(no && *no && *no != '0');
    }
    if (wide)
        run_avx2(m, steps, out);
    else
        run_base(m, steps, out);
}
#else
void nef_model_run(nef_model *m, uint64_t steps, double *const *out)
{
    run_body(m, steps, out);
}
#endif

void nef_model_free(nef_model *m)
{
    for (size_t i = 0; i < m->n_ens; i++)
        nef_ens_free(&m->ens[i]);
    for (size_t i = 0; i < m->n_nodes; i++) {
        nef_node *nd = &m->nodes[i];
        free(nd->name);
        free(nd->value);
        free(nd->table);
        for (size_t p = 0; p < nd->n_pieces; p++)
            free(nd->pieces[p].value);
        free(nd->pieces);
    }
    for (size_t i = 0; i < m->n_conns; i++) {
        nef_conn *c = &m->conns[i];
        free(c->name);
        free(c->mat);
        free(c->W);
        free(c->y);
        free(c->w);
        free(c->abar);
        free(c->delta);
        free(c->e);
    }
    for (size_t i = 0; i < m->n_probes; i++) {
        free(m->probes[i].name);
        free(m->probes[i].dec);
        free(m->probes[i].y);
        free(m->probes[i].w);
    }
    free(m->ens);
    free(m->nodes);
    free(m->conns);
    free(m->probes);
    nef_lua_free(m->lua);
    memset(m, 0, sizeof *m);
}
