/* core/engine/experiment.c — build every component of an experiment file. */
#include <libconfig.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/datasel.h"
#include "engine/experiment.h"
#include "engine/parallel.h"
#include "engine/deploy.h"
#include "engine/models.h"
#include "engine/settings.h"
#include "engine/simulate.h"

static int create_component(sl__experiment *exp, sl__component *c,
                            sl_kind kind, sl__section_id sec,
                            const char *key, const char *def, int required,
                            sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, key);
    if (!g) {
        if (required)
            return sl__fail(err, SL_ECONFIG, "%s: missing '%s' group, e.g. "
                            "%s = { type = \"%s\"; };", sl__config_path(cfg),
                            key, key, def ? def : "...");
        if (!def)
            return SL_OK;
        /* an absent optional group reads as its defaults, recorded as
         * such (e.g. backend.type = "sim") */
        g = sl__config_section(cfg, key);
    } else if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                             "must be a group { type = \"...\"; ... }");
    }
    const char *type = def;
    int rc;
    if (g && (rc = sl__declare_section(cfg, g, sec)))
        return sl__fail(err, rc, "out of memory");
    if (g && (rc = sl__cfg_string(cfg, g, "type", def, &type, err)))
        return rc;
    if (!type)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "missing 'type'");
    c->entry = sl__registry_find(exp->reg, kind, type);
    if (!c->entry) {
        sl__err e;
        sl__registry_missing(exp->reg, kind, type, &e);
        if (!g)
            return sl__fail(err, SL_ECONFIG, "%s", e.msg);
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "type"), err,
                             SL_ECONFIG, "%s", e.msg);
    }
    c->iface = c->entry->comp->iface;
    sl__ctx_init(&c->ctx, cfg, g, (uint64_t)exp->seed, key);
    if (g && (rc = sl__declare_component(cfg, g, sec, c->entry)))
        return sl__fail(err, rc, "out of memory");
    switch (kind) {
    case SL_KIND_LOSS:
        rc = ((const sl_loss_iface *)c->iface)->xCreate(exp->host, &c->ctx, &c->self);
        break;
    case SL_KIND_OPTIMIZER:
        rc = ((const sl_optimizer_iface *)c->iface)->xCreate(exp->host, &c->ctx, &c->self);
        break;
    case SL_KIND_BACKEND:
        rc = ((const sl_backend_iface *)c->iface)->xCreate(exp->host, &c->ctx, &c->self);
        break;
    default:
        rc = SL_EINVAL;
    }
    if (rc) {
        c->self = NULL;
        return sl__ctx_take_error(&c->ctx, rc, err);
    }
    return SL_OK;
}

static int load_dataset(sl__experiment *exp, sl__setting *g, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    if (exp->n_data == SL__MAX_DATASETS)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "too many datasets "
                             "(at most %d)", SL__MAX_DATASETS);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                             "a dataset must be a group { type = ...; }");
    sl__dataset *d = &exp->data[exp->n_data];
    d->name = strdup(config_setting_name(g));
    for (size_t i = 0; d->name && i < exp->n_data; i++)
        if (strcmp(exp->data[i].name, d->name) == 0) {
            free(d->name);
            d->name = NULL;
            return sl__cfg_error(cfg, g, err, SL_ECONFIG, "dataset '%s' "
                                 "already exists (a validation split of an "
                                 "earlier dataset has that name)",
                                 config_setting_name(g));
        }
    /* from here on the slot is counted, so experiment_free frees its name
     * whatever fails below */
    exp->n_data++;
    const char *type;
    int rc = sl__declare_section(cfg, g, SL__SEC_DATASET);
    if (rc)
        return sl__fail(err, rc, "out of memory");
    rc = sl__cfg_string(cfg, g, "type", NULL, &type, err);
    if (rc)
        return rc;
    if (!type)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                             "dataset without 'type' (e.g. type = "
                             "\"frozen_noise\";)");
    d->entry = sl__registry_find(exp->reg, SL_KIND_DATASET, type);
    if (!d->entry) {
        sl__err e;
        sl__registry_missing(exp->reg, SL_KIND_DATASET, type, &e);
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "type"), err,
                             SL_ECONFIG, "%s", e.msg);
    }
    d->iface = d->entry->comp->iface;
    char *name = d->name ? malloc(strlen(d->name) + 6) : NULL;
    if (!name)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    sprintf(name, "data.%s", d->name);
    sl__ctx_init(&d->ctx, cfg, g, (uint64_t)exp->seed, name);
    free(name);
    if ((rc = sl__declare_component(cfg, g, SL__SEC_DATASET, d->entry)))
        return sl__fail(err, rc, "out of memory");
    d->info.struct_size = sizeof d->info;
    rc = d->iface->xCreate(exp->host, &d->ctx, &d->self, &d->info);
    if (rc) {
        d->self = NULL;
        return sl__ctx_take_error(&d->ctx, rc, err);
    }
    sl_dataset_info *in = &d->info;
    if (!in->n_samples || !in->n_steps || !in->n_in || !in->n_out ||
        !(in->target_steps == 1 || in->target_steps == in->n_steps))
        return sl__cfg_error(cfg, g, err, SL_EPLUGIN,
                             "dataset '%s' reports an impossible shape "
                             "(%zu samples, %zu steps, %zu in, %zu out, %zu "
                             "target steps)", d->name, in->n_samples,
                             in->n_steps, in->n_in, in->n_out,
                             in->target_steps);
    /* limit, validation split and store (datasel.c); the samples are
     * drawn or checked only once everything else is (sl__data_load) */
    return sl__data_select(exp, exp->n_data - 1, err);
}

