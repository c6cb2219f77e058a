/* core/engine/datasel.c — data selection (limit, validation split, store),
 * the per-epoch order, fetching samples, and the identity of the files a
 * dataset was read from (datasel.h). */
#include <limits.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/datasel.h"
#include "engine/rng.h"
#include "util/sha256.h"

static double phys_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0;
}

static size_t src_index(const sl__dataset *d, size_t i)
{
    return d->sel ? d->sel[i] : i;
}

static sl_ctx *owner_ctx(sl__dataset *d)
{
    return &(d->owner ? d->owner : d)->ctx;
}

/* bytes of float32 samples the dataset presents */
static double sample_bytes(const sl_dataset_info *in, size_t n)
{
    return (double)n *
           ((double)in->n_steps * (double)in->n_in +
            (double)in->target_steps * (double)in->n_out) *
           sizeof(float);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int sl__data_select(sl__experiment *exp, size_t k, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__dataset *d = &exp->data[k];
    sl__setting *g = d->ctx.group;
    int64_t limit;
    int rc;
    d->owner = d;
    d->n_source = d->info.n_samples;
    if ((rc = sl__cfg_int(cfg, g, "limit", 0, &limit, err)) ||
        (rc = sl__cfg_string(cfg, g, "store", "auto", &d->store, err)))
        return rc;
    size_t n = d->n_source;
    if (limit < 0)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "limit"), err,
                             SL_ECONFIG, "limit must be >= 0 (0: all "
                             "samples)");
    if (limit > 0 && (uint64_t)limit < n)
        n = (size_t)limit;
    sl__setting *vg = sl__config_find(cfg, g, "validation");
    size_t n_val = 0;
    int64_t vseed = 0;
    const char *vname = NULL;
    if (vg) {
        double frac;
        int64_t count;
        if (config_setting_type(vg) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(cfg, vg, err, SL_ECONFIG,
                                 "validation must be a group, e.g. "
                                 "validation = { fraction = 0.1; }");
        if ((rc = sl__cfg_float(cfg, vg, "fraction", 0.0, &frac, err)) ||
            (rc = sl__cfg_int(cfg, vg, "count", 0, &count, err)) ||
            (rc = sl__cfg_int(cfg, vg, "seed", 0, &vseed, err)) ||
            (rc = sl__cfg_string(cfg, vg, "name", NULL, &vname, err)))
            return rc;
        int has_f = sl__config_find(cfg, vg, "fraction") != NULL;
        int has_c = sl__config_find(cfg, vg, "count") != NULL;
        if (has_f == has_c)
            return sl__cfg_error(cfg, vg, err, SL_ECONFIG,
                                 "validation needs exactly one of fraction "
                                 "(e.g. 0.1) or count (e.g. 500)");
        if (has_f && !(frac > 0 && frac < 1))
            return sl__cfg_error(cfg, sl__config_find(cfg, vg, "fraction"),
                                 err, SL_ECONFIG, "validation.fraction = "
                                 "%g must be between 0 and 1 (exclusive)",
                                 frac);
        n_val = has_f ? (size_t)llround(frac * (double)n) : (size_t)count;
        if (count < 0 || n_val < 1 || n_val >= n)
            return sl__cfg_error(cfg, has_f ? sl__config_find(cfg, vg,
                                                              "fraction")
                                            : sl__config_find(cfg, vg,
                                                              "count"),
                                 err, SL_ECONFIG, "the validation split "
                                 "takes %lld of %zu samples: it must leave "
                                 "at least one on each side",
                                 has_f ? (long long)n_val : (long long)count,
                                 n);
        if (exp->n_data == SL__MAX_DATASETS)
            return sl__cfg_error(cfg, vg, err, SL_ECONFIG, "too many "
                                 "datasets with the validation split (at "
                                 "most %d)", SL__MAX_DATASETS);
    }
    if (n == d->n_source && !n_val) {
        d->info.n_samples = n;
        return SL_OK;
    }
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (n_val) {
        /* the split depends only on (validation.seed, dataset name, n):
         * the same samples are held out whatever the run seed */
        char comp[300];
        snprintf(comp, sizeof comp, "data.%s", d->name);
        sl_rng rng;
        sl__rng_derive(&rng, (uint64_t)vseed, comp, "validation");
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(sl__rng_uniform(&rng) * (double)(i + 1));
            size_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        /* both sides in file order */
        qsort(perm, n_val, sizeof *perm, cmp_size);
        qsort(perm + n_val, n - n_val, sizeof *perm, cmp_size);
        sl__dataset *v = &exp->data[exp->n_data];
        char def[300];
        if (!vname) {
            snprintf(def, sizeof def, "%s_val", d->name);
            vname = def;
        }
        for (size_t i = 0; i < exp->n_data; i++)
            if (strcmp(exp->data[i].name, vname) == 0) {
                free(perm);
                return sl__cfg_error(cfg, vg, err, SL_ECONFIG,
                                     "the validation split's name '%s' is "
                                     "taken by another dataset; set "
                                     "validation.name", vname);
            }
        memset(v, 0, sizeof *v);
        v->name = strdup(vname);
        v->sel = malloc(n_val * sizeof *v->sel);
        exp->n_data++;
        if (!v->name || !v->sel) {
            free(perm);
            return sl__fail(err, SL_ENOMEM, "out of memory");
        }
        memcpy(v->sel, perm, n_val * sizeof *v->sel);
        v->entry = d->entry;
        v->iface = d->iface;
        v->self = NULL; /* the owner's: sl__data_* use owner->self */
        v->owner = d;
        v->info = d->info;
        v->info.n_samples = n_val;
        v->n_source = d->n_source;
        v->store = d->store;
        memmove(perm, perm + n_val, (n - n_val) * sizeof *perm);
        n -= n_val;
    }
    d->sel = perm;
    d->info.n_samples = n;
    return SL_OK;
}

