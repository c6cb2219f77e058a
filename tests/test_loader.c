/*
 * tests/test_loader.c — the plugin loader (core/engine/registry.c) and
 * `spikelab plugins` (core/cmd_plugins.c).
 *
 * The test plugins are real .so files built by tests/loader.mk into
 * SL_TEST_PLUGIN_DIR: one per defect (bad_*.so, from tests/plugins/bad.c),
 * two plugins clashing on a component name (twin_a/b), two builds of one
 * plugin (shadow_v1/v2) and abi1_good.so, built against the frozen ABI 1.0
 * headers in tests/abi1/include, which must load and compute through the
 * current core.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"

#define SL__STR_(x) #x
#define SL__STR(x) SL__STR_(x)

#ifndef SL_TEST_PLUGIN_DIR
#error "SL_TEST_PLUGIN_DIR must name the directory of the test plugins"
#endif

static char *plugin_path(const char *name)
{
    static char buf[8][1024];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s.so", SL_TEST_PLUGIN_DIR, name);
    return p;
}

/* The state every fresh registry has: the built-ins only, no notes. */
static void assert_pristine(const sl__registry *reg)
{
    assert_int_equal(sl__registry_n_plugins(reg), 1);
    assert_null(sl__registry_plugin(reg, 0)->path);
    assert_string_equal(sl__registry_warnings(reg), "");
    assert_int_equal(sl__registry_n_refused(reg), 0);
    assert_non_null(sl__registry_find(reg, SL_KIND_NEURON, "linear"));
    assert_non_null(sl__registry_find(reg, SL_KIND_BACKEND, "sim"));
}

static void test_builtin(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    assert_non_null(reg);
    assert_pristine(reg);
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, "linear");
    assert_ptr_equal(e->plugin, sl__registry_plugin(reg, 0));
    assert_string_equal(e->comp->name, "linear");
    /* lookups are by kind as well as name */
    assert_null(sl__registry_find(reg, SL_KIND_LOSS, "linear"));
    assert_null(sl__registry_find(reg, SL_KIND_NEURON, "nonexistent"));
    assert_null(sl__registry_plugin(reg, 1));
    assert_string_equal(sl__kind_name(SL_KIND_NEURON), "neuron");
    assert_string_equal(sl__kind_name(SL_KIND_BACKEND), "backend");
    assert_string_equal(sl__kind_name((sl_kind)77), "unknown");
    sl__registry_free(reg);
    sl__registry_free(NULL);
}

/* Each defective plugin: its status and the specific reason. */
static const struct refusal {
    const char *file;
    int code;
    const char *reason;
} refusals[] = {
    {"bad_abi_major", SL_EABI,
     "built for ABI 99." SL__STR(SL_ABI_MINOR) ", this spikelab speaks "
     "1." SL__STR(SL_ABI_MINOR)},
    {"bad_abi_minor", SL_EABI, NULL /* built below from SL_ABI_MINOR */},
    {"bad_no_entry", SL_EPLUGIN, "no entry symbol 'spikelab_plugin_init'"},
    {"bad_null_desc", SL_EPLUGIN, "spikelab_plugin_init() returned NULL"},
    {"bad_small_desc", SL_EPLUGIN,
     "descriptor struct_size 8 is smaller than the ABI 1.0 descriptor"},
    {"bad_no_components", SL_EPLUGIN,
     "plugin 'bad' offers no components (n_components 0"},
    {"bad_kind", SL_EPLUGIN, "component 0 ('bad_kind'): unknown kind 42"},
    {"bad_iface_small", SL_EPLUGIN,
     "component 0 ('bad_layer'): neuron interface struct_size 40 is smaller "
     "than the ABI 1.0 table"},
    {"bad_dup_within", SL_EPLUGIN,
     "component name 'bad_same' appears twice in the plugin"},
};

static const char *refusal_reason(const struct refusal *r, char *buf,
                                  size_t len)
{
    if (r->reason)
        return r->reason;
    snprintf(buf, len, "built for ABI %d.%d, newer than this spikelab's %d.%d",
             SL_ABI_MAJOR, SL_ABI_MINOR + 1, SL_ABI_MAJOR, SL_ABI_MINOR);
    return buf;
}

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        char expect[1200], reason[256];
        const char *path = plugin_path(r->file);
        snprintf(expect, sizeof expect, "%s: %s", path,
                 refusal_reason(r, reason, sizeof reason));
        sl__registry *reg = sl__registry_new();
        sl__err err;
        int shadowed = -1;
        int rc = sl__registry_load_file(reg, path, &shadowed, &err);
        print_message("%s -> %s\n", r->file, err.msg);
        assert_int_equal(rc, r->code);
        assert_int_equal(err.code, r->code);
        assert_int_equal(shadowed, 0);
        /* "FILE: reason", the reason being the specific one */
        assert_memory_equal(err.msg, expect, strlen(expect));
        /* and nothing changed */
        assert_pristine(reg);
        assert_null(sl__registry_find(reg, SL_KIND_NEURON, "bad_layer"));
        assert_null(sl__registry_find(reg, SL_KIND_NEURON, "bad_same"));
        sl__registry_free(reg);
    }
}

