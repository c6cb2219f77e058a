/* tests/test_optim.c — optim.so through the real loader: descriptor, Adam
 * and SGD against values computed by hand (in Python, double precision,
 * independent of this C code), non-finite gradients, bad settings. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dlfcn.h>

#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "testutil.h"

/* ---- harness: load the plugin, instantiate a component on a config ---- */

static sl__registry *g_reg;
static const sl__plugin *g_plugin;

static int setup(void **state)
{
    (void)state;
    g_reg = sl_test_load_plugin("optim", &g_plugin);
    return g_reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(g_reg);
    return 0;
}

typedef struct inst {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_optimizer_iface *ifc;
    void *self;
} inst;

/* Create optimizer `name` from the settings text (inside "opt = {...}").
 * Returns the xCreate status; on success the instance is in *in. */
static int make(inst *in, const char *name, const char *settings)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_OPTIMIZER, name);
    assert_non_null(e);
    in->ifc = e->comp->iface;
    char text[1024];
    snprintf(text, sizeof text, "opt = { %s };", settings);
    sl__err err = {0};
    int rc = sl__config_load_string(text, "test.cfg", &in->cfg, &err);
    if (rc != SL_OK)
        fail_msg("config: %s", err.msg);
    sl__ctx_init(&in->ctx, in->cfg, sl__config_find(in->cfg, NULL, "opt"),
                 1, "opt");
    sl_test_declare(&in->ctx, e);
    return in->ifc->xCreate(&sl__host, &in->ctx, &in->self);
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    in->self = NULL;
    in->cfg = NULL;
}

/* Every key of a valid config must have been read by the plugin. */
static void assert_all_keys_read(inst *in)
{
    sl__err err = {0};
    int rc = sl__config_check_unused(in->cfg, &err);
    if (rc != SL_OK)
        fail_msg("unused key: %s", err.msg);
}

static sl_param param(const char *name, float *data, float *grad, size_t n,
                      uint32_t flags)
{
    sl_param p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.flags = flags;
    p.name = name;
    p.data = data;
    p.grad = grad;
    p.n = n;
    p.ndim = 1;
    p.shape[0] = n;
    return p;
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.9g, want %.9g (tol %g)", got, want, tol);
}

/* ---- tests ---- */

static void test_descriptor(void **state)
{
    (void)state;
    const sl_plugin_desc *d = g_plugin->desc;
    assert_int_equal(d->struct_size, sizeof(sl_plugin_desc));
    assert_int_equal(d->abi_major, SL_ABI_MAJOR);
    assert_int_equal(d->abi_minor, SL_ABI_MINOR);
    assert_string_equal(d->version, "0.1.0");
    assert_int_equal(d->n_components, 3);
    const char *names[] = {"adam", "sgd", "rmsprop"};
    for (size_t i = 0; i < 3; i++) {
        const sl_component *c = &d->components[i];
        assert_int_equal(c->kind, SL_KIND_OPTIMIZER);
        assert_string_equal(c->name, names[i]);
        const sl_optimizer_iface *f = c->iface;
        assert_int_equal(f->struct_size, sizeof(sl_optimizer_iface));
        assert_int_equal(f->flags, SL_OPT_GRADIENT);
        assert_non_null(f->xCreate);
        assert_non_null(f->xDestroy);
        assert_non_null(f->xBind);
        assert_non_null(f->xStep);
        assert_null(f->xRuleUpdate);
    }
    /* only the entry symbol is exported */
    assert_non_null(dlsym(g_plugin->handle, "spikelab_plugin_init"));
    assert_null(dlsym(g_plugin->handle, "optim_step"));
    assert_null(dlsym(g_plugin->handle, "adam_step"));
}

/* The gradients of three steps, shared by the Adam and SGD cases. */
static const float G[3][3] = {
    {0.1f, -0.2f, 0.0f}, {0.3f, 0.1f, 1e-3f}, {-0.2f, 0.05f, 1e-3f}};

