/* tests/test_api.c — the embedding API (session.h, rundb.h) through its
 * public functions only: errors with their messages, a short real run
 * read back from the database, interrupt, hooks that stop a run, the
 * filters of the run listing and the values of its keys, and curation
 * (tags, notes, removal, the verdict of a re-run). Needs $top_srcdir (the experiment) and
 * $SPIKELAB_PLUGIN_PATH (the build tree's plugins), as set by make check. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "spikelab/rundb.h"
#include "spikelab/session.h"

static char dir[] = "/tmp/sl-test-api-XXXXXX";
static char exp_path[4096], db_path[4200];

static int setup(void **state)
{
    (void)state;
    const char *top = getenv("top_srcdir");
    if (!top || !mkdtemp(dir))
        return -1;
    snprintf(exp_path, sizeof exp_path,
             "%s/experiments/frozen_noise_lif.cfg", top);
    snprintf(db_path, sizeof db_path, "%s/runs.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[4300];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static const char *const short_run[] = {"train.epochs=3"};

static sl_experiment *load_short(sl_session *s)
{
    sl_experiment *e = NULL;
    int rc = sl_experiment_load(s, exp_path, short_run, 1, &e);
    if (rc)
        fprintf(stderr, "%s\n", sl_session_errmsg(s));
    assert_int_equal(rc, SL_OK);
    return e;
}

static void test_session_errors(void **state)
{
    (void)state;
    sl_session *s = NULL;
    assert_int_equal(sl_session_new(NULL, NULL), SL_EINVAL);
    sl_session_opts bad = {0, NULL};
    assert_int_equal(sl_session_new(&bad, &s), SL_EINVAL);
    assert_null(s);
    assert_int_equal(sl_session_new(NULL, &s), SL_OK);

    /* a misspelt override: the key and where it came from */
    sl_experiment *e = (sl_experiment *)1;
    const char *const typo[] = {"train.epochs=3", "train.epochz=4"};
    assert_int_equal(sl_experiment_load(s, exp_path, typo, 2, &e),
                     SL_ECONFIG);
    assert_null(e);
    assert_non_null(strstr(sl_session_errmsg(s), "train.epochz"));
    assert_non_null(strstr(sl_session_errmsg(s), "unknown setting"));
    assert_non_null(strstr(sl_session_errmsg(s), "did you mean epochs?"));

    /* a missing file: named */
    assert_true(sl_experiment_load(s, "/nonexistent/x.cfg", NULL, 0, &e) <
                0);
    assert_non_null(strstr(sl_session_errmsg(s), "/nonexistent/x.cfg"));

    /* text: the name and line of the error */
    assert_int_equal(sl_experiment_load_string(s, "name = \"x\";\nseed = ;\n",
                                               "inline.cfg", NULL, 0, &e),
                     SL_ECONFIG);
    assert_non_null(strstr(sl_session_errmsg(s), "inline.cfg:2"));
    assert_int_equal(sl_experiment_load_string(s, NULL, "x", NULL, 0, &e),
                     SL_EINVAL);
    assert_int_equal(sl_experiment_load(s, exp_path, NULL, 1, &e),
                     SL_EINVAL);

    /* a run needs a database path */
    e = load_short(s);
    sl_run_opts o = {sizeof o, NULL, 0, NULL, NULL, 0, 0};
    int64_t id = -1;
    assert_int_equal(sl_run(s, e, &o, NULL, &id), SL_EINVAL);
    assert_int_equal(id, 0);
    assert_non_null(strstr(sl_session_errmsg(s), "db_path"));
    sl_experiment_free(e);
    sl_session_free(s);
    sl_session_free(NULL);
    sl_experiment_free(NULL);
}

typedef struct counts {
    int64_t started, epochs, last_epoch, results;
    int stop_at; /* on_epoch returns 7 at this epoch (0: never) */
    /* on_progress: calls, steps ended (done == total) by kind */
    int64_t progress, epoch_ends, eval_ends, last_done;
    char last_what[160];
    int stop_progress; /* on_progress returns 9 at its first call */
} counts;

/* Within one step done counts up to total; a new step starts at a new
 * name. */
static int c_progress(void *u, const char *what, uint64_t done,
                      uint64_t total)
{
    counts *c = u;
    c->progress++;
    assert_true(total > 0 && done > 0 && done <= total);
    if (strcmp(what, c->last_what) == 0 && c->last_done < (int64_t)total)
        assert_true((int64_t)done > c->last_done);
    snprintf(c->last_what, sizeof c->last_what, "%s", what);
    c->last_done = (int64_t)done;
    if (done == total) {
        if (strncmp(what, "epoch ", 6) == 0)
            c->epoch_ends++;
        else if (strncmp(what, "evaluating '", 12) == 0)
            c->eval_ends++;
    }
    return c->stop_progress ? 9 : 0;
}

static int c_start(void *u, int64_t id)
{
    ((counts *)u)->started = id;
    return 0;
}

