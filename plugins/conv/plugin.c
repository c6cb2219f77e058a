/*
 * plugins/conv/plugin.c — conv.so's descriptor and its only exported
 * symbol.
 *
 * Components (all SL_KIND_NEURON, i.e. layers; conv.h has the data
 * layout, PyTorch's [C][H][W] per time step):
 *   "conv2d"     2-d convolution: stride, padding, dilation, groups, bias
 *   "conv1d"     1-d convolution over [C][L]
 *   "sumpool2d"  sum pooling (NIR SumPool2d)
 *   "avgpool2d"  average pooling, padding counted (NIR AvgPool2d)
 *   "flatten"    identity over the flat step (NIR Flatten)
 * The names of settings and parameters follow NIR's Conv2d/SumPool2d
 * (kernel_size → kernel, weight [out][in/groups][kh][kw], bias [out]).
 */
#include "conv.h"

/* where a default in_shape comes from (sl_layer_info, ABI 1.2) */
#define CV_SHAPE_DOC                                                          \
    " (conv2d, conv1d, pools, flatten and linear report theirs, neuron "    \
    "layers pass theirs on)"

#define CV_WINDOW_DOC " (a whole number, or [h, w])"

#define CV_INIT_SETTINGS                                                      \
    SL_SETTING(SL_SET_STRING, "init", "kaiming_uniform", NULL,                \
               SL_CHOICES("kaiming_uniform|uniform|normal|zeros"),            \
               "weight initialisation: U(±gain·sqrt(6/fan_in)) with "         \
               "fan_in = in_channels/groups·kernel area, U(low, high), "      \
               "N(mean, std) or 0"),                                          \
    SL_SETTING(SL_SET_FLOAT, "gain", "1.0", "1", SL_ANY,                      \
               "kaiming_uniform: scale of the bound (PyTorch's own conv "     \
               "default is gain = 1/sqrt(6))"),                               \
    SL_SETTING(SL_SET_FLOAT, "low", "-1.0", "1", SL_ANY,                      \
               "init = uniform: lower bound"),                                \
    SL_SETTING(SL_SET_FLOAT, "high", "1.0", "1", SL_ANY,                      \
               "init = uniform: upper bound"),                                \
    SL_SETTING(SL_SET_FLOAT, "mean", "0.0", "1", SL_ANY,                      \
               "init = normal: mean"),                                        \
    SL_SETTING(SL_SET_FLOAT, "std", "1.0", "1", SL_MIN(0),                    \
               "init = normal: standard deviation")

#define CV_CONV_SETTINGS                                                      \
    SL_SETTING(SL_SET_INT, "out_channels", NULL, NULL,                        \
               SL_BOUNDS(SL_SET_REQUIRED | SL_SET_MIN, 1, 0),                 \
               "output channels (feature maps)"),                             \
    SL_SETTING(SL_SET_INT, "groups", "1", NULL, SL_MIN(1),                    \
               "channel groups: divides in_channels and out_channels; "       \
               "group g sees input channels g·C/groups onwards"),             \
    SL_SETTING(SL_SET_BOOL, "bias", "false", NULL, SL_ANY,                    \
               "add a trainable bias per output channel (initialised to "     \
               "0)"),                                                         \
    CV_INIT_SETTINGS

static const sl_setting conv2d_settings[] = {
    SL_SETTING(SL_SET_LIST, "in_shape", NULL, NULL, SL_ANY,
               "input shape [C, H, W] per time step (PyTorch order), its "
               "product the input width; default: the shape the layer "
               "before reports" CV_SHAPE_DOC),
    SL_SETTING(SL_SET_LIST, "kernel", NULL, NULL, SL_REQUIRED,
               "kernel size" CV_WINDOW_DOC),
    SL_SETTING(SL_SET_LIST, "stride", "1", NULL, SL_ANY,
               "step of the window" CV_WINDOW_DOC),
    SL_SETTING(SL_SET_LIST, "padding", "0", NULL, SL_ANY,
               "zeros added on each side" CV_WINDOW_DOC),
    SL_SETTING(SL_SET_LIST, "dilation", "1", NULL, SL_ANY,
               "spacing of the kernel's taps" CV_WINDOW_DOC),
    CV_CONV_SETTINGS,
};

