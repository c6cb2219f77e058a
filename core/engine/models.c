/* core/engine/models.c — parameters from files, init_from, checkpoints'
 * settings and the traces' samples (models.h). */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/models.h"
#include "util/npy_read.h"

/* path relative to the experiment file's directory; malloc'd */
static char *resolve(sl__config *cfg, const char *path)
{
    const char *top = sl__config_path(cfg);
    const char *slash = top ? strrchr(top, '/') : NULL;
    size_t len = strlen(path) + 1;
    if (path[0] == '/' || !slash) {
        char *s = malloc(len);
        return s ? memcpy(s, path, len) : NULL;
    }
    size_t dl = (size_t)(slash - top);
    char *s = malloc(dl + 1 + len);
    if (s)
        snprintf(s, dl + 1 + len, "%.*s/%s", (int)dl, top, path);
    return s;
}

sl_param *sl__models_param(sl__experiment *exp, const char *layer,
                           const char *param)
{
    for (size_t i = 0; i < exp->net.n_layers; i++) {
        sl__layer *l = &exp->net.layers[i];
        if (strcmp(l->label, layer) != 0)
            continue;
        for (size_t k = 0; k < l->n_params; k++)
            if (l->params[k].name && strcmp(l->params[k].name, param) == 0 &&
                l->params[k].data)
                return &l->params[k];
    }
    return NULL;
}

/* The tensors a layer has, "weight (60, 2), bias (2,)", into buf. */
static const char *param_list(const sl__layer *l, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < l->n_params && n < len; k++) {
        const sl_param *p = &l->params[k];
        char sh[64];
        size_t shape[2] = {p->ndim >= 1 ? p->shape[0] : p->n,
                           p->ndim == 2 ? p->shape[1] : 0};
        int w = snprintf(buf + n, len - n, "%s%s %s", k ? ", " : "",
                         p->name ? p->name : "?",
                         sl__npy_shape_text(shape, p->ndim == 2 ? 2 : 1, sh,
                                            sizeof sh));
        n += w > 0 ? (size_t)w : 0;
    }
    return l->n_params ? buf : "none";
}

/* One `params` member: PARAM = "file.npy" or PARAM = { file = "..."; }. */
static int param_from_file(sl__experiment *exp, sl__layer *l,
                           sl__setting *m, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    const char *pname = config_setting_name(m);
    const char *file = NULL;
    sl__setting *at = m;
    if (config_setting_type(m) == CONFIG_TYPE_STRING) {
        file = config_setting_get_string(m);
    } else if (config_setting_type(m) == CONFIG_TYPE_GROUP &&
               config_setting_length(m) == 1 &&
               (at = config_setting_get_member(m, "file")) != NULL &&
               config_setting_type(at) == CONFIG_TYPE_STRING) {
        file = config_setting_get_string(at);
    } else {
        return sl__cfg_error(cfg, m, err, SL_ECONFIG, "expected a .npy file "
                             "name: %s = \"file.npy\"; or %s = { file = "
                             "\"file.npy\"; };", pname ? pname : "PARAM",
                             pname ? pname : "PARAM");
    }
    sl_param *p = NULL;
    for (size_t k = 0; pname && k < l->n_params; k++)
        if (l->params[k].name && strcmp(l->params[k].name, pname) == 0)
            p = &l->params[k];
    char have[512];
    if (!p || !p->data)
        return sl__cfg_error(cfg, m, err, SL_ECONFIG, "layer '%s' (%s) has "
                             "no parameter '%s' (it has: %s)", l->label,
                             l->entry->comp->name, pname ? pname : "?",
                             param_list(l, have, sizeof have));
    char *path = resolve(cfg, file);
    if (!path)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    sl__npy_array a;
    sl__err e;
    int rc = sl__npy_read_file(path, &a, &e);
    if (rc) {
        free(path);
        return sl__cfg_error(cfg, at, err, rc == SL_ENOMEM ? rc : SL_ECONFIG,
                             "%s", e.msg);
    }
    size_t want[2] = {p->ndim >= 1 ? p->shape[0] : p->n,
                      p->ndim == 2 ? p->shape[1] : 0};
    size_t wdim = p->ndim == 2 ? 2 : 1;
    int same = a.ndim == wdim && a.count == p->n;
    for (size_t i = 0; same && i < wdim; i++)
        same = a.shape[i] == want[i];
    if (!same) {
        char s1[160], s2[64];
        rc = sl__cfg_error(cfg, at, err, SL_ECONFIG, "%s has shape %s, but "
                           "parameter '%s' of layer '%s' is %s", path,
                           sl__npy_shape_text(a.shape, a.ndim, s1,
                                              sizeof s1), pname, l->label,
                           sl__npy_shape_text(want, wdim, s2, sizeof s2));
    } else {
        memcpy(p->data, a.data, p->n * sizeof(float));
    }
    sl__npy_array_free(&a);
    free(path);
    return rc;
}

