/* core/engine/train.c — epochs of forward, loss, BPTT and optimizer steps; and the
 * evaluations (FRR, accuracy, loss) on named datasets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "engine/datasel.h"
#include "engine/forward.h"
#include "engine/metrics.h"
#include "engine/rng.h"
#include "engine/train.h"

typedef struct batchbuf {
    float *x, *y, *g;
} batchbuf;

static int loss_error(sl__experiment *exp, int rc, sl__err *err)
{
    return sl__ctx_take_error(&exp->loss.ctx, rc, err);
}

/* Weight mismatch during training (spec dynapsim §6, "our choice"): the
 * parameters stay the clean weights w; forward and backward see
 * w_eff = w ⊙ (1 + σ·n), n ~ N(0,1) re-drawn every `every` epochs from the
 * run's stream (train, mismatch), σ = deviation / sigma_rule. The gradient
 * reaching the optimizer is dL/dw = dL/dw_eff ⊙ (1 + σ·n). Rockpool's
 * tutorial loop draws such weights and then overwrites them, so there the
 * re-draw has no effect; here it does. Evaluations after training use the
 * clean weights. */
typedef struct mismatch {
    size_t n;
    sl_param *p[64];
    float *clean[64], *f[64];
    double sigma;
    sl_rng rng;
} mismatch;

static int mismatch_init(mismatch *m, sl__experiment *exp, sl__err *err)
{
    memset(m, 0, sizeof *m);
    if (exp->mismatch_every <= 0)
        return SL_OK;
    m->sigma = exp->mismatch_deviation / exp->mismatch_sigma_rule;
    sl__rng_derive(&m->rng, (uint64_t)exp->seed, "train", "mismatch");
    for (size_t i = 0; i < exp->net.n_trainable && m->n < 64; i++) {
        sl_param *p = &exp->net.trainable[i];
        if (!(p->flags & SL_PARAM_WEIGHT))
            continue;
        m->p[m->n] = p;
        m->clean[m->n] = malloc(p->n * sizeof(float));
        m->f[m->n] = malloc(p->n * sizeof(float));
        if (!m->clean[m->n] || !m->f[m->n]) {
            free(m->clean[m->n]);
            free(m->f[m->n]);
            return sl__fail(err, SL_ENOMEM, "out of memory for mismatch");
        }
        memcpy(m->clean[m->n], p->data, p->n * sizeof(float));
        m->n++;
    }
    return SL_OK;
}

static void mismatch_apply(mismatch *m)
{
    for (size_t k = 0; k < m->n; k++)
        for (size_t i = 0; i < m->p[k]->n; i++)
            m->p[k]->data[i] = m->clean[k][i] * m->f[k][i];
}

static void mismatch_draw(mismatch *m)
{
    for (size_t k = 0; k < m->n; k++)
        for (size_t i = 0; i < m->p[k]->n; i++)
            m->f[k][i] = (float)(1.0 + m->sigma * sl__rng_normal(&m->rng));
    mismatch_apply(m);
}

/* Before the optimizer step: clean weights back, gradients through w_eff. */
static void mismatch_unapply(mismatch *m)
{
    for (size_t k = 0; k < m->n; k++)
        for (size_t i = 0; i < m->p[k]->n; i++) {
            m->p[k]->grad[i] *= m->f[k][i];
            m->p[k]->data[i] = m->clean[k][i];
        }
}

static void mismatch_after_step(mismatch *m)
{
    for (size_t k = 0; k < m->n; k++)
        memcpy(m->clean[k], m->p[k]->data, m->p[k]->n * sizeof(float));
    mismatch_apply(m);
}

/* The clean weights back in the parameters (the draw stays in f). */
static void mismatch_restore(mismatch *m)
{
    for (size_t k = 0; k < m->n; k++)
        memcpy(m->p[k]->data, m->clean[k], m->p[k]->n * sizeof(float));
}

static void mismatch_free(mismatch *m)
{
    mismatch_restore(m);
    for (size_t k = 0; k < m->n; k++) {
        free(m->clean[k]);
        free(m->f[k]);
    }
    m->n = 0;
}

static int evaluate(sl__experiment *exp, const sl__eval *ev, int phase,
                    const sl__hooks *h, sl__err *err);

