/*
 * tests/test_abi_layout.c — pins the memory layout of ABI 1.0.
 *
 * Compiled against the CURRENT include/spikelab headers, it checks every
 * field of every struct crossing the plugin boundary against the offset
 * and size it had in the first release (tests/abi1/include), on LP64
 * (x86_64, aarch64 Linux). A field moved, resized, removed or inserted
 * before another fails here; a field appended at the end passes, because
 * the struct's size is only required to be at least its 1.0 size. The
 * numbers below must never change; new minors add lines, never edit them.
 *
 * Enum values and the entry symbol's name are ABI as well and are pinned
 * too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "spikelab/spikelab.h"

/* offset and size of one field, as released in ABI 1.0 */
#define FIELD(T, f, off, size)                                      \
    do {                                                            \
        assert_int_equal(offsetof(T, f), (off));                    \
        assert_int_equal(sizeof(((T *)0)->f), (size));              \
    } while (0)
/* the 1.0 size of a struct: it may only grow */
#define SIZE(T, size) assert_true(sizeof(T) >= (size))
/* structs without struct_size, passed or embedded by value (sl_rng kept by
 * plugins, sl_seq inside sl_layer_trace/sl_trace_view): frozen for good */
#define EXACT_SIZE(T, size) assert_int_equal(sizeof(T), (size))

