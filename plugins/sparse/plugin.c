/* plugins/sparse/plugin.c — the "sparse_lif" model component: a large
 * sparse network of LIF neurons with exponential current synapses, run
 * by the core's simulate mode through sl.simulate.v2 (simulate.h).
 *
 *   simulate = { duration = 1.0; dt = 1e-4; };
 *   model = {
 *     type = "sparse_lif"; n = 10000;
 *     connect = { rule = "fixed_indegree"; k = 100; };
 *     populations = ( { name = "E"; from = 0; to = 8000; weight = 0.5; },
 *                     { name = "I"; from = 8000; to = 10000;
 *                       weight = -4.0; } );
 *     poisson = { sources = 100; rate = 5.0; weight = 0.5; };
 *   };
 * Everything is read and checked at xCreate (errors name the key and
 * line); the network is drawn at xBuild, when dt and the number of
 * steps are known. Results: rates (all, per population), CV of the
 * inter-spike intervals, population Fano factor, synaptic events;
 * arrays: spikes/events (neuron, step) int32, spikes/count per neuron,
 * spikes/per_step; probes v and I of record.state's neurons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spikelab/backend.h>
#include <spikelab/plugin.h>
#include <spikelab/simulate.h>

#include "kernel.h"

typedef struct sp_self {
    const sl_host *H;
    sl_ctx *ctx;
    sp_params p;
    uint64_t *file_row; /* rule "file": CSR by target */
    uint32_t *file_src;
    sp_net *net;
    uint64_t steps;
    double dt;
} sp_self;

static void sp_destroy(void *self)
{
    sp_self *s = self;
    if (!s)
        return;
    sp_net_free(s->net);
    free(s->p.state_idx);
    free(s->file_row);
    free(s->file_src);
    free(s);
}

static int get_u32(sp_self *s, const char *key, int64_t def, int64_t lo,
                   int64_t hi, uint32_t *out)
{
    int64_t v;
    int rc = s->H->xGetInt(s->ctx, key, def, &v);
    if (rc)
        return rc;
    if (v < lo || v > hi)
        return s->H->xError(s->ctx, key, SL_ECONFIG, "%lld is out of range "
                            "(%lld to %lld)", (long long)v, (long long)lo,
                            (long long)hi);
    *out = (uint32_t)v;
    return SL_OK;
}