/* Results of an evaluation during training become metrics at `step`. */
typedef struct periodic {
    const sl__hooks *outer;
    int64_t step;
} periodic;

static int periodic_result(void *user, const char *name, double value)
{
    periodic *p = user;
    return p->outer->on_metric(p->outer->user, p->step, name, value);
}

/* The evaluations with `every` due at this epoch, on the clean weights
 * (mismatch re-draws are training noise, as for the final evaluation). */
static int evaluate_periodic(sl__experiment *exp, mismatch *mm, int64_t epoch,
                             const sl__hooks *hooks, sl__err *err)
{
    if (!hooks || !hooks->on_metric)
        return SL_OK;
    periodic p = {hooks, epoch};
    sl__hooks h = {&p,   NULL, periodic_result, NULL, NULL,
                   NULL, NULL, NULL};
    int rc = SL_OK, restored = 0;
    for (size_t i = 0; i < exp->n_evals && !rc; i++) {
        if (exp->evals[i].every <= 0 || epoch % exp->evals[i].every)
            continue;
        if (!restored++)
            mismatch_restore(mm);
        rc = evaluate(exp, &exp->evals[i], 2, &h, err);
    }
    if (restored)
        mismatch_apply(mm);
    return rc;
}

/* Between minibatches: the hooks' on_progress ("epoch 3", samples done of
 * the epoch's); its non-zero return stops the run. */
static int batch_progress(const sl__hooks *h, int64_t epoch, size_t done,
                          size_t n, sl__err *err)
{
    if (!h || !h->on_progress)
        return SL_OK;
    char what[40];
    snprintf(what, sizeof what, "epoch %lld", (long long)epoch);
    int rc = h->on_progress(h->user, what, done, n);
    return rc ? sl__fail(err, rc, "stopped in epoch %lld", (long long)epoch)
              : SL_OK;
}