static void test_unloadable_files(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    sl__err err;
    /* missing file */
    const char *missing = SL_TEST_PLUGIN_DIR "/no_such_plugin.so";
    assert_int_equal(sl__registry_load_file(reg, missing, NULL, &err),
                     SL_EPLUGIN);
    assert_non_null(strstr(err.msg, missing));
    assert_non_null(strstr(err.msg, ": cannot load: "));
    /* a text file with a plugin's name: dlopen's reason is passed on */
    char tmpl[] = "/tmp/sl-loader-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char junk[256];
    snprintf(junk, sizeof junk, "%s/junk.so", tmpl);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    assert_int_equal(sl__registry_load_file(reg, junk, NULL, &err),
                     SL_EPLUGIN);
    assert_memory_equal(err.msg, junk, strlen(junk));
    assert_non_null(strstr(err.msg, "cannot load: "));
    assert_pristine(reg);
    /* as part of a directory scan it becomes a warning, and the directory
     * counts as searched */
    assert_int_equal(sl__registry_load_dir(reg, tmpl), SL_OK);
    assert_int_equal(sl__registry_n_refused(reg), 1);
    const char *why;
    assert_string_equal(sl__registry_refused(reg, 0, &why), junk);
    assert_non_null(strstr(why, "cannot load: "));
    assert_int_equal(sl__registry_n_searched(reg), 1);
    assert_string_equal(sl__registry_searched(reg, 0), tmpl);
    /* a missing directory is no error and not searched; a file in place
     * of a directory is a warning */
    assert_int_equal(sl__registry_load_dir(reg, "/nonexistent/sl-dir"), SL_OK);
    assert_int_equal(sl__registry_n_searched(reg), 1);
    assert_int_equal(sl__registry_load_dir(reg, junk), SL_EIO);
    assert_int_equal(sl__registry_n_refused(reg), 2);
    assert_string_equal(sl__registry_refused(reg, 1, &why), junk);
    assert_non_null(strstr(why, "cannot read plugin directory"));
    assert_int_equal(sl__registry_n_plugins(reg), 1);
    sl__registry_free(reg);
    unlink(junk);
    rmdir(tmpl);
}

/* A component name offered by two plugins: the second is refused and the
 * message names both files. */
static void test_duplicate_across_plugins(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    sl__err err;
    const char *a = plugin_path("twin_a"), *b = plugin_path("twin_b");
    assert_int_equal(sl__registry_load_file(reg, a, NULL, &err), SL_OK);
    assert_int_equal(err.code, SL_OK);
    assert_int_equal(sl__registry_n_plugins(reg), 2);
    assert_int_equal(sl__registry_load_file(reg, b, NULL, &err), SL_EPLUGIN);
    assert_memory_equal(err.msg, b, strlen(b));
    assert_non_null(strstr(err.msg, "component 'twin' is already provided by"));
    assert_non_null(strstr(err.msg, a));
    assert_int_equal(sl__registry_n_plugins(reg), 2);
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, "twin");
    assert_non_null(e);
    assert_string_equal(e->plugin->path, a);
    assert_string_equal(e->plugin->desc->name, "twin_a");
    sl__registry_free(reg);
}

static const char *winner_version(const sl__registry *reg)
{
    const sl__entry *e =
        sl__registry_find(reg, SL_KIND_NEURON, "shadow_layer");
    assert_non_null(e);
    return e->plugin->desc->version;
}

static void test_shadow_file(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    sl__err err;
    int shadowed = -1;
    const char *v1 = plugin_path("shadow_v1"), *v2 = plugin_path("shadow_v2");
    assert_int_equal(sl__registry_load_file(reg, v1, &shadowed, &err), SL_OK);
    assert_int_equal(shadowed, 0);
    assert_int_equal(sl__registry_load_file(reg, v2, &shadowed, &err), SL_OK);
    assert_int_equal(shadowed, 1);
    assert_int_equal(sl__registry_n_plugins(reg), 2);
    assert_string_equal(winner_version(reg), "1");
    const char *by;
    assert_int_equal(sl__registry_n_shadowed(reg), 1);
    assert_string_equal(sl__registry_shadowed(reg, 0, &by), v2);
    assert_string_equal(by, v1);
    /* the very same file again is skipped without a note */
    assert_int_equal(sl__registry_load_file(reg, v1, &shadowed, &err), SL_OK);
    assert_int_equal(shadowed, 1);
    assert_int_equal(sl__registry_n_plugins(reg), 2);
    assert_int_equal(sl__registry_n_shadowed(reg), 1);
    assert_string_equal(sl__registry_warnings(reg), "");
    sl__registry_free(reg);
}

/* Three directories each holding "shadow.so" (a link to one build). */
typedef struct dirs {
    char root[64];
    char d[3][128];
} dirs;