static int c_epoch(void *u, int64_t epoch, double loss)
{
    counts *c = u;
    assert_true(isfinite(loss));
    c->epochs++;
    c->last_epoch = epoch;
    return epoch == c->stop_at ? 7 : 0;
}

static int c_result(void *u, const char *name, double v)
{
    (void)name;
    (void)v;
    ((counts *)u)->results++;
    return 0;
}

typedef struct seen {
    int64_t n, loss_steps;
    double first_loss;
    int64_t n_results, n_params, n_artifacts, epochs_param;
    int matched;
    sl_session *s;
} seen;

static int m_cb(void *u, const char *name, int64_t step, double v, double w)
{
    seen *x = u;
    (void)w;
    x->n++;
    if (strcmp(name, "loss") == 0) {
        if (step == 1)
            x->first_loss = v;
        x->loss_steps++;
    }
    return 0;
}

static int r_cb(void *u, const char *name, double v, const char *text)
{
    seen *x = u;
    (void)text;
    x->n_results++;
    for (size_t i = 0; i < sl_session_n_results(x->s); i++) {
        double mine;
        const char *n = sl_session_result(x->s, i, &mine);
        if (strcmp(n, name) == 0 &&
            (memcmp(&mine, &v, sizeof v) == 0 || (isnan(mine) && isnan(v))))
            x->matched++;
    }
    return 0;
}

static int p_cb(void *u, const char *key, const char *alias,
                const char *type, const char *text, double num)
{
    seen *x = u;
    (void)alias;
    (void)text;
    x->n_params++;
    if (strcmp(key, "train.epochs") == 0) {
        assert_string_equal(type, "int");
        x->epochs_param = (int64_t)num;
    }
    return 0;
}

static int a_cb(void *u, const sl_artifact_info *a)
{
    seen *x = u;
    assert_true(a->struct_size >= sizeof *a);
    if (strncmp(a->name, "params/", 7) == 0) {
        assert_string_equal(a->kind, "parameters");
        assert_true(a->size > 0);
        assert_int_equal(a->in_db, 1);
        assert_null(a->path);
        assert_true(a->created_at > 1e9);
        x->n_artifacts++;
    }
    return 0;
}

static int stop_cb(void *u, const char *name, int64_t step, double v,
                   double w)
{
    (void)u, (void)name, (void)step, (void)v, (void)w;
    return 42;
}

static void test_run_and_read_back(void **state)
{
    (void)state;
    sl_session *s;
    assert_int_equal(sl_session_new(NULL, &s), SL_OK);
    sl_experiment *e = load_short(s);
    assert_string_equal(sl_experiment_name(e), "frozen_noise_lif");
    assert_int_equal(sl_experiment_epochs(e), 3);
    assert_string_equal(sl_experiment_train_data(e), "train");

    counts c = {0};
    sl_run_opts o = {sizeof o, db_path, 0, NULL, NULL, 0, 0};
    sl_run_hooks h = {sizeof h, &c,  c_start, c_epoch, NULL, c_result,
                      NULL,     c_progress};
    int64_t id = 0;
    int rc = sl_run(s, e, &o, &h, &id);
    if (rc)
        fprintf(stderr, "%s\n", sl_session_errmsg(s));
    assert_int_equal(rc, SL_OK);
    assert_true(id > 0);
    assert_int_equal(c.started, id);
    assert_int_equal(c.epochs, 3);
    assert_int_equal(c.last_epoch, 3);
    assert_true(c.results > 0);
    /* progress: every epoch and every evaluation (two before, two after
     * training) ran to its end */
    assert_int_equal(c.epoch_ends, 3);
    assert_int_equal(c.eval_ends, 4);
    assert_int_equal((int64_t)sl_session_n_results(s), c.results);
    assert_int_equal(sl_session_run_id(s), id);
    assert_null(sl_session_result(s, sl_session_n_results(s), NULL));
    /* once trained, not again */
    assert_int_equal(sl_run(s, e, &o, &h, NULL), SL_EINVAL);
    assert_non_null(strstr(sl_session_errmsg(s), "already run"));
    sl_experiment_free(e);

    sl_rundb *db;
    assert_int_equal(sl_rundb_open(db_path, SL_RUNDB_READONLY, &db), SL_OK);
    const sl_run_info *r;
    assert_int_equal(sl_rundb_run(db, id, &r), SL_OK);
    assert_int_equal(r->id, id);
    assert_string_equal(r->status, "finished");
    assert_string_equal(r->name, "frozen_noise_lif");
    assert_string_equal(r->overrides, "train.epochs=3");
    assert_int_equal(r->seed, 0);
    assert_int_equal(r->reproduced, -1);
    assert_non_null(strstr(r->config_path, "frozen_noise_lif.cfg"));
    assert_true(r->ended_at >= r->started_at);
    int64_t last = 0;
    assert_int_equal(sl_rundb_last(db, &last), SL_OK);
    assert_int_equal(last, id);

    seen x = {0};
    x.s = s;
    assert_int_equal(sl_rundb_metrics(db, id, NULL, m_cb, &x), SL_OK);
    assert_int_equal(x.loss_steps, 3);
    assert_true(isfinite(x.first_loss));
    int64_t all = x.n;
    x.n = 0;
    assert_int_equal(sl_rundb_metrics(db, id, "loss", m_cb, &x), SL_OK);
    assert_int_equal(x.n, 3);
    assert_true(all >= 3);
    assert_int_equal(sl_rundb_results(db, id, r_cb, &x), SL_OK);
    assert_int_equal(x.n_results, c.results);
    assert_int_equal(x.matched, c.results); /* bit for bit */
    assert_int_equal(sl_rundb_params(db, id, p_cb, &x), SL_OK);
    assert_true(x.n_params > 10);
    assert_int_equal(x.epochs_param, 3);
    assert_int_equal(sl_rundb_artifacts(db, id, a_cb, &x), SL_OK);
    assert_true(x.n_artifacts >= 1);
    const void *data;
    size_t size;
    assert_int_equal(sl_rundb_artifact(db, id, "params/lif/w_rec.npy", &data,
                                       &size), SL_OK);
    assert_true(size > 10);
    assert_memory_equal(data, "\x93NUMPY", 6);
    assert_int_equal(sl_rundb_artifact(db, id, "nope.npy", &data, &size),
                     SL_ENOTFOUND);
    /* a callback's non-zero return stops the listing and comes back */
    assert_int_equal(sl_rundb_metrics(db, id, NULL, stop_cb, NULL), 42);
    /* no such run */
    assert_int_equal(sl_rundb_run(db, id + 100, &r), SL_ENOTFOUND);
    assert_non_null(strstr(sl_rundb_errmsg(db), "no run"));
    assert_int_equal(sl_rundb_results(db, id + 100, r_cb, &x), SL_ENOTFOUND);
    sl_rundb_close(db);
    sl_session_free(s);
}

