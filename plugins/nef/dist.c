/* plugins/nef/dist.c — NumPy's legacy RandomState draws and the
 * distributions Nengo builds ensembles from (spec §3), and WhiteSignal
 * (spec §7). Written from the spec; the draw order is Nengo's so that a
 * seeded ensemble is the same ensemble (tests/test_nef.c, spec §10). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nef.h"

void nef_rs_seed(nef_rs *r, uint32_t seed)
{
    slaux_mt_seed(&r->mt, seed);
    r->has_gauss = 0;
    r->gauss = 0.0;
}

double nef_rs_double(nef_rs *r) { return slaux_mt_double(&r->mt); }

double nef_rs_uniform(nef_rs *r, double lo, double hi)
{
    return lo + (hi - lo) * slaux_mt_double(&r->mt);
}

double nef_rs_gauss(nef_rs *r)
{
    return slaux_mt_gauss(&r->mt, &r->gauss, &r->has_gauss);
}

uint32_t nef_rs_interval(nef_rs *r, uint32_t max)
{
    if (max == 0)
        return 0;
    uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t v;
    while ((v = slaux_mt_next(&r->mt) & mask) > max)
        ;
    return v;
}

uint32_t nef_rs_seed_draw(nef_rs *r)
{
    uint32_t v;
    while ((v = slaux_mt_next(&r->mt) & 0x7FFFFFFFu) > 0x7FFFFFFEu)
        ;
    return v;
}

void nef_rs_shuffle(nef_rs *r, double *x, size_t n, size_t d)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = nef_rs_interval(r, (uint32_t)i);
        if (j == i)
            continue;
        for (size_t k = 0; k < d; k++) {
            double t = x[i * d + k];
            x[i * d + k] = x[j * d + k];
            x[j * d + k] = t;
        }
    }
}

int nef_quasirandom(nef_rs *r, size_t n, size_t d, double *z)
{
    double s[64];
    if (d == 0 || d > 64)
        return SL_EINVAL;
    for (size_t k = 0; k < d; k++)
        s[k] = nef_rs_uniform(r, 0.0, 1.0);
    if (d == 1) {
        double step = 1.0 / (double)n;
        for (size_t i = 0; i < n; i++)
            z[i] = fmod(s[0] + step * (double)i, 1.0);
    } else {
        /* g: the root of x^(d+1) = x + 1 (Newton from 1, as Nengo) */
        double g = 1.0;
        for (int it = 0; it < 100; it++) {
            double dx = (pow(g, (double)(d + 1)) - g - 1.0) /
                        ((double)(d + 1) * pow(g, (double)d) - 1.0);
            g -= dx;
            if (fabs(dx) < 1e-10)
                break;
        }
        double ginv = 1.0 / g, alpha[64];
        for (size_t k = 0; k < d; k++)
            alpha[k] = pow(ginv, (double)(k + 1));
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < d; k++)
                z[i * d + k] = fmod(s[k] + (double)(i + 1) * alpha[k], 1.0);
    }
    nef_rs_shuffle(r, z, n, d);
    return SL_OK;
}

/* ---- incomplete beta I_w(a, 1/2) and the sct-approx table ----------- */

double nef_betainc_half(double a, double w)
{
    if (w <= 0)
        return 0.0;
    if (w >= 1)
        return 1.0;
    double lB = lgamma(a) + lgamma(0.5) - lgamma(a + 0.5);
    if (w <= 0.5) {
        /* Σ c_j w^(a+j)/(a+j), c_{j+1} = c_j (j+1/2)/(j+1) */
        double c = 1.0, wp = pow(w, a), sum = 0.0;
        for (int j = 0; j < 2000; j++) {
            double term = c * wp / (a + j);
            sum += term;
            if (term < 1e-18 * sum)
                break;
            c *= (j + 0.5) / (j + 1.0);
            wp *= w;
        }
        return sum * exp(-lB);
    }
    double u = 1.0 - w, d = 1.0, up = sqrt(u), sum = 0.0;
    for (int j = 0; j < 2000; j++) {
        double term = d * up / (0.5 + j);
        sum += term;
        if (fabs(term) < 1e-18 * fabs(sum))
            break;
        d *= (j + 1.0 - a) / (j + 1.0);
        up *= u;
    }
    return 1.0 - sum * exp(-lB);
}

