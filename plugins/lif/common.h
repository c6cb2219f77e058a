/*
 * plugins/lif/common.h — what the "lif" and "li" components of lif.so
 * share: the leaky membrane / exponential synapse settings, derived
 * constants, sequence shape, recorded observables and buffer management.
 *
 * Internal to lif.so: names carry the `lif__` prefix and stay hidden
 * (-fvisibility=hidden; the plugin exports only spikelab_plugin_init).
 *
 * Units: times in seconds; V and I are dimensionless "voltage units" as in
 * jaxsnn (I is a current expressed as the voltage it drives, there is no
 * separate resistance or capacitance), hence the observable unit "1".
 */
#ifndef SL_PLUGIN_LIF_COMMON_H
#define SL_PLUGIN_LIF_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"

/* The part of a layer both components have. Embedded as the first member
 * of each component's struct (SQLite style), so helpers take a lif__base*. */
typedef struct lif__base {
    const sl_host *host; /* borrowed, valid while the plugin is loaded */
    sl_ctx *ctx;         /* borrowed, valid from xCreate until xDestroy */
    size_t n;            /* neurons = input channels = output channels */

    /* settings (seconds, voltage units) */
    double dt, tau_mem, tau_syn;
    float v_leak;

    /* derived once at creation: Euler factors of the two leaks */
    float a_mem;   /* dt / tau_mem */
    float a_syn;   /* dt / tau_syn */
    float d_syn;   /* 1 - dt / tau_syn: synaptic decay per step */

    /* shape of the sequences since the last xPrepare */
    size_t batch, time;
    uint32_t mode;    /* SL_MODE_* of the last xPrepare */
    int prepared;     /* xPrepare succeeded */
    int have_forward; /* a forward ran since the last xPrepare */

    /* SL_MODE_RECORD buffers [batch][time][n]: V[n+1] and I[n+1] of each
     * step. Owned (host->xAlloc), capacities in floats. */
    float *rec_v, *rec_i;
    size_t cap_v, cap_i;

    int wide; /* the AVX2 build of forward/backward runs (LIF__WIDE) */
} lif__base;

/* flags of lif__base_init */
#define LIF__NO_SYN 1u /* no synaptic filter: tau_syn is not read (refused
                        * when set), tau_syn = 0, a_syn = 1, d_syn = 0 */
#define LIF__NO_LEAK 2u /* no membrane leak: tau_mem only scales the
                         * input, so dt < tau_mem is not required */
#define LIF__STABLE 4u /* the caller integrates exactly (no Euler
                        * stability condition dt < tau) */

/* Read and validate tau_mem, tau_syn, v_leak (and the layer shape: n,
 * info->n_in, info->dt) into b, and set the derived Euler constants;
 * flags: LIF__* above (0 for the jaxsnn model). Returns SL_OK or the
 * error recorded on ctx (SL_ECONFIG naming the key for a bad setting,
 * SL_EINVAL for a bad layer_info). */
int lif__base_init(lif__base *b, const sl_host *host, sl_ctx *ctx,
                   const sl_layer_info *info, unsigned flags);

/* Free what lif__base owns (the record buffers). */
void lif__base_free(lif__base *b);

/* Elements of one [batch][time][n] sequence, or 0 with an SL_ENOMEM error
 * recorded (via *status) when the product overflows. */
size_t lif__seq_elems(lif__base *b, size_t batch, size_t time, int *status);

/* Make *buf hold at least `need` floats (growing only; contents are not
 * kept). *buf is owned by the caller of this helper and freed with
 * host->xFree. Returns SL_OK or SL_ENOMEM recorded on ctx. */
int lif__ensure(lif__base *b, float **buf, size_t *cap, size_t need,
                const char *what);

/* The common part of xPrepare: validates the call, records the shape and
 * mode, allocates the record buffers when mode has SL_MODE_RECORD. *elems
 * receives batch*time*n for the component's own buffers. */
int lif__base_prepare(lif__base *b, size_t batch, size_t time, uint32_t mode,
                      size_t *elems);

/* Checks shared by xForward/xBackward: prepared, arguments non-NULL, and
 * for backward SL_MODE_TRAIN plus a preceding forward. Returns SL_OK or
 * SL_EINVAL recorded on ctx. */
int lif__check_forward(lif__base *b, const float *in, const float *out);
int lif__check_backward(lif__base *b, const float *dout);

/* Fill *out with a [batch][time][n] observable of unit "1" over data. */
/* Preconditions of SL_EXT_SUBSTITUTE shared by lif and li: a preceding
 * xForward in SL_MODE_TRAIN, and the measured membrane and output buffer
 * when there is anything to replace. SL_OK or the error reported. */
int lif__substitute_check(const lif__base *b, const float *v,
                          const float *out);

void lif__observable(const lif__base *b, const char *name, const float *data,
                     sl_observable *out);

/* SL_ENUMERIC recorded on ctx when a final state value is not finite (the
 * state carries any NaN/Inf produced during the sequence to its end). */
int lif__check_finite(lif__base *b, const float *v, const float *i);

/* The component tables (lif.c, li.c). */
extern const sl_neuron_iface lif__lif_iface;
extern const sl_neuron_iface lif__li_iface;

/* The two hot functions of each layer (forward and backward) are built
 * twice, for AVX2 and for the x86-64 baseline (SSE2), and each call takes
 * the AVX2 build when the CPU has it (lif__base.wide, decided at
 * creation; SPIKELAB_NO_AVX2=1 in the environment forces the baseline):
 * the element-wise loops then run 8 floats wide. Both give the same bits:
 * -ffp-contract=off forbids fused multiply-adds in both (AVX2 alone does
 * not include FMA), and every loop is an element-wise map whose operations
 * do not depend on the vector width (no float reduction is vectorised
 * without -ffast-math); tests/wide.sh trains with both and compares. The
 * body and the helpers it calls are inlined (LIF__INLINE) into both.
 * LIF__WIDE(name, body) defines `static int name(void *, const float *,
 * float *)` over `body` of the same signature. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SL_NO_WIDE)
#define LIF__HAVE_WIDE 1
#define LIF__WIDE(name, body)                                                 \
    __attribute__((target("avx2"))) static int name##_avx2(                   \
        void *s, const float *x, float *y)                                    \
    {                                                                         \
        return body(s, x, y);                                                 \
    }                                                                         \
    static int name##_base(void *s, const float *x, float *y)                 \
    {                                                                         \
        return body(s, x, y);                                                 \
    }                                                                         \
    static int name(void *s, const float *x, float *y)                        \
    {                                                                         \
        return ((const lif__base *)s)->wide ? name##_avx2(s, x, y)            \
                                            : name##_base(s, x, y);           \
    }
#else
#define LIF__HAVE_WIDE 0
#define LIF__WIDE(name, body)                                                 \
    static int name(void *s, const float *x, float *y) { return body(s, x, y); }
#endif
#define LIF__INLINE static inline __attribute__((always_inline))

#endif
