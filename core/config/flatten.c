/* core/config/flatten.c — configuration → flat key/value rows (see flatten.h). */
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "config/flatten.h"

typedef struct flat {
    sl__kv *kv;
    size_t n, cap;
    int oom;
} flat;

void sl__fmt_double_exact(double v, char *buf, size_t len)
{
    /* whole numbers as "50.0", not "5e+01": still read as a float */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.1f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, len, "%.17g", v); /* NaN lands here; %.17g prints it */
}

/* key + "." + seg, or seg alone at the top (malloc'd; NULL on OOM). */
static char *join(const char *key, const char *seg)
{
    size_t a = key ? strlen(key) : 0, b = strlen(seg);
    char *s = malloc(a + b + 2);
    if (!s)
        return NULL;
    if (a) {
        memcpy(s, key, a);
        s[a] = '.';
        memcpy(s + a + 1, seg, b + 1);
    } else {
        memcpy(s, seg, b + 1);
    }
    return s;
}

static void add(flat *f, const char *key, const char *alias,
                config_setting_t *s)
{
    if (f->oom)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 32;
        sl__kv *p = realloc(f->kv, cap * sizeof *p);
        if (!p) {
            f->oom = 1;
            return;
        }
        f->kv = p;
        f->cap = cap;
    }
    sl__kv kv = {0};
    char buf[64];
    const char *text = buf;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: {
        long long v = config_setting_get_int64(s);
        kv.type = "int";
        snprintf(buf, sizeof buf, "%lld", v);
        kv.num = (double)v;
        kv.has_num = 1;
        break;
    }
    case CONFIG_TYPE_FLOAT:
        kv.type = "float";
        kv.num = config_setting_get_float(s);
        kv.has_num = 1;
        sl__fmt_double_exact(kv.num, buf, sizeof buf);
        break;
    case CONFIG_TYPE_BOOL:
        kv.type = "bool";
        kv.num = config_setting_get_bool(s) ? 1.0 : 0.0;
        kv.has_num = 1;
        text = kv.num != 0 ? "true" : "false";
        break;
    default:
        kv.type = "string";
        text = config_setting_get_string(s);
        if (!text)
            text = "";
        break;
    }
    kv.key = strdup(key);
    kv.alias = alias && strcmp(alias, key) != 0 ? strdup(alias) : NULL;
    kv.text = strdup(text);
    if (!kv.key || !kv.text || (alias && strcmp(alias, key) != 0 && !kv.alias)) {
        free(kv.key);
        free(kv.alias);
        free(kv.text);
        f->oom = 1;
        return;
    }
    f->kv[f->n++] = kv;
}

/* The `name` of a group element usable as a path segment, else NULL. */
static const char *element_name(config_setting_t *e)
{
    if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return NULL;
    config_setting_t *nm = config_setting_get_member(e, "name");
    const char *s = nm && config_setting_type(nm) == CONFIG_TYPE_STRING
                        ? config_setting_get_string(nm)
                        : NULL;
    /* a name that looks like an index or holds a dot would not read back */
    if (!s || !*s || strchr(s, '.') || strspn(s, "0123456789") == strlen(s))
        return NULL;
    return s;
}

static void walk(flat *f, config_setting_t *s, const char *key,
                 const char *alias)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_GROUP && t != CONFIG_TYPE_LIST &&
        t != CONFIG_TYPE_ARRAY) {
        add(f, key, alias, s);
        return;
    }
    int n = config_setting_length(s);
    for (int i = 0; i < n && !f->oom; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char idx[24];
        const char *seg, *aseg;
        if (t == CONFIG_TYPE_GROUP) {
            seg = aseg = config_setting_name(e);
            if (!seg)
                continue;
        } else {
            snprintf(idx, sizeof idx, "%d", i);
            seg = idx;
            aseg = element_name(e);
            if (!aseg)
                aseg = idx;
        }
        char *k = join(key, seg), *a = join(alias, aseg);
        if (!k || !a)
            f->oom = 1;
        else
            walk(f, e, k, a);
        free(k);
        free(a);
    }
}

int sl__config_flatten(sl__config *cfg, sl__kv **out, size_t *n, sl__err *err)
{
    flat f = {0};
    *out = NULL;
    *n = 0;
    walk(&f, sl__config_root(cfg), NULL, NULL);
    if (f.oom) {
        sl__kv_free(f.kv, f.n);
        return sl__fail(err, SL_ENOMEM, "flattening the configuration: out "
                                        "of memory");
    }
    *out = f.kv;
    *n = f.n;
    return SL_OK;
}

int sl__config_flatten_text(const char *text, sl__kv **out, size_t *n,
                            sl__err *err)
{
    sl__config *cfg;
    *out = NULL;
    *n = 0;
    int rc = sl__config_load_string(text, "(stored configuration)", &cfg, err);
    if (rc)
        return rc;
    rc = sl__config_flatten(cfg, out, n, err);
    sl__config_free(cfg);
    return rc;
}

int sl__flat_key(sl__setting *base, const char *key, char **out,
                 char **alias)
{
    *out = *alias = NULL;
    /* segments root first: walk up into a small stack */
    const char *segs[64], *asegs[64];
    char idx[64][24];
    int n = 0;
    for (sl__setting *s = base; s && config_setting_parent(s) && n < 64;
         s = config_setting_parent(s)) {
        const char *nm = config_setting_name(s);
        config_setting_t *p = config_setting_parent(s);
        if (nm && config_setting_type(p) == CONFIG_TYPE_GROUP) {
            segs[n] = asegs[n] = nm;
        } else {
            snprintf(idx[n], sizeof idx[n], "%d", config_setting_index(s));
            segs[n] = idx[n];
            asegs[n] = element_name(s);
            if (!asegs[n])
                asegs[n] = idx[n];
        }
        n++;
    }
    char *k = NULL, *a = NULL;
    for (int i = n - 1; i >= -1; i--) {
        const char *seg = i >= 0 ? segs[i] : key, *aseg = i >= 0 ? asegs[i]
                                                                 : key;
        char *nk = join(k, seg), *na = join(a, aseg);
        free(k);
        free(a);
        k = nk;
        a = na;
        if (!k || !a) {
            free(k);
            free(a);
            return SL_ENOMEM;
        }
    }
    *out = k;
    if (strcmp(a, k) != 0)
        *alias = a;
    else
        free(a);
    return SL_OK;
}

void sl__kv_free(sl__kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].alias);
        free(kv[i].text);
    }
    free(kv);
}