static void test_struct_layout(void **state)
{
    (void)state;
    if (sizeof(void *) != 8 || sizeof(long) != 8 || sizeof(size_t) != 8) {
        skip(); /* the numbers are for LP64 */
    }
    EXACT_SIZE(sl_rng, 32);
    FIELD(sl_rng, s, 0, 32);
    SIZE(sl_param, 64);
    FIELD(sl_param, struct_size, 0, 4);
    FIELD(sl_param, flags, 4, 4);
    FIELD(sl_param, name, 8, 8);
    FIELD(sl_param, data, 16, 8);
    FIELD(sl_param, grad, 24, 8);
    FIELD(sl_param, n, 32, 8);
    FIELD(sl_param, ndim, 40, 4);
    FIELD(sl_param, shape, 48, 16);
    EXACT_SIZE(sl_seq, 40);
    FIELD(sl_seq, data, 0, 8);
    FIELD(sl_seq, batch, 8, 8);
    FIELD(sl_seq, time, 16, 8);
    FIELD(sl_seq, channels, 24, 8);
    FIELD(sl_seq, dt, 32, 8);
    SIZE(sl_host, 136);
    FIELD(sl_host, struct_size, 0, 4);
    FIELD(sl_host, abi_major, 4, 2);
    FIELD(sl_host, abi_minor, 6, 2);
    FIELD(sl_host, xGetInt, 8, 8);
    FIELD(sl_host, xGetFloat, 16, 8);
    FIELD(sl_host, xGetBool, 24, 8);
    FIELD(sl_host, xGetString, 32, 8);
    FIELD(sl_host, xGetFloatVec, 40, 8);
    FIELD(sl_host, xHasKey, 48, 8);
    FIELD(sl_host, xError, 56, 8);
    FIELD(sl_host, xLog, 64, 8);
    FIELD(sl_host, xRngDerive, 72, 8);
    FIELD(sl_host, xRngSeed, 80, 8);
    FIELD(sl_host, xRngNext, 88, 8);
    FIELD(sl_host, xRngUniform, 96, 8);
    FIELD(sl_host, xRngNormal, 104, 8);
    FIELD(sl_host, xRngPoisson, 112, 8);
    FIELD(sl_host, xAlloc, 120, 8);
    FIELD(sl_host, xFree, 128, 8);
    SIZE(sl_component, 32);
    FIELD(sl_component, struct_size, 0, 4);
    FIELD(sl_component, kind, 4, 4);
    FIELD(sl_component, name, 8, 8);
    FIELD(sl_component, description, 16, 8);
    FIELD(sl_component, iface, 24, 8);
    /* ABI 1.1: the settings table */
    SIZE(sl_component, 48);
    FIELD(sl_component, n_settings, 32, 8);
    FIELD(sl_component, settings, 40, 8);
    SIZE(sl_setting, 72);
    FIELD(sl_setting, struct_size, 0, 4);
    FIELD(sl_setting, type, 4, 4);
    FIELD(sl_setting, name, 8, 8);
    FIELD(sl_setting, def, 16, 8);
    FIELD(sl_setting, unit, 24, 8);
    FIELD(sl_setting, flags, 32, 4);
    FIELD(sl_setting, min, 40, 8);
    FIELD(sl_setting, max, 48, 8);
    FIELD(sl_setting, choices, 56, 8);
    FIELD(sl_setting, doc, 64, 8);
    SIZE(sl_plugin_desc, 48);
    FIELD(sl_plugin_desc, struct_size, 0, 4);
    FIELD(sl_plugin_desc, abi_major, 4, 2);
    FIELD(sl_plugin_desc, abi_minor, 6, 2);
    FIELD(sl_plugin_desc, name, 8, 8);
    FIELD(sl_plugin_desc, version, 16, 8);
    FIELD(sl_plugin_desc, description, 24, 8);
    FIELD(sl_plugin_desc, n_components, 32, 8);
    FIELD(sl_plugin_desc, components, 40, 8);
    SIZE(sl_layer_info, 24);
    FIELD(sl_layer_info, struct_size, 0, 4);
    FIELD(sl_layer_info, n_in, 8, 8);
    FIELD(sl_layer_info, dt, 16, 8);
    /* ABI 1.2: the shape of the input step, and the extension by which a
     * layer reports its output's */
    SIZE(sl_layer_info, 40);
    FIELD(sl_layer_info, in_shape, 24, 8);
    FIELD(sl_layer_info, in_rank, 32, 8);
    SIZE(sl_shape_ext, 16);
    FIELD(sl_shape_ext, struct_size, 0, 4);
    FIELD(sl_shape_ext, xOutShape, 8, 8);
    SIZE(sl_observable, 56);
    FIELD(sl_observable, struct_size, 0, 4);
    FIELD(sl_observable, name, 8, 8);
    FIELD(sl_observable, unit, 16, 8);
    FIELD(sl_observable, data, 24, 8);
    FIELD(sl_observable, batch, 32, 8);
    FIELD(sl_observable, time, 40, 8);
    FIELD(sl_observable, channels, 48, 8);
    SIZE(sl_neuron_iface, 72);
    FIELD(sl_neuron_iface, struct_size, 0, 4);
    FIELD(sl_neuron_iface, flags, 4, 4);
    FIELD(sl_neuron_iface, xCreate, 8, 8);
    FIELD(sl_neuron_iface, xDestroy, 16, 8);
    FIELD(sl_neuron_iface, xParams, 24, 8);
    FIELD(sl_neuron_iface, xPrepare, 32, 8);
    FIELD(sl_neuron_iface, xForward, 40, 8);
    FIELD(sl_neuron_iface, xBackward, 48, 8);
    FIELD(sl_neuron_iface, xObservable, 56, 8);
    FIELD(sl_neuron_iface, xExtension, 64, 8);
    SIZE(sl_loss_iface, 40);
    FIELD(sl_loss_iface, struct_size, 0, 4);
    FIELD(sl_loss_iface, flags, 4, 4);
    FIELD(sl_loss_iface, xCreate, 8, 8);
    FIELD(sl_loss_iface, xDestroy, 16, 8);
    FIELD(sl_loss_iface, xEval, 24, 8);
    FIELD(sl_loss_iface, xExtension, 32, 8);
    SIZE(sl_layer_trace, 128);
    FIELD(sl_layer_trace, struct_size, 0, 4);
    FIELD(sl_layer_trace, type, 8, 8);
    FIELD(sl_layer_trace, input, 16, 40);
    FIELD(sl_layer_trace, output, 56, 40);
    FIELD(sl_layer_trace, n_observables, 96, 8);
    FIELD(sl_layer_trace, observables, 104, 8);
    FIELD(sl_layer_trace, n_params, 112, 8);
    FIELD(sl_layer_trace, params, 120, 8);
    SIZE(sl_trace_view, 64);
    FIELD(sl_trace_view, struct_size, 0, 4);
    FIELD(sl_trace_view, n_layers, 8, 8);
    FIELD(sl_trace_view, layers, 16, 8);
    FIELD(sl_trace_view, target, 24, 40);
    SIZE(sl_optimizer_iface, 56);
    FIELD(sl_optimizer_iface, struct_size, 0, 4);
    FIELD(sl_optimizer_iface, flags, 4, 4);
    FIELD(sl_optimizer_iface, xCreate, 8, 8);
    FIELD(sl_optimizer_iface, xDestroy, 16, 8);
    FIELD(sl_optimizer_iface, xBind, 24, 8);
    FIELD(sl_optimizer_iface, xStep, 32, 8);
    FIELD(sl_optimizer_iface, xRuleUpdate, 40, 8);
    FIELD(sl_optimizer_iface, xExtension, 48, 8);
    SIZE(sl_dataset_info, 56);
    FIELD(sl_dataset_info, struct_size, 0, 4);
    FIELD(sl_dataset_info, n_samples, 8, 8);
    FIELD(sl_dataset_info, n_steps, 16, 8);
    FIELD(sl_dataset_info, n_in, 24, 8);
    FIELD(sl_dataset_info, n_out, 32, 8);
    FIELD(sl_dataset_info, target_steps, 40, 8);
    FIELD(sl_dataset_info, dt, 48, 8);
    SIZE(sl_dataset_iface, 40);
    FIELD(sl_dataset_iface, struct_size, 0, 4);
    FIELD(sl_dataset_iface, flags, 4, 4);
    FIELD(sl_dataset_iface, xCreate, 8, 8);
    FIELD(sl_dataset_iface, xDestroy, 16, 8);
    FIELD(sl_dataset_iface, xGet, 24, 8);
    FIELD(sl_dataset_iface, xExtension, 32, 8);
    SIZE(sl_layer_view, 56);
    FIELD(sl_layer_view, struct_size, 0, 4);
    FIELD(sl_layer_view, type, 8, 8);
    FIELD(sl_layer_view, n_in, 16, 8);
    FIELD(sl_layer_view, n_out, 24, 8);
    FIELD(sl_layer_view, ctx, 32, 8);
    FIELD(sl_layer_view, n_params, 40, 8);
    FIELD(sl_layer_view, params, 48, 8);
    SIZE(sl_network_view, 32);
    FIELD(sl_network_view, struct_size, 0, 4);
    FIELD(sl_network_view, dt, 8, 8);
    FIELD(sl_network_view, n_layers, 16, 8);
    FIELD(sl_network_view, layers, 24, 8);
    SIZE(sl_backend_iface, 64);
    FIELD(sl_backend_iface, struct_size, 0, 4);
    FIELD(sl_backend_iface, flags, 4, 4);
    FIELD(sl_backend_iface, xCreate, 8, 8);
    FIELD(sl_backend_iface, xDestroy, 16, 8);
    FIELD(sl_backend_iface, xPlace, 24, 8);
    FIELD(sl_backend_iface, xRun, 32, 8);
    FIELD(sl_backend_iface, xTrace, 40, 8);
    FIELD(sl_backend_iface, xExport, 48, 8);
    FIELD(sl_backend_iface, xExtension, 56, 8);
}

