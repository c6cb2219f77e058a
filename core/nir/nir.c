/* core/nir/nir.c — NIR files through libhdf5 (see nir.h for the layout).
 *
 * The file is read whole with util/file.c (a FIFO cannot block, a huge
 * file is refused) and opened as an in-memory image (HDF5's core driver),
 * so the reader sees exactly the bytes checked, and the fuzzing harness
 * drives the same code with its inputs. Every size the file claims is
 * bounded before anything is allocated for it: a gzip-compressed dataset
 * may claim gigabytes in a few bytes. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spikelab/abi.h"
#include "nir/nir.h"
#include "util/file.h"

#define NIR_MAX_FILE ((size_t)512 << 20)
#define NIR_MAX_ELEMS ((size_t)1 << 24)   /* per dataset */
#define NIR_MAX_TOTAL ((size_t)1 << 26)   /* per file */
#define NIR_MAX_DEPTH 16                  /* nested graphs */
#define NIR_MAX_NAME 256

/* ------------------------------------------------------------ building */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc < need)
        nc *= 2;
    void *q = realloc(p, nc * elem);
    if (q) {
        memset((char *)q + *cap * elem, 0, (nc - *cap) * elem);
        *cap = nc;
    }
    return q;
}

sl__nir_graph *sl__nir_new(void)
{
    return calloc(1, sizeof(sl__nir_graph));
}

sl__nir_node *sl__nir_add_node(sl__nir_graph *g, const char *name,
                               const char *type)
{
    sl__nir_node *nn = grow(g->nodes, &g->cap_nodes, g->n_nodes + 1,
                            sizeof *nn);
    if (!nn)
        return NULL;
    g->nodes = nn;
    sl__nir_node *nd = &g->nodes[g->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->name = dupstr(name);
    nd->type = dupstr(type);
    if (!nd->name || !nd->type) {
        free(nd->name);
        free(nd->type);
        return NULL;
    }
    g->n_nodes++;
    return nd;
}

static sl__nir_arr *arr_push(sl__nir_arr **a, size_t *n, const char *name,
                             size_t ndim, const size_t *shape,
                             const float *v, const double *vd, int is_float)
{
    if (ndim > SL__NIR_MAX_DIM)
        return NULL;
    size_t cnt = 1;
    for (size_t i = 0; i < ndim; i++)
        cnt *= shape[i];
    sl__nir_arr *na = realloc(*a, (*n + 1) * sizeof **a);
    if (!na)
        return NULL;
    *a = na;
    sl__nir_arr *r = &na[*n];
    memset(r, 0, sizeof *r);
    r->name = dupstr(name);
    r->v = malloc((cnt ? cnt : 1) * sizeof(double));
    if (!r->name || !r->v) {
        free(r->name);
        free(r->v);
        return NULL;
    }
    r->ndim = ndim;
    for (size_t i = 0; i < ndim; i++)
        r->shape[i] = shape[i];
    r->n = cnt;
    for (size_t i = 0; i < cnt; i++)
        r->v[i] = v ? (double)v[i] : vd[i];
    r->is_float = is_float;
    (*n)++;
    return r;
}

sl__nir_arr *sl__nir_add_arr(sl__nir_node *nd, const char *name, size_t ndim,
                             const size_t *shape, const float *v,
                             const double *vd, int is_float)
{
    return arr_push(&nd->arr, &nd->n_arr, name, ndim, shape, v, vd, is_float);
}

sl__nir_arr *sl__nir_add_meta(sl__nir_node *nd, const char *name, double v)
{
    return arr_push(&nd->meta, &nd->n_meta, name, 0, NULL, NULL, &v, 1);
}

static int str_push(sl__nir_str **a, size_t *n, const char *name,
                    const char *v)
{
    sl__nir_str *na = realloc(*a, (*n + 1) * sizeof **a);
    if (!na)
        return SL_ENOMEM;
    *a = na;
    na[*n].name = dupstr(name);
    na[*n].value = dupstr(v);
    if (!na[*n].name || !na[*n].value) {
        free(na[*n].name);
        free(na[*n].value);
        return SL_ENOMEM;
    }
    (*n)++;
    return SL_OK;
}

int sl__nir_add_smeta(sl__nir_node *nd, const char *name, const char *v)
{
    return str_push(&nd->smeta, &nd->n_smeta, name, v);
}

int sl__nir_add_str(sl__nir_node *nd, const char *name, const char *v)
{
    return str_push(&nd->str, &nd->n_str, name, v);
}

int sl__nir_add_edge(sl__nir_graph *g, const char *src, const char *dst)
{
    size_t cap = g->cap_edges;
    char **s = grow(g->src, &cap, g->n_edges + 1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    g->src = s;
    cap = g->cap_edges;
    char **d = grow(g->dst, &cap, g->n_edges + 1, sizeof *d);
    if (!d)
        return SL_ENOMEM;
    g->dst = d;
    g->cap_edges = cap;
    g->src[g->n_edges] = dupstr(src);
    g->dst[g->n_edges] = dupstr(dst);
    if (!g->src[g->n_edges] || !g->dst[g->n_edges]) {
        free(g->src[g->n_edges]);
        free(g->dst[g->n_edges]);
        return SL_ENOMEM;
    }
    g->n_edges++;
    return SL_OK;
}

static void node_clear(sl__nir_node *nd)
{
    free(nd->name);
    free(nd->type);
    for (size_t i = 0; i < nd->n_arr; i++) {
        free(nd->arr[i].name);
        free(nd->arr[i].v);
    }
    free(nd->arr);
    for (size_t i = 0; i < nd->n_meta; i++) {
        free(nd->meta[i].name);
        free(nd->meta[i].v);
    }
    free(nd->meta);
    for (size_t i = 0; i < nd->n_str; i++) {
        free(nd->str[i].name);
        free(nd->str[i].value);
    }
    free(nd->str);
    for (size_t i = 0; i < nd->n_smeta; i++) {
        free(nd->smeta[i].name);
        free(nd->smeta[i].value);
    }
    free(nd->smeta);
    sl__nir_free(nd->sub);
}

void sl__nir_free(sl__nir_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_nodes; i++)
        node_clear(&g->nodes[i]);
    free(g->nodes);
    for (size_t i = 0; i < g->n_edges; i++) {
        free(g->src[i]);
        free(g->dst[i]);
    }
    free(g->src);
    free(g->dst);
    free(g->version);
    free(g);
}

sl__nir_node *sl__nir_node_find(const sl__nir_graph *g, const char *name)
{
    for (size_t i = 0; g && i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

const sl__nir_arr *sl__nir_arr_find(const sl__nir_node *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_arr; i++)
        if (strcmp(nd->arr[i].name, name) == 0)
            return &nd->arr[i];
    return NULL;
}

const char *sl__nir_str_find(const sl__nir_node *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_str; i++)
        if (strcmp(nd->str[i].name, name) == 0)
            return nd->str[i].value;
    return NULL;
}

const sl__nir_arr *sl__nir_meta_find(const sl__nir_node *nd,
                                     const char *name)
{
    for (size_t i = 0; i < nd->n_meta; i++)
        if (strcmp(nd->meta[i].name, name) == 0)
            return &nd->meta[i];
    return NULL;
}

const char *sl__nir_smeta_find(const sl__nir_node *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_smeta; i++)
        if (strcmp(nd->smeta[i].name, name) == 0)
            return nd->smeta[i].value;
    return NULL;
}

