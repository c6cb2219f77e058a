/* tests/test_filedata.c — filedata.so through the real loader: the npy,
 * idx and events datasets on small files written here (datafiles.c),
 * values as the formats define them, the SHD binning against a
 * hand-computed case, and every bad-input case a clear error naming the
 * file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "engine/datasel.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "datafiles.h"
#include "testutil.h"

static sl__registry *g_reg;
static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    g_reg = sl_test_load_plugin("filedata", NULL);
    snprintf(g_dir, sizeof g_dir, "/tmp/sl-filedata-XXXXXX");
    return g_reg && mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(g_reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* g_dir/name in one of 64 rotating buffers: more than a test holds at
 * once */
static const char *tpath(const char *name)
{
    static char buf[64][256];
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

typedef struct inst {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_dataset_iface *ifc;
    void *self;
    sl_dataset_info info;
    sl__err err;
} inst;

/* Create component `comp` with the settings text; returns its status,
 * the message in in->err. */
static int make(inst *in, const char *comp, const char *fmt, ...)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_DATASET, comp);
    assert_non_null(e);
    in->ifc = e->comp->iface;
    char settings[2048], text[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(settings, sizeof settings, fmt, ap);
    va_end(ap);
    snprintf(text, sizeof text, "data = { %s };", settings);
    if (sl__config_load_string(text, "test.cfg", &in->cfg, &in->err))
        fail_msg("config: %s", in->err.msg);
    sl__ctx_init(&in->ctx, in->cfg, sl__config_find(in->cfg, NULL, "data"),
                 1, "data");
    sl_test_declare(&in->ctx, e);
    in->info.struct_size = sizeof in->info;
    int rc = in->ifc->xCreate(&sl__host, &in->ctx, &in->self, &in->info);
    if (rc) {
        in->self = NULL;
        sl__ctx_take_error(&in->ctx, rc, &in->err);
    }
    return rc;
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__ctx_fini(&in->ctx);
    sl__config_free(in->cfg);
    memset(in, 0, sizeof *in);
}

/* The creation fails with `code` and a message holding each of the
 * NULL-terminated strings. */
static void expect_error(inst *in, int rc, int code, ...)
{
    if (rc != code)
        fail_msg("expected status %d, got %d (%s)", code, rc, in->err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *s; (s = va_arg(ap, const char *));)
        if (!strstr(in->err.msg, s))
            fail_msg("message '%s' lacks '%s'", in->err.msg, s);
    va_end(ap);
    drop(in);
}

/* ---- npy ---- */

static void write_xy(const char *xn, const char *yn)
{
    float x[3 * 2 * 2];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i * 0.5f;
    int64_t y[3] = {2, 0, 1};
    size_t xs[3] = {3, 2, 2}, ys[1] = {3};
    assert_int_equal(td_write_npy(tpath(xn), "<f4", xs, 3, x, sizeof x), 0);
    assert_int_equal(td_write_npy(tpath(yn), "<i8", ys, 1, y, sizeof y), 0);
}

static void test_npy_labels(void **state)
{
    (void)state;
    write_xy("x.npy", "y.npy");
    inst in;
    assert_int_equal(make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                          tpath("x.npy"), tpath("y.npy")), SL_OK);
    assert_int_equal(in.info.n_samples, 3);
    assert_int_equal(in.info.n_steps, 2);
    assert_int_equal(in.info.n_in, 2);
    assert_int_equal(in.info.n_out, 3); /* largest label + 1 */
    assert_int_equal(in.info.target_steps, 1);
    float x[4], y[3];
    assert_int_equal(in.ifc->xGet(in.self, 1, x, y), SL_OK);
    for (int k = 0; k < 4; k++)
        assert_true(x[k] == (float)(4 + k) * 0.5f);
    assert_true(y[0] == 1.0f && y[1] == 0.0f && y[2] == 0.0f);
    /* the files are named for the run's record */
    const sl_dataset_source *src =
        in.ifc->xExtension(in.self, SL_DATASET_EXT_SOURCE);
    assert_non_null(src);
    assert_int_equal(src->n_files, 2);
    assert_string_equal(src->paths[0], tpath("x.npy"));
    drop(&in);
}

