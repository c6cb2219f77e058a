/* core/engine/nirmap.c — NIR graphs onto spikelab layers and back (the
 * mapping and its conventions are in nirmap.h). */
#include <float.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nirmap.h"
#include "engine/host.h"
#include "util/file.h"
#include "util/npy.h"

/* --------------------------------------------------------------- plan */

void sl__nirmap_free(sl__nirmap *m)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        free(m->layers[i].name);
        for (size_t k = 0; k < m->layers[i].n_pars; k++)
            free(m->layers[i].pars[k].data);
    }
    free(m->layers);
    memset(m, 0, sizeof *m);
}

static sl__nirmap_layer *add_layer(sl__nirmap *m, const char *name,
                                   const char *type, const char *from)
{
    if (m->n_layers == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 8;
        sl__nirmap_layer *nl = realloc(m->layers, nc * sizeof *nl);
        if (!nl)
            return NULL;
        m->layers = nl;
        m->cap = nc;
    }
    sl__nirmap_layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    /* a layer name keys its parameters and streams: '.' would read as a
     * path in overrides, '/' as a folder of params/NAME/ */
    size_t base = strlen(name);
    l->name = malloc(base + 8);
    if (!l->name)
        return NULL;
    for (size_t i = 0; i <= base; i++)
        l->name[i] = (name[i] == '.' || name[i] == '/') ? '_' : name[i];
    for (int k = 2; k < 100; k++) { /* unique */
        int clash = 0;
        for (size_t j = 0; j < m->n_layers; j++)
            clash |= strcmp(m->layers[j].name, l->name) == 0;
        if (!clash)
            break;
        if (snprintf(l->name + base, 8, "_%d", k) >= 8)
            break; /* cannot happen: k < 100 */
    }
    snprintf(l->type, sizeof l->type, "%s", type);
    snprintf(l->from, sizeof l->from, "%s", from);
    m->n_layers++;
    return l;
}

