/*
 * plugins/dynapsim/dynapsim.h — internals of dynapsim.so: the layer
 * struct, the parameter table, the kernels' entry points, and the
 * test-only extension "sl.dynapsim.debug" (the only part other code may
 * include: tests/test_dynapsim.c reads derived constants through it).
 *
 * Internal to dynapsim.so: names carry the `ds__` prefix and stay hidden
 * (-fvisibility=hidden; the plugin exports only spikelab_plugin_init).
 * The model, its units and every choice are described in dynapsim.c.
 */
#ifndef SL_PLUGIN_DYNAPSIM_H
#define SL_PLUGIN_DYNAPSIM_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"

/* ------------------------------------------------- test-only extension */

/* xExtension(self, SL_DYNAPSIM_DEBUG) returns a `const sl_dynapsim_debug *`
 * (static, never freed). Not a stable interface: it exists so that tests
 * can check derived quantities against the spec's reference values. */
#define SL_DYNAPSIM_DEBUG "sl.dynapsim.debug"

typedef struct sl_dynapsim_debug {
    uint32_t struct_size;
    /* Copy the per-neuron value called `name` into out[0..n) (n = the
     * layer's neurons). Names: every parameter of the layer after mismatch
     * ("Itau_syn", "C_mem", "kappa_n", ... , "Iscale" repeated),
     * "Io_nominal" (Io before mismatch: the initial currents), and the
     * derived quantities "kappa", "kappa_prime", "tau_syn", "tau_ahp",
     * "tau_mem" (at Ileak = Itau_mem'), "t_ref", "t_pulse", "t_pulse_ahp",
     * "f_charge", "f_discharge", "f_charge_ahp", "f_discharge_ahp" (as the
     * kernels use them: float32). SL_ENOTFOUND for an unknown name,
     * SL_EINVAL when n differs from the layer's size. */
    int (*xGet)(void *self, const char *name, double *out, size_t n);
    /* The spike function of the forward pass applied to imem[0..n) (A),
     * with neuron k's Ispkthr and max_spikes_per_dt: spikes[k]. */
    int (*xSpikes)(void *self, const float *imem, float *spikes, size_t n);
} sl_dynapsim_debug;

/* ----------------------------------------------------------- internals */

/* Per-neuron parameters of spec §2, in the order of the mismatch table
 * (spec §6): indices into ds__layer.par. */
enum {
    DS_IDC, DS_IF_NMDA, DS_IGAIN_AHP, DS_IGAIN_MEM, DS_IGAIN_SYN,
    DS_IPULSE_AHP, DS_IPULSE, DS_IREF, DS_ISPKTHR, DS_ITAU_AHP, DS_ITAU_MEM,
    DS_ITAU_SYN, DS_IW_AHP,
    /* the dendrite model's own synapse currents (synapses = "dendrites";
     * AMPA uses Itau_syn, Igain_syn, C_syn): specs/dynapse2_synapses.md
     * §3. The currents are the first DS_NCURP rows. */
    DS_ITAU_GABA, DS_IGAIN_GABA, DS_ITAU_NMDA, DS_IGAIN_NMDA,
    DS_ITAU_SHUNT, DS_IGAIN_SHUNT,
    DS_C_AHP, DS_C_SYN, DS_C_PULSE_AHP, DS_C_PULSE,
    DS_C_REF, DS_C_MEM, DS_IO, DS_KAPPA_N, DS_KAPPA_P, DS_UT, DS_VTH,
    DS_C_GABA, DS_C_NMDA, DS_C_SHUNT,
    DS_NPAR
};

/* Mismatch draw order (params.c): the 24 parameters of the merged model
 * in their historical order, then the dendrite model's 9, so that the
 * merged model's draws (and results) do not change. */
extern const int ds__mm_order[DS_NPAR];

/* Synapse types of the dendrite model, in the order of a typed input's
 * channels (spec §4: Rockpool 2022's [AMPA, GABA, NMDA, SHUNT]). */