static int read_pops(sp_self *s)
{
    const sl_host *H = s->H;
    sp_params *p = &s->p;
    char k[96];
    size_t np = 0;
    while (np <= SP_MAX_POPS) {
        snprintf(k, sizeof k, "populations.[%zu]", np);
        if (!H->xHasKey(s->ctx, k))
            break;
        np++;
    }
    if (np == 0)
        return H->xError(s->ctx, NULL, SL_ECONFIG, "populations: at least "
                         "one, e.g. populations = ( { from = 0; to = %u; "
                         "weight = 0.5; } ) (source ranges [from, to) and "
                         "their weight)", p->n);
    if (np > SP_MAX_POPS)
        return H->xError(s->ctx, "populations", SL_ECONFIG, "at most %d "
                         "populations", SP_MAX_POPS);
    p->n_pops = np;
    int rc;
    for (size_t i = 0; i < np; i++) {
        sp_pop *q = &p->pops[i];
        const char *name = NULL;
        int64_t lo, hi;
        char kn[96], kf[96], kt[96], kw[96], ks[96];
        snprintf(kn, sizeof kn, "populations.[%zu].name", i);
        snprintf(kf, sizeof kf, "populations.[%zu].from", i);
        snprintf(kt, sizeof kt, "populations.[%zu].to", i);
        snprintf(kw, sizeof kw, "populations.[%zu].weight", i);
        snprintf(ks, sizeof ks, "populations.[%zu].weight_sd", i);
        if ((rc = H->xGetString(s->ctx, kn, NULL, &name)) ||
            (rc = H->xGetInt(s->ctx, kf, -1, &lo)) ||
            (rc = H->xGetInt(s->ctx, kt, -1, &hi)) ||
            (rc = H->xGetFloat(s->ctx, kw, NAN, &q->w)) ||
            (rc = H->xGetFloat(s->ctx, ks, 0.0, &q->w_sd)))
            return rc;
        if (name && (!*name || strlen(name) > 32 ||
                     strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                            "opqrstuvwxyz0123456789_") != strlen(name)))
            return H->xError(s->ctx, kn, SL_ECONFIG, "'%s': 1 to 32 "
                             "letters, digits or _", name);
        snprintf(q->name, sizeof q->name, "%s", name ? name : "");
        if (!name)
            snprintf(q->name, sizeof q->name, "%zu", i);
        if (lo < 0 || hi <= lo || hi > (int64_t)p->n)
            return H->xError(s->ctx, lo < 0 ? kf : kt, SL_ECONFIG,
                             "population %s: [from, to) = [%lld, %lld) must "
                             "be a non-empty range of the %u neurons",
                             q->name, (long long)lo, (long long)hi, p->n);
        if (!isfinite(q->w))
            return H->xError(s->ctx, kw, SL_ECONFIG, "population %s needs "
                             "a finite weight (the jump of I per spike)",
                             q->name);
        if (!(q->w_sd >= 0) || !isfinite(q->w_sd))
            return H->xError(s->ctx, ks, SL_ECONFIG, "must be >= 0");
        q->lo = (uint32_t)lo;
        q->hi = (uint32_t)hi;
        for (size_t j = 0; j < i; j++)
            if (q->lo < p->pops[j].hi && p->pops[j].lo < q->hi)
                return H->xError(s->ctx, kf, SL_ECONFIG, "population %s "
                                 "[%u, %u) overlaps population %s [%u, %u)",
                                 q->name, q->lo, q->hi, p->pops[j].name,
                                 p->pops[j].lo, p->pops[j].hi);
    }
    /* every source needs a weight */
    uint64_t covered = 0;
    for (size_t i = 0; i < np; i++)
        covered += p->pops[i].hi - p->pops[i].lo;
    if (covered != p->n) {
        uint32_t gap = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (size_t i = 0; i < np; i++)
                if (p->pops[i].lo <= gap && gap < p->pops[i].hi) {
                    gap = p->pops[i].hi;
                    moved = 1;
                }
        }
        return H->xError(s->ctx, "populations", SL_ECONFIG, "the "
                         "populations cover %llu of the %u neurons: neuron "
                         "%u has no population (no weight)",
                         (unsigned long long)covered, p->n, gap);
    }
    return SL_OK;
}

