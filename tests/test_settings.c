/*
 * tests/test_settings.c — settings tables (plugin.h ABI 1.1) as the core
 * enforces them: a tiny component with a table, read through the real
 * host table; range, type and choice errors naming file:line and what is
 * allowed; a read the table does not declare is refused as a plugin bug;
 * a default other than the documented one too; applied defaults are
 * recorded; unknown keys get the nearest declared name; the loader refuses
 * malformed tables; every component of the built plugins has a valid one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/flatten.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "engine/settings.h"
#include "util/suggest.h"

static const sl_setting tiny_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "tau", "1e-2", "s", SL_GT(0), "a time"),
    SL_SETTING(SL_SET_INT, "count", "3", NULL, SL_RANGE(1, 10), "how many"),
    SL_SETTING(SL_SET_STRING, "mode", "fast", NULL, SL_CHOICES("fast|slow"),
               "speed"),
    SL_SETTING(SL_SET_FLOATS, "w", "0.5", "A", SL_MIN(0), "per neuron"),
    SL_SETTING(SL_SET_GROUP, "init", NULL, NULL, SL_ANY, "start"),
    SL_SETTING(SL_SET_FLOAT, "init.std", "1.0", NULL, SL_MIN(0), "spread"),
};
static const sl_component tiny_comp[] = {
    SL_COMPONENT(SL_KIND_LOSS, "tiny", "test component", NULL,
                 tiny_settings),
};
static const sl__entry tiny_entry = {tiny_comp, NULL, tiny_settings,
                                     sizeof tiny_settings /
                                         sizeof tiny_settings[0]};

typedef struct fixture {
    sl__config *cfg;
    sl_ctx ctx;
    sl__err err;
} fixture;

/* "loss = { TEXT }" with the tiny component's table on the group */
static void setup(fixture *f, const char *text)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "loss = {\n%s\n};\n", text);
    assert_int_equal(sl__config_load_string(buf, "tiny.cfg", &f->cfg,
                                            &f->err), SL_OK);
    sl__setting *g = sl__config_find(f->cfg, NULL, "loss");
    assert_int_equal(sl__declare_section(f->cfg, NULL, SL__SEC_ROOT), SL_OK);
    assert_int_equal(sl__declare_component(f->cfg, g, SL__SEC_LOSS,
                                           &tiny_entry), SL_OK);
    sl__ctx_init(&f->ctx, f->cfg, g, 1, "loss");
}

static void teardown(fixture *f) { sl__config_free(f->cfg); }

static void test_values_in_range(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "tau = 2e-2; count = 10; mode = \"slow\"; w = [0.0, 1.0];\n"
              "init = { std = 2.0; };");
    double tau, sd;
    int64_t count;
    const char *mode;
    float w[2];
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "tau", 1e-2, &tau), SL_OK);
    assert_int_equal(sl__host.xGetInt(&f.ctx, "count", 3, &count), SL_OK);
    assert_int_equal(sl__host.xGetString(&f.ctx, "mode", "fast", &mode),
                     SL_OK);
    assert_int_equal(sl__host.xGetFloatVec(&f.ctx, "w", 0.5, w, 2), SL_OK);
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "init.std", 1.0, &sd),
                     SL_OK);
    assert_true(tau == 2e-2 && count == 10 && sd == 2.0 && w[1] == 1.0f);
    assert_string_equal(mode, "slow");
    assert_int_equal(sl__config_check_unused(f.cfg, &f.err), SL_OK);
    teardown(&f);
}

/* One bad value: the getter's status and words the message must hold. */
static void expect_bad(const char *text, const char *key, const char *w1,
                       const char *w2)
{
    fixture f;
    setup(&f, text);
    double d;
    int64_t i;
    const char *s;
    float v[2];
    int rc;
    if (strcmp(key, "count") == 0)
        rc = sl__host.xGetInt(&f.ctx, key, 3, &i);
    else if (strcmp(key, "mode") == 0)
        rc = sl__host.xGetString(&f.ctx, key, "fast", &s);
    else if (strcmp(key, "w") == 0)
        rc = sl__host.xGetFloatVec(&f.ctx, key, 0.5, v, 2);
    else
        rc = sl__host.xGetFloat(&f.ctx, key, strcmp(key, "tau") ? 1.0 : 1e-2,
                                &d);
    if (rc != SL_ECONFIG || !strstr(f.ctx.err.msg, w1) ||
        !strstr(f.ctx.err.msg, w2))
        fail_msg("'%s': got %d \"%s\", expected SL_ECONFIG naming '%s' and "
                 "'%s'", text, rc, f.ctx.err.msg, w1, w2);
    teardown(&f);
}