static void make_dirs(dirs *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/sl-shadow-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    const char *target[3] = {"shadow_v1", "shadow_v2", "shadow_v2"};
    for (int i = 0; i < 3; i++) {
        char link[256];
        size_t len = strlen(t->root); /* < sizeof t->root < sizeof t->d[i] */
        memcpy(t->d[i], t->root, len);
        snprintf(t->d[i] + len, sizeof t->d[i] - len, "/d%d", i);
        assert_int_equal(mkdir(t->d[i], 0700), 0);
        snprintf(link, sizeof link, "%s/shadow.so", t->d[i]);
        assert_int_equal(symlink(plugin_path(target[i]), link), 0);
    }
}

static void remove_dirs(dirs *t)
{
    for (int i = 0; i < 3; i++) {
        char link[256];
        snprintf(link, sizeof link, "%s/shadow.so", t->d[i]);
        unlink(link);
        rmdir(t->d[i]);
    }
    rmdir(t->root);
}

/* Which build wins for a given search: extra dirs, SPIKELAB_PLUGIN_PATH,
 * system path. */
static void check_order(const char *extra, const char *env, const char *sys,
                        const char *expect_version, size_t expect_searched)
{
    if (env)
        setenv("SPIKELAB_PLUGIN_PATH", env, 1);
    else
        unsetenv("SPIKELAB_PLUGIN_PATH");
    setenv("SPIKELAB_PLUGIN_SYSTEM_PATH", sys, 1);
    sl__registry *reg = sl__registry_new();
    const char *ex[1] = {extra};
    sl__registry_load_default(reg, ex, extra ? 1 : 0);
    assert_string_equal(winner_version(reg), expect_version);
    assert_int_equal(sl__registry_n_searched(reg), expect_searched);
    assert_int_equal(sl__registry_n_refused(reg), 0);
    assert_int_equal(sl__registry_n_shadowed(reg), expect_searched - 1);
    sl__registry_free(reg);
}

static void test_search_order(void **state)
{
    (void)state;
    dirs t;
    make_dirs(&t);
    char env[512];
    /* plugin_path (extra) before the environment; empty entries skipped */
    snprintf(env, sizeof env, ":%s::", t.d[1]);
    check_order(t.d[0], env, "", "1", 2);
    snprintf(env, sizeof env, "%s", t.d[0]);
    check_order(t.d[1], env, "", "2", 2);
    /* the environment before the system directory */
    check_order(NULL, t.d[0], t.d[1], "1", 2);
    check_order(NULL, t.d[1], t.d[0], "2", 2);
    /* order inside one list: first wins; an extra entry may be a list */
    char list[512];
    snprintf(list, sizeof list, "%s:%s:%s", t.d[0], t.d[1], t.d[2]);
    check_order(list, NULL, "", "1", 3);
    snprintf(list, sizeof list, "%s:%s", t.d[2], t.d[0]);
    check_order(NULL, list, "", "2", 2);
    /* a directory listed twice: the same file is not a shadowing */
    snprintf(list, sizeof list, "%s:%s", t.d[0], t.d[0]);
    setenv("SPIKELAB_PLUGIN_SYSTEM_PATH", "", 1);
    unsetenv("SPIKELAB_PLUGIN_PATH");
    sl__registry *reg = sl__registry_new();
    sl__registry_load_path(reg, list);
    assert_int_equal(sl__registry_n_plugins(reg), 2);
    assert_int_equal(sl__registry_n_shadowed(reg), 0);
    sl__registry_free(reg);
    remove_dirs(&t);
}

/* The files of SL_TEST_PLUGIN_DIR refused by a scan, in sorted order. */
static const char *const scan_refused[] = {
    "bad_abi_major", "bad_abi_minor",     "bad_dup_within",
    "bad_iface_small", "bad_kind",        "bad_no_components",
    "bad_no_entry",  "bad_null_desc",     "bad_small_desc",
    "twin_b",
};

static sl__registry *scanned_registry(void)
{
    sl__registry *reg = sl__registry_new();
    assert_int_equal(sl__registry_load_dir(reg, SL_TEST_PLUGIN_DIR), SL_OK);
    return reg;
}

