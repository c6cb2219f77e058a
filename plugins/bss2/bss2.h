/*
 * plugins/bss2/bss2.h — internals of bss2.so, the emulated BrainScaleS-2
 * (HICANN-X) chip backend: the backend state, one placed neuron layer, and
 * the functions the three source files share. Documentation of the model
 * and of every setting: plugin.c. Names carry the `bss2__` prefix and stay
 * hidden (-fvisibility=hidden; the plugin exports only
 * spikelab_plugin_init).
 */
#ifndef SL_PLUGIN_BSS2_H
#define SL_PLUGIN_BSS2_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"
#include "spikelab/slaux_event.h" /* the exact event model */

/* Chip geometry (specs/bss2.md §3): 512 neuron circuits in two halves of
 * 256; each half a synapse matrix of 256 rows × 256 neuron columns. */
#define BSS2_NEURONS 512
#define BSS2_HALVES 2
#define BSS2_COLS_PER_HALF 256
#define BSS2_ROWS_PER_HALF 256
#define BSS2_W_MAX 63 /* 6-bit synapse weight 0..63 */
/* Spec open question 3: every presynaptic source takes one excitatory and
 * one inhibitory row in each half holding its targets, so a neuron can
 * have at most 256 / 2 = 128 sources. */
#define BSS2_MAX_FAN_IN (BSS2_ROWS_PER_HALF / 2)

/* Normal deviates of the temporal noise: an inverse-CDF table of
 * 2^12 equiprobable levels (see run.c). */
#define BSS2_NORM_BITS 12
#define BSS2_NORM_SIZE (1u << BSS2_NORM_BITS)

/* Fixed-pattern factors per physical neuron, drawn once per chip (seed). */
enum {
    FP_TAU_MEM,
    FP_TAU_SYN,
    FP_THRESHOLD,
    FP_LEAK,
    FP_GAIN_EXC,
    FP_GAIN_INH,
    FP_COUNT
};

/* One neuron layer (lif or li) placed on the chip, with the linear layer
 * before it whose weights it receives. */
typedef struct bss2__layer {
    size_t view;     /* index of the neuron layer in the network view */
    size_t lin;      /* index of its linear layer */
    size_t widx;     /* index of the linear layer's "weight" parameter */
    size_t n_in, n;  /* sources, neurons */
    int spiking;     /* lif: 1; li: 0 (readout, threshold never reached) */

    /* nominal settings read from the layer (model units, seconds) */
    double tau_mem, tau_syn;
    float v_th, v_leak, v_reset;
    float span; /* model units of leak→threshold: v_th − v_leak (lif),
                   li_range (li) */

    /* placement: neurons [0, n_half0) sit in half `half0` from column
     * col0, the rest in the other half from column col1 */
    int half0;
    size_t n_half0, col0, col1;

    /* per-neuron values after fixed-pattern variation; one owned block */
    float *block;
    float *a_mem;    /* dt / tau_mem */
    float *d_syn;    /* 1 − dt / tau_syn */
    float *th;       /* threshold */
    float *leak;     /* leak potential (also V[0]) */
    float *g_exc;    /* current jump per LSB, excitatory row */
    float *g_inh;    /* current jump per LSB, inhibitory row */
    float *sigma;    /* temporal membrane noise σ (model units) */
    float *v, *cur;  /* state during a run */
    float *xe, *xi;  /* summed LSB of the step's exc / inh events */
    float *ref;      /* refractory steps left */
    float *nrm;      /* normal deviates of this step */

    /* quantised weights [n_in][n] in LSB, both 0..63: exc and inh rows */
    float *w_exc, *w_inh;

    /* membrane clip (the analog range the CADC can represent) */
    float v_lo, v_hi;
    /* readout: lsb = adc_leak + adc_scale·(v − v_leak), rounded and
     * clipped to 0..adc_max, mapped back */
    float adc_leak, adc_scale, adc_max;

    /* event mode (lif_event layers, evrun.c): per-neuron models with the
     * fixed pattern applied (tau_mem, tau_syn, threshold), exc / inh gain
     * factors, the effective weights of this run [n_in][n] (current jump
     * per input spike in model units), the per-run thresholds, the event
     * work space and the recorded spike times [batch][time][n]; owned */
    lev__model *em;
    double *ev_fe, *ev_fi, *ev_th, *ev_u, *ev_i, *ev_tl, *ev_nx, *ev_rel;
    float *ev_w;
    float *times;
    size_t *ev_cnt;

    /* recorded traces of the last run [batch][time][n]; owned */
    float *vmem, *spk, *spk_rep;
    size_t cap; /* floats of each */
} bss2__layer;

