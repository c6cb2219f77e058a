/* plugins/sparse/kernel.c — the network's state, its threads and the
 * time loop (sparse.h has the model and the order of operations). */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* A barrier that spins briefly and then yields: a step of 10,000
 * neurons takes microseconds, so sleeping in the kernel at every step
 * (pthread_barrier_wait) would cost more than the step; on a loaded
 * machine the yield gives the core away instead of burning it. */
typedef struct sp_barrier {
    _Atomic unsigned count, gen;
    unsigned n;
} sp_barrier;

static void barrier_wait(sp_barrier *b)
{
    unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 ==
        b->n) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_store_explicit(&b->gen, g + 1, memory_order_release);
        return;
    }
    for (unsigned spin = 0;
         atomic_load_explicit(&b->gen, memory_order_acquire) == g; spin++) {
        if (spin > 200)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

typedef struct sp_thr {
    sp_net *net;
    int id;
    uint32_t lo, hi;
    uint32_t *list[2]; /* spikes of the step, by step parity */
    int32_t *head;     /* [SP_WHEEL] the calendar of external events */
    uint32_t nl[2];
    pthread_t tid;
    int started;
    uint64_t seen; /* last job taken */
    char pad[64];  /* no false sharing of nl between threads */
} sp_thr;

struct sp_net {
    sp_params p;
    double dt;
    uint64_t steps, step;
    uint64_t key_init, key_conn, key_ext;
    int T;
    uint32_t cut[SP_MAX_THREADS + 1];
    sp_csr csr[SP_MAX_THREADS];
    sp_thr thr[SP_MAX_THREADS];
    uint32_t *outdeg;
    uint64_t nnz;
    /* state (REAL = double or float after p.f32) */
    void *v, *I, *wsrc;
    int32_t *last, *next_ext, *link;
    uint8_t *fl;
    /* per-neuron spike statistics: count, sum and sum of squares of the
     * inter-spike intervals in steps */
    uint32_t *cnt;
    int64_t *s1;
    double *s2;
    /* the spike monitor: (neuron, step) pairs, and spikes per step */
    int32_t *ev;
    uint64_t n_ev, cap_ev;
    int32_t *per_step;
    uint64_t rec_events;
    /* derived constants */
    double am, as, b, c;
    int32_t R;
    double p0, inv_lp0, *cdf;
    uint32_t kmax;
    /* threads */
    sp_barrier bar;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t job_seq, job_n0, job_n;
    double *const *job_out;
    int quit, sync_ok;
};


/* The calendar of external events: a ring of SP_WHEEL buckets per
 * thread, each a list (through link[]) of the thread's neurons whose next
 * non-zero step falls on it modulo SP_WHEEL; a neuron further ahead waits
 * in its bucket for another turn. So a step touches only the neurons
 * that receive external input in it (about 5 % in workload 1), not all. */
#define SP_WHEEL 1024

static void ext_schedule(sp_net *s, sp_thr *th, uint32_t j, int64_t n,
                         uint64_t key)
{
    /* gap after step n: draw 2(n + 1) of the neuron's stream; G =
     * floor(log u / log p0) >= 0, truncation is floor here */
    double u = 1.0 - sp_u01(sp_draw(key, 2 * (uint64_t)(n + 1))); /* (0,1] */
    double nx = (double)n + 1.0 + (double)(int64_t)(log(u) * s->inv_lp0);
    if (!(nx < (double)s->steps)) {
        s->next_ext[j] = INT32_MAX; /* not in this run */
        return;
    }
    int32_t due = (int32_t)nx;
    int32_t *h = &th->head[due & (SP_WHEEL - 1)];
    s->next_ext[j] = due;
    s->link[j] = *h;
    *h = (int32_t)j;
}

static uint32_t ext_event(sp_net *s, sp_thr *th, uint32_t j, int32_t n)
{
    uint64_t key = sp_key(s->key_ext, j);
    double u = sp_u01(sp_draw(key, 2 * (uint64_t)(n + 1) + 1));
    uint32_t k = 1;
    while (k < s->kmax && u >= s->cdf[k])
        k++;
    ext_schedule(s, th, j, n, key);
    return k;
}

/* after every thread's phase A of step n, before phase B: the monitor
 * (thread 0 only; reads the lists of step n, which no thread rewrites
 * before the next barrier) */
static void monitor(sp_net *s, int32_t n)
{
    uint32_t total = 0;
    uint64_t lim = s->p.rec_spikes < 0 ? UINT64_MAX
                                       : (uint64_t)s->p.rec_spikes;
    for (int u = 0; u < s->T; u++) {
        const uint32_t *L = s->thr[u].list[n & 1];
        uint32_t nl = s->thr[u].nl[n & 1];
        total += nl;
        for (uint32_t q = 0; q < nl; q++) {
            s->rec_events += s->outdeg[L[q]];
            if (L[q] < lim && s->n_ev < s->cap_ev) {
                s->ev[2 * s->n_ev] = (int32_t)L[q];
                s->ev[2 * s->n_ev + 1] = n;
                s->n_ev++;
            }
        }
    }
    s->per_step[n] = (int32_t)total;
}

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define REAL double
#define SFX f64
#include "step.h"
#undef REAL
#undef SFX
#define REAL float
#define SFX f32
#include "step.h"
#undef REAL
#undef SFX

static void run_thread(sp_net *s, sp_thr *th, uint64_t n0, uint64_t n,
                       double *const *out)
{
    if (s->p.f32)
        run_steps_f32(s, th, n0, n, out);
    else
        run_steps_f64(s, th, n0, n, out);
}

static void *worker(void *arg)
{
    sp_thr *th = arg;
    sp_net *s = th->net;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->job_seq == th->seen && !s->quit)
            pthread_cond_wait(&s->cv, &s->mu);
        th->seen = s->job_seq;
        uint64_t n0 = s->job_n0, n = s->job_n;
        double *const *out = s->job_out;
        int quit = s->quit;
        pthread_mutex_unlock(&s->mu);
        if (quit)
            return NULL;
        run_thread(s, th, n0, n, out);
        barrier_wait(&s->bar);
    }
}