static void test_bad_values(void **state)
{
    (void)state;
    /* range: file:line, the key, the bound with its unit */
    expect_bad("tau = -1.0;", "tau", "tiny.cfg:2", "must be > 0 s");
    expect_bad("count = 11;", "count", "loss.count", "1 .. 10");
    expect_bad("init = { std = -1.0; };", "init.std", "init.std", ">= 0");
    expect_bad("w = [1.0, -2.0];", "w", "element 1", ">= 0 A");
    /* choices */
    expect_bad("mode = \"medium\";", "mode", "\"medium\"",
               "one of: fast, slow");
    /* type */
    expect_bad("tau = \"short\";", "tau", "tiny.cfg:2", "expected a number");
    expect_bad("count = 2.5;", "count", "loss.count", "expected an integer");
}

static void test_undeclared_read_is_a_plugin_bug(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "tau = 2e-2;");
    double d;
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "gain", 1.0, &d),
                     SL_ECONFIG);
    assert_non_null(strstr(f.ctx.err.msg, "'gain'"));
    assert_non_null(strstr(f.ctx.err.msg, "does not declare"));
    assert_non_null(strstr(f.ctx.err.msg, "bug in its plugin"));
    /* the wrong getter for a declared key, and another default */
    int64_t i;
    assert_int_equal(sl__host.xGetInt(&f.ctx, "tau", 0, &i), SL_ECONFIG);
    assert_non_null(strstr(f.ctx.err.msg, "declares a number"));
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "tau", 5e-3, &d),
                     SL_ECONFIG);
    assert_non_null(strstr(f.ctx.err.msg, "documents 1e-2"));
    /* the core's own keys of the group are declared too */
    const char *t;
    assert_int_equal(sl__host.xGetString(&f.ctx, "type", NULL, &t), SL_OK);
    teardown(&f);
}

static void test_defaults_recorded(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "tau = 2e-2;");
    double d;
    int64_t i;
    const char *s;
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "tau", 1e-2, &d), SL_OK);
    assert_int_equal(sl__host.xGetInt(&f.ctx, "count", 3, &i), SL_OK);
    assert_int_equal(sl__host.xGetString(&f.ctx, "mode", "fast", &s), SL_OK);
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "init.std", 1.0, &d), SL_OK);
    size_t n;
    const sl__kv *kv = sl__config_defaults(f.cfg, &n);
    /* tau was set: not a default; the others are, in read order */
    assert_int_equal(n, 3);
    assert_string_equal(kv[0].key, "loss.count");
    assert_string_equal(kv[0].type, "int");
    assert_string_equal(kv[0].text, "3");
    assert_string_equal(kv[1].key, "loss.mode");
    assert_string_equal(kv[1].text, "fast");
    assert_string_equal(kv[2].key, "loss.init.std");
    assert_true(kv[2].has_num && kv[2].num == 1.0);
    /* the configuration itself is untouched: no group appears */
    char *dump = sl__config_dump(f.cfg);
    assert_null(strstr(dump, "init"));
    free(dump);
    teardown(&f);
}

static void test_unknown_key_suggests(void **state)
{
    (void)state;
    fixture f;
    setup(&f, "tau = 2e-2; type = \"tiny\";\n  taux = 1.0;");
    double d;
    const char *t;
    assert_int_equal(sl__host.xGetFloat(&f.ctx, "tau", 1e-2, &d), SL_OK);
    assert_int_equal(sl__host.xGetString(&f.ctx, "type", NULL, &t), SL_OK);
    assert_int_equal(sl__config_check_unused(f.cfg, &f.err), SL_ECONFIG);
    assert_non_null(strstr(f.err.msg, "tiny.cfg:3"));
    assert_non_null(strstr(f.err.msg, "taux: unknown setting; did you mean "
                                      "tau?"));
    teardown(&f);
    /* inside a declared sub-group */
    setup(&f, "init = { sdt = 1.0; };");
    assert_int_equal(sl__config_check_unused(f.cfg, &f.err), SL_ECONFIG);
    assert_non_null(strstr(f.err.msg, "did you mean std?"));
    teardown(&f);
    /* declared but not read with these settings */
    setup(&f, "count = 2;");
    assert_int_equal(sl__config_check_unused(f.cfg, &f.err), SL_ECONFIG);
    assert_non_null(strstr(f.err.msg, "set but not used"));
    teardown(&f);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(sl__edit_distance("tau_mme", "tau_mem"), 2);
    assert_int_equal(sl__edit_distance("", "abc"), 3);
    assert_int_equal(sl__edit_distance("same", "same"), 0);
    sl__suggest sg;
    sl__suggest_init(&sg, "tau_mme", 0);
    sl__suggest_add(&sg, "tau_syn");
    sl__suggest_add(&sg, "tau_mem");
    sl__suggest_add(&sg, "v_th");
    assert_string_equal(sg.best, "tau_mem");
    sl__suggest_init(&sg, "xyz", 0);
    sl__suggest_add(&sg, "tau_mem");
    assert_null(sg.best);
}