static void test_adam_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "adam", "lr = 0.1; beta1 = 0.9; "
                                       "beta2 = 0.999; eps = 1e-8; "
                                       "weight_decay = 0.0;"),
                     SL_OK);
    assert_all_keys_read(&in);
    float w[3] = {0.5f, -1.0f, 2.0f}, g[3];
    /* a frozen parameter and one without grad must stay untouched */
    float frozen[2] = {7.0f, 8.0f}, fgrad[2] = {1.0f, 1.0f};
    float nograd[1] = {3.0f};
    sl_param ps[3] = {param("frozen", frozen, fgrad, 2, 0),
                      param("weight", w, g, 3, SL_PARAM_TRAINABLE),
                      param("nograd", nograd, NULL, 1, SL_PARAM_TRAINABLE)};
    assert_int_equal(in.ifc->xBind(in.self, ps, 3), SL_OK);
    /* Expected after each step, Python (double):
     * m=b1 m+(1-b1)g; v=b2 v+(1-b2)g^2; p-=lr*(m/(1-b1^t))/(sqrt(v/(1-b2^t))+eps)
     * (a zero gradient at step 1 leaves element 2 exactly in place) */
    static const double want[3][3] = {
        {0.400000010, -0.900000005, 2.000000000},
        {0.308221902, -0.873366303, 1.925587370},
        {0.282431523, -0.867227417, 1.839742165}};
    for (int t = 0; t < 3; t++) {
        memcpy(g, G[t], sizeof g);
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        for (int j = 0; j < 3; j++)
            assert_close(w[j], want[t][j], 2e-6);
        memset(g, 0, sizeof g); /* the core zeroes grads after a step */
    }
    assert_true(frozen[0] == 7.0f && frozen[1] == 8.0f);
    assert_true(nograd[0] == 3.0f);
    drop(&in);
}

/* jaxsnn's chain for event training (specs/bss2.md §7.2) and its mock's
 * weight range: g ← clip(grad_scale·g, ±clip), lr_t = lr·lr_decay^((t −
 * 1)/decay_steps), Adam, then p ← clip(p, ±weight_bound). Expected from
 * Python (double arithmetic, float32 parameters) with grad_scale 10,
 * clip 0.5, lr 0.1, lr_decay 0.5, decay_steps 2, bound 1.5: the first
 * step's 10·0.1 and 10·0.2 are clipped, element 2 (gradient 0) goes to
 * the bound. */
static void test_adam_chain_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "adam", "lr = 0.1; grad_scale = 10.0; "
                                       "clip = 0.5; lr_decay = 0.5; "
                                       "decay_steps = 2.0; "
                                       "weight_bound = 1.5;"),
                     SL_OK);
    assert_all_keys_read(&in);
    float w[3] = {0.5f, -1.0f, 2.0f}, g[3];
    sl_param p = param("weight", w, g, 3, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    static const double want[3][3] = {
        {0.400000006, -0.899999976, 1.500000000},
        {0.329289317, -0.903721571, 1.447381616},
        {0.316189677, -0.923832297, 1.404458523}};
    for (int t = 0; t < 3; t++) {
        memcpy(g, G[t], sizeof g);
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        for (int j = 0; j < 3; j++)
            assert_close(w[j], want[t][j], 2e-6);
    }
    drop(&in);
}

/* RMSprop, Keras semantics: r = ρr + (1−ρ)g², p −= lr·g/(sqrt(r) + eps),
 * r starting at 0. */
