/* tests/test_recorder.c — the run database (core/db/db.c), the
 * `spikelab runs` / `show` / `compare` / `export` / `tag` / `note` / `rm`
 * commands (the files of core/cmd/), the JSON writer (core/cmd/json.c),
 * SHA-256 (core/sha256.c), and the pieces of run history: schema
 * migration (with tests/data/schema1.sql), flattened params (flatten.c),
 * process liveness (liveness.c), --where parsing (filter.c), .npy (npy.c)
 * and the text plot (textplot.c). The real command is exercised by
 * tests/kill.sh, concurrent.sh and history.sh.
 *
 * Every test works in its own temporary directory. What the recorder wrote
 * is read back with plain sqlite3 calls, not through the recorder, so a
 * recorder bug cannot hide itself. Command output is captured by pointing
 * file descriptors 1 and 2 at files, and JSON output is checked with a
 * small strict validator plus substring checks. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "spikelab/abi.h"
#include "cmd/cmd.h"
#include "db/filter.h"
#include "config/flatten.h"
#include "cmd/json.h"
#include "db/liveness.h"
#include "util/npy.h"
#include "db/db.h"
#include "util/sha256.h"
#include "util/util.h"
#include "cmd/textplot.h"

/* ---- fixtures and helpers ----------------------------------------------- */

typedef struct fx {
    char dir[256];
    char db[300];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/sl-recorder-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/runs.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* f->dir/name in one of 8 rotating static buffers: enough for the few
 * paths a test holds at once. */
static char *path_in(const fx *f, const char *name)
{
    static char buf[8][600];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", f->dir, name);
    return buf[k];
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s) {
        size_t got = fread(s, 1, (size_t)n, fp);
        s[got] = '\0';
    }
    fclose(fp);
    return s;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* Output of one command run: exit status, stdout and stderr (malloc'd). */
typedef struct captured {
    int status;
    char *out, *err;
    char *sq; /* out squeezed (see squeeze) */
} captured;

static char *squeeze(const char *s);

static captured run_cmd(const fx *f, int (*cmd)(int, char **), ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, cmd);
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 15)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    char po[600], pe[600]; /* not path_in: callers hold its buffers */
    snprintf(po, sizeof po, "%s/stdout.txt", f->dir);
    snprintf(pe, sizeof pe, "%s/stderr.txt", f->dir);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    close(fo);
    close(fe);
    captured c;
    c.status = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    c.out = slurp(po);
    c.err = slurp(pe);
    assert_non_null(c.out);
    assert_non_null(c.err);
    c.sq = squeeze(c.out);
    return c;
}

static void captured_free(captured *c)
{
    free(c->out);
    free(c->err);
    free(c->sq);
}

/* Open the file with plain sqlite3 (read-only) for checking. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    return h;
}

static int64_t raw_int(sqlite3 *h, const char *sql, int64_t run)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_bind_parameter_count(s) > 0)
        sqlite3_bind_int64(s, 1, run);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* First column of the first row as text (malloc'd; NULL for SQL NULL). */
static char *raw_text(sqlite3 *h, const char *sql, int64_t run)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_bind_parameter_count(s) > 0)
        sqlite3_bind_int64(s, 1, run);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(s, 0);
    char *copy = t ? strdup(t) : NULL;
    sqlite3_finalize(s);
    return copy;
}

static double raw_double(sqlite3 *h, const char *sql, int64_t run)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    double v = sqlite3_column_type(s, 0) == SQLITE_NULL
                   ? NAN
                   : sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* ---- a strict JSON validator (RFC 8259 grammar) ------------------------- */

typedef struct jp {
    const char *p;
    int depth;
} jp;

static void ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
        j->p++;
}

static int j_value(jp *j);

static int j_string(jp *j)
{
    if (*j->p != '"')
        return 0;
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20) /* includes the terminating NUL */
            return 0;
        if (c == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", j->p[i]) ||
                        !j->p[i])
                        return 0;
                j->p += 5;
                continue;
            }
            if (!*j->p || !strchr("\"\\/bfnrt", *j->p))
                return 0;
        }
        j->p++;
    }
}

