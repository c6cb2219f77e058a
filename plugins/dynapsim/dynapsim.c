/*
 * plugins/dynapsim/dynapsim.c — component "dynapsim": the Dynap-SE2
 * neuron/synapse circuit model as simulated by Rockpool's DynapSim
 * (specs/dynapsim.md, commit 42cee1c9 of Rockpool), with BPTT.
 *
 * A layer of N neurons, N = the input channels: the input u[b][t][i] is
 * one real "drive" per neuron and step (the preceding `linear` layer's
 * output, weights × input spikes); it becomes a current u·Iscale. Per
 * neuron: one combined DPI synapse (isyn), an adaptation current (iahp),
 * the membrane current (imem) with the positive feedback of the previous
 * step's voltage, spike counts, reset to Io and a refractory period. All
 * currents in A, capacitances in F, voltages in V, times in s. The time
 * step and its derivative are in kernel.c (header comment); the
 * parameters, mismatch and derived quantities in params.c.
 *
 * Settings (keys of the layer's group; each current/capacitance/layout
 * constant is a scalar or a list of one value per neuron):
 *   currents (A): Itau_syn 8.687943e-11, Igain_syn 8.687943e-9,
 *     Itau_mem 5.319149e-12, Igain_mem 2.127660e-11, Itau_ahp 2.836879e-11,
 *     Igain_ahp 2.836879e-11, Iw_ahp 5e-13, Ipulse 3.5e-8, Ipulse_ahp
 *     3.5e-7, Iref 1.05e-9, Ispkthr 1e-7, Idc 5e-13, If_nmda 5e-13 (read,
 *     mismatched, unused: the combined synapse has no NMDA gate), Io 5e-13
 *   capacitances (F): C_ahp 40e-12, C_syn 24.5e-12, C_pulse_ahp 0.5e-12,
 *     C_pulse 0.5e-12, C_ref 1.5e-12, C_mem 3e-12
 *   layout: kappa_n 0.75, kappa_p 0.66, Ut 25e-3 V, Vth 0.7 V
 *   Iscale 1e-8 A (scalar): current of a unit drive
 *   n                  optional, must equal the input channels
 *   recurrent          false; true adds "w_rec" [pre][post], init uniform
 *                      ±w_rec_scale·sqrt(6/N) (w_rec_scale 1.0) from the
 *                      layer's stream "w_rec"
 *   max_spikes_per_dt  +inf (absent); an integer >= 1 caps the count
 *   percent_mismatch   0; p > 0 multiplies every listed parameter of
 *                      every neuron by (1 + (p/mismatch_sigma_rule)·z),
 *                      z ~ N(0,1) from the stream "mismatch" (spec §6)
 *   mismatch_sigma_rule 3
 *   reset_grad         0.5: d(reset switch)/d(spikes) at counts 0 and 1
 *                      (what JAX's clip gives at its ties; 0 detaches
 *                      the reset from the gradient)
 *   forward            "step_pwl" (default) | "smooth" (see kernel.c)
 *   alpha              4: sharpness of the smooth spike function
 *   train_currents     [] (a list of current names, or one name as a
 *                      string): the currents the optimizer trains, see
 *                      "Parameters" below
 * Ipulse, Ipulse_ahp, Iref and Ispkthr must be >= Io (a pulse, refractory
 * or threshold current below the dark current is refused, not clamped).
 * The network's dt is the simulation step (Rockpool's dt = 1e-3 s).
 *
 * Parameters (xParams), in this order: "w_rec" [n][n] (only with
 * recurrent; SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT), then the 13 currents
 * of spec §2, each a [n] vector (ndim 1) named as the setting: Itau_syn,
 * Igain_syn, Itau_mem, Igain_mem, Itau_ahp, Igain_ahp, Iw_ahp, Ipulse,
 * Ipulse_ahp, Iref, Ispkthr, Idc, If_nmda. A current's data is its
 * NOMINAL per-neuron value in A (the setting, before percent_mismatch);
 * the layer keeps the construction mismatch factors (1 + σ·z) and uses
 * nominal × factor. Anyone may write a current's data (an optimizer, an
 * exporter, a test): the derived quantities of spec §3 are recomputed at
 * the start of the next xForward when any current changed (a comparison
 * with the values last used, O(n); no allocation). flags are
 * SL_PARAM_TRAINABLE, with a gradient array, for the names in
 * train_currents, else 0 with grad NULL. Trainable: every current but
 * If_nmda (unused), Iref (the refractory mask is a constant: spec §5) and,
 * with step_pwl, Ispkthr (spec §5: no gradient to the threshold; the
 * smooth forward has one); naming those is an error that says why.
 * Gradients are exact through spec §3/§4 (params.c ds__current_grads,
 * kernel.c bwd_lanes), dL/d(nominal) = dL/d(used value)·factor.
 * Positivity: where used, every current is max(nominal × factor, bound),
 * bound = the neuron's Io for Itau/Igain (spec §3's clip) and for
 * Ipulse, Ipulse_ahp, Iref, Ispkthr, and 0 for Idc and Iw_ahp; so an
 * optimizer that drives a current to or below its bound gets the bound
 * (never a sign flip, a division by 0 or the log of a negative) and a
 * gradient of exactly 0 there: the current stays stuck at the bound
 * unless something else moves it. A non-finite current stops the next
 * xForward with SL_ENUMERIC naming it. Currents are in A: an optimizer
 * step must be of that scale (Adam moves a parameter by ~lr per step;
 * lr 1e-3 would add a milliampere).
 *
 * Synapse model (specs/dynapse2_synapses.md):
 *   synapses           "merged" (default): one combined synapse, as
 *                      Rockpool at 42cee1c9 simulates, bit for bit as
 *                      before; "dendrites": the chip's four dendrites,
 *                      AMPA (Itau_syn, Igain_syn, C_syn), GABA_B
 *                      (subtractive: Itau_gaba, Igain_gaba, C_gaba), NMDA
 *                      (gated by imem/(imem + If_nmda): Itau_nmda, ...),
 *                      GABA_A (shunting, adds to the AHP in every membrane
 *                      term: Itau_shunt, ...); kernel.c fwd_lanes_d
 *   input_synapses     "ampa": one input channel per neuron, into AMPA;
 *                      "typed": 4 per neuron [neuron][AMPA, GABA_B, NMDA,
 *                      GABA_A] (the preceding linear layer's n_out = 4·n)
 *   rec_synapses       "sign" (w > 0 AMPA, w < 0 `inhibitory` with |w|),
 *                      "ampa" (the signed sum into AMPA, as merged), or n·n
 *                      type names [pre][post] ("ampa", "gaba_b", "nmda",
 *                      "gaba_a"; the weight's magnitude |w|)
 *   inhibitory         "gaba_b" | "gaba_a": the dendrite of negative w_rec
 *   mem_substeps       1: membrane Euler steps per time step (Q8 below)
 *   ahp_en, dc_en      latches (latch_so_adaptation, latch_so_dc), both
 *                      models; nmda_en (latch_denm_nmda), dendrites only.
 *                      0 or 1 per neuron, default 1; with dendrites they
 *                      are also parameters (not trainable) "ahp_en",
 *                      "nmda_en", "dc_en" after the currents, so that an
 *                      exporter reads and writes them.
 * With dendrites the parameters are w_rec, the 13 currents, Itau_gaba,
 * Igain_gaba, Itau_nmda, Igain_nmda, Itau_shunt, Igain_shunt (all
 * trainable, If_nmda too), then the latches; observables iampa (in the
 * merged isyn's place), iahp, imem, vmem, spikes, igaba, inmda, ishunt,
 * g_nmda.
 * Choices on dynapse2_synapses.md §7 (each tested in test_dynapsim.c):
 *  Q1 GABA_B (chip DEGA) subtracts, GABA_A (DESC) shunts; the exporter
 *     maps them so, or swapped with its inh_roles = "rockpool2022". Q2 nmda_en = 0: the gate is 1 (NMDA acts as a slow
 *     AMPA). Q7 the gate uses the carried, post-reset imem (closed for a
 *     step after a spike), so its gradient passes the previous reset.
 *  Q8 one Euler step by default (faithful): beyond Ish ~ 3e-11 A it
 *     oscillates, as the spec's R8 says; mem_substeps = n (dendrites
 *     only, 1..1000) takes n membrane steps of dt/n, Ifb refreshed after
 *     each, the synaptic currents and the refractory mask frozen; its
 *     backward recomputes the sub-steps (no extra tape). Q9 a type is enabled when it can receive drive
 *     (AMPA always; all four with typed input; the inhibitory type with
 *     rec_synapses = "sign"; the types a map names); enabled types start
 *     at Io, disabled ones hold 0 (so AMPA only is the merged model bit
 *     for bit). Mismatch draws the 9 new parameters after the merged
 *     model's 24 (unchanged draws). The signed split gives 0.5 to each
 *     side at w = 0; |w| of a type map has derivative 0 there.
 *  Weights of a type map or of the split are not projected to >= 0 by an
 *  optimizer step: the split routes by sign, the map uses |w|.
 * Choices on the spec's open questions (dynapsim.md §9):
 *  1. One combined synapse by default, as Rockpool at 42cee1c9 simulates
 *     (the four types: synapses = "dendrites", above).
 *  2. Ifb uses the pre-reset vmem of the previous step (faithful): after
 *     a spike the high voltage feeds back during the refractory step.
 *  3. Negative drive is cut at Io in the synapse: a step whose summed
 *     drive (input weights × inputs + w_rec × spikes) is negative leaves
 *     isyn to decay, so negative weights only cancel positive ones, and
 *     no gradient passes that step (faithful; it is how the model is).
 *  4. float32 state and constants; the derived constants are computed in
 *     double and rounded once (params.c). The gradient check uses a smooth
 *     forward against a double-precision reference (tests).
 *  5. Gradients are tiny (A-scale currents, surrogate 1 per ampere); no
 *     rescaling here, so Adam with eps 1e-8 sees Rockpool's regime.
 *  6. Data are the project's own frozen-noise streams (not NumPy's).
 * Gradient details (spec §5): step_pwl's surrogate is 1 per ampere where
 * imem > Io, 0 at Io; clips pass the gradient only strictly above their
 * bound; the refractory mask and timer are constants; the reset
 * imem = (1 − b)·imem + b·Io backpropagates with db/ds = reset_grad.
 *
 * Observables (SL_MODE_RECORD), [batch][time][n]: isyn, iahp, imem (A,
 * imem after the reset), vmem (V, before the reset, as carried to the
 * next step), spikes (counts). The extension "sl.dynapsim.debug"
 * (dynapsim.h) exposes parameters and derived constants to tests.
 * Weight mismatch during training (spec §6) is the core's (train.mismatch
 * acts on every SL_PARAM_WEIGHT tensor, w_rec included; the currents are
 * not weights); the frozen mismatch of the circuit parameters is this
 * layer's (percent_mismatch).
 * An instance works on its own buffers: one call at a time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dynapsim.h"
#include "vec.h"

/* ------------------------------------------------------------ lifecycle */