static void test_rmsprop_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "rmsprop", "lr = 0.1; rho = 0.9; "
                                          "eps = 1e-7;"),
                     SL_OK);
    assert_all_keys_read(&in);
    float w[3] = {0.5f, -1.0f, 2.0f}, g[3];
    sl_param p = param("weight", w, g, 3, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    /* Python (double, each parameter rounded to float32 after a step as
     * the plugin stores it): r=0.9 r+0.1 g^2; p-=0.1 g/(sqrt(r)+1e-7).
     * Step 1 moves every nonzero element by lr/sqrt(0.1) = 0.3162..., a
     * zero gradient not at all */
    static const double want[3][3] = {
        {0.183773234, -0.683772743, 2.000000000},
        {-0.117737807, -0.831214488, 1.683872223},
        {0.058284003, -0.906678021, 1.454509139}};
    for (int t = 0; t < 3; t++) {
        memcpy(g, G[t], sizeof g);
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        for (int j = 0; j < 3; j++)
            assert_close(w[j], want[t][j], 2e-6);
        memset(g, 0, sizeof g);
    }
    drop(&in);

    /* where eps goes: with eps = 0.1 and g = 0.01 (r = 1e-5) outside the
     * root gives 1 − 0.01·0.01/(sqrt(1e-5) + 0.1) = 0.999030653, inside
     * (TF's fused momentum kernel) would give 0.999683788 */
    assert_int_equal(make(&in, "rmsprop", "lr = 0.01; eps = 0.1;"), SL_OK);
    float w1[1] = {1.0f}, g1[1] = {0.01f};
    sl_param p1 = param("w", w1, g1, 1, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p1, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    assert_close(w1[0], 0.999030653, 2e-7);
    drop(&in);

    /* defaults lr 1e-3, rho 0.9, eps 1e-7: g = 1 gives r = 0.1 and
     * p = 1 − 1e-3/(sqrt(0.1) + 1e-7) = 0.9968377233 */
    assert_int_equal(make(&in, "rmsprop", ""), SL_OK);
    w1[0] = 1.0f;
    g1[0] = 1.0f;
    assert_int_equal(in.ifc->xBind(in.self, &p1, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    assert_close(w1[0], 0.9968377233, 1e-7);
    drop(&in);
    /* a bad rho names the key */
    assert_int_equal(make(&in, "rmsprop", "rho = 1.0;"), SL_ECONFIG);
    assert_non_null(strstr(in.ctx.err.msg, "rho"));
    drop(&in);
}

/* RMSprop under Keras's ExponentialDecay schedule: lr_t = lr·lr_decay^((t
 * − 1)/decay_steps). Expected from Python (double, float32 parameters)
 * with lr 0.1, lr_decay 0.5, decay_steps 2: step 1 as without the
 * schedule, steps 2 and 3 at lr·0.5^0.5 and lr·0.5. */
static void test_rmsprop_decay_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "rmsprop", "lr = 0.1; lr_decay = 0.5; "
                                          "decay_steps = 2.0;"),
                     SL_OK);
    assert_all_keys_read(&in);
    float w[3] = {0.5f, -1.0f, 2.0f}, g[3];
    sl_param p = param("weight", w, g, 3, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    static const double want[3][3] = {
        {0.183773234, -0.683772743, 2.000000000},
        {-0.029427268, -0.788029790, 1.776463866},
        {0.058583640, -0.825761557, 1.661782265}};
    for (int t = 0; t < 3; t++) {
        memcpy(g, G[t], sizeof g);
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        for (int j = 0; j < 3; j++)
            assert_close(w[j], want[t][j], 2e-6);
    }
    drop(&in);
    assert_int_equal(make(&in, "rmsprop", "lr_decay = 0.0;"), SL_ECONFIG);
    assert_non_null(strstr(in.ctx.err.msg, "lr_decay"));
    drop(&in);
}

static void test_adam_defaults_and_weight_decay(void **state)
{
    (void)state;
    inst in;
    /* defaults: lr 1e-3 ... one step with g = 1 moves by lr/(1+eps) */
    assert_int_equal(make(&in, "adam", ""), SL_OK);
    float w[1] = {1.0f}, g[1] = {1.0f};
    sl_param p = param("w", w, g, 1, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    assert_close(w[0], 0.99900000001, 1e-7);
    drop(&in);

    /* weight_decay 0.1 with zero gradient: g' = 0.1·p = 0.1;
     * m̂ = 0.1, v̂ = 0.01 → p = 1 − 0.1·0.1/(0.1 + 1e-8) = 0.90000001 */
    assert_int_equal(make(&in, "adam", "lr = 0.1; weight_decay = 0.1;"),
                     SL_OK);
    w[0] = 1.0f;
    g[0] = 0.0f;
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    assert_close(w[0], 0.9000000100, 1e-7);
    drop(&in);
}

static void test_sgd_momentum_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "sgd", "lr = 0.1; momentum = 0.9;"), SL_OK);
    assert_all_keys_read(&in);
    float w[3] = {0.5f, -1.0f, 2.0f}, g[3];
    sl_param p = param("weight", w, g, 3, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    /* b = 0.9 b + g; p -= 0.1 b:
     * t1: b = G1            → p = 0.49, -0.98, 2.0
     * t2: b = .09+.3=.39, -.18+.1=-.08, 0+.001  → 0.451, -0.972, 1.9999
     * t3: b = .351-.2=.151, -.072+.05=-.022, .0009+.001=.0019
     *                        → 0.4359, -0.9698, 1.99971 */
    static const double want[3][3] = {{0.49, -0.98, 2.0},
                                      {0.451, -0.972, 1.9999},
                                      {0.4359, -0.9698, 1.99971}};
    for (int t = 0; t < 3; t++) {
        memcpy(g, G[t], sizeof g);
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        for (int j = 0; j < 3; j++)
            assert_close(w[j], want[t][j], 2e-6);
    }
    drop(&in);

    /* plain SGD (defaults: lr 0.01, momentum 0) with weight decay:
     * p = 2 − 0.01·(0.5 + 0.1·2) = 1.993 */
    assert_int_equal(make(&in, "sgd", "weight_decay = 0.1;"), SL_OK);
    w[0] = 2.0f;
    g[0] = 0.5f;
    p.n = 1;
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    assert_close(w[0], 1.993, 1e-6);
    drop(&in);
}

