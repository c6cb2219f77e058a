/*
 * plugins/dynapse2_export/d2.h — internals of dynapse2_export.so (names
 * `d2_`, hidden): the bias generator (paramgen.c), the weight quantiser
 * (quantise.c), the network → chip placement and the quantised network
 * (place.c), the JSON writer and reader (json.c, config.c). The component,
 * its settings and the choices made are described in plugin.c.
 */
#ifndef SL_PLUGIN_D2_H
#define SL_PLUGIN_D2_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dynapse2.h"

/* Chip geometry (specs/dynapse2_export.md §5.1). */
#define D2_MAX_CHIPS 4
#define D2_CORES 4           /* cores per chip */
#define D2_NEURONS 256       /* neurons per core */
#define D2_CAM 64            /* synapses (CAM entries) per neuron: fan-in */
#define D2_SRAM 4            /* destinations (SRAM entries) per neuron */
#define D2_TAGS 2048         /* 11-bit tags; 2047 is the runtime's */
#define D2_MAX_HOP 7
#define D2_MAX_CORES (D2_MAX_CHIPS * D2_CORES)

/* Dendrites (samna's enum values). */
enum { D2_DEN_NONE = 0, D2_DEN_SHUNT = 128, D2_DEN_NMDA = 256,
       D2_DEN_GABA = 512, D2_DEN_AMPA = 1024 };
/* Input entries are kept per chip dendrite: slot 0..3 = AMPA, GABA,
 * NMDA, SHUNT (the spec's type order; d2_slot), -1 for none. */
#define D2_SLOTS 4
int d2_slot(unsigned dendrite);
/* The chip dendrite of dynapsim synapse type k (0 AMPA, 1 GABA_B, 2
 * NMDA, 3 GABA_A; dynapse2_synapses.md §5 import rule), the two
 * inhibitory ones exchanged when swap (inh_roles = "rockpool2022"). */
unsigned d2_type_dendrite(int k, int swap);

/* The 13 DynapSim currents, in the spec's alphabetical order (§0), then
 * the dendrite model's own synapse currents (dynapse2_synapses.md §3,
 * §5a): GABA_B → DEGA, NMDA → DENM, GABA_A (shunt) → DESC; AMPA uses
 * Itau_syn/Igain_syn → DEAM. For a merged network they are copies of
 * Itau_syn/Igain_syn, so its export is unchanged. */
enum { D2_IDC, D2_IF_NMDA, D2_IGAIN_AHP, D2_IGAIN_MEM, D2_IGAIN_SYN,
       D2_IPULSE_AHP, D2_IPULSE, D2_IREF, D2_ISPKTHR, D2_ITAU_AHP,
       D2_ITAU_MEM, D2_ITAU_SYN, D2_IW_AHP, D2_NCUR_MERGED,
       D2_ITAU_GABA = D2_NCUR_MERGED, D2_IGAIN_GABA, D2_ITAU_NMDA,
       D2_IGAIN_NMDA, D2_ITAU_SHUNT, D2_IGAIN_SHUNT, D2_NCUR };
extern const char *const d2_cur_names[D2_NCUR];
extern const double d2_cur_defaults[D2_NCUR];

/* The 23 chip biases written per core (§4.4). `cur` is the current it
 * carries (D2_*), or -1 - k for the base weight Iw_k. */
#define D2_NBIAS 23
typedef struct d2_biasdef {
    const char *name;
    int type; /* 0 = 'N', 1 = 'P' */
    double scale;
    int cur;
} d2_biasdef;
extern const d2_biasdef d2_biases[D2_NBIAS];
/* index into d2_biases of the first bias carrying current `cur` */
int d2_bias_of_current(int cur);
/* cur with the GABA_B and GABA_A (shunt) currents exchanged when swap */
int d2_swap_cur(int cur, int swap);
int d2_bias_find(const char *name); /* -1 when unknown */
enum { D2_B_W0 = 19 };              /* SYAM_W0_P..SYAM_W3_P: 19..22 */
/* the four dendrite biases of Itau_syn and of Igain_syn (AMPA, GABA,
 * NMDA, SHUNT order) */
