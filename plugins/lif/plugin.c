/*
 * plugins/lif/plugin.c — lif.so's descriptor and its only exported symbol.
 *
 * Components (both SL_KIND_NEURON):
 *   "lif"  current-based LIF, exponential synapses, surrogate-gradient BPTT
 *          (lif.c)
 *   "li"   leaky-integrator readout (li.c)
 */
#include "common.h"

/* Settings of both neurons (common.c), then the spiking ones (lif.c).
 * Voltages are in the model's units (threshold 0.6 by default). */
#define LIF_COMMON_SETTINGS                                                   \
    SL_SETTING(SL_SET_INT, "n", NULL, NULL, SL_MIN(0),                        \
               "number of neurons: optional check, must equal the input "    \
               "width (one neuron per input channel)"),                      \
    SL_SETTING(SL_SET_FLOAT, "tau_mem", "1e-2", "s", SL_GT(0),                \
               "membrane time constant (must exceed dt with scheme euler)"), \
    SL_SETTING(SL_SET_FLOAT, "tau_syn", "5e-3", "s", SL_GT(0),                \
               "synaptic current time constant (must exceed dt with euler)"),\
    SL_SETTING(SL_SET_FLOAT, "v_leak", "0.0", "1", SL_ANY,                    \
               "resting potential the membrane decays to")

static const sl_setting lif_settings[] = {
    LIF_COMMON_SETTINGS,
    SL_SETTING(SL_SET_STRING, "scheme", "euler", NULL,
               SL_CHOICES("euler|exp_euler|exact|beta"),
               "time step: forward Euler (jaxsnn), exponential Euler "
               "(current held over the step, hxtorch), exact "
               "(current decaying over the step; lif.md 3.1) or beta "
               "(V = beta*V + I, beta = exp(-dt/tau_mem), the current "
               "unscaled: snnTorch Leaky)"),
    SL_SETTING(SL_SET_STRING, "input_order", "end", NULL,
               SL_CHOICES("end|start"),
               "input of step n joins I after the step's update (jaxsnn, "
               "Brian2: V sees it in step n+1) or before it (Norse, "
               "hxtorch exact: V sees it in step n)"),
    SL_SETTING(SL_SET_BOOL, "synapse", "true", NULL, SL_ANY,
               "exponential synaptic current; false: the input of a step "
               "is the current of that step (snnTorch Leaky, NIR LIF), "
               "tau_syn not used"),
    SL_SETTING(SL_SET_BOOL, "leak", "true", NULL, SL_ANY,
               "membrane leak towards v_leak; false: IF neuron, "
               "tau_mem*dV/dt = I (tau_mem only scales the input)"),
    SL_SETTING(SL_SET_FLOAT, "t_ref", "0.0", "s", SL_MIN(0),
               "refractory period: after a spike in step s, steps n with "
               "(n-s)*dt < t_ref hold V and emit no spike; I integrates "
               "(Brian2)"),
    SL_SETTING(SL_SET_STRING, "reset", "to_v_reset", NULL,
               SL_CHOICES("to_v_reset|subtract|none"),
               "after a spike V becomes v_reset, V - (v_th - v_reset) "
               "(snnTorch subtract with v_reset = 0), or stays"),
    SL_SETTING(SL_SET_BOOL, "reset_delay", "false", NULL, SL_ANY,
               "apply the reset one step later (snnTorch): to_v_reset "
               "before the next integration, subtract after it"),
    SL_SETTING(SL_SET_FLOAT, "v_th", "0.6", "1", SL_ANY,
               "spike threshold (must be above v_reset)"),
    SL_SETTING(SL_SET_FLOAT, "v_reset", "0.0", "1", SL_ANY,
               "membrane value after a spike (reset = to_v_reset)"),
    SL_SETTING(SL_SET_FLOAT, "alpha", "100.0", "1", SL_GT(0),
               "surrogate-gradient sharpness"),
    SL_SETTING(SL_SET_STRING, "forward", "step", NULL,
               SL_CHOICES("step|smooth"),
               "spikes: Heaviside step, or logistic (gradient checks)"),
    SL_SETTING(SL_SET_STRING, "surrogate", NULL, NULL,
               SL_CHOICES("superspike|tanh|triangle|logistic|"
                          "straight_through"),
               "surrogate derivative of the spike; default superspike "
               "(logistic with forward = smooth)"),
    SL_SETTING(SL_SET_BOOL, "detach_reset", "false", NULL, SL_ANY,
               "no gradient through the reset (Norse/jaxsnn option)"),
    SL_SETTING(SL_SET_BOOL, "recurrent", "false", NULL, SL_ANY,
               "add trainable recurrent weights w_rec [pre][post]"),
    SL_SETTING(SL_SET_FLOAT, "w_rec_scale", "1.0", "1", SL_MIN(0),
               "recurrent = true: w_rec drawn U(±w_rec_scale/sqrt(n))"),
    SL_SETTING(SL_SET_BOOL, "w_rec_diag", "true", NULL, SL_ANY,
               "recurrent = true: keep self-connections (false: zero "
               "diagonal)"),
};

static const sl_setting li_settings[] = {
    LIF_COMMON_SETTINGS,
    SL_SETTING(SL_SET_STRING, "scheme", "euler", NULL,
               SL_CHOICES("euler|beta"),
               "time step: forward Euler (jaxsnn li_step) or beta (V = "
               "beta*V + I, beta = exp(-dt/tau_mem), the current unscaled: "
               "snnTorch, torch_bptt.py's readout)"),
    SL_SETTING(SL_SET_BOOL, "synapse", "true", NULL, SL_ANY,
               "exponential synaptic current; false: the input of a step "
               "is the current of that step, tau_syn not used"),
};

static const sl_component lif_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "lif",
                 "current-based LIF neurons with exponential synapses, Euler, "
                 "exponential Euler or exact steps, refractory period, "
                 "surrogate-gradient BPTT, optional recurrence",
                 &lif__lif_iface, lif_settings),
    SL_COMPONENT(SL_KIND_NEURON, "li",
                 "leaky-integrator readout (non-spiking membrane output)",
                 &lif__li_iface, li_settings),
};

static const sl_plugin_desc lif_desc =
    SL_PLUGIN_DESC("lif", "0.1.0",
                   "time-discrete LIF and leaky-integrator neurons "
                   "(jaxsnn/Norse discrete model)",
                   lif_components);

/* Entry point. Returns the static descriptor (never freed), or NULL when
 * the host speaks another ABI major or its table lacks functions this
 * plugin calls (xGemm: ABI 1.2). Keeps no reference to host: each component receives it
 * again in xCreate. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xGemm))
        return NULL;
    return &lif_desc;
}