/* -------------------------------------------------------- node types */

/* Every node type NIR defines, with its required fields (the files of nir/ir/ and
 * serialization.py's read_node) and which fields are times (> 0). */
typedef struct nir_type {
    const char *name;
    const char *required[8];
    const char *optional[4];
} nir_type;

static const nir_type nir_types[] = {
    {"Input", {"shape"}, {0}},
    {"Output", {"shape"}, {0}},
    {"Affine", {"weight", "bias"}, {0}},
    {"Linear", {"weight"}, {0}},
    {"Scale", {"scale"}, {0}},
    {"LIF", {"tau", "r", "v_leak", "v_threshold"}, {"v_reset"}},
    {"CubaLIF", {"tau_mem", "tau_syn", "r", "v_leak", "v_threshold"},
     {"v_reset", "w_in"}},
    {"LI", {"tau", "r", "v_leak"}, {0}},
    {"CubaLI", {"tau_mem", "tau_syn", "r", "v_leak"}, {"w_in"}},
    {"IF", {"r", "v_threshold"}, {"v_reset"}},
    {"I", {"r"}, {0}},
    {"Threshold", {"threshold"}, {0}},
    {"Conv1d", {"weight", "stride", "dilation", "groups", "bias"},
     {"input_shape", "padding"}},
    {"Conv2d", {"weight", "stride", "dilation", "groups", "bias"},
     {"input_shape", "padding"}},
    {"SumPool2d", {"kernel_size", "stride", "padding"}, {0}},
    {"AvgPool2d", {"kernel_size", "stride", "padding"}, {0}},
    {"Flatten", {"start_dim", "end_dim"}, {"input_type"}},
    {"Delay", {"delay"}, {0}},
    {"NIRGraph", {0}, {0}},
};

static const nir_type *type_find(const char *name)
{
    for (size_t i = 0; i < sizeof nir_types / sizeof *nir_types; i++)
        if (strcmp(nir_types[i].name, name) == 0)
            return &nir_types[i];
    return NULL;
}

static int is_neuron(const char *t)
{
    return !strcmp(t, "LIF") || !strcmp(t, "CubaLIF") || !strcmp(t, "LI") ||
           !strcmp(t, "CubaLI") || !strcmp(t, "IF") || !strcmp(t, "I") ||
           !strcmp(t, "Threshold");
}

/* ------------------------------------------------------------- reading */

typedef struct rd {
    const char *file;
    sl__err *err;
    size_t total; /* elements read so far */
} rd;

static int rfail(rd *r, const char *node, const char *type, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
static int rfail(rd *r, const char *node, const char *type, const char *fmt,
                 ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node && type)
        return sl__fail(r->err, SL_ECONFIG, "%s: node %s (%s): %s", r->file,
                        node, type, msg);
    if (node)
        return sl__fail(r->err, SL_ECONFIG, "%s: node %s: %s", r->file, node,
                        msg);
    return sl__fail(r->err, SL_ECONFIG, "%s: %s", r->file, msg);
}

/* Link `name` of group loc must be a hard link (an external or soft link
 * would make HDF5 open other files or paths). 1 hard, 0 not, -1 error. */
static int hard_link(hid_t loc, const char *name)
{
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0)
        return -1;
    return li.type == H5L_TYPE_HARD;
}

/* Names of the links of group g, malloc'd array of malloc'd strings. */
static int link_names(rd *r, hid_t g, const char *where, char ***out,
                      size_t *n)
{
    H5G_info_t gi;
    *out = NULL;
    *n = 0;
    if (H5Gget_info(g, &gi) < 0)
        return rfail(r, where, NULL, "unreadable group");
    if (gi.nlinks > 100000)
        return rfail(r, where, NULL, "%llu entries: too many",
                     (unsigned long long)gi.nlinks);
    char **names = calloc(gi.nlinks ? gi.nlinks : 1, sizeof *names);
    if (!names)
        return sl__fail(r->err, SL_ENOMEM, "out of memory");
    for (hsize_t i = 0; i < gi.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC,
                                         i, NULL, 0, H5P_DEFAULT);
        if (len <= 0 || len > NIR_MAX_NAME) {
            for (hsize_t k = 0; k < i; k++)
                free(names[k]);
            free(names);
            return rfail(r, where, NULL, "an entry with an unreadable or "
                         "over-long name");
        }
        names[i] = malloc((size_t)len + 1);
        if (!names[i] ||
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                               names[i], (size_t)len + 1, H5P_DEFAULT) < 0) {
            for (hsize_t k = 0; k <= i; k++)
                free(names[k]);
            free(names);
            return rfail(r, where, NULL, "unreadable entry name");
        }
    }
    *out = names;
    *n = (size_t)gi.nlinks;
    return SL_OK;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* What a dataset holds. */