static int j_digits(jp *j)
{
    const char *s = j->p;
    while (*j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

static int j_number(jp *j)
{
    if (*j->p == '-')
        j->p++;
    if (*j->p == '0')
        j->p++;
    else if (!j_digits(j))
        return 0;
    if (*j->p == '.') {
        j->p++;
        if (!j_digits(j))
            return 0;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (!j_digits(j))
            return 0;
    }
    return 1;
}

static int j_value(jp *j)
{
    ws(j);
    if (++j->depth > 64)
        return 0;
    int ok;
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        int obj = close == '}';
        j->p++;
        ws(j);
        ok = 1;
        if (*j->p == close) {
            j->p++;
        } else {
            for (;;) {
                ws(j);
                if (obj) {
                    if (!j_string(j))
                        return 0;
                    ws(j);
                    if (*j->p++ != ':')
                        return 0;
                }
                if (!j_value(j))
                    return 0;
                ws(j);
                if (*j->p == ',') {
                    j->p++;
                    continue;
                }
                if (*j->p++ != close)
                    return 0;
                break;
            }
        }
    } else if (*j->p == '"') {
        ok = j_string(j);
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
        j->p += 4;
        ok = 1;
    } else if (!strncmp(j->p, "false", 5)) {
        j->p += 5;
        ok = 1;
    } else {
        ok = j_number(j);
    }
    j->depth--;
    return ok;
}

/* 1 when s is exactly one valid JSON document (plus whitespace). */
static int json_valid(const char *s)
{
    jp j = {s, 0};
    if (!j_value(&j))
        return 0;
    ws(&j);
    return *j.p == '\0';
}

/* s without the whitespace between JSON tokens (malloc'd), so checks do
 * not depend on the layout. */
static char *squeeze(const char *s)
{
    char *o = malloc(strlen(s) + 1), *q = o;
    int in_str = 0;
    for (; *s; s++) {
        if (in_str) {
            *q++ = *s;
            if (*s == '\\' && s[1])
                *q++ = *++s;
            else if (*s == '"')
                in_str = 0;
        } else if (!strchr(" \n\t\r", *s)) {
            *q++ = *s;
            in_str = *s == '"';
        }
    }
    *q = '\0';
    return o;
}

static void test_json_validator_rejects(void **state)
{
    (void)state;
    /* the validator itself must be able to fail */
    assert_true(json_valid("{\"a\": [1, 2.5e-3, \"x\\n\", null, true]}"));
    assert_false(json_valid("{\"a\": [1, 2,]}"));
    assert_false(json_valid("{\"a\": \"line\nbreak\"}"));
    assert_false(json_valid("{\"a\": inf}"));
    assert_false(json_valid("{\"a\": 1} {}"));
    assert_false(json_valid("{a: 1}"));
}

/* ---- SHA-256 ------------------------------------------------------------ */

static void test_sha256_vectors(void **state)
{
    fx *f = *state;
    char hex[SL__SHA256_HEX_LEN + 1];
    sl__sha256_hex("", 0, hex);
    assert_string_equal(
        hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sl__sha256_hex("abc", 3, hex);
    assert_string_equal(
        hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sl__sha256_hex(m448, strlen(m448), hex);
    assert_string_equal(
        hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sl__sha256_hex(m896, strlen(m896), hex);
    assert_string_equal(
        hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* a million 'a' fed in uneven pieces exercises the partial blocks */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    sl__sha256 s;
    uint8_t d[32];
    sl__sha256_init(&s);
    size_t off = 0, piece = 1;
    while (off < sizeof a) {
        size_t n = piece < sizeof a - off ? piece : sizeof a - off;
        sl__sha256_update(&s, a + off, n);
        off += n;
        piece = piece * 7 % 131 + 1;
    }
    sl__sha256_final(&s, d);
    static const uint8_t want[32] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    assert_memory_equal(d, want, 32);

    /* the file helper gives the same digest as the memory one */
    write_file(path_in(f, "m896.txt"), m896, strlen(m896));
    sl__err err;
    sl__err_clear(&err);
    assert_int_equal(sl__sha256_file(path_in(f, "m896.txt"), hex, &err), SL_OK);
    assert_string_equal(
        hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    assert_int_equal(sl__sha256_file(path_in(f, "absent"), hex, &err), SL_EIO);
    assert_non_null(strstr(err.msg, "absent"));
}

/* ---- JSON writer -------------------------------------------------------- */

static char *json_to_string(void (*build)(sl__json *), int pretty, int *fin)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    sl__json w;
    sl__json_init(&w, m, pretty);
    build(&w);
    *fin = sl__json_finish(&w);
    fclose(m);
    return buf;
}

static void build_mixed(sl__json *w)
{
    sl__json_object_begin(w);
    sl__json_key(w, "s");
    sl__json_string(w, "q\"b\\n\nt\tc\x01 \xc3\xa9 bad\xff end");
    sl__json_key(w, "n");
    sl__json_array_begin(w);
    sl__json_number(w, 0.1);
    sl__json_number(w, INFINITY);
    sl__json_number(w, -INFINITY);
    sl__json_number(w, NAN);
    sl__json_int(w, INT64_MIN);
    sl__json_bool(w, 1);
    sl__json_null(w);
    sl__json_string(w, NULL);
    sl__json_array_end(w);
    sl__json_key(w, "e");
    sl__json_object_begin(w);
    sl__json_object_end(w);
    sl__json_key(w, "z");
    sl__json_string_n(w, "a\0b", 3);
    sl__json_object_end(w);
}

static void build_value_without_key(sl__json *w)
{
    sl__json_object_begin(w);
    sl__json_int(w, 1);
    sl__json_object_end(w);
}

static void build_unbalanced(sl__json *w)
{
    sl__json_array_begin(w);
    sl__json_int(w, 1);
}

static void build_two_documents(sl__json *w)
{
    sl__json_int(w, 1);
    sl__json_int(w, 2);
}

static void build_key_in_array(sl__json *w)
{
    sl__json_array_begin(w);
    sl__json_key(w, "k");
    sl__json_int(w, 1);
    sl__json_array_end(w);
}

static void build_too_deep(sl__json *w)
{
    for (int i = 0; i < SL__JSON_MAX_DEPTH + 1; i++)
        sl__json_array_begin(w);
    for (int i = 0; i < SL__JSON_MAX_DEPTH + 1; i++)
        sl__json_array_end(w);
}

/* Durations and training speeds as progress lines show them */
static void test_fmt(void **state)
{
    (void)state;
    char b[48];
    assert_string_equal(sl__fmt_duration(4.21, b, sizeof b), "4.2s");
    assert_string_equal(sl__fmt_duration(185, b, sizeof b), "3m05s");
    assert_string_equal(sl__fmt_duration(3720, b, sizeof b), "1h02m");
    assert_string_equal(sl__fmt_duration(NAN, b, sizeof b), "?");
    assert_string_equal(sl__fmt_speed(1234.4, b, sizeof b), "1234 epochs/s");
    assert_string_equal(sl__fmt_speed(1.0, b, sizeof b), "1 epochs/s");
    /* below one a second: the epoch's duration, not "0 epochs/s" */
    assert_string_equal(sl__fmt_speed(0.25, b, sizeof b), "4.0s/epoch");
    assert_string_equal(sl__fmt_speed(1.0 / 80, b, sizeof b),
                        "1m20s/epoch");
    /* no speed yet (nothing trained) */
    assert_string_equal(sl__fmt_speed(0, b, sizeof b), "0 epochs/s");
    assert_string_equal(sl__fmt_speed(NAN, b, sizeof b), "0 epochs/s");
}

static void test_json_writer(void **state)
{
    (void)state;
    int fin;
    char *s = json_to_string(build_mixed, 0, &fin);
    assert_int_equal(fin, 0);
    assert_string_equal(
        s, "{\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001 \xc3\xa9 bad\\ufffd end\","
           "\"n\":[0.10000000000000001,\"inf\",\"-inf\",\"nan\","
           "-9223372036854775808,true,null,null],\"e\":{},"
           "\"z\":\"a\\u0000b\"}\n");
    assert_true(json_valid(s));
    free(s);

    /* pretty layout is still valid JSON, and the same tokens */
    s = json_to_string(build_mixed, 1, &fin);
    assert_int_equal(fin, 0);
    assert_true(json_valid(s));
    assert_non_null(strstr(s, "{\n  \"s\": \"q"));
    assert_non_null(strstr(s, "\"e\": {}"));
    free(s);

    /* misuse is reported, never silently produces invalid output */
    void (*bad[])(sl__json *) = {build_value_without_key, build_unbalanced,
                                 build_two_documents, build_key_in_array,
                                 build_too_deep};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s = json_to_string(bad[i], 0, &fin);
        assert_int_equal(fin, -1);
        free(s);
    }

    /* the escaper alone */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    sl__json_write_escaped(m, "it's \"x\"\r\n\b\f\x1f/", 14);
    fclose(m);
    assert_string_equal(buf, "\"it's \\\"x\\\"\\r\\n\\b\\f\\u001f/\"");
    free(buf);
}

/* ---- recording ------------------------------------------------------------ */

static const char *cfg_text = "name = \"demo\";\ntrain = { epochs = 3; };\n";
static const char *cfg_eff = "name = \"demo\";\ntrain = { epochs = 1; };\n";

static int64_t begin_run(sl__db *db, const char *name, int64_t seed)
{
    sl__run_meta meta = {.name = name,
                         .config_path = "exp/demo.cfg",
                         .config_text = cfg_text,
                         .config_effective = cfg_eff,
                         .overrides = "train.epochs=1\nnote=\"a b\"\n",
                         .seed = seed};
    int64_t id = 0;
    sl__err err;
    sl__err_clear(&err);
    assert_int_equal(sl__db_run_begin(db, &meta, &id, &err), SL_OK);
    assert_true(id > 0);
    return id;
}

static void test_record_and_read_back(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db = NULL;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    assert_string_equal(sl__db_path(db), f->db);
    double t0 = (double)time(NULL);

    int64_t run = begin_run(db, "demo \"quoted\"\nsecond line", 42);

    /* the run row is committed at once: another connection sees it */
    sqlite3 *h = raw_open(f->db);
    char *st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", run);
    assert_string_equal(st, "running");
    free(st);

    /* a plugin with a file: its SHA-256 is recorded */
    const char *so = path_in(f, "fake.so");
    write_file(so, "ELF?", 4);
    assert_int_equal(
        sl__db_run_plugin(db, run, "fake", "1.2.3", "1.0", so, &err), SL_OK);
    assert_int_equal(
        sl__db_run_plugin(db, run, "builtin", "0.1.0", "1.0", NULL, &err),
        SL_OK);

    for (int i = 0; i < 10; i++) {
        assert_int_equal(sl__db_metric(db, run, i, "loss", 1.0 / (i + 1), &err),
                         SL_OK);
        assert_int_equal(sl__db_metric(db, run, i, "acc", 0.1 * i, &err),
                         SL_OK);
    }
    assert_int_equal(sl__db_metric(db, run, 10, "loss", NAN, &err), SL_OK);
    /* buffered: not visible before the flush */
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", run), 0);
    assert_int_equal(sl__db_flush(db, &err), SL_OK);
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", run), 21);
    /* NaN cannot be stored by SQLite: it is NULL */
    assert_true(isnan(raw_double(
        h, "SELECT value FROM metrics WHERE run_id = ?1 AND step = 10", run)));
    assert_int_equal(raw_int(h,
                             "SELECT count(*) FROM metrics WHERE run_id = ?1"
                             " AND step = 10 AND value IS NULL",
                             run),
                     1);

    /* metrics written after the last flush are committed by run_end */
    assert_int_equal(sl__db_metric(db, run, 11, "loss", 0.01, &err), SL_OK);

    assert_int_equal(sl__db_result(db, run, "frr_inf", INFINITY, NULL, &err),
                     SL_OK);
    assert_int_equal(
        sl__db_result(db, run, "neg", -INFINITY, "below \"all\"", &err), SL_OK);
    assert_int_equal(sl__db_result(db, run, "acc", 0.5, NULL, &err), SL_OK);
    /* written again: replaced */
    assert_int_equal(sl__db_result(db, run, "acc", 0.75, "final", &err), SL_OK);
    static const unsigned char blob[] = {1, 0, 2, 0, 255};
    assert_int_equal(sl__db_artifact(db, run, "weights", "params",
                                     "application/octet-stream", blob,
                                     sizeof blob, &err),
                     SL_OK);
    assert_int_equal(sl__db_artifact(db, run, "empty", "params", NULL, NULL, 0,
                                     &err),
                     SL_OK);
    assert_int_equal(sl__db_artifact_path(db, run, "export", "dynapse2",
                                          "application/json", so, &err),
                     SL_OK);
    assert_int_equal(sl__db_run_end(db, run, "finished", NULL, &err), SL_OK);
    sl__db_close(db);

    /* read everything back without the recorder */
    assert_int_equal(raw_int(h, "PRAGMA user_version", 0),
                     SL__DB_SCHEMA_VERSION);
    assert_int_equal(raw_int(h, "PRAGMA application_id", 0), 0x534C4142);
    char *jm = raw_text(h, "PRAGMA journal_mode", 0);
    assert_string_equal(jm, "wal");
    free(jm);
    st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", run);
    assert_string_equal(st, "finished");
    free(st);
    char *name = raw_text(h, "SELECT name FROM runs WHERE id = ?1", run);
    assert_string_equal(name, "demo \"quoted\"\nsecond line");
    free(name);
    assert_int_equal(raw_int(h, "SELECT seed FROM runs WHERE id = ?1", run), 42);
    assert_int_equal(raw_int(h, "SELECT pid FROM runs WHERE id = ?1", run),
                     getpid());
    char *ver = raw_text(h, "SELECT core_version FROM runs WHERE id = ?1", run);
    assert_string_equal(ver, PACKAGE_VERSION);
    free(ver);
    char *host = raw_text(h, "SELECT host FROM runs WHERE id = ?1", run);
    assert_non_null(host);
    assert_true(strlen(host) > 0);
    free(host);
    assert_null(raw_text(h, "SELECT error FROM runs WHERE id = ?1", run));
    char want[SL__SHA256_HEX_LEN + 1];
    sl__sha256_hex(cfg_eff, strlen(cfg_eff), want);
    char *hash = raw_text(h, "SELECT config_hash FROM runs WHERE id = ?1", run);
    assert_string_equal(hash, want);
    free(hash);
    char *txt = raw_text(h, "SELECT config_text FROM runs WHERE id = ?1", run);
    assert_string_equal(txt, cfg_text);
    free(txt);
    double started = raw_double(h, "SELECT started_at FROM runs WHERE id=?1", run);
    double ended = raw_double(h, "SELECT ended_at FROM runs WHERE id = ?1", run);
    double beat = raw_double(h, "SELECT heartbeat_at FROM runs WHERE id=?1", run);
    assert_true(started >= t0 - 1 && started <= t0 + 60);
    assert_true(ended >= started && beat >= started);

    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", run), 22);
    assert_true(raw_double(h,
                           "SELECT value FROM metrics WHERE run_id = ?1"
                           " AND name = 'loss' AND step = 3",
                           run) == 0.25);
    double wt = raw_double(h, "SELECT min(wall_time) FROM metrics"
                              " WHERE run_id = ?1", run);
    assert_true(wt >= started);

    /* +inf and -inf round-trip as REAL */
    double inf = raw_double(
        h, "SELECT value FROM results WHERE run_id = ?1 AND name = 'frr_inf'",
        run);
    assert_true(isinf(inf) && inf > 0);
    inf = raw_double(
        h, "SELECT value FROM results WHERE run_id = ?1 AND name = 'neg'", run);
    assert_true(isinf(inf) && inf < 0);
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM results WHERE run_id = ?1", run), 3);
    assert_true(raw_double(h,
                           "SELECT value FROM results WHERE run_id = ?1"
                           " AND name = 'acc'",
                           run) == 0.75);

    /* the blob comes back byte for byte */
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT data, size, kind FROM artifacts"
                                        " WHERE run_id = ?1 AND name = 'weights'",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, run);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(s, 0), sizeof blob);
    assert_memory_equal(sqlite3_column_blob(s, 0), blob, sizeof blob);
    assert_int_equal(sqlite3_column_int64(s, 1), sizeof blob);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "params");
    sqlite3_finalize(s);
    assert_int_equal(raw_int(h,
                             "SELECT typeof(data) = 'blob' AND size = 0 FROM"
                             " artifacts WHERE run_id = ?1 AND name = 'empty'",
                             run),
                     1);
    assert_int_equal(raw_int(h,
                             "SELECT size FROM artifacts WHERE run_id = ?1"
                             " AND name = 'export' AND data IS NULL",
                             run),
                     4);

    char so_hash[SL__SHA256_HEX_LEN + 1];
    sl__sha256_hex("ELF?", 4, so_hash);
    char *ph = raw_text(h,
                        "SELECT sha256 FROM run_plugins WHERE run_id = ?1"
                        " AND name = 'fake'",
                        run);
    assert_string_equal(ph, so_hash);
    free(ph);
    assert_null(raw_text(h,
                         "SELECT sha256 FROM run_plugins WHERE run_id = ?1"
                         " AND name = 'builtin'",
                         run));
    sqlite3_close(h);

    /* reopening an existing database works and keeps the data */
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t run2 = begin_run(db, "second", 7);
    assert_true(run2 > run);
    sl__db_close(db);
}

static void test_status_transitions(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t a = begin_run(db, "a", 1);
    int64_t b = begin_run(db, "b", 2);
    int64_t c = begin_run(db, "c", 3);

    assert_int_equal(sl__db_run_end(db, a, "bogus", NULL, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "bogus"));
    assert_int_equal(sl__db_run_end(db, 9999, "finished", NULL, &err),
                     SL_ENOTFOUND);
    assert_int_equal(sl__db_metric(db, 9999, 0, "loss", 1, &err), SL_ENOTFOUND);
    assert_int_equal(sl__db_result(db, 9999, "x", 1, NULL, &err), SL_ENOTFOUND);
    assert_int_equal(
        sl__db_artifact(db, 9999, "x", "k", NULL, "ab", 2, &err), SL_ENOTFOUND);

    assert_int_equal(sl__db_metric(db, a, 0, "loss", 2.0, &err), SL_OK);
    assert_int_equal(sl__db_run_end(db, a, "failed", "diverged:\n\"NaN\"", &err),
                     SL_OK);
    /* an ended run takes no more metrics and cannot end twice */
    assert_int_equal(sl__db_metric(db, a, 1, "loss", 1.0, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "failed"));
    assert_int_equal(sl__db_run_end(db, a, "finished", NULL, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "already ended"));
    assert_int_equal(sl__db_run_end(db, b, "interrupted", NULL, &err), SL_OK);
    /* metrics of a run begun on another handle are accepted while it runs */
    sl__db *db2;
    assert_int_equal(sl__db_open(f->db, &db2, &err), SL_OK);
    assert_int_equal(sl__db_metric(db2, c, 5, "loss", 0.5, &err), SL_OK);
    /* db has an active run and a buffer: db2 can still write at once
     * (no write transaction is held between calls) */
    assert_int_equal(sl__db_metric(db, c, 4, "loss", 0.6, &err), SL_OK);
    assert_int_equal(sl__db_flush(db2, &err), SL_OK);
    assert_int_equal(sl__db_result(db2, c, "r", 1, NULL, &err), SL_OK);
    sl__db_close(db2);
    assert_int_equal(sl__db_flush(db, &err), SL_OK);
    sl__db_close(db); /* c stays running */

    sqlite3 *h = raw_open(f->db);
    char *s = raw_text(h, "SELECT status FROM runs WHERE id = ?1", a);
    assert_string_equal(s, "failed");
    free(s);
    s = raw_text(h, "SELECT error FROM runs WHERE id = ?1", a);
    assert_string_equal(s, "diverged:\n\"NaN\"");
    free(s);
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", a), 1);
    s = raw_text(h, "SELECT status FROM runs WHERE id = ?1", b);
    assert_string_equal(s, "interrupted");
    free(s);
    s = raw_text(h, "SELECT status FROM runs WHERE id = ?1", c);
    assert_string_equal(s, "running");
    free(s);
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", c), 2);
    assert_true(isnan(raw_double(h, "SELECT ended_at FROM runs WHERE id = ?1",
                                 c)));
    sqlite3_close(h);
}

/* Without any flush call, a large burst of metrics is written by the
 * buffer's own limit: a run that dies keeps most of it. */
static void test_buffer_limit(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t run = begin_run(db, "burst", 1);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(sl__db_metric(db, run, i, "loss", i, &err), SL_OK);
    sqlite3 *h = raw_open(f->db);
    int64_t n = raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1",
                        run);
    assert_true(n >= 8000 && n < 10000);
    sl__db_close(db); /* close flushes the rest */
    assert_int_equal(
        raw_int(h, "SELECT count(*) FROM metrics WHERE run_id = ?1", run),
        10000);
    sqlite3_close(h);
}