static void ds_destroy(void *self_)
{
    ds__layer *s = self_;
    if (s == NULL)
        return;
    const sl_host *h = s->host;
    h->xFree(s->parblock);
    h->xFree(s->nomblock);
    h->xFree(s->fac);
    h->xFree(s->w_rec);
    h->xFree(s->g_rec);
    h->xFree(s->lc);
    h->xFree(s->work);
    h->xFree(s->lane_off);
    h->xFree(s->tape);
    h->xFree(s->rec);
    h->xFree(s->lat);
    h->xFree(s->sub);
    h->xFree(s->wt);
    h->xFree(s->gwt);
    h->xFree(s->rec_type);
    h->xFree(s);
}

static const char *const ds_type_names[DS_NTYPES] = {"ampa", "gaba_b",
                                                      "nmda", "gaba_a"};

static int type_of(const char *name)
{
    for (int k = 0; k < DS_NTYPES; k++)
        if (strcmp(name, ds_type_names[k]) == 0)
            return k;
    return -1;
}

/* synapses and input_synapses: read before the layer's size is known,
 * since a typed input has 4 channels per neuron. */
static int ds_synapse_model(const sl_host *h, sl_ctx *ctx, int *dend,
                            int *typed)
{
    const char *v;
    int rc;
    if ((rc = h->xGetString(ctx, "synapses", "merged", &v)) < 0)
        return rc;
    if (strcmp(v, "merged") == 0)
        *dend = 0;
    else if (strcmp(v, "dendrites") == 0)
        *dend = 1;
    else
        return h->xError(ctx, "synapses", SL_ECONFIG,
                         "synapses = \"%s\" is not known: use \"merged\" "
                         "(one combined synapse, Rockpool's) or "
                         "\"dendrites\" (AMPA, NMDA, GABA_B, GABA_A)",
                         v);
    if ((rc = h->xGetString(ctx, "input_synapses", "ampa", &v)) < 0)
        return rc;
    if (strcmp(v, "ampa") == 0)
        *typed = 0;
    else if (strcmp(v, "typed") == 0)
        *typed = 1;
    else
        return h->xError(ctx, "input_synapses", SL_ECONFIG,
                         "input_synapses = \"%s\" is not known: use "
                         "\"ampa\" (one drive per neuron) or \"typed\" (4 "
                         "per neuron: AMPA, GABA_B, NMDA, GABA_A)",
                         v);
    if (!*dend && h->xHasKey(ctx, "input_synapses"))
        return h->xError(ctx, "input_synapses", SL_ECONFIG,
                         "input_synapses only applies with synapses = "
                         "\"dendrites\"");
    return SL_OK;
}

