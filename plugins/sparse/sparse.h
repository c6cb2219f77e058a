/* plugins/sparse/sparse.h — large sparse LIF networks in the simulate
 * mode (the "sparse_lif" model component).
 *
 * Model, per neuron j (workload 1 of peers/README.md, Brian2's
 * `method='exact'`, current-based LIF with an exponential synapse):
 *   dv/dt = (v_leak - v + I) / tau_mem   (v frozen while refractory)
 *   dI/dt = -I / tau_syn
 * integrated exactly over dt with a_m = exp(-dt/tau_mem), a_s =
 * exp(-dt/tau_syn), b = tau_syn (a_s - a_m) / (tau_syn - tau_mem)
 * (b = a_m dt/tau_mem when the two are equal, the limit):
 *   v <- a_m v + b I + (1 - a_m) v_leak      (only if not refractory)
 *   I <- a_s I                               (always; the old I above)
 *
 * Order within step n (Brian2's default schedule, so that a spike in
 * step n first moves postsynaptic v in step n + 1):
 *   1. not_ref_j = (n - last_j >= R), R = round(t_ref / dt) steps;
 *   2. v (if not_ref) and I as above;
 *   3. threshold: fired_j = not_ref_j and v_j > v_th (strict), last_j = n;
 *   4. input of this step, in a fixed order: first the external Poisson
 *      count, I_j += w_ext k_j, then the recurrent spikes of the step by
 *      ascending source, I_j += w_ij;
 *   5. reset: v_j = v_reset for the fired.
 * (4 and 5 touch different variables; the code resets in 3.)
 *
 * External input: k_j ~ Binomial(K_ext, nu dt) independently per neuron
 * and step, drawn event-driven: the number of steps to the next non-zero
 * count is geometric with P(0) = (1 - nu dt)^K_ext, the count given that
 * it is non-zero is drawn by inversion of the truncated binomial; two
 * uniforms per non-zero step, none per empty step. The same
 * distribution per step as Brian2's PoissonInput (one inversion per
 * step), another sequence of numbers.
 *
 * Random numbers: counter-based (SplitMix64's output function over a
 * key and a counter), keyed by (run seed, purpose, neuron): every draw
 * depends only on the neuron (and step), never on which thread makes
 * it, so a run is bit-identical for any thread count.
 *
 * Threads: the neurons are cut into contiguous ranges, one per thread;
 * a thread updates its neurons and adds every spike's weight into ITS
 * targets only (one CSR-by-source per range), in the order of the
 * sources: each I_j receives the same additions in the same order for
 * any number of ranges. One barrier per step (the spike lists are
 * double-buffered by step parity).
 */
#ifndef SPARSE_H
#define SPARSE_H

#include <stddef.h>
#include <stdint.h>

#define SP_MAX_THREADS 64
#define SP_MAX_POPS 64

enum { SP_INDEGREE = 0, SP_OUTDEGREE = 1, SP_PROBABILITY = 2, SP_FILE = 3 };

/* a range of source neurons [lo, hi) and the weight of their synapses:
 * w + w_sd·N(0, 1) per synapse (w_sd 0: exactly w) */
typedef struct sp_pop {
    char name[33];
    uint32_t lo, hi;
    double w, w_sd;
} sp_pop;

typedef struct sp_params {
    uint32_t n;
    double tau_mem, tau_syn, v_th, v_reset, v_leak, t_ref; /* s, 1 */
    double v_init_lo, v_init_hi;
    int f32;      /* state in float32 instead of float64 */
    int threads;
    /* connectivity */
    int rule;
    uint32_t k;   /* in- or out-degree */
    double p;     /* connection probability */
    int autapses;
    sp_pop pops[SP_MAX_POPS];
    size_t n_pops;
    /* explicit connectivity (rule SP_FILE): CSR by target, borrowed from
     * the reader: src[row[j] .. row[j+1]) are the sources of target j */
    const uint64_t *file_row;
    const uint32_t *file_src;
    /* external Poisson input */
    uint32_t ext_k;
    double ext_rate, ext_w;
    /* recording */
    int64_t rec_spikes;   /* neurons 0 .. rec_spikes-1; -1 all */
    uint32_t *state_idx;  /* neurons whose v and I are probes (owned) */
    size_t n_state;
    double budget_mb;
} sp_params;

/* The synapses whose targets lie in one thread's range, by source:
 * targets of source i are tgt[off[i] .. off[i+1]). */
typedef struct sp_csr {
    uint64_t *off;   /* [n + 1] */
    uint32_t *tgt;   /* [nnz] */
    void *w;         /* [nnz] weights (double or float as the state), or
                        NULL: the weight of the source's population */
} sp_csr;

typedef struct sp_net sp_net;

/* Counter-based random numbers. */
static inline uint64_t sp_mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* draw c of the stream `key` */
static inline uint64_t sp_draw(uint64_t key, uint64_t c)
{
    return sp_mix(key + c * 0xd1b54a32d192ed03ULL);
}
static inline uint64_t sp_key(uint64_t base, uint64_t i)
{
    return sp_mix(base ^ sp_mix(i + 0x632be59bd9b4e019ULL));
}
/* uniform in [0, 1) */
static inline double sp_u01(uint64_t x)
{
    return (double)(x >> 11) * 0x1p-53;
}
/* uniform integer in [0, m), m > 0 (bias < m / 2^64) */
static inline uint64_t sp_below(uint64_t x, uint64_t m)
{
    return (uint64_t)(((unsigned __int128)x * m) >> 64);
}

/* Build the connectivity (connect.c): count, allocate and fill one CSR
 * per range [cut[t], cut[t+1]) of targets. Weights per synapse only when
 * a population has w_sd > 0 (as float or double). outdeg[n] receives
 * every source's out-degree. Deterministic from key alone. Returns 0,
 * or -1 without memory, or -2 with msg set (impossible parameters). */
int sp_connect(const sp_params *p, uint64_t key, const uint32_t *cut,
               int n_cut, sp_csr *csr, uint32_t *outdeg, uint64_t *nnz,
               char *msg, size_t msg_len);
void sp_csr_free(sp_csr *c);

/* Check a CSR-by-target index list of n targets (file_row[n + 1],
 * file_src[nnz]) read from a file: offsets increasing, sources < n, no
 * duplicate within a target, autapses only if allowed. 0 or -2 with msg
 * naming the first bad entry. */
int sp_check_file(const uint64_t *row, const uint32_t *src, uint32_t n,
                  uint64_t nnz, int autapses, char *msg, size_t msg_len);

/* Parse a .npy image of a 1-d integer array (int32, int64, uint32,
 * little-endian, C order) into a freshly malloc'd uint64 array *out of
 * *count values (caller frees). 0, or -1 without memory, or -2 with msg
 * (not a .npy file, another type, a negative value). No other decoder
 * reads the file: this is the one the fuzz harness drives. */
int sp_npy_ints(const unsigned char *b, size_t size, uint64_t **out,
                size_t *count, char *msg, size_t msg_len);

#endif
