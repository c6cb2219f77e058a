/* core/engine/parallel.c — batches in shards on a pool of threads, with
 * results independent of the thread count (parallel.h; ARCHITECTURE.md,
 * "Threads").
 *
 * A batch of b samples is cut into S = ceil(b/16) contiguous shards of
 * [batch][time][channel] (sizes differ by at most one sample). Shard 0 runs
 * on the master network, shard k > 0 on replica k−1: the same layers built
 * again from the same configuration, whose parameter tensors are copied
 * from the master's (xParams) before every forward pass, so an optimizer
 * step, a mismatch draw or a teacher's parameter reach them. Each shard
 * runs forward and keeps its own tape; the outputs are gathered into one
 * [b][time][n_out] buffer, on which the caller takes the loss (its
 * normalisation over the batch unchanged); backward runs per shard on its
 * slice of dL/d(out), each replica into its own zeroed gradients, and the
 * master's gradients then receive replica 1, 2, ... S−1 in that order.
 * Which thread runs which shard does not matter: a shard's arithmetic
 * depends only on its samples and the parameters, and every sum across
 * shards is taken in shard order. So 1, 2 or 16 threads give the same
 * bits; the shard size, not the thread count, is part of the numerics
 * (a batch of at most 16 samples is one shard: the network runs as it
 * did before this file existed).
 *
 * The pool: threads − 1 pthreads started once (sl__par_attach) and the
 * caller's thread; each phase (forward, backward) hands out shard indices
 * under a mutex and waits until all are done. No thread is started per
 * batch. BLAS calls inside a shard run on the caller's BLAS settings
 * (`spikelab run` sets OpenBLAS to one thread, so two workers use two
 * cores, not four).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/parallel.h"

#define MAX_SHARDS 4096

typedef struct sl__par sl__par;
typedef int (*par_job)(sl__par *p, size_t shard);

struct sl__par {
    /* what replicas are built from (borrowed) */
    sl__config *cfg;
    sl__setting *group;
    const sl__registry *reg;
    size_t n_in;
    uint64_t seed;
    const sl_host *host; /* the run's (numerics mode), for replicas */
    sl__network *master; /* the network this pool serves */

    /* replicas: rep[k] runs shard k + 1 */
    sl__network *rep;
    size_t n_rep;

    /* the current batch: shard k has cnt[k] samples from sample off[k] */
    size_t batch, time, n_shards;
    size_t *off, *cnt;
    sl__err *errs; /* one per shard */
    float *out;    /* gathered output [batch][time][n_out] */
    size_t cap_out;
    const float *in, *dout;

    /* the pool */
    size_t threads;     /* the caller's included */
    pthread_t *tid;
    size_t n_tid;       /* started */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;       /* phase number: a new phase wakes the workers */
    int quit;
    par_job job;
    size_t next, finished, n_jobs;
    int *rc;            /* one per shard */
};

size_t sl__par_shards(size_t b)
{
    return b == 0 ? 1 : (b + SL__SHARD_SAMPLES - 1) / SL__SHARD_SAMPLES;
}

/* ------------------------------------------------------------------ pool */