/* How w_rec reaches the dendrites (rec_synapses, inhibitory), which
 * types are in use, and the latches. */
static int ds_dendrites(ds__layer *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const size_t n = s->n;
    const char *v;
    int rc;

    /* the latches and, behind them, the values derive() last saw */
    s->lat = h->xAlloc(2 * (size_t)DS_NLAT * n * sizeof(float));
    if (s->lat == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate latches");
    static const char *const latkey[DS_NLAT] = {"ahp_en", "nmda_en",
                                                "dc_en"};
    for (int k = 0; k < DS_NLAT; k++) {
        float *L = s->lat + (size_t)k * n;
        if ((rc = h->xGetFloatVec(ctx, latkey[k], 1.0, L, n)) < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (L[i] != 0.0f && L[i] != 1.0f)
                return h->xError(ctx, latkey[k], SL_ECONFIG,
                                 "%s is a latch: 0 (off) or 1 (on) per "
                                 "neuron (got %g for neuron %zu)",
                                 latkey[k], (double)L[i], i);
    }
    memcpy(s->lat + (size_t)DS_NLAT * n, s->lat,
           (size_t)DS_NLAT * n * sizeof(float));
    if (!s->dend && h->xHasKey(ctx, "nmda_en"))
        return h->xError(ctx, "nmda_en", SL_ECONFIG,
                         "nmda_en only applies with synapses = "
                         "\"dendrites\" (the merged synapse has no NMDA "
                         "gate)");

    int64_t ms = 1;
    if ((rc = h->xGetInt(ctx, "mem_substeps", 1, &ms)) < 0)
        return rc;
    if (ms < 1 || ms > 1000)
        return h->xError(ctx, "mem_substeps", SL_ECONFIG,
                         "mem_substeps must be 1..1000 (got %lld)",
                         (long long)ms);
    if (!s->dend && ms != 1)
        return h->xError(ctx, "mem_substeps", SL_ECONFIG,
                         "mem_substeps only applies with synapses = "
                         "\"dendrites\"");
    s->mem_substeps = (int)ms;
    s->sub = h->xAlloc(2 * (size_t)ms * DS_VL * sizeof(float));
    if (s->sub == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate scratch");
    s->syn_en = 1u << DS_AMPA;
    if (s->typed_in)
        s->syn_en = (1u << DS_NTYPES) - 1;
    static const char *const rkeys[] = {"rec_synapses", "inhibitory"};
    for (size_t k = 0; k < 2; k++)
        if ((!s->dend || !s->recurrent) && h->xHasKey(ctx, rkeys[k]))
            return h->xError(ctx, rkeys[k], SL_ECONFIG,
                             "%s only applies with synapses = "
                             "\"dendrites\" and recurrent = true",
                             rkeys[k]);
    if (!s->dend || !s->recurrent)
        return SL_OK;

    if ((rc = h->xGetString(ctx, "inhibitory", "gaba_b", &v)) < 0)
        return rc;
    s->inh_type = type_of(v);
    if (s->inh_type != DS_GABA_B && s->inh_type != DS_GABA_A)
        return h->xError(ctx, "inhibitory", SL_ECONFIG,
                         "inhibitory = \"%s\": negative weights go to "
                         "\"gaba_b\" (subtractive) or \"gaba_a\" "
                         "(shunting)",
                         v);
    const size_t nn = n * n;
    s->wt = h->xAlloc((size_t)DS_NTYPES * nn * sizeof(float));
    s->gwt = h->xAlloc((size_t)DS_NTYPES * nn * sizeof(float));
    if (s->wt == NULL || s->gwt == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "cannot allocate the typed w_rec");
    /* a string (one mode) or a list of n·n type names [pre][post] */
    if (!h->xHasKey(ctx, "rec_synapses") ||
        h->xGetString(ctx, "rec_synapses", "sign", &v) == SL_OK) {
        if (!h->xHasKey(ctx, "rec_synapses"))
            v = "sign";
        if (strcmp(v, "sign") == 0) {
            s->rec_mode = DS_REC_SIGN;
            s->syn_en |= 1u << s->inh_type;
        } else if (strcmp(v, "ampa") == 0) {
            s->rec_mode = DS_REC_AMPA;
        } else {
            return h->xError(ctx, "rec_synapses", SL_ECONFIG,
                             "rec_synapses = \"%s\": use \"sign\" (w > 0 "
                             "AMPA, w < 0 the inhibitory type), \"ampa\" "
                             "(the signed sum into AMPA, as merged) or a "
                             "list of %zu type names [pre][post]",
                             v, nn);
        }
        return SL_OK;
    }
    s->rec_mode = DS_REC_MAP;
    s->rec_type = h->xAlloc(nn);
    if (s->rec_type == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a type map");
    for (size_t k = 0; k <= nn; k++) {
        char key[48];
        int n_ = snprintf(key, sizeof key, "rec_synapses.[%zu]", k);
        if (n_ < 0 || (size_t)n_ >= sizeof key)
            break;
        const int has = h->xHasKey(ctx, key);
        if (k == nn) {
            if (has)
                break;
            return SL_OK;
        }
        if (!has)
            break;
        if ((rc = h->xGetString(ctx, key, NULL, &v)) < 0)
            return rc;
        const int t = type_of(v);
        if (t < 0)
            return h->xError(ctx, key, SL_ECONFIG,
                             "\"%s\" is not a synapse type: use \"ampa\", "
                             "\"gaba_b\", \"nmda\" or \"gaba_a\"",
                             v);
        s->rec_type[k] = (unsigned char)t;
        s->syn_en |= 1u << t;
    }
    return h->xError(ctx, "rec_synapses", SL_ECONFIG,
                     "rec_synapses must be \"sign\", \"ampa\" or a list "
                     "of exactly %zu type names (n x n, [pre][post])",
                     nn);
}

/* Settings other than the per-neuron parameters. */
static int ds_settings(ds__layer *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const char *fwd;
    double alpha, rg;
    int rc;

    if (h->xHasKey(ctx, "max_spikes_per_dt")) {
        double m;
        if ((rc = h->xGetFloat(ctx, "max_spikes_per_dt", 1.0, &m)) < 0)
            return rc;
        if (!(m >= 1) || m != floor(m) || m > 1e6)
            return h->xError(ctx, "max_spikes_per_dt", SL_ECONFIG,
                             "max_spikes_per_dt must be a whole number of "
                             "spikes >= 1 (got %g); leave it out for no "
                             "limit",
                             m);
        s->max_spikes = (float)m;
    } else {
        s->max_spikes = INFINITY;
    }

    if ((rc = h->xGetString(ctx, "forward", "step_pwl", &fwd)) < 0)
        return rc;
    if (strcmp(fwd, "step_pwl") == 0)
        s->smooth = 0;
    else if (strcmp(fwd, "smooth") == 0)
        s->smooth = 1;
    else
        return h->xError(ctx, "forward", SL_ECONFIG,
                         "forward = \"%s\" is not known: use \"step_pwl\" "
                         "(spike counts, Rockpool's) or \"smooth\" (a "
                         "logistic in ln imem, for gradient checks)",
                         fwd);
    if ((rc = h->xGetFloat(ctx, "alpha", 4.0, &alpha)) < 0)
        return rc;
    if (!(alpha > 0) || !isfinite(alpha) || alpha > 100)
        return h->xError(ctx, "alpha", SL_ECONFIG,
                         "alpha (sharpness of the smooth spike function) "
                         "must be in (0, 100] (got %g)",
                         alpha);
    if (!s->smooth && h->xHasKey(ctx, "alpha"))
        return h->xError(ctx, "alpha", SL_ECONFIG,
                         "alpha only applies with forward = \"smooth\"");
    s->alpha = (float)alpha;

    if ((rc = h->xGetFloat(ctx, "reset_grad", 0.5, &rg)) < 0)
        return rc;
    if (!(rg >= 0 && rg <= 1))
        return h->xError(ctx, "reset_grad", SL_ECONFIG,
                         "reset_grad must be in [0, 1] (got %g): 0.5 is "
                         "JAX's tie rule, 0 detaches the reset",
                         rg);
    s->reset_grad = (float)rg;
    return h->xGetBool(ctx, "recurrent", 0, &s->recurrent);
}

/* Recurrent weights: read their settings (refused without recurrent, where
 * they would silently do nothing) and draw the initial values. */
static int ds_init_w_rec(ds__layer *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const size_t n = s->n;
    double scale;
    int rc;

    if (!s->recurrent) {
        if (h->xHasKey(ctx, "w_rec_scale"))
            return h->xError(ctx, "w_rec_scale", SL_ECONFIG,
                             "w_rec_scale only applies with recurrent = "
                             "true: set recurrent = true or remove it");
        return SL_OK;
    }
    if ((rc = h->xGetFloat(ctx, "w_rec_scale", 1.0, &scale)) < 0)
        return rc;
    if (!(scale >= 0) || !isfinite(scale))
        return h->xError(ctx, "w_rec_scale", SL_ECONFIG,
                         "w_rec_scale must be >= 0 (got %g)", scale);
    if (n > SIZE_MAX / sizeof(float) / n)
        return h->xError(ctx, NULL, SL_ENOMEM, "w_rec of %zu x %zu is too "
                         "large", n, n);
    s->w_rec = h->xAlloc(n * n * sizeof(float));
    s->g_rec = h->xAlloc(n * n * sizeof(float));
    if (s->w_rec == NULL || s->g_rec == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "cannot allocate w_rec (%zu x %zu)", n, n);
    /* Rockpool's "kaiming" for DynapSim's w_rec: U(±sqrt(6/N)) */
    const double bound = scale * sqrt(6.0 / (double)n);
    sl_rng rng;
    h->xRngDerive(ctx, "w_rec", &rng);
    for (size_t k = 0; k < n * n; k++)
        s->w_rec[k] = (float)((2.0 * h->xRngUniform(&rng) - 1.0) * bound);
    return SL_OK;
}

/* One name of train_currents: set its bit, or an error saying why not. */
static int train_one(ds__layer *s, const char *key, const char *name)
{
    const sl_host *h = s->host;
    const size_t ncur = s->dend ? DS_NCUR_D : DS_NCUR;
    for (size_t j = 0; j < DS_NCUR_D; j++) {
        const int p = ds__currents[j];
        if (strcmp(name, ds__pardefs[p].key) != 0)
            continue;
        if (j >= ncur)
            return h->xError(s->ctx, key, SL_ECONFIG,
                             "%s is a current of synapses = \"dendrites\"",
                             name);
        /* refused where the gradient is 0 by construction: training
         * them would silently do nothing */
        if (p == DS_IF_NMDA && !s->dend)
            return h->xError(s->ctx, key, SL_ECONFIG,
                             "If_nmda cannot be trained: the combined "
                             "synapse does not use it (its gradient is 0)");
        if (p == DS_IREF)
            return h->xError(s->ctx, key, SL_ECONFIG,
                             "Iref cannot be trained: it only sets the "
                             "refractory period, whose mask has no gradient "
                             "(spec §5)");
        if (p == DS_ISPKTHR && !s->smooth)
            return h->xError(s->ctx, key, SL_ECONFIG,
                             "Ispkthr cannot be trained with forward = "
                             "\"step_pwl\": its surrogate has no gradient "
                             "to the threshold (spec §5); only the smooth "
                             "forward has one");
        if (s->train_mask & (1u << p))
            return h->xError(s->ctx, key, SL_ECONFIG,
                             "\"%s\" is listed twice", name);
        s->train_mask |= 1u << p;
        return SL_OK;
    }
    return h->xError(s->ctx, key, SL_ECONFIG,
                     "\"%s\" is not a current of this layer; valid names: "
                     "Itau_syn, Igain_syn, Itau_mem, Igain_mem, Itau_ahp, "
                     "Igain_ahp, Iw_ahp, Ipulse, Ipulse_ahp, Ispkthr (with "
                     "forward = \"smooth\"), Idc; with synapses = "
                     "\"dendrites\" also If_nmda, Itau_gaba, Igain_gaba, "
                     "Itau_nmda, Igain_nmda, Itau_shunt, Igain_shunt",
                     name);
}

/* train_currents: a list of names (or one name as a string). The host
 * has no getter for a list of strings: the elements are read one by one
 * as "train_currents.[i]", and the list itself is marked as read by
 * asking for it as a string first, which marks the key before it reports
 * the type (the error of that call is expected and discarded). */
static int ds_train_currents(ds__layer *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const char *name;
    int rc;
    if (!h->xHasKey(ctx, "train_currents"))
        return SL_OK;
    if (h->xGetString(ctx, "train_currents", NULL, &name) == SL_OK)
        return train_one(s, "train_currents", name);
    for (unsigned i = 0; i < 64; i++) {
        char key[48];
        snprintf(key, sizeof key, "train_currents.[%u]", i);
        if (!h->xHasKey(ctx, key)) {
            if (i > 0)
                return SL_OK;
            /* no element: an empty list (as a vector of 0 numbers it
             * reads fine and is marked as read), or not a list at all */
            double d;
            float f;
            if (h->xGetFloat(ctx, "train_currents", 0.0, &d) != SL_OK &&
                h->xGetFloatVec(ctx, "train_currents", 0.0, &f, 0) == SL_OK)
                return SL_OK;
            break;
        }
        if ((rc = h->xGetString(ctx, key, NULL, &name)) < 0)
            return rc;
        if ((rc = train_one(s, key, name)) < 0)
            return rc;
    }
    return h->xError(ctx, "train_currents", SL_ECONFIG,
                     "train_currents must be a list of current names, e.g. "
                     "[\"Itau_mem\", \"Igain_mem\"]");
}

static int ds_create(const sl_host *host, sl_ctx *ctx,
                     const sl_layer_info *info, void **self, size_t *n_out)
{
    int rc;
    if (self == NULL || n_out == NULL)
        return host->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    if (info == NULL || !SL_HAS_FIELD(sl_layer_info, info, dt))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "layer info missing or too old (struct_size)");
    if (info->n_in == 0)
        return host->xError(ctx, NULL, SL_EINVAL,
                            "the layer has no input channels: put a layer "
                            "with at least one output before it");
    if (!(info->dt > 0) || !isfinite(info->dt))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "network dt must be a positive number of "
                            "seconds (got %g)",
                            info->dt);
    int dend = 0, typed = 0;
    if ((rc = ds_synapse_model(host, ctx, &dend, &typed)) < 0)
        return rc;
    const size_t per = typed ? DS_NTYPES : 1;
    if (info->n_in % per != 0)
        return host->xError(ctx, "input_synapses", SL_ECONFIG,
                            "input_synapses = \"typed\" needs 4 input "
                            "channels per neuron (AMPA, GABA_B, NMDA, "
                            "GABA_A); got %zu channels",
                            info->n_in);
    const size_t nneu = info->n_in / per;
    /* One neuron per input channel (4 with typed input): the input
     * weights live in the preceding (linear) layer, so `n` is only a
     * consistency check. */
    if (host->xHasKey(ctx, "n")) {
        int64_t nk;
        if ((rc = host->xGetInt(ctx, "n", (int64_t)nneu, &nk)) < 0)
            return rc;
        if (nk < 0 || (uint64_t)nk != (uint64_t)nneu)
            return host->xError(
                ctx, "n", SL_ECONFIG,
                "n = %lld does not match the %zu input channels: this "
                "layer has one neuron per input channel (4 with "
                "input_synapses = \"typed\"); set the preceding layer's "
                "n_out to %lld or remove n",
                (long long)nk, info->n_in, (long long)nk * (long long)per);
    }

    ds__layer *s = host->xAlloc(sizeof *s);
    if (s == NULL)
        return host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a layer");
    s->host = host;
    s->ctx = ctx;
    s->n = nneu;
    s->dt = info->dt;
    s->dend = dend;
    s->typed_in = typed;
    if ((rc = ds_settings(s)) < 0 || (rc = ds_dendrites(s)) < 0 ||
        (rc = ds__params_init(s)) < 0 || (rc = ds_init_w_rec(s)) < 0 ||
        (rc = ds_train_currents(s)) < 0) {
        ds_destroy(s);
        return rc;
    }
    s->dtk = dend ? DT_COUNT_D : s->train_mask ? DT_COUNT_CG : DT_COUNT;
    *self = s;
    *n_out = s->n;
    return SL_OK;
}

static int ds_params(void *self_, sl_param *out, size_t cap, size_t *count)
{
    ds__layer *s = self_;
    const size_t n = s->n;
    if (count == NULL || (cap > 0 && out == NULL))
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xParams: NULL output");
    const size_t nw = s->recurrent ? 1 : 0;
    const size_t ncur = s->dend ? DS_NCUR_D : DS_NCUR;
    /* the dendrite model also lists its latches (not trainable), so that
     * an exporter can read and write them like the currents */
    const size_t nlat = s->dend ? DS_NLAT : 0;
    *count = nw + ncur + nlat;
    if (s->recurrent && cap >= 1) {
        memset(&out[0], 0, sizeof out[0]);
        out[0].struct_size = sizeof out[0];
        out[0].flags = SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT;
        out[0].name = "w_rec";
        out[0].data = s->w_rec;
        out[0].grad = s->g_rec;
        out[0].n = n * n;
        out[0].ndim = 2;
        out[0].shape[0] = n; /* pre */
        out[0].shape[1] = n; /* post */
    }
    /* the currents of spec §2, nominal (before percent_mismatch), A */
    for (size_t j = 0; j < ncur && nw + j < cap; j++) {
        const int p = ds__currents[j];
        const int tr = (s->train_mask >> p) & 1u;
        sl_param *o = &out[nw + j];
        memset(o, 0, sizeof *o);
        o->struct_size = sizeof *o;
        o->flags = tr ? SL_PARAM_TRAINABLE : 0;
        o->name = ds__pardefs[p].key;
        o->data = s->nom[p];
        o->grad = tr ? s->cgrad + (size_t)p * n : NULL;
        o->n = n;
        o->ndim = 1;
        o->shape[0] = n;
    }
    static const char *const latname[DS_NLAT] = {"ahp_en", "nmda_en",
                                                 "dc_en"};
    for (size_t k = 0; k < nlat && nw + ncur + k < cap; k++) {
        sl_param *o = &out[nw + ncur + k];
        memset(o, 0, sizeof *o);
        o->struct_size = sizeof *o;
        o->name = latname[k];
        o->data = s->lat + k * n;
        o->n = n;
        o->ndim = 1;
        o->shape[0] = n;
    }
    return SL_OK;
}

/* Make *buf hold at least `need` floats (growing only, contents not
 * kept). Returns SL_OK or SL_ENOMEM recorded on ctx. */
static int ensure(ds__layer *s, float **buf, size_t *cap, size_t need,
                  const char *what)
{
    if (need <= *cap)
        return SL_OK;
    s->host->xFree(*buf);
    *buf = s->host->xAlloc(need * sizeof(float));
    if (*buf == NULL) {
        *cap = 0;
        return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                               "cannot allocate %zu floats for %s", need,
                               what);
    }
    *cap = need;
    return SL_OK;
}

/* a·b·c floats, or 0 with *ok cleared when it overflows */
static size_t mul3(size_t a, size_t b, size_t c, int *ok)
{
    const size_t lim = SIZE_MAX / sizeof(float);
    if (a == 0 || b == 0 || c == 0)
        return 0;
    if (a > lim / b || a * b > lim / c) {
        *ok = 0;
        return 0;
    }
    return a * b * c;
}

static int ds_prepare(void *self_, size_t batch, size_t time, uint32_t mode)
{
    ds__layer *s = self_;
    const size_t n = s->n;
    int rc, ok = 1;
    s->prepared = 0;
    s->have_forward = 0;
    if (mode & ~(uint32_t)(SL_MODE_TRAIN | SL_MODE_RECORD))
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "unknown mode bits 0x%x in xPrepare",
                               (unsigned)mode);
    const size_t lanes = mul3(batch, n, 1, &ok);
    /* vectors of DS_VL lanes: round up, padding lanes are simulated on
     * neuron 0's constants and ignored */
    size_t V = 0;
    if (lanes > SIZE_MAX - DS_VL)
        ok = 0;
    else
        V = (lanes + DS_VL - 1) / DS_VL * DS_VL;
    const size_t nlc = mul3(V, DL_COUNT, 1, &ok);
    const size_t nwork = mul3(V, DW_COUNT, 1, &ok);
    /* the tape keeps every step in training, else only the current one;
     * plus the initial row in front */
    if (time == SIZE_MAX)
        ok = 0;
    const size_t rows = (mode & SL_MODE_TRAIN) ? time + 1 : 2;
    const size_t ntape = mul3(V, s->dtk, rows, &ok);
    const size_t elems = mul3(batch, time, n, &ok); /* one sequence */
    const size_t nrec =
        (mode & SL_MODE_RECORD) ? mul3(elems, s->dend ? 9 : 5, 1, &ok) : 0;
    if (lanes > SIZE_MAX / (2 * sizeof(size_t)))
        ok = 0;
    if (!ok)
        return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                               "sequence of %zu x %zu x %zu is too large",
                               batch, time, n);
    if (lanes > s->cap_lanetab) {
        s->host->xFree(s->lane_off);
        s->lane_off = s->host->xAlloc(2 * lanes * sizeof(size_t));
        s->cap_lanetab = s->lane_off ? lanes : 0;
        if (s->lane_off == NULL)
            return s->host->xError(s->ctx, NULL, SL_ENOMEM,
                                   "cannot allocate the lane table");
    }
    s->lane_base = s->lane_off + s->cap_lanetab;
    for (size_t l = 0; l < lanes; l++) {
        const size_t b = l / n, i = l % n;
        s->lane_off[l] = b * time * n + i;
        s->lane_base[l] = b * n;
    }
    if ((rc = ensure(s, &s->lc, &s->cap_lc, nlc, "lane constants")) < 0 ||
        (rc = ensure(s, &s->work, &s->cap_work, nwork, "state")) < 0 ||
        (rc = ensure(s, &s->tape, &s->cap_tape, ntape, "the tape")) < 0 ||
        (rc = ensure(s, &s->rec, &s->cap_rec, nrec, "observables")) < 0) {
        s->lc_lanes = 0;
        return rc;
    }
    s->batch = batch;
    s->time = time;
    s->lanes = lanes;
    s->vlanes = V;
    /* replicate the per-neuron constants over the batch (and neuron 0's
     * into the padding): the kernels then index every vector by lane */
    if (s->lc_lanes != lanes) /* lanes fixes the layout (and V) */
        ds__fill_lanes(s);
    s->mode = mode;
    s->prepared = 1;
    return SL_OK;
}