static int count_result(void *u, const char *name, double v,
                        const char *text)
{
    (void)name, (void)v, (void)text;
    ++*(int *)u;
    return 0;
}

static void test_interrupt_and_hook_stop(void **state)
{
    (void)state;
    sl_session *s;
    assert_int_equal(sl_session_new(NULL, &s), SL_OK);
    sl_run_opts o = {sizeof o, db_path, 0, NULL, NULL, 0, 0};

    /* an interrupt before the run: stops it at its first epoch */
    sl_experiment *e = load_short(s);
    counts c = {0};
    sl_run_hooks h = {sizeof h, &c, c_start, c_epoch, NULL, NULL, NULL, NULL};
    int64_t id_int = 0;
    sl_session_interrupt(s);
    assert_int_equal(sl_run(s, e, &o, &h, &id_int), SL_EINTR);
    assert_true(id_int > 0);
    assert_int_equal(c.epochs, 0);
    assert_non_null(strstr(sl_session_errmsg(s), "interrupted"));
    sl_experiment_free(e);

    /* an interrupt is acted on inside evaluations too: a run of no
     * epochs (only evaluations) stops as interrupted and records no
     * result of a part of the data */
    const char *const evals_only[] = {"train.epochs=0"};
    assert_int_equal(sl_experiment_load(s, exp_path, evals_only, 1, &e),
                     SL_OK);
    int64_t id_eval = 0;
    sl_session_interrupt(s);
    assert_int_equal(sl_run(s, e, &o, NULL, &id_eval), SL_EINTR);
    assert_true(id_eval > 0);
    assert_non_null(strstr(sl_session_errmsg(s), "while evaluating on "
                                                 "'train' (0 of"));
    sl_experiment_free(e);

    /* the request is consumed: the next run finishes */
    e = load_short(s);
    assert_int_equal(sl_run(s, e, &o, NULL, NULL), SL_OK);
    sl_experiment_free(e);

    /* a hook's non-zero return stops the run: recorded as failed */
    e = load_short(s);
    memset(&c, 0, sizeof c);
    c.stop_at = 2;
    int64_t id_fail = 0;
    assert_int_equal(sl_run(s, e, &o, &h, &id_fail), 7);
    assert_int_equal(c.epochs, 2);
    sl_experiment_free(e);

    /* so does on_progress's: here in the first evaluation */
    e = load_short(s);
    memset(&c, 0, sizeof c);
    c.stop_progress = 1;
    h.on_progress = c_progress;
    assert_int_equal(sl_run(s, e, &o, &h, NULL), 9);
    assert_int_equal(c.progress, 1);
    assert_int_equal(c.epochs, 0);
    assert_non_null(strstr(sl_session_errmsg(s), "stopped while evaluating "
                                                 "'train'"));
    h.on_progress = NULL;
    sl_experiment_free(e);
    sl_session_free(s);

    sl_rundb *db;
    assert_int_equal(sl_rundb_open(db_path, 0, &db), SL_OK);
    const sl_run_info *r;
    assert_int_equal(sl_rundb_run(db, id_int, &r), SL_OK);
    assert_string_equal(r->status, "interrupted");
    assert_int_equal(sl_rundb_run(db, id_eval, &r), SL_OK);
    assert_string_equal(r->status, "interrupted");
    int nres = 0;
    assert_int_equal(sl_rundb_results(db, id_eval, count_result, &nres),
                     SL_OK);
    assert_int_equal(nres, 0);
    assert_int_equal(sl_rundb_run(db, id_fail, &r), SL_OK);
    assert_string_equal(r->status, "failed");
    assert_non_null(r->error);

    /* the listing's filters */
    sl_run_filter f = {.struct_size = sizeof f, .status = "interrupted"};
    sl_run_iter *it;
    assert_int_equal(sl_rundb_runs(db, &f, &it), SL_OK);
    int n = 0;
    for (const sl_run_info *ri; (ri = sl_run_next(it)) != NULL; n++)
        assert_true(ri->id == id_int || ri->id == id_eval);
    assert_int_equal(sl_run_iter_free(it), SL_OK);
    assert_int_equal(n, 2);

    const char *const where[] = {"train.epochs=3"};
    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.where = where;
    f.n_where = 1;
    f.sort = "id";
    f.limit = 2;
    assert_int_equal(sl_rundb_runs(db, &f, &it), SL_OK);
    int64_t prev = 0;
    const sl_run_info *ri;
    for (n = 0; (ri = sl_run_next(it)) != NULL; n++) {
        assert_true(ri->id > prev); /* ascending by id */
        prev = ri->id;
    }
    assert_int_equal(sl_run_iter_free(it), SL_OK);
    assert_int_equal(n, 2);

    memset(&f, 0, sizeof f);
    f.struct_size = sizeof f;
    f.status = "finishd";
    assert_int_equal(sl_rundb_runs(db, &f, &it), SL_EINVAL);
    assert_non_null(strstr(sl_rundb_errmsg(db), "'finishd' is not a status"));
    const char *const bad[] = {"optimizer.lr"};
    f.status = NULL;
    f.where = bad;
    f.n_where = 1;
    assert_int_equal(sl_rundb_runs(db, &f, &it), SL_EINVAL);
    assert_true(strlen(sl_rundb_errmsg(db)) > 0);
    sl_rundb_close(db);
}

