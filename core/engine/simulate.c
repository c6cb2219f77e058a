/* core/engine/simulate.c — the simulate mode (simulate.h): build a model
 * that runs over time, run it in chunks with progress and interrupt,
 * record every probe. Generic: any component offering sl.simulate.v1 is
 * run this way (an NEF model today, a large sparse simulation later). */
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spikelab/backend.h>
#include <spikelab/simulate.h>

#include "engine/settings.h"
#include "engine/simulate.h"
#include "util/util.h"

struct sl__simulate {
    sl__component model;
    const sl_simulate_iface *si;
    const sl_simulate_v2_iface *si2; /* NULL for a v1 model */
    double duration, dt;
    int record;
    uint64_t steps, done; /* of the run, and run so far */
    double build_s, run_s;
    double build_cpu_s, run_cpu_s; /* CPU time of this thread: the figure
                                      that a busy machine does not inflate */
};

static double thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sl__simulate_wanted(const sl__experiment *exp)
{
    return sl__config_find(exp->cfg, NULL, "simulate") != NULL;
}

int sl__simulate_load(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, "simulate");
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "must be a group, "
                             "e.g. simulate = { duration = 10.0; };");
    static const char *const train_only[] = {"data", "network", "loss",
                                             "optimizer", "train",
                                             "evaluate", "teacher",
                                             "export", "backend"};
    for (size_t i = 0; i < sizeof train_only / sizeof train_only[0]; i++) {
        sl__setting *t = sl__config_find(cfg, NULL, train_only[i]);
        if (t)
            return sl__cfg_error(cfg, t, err, SL_ECONFIG, "'%s' belongs to "
                                 "a training experiment; an experiment "
                                 "with 'simulate' runs its 'model' only",
                                 train_only[i]);
    }
    int rc;
    if ((rc = sl__declare_section(cfg, g, SL__SEC_SIMULATE)))
        return sl__fail(err, rc, "out of memory");
    sl__simulate *s = calloc(1, sizeof *s);
    if (!s)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    exp->sim = s;
    if ((rc = sl__cfg_float(cfg, g, "duration", 0.0, &s->duration, err)) ||
        (rc = sl__cfg_float(cfg, g, "dt", 1e-3, &s->dt, err)) ||
        (rc = sl__cfg_bool(cfg, g, "record", 1, &s->record, err)))
        return rc;
    if (!(s->dt > 0) || !(s->duration > 0) || s->duration / s->dt > 1e9)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "duration and dt must "
                             "be > 0 s, with at most 1e9 steps (duration "
                             "%g s, dt %g s)", s->duration, s->dt);
    /* run(T) makes round(T/dt) steps, as Nengo */
    s->steps = (uint64_t)llround(s->duration / s->dt);
    if (s->steps == 0)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG, "duration %g s is less "
                             "than half a step of %g s", s->duration, s->dt);
    sl__setting *mg = sl__config_find(cfg, NULL, "model");
    if (!mg || config_setting_type(mg) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, mg ? mg : g, err, SL_ECONFIG,
                             "an experiment with 'simulate' needs a group "
                             "model = { type = \"...\"; ... } (e.g. "
                             "\"nef\")");
    if ((rc = sl__declare_section(cfg, mg, SL__SEC_MODEL)))
        return sl__fail(err, rc, "out of memory");
    const char *type = NULL;
    if ((rc = sl__cfg_string(cfg, mg, "type", NULL, &type, err)))
        return rc;
    if (!type)
        return sl__cfg_error(cfg, mg, err, SL_ECONFIG, "missing 'type'");
    sl__component *c = &s->model;
    c->entry = sl__registry_find(exp->reg, SL_KIND_BACKEND, type);
    if (!c->entry) {
        sl__err e;
        sl__registry_missing(exp->reg, SL_KIND_BACKEND, type, &e);
        return sl__cfg_error(cfg, sl__config_find(cfg, mg, "type"), err,
                             SL_ECONFIG, "%s", e.msg);
    }
    c->iface = c->entry->comp->iface;
    const sl_backend_iface *bi = c->iface;
    sl__ctx_init(&c->ctx, cfg, mg, (uint64_t)exp->seed, "model");
    if ((rc = sl__declare_component(cfg, mg, SL__SEC_MODEL, c->entry)))
        return sl__fail(err, rc, "out of memory");
    if ((rc = bi->xCreate(&sl__host, &c->ctx, &c->self))) {
        c->self = NULL;
        return sl__ctx_take_error(&c->ctx, rc, err);
    }
    /* v2 first: it carries the v1 table */
    if (bi->xExtension &&
        (s->si2 = bi->xExtension(c->self, SL_EXT_SIMULATE_V2)) &&
        s->si2->struct_size >= sizeof(sl_simulate_v2_iface))
        s->si = &s->si2->v1;
    else
        s->si2 = NULL;
    if (!bi->xExtension ||
        (!s->si && !(s->si = bi->xExtension(c->self, SL_EXT_SIMULATE))) ||
        s->si->struct_size < sizeof(sl_simulate_iface) || !s->si->xBuild ||
        !s->si->xProbeCount || !s->si->xProbe || !s->si->xRun)
        return sl__cfg_error(cfg, sl__config_find(cfg, mg, "type"), err,
                             SL_ECONFIG, "component '%s' does not run a "
                             "model over time (it offers no %s)", type,
                             SL_EXT_SIMULATE);
    if (s->si2 && s->si2->xCheck &&
        (rc = s->si2->xCheck(c->self, s->dt, s->steps)))
        return sl__ctx_take_error(&c->ctx, rc, err);
    return SL_OK;
}

