/*
 * plugins/dynapsim/plugin.c — dynapsim.so's descriptor and its only
 * exported symbol.
 *
 * Components: "dynapsim" (SL_KIND_NEURON, spiking), the Dynap-SE2 neuron
 * model of Rockpool's DynapSim (dynapsim.c).
 */
#include "dynapsim.h"

static const sl_component ds_components[] = {
    {sizeof(sl_component), SL_KIND_NEURON, "dynapsim",
     "Dynap-SE2 neurons (Rockpool DynapSim): DPI synapse, AHP, membrane "
     "with feedback, spike counts, mismatch, BPTT",
     &ds__iface},
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