static int load_param_files(sl__experiment *exp, sl__err *err)
{
    for (size_t i = 0; i < exp->net.n_layers; i++) {
        sl__layer *l = &exp->net.layers[i];
        sl__setting *g = sl__config_find(exp->cfg, l->ctx.group, "params");
        if (!g)
            continue;
        sl__cfg_mark_used(g);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(exp->cfg, g, err, SL_ECONFIG, "must be a "
                                 "group { PARAM = \"file.npy\"; ... }");
        for (int k = 0; k < config_setting_length(g); k++) {
            int rc = param_from_file(exp, l,
                                     config_setting_get_elem(g, (unsigned)k),
                                     err);
            if (rc)
                return rc;
        }
    }
    return SL_OK;
}

static int load_init_from(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, "init_from");
    if (!g)
        return SL_OK;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "must be a group, e.g. "
                             "init_from = { run = 42; db = \"runs.db\"; };");
    const char *db;
    int rc;
    if ((rc = sl__cfg_int(cfg, g, "run", 0, &exp->init_from_run, err)) ||
        (rc = sl__cfg_string(cfg, g, "db", NULL, &db, err)))
        return rc;
    if (exp->init_from_run <= 0)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "run"), err,
                             SL_ECONFIG, "init_from.run: the id of a "
                             "recorded run (spikelab runs), e.g. run = 42;");
    if (db && !(exp->init_from_db = resolve(cfg, db)))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    if (exp->teacher.has_init)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "init_from and "
                             "teacher.init both set the training start: "
                             "remove one");
    return SL_OK;
}

static int load_record(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, "record");
    exp->record_data = exp->train_data;
    if (g && config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "must be a group, e.g. "
                             "record = { data = \"test\"; samples = [0, 5]; "
                             "};");
    const char *dname = NULL;
    int rc;
    if (g && (rc = sl__cfg_string(cfg, g, "data", NULL, &dname, err)))
        return rc;
    if (dname) {
        exp->record_data = NULL;
        for (size_t i = 0; i < exp->n_data; i++)
            if (strcmp(exp->data[i].name, dname) == 0)
                exp->record_data = &exp->data[i];
        if (!exp->record_data)
            return sl__cfg_error(cfg, sl__config_find(cfg, g, "data"), err,
                                 SL_ECONFIG, "no dataset named '%s' in "
                                 "'data'", dname);
    }
    size_t n = exp->record_data->info.n_samples;
    sl__setting *s = g ? sl__config_find(cfg, g, "samples") : NULL;
    int count = 1;
    if (s) {
        sl__cfg_mark_used(s);
        int t = config_setting_type(s);
        if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) ||
            config_setting_length(s) < 1 || config_setting_length(s) > 4096)
            return sl__cfg_error(cfg, s, err, SL_ECONFIG, "samples: a list "
                                 "of 1 to 4096 sample indices, e.g. [0, 5]");
        count = config_setting_length(s);
    }
    exp->record_samples = malloc((size_t)count * sizeof(size_t));
    if (!exp->record_samples)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    for (int i = 0; i < count; i++) {
        long long v = 0;
        if (s) {
            sl__setting *e = config_setting_get_elem(s, (unsigned)i);
            int t = config_setting_type(e);
            if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
                return sl__cfg_error(cfg, s, err, SL_ECONFIG, "samples: "
                                     "element %d is not an integer", i);
            v = config_setting_get_int64(e);
        }
        if (v < 0 || (unsigned long long)v >= n)
            return sl__cfg_error(cfg, s, err, SL_ECONFIG, "samples: %lld is "
                                 "not a sample of '%s' (0 .. %zu)", v,
                                 exp->record_data->name, n - 1);
        exp->record_samples[i] = (size_t)v;
    }
    exp->n_record_samples = (size_t)count;
    return SL_OK;
}

int sl__models_load(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *train = sl__config_section(cfg, "train");
    if (!train)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    int rc = sl__cfg_int(cfg, train, "checkpoint_every", 0,
                         &exp->checkpoint_every, err);
    if (rc)
        return rc;
    if (exp->checkpoint_every > 0 && exp->epochs > 0 &&
        (rc = sl__checkpoint_check(exp, err)))
        return rc;
    if ((rc = load_init_from(exp, err)) || (rc = load_record(exp, err)))
        return rc;
    return load_param_files(exp, err);
}

void sl__models_free(sl__experiment *exp)
{
    free((char *)exp->init_from_db);
    free(exp->record_samples);
    exp->init_from_db = NULL;
    exp->record_samples = NULL;
}
