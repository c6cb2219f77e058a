/* core/api/session.c — the embedding API of session.h: load an experiment,
 * run it while recording into a run database (the body that `spikelab
 * run` and `rerun` drive), and the interrupt flag. Nothing here writes to
 * stdout or touches signals: progress goes through the caller's hooks, the
 * report to the caller's FILE*. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/session.h"
#include "api/api.h"
#include "config/config.h"
#include "db/db.h"
#include "engine/engine.h"
#include "util/npy.h"
#include "util/util.h"

typedef struct session_result {
    char *name;
    double value;
} session_result;

struct sl_session {
    char *plugin_path;
    /* written by sl_session_interrupt, possibly from a signal handler */
    volatile sig_atomic_t stop;
    sl__err err;
    int64_t run_id;
    session_result *results;
    size_t n_results, cap_results;
};

struct sl_experiment {
    sl__experiment exp;
    char *config_path; /* what the record names: the file's absolute path,
                          or the name of a string configuration */
    char *overrides;   /* the overrides given, as "k=v" lines */
    int ran;           /* trained once: no fresh run any more */
};

/* Does a struct of `size` bytes (its struct_size) hold `field`? */
#define HAS(type, p, field) SL_HAS_FIELD(type, p, field)

int sl_session_new(const sl_session_opts *opts, sl_session **out)
{
    if (!out)
        return SL_EINVAL;
    *out = NULL;
    if (opts && opts->struct_size < sizeof opts->struct_size)
        return SL_EINVAL;
    sl_session *s = calloc(1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    const char *pp = HAS(sl_session_opts, opts, plugin_path)
                         ? opts->plugin_path : NULL;
    if (pp && !(s->plugin_path = strdup(pp))) {
        free(s);
        return SL_ENOMEM;
    }
    sl__err_clear(&s->err);
    *out = s;
    return SL_OK;
}

static void clear_results(sl_session *s)
{
    for (size_t i = 0; i < s->n_results; i++)
        free(s->results[i].name);
    s->n_results = 0;
}

void sl_session_free(sl_session *s)
{
    if (!s)
        return;
    clear_results(s);
    free(s->results);
    free(s->plugin_path);
    free(s);
}

const char *sl_session_errmsg(const sl_session *s)
{
    return s ? s->err.msg : "no session (NULL)";
}

void sl_session_interrupt(sl_session *s)
{
    if (s)
        s->stop = 1;
}

int64_t sl_session_run_id(const sl_session *s)
{
    return s ? s->run_id : 0;
}

size_t sl_session_n_results(const sl_session *s)
{
    return s ? s->n_results : 0;
}

const char *sl_session_result(const sl_session *s, size_t i, double *value)
{
    if (!s || i >= s->n_results)
        return NULL;
    if (value)
        *value = s->results[i].value;
    return s->results[i].name;
}

/* ---- loading ------------------------------------------------------------ */

static char *join_lines(const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", v[i], i + 1 < n ? "\n" : "");
    return s;
}

static int load(sl_session *s, const char *path, const char *text,
                const char *const *overrides, size_t n_overrides,
                sl_experiment **out)
{
    if (!s)
        return SL_EINVAL;
    sl__err_clear(&s->err);
    if (!out || !path || (n_overrides && !overrides))
        return sl__fail(&s->err, SL_EINVAL, "sl_experiment_load%s: %s",
                        text ? "_string" : "",
                        !out ? "no output handle"
                        : !path ? "no experiment file"
                                : "overrides NULL with n_overrides > 0");
    *out = NULL;
    for (size_t i = 0; i < n_overrides; i++)
        if (!overrides[i])
            return sl__fail(&s->err, SL_EINVAL, "override %zu is NULL", i);
    sl_experiment *e = calloc(1, sizeof *e);
    if (!e || !(e->overrides = join_lines(overrides, n_overrides))) {
        free(e);
        return sl__fail(&s->err, SL_ENOMEM, "out of memory");
    }
    /* the internal loader only reads the strings; its type predates
     * const-correct callers */
    int rc = sl__experiment_load_ex(&e->exp, path, text,
                                    (char *const *)overrides, n_overrides,
                                    s->plugin_path, &s->err);
    if (rc) {
        free(e->overrides);
        free(e);
        return rc;
    }
    /* the file's absolute path: `rerun` and people reading the record
     * later may be somewhere else */
    e->config_path = text ? strdup(path) : realpath(path, NULL);
    if (!e->config_path)
        e->config_path = strdup(path);
    if (!e->config_path) {
        sl_experiment_free(e);
        return sl__fail(&s->err, SL_ENOMEM, "out of memory");
    }
    *out = e;
    return SL_OK;
}

int sl_experiment_load(sl_session *s, const char *path,
                       const char *const *overrides, size_t n_overrides,
                       sl_experiment **out)
{
    return load(s, path, NULL, overrides, n_overrides, out);
}

int sl_experiment_load_string(sl_session *s, const char *text,
                              const char *name, const char *const *overrides,
                              size_t n_overrides, sl_experiment **out)
{
    if (!text) {
        if (out)
            *out = NULL;
        if (s)
            return sl__fail(&s->err, SL_EINVAL,
                            "sl_experiment_load_string: no text");
        return SL_EINVAL;
    }
    return load(s, name ? name : "(string)", text, overrides, n_overrides,
                out);
}

void sl_experiment_free(sl_experiment *e)
{
    if (!e)
        return;
    sl__experiment_free(&e->exp);
    free(e->config_path);
    free(e->overrides);
    free(e);
}

const char *sl_experiment_name(const sl_experiment *e)
{
    return e ? e->exp.name : NULL;
}

int64_t sl_experiment_seed(const sl_experiment *e)
{
    return e ? e->exp.seed : 0;
}

int64_t sl_experiment_epochs(const sl_experiment *e)
{
    return e ? e->exp.epochs : 0;
}

const char *sl_experiment_train_data(const sl_experiment *e)
{
    return e && e->exp.train_data ? e->exp.train_data->name : NULL;
}

double sl_experiment_duration(const sl_experiment *e)
{
    return e && e->exp.sim ? (double)sl__simulate_steps(&e->exp) *
                                 sl__simulate_dt(&e->exp)
                           : 0.0;
}

int64_t sl_experiment_log_every(const sl_experiment *e)
{
    return e ? e->exp.log_every : 0;
}

int sl_numeric_env(int (*cb)(void *user, const char *key, const char *value),
                   void *user)
{
    if (!cb)
        return SL_EINVAL;
    char **env = NULL;
    size_t n = 0;
    int rc = sl__numenv_collect(&env, &n, NULL);
    for (size_t i = 0; !rc && i < n; i++)
        rc = cb(user, env[2 * i], env[2 * i + 1]);
    sl__numenv_free(env, n);
    return rc;
}

/* ---- running ------------------------------------------------------------ */

/* One run in progress: the engine's hooks land here, are recorded, then
 * passed on to the caller's. */
typedef struct run_state {
    sl_session *s;
    sl__experiment *exp;
    sl__db *db;
    int64_t run_id;
    double last_flush;
    sl_run_hooks h;   /* the caller's, fields past its struct_size zero */
    sl__err err;      /* database errors met inside hooks */
} run_state;

static int on_epoch(void *user, int64_t epoch, double loss)
{
    run_state *r = user;
    int rc = sl__db_metric(r->db, r->run_id, epoch, "loss", loss, &r->err);
    if (rc)
        return rc;
    double now = sl__mono_time();
    /* the first epoch at once: a run killed early still shows progress */
    if (epoch == 1 || now - r->last_flush > 0.25 ||
        epoch == r->exp->epochs) {
        if ((rc = sl__db_flush(r->db, &r->err)))
            return rc;
        r->last_flush = now;
    }
    return r->h.on_epoch ? r->h.on_epoch(r->h.user, epoch, loss) : SL_OK;
}

static int on_progress(void *user, const char *what, uint64_t done,
                       uint64_t total)
{
    run_state *r = user;
    return r->h.on_progress(r->h.user, what, done, total);
}

static int on_result(void *user, const char *name, double value)
{
    run_state *r = user;
    int rc = sl__db_result(r->db, r->run_id, name, value, NULL, &r->err);
    if (rc)
        return rc;
    sl_session *s = r->s;
    if (s->n_results == s->cap_results) {
        size_t cap = s->cap_results ? 2 * s->cap_results : 32;
        session_result *n = realloc(s->results, cap * sizeof *n);
        if (!n)
            return sl__fail(&r->err, SL_ENOMEM, "out of memory for results");
        s->results = n;
        s->cap_results = cap;
    }
    if (!(s->results[s->n_results].name = strdup(name)))
        return sl__fail(&r->err, SL_ENOMEM, "out of memory for results");
    s->results[s->n_results++].value = value;
    return r->h.on_result ? r->h.on_result(r->h.user, name, value) : SL_OK;
}

static int on_metric(void *user, int64_t step, const char *name, double value)
{
    run_state *r = user;
    int rc = sl__db_metric(r->db, r->run_id, step, name, value, &r->err);
    if (rc)
        return rc;
    return r->h.on_metric ? r->h.on_metric(r->h.user, step, name, value)
                          : SL_OK;
}

/* An evaluation's confusion matrix: the artifact
 * evaluations/NAME.npy, int64 [true class][predicted class] (counts stay
 * integers; not a result, so the values a run records and compares are
 * those of before). */
static int on_counts(void *user, const char *name, const int64_t *counts,
                     size_t rows, size_t cols)
{
    run_state *r = user;
    size_t shape[2] = {rows, cols};
    void *img;
    size_t size;
    int rc = sl__npy_typed(counts, 'i', sizeof *counts, shape, 2, &img,
                           &size, &r->err);
    if (rc)
        return rc;
    char aname[300];
    if (snprintf(aname, sizeof aname, "%s%s.npy", SL__COUNTS_DIR, name) >=
        (int)sizeof aname) {
        free(img);
        return sl__fail(&r->err, SL_EINVAL, "evaluation name too long: %s",
                        name);
    }
    rc = sl__db_artifact(r->db, r->run_id, aname, "evaluation",
                         "application/x-npy", img, size, &r->err);
    free(img);
    return rc;
}

/* train.checkpoint_every: every metric up to the epoch committed first,
 * then the checkpoint, so that a checkpoint never refers to metrics a
 * kill could still lose (resume drops those after its epoch). */
static int on_checkpoint(void *user, int64_t epoch, const void *image,
                         size_t size)
{
    run_state *r = user;
    int rc = sl__db_flush(r->db, &r->err);
    if (!rc)
        rc = sl__db_checkpoint_put(r->db, r->run_id, epoch, image, size,
                                   &r->err);
    r->last_flush = sl__mono_time();
    return rc;
}

/* sl__export_sink: the deployment's figures and quantised results are
 * results of the run (numbers through on_result, so the caller's hook and
 * sl_session_result see them too; text figures straight to the record),
 * its configuration file an artifact; the float results it prints beside
 * the quantised ones are those already recorded. */
static int export_result(void *user, const char *name, double value,
                         const char *text)
{
    run_state *r = user;
    if (!text)
        return on_result(user, name, value);
    return sl__db_result(r->db, r->run_id, name, value, text, &r->err);
}

static int export_artifact(void *user, const char *name, const char *kind,
                           const char *mime, const void *data, size_t size)
{
    run_state *r = user;
    return sl__db_artifact(r->db, r->run_id, name, kind, mime, data, size,
                           &r->err);
}

static int export_float_result(void *user, const char *name, double *value)
{
    run_state *r = user;
    return sl__db_result_value(r->db, r->run_id, name, value, NULL) == 1;
}

static int record_plugins(run_state *r)
{
    const sl__registry *reg = r->exp->reg;
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", (unsigned)p->desc->abi_major,
                 (unsigned)p->desc->abi_minor);
        int rc = sl__db_run_plugin(r->db, r->run_id, p->desc->name,
                                   p->desc->version, abi,
                                   p->path ? p->path : "(built in)", &r->err);
        if (rc)
            return rc;
    }
    return SL_OK;
}