/* The exact inverse in w of I_w(a, 1/2) = y, by bisection (I is
 * increasing in w). */
static double betaincinv_half(double a, double y)
{
    if (y <= 0)
        return 0.0;
    if (y >= 1)
        return 1.0;
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (nef_betainc_half(a, mid) < y)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

#define NEF_TAB_N 200
#define NEF_TAB_K 25

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int built;
    size_t n;
    double x[NEF_TAB_N + 40], y[NEF_TAB_N + 40];
} beta_table;

/* Built once per k on first use; the plugin builds models on one thread
 * (the engine runs one model per session at a time), and a table is a
 * pure function of k, so two builders would write the same values. */
static beta_table tables[NEF_TAB_K + 1];

static void build_table(unsigned k, beta_table *t)
{
    double a = k / 2.0, x[NEF_TAB_N];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        x[n++] = i / 39.0;
    for (int i = 0; i < 160; i++) {
        double w = 1e-16 + (1 - 1e-7 - 1e-16) * i / 159.0;
        if (i == 159)
            w = 1 - 1e-7;
        x[n++] = nef_betainc_half(a, w);
    }
    qsort(x, n, sizeof x[0], cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || x[i] != t->x[m - 1])
            t->x[m++] = x[i];
    for (size_t i = 0; i < m; i++)
        t->y[i] = betaincinv_half(a, t->x[i]);
    t->n = m;
    t->built = 1;
}

double nef_betaincinv_table(unsigned k, double y)
{
    if (k == 0 || k > NEF_TAB_K)
        return betaincinv_half(k / 2.0, y);
    beta_table *t = &tables[k];
    if (!t->built)
        build_table(k, t);
    /* np.interp */
    if (y <= t->x[0])
        return t->y[0];
    if (y >= t->x[t->n - 1])
        return t->y[t->n - 1];
    size_t lo = 0, hi = t->n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->x[mid] <= y)
            lo = mid;
        else
            hi = mid;
    }
    double slope = (t->y[hi] - t->y[lo]) / (t->x[hi] - t->x[lo]);
    return slope * (y - t->x[lo]) + t->y[lo];
}

/* R = U·Vᵀ of M = standard_normal((d, d)) (NumPy's svd returns Vᵀ as v,
 * Nengo multiplies u by it). */
static int random_orthogonal(nef_rs *r, size_t d, double *rot)
{
    size_t dd = d * d;
    double *m = malloc(sizeof(double) * (4 * dd + d + 8 * d));
    if (!m)
        return SL_ENOMEM;
    double *u = m + dd, *vt = u + dd, *sv = vt + dd, *sup = sv + d;
    for (size_t i = 0; i < dd; i++)
        m[i] = nef_rs_gauss(r);
    int info = (int)LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (int)d,
                                   (int)d, m, (int)d, sv, u, (int)d, vt,
                                   (int)d, sup);
    if (info == 0)
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t k = 0; k < d; k++)
                    s += u[i * d + k] * vt[k * d + j];
                rot[i * d + j] = s;
            }
    free(m);
    return info == 0 ? SL_OK : SL_ENUMERIC;
}