static void test_rundb_open_errors(void **state)
{
    (void)state;
    sl_rundb *db = NULL;
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.db", dir);
    assert_int_equal(sl_rundb_open(missing, 0, &db), SL_ENOTFOUND);
    assert_non_null(db);
    assert_non_null(strstr(sl_rundb_errmsg(db), missing));
    /* a failed handle answers every reader with an error, not a crash */
    int64_t id;
    assert_int_equal(sl_rundb_last(db, &id), SL_EINVAL);
    sl_rundb_close(db);
    assert_int_equal(access(missing, F_OK), -1); /* not created */
    assert_int_equal(sl_rundb_open(missing, SL_RUNDB_READONLY, &db),
                     SL_ENOTFOUND);
    sl_rundb_close(db);
    assert_int_equal(sl_rundb_open(missing, SL_RUNDB_READONLY |
                                   SL_RUNDB_CREATE, &db), SL_EINVAL);
    sl_rundb_close(db);
    assert_int_equal(sl_rundb_open("", 0, &db), SL_EINVAL);
    sl_rundb_close(db);
    /* not a database */
    assert_int_equal(sl_rundb_open(exp_path, SL_RUNDB_READONLY, &db),
                     SL_EDB);
    assert_non_null(strstr(sl_rundb_errmsg(db), exp_path));
    sl_rundb_close(db);
    /* created empty: no runs */
    assert_int_equal(sl_rundb_open(missing, SL_RUNDB_CREATE, &db), SL_OK);
    assert_int_equal(sl_rundb_last(db, &id), SL_ENOTFOUND);
    sl_rundb_close(db);
    char p[4400];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", missing, suffix[i]);
        unlink(p);
    }
    assert_string_equal(sl_rundb_default_path("x.db"), "x.db");
}


/* One run of the experiment with overrides; returns its id. */
static int64_t run_with(const char *const *ov, size_t n, int64_t parent)
{
    sl_session *s;
    assert_int_equal(sl_session_new(NULL, &s), SL_OK);
    sl_experiment *e = NULL;
    int rc = sl_experiment_load(s, exp_path, ov, n, &e);
    if (rc)
        fprintf(stderr, "%s\n", sl_session_errmsg(s));
    assert_int_equal(rc, SL_OK);
    sl_run_opts o = {sizeof o, db_path, 0, NULL, NULL, parent, 0};
    int64_t id = 0;
    rc = sl_run(s, e, &o, NULL, &id);
    if (rc)
        fprintf(stderr, "%s\n", sl_session_errmsg(s));
    assert_int_equal(rc, SL_OK);
    sl_experiment_free(e);
    sl_session_free(s);
    return id;
}

typedef struct strs {
    char v[8][64];
    int n;
} strs;

static int tag_cb(void *u, const char *tag)
{
    strs *x = u;
    assert_true(x->n < 8);
    snprintf(x->v[x->n++], sizeof x->v[0], "%s", tag);
    return 0;
}

