/* core/cmd_run.c — `spikelab run FILE [key=value...]`: load and check the
 * experiment, record the run, train with a progress display, evaluate,
 * store the trained parameters (and traces when asked for).
 * sl__run_experiment is the body, shared with `spikelab rerun`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/npy.h"
#include "db/db.h"
#include "engine/forward.h"
#include "engine/deploy.h"
#include "engine/train.h"
#include "util/util.h"

static const char usage[] =
    "usage: spikelab run FILE [key=value ...] [options]\n"
    "\n"
    "Run the experiment FILE (libconfig). Each key=value overrides a setting\n"
    "after the file is read, with the same type checks, e.g.\n"
    "  spikelab run experiments/frozen_noise_lif.cfg train.epochs=500 optimizer.lr=0.01\n"
    "Layers can be addressed by index or name: network.layers.1.tau_mem=0.02\n"
    "\n"
    "The whole experiment is checked before anything runs: unknown keys, wrong\n"
    "types and impossible values are reported with file and line (exit 2).\n"
    "The run is recorded in the run database (config, seed, versions, metrics\n"
    "per epoch, results, trained parameters as .npy); see `spikelab runs`,\n"
    "`spikelab show ID` and `spikelab rerun ID`.\n"
    "\n"
    "options:\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet          no progress display\n"
    "  --traces         after training, record the observables of every layer\n"
    "                   (membrane potentials, currents, output spikes) for the\n"
    "                   first training sample, stored with the run as .npy\n"
    "  --help           this text\n"
    "\n"
    "exit status: 0 finished, 1 failed, 2 bad usage or configuration, 130 interrupted\n";

typedef struct run_state {
    sl__experiment *exp;
    sl__db *db;
    int64_t run_id;
    double t0, last_flush, last_draw;
    int tty, quiet;
    int64_t log_every;
    sl__err err;
} run_state;

static int on_epoch(void *user, int64_t epoch, double loss)
{
    run_state *s = user;
    int rc = sl__db_metric(s->db, s->run_id, epoch, "loss", loss, &s->err);
    if (rc)
        return rc;
    double now = sl__mono_time();
    /* the first epoch at once: a run killed early still shows progress */
    if (epoch == 1 || now - s->last_flush > 0.25 ||
        epoch == s->exp->epochs) {
        if ((rc = sl__db_flush(s->db, &s->err)))
            return rc;
        s->last_flush = now;
    }
    if (s->quiet)
        return SL_OK;
    double el = now - s->t0, rate = (double)epoch / (el > 0 ? el : 1e-9);
    double eta = (double)(s->exp->epochs - epoch) / rate;
    char b1[32], b2[32];
    if (s->tty) {
        if (now - s->last_draw < 0.1 && epoch != s->exp->epochs)
            return SL_OK;
        s->last_draw = now;
        fprintf(stderr, "\r  epoch %lld/%lld  loss %.6g  %.0f epochs/s  "
                "elapsed %s  ETA %s   ", (long long)epoch,
                (long long)s->exp->epochs, loss, rate,
                sl__fmt_duration(el, b1, sizeof b1),
                sl__fmt_duration(eta, b2, sizeof b2));
        if (epoch == s->exp->epochs)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (epoch % s->log_every == 0 || epoch == s->exp->epochs) {
        fprintf(stderr, "  epoch %lld/%lld  loss %.6g  %.0f epochs/s  "
                "elapsed %s  ETA %s\n", (long long)epoch,
                (long long)s->exp->epochs, loss, rate,
                sl__fmt_duration(el, b1, sizeof b1),
                sl__fmt_duration(eta, b2, sizeof b2));
    }
    return SL_OK;
}

static int on_result(void *user, const char *name, double value)
{
    run_state *s = user;
    return sl__db_result(s->db, s->run_id, name, value, NULL, &s->err);
}

/* An evaluation during training (`every`): a metric at that epoch, and a
 * progress line for its headline values (not the quartiles and extremes). */
static int on_metric(void *user, int64_t step, const char *name, double value)
{
    run_state *s = user;
    int rc = sl__db_metric(s->db, s->run_id, step, name, value, &s->err);
    if (rc || s->quiet)
        return rc;
    static const char *const quiet_suffix[] = {"_q25", "_q75", "_min",
                                               "_max"};
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof quiet_suffix / sizeof *quiet_suffix; i++) {
        size_t sl = strlen(quiet_suffix[i]);
        if (len > sl && strcmp(name + len - sl, quiet_suffix[i]) == 0)
            return SL_OK;
    }
    fprintf(stderr, "%s  epoch %lld: %s = %g\n", s->tty ? "\r\033[K" : "",
            (long long)step, name, value);
    return SL_OK;
}

static void on_signal(int sig)
{
    (void)sig;
    sl__stop_requested = 1;
}

static char *join_lines(char *const *v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", v[i], i + 1 < n ? "\n" : "");
    return s;
}