/* Take shard indices of the current phase until none is left. */
static void run_jobs(sl__par *p)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t k = p->next < p->n_jobs ? p->next++ : p->n_jobs;
        par_job job = p->job;
        pthread_mutex_unlock(&p->mu);
        if (k >= p->n_jobs)
            return;
        int rc = job(p, k);
        pthread_mutex_lock(&p->mu);
        p->rc[k] = rc;
        if (++p->finished == p->n_jobs)
            pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *worker(void *arg)
{
    sl__par *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        run_jobs(p);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Run job(k) for k < n on the pool and this thread; the first failing
 * shard's status (lowest k: the same whatever the threads did). */
static int run_phase(sl__par *p, par_job job, size_t n)
{
    if (p->n_tid == 0 || n == 1) {
        for (size_t k = 0; k < n; k++)
            p->rc[k] = job(p, k);
    } else {
        pthread_mutex_lock(&p->mu);
        p->job = job;
        p->next = 0;
        p->finished = 0;
        p->n_jobs = n;
        p->gen++;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
        run_jobs(p);
        pthread_mutex_lock(&p->mu);
        while (p->finished < p->n_jobs)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    for (size_t k = 0; k < n; k++)
        if (p->rc[k])
            return (int)k + 1;
    return 0;
}

/* ----------------------------------------------------------- lifecycle */

int sl__par_attach(sl__network *net, sl__config *cfg, sl__setting *group,
                   const sl__registry *reg, const sl_host *host, size_t n_in,
                   uint64_t seed, int64_t threads, sl__err *err)
{
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? n : 1;
    }
    if (threads > 1024)
        threads = 1024;
    sl__par *p = calloc(1, sizeof *p);
    if (!p)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    p->cfg = cfg;
    p->group = group;
    p->reg = reg;
    p->host = host;
    p->n_in = n_in;
    p->seed = seed;
    p->master = net;
    p->threads = (size_t)threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    net->par = p;
    if (p->threads > 1) {
        p->tid = calloc(p->threads - 1, sizeof *p->tid);
        if (!p->tid)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        for (size_t i = 0; i + 1 < p->threads; i++) {
            if (pthread_create(&p->tid[i], NULL, worker, p) != 0)
                return sl__fail(err, SL_ENOMEM, "cannot start thread %zu "
                                "of %zu: lower threads", i + 2, p->threads);
            p->n_tid++;
        }
    }
    return SL_OK;
}

size_t sl__par_threads(const sl__network *net)
{
    return net->par ? net->par->threads : 1;
}

void sl__par_free(sl__network *net)
{
    sl__par *p = net->par;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_tid; i++)
        pthread_join(p->tid[i], NULL);
    free(p->tid);
    for (size_t i = 0; i < p->n_rep; i++)
        sl__network_free(&p->rep[i]);
    free(p->rep);
    free(p->off);
    free(p->cnt);
    free(p->errs);
    free(p->rc);
    free(p->out);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p);
    net->par = NULL;
    net->par_active = 0;
}

/* ------------------------------------------------------------- batches */

static sl__network *shard_net(sl__par *p, size_t k)
{
    return k == 0 ? p->master : &p->rep[k - 1];
}

/* Copy every parameter tensor of the master into replica r. */
static void sync_params(const sl__network *m, sl__network *r)
{
    for (size_t i = 0; i < m->n_layers; i++)
        for (size_t j = 0; j < m->layers[i].n_params; j++) {
            const sl_param *a = &m->layers[i].params[j];
            sl_param *b = &r->layers[i].params[j];
            if (a->data && b->data && a->data != b->data)
                memcpy(b->data, a->data, a->n * sizeof(float));
        }
}