static void test_npy_sequences_and_npz(void **state)
{
    (void)state;
    /* uint8 inputs, float64 target sequences [N][T][K], in an .npz */
    uint8_t x[2 * 3 * 1] = {1, 0, 1, 0, 0, 1};
    double y[2 * 3 * 2];
    for (int i = 0; i < 12; i++)
        y[i] = i / 10.0;
    size_t xs[3] = {2, 3, 1}, ys[3] = {2, 3, 2};
    uint8_t *img[2];
    size_t len[2];
    assert_int_equal(td_npy_image("|u1", xs, 3, x, sizeof x, &img[0],
                                  &len[0]), 0);
    assert_int_equal(td_npy_image("<f8", ys, 3, y, sizeof y, &img[1],
                                  &len[1]), 0);
    const char *names[2] = {"x", "y"};
    for (int deflate = 0; deflate < 2; deflate++) {
        const char *p = tpath(deflate ? "c.npz" : "s.npz");
        assert_int_equal(td_write_npz(p, deflate, 2, names, img, len), 0);
        inst in;
        assert_int_equal(make(&in, "npy", "inputs = \"%s\"; inputs_member "
                              "= \"x\"; targets = \"%s\"; targets_member = "
                              "\"y\";", p, p), SL_OK);
        assert_int_equal(in.info.target_steps, 3);
        assert_int_equal(in.info.n_out, 2);
        float xi[3], yi[6];
        assert_int_equal(in.ifc->xGet(in.self, 1, xi, yi), SL_OK);
        assert_true(xi[0] == 0 && xi[1] == 0 && xi[2] == 1);
        for (int k = 0; k < 6; k++)
            assert_true(yi[k] == (float)((6 + k) / 10.0));
        drop(&in);
        /* without a member name: two members, an error listing them */
        expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = "
                               "\"%s\"; targets_member = \"y\";", p, p),
                     SL_ENOTFOUND, p, "x.npy, y.npy", NULL);
        expect_error(&in, make(&in, "npy", "inputs = \"%s\"; inputs_member "
                               "= \"z\"; targets = \"%s\"; targets_member = "
                               "\"y\";", p, p),
                     SL_ENOTFOUND, "no member 'z'", NULL);
    }
    free(img[0]);
    free(img[1]);
}

static void test_npy_bad(void **state)
{
    (void)state;
    write_xy("x.npy", "y.npy");
    const char *x = tpath("x.npy"), *y = tpath("y.npy");
    inst in;
    /* missing file */
    expect_error(&in, make(&in, "npy", "inputs = \"%s/none.npy\"; targets "
                           "= \"%s\";", g_dir, y),
                 SL_EIO, "none.npy", "cannot open", NULL);
    /* wrong magic */
    FILE *f = fopen(tpath("bad.npy"), "wb");
    fputs("NUMPY\x01\x00 nothing here", f);
    fclose(f);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("bad.npy"), y),
                 SL_EDATA, "bad.npy", "magic", NULL);
    /* truncated: the data cut short */
    uint8_t *img;
    size_t len;
    float v[12] = {0};
    size_t xs[3] = {3, 2, 2};
    assert_int_equal(td_npy_image("<f4", xs, 3, v, sizeof v, &img, &len), 0);
    f = fopen(tpath("trunc.npy"), "wb");
    fwrite(img, 1, len - 5, f);
    fclose(f);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("trunc.npy"), y),
                 SL_EDATA, "trunc.npy", "truncated", NULL);
    /* a header announcing more than the file holds */
    f = fopen(tpath("trunch.npy"), "wb");
    fwrite(img, 1, 30, f);
    fclose(f);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("trunch.npy"), y),
                 SL_EDATA, "trunch.npy", "truncated .npy header", NULL);
    free(img);
    /* big-endian, Fortran order */
    assert_int_equal(td_write_npy(tpath("be.npy"), ">f4", xs, 3, v,
                                  sizeof v), 0);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("be.npy"), y),
                 SL_EDATA, "be.npy", "'>f4' is not supported", NULL);
    /* NaN in the inputs */
    v[7] = NAN;
    assert_int_equal(td_write_npy(tpath("nan.npy"), "<f4", xs, 3, v,
                                  sizeof v), 0);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("nan.npy"), y),
                 SL_EDATA, "nan.npy", "sample 1 has NaN", NULL);
    /* label out of range */
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\"; "
                           "n_classes = 2;", x, y),
                 SL_EDATA, "y.npy", "label 2 of sample 0 is out of range",
                 NULL);
    /* labels that do not match the samples; inputs of another rank */
    int64_t y2[2] = {0, 1};
    size_t s1[1] = {2}, s2[2] = {3, 4};
    assert_int_equal(td_write_npy(tpath("y2.npy"), "<i8", s1, 1, y2,
                                  sizeof y2), 0);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           x, tpath("y2.npy")),
                 SL_EDATA, "y2.npy", "do not match the 3 samples", NULL);
    assert_int_equal(td_write_npy(tpath("x2.npy"), "<f4", s2, 2, v,
                                  sizeof v), 0);
    expect_error(&in, make(&in, "npy", "inputs = \"%s\"; targets = \"%s\";",
                           tpath("x2.npy"), y),
                 SL_EDATA, "x2.npy", "[N][T][C]", "[3][4]", NULL);
}