static int record_plugins(run_state *s)
{
    const sl__registry *reg = s->exp->reg;
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", (unsigned)p->desc->abi_major,
                 (unsigned)p->desc->abi_minor);
        int rc = sl__db_run_plugin(s->db, s->run_id, p->desc->name,
                                   p->desc->version, abi,
                                   p->path ? p->path : "(built in)", &s->err);
        if (rc)
            return rc;
    }
    return SL_OK;
}

/* Store an array as a .npy artifact. */
static int store_npy(run_state *s, const char *name, const char *kind,
                     const float *data, const size_t *shape, size_t ndim)
{
    void *img;
    size_t size;
    int rc = sl__npy_f32(data, shape, ndim, &img, &size, &s->err);
    if (rc)
        return rc;
    rc = sl__db_artifact(s->db, s->run_id, name, kind, "application/x-npy",
                         img, size, &s->err);
    free(img);
    return rc;
}

/* The trained parameters, one .npy per tensor: params/LAYER/PARAM.npy. */
static int store_parameters(run_state *s)
{
    const sl__network *net = &s->exp->net;
    for (size_t i = 0; i < net->n_layers; i++) {
        const sl__layer *l = &net->layers[i];
        for (size_t k = 0; k < l->n_params; k++) {
            const sl_param *p = &l->params[k];
            if (!(p->flags & SL_PARAM_TRAINABLE) || !p->data)
                continue;
            char name[300];
            snprintf(name, sizeof name, "params/%s/%s.npy", l->label,
                     p->name ? p->name : "param");
            size_t shape[2] = {p->shape[0], p->shape[1]};
            size_t ndim = p->ndim >= 1 && p->ndim <= 2 ? p->ndim : 1;
            if (p->ndim < 1 || p->ndim > 2)
                shape[0] = p->n;
            int rc = store_npy(s, name, "parameters", p->data, shape, ndim);
            if (rc)
                return rc;
        }
    }
    return SL_OK;
}

/* --traces, or `record = true` on a layer: one forward pass of the first
 * training sample in record mode after training; every observable and the
 * output of each such layer (every layer with --traces), stored as
 * traces/LAYER/NAME.npy of shape [1][time][channels]. */
/* The traces of the first training sample after training, as the
 * backend recorded them (software layers' observables, or what a chip
 * emulator read out). */
static int store_traces(run_state *s, int all, sl__err *err)
{
    sl__experiment *exp = s->exp;
    sl__network *net = &exp->net;
    const sl_dataset_info *in = &exp->train_data->info;
    sl__engine_tv *tv = malloc(sizeof *tv);
    if (!tv)
        return sl__fail(err, SL_ENOMEM, "out of memory for traces");
    int rc = sl__engine_traces(exp, exp->train_data->inputs, 1, in->n_steps,
                               tv, err);
    for (size_t i = 0; !rc && i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        const sl_layer_trace *t = &tv->layers[i];
        if (!all && !l->record)
            continue;
        char name[300];
        if (t->output.data) {
            size_t shape[3] = {1, in->n_steps, l->n_out};
            snprintf(name, sizeof name, "traces/%s/output.npy", l->label);
            if ((rc = store_npy(s, name, "trace", t->output.data, shape, 3))) {
                *err = s->err;
                break;
            }
        }
        for (size_t k = 0; k < t->n_observables; k++) {
            const sl_observable *ob = &t->observables[k];
            if (!ob->name)
                continue;
            size_t oshape[3] = {ob->batch, ob->time, ob->channels};
            snprintf(name, sizeof name, "traces/%s/%s.npy", l->label,
                     ob->name);
            if ((rc = store_npy(s, name, "trace", ob->data, oshape, 3))) {
                *err = s->err;
                break;
            }
        }
    }
    free(tv);
    return rc;
}