static void test_load_dir(void **state)
{
    (void)state;
    sl__registry *reg = scanned_registry();
    /* built-ins, abi1_good, shadow (v1: sorted before v2), twin_a */
    assert_int_equal(sl__registry_n_plugins(reg), 4);
    assert_string_equal(sl__registry_plugin(reg, 1)->desc->name, "abi1_good");
    assert_string_equal(sl__registry_plugin(reg, 2)->desc->name, "shadow");
    assert_string_equal(sl__registry_plugin(reg, 3)->desc->name, "twin_a");
    assert_string_equal(winner_version(reg), "1");
    assert_int_equal(sl__registry_n_shadowed(reg), 1);
    size_t n = sizeof scan_refused / sizeof scan_refused[0];
    assert_int_equal(sl__registry_n_refused(reg), n);
    const char *w = sl__registry_warnings(reg);
    size_t lines = 0;
    for (const char *p = w; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, n);
    for (size_t i = 0; i < n; i++) {
        const char *why;
        const char *file = sl__registry_refused(reg, i, &why);
        assert_string_equal(file, plugin_path(scan_refused[i]));
        /* the warning line is "file: reason" */
        char line[1400];
        snprintf(line, sizeof line, "%s: %s\n", file, why);
        assert_non_null(strstr(w, line));
    }
    assert_null(sl__registry_refused(reg, n, NULL));
    /* the specific reasons survive the scan */
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        char line[1400], reason[256];
        snprintf(line, sizeof line, "%s: %s", plugin_path(refusals[i].file),
                 refusal_reason(&refusals[i], reason, sizeof reason));
        assert_non_null(strstr(w, line));
    }
    sl__registry_free(reg);
}

/* abi1_good.so was compiled against tests/abi1/include (ABI 1.0): create
 * its layer through the current host, run it forward and backward. */
static void test_frozen_abi_plugin_runs(void **state)
{
    (void)state;
    sl__registry *reg = sl__registry_new();
    sl__err err;
    assert_int_equal(sl__registry_load_file(reg, plugin_path("abi1_good"),
                                            NULL, &err),
                     SL_OK);
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, "abi1_scale");
    assert_non_null(e);
    assert_int_equal(e->plugin->desc->abi_major, 1);
    assert_int_equal(e->plugin->desc->abi_minor, 0);
    assert_null(sl__registry_find(reg, SL_KIND_NEURON, "abi1_mse"));
    const sl_neuron_iface *nv = e->comp->iface;

    sl__config *cfg;
    assert_int_equal(sl__config_load_string("a = 2.5;\n", "test.cfg", &cfg,
                                            &err),
                     SL_OK);
    sl_ctx ctx;
    sl__ctx_init(&ctx, cfg, sl__config_root(cfg), 42, "layer");
    sl_layer_info info = {sizeof info, 3, 1e-3, NULL, 0};
    void *self = NULL;
    size_t n_out = 0;
    assert_int_equal(nv->xCreate(&sl__host, &ctx, &info, &self, &n_out),
                     SL_OK);
    assert_int_equal(n_out, 3);
    sl_param p[2];
    size_t count = 0;
    assert_int_equal(nv->xParams(self, p, 2, &count), SL_OK);
    assert_int_equal(count, 1);
    assert_string_equal(p[0].name, "a");
    assert_true(p[0].data[0] == 2.5f);
    assert_int_equal(p[0].n, 1);

    enum { B = 2, T = 4, N = 3, LEN = B * T * N };
    float in[LEN], out[LEN], dout[LEN], din[LEN];
    double sum_in = 0.0;
    for (int i = 0; i < LEN; i++) {
        in[i] = (float)(i - 10) * 0.25f;
        sum_in += in[i];
        dout[i] = 1.0f;
    }
    assert_int_equal(nv->xPrepare(self, B, T, SL_MODE_TRAIN), SL_OK);
    assert_int_equal(nv->xForward(self, in, out), SL_OK);
    for (int i = 0; i < LEN; i++)
        assert_true(out[i] == 2.5f * in[i]);
    assert_int_equal(nv->xBackward(self, dout, din), SL_OK);
    for (int i = 0; i < LEN; i++)
        assert_true(din[i] == 2.5f);
    assert_true(fabs(p[0].grad[0] - sum_in) < 1e-5);
    nv->xDestroy(self);
    sl__config_free(cfg);

    /* a bad setting is an error naming the key, not a crash */
    assert_int_equal(sl__config_load_string("a = 1e7;\n", "bad.cfg", &cfg,
                                            &err),
                     SL_OK);
    sl__ctx_init(&ctx, cfg, sl__config_root(cfg), 42, "layer");
    self = NULL;
    assert_int_equal(nv->xCreate(&sl__host, &ctx, &info, &self, &n_out),
                     SL_ECONFIG);
    assert_int_equal(sl__ctx_take_error(&ctx, SL_ECONFIG, &err), SL_ECONFIG);
    print_message("%s\n", err.msg);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_non_null(strstr(err.msg, "bad.cfg"));
    sl__config_free(cfg);

    /* its loss, with a broadcast target */
    e = sl__registry_find(reg, SL_KIND_LOSS, "abi1_mse");
    assert_non_null(e);
    const sl_loss_iface *lv = e->comp->iface;
    sl__ctx_init(&ctx, NULL, NULL, 42, "loss");
    assert_int_equal(lv->xCreate(&sl__host, &ctx, &self), SL_OK);
    float o[4] = {1, 2, 3, 4}, tg[2] = {1, 1}, g[4];
    sl_seq so = {o, 1, 2, 2, 1e-3}, st = {tg, 1, 1, 2, 1e-3};
    double v = -1;
    assert_int_equal(lv->xEval(self, &so, &st, &v, g), SL_OK);
    /* (0 + 1 + 4 + 9) / 4 */
    assert_true(fabs(v - 3.5) < 1e-12);
    assert_true(g[3] == 1.5f);
    lv->xDestroy(self);
    sl__registry_free(reg);
}