/* Several processes record into one file at once (WAL + busy timeout):
 * nothing is lost and nobody fails. */
static void test_concurrent_processes(void **state)
{
    fx *f = *state;
    enum { N_PROC = 3, N_STEPS = 600 };
    sl__err err;
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK); /* schema */
    sl__db_close(db);
    pid_t kids[N_PROC];
    for (int k = 0; k < N_PROC; k++) {
        fflush(NULL);
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            sl__err e;
            sl__db *d;
            int64_t id;
            sl__run_meta m = {.name = "child", .seed = k};
            if (sl__db_open(f->db, &d, &e) || sl__db_run_begin(d, &m, &id, &e))
                _exit(10);
            for (int i = 0; i < N_STEPS; i++) {
                if (sl__db_metric(d, id, i, "loss", i, &e))
                    _exit(11);
                if (i % 50 == 49 && sl__db_flush(d, &e))
                    _exit(12);
                if (i % 200 == 0 && sl__db_result(d, id, "r", i, NULL, &e))
                    _exit(13);
            }
            if (sl__db_run_end(d, id, "finished", NULL, &e))
                _exit(14);
            sl__db_close(d);
            _exit(0);
        }
    }
    for (int k = 0; k < N_PROC; k++) {
        int ws;
        assert_int_equal(waitpid(kids[k], &ws, 0), kids[k]);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 0);
    }
    sqlite3 *h = raw_open(f->db);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs WHERE"
                                " status = 'finished'", 0), N_PROC);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM metrics", 0),
                     N_PROC * N_STEPS);
    assert_int_equal(raw_int(h, "SELECT count(DISTINCT run_id) FROM metrics",
                             0), N_PROC);
    sqlite3_close(h);
}

/* ---- refusals -------------------------------------------------------------- */

static void test_refuse_not_sqlite(void **state)
{
    fx *f = *state;
    const char *bad = path_in(f, "garbage.db");
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)("this is not a database "[i % 23]);
    write_file(bad, junk, sizeof junk);
    sl__err err;
    sl__err_clear(&err);
    sl__db *db = (sl__db *)1;
    assert_int_equal(sl__db_open(bad, &db, &err), SL_EDB);
    assert_null(db);
    assert_non_null(strstr(err.msg, bad));
    assert_non_null(strstr(err.msg, "not an SQLite database"));
    /* the file is left as it was */
    char *back = slurp(bad);
    assert_memory_equal(back, junk, sizeof junk);
    free(back);

    /* the commands say so, exit 1 */
    captured c = run_cmd(f, sl__cmd_runs, "runs", "--db", bad, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, bad));
    assert_string_equal(c.out, "");
    captured_free(&c);
}

static void test_refuse_future_or_foreign(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    sqlite3 *h;

    /* a spikelab database of a newer schema */
    const char *future = path_in(f, "future.db");
    assert_int_equal(sqlite3_open(future, &h), SQLITE_OK);
    char sql[200], want[40];
    snprintf(sql, sizeof sql,
             "PRAGMA application_id = 1397506370;"
             "PRAGMA user_version = %d;"
             "CREATE TABLE runs(x);",
             SL__DB_SCHEMA_VERSION + 1);
    snprintf(want, sizeof want, "version %d", SL__DB_SCHEMA_VERSION + 1);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(sl__db_open(future, &db, &err), SL_EDB);
    assert_non_null(strstr(err.msg, future));
    assert_non_null(strstr(err.msg, "newer"));
    assert_non_null(strstr(err.msg, want));

    /* a negative schema version (no spikelab wrote it) once indexed the
     * migrations out of bounds: refused, naming file and version, and the
     * file left as it was (issue 12, finding 1) */
    static const int negative[] = {-1, -7, -1000, -100000, INT32_MIN};
    for (size_t i = 0; i < sizeof negative / sizeof *negative; i++) {
        const char *neg = path_in(f, "negative.db");
        unlink(neg);
        assert_int_equal(sqlite3_open(neg, &h), SQLITE_OK);
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", negative[i]);
        assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
        assert_int_equal(sl__db_open(neg, &db, &err), SL_EDB);
        assert_null(db);
        snprintf(want, sizeof want, "version %d:", negative[i]);
        assert_non_null(strstr(err.msg, neg));
        assert_non_null(strstr(err.msg, want));
        h = raw_open(neg);
        assert_int_equal(raw_int(h, "PRAGMA user_version", 0), negative[i]);
        assert_int_equal(raw_int(h, "SELECT count(*) FROM sqlite_master", 0),
                         0);
        sqlite3_close(h);
    }

    /* another application's SQLite file: refused, and left untouched */
    const char *foreign = path_in(f, "foreign.db");
    assert_int_equal(sqlite3_open(foreign, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE songs(title TEXT);", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(sl__db_open(foreign, &db, &err), SL_EDB);
    assert_non_null(strstr(err.msg, foreign));
    assert_non_null(strstr(err.msg, "not a spikelab run database"));
    h = raw_open(foreign);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM sqlite_master", 0), 1);
    assert_int_equal(raw_int(h, "PRAGMA user_version", 0), 0);
    sqlite3_close(h);

    /* show on it: exit 1 with the file named */
    captured c = run_cmd(f, sl__cmd_show, "show", "1", "--db", future, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, future));
    captured_free(&c);
}

static void test_missing_db_not_created(void **state)
{
    fx *f = *state;
    const char *absent = path_in(f, "absent.db");
    captured c = run_cmd(f, sl__cmd_runs, "runs", "--db", absent, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, absent));
    assert_non_null(strstr(c.err, "no run database"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_show, "show", "--db", absent, "3", "--json", NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, absent));
    assert_string_equal(c.out, "");
    captured_free(&c);
    struct stat sb;
    assert_int_not_equal(stat(absent, &sb), 0);

    sl__err err;
    sl__db *db;
    assert_int_equal(sl__db_open_ex(absent, SL__DB_MUST_EXIST, &db, &err),
                     SL_ENOTFOUND);
    assert_int_not_equal(stat(absent, &sb), 0);
}

static void test_default_path(void **state)
{
    (void)state;
    char *old = getenv("SPIKELAB_DB") ? strdup(getenv("SPIKELAB_DB")) : NULL;
    setenv("SPIKELAB_DB", "/x/env.db", 1);
    assert_string_equal(sl__db_default_path("cli.db"), "cli.db");
    assert_string_equal(sl__db_default_path(NULL), "/x/env.db");
    unsetenv("SPIKELAB_DB");
    assert_string_equal(sl__db_default_path(NULL), "spikelab.db");
    assert_string_equal(sl__db_default_path(""), "spikelab.db");
    if (old)
        setenv("SPIKELAB_DB", old, 1);
    free(old);
}