enum { DS_NUM, DS_STR, DS_OTHER };

typedef struct dsinfo {
    int kind;
    size_t ndim, n;
    size_t shape[SL__NIR_MAX_DIM];
    int is_float;
} dsinfo;

static int ds_info(rd *r, hid_t d, const char *where, const char *field,
                   dsinfo *o)
{
    memset(o, 0, sizeof *o);
    hid_t sp = H5Dget_space(d), ty = H5Dget_type(d);
    int rc = SL_OK;
    if (sp < 0 || ty < 0) {
        rc = rfail(r, where, NULL, "%s: unreadable dataset", field);
        goto out;
    }
    H5S_class_t sc = H5Sget_simple_extent_type(sp);
    int nd = H5Sget_simple_extent_ndims(sp);
    if (sc == H5S_NULL || nd < 0 || nd > SL__NIR_MAX_DIM) {
        rc = rfail(r, where, NULL, "%s: a dataset of %d dimensions", field,
                   nd);
        goto out;
    }
    hsize_t dims[SL__NIR_MAX_DIM];
    if (H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        rc = rfail(r, where, NULL, "%s: unreadable shape", field);
        goto out;
    }
    o->ndim = (size_t)nd;
    o->n = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] > NIR_MAX_ELEMS || (dims[i] && o->n > NIR_MAX_ELEMS /
                                                             dims[i])) {
            rc = rfail(r, where, NULL, "%s: more than %zu values", field,
                       NIR_MAX_ELEMS);
            goto out;
        }
        o->shape[i] = (size_t)dims[i];
        o->n *= (size_t)dims[i];
    }
    H5T_class_t tc = H5Tget_class(ty);
    if (tc == H5T_INTEGER || tc == H5T_FLOAT) {
        o->kind = DS_NUM;
        o->is_float = tc == H5T_FLOAT;
    } else if (tc == H5T_STRING) {
        o->kind = DS_STR;
    } else {
        o->kind = DS_OTHER;
    }
    if (r->total + o->n > NIR_MAX_TOTAL) {
        rc = rfail(r, where, NULL, "%s: the file holds more than %zu values",
                   field, NIR_MAX_TOTAL);
        goto out;
    }
    r->total += o->n;
out:
    if (sp >= 0)
        H5Sclose(sp);
    if (ty >= 0)
        H5Tclose(ty);
    return rc;
}

static int read_num(rd *r, hid_t d, const char *where, const char *field,
                    const dsinfo *di, double **out)
{
    double *v = malloc((di->n ? di->n : 1) * sizeof *v);
    if (!v)
        return sl__fail(r->err, SL_ENOMEM, "out of memory");
    if (di->n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                         v) < 0) {
        free(v);
        return rfail(r, where, NULL, "%s: its values cannot be read", field);
    }
    *out = v;
    return SL_OK;
}

/* All strings of a string dataset, malloc'd (n of them). */
static int read_strs(rd *r, hid_t d, const char *where, const char *field,
                     const dsinfo *di, char ***out)
{
    hid_t ft = H5Dget_type(d), mt = -1, sp = -1;
    char **res = calloc(di->n ? di->n : 1, sizeof *res);
    int rc = SL_OK;
    if (ft < 0 || !res) {
        rc = res ? rfail(r, where, NULL, "%s: unreadable", field)
                 : sl__fail(r->err, SL_ENOMEM, "out of memory");
        goto out;
    }
    mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(ft));
    if (H5Tis_variable_str(ft) > 0) {
        H5Tset_size(mt, H5T_VARIABLE);
        char **buf = calloc(di->n ? di->n : 1, sizeof *buf);
        if (!buf) {
            rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
            goto out;
        }
        sp = H5Dget_space(d);
        if (di->n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            rc = rfail(r, where, NULL, "%s: its strings cannot be read",
                       field);
            goto out;
        }
        for (size_t i = 0; i < di->n && rc == SL_OK; i++) {
            const char *s = buf[i] ? buf[i] : "";
            if (strlen(s) > NIR_MAX_NAME * 4)
                rc = rfail(r, where, NULL, "%s: an over-long string", field);
            else if (!(res[i] = dupstr(s)))
                rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
        }
        if (di->n)
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
        free(buf);
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0 || sz > NIR_MAX_NAME * 4) {
            rc = rfail(r, where, NULL, "%s: strings of %zu bytes", field, sz);
            goto out;
        }
        H5Tset_size(mt, sz);
        char *buf = calloc(di->n ? di->n : 1, sz);
        if (!buf) {
            rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
            goto out;
        }
        if (di->n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            rc = rfail(r, where, NULL, "%s: its strings cannot be read",
                       field);
            goto out;
        }
        for (size_t i = 0; i < di->n && rc == SL_OK; i++) {
            res[i] = malloc(sz + 1);
            if (!res[i]) {
                rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
                break;
            }
            memcpy(res[i], buf + i * sz, sz);
            res[i][sz] = '\0';
        }
        free(buf);
    }
out:
    if (rc != SL_OK && res) {
        free_names(res, di->n);
        res = NULL;
    }
    *out = res;
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

/* A scalar string dataset `field` of group g into *out (malloc'd). */
static int read_str1(rd *r, hid_t g, const char *where, const char *field,
                     char **out)
{
    *out = NULL;
    if (H5Lexists(g, field, H5P_DEFAULT) <= 0)
        return rfail(r, where, NULL, "no '%s' dataset", field);
    if (hard_link(g, field) != 1)
        return rfail(r, where, NULL, "'%s' is a link, not a dataset", field);
    hid_t d = H5Dopen2(g, field, H5P_DEFAULT);
    if (d < 0)
        return rfail(r, where, NULL, "'%s' is not a dataset", field);
    dsinfo di;
    int rc = ds_info(r, d, where, field, &di);
    char **s = NULL;
    if (rc == SL_OK && (di.kind != DS_STR || di.n != 1))
        rc = rfail(r, where, NULL, "'%s' must be one string", field);
    if (rc == SL_OK)
        rc = read_strs(r, d, where, field, &di, &s);
    H5Dclose(d);
    if (rc == SL_OK) {
        *out = s[0];
        free(s);
    }
    return rc;
}