static void test_nan_gradient(void **state)
{
    (void)state;
    const char *algos[] = {"adam", "sgd"};
    for (int a = 0; a < 2; a++) {
        inst in;
        assert_int_equal(make(&in, algos[a], "lr = 0.1;"), SL_OK);
        float w1[2] = {1.0f, 2.0f}, g1[2] = {0.5f, 0.5f};
        float w2[3] = {3.0f, 4.0f, 5.0f}, g2[3] = {0.1f, 0.1f, 0.1f};
        sl_param ps[2] = {param("w_in", w1, g1, 2, SL_PARAM_TRAINABLE),
                          param("w_rec", w2, g2, 3, SL_PARAM_TRAINABLE)};
        assert_int_equal(in.ifc->xBind(in.self, ps, 2), SL_OK);
        g2[1] = NAN;
        assert_int_equal(in.ifc->xStep(in.self), SL_ENUMERIC);
        assert_non_null(strstr(in.ctx.err.msg, "w_rec"));
        /* all or nothing: not even the finite parameter moved */
        assert_true(w1[0] == 1.0f && w1[1] == 2.0f);
        assert_true(w2[0] == 3.0f && w2[1] == 4.0f && w2[2] == 5.0f);
        g2[1] = INFINITY;
        assert_int_equal(in.ifc->xStep(in.self), SL_ENUMERIC);
        g2[1] = -INFINITY;
        assert_int_equal(in.ifc->xStep(in.self), SL_ENUMERIC);
        /* with finite gradients the next step works and moves things */
        g2[1] = 0.1f;
        assert_int_equal(in.ifc->xStep(in.self), SL_OK);
        assert_true(w1[0] < 1.0f && w2[1] < 4.0f);
        drop(&in);
    }
}

static void test_empty_bind(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "adam", ""), SL_OK);
    assert_int_equal(in.ifc->xBind(in.self, NULL, 0), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    /* rebinding is allowed and frees the old state (valgrind checks) */
    float w[2] = {1, 2}, g[2] = {1, 1};
    sl_param p = param("w", w, g, 2, SL_PARAM_TRAINABLE);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    assert_int_equal(in.ifc->xBind(in.self, &p, 1), SL_OK);
    assert_int_equal(in.ifc->xStep(in.self), SL_OK);
    drop(&in);
}

static void expect_bad(const char *algo, const char *settings,
                       const char *key)
{
    inst in;
    int rc = make(&in, algo, settings);
    if (rc != SL_ECONFIG && rc != SL_EINVAL)
        fail_msg("%s {%s}: expected a config error, got %d", algo, settings,
                 rc);
    assert_null(in.self);
    if (!strstr(in.ctx.err.msg, key))
        fail_msg("%s {%s}: message does not name '%s': %s", algo, settings,
                 key, in.ctx.err.msg);
    drop(&in);
}

/* sl.state.v1 (state.h): Adam saved after two steps and loaded into a
 * fresh instance continues exactly as the first one does (what
 * `spikelab resume` needs); a state of the wrong size or of SGD is
 * refused with SL_EDATA and changes nothing. */