/* Enum values, flags and names plugins compile in. */
/* The extension "sl.deploy.v1" (deploy.h), as first released: pinned the
 * same way (its tables may only grow at the end). */
static void test_deploy_layout(void **state)
{
    (void)state;
    if (sizeof(void *) != 8 || sizeof(size_t) != 8) {
        skip(); /* the numbers are for LP64 */
    }
    SIZE(sl_figure, 32);
    FIELD(sl_figure, struct_size, 0, 4);
    FIELD(sl_figure, flags, 4, 4);
    FIELD(sl_figure, name, 8, 8);
    FIELD(sl_figure, text, 16, 8);
    FIELD(sl_figure, value, 24, 8);
    SIZE(sl_deploy_ext, 48);
    FIELD(sl_deploy_ext, struct_size, 0, 4);
    FIELD(sl_deploy_ext, file_ext, 8, 8);
    FIELD(sl_deploy_ext, mime, 16, 8);
    FIELD(sl_deploy_ext, xQuantise, 24, 8);
    FIELD(sl_deploy_ext, xRead, 32, 8);
    FIELD(sl_deploy_ext, xFigures, 40, 8);
    assert_string_equal(SL_EXT_DEPLOY, "sl.deploy.v1");
    assert_int_equal(SL_FIGURE_RESULT, 1);
    assert_int_equal(SL_FIGURE_REPORT, 2);
    assert_int_equal(SL_DEPLOY_WRITTEN, 0);
    assert_int_equal(SL_DEPLOY_READ, 1);
}