int sl__train(sl__experiment *exp, const sl__hooks *hooks, sl__err *err)
{
    sl__dataset *d = exp->train_data;
    const sl_dataset_info *in = &d->info;
    const sl_loss_iface *li = exp->loss.iface;
    const sl_optimizer_iface *oi = exp->optimizer.iface;
    size_t n = in->n_samples, B = (size_t)exp->batch_size;
    size_t ni = in->n_steps * in->n_in, nt = in->target_steps * in->n_out;
    size_t no = in->n_steps * exp->net.n_out;
    /* full batch in dataset order needs no copies at all */
    int direct = (B == n && !exp->shuffle && !d->streamed);
    size_t *order = malloc(n * sizeof *order);
    batchbuf bb = {NULL, NULL, NULL};
    bb.g = malloc(B * no * sizeof(float));
    if (!direct) {
        bb.x = malloc(B * ni * sizeof(float));
        bb.y = malloc(B * nt * sizeof(float));
    }
    sl__engine_tv *tv = exp->trace_rule ? malloc(sizeof *tv) : NULL;
    mismatch mm;
    int rc = mismatch_init(&mm, exp, err);
    if (rc)
        goto out;
    if (!order || !bb.g || (!direct && (!bb.x || !bb.y)) ||
        (exp->trace_rule && !tv)) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory for batches");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* resumed from a checkpoint after exp->start_epoch epochs: the
     * mismatch draws are replayed (the sample order is a pure function of
     * the epoch, datasel.c; checkpoint.c holds the rest of the state) */
    for (int64_t epoch = 1; epoch <= exp->start_epoch; epoch++)
        if (mm.n && (epoch - 1) % exp->mismatch_every == 0)
            mismatch_draw(&mm);

    for (int64_t epoch = exp->start_epoch + 1; epoch <= exp->epochs;
         epoch++) {
        if (exp->stop && *exp->stop) {
            rc = sl__fail(err, SL_EINTR, "interrupted at epoch %lld",
                          (long long)epoch);
            goto out;
        }
        if (mm.n && (epoch - 1) % exp->mismatch_every == 0)
            mismatch_draw(&mm);
        /* a pure function of (seed, dataset, epoch): datasel.h */
        if (exp->shuffle)
            sl__data_order((uint64_t)exp->seed, d, epoch, order);
        double total = 0;
        for (size_t start = 0; start < n; start += B) {
            size_t b = n - start < B ? n - start : B;
            const float *x = d->inputs, *y = d->targets;
            if (start && (rc = batch_progress(hooks, epoch, start, n, err)))
                goto out;
            if (!direct) {
                if ((rc = sl__data_gather(d, order + start, b, bb.x, bb.y,
                                          err)))
                    goto out;
                x = bb.x;
                y = bb.y;
            }
            const float *o;
            if (exp->trace_rule) {
                rc = sl__engine_traces(exp, x, b, in->n_steps, tv, err);
                o = tv->layers[exp->net.n_layers - 1].output.data;
            } else {
                rc = sl__engine_forward(exp, x, b, in->n_steps,
                                        SL_MODE_TRAIN, &o, err);
            }
            if (rc)
                goto out;
            sl_seq out = {o, b, in->n_steps, exp->net.n_out, exp->net.dt};
            sl_seq tgt = {y, b, in->target_steps, in->n_out, exp->net.dt};
            double value;
            if ((rc = li->xEval(exp->loss.self, &out, &tgt, &value,
                                exp->trace_rule ? NULL : bb.g))) {
                rc = loss_error(exp, rc, err);
                goto out;
            }
            if (!isfinite(value)) {
                rc = sl__fail(err, SL_ENUMERIC, "loss is %g at epoch %lld: "
                              "lower the learning rate or check the inputs",
                              value, (long long)epoch);
                goto out;
            }
            total += value * (double)b;
            if (exp->trace_rule) {
                /* the loss above is taken before the update (spec
                 * superspike §6 step 5) */
                tv->view.target = tgt;
                if ((rc = oi->xRuleUpdate(exp->optimizer.self, &tv->view))) {
                    rc = sl__ctx_take_error(&exp->optimizer.ctx, rc, err);
                    goto out;
                }
                continue;
            }
            if ((rc = sl__network_backward(&exp->net, bb.g, err)))
                goto out;
            if (mm.n)
                mismatch_unapply(&mm);
            if ((rc = oi->xStep(exp->optimizer.self))) {
                rc = sl__ctx_take_error(&exp->optimizer.ctx, rc, err);
                goto out;
            }
            if (mm.n)
                mismatch_after_step(&mm);
            sl__network_zero_grad(&exp->net);
        }
        if ((rc = batch_progress(hooks, epoch, n, n, err)))
            goto out;
        if (hooks && hooks->on_epoch &&
            (rc = hooks->on_epoch(hooks->user, epoch, total / (double)n))) {
            sl__fail(err, rc, "stopped at epoch %lld", (long long)epoch);
            goto out;
        }
        if ((rc = evaluate_periodic(exp, &mm, epoch, hooks, err)))
            goto out;
        /* a checkpoint holds the clean weights, as an evaluation sees them */
        if (exp->checkpoint_every > 0 && epoch % exp->checkpoint_every == 0 &&
            epoch < exp->epochs && hooks && hooks->on_checkpoint) {
            mismatch_restore(&mm);
            rc = sl__checkpoint_emit(exp, epoch, hooks, err);
            mismatch_apply(&mm);
            if (rc)
                goto out;
        }
    }
out:
    mismatch_free(&mm);
    free(tv);
    free(order);
    free(bb.x);
    free(bb.y);
    free(bb.g);
    return rc;
}

static int result(const sl__hooks *h, const char *prefix, const char *data,
                  const char *what, double v)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s_%s", prefix, data, what);
    return h && h->on_result ? h->on_result(h->user, name, v) : SL_OK;
}

/* The confusion matrix "<prefix><data>_<what>" to h->on_counts. */
static int counts(const sl__hooks *h, const char *prefix, const char *data,
                  const char *what, const int64_t *c, size_t rows,
                  size_t cols)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s_%s", prefix, data, what);
    return h->on_counts(h->user, name, c, rows, cols);
}

/* A [target classes][output channels] count table when the caller takes
 * one (h->on_counts: the evaluations before and after training, not the
 * periodic ones); NULL otherwise, and *oom when it could not be had. */
static int64_t *counts_new(const sl__hooks *h, size_t rows, size_t cols,
                           int *oom)
{
    *oom = 0;
    if (!h || !h->on_counts)
        return NULL;
    int64_t *c = calloc(rows * cols > 0 ? rows * cols : 1, sizeof *c);
    *oom = c == NULL;
    return c;
}