typedef struct lastloss {
    double last, final;
    int64_t last_step, final_step;
    int n_final;
} lastloss;

static int loss_cb(void *u, const char *name, int64_t step, double v,
                   double w)
{
    lastloss *x = u;
    (void)name, (void)w;
    x->last = v;
    x->last_step = step;
    return 0;
}

static int final_cb(void *u, const char *name, int64_t step, double v)
{
    lastloss *x = u;
    x->n_final++;
    if (strcmp(name, "loss") == 0) {
        x->final = v;
        x->final_step = step;
    }
    return 0;
}

/* The numeric environment as recorded: the keys a run of the command
 * records on this machine (OpenBLAS and Linux: kernel, threads, CPU). */
typedef struct envseen {
    int n, library, kernel, threads, compiler;
} envseen;

static int env_cb(void *u, const char *key, const char *value)
{
    envseen *e = u;
    assert_non_null(key);
    assert_non_null(value);
    assert_true(*value != '\0');
    e->n++;
    e->library += strcmp(key, "blas.library") == 0;
    e->kernel += strcmp(key, "blas.kernel") == 0;
    e->compiler += strcmp(key, "compiler") == 0;
    if (strcmp(key, "blas.threads") == 0)
        e->threads = atoi(value);
    return 0;
}

static int plugin_cb(void *u, const char *name, const char *version,
                     const char *abi, const char *path, const char *sha256)
{
    int *lif = u;
    assert_non_null(version);
    assert_non_null(abi);
    if (strcmp(name, "lif") == 0) {
        assert_non_null(path);
        assert_non_null(strstr(path, "lif"));
        assert_non_null(sha256);
        assert_int_equal(strlen(sha256), 64);
        ++*lif;
    }
    return 0;
}

static void test_curate_and_verify(void **state)
{
    (void)state;
    const char *const lr[] = {"train.epochs=3", "optimizer.lr=0.02"};
    int64_t a = run_with(short_run, 1, 0);
    int64_t b = run_with(short_run, 1, a); /* a re-run of a */
    int64_t c = run_with(lr, 2, 0);
    sl_run_diff d = {.struct_size = sizeof d};

    /* a read-only handle reads, and refuses every write */
    sl_rundb *db;
    assert_int_equal(sl_rundb_open(db_path, SL_RUNDB_READONLY, &db), SL_OK);
    assert_int_equal(sl_rundb_tag(db, a, "x"), SL_EINVAL);
    assert_non_null(strstr(sl_rundb_errmsg(db), "read-only"));
    assert_int_equal(sl_rundb_verify_rerun(db, b, &d), SL_EINVAL);
    assert_int_equal(sl_rundb_remove(db, &a, 1, 0), SL_EINVAL);
    assert_int_equal(sl_rundb_diff(db, a, b, &d), SL_OK); /* reads only */
    assert_int_equal(d.identical, 1);
    sl_rundb_close(db);

    assert_int_equal(sl_rundb_open(db_path, 0, &db), SL_OK);
    /* the verdict of the re-run, recorded */
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    assert_int_equal(sl_rundb_verify_rerun(db, b, &d), SL_OK);
    assert_int_equal(d.identical, 1);
    assert_true(d.n_metrics >= 3);
    assert_true(d.n_results > 0);
    assert_true(d.n_params >= 1);
    assert_string_equal(d.first, "");
    const sl_run_info *r;
    assert_int_equal(sl_rundb_run(db, b, &r), SL_OK);
    assert_int_equal(r->parent_id, a);
    assert_int_equal(r->reproduced, 1);
    assert_int_equal(r->process_alive, -1); /* finished */
    assert_int_equal(sl_rundb_verify_rerun(db, a, &d), SL_EINVAL);
    assert_non_null(strstr(sl_rundb_errmsg(db), "re-runs no"));
    /* another learning rate: a difference, named */
    assert_int_equal(sl_rundb_diff(db, a, c, &d), SL_OK);
    assert_int_equal(d.identical, 0);
    assert_true(strlen(d.first) > 0);
    assert_int_equal(sl_rundb_diff(db, a, c + 100, &d), SL_ENOTFOUND);
    /* the caller's struct_size: nothing written beyond it */
    struct {
        sl_run_diff d;
        int64_t guard;
    } small;
    memset(&small, 0xab, sizeof small);
    small.d.struct_size = (uint32_t)(offsetof(sl_run_diff, identical) +
                                     sizeof small.d.identical);
    assert_int_equal(sl_rundb_diff(db, a, b, &small.d), SL_OK);
    assert_int_equal(small.d.identical, 1);
    assert_int_equal(small.d.struct_size,
                     offsetof(sl_run_diff, identical) + sizeof(int));
    unsigned char ab[sizeof small.d.n_metrics];
    memset(ab, 0xab, sizeof ab);
    assert_memory_equal(&small.d.n_metrics, ab, sizeof ab);
    small.d.struct_size = 0;
    assert_int_equal(sl_rundb_diff(db, a, b, &small.d), SL_EINVAL);

    /* tags */
    assert_int_equal(sl_rundb_tag(db, a, "b"), SL_OK);
    assert_int_equal(sl_rundb_tag(db, a, "a c"), SL_OK);
    assert_int_equal(sl_rundb_tag(db, a, "b"), SL_OK); /* already there */
    assert_int_equal(sl_rundb_tag(db, a, ""), SL_EINVAL);
    assert_int_equal(sl_rundb_tag(db, a, "x\ty"), SL_EINVAL);
    assert_int_equal(sl_rundb_tag(db, c + 100, "b"), SL_ENOTFOUND);
    strs t = {.n = 0};
    assert_int_equal(sl_rundb_tags(db, a, tag_cb, &t), SL_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.v[0], "a c");
    assert_string_equal(t.v[1], "b");
    assert_int_equal(sl_rundb_untag(db, a, "zz"), SL_ENOTFOUND);
    assert_int_equal(sl_rundb_untag(db, a, "b"), SL_OK);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_OK);
    assert_string_equal(r->tags, "a c");
    /* notes */
    assert_int_equal(sl_rundb_set_note(db, a, "one"), SL_OK);
    assert_int_equal(sl_rundb_append_note(db, a, "two"), SL_OK);
    assert_int_equal(sl_rundb_append_note(db, a, ""), SL_OK);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_OK);
    assert_string_equal(r->note, "one\ntwo");
    assert_int_equal(sl_rundb_set_note(db, a, NULL), SL_OK);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_OK);
    assert_null(r->note);
    assert_int_equal(sl_rundb_set_note(db, c + 100, "x"), SL_ENOTFOUND);

    /* the final value of a metric is its last recorded one, bit for bit */
    lastloss l = {0};
    assert_int_equal(sl_rundb_metrics(db, a, "loss", loss_cb, &l), SL_OK);
    assert_int_equal(sl_rundb_final_metrics(db, a, final_cb, &l), SL_OK);
    assert_true(l.n_final >= 1);
    assert_int_equal(l.final_step, 3);
    assert_int_equal(l.final_step, l.last_step);
    assert_memory_equal(&l.final, &l.last, sizeof l.last);
    int lif = 0;
    assert_int_equal(sl_rundb_plugins(db, a, plugin_cb, &lif), SL_OK);
    assert_int_equal(lif, 1);
    /* the numeric environment, once per key, through rundb.h */
    envseen env = {0};
    assert_int_equal(sl_rundb_env(db, a, env_cb, &env), SL_OK);
    assert_int_equal(env.library, 1);
    assert_int_equal(env.compiler, 1);