static void *owner_self(const sl__dataset *d)
{
    return d->owner ? d->owner->self : d->self;
}

/* Non-finite values of sample i (source index j) are refused: a NaN would
 * otherwise surface epochs later as "loss is nan". */
static int check_finite(sl__dataset *d, size_t i, const float *x,
                        const float *y, sl__err *err)
{
    const sl_dataset_info *in = &d->info;
    size_t ni = in->n_steps * in->n_in, nt = in->target_steps * in->n_out;
    for (size_t k = 0; k < ni; k++)
        if (!isfinite(x[k]))
            return sl__fail(err, SL_EDATA, "dataset '%s': sample %zu "
                            "(index %zu of the component) has %s in its "
                            "input (step %zu, channel %zu)", d->name, i,
                            src_index(d, i), isnan(x[k]) ? "NaN" : "inf",
                            k / in->n_in,
                            k % in->n_in);
    for (size_t k = 0; k < nt; k++)
        if (!isfinite(y[k]))
            return sl__fail(err, SL_EDATA, "dataset '%s': sample %zu "
                            "(index %zu of the component) has %s in its "
                            "target", d->name, i, src_index(d, i),
                            isnan(y[k]) ? "NaN" : "inf");
    return SL_OK;
}

static int fetch(sl__dataset *d, size_t i, float *x, float *y, sl__err *err)
{
    int rc = d->iface->xGet(owner_self(d), src_index(d, i), x, y);
    if (rc)
        return sl__ctx_take_error(owner_ctx(d), rc, err);
    return check_finite(d, i, x, y, err);
}

static int add_ident(sl__dataset *d, const char *key, const char *value)
{
    char **p = realloc(d->ident, (d->n_ident + 1) * 2 * sizeof *p);
    if (!p)
        return SL_ENOMEM;
    d->ident = p;
    size_t kl = strlen(d->name) + strlen(key) + 7;
    char *k = malloc(kl), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return SL_ENOMEM;
    }
    snprintf(k, kl, "data.%s.%s", d->name, key);
    p[2 * d->n_ident] = k;
    p[2 * d->n_ident + 1] = v;
    d->n_ident++;
    return SL_OK;
}