static int read_graph(rd *r, hid_t g, const char *where, int depth,
                      sl__nir_graph *out);

/* Metadata: numbers and strings kept, anything else skipped (NIR says
 * no backend may rely on it). */
static int read_meta(rd *r, hid_t g, const char *where, sl__nir_node *nd)
{
    char **names;
    size_t n;
    int rc = link_names(r, g, where, &names, &n);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        if (hard_link(g, names[i]) != 1)
            continue;
        H5O_type_t ot;
        hid_t o = H5Oopen(g, names[i], H5P_DEFAULT);
        if (o < 0)
            continue;
        ot = H5Iget_type(o) == H5I_DATASET ? H5O_TYPE_DATASET
                                            : H5O_TYPE_GROUP;
        if (ot == H5O_TYPE_DATASET) {
            dsinfo di;
            rc = ds_info(r, o, where, names[i], &di);
            if (rc == SL_OK && di.kind == DS_NUM && di.n == 1) {
                double *v;
                rc = read_num(r, o, where, names[i], &di, &v);
                if (rc == SL_OK) {
                    if (!sl__nir_add_meta(nd, names[i], v[0]))
                        rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
                    free(v);
                }
            } else if (rc == SL_OK && di.kind == DS_STR && di.n == 1) {
                char **s;
                rc = read_strs(r, o, where, names[i], &di, &s);
                if (rc == SL_OK) {
                    if (sl__nir_add_smeta(nd, names[i], s[0]))
                        rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
                    free_names(s, 1);
                }
            }
        }
        H5Oclose(o);
    }
    free_names(names, n);
    return rc;
}

static int check_values(rd *r, const sl__nir_node *nd)
{
    for (size_t i = 0; i < nd->n_arr; i++) {
        const sl__nir_arr *a = &nd->arr[i];
        for (size_t k = 0; k < a->n; k++)
            if (!isfinite(a->v[k]))
                return rfail(r, nd->name, nd->type, "%s[%zu] is %g: every "
                             "value must be a finite number", a->name, k,
                             a->v[k]);
        if (!strcmp(a->name, "tau") || !strcmp(a->name, "tau_mem") ||
            !strcmp(a->name, "tau_syn"))
            for (size_t k = 0; k < a->n; k++)
                if (!(a->v[k] > 0))
                    return rfail(r, nd->name, nd->type, "%s[%zu] = %g: a "
                                 "time constant must be > 0 s", a->name, k,
                                 a->v[k]);
    }
    return SL_OK;
}

/* Shapes NIR's constructors assert (in nir/ir/). */
static int check_shapes(rd *r, const sl__nir_node *nd)
{
    const char *t = nd->type;
    const sl__nir_arr *w = sl__nir_arr_find(nd, "weight");
    const sl__nir_arr *b = sl__nir_arr_find(nd, "bias");
    if (!strcmp(t, "Affine") || !strcmp(t, "Linear")) {
        if (w->ndim != 2 || w->n == 0)
            return rfail(r, nd->name, t, "weight has %zu dimensions: it "
                         "must be a non-empty matrix [out][in]", w->ndim);
        if (b && b->n != w->shape[0])
            return rfail(r, nd->name, t, "bias has %zu values but weight "
                         "has %zu rows (outputs)", b->n, w->shape[0]);
    } else if (!strcmp(t, "Conv1d") || !strcmp(t, "Conv2d")) {
        size_t want = t[4] == '1' ? 3 : 4;
        if (w->ndim != want || w->n == 0)
            return rfail(r, nd->name, t, "weight has %zu dimensions: it "
                         "must have %zu ([out][in/groups][kernel...])",
                         w->ndim, want);
        if (b->n != w->shape[0] && b->n != 1)
            return rfail(r, nd->name, t, "bias has %zu values but weight "
                         "has %zu output channels", b->n, w->shape[0]);
    } else if (!strcmp(t, "Input") || !strcmp(t, "Output")) {
        const sl__nir_arr *s = sl__nir_arr_find(nd, "shape");
        if (s->ndim > 1 || s->n == 0)
            return rfail(r, nd->name, t, "shape must be a list of sizes");
        for (size_t k = 0; k < s->n; k++)
            if (!(s->v[k] >= 1 && s->v[k] <= 1e9) ||
                s->v[k] != floor(s->v[k]))
                return rfail(r, nd->name, t, "shape[%zu] = %g is not a "
                             "size >= 1", k, s->v[k]);
    } else if (is_neuron(t)) {
        /* every parameter one value per neuron (or a single value) */
        size_t n = 0;
        const char *first = NULL;
        for (size_t i = 0; i < nd->n_arr; i++) {
            const sl__nir_arr *a = &nd->arr[i];
            if (a->n == 1 && a->ndim <= 1)
                continue;
            if (n == 0) {
                n = a->n;
                first = a->name;
            } else if (a->n != n) {
                return rfail(r, nd->name, t, "%s has %zu values but %s has "
                             "%zu: every parameter holds one value per "
                             "neuron", a->name, a->n, first, n);
            }
        }
    }
    return SL_OK;
}