static void set_num(sl__nirmap_layer *l, const char *key, char kind, double v)
{
    sl__nirmap_set *s = &l->sets[l->n_sets++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->kind = kind;
    s->num = v;
}

static void set_str(sl__nirmap_layer *l, const char *key, const char *v)
{
    sl__nirmap_set *s = &l->sets[l->n_sets++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->kind = 's';
    snprintf(s->str, sizeof s->str, "%s", v);
}

static void set_ivec(sl__nirmap_layer *l, const char *key, const size_t *v,
                     size_t n)
{
    sl__nirmap_set *s = &l->sets[l->n_sets++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->kind = 'l';
    for (size_t i = 0; i < n && i < 3; i++)
        s->ivec[i] = (int64_t)v[i];
    s->n_ivec = n;
}

static sl__nirmap_par *add_par(sl__nirmap_layer *l, const char *name,
                               size_t ndim, const size_t *shape)
{
    sl__nirmap_par *p = &l->pars[l->n_pars];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    p->n = 1;
    for (size_t i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->n *= shape[i];
    }
    p->data = calloc(p->n ? p->n : 1, sizeof(float));
    if (!p->data)
        return NULL;
    l->n_pars++;
    return p;
}

static sl__nirmap_par *find_par(sl__nirmap_layer *l, const char *name)
{
    for (size_t k = 0; k < l->n_pars; k++)
        if (strcmp(l->pars[k].name, name) == 0)
            return &l->pars[k];
    return NULL;
}

/* ------------------------------------------------------------ import */

typedef struct mp {
    const sl__nirmap_opts *o;
    sl__err *err;
    sl__nirmap *m;
    const char *scheme, *order;
    double dt;
} mp;

static int nfail(mp *p, const sl__nir_node *nd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int nfail(mp *p, const sl__nir_node *nd, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (nd)
        return sl__fail(p->err, SL_ECONFIG, "%s: node %s (%s): %s",
                        p->o->file, nd->name, nd->type, msg);
    return sl__fail(p->err, SL_ECONFIG, "%s: %s", p->o->file, msg);
}

/* The single value of a neuron parameter, or the refusal naming it. */
static int uniform(mp *p, const sl__nir_node *nd, const char *name,
                   double def, double *out)
{
    const sl__nir_arr *a = sl__nir_arr_find(nd, name);
    if (!a || a->n == 0) {
        *out = def;
        return SL_OK;
    }
    double lo = a->v[0], hi = a->v[0];
    for (size_t i = 1; i < a->n; i++) {
        lo = a->v[i] < lo ? a->v[i] : lo;
        hi = a->v[i] > hi ? a->v[i] : hi;
    }
    if (lo != hi)
        return nfail(p, nd, "%s differs across neurons (from %g to %g): the "
                     "lif plugin takes one %s per layer (per-neuron arrays "
                     "are not supported)", name, lo, hi, name);
    *out = lo;
    return SL_OK;
}

/* gain[i] *= the value of field `name` for neuron i (1 value: all). */
static int mul_field(mp *p, const sl__nir_node *nd, const char *name,
                     double *gain, size_t n)
{
    const sl__nir_arr *a = sl__nir_arr_find(nd, name);
    if (!a)
        return SL_OK;
    if (a->n != 1 && a->n != n)
        return nfail(p, nd, "%s has %zu values for %zu neurons", name, a->n,
                     n);
    for (size_t i = 0; i < n; i++)
        gain[i] *= a->v[a->n == 1 ? 0 : i];
    return SL_OK;
}

static size_t prod(const size_t *s, size_t n)
{
    size_t r = 1;
    for (size_t i = 0; i < n; i++)
        r *= s[i];
    return r;
}

/* Per-dimension value of a conv/pool field (a scalar or one per dim). */
static int dims_of(mp *p, const sl__nir_node *nd, const char *name,
                   size_t nd_want, size_t *out, int allow_zero)
{
    const sl__nir_arr *a = sl__nir_arr_find(nd, name);
    if (!a || (a->n != 1 && a->n != nd_want))
        return nfail(p, nd, "%s must be one number or %zu", name, nd_want);
    for (size_t i = 0; i < nd_want; i++) {
        double v = a->v[a->n == 1 ? 0 : i];
        if (v != floor(v) || v < (allow_zero ? 0 : 1) || v > 65536)
            return nfail(p, nd, "%s = %g is not an integer >= %d", name, v,
                         allow_zero ? 0 : 1);
        out[i] = (size_t)v;
    }
    return SL_OK;
}

typedef struct shape {
    size_t d[4], nd;
} shape;

static size_t width(const shape *s)
{
    return prod(s->d, s->nd);
}

/* The layer that a neuron's gains fold into: the linear layer emitted
 * for the op just before it, if any. */
static int fold_gain(mp *p, sl__nirmap_layer *prev, const sl__nir_node *nd,
                     const double *gain, size_t n, const char *name)
{
    int unit = 1;
    for (size_t i = 0; i < n; i++)
        unit &= gain[i] == 1.0;
    if (unit)
        return SL_OK;
    if (prev && !strcmp(prev->type, "linear")) {
        sl__nirmap_par *w = find_par(prev, "weight");
        sl__nirmap_par *b = find_par(prev, "bias");
        size_t nin = w->shape[0];
        for (size_t i = 0; i < nin; i++)
            for (size_t o = 0; o < n; o++)
                w->data[i * n + o] = (float)((double)w->data[i * n + o] *
                                             gain[o]);
        for (size_t o = 0; b && o < n; o++)
            b->data[o] = (float)((double)b->data[o] * gain[o]);
        return SL_OK;
    }
    /* no weights right before: a diagonal linear layer carries the gain */
    char nm[300];
    snprintf(nm, sizeof nm, "%s_gain", name);
    if (n > 4096)
        return nfail(p, nd, "its input gains (r, w_in) differ from 1 and no "
                     "Affine/Linear node precedes it to fold them into; a "
                     "diagonal layer of %zu neurons would be too large", n);
    sl__nirmap_layer *l = add_layer(p->m, nm, "linear", nd->name);
    size_t sh[2] = {n, n};
    sl__nirmap_par *w = l ? add_par(l, "weight", 2, sh) : NULL;
    if (!w)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    set_num(l, "n_out", 'i', (double)n);
    set_num(l, "bias", 'b', 0);
    set_str(l, "init", "zeros");
    for (size_t i = 0; i < n; i++)
        w->data[i * n + i] = (float)gain[i];
    return SL_OK;
}

/* A neuron node (with an optional Threshold after an integrator) onto
 * lif or li. rec: its recurrent Affine/Linear node (NULL: none), self: a
 * direct edge onto itself. */
static int map_neuron(mp *p, const sl__nir_node *nd, const sl__nir_node *thr,
                      const sl__nir_node *rec, int self, size_t n,
                      sl__nirmap_layer *prev)
{
    const char *t = nd->type;
    int spiking = thr != NULL || !strcmp(t, "LIF") || !strcmp(t, "CubaLIF") ||
                  !strcmp(t, "IF");
    int cuba = !strcmp(t, "CubaLIF") || !strcmp(t, "CubaLI");
    int leaky = strcmp(t, "IF") != 0 && strcmp(t, "I") != 0;
    double tau_mem = 0, tau_syn = 0, v_leak = 0, v_th = 0, v_reset = 0;
    int rc;
    double *gain = malloc(n * sizeof *gain);
    if (!gain)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        gain[i] = 1.0;
    const char *scheme = p->scheme, *order = p->order;
    if (!spiking) { /* li: forward Euler, input first */
        scheme = "euler";
        order = "start";
    }
    if ((rc = uniform(p, nd, cuba ? "tau_mem" : "tau", 0, &tau_mem)) ||
        (cuba && (rc = uniform(p, nd, "tau_syn", 0, &tau_syn))) ||
        (rc = uniform(p, nd, "v_leak", 0, &v_leak)) ||
        (rc = uniform(p, nd, "v_reset", 0, &v_reset)) ||
        (rc = mul_field(p, nd, "r", gain, n)) ||
        (rc = mul_field(p, nd, "w_in", gain, n)))
        goto out;
    if (thr)
        rc = uniform(p, thr, "threshold", 0, &v_th);
    else if (spiking)
        rc = uniform(p, nd, "v_threshold", 0, &v_th);
    if (rc)
        goto out;
    if (!leaky) {
        /* tau_mem·dV/dt = x: one tau_mem for all, the gains r·tau_mem */
        double rmax = 0;
        for (size_t i = 0; i < n; i++)
            rmax = fabs(gain[i]) > rmax ? fabs(gain[i]) : rmax;
        if (!(rmax > 0)) {
            rc = nfail(p, nd, "r is 0 for every neuron: the neurons never "
                       "integrate");
            goto out;
        }
        tau_mem = 1.0 / rmax;
        for (size_t i = 0; i < n; i++)
            gain[i] *= tau_mem;
    }
    if (cuba) {
        /* one step of tau_syn·dI/dt = −I + w_in·y adds g·w_in·y to I */
        double g = strcmp(scheme, "euler") == 0 ? p->dt / tau_syn
                                                 : -expm1(-p->dt / tau_syn);
        for (size_t i = 0; i < n; i++)
            gain[i] *= g;
    }
    if (!strcmp(scheme, "euler")) {
        if (leaky && !(p->dt < tau_mem)) {
            rc = nfail(p, nd, "tau%s = %g s is not above dt = %g s: forward "
                       "Euler would be unstable%s", cuba ? "_mem" : "",
                       tau_mem, p->dt, spiking ? "; use scheme \"exact\"" :
                       " (the li readout integrates with Euler only)");
            goto out;
        }
        if (cuba && !(p->dt < tau_syn)) {
            rc = nfail(p, nd, "tau_syn = %g s is not above dt = %g s: forward "
                       "Euler would be unstable%s", tau_syn, p->dt,
                       spiking ? "; use scheme \"exact\"" :
                       " (the li readout integrates with Euler only)");
            goto out;
        }
    }
    if (spiking && !(v_th > v_reset) && !thr) {
        rc = nfail(p, nd, "v_threshold = %g is not above v_reset = %g", v_th,
                   v_reset);
        goto out;
    }
    if (!spiking && (rec || self)) {
        rc = nfail(p, nd, "a recurrent connection onto a non-spiking "
                   "readout: spikelab's li has no recurrent weights");
        goto out;
    }
    if ((rc = fold_gain(p, prev, nd, gain, n, nd->name)))
        goto out;
    char from[200];
    snprintf(from, sizeof from, "%s%s%s", nd->name, thr ? "+" : "",
             thr ? thr->name : "");
    if (spiking && p->o->neuron && !strcmp(p->o->neuron, "dynapsim")) {
        if (!cuba || thr) {
            rc = nfail(p, nd, "the DynapSim path maps CubaLIF nodes only "
                       "(DynapSim's neuron always has its DPI synapse)");
            goto out;
        }
        sl__nirmap_layer *l = add_layer(p->m, nd->name, "dynapsim", from);
        if (!l) {
            rc = sl__fail(p->err, SL_ENOMEM, "out of memory");
            goto out;
        }
        /* Itau = (Ut/κ)·C/tau, κ = (kappa_n + kappa_p)/2, the plugin's
         * default C_mem, C_syn, Ut, kappa (specs/dynapsim.md §2); the
         * gains keep the defaults' ratios Igain/Itau (4 and 100) */
        const double ut_k = 0.025 / ((0.75 + 0.66) / 2);
        const double itm = ut_k * 3e-12 / tau_mem, its = ut_k * 2.45e-11 /
                                                         tau_syn;
        set_num(l, "Itau_mem", 'f', itm);
        set_num(l, "Igain_mem", 'f', itm * (2.1276595744680848e-11 /
                                            5.319148936170212e-12));
        set_num(l, "Itau_syn", 'f', its);
        set_num(l, "Igain_syn", 'f', its * (8.687943262411346e-09 /
                                            8.687943262411346e-11));
        if (rec || self) {
            set_num(l, "recurrent", 'b', 1);
            size_t sh[2] = {n, n};
            sl__nirmap_par *w = add_par(l, "w_rec", 2, sh);
            const sl__nir_arr *rw = rec ? sl__nir_arr_find(rec, "weight")
                                        : NULL;
            if (!w) {
                rc = sl__fail(p->err, SL_ENOMEM, "out of memory");
                goto out;
            }
            if (rw && (rw->shape[0] != n || rw->shape[1] != n)) {
                rc = nfail(p, rec, "its weight is %zux%zu for %zu neurons",
                           rw->shape[0], rw->shape[1], n);
                goto out;
            }
            for (size_t pre = 0; pre < n; pre++)
                for (size_t post = 0; post < n; post++)
                    w->data[pre * n + post] = (float)(
                        ((rw ? rw->v[post * n + pre] : 0.0) +
                         (self && pre == post ? 1.0 : 0.0)) * gain[post]);
        }
        goto out;
    }
    sl__nirmap_layer *l = add_layer(p->m, nd->name, spiking ? "lif" : "li",
                                    from);
    if (!l) {
        rc = sl__fail(p->err, SL_ENOMEM, "out of memory");
        goto out;
    }
    set_num(l, "tau_mem", 'f', tau_mem);
    if (cuba)
        set_num(l, "tau_syn", 'f', tau_syn);
    else
        set_num(l, "synapse", 'b', 0);
    if (leaky || spiking)
        set_num(l, "v_leak", 'f', v_leak);
    if (spiking) {
        if (!leaky)
            set_num(l, "leak", 'b', 0);
        set_str(l, "scheme", scheme);
        set_str(l, "input_order", order);
        set_num(l, "v_th", 'f', v_th);
        if (thr)
            set_str(l, "reset", "none");
        else
            set_num(l, "v_reset", 'f', v_reset);
        /* training-only choices a spikelab export recorded */
        const sl__nir_arr *al = sl__nir_meta_find(nd, "spikelab_alpha");
        const char *sg = sl__nir_smeta_find(nd, "spikelab_surrogate");
        if (al && al->v[0] > 0)
            set_num(l, "alpha", 'f', al->v[0]);
        if (sg && (!strcmp(sg, "superspike") || !strcmp(sg, "tanh") ||
                   !strcmp(sg, "triangle") || !strcmp(sg, "logistic") ||
                   !strcmp(sg, "straight_through")))
            set_str(l, "surrogate", sg);
    }
    if (rec || self) {
        set_num(l, "recurrent", 'b', 1);
        size_t sh[2] = {n, n};
        sl__nirmap_par *w = add_par(l, "w_rec", 2, sh);
        if (!w) {
            rc = sl__fail(p->err, SL_ENOMEM, "out of memory");
            goto out;
        }
        const sl__nir_arr *rw = rec ? sl__nir_arr_find(rec, "weight") : NULL;
        const sl__nir_arr *rb = rec ? sl__nir_arr_find(rec, "bias") : NULL;
        if (rw && (rw->shape[0] != n || rw->shape[1] != n)) {
            rc = nfail(p, rec, "its weight is %zux%zu but it connects %s (%zu "
                       "neurons) onto itself", rw->shape[0], rw->shape[1],
                       nd->name, n);
            goto out;
        }
        if (rb)
            for (size_t i = 0; i < rb->n; i++)
                if (rb->v[i] != 0) {
                    rc = nfail(p, rec, "a recurrent Affine with a non-zero "
                               "bias: lif's recurrent weights have no bias "
                               "(use Linear, or fold the bias into the "
                               "feed-forward Affine)");
                    goto out;
                }
        for (size_t pre = 0; pre < n; pre++)
            for (size_t post = 0; post < n; post++) {
                double v = rw ? rw->v[post * n + pre] : 0.0;
                if (self && pre == post)
                    v += 1.0; /* an identity edge onto itself */
                w->data[pre * n + post] = (float)(v * gain[post]);
            }
    }
out:
    free(gain);
    return rc;
}

static int is_neuron_type(const char *t)
{
    return !strcmp(t, "LIF") || !strcmp(t, "CubaLIF") || !strcmp(t, "LI") ||
           !strcmp(t, "CubaLI") || !strcmp(t, "IF") || !strcmp(t, "I");
}

/* Output width of a conv/pool dimension. */
static int conv_out(size_t in, size_t pad, size_t dil, size_t k, size_t st,
                    size_t *out)
{
    long long span = (long long)dil * ((long long)k - 1) + 1;
    long long num = (long long)in + 2 * (long long)pad - span;
    if (num < 0)
        return -1;
    *out = (size_t)(num / (long long)st) + 1;
    return 0;
}

/* Every value of the named fields must fit float32 (the layers' type). */
static int fits_f32(mp *p, const sl__nir_node *nd, const char *a,
                    const char *b)
{
    const char *names[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        const sl__nir_arr *x = names[k] ? sl__nir_arr_find(nd, names[k])
                                        : NULL;
        for (size_t i = 0; x && i < x->n; i++)
            if (fabs(x->v[i]) > FLT_MAX)
                return nfail(p, nd, "%s[%zu] = %g does not fit float32",
                             names[k], i, x->v[i]);
    }
    return SL_OK;
}

static int map_conv(mp *p, const sl__nir_node *nd, shape *cur)
{
    int two = nd->type[4] == '2';
    size_t sd = two ? 2 : 1;
    const sl__nir_arr *w = sl__nir_arr_find(nd, "weight");
    const sl__nir_arr *b = sl__nir_arr_find(nd, "bias");
    const sl__nir_arr *ish = sl__nir_arr_find(nd, "input_shape");
    size_t cout = w->shape[0], cig = w->shape[1], k[2], st[2], pd[2], dl[2],
           groups;
    for (size_t i = 0; i < sd; i++)
        k[i] = w->shape[2 + i];
    int rc;
    if ((rc = dims_of(p, nd, "stride", sd, st, 0)) ||
        (rc = dims_of(p, nd, "dilation", sd, dl, 0)) ||
        (rc = dims_of(p, nd, "groups", 1, &groups, 0)))
        return rc;
    if ((rc = fits_f32(p, nd, "weight", "bias")))
        return rc;
    size_t cin = cig * groups;
    /* the spatial input: the node's input_shape, else what flows in */
    size_t sp[2];
    if (ish) {
        if (ish->n != sd)
            return nfail(p, nd, "input_shape has %zu values; a %s needs %zu",
                         ish->n, nd->type, sd);
        for (size_t i = 0; i < sd; i++) {
            if (!(ish->v[i] >= 1 && ish->v[i] <= 65536) ||
                ish->v[i] != floor(ish->v[i]))
                return nfail(p, nd, "input_shape[%zu] = %g is not a size "
                             "from 1 to 65536", i, ish->v[i]);
            sp[i] = (size_t)ish->v[i];
        }
    } else if (cur->nd == sd + 1) {
        for (size_t i = 0; i < sd; i++)
            sp[i] = cur->d[1 + i];
    } else {
        return nfail(p, nd, "no input_shape, and its input is flat (%zu "
                     "values): the spatial shape is unknown", width(cur));
    }
    if (cin * prod(sp, sd) != width(cur))
        return nfail(p, nd, "expects %zu x %zu%s%zu input values (weight's "
                     "%zu channels x groups %zu) but receives %zu", cin,
                     sp[0], two ? " x " : "", two ? sp[1] : (size_t)1, cig,
                     groups, width(cur));
    if (cout % groups)
        return nfail(p, nd, "%zu output channels are not divisible by groups "
                     "= %zu", cout, groups);
    const char *ps = sl__nir_str_find(nd, "padding");
    if (ps && !strcmp(ps, "valid")) {
        pd[0] = pd[1] = 0;
    } else if (ps) { /* "same": stride 1, symmetric padding */
        for (size_t i = 0; i < sd; i++) {
            size_t span = dl[i] * (k[i] - 1);
            if (st[i] != 1 || span % 2)
                return nfail(p, nd, "padding 'same' with stride %zu and "
                             "kernel span %zu needs asymmetric padding, "
                             "which the conv layers do not have", st[i],
                             span + 1);
            pd[i] = span / 2;
        }
    } else if ((rc = dims_of(p, nd, "padding", sd, pd, 1))) {
        return rc;
    }
    size_t out[2];
    for (size_t i = 0; i < sd; i++)
        if (conv_out(sp[i], pd[i], dl[i], k[i], st[i], &out[i]))
            return nfail(p, nd, "its kernel (%zu, dilation %zu) is larger "
                         "than the padded input (%zu + 2x%zu)", k[i], dl[i],
                         sp[i], pd[i]);
    sl__nirmap_layer *l = add_layer(p->m, nd->name, two ? "conv2d" : "conv1d",
                                    nd->name);
    if (!l)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    size_t in_shape[3] = {cin, sp[0], two ? sp[1] : 0};
    set_ivec(l, "in_shape", in_shape, sd + 1);
    set_num(l, "out_channels", 'i', (double)cout);
    set_ivec(l, "kernel", k, sd);
    set_ivec(l, "stride", st, sd);
    set_ivec(l, "padding", pd, sd);
    set_ivec(l, "dilation", dl, sd);
    set_num(l, "groups", 'i', (double)groups);
    set_num(l, "bias", 'b', 1);
    sl__nirmap_par *pw = add_par(l, "weight", w->ndim, w->shape);
    size_t bs = cout;
    sl__nirmap_par *pb = pw ? add_par(l, "bias", 1, &bs) : NULL;
    if (!pb)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->n; i++)
        pw->data[i] = (float)w->v[i];
    for (size_t i = 0; i < cout; i++)
        pb->data[i] = (float)b->v[b->n == 1 ? 0 : i];
    cur->nd = sd + 1;
    cur->d[0] = cout;
    for (size_t i = 0; i < sd; i++)
        cur->d[1 + i] = out[i];
    return SL_OK;
}

static int map_pool(mp *p, const sl__nir_node *nd, shape *cur)
{
    if (cur->nd != 3)
        return nfail(p, nd, "its input has %zu dimensions; pooling needs "
                     "channels x height x width (put it after a Conv2d or "
                     "give the Input node a 3-d shape)", cur->nd);
    size_t k[2], st[2], pd[2], out[2];
    int rc;
    if ((rc = dims_of(p, nd, "kernel_size", 2, k, 0)) ||
        (rc = dims_of(p, nd, "stride", 2, st, 0)) ||
        (rc = dims_of(p, nd, "padding", 2, pd, 1)))
        return rc;
    for (int i = 0; i < 2; i++)
        if (conv_out(cur->d[1 + i], pd[i], 1, k[i], st[i], &out[i]))
            return nfail(p, nd, "kernel %zu larger than the padded input %zu",
                         k[i], cur->d[1 + i] + 2 * pd[i]);
    sl__nirmap_layer *l = add_layer(p->m, nd->name,
                                    nd->type[0] == 'S' ? "sumpool2d"
                                                       : "avgpool2d",
                                    nd->name);
    if (!l)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    set_ivec(l, "in_shape", cur->d, 3);
    set_ivec(l, "kernel", k, 2);
    set_ivec(l, "stride", st, 2);
    set_ivec(l, "padding", pd, 2);
    cur->d[1] = out[0];
    cur->d[2] = out[1];
    return SL_OK;
}

static int map_affine(mp *p, const sl__nir_node *nd, shape *cur)
{
    const sl__nir_arr *w = sl__nir_arr_find(nd, "weight");
    const sl__nir_arr *b = sl__nir_arr_find(nd, "bias");
    size_t nout = w->shape[0], nin = w->shape[1];
    int rc = fits_f32(p, nd, "weight", "bias");
    if (rc)
        return rc;
    if (nin != width(cur))
        return nfail(p, nd, "weight has %zu columns (inputs) but %zu values "
                     "flow in", nin, width(cur));
    sl__nirmap_layer *l = add_layer(p->m, nd->name, "linear", nd->name);
    if (!l)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    set_num(l, "n_out", 'i', (double)nout);
    set_num(l, "bias", 'b', b != NULL);
    set_str(l, "init", "zeros");
    size_t sh[2] = {nin, nout};
    sl__nirmap_par *pw = add_par(l, "weight", 2, sh);
    sl__nirmap_par *pb = pw && b ? add_par(l, "bias", 1, &nout) : pw;
    if (!pb)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    for (size_t o = 0; o < nout; o++)
        for (size_t i = 0; i < nin; i++)
            pw->data[i * nout + o] = (float)w->v[o * nin + i];
    for (size_t o = 0; b && o < nout; o++)
        pb->data[o] = (float)b->v[o];
    cur->nd = 1;
    cur->d[0] = nout;
    return SL_OK;
}

static int map_scale(mp *p, const sl__nir_node *nd, shape *cur,
                     sl__nirmap_layer *prev)
{
    const sl__nir_arr *s = sl__nir_arr_find(nd, "scale");
    size_t n = width(cur);
    if (s->n != n && s->n != 1)
        return nfail(p, nd, "scale has %zu values but %zu flow in", s->n, n);
    double *g = malloc(n * sizeof *g);
    if (!g)
        return sl__fail(p->err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        g[i] = s->v[s->n == 1 ? 0 : i];
    int rc = fold_gain(p, prev, nd, g, n, nd->name);
    free(g);
    return rc;
}

typedef struct adj {
    size_t *succ, *pred; /* indices into nodes, CSR-like lists */
    size_t *ns, *np;
} adj;

int sl__nirmap_from_graph(sl__nir_graph *g, const sl__nirmap_opts *o,
                          sl__nirmap *m, sl__err *err)
{
    memset(m, 0, sizeof *m);
    mp p = {o, err, m, NULL, NULL, o->dt};
    int rc = sl__nir_flatten(g, err);
    if (rc) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        return sl__fail(err, rc, "%s: %s", o->file, tmp);
    }
    size_t N = g->n_nodes, E = g->n_edges;
    /* the discretisation: options, else the first neuron's metadata */
    for (size_t i = 0; i < N; i++) {
        const sl__nir_node *nd = &g->nodes[i];
        const char *s = sl__nir_smeta_find(nd, "spikelab_scheme");
        const char *io = sl__nir_smeta_find(nd, "spikelab_input_order");
        const sl__nir_arr *d = sl__nir_meta_find(nd, "spikelab_dt");
        if (!p.scheme && s && (!strcmp(s, "euler") || !strcmp(s, "exact") ||
                               !strcmp(s, "exp_euler")))
            p.scheme = s;
        if (!p.order && io && (!strcmp(io, "end") || !strcmp(io, "start")))
            p.order = io;
        if (!(p.dt > 0) && d && d->v[0] > 0)
            p.dt = d->v[0];
    }
    if (o->scheme)
        p.scheme = o->scheme;
    if (o->input_order)
        p.order = o->input_order;
    if (!p.scheme)
        p.scheme = "euler";
    if (!p.order)
        p.order = "end";
    if (!(p.dt > 0))
        return nfail(&p, NULL, "NIR has no time step and the file names "
                     "none: give dt (spikelab nir import --dt SECONDS)");
    m->dt = p.dt;

    size_t *src = calloc(E + 1, sizeof *src), *dst = calloc(E + 1,
                                                            sizeof *dst);
    size_t *rec = calloc(N + 1, sizeof *rec);   /* recurrent node + 1 */
    int *self = calloc(N + 1, sizeof *self), *seen = calloc(N + 1,
                                                            sizeof *seen);
    if (!src || !dst || !rec || !self || !seen) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t e = 0; e < E; e++) {
        const sl__nir_node *a = sl__nir_node_find(g, g->src[e]);
        const sl__nir_node *b = sl__nir_node_find(g, g->dst[e]);
        if (!a || !b) {
            rc = nfail(&p, NULL, "edge %s -> %s names no node", g->src[e],
                       g->dst[e]);
            goto done;
        }
        src[e] = (size_t)(a - g->nodes);
        dst[e] = (size_t)(b - g->nodes);
    }
    /* counts of in/out edges per node */
#define OUTDEG(i, cnt)                                                        \
    do {                                                                      \
        cnt = 0;                                                              \
        for (size_t e_ = 0; e_ < E; e_++)                                     \
            cnt += src[e_] == (i);                                            \
    } while (0)
    /* recurrences: neuron N → R → N with R an Affine/Linear touching only N,
     * or an edge N → N */
    for (size_t e = 0; e < E; e++) {
        size_t a = src[e], b = dst[e];
        if (a == b) {
            if (!is_neuron_type(g->nodes[a].type)) {
                rc = nfail(&p, &g->nodes[a], "an edge onto itself: only a "
                           "neuron node may feed back onto itself");
                goto done;
            }
            self[a] = 1;
            continue;
        }
        const char *bt = g->nodes[b].type;
        if (!is_neuron_type(g->nodes[a].type) ||
            (strcmp(bt, "Affine") && strcmp(bt, "Linear")))
            continue;
        size_t nin = 0, nout = 0, back = 0;
        for (size_t f = 0; f < E; f++) {
            nin += dst[f] == b;
            nout += src[f] == b;
            back += src[f] == b && dst[f] == a;
        }
        if (nin == 1 && nout == 1 && back == 1) {
            if (rec[a]) {
                rc = nfail(&p, &g->nodes[a], "two recurrent connections (%s "
                           "and %s): lif has one recurrent weight matrix",
                           g->nodes[rec[a] - 1].name, g->nodes[b].name);
                goto done;
            }
            rec[a] = b + 1;
            seen[b] = 1;
        }
    }
    /* the chain from the one Input to the one Output */
    size_t in = N, out = N, nin = 0, nout = 0;
    for (size_t i = 0; i < N; i++) {
        if (!strcmp(g->nodes[i].type, "Input"))
            in = i, nin++;
        if (!strcmp(g->nodes[i].type, "Output"))
            out = i, nout++;
    }
    if (nin != 1 || nout != 1) {
        rc = nfail(&p, NULL, "the graph has %zu Input and %zu Output nodes: "
                   "a spikelab network has one input and one output", nin,
                   nout);
        goto done;
    }
    const sl__nir_arr *ishape = sl__nir_arr_find(&g->nodes[in], "shape");
    shape cur = {{0}, 0};
    if (ishape->n > 4) {
        rc = nfail(&p, &g->nodes[in], "a %zu-d input; at most 4 dimensions",
                   ishape->n);
        goto done;
    }
    cur.nd = ishape->n;
    for (size_t i = 0; i < cur.nd; i++)
        cur.d[i] = (size_t)ishape->v[i];
    m->n_in = width(&cur);
    if (m->n_in > ((size_t)1 << 24)) {
        rc = nfail(&p, &g->nodes[in], "%zu input values per step: at most "
                   "2^24", m->n_in);
        goto done;
    }
    size_t at = in;
    seen[in] = 1;
    sl__nirmap_layer *prev = NULL; /* layer emitted by the op just before */
    while (at != out) {
        size_t next = N, cnt = 0;
        for (size_t e = 0; e < E; e++)
            if (src[e] == at && dst[e] != at && dst[e] + 1 != rec[at]) {
                if (cnt++ == 0)
                    next = dst[e];
                else {
                    rc = nfail(&p, &g->nodes[at], "it feeds both %s and %s: "
                               "a spikelab network is a chain of layers (no "
                               "branches)", g->nodes[next].name,
                               g->nodes[dst[e]].name);
                    goto done;
                }
            }
        if (cnt == 0) {
            rc = nfail(&p, &g->nodes[at], "it leads nowhere: no path from "
                       "the Input to the Output continues after it");
            goto done;
        }
        size_t pin = 0;
        for (size_t e = 0; e < E; e++)
            pin += dst[e] == next && src[e] != next &&
                   src[e] + 1 != rec[next];
        if (pin != 1) {
            rc = nfail(&p, &g->nodes[next], "%zu edges enter it: a spikelab "
                       "network is a chain of layers (no merging inputs "
                       "other than a neuron's own recurrence)", pin);
            goto done;
        }
        if (seen[next]) {
            rc = nfail(&p, &g->nodes[next], "a cycle through it: the only "
                       "loop spikelab maps is a neuron's recurrent "
                       "Affine/Linear (or an edge onto itself)");
            goto done;
        }
        seen[next] = 1;
        at = next;
        sl__nir_node *nd = &g->nodes[at];
        const char *t = nd->type;
        size_t before = m->n_layers;
        if (at == out) {
            const sl__nir_arr *os = sl__nir_arr_find(nd, "shape");
            size_t ow = prod((size_t[4]){os->n > 0 ? (size_t)os->v[0] : 1,
                                         os->n > 1 ? (size_t)os->v[1] : 1,
                                         os->n > 2 ? (size_t)os->v[2] : 1,
                                         os->n > 3 ? (size_t)os->v[3] : 1},
                             4);
            if (os->n > 4 || ow != width(&cur)) {
                rc = nfail(&p, nd, "shape holds %zu values but %zu flow in",
                           ow, width(&cur));
                goto done;
            }
            break;
        }
        if (!strcmp(t, "Identity")) {
            continue;
        } else if (!strcmp(t, "Affine") || !strcmp(t, "Linear")) {
            rc = map_affine(&p, nd, &cur);
        } else if (!strcmp(t, "Scale")) {
            rc = map_scale(&p, nd, &cur, prev);
        } else if (!strcmp(t, "Conv1d") || !strcmp(t, "Conv2d")) {
            rc = map_conv(&p, nd, &cur);
        } else if (!strcmp(t, "SumPool2d") || !strcmp(t, "AvgPool2d")) {
            rc = map_pool(&p, nd, &cur);
        } else if (!strcmp(t, "Flatten")) {
            if (cur.nd > 1) {
                sl__nirmap_layer *l = add_layer(m, nd->name, "flatten",
                                                nd->name);
                if (!l) {
                    rc = sl__fail(err, SL_ENOMEM, "out of memory");
                    goto done;
                }
                set_ivec(l, "in_shape", cur.d, cur.nd);
            }
            cur.d[0] = width(&cur);
            cur.nd = 1;
        } else if (is_neuron_type(t)) {
            /* an integrator followed by a Threshold is one spiking layer */
            const sl__nir_node *thr = NULL;
            if (!strcmp(t, "LI") || !strcmp(t, "CubaLI") || !strcmp(t, "I")) {
                size_t cntn = 0, nx = N;
                for (size_t e = 0; e < E; e++)
                    if (src[e] == at && dst[e] + 1 != rec[at] &&
                        dst[e] != at)
                        nx = dst[e], cntn++;
                if (cntn == 1 && !strcmp(g->nodes[nx].type, "Threshold")) {
                    thr = &g->nodes[nx];
                }
            }
            if (!thr && !strcmp(t, "I")) {
                rc = nfail(&p, nd, "an integrator without a Threshold after "
                           "it: spikelab has no non-spiking integrator "
                           "without leak (li leaks)");
                goto done;
            }
            if (!thr && (rec[at] || self[at]) &&
                (!strcmp(t, "LI") || !strcmp(t, "CubaLI"))) {
                rc = nfail(&p, nd, "a recurrent connection onto a "
                           "non-spiking readout: spikelab's li has no "
                           "recurrent weights");
                goto done;
            }
            rc = map_neuron(&p, nd, thr,
                            rec[at] ? &g->nodes[rec[at] - 1] : NULL,
                            self[at], width(&cur), prev);
            if (rc == SL_OK && thr) {
                /* the Threshold is consumed: continue from it */
                size_t ti = (size_t)(thr - g->nodes), pin2 = 0;
                for (size_t e = 0; e < E; e++)
                    pin2 += dst[e] == ti;
                if (pin2 != 1 || rec[ti] || self[ti]) {
                    rc = nfail(&p, thr, "it has other inputs besides %s",
                               nd->name);
                    goto done;
                }
                seen[ti] = 1;
                at = ti;
            }
        } else if (!strcmp(t, "Threshold")) {
            rc = nfail(&p, nd, "a Threshold without an integrator (LI, "
                       "CubaLI or I) right before it has no spikelab layer");
        } else if (!strcmp(t, "Delay")) {
            rc = nfail(&p, nd, "spikelab has no delay layer");
        } else if (!strcmp(t, "Input")) {
            rc = nfail(&p, nd, "a second Input inside the chain");
        } else {
            rc = nfail(&p, nd, "no spikelab layer for this node type");
        }
        if (rc == SL_OK && width(&cur) > ((size_t)1 << 24))
            rc = nfail(&p, nd, "%zu values per step flow out of it: at most "
                       "2^24", width(&cur));
        if (rc)
            goto done;
        prev = m->n_layers > before && (!strcmp(t, "Affine") ||
                                        !strcmp(t, "Linear") ||
                                        !strcmp(t, "Scale"))
                   ? &m->layers[m->n_layers - 1]
                   : (!strcmp(t, "Scale") ? prev : NULL);
    }
    for (size_t i = 0; i < N; i++)
        if (!seen[i]) {
            rc = nfail(&p, &g->nodes[i], "it is not on the path from the "
                       "Input to the Output (spikelab maps a chain of "
                       "layers, a neuron's recurrence, nested graphs)");
            goto done;
        }
    if (m->n_layers == 0) {
        rc = nfail(&p, NULL, "the graph has no node that maps to a layer");
        goto done;
    }
    m->n_out = width(&cur);
#undef OUTDEG
done:
    free(src);
    free(dst);
    free(rec);
    free(self);
    free(seen);
    return rc;
}

/* ------------------------------------------------- into a configuration */

static void fmt_num(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.17g", v);
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", len - strlen(buf) - 1);
}

static void write_set(FILE *f, const sl__nirmap_set *s)
{
    char buf[64];
    fprintf(f, " %s = ", s->key);
    switch (s->kind) {
    case 'i':
        fprintf(f, "%lld;", (long long)s->num);
        break;
    case 'f':
        fmt_num(buf, sizeof buf, s->num);
        fprintf(f, "%s;", buf);
        break;
    case 'b':
        fprintf(f, "%s;", s->num != 0 ? "true" : "false");
        break;
    case 's':
        fprintf(f, "\"%s\";", s->str);
        break;
    default:
        fputc('[', f);
        for (size_t i = 0; i < s->n_ivec; i++)
            fprintf(f, "%s%lld", i ? ", " : "", (long long)s->ivec[i]);
        fputs("];", f);
    }
}

int sl__nirmap_write_experiment(const sl__nirmap *m, FILE *f,
                                const char *nir_file, const char *dir,
                                const char *prefix, sl__err *err)
{
    char dtb[64];
    fmt_num(dtb, sizeof dtb, m->dt);
    /* 50 steps of input at about one spike per 10 steps per channel */
    char durb[64], rateb[64];
    fmt_num(durb, sizeof durb, 50 * m->dt);
    fmt_num(rateb, sizeof rateb, 0.1 / m->dt);
    fprintf(f, "# Imported from the NIR graph %s by `spikelab nir import`.\n"
            "# The network reproduces the graph (README.md, \"NIR\"); its "
            "parameters are\n# loaded from the .npy files beside this file "
            "(network.load).\n# Complete data, loss, optimizer and train "
            "for your task.\n", nir_file);
    fprintf(f, "name = \"nir_import\";\nseed = 0;\n\n"
            "# placeholder data of the graph's width (%zu inputs, %zu "
            "outputs per step): replace it by your task's\n"
            "data = {\n  train = { type = \"frozen_noise\"; n_channels = "
            "%zu; n_out = %zu; n_samples = 2;\n            duration = %s; "
            "dt = %s; rate = %s; };\n};\n\n",
            m->n_in, m->n_out, m->n_in, m->n_out, durb, dtb, rateb);
    fprintf(f, "network = {\n  dt = %s;\n  layers = (\n", dtb);
    for (size_t i = 0; i < m->n_layers; i++) {
        const sl__nirmap_layer *l = &m->layers[i];
        fprintf(f, "    # NIR %s\n    { name = \"%s\"; type = \"%s\";",
                l->from, l->name, l->type);
        for (size_t k = 0; k < l->n_sets; k++)
            write_set(f, &l->sets[k]);
        fprintf(f, " }%s\n", i + 1 < m->n_layers ? "," : "");
    }
    fputs("  );\n  load = {\n", f);
    for (size_t i = 0; i < m->n_layers; i++) {
        const sl__nirmap_layer *l = &m->layers[i];
        if (!l->n_pars)
            continue;
        fprintf(f, "    %s = {", l->name);
        for (size_t k = 0; k < l->n_pars; k++) {
            const sl__nirmap_par *p = &l->pars[k];
            char rel[600], full[1200];
            int n1 = snprintf(rel, sizeof rel, "%s.%s.%s.npy", prefix,
                              l->name, p->name);
            int n2 = snprintf(full, sizeof full, "%s/%s", dir, rel);
            if (n1 < 0 || (size_t)n1 >= sizeof rel || n2 < 0 ||
                (size_t)n2 >= sizeof full)
                return sl__fail(err, SL_EINVAL, "file name too long");
            void *img;
            size_t size;
            int rc = sl__npy_f32(p->data, p->shape, p->ndim, &img, &size,
                                 err);
            if (rc == SL_OK) {
                rc = sl__file_write_atomic(full, img, size, err);
                free(img);
            }
            if (rc)
                return rc;
            fprintf(f, " %s = \"%s\";", p->name, rel);
        }
        fputs(" };\n", f);
    }
    fputs("  };\n};\n\nloss = { type = \"mse\"; };\n"
          "optimizer = { type = \"adam\"; lr = 1e-3; };\n"
          "train = { epochs = 0; };\n"
          "evaluate = ( { data = \"train\"; metric = \"loss\"; } );\n", f);
    return ferror(f) ? sl__fail(err, SL_EIO, "write error") : SL_OK;
}

int sl__nirmap_to_config(const sl__nirmap *m, sl__config *cfg,
                         sl__setting *netg, sl__err *err)
{
    config_setting_t *list = config_setting_add(netg, "layers",
                                                CONFIG_TYPE_LIST);
    if (!list)
        return sl__fail(err, SL_ENOMEM, "cannot add the layers");
    sl__config_mark_generated(cfg, list);
    for (size_t i = 0; i < m->n_layers; i++) {
        const sl__nirmap_layer *l = &m->layers[i];
        config_setting_t *g = config_setting_add(list, NULL,
                                                 CONFIG_TYPE_GROUP);
        config_setting_t *s;
        if (!g)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        if (!(s = config_setting_add(g, "name", CONFIG_TYPE_STRING)) ||
            !config_setting_set_string(s, l->name) ||
            !(s = config_setting_add(g, "type", CONFIG_TYPE_STRING)) ||
            !config_setting_set_string(s, l->type))
            return sl__fail(err, SL_ENOMEM, "out of memory");
        for (size_t k = 0; k < l->n_sets; k++) {
            const sl__nirmap_set *st = &l->sets[k];
            int ok = 1;
            switch (st->kind) {
            case 'i':
                ok = (s = config_setting_add(g, st->key,
                                             CONFIG_TYPE_INT)) &&
                     config_setting_set_int(s, (int)st->num);
                break;
            case 'f':
                ok = (s = config_setting_add(g, st->key,
                                             CONFIG_TYPE_FLOAT)) &&
                     config_setting_set_float(s, st->num);
                break;
            case 'b':
                ok = (s = config_setting_add(g, st->key,
                                             CONFIG_TYPE_BOOL)) &&
                     config_setting_set_bool(s, st->num != 0);
                break;
            case 's':
                ok = (s = config_setting_add(g, st->key,
                                             CONFIG_TYPE_STRING)) &&
                     config_setting_set_string(s, st->str);
                break;
            default:
                ok = (s = config_setting_add(g, st->key,
                                             CONFIG_TYPE_ARRAY)) != NULL;
                for (size_t j = 0; ok && j < st->n_ivec; j++)
                    ok = config_setting_set_int_elem(s, -1,
                                                     (int)st->ivec[j]) !=
                         NULL;
            }
            if (!ok)
                return sl__fail(err, SL_ENOMEM, "out of memory");
        }
    }
    return SL_OK;
}

int sl__nirmap_set_params(const sl__nirmap *m, sl__network *net,
                          sl__err *err)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const sl__nirmap_layer *ml = &m->layers[i];
        sl__layer *l = NULL;
        for (size_t j = 0; j < net->n_layers && !l; j++)
            if (!strcmp(net->layers[j].label, ml->name))
                l = &net->layers[j];
        if (!l)
            return sl__fail(err, SL_ECONFIG, "layer %s of the NIR graph is "
                            "not in the network", ml->name);
        for (size_t k = 0; k < ml->n_pars; k++) {
            const sl__nirmap_par *mp_ = &ml->pars[k];
            sl_param *pp = NULL;
            for (size_t q = 0; q < l->n_params && !pp; q++)
                if (l->params[q].name && !strcmp(l->params[q].name,
                                                 mp_->name))
                    pp = &l->params[q];
            if (!pp || !pp->data || pp->n != mp_->n)
                return sl__fail(err, SL_ECONFIG, "layer %s (%s, from NIR "
                                "%s) has no parameter %s of %zu values",
                                ml->name, ml->type, ml->from, mp_->name,
                                mp_->n);
            memcpy(pp->data, mp_->data, mp_->n * sizeof(float));
        }
    }
    return SL_OK;
}