/* Store an array as a .npy artifact. */
static int store_npy(run_state *r, const char *name, const char *kind,
                     const char *unit, const float *data, const size_t *shape,
                     size_t ndim, sl__err *err)
{
    void *img;
    size_t size;
    int rc = sl__npy_f32(data, shape, ndim, &img, &size, err);
    if (rc)
        return rc;
    /* a trace's unit travels as a media-type parameter ("application/
     * x-npy; unit=A"), so `spikelab plot` and the UI can label the axis
     * without knowing the plugin; the .npy bytes stay plain NumPy */
    char mime[96] = "application/x-npy";
    if (unit && *unit && strlen(unit) < 64 && !strpbrk(unit, ";\"\r\n"))
        snprintf(mime, sizeof mime, "application/x-npy; unit=%s", unit);
    rc = sl__db_artifact(r->db, r->run_id, name, kind, mime,
                         img, size, err);
    free(img);
    return rc;
}

/* "DIR/LAYER/WHAT.npy", malloc'd (caller frees); NULL without memory. */
static char *artifact_name(const char *dir, const char *layer,
                           const char *what)
{
    size_t len = strlen(dir) + strlen(layer) + strlen(what) + 8;
    char *name = malloc(len);
    if (name)
        snprintf(name, len, "%s/%s/%s.npy", dir, layer, what);
    return name;
}