static int ds_forward(void *self_, const float *in, float *out)
{
    ds__layer *s = self_;
    if (!s->prepared)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xForward called before a successful "
                               "xPrepare");
    if (s->batch * s->time == 0) {
        s->have_forward = 1;
        return SL_OK;
    }
    if (in == NULL || out == NULL)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xForward needs input and output buffers");
    s->have_forward = 0;
    /* currents written since the last call (by an optimizer, an
     * exporter, a test) take effect now */
    int rc = ds__params_refresh(s);
    if (rc < 0)
        return rc;
    rc = ds__forward(s, in, out);
    if (rc < 0)
        return rc;
    s->have_forward = 1;
    return SL_OK;
}

static int ds_backward(void *self_, const float *dout, float *din)
{
    ds__layer *s = self_;
    if (!s->prepared || !(s->mode & SL_MODE_TRAIN))
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xBackward needs xPrepare with SL_MODE_TRAIN");
    if (!s->have_forward)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xBackward called before xForward");
    if (s->batch * s->time == 0)
        return SL_OK;
    if (dout == NULL)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xBackward needs dL/d(out)");
    ds__backward(s, dout, din);
    return SL_OK;
}

static int ds_observable(void *self_, size_t idx, sl_observable *out)
{
    static const struct {
        const char *name, *unit;
    } obs[] = {{"isyn", "A"},   {"iahp", "A"},   {"imem", "A"},
               {"vmem", "V"},   {"spikes", "1"}, {"igaba", "A"},
               {"inmda", "A"},  {"ishunt", "A"}, {"g_nmda", "1"}};
    ds__layer *s = self_;
    if (out == NULL)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "xObservable: NULL output");
    if (!s->prepared || !(s->mode & SL_MODE_RECORD) || !s->have_forward ||
        idx >= (s->dend ? 9u : 5u))
        return SL_ENOTFOUND;
    const size_t E = s->batch * s->time * s->n;
    out->struct_size = sizeof *out;
    /* the dendrite model's AMPA current is the merged isyn's slot */
    out->name = s->dend && idx == 0 ? "iampa" : obs[idx].name;
    out->unit = obs[idx].unit;
    out->data = s->rec + idx * E;
    out->batch = s->batch;
    out->time = s->time;
    out->channels = s->n;
    return SL_OK;
}