static sl__dataset *find_data(sl__experiment *exp, const char *name)
{
    for (size_t i = 0; i < exp->n_data; i++)
        if (strcmp(exp->data[i].name, name) == 0)
            return &exp->data[i];
    return NULL;
}

static int data_ref(sl__experiment *exp, sl__setting *g, const char *key,
                    const char *def, sl__dataset **out, sl__err *err)
{
    const char *name;
    int rc = sl__cfg_string(exp->cfg, g, key, def, &name, err);
    if (rc)
        return rc;
    *out = name ? find_data(exp, name) : NULL;
    if (!*out) {
        char have[512] = "";
        for (size_t i = 0; i < exp->n_data; i++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s",
                     i ? ", " : "", exp->data[i].name);
        sl__setting *s = sl__config_find(exp->cfg, g, key);
        return sl__cfg_error(exp->cfg, s ? s : g, err, SL_ECONFIG,
                             "no dataset named '%s' in 'data' (have: %s)",
                             name ? name : "(none)", have[0] ? have : "none");
    }
    return SL_OK;
}

/* The experiment's plugin_path (relative to its file) first, then the
 * caller's extra list (a session's plugin path), then the standard places. */
static int load_plugins(sl__experiment *exp, const char *extra,
                        sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *pp = sl__config_find(cfg, NULL, "plugin_path");
    const char *dirs[33];
    char *owned[33];
    size_t n = 0;
    if (pp) {
        sl__cfg_mark_used(pp);
        int t = config_setting_type(pp);
        if (t == CONFIG_TYPE_STRING) {
            dirs[n++] = config_setting_get_string(pp);
        } else if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) {
            for (int i = 0; i < config_setting_length(pp) && n < 32; i++) {
                const char *s = config_setting_get_string_elem(pp, i);
                if (!s)
                    return sl__cfg_error(cfg, pp, err, SL_ECONFIG,
                                         "element %d is not a string", i);
                dirs[n++] = s;
            }
        } else {
            return sl__cfg_error(cfg, pp, err, SL_ECONFIG,
                                 "expected a directory or a list of them");
        }
    }
    /* relative directories are relative to the experiment file */
    const char *path = sl__config_path(cfg);
    const char *slash = strrchr(path, '/');
    for (size_t i = 0; i < n; i++) {
        owned[i] = NULL;
        if (dirs[i][0] != '/' && slash) {
            size_t len = (size_t)(slash - path) + 1 + strlen(dirs[i]) + 1;
            owned[i] = malloc(len);
            snprintf(owned[i], len, "%.*s/%s", (int)(slash - path), path,
                     dirs[i]);
            dirs[i] = owned[i];
        }
    }
    size_t n_own = n;
    if (extra && *extra)
        dirs[n++] = extra;
    sl__registry_load_default(exp->reg, dirs, n);
    for (size_t i = 0; i < n_own; i++)
        free(owned[i]);
    return SL_OK;
}

/* `spiking = true` (train with rates, run with spikes): every layer
 * with a spiking twin runs it, each sample held for n_steps steps, the
 * output read through a lowpass at the last step. Checked here so that
 * an impossible evaluation stops the run before training, not after. */
