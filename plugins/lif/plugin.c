/*
 * plugins/lif/plugin.c — lif.so's descriptor and its only exported symbol.
 *
 * Components (both SL_KIND_NEURON):
 *   "lif"  current-based LIF, exponential synapses, surrogate-gradient BPTT
 *          (lif.c)
 *   "li"   leaky-integrator readout (li.c)
 */
#include "common.h"

static const sl_component lif_components[] = {
    {sizeof(sl_component), SL_KIND_NEURON, "lif",
     "current-based LIF neurons with exponential synapses, Euler steps, "
     "surrogate-gradient BPTT, optional recurrence",
     &lif__lif_iface},
    {sizeof(sl_component), SL_KIND_NEURON, "li",
     "leaky-integrator readout (non-spiking membrane output)",
     &lif__li_iface},
};

static const sl_plugin_desc lif_desc =
    SL_PLUGIN_DESC("lif", "0.1.0",
                   "time-discrete LIF and leaky-integrator neurons "
                   "(jaxsnn/Norse discrete model)",
                   lif_components);

/* Entry point. Returns the static descriptor (never freed), or NULL when
 * the host speaks another ABI major or its table lacks functions this
 * plugin calls. Keeps no reference to host: each component receives it
 * again in xCreate. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xFree))
        return NULL;
    return &lif_desc;
}