/* What the dataset is: its files (path, size, SHA-256), the component's
 * notes, and the selection. */
static int identify(sl__dataset *d, sl__err *err)
{
    char buf[96];
    int rc = SL_OK;
    if (d->owner != d) {
        rc = add_ident(d, "split_of", d->owner->name);
    } else if (d->iface->xExtension) {
        const sl_dataset_source *src =
            d->iface->xExtension(d->self, SL_DATASET_EXT_SOURCE);
        if (src && SL_HAS_FIELD(sl_dataset_source, src, note_values)) {
            for (size_t f = 0; !rc && f < src->n_files; f++) {
                const char *role = src->roles[f], *path = src->paths[f];
                char hex[SL__SHA256_HEX_LEN + 1], key[160];
                struct stat st;
                if (stat(path, &st) != 0)
                    return sl__fail(err, SL_EIO, "dataset '%s': %s: cannot "
                                    "stat it to record its identity",
                                    d->name, path);
                if ((rc = sl__sha256_file(path, hex, err)))
                    return rc;
                snprintf(buf, sizeof buf, "%lld", (long long)st.st_size);
                if ((size_t)snprintf(key, sizeof key, "%s.path", role) >=
                    sizeof key)
                    return sl__fail(err, SL_EPLUGIN, "dataset '%s': file "
                                    "role name too long", d->name);
                /* the absolute path: a relative one says nothing once
                 * the run is read from elsewhere */
                char *abs = realpath(path, NULL);
                rc = add_ident(d, key, abs ? abs : path);
                free(abs);
                snprintf(key, sizeof key, "%s.size", role);
                if (!rc)
                    rc = add_ident(d, key, buf);
                snprintf(key, sizeof key, "%s.sha256", role);
                if (!rc)
                    rc = add_ident(d, key, hex);
            }
            for (size_t f = 0; !rc && f < src->n_notes; f++)
                rc = add_ident(d, src->note_keys[f], src->note_values[f]);
        }
    }
    if (!rc) {
        snprintf(buf, sizeof buf, "%zu of %zu", d->info.n_samples,
                 d->n_source);
        rc = add_ident(d, "samples", buf);
    }
    if (rc)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    return SL_OK;
}

/* Memory for a stored data set's samples, freed with free(). A large
 * one is 2 MB aligned and offered to transparent huge pages: filling it
 * then takes one page fault per 2 MB instead of one per 4 kB. Filling
 * the 12 MB test set of frozen_noise_lif took ~2,900 of a 300-epoch
 * run's 4,600 page faults (bench/README.md, sweep_jobs.sh). Where the
 * kernel has no huge pages for it (THP "never", or none free) this is an
 * ordinary allocation. */
static void *data_alloc(size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    const size_t huge = (size_t)2 << 20;
    if (bytes >= 2 * huge) {
        void *p = NULL;
        size_t whole = (bytes + huge - 1) / huge * huge;
        if (posix_memalign(&p, huge, whole) != 0)
            return NULL;
        madvise(p, whole, MADV_HUGEPAGE); /* advice: failure is harmless */
        return p;
    }
#endif
    return malloc(bytes);
}