int sl__nirmap_network(sl__config *cfg, sl__setting *netg, double dt,
                       sl__nirmap *m, sl__err *err)
{
    const char *file, *scheme, *order, *neuron;
    int rc;
    if ((rc = sl__cfg_string(cfg, netg, "nir", NULL, &file, err)) ||
        (rc = sl__cfg_string(cfg, netg, "nir_neuron", "lif", &neuron,
                             err)) ||
        (rc = sl__cfg_string(cfg, netg, "nir_scheme", NULL, &scheme, err)) ||
        (rc = sl__cfg_string(cfg, netg, "nir_input_order", NULL, &order,
                             err)))
        return rc;
    if (sl__config_find(cfg, netg, "layers"))
        return sl__cfg_error(cfg, sl__config_find(cfg, netg, "nir"), err,
                             SL_ECONFIG, "give either nir (the layers of a "
                             "NIR graph) or layers, not both");
    /* relative to the experiment file's directory, as @include */
    char path[4096];
    const char *cp = sl__config_path(cfg);
    const char *slash = cp ? strrchr(cp, '/') : NULL;
    int n = file[0] != '/' && slash
                ? snprintf(path, sizeof path, "%.*s/%s",
                           (int)(slash - cp), cp, file)
                : snprintf(path, sizeof path, "%s", file);
    if (n < 0 || (size_t)n >= sizeof path)
        return sl__cfg_error(cfg, sl__config_find(cfg, netg, "nir"), err,
                             SL_ECONFIG, "path too long");
    sl__nir_graph *g;
    if ((rc = sl__nir_read(path, &g, err))) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        return sl__cfg_error(cfg, sl__config_find(cfg, netg, "nir"), err,
                             rc == SL_EIO ? SL_ECONFIG : rc, "%s", tmp);
    }
    sl__nirmap_opts o = {dt, scheme, order, path, neuron};
    rc = sl__nirmap_from_graph(g, &o, m, err);
    sl__nir_free(g);
    if (rc) {
        char tmp[sizeof err->msg];
        snprintf(tmp, sizeof tmp, "%s", err->msg);
        return sl__cfg_error(cfg, sl__config_find(cfg, netg, "nir"), err, rc,
                             "%s", tmp);
    }
    return sl__nirmap_to_config(m, cfg, netg, err);
}