/* ---- idx ---- */

static void write_idx(int gz)
{
    uint8_t img[2 * 2 * 3] = {0, 51, 255, 102, 153, 204,
                              255, 255, 0, 0, 10, 60};
    uint8_t lab[2] = {3, 7};
    uint32_t d3[3] = {2, 2, 3}, d1[1] = {2};
    assert_int_equal(td_write_idx(tpath(gz ? "i.gz" : "i.idx"), gz, d3, 3,
                                  img), 0);
    assert_int_equal(td_write_idx(tpath(gz ? "l.gz" : "l.idx"), gz, d1, 1,
                                  lab), 0);
}

static void test_idx_encodings(void **state)
{
    (void)state;
    write_idx(0);
    write_idx(1);
    inst in;
    float x[4 * 6], y[10];
    /* current, gzip'd: x = p/255 at every step */
    assert_int_equal(make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                          "encoding = \"current\"; n_steps = 4;",
                          tpath("i.gz"), tpath("l.gz")), SL_OK);
    assert_int_equal(in.info.n_in, 6);
    assert_int_equal(in.info.n_out, 10);
    assert_int_equal(in.ifc->xGet(in.self, 0, x, y), SL_OK);
    for (int t = 0; t < 4; t++)
        assert_true(fabsf(x[t * 6 + 1] - 0.2f) < 1e-6f);
    assert_true(y[3] == 1.0f && y[7] == 0.0f);
    drop(&in);
    /* bernoulli at max_rate*dt = 1: a pixel of 255 spikes every step, 0
     * never */
    assert_int_equal(make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                          "encoding = \"bernoulli\"; n_steps = 4; max_rate "
                          "= 1000.0;", tpath("i.idx"), tpath("l.idx")),
                     SL_OK);
    assert_int_equal(in.ifc->xGet(in.self, 0, x, y), SL_OK);
    for (int t = 0; t < 4; t++) {
        assert_true(x[t * 6 + 2] == 1.0f);
        assert_true(x[t * 6 + 0] == 0.0f);
    }
    float x2[4 * 6];
    assert_int_equal(in.ifc->xGet(in.self, 0, x2, NULL), SL_OK);
    assert_memory_equal(x, x2, sizeof x); /* the same sample every time */
    drop(&in);
    /* latency: t = round((1 - x)/(1 - 0.2)*(T-1)); x <= 0.2 no spike */
    assert_int_equal(make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                          "encoding = \"latency\"; n_steps = 5;",
                          tpath("i.idx"), tpath("l.idx")), SL_OK);
    float xl[5 * 6];
    assert_int_equal(in.ifc->xGet(in.self, 0, xl, NULL), SL_OK);
    float sum = 0;
    for (int k = 0; k < 30; k++)
        sum += xl[k];
    assert_true(sum == 4.0f); /* 0 and 51 (= 0.2) stay silent */
    assert_true(xl[0 * 6 + 2] == 1.0f); /* 255: step 0 */
    /* 102 = 0.4: (0.6/0.8)*4 = 3; 153 = 0.6: 2; 204 = 0.8: 1 */
    assert_true(xl[3 * 6 + 3] == 1.0f);
    assert_true(xl[2 * 6 + 4] == 1.0f);
    assert_true(xl[1 * 6 + 5] == 1.0f);
    drop(&in);
    /* rows: one step per image row */
    assert_int_equal(make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                          "encoding = \"current\"; layout = \"rows\"; "
                          "normalise = \"none\";",
                          tpath("i.idx"), tpath("l.idx")), SL_OK);
    assert_int_equal(in.info.n_steps, 2);
    assert_int_equal(in.info.n_in, 3);
    assert_int_equal(in.ifc->xGet(in.self, 1, x, y), SL_OK);
    assert_true(x[0] == 255.0f && x[4] == 10.0f);
    assert_true(y[7] == 1.0f);
    drop(&in);
}