#if defined(HAVE_OPENBLAS_GET_CORENAME) && defined(HAVE_OPENBLAS_GET_NUM_THREADS)
    assert_int_equal(env.kernel, 1);
    assert_true(env.threads >= 1);
#endif
    assert_true(env.n >= 2);
    assert_int_equal(sl_rundb_env(db, c + 100, env_cb, &env), SL_ENOTFOUND);
    assert_int_equal(sl_rundb_env(db, a, NULL, NULL), SL_EINVAL);

    /* the keys of a listing and their values */
    const char *const where[] = {"optimizer.type=adam",
                                 "param:train.epochs=3",
                                 "optimizer.type~ad*"};
    sl_run_filter f = {.struct_size = sizeof f, .where = where, .n_where = 3,
                       .sort = "-optimizer.lr"};
    sl_run_iter *it;
    assert_int_equal(sl_rundb_runs(db, &f, &it), SL_OK);
    assert_int_equal(sl_run_iter_n_keys(it), 3); /* type, epochs, lr */
    assert_string_equal(sl_run_iter_key(it, 0), "optimizer.type");
    assert_string_equal(sl_run_iter_key(it, 1), "train.epochs");
    assert_string_equal(sl_run_iter_key(it, 2), "optimizer.lr");
    assert_null(sl_run_iter_key(it, 3));
    double num;
    const char *text;
    assert_int_equal(sl_run_iter_value(it, 0, &num, &text),
                     SL_RUN_VALUE_NONE); /* no current run yet */
    const sl_run_info *ri = sl_run_next(it);
    assert_non_null(ri);
    assert_int_equal(ri->id, c); /* the highest learning rate first */
    assert_int_equal(sl_run_iter_value(it, 0, &num, &text),
                     SL_RUN_VALUE_TEXT);
    assert_string_equal(text, "adam");
    assert_int_equal(sl_run_iter_value(it, 1, &num, &text),
                     SL_RUN_VALUE_NUMBER);
    assert_null(text);
    assert_true(num == 3.0);
    assert_int_equal(sl_run_iter_value(it, 2, &num, NULL),
                     SL_RUN_VALUE_NUMBER);
    assert_true(num == 0.02);
    assert_int_equal(sl_run_iter_value(it, 7, &num, &text),
                     SL_RUN_VALUE_NONE);
    assert_int_equal(sl_run_iter_free(it), SL_OK);

    /* a filter checked without a database, in the command's words */
    char msg[256];
    const char *const bad[] = {"optimizer.lr"};
    sl_run_filter g = {.struct_size = sizeof g, .where = bad, .n_where = 1};
    assert_int_equal(sl_run_filter_check(&g, msg, sizeof msg), SL_EINVAL);
    assert_memory_equal(msg, "--where: no comparison", 22);
    assert_int_equal(sl_run_filter_check(&g, msg, 8), SL_EINVAL);
    assert_string_equal(msg, "--where");
    assert_int_equal(sl_run_filter_check(&g, NULL, 0), SL_EINVAL);
    g.n_where = 0;
    g.status = "finished,bogus";
    assert_int_equal(sl_run_filter_check(&g, msg, sizeof msg), SL_EINVAL);
    assert_non_null(strstr(msg, "--status: 'bogus' is not a status"));
    g.status = "finished";
    g.sort = "-";
    assert_int_equal(sl_run_filter_check(&g, msg, sizeof msg), SL_EINVAL);
    assert_string_equal(msg, "--sort needs a key");
    g.sort = "loss";
    g.since = "2d";
    assert_int_equal(sl_run_filter_check(&g, msg, sizeof msg), SL_OK);
    assert_string_equal(msg, "");
    assert_int_equal(sl_run_filter_check(NULL, msg, sizeof msg), SL_OK);

    /* one snapshot for several reads; no writes meanwhile */
    assert_int_equal(sl_rundb_read_begin(db), SL_OK);
    assert_int_equal(sl_rundb_read_begin(db), SL_EINVAL);
    assert_int_equal(sl_rundb_tag(db, a, "x"), SL_EINVAL);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_OK);
    assert_int_equal(sl_rundb_read_end(db), SL_OK);
    assert_int_equal(sl_rundb_read_end(db), SL_EINVAL);

    /* removal: all or nothing */
    int64_t two[] = {a, c + 100};
    assert_int_equal(sl_rundb_remove(db, two, 2, 0), SL_ENOTFOUND);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_OK);
    assert_int_equal(sl_rundb_remove(db, two, 1, 0x80), SL_EINVAL);
    int64_t again[] = {a, a};
    assert_int_equal(sl_rundb_remove(db, again, 2, 0), SL_OK);
    assert_int_equal(sl_rundb_run(db, a, &r), SL_ENOTFOUND);
    assert_int_equal(sl_rundb_tags(db, a, tag_cb, &t), SL_ENOTFOUND);
    /* the re-run keeps its record, without the link */
    assert_int_equal(sl_rundb_run(db, b, &r), SL_OK);
    assert_int_equal(r->parent_id, 0);
    assert_int_equal(sl_rundb_verify_rerun(db, b, &d), SL_EINVAL);
    sl_rundb_close(db);
}