enum { DS_AMPA, DS_GABA_B, DS_NMDA, DS_GABA_A, DS_NTYPES };

/* Per-neuron latches (0 or 1, not mismatched): spec §3 "Per-neuron
 * flags". */
enum { DS_LAT_AHP, DS_LAT_NMDA, DS_LAT_DC, DS_NLAT };

/* How each parameter is read and checked. */
typedef struct ds__pardef {
    const char *key;  /* config key, also the debug name */
    double def;       /* default (SI units) */
    int zero_ok;      /* 1: >= 0 allowed (Idc, If_nmda, Iw_ahp); else > 0 */
    const char *unit; /* for messages */
} ds__pardef;

extern const ds__pardef ds__pardefs[DS_NPAR];

/* Per-lane constants (lane = batch element · n + neuron), float32, the
 * per-neuron derived quantities replicated over the batch at xPrepare so
 * the kernels run one flat loop over lanes. One owned block. */
enum {
    DL_FD,    /* f_discharge (synapse) */
    DL_FC,    /* f_charge (synapse) */
    DL_KIN,   /* (Igain_syn'/Itau_syn')·Iscale: drive (1) → isyn_inf (A) */
    DL_IO,    /* Io (after mismatch) */
    DL_RIO,   /* 1/Io */
    DL_FDA,   /* f_discharge_ahp */
    DL_KAHP,  /* f_charge_ahp·(Igain_ahp'/Itau_ahp')·Iw_ahp: per spike */
    DL_ITM,   /* Itau_mem' */
    DL_RITM,  /* 1/Itau_mem' */
    DL_IGM,   /* Igain_mem' */
    DL_GMEM,  /* Igain_mem'/Itau_mem' */
    DL_IDC,   /* Idc */
    DL_KDT,   /* dt/((Ut/κ)·C_mem), 1/A·... (Euler factor of the membrane) */
    DL_GAM,   /* κ'/κ = κ/(κ+1): Ifb = Io·(imem_pre/Io)^γ */
    DL_GAMH,  /* γ rounded to 16 significant bits: γh·e is exact */
    DL_GAML,  /* γ − γh */
    DL_GAMLN, /* γ/ln 2 */
    DL_ISPK,  /* Ispkthr */
    DL_TREF,  /* t_ref (s) */
    DL_UTK,   /* Ut/κ (V): vmem = (Ut/κ)·ln(imem/Io) */
    DL_IO0,   /* Io before mismatch: initial iahp, imem, isyn */
    DL_LSPK,  /* log2(Ispkthr/Io): spike counts from log2(imem/Io) */
    /* dendrite model: FD, FC, KIN of GABA_B, NMDA, GABA_A (0 when the
     * type is disabled, so its current stays 0), their initial currents
     * (Io before mismatch, or 0 when disabled), If_nmda, nmda_en */
    DL_FDG, DL_FCG, DL_KING, DL_FDN, DL_FCN, DL_KINN, DL_FDS, DL_FCS,
    DL_KINS, DL_I0G, DL_I0N, DL_I0S, DL_IFN, DL_NEN,
    DL_COUNT
};

/* The currents exposed as parameters (spec §2 order): sl_param number
 * 1 + j (after w_rec, when recurrent) is ds__pardefs[ds__currents[j]]. */
enum { DS_NCUR = 13, DS_NCUR_D = 19, DS_NCURP = 19 };
extern const int ds__currents[DS_NCUR_D];