/* One node group `name` of graph group g. */
static int read_node(rd *r, hid_t g, const char *name, int depth,
                     sl__nir_graph *out)
{
    int rc;
    if (hard_link(g, name) != 1)
        return rfail(r, name, NULL, "a link, not a node group");
    hid_t ng = H5Oopen(g, name, H5P_DEFAULT);
    if (ng < 0)
        return rfail(r, name, NULL, "unreadable");
    if (H5Iget_type(ng) != H5I_GROUP) {
        H5Oclose(ng);
        return rfail(r, name, NULL, "a dataset where a node group belongs");
    }
    char *type = NULL;
    if ((rc = read_str1(r, ng, name, "type", &type))) {
        H5Oclose(ng);
        return rc;
    }
    const nir_type *nt = type_find(type);
    if (!nt) {
        rc = rfail(r, name, type, "unknown node type '%s' (NIR defines "
                   "Input, Output, Affine, Linear, Scale, LIF, CubaLIF, LI, "
                   "CubaLI, IF, I, Threshold, Conv1d, Conv2d, SumPool2d, "
                   "AvgPool2d, Flatten, Delay, NIRGraph)", type);
        free(type);
        H5Oclose(ng);
        return rc;
    }
    sl__nir_node *nd = sl__nir_add_node(out, name, type);
    free(type);
    if (!nd) {
        H5Oclose(ng);
        return sl__fail(r->err, SL_ENOMEM, "out of memory");
    }
    if (!strcmp(nd->type, "NIRGraph")) {
        if (depth >= NIR_MAX_DEPTH)
            rc = rfail(r, name, "NIRGraph", "graphs nested more than %d deep",
                       NIR_MAX_DEPTH);
        else if (!(nd->sub = sl__nir_new()))
            rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
        else
            rc = read_graph(r, ng, name, depth + 1, nd->sub);
        H5Oclose(ng);
        return rc;
    }
    char **names;
    size_t n;
    rc = link_names(r, ng, name, &names, &n);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        const char *f = names[i];
        if (!strcmp(f, "type"))
            continue;
        if (hard_link(ng, f) != 1) {
            rc = rfail(r, name, nd->type, "%s is a link", f);
            break;
        }
        hid_t o = H5Oopen(ng, f, H5P_DEFAULT);
        if (o < 0) {
            rc = rfail(r, name, nd->type, "%s is unreadable", f);
            break;
        }
        if (H5Iget_type(o) == H5I_GROUP) {
            if (!strcmp(f, "metadata"))
                rc = read_meta(r, o, name, nd);
            H5Oclose(o);
            continue; /* other groups: not NIR fields */
        }
        dsinfo di;
        rc = ds_info(r, o, name, f, &di);
        if (rc == SL_OK && di.kind == DS_NUM) {
            double *v;
            rc = read_num(r, o, name, f, &di, &v);
            if (rc == SL_OK) {
                if (!sl__nir_add_arr(nd, f, di.ndim, di.shape, NULL, v,
                                     di.is_float))
                    rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
                free(v);
            }
        } else if (rc == SL_OK && di.kind == DS_STR && di.n == 1) {
            char **s;
            rc = read_strs(r, o, name, f, &di, &s);
            if (rc == SL_OK) {
                if (sl__nir_add_str(nd, f, s[0]))
                    rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
                free_names(s, 1);
            }
        } else if (rc == SL_OK) {
            rc = rfail(r, name, nd->type, "%s holds neither numbers nor one "
                       "string", f);
        }
        H5Oclose(o);
    }
    free_names(names, n);
    H5Oclose(ng);
    if (rc)
        return rc;
    for (size_t i = 0; i < 8 && nt->required[i]; i++) {
        const char *f = nt->required[i];
        if (!sl__nir_arr_find(nd, f)) {
            /* Conv padding may be a string; everything else numbers */
            if (sl__nir_str_find(nd, f))
                return rfail(r, name, nd->type, "%s must be numbers, not "
                             "the string '%s'", f, sl__nir_str_find(nd, f));
            return rfail(r, name, nd->type, "missing dataset '%s' (a %s "
                         "node needs %s%s%s%s%s%s%s)", f, nd->type,
                         nt->required[0], nt->required[1] ? ", " : "",
                         nt->required[1] ? nt->required[1] : "",
                         nt->required[2] ? ", " : "",
                         nt->required[2] ? nt->required[2] : "",
                         nt->required[3] ? ", ..." : "", "");
        }
    }
    if ((!strcmp(nd->type, "Conv1d") || !strcmp(nd->type, "Conv2d")) &&
        !sl__nir_arr_find(nd, "padding")) {
        const char *p = sl__nir_str_find(nd, "padding");
        if (!p)
            return rfail(r, name, nd->type, "missing dataset 'padding'");
        if (strcmp(p, "same") && strcmp(p, "valid"))
            return rfail(r, name, nd->type, "padding = '%s': NIR allows "
                         "numbers, 'same' or 'valid'", p);
    }
    if ((rc = check_values(r, nd)) || (rc = check_shapes(r, nd)))
        return rc;
    return SL_OK;
}

/* Does `name` name a node of g, directly or as "G.inner" of a nested
 * graph G? */
static int resolves(const sl__nir_graph *g, const char *name)
{
    if (sl__nir_node_find(g, name))
        return 1;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const sl__nir_node *nd = &g->nodes[i];
        size_t l = strlen(nd->name);
        if (nd->sub && strncmp(name, nd->name, l) == 0 && name[l] == '.' &&
            resolves(nd->sub, name + l + 1))
            return 1;
    }
    return 0;
}