typedef struct bss2 {
    const sl_host *host;
    sl_ctx *ctx;

    /* settings (plugin.c documents them) */
    int ideal;
    int bio;              /* time = "bio": times are 1000× slower */
    double weight_scale;  /* software weight → LSB */
    double gain;          /* current jump per LSB (model units) */
    int adc;              /* ADC_* */
    double cadc_leak, cadc_threshold, madc_leak, madc_threshold;
    double li_range;
    double noise;         /* σ as a fraction of the span */
    double fp[FP_COUNT];  /* σ of the fixed-pattern factors */
    int fixed_pattern;
    int membrane_clip;
    double spike_grid;    /* chip seconds; 0 = off */
    double refractory;    /* experiment time units */
    int weight_quant;     /* round and clip to 6 bit (off: float·scale) */
    /* event mode (evrun.c) */
    double threshold_noise; /* trial-to-trial σ, fraction of the span */
    double jitter, jitter_bias; /* recorded spike times: N(bias, σ²), s */
    double input_latency, spike_time_offset; /* chip s */

    /* per chip: N(0,1) draws of every physical neuron's factors */
    float fp_draw[BSS2_NEURONS][FP_COUNT];

    /* temporal noise: own xoshiro256** state seeded from the host stream
     * "temporal_noise" at creation, advanced run after run */
    uint64_t rng[4];
    float norm_table[BSS2_NORM_SIZE];

    /* the placed network */
    int placed;
    int events;           /* lif_event layers: spike times in and out */
    lev__in *ev_in;       /* one sample's sorted events (largest layer) */
    size_t ev_in_cap;
    size_t n_view_layers; /* layers of the view it was placed from */
    size_t n_in;          /* input channels */
    double dt;            /* network dt (experiment units) */
    size_t ref_steps;     /* refractory in steps */
    size_t n_layers;
    bss2__layer *layers;  /* owned array of n_layers */
    size_t *view_to_layer;/* [n_view_layers] → index+1, 0 for linear */
    size_t total_neurons;
    size_t rows_used[BSS2_HALVES], cols_used[BSS2_HALVES];

    /* spike-time grid: step → step an event is stamped in (run.c) */
    int remap;            /* grid coarser than dt: events merge */
    size_t *step_map;
    size_t cap_map;

    /* last run */
    int have_run;
    size_t batch, time;
} bss2;

enum { ADC_OFF, ADC_CADC, ADC_MADC };

/* place.c */
int bss2__place(void *self, const sl_network_view *net);
void bss2__free_layers(bss2 *s);

/* evrun.c */
int bss2__place_events(bss2 *s, const sl_network_view *net);
int bss2__run_events(bss2 *s, const sl_network_view *net,
                     const sl_seq *input, sl_seq *output);
int bss2__trace_events(bss2 *s, size_t layer, size_t idx, sl_observable *out);

/* run.c */
void bss2__fill_normals(bss2 *s, float *out, size_t n);
void bss2__norm_table(float *table);
void bss2__rng_seed(bss2 *s, sl_rng *from);
int bss2__run(void *self, const sl_network_view *net, const sl_seq *input,
              sl_seq *output);
int bss2__trace(void *self, size_t layer, size_t idx, sl_observable *out);

#endif