int sl__nirmap_load_npy(sl__config *cfg, sl__setting *netg,
                        sl__network *net, sl__err *err)
{
    sl__setting *ld = sl__config_find(cfg, netg, "load");
    if (!ld)
        return SL_OK;
    sl__cfg_mark_used(ld);
    if (config_setting_type(ld) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, ld, err, SL_ECONFIG, "load must be a group "
                             "{ LAYER = { PARAM = \"file.npy\"; }; }");
    const char *cp = sl__config_path(cfg);
    const char *slash = cp ? strrchr(cp, '/') : NULL;
    for (int i = 0; i < config_setting_length(ld); i++) {
        config_setting_t *lg = config_setting_get_elem(ld, (unsigned)i);
        const char *lname = config_setting_name(lg);
        sl__layer *l = NULL;
        for (size_t j = 0; j < net->n_layers && !l; j++)
            if (!strcmp(net->layers[j].label, lname))
                l = &net->layers[j];
        if (!l || config_setting_type(lg) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(cfg, lg, err, SL_ECONFIG, "%s", !l ?
                                 "no layer of this name in the network" :
                                 "must be a group { PARAM = \"file.npy\"; }");
        for (int k = 0; k < config_setting_length(lg); k++) {
            config_setting_t *ps = config_setting_get_elem(lg, (unsigned)k);
            const char *pname = config_setting_name(ps);
            const char *file = config_setting_get_string(ps);
            sl_param *pp = NULL;
            for (size_t q = 0; q < l->n_params && !pp; q++)
                if (l->params[q].name && !strcmp(l->params[q].name, pname))
                    pp = &l->params[q];
            if (!pp || !file)
                return sl__cfg_error(cfg, ps, err, SL_ECONFIG, "%s",
                                     !file ? "must be a file name string"
                                           : "the layer has no parameter "
                                             "of this name");
            char path[4096];
            int n = file[0] != '/' && slash
                        ? snprintf(path, sizeof path, "%.*s/%s",
                                   (int)(slash - cp), cp, file)
                        : snprintf(path, sizeof path, "%s", file);
            if (n < 0 || (size_t)n >= sizeof path)
                return sl__cfg_error(cfg, ps, err, SL_ECONFIG,
                                     "path too long");
            char *data;
            size_t len, count = 0;
            sl__err fe;
            int rc = sl__file_read(path, (size_t)1 << 30, SL__FILE_REGULAR,
                                   &data, &len, &fe);
            if (rc)
                return sl__cfg_error(cfg, ps, err, SL_ECONFIG, "%s", fe.msg);
            const float *v = sl__npy_f32_data((unsigned char *)data, len,
                                              &count);
            if (!v || count != pp->n) {
                free(data);
                return sl__cfg_error(cfg, ps, err, SL_ECONFIG, "%s: not a "
                                     "float32 .npy array of %zu values (the "
                                     "shape of %s.%s)", path, pp->n, lname,
                                     pname);
            }
            memcpy(pp->data, v, count * sizeof(float));
            free(data);
        }
    }
    return SL_OK;
}

/* ------------------------------------------------------------- export */

typedef struct ex {
    sl__config *cfg;
    sl__err *err;
    sl__nir_graph *g;
    double dt;
} ex;

static int xfail(ex *x, const sl__layer *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int xfail(ex *x, const sl__layer *l, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl__fail(x->err, SL_ECONFIG, "layer %s (%s): %s", l->label,
                    l->entry->comp->name, msg);
}

static const sl_param *param_of(const sl__layer *l, const char *name)
{
    for (size_t i = 0; i < l->n_params; i++)
        if (l->params[i].name && !strcmp(l->params[i].name, name))
            return &l->params[i];
    return NULL;
}

/* A float/bool/string setting of layer l, the component's default when
 * absent (read with the getters, so the declared defaults apply). */
static double fget(ex *x, const sl__layer *l, const char *k, double d)
{
    double v = d;
    sl__err e;
    if (sl__cfg_float(x->cfg, l->ctx.group, k, d, &v, &e))
        return d;
    return v;
}

static int bget(ex *x, const sl__layer *l, const char *k, int d)
{
    int v = d;
    sl__err e;
    if (sl__cfg_bool(x->cfg, l->ctx.group, k, d, &v, &e))
        return d;
    return v;
}

static const char *sget(ex *x, const sl__layer *l, const char *k,
                        const char *d)
{
    const char *v = d;
    sl__err e;
    if (sl__cfg_string(x->cfg, l->ctx.group, k, d, &v, &e) || !v)
        return d;
    return v;
}

/* An int or [a, b] setting of the conv plugin, expanded to n values. */
static int ivec_get(ex *x, const sl__layer *l, const char *k, size_t n,
                    double def, double *out)
{
    config_setting_t *s = config_setting_get_member(l->ctx.group, k);
    if (!s) {
        for (size_t i = 0; i < n; i++)
            out[i] = def;
        return SL_OK;
    }
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
        for (size_t i = 0; i < n; i++)
            out[i] = (double)config_setting_get_int64(s);
        return SL_OK;
    }
    if ((size_t)config_setting_length(s) != n)
        return xfail(x, l, "%s has %d values, %zu expected", k,
                     config_setting_length(s), n);
    for (size_t i = 0; i < n; i++)
        out[i] = (double)config_setting_get_int64(
            config_setting_get_elem(s, (unsigned)i));
    return SL_OK;
}

static void node_name(const sl__layer *l, const char *suffix, char *buf,
                      size_t len)
{
    snprintf(buf, len, "%s%s", l->label, suffix);
    for (char *c = buf; *c; c++)
        if (*c == '.' || *c == '/')
            *c = '_';
}

static int add1(sl__nir_node *nd, const char *k, double v, size_t n)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    if (!a)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        a[i] = v;
    sl__nir_arr *r = sl__nir_add_arr(nd, k, 1, &n, NULL, a, 1);
    free(a);
    return r ? SL_OK : SL_ENOMEM;
}