static void test_idx_bad(void **state)
{
    (void)state;
    write_idx(0);
    const char *img = tpath("i.idx"), *lab = tpath("l.idx");
    inst in;
    FILE *f = fopen(tpath("magic.idx"), "wb");
    fwrite("\x01\x02\x08\x03\x00\x00\x00\x01", 1, 8, f);
    fclose(f);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           tpath("magic.idx"), lab),
                 SL_EDATA, "magic.idx", "not an IDX file", NULL);
    f = fopen(tpath("type.idx"), "wb");
    fwrite("\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x00\x00", 1, 12, f);
    fclose(f);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           img, tpath("type.idx")),
                 SL_EDATA, "type.idx", "type 0x0d", NULL);
    /* truncated data, and bytes after the data */
    uint8_t data[13] = {0};
    uint32_t d3[3] = {3, 2, 3}, d1[1] = {2};
    f = fopen(tpath("short.idx"), "wb");
    fwrite("\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00\x03",
           1, 16, f);
    fwrite(data, 1, 13, f);
    fclose(f);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           tpath("short.idx"), lab),
                 SL_EDATA, "short.idx", "truncated: 13 of the 18", NULL);
    (void)d3;
    f = fopen(tpath("long.idx"), "wb");
    fwrite("\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02\x03", 1, 11, f);
    fclose(f);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           img, tpath("long.idx")),
                 SL_EDATA, "long.idx", "longer than its header", NULL);
    /* a corrupt gzip stream */
    f = fopen(tpath("bad.gz"), "wb");
    fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage", 1, 25,
           f);
    fclose(f);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           tpath("bad.gz"), lab),
                 SL_EDATA, "bad.gz", NULL);
    /* labels of another count; a label out of range; a missing file */
    uint8_t l3[3] = {1, 2, 3};
    uint32_t d13[1] = {3};
    assert_int_equal(td_write_idx(tpath("l3.idx"), 0, d13, 1, l3), 0);
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\";",
                           img, tpath("l3.idx")),
                 SL_EDATA, "l3.idx has 3 labels", "has 2 images", NULL);
    (void)d1;
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                           "n_classes = 5;", img, lab),
                 SL_EDATA, "l.idx", "label 7 of sample 1 is out of range",
                 NULL);
    expect_error(&in, make(&in, "idx", "images = \"%s/no.gz\"; labels = "
                           "\"%s\";", g_dir, lab),
                 SL_EIO, "no.gz", "cannot open", NULL);
    /* a spike code on standardised values */
    expect_error(&in, make(&in, "idx", "images = \"%s\"; labels = \"%s\"; "
                           "normalise = \"standard\";", img, lab),
                 SL_ECONFIG, "normalise", NULL);
}

/* ---- events (HDF5, SHD layout) ---- */