typedef struct ds__layer {
    const sl_host *host; /* borrowed, valid while the plugin is loaded */
    sl_ctx *ctx;         /* borrowed, valid from xCreate until xDestroy */
    size_t n;            /* neurons = input channels = output channels */
    double dt;           /* s (network setting) */

    /* settings */
    float *par[DS_NPAR]; /* per-neuron parameters after mismatch (owned,
                            one block parblock) */
    float *parblock;
    float *io0;          /* Io before mismatch, per neuron (in parblock) */
    /* nominal values (before mismatch) [DS_NPAR][n]: the currents
     * (indices < DS_NCUR in the DS_ enum) are the exposed parameters,
     * anyone may write them; seen = the nominal currents the derived
     * constants were last computed from; cgrad = their gradients
     * [DS_NPAR][n] (only the first DS_NCUR rows are used). One owned
     * block nomblock. fac: the construction mismatch factors (1 + σ·z)
     * [DS_NPAR][n], double so that par = (float)(nom·fac) rounds once */
    float *nom[DS_NPAR], *seen, *cgrad, *nomblock;
    double *fac;
    uint32_t train_mask; /* bit p: current p trainable (train_currents) */
    size_t dtk;          /* tape fields per row: DT_COUNT, or DT_COUNT_CG
                            with trainable currents */
    double iscale;       /* A per unit of drive (weight·input) */
    double percent_mismatch, sigma_rule;
    float max_spikes;    /* +inf by default */
    int smooth;          /* forward = "smooth" */
    float alpha;         /* sharpness of the smooth spike function */
    float reset_grad;    /* d b / d spikes at spike counts 0 and 1 */
    int recurrent;

    /* synapses = "dendrites" (0: "merged"); the types in use (bit k:
     * DS_AMPA..); typed input (4 channels per neuron, else 1: AMPA);
     * rec_mode: how w_rec reaches the dendrites (DS_REC_*), inh_type the
     * type of a negative weight with DS_REC_SIGN, rec_type [pre][post]
     * the explicit map (DS_REC_MAP, owned) */
    int dend;
    unsigned syn_en;
    int typed_in;
    int rec_mode, inh_type;
    unsigned char *rec_type;
    /* latches [DS_NLAT][n] (owned, one block) */
    float *lat;
    /* membrane Euler steps per time step (spec §2.6; 1 = one step of dt)
     * and the backward's scratch for them, [2·mem_substeps][DS_VL]
     * floats (owned) */
    int mem_substeps;
    float *sub;
    /* [DS_NTYPES][pre][post] effective non-negative (AMPA with
     * DS_REC_AMPA: signed) weights of each type, from w_rec at every
     * forward, and their gradient in the backward (owned) */
    float *wt, *gwt;

    /* per-neuron derived constants [DL_COUNT][n] (owned) */
    float *dn;

    /* recurrent weights [pre][post] and their gradient (owned, NULL
     * without recurrence) */
    float *w_rec, *g_rec;

    /* shape since the last xPrepare */
    size_t batch, time, lanes; /* lanes = batch·n */
    size_t vlanes;             /* lanes rounded up to the SIMD width; the
                                  padding lanes run on neuron 0's
                                  constants with zero input */
    uint32_t mode;
    int prepared, have_forward;

    /* [DL_COUNT][vlanes] lane constants, rebuilt when lanes change */
    float *lc;
    size_t cap_lc, lc_lanes;

    /* lane table [lanes] each, one owned block: lane_off = b·time·n + i
     * (where lane b·n + i finds its channel of step 0 in a
     * [batch][time][n] sequence), lane_base = b·n (its batch element's
     * first lane) */
    size_t *lane_off, *lane_base;
    size_t cap_lanetab;

    /* [DW_COUNT][vlanes] state and adjoint vectors, one owned block */
    float *work;
    size_t cap_work;

    /* tape [time][DT_COUNT][vlanes] (SL_MODE_TRAIN) plus one initial row
     * in front (the state before step 0, as a step -1), owned */
    float *tape;
    size_t cap_tape;

    /* observables [batch][time][n] (SL_MODE_RECORD): isyn, iahp, imem,
     * vmem, spikes; with dendrites also igaba, inmda, ishunt, g_nmda
     * (isyn is then called iampa); one owned block of 5 (9) sequences */
    float *rec;
    size_t cap_rec;
} ds__layer;

/* Fields of a tape row (per step, [DT_COUNT][lanes]): pre-reset imem,
 * iahp, Iin after mask and clip, Ifb used, isyn_inf unclipped (0/1),
 * spikes. See the backward in kernel.c. */