static int read_file(sp_self *s, const char *key, const char *path,
                     uint64_t **vals, size_t *count)
{
    const sl_host *H = s->H;
    FILE *f = fopen(path, "rb");
    if (!f)
        return H->xError(s->ctx, key, SL_ECONFIG, "cannot open '%s'", path);
    unsigned char *b = NULL;
    size_t len = 0, cap = 0;
    int rc = SL_OK;
    for (;;) {
        if (len == cap) {
            if (cap > ((size_t)8 << 30)) {
                rc = H->xError(s->ctx, key, SL_ECONFIG, "'%s' is larger "
                               "than 8 GiB", path);
                break;
            }
            size_t nc = cap ? 2 * cap : 65536;
            unsigned char *nb = realloc(b, nc);
            if (!nb) {
                rc = SL_ENOMEM;
                break;
            }
            b = nb;
            cap = nc;
        }
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (!rc && ferror(f))
        rc = H->xError(s->ctx, key, SL_ECONFIG, "cannot read '%s'", path);
    fclose(f);
    char msg[256];
    if (!rc) {
        int r = sp_npy_ints(b, len, vals, count, msg, sizeof msg);
        if (r == -1)
            rc = SL_ENOMEM;
        else if (r)
            rc = H->xError(s->ctx, key, SL_ECONFIG, "%s: %s", path, msg);
    }
    free(b);
    return rc;
}

static int read_connect(sp_self *s)
{
    const sl_host *H = s->H;
    sp_params *p = &s->p;
    const char *rule = NULL;
    int rc;
    if ((rc = H->xGetString(s->ctx, "connect.rule", "fixed_indegree",
                            &rule)) ||
        (rc = H->xGetBool(s->ctx, "connect.autapses", 0, &p->autapses)) ||
        (rc = get_u32(s, "connect.k", 100, 0, UINT32_MAX, &p->k)) ||
        (rc = H->xGetFloat(s->ctx, "connect.p", 0.1, &p->p)))
        return rc;
    p->rule = !strcmp(rule, "fixed_outdegree")     ? SP_OUTDEGREE
              : !strcmp(rule, "fixed_probability") ? SP_PROBABILITY
              : !strcmp(rule, "file")              ? SP_FILE
                                                   : SP_INDEGREE;
    uint32_t m = p->autapses ? p->n : p->n - 1;
    if ((p->rule == SP_INDEGREE || p->rule == SP_OUTDEGREE) && p->k > m)
        return H->xError(s->ctx, "connect.k", SL_ECONFIG, "%u distinct %s "
                         "per neuron, but there are only %u (%u neurons, "
                         "%s autapses)", p->k,
                         p->rule == SP_INDEGREE ? "sources" : "targets", m,
                         p->n, p->autapses ? "with" : "without");
    if (p->rule != SP_FILE) {
        if (H->xHasKey(s->ctx, "connect.indptr") ||
            H->xHasKey(s->ctx, "connect.indices"))
            return H->xError(s->ctx, "connect.indptr", SL_ECONFIG, "index "
                             "files belong to rule = \"file\"");
        return SL_OK;
    }
    const char *fr = NULL, *fs = NULL;
    if ((rc = H->xGetString(s->ctx, "connect.indptr", NULL, &fr)) ||
        (rc = H->xGetString(s->ctx, "connect.indices", NULL, &fs)))
        return rc;
    if (!fr || !fs)
        return H->xError(s->ctx, "connect.rule", SL_ECONFIG, "rule = "
                         "\"file\" needs indptr (int, n + 1 offsets) and "
                         "indices (the sources of each target), .npy");
    uint64_t *row = NULL, *src = NULL;
    size_t nr = 0, ns = 0;
    if ((rc = read_file(s, "connect.indptr", fr, &row, &nr)))
        return rc;
    if ((rc = read_file(s, "connect.indices", fs, &src, &ns))) {
        free(row);
        return rc;
    }
    char msg[256];
    if (nr != (size_t)p->n + 1) {
        rc = H->xError(s->ctx, "connect.indptr", SL_ECONFIG, "%s: %zu "
                       "offsets, the network of %u neurons needs %u", fr, nr,
                       p->n, p->n + 1);
    } else if (!(s->file_src = malloc((ns ? ns : 1) * sizeof(uint32_t)))) {
        rc = SL_ENOMEM;
    } else {
        for (size_t i = 0; i < ns; i++) /* range checked below */
            s->file_src[i] = src[i] > UINT32_MAX ? UINT32_MAX
                                                 : (uint32_t)src[i];
        int r = sp_check_file(row, s->file_src, p->n, ns, p->autapses, msg,
                              sizeof msg);
        if (r == -1)
            rc = SL_ENOMEM;
        else if (r)
            rc = H->xError(s->ctx, "connect.indices", SL_ECONFIG, "%s "
                           "with %s: %s", fs, fr, msg);
    }
    free(src);
    s->file_row = row;
    p->file_row = row;
    p->file_src = s->file_src;
    return rc;
}

static int sp_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    *self = NULL;
    sp_self *s = calloc(1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    s->H = host;
    s->ctx = ctx;
    sp_params *p = &s->p;
    const sl_host *H = host;
    const char *prec = NULL;
    int64_t threads, rec;
    int rc;
    if ((rc = get_u32(s, "n", 0, 1, 200000000, &p->n)) ||
        (rc = H->xGetFloat(ctx, "tau_mem", 0.02, &p->tau_mem)) ||
        (rc = H->xGetFloat(ctx, "tau_syn", 0.005, &p->tau_syn)) ||
        (rc = H->xGetFloat(ctx, "v_threshold", 1.0, &p->v_th)) ||
        (rc = H->xGetFloat(ctx, "v_reset", 0.0, &p->v_reset)) ||
        (rc = H->xGetFloat(ctx, "v_leak", 0.0, &p->v_leak)) ||
        (rc = H->xGetFloat(ctx, "t_ref", 0.002, &p->t_ref)) ||
        (rc = H->xGetFloat(ctx, "v_init_min", 0.0, &p->v_init_lo)) ||
        (rc = H->xGetFloat(ctx, "v_init_max", 1.0, &p->v_init_hi)) ||
        (rc = H->xGetString(ctx, "precision", "float64", &prec)) ||
        (rc = H->xGetInt(ctx, "threads", 1, &threads)) ||
        (rc = get_u32(s, "poisson.sources", 0, 0, 1000000000, &p->ext_k)) ||
        (rc = H->xGetFloat(ctx, "poisson.rate", 0.0, &p->ext_rate)) ||
        (rc = H->xGetFloat(ctx, "poisson.weight", 0.0, &p->ext_w)) ||
        (rc = H->xGetInt(ctx, "record.spikes", -1, &rec)) ||
        (rc = H->xGetFloat(ctx, "record.budget_mb", 2048.0,
                           &p->budget_mb)))
        goto fail;
    p->f32 = !strcmp(prec, "float32");
    p->threads = (int)threads;
    p->rec_spikes = rec;
    if (!(p->v_init_hi >= p->v_init_lo)) {
        rc = H->xError(ctx, "v_init_max", SL_ECONFIG, "must be >= "
                       "v_init_min (%g)", p->v_init_lo);
        goto fail;
    }
    if (rec > (int64_t)p->n) {
        rc = H->xError(ctx, "record.spikes", SL_ECONFIG, "%lld neurons, the "
                       "network has %u (-1: all)", (long long)rec, p->n);
        goto fail;
    }
    /* state monitors: record.state = [ neuron, ... ] */
    size_t ns = 0;
    char k[64];
    while (ns < 1024) {
        snprintf(k, sizeof k, "record.state.[%zu]", ns);
        if (!H->xHasKey(ctx, k))
            break;
        ns++;
    }
    float *tmp = ns ? malloc(ns * sizeof(float)) : NULL;
    if (ns && (!tmp || !(p->state_idx = malloc(ns * sizeof(uint32_t))))) {
        free(tmp);
        rc = SL_ENOMEM;
        goto fail;
    }
    /* the list as a whole marks it read; the elements are re-read as
     * integers (a float32 would round indices above 2^24) */
    if (ns)
        rc = H->xGetFloatVec(ctx, "record.state", 0.0, tmp, ns);
    free(tmp);
    if (rc)
        goto fail;
    for (size_t i = 0; i < ns; i++) {
        snprintf(k, sizeof k, "record.state.[%zu]", i);
        if ((rc = get_u32(s, k, 0, 0, (int64_t)p->n - 1, &p->state_idx[i])))
            goto fail;
    }
    p->n_state = ns;
    if ((rc = read_connect(s)) || (rc = read_pops(s)))
        goto fail;
    *self = s;
    return SL_OK;
fail:
    sp_destroy(s);
    return rc;
}

static int sp_place(void *self, const sl_network_view *net)
{
    (void)self;
    (void)net;
    return SL_OK;
}

/* ---- sl.simulate.v2 ----------------------------------------------- */

static int sim_build(void *self, double dt, uint64_t n_steps, int64_t seed)
{
    sp_self *s = self;
    char msg[512] = "";
    if (s->net)
        return s->H->xError(s->ctx, NULL, SL_EINVAL, "already built");
    int rc = sp_net_new(&s->p, dt, n_steps, (uint64_t)seed, &s->net, msg,
                        sizeof msg);
    if (rc == -1)
        return s->H->xError(s->ctx, NULL, SL_ENOMEM, "out of memory "
                            "building the network of %u neurons", s->p.n);
    if (rc)
        return s->H->xError(s->ctx, NULL, SL_ECONFIG, "%s", msg);
    s->steps = n_steps;
    s->dt = dt;
    return SL_OK;
}

static size_t sim_probe_count(void *self)
{
    return ((sp_self *)self)->p.n_state ? 2 : 0;
}

static int sim_probe(void *self, size_t i, sl_probe_info *out)
{
    sp_self *s = self;
    if (i >= sim_probe_count(self) || !out)
        return SL_ENOTFOUND;
    out->name = i == 0 ? "v" : "I";
    out->dims = s->p.n_state;
    return SL_OK;
}

static int sim_run(void *self, uint64_t n, double *const *out)
{
    sp_self *s = self;
    sp_net_view v;
    if (!s->net)
        return s->H->xError(s->ctx, NULL, SL_EINVAL, "run before build");
    sp_net_info(s->net, &v);
    if (v.steps + n > s->steps)
        return s->H->xError(s->ctx, NULL, SL_EINVAL, "run past the %llu "
                            "steps built for", (unsigned long long)s->steps);
    sp_net_run(s->net, n, s->p.n_state ? out : NULL);
    return SL_OK;
}

static int sim_results(void *self, const double *const *data, uint64_t steps,
                       int (*emit)(void *user, const char *name,
                                   double value),
                       void *user)
{
    sp_self *s = self;
    (void)data;
    sp_net_view v;
    sp_net_info(s->net, &v);
    double T = (double)steps * v.dt;
    uint64_t total = 0;
    double cv_sum = 0.0;
    uint64_t cv_n = 0;
    for (uint32_t j = 0; j < v.n; j++) {
        total += v.cnt[j];
        if (v.cnt[j] >= 3) { /* Brian2's script: neurons with >= 3 spikes,
                                np.std (ddof 0) over mean of the ISIs */
            double m = (double)(v.cnt[j] - 1);
            double mean = (double)v.s1[j] / m;
            double var = v.s2[j] / m - mean * mean;
            cv_sum += sqrt(var > 0 ? var : 0) / mean;
            cv_n++;
        }
    }
    int rc;
    if ((rc = emit(user, "n_spikes", (double)total)) ||
        (rc = emit(user, "rate_hz", (double)total / ((double)v.n * T))) ||
        (rc = emit(user, "cv_isi_mean", cv_n ? cv_sum / (double)cv_n : NAN)) ||
        (rc = emit(user, "rec_syn_events", (double)v.rec_events)) ||
        (rc = emit(user, "synapses", (double)v.nnz)) ||
        (rc = emit(user, "connectivity_mib",
                   (double)v.conn_bytes / 1048576.0)) ||
        (rc = emit(user, "threads", (double)v.threads)))
        return rc;
    for (size_t q = 0; q < s->p.n_pops; q++) {
        const sp_pop *pp = &s->p.pops[q];
        uint64_t c = 0;
        for (uint32_t j = pp->lo; j < pp->hi; j++)
            c += v.cnt[j];
        char key[64];
        snprintf(key, sizeof key, "rate_%s_hz", pp->name);
        if ((rc = emit(user, key,
                       (double)c / ((double)(pp->hi - pp->lo) * T))))
            return rc;
    }
    /* population Fano factor of 1 ms counts after the first 100 ms (as
     * the peer's script) */
    uint64_t bin = (uint64_t)llround(1e-3 / v.dt);
    uint64_t skip = (uint64_t)llround(0.1 / v.dt);
    if (bin >= 1 && steps >= skip + 2 * bin) {
        double sum = 0.0, sq = 0.0;
        uint64_t nb = 0;
        for (uint64_t a = skip; a + bin <= steps; a += bin) {
            double c = 0.0;
            for (uint64_t i = a; i < a + bin; i++)
                c += v.per_step[i];
            sum += c;
            sq += c * c;
            nb++;
        }
        double mean = sum / (double)nb, var = sq / (double)nb - mean * mean;
        if (mean > 0 && (rc = emit(user, "pop_fano_1ms", var / mean)))
            return rc;
    }
    return SL_OK;
}

static int sim_arrays(void *self, uint64_t steps,
                      int (*emit)(void *user, const sl_sim_array *a),
                      void *user)
{
    sp_self *s = self;
    sp_net_view v;
    sp_net_info(s->net, &v);
    sl_sim_array a = {sizeof a, "spikes/events", SL_ARRAY_INT32, 2,
                      {(size_t)v.n_ev, 2}, v.ev, "1"};
    int rc;
    if (s->p.rec_spikes != 0 && (rc = emit(user, &a)))
        return rc;
    a.name = "spikes/count";
    a.ndim = 1;
    a.shape[0] = v.n;
    a.shape[1] = 0;
    a.data = v.cnt; /* uint32 counts < 2^31: the same bits as int32 */
    if ((rc = emit(user, &a)))
        return rc;
    a.name = "spikes/per_step";
    a.shape[0] = (size_t)steps;
    a.data = v.per_step;
    return emit(user, &a);
}

static int sim_check(void *self, double dt, uint64_t n_steps)
{
    sp_self *s = self;
    char msg[512];
    if (sp_budget(&s->p, dt, n_steps, msg, sizeof msg))
        return s->H->xError(s->ctx, "record.budget_mb", SL_ECONFIG, "%s",
                            msg);
    return SL_OK;
}

static const sl_simulate_v2_iface sp_sim = {
    sizeof(sl_simulate_v2_iface),
    {sizeof(sl_simulate_iface), sim_build, sim_probe_count, sim_probe,
     sim_run, sim_results},
    sim_arrays,
    sim_check,
};

static const void *sp_extension(void *self, const char *name)
{
    (void)self;
    if (name && !strcmp(name, SL_EXT_SIMULATE_V2))
        return &sp_sim;
    if (name && !strcmp(name, SL_EXT_SIMULATE))
        return &sp_sim.v1;
    return NULL;
}

static const sl_backend_iface sp_iface = {
    .struct_size = sizeof(sl_backend_iface),
    .flags = 0,
    .xCreate = sp_create,
    .xDestroy = sp_destroy,
    .xPlace = sp_place,
    .xExtension = sp_extension,
};

static const sl_setting sp_settings[] = {
    SL_SETTING(SL_SET_INT, "n", NULL, NULL,
               SL_BOUNDS(SL_SET_REQUIRED | SL_SET_MIN | SL_SET_MAX, 1, 2e8),
               "number of neurons (1 to 2e8)"),
    SL_SETTING(SL_SET_FLOAT, "tau_mem", "0.02", "s", SL_GT(0),
               "membrane time constant"),
    SL_SETTING(SL_SET_FLOAT, "tau_syn", "0.005", "s", SL_GT(0),
               "synaptic (current) time constant"),
    SL_SETTING(SL_SET_FLOAT, "v_threshold", "1.0", "1", SL_ANY,
               "spike when v > v_threshold (strict)"),
    SL_SETTING(SL_SET_FLOAT, "v_reset", "0.0", "1", SL_ANY,
               "v after a spike, held during t_ref"),
    SL_SETTING(SL_SET_FLOAT, "v_leak", "0.0", "1", SL_ANY,
               "resting potential (Brian2's v_rest)"),
    SL_SETTING(SL_SET_FLOAT, "t_ref", "0.002", "s", SL_MIN(0),
               "refractory period, round(t_ref/dt) steps"),
    SL_SETTING(SL_SET_FLOAT, "v_init_min", "0.0", "1", SL_ANY,
               "v(0) ~ U[v_init_min, v_init_max)"),
    SL_SETTING(SL_SET_FLOAT, "v_init_max", "1.0", "1", SL_ANY,
               "v(0) ~ U[v_init_min, v_init_max)"),
    SL_SETTING(SL_SET_STRING, "precision", "float64", NULL,
               SL_CHOICES("float64|float32"),
               "type of the state and the weights (Brian2: float64)"),
    SL_SETTING(SL_SET_INT, "threads", "1", NULL, SL_RANGE(1, 64),
               "threads, each a contiguous range of neurons; results are "
               "bit-identical for any count"),
    SL_SETTING(SL_SET_GROUP, "connect", NULL, NULL, SL_ANY,
               "the recurrent connectivity"),
    SL_SETTING(SL_SET_STRING, "connect.rule", "fixed_indegree", NULL,
               SL_CHOICES("fixed_indegree|fixed_outdegree|"
                          "fixed_probability|file"),
               "K distinct sources per target, K distinct targets per "
               "source, each pair with probability p, or index files"),
    SL_SETTING(SL_SET_INT, "connect.k", "100", NULL, SL_MIN(0),
               "in- or out-degree of the fixed_* rules"),
    SL_SETTING(SL_SET_FLOAT, "connect.p", "0.1", "1", SL_RANGE(0, 1),
               "probability of each pair (fixed_probability)"),
    SL_SETTING(SL_SET_BOOL, "connect.autapses", "false", NULL, SL_ANY,
               "allow i -> i"),
    SL_SETTING(SL_SET_STRING, "connect.indptr", NULL, NULL, SL_ANY,
               "rule file: .npy of n + 1 integer offsets (CSR by target)"),
    SL_SETTING(SL_SET_STRING, "connect.indices", NULL, NULL, SL_ANY,
               "rule file: .npy of the sources of each target, "
               "indices[indptr[j] .. indptr[j+1]) for target j"),
    SL_SETTING(SL_SET_LIST, "populations", NULL, NULL, SL_ANY,
               "( { name; from; to; weight; weight_sd = 0 }, ... ): "
               "source ranges [from, to), disjoint and covering all "
               "neurons; a synapse from the range jumps I by weight + "
               "weight_sd·N(0,1)"),
    SL_SETTING(SL_SET_GROUP, "poisson", NULL, NULL, SL_ANY,
               "external Poisson input, drawn on the fly"),
    SL_SETTING(SL_SET_INT, "poisson.sources", "0", NULL,
               SL_RANGE(0, 1e9), "independent sources per neuron (K_ext)"),
    SL_SETTING(SL_SET_FLOAT, "poisson.rate", "0.0", "Hz", SL_MIN(0),
               "rate of each source"),
    SL_SETTING(SL_SET_FLOAT, "poisson.weight", "0.0", "1", SL_ANY,
               "jump of I per external event"),
    SL_SETTING(SL_SET_GROUP, "record", NULL, NULL, SL_ANY,
               "what is stored (rates and CV are always computed)"),
    SL_SETTING(SL_SET_INT, "record.spikes", "-1", NULL, SL_MIN(-1),
               "store the spikes (neuron, step) of neurons 0 .. spikes-1 "
               "(-1: all, 0: none) as spikes/events.npy"),
    SL_SETTING(SL_SET_LIST, "record.state", NULL, NULL, SL_ANY,
               "[ neuron, ... ]: v and I of these neurons every step "
               "(probes v and I)"),
    SL_SETTING(SL_SET_FLOAT, "record.budget_mb", "2048.0", "MiB", SL_GT(0),
               "a recording that may need more memory is refused before "
               "the run"),
};

static const sl_component sp_components[] = {
    SL_COMPONENT(SL_KIND_BACKEND, "sparse_lif",
                 "large sparse LIF network with exponential synapses and "
                 "Poisson input (simulate mode)", &sp_iface, sp_settings),
};

static const sl_plugin_desc sp_desc =
    SL_PLUGIN_DESC("sparse", "0.1.0", "large sparse spiking networks: "
                   "random connectivity, event-driven propagation, spike "
                   "monitors", sp_components);

SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    return host && host->abi_major == SL_ABI_MAJOR ? &sp_desc : NULL;
}