static const sl_setting conv1d_settings[] = {
    SL_SETTING(SL_SET_LIST, "in_shape", NULL, NULL, SL_ANY,
               "input shape [C, L] per time step, its product the input "
               "width; default: the shape the layer before reports"
               CV_SHAPE_DOC),
    SL_SETTING(SL_SET_LIST, "kernel", NULL, NULL, SL_REQUIRED,
               "kernel length (a whole number, or [k])"),
    SL_SETTING(SL_SET_LIST, "stride", "1", NULL, SL_ANY,
               "step of the window (a whole number, or [s])"),
    SL_SETTING(SL_SET_LIST, "padding", "0", NULL, SL_ANY,
               "zeros added on each end (a whole number, or [p])"),
    SL_SETTING(SL_SET_LIST, "dilation", "1", NULL, SL_ANY,
               "spacing of the kernel's taps (a whole number, or [d])"),
    CV_CONV_SETTINGS,
};

#define CV_POOL_SETTINGS                                                      \
    SL_SETTING(SL_SET_LIST, "in_shape", NULL, NULL, SL_ANY,                   \
               "input shape [C, H, W] per time step, its product the "       \
               "input width; default: the shape the layer before reports"    \
               CV_SHAPE_DOC),                                                 \
    SL_SETTING(SL_SET_LIST, "kernel", NULL, NULL, SL_REQUIRED,                \
               "window size" CV_WINDOW_DOC),                                  \
    SL_SETTING(SL_SET_LIST, "stride", NULL, NULL, SL_ANY,                     \
               "step of the window" CV_WINDOW_DOC "; default: the kernel"),   \
    SL_SETTING(SL_SET_LIST, "padding", "0", NULL, SL_ANY,                     \
               "zeros added on each side, at most kernel/2" CV_WINDOW_DOC)

static const sl_setting sumpool2d_settings[] = {CV_POOL_SETTINGS};
static const sl_setting avgpool2d_settings[] = {CV_POOL_SETTINGS};

static const sl_setting flatten_settings[] = {
    SL_SETTING(SL_SET_LIST, "in_shape", NULL, NULL, SL_ANY,
               "optional: the input's shape (any rank), checked against the "
               "input width; the output is reported as [width]"),
};

static const sl_component conv_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "conv2d",
                 "2-d convolution over [C][H][W] steps (stride, padding, "
                 "dilation, groups, bias; im2col + GEMM)",
                 &cv__conv2d_iface, conv2d_settings),
    SL_COMPONENT(SL_KIND_NEURON, "conv1d",
                 "1-d convolution over [C][L] steps (stride, padding, "
                 "dilation, groups, bias; im2col + GEMM)",
                 &cv__conv1d_iface, conv1d_settings),
    SL_COMPONENT(SL_KIND_NEURON, "sumpool2d",
                 "2-d sum pooling over [C][H][W] steps (NIR SumPool2d)",
                 &cv__sumpool2d_iface, sumpool2d_settings),
    SL_COMPONENT(SL_KIND_NEURON, "avgpool2d",
                 "2-d average pooling over [C][H][W] steps, padding counted "
                 "in the area (NIR AvgPool2d, PyTorch count_include_pad)",
                 &cv__avgpool2d_iface, avgpool2d_settings),
    SL_COMPONENT(SL_KIND_NEURON, "flatten",
                 "identity over a flat step (NIR Flatten; the data is "
                 "already flat)",
                 &cv__flatten_iface, flatten_settings),
};

static const sl_plugin_desc conv_desc =
    SL_PLUGIN_DESC("conv", "0.1.0",
                   "convolution, pooling and flatten layers over "
                   "[batch][time][C*H*W] sequences",
                   conv_components);

/* Entry point. Returns the static descriptor (never freed), or NULL when
 * the host speaks another ABI major or its table lacks xGemm (ABI 1.2),
 * through which every product of this plugin runs. Keeps no reference to
 * host: each component receives it again in xCreate. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xGemm))
        return NULL;
    return &conv_desc;
}