static void test_missing_message(void **state)
{
    (void)state;
    setenv("SPIKELAB_PLUGIN_SYSTEM_PATH", "", 1);
    setenv("SPIKELAB_PLUGIN_PATH", SL_TEST_PLUGIN_DIR, 1);
    sl__registry *reg = sl__registry_new();
    sl__registry_load_default(reg, NULL, 0);
    sl__err err;
    assert_int_equal(sl__registry_missing(reg, SL_KIND_NEURON, "abi1_scal",
                                          &err),
                     SL_ENOTFOUND);
    print_message("%s\n", err.msg);
    assert_int_equal(err.code, SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no neuron component named 'abi1_scal'"));
    assert_non_null(strstr(err.msg, "did you mean 'abi1_scale'?"));
    assert_non_null(strstr(err.msg, "available neuron components:"));
    assert_non_null(strstr(err.msg, "\n  linear ((built in))"));
    assert_non_null(strstr(err.msg, "\n  abi1_scale ("));
    assert_null(strstr(err.msg, "abi1_mse")); /* a loss, not listed */
    assert_non_null(strstr(err.msg, "plugins refused while searching:"));
    assert_non_null(strstr(err.msg, "bad_abi_major.so: built for ABI 99." SL__STR(SL_ABI_MINOR)));
    assert_non_null(strstr(err.msg, "searched: " SL_TEST_PLUGIN_DIR));
    assert_non_null(strstr(err.msg, "SPIKELAB_PLUGIN_PATH"));
    assert_non_null(strstr(err.msg, "plugin_path"));

    /* a name of another kind says so */
    assert_int_equal(sl__registry_missing(reg, SL_KIND_LOSS, "abi1_scale",
                                          &err),
                     SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'abi1_scale' is a neuron, from "));
    assert_non_null(strstr(err.msg, "\n  abi1_mse ("));
    /* far from every name: no guess */
    sl__registry_missing(reg, SL_KIND_NEURON, "completely_different", &err);
    assert_null(strstr(err.msg, "did you mean"));
    sl__registry_free(reg);

    /* nothing to offer */
    reg = sl__registry_new();
    sl__registry_missing(reg, SL_KIND_DATASET, "yinyang", &err);
    assert_non_null(strstr(err.msg, "available dataset components: none"));
    assert_non_null(strstr(err.msg, "searched: no plugin directory"));
    assert_null(strstr(err.msg, "plugins refused while searching"));
    sl__registry_free(reg);
    unsetenv("SPIKELAB_PLUGIN_PATH");
}

/* ---- descriptors in memory: every check not covered by a .so ---- */

static int n_create(const sl_host *h, sl_ctx *c, const sl_layer_info *i,
                    void **s, size_t *n)
{
    (void)h, (void)c, (void)i, (void)s, (void)n;
    return SL_ENOTSUP;
}
static int x_create(const sl_host *h, sl_ctx *c, void **s)
{
    (void)h, (void)c, (void)s;
    return SL_ENOTSUP;
}
static int d_create(const sl_host *h, sl_ctx *c, void **s,
                    sl_dataset_info *i)
{
    (void)h, (void)c, (void)s, (void)i;
    return SL_ENOTSUP;
}
static void x_destroy(void *s) { (void)s; }
static int n_params(void *s, sl_param *o, size_t cap, size_t *n)
{
    (void)s, (void)o, (void)cap;
    *n = 0;
    return SL_OK;
}
static int n_prepare(void *s, size_t b, size_t t, uint32_t m)
{
    (void)s, (void)b, (void)t, (void)m;
    return SL_OK;
}
static int n_forward(void *s, const float *i, float *o)
{
    (void)s, (void)i, (void)o;
    return SL_OK;
}
static int l_eval(void *s, const sl_seq *o, const sl_seq *t, double *v,
                  float *g)
{
    (void)s, (void)o, (void)t, (void)v, (void)g;
    return SL_OK;
}
static int o_bind(void *s, sl_param *p, size_t n)
{
    (void)s, (void)p, (void)n;
    return SL_OK;
}
static int o_step(void *s)
{
    (void)s;
    return SL_OK;
}
static int o_rule(void *s, const sl_trace_view *t)
{
    (void)s, (void)t;
    return SL_OK;
}
static int s_get(void *s, size_t i, float *in, float *t)
{
    (void)s, (void)i, (void)in, (void)t;
    return SL_OK;
}
static int b_place(void *s, const sl_network_view *n)
{
    (void)s, (void)n;
    return SL_OK;
}

static const sl_neuron_iface good_neuron = {
    sizeof(sl_neuron_iface), 0, n_create, x_destroy, n_params, n_prepare,
    n_forward, NULL, NULL, NULL};
static const sl_neuron_iface no_forward = {
    sizeof(sl_neuron_iface), 0, n_create, x_destroy, n_params, n_prepare,
    NULL, NULL, NULL, NULL};
static const sl_loss_iface no_eval = {sizeof(sl_loss_iface), 0, x_create,
                                      x_destroy, NULL, NULL};
static const sl_loss_iface good_loss = {sizeof(sl_loss_iface), 0, x_create,
                                        x_destroy, l_eval, NULL};
static const sl_optimizer_iface grad_no_step = {
    sizeof(sl_optimizer_iface), SL_OPT_GRADIENT, x_create, x_destroy, o_bind,
    NULL, o_rule, NULL};
static const sl_optimizer_iface traces_no_rule = {
    sizeof(sl_optimizer_iface), SL_OPT_TRACES, x_create, x_destroy, o_bind,
    o_step, NULL, NULL};
static const sl_optimizer_iface no_flags = {
    sizeof(sl_optimizer_iface), 0, x_create, x_destroy, o_bind, o_step,
    o_rule, NULL};
static const sl_optimizer_iface good_opt = {
    sizeof(sl_optimizer_iface), SL_OPT_GRADIENT, x_create, x_destroy, o_bind,
    o_step, NULL, NULL};
static const sl_dataset_iface no_get = {sizeof(sl_dataset_iface), 0, d_create,
                                        x_destroy, NULL, NULL};
static const sl_dataset_iface good_data = {sizeof(sl_dataset_iface), 0,
                                           d_create, x_destroy, s_get, NULL};
static const sl_backend_iface runs_no_run = {
    sizeof(sl_backend_iface), SL_BACKEND_RUNS, x_create, x_destroy, b_place,
    NULL, NULL, NULL, NULL};
static const sl_backend_iface exports_no_export = {
    sizeof(sl_backend_iface), SL_BACKEND_EXPORTS, x_create, x_destroy,
    b_place, NULL, NULL, NULL, NULL};
static const sl_backend_iface small_backend = {
    offsetof(sl_backend_iface, xExtension), 0, x_create, x_destroy, b_place,
    NULL, NULL, NULL, NULL};

#define COMP(kind, name, iface) \
    {sizeof(sl_component), (kind), (name), NULL, (iface), 0, NULL}

static const sl_component c_unnamed[] = {COMP(SL_KIND_NEURON, NULL,
                                              &good_neuron)};
static const sl_component c_empty_name[] = {COMP(SL_KIND_NEURON, "",
                                                 &good_neuron)};
static const sl_component c_null_iface[] = {COMP(SL_KIND_LOSS, "x", NULL)};
static const sl_component c_no_forward[] = {COMP(SL_KIND_NEURON, "x",
                                                 &no_forward)};
static const sl_component c_no_eval[] = {COMP(SL_KIND_LOSS, "x", &no_eval)};
static const sl_component c_grad_no_step[] = {
    COMP(SL_KIND_OPTIMIZER, "x", &grad_no_step)};
static const sl_component c_traces_no_rule[] = {
    COMP(SL_KIND_OPTIMIZER, "x", &traces_no_rule)};
static const sl_component c_no_flags[] = {COMP(SL_KIND_OPTIMIZER, "x",
                                               &no_flags)};
static const sl_component c_no_get[] = {COMP(SL_KIND_DATASET, "x", &no_get)};
static const sl_component c_runs_no_run[] = {
    COMP(SL_KIND_BACKEND, "x", &runs_no_run)};
static const sl_component c_exports_no_export[] = {
    COMP(SL_KIND_BACKEND, "x", &exports_no_export)};
static const sl_component c_small_backend[] = {
    COMP(SL_KIND_BACKEND, "x", &small_backend)};
static const sl_component c_builtin_clash[] = {
    COMP(SL_KIND_LOSS, "ok_loss", &good_loss),
    COMP(SL_KIND_NEURON, "linear", &good_neuron)};
static const sl_component c_small_comp[] = {
    {offsetof(sl_component, iface), SL_KIND_NEURON, "x", NULL, &good_neuron, 0, NULL}};
static const sl_component c_mixed_sizes[] = {
    COMP(SL_KIND_LOSS, "ok_loss", &good_loss),
    {sizeof(sl_component) + 8, SL_KIND_NEURON, "y", NULL, &good_neuron, 0, NULL}};
static const sl_component c_good[] = {
    COMP(SL_KIND_NEURON, "mem_layer", &good_neuron),
    COMP(SL_KIND_LOSS, "mem_loss", &good_loss),
    COMP(SL_KIND_OPTIMIZER, "mem_opt", &good_opt),
    COMP(SL_KIND_DATASET, "mem_data", &good_data)};

#define DESC(name, version, comps)                                         \
    {sizeof(sl_plugin_desc), SL_ABI_MAJOR, SL_ABI_MINOR, (name), (version), \
     NULL, sizeof(comps) / sizeof((comps)[0]), (comps)}

static const struct {
    sl_plugin_desc desc;
    const char *reason;
} bad_descs[] = {
    {DESC(NULL, "1", c_good), "descriptor has no plugin name"},
    {DESC("", "1", c_good), "descriptor has no plugin name"},
    {DESC("p", NULL, c_good), "plugin 'p' has no version string"},
    {{sizeof(sl_plugin_desc), SL_ABI_MAJOR, SL_ABI_MINOR, "p", "1", NULL, 1,
      NULL},
     "plugin 'p' offers no components (n_components 1, components NULL)"},
    {{sizeof(sl_plugin_desc), SL_ABI_MAJOR, SL_ABI_MINOR, "p", "1", NULL,
      1u << 20, c_good},
     "claims 1048576 components"},
    {{4, SL_ABI_MAJOR, SL_ABI_MINOR, "p", "1", NULL, 1, c_good},
     "descriptor struct_size 4 is too small to hold an ABI version"},
    {DESC("p", "1", c_unnamed), "component 0 has no name"},
    {DESC("p", "1", c_empty_name), "component 0 has no name"},
    {DESC("p", "1", c_null_iface), "component 0 ('x'): loss interface is NULL"},
    {DESC("p", "1", c_no_forward),
     "component 0 ('x'): neuron interface lacks required method xForward"},
    {DESC("p", "1", c_no_eval),
     "component 0 ('x'): loss interface lacks required method xEval"},
    {DESC("p", "1", c_grad_no_step),
     "optimizer interface lacks required method xStep (flag "
     "SL_OPT_GRADIENT)"},
    {DESC("p", "1", c_traces_no_rule),
     "optimizer interface lacks required method xRuleUpdate (flag "
     "SL_OPT_TRACES)"},
    {DESC("p", "1", c_no_flags),
     "optimizer interface flags: neither SL_OPT_GRADIENT nor SL_OPT_TRACES"},
    {DESC("p", "1", c_no_get),
     "dataset interface lacks required method xGet"},
    {DESC("p", "1", c_runs_no_run),
     "backend interface lacks required method xRun (flag SL_BACKEND_RUNS)"},
    {DESC("p", "1", c_exports_no_export),
     "backend interface lacks required method xExport (flag "
     "SL_BACKEND_EXPORTS)"},
    {DESC("p", "1", c_small_backend),
     "backend interface struct_size 56 is smaller than the ABI 1.0 table "
     "(64 bytes)"},
    {DESC("p", "1", c_builtin_clash),
     "component 'linear' is already provided by (built in) (plugin 'core')"},
    {DESC("p", "1", c_small_comp),
     "component 0: struct_size 24 is smaller than the ABI 1.0 sl_component "
     "(32 bytes)"},
    {DESC("p", "1", c_mixed_sizes),
     "component 1: struct_size 56 differs from component 0's 48"},
    {DESC("core", "1", c_good), "a plugin named 'core' is already loaded"},
};

static void test_descriptor_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_descs / sizeof bad_descs[0]; i++) {
        sl__registry *reg = sl__registry_new();
        sl__err err;
        int rc = sl__registry_add_desc(reg, &bad_descs[i].desc, "mem.so", &err);
        print_message("[%zu] %s\n", i, err.msg);
        assert_int_equal(rc, SL_EPLUGIN);
        assert_memory_equal(err.msg, "mem.so: ", 8);
        assert_non_null(strstr(err.msg, bad_descs[i].reason));
        assert_pristine(reg);
        assert_null(sl__registry_find(reg, SL_KIND_LOSS, "ok_loss"));
        sl__registry_free(reg);
    }
    /* and a good one, with one component of every kind but backend */
    sl__registry *reg = sl__registry_new();
    sl__err err;
    static const sl_plugin_desc good = DESC("mem", "1", c_good);
    assert_int_equal(sl__registry_add_desc(reg, &good, "mem.so", &err), SL_OK);
    assert_non_null(sl__registry_find(reg, SL_KIND_NEURON, "mem_layer"));
    assert_non_null(sl__registry_find(reg, SL_KIND_LOSS, "mem_loss"));
    assert_non_null(sl__registry_find(reg, SL_KIND_OPTIMIZER, "mem_opt"));
    assert_non_null(sl__registry_find(reg, SL_KIND_DATASET, "mem_data"));
    assert_null(sl__registry_find(reg, SL_KIND_BACKEND, "mem_data"));
    sl__registry_free(reg);
}