static int read_graph(rd *r, hid_t g, const char *where, int depth,
                      sl__nir_graph *out)
{
    if (H5Lexists(g, "nodes", H5P_DEFAULT) <= 0 || hard_link(g, "nodes") != 1)
        return rfail(r, where, "NIRGraph", "no 'nodes' group");
    hid_t ng = H5Gopen2(g, "nodes", H5P_DEFAULT);
    if (ng < 0)
        return rfail(r, where, "NIRGraph", "'nodes' is not a group");
    char **names;
    size_t n;
    int rc = link_names(r, ng, where, &names, &n);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        if (strchr(names[i], '.'))
            rc = rfail(r, names[i], NULL, "a node name must not contain "
                       "'.' (it separates nested graphs in edges)");
        else
            rc = read_node(r, ng, names[i], depth, out);
    }
    free_names(names, n);
    H5Gclose(ng);
    if (rc)
        return rc;
    if (H5Lexists(g, "edges", H5P_DEFAULT) <= 0 || hard_link(g, "edges") != 1)
        return rfail(r, where, "NIRGraph", "no 'edges' dataset");
    hid_t d = H5Dopen2(g, "edges", H5P_DEFAULT);
    if (d < 0)
        return rfail(r, where, "NIRGraph", "'edges' is not a dataset");
    dsinfo di;
    rc = ds_info(r, d, where, "edges", &di);
    if (rc == SL_OK && di.n == 0) {
        H5Dclose(d); /* h5py writes an empty edge list as float64 (0,) */
        return SL_OK;
    }
    if (rc == SL_OK && (di.kind != DS_STR || di.ndim != 2 ||
                        di.shape[1] != 2))
        rc = rfail(r, where, "NIRGraph", "edges must be strings [n][2] "
                   "(source, target)");
    char **s = NULL;
    if (rc == SL_OK)
        rc = read_strs(r, d, where, "edges", &di, &s);
    H5Dclose(d);
    for (size_t e = 0; rc == SL_OK && e < di.shape[0]; e++) {
        for (int k = 0; k < 2 && rc == SL_OK; k++)
            if (!resolves(out, s[2 * e + k]))
                rc = rfail(r, where, "NIRGraph", "edge %zu (%s -> %s) names "
                           "'%s', which is no node of the graph", e,
                           s[2 * e], s[2 * e + 1], s[2 * e + k]);
        if (rc == SL_OK && sl__nir_add_edge(out, s[2 * e], s[2 * e + 1]))
            rc = sl__fail(r->err, SL_ENOMEM, "out of memory");
    }
    if (s)
        free_names(s, di.n);
    return rc;
}

/* The HDF5 signature at 0, 512, 1024, ... (the user block). */
static int has_signature(const unsigned char *b, size_t size)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n',
                                         0x1a, '\n'};
    for (size_t off = 0; off + 8 <= size; off = off ? off * 2 : 512)
        if (memcmp(b + off, sig, 8) == 0)
            return 1;
    return 0;
}