static void test_constants(void **state)
{
    (void)state;
    assert_string_equal(SL_PLUGIN_ENTRY_NAME, "spikelab_plugin_init");
    assert_int_equal(SL_ABI_MAJOR, 1);
    assert_true(SL_ABI_MINOR >= 0);

    assert_int_equal(SL_KIND_NEURON, 1);
    assert_int_equal(SL_KIND_LOSS, 2);
    assert_int_equal(SL_KIND_OPTIMIZER, 3);
    assert_int_equal(SL_KIND_DATASET, 4);
    assert_int_equal(SL_KIND_BACKEND, 5);

    assert_int_equal(SL_OK, 0);
    assert_int_equal(SL_ENOMEM, -1);
    assert_int_equal(SL_EINVAL, -2);
    assert_int_equal(SL_ECONFIG, -3);
    assert_int_equal(SL_EPLUGIN, -4);
    assert_int_equal(SL_EABI, -5);
    assert_int_equal(SL_EIO, -6);
    assert_int_equal(SL_EDATA, -7);
    assert_int_equal(SL_ENOTFOUND, -8);
    assert_int_equal(SL_ENOTSUP, -9);
    assert_int_equal(SL_EFIT, -10);
    assert_int_equal(SL_EDB, -11);
    assert_int_equal(SL_ENUMERIC, -12);
    assert_int_equal(SL_EINTR, -13);

    assert_int_equal(SL_LOG_ERROR, 0);
    assert_int_equal(SL_LOG_WARN, 1);
    assert_int_equal(SL_LOG_INFO, 2);
    assert_int_equal(SL_LOG_DEBUG, 3);

    assert_int_equal(SL_PARAM_TRAINABLE, 1);
    assert_int_equal(SL_PARAM_WEIGHT, 2);
    assert_int_equal(SL_MODE_TRAIN, 1);
    assert_int_equal(SL_MODE_RECORD, 2);
    assert_int_equal(SL_NEURON_SPIKING, 1);
    assert_int_equal(SL_OPT_GRADIENT, 1);
    assert_int_equal(SL_OPT_TRACES, 2);
    assert_int_equal(SL_BACKEND_RUNS, 1);
    assert_int_equal(SL_BACKEND_EXPORTS, 2);
    /* ABI 1.1 */
    assert_int_equal(SL_SET_INT, 1);
    assert_int_equal(SL_SET_FLOAT, 2);
    assert_int_equal(SL_SET_BOOL, 3);
    assert_int_equal(SL_SET_STRING, 4);
    assert_int_equal(SL_SET_FLOATS, 5);
    assert_int_equal(SL_SET_LIST, 6);
    assert_int_equal(SL_SET_GROUP, 7);
    assert_int_equal(SL_SET_MIN, 1);
    assert_int_equal(SL_SET_MAX, 2);
    assert_int_equal(SL_SET_MIN_OPEN, 4);
    assert_int_equal(SL_SET_MAX_OPEN, 8);
    assert_int_equal(SL_SET_REQUIRED, 16);
    /* ABI 1.2 */
    assert_int_equal(SL_MAX_RANK, 8);
    assert_string_equal(SL_EXT_SHAPE, "sl.shape.v1");
}

/* SL_COMPONENT and SL_SETTING fill the 1.1 fields in order. */
static const sl_setting table[] = {
    SL_SETTING(SL_SET_FLOAT, "tau", "1e-2", "s", SL_GT(0), "a time"),
    SL_SETTING(SL_SET_STRING, "mode", "a", NULL, SL_CHOICES("a|b"), "m"),
};
static const sl_component comp11[] = {
    SL_COMPONENT(SL_KIND_LOSS, "c", "d", NULL, table),
};

static void test_component_macro(void **state)
{
    (void)state;
    assert_int_equal(comp11[0].struct_size, sizeof(sl_component));
    assert_int_equal(comp11[0].n_settings, 2);
    assert_ptr_equal(comp11[0].settings, table);
    assert_int_equal(table[0].struct_size, sizeof(sl_setting));
    assert_int_equal(table[0].type, SL_SET_FLOAT);
    assert_string_equal(table[0].def, "1e-2");
    assert_string_equal(table[0].unit, "s");
    assert_int_equal(table[0].flags, SL_SET_MIN | SL_SET_MIN_OPEN);
    assert_true(table[0].min == 0.0);
    assert_string_equal(table[0].doc, "a time");
    assert_string_equal(table[1].choices, "a|b");
    assert_null(table[1].unit);
}

/* SL_PLUGIN_DESC fills the 1.0 fields in order. */
static const sl_component comps[] = {
    {sizeof(sl_component), SL_KIND_LOSS, "a", NULL, NULL, 0, NULL},
    {sizeof(sl_component), SL_KIND_LOSS, "b", NULL, NULL, 0, NULL},
};
static const sl_plugin_desc desc = SL_PLUGIN_DESC("n", "v", "d", comps);

static void test_desc_macro(void **state)
{
    (void)state;
    assert_int_equal(desc.struct_size, sizeof(sl_plugin_desc));
    assert_int_equal(desc.abi_major, SL_ABI_MAJOR);
    assert_int_equal(desc.abi_minor, SL_ABI_MINOR);
    assert_string_equal(desc.name, "n");
    assert_string_equal(desc.version, "v");
    assert_string_equal(desc.description, "d");
    assert_int_equal(desc.n_components, 2);
    assert_ptr_equal(desc.components, comps);
    /* SL_HAS_FIELD reads struct_size, not sizeof */
    sl_host h;
    memset(&h, 0, sizeof h);
    h.struct_size = (uint32_t)offsetof(sl_host, xFree);
    assert_true(SL_HAS_FIELD(sl_host, &h, xAlloc));
    assert_false(SL_HAS_FIELD(sl_host, &h, xFree));
    h.struct_size = sizeof h;
    assert_true(SL_HAS_FIELD(sl_host, &h, xFree));
    assert_false(SL_HAS_FIELD(sl_host, (sl_host *)NULL, xFree));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_layout),
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_desc_macro),
        cmocka_unit_test(test_deploy_layout),
        cmocka_unit_test(test_component_macro),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