static void test_events_binning(void **state)
{
    (void)state;
    /* dt = 1 ms, duration 5 ms: 5 bins [k ms, k+1 ms); 4 units pooled by
     * 2 into 2 channels. Times in float64 so the edges are exact. */
    const double t0[] = {0.0, 0.001, 0.0025, 0.003, 0.004999, 0.005, 0.007};
    const int u0[] = {0, 1, 2, 3, 3, 0, 1};
    const double t1[] = {0.0049};
    const int u1[] = {2};
    const double *times[2] = {t0, t1};
    const int *units[2] = {u0, u1};
    size_t lens[2] = {7, 1};
    int labels[2] = {1, 0};
    assert_int_equal(td_write_shd(tpath("b.h5"), 2, times, units, lens,
                                  labels, 1, 0), 0);
    inst in;
    assert_int_equal(make(&in, "events", "file = \"%s\"; duration = 5e-3; "
                          "dt = 1e-3; n_units = 4; pool = 2; n_classes = 2;",
                          tpath("b.h5")), SL_OK);
    assert_int_equal(in.info.n_steps, 5);
    assert_int_equal(in.info.n_in, 2);
    float x[5 * 2], y[2];
    assert_int_equal(in.ifc->xGet(in.self, 0, x, y), SL_OK);
    /* by hand: 0 -> bin 0 ch 0; 0.001 (edge) -> bin 1 ch 0; 0.0025 ->
     * bin 2 ch 1; 0.003 (edge; 0.003/0.001 = 2.9999999999999996 in
     * double) -> bin 3 ch 1; 0.004999 -> bin 4 ch 1; 0.005 and 0.007
     * are past the duration: dropped */
    const float want[10] = {1, 0, 1, 0, 0, 1, 0, 1, 0, 1};
    for (int k = 0; k < 10; k++)
        if (x[k] != want[k])
            fail_msg("bin %d channel %d: %g, want %g", k / 2, k % 2,
                     (double)x[k], (double)want[k]);
    assert_true(y[1] == 1.0f && y[0] == 0.0f);
    const sl_dataset_source *src =
        in.ifc->xExtension(in.self, SL_DATASET_EXT_SOURCE);
    int seen = 0;
    for (size_t k = 0; k < src->n_notes; k++)
        if (strcmp(src->note_keys[k], "events_dropped") == 0) {
            assert_string_equal(src->note_values[k], "2");
            seen = 1;
        }
    assert_true(seen);
    drop(&in);
    /* no pooling: 4 channels */
    assert_int_equal(make(&in, "events", "file = \"%s\"; duration = 5e-3; "
                          "dt = 1e-3; n_units = 4; n_classes = 2;",
                          tpath("b.h5")), SL_OK);
    float x4[5 * 4];
    assert_int_equal(in.ifc->xGet(in.self, 1, x4, NULL), SL_OK);
    for (int k = 0; k < 20; k++)
        assert_true(x4[k] == (k == 4 * 4 + 2 ? 1.0f : 0.0f));
    drop(&in);
    /* a unit outside n_units is an error naming the sample */
    expect_error(&in, make(&in, "events", "file = \"%s\"; duration = 5e-3; "
                           "dt = 1e-3; n_units = 3; n_classes = 2;",
                           tpath("b.h5")),
                 SL_EDATA, "b.h5", "sample 0, event 3: unit 3 is out of "
                 "range", NULL);
}