/* ---- the commands ------------------------------------------------------------ */

/* Two runs: 1 finished with everything, 2 failed with an awkward error. */
static void fill_db(const fx *f, int64_t *r1, int64_t *r2)
{
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    *r1 = begin_run(db, "yin\"yang\"\n\ttab", 42);
    assert_int_equal(
        sl__db_run_plugin(db, *r1, "lif", "0.1.0", "1.0", "/p/lif.so", &err),
        SL_OK);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sl__db_metric(db, *r1, i, "loss", 4.0 - i, &err),
                         SL_OK);
        assert_int_equal(sl__db_metric(db, *r1, i, "acc", 0.25 * i, &err),
                         SL_OK);
    }
    assert_int_equal(sl__db_metric(db, *r1, 5, "acc", NAN, &err), SL_OK);
    assert_int_equal(sl__db_result(db, *r1, "train_frr_0", 3.25, NULL, &err),
                     SL_OK);
    assert_int_equal(sl__db_result(db, *r1, "far", INFINITY, "no \"spikes\"",
                                   &err),
                     SL_OK);
    assert_int_equal(sl__db_artifact(db, *r1, "weights", "params", NULL, "abcd",
                                     4, &err),
                     SL_OK);
    assert_int_equal(sl__db_run_end(db, *r1, "finished", NULL, &err), SL_OK);
    *r2 = begin_run(db, "second", 7);
    assert_int_equal(
        sl__db_run_end(db, *r2, "failed", "bad \"value\"\nat line 3\x01", &err),
        SL_OK);
    sl__db_close(db);
}

static void test_cmd_runs(void **state)
{
    fx *f = *state;
    int64_t r1, r2;
    fill_db(f, &r1, &r2);

    captured c = run_cmd(f, sl__cmd_runs, "runs", "--db", f->db, "--json", NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    /* newest first */
    char *p1 = strstr(c.sq, "\"id\":1,"), *p2 = strstr(c.sq, "\"id\":2,");
    assert_non_null(p1);
    assert_non_null(p2);
    assert_true(p2 < p1);
    static const char *const want[] = {
        "\"name\":\"yin\\\"yang\\\"\\n\\ttab\"",
        "\"status\":\"finished\"",
        "\"status\":\"failed\"",
        "\"error\":\"bad \\\"value\\\"\\nat line 3\\u0001\"",
        "\"seed\":42",
        "\"core_version\":\"" PACKAGE_VERSION "\"",
        "\"config_path\":\"exp/demo.cfg\"",
        "\"overrides\":[\"train.epochs=1\",\"note=\\\"a b\\\"\"]",
        "\"final_metrics\":{\"acc\":\"nan\",\"loss\":0}",
        "\"results\":{\"far\":\"inf\",\"train_frr_0\":3.25}",
        "\"started_at\":",
        "\"ended_at\":",
        "\"duration_s\":",
        "\"host\":\"",
        "\"pid\":",
        "\"config_hash\":\"",
        "\"process_alive\":null",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(c.sq, want[i]))
            fail_msg("runs --json lacks %s in:\n%s", want[i], c.out);
    /* one run object per array line */
    assert_non_null(strstr(c.out, "[\n  {\n    \"id\": 2,"));
    captured_free(&c);

    /* --limit keeps the newest */
    c = run_cmd(f, sl__cmd_runs, "runs", "--json", "--limit=1", "--db", f->db,
                NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"id\":2,"));
    assert_null(strstr(c.sq, "\"id\":1,"));
    captured_free(&c);

    /* text table; the database from the environment */
    setenv("SPIKELAB_DB", f->db, 1);
    c = run_cmd(f, sl__cmd_runs, "runs", NULL);
    unsetenv("SPIKELAB_DB");
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "ID"));
    assert_non_null(strstr(c.out, "LOSS"));
    assert_non_null(strstr(c.out, "finished"));
    assert_non_null(strstr(c.out, "yin\"yang\"??tab")); /* controls masked */
    assert_null(strchr(c.out, '\t'));
    assert_int_equal(c.out[strlen(c.out) - 1], '\n');
    /* header + 2 rows */
    int lines = 0;
    for (const char *q = c.out; *q; q++)
        lines += *q == '\n';
    assert_int_equal(lines, 3);
    captured_free(&c);

    /* an empty database */
    sl__err err;
    sl__db *db;
    const char *empty = path_in(f, "empty.db");
    assert_int_equal(sl__db_open(empty, &db, &err), SL_OK);
    sl__db_close(db);
    c = run_cmd(f, sl__cmd_runs, "runs", "--db", empty, "--json", NULL);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "[]\n");
    captured_free(&c);
    c = run_cmd(f, sl__cmd_runs, "runs", "--db", empty, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "no runs"));
    captured_free(&c);

    /* usage */
    c = run_cmd(f, sl__cmd_runs, "runs", "--help", NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "Usage: spikelab runs"));
    captured_free(&c);
    const char *bad[][3] = {{"--bogus", NULL, NULL},
                            {"--limit", "x", NULL},
                            {"--limit", "-3", NULL},
                            {"--db", NULL, NULL},
                            {"extra", NULL, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c = run_cmd(f, sl__cmd_runs, "runs", bad[i][0], bad[i][1], NULL);
        assert_int_equal(c.status, 2);
        assert_non_null(strstr(c.err, "--help"));
        assert_string_equal(c.out, "");
        captured_free(&c);
    }
}

static void test_cmd_show(void **state)
{
    fx *f = *state;
    int64_t r1, r2;
    fill_db(f, &r1, &r2);

    captured c = run_cmd(f, sl__cmd_show, "show", "1", "--db", f->db, "--json",
                         NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    static const char *const keys[] = {
        "\"id\":1,",          "\"name\":",          "\"status\":\"finished\"",
        "\"error\":null",     "\"seed\":42",        "\"started_at\":",
        "\"ended_at\":",      "\"host\":",          "\"core_version\":",
        "\"plugins\":[",      "\"config\":",        "\"config_original\":",
        "\"metrics\":{",      "\"results\":{",      "\"result_texts\":{",
        "\"artifacts\":[",    "\"config_hash\":\"", "\"overrides\":[",
        "\"process_alive\":null",
        "\"far\":\"inf\"",
        "\"train_frr_0\":3.25",
        "\"result_texts\":{\"far\":\"no \\\"spikes\\\"\"}",
        "\"config\":\"name = \\\"demo\\\";\\ntrain = { epochs = 1; };\\n\"",
        "\"config_original\":\"name = \\\"demo\\\";\\ntrain = { epochs = 3; };\\n\"",
        "{\"name\":\"lif\",\"version\":\"0.1.0\",\"abi\":\"1.0\","
        "\"path\":\"/p/lif.so\",\"sha256\":null}",
        "{\"name\":\"weights\",\"kind\":\"params\",\"mime\":null,\"size\":4,"
        "\"path\":null,\"created_at\":",
        /* every metric value, names sorted, steps ascending */
        "\"metrics\":{\"acc\":[{\"step\":0,\"value\":0,\"wall_time\":",
        "{\"step\":1,\"value\":0.25,\"wall_time\":",
        "{\"step\":5,\"value\":\"nan\",\"wall_time\":",
        "\"loss\":[{\"step\":0,\"value\":4,\"wall_time\":",
        "{\"step\":4,\"value\":0,\"wall_time\":",
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strstr(c.sq, keys[i]))
            fail_msg("show --json lacks %s in:\n%s", keys[i], c.out);
    int n_points = 0;
    for (const char *q = c.sq; (q = strstr(q, "\"step\":")); q++)
        n_points++;
    assert_int_equal(n_points, 11);
    /* one metric point per line */
    assert_non_null(strstr(c.out, "\"loss\": [\n      {\"step\": 0, \"value\": 4, "));
    captured_free(&c);

    /* the failed run: error text escaped */
    c = run_cmd(f, sl__cmd_show, "show", "--json", "--db", f->db, "2", NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(
        strstr(c.sq, "\"error\":\"bad \\\"value\\\"\\nat line 3\\u0001\""));
    assert_non_null(strstr(c.sq, "\"metrics\":{}"));
    assert_non_null(strstr(c.sq, "\"artifacts\":[]"));
    assert_non_null(strstr(c.sq, "\"result_texts\":{}"));
    captured_free(&c);

    /* text */
    c = run_cmd(f, sl__cmd_show, "show", "1", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "run 1: "));
    assert_non_null(strstr(c.out, "finished"));
    assert_non_null(strstr(c.out, "train.epochs=1"));
    assert_non_null(strstr(c.out, "metrics (11 values"));
    assert_non_null(strstr(c.out, "4 (0)"));  /* first loss */
    assert_non_null(strstr(c.out, "0 (4)"));  /* last loss */
    assert_non_null(strstr(c.out, "nan (5)")); /* last acc */
    assert_non_null(strstr(c.out, "results"));
    assert_non_null(strstr(c.out, "train_frr_0"));
    assert_non_null(strstr(c.out, "3.25"));
    assert_non_null(strstr(c.out, "inf"));
    assert_non_null(strstr(c.out, "artifacts"));
    assert_non_null(strstr(c.out, "weights"));
    assert_non_null(strstr(c.out, "lif"));
    captured_free(&c);

    /* --config gives the effective config verbatim */
    c = run_cmd(f, sl__cmd_show, "show", "1", "--config", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, cfg_eff);
    captured_free(&c);

    /* unknown ID: 1; bad usage: 2 */
    c = run_cmd(f, sl__cmd_show, "show", "99", "--db", f->db, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, "no run 99"));
    captured_free(&c);
    const char *bad[][3] = {{"--db", f->db, NULL},
                            {"abc", "--db", f->db},
                            {"0", "--db", f->db},
                            {"1", "2", NULL},
                            {"1", "--limit", "3"},
                            {"1", "--json", "--config"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c = run_cmd(f, sl__cmd_show, "show", bad[i][0], bad[i][1], bad[i][2],
                    NULL);
        assert_int_equal(c.status, 2);
        assert_string_equal(c.out, "");
        captured_free(&c);
    }
    c = run_cmd(f, sl__cmd_show, "show", "-h", NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "Usage: spikelab show ID"));
    captured_free(&c);
}

/* A run whose process died is marked interrupted by the next open on
 * this host; a live one is left alone. */