enum { DT_P, DT_H, DT_J, DT_F, DT_C, DT_S, DT_COUNT,
       /* with trainable currents also: isyn after the step, and the
        * synapse's clipped drive max(a, Io) */
       DT_I = DT_COUNT, DT_A, DT_COUNT_CG,
       /* the dendrite model always keeps all of the above and, per type
        * GABA_B (G), NMDA (N), GABA_A (S): the current after the step,
        * the drive-above-Io flag, the clipped drive; and the NMDA gate */
       DT_IG = DT_COUNT_CG, DT_IN, DT_IS, DT_CG, DT_CN, DT_CS, DT_AG,
       DT_AN, DT_AS, DT_GN, DT_COUNT_D };

/* w_rec to the dendrites: the signed sum into AMPA (as merged), by sign
 * (w > 0 AMPA, w < 0 inh_type with |w|), or by an explicit map (|w|). */
enum { DS_REC_AMPA, DS_REC_SIGN, DS_REC_MAP };

/* Work vectors of [lanes] floats each (state, adjoints, scratch). */
enum {
    DW_ISYN, DW_IAHP, DW_IMEM, DW_FB, DW_SP, DW_SPP, DW_TIMER, DW_DRV,
    DW_GI, DW_GH, DW_GA, DW_GP, DW_GSN, DW_GDRV, DW_DOUT,
    /* accumulated dL/d(lane constant) for trainable currents (kernel.c) */
    DW_AFD, DW_AIA, DW_AIAC, DW_AFDA, DW_AKAHP, DW_AITM, DW_ARITM,
    DW_AGMEM, DW_AIGM, DW_AIDC, DW_ASPK,
    /* dendrite model: states, drives, adjoints and accumulators of
     * GABA_B (G), NMDA (N), GABA_A (S) */
    DW_IG, DW_IN, DW_IS, DW_DRVG, DW_DRVN, DW_DRVS, DW_GG, DW_GN, DW_GS,
    DW_GDRVG, DW_GDRVN, DW_GDRVS,
    DW_AFDG, DW_AIAG, DW_AIACG, DW_AFDN, DW_AIAN, DW_AIACN, DW_AFDS,
    DW_AIAS, DW_AIACS, DW_AIFN,
    DW_COUNT
};

/* Read, validate and mismatch the parameters, compute the derived
 * constants (params.c). Returns SL_OK or an error recorded on ctx naming
 * the key. */
int ds__params_init(ds__layer *s);

/* Bring the derived constants (dn, and the lane constants lc when the
 * layer is prepared) up to date with the nominal currents, if anyone
 * wrote them since the last call: O(n), no allocation. Returns SL_OK, or
 * SL_ENUMERIC recorded on ctx for a non-finite current. Called at the
 * start of every xForward. */
int ds__params_refresh(ds__layer *s);

/* Replicate the per-neuron constants dn over the prepared lanes (lc). */
void ds__fill_lanes(ds__layer *s);

/* After a backward: turn the accumulated dL/d(lane constant) work vectors
 * into dL/d(nominal current), added to cgrad (params.c). */
void ds__current_grads(ds__layer *s);

/* Value of debug name `name` for neuron k into *out; SL_ENOTFOUND. */
int ds__param_value(const ds__layer *s, const char *name, size_t k,
                    double *out);

/* Kernels (kernel.c): one whole sequence, all batch elements at once.
 * Buffers are those set up by xPrepare; nothing is allocated. */
int ds__forward(ds__layer *s, const float *in, float *out);
void ds__backward(ds__layer *s, const float *dout, float *din);

/* w_rec to the per-type matrices wt, and their gradients back to g_rec
 * (dendrite model, kernel.c). */
void ds__rec_split(ds__layer *s);
void ds__rec_grad(ds__layer *s);

/* The spike function (same code as the forward's) for the debug route. */
void ds__spikes(const ds__layer *s, const float *imem, float *spikes,
                size_t n);

/* The component's table (dynapsim.c). */
extern const sl_neuron_iface ds__iface;

#endif
