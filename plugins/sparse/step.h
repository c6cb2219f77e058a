/* plugins/sparse/step.h — one step of the network in one precision,
 * included by kernel.c once per type with REAL (double or float) and
 * SFX (the name suffix) defined. The model and the order of operations
 * are in sparse.h. */

/* Phase A of step n for the thread's neurons [lo, hi): integrate,
 * threshold, external input, reset, spike list of the step. */
static void CAT(phase_a_, SFX)(sp_net *s, sp_thr *th, int32_t n)
{
    REAL *restrict v = s->v, *restrict I = s->I;
    int32_t *restrict last = s->last;
    uint8_t *restrict fl = s->fl;
    const REAL am = (REAL)s->am, as = (REAL)s->as, b = (REAL)s->b,
               c = (REAL)s->c, vth = (REAL)s->p.v_th,
               vreset = (REAL)s->p.v_reset;
    const int32_t R = s->R;
    const uint32_t lo = th->lo, hi = th->hi;
    /* the whole range, branch-free: vectorised */
    for (uint32_t j = lo; j < hi; j++) {
        int nr = n - last[j] >= R;
        REAL vo = v[j], io = I[j];
        REAL vn = am * vo + b * io + c;
        vn = nr ? vn : vo;
        v[j] = vn;
        I[j] = as * io;
        fl[j] = (uint8_t)(nr & (vn > vth));
    }
    /* external counts of this step: the neurons in its bucket */
    const REAL wext = (REAL)s->p.ext_w;
    int32_t *bk = &th->head[n & (SP_WHEEL - 1)];
    int32_t e = *bk;
    *bk = -1;
    while (e >= 0) {
        int32_t nx = s->link[e];
        if (s->next_ext[e] == n)
            I[e] += wext * (REAL)ext_event(s, th, (uint32_t)e, n);
        else { /* due a turn of the wheel later */
            s->link[e] = *bk;
            *bk = e;
        }
        e = nx;
    }
    /* the spikes: rare, so the scan skips 8 neurons at a time */
    uint32_t *restrict L = th->list[n & 1];
    uint32_t cnt = 0;
    for (uint32_t j = lo; j < hi; j++) {
        if (!((j & 7) | (hi - j < 8))) {
            uint64_t w8;
            memcpy(&w8, fl + j, 8);
            if (!w8) {
                j += 7;
                continue;
            }
        }
        if (fl[j]) {
            L[cnt++] = j;
            uint32_t k = s->cnt[j]++;
            if (k) {
                int64_t d = (int64_t)n - last[j];
                s->s1[j] += d;
                s->s2[j] += (double)d * (double)d;
            }
            last[j] = n;
            v[j] = vreset;
        }
    }
    th->nl[n & 1] = cnt;
}

/* Phase B of step n: every spike of the step (all threads' lists, in
 * thread order = ascending neuron) into the thread's own targets. */
static void CAT(phase_b_, SFX)(sp_net *s, sp_thr *th, int32_t n)
{
    REAL *restrict I = s->I;
    const sp_csr *C = &s->csr[th->id];
    const uint64_t *restrict off = C->off;
    const uint32_t *restrict tgt = C->tgt;
    const REAL *restrict wsrc = s->wsrc;
    const REAL *restrict wsyn = C->w;
    for (int u = 0; u < s->T; u++) {
        const uint32_t *L = s->thr[u].list[n & 1];
        uint32_t nl = s->thr[u].nl[n & 1];
        for (uint32_t q = 0; q < nl; q++) {
            uint32_t src = L[q];
            uint64_t a = off[src], e = off[src + 1];
            if (wsyn) {
                for (uint64_t k = a; k < e; k++)
                    I[tgt[k]] += wsyn[k];
            } else {
                const REAL w = wsrc[src];
                for (uint64_t k = a; k < e; k++)
                    I[tgt[k]] += w;
            }
        }
    }
}

static void CAT(probe_, SFX)(sp_net *s, sp_thr *th, uint64_t row,
                             double *const *out)
{
    const REAL *v = s->v, *I = s->I;
    size_t ns = s->p.n_state;
    for (size_t q = 0; q < ns; q++) {
        uint32_t j = s->p.state_idx[q];
        if (j >= th->lo && j < th->hi) {
            out[0][row * ns + q] = (double)v[j];
            out[1][row * ns + q] = (double)I[j];
        }
    }
}

static void CAT(run_steps_, SFX)(sp_net *s, sp_thr *th, uint64_t n0,
                                 uint64_t count, double *const *out)
{
    for (uint64_t i = 0; i < count; i++) {
        int32_t n = (int32_t)(n0 + i);
        CAT(phase_a_, SFX)(s, th, n);
        if (s->T > 1)
            barrier_wait(&s->bar);
        if (th->id == 0)
            monitor(s, n);
        CAT(phase_b_, SFX)(s, th, n);
        if (out && s->p.n_state)
            CAT(probe_, SFX)(s, th, i, out);
    }
}