static int load_spiking(sl__experiment *exp, sl__setting *g, sl__eval *e,
                        sl__err *err)
{
    sl__config *cfg = exp->cfg;
    int rc;
    e->n_steps = 0;
    e->synapse = 0;
    if ((rc = sl__cfg_bool(cfg, g, "spiking", 0, &e->spiking, err)))
        return rc;
    if (!e->spiking)
        return SL_OK;
    if ((rc = sl__cfg_int(cfg, g, "n_steps", 30, &e->n_steps, err)) ||
        (rc = sl__cfg_float(cfg, g, "synapse", 0.1, &e->synapse, err)))
        return rc;
    sl__setting *sp = sl__config_find(cfg, g, "spiking");
    if (strcmp(e->metric, "accuracy"))
        return sl__cfg_error(cfg, sp, err, SL_ECONFIG, "a spiking "
                             "evaluation measures metric = \"accuracy\", "
                             "not \"%s\"", e->metric);
    if (exp->on_backend)
        return sl__cfg_error(cfg, sp, err, SL_ECONFIG, "a spiking "
                             "evaluation runs the layers' twins in "
                             "software: not on backend '%s'",
                             exp->backend.entry->comp->name);
    size_t twins = 0;
    for (size_t i = 0; i < exp->net.n_layers; i++)
        twins += sl__layer_has_twin(&exp->net.layers[i]) != 0;
    if (!twins)
        return sl__cfg_error(cfg, sp, err, SL_ECONFIG, "no layer of the "
                             "network has a spiking twin (e.g. type = "
                             "\"softlif\")");
    if (e->n_steps < 1 || e->n_steps > 1000000)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "n_steps"), err,
                             SL_ECONFIG, "n_steps = %lld: need 1 .. "
                             "1000000", (long long)e->n_steps);
    if (!(e->synapse >= 0) || !isfinite(e->synapse))
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "synapse"), err,
                             SL_ECONFIG, "synapse must be >= 0 s (0: the "
                             "unfiltered output)");
    size_t dn = e->data->info.n_steps;
    if (dn != 1 && dn != (size_t)e->n_steps)
        return sl__cfg_error(cfg, sp, err, SL_ECONFIG, "dataset '%s' has %zu"
                             " steps per sample: a spiking evaluation holds "
                             "a one-step sample for n_steps = %lld steps, or"
                             " takes a sample of exactly n_steps steps",
                             e->data->name, dn, (long long)e->n_steps);
    return SL_OK;
}