static void test_died_run(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t run = begin_run(db, "doomed", 1);
    assert_int_equal(sl__db_metric(db, run, 0, "loss", 1.5, &err), SL_OK);
    assert_int_equal(sl__db_flush(db, &err), SL_OK);
    int64_t live = begin_run(db, "alive", 2);
    sl__db_close(db);

    /* a pid that certainly no longer exists: a reaped child's */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h, "UPDATE runs SET pid = ?1 WHERE id = ?2",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, child);
    sqlite3_bind_int64(s, 2, run);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    double beat = raw_double(h, "SELECT heartbeat_at FROM runs WHERE id = ?1",
                             run);
    sqlite3_close(h);

    /* the listing itself marks it */
    captured c = run_cmd(f, sl__cmd_runs, "runs", "--db", f->db, "--json",
                         NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"status\":\"interrupted\","
                                 "\"process_alive\":null"));
    assert_non_null(strstr(c.sq, "\"status\":\"running\","
                                 "\"process_alive\":true"));
    assert_non_null(strstr(c.sq, "\"final_metrics\":{\"loss\":1.5}"));
    captured_free(&c);
    h = raw_open(f->db);
    char *st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", run);
    assert_string_equal(st, "interrupted");
    free(st);
    char *e = raw_text(h, "SELECT error FROM runs WHERE id = ?1", run);
    char want[64];
    snprintf(want, sizeof want, "pid %d", (int)child);
    assert_non_null(strstr(e, want));
    assert_non_null(strstr(e, "killed or crashed"));
    free(e);
    /* ended when it was last known alive */
    assert_true(raw_double(h, "SELECT ended_at FROM runs WHERE id = ?1", run) ==
                beat);
    st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", live);
    assert_string_equal(st, "running");
    free(st);
    sqlite3_close(h);
    c = run_cmd(f, sl__cmd_runs, "runs", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "interrupted"));
    captured_free(&c);
}


/* ---- run history ------------------------------------------------------------ */

/* Build a database from SQL text (the stored old-schema dump). */
static void db_from_sql_file(const char *db, const char *sql_path)
{
    char *sql = slurp(sql_path);
    if (!sql)
        fail_msg("cannot read %s (top_srcdir not set?)", sql_path);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql_path, msg);
    sqlite3_close(h);
    free(sql);
}

static const char *fixture(const char *name)
{
    static char buf[1024];
    const char *top = getenv("top_srcdir");
    snprintf(buf, sizeof buf, "%s/tests/data/%s", top && *top ? top : ".",
             name);
    return buf;
}

/* A database written by spikelab 0.1.0 (schema 1) opens and is migrated
 * in place: everything kept, new tables there, params filled from the
 * stored effective configs. */
static void test_migrate_schema1(void **state)
{
    fx *f = *state;
    db_from_sql_file(f->db, fixture("schema1.sql"));
    sqlite3 *h = raw_open(f->db);
    assert_int_equal(raw_int(h, "PRAGMA user_version", 0), 1);
    int64_t n_metrics = raw_int(h, "SELECT count(*) FROM metrics", 0);
    int64_t n_results = raw_int(h, "SELECT count(*) FROM results", 0);
    assert_true(n_metrics == 13 && n_results > 10);
    sqlite3_close(h);

    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    sl__db_close(db);
    h = raw_open(f->db);
    assert_int_equal(raw_int(h, "PRAGMA user_version", 0),
                     SL__DB_SCHEMA_VERSION);
    char *ic = raw_text(h, "PRAGMA integrity_check", 0);
    assert_string_equal(ic, "ok");
    free(ic);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs", 0), 2);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM metrics", 0), n_metrics);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM results", 0), n_results);
    char *m = raw_text(h, "SELECT value FROM meta WHERE key = "
                          "'migrated_1_to_2'", 0);
    assert_non_null(m);
    assert_non_null(strstr(m, "spikelab " PACKAGE_VERSION " at "));
    free(m);
    /* 2 → 3: the numeric environment's table, empty for the old runs
     * (not recorded then: unknown, not assumed) */
    m = raw_text(h, "SELECT value FROM meta WHERE key = 'migrated_2_to_3'", 0);
    assert_non_null(m);
    free(m);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM run_env", 0), 0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM pragma_table_info("
                                "'run_env')", 0), 3);
    /* params of the old runs, from their effective configs */
    assert_int_equal(raw_int(h, "SELECT count(DISTINCT run_id) FROM params",
                             0), 2);
    char *v = raw_text(h, "SELECT value_text FROM params WHERE run_id = 2"
                          " AND key = 'optimizer.lr'", 0);
    assert_string_equal(v, "0.02");
    free(v);
    assert_int_equal(raw_int(h, "SELECT value_num FROM params WHERE run_id = 1"
                                " AND alias = 'train.epochs'"
                                " OR key = 'train.epochs' AND run_id = 1", 0),
                     5);
    /* new columns exist and start empty; the killed run of another host
     * cannot be judged and stays running */
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs WHERE parent_id"
                                " IS NULL AND note IS NULL AND proc_id IS NULL",
                             0), 2);
    char *st = raw_text(h, "SELECT status FROM runs WHERE id = 2", 0);
    assert_string_equal(st, "running");
    free(st);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM tags", 0), 0);
    sqlite3_close(h);

    /* opening again changes nothing; new runs go on from id 3 */
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t id = begin_run(db, "after", 5);
    assert_int_equal(id, 3);
    assert_int_equal(sl__db_tag(db, 1, "old", 1, &err), SL_OK);
    sl__db_close(db);

    /* the commands read it */
    captured c = run_cmd(f, sl__cmd_runs, "runs", "--db", f->db, "--where",
                         "optimizer.lr=0.02", "--json", NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"id\":2,"));
    assert_null(strstr(c.sq, "\"id\":1,"));
    captured_free(&c);
}

/* A migration that cannot complete leaves the file as it was. */
static void test_migration_rolls_back(void **state)
{
    fx *f = *state;
    db_from_sql_file(f->db, fixture("schema1.sql"));
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    /* a table in the way of step 1 → 2 */
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE tags(x);", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_EDB);
    assert_non_null(strstr(err.msg, f->db));
    h = raw_open(f->db);
    assert_int_equal(raw_int(h, "PRAGMA user_version", 0), 1);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM sqlite_master WHERE"
                                " name = 'params'", 0), 0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM pragma_table_info('runs')"
                                " WHERE name = 'parent_id'", 0), 0);
    sqlite3_close(h);
}

/* A full disk (issue 12, finding 5), as SQLite reports it: SQLITE_FULL,
 * injected by PRAGMA max_page_count on the recorder's own connection (it
 * holds for that connection only). Buffered metrics that cannot be
 * written no longer keep the run 'running': it ends failed, saying why;
 * when not even that fits, the message says the run stays 'running'
 * until the next open on this host marks it interrupted. */
static void full_disk(sl__db *db)
{
    sqlite3 *h = sl__db_sqlite(db);
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)raw_int(h, "PRAGMA page_count", 0));
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_full_disk(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t id = begin_run(db, "full", 1);
    assert_int_equal(sl__db_metric(db, id, 1, "loss", 1.0, &err), SL_OK);
    assert_int_equal(sl__db_flush(db, &err), SL_OK); /* committed: kept */
    full_disk(db);
    for (int i = 2; i <= 3000; i++)
        assert_int_equal(sl__db_metric(db, id, i, "loss", i, &err), SL_OK);
    assert_int_equal(sl__db_run_end(db, id, "finished", NULL, &err), SL_EDB);
    assert_non_null(strstr(err.msg, f->db));
    assert_non_null(strstr(err.msg, "database or disk is full"));
    assert_non_null(strstr(err.msg, "the last 2999 metric values are lost "
                                    "and run 1 is marked failed"));
    sl__db_close(db);
    sqlite3 *h = raw_open(f->db);
    char *st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", id);
    char *e = raw_text(h, "SELECT error FROM runs WHERE id = ?1", id);
    assert_string_equal(st, "failed");
    assert_non_null(strstr(e, "the last 2999 metric values could not be "
                              "written"));
    assert_non_null(strstr(e, "database or disk is full"));
    free(st);
    free(e);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM metrics", 0), 1);
    sqlite3_close(h);

    /* not even the end fits (an error text of overflow pages) */
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    id = begin_run(db, "fuller", 2);
    full_disk(db);
    size_t big = 200000;
    char *why = malloc(big + 1);
    assert_non_null(why);
    memset(why, 'x', big);
    why[big] = '\0';
    assert_int_equal(sl__db_run_end(db, id, "failed", why, &err), SL_EDB);
    free(why);
    assert_non_null(strstr(err.msg, "database or disk is full"));
    assert_non_null(strstr(err.msg, "run 2 stays 'running' in the file until "
                                    "the next spikelab on this host opens "
                                    "it and marks it interrupted"));
    sl__db_close(db);
    h = raw_open(f->db);
    st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", id);
    assert_string_equal(st, "running");
    free(st);
    sqlite3_close(h);
}