extern const int d2_tau_syn_bias[4], d2_gain_syn_bias[4];

/* ------------------------------------------------------ bias generator */

typedef struct d2_gen {
    double T[2][6][256]; /* current (A) at scale 1, [type][coarse][fine] */
    int exact;           /* 1: loaded from a table file; 0: fitted model */
} d2_gen;

/* Fill from the fitted model (paramgen.c, coefficients and error there). */
void d2_gen_model(d2_gen *g);
/* Load the exact table (specs §4.1 file format) from path. Errors name
 * the path and line through host/ctx (key "paramgen_table"). */
int d2_gen_load(d2_gen *g, const sl_host *h, sl_ctx *ctx, const char *path);

/* Open `path` for reading ("rb") only if it is a regular file of at most
 * `max` bytes: a FIFO would block the run, a device never end. Opened
 * non-blocking to find out, so even a FIFO returns at once. NULL on
 * refusal, with the error recorded through xError(ctx, key, ...) and its
 * status in *rc: SL_EIO (cannot open), SL_ECONFIG (not a regular file,
 * too large). The FILE is the caller's (fclose). */
FILE *d2_fopen_regular(const sl_host *h, sl_ctx *ctx, const char *key,
                       const char *path, size_t max, int *rc);
/* Current → (coarse, fine): global argmin over (C, F), C-major, first on
 * ties (§4.2). I must not be NaN. */
void d2_a2d(const d2_gen *g, int type, double scale, double I, int *C,
            int *F);
double d2_d2a(const d2_gen *g, int type, double scale, int C, int F);

/* ------------------------------------------------------------ quantiser */

/* Deterministic quantiser of §3.4 on a[0..M) (> 0): base weights c[4] and
 * masks m[0..M) (0..15), MSE in *mse. Returns the refits done, or
 * SL_ENOMEM. */
int d2_quantise(const double *a, size_t M, double c[4], uint8_t *m,
                double *mse);
/* The same objective from several starts, re-seeding base weights the
 * alternation left unused (quantise.c); MSE <= d2_quantise's. */
int d2_quantise_best(const double *a, size_t M, double c[4], uint8_t *m,
                     double *mse);
/* level of mask m: ((b0·c0 + b1·c1) + b2·c2) + b3·c3 */
double d2_level(const double c[4], unsigned m);

/* ------------------------------------------------------------ placement */

/* Everything the configuration holds, whether made from a network
 * (d2_place_network) or read from a file (d2_config_read): from it
 * d2_place_write gives the quantised network. */
typedef struct d2_place {
    size_t n_in, n;
    double iscale, dt;
    /* per neuron: chip, core, slot (global core g = chip·4 + core) */
    uint8_t *chip, *core;
    uint16_t *slot;
    uint8_t *latch_dc;
    /* dendrite model (dynapse2_synapses.md §5d): written only when dend;
     * read from every file */
    int dend;
    uint8_t *latch_ahp, *latch_nmda;
    /* inh_roles = "rockpool2022": GABA_B on the SHUNT dendrite (DESC),
     * GABA_A on GABA (DEGA); the file does not record it, the exporter's
     * setting does (d2_swap_cur) */
    int inh_swap;
    /* per global core (used when core_used[g]): bias codes, base weights
     * read back (A), the quantiser's figures */
    int core_used[D2_MAX_CORES];
    uint8_t coarse[D2_MAX_CORES][D2_NBIAS], fine[D2_MAX_CORES][D2_NBIAS];
    double code_c[D2_MAX_CORES][4]; /* quantiser's base weights (w units) */
    double core_mse[D2_MAX_CORES], core_mse_scaled[D2_MAX_CORES];
    size_t core_dropped[D2_MAX_CORES], core_conn[D2_MAX_CORES];
    /* masks (0..15) and dendrites: inputs [pre][post][D2_SLOTS], one
     * slot per chip dendrite (d2_slot: a typed input may reach a neuron
     * on several dendrites, spec §5), recurrent [pre][post] (a recurrent
     * connection has one type: its sign's or the type map's) */
    uint8_t *mask_in, *mask_rec;      /* [n_in][n][4], [n][n] */
    uint16_t *den_in, *den_rec;
    int has_rec;                      /* a w_rec exists */
    size_t n_chips;                   /* highest used chip + 1 */
    size_t n_cores;                   /* cores used */
} d2_place;

