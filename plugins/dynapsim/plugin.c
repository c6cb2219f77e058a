/*
 * plugins/dynapsim/plugin.c — dynapsim.so's descriptor and its only
 * exported symbol.
 *
 * Components: "dynapsim" (SL_KIND_NEURON, spiking), the Dynap-SE2 neuron
 * model of Rockpool's DynapSim (dynapsim.c).
 */
#include "dynapsim.h"

/* The parameters of ds__pardefs (params.c) with their defaults printed
 * exactly (%.17g shortest): the host refuses a read whose default differs,
 * so this table cannot drift from params.c. The rest as dynapsim.c reads
 * them. */
static const sl_setting ds_settings[] = {
    SL_SETTING(SL_SET_FLOATS, "Idc", "5e-13", "A", SL_MIN(0),
               "constant injection current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "If_nmda", "5e-13", "A", SL_MIN(0),
               "NMDA gate threshold current (synapses = dendrites; unused when merged); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_ahp", "2.8368794326241126e-11", "A", SL_GT(0),
               "AHP gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_mem", "2.1276595744680848e-11", "A", SL_GT(0),
               "membrane gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_syn", "8.687943262411346e-09", "A", SL_GT(0),
               "synapse gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Ipulse_ahp", "3.5e-07", "A", SL_GT(0),
               "AHP pulse-width current (1 us); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Ipulse", "3.4999999999999996e-08", "A", SL_GT(0),
               "synapse pulse-width current (10 us); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Iref", "1.0499999999999999e-09", "A", SL_GT(0),
               "refractory current (t_ref 1 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Ispkthr", "1e-07", "A", SL_GT(0),
               "spike threshold current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_ahp", "2.8368794326241126e-11", "A", SL_GT(0),
               "AHP leak current (tau_ahp 50 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_mem", "5.319148936170212e-12", "A", SL_GT(0),
               "membrane leak current (tau_mem 20 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_syn", "8.687943262411346e-11", "A", SL_GT(0),
               "synapse leak current (tau_syn 10 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Iw_ahp", "5e-13", "A", SL_MIN(0),
               "AHP jump per spike; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_gaba", "8.865248226950353e-11", "A", SL_GT(0),
               "synapses = dendrites: GABA_B (subtractive) leak current (10 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_gaba", "8.865248226950353e-09", "A", SL_GT(0),
               "synapses = dendrites: GABA_B gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_nmda", "8.865248226950353e-11", "A", SL_GT(0),
               "synapses = dendrites: NMDA leak current (10 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_nmda", "8.865248226950353e-09", "A", SL_GT(0),
               "synapses = dendrites: NMDA gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Itau_shunt", "8.687943262411346e-11", "A", SL_GT(0),
               "synapses = dendrites: GABA_A (shunting) leak current (10 ms); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Igain_shunt", "8.687943262411346e-09", "A", SL_GT(0),
               "synapses = dendrites: GABA_A gain current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_ahp", "4e-11", "F", SL_GT(0),
               "AHP capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_syn", "2.45e-11", "F", SL_GT(0),
               "synapse capacitance (AMPA); one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_pulse_ahp", "5e-13", "F", SL_GT(0),
               "AHP pulse capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_pulse", "5e-13", "F", SL_GT(0),
               "synapse pulse capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_ref", "1.5e-12", "F", SL_GT(0),
               "refractory capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_mem", "3e-12", "F", SL_GT(0),
               "membrane capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Io", "5e-13", "A", SL_GT(0),
               "dark current; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "kappa_n", "0.75", "1", SL_GT(0),
               "subthreshold slope factor, n-type; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "kappa_p", "0.66", "1", SL_GT(0),
               "subthreshold slope factor, p-type; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Ut", "0.025", "V", SL_GT(0),
               "thermal voltage; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "Vth", "0.7", "V", SL_GT(0),
               "pulse comparator threshold; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_gaba", "2.5e-11", "F", SL_GT(0),
               "synapses = dendrites: GABA_B capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_nmda", "2.5e-11", "F", SL_GT(0),
               "synapses = dendrites: NMDA capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_FLOATS, "C_shunt", "2.45e-11", "F", SL_GT(0),
               "synapses = dendrites: GABA_A capacitance; one value or one per neuron"),
    SL_SETTING(SL_SET_STRING, "synapses", "merged", NULL,
               SL_CHOICES("merged|dendrites"),
               "one combined synapse (Rockpool's DynapSim) or the chip's "
               "four dendrites AMPA, GABA_B (subtractive), NMDA (gated), "
               "GABA_A (shunting); AMPA uses Itau_syn, Igain_syn, C_syn"),
    SL_SETTING(SL_SET_STRING, "input_synapses", "ampa", NULL,
               SL_CHOICES("ampa|typed"),
               "synapses = dendrites: one input channel per neuron (AMPA), "
               "or 4 per neuron [neuron][AMPA, GABA_B, NMDA, GABA_A]"),
    SL_SETTING(SL_SET_LIST, "rec_synapses", "sign", NULL, SL_ANY,
               "synapses = dendrites, recurrent: \"sign\" (w > 0 AMPA, "
               "w < 0 `inhibitory` with |w|), \"ampa\" (signed sum into "
               "AMPA, as merged) or n x n type names [pre][post] (|w|)"),
    SL_SETTING(SL_SET_STRING, "inhibitory", "gaba_b", NULL,
               SL_CHOICES("gaba_b|gaba_a"),
               "rec_synapses = sign: the dendrite of negative weights"),
    SL_SETTING(SL_SET_FLOATS, "ahp_en", "1.0", "1", SL_RANGE(0, 1),
               "AHP latch (latch_so_adaptation): 0 or 1, one value or one "
               "per neuron"),
    SL_SETTING(SL_SET_FLOATS, "nmda_en", "1.0", "1", SL_RANGE(0, 1),
               "synapses = dendrites: NMDA gate latch (latch_denm_nmda); "
               "off: the gate is 1; 0 or 1 per neuron"),
    SL_SETTING(SL_SET_FLOATS, "dc_en", "1.0", "1", SL_RANGE(0, 1),
               "DC latch (latch_so_dc): off injects no Idc; 0 or 1 per "
               "neuron"),
    SL_SETTING(SL_SET_INT, "mem_substeps", "1", NULL, SL_RANGE(1, 1000),
               "synapses = dendrites: membrane Euler steps per time step "
               "(dt/n each, Ifb refreshed, synaptic currents frozen); more "
               "keep strong shunting (Ish > ~3e-11 A) stable"),
    SL_SETTING(SL_SET_FLOAT, "Iscale", "1e-8", "A", SL_GT(0),
               "current of a unit weight"),
    SL_SETTING(SL_SET_INT, "n", NULL, NULL, SL_MIN(0),
               "number of neurons: optional check, must equal the input "
               "width"),
    SL_SETTING(SL_SET_BOOL, "recurrent", "false", NULL, SL_ANY,
               "add trainable recurrent weights w_rec [pre][post]"),
    SL_SETTING(SL_SET_FLOAT, "w_rec_scale", "1.0", "1", SL_MIN(0),
               "recurrent = true: w_rec drawn U(±w_rec_scale·sqrt(6/n))"),
    SL_SETTING(SL_SET_FLOAT, "max_spikes_per_dt", "1.0", NULL,
               SL_RANGE(1, 1e6),
               "cap on the spikes per step (a whole number); absent: no "
               "limit"),
    SL_SETTING(SL_SET_FLOAT, "percent_mismatch", "0.0", "1", SL_MIN(0),
               "mismatch of every parameter at construction (0.05 = 5 % at "
               "mismatch_sigma_rule sigmas)"),
    SL_SETTING(SL_SET_FLOAT, "mismatch_sigma_rule", "3.0", "1", SL_GT(0),
               "sigma = percent_mismatch / mismatch_sigma_rule"),
    SL_SETTING(SL_SET_FLOAT, "reset_grad", "0.5", "1", SL_RANGE(0, 1),
               "d(reset)/d(spikes) at counts 0 and 1 (0.5: JAX's tie rule, "
               "0 detaches the reset)"),
    SL_SETTING(SL_SET_STRING, "forward", "step_pwl", NULL,
               SL_CHOICES("step_pwl|smooth"),
               "spike counts (Rockpool's), or a logistic in ln imem for "
               "gradient checks"),
    SL_SETTING(SL_SET_FLOAT, "alpha", "4.0", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MIN_OPEN | SL_SET_MAX, 0, 100),
               "forward = smooth: sharpness of the spike function"),
    SL_SETTING(SL_SET_LIST, "train_currents", NULL, NULL, SL_ANY,
               "currents the optimizer trains: a list of names (or one "
               "name); default none"),
};

static const sl_component ds_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "dynapsim",
                 "Dynap-SE2 neurons (Rockpool DynapSim): DPI synapse, AHP, "
                 "membrane with feedback, spike counts, mismatch, BPTT",
                 &ds__iface, ds_settings),
};

static const sl_plugin_desc ds_desc =
    SL_PLUGIN_DESC("dynapsim", "0.1.0",
                   "Dynap-SE2 mixed-signal neuron model (Rockpool DynapSim)",
                   ds_components);

/* Entry point. Returns the static descriptor (never freed), or NULL when
 * the host speaks another ABI major or its table lacks functions this
 * plugin calls. Keeps no reference to host: the component receives it
 * again in xCreate. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xFree))
        return NULL;
    return &ds_desc;
}
