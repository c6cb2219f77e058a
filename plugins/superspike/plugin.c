/*
 * plugins/superspike/plugin.c — superspike.so's descriptor and its only
 * exported symbol.
 *
 * Components:
 *   "superspike"        SL_KIND_OPTIMIZER (SL_OPT_TRACES): the SuperSpike
 *                       weight update of the BrainScaleS-2 tutorial
 *                       (rule.c)
 *   "superspike_input"  SL_KIND_DATASET: the tutorial's 25 Bernoulli input
 *                       trains and an optional target spike train (input.c)
 *   "van_rossum"        SL_KIND_LOSS: the van Rossum distance the tutorial
 *                       trains on, for any model (van_rossum.c)
 * The rule and the loss share the kernel maths of ss_kernels.h.
 */
#include "superspike.h"

static const sl_component ss_components[] = {
    {sizeof(sl_component), SL_KIND_OPTIMIZER, "superspike",
     "SuperSpike learning rule (Zenke & Ganguli 2018), offline BrainScaleS-2 "
     "tutorial form, from recorded traces",
     &ss__rule_iface},
    {sizeof(sl_component), SL_KIND_DATASET, "superspike_input",
     "the SuperSpike tutorial's Bernoulli input trains (NumPy-exact with "
     "numpy_seed) and target spike train",
     &ss__input_iface},
    {sizeof(sl_component), SL_KIND_LOSS, "van_rossum",
     "van Rossum distance of spike trains (SuperSpike tutorial kernel; "
     "norm = l1 | l2), van_rossum.c",
     &ss__van_rossum_iface},
};

static const sl_plugin_desc ss_desc =
    SL_PLUGIN_DESC("superspike", "0.1.0",
                   "SuperSpike learning rule, the BrainScaleS-2 tutorial's "
                   "input and the van Rossum loss",
                   ss_components);

/* Entry point: the static descriptor, or NULL for a host of another ABI
 * major or one whose table lacks functions the components call. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xFree))
        return NULL;
    return &ss_desc;
}