/* matrix [rows][cols] from a [cols][rows] spikelab weight (transposed) */
static int add_transposed(sl__nir_node *nd, const char *k, const float *w,
                          size_t pre, size_t post)
{
    size_t cnt = pre * post;
    float *t = malloc((cnt ? cnt : 1) * sizeof *t);
    if (!t)
        return SL_ENOMEM;
    for (size_t i = 0; i < pre; i++)
        for (size_t o = 0; o < post; o++)
            t[o * pre + i] = w[i * post + o];
    size_t sh[2] = {post, pre};
    sl__nir_arr *r = sl__nir_add_arr(nd, k, 2, sh, t, NULL, 1);
    free(t);
    return r ? SL_OK : SL_ENOMEM;
}

static int export_lif(ex *x, const sl__layer *l, const char *name,
                      const char *prev)
{
    size_t n = l->n_out;
    int synapse = bget(x, l, "synapse", 1), leak = bget(x, l, "leak", 1);
    const char *scheme = sget(x, l, "scheme", "euler");
    const char *order = sget(x, l, "input_order", "end");
    const char *reset = sget(x, l, "reset", "to_v_reset");
    double tm = fget(x, l, "tau_mem", 1e-2), v_leak = fget(x, l, "v_leak", 0);
    double v_th = fget(x, l, "v_th", 0.6), v_reset = fget(x, l, "v_reset", 0);
    double t_ref = fget(x, l, "t_ref", 0);
    if (strcmp(reset, "to_v_reset") && strcmp(reset, "none"))
        return xfail(x, l, "reset = \"%s\": NIR's neurons reset to v_reset",
                     reset);
    if (bget(x, l, "reset_delay", 0))
        return xfail(x, l, "reset_delay = true has no NIR equivalent");
    if (t_ref > 0)
        return xfail(x, l, "t_ref = %g s: NIR's neurons have no refractory "
                     "period", t_ref);
    int none = !strcmp(reset, "none");
    if (synapse && !leak)
        return xfail(x, l, "an IF neuron (leak = false) with a synaptic "
                     "current has no NIR node");
    if (none && !leak)
        return xfail(x, l, "an integrator without reset (leak = false, "
                     "reset = \"none\") is not exported (I + Threshold "
                     "would be)");
    if (none)
        return xfail(x, l, "reset = \"none\" is not exported (LI + "
                     "Threshold would express it)");
    if (!leak && v_leak != 0)
        return xfail(x, l, "leak = false with v_leak = %g (its start "
                     "value): NIR's IF starts at 0", v_leak);
    const char *type = synapse ? "CubaLIF" : leak ? "LIF" : "IF";
    sl__nir_node *nd = sl__nir_add_node(x->g, name, type);
    if (!nd)
        return SL_ENOMEM;
    int rc = SL_OK;
    if (synapse) {
        double ts = fget(x, l, "tau_syn", 5e-3);
        double gg = !strcmp(scheme, "euler") ? x->dt / ts
                                             : -expm1(-x->dt / ts);
        rc = add1(nd, "tau_mem", tm, n) || add1(nd, "tau_syn", ts, n) ||
             add1(nd, "r", 1.0, n) || add1(nd, "v_leak", v_leak, n) ||
             add1(nd, "w_in", 1.0 / gg, n);
    } else if (leak) {
        rc = add1(nd, "tau", tm, n) || add1(nd, "r", 1.0, n) ||
             add1(nd, "v_leak", v_leak, n);
    } else {
        rc = add1(nd, "r", 1.0 / tm, n);
    }
    rc = rc || add1(nd, "v_threshold", v_th, n) ||
         add1(nd, "v_reset", v_reset, n);
    rc = rc || sl__nir_add_smeta(nd, "spikelab_scheme", scheme) ||
         sl__nir_add_smeta(nd, "spikelab_input_order", order) ||
         !sl__nir_add_meta(nd, "spikelab_dt", x->dt) ||
         !sl__nir_add_meta(nd, "spikelab_alpha",
                           fget(x, l, "alpha", 100.0));
    const char *sg = sget(x, l, "surrogate", NULL);
    if (!rc && sg)
        rc = sl__nir_add_smeta(nd, "spikelab_surrogate", sg);
    if (rc)
        return SL_ENOMEM;
    if (sl__nir_add_edge(x->g, prev, name))
        return SL_ENOMEM;
    const sl_param *wr = param_of(l, "w_rec");
    if (wr && bget(x, l, "recurrent", 0)) {
        char rn[300];
        node_name(l, "_rec", rn, sizeof rn);
        sl__nir_node *r = sl__nir_add_node(x->g, rn, "Linear");
        if (!r || add_transposed(r, "weight", wr->data, n, n) ||
            sl__nir_add_edge(x->g, name, rn) ||
            sl__nir_add_edge(x->g, rn, name))
            return SL_ENOMEM;
    }
    return SL_OK;
}