/* The effective config becomes one params row per scalar setting. */
static void test_params_flatten(void **state)
{
    fx *f = *state;
    static const char cfg[] =
        "name = \"p\";\nseed = 12345678901L;\n"
        "optimizer = { type = \"adam\"; lr = 1e-3; betas = [0.9, 0.999]; };\n"
        "network = { layers = ( { type = \"linear\"; n_out = 2; },\n"
        "  { name = \"lif\"; type = \"lif\"; tau_mem = 2e-2; rec = true; } ); };\n"
        "empty = { };\n";
    sl__kv *kv;
    size_t n;
    sl__err err;
    sl__err_clear(&err);
    assert_int_equal(sl__config_flatten_text(cfg, &kv, &n, &err), SL_OK);
    static const char *const want[][4] = {
        /* key, alias, type, text */
        {"name", NULL, "string", "p"},
        {"seed", NULL, "int", "12345678901"},
        {"optimizer.type", NULL, "string", "adam"},
        {"optimizer.lr", NULL, "float", "0.001"},
        {"optimizer.betas.0", NULL, "float", "0.9"},
        {"optimizer.betas.1", NULL, "float", "0.999"},
        {"network.layers.0.type", NULL, "string", "linear"},
        {"network.layers.0.n_out", NULL, "int", "2"},
        {"network.layers.1.name", "network.layers.lif.name", "string", "lif"},
        {"network.layers.1.type", "network.layers.lif.type", "string", "lif"},
        {"network.layers.1.tau_mem", "network.layers.lif.tau_mem", "float",
         "0.02"},
        {"network.layers.1.rec", "network.layers.lif.rec", "bool", "true"},
    };
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(kv[i].key, want[i][0]);
        if (want[i][1])
            assert_string_equal(kv[i].alias, want[i][1]);
        else
            assert_null(kv[i].alias);
        assert_string_equal(kv[i].type, want[i][2]);
        assert_string_equal(kv[i].text, want[i][3]);
        assert_int_equal(kv[i].has_num, strcmp(want[i][2], "string") != 0);
    }
    assert_true(kv[3].num == 1e-3);
    assert_true(kv[11].num == 1.0);
    sl__kv_free(kv, n);
    assert_int_equal(sl__config_flatten_text("a = ;", &kv, &n, &err),
                     SL_ECONFIG);

    char b[64];
    sl__fmt_double_exact(0.1, b, sizeof b);
    assert_string_equal(b, "0.1");
    sl__fmt_double_exact(50.0, b, sizeof b);
    assert_string_equal(b, "50.0");
    sl__fmt_double_exact(1.0 / 3.0, b, sizeof b);
    assert_true(strtod(b, NULL) == 1.0 / 3.0);
    sl__fmt_double_exact(0.59999999999999998, b, sizeof b);
    assert_string_equal(b, "0.6");

    /* recorded with the run, in one transaction with it */
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    sl__run_meta meta = {.name = "p", .config_effective = cfg, .seed = 1};
    int64_t id;
    assert_int_equal(sl__db_run_begin(db, &meta, &id, &err), SL_OK);
    /* text that is no configuration: recorded, without params */
    sl__run_meta junk = {.name = "j", .config_effective = "{{{", .seed = 1};
    int64_t jid;
    assert_int_equal(sl__db_run_begin(db, &junk, &jid, &err), SL_OK);
    /* a parent that does not exist */
    sl__run_meta orphan = {.name = "o", .seed = 1, .parent_id = 999};
    int64_t oid;
    assert_int_equal(sl__db_run_begin(db, &orphan, &oid, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "999"));
    sl__db_close(db);
    sqlite3 *h = raw_open(f->db);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM params WHERE run_id = ?1",
                             id), 12);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM params WHERE run_id = ?1",
                             jid), 0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs", 0), 2);
    assert_int_equal(raw_int(h, "SELECT value_num = 0.02 FROM params WHERE"
                                " run_id = ?1 AND alias ="
                                " 'network.layers.lif.tau_mem'", id), 1);
    char *pid = raw_text(h, "SELECT proc_id FROM runs WHERE id = ?1", id);
    char mine[SL__PROC_ID_LEN];
    if (sl__proc_identity(getpid(), mine, sizeof mine) == 0)
        assert_string_equal(pid, mine);
    free(pid);
    sqlite3_close(h);
}

/* A child process records a run and is killed: the next open marks the
 * run interrupted (also while the child is an unreaped zombie), keeping
 * what it flushed. A pid now used by another process does not keep a
 * dead run alive. */
static void test_reap_killed_child(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    sl__db_close(db);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        sl__db *cdb;
        int64_t id;
        sl__run_meta meta = {.name = "child", .seed = 1};
        if (sl__db_open(f->db, &cdb, NULL) || sl__db_run_begin(cdb, &meta, &id,
                                                               NULL))
            _exit(1);
        for (int i = 1; i <= 50; i++)
            sl__db_metric(cdb, id, i, "loss", 1.0 / i, NULL);
        sl__db_flush(cdb, NULL);
        sl__db_metric(cdb, id, 51, "loss", 0.0, NULL); /* never flushed */
        if (write(pipefd[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    char x;
    assert_int_equal(read(pipefd[0], &x, 1), 1);
    close(pipefd[0]);
    /* alive: left alone */
    int n = -1;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    assert_int_equal(sl__db_reap(db, &n, &err), SL_OK);
    assert_int_equal(n, 0);
    sl__db_close(db);
    assert_int_equal(kill(child, SIGKILL), 0);
    /* a zombie until waited for: already dead */
    for (int i = 0; i < 200; i++) {
        char id[SL__PROC_ID_LEN];
        if (sl__proc_identity(child, id, sizeof id) != 0)
            break;
        usleep(10000);
    }
    assert_int_equal(sl__db_open_ex(f->db, SL__DB_NO_REAP, &db, &err), SL_OK);
    assert_int_equal(sl__db_reap(db, &n, &err), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sl__db_reap(db, &n, &err), SL_OK);
    assert_int_equal(n, 0); /* done once */
    sl__db_close(db);
    assert_int_equal(waitpid(child, NULL, 0), child);
    sqlite3 *h = raw_open(f->db);
    char *st = raw_text(h, "SELECT status FROM runs WHERE name = 'child'", 0);
    assert_string_equal(st, "interrupted");
    free(st);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM metrics", 0), 50);
    assert_int_equal(raw_int(h, "SELECT max(step) FROM metrics", 0), 50);
    sqlite3_close(h);

    /* pid reuse: our own live pid, recorded with another identity */
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t mine = begin_run(db, "mine", 1);
    int64_t reused = begin_run(db, "reused", 1);
    sl__db_close(db);
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    char upd[160];
    snprintf(upd, sizeof upd,
             "UPDATE runs SET proc_id = 'another-boot/1' WHERE id = %lld",
             (long long)reused);
    assert_int_equal(sqlite3_exec(h, upd, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char me[SL__PROC_ID_LEN];
    int have_proc = sl__proc_identity(getpid(), me, sizeof me) == 0;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK); /* reaps */
    sl__db_close(db);
    h = raw_open(f->db);
    st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", mine);
    assert_string_equal(st, "running");
    free(st);
    st = raw_text(h, "SELECT status FROM runs WHERE id = ?1", reused);
    assert_string_equal(st, have_proc ? "interrupted" : "running");
    free(st);
    sqlite3_close(h);
}

static void test_liveness(void **state)
{
    (void)state;
    char host[256], id[SL__PROC_ID_LEN], id2[SL__PROC_ID_LEN];
    assert_int_equal(sl__hostname(host, sizeof host), 0);
    int r = sl__proc_identity(getpid(), id, sizeof id);
    assert_true(r == 0 || r == -1);
    if (r == 0) {
        assert_non_null(strchr(id, '/'));
        assert_int_equal(sl__proc_identity(getpid(), id2, sizeof id2), 0);
        assert_string_equal(id, id2); /* stable */
        assert_int_equal(sl__proc_alive(host, getpid(), id), 1);
        assert_int_equal(sl__proc_alive(host, getpid(), "x/1"), 0);
    }
    assert_int_equal(sl__proc_alive(host, getpid(), NULL), 1);
    assert_int_equal(sl__proc_alive("no-such-host.invalid", getpid(), NULL),
                     -1);
    assert_int_equal(sl__proc_alive(NULL, getpid(), NULL), -1);
    assert_int_equal(sl__proc_alive(host, 0, NULL), -1);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    assert_int_equal(sl__proc_alive(host, child, NULL), 0);
    assert_int_equal(sl__proc_identity(getpid(), id, 8), -1); /* too small */
}

static void test_tags_notes_delete(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t a = begin_run(db, "a", 1), b = begin_run(db, "b", 2);
    assert_int_equal(sl__db_metric(db, a, 1, "loss", 1, &err), SL_OK);
    assert_int_equal(sl__db_run_end(db, a, "finished", NULL, &err), SL_OK);

    assert_int_equal(sl__db_tag(db, a, "x", 1, &err), SL_OK);
    assert_int_equal(sl__db_tag(db, a, "x", 1, &err), SL_OK); /* no-op */
    assert_int_equal(sl__db_tag(db, a, "y z", 1, &err), SL_OK);
    assert_int_equal(sl__db_tag(db, a, "", 1, &err), SL_EINVAL);
    assert_int_equal(sl__db_tag(db, a, "a\nb", 1, &err), SL_EINVAL);
    assert_int_equal(sl__db_tag(db, 99, "x", 1, &err), SL_ENOTFOUND);
    assert_int_equal(sl__db_tag(db, a, "y z", 0, &err), SL_OK);
    assert_int_equal(sl__db_tag(db, a, "y z", 0, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.msg, "y z"));

    assert_int_equal(sl__db_note(db, a, "one", 0, &err), SL_OK);
    assert_int_equal(sl__db_note(db, a, "two", 1, &err), SL_OK);
    assert_int_equal(sl__db_note(db, b, "only", 1, &err), SL_OK);
    assert_int_equal(sl__db_note(db, 99, "x", 0, &err), SL_ENOTFOUND);
    sqlite3 *h = raw_open(f->db);
    char *t = raw_text(h, "SELECT note FROM runs WHERE id = ?1", a);
    assert_string_equal(t, "one\ntwo");
    free(t);
    t = raw_text(h, "SELECT note FROM runs WHERE id = ?1", b);
    assert_string_equal(t, "only");
    free(t);
    assert_int_equal(sl__db_note(db, a, "", 0, &err), SL_OK);
    assert_null(raw_text(h, "SELECT note FROM runs WHERE id = ?1", a));

    /* b runs in this (live) process: refused, and nothing else removed */
    int64_t both[] = {a, b};
    assert_int_equal(sl__db_run_delete(db, both, 2, 0, &err), SL_EINVAL);
    assert_non_null(strstr(err.msg, "still running"));
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs", 0), 2);
    int64_t missing[] = {a, 99};
    assert_int_equal(sl__db_run_delete(db, missing, 2, 0, &err), SL_ENOTFOUND);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs", 0), 2);
    /* a re-run of a keeps its record when a goes */
    sl__run_meta child = {.name = "c", .seed = 1, .parent_id = a};
    int64_t c;
    assert_int_equal(sl__db_run_begin(db, &child, &c, &err), SL_OK);
    int64_t twice[] = {a, a};
    assert_int_equal(sl__db_run_delete(db, twice, 2, 0, &err), SL_OK);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs WHERE id = ?1", a),
                     0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM tags", 0), 0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM metrics", 0), 0);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM params WHERE run_id = ?1",
                             a), 0);
    assert_int_equal(raw_int(h, "SELECT parent_id IS NULL FROM runs"
                                " WHERE id = ?1", c), 1);
    int64_t live[] = {b};
    assert_int_equal(sl__db_run_delete(db, live, 1, 1, &err), SL_OK);
    assert_int_equal(raw_int(h, "SELECT count(*) FROM runs", 0), 1);
    sqlite3_close(h);
    sl__db_close(db);
}