void sl__simulate_free(sl__experiment *exp)
{
    sl__simulate *s = exp->sim;
    if (!s)
        return;
    if (s->model.self)
        ((const sl_backend_iface *)s->model.iface)->xDestroy(s->model.self);
    sl__ctx_fini(&s->model.ctx);
    free(s);
    exp->sim = NULL;
}

uint64_t sl__simulate_steps(const sl__experiment *exp)
{
    return exp->sim ? exp->sim->steps : 0;
}

uint64_t sl__simulate_done(const sl__experiment *exp)
{
    return exp->sim ? exp->sim->done : 0;
}

double sl__simulate_dt(const sl__experiment *exp)
{
    return exp->sim ? exp->sim->dt : 0.0;
}

void sl__simulate_times(const sl__experiment *exp, double *build,
                        double *run)
{
    *build = exp->sim ? exp->sim->build_s : 0.0;
    *run = exp->sim ? exp->sim->run_s : 0.0;
}

/* probe_NAME_{mean,rms,min,max}[_dJ] over the steps done */
static int summaries(const sl__sim_sink *sink, const char *name,
                     const double *x, uint64_t steps, size_t dims)
{
    for (size_t j = 0; j < dims; j++) {
        double sum = 0.0, sq = 0.0, mn = INFINITY, mx = -INFINITY;
        for (uint64_t n = 0; n < steps; n++) {
            double v = x[n * dims + j];
            sum += v;
            sq += v * v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        static const char *const what[] = {"mean", "rms", "min", "max"};
        double val[4] = {sum / (double)steps, sqrt(sq / (double)steps), mn,
                         mx};
        for (int k = 0; k < 4; k++) {
            char key[160];
            int w = dims > 1 ? snprintf(key, sizeof key, "probe_%s_%s_d%zu",
                                        name, what[k], j)
                             : snprintf(key, sizeof key, "probe_%s_%s", name,
                                        what[k]);
            if (w < 0 || (size_t)w >= sizeof key)
                continue; /* names are at most 64 characters */
            int rc = sink->on_result(sink->user, key, val[k]);
            if (rc)
                return rc;
        }
    }
    return SL_OK;
}

int sl__simulate_run(sl__experiment *exp, const sl__sim_sink *sink,
                     sl__err *err)
{
    sl__simulate *s = exp->sim;
    void *self = s->model.self;
    const sl_simulate_iface *si = s->si;
    double t0 = sl__mono_time(), c0 = thread_cpu();
    int rc = si->xBuild(self, s->dt, s->steps, exp->seed);
    s->build_s = sl__mono_time() - t0;
    s->build_cpu_s = thread_cpu() - c0;
    if (rc)
        return sl__ctx_take_error(&s->model.ctx, rc, err);
    size_t np = si->xProbeCount(self);
    sl_probe_info *pi = calloc(np + 1, sizeof *pi);
    double **data = calloc(np + 1, sizeof *data);
    double **at = calloc(np + 1, sizeof *at);
    if (!pi || !data || !at) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t p = 0; p < np; p++) {
        pi[p].struct_size = sizeof pi[p];
        if ((rc = si->xProbe(self, p, &pi[p]))) {
            rc = sl__ctx_take_error(&s->model.ctx, rc, err);
            goto out;
        }
        if (pi[p].dims == 0 || pi[p].dims > ((size_t)1 << 20) ||
            s->steps > ((uint64_t)1 << 40) / pi[p].dims ||
            !(data[p] = calloc((size_t)s->steps * pi[p].dims,
                               sizeof(double)))) {
            rc = sl__fail(err, SL_ENOMEM, "probe '%s': no memory for %llu "
                          "steps of %zu values", pi[p].name,
                          (unsigned long long)s->steps, pi[p].dims);
            goto out;
        }
    }
    /* about 100 chunks, at least 100 steps each: progress and interrupt
     * between them cost nothing measurable */
    uint64_t chunk = s->steps / 100;
    chunk = chunk < 100 ? 100 : chunk;
    uint64_t done = 0;
    double run_cpu = 0.0;
    t0 = sl__mono_time();
    while (done < s->steps) {
        uint64_t n = s->steps - done < chunk ? s->steps - done : chunk;
        for (size_t p = 0; p < np; p++)
            at[p] = data[p] + done * pi[p].dims;
        c0 = thread_cpu();
        rc = si->xRun(self, n, at);
        run_cpu += thread_cpu() - c0;
        if (rc) {
            rc = sl__ctx_take_error(&s->model.ctx, rc, err);
            break;
        }
        done += n;
        if (sink && sink->on_progress &&
            (rc = sink->on_progress(sink->user, done, s->steps, s->dt)))
            break;
        if (exp->stop && *exp->stop) {
            rc = sl__fail(err, SL_EINTR, "interrupted at t = %g s of %g s",
                          (double)done * s->dt, s->duration);
            break;
        }
    }
    s->run_s = sl__mono_time() - t0;
    s->run_cpu_s = run_cpu;
    s->done = done;
    /* what ran is recorded, also when stopped early */
    for (size_t p = 0; sink && p < np && done > 0; p++) {
        int r2 = SL_OK;
        if (s->record && sink->on_trace)
            r2 = sink->on_trace(sink->user, pi[p].name, data[p], done,
                                pi[p].dims);
        if (!r2 && sink->on_result)
            r2 = summaries(sink, pi[p].name, data[p], done, pi[p].dims);
        if (r2 && !rc)
            rc = sl__fail(err, r2, "recording probe '%s' failed",
                          pi[p].name);
    }
    if (!rc && sink && sink->on_result && si->xResults) {
        rc = si->xResults(self, (const double *const *)data, done,
                          sink->on_result, sink->user);
        if (rc && s->model.ctx.err.code)
            rc = sl__ctx_take_error(&s->model.ctx, rc, err);
        else if (rc)
            rc = sl__fail(err, rc, "recording the model's results failed");
    }
    if (!rc && sink && sink->on_array && s->record && s->si2 &&
        s->si2->xArrays && done > 0) {
        rc = s->si2->xArrays(self, done, sink->on_array, sink->user);
        if (rc && s->model.ctx.err.code)
            rc = sl__ctx_take_error(&s->model.ctx, rc, err);
        else if (rc)
            rc = sl__fail(err, rc, "recording the model's arrays failed");
    }
    if (!rc && sink && sink->on_result) {
        if ((rc = sink->on_result(sink->user, "simulate_build_wall_s",
                                  s->build_s)) ||
            (rc = sink->on_result(sink->user, "simulate_run_wall_s",
                                  s->run_s)) ||
            (rc = sink->on_result(sink->user, "simulate_build_cpu_s",
                                  s->build_cpu_s)) ||
            (rc = sink->on_result(sink->user, "simulate_run_cpu_s",
                                  s->run_cpu_s)))
            rc = sl__fail(err, rc, "recording the times failed");
    }
out:
    for (size_t p = 0; data && p < np; p++)
        free(data[p]);
    free(data);
    free(at);
    free(pi);
    return rc;
}