/* A plugin whose sl_component is larger than the core's (a later 1.x
 * writer, as the core would see its own older self): the loader strides
 * by the plugin's struct_size, never by its own sizeof. */
typedef struct big_component {
    sl_component c;
    uint64_t appended; /* a field some later minor appends */
} big_component;

static const big_component c_big[] = {
    {{sizeof(big_component), SL_KIND_NEURON, "big_a", NULL, &good_neuron, 0, NULL},
     0xdeadbeef},
    {{sizeof(big_component), SL_KIND_LOSS, "big_b", NULL, &good_loss, 0, NULL},
     0xdeadbeef},
};

static void test_component_stride(void **state)
{
    (void)state;
    static const sl_plugin_desc d = {
        sizeof(sl_plugin_desc) + 16, /* a descriptor grown as well */
        SL_ABI_MAJOR, SL_ABI_MINOR, "big", "1", NULL, 2,
        (const sl_component *)c_big};
    sl__registry *reg = sl__registry_new();
    sl__err err;
    assert_int_equal(sl__registry_add_desc(reg, &d, NULL, &err), SL_OK);
    const sl__entry *a = sl__registry_find(reg, SL_KIND_NEURON, "big_a");
    const sl__entry *b = sl__registry_find(reg, SL_KIND_LOSS, "big_b");
    assert_ptr_equal(a->comp, &c_big[0].c);
    assert_ptr_equal(b->comp, &c_big[1].c);
    sl__registry_free(reg);
}

