/* plugins/nef/ens.c — LIF and LIFRate, gain and bias, the build of an
 * ensemble and LstsqL2 decoders (spec §2-§4). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nef.h"

double nef_lif_rate(const nef_lif *p, double j)
{
    if (!(j > 1.0))
        return 0.0;
    return p->amplitude / (p->tau_ref + p->tau_rc * log1p(1.0 / (j - 1.0)));
}

int nef_gain_bias(const nef_lif *p, double max_rate, double intercept,
                  double *gain, double *bias)
{
    if (!(max_rate < 1.0 / p->tau_ref))
        return SL_EINVAL;
    double z = 1.0 / (1.0 - exp((p->tau_ref - 1.0 / max_rate) / p->tau_rc));
    double g = (1.0 - z) / (intercept - 1.0);
    if (!(g > 0) || !isfinite(g))
        return SL_EINVAL;
    *gain = g;
    *bias = 1.0 - g * intercept;
    return SL_OK;
}

size_t nef_lif_step(const nef_lif *p, double dt, size_t n,
                    const double *restrict j, double *restrict v,
                    double *restrict ref, double *restrict out,
                    uint32_t *restrict spiked)
{
    return nef_lif_step_inline(p, dt, n, j, v, ref, out, spiked);
}

size_t nef_default_n_eval(size_t n, size_t d)
{
    size_t e = 500 * d;
    if (e < 750)
        e = 750;
    if (e > 2500)
        e = 2500;
    return e > 2 * n ? e : 2 * n;
}

void nef_ens_free(nef_ens *e)
{
    free(e->eval);
    free(e->enc);
    free(e->max_rates);
    free(e->intercepts);
    free(e->gain);
    free(e->bias);
    free(e->enc_scaled);
    free(e->rates);
    free(e->v);
    free(e->ref);
    free(e->j);
    free(e->a);
    free(e->x);
    free(e->nin);
    free(e->spiked);
    free(e->chol);
    free(e->name);
    memset(e, 0, sizeof *e);
}

int nef_ens_build(nef_ens *e, uint32_t seed)
{
    size_t n = e->n, d = e->d;
    if (e->n_eval <= 0)
        e->n_eval = (int64_t)nef_default_n_eval(n, d);
    size_t ne = (size_t)e->n_eval;
    e->used_seed = seed;
    e->eval = malloc(sizeof(double) * ne * d);
    e->enc = malloc(sizeof(double) * n * d);
    e->max_rates = malloc(sizeof(double) * n);
    e->intercepts = malloc(sizeof(double) * n);
    e->gain = malloc(sizeof(double) * n);
    e->bias = malloc(sizeof(double) * n);
    e->enc_scaled = malloc(sizeof(double) * n * d);
    e->rates = malloc(sizeof(double) * ne * n);
    e->v = calloc(n, sizeof(double));
    e->ref = calloc(n, sizeof(double));
    e->j = calloc(n, sizeof(double));
    e->a = calloc(n, sizeof(double));
    e->x = calloc(d, sizeof(double));
    e->nin = calloc(n, sizeof(double));
    e->spiked = calloc(n, sizeof(uint32_t));
    if (!e->eval || !e->enc || !e->max_rates || !e->intercepts ||
        !e->gain || !e->bias || !e->enc_scaled || !e->rates || !e->v ||
        !e->ref || !e->j || !e->a || !e->x || !e->nin || !e->spiked)
        return SL_ENOMEM;
    nef_rs rs;
    nef_rs_seed(&rs, seed);
    int rc;
    if ((rc = nef_scattered(&rs, 0, ne, d, e->eval)) ||
        (rc = nef_scattered(&rs, 1, n, d, e->enc)))
        return rc;
    for (size_t i = 0; i < ne * d; i++)
        e->eval[i] *= e->radius;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += e->enc[i * d + k] * e->enc[i * d + k];
        s = sqrt(s);
        for (size_t k = 0; k < d; k++)
            e->enc[i * d + k] /= s;
    }
    for (size_t i = 0; i < n; i++)
        e->max_rates[i] = nef_rs_uniform(&rs, e->max_rate_lo, e->max_rate_hi);
    for (size_t i = 0; i < n; i++)
        e->intercepts[i] = nef_rs_uniform(&rs, e->icpt_lo, e->icpt_hi);
    for (size_t i = 0; i < n; i++) {
        if ((rc = nef_gain_bias(&e->lif, e->max_rates[i], e->intercepts[i],
                                &e->gain[i], &e->bias[i])))
            return rc;
        for (size_t k = 0; k < d; k++)
            e->enc_scaled[k * n + i] = e->enc[i * d + k] *
                                       (e->gain[i] / e->radius);
    }
    /* A[p][i] = r(gain_i (ep_p·e_i)/radius + bias_i); the dot products
     * as one product (eval · encᵀ) */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ne, (int)n,
                (int)d, 1.0, e->eval, (int)d, e->enc, (int)d, 0.0, e->rates,
                (int)n);
    e->a_max = 0.0;
    for (size_t p = 0; p < ne; p++) {
        double *ap = e->rates + p * n;
        for (size_t i = 0; i < n; i++) {
            double r = nef_lif_rate(&e->lif, e->gain[i] * (ap[i] / e->radius)
                                                 + e->bias[i]);
            ap[i] = r;
            if (r > e->a_max)
                e->a_max = r;
        }
    }
    nef_rs rs1;
    nef_rs_seed(&rs1, seed + 1u);
    for (size_t i = 0; i < n; i++)
        e->v[i] = nef_rs_double(&rs1);
    return SL_OK;
}