static int read_mem(const void *data, size_t size, const char *name,
                    sl__nir_graph **out, sl__err *err)
{
    rd r = {name, err, 0};
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (size < 8 || !has_signature(data, size))
        return rfail(&r, NULL, NULL, "not an HDF5 file (no HDF5 signature): "
                     "a NIR file is HDF5, as nir.write() makes it");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    if (H5Pset_file_image(fapl, (void *)(uintptr_t)data, size) < 0) {
        H5Pclose(fapl);
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", name);
    }
    hid_t f = H5Fopen("nir-image", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return rfail(&r, NULL, NULL, "a damaged or truncated HDF5 file "
                     "(libhdf5 cannot open it)");
    sl__nir_graph *g = sl__nir_new();
    int rc = g ? SL_OK : sl__fail(err, SL_ENOMEM, "out of memory");
    if (rc == SL_OK && H5Lexists(f, "version", H5P_DEFAULT) > 0)
        rc = read_str1(&r, f, "/", "version", &g->version);
    if (rc == SL_OK && (H5Lexists(f, "node", H5P_DEFAULT) <= 0 ||
                        hard_link(f, "node") != 1))
        rc = rfail(&r, NULL, NULL, "no group 'node' (the graph): not a "
                   "NIR file");
    hid_t ng = -1;
    if (rc == SL_OK && (ng = H5Gopen2(f, "node", H5P_DEFAULT)) < 0)
        rc = rfail(&r, NULL, NULL, "'node' is not a group");
    char *type = NULL;
    if (rc == SL_OK)
        rc = read_str1(&r, ng, "node", "type", &type);
    if (rc == SL_OK && strcmp(type, "NIRGraph") != 0)
        rc = rfail(&r, NULL, NULL, "the top node has type '%s'; a NIR file "
                   "holds a NIRGraph", type);
    free(type);
    if (rc == SL_OK)
        rc = read_graph(&r, ng, "(top graph)", 0, g);
    if (ng >= 0)
        H5Gclose(ng);
    H5Fclose(f);
    if (rc) {
        sl__nir_free(g);
        return rc;
    }
    *out = g;
    return SL_OK;
}

/* libhdf5 itself can loop forever or crash on a damaged file (fuzz_nir
 * found a 14 KB file on which 1.10.8 never returns from H5Dread, in
 * H5HG_read). So the file is read first in a child process under a CPU
 * limit (and a wall-clock alarm, should the child block), and only a file
 * the child read to the end, accepted or refused, is read here: the same
 * bytes through the same code give the same result, now with its
 * message. A child killed by a signal, or ending with another exit
 * status (a sanitizer's, after libhdf5 corrupted memory), means libhdf5
 * crashed or hung on it. Without fork (it fails), the file is read here
 * unguarded. */
#define NIR_CHILD_CPU 5    /* s of CPU: a real NIR file takes milliseconds */
#define NIR_CHILD_WALL 300 /* s: only against a child that blocks */
#define NIR_CHILD_READ 0    /* the child's exit: the file read, accepted */
#define NIR_CHILD_REFUSED 3 /* read to the end and refused */

static int guarded(const void *data, size_t size, const char *name,
                   sl__err *err)
{
    fflush(NULL); /* nothing buffered twice */
    pid_t pid = fork();
    if (pid < 0)
        return SL_OK;
    if (pid == 0) {
        struct rlimit rl = {NIR_CHILD_CPU, NIR_CHILD_CPU};
        setrlimit(RLIMIT_CPU, &rl);
        alarm(NIR_CHILD_WALL);
        sl__nir_graph *g = NULL;
        sl__err e;
        int rc = read_mem(data, size, name, &g, &e);
        /* no atexit handlers, no free */
        _exit(rc == SL_OK ? NIR_CHILD_READ : NIR_CHILD_REFUSED);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return SL_OK; /* cannot tell: read it here */
    if (WIFEXITED(st) && (WEXITSTATUS(st) == NIR_CHILD_READ ||
                          WEXITSTATUS(st) == NIR_CHILD_REFUSED))
        return SL_OK;
    return sl__fail(err, SL_ECONFIG, "%s: libhdf5 %s reading it (%s "
                    "%d): a damaged HDF5 file", name,
                    WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU ||
                                        WTERMSIG(st) == SIGALRM ||
                                        WTERMSIG(st) == SIGKILL)
                        ? "did not finish"
                        : "crashed",
                    WIFSIGNALED(st) ? "signal" : "exit status",
                    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

int sl__nir_read_mem(const void *data, size_t size, const char *name,
                     sl__nir_graph **out, sl__err *err)
{
    *out = NULL;
    int rc = guarded(data, size, name, err);
    return rc ? rc : read_mem(data, size, name, out, err);
}

int sl__nir_read(const char *path, sl__nir_graph **out, sl__err *err)
{
    char *data;
    size_t len;
    *out = NULL;
    int rc = sl__file_read(path, NIR_MAX_FILE, SL__FILE_REGULAR, &data, &len,
                           err);
    if (rc)
        return rc;
    rc = sl__nir_read_mem(data, len, path, out, err);
    free(data);
    return rc;
}

/* ------------------------------------------------------------- writing */

static int w_str(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    return ok ? 0 : -1;
}

/* Numbers as h5py would store NumPy arrays: float32 when every value is
 * one (weights trained in float32), else float64; integers as int64. */
static int w_arr(hid_t loc, const sl__nir_arr *a)
{
    hsize_t dims[SL__NIR_MAX_DIM];
    for (size_t i = 0; i < a->ndim; i++)
        dims[i] = a->shape[i];
    hid_t sp = a->ndim ? H5Screate_simple((int)a->ndim, dims, NULL)
                       : H5Screate(H5S_SCALAR);
    int f32 = a->is_float, as_int = !a->is_float;
    for (size_t i = 0; f32 && i < a->n; i++)
        f32 = (double)(float)a->v[i] == a->v[i];
    /* an integer field holds integers that fit int64 (a uint64 file's
     * largest ones do not: those stay numbers, as float64) */
    for (size_t i = 0; as_int && i < a->n; i++)
        as_int = a->v[i] >= -0x1p63 && a->v[i] < 0x1p63 &&
                 a->v[i] == floor(a->v[i]);
    hid_t ft = as_int ? H5T_STD_I64LE : f32 ? H5T_IEEE_F32LE
                                            : H5T_IEEE_F64LE;
    hid_t d = H5Dcreate2(loc, a->name, ft, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    int ok = d >= 0;
    if (ok && a->n) {
        if (!as_int) {
            ok = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                          H5P_DEFAULT, a->v) >= 0;
        } else {
            int64_t *iv = malloc(a->n * sizeof *iv);
            ok = iv != NULL;
            for (size_t i = 0; ok && i < a->n; i++)
                iv[i] = (int64_t)a->v[i];
            ok = ok && H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, iv) >= 0;
            free(iv);
        }
    }
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    return ok ? 0 : -1;
}

static int w_graph(hid_t g, const sl__nir_graph *gr);

static int w_node(hid_t loc, const sl__nir_node *nd)
{
    hid_t g = H5Gcreate2(loc, nd->name, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    if (g < 0)
        return -1;
    int rc = w_str(g, "type", nd->type);
    if (rc == 0 && nd->sub)
        rc = w_graph(g, nd->sub);
    for (size_t i = 0; rc == 0 && i < nd->n_arr; i++)
        rc = w_arr(g, &nd->arr[i]);
    for (size_t i = 0; rc == 0 && i < nd->n_str; i++)
        rc = w_str(g, nd->str[i].name, nd->str[i].value);
    if (rc == 0 && (nd->n_meta || nd->n_smeta)) {
        hid_t m = H5Gcreate2(g, "metadata", H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        rc = m < 0 ? -1 : 0;
        for (size_t i = 0; rc == 0 && i < nd->n_meta; i++)
            rc = w_arr(m, &nd->meta[i]);
        for (size_t i = 0; rc == 0 && i < nd->n_smeta; i++)
            rc = w_str(m, nd->smeta[i].name, nd->smeta[i].value);
        if (m >= 0)
            H5Gclose(m);
    }
    H5Gclose(g);
    return rc;
}

static int w_graph(hid_t g, const sl__nir_graph *gr)
{
    hid_t ng = H5Gcreate2(g, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ng < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < gr->n_nodes; i++)
        rc = w_node(ng, &gr->nodes[i]);
    H5Gclose(ng);
    if (rc)
        return rc;
    hsize_t dims[2] = {gr->n_edges, 2};
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate_simple(2, dims, NULL);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t d = H5Dcreate2(g, "edges", t, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    const char **buf = malloc((2 * gr->n_edges + 1) * sizeof *buf);
    rc = d >= 0 && buf ? 0 : -1;
    for (size_t e = 0; rc == 0 && e < gr->n_edges; e++) {
        buf[2 * e] = gr->src[e];
        buf[2 * e + 1] = gr->dst[e];
    }
    if (rc == 0 && gr->n_edges &&
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = -1;
    free(buf);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

int sl__nir_write(const char *path, const sl__nir_graph *g, sl__err *err)
{
    sl__afile af;
    int rc = sl__afile_open(&af, path, err);
    if (rc)
        return rc;
    /* HDF5 opens the file by name itself */
    fclose(af.f);
    af.f = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(sl__afile_name(&af), H5F_ACC_TRUNC, H5P_DEFAULT,
                        H5P_DEFAULT);
    int bad = f < 0;
    if (!bad)
        bad = w_str(f, "version", g->version ? g->version : "1.0") != 0;
    hid_t ng = -1;
    if (!bad && (ng = H5Gcreate2(f, "node", H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT)) < 0)
        bad = 1;
    if (!bad)
        bad = w_str(ng, "type", "NIRGraph") || w_graph(ng, g);
    if (ng >= 0)
        H5Gclose(ng);
    if (f >= 0 && H5Fclose(f) < 0)
        bad = 1;
    if (bad) {
        sl__afile_abort(&af);
        return sl__fail(err, SL_EIO, "%s: libhdf5 could not write the file",
                        path);
    }
    /* afile_commit syncs and renames the file HDF5 wrote by name */
    return sl__afile_commit(&af, err);
}

/* ------------------------------------------------------------ flatten */

static int rename_prefix(char **s, const char *prefix)
{
    size_t a = strlen(prefix), b = strlen(*s);
    char *n = malloc(a + b + 2);
    if (!n)
        return SL_ENOMEM;
    memcpy(n, prefix, a);
    n[a] = '.';
    memcpy(n + a + 1, *s, b + 1);
    free(*s);
    *s = n;
    return SL_OK;
}

/* The one node of type `type` in sub (named inside sub), else NULL. */
static const char *only_of_type(const sl__nir_graph *sub, const char *type,
                                size_t *count)
{
    const char *found = NULL;
    *count = 0;
    for (size_t i = 0; i < sub->n_nodes; i++)
        if (!strcmp(sub->nodes[i].type, type)) {
            found = sub->nodes[i].name;
            (*count)++;
        }
    return *count == 1 ? found : NULL;
}

int sl__nir_flatten(sl__nir_graph *g, sl__err *err)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (!g->nodes[i].sub)
            continue;
        int rc = sl__nir_flatten(g->nodes[i].sub, err);
        if (rc)
            return rc;
        sl__nir_graph *sub = g->nodes[i].sub;
        char *gname = g->nodes[i].name;
        size_t nin, nout;
        const char *in = only_of_type(sub, "Input", &nin);
        const char *outn = only_of_type(sub, "Output", &nout);
        /* edges naming the graph itself go to its Input / leave its Output */
        for (size_t e = 0; e < g->n_edges; e++) {
            int k;
            for (k = 0; k < 2; k++) {
                char **s = k ? &g->dst[e] : &g->src[e];
                if (strcmp(*s, gname) != 0)
                    continue;
                const char *inner = k ? in : outn;
                if (!inner)
                    return sl__fail(err, SL_ECONFIG, "node %s (NIRGraph): "
                                    "edge %s -> %s %s the graph, which has "
                                    "%zu %s nodes (one needed)", gname,
                                    g->src[e], g->dst[e],
                                    k ? "enters" : "leaves", k ? nin : nout,
                                    k ? "Input" : "Output");
                char *n = malloc(strlen(gname) + strlen(inner) + 2);
                if (!n)
                    return sl__fail(err, SL_ENOMEM, "out of memory");
                sprintf(n, "%s.%s", gname, inner);
                free(*s);
                *s = n;
            }
        }
        /* move the inner nodes and edges up, prefixed */
        for (size_t k = 0; k < sub->n_nodes; k++) {
            sl__nir_node *nd = &sub->nodes[k];
            if (rename_prefix(&nd->name, gname))
                return sl__fail(err, SL_ENOMEM, "out of memory");
            if (!strcmp(nd->type, "Input") || !strcmp(nd->type, "Output")) {
                free(nd->type);
                if (!(nd->type = dupstr("Identity")))
                    return sl__fail(err, SL_ENOMEM, "out of memory");
            }
        }
        for (size_t e = 0; e < sub->n_edges; e++)
            if (rename_prefix(&sub->src[e], gname) ||
                rename_prefix(&sub->dst[e], gname) ||
                sl__nir_add_edge(g, sub->src[e], sub->dst[e]))
                return sl__fail(err, SL_ENOMEM, "out of memory");
        size_t need = g->n_nodes + sub->n_nodes;
        sl__nir_node *nn = grow(g->nodes, &g->cap_nodes, need, sizeof *nn);
        if (!nn)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        g->nodes = nn;
        memcpy(&g->nodes[g->n_nodes], sub->nodes,
               sub->n_nodes * sizeof *sub->nodes);
        g->n_nodes += sub->n_nodes;
        sub->n_nodes = 0; /* moved */
        /* drop the graph node itself (its sub is freed with it) */
        node_clear(&g->nodes[i]);
        memmove(&g->nodes[i], &g->nodes[i + 1],
                (g->n_nodes - i - 1) * sizeof *g->nodes);
        g->n_nodes--;
        i--;
    }
    return SL_OK;
}

/* -------------------------------------------------------------- print */

static void print_arr(FILE *f, const sl__nir_arr *a)
{
    fprintf(f, " %s", a->name);
    if (a->ndim) {
        fputc('[', f);
        for (size_t i = 0; i < a->ndim; i++)
            fprintf(f, "%s%zu", i ? "x" : "", a->shape[i]);
        fputc(']', f);
    }
    if (a->n == 0) {
        fputs("=()", f);
        return;
    }
    int same = 1;
    double lo = a->v[0], hi = a->v[0];
    for (size_t i = 1; i < a->n; i++) {
        same &= a->v[i] == a->v[0];
        lo = a->v[i] < lo ? a->v[i] : lo;
        hi = a->v[i] > hi ? a->v[i] : hi;
    }
    if (a->n <= 4) {
        fputc('=', f);
        for (size_t i = 0; i < a->n; i++)
            fprintf(f, "%s%g", i ? "," : "", a->v[i]);
    } else if (same) {
        fprintf(f, "=%g (all)", a->v[0]);
    } else {
        fprintf(f, " in [%g, %g]", lo, hi);
    }
}

static void print_graph(FILE *f, const sl__nir_graph *g, int ind)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const sl__nir_node *nd = &g->nodes[i];
        fprintf(f, "%*s%-16s %-10s", ind, "", nd->name, nd->type);
        for (size_t k = 0; k < nd->n_arr; k++)
            print_arr(f, &nd->arr[k]);
        for (size_t k = 0; k < nd->n_str; k++)
            fprintf(f, " %s=\"%s\"", nd->str[k].name, nd->str[k].value);
        fputc('\n', f);
        if (nd->sub)
            print_graph(f, nd->sub, ind + 4);
    }
    fprintf(f, "%*sedges:", ind, "");
    for (size_t e = 0; e < g->n_edges; e++)
        fprintf(f, "%s %s -> %s", e ? "," : "", g->src[e], g->dst[e]);
    fputc('\n', f);
}

void sl__nir_print(FILE *f, const sl__nir_graph *g)
{
    if (g->version)
        fprintf(f, "NIR version %s\n", g->version);
    print_graph(f, g, 0);
}