static size_t argmax_f(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

typedef struct spike_stats {
    size_t out, target, matched;
} spike_stats;

static void print_times(FILE *rep, const char *what, const float *x,
                        size_t T, size_t ch, size_t c, double dt)
{
    fprintf(rep, "    %s:", what);
    size_t k = 0;
    for (size_t t = 0; t < T; t++)
        if (x[t * ch + c] > 0.5f)
            fprintf(rep, "%s %.2f us", k++ ? "," : "", (double)t * dt * 1e6);
    fprintf(rep, "%s\n", k ? "" : " none");
}

/* Spike times of one sample: step t is time t·dt (the bin [t·dt,
 * (t+1)·dt), numpy-histogram semantics of spec superspike §2). A target
 * spike is matched when an output spike of the same channel lies within
 * the tolerance and was not matched before (greedy, in time order). */
static void spike_times(FILE *rep, const sl__eval *ev, const char *prefix,
                        const char *dname, size_t sample, const float *o,
                        const float *y, size_t T, size_t ch, double dt,
                        spike_stats *st)
{
    long tol = (long)floor(ev->tolerance / dt + 1e-9);
    for (size_t c = 0; c < ch; c++) {
        long last_used = -1;
        for (size_t t = 0; t < T; t++) {
            st->out += o[t * ch + c] > 0.5f;
            if (!(y[t * ch + c] > 0.5f))
                continue;
            st->target++;
            long lo = (long)t - tol > last_used ? (long)t - tol
                                                : last_used + 1;
            long hi = (long)t + tol < (long)T - 1 ? (long)t + tol
                                                  : (long)T - 1;
            long best = -1;
            for (long u = lo; u <= hi; u++)
                if (o[(size_t)u * ch + c] > 0.5f &&
                    (best < 0 || labs(u - (long)t) < labs(best - (long)t)))
                    best = u;
            if (best >= 0) {
                st->matched++;
                last_used = best;
            }
        }
        if (rep && ev->per_sample) {
            fprintf(rep, "  %s%s sample %zu, output %zu:\n", prefix, dname,
                    sample, c);
            print_times(rep, "output spikes", o, T, ch, c, dt);
            print_times(rep, "target spikes", y, T, ch, c, dt);
        }
    }
}

/* Between the chunks of an evaluation, with `done` of its n samples done
 * (called before each chunk and once after the last): the hooks'
 * on_progress once something is done (where a minutes-long spiking
 * evaluation is; its non-zero return stops the run), then, while samples
 * remain, the interrupt flag. An interrupt (SIGINT/SIGTERM through the
 * session) is acted on here too, not only between epochs: an evaluation
 * asked to stop ends the run as interrupted, not run on and be recorded
 * as finished; nothing of it is recorded (its result would be of a part
 * of the data). */
static int eval_between(const sl__experiment *exp, const sl__hooks *h,
                        const sl__eval *ev, size_t done, size_t n,
                        sl__err *err)
{
    if (done && h && h->on_progress) {
        char what[160];
        snprintf(what, sizeof what, "evaluating '%s'%s", ev->data->name,
                 ev->spiking ? " (spiking)" : "");
        int rc = h->on_progress(h->user, what, done, n);
        if (rc)
            return sl__fail(err, rc, "stopped while %s", what);
    }
    if (done < n && exp->stop && *exp->stop)
        return sl__fail(err, SL_EINTR, "interrupted while evaluating on "
                        "'%s' (%zu of %zu samples done)", ev->data->name,
                        done, n);
    return SL_OK;
}

/* The spiking evaluation (`spiking = true`): the network with every
 * twin-bearing layer spiking (SL_MODE_SPIKING), each sample held for
 * n_steps steps (a one-step sample repeated), the output u filtered by a
 * lowpass discretised by zero-order hold as Nengo's Lowpass(τ):
 *   y_t = a·y_{t−1} + (1 − a)·u_t,  a = exp(−dt/τ),  y_{−1} = 0
 * (τ = 0: y = u), and the class the arg-max of y at the last step (as the
 * chapter's NengoDL evaluation reads its filtered probe). Chunks of 32
 * samples: a conv net's n_steps × activations per sample is large, and
 * 32 is still two shards for the thread pool. (The experiment is `x`
 * here: `exp` would hide exp(3), used below.) */
static int evaluate_spiking(sl__experiment *x, const sl__eval *ev,
                            int phase, const sl__hooks *h, sl__err *err)
{
    sl__dataset *d = ev->data;
    const sl_dataset_info *in = &d->info;
    size_t n = in->n_samples, C = n < 32 ? n : 32, ch = x->net.n_out;
    size_t T = (size_t)ev->n_steps, Tin = in->n_steps;
    size_t ni = Tin * in->n_in, nt = in->target_steps * in->n_out;
    float *xbuf = d->streamed ? malloc(C * ni * sizeof *xbuf) : NULL;
    float *ybuf = d->streamed ? malloc(C * nt * sizeof *ybuf) : NULL;
    float *xrep = Tin == T ? NULL : malloc(C * T * in->n_in * sizeof *xrep);
    double *y = malloc(ch * sizeof *y);
    float *tmean = malloc(in->n_out * sizeof *tmean);
    const char *prefix = phase == 0 ? "initial_" : "";
    size_t correct = 0;
    int rc = SL_OK, oom;
    int64_t *conf = counts_new(h, in->n_out, ch, &oom);
    if ((d->streamed && (!xbuf || !ybuf)) || (Tin != T && !xrep) || !y ||
        !tmean || oom) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    double a = ev->synapse > 0 ? exp(-x->net.dt / ev->synapse) : 0.0;
    for (size_t start = 0; start < n; start += C) {
        size_t b = n - start < C ? n - start : C;
        const float *o, *cx, *cy;
        if ((rc = eval_between(x, h, ev, start, n, err)) ||
            (rc = sl__data_range(d, start, b, xbuf, ybuf, &cx, &cy, err)))
            goto out;
        if (xrep) {
            for (size_t k = 0; k < b; k++)
                for (size_t t = 0; t < T; t++)
                    memcpy(xrep + (k * T + t) * in->n_in, cx + k * ni,
                           in->n_in * sizeof *xrep);
            cx = xrep;
        }
        if ((rc = sl__engine_forward(x, cx, b, T, SL_MODE_SPIKING, &o,
                                     err)))
            goto out;
        for (size_t k = 0; k < b; k++) {
            const float *ok = o + k * T * ch, *tk = cy + k * nt;
            for (size_t c = 0; c < ch; c++)
                y[c] = 0;
            for (size_t t = 0; t < T; t++)
                for (size_t c = 0; c < ch; c++)
                    y[c] = a * y[c] + (1.0 - a) * (double)ok[t * ch + c];
            for (size_t c = 0; c < in->n_out; c++) {
                tmean[c] = 0;
                for (size_t t = 0; t < in->target_steps; t++)
                    tmean[c] += tk[t * in->n_out + c];
            }
            size_t target = argmax_f(tmean, in->n_out), best = 0;
            for (size_t c = 1; c < ch; c++)
                if (y[c] > y[best])
                    best = c;
            correct += best == target;
            if (conf)
                conf[target * ch + best]++;
        }
    }
    if ((rc = eval_between(x, h, ev, n, n, err)))
        goto out;
    double v = (double)correct / (double)n;
    FILE *rep = h ? h->report : NULL;
    if (rep)
        fprintf(rep, "  %s%s spiking accuracy = %.4f (%zu/%zu; %lld steps, "
                "synapse %g s)\n", prefix, d->name, v, correct, n,
                (long long)ev->n_steps, ev->synapse);
    rc = result(h, prefix, d->name, "spiking_accuracy", v);
    if (!rc && conf)
        rc = counts(h, prefix, d->name, "spiking_confusion", conf, in->n_out,
                    ch);
out:
    free(xbuf);
    free(ybuf);
    free(xrep);
    free(y);
    free(tmean);
    free(conf);
    return rc;
}

/* One evaluation over a whole dataset, in chunks of at most 128 samples.
 * phase 0: before training, 1: after, 2: during (results as metrics). */
static int evaluate(sl__experiment *exp, const sl__eval *ev, int phase,
                    const sl__hooks *h, sl__err *err)
{
    if (ev->spiking)
        return evaluate_spiking(exp, ev, phase, h, err);
    sl__dataset *d = ev->data;
    const sl_dataset_info *in = &d->info;
    size_t n = in->n_samples, C = n < 128 ? n : 128, ch = exp->net.n_out;
    size_t ni = in->n_steps * in->n_in, nt = in->target_steps * in->n_out;
    double *values = malloc(n * sizeof *values);
    double *rates = malloc(ch * sizeof *rates);
    float *tmean = malloc(in->n_out * sizeof *tmean);
    /* a streamed dataset is fetched chunk by chunk into these */
    float *xbuf = d->streamed ? malloc(C * ni * sizeof *xbuf) : NULL;
    float *ybuf = d->streamed ? malloc(C * nt * sizeof *ybuf) : NULL;
    int rc = SL_OK;
    double loss_sum = 0;
    size_t correct = 0;
    const char *prefix = phase == 0 ? "initial_" : "";
    FILE *rep = h ? h->report : NULL;
    int is_acc = strcmp(ev->metric, "accuracy") == 0, oom = 0;
    /* which class the network chose for which target: the accuracy is
     * its trace over n */
    int64_t *conf = is_acc ? counts_new(h, in->n_out, ch, &oom) : NULL;
    if (!values || !rates || !tmean || (d->streamed && (!xbuf || !ybuf)) ||
        oom) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    int is_loss = strcmp(ev->metric, "loss") == 0;
    int is_spikes = strcmp(ev->metric, "spike_times") == 0;
    const sl__layer *last = &exp->net.layers[exp->net.n_layers - 1];
    int spiking = (last->iface->flags & SL_NEURON_SPIKING) != 0;
    /* an event output (spikelab/events.h) holds spike times: its class is
     * the channel that spikes first */
    int events = (sl__layer_events(last) & SL_EVENTS_OUT) != 0;
    spike_stats sst = {0, 0, 0};
    for (size_t start = 0; start < n; start += C) {
        size_t b = n - start < C ? n - start : C;
        const float *o, *cx, *cy;
        if ((rc = eval_between(exp, h, ev, start, n, err)) ||
            (rc = sl__data_range(d, start, b, xbuf, ybuf, &cx, &cy, err)) ||
            (rc = sl__engine_forward(exp, cx, b, in->n_steps, 0, &o, err)))
            goto out;
        if (is_loss) {
            sl_seq so = {o, b, in->n_steps, ch, exp->net.dt};
            sl_seq st = {cy, b, in->target_steps,
                         in->n_out, exp->net.dt};
            double v;
            const sl_loss_iface *li = exp->loss.iface;
            if ((rc = li->xEval(exp->loss.self, &so, &st, &v, NULL))) {
                rc = loss_error(exp, rc, err);
                goto out;
            }
            loss_sum += v * (double)b;
            continue;
        }
        if (is_spikes) {
            for (size_t k = 0; k < b; k++)
                spike_times(rep, ev, prefix, d->name, start + k,
                            o + k * in->n_steps * ch, cy + k * nt,
                            in->n_steps, ch,
                            exp->net.dt, &sst);
            continue;
        }
        for (size_t k = 0; k < b; k++) {
            const float *ok = o + k * in->n_steps * ch;
            const float *tk = cy + k * nt;
            /* the target channel: arg-max of the time-averaged target */
            for (size_t c = 0; c < in->n_out; c++) {
                tmean[c] = 0;
                for (size_t t = 0; t < in->target_steps; t++)
                    tmean[c] += tk[t * in->n_out + c];
            }
            size_t target = argmax_f(tmean, in->n_out);
            sl__rates(ok, in->n_steps, ch, exp->net.dt, rates);
            if (strcmp(ev->metric, "frr") == 0) {
                double v = strcmp(ev->frr_mode, "target") == 0
                               ? sl__frr_target(rates, ch, target)
                               : sl__frr_max_min(rates, ch);
                values[start + k] = v;
                if (rep && ev->per_sample) {
                    fprintf(rep, "  %s%s sample %zu: rates", prefix, d->name,
                            start + k);
                    for (size_t c = 0; c < ch; c++)
                        fprintf(rep, " %s%.1f Hz", c == target ? "*" : "",
                                rates[c]);
                    fprintf(rep, "  FRR = %g\n", v);
                }
            } else {
                /* accuracy: a spiking output votes with its spike count,
                 * an analog readout (li) with its maximum over time — the
                 * decoding of the cross_entropy loss's default */
                size_t best = 0;
                if (events) {
                    for (size_t c = 0; c < ch; c++) {
                        double m = INFINITY;
                        for (size_t t = 0; t < in->n_steps; t++)
                            if (ok[t * ch + c] < m)
                                m = ok[t * ch + c];
                        rates[c] = -m; /* earliest wins the arg-max */
                    }
                } else if (!spiking)
                    for (size_t c = 0; c < ch; c++) {
                        double m = -INFINITY;
                        for (size_t t = 0; t < in->n_steps; t++)
                            if (ok[t * ch + c] > m)
                                m = ok[t * ch + c];
                        rates[c] = m;
                    }
                for (size_t c = 1; c < ch; c++)
                    if (rates[c] > rates[best])
                        best = c;
                correct += best == target;
                if (conf)
                    conf[target * ch + best]++;
            }
        }
    }
    if ((rc = eval_between(exp, h, ev, n, n, err)))
        goto out;
    if (is_spikes) {
        if (rep)
            fprintf(rep, "  %s%s spikes: %zu output, %zu target, %zu target "
                    "spikes matched within %g s\n", prefix, d->name, sst.out,
                    sst.target, sst.matched, ev->tolerance);
        if (!rc) rc = result(h, prefix, d->name, "spikes_out", (double)sst.out);
        if (!rc) rc = result(h, prefix, d->name, "spikes_target",
                             (double)sst.target);
        if (!rc) rc = result(h, prefix, d->name, "spikes_matched",
                             (double)sst.matched);
    } else if (is_loss) {
        double v = loss_sum / (double)n;
        if (rep)
            fprintf(rep, "  %s%s loss = %g\n", prefix, d->name, v);
        rc = result(h, prefix, d->name, "loss", v);
    } else if (is_acc) {
        double v = (double)correct / (double)n;
        if (rep)
            fprintf(rep, "  %s%s accuracy = %.4f (%zu/%zu)\n", prefix,
                    d->name, v, correct, n);
        rc = result(h, prefix, d->name, "accuracy", v);
        if (!rc && conf)
            rc = counts(h, prefix, d->name, "confusion", conf, in->n_out,
                        ch);
    } else {
        char what[64];
        if (ev->per_sample)
            for (size_t i = 0; i < n && !rc; i++) {
                snprintf(what, sizeof what, "frr_%zu", i);
                rc = result(h, prefix, d->name, what, values[i]);
            }
        if (!ev->per_sample && rep) {
            char label[128];
            snprintf(label, sizeof label, "%s%s FRR (%s) distribution",
                     prefix, d->name, ev->frr_mode);
            sl__histogram(rep, values, n, 10, label);
        }
        double med = sl__quantile(values, n, 0.5);
        double q25 = sl__quantile(values, n, 0.25);
        double q75 = sl__quantile(values, n, 0.75);
        if (rep)
            fprintf(rep, "  %s%s FRR: median %g, quartiles %g .. %g, min %g, "
                    "max %g\n", prefix, d->name, med, q25, q75, values[0],
                    values[n - 1]);
        if (!rc) rc = result(h, prefix, d->name, "frr_median", med);
        if (!rc) rc = result(h, prefix, d->name, "frr_q25", q25);
        if (!rc) rc = result(h, prefix, d->name, "frr_q75", q75);
        if (!rc) rc = result(h, prefix, d->name, "frr_min", values[0]);
        if (!rc) rc = result(h, prefix, d->name, "frr_max", values[n - 1]);
    }
out:
    free(values);
    free(rates);
    free(tmean);
    free(xbuf);
    free(ybuf);
    free(conf);
    return rc;
}

int sl__evaluate_all(sl__experiment *exp, int phase, const sl__hooks *hooks,
                     sl__err *err)
{
    int heading = 0; /* printed with the phase's first evaluation: none
                        when no evaluation runs in it */
    for (size_t i = 0; i < exp->n_evals; i++) {
        if (phase == 0 && !exp->evals[i].before)
            continue;
        if (!heading++ && hooks && hooks->report)
            fprintf(hooks->report, "%s:\n", phase == 0 ? "before training"
                                                       : "evaluation");
        int rc = evaluate(exp, &exp->evals[i], phase, hooks, err);
        if (rc)
            return rc;
    }
    return SL_OK;
}