static void test_events_bad(void **state)
{
    (void)state;
    const double t0[] = {0.1};
    const int u0[] = {1};
    const double *times[1] = {t0};
    const int *units[1] = {u0};
    size_t lens[1] = {1};
    int labels[1] = {5};
    inst in;
    assert_int_equal(td_write_shd(tpath("nolab.h5"), 1, times, units, lens,
                                  labels, 0, TD_SHD_NO_LABELS), 0);
    expect_error(&in, make(&in, "events", "file = \"%s\";",
                           tpath("nolab.h5")),
                 SL_EDATA, "nolab.h5", "not in the SHD layout",
                 "no dataset /labels", NULL);
    assert_int_equal(td_write_shd(tpath("plain.h5"), 1, times, units, lens,
                                  labels, 0, TD_SHD_UNITS_PLAIN), 0);
    expect_error(&in, make(&in, "events", "file = \"%s\";",
                           tpath("plain.h5")),
                 SL_EDATA, "plain.h5", "/spikes/units must be", NULL);
    assert_int_equal(td_write_shd(tpath("lab.h5"), 1, times, units, lens,
                                  labels, 0, 0), 0);
    expect_error(&in, make(&in, "events", "file = \"%s\"; n_classes = 5;",
                           tpath("lab.h5")),
                 SL_EDATA, "lab.h5", "label 5 of sample 0", NULL);
    const double tn[] = {-0.5};
    const double *timesn[1] = {tn};
    assert_int_equal(td_write_shd(tpath("neg.h5"), 1, timesn, units, lens,
                                  labels, 1, 0), 0);
    expect_error(&in, make(&in, "events", "file = \"%s\";", tpath("neg.h5")),
                 SL_EDATA, "neg.h5", "time -0.5 s", NULL);
    FILE *f = fopen(tpath("text.h5"), "wb");
    fputs("not hdf5 at all\n", f);
    fclose(f);
    expect_error(&in, make(&in, "events", "file = \"%s\";",
                           tpath("text.h5")),
                 SL_EDATA, "text.h5", "not an HDF5 file", NULL);
    expect_error(&in, make(&in, "events", "file = \"%s/none.h5\";", g_dir),
                 SL_EIO, "none.h5", NULL);
    expect_error(&in, make(&in, "events", "file = \"%s\"; pool = 3;",
                           tpath("lab.h5")),
                 SL_ECONFIG, "does not divide", NULL);
}

static void test_events_generate(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "events", "file = \"%s/absent.h5\"; missing "
                          "= \"generate\"; generate_samples = 10; duration "
                          "= 0.5; dt = 1e-2;", g_dir), SL_OK);
    assert_int_equal(in.info.n_samples, 10);
    assert_int_equal(in.info.n_in, 700);
    float *x = malloc(50 * 700 * sizeof *x), y[20];
    assert_int_equal(in.ifc->xGet(in.self, 3, x, y), SL_OK);
    double s = 0;
    for (size_t k = 0; k < 50 * 700; k++)
        s += x[k];
    assert_true(s > 10);
    assert_true(y[3] == 1.0f);
    free(x);
    const sl_dataset_source *src =
        in.ifc->xExtension(in.self, SL_DATASET_EXT_SOURCE);
    assert_string_equal(src->note_keys[0], "generated");
    char gen[256];
    snprintf(gen, sizeof gen, "%s", src->paths[0]);
    assert_int_equal(access(gen, R_OK), 0);
    drop(&in);
    assert_int_not_equal(access(gen, F_OK), 0); /* removed with it */
}

/* ---- the core's epoch order (datasel.c) ---- */

static void test_epoch_order(void **state)
{
    (void)state;
    sl__dataset d;
    memset(&d, 0, sizeof d);
    d.name = "train";
    d.info.n_samples = 50;
    size_t a[50], b[50], c[50];
    /* epoch 3 alone is epoch 3 after 1 and 2: no state between epochs */
    sl__data_order(7, &d, 3, a);
    sl__data_order(7, &d, 1, b);
    sl__data_order(7, &d, 2, b);
    sl__data_order(7, &d, 3, b);
    assert_memory_equal(a, b, sizeof a);
    /* a permutation */
    int seen[50] = {0};
    for (int i = 0; i < 50; i++) {
        assert_true(a[i] < 50);
        seen[a[i]]++;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    /* another epoch, seed or dataset name: another order */
    sl__data_order(7, &d, 4, c);
    assert_memory_not_equal(a, c, sizeof a);
    sl__data_order(8, &d, 3, c);
    assert_memory_not_equal(a, c, sizeof a);
    d.name = "other";
    sl__data_order(7, &d, 3, c);
    assert_memory_not_equal(a, c, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_labels),
        cmocka_unit_test(test_npy_sequences_and_npz),
        cmocka_unit_test(test_npy_bad),
        cmocka_unit_test(test_idx_encodings),
        cmocka_unit_test(test_idx_bad),
        cmocka_unit_test(test_events_binning),
        cmocka_unit_test(test_events_bad),
        cmocka_unit_test(test_events_generate),
        cmocka_unit_test(test_epoch_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