static int load_evals(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *ev = sl__config_find(cfg, NULL, "evaluate");
    if (!ev)
        return SL_OK;
    if (config_setting_type(ev) != CONFIG_TYPE_LIST)
        return sl__cfg_error(cfg, ev, err, SL_ECONFIG, "must be a list of "
                             "groups ( { data = \"test\"; metric = \"frr\"; } )");
    int rc;
    for (int i = 0; i < config_setting_length(ev); i++) {
        sl__setting *g = config_setting_get_elem(ev, (unsigned)i);
        if (exp->n_evals == SL__MAX_EVALS)
            return sl__cfg_error(cfg, g, err, SL_ECONFIG, "too many "
                                 "evaluations (at most %d)", SL__MAX_EVALS);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                                 "each evaluation must be a group");
        sl__eval *e = &exp->evals[exp->n_evals];
        if ((rc = sl__declare_section(cfg, g, SL__SEC_EVALUATE)))
            return sl__fail(err, rc, "out of memory");
        if ((rc = data_ref(exp, g, "data", NULL, &e->data, err)) ||
            (rc = sl__cfg_string(cfg, g, "metric", "frr", &e->metric, err)) ||
            (rc = sl__cfg_string(cfg, g, "frr_mode", "target", &e->frr_mode,
                                 err)) ||
            (rc = sl__cfg_bool(cfg, g, "per_sample",
                               e->data->info.n_samples <= 10, &e->per_sample,
                               err)) ||
            (rc = sl__cfg_bool(cfg, g, "before", 0, &e->before, err)) ||
            (rc = sl__cfg_int(cfg, g, "every", 0, &e->every, err)))
            return rc;
        if (e->every < 0)
            return sl__cfg_error(cfg, sl__config_find(cfg, g, "every"), err,
                                 SL_ECONFIG, "every must be >= 0 epochs "
                                 "(0: only after training; N: also every N "
                                 "epochs, recorded as metrics)");
        if (strcmp(e->metric, "frr") && strcmp(e->metric, "accuracy") &&
            strcmp(e->metric, "loss") && strcmp(e->metric, "spike_times"))
            return sl__cfg_error(cfg, sl__config_find(cfg, g, "metric"), err,
                                 SL_ECONFIG, "unknown metric '%s' (frr, "
                                 "accuracy, loss, spike_times)", e->metric);
        e->tolerance = 2e-6;
        if (strcmp(e->metric, "spike_times") == 0) {
            if ((rc = sl__cfg_float(cfg, g, "tolerance", 2e-6, &e->tolerance,
                                    err)))
                return rc;
            if (!(e->tolerance >= 0))
                return sl__cfg_error(cfg, sl__config_find(cfg, g,
                                                          "tolerance"),
                                     err, SL_ECONFIG, "tolerance must be "
                                     ">= 0 s (e.g. 2e-6)");
            if (e->data->info.target_steps != e->data->info.n_steps)
                return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                                     "metric spike_times needs a target "
                                     "spike train per step; dataset '%s' "
                                     "has one target per sample",
                                     e->data->name);
        }
        if ((rc = load_spiking(exp, g, e, err)))
            return rc;
        if (strcmp(e->frr_mode, "target") && strcmp(e->frr_mode, "max_min"))
            return sl__cfg_error(cfg, sl__config_find(cfg, g, "frr_mode"),
                                 err, SL_ECONFIG, "unknown frr_mode '%s' "
                                 "(target: rate of the target neuron over "
                                 "the highest other rate; max_min: highest "
                                 "rate over lowest)", e->frr_mode);
        exp->n_evals++;
    }
    return SL_OK;
}

/* teacher = { layer = "NAME"; param = "weight"; mean = 27.0; std = 1.0;
 *             data = ["train", ...];     (default: every dataset)
 *             numpy_seed = 123;          (optional: NumPy's legacy stream)
 *             init = { mean = 10.0; std = 20.0; }; }   (optional) */