static void test_adam_state(void **state)
{
    (void)state;
    inst a, b, c;
    assert_int_equal(make(&a, "adam", "lr = 0.1;"), SL_OK);
    assert_int_equal(make(&b, "adam", "lr = 0.1;"), SL_OK);
    assert_int_equal(make(&c, "sgd", "lr = 0.1; momentum = 0.9;"), SL_OK);
    const sl_state_ext *st = a.ifc->xExtension(a.self, SL_EXT_STATE);
    assert_non_null(st);
    float wa[3] = {0.5f, -1.0f, 2.0f}, ga[3], wb[3], gb[3], wc[3], gc[3];
    sl_param pa = param("w", wa, ga, 3, SL_PARAM_TRAINABLE);
    sl_param pb = param("w", wb, gb, 3, SL_PARAM_TRAINABLE);
    sl_param pc = param("w", wc, gc, 3, SL_PARAM_TRAINABLE);
    assert_int_equal(a.ifc->xBind(a.self, &pa, 1), SL_OK);
    assert_int_equal(b.ifc->xBind(b.self, &pb, 1), SL_OK);
    assert_int_equal(c.ifc->xBind(c.self, &pc, 1), SL_OK);
    for (int t = 0; t < 2; t++) {
        memcpy(ga, G[t], sizeof ga);
        assert_int_equal(a.ifc->xStep(a.self), SL_OK);
    }
    size_t n = st->xSize(a.self);
    assert_int_equal(n, 3 * 8 + 2 * 3 * 8);
    unsigned char buf[128];
    assert_int_equal(st->xSave(a.self, buf, n), SL_OK);
    /* refused: another size, another optimizer's state */
    assert_int_equal(st->xLoad(b.self, buf, n - 1), SL_EDATA);
    const sl_state_ext *sc = c.ifc->xExtension(c.self, SL_EXT_STATE);
    assert_int_equal(sc->xLoad(c.self, buf, sc->xSize(c.self)), SL_EDATA);
    assert_int_equal(st->xLoad(b.self, buf, n), SL_OK);
    memcpy(wb, wa, sizeof wb);
    memcpy(ga, G[2], sizeof ga);
    memcpy(gb, G[2], sizeof gb);
    assert_int_equal(a.ifc->xStep(a.self), SL_OK);
    assert_int_equal(b.ifc->xStep(b.self), SL_OK);
    assert_memory_equal(wa, wb, sizeof wa);
    drop(&a);
    drop(&b);
    drop(&c);
}

static void test_bad_settings(void **state)
{
    (void)state;
    expect_bad("adam", "lr = 0.0;", "lr");
    expect_bad("adam", "lr = -1.0;", "lr");
    expect_bad("adam", "lr = \"fast\";", "lr");
    expect_bad("adam", "beta1 = 1.0;", "beta1");
    expect_bad("adam", "beta1 = -0.1;", "beta1");
    expect_bad("adam", "beta2 = 1.5;", "beta2");
    expect_bad("adam", "eps = 0.0;", "eps");
    expect_bad("adam", "weight_decay = -1.0;", "weight_decay");
    expect_bad("adam", "grad_scale = 0.0;", "grad_scale");
    expect_bad("adam", "clip = -0.01;", "clip");
    expect_bad("adam", "lr_decay = 1.5;", "lr_decay");
    expect_bad("adam", "lr_decay = 0.0;", "lr_decay");
    expect_bad("adam", "decay_steps = 0.0;", "decay_steps");
    expect_bad("adam", "weight_bound = -1.0;", "weight_bound");
    expect_bad("sgd", "lr = 0;", "lr");
    expect_bad("sgd", "momentum = 1.0;", "momentum");
    expect_bad("sgd", "momentum = -0.5;", "momentum");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_adam_by_hand),
        cmocka_unit_test(test_adam_chain_by_hand),
        cmocka_unit_test(test_rmsprop_by_hand),
        cmocka_unit_test(test_rmsprop_decay_by_hand),
        cmocka_unit_test(test_adam_defaults_and_weight_decay),
        cmocka_unit_test(test_sgd_momentum_by_hand),
        cmocka_unit_test(test_nan_gradient),
        cmocka_unit_test(test_empty_bind),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_adam_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