void d2_place_free(const sl_host *h, d2_place *p);
int d2_place_alloc(const sl_host *h, d2_place *p, size_t n_in, size_t n,
                   int has_rec);

/* Settings of the placement (plugin.c reads them). */
typedef struct d2_opts {
    int64_t chips;           /* chips available, 1..4 */
    int64_t neurons_per_core;/* 1..256 */
    int random;              /* clustering "random" (else "greedy") */
    int mean;                /* core_parameters "mean" (else "split") */
    int inh_swap;            /* inh_roles "rockpool2022" (else "spec") */
    int quantiser;           /* D2_Q_*: quantiser "spec", "restarts" */
} d2_opts;
enum { D2_Q_SPEC, D2_Q_RESTARTS };

/* The network as the view gives it (place.c). */
typedef struct d2_net {
    size_t n_in, n;
    const float *w_in;  /* [n_in][n] */
    const float *w_rec; /* [n][n] or NULL */
    double *cur;        /* [D2_NCUR][n], owned */
    double iscale, dt;
    /* synapses = "dendrites": negative w_rec go to neg_rec_den (GABA for
     * GABA_B, SHUNT for GABA_A); latches per neuron (owned) */
    int dend;
    unsigned neg_rec_den;
    uint8_t *lat_ahp, *lat_nmda;
    /* latch_so_dc per neuron (dc_en of either model; owned) */
    uint8_t *lat_dc;
    /* input_synapses = "typed": w_in is [n_in][4·n], column 4·j + k for
     * neuron j, type k (AMPA, GABA_B, NMDA, GABA_A) */
    int typed_in;
    /* rec_synapses = a type map: rec_map [pre][post] the type 0..3 of
     * each recurrent connection, which then carries |w| (owned; NULL
     * otherwise) */
    uint8_t *rec_map;
} d2_net;

/* Read and check a view (linear → dynapsim). Errors through host/ctx. */
int d2_net_read(const sl_host *h, sl_ctx *ctx, const sl_network_view *v,
                d2_net *net);
void d2_net_free(const sl_host *h, d2_net *net);

/* Cluster, allocate, quantise and check every limit; fills *p (allocated
 * here; free with d2_place_free) and the error-figures of *st. */
int d2_place_network(const sl_host *h, sl_ctx *ctx, const d2_gen *g,
                     const d2_opts *o, const d2_net *net, d2_place *p,
                     d2_stats *st);
/* Check the placement against every chip limit (fan-in, fan-out, tags,
 * hops, slots); used for placements read from a file as well. */
int d2_place_check(const sl_host *h, sl_ctx *ctx, const d2_place *p,
                   const char *what);
/* Write the quantised network into the view out (its weight, w_rec and
 * current tensors). *skipped: currents out has no tensor for. */
int d2_place_write(const sl_host *h, sl_ctx *ctx, const d2_gen *g,
                   const d2_place *p, const sl_network_view *out,
                   size_t *skipped);
/* The quantised weight of mask m, dendrite d on a core with base weights
 * Iw[4] (A): sign·(((Iw0·b0 + Iw1·b1) + Iw2·b2) + Iw3·b3)/Iscale. */
double d2_weight(unsigned m, unsigned dendrite, const double Iw[4],
                 double iscale);
/* Base weights (A) of global core gc as the chip has them. */
void d2_core_iw(const d2_gen *g, const d2_place *p, size_t gc, double Iw[4]);

/* ---------------------------------------------------------- JSON files */

/* Write the configuration (specs §6.3) to path. */
int d2_config_write(const sl_host *h, sl_ctx *ctx, const d2_place *p,
                    const d2_gen *g, const char *path);
/* Read a configuration into *p (allocated; d2_place_free). */
int d2_config_read(const sl_host *h, sl_ctx *ctx, const char *path,
                   d2_place *p);

#endif