int sl__par_prepare(sl__network *net, size_t batch, size_t time,
                    uint32_t mode, sl__err *err)
{
    sl__par *p = net->par;
    size_t S = sl__par_shards(batch);
    if (S > MAX_SHARDS)
        return sl__fail(err, SL_ENOMEM, "a batch of %zu samples is too "
                        "large (at most %d shards of %d)", batch, MAX_SHARDS,
                        SL__SHARD_SAMPLES);
    net->par_active = 0;
    if (S > p->n_shards || !p->off) {
        size_t *off = realloc(p->off, S * sizeof *off);
        if (off)
            p->off = off;
        size_t *cnt = realloc(p->cnt, S * sizeof *cnt);
        if (cnt)
            p->cnt = cnt;
        sl__err *errs = realloc(p->errs, S * sizeof *errs);
        if (errs)
            p->errs = errs;
        int *rc = realloc(p->rc, S * sizeof *rc);
        if (rc)
            p->rc = rc;
        if (!off || !cnt || !errs || !rc)
            return sl__fail(err, SL_ENOMEM, "out of memory");
    }
    /* replicas for shards 1 .. S−1, built once (then kept) */
    if (S - 1 > p->n_rep) {
        sl__network *rep = realloc(p->rep, (S - 1) * sizeof *rep);
        if (!rep)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        p->rep = rep;
        while (p->n_rep < S - 1) {
            int rc = sl__network_build(&p->rep[p->n_rep], p->cfg, p->group,
                                       p->reg, p->host, p->n_in, p->seed,
                                       err);
            if (rc) {
                sl__network_free(&p->rep[p->n_rep]);
                return rc;
            }
            p->n_rep++;
        }
    }
    /* equal shards, the first batch % S one sample larger */
    size_t base = batch / S, extra = batch % S, at = 0;
    for (size_t k = 0; k < S; k++) {
        p->off[k] = at;
        p->cnt[k] = base + (k < extra);
        at += p->cnt[k];
    }
    size_t need = batch * time * net->n_out;
    if (need > p->cap_out) {
        free(p->out);
        p->out = malloc(need * sizeof(float));
        p->cap_out = p->out ? need : 0;
        if (!p->out)
            return sl__fail(err, SL_ENOMEM, "out of memory for the gathered "
                            "output (%zu x %zu x %zu)", batch, time,
                            net->n_out);
    }
    for (size_t k = 0; k < S; k++) {
        int rc = sl__network_prepare_seq(shard_net(p, k), p->cnt[k], time,
                                         mode, err);
        if (rc)
            return rc;
    }
    p->n_shards = S;
    p->batch = batch;
    p->time = time;
    net->batch = batch; /* the whole batch, as the caller asked */
    net->par_active = 1;
    return SL_OK;
}

static int forward_job(sl__par *p, size_t k)
{
    sl__network *n = shard_net(p, k);
    if (k > 0)
        sync_params(p->master, n);
    const size_t T = p->time;
    int rc = sl__network_forward_seq(n, p->in + p->off[k] * T * p->n_in,
                                     &p->errs[k]);
    if (rc)
        return rc;
    const size_t no = p->master->n_out;
    memcpy(p->out + p->off[k] * T * no, sl__network_output_seq(n),
           p->cnt[k] * T * no * sizeof(float));
    return SL_OK;
}

int sl__par_forward(sl__network *net, const float *in, sl__err *err)
{
    sl__par *p = net->par;
    p->in = in;
    int bad = run_phase(p, forward_job, p->n_shards);
    if (bad) {
        *err = p->errs[bad - 1];
        return p->rc[bad - 1];
    }
    return SL_OK;
}

const float *sl__par_output(const sl__network *net)
{
    return net->par->out;
}

static int backward_job(sl__par *p, size_t k)
{
    sl__network *n = shard_net(p, k);
    if (k > 0)
        sl__network_zero_grad(n);
    const size_t T = p->time, no = p->master->n_out;
    return sl__network_backward_seq(n, p->dout + p->off[k] * T * no,
                                    &p->errs[k]);
}

int sl__par_backward(sl__network *net, const float *dout, sl__err *err)
{
    sl__par *p = net->par;
    p->dout = dout;
    int bad = run_phase(p, backward_job, p->n_shards);
    if (bad) {
        *err = p->errs[bad - 1];
        return p->rc[bad - 1];
    }
    /* the master's gradients (shard 0's) plus shard 1, 2, ... in order */
    for (size_t i = 0; i < net->n_trainable; i++) {
        float *restrict g = net->trainable[i].grad;
        const size_t n = net->trainable[i].n;
        for (size_t k = 1; k < p->n_shards; k++) {
            const float *restrict r = p->rep[k - 1].trainable[i].grad;
            for (size_t e = 0; e < n; e++)
                g[e] += r[e];
        }
    }
    return SL_OK;
}