/* The trained parameters, one .npy per tensor: params/LAYER/PARAM.npy. */
static int store_parameters(run_state *r, sl__err *err)
{
    const sl__network *net = &r->exp->net;
    for (size_t i = 0; i < net->n_layers; i++) {
        const sl__layer *l = &net->layers[i];
        for (size_t k = 0; k < l->n_params; k++) {
            const sl_param *p = &l->params[k];
            if (!(p->flags & SL_PARAM_TRAINABLE) || !p->data)
                continue;
            /* the whole layer name: a cut one could make two layers'
             * artifacts one */
            char *name = artifact_name("params", l->label,
                                       p->name ? p->name : "param");
            if (!name)
                return sl__fail(err, SL_ENOMEM, "out of memory");
            size_t shape[2] = {p->shape[0], p->shape[1]};
            size_t ndim = p->ndim >= 1 && p->ndim <= 2 ? p->ndim : 1;
            if (p->ndim < 1 || p->ndim > 2)
                shape[0] = p->n;
            int rc = store_npy(r, name, "parameters", NULL, p->data, shape,
                               ndim, err);
            free(name);
            if (rc)
                return rc;
        }
    }
    return SL_OK;
}

/* --traces, or `record = true` on a layer: the traces of the samples
 * the `record` group names (default: the first training sample) after
 * training, as the backend recorded them (software layers' observables,
 * or what a chip emulator read out); every observable and the output of
 * each such layer (every layer with all), stored as
 * traces/LAYER/NAME.npy of shape [samples][time][channels], beside the
 * input the network got, traces/input.npy, and the samples' indices in
 * their dataset, traces/samples.npy (float32). */