static int load_teacher(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, "teacher");
    if (!g)
        return SL_OK;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "must be a group, e.g. "
                             "teacher = { layer = \"input\"; param = "
                             "\"weight\"; mean = 27.0; std = 1.0; };");
    sl__teacher *t = &exp->teacher;
    const char *layer, *param;
    int rc;
    if ((rc = sl__declare_section(cfg, g, SL__SEC_TEACHER)))
        return sl__fail(err, rc, "out of memory");
    if ((rc = sl__cfg_string(cfg, g, "layer", NULL, &layer, err)) ||
        (rc = sl__cfg_string(cfg, g, "param", "weight", &param, err)) ||
        (rc = sl__cfg_float(cfg, g, "mean", 0.0, &t->mean, err)) ||
        (rc = sl__cfg_float(cfg, g, "std", 1.0, &t->std, err)))
        return rc;
    if (!layer)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "missing 'layer': the "
                             "name of the layer whose parameter the teacher "
                             "draws");
    size_t li = exp->net.n_layers;
    for (size_t i = 0; i < exp->net.n_layers; i++)
        if (strcmp(exp->net.layers[i].label, layer) == 0)
            li = i;
    if (li == exp->net.n_layers)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "layer"), err,
                             SL_ECONFIG, "no layer named '%s' in the network "
                             "(give the layer a name = \"...\")", layer);
    sl__layer *l = &exp->net.layers[li];
    t->layer = li;
    for (size_t k = 0; k < l->n_params; k++)
        if (strcmp(l->params[k].name, param) == 0)
            t->param = &l->params[k];
    if (!t->param)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "param"), err,
                             SL_ECONFIG, "layer '%s' has no parameter '%s'",
                             layer, param);
    if (!(t->std >= 0) || !isfinite(t->mean))
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "mean must be finite "
                             "and std >= 0");
    if ((rc = sl__cfg_int(cfg, g, "numpy_seed", -1, &t->numpy_seed, err)))
        return rc;
    if (t->numpy_seed > 4294967295LL)
        return sl__cfg_error(cfg, sl__config_find(cfg, g, "numpy_seed"), err,
                             SL_ECONFIG, "numpy_seed must be 0 .. 2^32-1 "
                             "(NumPy's legacy seeding)");
    sl__setting *ig = sl__config_find(cfg, g, "init");
    if (ig) {
        if (config_setting_type(ig) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(cfg, ig, err, SL_ECONFIG, "must be a group "
                                 "{ mean = 10.0; std = 20.0; }");
        if ((rc = sl__cfg_float(cfg, ig, "mean", 0.0, &t->init_mean, err)) ||
            (rc = sl__cfg_float(cfg, ig, "std", 1.0, &t->init_std, err)))
            return rc;
        if (!(t->init_std >= 0) || !isfinite(t->init_mean))
            return sl__cfg_error(cfg, ig, err, SL_ECONFIG, "mean must be "
                                 "finite and std >= 0");
        t->has_init = 1;
    }
    sl__setting *ds = sl__config_find(cfg, g, "data");
    if (ds) {
        sl__cfg_mark_used(ds);
        int ty = config_setting_type(ds);
        if (ty != CONFIG_TYPE_ARRAY && ty != CONFIG_TYPE_LIST)
            return sl__cfg_error(cfg, ds, err, SL_ECONFIG, "expected a list "
                                 "of dataset names, e.g. [\"train\"]");
        for (int i = 0; i < config_setting_length(ds); i++) {
            const char *name = config_setting_get_string_elem(ds, i);
            sl__dataset *d = name ? find_data(exp, name) : NULL;
            if (!d)
                return sl__cfg_error(cfg, ds, err, SL_ECONFIG, "element %d: "
                                     "no dataset named '%s'", i,
                                     name ? name : "(not a string)");
            t->data[t->n_data++] = d;
        }
    } else {
        for (size_t i = 0; i < exp->n_data; i++)
            t->data[t->n_data++] = &exp->data[i];
    }
    for (size_t i = 0; i < t->n_data; i++)
        if (t->data[i]->info.target_steps != t->data[i]->info.n_steps)
            return sl__cfg_error(cfg, g, err, SL_ECONFIG, "the teacher makes "
                                 "a target per step, but dataset '%s' has "
                                 "one target per sample", t->data[i]->name);
    t->on = 1;
    return SL_OK;
}