int sl__nirmap_export(const sl__network *net, sl__config *cfg,
                      sl__nir_graph **out, sl__err *err)
{
    *out = NULL;
    sl__nir_graph *g = sl__nir_new();
    if (!g || !(g->version = malloc(8)))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    strcpy(g->version, "1.0");
    ex x = {cfg, err, g, net->dt};
    int rc = SL_OK;
    /* the input's shape: the first layer's in_shape where it has one */
    sl__nir_node *in = sl__nir_add_node(g, "input", "Input");
    if (!in) {
        rc = SL_ENOMEM;
        goto fail;
    }
    {
        double sh[4] = {(double)net->n_in};
        size_t nsh = 1;
        config_setting_t *is = net->n_layers
                                   ? config_setting_get_member(
                                         net->layers[0].ctx.group, "in_shape")
                                   : NULL;
        if (is && config_setting_length(is) >= 1 &&
            config_setting_length(is) <= 4) {
            nsh = (size_t)config_setting_length(is);
            for (size_t i = 0; i < nsh; i++)
                sh[i] = (double)config_setting_get_int_elem(is, (int)i);
        }
        if (!sl__nir_add_arr(in, "shape", 1, &nsh, NULL, sh, 0)) {
            rc = SL_ENOMEM;
            goto fail;
        }
    }
    char prev[300] = "input";
    for (size_t i = 0; i < net->n_layers && rc == SL_OK; i++) {
        const sl__layer *l = &net->layers[i];
        const char *t = l->entry->comp->name;
        char name[300];
        node_name(l, "", name, sizeof name);
        if (sl__nir_node_find(g, name)) {
            rc = xfail(&x, l, "two layers give the NIR node name %s", name);
            break;
        }
        if (!strcmp(t, "linear")) {
            const sl_param *w = param_of(l, "weight"), *b = param_of(l,
                                                                    "bias");
            int has_b = bget(&x, l, "bias", 0) && b;
            sl__nir_node *nd = sl__nir_add_node(g, name, has_b ? "Affine"
                                                               : "Linear");
            if (!nd || !w || add_transposed(nd, "weight", w->data, l->n_in,
                                            l->n_out))
                rc = SL_ENOMEM;
            else if (has_b && !sl__nir_add_arr(nd, "bias", 1, &l->n_out,
                                               b->data, NULL, 1))
                rc = SL_ENOMEM;
            else if (sl__nir_add_edge(g, prev, name))
                rc = SL_ENOMEM;
        } else if (!strcmp(t, "lif")) {
            rc = export_lif(&x, l, name, prev);
        } else if (!strcmp(t, "li")) {
            int synapse = bget(&x, l, "synapse", 1);
            double tm = fget(&x, l, "tau_mem", 1e-2);
            double vl = fget(&x, l, "v_leak", 0);
            sl__nir_node *nd = sl__nir_add_node(g, name,
                                                synapse ? "CubaLI" : "LI");
            size_t n = l->n_out;
            if (!nd) {
                rc = SL_ENOMEM;
            } else if (synapse) {
                double ts = fget(&x, l, "tau_syn", 5e-3);
                rc = add1(nd, "tau_mem", tm, n) ||
                     add1(nd, "tau_syn", ts, n) || add1(nd, "r", 1.0, n) ||
                     add1(nd, "v_leak", vl, n) ||
                     add1(nd, "w_in", ts / x.dt, n);
            } else {
                rc = add1(nd, "tau", tm, n) || add1(nd, "r", 1.0, n) ||
                     add1(nd, "v_leak", vl, n);
            }
            if (!rc && (sl__nir_add_smeta(nd, "spikelab_scheme", "euler") ||
                        !sl__nir_add_meta(nd, "spikelab_dt", x.dt) ||
                        sl__nir_add_edge(g, prev, name)))
                rc = SL_ENOMEM;
            rc = rc ? SL_ENOMEM : SL_OK;
        } else if (!strcmp(t, "conv2d") || !strcmp(t, "conv1d")) {
            int two = t[4] == '2';
            size_t sd = two ? 2 : 1;
            double ish[3], k[2], st[2], pd[2], dl[2], grp, cout;
            const sl_param *w = param_of(l, "weight"), *b = param_of(l,
                                                                    "bias");
            if ((rc = ivec_get(&x, l, "in_shape", sd + 1, 0, ish)) ||
                (rc = ivec_get(&x, l, "kernel", sd, 1, k)) ||
                (rc = ivec_get(&x, l, "stride", sd, 1, st)) ||
                (rc = ivec_get(&x, l, "padding", sd, 0, pd)) ||
                (rc = ivec_get(&x, l, "dilation", sd, 1, dl)) ||
                (rc = ivec_get(&x, l, "groups", 1, 1, &grp)) ||
                (rc = ivec_get(&x, l, "out_channels", 1, 0, &cout)))
                break;
            if (!w || cout < 1 || grp < 1) {
                rc = xfail(&x, l, "no weight parameter or out_channels");
                break;
            }
            size_t co = (size_t)cout;
            size_t wsh[4] = {co, (size_t)(ish[0] / grp), (size_t)k[0],
                             (size_t)k[1]};
            if (prod(wsh, sd + 2) != w->n) {
                rc = xfail(&x, l, "weight has %zu values, not %zu", w->n,
                           prod(wsh, sd + 2));
                break;
            }
            sl__nir_node *nd = sl__nir_add_node(g, name, two ? "Conv2d"
                                                             : "Conv1d");
            size_t two_n = sd;
            float *bz = calloc(co, sizeof *bz);
            int bias_on = bget(&x, l, "bias", 0) && b;
            if (bz && bias_on)
                memcpy(bz, b->data, co * sizeof *bz);
            double one = (double)grp;
            if (!nd || !bz ||
                !sl__nir_add_arr(nd, "weight", sd + 2, wsh, w->data, NULL,
                                 1) ||
                !sl__nir_add_arr(nd, "bias", 1, &co, bz, NULL, 1) ||
                !sl__nir_add_arr(nd, "stride", 1, &two_n, NULL, st, 0) ||
                !sl__nir_add_arr(nd, "padding", 1, &two_n, NULL, pd, 0) ||
                !sl__nir_add_arr(nd, "dilation", 1, &two_n, NULL, dl, 0) ||
                !sl__nir_add_arr(nd, "groups", 0, NULL, NULL, &one, 0) ||
                !(two ? sl__nir_add_arr(nd, "input_shape", 1, &two_n, NULL,
                                        ish + 1, 0)
                      : sl__nir_add_arr(nd, "input_shape", 0, NULL, NULL,
                                        ish + 1, 0)) ||
                sl__nir_add_edge(g, prev, name))
                rc = SL_ENOMEM;
            free(bz);
        } else if (!strcmp(t, "sumpool2d") || !strcmp(t, "avgpool2d")) {
            double ish[3], k[2], st[2], pd[2];
            if ((rc = ivec_get(&x, l, "in_shape", 3, 0, ish)) ||
                (rc = ivec_get(&x, l, "kernel", 2, 1, k)) ||
                (rc = ivec_get(&x, l, "stride", 2, 0, st)) ||
                (rc = ivec_get(&x, l, "padding", 2, 0, pd)))
                break;
            if (st[0] == 0) /* the plugin's default: stride = kernel */
                st[0] = k[0], st[1] = k[1];
            size_t two = 2;
            sl__nir_node *nd = sl__nir_add_node(
                g, name, t[0] == 's' ? "SumPool2d" : "AvgPool2d");
            if (!nd ||
                !sl__nir_add_arr(nd, "kernel_size", 1, &two, NULL, k, 0) ||
                !sl__nir_add_arr(nd, "stride", 1, &two, NULL, st, 0) ||
                !sl__nir_add_arr(nd, "padding", 1, &two, NULL, pd, 0) ||
                sl__nir_add_edge(g, prev, name))
                rc = SL_ENOMEM;
        } else if (!strcmp(t, "flatten")) {
            config_setting_t *is = config_setting_get_member(l->ctx.group,
                                                             "in_shape");
            size_t n = is ? (size_t)config_setting_length(is) : 0;
            double sh[4], zero = 0, minus = -1;
            for (size_t k = 0; k < n && k < 4; k++)
                sh[k] = (double)config_setting_get_int_elem(is, (int)k);
            sl__nir_node *nd = sl__nir_add_node(g, name, "Flatten");
            if (n == 0 || n > 4) {
                rc = xfail(&x, l, "in_shape is missing or has %zu values", n);
            } else if (!nd ||
                       !sl__nir_add_arr(nd, "start_dim", 0, NULL, NULL,
                                        &zero, 0) ||
                       !sl__nir_add_arr(nd, "end_dim", 0, NULL, NULL, &minus,
                                        0) ||
                       !sl__nir_add_arr(nd, "input_type", 1, &n, NULL, sh,
                                        0) ||
                       sl__nir_add_edge(g, prev, name)) {
                rc = SL_ENOMEM;
            }
        } else {
            rc = xfail(&x, l, "no NIR node for this component (NIR export "
                       "knows linear, lif, li, conv1d, conv2d, sumpool2d, "
                       "avgpool2d, flatten)");
        }
        snprintf(prev, sizeof prev, "%s", name);
    }
    if (rc == SL_OK) {
        size_t n1 = 1;
        double w = (double)net->n_out;
        sl__nir_node *o = sl__nir_add_node(g, "output", "Output");
        if (sl__nir_node_find(g, "output") != o ||
            !sl__nir_add_arr(o, "shape", 1, &n1, NULL, &w, 0) ||
            sl__nir_add_edge(g, prev, "output"))
            rc = SL_ENOMEM;
    }
    if (rc == SL_OK) {
        *out = g;
        return SL_OK;
    }
fail:
    sl__nir_free(g);
    if (rc == SL_ENOMEM)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    return rc;
}
