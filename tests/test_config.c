/* tests/test_config.c — experiment files: typed getters with file:line
 * errors, overrides with type checks, @include, unknown keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "engine/experiment.h"
#include "spikelab/abi.h"

static char tmpdir[256];

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sl-test-config-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

static void test_wrong_type_names_file_and_line(void **state)
{
    const char *p = write_file("a.cfg", "a = 1;\n\nopt = {\n  lr = \"fast\";\n};\n");
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load(p, &cfg, &err), SL_OK);
    double lr;
    int rc = sl__cfg_float(cfg, sl__config_find(cfg, NULL, "opt"), "lr", 1.0,
                           &lr, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "a.cfg:4"));
    assert_non_null(strstr(err.msg, "opt.lr"));
    assert_non_null(strstr(err.msg, "expected a number"));
    /* an int is a fine float, absent gives the default */
    int64_t a;
    assert_int_equal(sl__cfg_int(cfg, NULL, "a", 0, &a, &err), SL_OK);
    assert_int_equal(a, 1);
    assert_int_equal(sl__cfg_float(cfg, NULL, "a", 0, &lr, &err), SL_OK);
    assert_true(lr == 1.0);
    assert_int_equal(sl__cfg_float(cfg, NULL, "nope", 2.5, &lr, &err), SL_OK);
    assert_true(lr == 2.5);
    sl__config_free(cfg);
}

static void test_syntax_error_has_line(void **state)
{
    const char *p = write_file("bad.cfg", "a = 1;\nb = ;\n");
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load(p, &cfg, &err), SL_ECONFIG);
    assert_null(cfg);
    assert_non_null(strstr(err.msg, "bad.cfg:2"));
}

static void test_missing_file(void **state)
{
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load("/nonexistent/x.cfg", &cfg, &err), SL_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.cfg"));
}

static void test_include_reports_included_file(void **state)
{
    write_file("inc.cfg", "x = {\n  y = true;\n};\n");
    const char *p = write_file("main.cfg", "@include \"inc.cfg\"\nz = 3;\n");
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load(p, &cfg, &err), SL_OK);
    double v;
    int rc = sl__cfg_float(cfg, NULL, "x.y", 0, &v, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "inc.cfg:2"));
    sl__config_free(cfg);
}

static void test_overrides(void **state)
{
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load_string(
                         "t = { epochs = 10; lr = 0.1; name = \"a\"; on = false; };\n"
                         "layers = ( { type = \"linear\"; n = 1; }, "
                         "{ name = \"out\"; type = \"lif\"; tau = 0.01; } );\n",
                         "mem.cfg", &cfg, &err),
                     SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.epochs=25", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.lr=1", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.name=bare", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.on=true", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "layers.1.tau=0.02", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "layers.out.tau=0.03", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "new.group.key=7", &err), SL_OK);
    int64_t i;
    double d;
    int b;
    const char *s;
    assert_int_equal(sl__cfg_int(cfg, NULL, "t.epochs", 0, &i, &err), SL_OK);
    assert_int_equal(i, 25);
    assert_int_equal(sl__cfg_float(cfg, NULL, "t.lr", 0, &d, &err), SL_OK);
    assert_true(d == 1.0);
    assert_int_equal(sl__cfg_string(cfg, NULL, "t.name", NULL, &s, &err), SL_OK);
    assert_string_equal(s, "bare");
    assert_int_equal(sl__cfg_bool(cfg, NULL, "t.on", 0, &b, &err), SL_OK);
    assert_true(b);
    assert_int_equal(sl__cfg_float(cfg, NULL, "layers.[1].tau", 0, &d, &err), SL_OK);
    assert_true(d == 0.03);
    assert_int_equal(sl__cfg_int(cfg, NULL, "new.group.key", 0, &i, &err), SL_OK);
    assert_int_equal(i, 7);
    /* type checks */
    assert_int_equal(sl__config_override(cfg, "t.epochs=2.5", &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "expects an integer"));
    assert_non_null(strstr(err.msg, "command line 't.epochs=25'"));
    assert_int_equal(sl__config_override(cfg, "t.on=3", &err), SL_ECONFIG);
    assert_int_equal(sl__config_override(cfg, "t=3", &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "is a group"));
    assert_int_equal(sl__config_override(cfg, "novalue", &err), SL_ECONFIG);
    /* an error on an overridden value names the command line */
    assert_int_equal(sl__config_override(cfg, "t.name=7", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.lr=\"x\"", &err), SL_ECONFIG);
    /* true/false (any case) cannot name a setting: the effective
     * configuration holding it would not load again (fuzz_config) */
    assert_int_equal(sl__config_override(cfg, "true=1", &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "'true' cannot name a setting"));
    assert_int_equal(sl__config_override(cfg, "t.FALSE.x=1", &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "'FALSE' cannot name a setting"));
    assert_int_equal(sl__config_override(cfg, "t.truest=1", &err), SL_OK);
    assert_int_equal(sl__config_override(cfg, "t.untrue=1", &err), SL_OK);
    sl__config_free(cfg);
}