/* Issue 12, finding 9: a database in a directory this user may not write
 * (SQLite's WAL needs its -shm beside it) opens read-only as an immutable
 * file and says so in sl_rundb_notice; reads work, writes are refused.
 * The checks run as nobody in a child when the test runs as root (root
 * may write anywhere), else in this process. Returns 0 or which check
 * failed. */
static int readonly_checks(void)
{
    sl_rundb *db;
    int64_t id = 0;
    const sl_run_info *r;
    int fail = 0;
    if (sl_rundb_open(db_path, SL_RUNDB_READONLY, &db) != SL_OK)
        fail = 1;
    else if (strncmp(sl_rundb_notice(db), "read-only: ", 11) != 0 ||
             !strstr(sl_rundb_notice(db), db_path))
        fail = 2;
    else if (*sl_rundb_errmsg(db))
        fail = 3;
    else if (sl_rundb_last(db, &id) != SL_OK || id < 1)
        fail = 4;
    else if (sl_rundb_run(db, id, &r) != SL_OK || !r->status)
        fail = 5;
    else if (sl_rundb_tag(db, id, "x") != SL_EINVAL)
        fail = 6;
    if (fail)
        fprintf(stderr, "read-only check %d: %s\n", fail,
                sl_rundb_errmsg(db));
    sl_rundb_close(db);
    if (fail)
        return fail;
    /* a read-write open (flags 0) falls back the same way; its writes
     * fail with SQLite's reason */
    if (sl_rundb_open(db_path, 0, &db) != SL_OK)
        fail = 7;
    else if (strncmp(sl_rundb_notice(db), "read-only: ", 11) != 0)
        fail = 8;
    else if (sl_rundb_tag(db, id, "x") != SL_EDB ||
             !strstr(sl_rundb_errmsg(db), "readonly"))
        fail = 9;
    if (fail)
        fprintf(stderr, "read-only check %d: %s\n", fail,
                sl_rundb_errmsg(db));
    sl_rundb_close(db);
    return fail;
}

static int sweep_seen(void *user, const sl_sweep_info *sw)
{
    int *n = user;
    assert_string_equal(sw->id, "0123456789ab");
    assert_string_equal(sw->name, "t");
    assert_string_equal(sw->points, "seed=0\nseed=1\n");
    assert_int_equal(sw->n_points, 2);
    assert_true(sw->created_at > 0);
    (*n)++;
    return 0;
}