static void test_compare_runs(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    int64_t r[4];
    for (int k = 0; k < 4; k++) {
        r[k] = begin_run(db, "c", 1);
        for (int i = 1; i <= 20; i++)
            assert_int_equal(sl__db_metric(db, r[k], i, "loss",
                                           /* one bit off in run 2 */
                                           k == 2 && i == 7
                                               ? nextafter(1.0 / i, 1.0)
                                               : 1.0 / i,
                                           &err),
                             SL_OK);
        assert_int_equal(sl__db_metric(db, r[k], 21, "nan", NAN, &err), SL_OK);
        if (k != 3)
            assert_int_equal(sl__db_metric(db, r[k], 22, "loss", 0, &err),
                             SL_OK);
        assert_int_equal(sl__db_result(db, r[k], "acc", 0.5, NULL, &err),
                         SL_OK);
        float w[3] = {1, 2, k == 1 ? 3.5f : 3};
        assert_int_equal(sl__db_artifact(db, r[k], "params/l/w.npy",
                                         "parameters", NULL, w, sizeof w,
                                         &err),
                         SL_OK);
        assert_int_equal(sl__db_run_end(db, r[k], "finished", NULL, &err),
                         SL_OK);
    }
    sl__db_diff d;
    assert_int_equal(sl__db_compare(db, r[0], r[0], &d, &err), SL_OK);
    assert_true(d.identical);
    assert_int_equal(d.n_metrics, 22);
    assert_int_equal(d.n_results, 1);
    assert_int_equal(d.n_params, 1);
    assert_string_equal(d.first, "");
    /* parameters differ */
    assert_int_equal(sl__db_compare(db, r[0], r[1], &d, &err), SL_OK);
    assert_false(d.identical);
    assert_non_null(strstr(d.first, "trained parameter 'params/l/w.npy'"));
    /* one metric value differs in its last bit */
    assert_int_equal(sl__db_compare(db, r[0], r[2], &d, &err), SL_OK);
    assert_false(d.identical);
    assert_non_null(strstr(d.first, "metric 'loss' step 7 differs"));
    assert_int_equal(d.n_metrics, 22); /* counted to the end anyway */
    /* a missing value */
    assert_int_equal(sl__db_compare(db, r[0], r[3], &d, &err), SL_OK);
    assert_false(d.identical);
    char want[80];
    snprintf(want, sizeof want, "metric 'loss' step 22 is only in run %lld",
             (long long)r[0]);
    assert_non_null(strstr(d.first, want));
    assert_int_equal(sl__db_compare(db, r[3], r[0], &d, &err), SL_OK);
    assert_non_null(strstr(d.first, want));
    assert_int_equal(sl__db_compare(db, r[0], 99, &d, &err), SL_ENOTFOUND);
    assert_int_equal(sl__db_set_reproduced(db, r[1], 0, &err), SL_OK);
    assert_int_equal(sl__db_set_reproduced(db, 99, 1, &err), SL_ENOTFOUND);
    sl__db_close(db);
}

/* Every value a condition binds is referred to by its SQL: an unused one
 * is a bind index past the statement's end when it is the last (found by
 * tests/fuzz/fuzz_filter: text and glob conditions on result:/metric:,
 * which compare nothing, registered the key anyway). */
static void test_filter_binds_used(void **state)
{
    (void)state;
    const char *exprs[] = {"result:acc~x*", "metric:loss=abc", "acc~x",
                           "lr>=0.01",      "result:acc>0.5",  "name=foo",
                           "param:optimizer.type=adam"};
    for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
        sl__cond c;
        sl__err err;
        sl__err_clear(&err);
        assert_int_equal(sl__cond_parse(exprs[i], &c, &err), SL_OK);
        sl__sql q = {0};
        sl__cond_sql(&q, &c);
        sl__sql_add(&q, "");
        assert_false(q.oom);
        for (int k = 1; k <= q.n_binds; k++) {
            char ref[16];
            int found = 0;
            snprintf(ref, sizeof ref, "?%d", k);
            for (const char *p = q.buf; (p = strstr(p, ref)) != NULL; p++)
                if (p[strlen(ref)] < '0' || p[strlen(ref)] > '9')
                    found = 1;
            if (!found)
                fail_msg("%s: bound value %d of %d unused in: %s", exprs[i], k,
                         q.n_binds, q.buf);
        }
        sl__sql_free(&q);
        sl__cond_free(&c);
    }
}

static void test_filter_parse(void **state)
{
    (void)state;
    sl__cond c;
    sl__err err;
    sl__err_clear(&err);
    static const struct {
        const char *expr, *key;
        sl__ns ns;
        sl__op op;
        int numeric;
        double num;
        const char *text;
    } ok[] = {
        {"optimizer.lr>=0.01", "optimizer.lr", SL__NS_ANY, SL__OP_GE, 1, 0.01,
         "0.01"},
        {" loss < 1e-3 ", "loss", SL__NS_ANY, SL__OP_LT, 1, 1e-3, "1e-3"},
        {"metric:loss<=2", "loss", SL__NS_METRIC, SL__OP_LE, 1, 2, "2"},
        {"result:acc>0.5", "acc", SL__NS_RESULT, SL__OP_GT, 1, 0.5, "0.5"},
        {"param:optimizer.type==adam", "optimizer.type", SL__NS_PARAM,
         SL__OP_EQ, 0, 0, "adam"},
        {"a!=\"1\"", "a", SL__NS_ANY, SL__OP_NE, 0, 0, "1"},
        {"a='x y'", "a", SL__NS_ANY, SL__OP_EQ, 0, 0, "x y"},
        {"t~ad*", "t", SL__NS_ANY, SL__OP_GLOB, 0, 0, "ad*"},
        {"b=true", "b", SL__NS_ANY, SL__OP_EQ, 0, 0, "true"},
        {"x=a' OR 1=1 --", "x", SL__NS_ANY, SL__OP_EQ, 0, 0, "a' OR 1=1 --"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        sl__err_clear(&err);
        if (sl__cond_parse(ok[i].expr, &c, &err) != SL_OK)
            fail_msg("'%s': %s", ok[i].expr, err.msg);
        assert_string_equal(c.key, ok[i].key);
        assert_int_equal(c.ns, ok[i].ns);
        assert_int_equal(c.op, ok[i].op);
        assert_int_equal(c.numeric, ok[i].numeric);
        if (c.numeric)
            assert_true(c.num == ok[i].num);
        assert_string_equal(c.text, ok[i].text);
        sl__cond_free(&c);
    }
    static const char *const bad[][2] = {
        {"optimizer.lr", "no comparison"},
        {"lr>=", "no value"},
        {"  =3", "no key"},
        {"lr=<3", "not an operator"},
        {"lr=>3", "not an operator"},
        {"lr<<3", "not an operator"},
        {"lr!3", "must be followed by"},
        {"type<adam", "is not a number"},
        {"foo:lr=1", "unknown prefix"},
        {"param:=1", "no key after the prefix"},
        {"a b=1", "space"},
        {"a=\"x", "unbalanced quote"},
        {"lr>nan", "is not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sl__err_clear(&err);
        assert_int_equal(sl__cond_parse(bad[i][0], &c, &err), SL_EINVAL);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], err.msg,
                     bad[i][1]);
        assert_null(c.key);
    }

    /* the SQL holds placeholders, never the user's text */
    sl__sql q = {0};
    assert_int_equal(sl__cond_parse("evil'key=1; DROP TABLE runs", &c, &err),
                     SL_OK);
    sl__sql_add(&q, "SELECT count(*) FROM runs WHERE ");
    sl__cond_sql(&q, &c);
    assert_null(strstr(q.buf, "evil"));
    assert_null(strstr(q.buf, "DROP"));
    assert_non_null(strstr(q.buf, "?1"));
    sqlite3 *h;
    assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "CREATE TABLE runs(id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE params(run_id, key, alias,"
                                  " value_text, value_num);"
                                  "CREATE TABLE results(run_id, name, value);"
                                  "CREATE TABLE metrics(run_id, name, step,"
                                  " value);"
                                  "INSERT INTO runs VALUES(1);"
                                  "INSERT INTO params VALUES(1,"
                                  " 'evil''key', NULL, 'x', NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sl__sql_prepare(&q, h, &s), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
    sl__sql_free(&q);
    sl__cond_free(&c);
    assert_int_equal(sl__cond_parse("evil'key=x", &c, &err), SL_OK);
    sl__sql_add(&q, "SELECT count(*) FROM runs WHERE ");
    sl__cond_sql(&q, &c);
    assert_int_equal(sl__sql_prepare(&q, h, &s), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1); /* found as a value */
    sqlite3_finalize(s);
    sl__sql_free(&q);
    sl__cond_free(&c);
    sqlite3_close(h);

    /* --since */
    double t, now = 1.0e9;
    assert_int_equal(sl__parse_since("2h", now, &t, &err), SL_OK);
    assert_true(t == now - 7200);
    assert_int_equal(sl__parse_since("1.5d", now, &t, &err), SL_OK);
    assert_true(t == now - 1.5 * 86400);
    assert_int_equal(sl__parse_since("30m", now, &t, &err), SL_OK);
    assert_true(t == now - 1800);
    assert_int_equal(sl__parse_since("@12345.5", now, &t, &err), SL_OK);
    assert_true(t == 12345.5);
    assert_int_equal(sl__parse_since("2024-02-29", now, &t, &err), SL_OK);
    double day = t;
    assert_int_equal(sl__parse_since("2024-02-29 01:00", now, &t, &err),
                     SL_OK);
    assert_true(t - day == 3600);
    assert_int_equal(sl__parse_since("2024-02-29T01:00:30", now, &t, &err),
                     SL_OK);
    assert_true(t - day == 3630);
    static const char *const bad_since[] = {"yesterday", "2h ago", "-3d",
                                            "2024-13-01", "2024-02-29x",
                                            "@", "@x", "", "5"};
    for (size_t i = 0; i < sizeof bad_since / sizeof *bad_since; i++) {
        if (sl__parse_since(bad_since[i], now, &t, &err) != SL_EINVAL)
            fail_msg("--since '%s' accepted", bad_since[i]);
        assert_non_null(strstr(err.msg, "YYYY-MM-DD"));
    }
}