/* ------------------------------------------------------------ debug ext */

static int dbg_get(void *self_, const char *name, double *out, size_t n)
{
    ds__layer *s = self_;
    if (name == NULL || out == NULL || n != s->n)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "sl.dynapsim.debug xGet: bad arguments");
    int rc0 = ds__params_refresh(s);
    if (rc0 < 0)
        return rc0;
    for (size_t k = 0; k < n; k++) {
        int rc = ds__param_value(s, name, k, &out[k]);
        if (rc < 0)
            return rc;
    }
    return SL_OK;
}

static int dbg_spikes(void *self_, const float *imem, float *spikes,
                      size_t n)
{
    ds__layer *s = self_;
    if (imem == NULL || spikes == NULL || n != s->n)
        return s->host->xError(s->ctx, NULL, SL_EINVAL,
                               "sl.dynapsim.debug xSpikes: bad arguments");
    ds__spikes(s, imem, spikes, n);
    return SL_OK;
}

static const sl_dynapsim_debug ds_debug = {
    sizeof(sl_dynapsim_debug),
    dbg_get,
    dbg_spikes,
};

static const void *ds_extension(void *self_, const char *name)
{
    (void)self_;
    if (name != NULL && strcmp(name, SL_DYNAPSIM_DEBUG) == 0)
        return &ds_debug;
    return NULL;
}

/* ------------------------------------------------------------ the table */

const sl_neuron_iface ds__iface = {
    .struct_size = sizeof(sl_neuron_iface),
    .flags = SL_NEURON_SPIKING,
    .xCreate = ds_create,
    .xDestroy = ds_destroy,
    .xParams = ds_params,
    .xPrepare = ds_prepare,
    .xForward = ds_forward,
    .xBackward = ds_backward,
    .xObservable = ds_observable,
    .xExtension = ds_extension,
};