static int store_traces(run_state *r, int all, sl__err *err)
{
    sl__experiment *exp = r->exp;
    sl__network *net = &exp->net;
    const sl__dataset *d = exp->record_data ? exp->record_data
                                            : exp->train_data;
    const sl_dataset_info *in = &d->info;
    size_t k = exp->n_record_samples ? exp->n_record_samples : 1;
    size_t ni = in->n_steps * in->n_in;
    sl__engine_tv *tv = malloc(sizeof *tv);
    float *x = malloc(k * ni * sizeof(float));
    float *idx = malloc(k * sizeof(float));
    if (!tv || !x || !idx) {
        free(tv), free(x), free(idx);
        return sl__fail(err, SL_ENOMEM, "out of memory for traces");
    }
    /* the samples through datasel, so a streamed dataset works too */
    size_t nt = in->target_steps * in->n_out;
    size_t *sidx = malloc(k * sizeof *sidx);
    float *yb = malloc(k * (nt ? nt : 1) * sizeof *yb);
    int rc = !sidx || !yb ? sl__fail(err, SL_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; !rc && i < k; i++) {
        sidx[i] = exp->n_record_samples ? exp->record_samples[i] : 0;
        idx[i] = (float)sidx[i];
    }
    if (!rc)
        rc = sl__data_gather((sl__dataset *)d, sidx, k, x, yb, err);
    free(sidx);
    size_t ishape[3] = {k, in->n_steps, in->n_in};
    if (!rc)
        rc = store_npy(r, "traces/input.npy", "trace", NULL, x, ishape, 3, err);
    if (!rc)
        rc = store_npy(r, "traces/samples.npy", "trace", NULL, idx, &k, 1, err);
    if (!rc)
        rc = sl__engine_traces(exp, x, k, in->n_steps, tv, err);
    /* and the first of those inputs as inputs/DATA/input.npy, the
     * input raster `spikelab plot RUN input` and the UI draw */
    if (!rc) {
        size_t ishape1[3] = {1, in->n_steps, in->n_in};
        char *name = artifact_name("inputs", d->name, "input");
        rc = name ? store_npy(r, name, "trace", NULL, x, ishape1, 3, err)
                  : sl__fail(err, SL_ENOMEM, "out of memory");
        free(name);
    }
    for (size_t i = 0; !rc && i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        const sl_layer_trace *t = &tv->layers[i];
        if (!all && !l->record)
            continue;
        char *name;
        if (t->output.data) {
            size_t shape[3] = {k, in->n_steps, l->n_out};
            if (!(name = artifact_name("traces", l->label, "output"))) {
                rc = sl__fail(err, SL_ENOMEM, "out of memory");
                break;
            }
            rc = store_npy(r, name, "trace", NULL, t->output.data, shape, 3,
                           err);
            free(name);
            if (rc)
                break;
        }
        for (size_t o = 0; o < t->n_observables; o++) {
            const sl_observable *ob = &t->observables[o];
            if (!ob->name)
                continue;
            size_t oshape[3] = {ob->batch, ob->time, ob->channels};
            if (!(name = artifact_name("traces", l->label, ob->name))) {
                rc = sl__fail(err, SL_ENOMEM, "out of memory");
                break;
            }
            rc = store_npy(r, name, "trace", ob->unit, ob->data, oshape, 3,
                           err);
            free(name);
            if (rc)
                break;
        }
    }
    free(yb);
    free(tv);
    free(x);
    free(idx);
    return rc;
}