/* LAPACK in column-major order on the row-major buffers, without
 * LAPACKE's transposing copies: the upper triangle of a row-major G is
 * the lower triangle of the same bytes read column-major. */
int nef_gram_chol(const double *a, size_t ne, size_t n, double lam,
                  double *g)
{
    /* G = AᵀA (upper triangle, row-major) + λI, then its Cholesky factor */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)ne, 1.0,
                a, (int)n, 0.0, g, (int)n);
    for (size_t i = 0; i < n; i++)
        g[i * n + i] += lam;
    return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (int)n, g, (int)n)
               ? SL_ENUMERIC : SL_OK;
}

int nef_chol_solve(const double *g, const double *a, size_t ne, size_t n,
                   const double *y, size_t m, double *dec)
{
    /* decᵀ (column-major n × m) = G⁻¹ AᵀY */
    double *bt = malloc(n * m * sizeof(double));
    if (!bt)
        return SL_ENOMEM;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)n, (int)m,
                (int)ne, 1.0, a, (int)n, y, (int)m, 0.0, bt, (int)n);
    int rc = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (int)n, (int)m, g, (int)n,
                            bt, (int)n) ? SL_ENUMERIC : SL_OK;
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t c = 0; c < m; c++)
            dec[i * m + c] = bt[c * n + i];
    free(bt);
    return rc;
}

int nef_lstsq_l2(const double *a, size_t ne, size_t n, const double *y,
                 size_t m, double reg, double *dec)
{
    double amax = 0.0;
    for (size_t i = 0; i < ne * n; i++)
        if (a[i] > amax)
            amax = a[i];
    if (!(amax > 0))
        return SL_ENUMERIC;
    double sigma = reg * amax, lam = (double)ne * sigma * sigma;
    int rc = SL_OK;
    if (ne >= n) {
        /* primal: (AᵀA + λI) X = AᵀY, X = [n][m] */
        double *g = malloc(n * n * sizeof(double));
        if (!g)
            return SL_ENOMEM;
        rc = nef_gram_chol(a, ne, n, lam, g);
        if (!rc)
            rc = nef_chol_solve(g, a, ne, n, y, m, dec);
        free(g);
        return rc;
    }
    /* dual: X = Aᵀ (AAᵀ + λI)⁻¹ Y */
    double *g = calloc(ne * ne + ne * m, sizeof(double));
    if (!g)
        return SL_ENOMEM;
    double *b = g + ne * ne;
    for (size_t p = 0; p < ne; p++)
        for (size_t q = p; q < ne; q++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += a[p * n + i] * a[q * n + i];
            g[p * ne + q] = g[q * ne + p] = s;
        }
    for (size_t p = 0; p < ne; p++)
        g[p * ne + p] += lam;
    memcpy(b, y, ne * m * sizeof(double));
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (int)ne, g, (int)ne) ||
        LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (int)ne, (int)m, g, (int)ne, b,
                       (int)m)) {
        rc = SL_ENUMERIC;
    } else {
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < m; c++) {
                double s = 0.0;
                for (size_t p = 0; p < ne; p++)
                    s += a[p * n + i] * b[p * m + c];
                dec[i * m + c] = s;
            }
    }
    free(g);
    return rc;
}

int nef_ens_solve(nef_ens *e, const double *y, size_t m, double reg,
                  double *dec)
{
    size_t ne = (size_t)e->n_eval, n = e->n;
    if (ne < n || reg != e->chol_reg || !e->chol) {
        if (ne < n)
            return nef_lstsq_l2(e->rates, ne, n, y, m, reg, dec);
        if (!(e->a_max > 0))
            return SL_ENUMERIC;
        if (!e->chol && !(e->chol = malloc(n * n * sizeof(double))))
            return SL_ENOMEM;
        double sigma = reg * e->a_max;
        int rc = nef_gram_chol(e->rates, ne, n, (double)ne * sigma * sigma,
                               e->chol);
        if (rc) {
            free(e->chol);
            e->chol = NULL;
            return rc;
        }
        e->chol_reg = reg;
    }
    return nef_chol_solve(e->chol, e->rates, ne, n, y, m, dec);
}