int sl__data_load(sl__experiment *exp, sl__err *err)
{
    double have = phys_memory();
    double cap = SL__DATA_MEMORY_MAX;
    if (have > 0 && have / 4 < cap)
        cap = have / 4;
    for (size_t k = 0; k < exp->n_data; k++) {
        sl__dataset *d = &exp->data[k];
        const sl_dataset_info *in = &d->info;
        size_t ni = in->n_steps * in->n_in;
        size_t nt = in->target_steps * in->n_out;
        double need = sample_bytes(in, in->n_samples);
        int rc = identify(d, err);
        if (rc)
            return rc;
        d->streamed = strcmp(d->store, "stream") == 0 ||
                      (strcmp(d->store, "auto") == 0 && need > cap);
        if (d->streamed) {
            /* one sample now, so a broken component fails before
             * training, not in its first batch */
            float *x = malloc(ni * sizeof *x), *y = malloc(nt * sizeof *y);
            rc = !x || !y ? sl__fail(err, SL_ENOMEM, "out of memory")
                          : fetch(d, 0, x, y, err);
            free(x);
            free(y);
            if (rc)
                return rc;
            continue;
        }
        if (need > (double)(SIZE_MAX / 2) || (have > 0 && need > have))
            return sl__cfg_error(exp->cfg, owner_ctx(d)->group, err,
                                 SL_ECONFIG, "dataset '%s' needs %.3g GB "
                                 "(%zu samples x (%zu steps x %zu inputs + "
                                 "%zu x %zu targets) as float32), more than "
                                 "this machine's %.3g GB of memory; use "
                                 "store = \"stream\"", d->name, need / 1e9,
                                 in->n_samples, in->n_steps, in->n_in,
                                 in->target_steps, in->n_out, have / 1e9);
        d->inputs = data_alloc(in->n_samples * ni * sizeof(float));
        d->targets = malloc(in->n_samples * nt * sizeof(float));
        if (!d->inputs || !d->targets)
            return sl__fail(err, SL_ENOMEM, "dataset '%s': out of memory "
                            "for %zu samples", d->name, in->n_samples);
        for (size_t i = 0; i < in->n_samples; i++)
            if ((rc = fetch(d, i, d->inputs + i * ni, d->targets + i * nt,
                            err)))
                return rc;
    }
    return SL_OK;
}

int sl__data_gather(sl__dataset *d, const size_t *idx, size_t b, float *x,
                    float *y, sl__err *err)
{
    const sl_dataset_info *in = &d->info;
    size_t ni = in->n_steps * in->n_in, nt = in->target_steps * in->n_out;
    for (size_t k = 0; k < b; k++) {
        if (d->streamed) {
            int rc = fetch(d, idx[k], x + k * ni, y + k * nt, err);
            if (rc)
                return rc;
            continue;
        }
        memcpy(x + k * ni, d->inputs + idx[k] * ni, ni * sizeof(float));
        memcpy(y + k * nt, d->targets + idx[k] * nt, nt * sizeof(float));
    }
    return SL_OK;
}

int sl__data_range(sl__dataset *d, size_t start, size_t b, float *xbuf,
                   float *ybuf, const float **x, const float **y,
                   sl__err *err)
{
    const sl_dataset_info *in = &d->info;
    size_t ni = in->n_steps * in->n_in, nt = in->target_steps * in->n_out;
    if (!d->streamed) {
        *x = d->inputs + start * ni;
        *y = d->targets + start * nt;
        return SL_OK;
    }
    for (size_t k = 0; k < b; k++) {
        int rc = fetch(d, start + k, xbuf + k * ni, ybuf + k * nt, err);
        if (rc)
            return rc;
    }
    *x = xbuf;
    *y = ybuf;
    return SL_OK;
}

void sl__data_order(uint64_t seed, const sl__dataset *d, int64_t epoch,
                    size_t *order)
{
    size_t n = d->info.n_samples;
    char comp[300], purpose[40];
    snprintf(comp, sizeof comp, "data.%s", d->name);
    snprintf(purpose, sizeof purpose, "shuffle.%lld", (long long)epoch);
    sl_rng rng;
    sl__rng_derive(&rng, seed, comp, purpose);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(sl__rng_uniform(&rng) * (double)(i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

void sl__data_free(sl__dataset *d)
{
    free(d->inputs);
    free(d->targets);
    free(d->sel);
    for (size_t i = 0; i < 2 * d->n_ident; i++)
        free(d->ident[i]);
    free(d->ident);
    d->inputs = d->targets = NULL;
    d->sel = NULL;
    d->ident = NULL;
    d->n_ident = 0;
}