/* Resuming run o->resume_id: its checkpoint read and put into the
 * experiment (after the teacher, whose draws it overrides), then the
 * record reopened. Nothing in the database changes unless all of it
 * fits. */
static int resume(run_state *r, const sl_run_opts *o, FILE *rep,
                  sl__err *err)
{
    int rc = sl__db_open(o->db_path, &r->db, err);
    if (rc)
        return rc;
    int64_t epoch;
    void *img;
    size_t size;
    if ((rc = sl__db_checkpoint_get(r->db, o->resume_id, &epoch, &img, &size,
                                    err)))
        return rc;
    rc = sl__engine_teacher(r->exp, rep, err);
    if (!rc && (rc = sl__checkpoint_restore(r->exp, img, size, err)))
        sl__fail(err, rc, "run %lld's checkpoint: %s",
                 (long long)o->resume_id, err->msg);
    free(img);
    if (!rc && epoch != r->exp->start_epoch)
        rc = sl__fail(err, SL_EDATA, "run %lld's checkpoint says epoch "
                      "%lld, its record %lld", (long long)o->resume_id,
                      (long long)r->exp->start_epoch, (long long)epoch);
    if (!rc)
        rc = sl__db_run_resume(r->db, o->resume_id, epoch, err);
    if (!rc)
        r->run_id = o->resume_id;
    return rc;
}

/* sl__sim_sink: a probe's trace is an artifact probes/NAME.npy
 * [steps][dims] (float32, as every stored tensor; the summaries and the
 * model's figures, computed in float64, are results). */
static int sim_trace(void *user, const char *probe, const double *data,
                     uint64_t steps, size_t dims)
{
    run_state *r = user;
    size_t n = (size_t)steps * dims;
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (!f)
        return sl__fail(&r->err, SL_ENOMEM, "out of memory for traces");
    for (size_t i = 0; i < n; i++)
        f[i] = (float)data[i];
    size_t len = strlen(probe) + sizeof "probes/" + 4;
    char *name = malloc(len);
    int rc = name ? SL_OK : SL_ENOMEM;
    if (!rc && snprintf(name, len, "probes/%s", probe) < 0)
        rc = SL_EINVAL;
    size_t shape[2] = {(size_t)steps, dims};
    if (!rc)
        rc = store_npy(r, name, "trace", NULL, f, shape, 2, &r->err);
    free(name);
    free(f);
    if (rc == SL_ENOMEM && !r->err.code)
        sl__fail(&r->err, rc, "out of memory for traces");
    return rc;
}

/* sl__sim_sink: an array of a sl.simulate.v2 model (spike events,
 * per-neuron counts) is an artifact NAME.npy in its own type: event
 * lists are integers and stay integers (compact, exact). */