/* The .npy header as numpy.lib.format writes and reads it. */
static void test_npy(void **state)
{
    (void)state;
    const float data[6] = {1, 2, 3, 4, 5, 6};
    void *img;
    size_t size;
    sl__err err;
    static const struct {
        size_t ndim, shape[3];
        const char *want;
    } cases[] = {
        {2, {2, 3, 0}, "'shape': (2, 3), }"},
        {1, {6, 0, 0}, "'shape': (6,), }"},
        {0, {0, 0, 0}, "'shape': (), }"},
        {3, {1, 2, 3}, "'shape': (1, 2, 3), }"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        assert_int_equal(sl__npy_f32(data, cases[k].shape, cases[k].ndim,
                                     &img, &size, &err),
                         SL_OK);
        const unsigned char *b = img;
        assert_memory_equal(b, "\x93NUMPY\x01\x00", 8);
        size_t hl = b[8] | (size_t)b[9] << 8;
        assert_int_equal((10 + hl) % 64, 0);
        assert_int_equal(b[10 + hl - 1], '\n');
        char *h = strndup((const char *)b + 10, hl);
        assert_non_null(strstr(h, "'descr': '<f4'"));
        assert_non_null(strstr(h, "'fortran_order': False"));
        assert_non_null(strstr(h, cases[k].want));
        free(h);
        size_t count = 1;
        for (size_t i = 0; i < cases[k].ndim; i++)
            count *= cases[k].shape[i];
        assert_int_equal(size, 10 + hl + count * 4);
        assert_memory_equal(b + 10 + hl, data, count * 4);
        free(img);
    }
    size_t big[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(sl__npy_f32(data, big, 9, &img, &size, &err), SL_EINVAL);
    assert_null(img);
}

static void test_text_plot(void **state)
{
    fx *f = *state;
    int64_t x[100];
    double y[100];
    for (int i = 0; i < 100; i++) {
        x[i] = i + 1;
        y[i] = 1.0 / (i + 1);
    }
    y[50] = NAN;
    const char *p = path_in(f, "plot.txt");
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    assert_int_equal(sl__text_plot(fp, "  ", "loss", x, y, 100, 40, 6), 0);
    /* constant values, and nothing finite at all */
    double flat[3] = {2, 2, 2}, none[2] = {NAN, INFINITY};
    assert_int_equal(sl__text_plot(fp, "", "flat", x, flat, 3, 40, 6), 0);
    assert_int_equal(sl__text_plot(fp, "", "none", x, none, 2, 40, 6), 0);
    fclose(fp);
    char *t = slurp(p);
    assert_non_null(strstr(t, "  loss: 99 values, steps 1..100, log scale"
                              " (1 not finite, left out)\n"));
    assert_non_null(strstr(t, "1 |*"));    /* the top left: 1 at step 1 */
    assert_non_null(strstr(t, "0.01 |"));  /* the lowest value labelled */
    assert_non_null(strstr(t, "+----------------------------------------\n"));
    assert_non_null(strstr(t, "flat: 3 values"));
    assert_null(strstr(t, "none"));
    /* every plot line of the loss has at most 40 plot characters */
    int lines = 0;
    for (char *l = strstr(t, "|"); l && l < strstr(t, "flat"); l = strchr(l + 1, '|')) {
        size_t n = strcspn(l + 1, "\n");
        assert_true(n <= 40);
        lines++;
    }
    assert_int_equal(lines, 6);
    free(t);
}

/* compare, export, tag, note, rm and runs filters, in process. */
static void test_cmd_history(void **state)
{
    fx *f = *state;
    sl__err err;
    sl__err_clear(&err);
    sl__db *db;
    assert_int_equal(sl__db_open(f->db, &db, &err), SL_OK);
    static const char *const cfgs[] = {
        "name = \"h\";\noptimizer = { lr = 0.01; type = \"adam\"; };\n"
        "train = { epochs = 3; };\n",
        "name = \"h\";\noptimizer = { lr = 0.02; type = \"adam\"; };\n"
        "train = { epochs = 3; };\nextra = \"only, here\";\n",
    };
    int64_t id[2];
    for (int k = 0; k < 2; k++) {
        sl__run_meta meta = {.name = "h", .config_effective = cfgs[k],
                             .seed = k};
        assert_int_equal(sl__db_run_begin(db, &meta, &id[k], &err), SL_OK);
        for (int i = 1; i <= 3; i++)
            assert_int_equal(sl__db_metric(db, id[k], i, "loss",
                                           (k + 1) * 0.1 / i, &err),
                             SL_OK);
        assert_int_equal(sl__db_result(db, id[k], "acc", 0.5 + k * 0.25,
                                       NULL, &err),
                         SL_OK);
        assert_int_equal(sl__db_run_end(db, id[k], "finished", NULL, &err),
                         SL_OK);
    }
    sl__db_close(db);

    captured c = run_cmd(f, sl__cmd_compare, "compare", "1", "2", "--db",
                         f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "2 of 5 keys differ"));
    assert_non_null(strstr(c.out, "optimizer.lr  0.01  0.02"));
    assert_non_null(strstr(c.out, "extra         -     only, here"));
    assert_null(strstr(c.out, "train.epochs"));
    assert_non_null(strstr(c.out, "acc"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_compare, "compare", "2", "last", "1", "--json",
                "--db", f->db, NULL);
    assert_int_equal(c.status, 2); /* 2 twice: 'last' is 2 */
    captured_free(&c);
    c = run_cmd(f, sl__cmd_compare, "compare", "1", "last", "--json", "--all",
                "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"config_differences\":[\"extra\","
                                 "\"optimizer.lr\"]"));
    assert_non_null(strstr(c.sq, "{\"key\":\"optimizer.lr\",\"differs\":true,"
                                 "\"values\":[0.01,0.02]}"));
    assert_non_null(strstr(c.sq, "{\"key\":\"train.epochs\",\"differs\":false,"
                                 "\"values\":[3,3]}"));
    assert_non_null(strstr(c.sq, "{\"name\":\"acc\",\"values\":[0.5,0.75]}"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_compare, "compare", "1", "9", "--db", f->db, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, "no run 9"));
    captured_free(&c);

    c = run_cmd(f, sl__cmd_export, "export", "1", "2", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_true(strncmp(c.out, "run_id,kind,name,step,value,wall_time\r\n",
                        39) == 0);
    assert_non_null(strstr(c.out, "\r\n2,param,extra,,\"only, here\",\r\n"));
    assert_non_null(strstr(c.out, "\r\n1,param,optimizer.lr,,0.01,\r\n"));
    assert_non_null(strstr(c.out, "\r\n2,metric,loss,1,0.20000000000000001,"));
    assert_non_null(strstr(c.out, "\r\n2,result,acc,,0.75,\r\n"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_export, "export", "2", "--format", "json", "--db",
                f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"params\":{\"name\":\"h\","
                                 "\"optimizer.lr\":0.02,"
                                 "\"optimizer.type\":\"adam\","
                                 "\"train.epochs\":3,"
                                 "\"extra\":\"only, here\"}"));
    assert_non_null(strstr(c.sq, "\"results\":{\"acc\":0.75}"));
    captured_free(&c);
    const char *out = path_in(f, "e.csv");
    c = run_cmd(f, sl__cmd_export, "export", "1", "-o", out, "--db", f->db,
                NULL);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "");
    char *csv = slurp(out);
    assert_non_null(strstr(csv, "1,metric,loss,3,"));
    free(csv);
    captured_free(&c);
    c = run_cmd(f, sl__cmd_export, "export", "1", "--format", "xml", "--db",
                f->db, NULL);
    assert_int_equal(c.status, 2);
    captured_free(&c);

    c = run_cmd(f, sl__cmd_tag, "tag", "1", "good", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    captured_free(&c);
    c = run_cmd(f, sl__cmd_note, "note", "last", "see \"fig 2\"", "--db",
                f->db, NULL);
    assert_int_equal(c.status, 0);
    captured_free(&c);
    c = run_cmd(f, sl__cmd_runs, "runs", "--tag", "good", "--json", "--db",
                f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.sq, "\"id\":1,"));
    assert_null(strstr(c.sq, "\"id\":2,"));
    assert_non_null(strstr(c.sq, "\"tags\":[\"good\"]"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_show, "show", "2", "--json", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_true(json_valid(c.out));
    assert_non_null(strstr(c.sq, "\"note\":\"see \\\"fig 2\\\"\""));
    assert_non_null(strstr(c.sq, "\"params\":{\"name\":\"h\","));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_show, "show", "2", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "loss: 3 values, steps 1..3"));
    assert_non_null(strstr(c.out, "optimizer.lr"));
    captured_free(&c);

    /* runs filters */
    c = run_cmd(f, sl__cmd_runs, "runs", "--where", "optimizer.lr>0.015",
                "--where", "acc>=0.75", "--where", "loss<0.1", "--db", f->db,
                NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "optimizer.lr"));
    assert_true(c.out[strspn(c.out, " ")] == 'I'); /* header */
    assert_non_null(strstr(c.out, "\n 2  finished"));
    assert_null(strstr(c.out, "\n 1  finished"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_runs, "runs", "--sort", "-acc", "--json", "--db",
                f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_true(strstr(c.sq, "\"id\":2,") < strstr(c.sq, "\"id\":1,"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_runs, "runs", "--sort", "acc", "--json", "--db",
                f->db, NULL);
    assert_true(strstr(c.sq, "\"id\":1,") < strstr(c.sq, "\"id\":2,"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_runs, "runs", "--where", "lr", "--db", f->db, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "no comparison in 'lr'"));
    assert_string_equal(c.out, "");
    captured_free(&c);

    c = run_cmd(f, sl__cmd_rm, "rm", "2", "--db", f->db, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "removed run 2"));
    captured_free(&c);
    c = run_cmd(f, sl__cmd_rm, "rm", "2", "--db", f->db, NULL);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.err, "no run 2"));
    captured_free(&c);
    static const struct {
        int (*fn)(int, char **);
        const char *name;
    } cmds[] = {{sl__cmd_compare, "compare"}, {sl__cmd_export, "export"},
                {sl__cmd_tag, "tag"},         {sl__cmd_note, "note"},
                {sl__cmd_rm, "rm"},           {sl__cmd_rerun, "rerun"}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char want[64];
        c = run_cmd(f, cmds[i].fn, cmds[i].name, "--help", NULL);
        assert_int_equal(c.status, 0);
        snprintf(want, sizeof want, "Usage: spikelab %s", cmds[i].name);
        assert_non_null(strstr(c.out, want));
        captured_free(&c);
        c = run_cmd(f, cmds[i].fn, cmds[i].name, "--bogus", NULL);
        assert_int_equal(c.status, 2);
        assert_non_null(strstr(c.err, "--help"));
        captured_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_validator_rejects),
        cmocka_unit_test_setup_teardown(test_sha256_vectors, setup, teardown),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test_setup_teardown(test_record_and_read_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_transitions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_buffer_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_processes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuse_not_sqlite, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuse_future_or_foreign, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_db_not_created, setup,
                                        teardown),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test_setup_teardown(test_cmd_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_show, setup, teardown),
        cmocka_unit_test_setup_teardown(test_died_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_schema1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_rolls_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_flatten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reap_killed_child, setup,
                                        teardown),
        cmocka_unit_test(test_liveness),
        cmocka_unit_test_setup_teardown(test_tags_notes_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compare_runs, setup, teardown),
        cmocka_unit_test(test_filter_parse),
        cmocka_unit_test(test_filter_binds_used),
        cmocka_unit_test(test_npy),
        cmocka_unit_test_setup_teardown(test_text_plot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_history, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