/* libconfig 1.5 wraps integer literals beyond 32 bits without the L
 * suffix (4294967296 reads as 0): refused with file:line, in included
 * files too; strings, comments, floats and 64-bit literals are left
 * alone; a wide integer on the command line becomes a 64-bit setting. */
static void test_wide_integers(void **state)
{
    (void)state;
    sl__config *cfg;
    sl__err err;
    static const char *const bad[] = {"a = 4294967296;", "a = 3000000000;",
                                      "a = 2147483648;", "a = -2147483649;",
                                      "a = [1, 99999999999];",
                                      "a = 0x100000000;"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sl__config_load_string(bad[i], "w.cfg", &cfg, &err),
                         SL_ECONFIG);
        assert_non_null(strstr(err.msg, "w.cfg:1"));
        assert_non_null(strstr(err.msg, "L for a 64-bit integer"));
    }
    assert_int_equal(sl__config_load_string(
                         "a = 2147483647; b = -2147483648; c = 4294967296L;\n"
                         "d = 1e20; e = 12345678901.0; f = \"99999999999\";\n"
                         "# 99999999999\n/* 99999999999 */ g = 0xffffffff;",
                         "ok.cfg", &cfg, &err), SL_OK);
    int64_t v;
    assert_int_equal(sl__cfg_int(cfg, NULL, "c", 0, &v, &err), SL_OK);
    assert_true(v == 4294967296LL);
    /* on the command line: seed=4294967296 is that number, not 0 */
    assert_int_equal(sl__config_override(cfg, "a=4294967296", &err), SL_OK);
    assert_int_equal(sl__cfg_int(cfg, NULL, "a", 0, &v, &err), SL_OK);
    assert_true(v == 4294967296LL);
    assert_int_equal(sl__config_override(cfg, "h=-4294967296", &err), SL_OK);
    assert_int_equal(sl__cfg_int(cfg, NULL, "h", 0, &v, &err), SL_OK);
    assert_true(v == -4294967296LL);
    sl__config_free(cfg);

    write_file("wide_inc.cfg", "x = 1;\n\ny = 5000000000;\n");
    const char *p = write_file("wide_main.cfg", "a = 1;\n"
                                                "@include \"wide_inc.cfg\"\n");
    assert_int_equal(sl__config_load(p, &cfg, &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "wide_inc.cfg:3"));
}

static void test_unknown_keys(void **state)
{
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load_string(
                         "a = 1;\ng = {\n  known = 2;\n  typo = 3;\n};\n",
                         "u.cfg", &cfg, &err),
                     SL_OK);
    int64_t v;
    sl__cfg_int(cfg, NULL, "a", 0, &v, &err);
    sl__cfg_int(cfg, NULL, "g.known", 0, &v, &err);
    assert_int_equal(sl__config_check_unused(cfg, &err), SL_ECONFIG);
    assert_non_null(strstr(err.msg, "u.cfg:4"));
    assert_non_null(strstr(err.msg, "g.typo"));
    assert_non_null(strstr(err.msg, "unknown setting"));
    sl__cfg_int(cfg, NULL, "g.typo", 0, &v, &err);
    assert_int_equal(sl__config_check_unused(cfg, &err), SL_OK);
    sl__config_free(cfg);
}