int sl__run_experiment(const sl__run_request *req, int64_t *run_id)
{
    if (run_id)
        *run_id = 0;
    sl__experiment exp;
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__experiment_load(&exp, req->file, req->text, req->overrides,
                                 req->n_overrides, &err);
    if (rc) {
        fprintf(stderr, "spikelab: %s\n", err.msg);
        return rc == SL_ECONFIG || rc == SL_EIO || rc == SL_EFIT ? 2 : 1;
    }

    run_state s = {0};
    s.exp = &exp;
    s.quiet = req->quiet;
    s.tty = isatty(STDERR_FILENO);
    s.log_every = exp.log_every ? exp.log_every
                                : (exp.epochs >= 20 ? exp.epochs / 20 : 1);
    const char *path = sl__db_default_path(req->dbpath);
    if ((rc = sl__db_open(path, &s.db, &s.err))) {
        fprintf(stderr, "spikelab: %s\n", s.err.msg);
        sl__experiment_free(&exp);
        return 1;
    }
    /* the file's absolute path: `rerun` and people reading the record
     * later may be somewhere else */
    char *abs_file = req->text ? NULL : realpath(req->file, NULL);
    char *effective = sl__config_dump(exp.cfg);
    char *overrides = req->record_overrides
                          ? NULL
                          : join_lines(req->overrides, (int)req->n_overrides);
    sl__run_meta meta = {
        .name = exp.name,
        .config_path = abs_file ? abs_file : req->file,
        .config_text = req->record_text ? req->record_text
                                        : sl__config_text(exp.cfg),
        .config_effective = effective ? effective : "",
        .overrides = req->record_overrides ? req->record_overrides
                     : overrides           ? overrides
                                           : "",
        .seed = exp.seed,
        .parent_id = req->parent_id,
    };
    meta.defaults = sl__config_defaults(exp.cfg, &meta.n_defaults);
    rc = sl__db_run_begin(s.db, &meta, &s.run_id, &s.err);
    free(abs_file);
    free(effective);
    free(overrides);
    if (!rc)
        rc = record_plugins(&s);
    if (rc) {
        fprintf(stderr, "spikelab: %s\n", s.err.msg);
        sl__db_close(s.db);
        sl__experiment_free(&exp);
        return 1;
    }
    if (run_id)
        *run_id = s.run_id;
    printf("run %lld: %s (seed %lld), %lld epochs on '%s' -> %s\n",
           (long long)s.run_id, exp.name, (long long)exp.seed,
           (long long)exp.epochs, exp.train_data->name, path);
    fflush(stdout);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    sl__hooks hooks = {&s, on_epoch, on_result, stdout, on_metric};
    s.t0 = s.last_flush = sl__mono_time();
    rc = sl__engine_teacher(&exp, stdout, &err);
    if (!rc)
        rc = sl__evaluate_all(&exp, 0, &hooks, &err);
    int trained = 0;
    if (!rc) {
        rc = sl__train(&exp, &hooks, &err);
        trained = rc == SL_OK || rc == SL_EINTR;
    }
    double train_time = sl__mono_time() - s.t0;
    if (!rc) {
        char b[32];
        printf("trained %lld epochs in %s (%.0f epochs/s)\n",
               (long long)exp.epochs, sl__fmt_duration(train_time, b, sizeof b),
               train_time > 0 ? (double)exp.epochs / train_time : 0.0);
        rc = sl__evaluate_all(&exp, 1, &hooks, &err);
    }
    /* the parameters as they are, also when stopped early: an interrupted
     * run's weights can still be looked at */
    if (trained) {
        int prc = store_parameters(&s);
        if (prc && !rc) {
            rc = prc;
            err = s.err;
        }
    }
    /* device export and the quantised network's evaluations */
    if (!rc)
        rc = sl__export_after_run(&exp, s.db, s.run_id, &hooks, &err);
    int any_record = 0;
    for (size_t i = 0; i < exp.net.n_layers; i++)
        any_record |= exp.net.layers[i].record;
    if (!rc && (req->traces || any_record))
        rc = store_traces(&s, req->traces, &err);
    if (s.err.code && !err.code)
        err = s.err;
    const char *status = rc == SL_OK ? "finished"
                         : rc == SL_EINTR ? "interrupted" : "failed";
    sl__err end_err;
    int rc_end = sl__db_run_end(s.db, s.run_id, status,
                                rc ? err.msg : NULL, &end_err);
    if (rc)
        fprintf(stderr, "\nspikelab: run %lld %s: %s\n", (long long)s.run_id,
                status, err.msg);
    else
        printf("run %lld finished; see `spikelab show %lld`\n",
               (long long)s.run_id, (long long)s.run_id);
    if (rc_end)
        fprintf(stderr, "spikelab: %s\n", end_err.msg);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sl__db_close(s.db);
    sl__experiment_free(&exp);
    if (rc == SL_EINTR)
        return 130;
    return rc || rc_end ? 1 : 0;
}

int sl__cmd_run(int argc, char **argv)
{
    sl__run_request req = {0};
    int n_ov = 0;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    if (!ov)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            free(ov);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            req.dbpath = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            req.dbpath = argv[i] + 5;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            req.quiet = 1;
        } else if (strcmp(argv[i], "--traces") == 0) {
            req.traces = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spikelab run: unknown option '%s'\n%s", argv[i],
                    usage);
            free(ov);
            return 2;
        } else if (!req.file) {
            req.file = argv[i];
        } else if (strchr(argv[i], '=')) {
            ov[n_ov++] = argv[i];
        } else {
            fprintf(stderr, "spikelab run: '%s' is neither an option nor a "
                    "key=value override\n", argv[i]);
            free(ov);
            return 2;
        }
    }
    if (!req.file) {
        fprintf(stderr, "spikelab run: no experiment file given\n%s", usage);
        free(ov);
        return 2;
    }
    req.overrides = ov;
    req.n_overrides = (size_t)n_ov;
    int status = sl__run_experiment(&req, NULL);
    free(ov);
    return status;
}