static int load(sl__experiment *exp, char *const *overrides, size_t n_ov,
                const char *plugin_path, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    int rc;
    for (size_t i = 0; i < n_ov; i++)
        if ((rc = sl__config_override(cfg, overrides[i], err)))
            return rc;
    if ((rc = sl__declare_section(cfg, NULL, SL__SEC_ROOT)))
        return sl__fail(err, rc, "out of memory");
    if ((rc = sl__cfg_string(cfg, NULL, "name", "experiment", &exp->name,
                             err)) ||
        (rc = sl__cfg_int(cfg, NULL, "seed", 0, &exp->seed, err)) ||
        (rc = sl__cfg_int(cfg, NULL, "threads", 0, &exp->threads, err)))
        return rc;
    const char *numerics = "blas";
    if ((rc = sl__cfg_string(cfg, NULL, "numerics", "blas", &numerics, err)))
        return rc;
    exp->numerics = numerics && strcmp(numerics, "portable") == 0
                        ? SL__NUMERICS_PORTABLE
                        : SL__NUMERICS_BLAS;
    exp->host = sl__host_for(exp->numerics);
    if (exp->threads < 0 || exp->threads > 1024)
        return sl__cfg_error(cfg, sl__config_find(cfg, NULL, "threads"), err,
                             SL_ECONFIG, "threads = %lld: use 0 (one per "
                             "CPU) or 1 to 1024", (long long)exp->threads);
    sl__cfg_string(cfg, NULL, "description", NULL, &(const char *){0}, err);
    exp->reg = sl__registry_new();
    if (!exp->reg)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    if ((rc = load_plugins(exp, plugin_path, err)))
        return rc;
    /* a model run over time: no datasets, network or training */
    if (sl__simulate_wanted(exp)) {
        if ((rc = sl__simulate_load(exp, err)))
            return rc;
        return sl__config_check_unused(cfg, err);
    }

    sl__setting *data = sl__config_find(cfg, NULL, "data");
    if (!data || config_setting_type(data) != CONFIG_TYPE_GROUP ||
        config_setting_length(data) == 0)
        return sl__cfg_error(cfg, data, err, SL_ECONFIG,
                             "'data' must be a group of named datasets, e.g. "
                             "data = { train = { type = \"frozen_noise\"; }; };");
    for (int i = 0; i < config_setting_length(data); i++)
        if ((rc = load_dataset(exp, config_setting_get_elem(data, (unsigned)i),
                               err)))
            return rc;

    sl__setting *train = sl__config_find(cfg, NULL, "train");
    if (train && config_setting_type(train) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, train, err, SL_ECONFIG, "must be a group");
    /* absent: a stand-in, so the defaults are read as train.KEY */
    if (!(train = sl__config_section(cfg, "train")) ||
        (rc = sl__declare_section(cfg, train, SL__SEC_TRAIN)))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    const char *def_train = find_data(exp, "train") ? "train" : exp->data[0].name;
    if ((rc = data_ref(exp, train, "data", def_train, &exp->train_data, err)))
        return rc;
    sl_dataset_info *ti = &exp->train_data->info;
    if ((rc = sl__cfg_int(cfg, train, "epochs", 100, &exp->epochs, err)) ||
        (rc = sl__cfg_int(cfg, train, "batch_size", (int64_t)ti->n_samples,
                          &exp->batch_size, err)) ||
        (rc = sl__cfg_bool(cfg, train, "shuffle", 0, &exp->shuffle, err)) ||
        (rc = sl__cfg_int(cfg, train, "log_every", 0, &exp->log_every, err)))
        return rc;
    if (exp->epochs < 0)
        return sl__cfg_error(cfg, sl__config_find(cfg, train, "epochs"), err,
                             SL_ECONFIG, "epochs must be >= 0");
    if (exp->batch_size < 1)
        return sl__cfg_error(cfg, sl__config_find(cfg, train, "batch_size"),
                             err, SL_ECONFIG, "batch_size must be >= 1");
    /* a batch larger than the data set used to be clamped silently: the
     * user believes in a batch size that never ran */
    if ((size_t)exp->batch_size > ti->n_samples)
        return sl__cfg_error(cfg, sl__config_find(cfg, train, "batch_size"),
                             err, SL_ECONFIG,
                             "batch_size %lld is larger than the training set "
                             "(%zu samples): use at most %zu",
                             (long long)exp->batch_size, ti->n_samples,
                             ti->n_samples);
    sl__setting *mm = sl__config_find(cfg, train, "mismatch");
    if (mm) {
        if ((rc = sl__cfg_int(cfg, mm, "every", 100, &exp->mismatch_every,
                              err)) ||
            (rc = sl__cfg_float(cfg, mm, "deviation", 0.30,
                                &exp->mismatch_deviation, err)) ||
            (rc = sl__cfg_float(cfg, mm, "sigma_rule", 3.0,
                                &exp->mismatch_sigma_rule, err)))
            return rc;
        if (exp->mismatch_every < 0)
            return sl__cfg_error(cfg, sl__config_find(cfg, mm, "every"), err,
                                 SL_ECONFIG, "must be >= 0 (epochs between "
                                 "re-draws; 0 = off)");
        if (exp->mismatch_deviation < 0)
            return sl__cfg_error(cfg, sl__config_find(cfg, mm, "deviation"),
                                 err, SL_ECONFIG, "must be >= 0 (e.g. 0.30 "
                                 "for 30 %%)");
        if (!(exp->mismatch_sigma_rule > 0))
            return sl__cfg_error(cfg, sl__config_find(cfg, mm, "sigma_rule"),
                                 err, SL_ECONFIG, "must be > 0 (sigma = "
                                 "deviation / sigma_rule)");
    }
    if (exp->log_every < 0)
        return sl__cfg_error(cfg, sl__config_find(cfg, train, "log_every"),
                             err, SL_ECONFIG, "log_every must be >= 0 "
                             "(0 = about 20 lines per run)");

    for (size_t i = 0; i < exp->n_data; i++) {
        sl_dataset_info *di = &exp->data[i].info;
        if (di->n_in != ti->n_in || di->n_out != ti->n_out)
            return sl__cfg_error(cfg, exp->data[i].ctx.group, err, SL_ECONFIG,
                                 "dataset '%s' has %zu inputs / %zu outputs "
                                 "but '%s' has %zu / %zu; all datasets feed "
                                 "the same network", exp->data[i].name,
                                 di->n_in, di->n_out, exp->train_data->name,
                                 ti->n_in, ti->n_out);
    }

    sl__setting *netg = sl__config_find(cfg, NULL, "network");
    if (!netg || config_setting_type(netg) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, netg, err, SL_ECONFIG,
                             "'network' must be a group with dt and layers");
    if ((rc = sl__network_build(&exp->net, cfg, netg, exp->reg, exp->host,
                                ti->n_in, (uint64_t)exp->seed, err)))
        return rc;
    if (exp->net.n_out != ti->n_out)
        return sl__cfg_error(cfg, netg, err, SL_ECONFIG,
                             "the network ends with %zu outputs but the "
                             "dataset's targets have %zu channels",
                             exp->net.n_out, ti->n_out);
    for (size_t i = 0; i < exp->n_data; i++)
        if (exp->data[i].info.dt > 0 &&
            fabs(exp->data[i].info.dt - exp->net.dt) > 1e-9 * exp->net.dt)
            return sl__cfg_error(cfg, netg, err, SL_ECONFIG,
                                 "network dt %g s differs from dataset '%s' "
                                 "dt %g s", exp->net.dt, exp->data[i].name,
                                 exp->data[i].info.dt);

    if ((rc = create_component(exp, &exp->loss, SL_KIND_LOSS, SL__SEC_LOSS,
                               "loss", NULL, 1, err)) ||
        (rc = create_component(exp, &exp->optimizer, SL_KIND_OPTIMIZER,
                               SL__SEC_OPTIMIZER, "optimizer", NULL, 1,
                               err)) ||
        (rc = create_component(exp, &exp->backend, SL_KIND_BACKEND,
                               SL__SEC_BACKEND, "backend", "sim", 0, err)))
        return rc;
    const sl_optimizer_iface *oi = exp->optimizer.iface;
    if (oi->flags & SL_OPT_GRADIENT)
        exp->trace_rule = 0;
    else if ((oi->flags & SL_OPT_TRACES) && oi->xRuleUpdate)
        exp->trace_rule = 1;
    else
        return sl__cfg_error(cfg, exp->optimizer.ctx.group, err, SL_EPLUGIN,
                             "optimizer '%s' declares neither gradient "
                             "steps nor a trace rule; its plugin is broken",
                             exp->optimizer.entry->comp->name);
    /* A gradient optimizer trains by back-propagation through every layer
     * (sim BPTT and hardware-in-the-loop alike), so a layer without a
     * backward pass cannot be trained through: refuse now, naming it, not
     * in the first batch. A learning rule needs no backward pass, nor does
     * a run without epochs. */
    for (size_t i = 0; !exp->trace_rule && exp->epochs > 0 &&
                       i < exp->net.n_layers; i++) {
        const sl__layer *l = &exp->net.layers[i];
        if (l->iface->xBackward)
            continue;
        return sl__cfg_error(cfg, l->ctx.group, err, SL_ECONFIG,
                             "layer '%s' (component '%s' of %s) has no "
                             "backward pass (its xBackward is NULL), but "
                             "optimizer '%s' trains by back-propagation "
                             "through every layer: use a layer that "
                             "implements xBackward, a learning rule, or "
                             "train.epochs = 0", l->label,
                             l->entry->comp->name,
                             l->entry->plugin->path ? l->entry->plugin->path
                                                    : "the core (built in)",
                             exp->optimizer.entry->comp->name);
    }
    if (exp->trace_rule && exp->mismatch_every > 0)
        return sl__cfg_error(cfg, mm, err, SL_ECONFIG,
                             "train.mismatch re-draws weights for gradient "
                             "optimizers; the learning rule '%s' updates the "
                             "weights itself: remove train.mismatch",
                             exp->optimizer.entry->comp->name);
    if ((rc = oi->xBind(exp->optimizer.self, exp->net.trainable,
                        exp->net.n_trainable)) < 0)
        return sl__ctx_take_error(&exp->optimizer.ctx, rc, err);
    const sl_backend_iface *bif = exp->backend.iface;
    if (strcmp(exp->backend.entry->comp->name, "sim") != 0) {
        if (!(bif->flags & SL_BACKEND_RUNS) || !bif->xRun)
            return sl__cfg_error(cfg, exp->backend.ctx.group, err,
                                 SL_ECONFIG, "backend '%s' does not run "
                                 "networks (it exports them): use it in an "
                                 "'export' section, and backend = { type = "
                                 "\"sim\"; } or a chip emulator here",
                                 exp->backend.entry->comp->name);
        /* forward.c reads every trace (hardware-in-the-loop, learning
         * rules, recorded traces) through xTrace without a NULL test */
        if (!bif->xTrace)
            return sl__cfg_error(cfg, exp->backend.ctx.group, err,
                                 SL_EPLUGIN, "backend '%s' (%s) runs "
                                 "networks but has no xTrace, so nothing "
                                 "it ran can be read back; its plugin is "
                                 "broken",
                                 exp->backend.entry->comp->name,
                                 exp->backend.entry->plugin->path
                                     ? exp->backend.entry->plugin->path
                                     : "built in");
        exp->on_backend = 1;
    }
    /* software forward and BPTT run in shards on threads (parallel.h);
     * a backend that runs the network runs it whole */
    if (!exp->on_backend &&
        (rc = sl__par_attach(&exp->net, cfg, netg, exp->reg, exp->host,
                             ti->n_in, (uint64_t)exp->seed, exp->threads,
                             err)))
        return rc;
    sl_layer_view views[64];
    sl_network_view nv;
    if (exp->net.n_layers <= 64) {
        sl__network_view(&exp->net, views, &nv);
        const sl_backend_iface *bi = exp->backend.iface;
        if ((rc = bi->xPlace(exp->backend.self, &nv)))
            return sl__ctx_take_error(&exp->backend.ctx, rc, err);
    }
    if ((rc = load_evals(exp, err)) || (rc = load_teacher(exp, err)) ||
        (rc = sl__models_load(exp, err)))
        return rc;
    if ((rc = sl__export_load(exp, err)) ||
        (rc = sl__config_check_unused(cfg, err)))
        return rc;
    for (size_t i = 0; i < exp->teacher.n_data; i++) {
        sl__dataset *td = exp->teacher.data[i];
        if (strcmp(td->store, "stream") == 0)
            return sl__cfg_error(cfg, td->owner->ctx.group, err, SL_ECONFIG,
                                 "the teacher writes the targets of dataset "
                                 "'%s', which needs it in memory: remove "
                                 "store = \"stream\"", td->name);
        td->store = "memory";
    }
    return sl__data_load(exp, err);
}