static int64_t count_runs(sl_rundb *db, int64_t *n_parents)
{
    sl_run_iter *it;
    int64_t n = 0;
    *n_parents = 0;
    assert_int_equal(sl_rundb_runs(db, NULL, &it), SL_OK);
    for (const sl_run_info *r; (r = sl_run_next(it)) != NULL;) {
        n++;
        *n_parents += r->parent_id != 0;
    }
    assert_int_equal(sl_run_iter_free(it), SL_OK);
    return n;
}

/* Sweeps recorded once per id; a database merged into another copies
 * every run once (by UUID), with its re-run's parent, and the sweeps. */
static void test_sweeps_and_merge(void **state)
{
    (void)state;
    int64_t a = run_with(short_run, 1, 0);
    (void)run_with(short_run, 1, a); /* a re-run of a */
    sl_sweep_info sw = {.struct_size = sizeof sw, .id = "0123456789ab",
                        .name = "t", .config_path = exp_path,
                        .spec = "seed=range(0,2)\n",
                        .points = "seed=0\nseed=1\n", .n_points = 2};
    sl_rundb *db;
    int created = -1, n = 0;
    assert_int_equal(sl_rundb_open(db_path, SL_RUNDB_READONLY, &db), SL_OK);
    assert_int_equal(sl_rundb_sweep_record(db, &sw, &created), SL_EINVAL);
    assert_int_equal(sl_rundb_merge(db, db_path, NULL, NULL), SL_EINVAL);
    sl_rundb_close(db);
    assert_int_equal(sl_rundb_open(db_path, 0, &db), SL_OK);
    assert_int_equal(sl_rundb_sweep_record(db, &sw, &created), SL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(sl_rundb_sweep_record(db, &sw, &created), SL_OK);
    assert_int_equal(created, 0); /* the same sweep: kept */
    assert_int_equal(sl_rundb_sweeps(db, "0123456789ab", sweep_seen, &n),
                     SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sl_rundb_sweeps(db, "nosuch", sweep_seen, &n),
                     SL_ENOTFOUND);
    sl_sweep_info bad = sw;
    bad.id = "";
    assert_int_equal(sl_rundb_sweep_record(db, &bad, NULL), SL_EINVAL);
    bad = sw;
    bad.struct_size = 8;
    assert_int_equal(sl_rundb_sweep_record(db, &bad, NULL), SL_EINVAL);
    int64_t parents, runs = count_runs(db, &parents);
    assert_true(runs >= 2 && parents >= 1);
    sl_rundb_close(db);

    char other[4300];
    snprintf(other, sizeof other, "%s/other.db", dir);
    assert_int_equal(sl_rundb_open(other, SL_RUNDB_CREATE, &db), SL_OK);
    int64_t added = -1, present = -1;
    assert_int_equal(sl_rundb_merge(db, db_path, &added, &present), SL_OK);
    assert_int_equal(added, runs);
    assert_int_equal(present, 0);
    assert_int_equal(sl_rundb_merge(db, db_path, &added, &present), SL_OK);
    assert_int_equal(added, 0); /* again: nothing twice */
    assert_int_equal(present, runs);
    int64_t p2, runs2 = count_runs(db, &p2);
    assert_int_equal(runs2, runs);
    assert_int_equal(p2, parents); /* re-runs keep their parent */
    n = 0;
    assert_int_equal(sl_rundb_sweeps(db, NULL, sweep_seen, &n), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sl_rundb_merge(db, other, NULL, NULL), SL_EINVAL);
    assert_non_null(strstr(sl_rundb_errmsg(db), "into itself"));
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/missing.db", dir);
    assert_int_equal(sl_rundb_merge(db, missing, NULL, NULL), SL_ENOTFOUND);
    assert_int_equal(sl_rundb_merge(db, NULL, NULL, NULL), SL_EINVAL);
    sl_rundb_close(db);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s%s", other, suffix[i]);
        unlink(p);
    }
}

static void test_readonly_directory(void **state)
{
    (void)state;
    run_with(short_run, 1, 0);
    assert_int_equal(chmod(db_path, 0444), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    int status;
    if (geteuid() == 0) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
                setuid(65534) != 0)
                _exit(77);
            _exit(readonly_checks());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        status = WEXITSTATUS(status);
    } else {
        status = readonly_checks();
    }
    chmod(dir, 0700);
    chmod(db_path, 0644);
    if (status == 77)
        skip(); /* root that cannot become nobody */
    assert_int_equal(status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_errors),
        cmocka_unit_test(test_run_and_read_back),
        cmocka_unit_test(test_interrupt_and_hook_stop),
        cmocka_unit_test(test_rundb_open_errors),
        cmocka_unit_test(test_curate_and_verify),
        cmocka_unit_test(test_readonly_directory),
        cmocka_unit_test(test_sweeps_and_merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