void sp_net_free(sp_net *s)
{
    if (!s)
        return;
    if (s->sync_ok) {
        pthread_mutex_lock(&s->mu);
        s->quit = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        for (int t = 1; t < s->T; t++)
            if (s->thr[t].started)
                pthread_join(s->thr[t].tid, NULL);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    for (int t = 0; t < s->T; t++) {
        sp_csr_free(&s->csr[t]);
        free(s->thr[t].list[0]);
        free(s->thr[t].list[1]);
        free(s->thr[t].head);
    }
    free(s->outdeg);
    free(s->v);
    free(s->I);
    free(s->wsrc);
    free(s->last);
    free(s->next_ext);
    free(s->link);
    free(s->fl);
    free(s->cnt);
    free(s->s1);
    free(s->s2);
    free(s->ev);
    free(s->per_step);
    free(s->cdf);
    free(s);
}

/* log-pmf of Binomial(K, p) at k */
static double lbinom(uint32_t K, double p, uint32_t k)
{
    return lgamma((double)K + 1) - lgamma((double)k + 1) -
           lgamma((double)(K - k) + 1) + (double)k * log(p) +
           (double)(K - k) * log1p(-p);
}

static int32_t refractory_steps(double t_ref, double dt, uint64_t steps)
{
    double r = t_ref / dt;
    return r > (double)steps ? (int32_t)steps + 1 : (int32_t)llround(r);
}

/* at most one spike per R steps (a neuron refractory for R steps after
 * a spike fires again R steps later at the earliest) */
static uint64_t max_spikes(int32_t R, uint64_t steps)
{
    return R > 0 ? (steps + (uint64_t)R - 1) / (uint64_t)R : steps;
}

int sp_budget(const sp_params *p, double dt, uint64_t steps, char *msg,
              size_t msg_len)
{
    int32_t R = refractory_steps(p->t_ref, dt, steps);
    uint64_t rec_n = p->rec_spikes < 0 ? p->n : (uint64_t)p->rec_spikes;
    double bytes = (double)rec_n * (double)max_spikes(R, steps) * 8.0 +
                   (double)steps * 4.0 +
                   (double)p->n_state * 2.0 * (double)steps * 12.0;
    if (bytes <= p->budget_mb * 1048576.0)
        return 0;
    snprintf(msg, msg_len, "the recording may need up to %.0f MiB (spikes "
             "of %llu neurons over %llu steps, at most one per %d steps "
             "each, 8 bytes a spike; v and I of %zu neurons), more than "
             "record.budget_mb = %g: record fewer neurons (record.spikes) "
             "or raise the budget", bytes / 1048576.0,
             (unsigned long long)rec_n, (unsigned long long)steps,
             R > 0 ? R : 1, p->n_state, p->budget_mb);
    return -2;
}

int sp_net_new(const sp_params *p, double dt, uint64_t steps, uint64_t seed,
               sp_net **out, char *msg, size_t msg_len)
{
    *out = NULL;
    /* step numbers and n - last fit int32 (the vectorised compare) */
    if (steps > 1000000000) {
        snprintf(msg, msg_len, "at most 10^9 steps, not %llu",
                 (unsigned long long)steps);
        return -2;
    }
    sp_net *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->p = *p;
    s->dt = dt;
    s->steps = steps;
    uint32_t n = p->n;
    int T = p->threads < 1 ? 1 : p->threads;
    if ((uint32_t)T > n)
        T = (int)n;
    s->T = T;
    /* keys: one per purpose, from the run seed */
    s->key_init = sp_key(seed, 1);
    s->key_conn = sp_key(seed, 2);
    s->key_ext = sp_key(seed, 3);
    /* derived constants (sparse.h) */
    double tm = p->tau_mem, ts = p->tau_syn;
    s->am = exp(-dt / tm);
    s->as = exp(-dt / ts);
    s->b = fabs(ts - tm) > 1e-12 * tm ? ts * (s->as - s->am) / (ts - tm)
                                      : s->am * dt / tm;
    s->c = (1.0 - s->am) * p->v_leak;
    s->R = refractory_steps(p->t_ref, dt, steps);
    size_t wsz = p->f32 ? sizeof(float) : sizeof(double);
    if (sp_budget(p, dt, steps, msg, msg_len)) {
        free(s);
        return -2;
    }
    uint64_t rec_n = p->rec_spikes < 0 ? n : (uint64_t)p->rec_spikes;
    s->cap_ev = rec_n * max_spikes(s->R, steps);
    /* ranges: contiguous, cut at multiples of 16 neurons (whole cache
     * lines of state) */
    for (int t = 0; t <= T; t++) {
        uint64_t c = (uint64_t)n * (uint64_t)t / (uint64_t)T;
        s->cut[t] = t == T ? n : (uint32_t)(c & ~(uint64_t)15);
    }
    int rc = -1;
    if (!(s->outdeg = malloc((size_t)n * sizeof(uint32_t))) ||
        !(s->v = malloc((size_t)n * wsz)) ||
        !(s->I = calloc((size_t)n, wsz)) ||
        !(s->wsrc = malloc((size_t)n * wsz)) ||
        !(s->last = malloc((size_t)n * sizeof(int32_t))) ||
        !(s->next_ext = malloc((size_t)n * sizeof(int32_t))) ||
        !(s->link = malloc((size_t)n * sizeof(int32_t))) ||
        !(s->fl = calloc((size_t)n + 8, 1)) ||
        !(s->cnt = calloc((size_t)n, sizeof(uint32_t))) ||
        !(s->s1 = calloc((size_t)n, sizeof(int64_t))) ||
        !(s->s2 = calloc((size_t)n, sizeof(double))) ||
        !(s->per_step = calloc((size_t)steps, sizeof(int32_t))) ||
        !(s->ev = malloc((s->cap_ev ? s->cap_ev : 1) * 2 * sizeof(int32_t))))
        goto fail;
    for (int t = 0; t < T; t++) {
        sp_thr *th = &s->thr[t];
        th->net = s;
        th->id = t;
        th->lo = s->cut[t];
        th->hi = s->cut[t + 1];
        size_t len = (size_t)(th->hi - th->lo) + 1;
        if (!(th->list[0] = malloc(len * sizeof(uint32_t))) ||
            !(th->list[1] = malloc(len * sizeof(uint32_t))) ||
            !(th->head = malloc(SP_WHEEL * sizeof(int32_t))))
            goto fail;
        for (int b = 0; b < SP_WHEEL; b++)
            th->head[b] = -1;
    }
    int crc = sp_connect(p, s->key_conn, s->cut, T, s->csr, s->outdeg,
                         &s->nnz, msg, msg_len);
    if (crc) {
        rc = crc;
        goto fail;
    }
    /* weights of the sources' populations; initial state */
    for (size_t q = 0; q < p->n_pops; q++)
        for (uint32_t i = p->pops[q].lo; i < p->pops[q].hi; i++) {
            if (p->f32)
                ((float *)s->wsrc)[i] = (float)p->pops[q].w;
            else
                ((double *)s->wsrc)[i] = p->pops[q].w;
        }
    for (uint32_t j = 0; j < n; j++) {
        double u = sp_u01(sp_draw(s->key_init, j));
        double v0 = p->v_init_lo + (p->v_init_hi - p->v_init_lo) * u;
        if (p->f32)
            ((float *)s->v)[j] = (float)v0;
        else
            ((double *)s->v)[j] = v0;
        s->last[j] = -s->R; /* nobody refractory at step 0 */
    }
    /* external input: P(count = 0) per step and the truncated cdf */
    double pe = p->ext_rate * dt;
    if (p->ext_k > 0 && pe > 0) {
        if (pe >= 1) {
            snprintf(msg, msg_len, "poisson.rate · dt = %g: the rate must "
                     "be below one event per step", pe);
            rc = -2;
            goto fail;
        }
        s->p0 = exp((double)p->ext_k * log1p(-pe));
        s->inv_lp0 = 1.0 / log(s->p0); /* -0 when p0 = 0: gap 0 */
        uint32_t K = p->ext_k;
        if (!(s->cdf = malloc(((size_t)K + 2) * sizeof(double))))
            goto fail;
        double acc = 0.0, nz = -expm1((double)K * log1p(-pe));
        uint32_t k;
        s->cdf[0] = 0.0;
        for (k = 1; k <= K; k++) {
            acc += exp(lbinom(K, pe, k));
            s->cdf[k] = acc / nz;
            if (s->cdf[k] >= 1.0 - 1e-16)
                break;
        }
        s->kmax = k > K ? K : k; /* the last count takes the rest */
        for (int t = 0; t < T; t++)
            for (uint32_t j = s->cut[t]; j < s->cut[t + 1]; j++)
                ext_schedule(s, &s->thr[t], j, -1, sp_key(s->key_ext, j));
    } else {
        for (uint32_t j = 0; j < n; j++)
            s->next_ext[j] = INT32_MAX;
    }
    /* threads */
    s->bar.n = (unsigned)T;
    if (T > 1) {
        if (pthread_mutex_init(&s->mu, NULL))
            goto fail;
        if (pthread_cond_init(&s->cv, NULL)) {
            pthread_mutex_destroy(&s->mu);
            goto fail;
        }
        s->sync_ok = 1;
        for (int t = 1; t < T; t++) {
            if (pthread_create(&s->thr[t].tid, NULL, worker, &s->thr[t])) {
                snprintf(msg, msg_len, "cannot start thread %d of %d", t + 1,
                         T);
                rc = -2;
                goto fail;
            }
            s->thr[t].started = 1;
        }
    }
    *out = s;
    return 0;
fail:
    sp_net_free(s);
    return rc;
}

void sp_net_run(sp_net *s, uint64_t n, double *const *out)
{
    uint64_t n0 = s->step;
    if (s->T > 1) {
        pthread_mutex_lock(&s->mu);
        s->job_n0 = n0;
        s->job_n = n;
        s->job_out = out;
        s->job_seq++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    run_thread(s, &s->thr[0], n0, n, out);
    if (s->T > 1)
        barrier_wait(&s->bar); /* every thread done with the chunk */
    s->step += n;
}

void sp_net_info(const sp_net *s, sp_net_view *o)
{
    o->n = s->p.n;
    o->steps = s->step;
    o->dt = s->dt;
    o->cnt = s->cnt;
    o->s1 = s->s1;
    o->s2 = s->s2;
    o->ev = s->ev;
    o->n_ev = s->n_ev;
    o->per_step = s->per_step;
    o->rec_events = s->rec_events;
    o->nnz = s->nnz;
    o->threads = s->T;
    size_t wsz = s->p.f32 ? sizeof(float) : sizeof(double);
    uint64_t b = 0;
    for (int t = 0; t < s->T; t++)
        b += ((uint64_t)s->p.n + 1) * 8 + s->csr[t].off[s->p.n] *
             (4 + (s->csr[t].w ? wsz : 0));
    o->conn_bytes = b;
}