static void test_floatvec(void **state)
{
    sl__config *cfg;
    sl__err err;
    assert_int_equal(sl__config_load_string("s = 2.0; v = [1.0, 2.0, 3.0]; "
                                            "w = [1.0, 2.0];",
                                            "v.cfg", &cfg, &err), SL_OK);
    float out[3];
    assert_int_equal(sl__cfg_floatvec(cfg, NULL, "s", 0, out, 3, &err), SL_OK);
    assert_true(out[0] == 2.0f && out[2] == 2.0f);
    assert_int_equal(sl__cfg_floatvec(cfg, NULL, "v", 0, out, 3, &err), SL_OK);
    assert_true(out[0] == 1.0f && out[2] == 3.0f);
    assert_int_equal(sl__cfg_floatvec(cfg, NULL, "w", 0, out, 3, &err),
                     SL_ECONFIG);
    assert_non_null(strstr(err.msg, "list of 3"));
    sl__config_free(cfg);
}

static void test_dump_roundtrip(void **state)
{
    sl__config *cfg, *back;
    sl__err err;
    assert_int_equal(sl__config_load_string(
                         "a = 0.1; b = { c = \"x\\\"y\"; d = [1, 2]; "
                         "e = ( { f = true; } ); }; g = 1e-300; big = 12345678901L;",
                         "d.cfg", &cfg, &err), SL_OK);
    char *text = sl__config_dump(cfg);
    assert_non_null(text);
    assert_int_equal(sl__config_load_string(text, "dump", &back, &err), SL_OK);
    double a, g;
    const char *c;
    assert_int_equal(sl__cfg_float(back, NULL, "a", 0, &a, &err), SL_OK);
    assert_true(a == 0.1); /* bit-exact: %.17g */
    assert_int_equal(sl__cfg_float(back, NULL, "g", 0, &g, &err), SL_OK);
    assert_true(g == 1e-300);
    int64_t big;
    assert_int_equal(sl__cfg_int(back, NULL, "big", 0, &big, &err), SL_OK);
    assert_true(big == 12345678901LL);
    assert_int_equal(sl__cfg_string(back, NULL, "b.c", NULL, &c, &err), SL_OK);
    assert_string_equal(c, "x\"y");
    free(text);
    sl__config_free(back);
    sl__config_free(cfg);
}

/* A whole experiment with a typo is refused before anything runs, naming
 * the file and line of the typo. */
static void test_experiment_unknown_key(void **state)
{
    const char *p = write_file("exp.cfg",
        "name = \"t\";\n"
        "data = { train = { type = \"frozen_noise\"; n_samples = 2; }; };\n"
        "network = { dt = 1e-3; layers = (\n"
        "  { type = \"linear\"; n_out = 2; },\n"
        "  { type = \"lif\"; tau_mem = 2e-2; tau_sin = 1e-2; }\n"
        "); };\n"
        "loss = { type = \"mse\"; };\n"
        "optimizer = { type = \"adam\"; };\n");
    sl__experiment exp;
    sl__err err;
    int rc = sl__experiment_load(&exp, p, NULL, NULL, 0, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "exp.cfg:5"));
    assert_non_null(strstr(err.msg, "tau_sin"));
    /* an impossible value is refused with its line */
    char *ov2[] = {"optimizer.lr=-1"};
    p = write_file("exp2.cfg",
        "name = \"t\";\n"
        "data = { train = { type = \"frozen_noise\"; n_samples = 2; }; };\n"
        "network = { dt = 1e-3; layers = (\n"
        "  { type = \"linear\"; n_out = 2; }\n"
        "); };\n"
        "loss = { type = \"mse\"; };\n"
        "optimizer = { type = \"adam\"; };\n");
    rc = sl__experiment_load(&exp, p, NULL, ov2, 1, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "optimizer.lr=-1"));
    /* an unknown component names what is available */
    char *ov3[] = {"loss.type=nosuchloss"};
    rc = sl__experiment_load(&exp, p, NULL, ov3, 1, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "nosuchloss"));
    assert_non_null(strstr(err.msg, "mse"));
    /* and the good one loads */
    rc = sl__experiment_load(&exp, p, NULL, NULL, 0, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(exp.net.n_layers, 1);
    sl__experiment_free(&exp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_type_names_file_and_line),
        cmocka_unit_test(test_syntax_error_has_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_include_reports_included_file),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_wide_integers),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_floatvec),
        cmocka_unit_test(test_dump_roundtrip),
        cmocka_unit_test(test_experiment_unknown_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
