/*
 * plugins/lifevent/plugin.c — lifevent.so's descriptor and its only
 * exported symbol.
 *
 * Components:
 *   "lif_event"  (neuron) event-based LIF layer with exact spike times,
 *                EventProp or analytic time-to-first-spike gradients
 *                (layer.c, spikelab/slaux_event.h)
 *   "ttfs_mse", "ttfs_ce"  (loss) first-spike-time losses (loss.c)
 *
 * Why a plugin of its own rather than lif.so: lif.so is the time-discrete
 * model, built twice (baseline and AVX2) with bit-identity guarantees
 * tests/wide.sh pins; the event model shares no code with it (no time
 * grid, float64 event loop), and keeping it apart leaves lif.so's build,
 * symbols and numerics exactly as they were.
 */
#include "lifevent.h"

static const sl_setting layer_settings[] = {
    SL_SETTING(SL_SET_INT, "n", NULL, NULL,
               SL_BOUNDS(SL_SET_REQUIRED | SL_SET_MIN, 1, 0),
               "number of neurons (the layer's output channels)"),
    SL_SETTING(SL_SET_FLOAT, "tau_mem", "1e-2", "s", SL_GT(0),
               "membrane time constant; 2*tau_syn and tau_syn take the "
               "closed-form crossings, any other ratio root finding"),
    SL_SETTING(SL_SET_FLOAT, "tau_syn", "5e-3", "s", SL_GT(0),
               "synaptic current time constant"),
    SL_SETTING(SL_SET_FLOAT, "v_th", "1.0", "1", SL_ANY, "threshold"),
    SL_SETTING(SL_SET_FLOAT, "v_leak", "0.0", "1", SL_ANY,
               "resting potential (V starts at 0)"),
    SL_SETTING(SL_SET_FLOAT, "v_reset", "0.0", "1", SL_ANY,
               "membrane after a spike, below v_th (jaxsnn's Yin-Yang: "
               "-1000, one spike per neuron)"),
    SL_SETTING(SL_SET_FLOAT, "t_max", "2e-2", "s", SL_GT(0),
               "end of each sample's run: inputs and spikes at or after "
               "it are none (jaxsnn: 4*tau_syn)"),
    SL_SETTING(SL_SET_STRING, "gradient", "eventprop", NULL,
               SL_CHOICES("eventprop|ttfs"),
               "backward pass: EventProp adjoint (Wunderlich & Pehle) or "
               "analytic spike-time gradient through the crossing "
               "equations (both exact)"),
    SL_SETTING(SL_SET_INT, "max_spikes", "0", NULL, SL_MIN(0),
               "spikes of the layer per sample the buffers hold (more is "
               "an error); 0: n times the sequence's slots"),
    SL_SETTING(SL_SET_FLOAT, "mean", "0.0", "1", SL_ANY,
               "weights drawn N(mean, std)"),
    SL_SETTING(SL_SET_FLOAT, "std", "1.0", "1", SL_MIN(0),
               "weights drawn N(mean, std)"),
    SL_SETTING(SL_SET_STRING, "input", "events", NULL,
               SL_CHOICES("events|dense"),
               "kind of the incoming sequence; dense: a step holding 1 is "
               "a spike at its start (forward only)"),
    SL_SETTING(SL_SET_STRING, "output", "events", NULL,
               SL_CHOICES("events|dense"),
               "kind of the outgoing sequence; dense: spikes counted into "
               "step floor(t/dt) (forward only)"),
};

#define TLOSS_SETTINGS                                                        \
    SL_SETTING(SL_SET_FLOAT, "tau", "1e-2", "s", SL_GT(0),                    \
               "time scale of the loss (jaxsnn: tau_mem)"),                  \
    SL_SETTING(SL_SET_FLOAT, "t_clip", "2e-2", "s", SL_GT(0),                 \
               "first spike times are clipped to this (jaxsnn: 2*tau_mem); " \
               "a clipped time has no gradient"),                            \
    SL_SETTING(SL_SET_FLOAT, "t_correct", "4.5e-3", "s", SL_ANY,              \
               "target first-spike time of the correct class (0.9*tau_syn)"),\
    SL_SETTING(SL_SET_FLOAT, "t_wrong", "5.5e-3", "s", SL_ANY,                \
               "target first-spike time of the other classes "               \
               "(1.1*tau_syn)")

static const sl_setting mse_settings[] = {TLOSS_SETTINGS};
static const sl_setting ce_settings[] = {TLOSS_SETTINGS};

static const sl_component lev_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "lif_event",
                 "event-based LIF layer with its input weights: exact "
                 "spike times, EventProp or analytic TTFS gradients",
                 &lev__layer_iface, layer_settings),
    SL_COMPONENT(SL_KIND_LOSS, "ttfs_mse",
                 "squared error of first output spike times against "
                 "target times (jaxsnn mse_loss)",
                 &lev__ttfs_mse_iface, mse_settings),
    SL_COMPONENT(SL_KIND_LOSS, "ttfs_ce",
                 "cross-entropy of the softmax over negative first spike "
                 "times", &lev__ttfs_ce_iface, ce_settings),
};

static const sl_plugin_desc lev_desc =
    SL_PLUGIN_DESC("lifevent", "0.1.0",
                   "event-based LIF with exact spike times (jaxsnn.event)",
                   lev_components);

/* Entry point. Returns the static descriptor (never freed), or NULL when
 * the host speaks another ABI major. Keeps no reference to host. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR)
        return NULL;
    return &lev_desc;
}