static int sim_array(void *user, const sl_sim_array *a)
{
    run_state *r = user;
    size_t len = a && a->name ? strlen(a->name) : 0;
    if (!a || a->struct_size < sizeof *a || len == 0 || len > 64 ||
        strspn(a->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789_/-") != len || a->ndim < 1 || a->ndim > 2 ||
        (!a->data && a->shape[0] != 0 && (a->ndim == 1 || a->shape[1] != 0)))
        return sl__fail(&r->err, SL_EINVAL, "the model handed over a "
                        "malformed array '%s'", a && a->name ? a->name : "");
    char kind = a->dtype == SL_ARRAY_FLOAT64 ? 'f' : 'i';
    size_t el = a->dtype == SL_ARRAY_INT32 ? 4 : 8;
    if (a->dtype != SL_ARRAY_INT32 && a->dtype != SL_ARRAY_FLOAT64 &&
        a->dtype != SL_ARRAY_INT64)
        return sl__fail(&r->err, SL_EINVAL, "array '%s': unknown type %u",
                        a->name, (unsigned)a->dtype);
    void *img;
    size_t size;
    int rc = sl__npy_typed(a->data, kind, el, a->shape, a->ndim, &img, &size,
                           &r->err);
    if (rc)
        return rc;
    char name[80], mime[96] = "application/x-npy";
    snprintf(name, sizeof name, "%s.npy", a->name); /* len <= 64 */
    const char *unit = a->unit;
    if (unit && *unit && strlen(unit) < 64 && !strpbrk(unit, ";\"\r\n") &&
        snprintf(mime, sizeof mime, "application/x-npy; unit=%s", unit) < 0)
        mime[0] = '\0';
    rc = sl__db_artifact(r->db, r->run_id, name, "array", mime, img, size,
                         &r->err);
    free(img);
    return rc;
}

static int sim_progress(void *user, uint64_t done, uint64_t total, double dt)
{
    run_state *r = user;
    double now = sl__mono_time();
    int rc;
    if (now - r->last_flush > 0.25) {
        if ((rc = sl__db_flush(r->db, &r->err)))
            return rc;
        r->last_flush = now;
    }
    (void)total;
    return on_metric(r, (int64_t)done, "sim_time", (double)done * dt);
}

/* The simulate mode (engine/simulate.h): build, run, probes recorded. */
static int run_simulate(run_state *r, sl__err *err)
{
    sl__sim_sink sink = {r, on_result, sim_trace, sim_array, sim_progress};
    int rc = sl__simulate_run(r->exp, &sink, err);
    FILE *rep = r->h.report;
    if (rep && (rc == SL_OK || rc == SL_EINTR)) {
        double b, t;
        char b1[32], b2[32];
        sl__simulate_times(r->exp, &b, &t);
        fprintf(rep, "built in %s, simulated %llu of %llu steps in %s\n",
                sl__fmt_duration(b, b1, sizeof b1),
                (unsigned long long)sl__simulate_done(r->exp),
                (unsigned long long)sl__simulate_steps(r->exp),
                sl__fmt_duration(t, b2, sizeof b2));
        for (size_t i = 0; i < r->s->n_results; i++)
            if (strncmp(r->s->results[i].name, "probe_", 6) != 0)
                fprintf(rep, "  %s = %.6g\n", r->s->results[i].name,
                        r->s->results[i].value);
    }
    return rc;
}

/* Open the database and commit the run row and its plugins. */
static int begin(run_state *r, sl_experiment *e, const sl_run_opts *o,
                 sl__err *err)
{
    int rc = sl__db_open(o->db_path, &r->db, err);
    if (rc)
        return rc;
    char *effective = sl__config_dump(r->exp->cfg);
    const char *rtext = HAS(sl_run_opts, o, record_text) ? o->record_text
                                                         : NULL;
    const char *rov = HAS(sl_run_opts, o, record_overrides)
                          ? o->record_overrides : NULL;
    sl__run_meta meta = {
        .name = r->exp->name,
        .config_path = e->config_path,
        .config_text = rtext ? rtext : sl__config_text(r->exp->cfg),
        .config_effective = effective ? effective : "",
        .overrides = rov ? rov : e->overrides,
        .seed = r->exp->seed,
        .parent_id = HAS(sl_run_opts, o, parent_id) ? o->parent_id : 0,
    };
    /* every default the run used, recorded beside the set values */
    meta.defaults = sl__config_defaults(r->exp->cfg, &meta.n_defaults);
    /* and what decides its bits besides (BLAS kernel, CPU, compiler), so
     * a re-run elsewhere can say what changed */
    char **env = NULL;
    size_t n_env = 0;
    rc = sl__numenv_collect(&env, &n_env, err);
    /* the threads training runs on (the setting may say 0: one per CPU);
     * informational: the results do not depend on it */
    char **env2 = rc ? NULL : realloc(env, (2 * n_env + 2) * sizeof *env);
    if (!rc && env2) {
        char t[32];
        snprintf(t, sizeof t, "%zu", sl__par_threads(&r->exp->net));
        env = env2;
        env[2 * n_env] = strdup("engine.threads");
        env[2 * n_env + 1] = strdup(t);
        if (env[2 * n_env] && env[2 * n_env + 1])
            n_env++;
        else
            free(env[2 * n_env]), free(env[2 * n_env + 1]);
    }
    size_t n_numenv = n_env;
    /* and what it trained on: each dataset's files (path, size, SHA-256)
     * and selection, datasel.c */
    for (size_t k = 0; !rc && k < r->exp->n_data; k++) {
        const sl__dataset *d = &r->exp->data[k];
        char **more = d->n_ident ? realloc(env, 2 * (n_env + d->n_ident) *
                                                    sizeof *env)
                                 : env;
        if (!more) {
            rc = sl__fail(err, SL_ENOMEM, "out of memory");
            break;
        }
        env = more;
        for (size_t i = 0; i < 2 * d->n_ident; i++)
            env[2 * n_env + i] = d->ident[i];
        n_env += d->n_ident;
    }
    meta.env = env;
    meta.n_env = n_env;
    if (!rc)
        rc = sl__db_run_begin(r->db, &meta, &r->run_id, err);
    /* the identity strings are the datasets': only the numeric
     * environment's own pairs are freed */
    sl__numenv_free(env, n_numenv);
    free(effective);
    if (!rc && (rc = record_plugins(r)))
        *err = r->err;
    return rc;
}

int sl_run(sl_session *s, sl_experiment *e, const sl_run_opts *o,
           const sl_run_hooks *hooks, int64_t *run_id)
{
    if (run_id)
        *run_id = 0;
    if (!s)
        return SL_EINVAL;
    sl__err_clear(&s->err);
    if (!e || !o || o->struct_size < sizeof o->struct_size ||
        !HAS(sl_run_opts, o, db_path) || !o->db_path)
        return sl__fail(&s->err, SL_EINVAL, "sl_run: %s",
                        !e   ? "no experiment"
                        : !o ? "no options"
                             : "no run database path (sl_run_opts.db_path)");
    if (hooks && hooks->struct_size < sizeof hooks->struct_size)
        return sl__fail(&s->err, SL_EINVAL,
                        "sl_run: hooks->struct_size not set");
    if (e->ran)
        return sl__fail(&s->err, SL_EINVAL,
                        "experiment '%s' has already run (its parameters "
                        "are trained): load it again for a fresh run",
                        e->exp.name);

    /* a run starts: the session now describes it (a refused call above
     * leaves the previous run's id and results readable) */
    s->run_id = 0;
    clear_results(s);
    run_state r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.exp = &e->exp;
    sl__err_clear(&r.err);
    if (hooks) /* only what the caller's struct holds; the rest stays 0 */
        memcpy(&r.h, hooks, hooks->struct_size < sizeof r.h
                                ? hooks->struct_size : sizeof r.h);
    sl__experiment *exp = &e->exp;
    sl__err err;
    sl__err_clear(&err);
    int64_t resume_id = HAS(sl_run_opts, o, resume_id) ? o->resume_id : 0;
    /* init_from: the recorded run's parameters, checked before this run
     * is recorded (a mismatch records nothing); resuming takes them from
     * the checkpoint instead */
    int rc = resume_id ? SL_OK : sl__api_init_from(exp, o->db_path, &err);
    if (rc) {
        s->err = err;
        s->stop = 0;
        return rc;
    }
    rc = resume_id ? resume(&r, o, r.h.report, &err) : begin(&r, e, o, &err);
    if (rc) {
        /* a run row without its plugins is no record to trust: end it
         * (best effort) instead of leaving it 'running' */
        sl__err end_err;
        sl__err_clear(&end_err);
        if (r.run_id > 0 && !resume_id &&
            sl__db_run_end(r.db, r.run_id, "failed", err.msg, &end_err))
            /* say that the run stays 'running' (a full disk) */
            sl__fail(&s->err, rc, "%s (and recording the end of run %lld "
                     "failed: %s)", err.msg, (long long)r.run_id,
                     end_err.msg);
        else
            s->err = err;
        sl__db_close(r.db);
        s->stop = 0;
        return rc;
    }
    e->ran = 1;
    s->run_id = r.run_id;
    if (run_id)
        *run_id = r.run_id;

    sl__hooks eh = {&r, on_epoch, on_result, r.h.report, on_metric,
                    on_checkpoint, on_counts,
                    r.h.on_progress ? on_progress : NULL};
    exp->stop = &s->stop;
    FILE *rep = r.h.report;
    if (r.h.on_start)
        rc = r.h.on_start(r.h.user, r.run_id);
    double t0 = sl__mono_time();
    r.last_flush = t0;
    int trained = 0;
    /* a simulation has no teacher, evaluations, trained parameters,
     * export or layer traces: only its own recording, then the end */
    if (exp->sim) {
        if (!rc)
            rc = run_simulate(&r, &err);
        goto ended;
    }
    /* a resumed run did its teacher and its evaluations before training
     * in the attempt it continues */
    if (!rc && !resume_id)
        rc = sl__engine_teacher(exp, rep, &err);
    if (!rc && !resume_id)
        rc = sl__evaluate_all(exp, 0, &eh, &err);
    /* the training's time, not the evaluations' before it */
    t0 = sl__mono_time();
    if (!rc) {
        rc = sl__train(exp, &eh, &err);
        trained = rc == SL_OK || rc == SL_EINTR;
    }
    double train_time = sl__mono_time() - t0;
    if (!rc) {
        int64_t ran = exp->epochs - exp->start_epoch;
        if (rep && ran > 0) { /* `spikelab evaluate` trains 0 epochs */
            char b[32];
            char b2[48];
            fprintf(rep, "trained %lld epoch%s in %s (%s)\n", (long long)ran,
                    ran == 1 ? "" : "s",
                    sl__fmt_duration(train_time, b, sizeof b),
                    sl__fmt_speed(train_time > 0 ? (double)ran / train_time
                                                 : 0.0,
                                  b2, sizeof b2));
        }
        rc = sl__evaluate_all(exp, 1, &eh, &err);
    }
    /* the parameters as they are, also when stopped early: an interrupted
     * run's weights can still be looked at */
    if (trained) {
        sl__err perr;
        sl__err_clear(&perr);
        int prc = store_parameters(&r, &perr);
        if (prc && !rc) {
            rc = prc;
            err = perr;
        }
    }
    /* device export and the quantised network's evaluations */
    if (!rc) {
        sl__export_sink sink = {&r, export_result, export_artifact,
                                export_float_result, rep};
        rc = sl__export_after_run(exp, &sink, &err);
    }
    int any_record = 0;
    for (size_t i = 0; i < exp->net.n_layers; i++)
        any_record |= exp->net.layers[i].record;
    int traces = HAS(sl_run_opts, o, traces) && o->traces;
    if (!rc && (traces || any_record))
        rc = store_traces(&r, traces, &err);
ended:
    /* a database error inside a hook (a full disk: SQLITE_FULL) is the
     * cause; the engine only knows that a hook stopped it ("stopped at
     * epoch N"), so the cause comes first and the engine's words after it
     * (issue 12, finding 5) */
    if (r.err.code && err.code && strcmp(r.err.msg, err.msg) != 0) {
        sl__err both = r.err;
        sl__fail(&both, r.err.code, "%s (%s)", r.err.msg, err.msg);
        err = both;
    } else if (r.err.code) {
        err = r.err;
    }
    if (rc && !err.code)
        sl__fail(&err, rc, "%s", sl_strerror(rc));
    const char *status = rc == SL_OK      ? "finished"
                         : rc == SL_EINTR ? "interrupted"
                                          : "failed";
    sl__err end_err;
    sl__err_clear(&end_err);
    int rc_end = sl__db_run_end(r.db, r.run_id, status, rc ? err.msg : NULL,
                                &end_err);
    sl__db_close(r.db);
    s->stop = 0;
    if (rc && rc_end)
        sl__fail(&s->err, rc, "%s (and recording the end of the run "
                 "failed: %s)", err.msg, end_err.msg);
    else if (rc)
        s->err = err;
    else if (rc_end)
        s->err = end_err;
    return rc ? rc : rc_end;
}