static int x_create(const sl_host *h, sl_ctx *c, void **s)
{
    (void)h, (void)c, (void)s;
    return SL_ENOTSUP;
}
static void x_destroy(void *s) { (void)s; }
static int x_eval(void *s, const sl_seq *o, const sl_seq *t, double *v,
                  float *g)
{
    (void)s, (void)o, (void)t, (void)v, (void)g;
    return SL_OK;
}
static const sl_loss_iface any_loss = {sizeof(sl_loss_iface), 0, x_create,
                                       x_destroy, x_eval, NULL};

/* The loader refuses a table it cannot trust, naming the entry. */
static void expect_refused(const sl_setting *t, size_t n, const char *needle)
{
    const sl_component c[] = {{sizeof(sl_component), SL_KIND_LOSS, "bad_t",
                               NULL, &any_loss, n, t}};
    sl_plugin_desc d = SL_PLUGIN_DESC("bad_table", "1", NULL, c);
    sl__registry *reg = sl__registry_new();
    sl__err err;
    int rc = sl__registry_add_desc(reg, &d, NULL, &err);
    if (rc == SL_OK || !strstr(err.msg, needle))
        fail_msg("expected a refusal naming '%s', got %d \"%s\"", needle, rc,
                 rc ? err.msg : "");
    sl__registry_free(reg);
}

static void test_loader_checks_tables(void **state)
{
    (void)state;
    static const sl_setting out_of_range[] = {
        SL_SETTING(SL_SET_FLOAT, "tau", "-1", "s", SL_GT(0), "x")};
    static const sl_setting bad_def[] = {
        SL_SETTING(SL_SET_INT, "n", "three", NULL, SL_ANY, "x")};
    static const sl_setting bad_choice[] = {
        SL_SETTING(SL_SET_STRING, "m", "c", NULL, SL_CHOICES("a|b"), "x")};
    static const sl_setting twice[] = {
        SL_SETTING(SL_SET_BOOL, "b", "true", NULL, SL_ANY, "x"),
        SL_SETTING(SL_SET_BOOL, "b", "false", NULL, SL_ANY, "y")};
    static const sl_setting bad_type[] = {
        SL_SETTING(99, "z", NULL, NULL, SL_ANY, "x")};
    expect_refused(out_of_range, 1, "outside its own range");
    expect_refused(bad_def, 1, "is not an integer");
    expect_refused(bad_choice, 1, "not one of its choices");
    expect_refused(twice, 2, "declared twice");
    expect_refused(bad_type, 1, "unknown type 99");
}

/* Every component the build's plugins and the core offer declares a
 * table (none falls back to read-tracking), and the core's own section
 * tables validate too. */
static void test_every_component_has_a_table(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    sl__registry_load_default(reg, NULL, 0);
    assert_true(sl__registry_n_plugins(reg) >= 8);
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl_plugin_desc *d = sl__registry_plugin(reg, i)->desc;
        for (size_t c = 0; c < d->n_components; c++) {
            const sl_component *comp = &d->components[c];
            const sl__entry *e = sl__registry_find(
                reg, (sl_kind)comp->kind, comp->name);
            if (!e || !e->settings)
                fail_msg("component '%s' of plugin '%s' has no settings "
                         "table", comp->name, d->name);
        }
    }
    for (int s = 0; s < SL__SEC_COUNT; s++)
        for (size_t k = 0; k < sl__sections[s].n; k++) {
            char why[300];
            if (sl__setting_validate(&sl__sections[s].table[k], why,
                                     sizeof why))
                fail_msg("section '%s': %s", sl__sections[s].path, why);
        }
    sl__registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_in_range),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_undeclared_read_is_a_plugin_bug),
        cmocka_unit_test(test_defaults_recorded),
        cmocka_unit_test(test_unknown_key_suggests),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_loader_checks_tables),
        cmocka_unit_test(test_every_component_has_a_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