int sl__experiment_load(sl__experiment *exp, const char *path,
                        const char *text, char *const *overrides,
                        size_t n_overrides, sl__err *err)
{
    return sl__experiment_load_ex(exp, path, text, overrides, n_overrides,
                                  NULL, err);
}

int sl__experiment_load_ex(sl__experiment *exp, const char *path,
                           const char *text, char *const *overrides,
                           size_t n_overrides, const char *plugin_path,
                           sl__err *err)
{
    memset(exp, 0, sizeof *exp);
    int rc = text ? sl__config_load_string(text, path, &exp->cfg, err)
                  : sl__config_load(path, &exp->cfg, err);
    if (rc)
        return rc;
    rc = load(exp, overrides, n_overrides, plugin_path, err);
    if (rc)
        sl__experiment_free(exp);
    return rc;
}

void sl__experiment_free(sl__experiment *exp)
{
    sl__export_free(exp->export_state);
    sl__simulate_free(exp);
    sl__models_free(exp);
    if (exp->loss.self)
        ((const sl_loss_iface *)exp->loss.iface)->xDestroy(exp->loss.self);
    if (exp->optimizer.self)
        ((const sl_optimizer_iface *)exp->optimizer.iface)
            ->xDestroy(exp->optimizer.self);
    if (exp->backend.self)
        ((const sl_backend_iface *)exp->backend.iface)
            ->xDestroy(exp->backend.self);
    sl__ctx_fini(&exp->loss.ctx);
    sl__ctx_fini(&exp->optimizer.ctx);
    sl__ctx_fini(&exp->backend.ctx);
    sl__network_free(&exp->net);
    for (size_t i = 0; i < exp->n_data; i++) {
        sl__dataset *d = &exp->data[i];
        if (d->self)
            d->iface->xDestroy(d->self);
        sl__ctx_fini(&d->ctx);
        sl__data_free(d);
        free(d->name);
    }
    if (exp->reg)
        sl__registry_free(exp->reg);
    sl__config_free(exp->cfg);
    memset(exp, 0, sizeof *exp);
}
