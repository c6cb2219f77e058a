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

/* rule.c's and input.c's header comments explain each setting; the
 * defaults are the tutorial's (specs/superspike.md) */
static const sl_setting rule_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "eta", "20.0", "1", SL_GT(0), "learning rate"),
    SL_SETTING(SL_SET_FLOAT, "beta", "5.0", "1", SL_GT(0),
               "surrogate steepness"),
    SL_SETTING(SL_SET_FLOAT, "tau_mem", "1e-5", "s", SL_GT(0),
               "kernel membrane time constant (PSP / van Rossum)"),
    SL_SETTING(SL_SET_FLOAT, "tau_syn", "5e-6", "s", SL_GT(0),
               "kernel synaptic time constant; must differ from tau_mem"),
    SL_SETTING(SL_SET_FLOAT, "kernel_length", "1e-4", "s", SL_GT(0),
               "kernel support (steps made odd)"),
    SL_SETTING(SL_SET_STRING, "membrane", "auto", NULL, SL_ANY,
               "observable used as the membrane: auto (v_dec if offered, "
               "else v_mem) or an observable name"),
    SL_SETTING(SL_SET_FLOAT, "v_zero", "0.0", "1", SL_ANY,
               "membrane value that maps to 0"),
    SL_SETTING(SL_SET_FLOAT, "v_range", "1.0", "1", SL_ANY,
               "membrane span that maps to 1 (not 0)"),
};

static const sl_setting vr_settings[] = {
    SL_SETTING(SL_SET_STRING, "norm", "l1", NULL, SL_CHOICES("l1|l2"),
               "Σ|e| (the tutorial's loss) or ½Σe² of the filtered error"),
    SL_SETTING(SL_SET_FLOAT, "tau_mem", "1e-5", "s", SL_GT(0),
               "PSP kernel: membrane time constant"),
    SL_SETTING(SL_SET_FLOAT, "tau_syn", "5e-6", "s", SL_GT(0),
               "PSP kernel: synaptic time constant (must differ from "
               "tau_mem)"),
    SL_SETTING(SL_SET_FLOAT, "kernel_length", "1e-4", "s", SL_GT(0),
               "length of the truncated kernel"),
};

static const sl_setting input_settings[] = {
    SL_SETTING(SL_SET_INT, "n_inputs", "25", NULL, SL_RANGE(1, 1000000),
               "input spike trains"),
    SL_SETTING(SL_SET_FLOAT, "rate", "1e4", "Hz", SL_MIN(0),
               "Bernoulli rate of each input; rate·dt <= 1"),
    SL_SETTING(SL_SET_FLOAT, "duration", "2e-4", "s", SL_GT(0),
               "trial length"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-7", "s", SL_GT(0),
               "time step (must equal network.dt)"),
    SL_SETTING(SL_SET_FLOAT, "silent_tail", "2e-5", "s", SL_MIN(0),
               "final stretch forced silent"),
    SL_SETTING(SL_SET_INT, "n_samples", "1", NULL, SL_RANGE(1, 100000000),
               "samples"),
    SL_SETTING(SL_SET_INT, "n_out", "1", NULL, SL_RANGE(1, 1000000),
               "target channels"),
    SL_SETTING(SL_SET_INT, "numpy_seed", "-1", NULL,
               SL_RANGE(-1, 4294967295.0),
               "draw NumPy's legacy stream (np.random.seed) bit for bit; "
               "absent: the run's seeded stream"),
    SL_SETTING(SL_SET_LIST, "target_spikes", NULL, "s", SL_ANY,
               "target spike times on channel 0 (a number or a list; needs "
               "n_out = 1); absent: zero targets"),
};

static const sl_component ss_components[] = {
    SL_COMPONENT(SL_KIND_OPTIMIZER, "superspike",
                 "SuperSpike learning rule (Zenke & Ganguli 2018), offline "
                 "BrainScaleS-2 tutorial form, from recorded traces",
                 &ss__rule_iface, rule_settings),
    SL_COMPONENT(SL_KIND_DATASET, "superspike_input",
                 "the SuperSpike tutorial's Bernoulli input trains "
                 "(NumPy-exact with numpy_seed) and target spike train",
                 &ss__input_iface, input_settings),
    SL_COMPONENT(SL_KIND_LOSS, "van_rossum",
                 "van Rossum distance of spike trains (SuperSpike tutorial "
                 "kernel; norm = l1 | l2), van_rossum.c",
                 &ss__van_rossum_iface, vr_settings),
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