/* ---- spikelab plugins ---- */

/* Run the subcommand with stdout captured into a malloc'd string. */
static char *run_plugins(int argc, char **argv, int *status)
{
    char path[] = "/tmp/sl-plugins-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 1) == 1);
    *status = sl__cmd_plugins(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(pread(fd, s, (size_t)len, 0), len);
    s[len] = '\0';
    close(fd);
    unlink(path);
    return s;
}

/* Drop the whitespace between JSON tokens (not inside strings). */
static void squeeze(char *s)
{
    char *w = s;
    int in_str = 0;
    for (char *p = s; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                *w++ = *p++;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            continue;
        }
        *w++ = *p;
    }
    *w = '\0';
}

static void test_cmd_plugins(void **state)
{
    (void)state;
    setenv("SPIKELAB_PLUGIN_SYSTEM_PATH", "", 1);
    unsetenv("SPIKELAB_PLUGIN_PATH");
    int st;
    char *out;

    char *a_json[] = {"plugins", "--json", "--plugin-path",
                      SL_TEST_PLUGIN_DIR, NULL};
    out = run_plugins(4, a_json, &st);
    assert_int_equal(st, 0);
    squeeze(out); /* layout is the JSON writer's business, not ours */
    assert_non_null(strstr(out, "\"name\":\"abi1_good\""));
    assert_non_null(strstr(out, "\"name\":\"abi1_scale\""));
    assert_non_null(strstr(out, "\"kind\":\"loss\""));
    assert_non_null(strstr(out, "\"file\":\"(built in)\",\"builtin\":true"));
    assert_non_null(strstr(out, "\"refused\":["));
    assert_non_null(strstr(out, "bad_abi_major.so\",\"reason\":\"built "
                                "for ABI 99." SL__STR(SL_ABI_MINOR)
                                ", this spikelab speaks 1." SL__STR(
                                    SL_ABI_MINOR)));
    assert_non_null(strstr(out, "\"shadowed\":["));
    assert_non_null(strstr(out, "shadow_v2.so\",\"by\":\""));
    assert_non_null(
        strstr(out, "\"searched\":[\"" SL_TEST_PLUGIN_DIR "\"]}"));
    /* balanced and ends as one object */
    int depth = 0, in_str = 0;
    for (const char *p = out; *p; p++) {
        if (in_str) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            assert_true(depth >= 0);
        }
    }
    assert_int_equal(depth, 0);
    assert_int_equal(out[0], '{');
    free(out);

    char *a_text[] = {"plugins", "--plugin-path=" SL_TEST_PLUGIN_DIR, NULL};
    out = run_plugins(2, a_text, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "abi1_good 1.0.0 (ABI 1.0)"));
    assert_non_null(strstr(out, "abi1_scale"));
    assert_null(strstr(out, "bad_abi_major")); /* refusals go to stderr */
    free(out);

    char *a_help[] = {"plugins", "--help", NULL};
    out = run_plugins(2, a_help, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "usage: spikelab plugins"));
    free(out);

    char *a_bad[] = {"plugins", "--bogus", NULL};
    out = run_plugins(2, a_bad, &st);
    assert_int_equal(st, 2);
    assert_string_equal(out, "");
    free(out);

    char *a_noarg[] = {"plugins", "--plugin-path", NULL};
    out = run_plugins(2, a_noarg, &st);
    assert_int_equal(st, 2);
    free(out);
}

int main(void)
{
    /* a machine-wide installation must not leak into these tests */
    setenv("SPIKELAB_PLUGIN_SYSTEM_PATH", "", 1);
    unsetenv("SPIKELAB_PLUGIN_PATH");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_unloadable_files),
        cmocka_unit_test(test_duplicate_across_plugins),
        cmocka_unit_test(test_shadow_file),
        cmocka_unit_test(test_search_order),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_frozen_abi_plugin_runs),
        cmocka_unit_test(test_missing_message),
        cmocka_unit_test(test_descriptor_checks),
        cmocka_unit_test(test_component_stride),
        cmocka_unit_test(test_cmd_plugins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