int nef_scattered(nef_rs *r, int surface, size_t n, size_t d, double *x)
{
    int rc;
    if (d == 1 && surface) {
        if ((rc = nef_quasirandom(r, n, 1, x)))
            return rc;
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] - 0.5 > 0 ? 1.0 : x[i] - 0.5 < 0 ? -1.0 : 0.0;
        return SL_OK;
    }
    if (d == 1) {
        size_t np_ = n / 2;
        if ((rc = nef_quasirandom(r, np_, 1, x)) ||
            (rc = nef_quasirandom(r, n - np_, 1, x + np_)))
            return rc;
        for (size_t i = np_; i < n; i++)
            x[i] = -1.0 * x[i];
        nef_rs_shuffle(r, x, n, 1);
        return SL_OK;
    }
    if (d > 64)
        return SL_EINVAL;
    size_t m = d - 1, cols = surface ? m : d;
    double *c = malloc(sizeof(double) * (n * cols + d * d));
    if (!c)
        return SL_ENOMEM;
    double *rot = c + n * cols;
    if ((rc = nef_quasirandom(r, n, cols, c))) {
        free(c);
        return rc;
    }
    double row[64], coords[64];
    for (size_t i = 0; i < n; i++) {
        const double *ci = c + i * cols;
        for (size_t j = 0; j < m; j++) {
            double y = ci[j], yr = y < 0.5 ? y : 1 - y;
            double zsq = nef_betaincinv_table((unsigned)(m - j), 2 * yr);
            double ph = asin(sqrt(zsq)) / M_PI;
            coords[j] = y < 0.5 ? ph : 1 - ph;
        }
        /* mapped[0..m]: ones; [1:] = cumprod(sin); [:-1] *= cos */
        double prod = 1.0;
        row[0] = 1.0;
        for (size_t j = 0; j < m; j++) {
            double ang = (j == m - 1 ? 2.0 : 1.0) * M_PI * coords[j];
            prod *= sin(ang);
            row[j + 1] = prod;
            row[j] *= cos(ang);
        }
        double rad = surface ? 1.0 : pow(ci[d - 1], 1.0 / (double)d);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = surface ? row[j] : row[j] * rad;
    }
    if ((rc = random_orthogonal(r, d, rot))) {
        free(c);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += x[i * d + k] * rot[k * d + j];
            row[j] = s;
        }
        memcpy(x + i * d, row, d * sizeof(double));
    }
    free(c);
    return SL_OK;
}

/* ---- WhiteSignal ---------------------------------------------------- */

int nef_white_signal(uint32_t seed, double period, double high, double rms,
                     size_t d, double dt, double **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!(high >= 1.0 / period) || !(high <= 0.5 / dt) || d == 0)
        return SL_EINVAL;
    size_t K = (size_t)ceil(period / dt / 2.0), L = 2 * K;
    double sigma = rms * sqrt(0.5);
    double *re = calloc((K + 1) * d, sizeof(double));
    double *im = calloc((K + 1) * d, sizeof(double));
    double *x = calloc(L * d, sizeof(double));
    if (!re || !im || !x) {
        free(re);
        free(im);
        free(x);
        return SL_ENOMEM;
    }
    nef_rs rs;
    nef_rs_seed(&rs, seed);
    for (size_t i = 0; i < (K + 1) * d; i++)
        im[i] = 0.0 + sigma * nef_rs_gauss(&rs);
    for (size_t i = 0; i < (K + 1) * d; i++)
        re[i] = 0.0 + sigma * nef_rs_gauss(&rs);
    for (size_t j = 0; j < d; j++) {
        re[j] = im[j] = 0.0;
        im[K * d + j] = 0.0;
    }
    size_t zeroed = 0, kmax = 0;
    for (size_t k = 0; k <= K; k++) {
        double f = (double)k / ((double)L * dt);
        if (f > high) {
            zeroed++;
            for (size_t j = 0; j < d; j++)
                re[k * d + j] = im[k * d + j] = 0.0;
        } else {
            kmax = k;
        }
    }
    double pc = sqrt(1.0 - (double)zeroed / (double)K);
    double scale = sqrt((double)L);
    for (size_t i = 0; i < (K + 1) * d; i++) {
        if (pc > 0) {
            re[i] /= pc;
            im[i] /= pc;
        }
        re[i] *= scale;
        im[i] *= scale;
    }
    /* inverse real DFT over the non-zero bins only (1..kmax; bin K too
     * when it was kept) */
    for (size_t mi = 0; mi < L; mi++)
        for (size_t j = 0; j < d; j++) {
            double s = re[j];
            if (kmax >= K)
                s += re[K * d + j] * ((mi & 1) ? -1.0 : 1.0);
            for (size_t k = 1; k <= kmax && k < K; k++) {
                double ang = 2.0 * M_PI * (double)((k * mi) % L) / (double)L;
                s += 2.0 * (re[k * d + j] * cos(ang) - im[k * d + j] *
                                                           sin(ang));
            }
            x[mi * d + j] = s / (double)L;
        }
    free(re);
    free(im);
    *out = x;
    *len = L;
    return SL_OK;
}
