/* core/cmd/rerun.c — `spikelab rerun ID`: run a recorded run again from
 * what the database holds, and say whether it came out the same.
 *
 * What is re-run is the stored effective configuration: the file as it was
 * read, with its @include files expanded and the overrides applied, and
 * with the seed in it. It does not depend on the experiment file or its
 * includes still existing or being unchanged. The original file's path
 * still names the configuration in messages and anchors a relative
 * plugin_path, as in the first run.
 *
 * The new run records the original's config text and overrides (plus any
 * given now) and its parent (runs.parent_id). When it has finished, its
 * metrics, results and trained parameters are compared bit for bit with
 * the parent's and the verdict is stored (sl_rundb_verify_rerun) and
 * printed, followed by what changed in the numeric environment (the
 * BLAS kernel OpenBLAS chose, the CPU, the compiler: sl_rundb_env) since
 * the parent was recorded: on another kind of machine the bits differ,
 * and this says why.
 *
 * Portable numerics by default where BLAS cannot reproduce: when the
 * parent ran with numerics = "blas" and its recorded numeric environment
 * differs from this process's (another BLAS kernel, CPU, compiler, C
 * library), its bits cannot be had here, so the re-run runs with
 * numerics = "portable" (the same bits on any x86-64 machine), says so
 * and records the override; its verdict then compares a portable run
 * with a BLAS one and says that the difference is expected. An explicit
 * numerics=... override wins. A parent that ran portable re-runs
 * portable anyway (its configuration says so), and then the BLAS keys of
 * the environment are named as not deciding its bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "spikelab/session.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/out.h"

static const char rerun_usage[] =
    "Usage: spikelab rerun ID [key=value ...] [--db PATH] [--quiet]\n"
    "                         [--traces]\n"
    "Run recorded run ID (a number, or 'last') again: its stored effective\n"
    "configuration (file as read, @includes expanded, overrides applied,\n"
    "same seed), recorded as a new run that names ID as the run it\n"
    "reproduces. Afterwards its metrics, results and trained parameters are\n"
    "compared with ID's bit for bit, and the verdict is printed and stored\n"
    "(`spikelab show` and `runs --json` show it), with what of the numeric\n"
    "environment (BLAS library, kernel and threads, CPU, compiler) changed\n"
    "since ID was recorded.\n"
    "\n"
    "key=value overrides change the re-run (then differences are expected).\n"
    "\n"
    "When ID ran with numerics = \"blas\" and the numeric environment now\n"
    "differs from the one it recorded (its bits cannot be reproduced here),\n"
    "the re-run uses numerics = \"portable\", the same bits on any x86-64\n"
    "machine, and says so; numerics=blas re-runs it as recorded.\n"
    "\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet     no progress display\n"
    "  --traces    also record traces, as `spikelab run --traces`\n"
    "  --help      this text\n"
    "\n"
    "exit status: 0 finished and identical (or overrides given, or switched\n"
    "to portable numerics), 1 failed,\n"
    "or finished but not identical, 2 bad usage or a stored configuration\n"
    "that no longer loads, 130 interrupted\n";

/* A run's numeric environment: keys and values in the order recorded. */
typedef struct envl {
    sl__strv k, v;
} envl;

static int env_add(void *user, const char *key, const char *value)
{
    envl *e = user;
    int rc = sl__strv_add(&e->k, key);
    return rc ? rc : sl__strv_add(&e->v, value);
}

static void env_free(envl *e)
{
    sl__strv_free(&e->k);
    sl__strv_free(&e->v);
}

/* What the parent run recorded (owned strings). */
typedef struct parent {
    char *path, *text, *effective, *overrides, *status;
    char *numerics; /* its `numerics` parameter; NULL: recorded before
                       the setting existed, when every run was "blas" */
    envl env;       /* its numeric environment (empty: not recorded) */
} parent;

static void parent_free(parent *p)
{
    free(p->path);
    free(p->text);
    free(p->effective);
    free(p->overrides);
    free(p->status);
    free(p->numerics);
    env_free(&p->env);
}

static int param_numerics(void *user, const char *key, const char *alias,
                          const char *type, const char *text, double num)
{
    char **out = user;
    if (strcmp(key, "numerics") == 0 && text && !*out &&
        !(*out = strdup(text)))
        return SL_ENOMEM;
    return 0;
}

/* Read the parent (through the public rundb.h); 0 or 1 after reporting. */
static int read_parent(const char *dbpath, int64_t *id, parent *p)
{
    memset(p, 0, sizeof *p);
    const char *path = sl_rundb_default_path(dbpath);
    sl_rundb *db;
    const sl_run_info *r = NULL;
    int rc = sl_rundb_open(path, 0, &db);
    if (rc == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab rerun: no run database at %s (give --db "
                "PATH or set SPIKELAB_DB)\n", path);
        goto out;
    }
    if (!rc && *id <= 0 && (rc = sl_rundb_last(db, id)) == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab rerun: no runs recorded in %s\n", path);
        goto out;
    }
    if (!rc && (rc = sl_rundb_run(db, *id, &r)) == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab rerun: no run %lld in %s\n",
                (long long)*id, path);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "spikelab rerun: %s\n", sl_rundb_errmsg(db));
        goto out;
    }
    p->path = sl__cli_strdup_or_null(r->config_path);
    p->text = sl__cli_strdup_or_null(r->config_text);
    p->effective = sl__cli_strdup_or_null(r->config_effective);
    p->overrides = sl__cli_strdup_or_null(r->overrides);
    p->status = sl__cli_strdup_or_null(r->status);
    if (!p->effective || !*p->effective) {
        fprintf(stderr, "spikelab rerun: run %lld has no stored effective "
                "configuration to run\n", (long long)*id);
        rc = SL_ENOTFOUND;
        goto out;
    }
    if ((rc = sl_rundb_params(db, *id, param_numerics, &p->numerics)) ||
        (rc = sl_rundb_env(db, *id, env_add, &p->env)))
        fprintf(stderr, "spikelab rerun: %s\n", sl_rundb_errmsg(db));
out:
    sl_rundb_close(db);
    return rc ? 1 : 0;
}

static const char *env_get(const envl *e, const char *key)
{
    for (size_t i = 0; i < e->k.n && i < e->v.n; i++)
        if (strcmp(e->k.v[i], key) == 0)
            return e->v.v[i];
    return NULL;
}

/* Keys that decide the bits only of BLAS products, which portable mode
 * does not use. */
static int blas_key(const char *key) { return strncmp(key, "blas.", 5) == 0; }

/* Keys recorded beside the numeric environment that do not decide the
 * bits of a computation: the data's identity (datasel.c) and the thread
 * count (parallel.c: the bits do not depend on it). */
static int info_key(const char *key)
{
    return strncmp(key, "data.", 5) == 0 ||
           strcmp(key, "engine.threads") == 0;
}

/* What changed in the numeric environment from the parent's (was) to the
 * re-run's (now): how many keys; with print, each as "  LABEL: X
 * (recorded) vs Y (now)". portable: both runs ran portable, so a BLAS key
 * does not count and is printed as not deciding the bits. */
static size_t env_changes(const envl *was, const envl *now, int print,
                          int portable, int numeric_only)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        const envl *a = pass ? now : was, *b = pass ? was : now;
        for (size_t i = 0; i < a->k.n && i < a->v.n; i++) {
            if (numeric_only && info_key(a->k.v[i]))
                continue;
            const char *other = env_get(b, a->k.v[i]);
            if (pass && other)
                continue; /* seen in the first pass */
            if (other && strcmp(other, a->v.v[i]) == 0)
                continue;
            int unused = portable && blas_key(a->k.v[i]);
            n += !unused;
            if (!print)
                continue;
            printf("  %s: ", sl__cli_env_label(a->k.v[i]));
            sl__cli_put_clean(stdout, pass ? "-" : a->v.v[i]);
            printf(" (recorded) vs ");
            sl__cli_put_clean(stdout, pass ? a->v.v[i] : other ? other : "-");
            printf(" (now)%s\n", unused ? ", not used in portable mode"
                                         : "");
        }
    }
    return n;
}

/* After the verdict: what of the numeric environment changed (issue 12:
 * OpenBLAS picks its kernel per CPU, so the same configuration and seed
 * give other bits on another kind of machine). 0, or -1 after a
 * database error (message on db). */
static int explain_env(sl_rundb *db, int64_t parent_id, int64_t run_id,
                       int identical, int portable)
{
    envl was = {0}, now = {0};
    int rc = sl_rundb_env(db, parent_id, env_add, &was);
    if (!rc)
        rc = sl_rundb_env(db, run_id, env_add, &now);
    if (rc) {
        env_free(&was);
        env_free(&now);
        return -1;
    }
    if (was.k.n == 0 && !identical) {
        printf("run %lld recorded no numeric environment (recorded before "
               "spikelab kept it): whether BLAS, CPU or compiler changed "
               "cannot be told\n", (long long)parent_id);
    } else if (was.k.n > 0) {
        size_t n = env_changes(&was, &now, 0, 0, 0);
        size_t n_used = env_changes(&was, &now, 0, portable, 0);
        if (n && identical)
            printf("note: the numeric environment differs from run %lld's, "
                   "yet the results are bit-identical:\n",
                   (long long)parent_id);
        else if (n_used)
            printf("the numeric environment changed since run %lld (what "
                   "decides the bits besides configuration and seed):\n",
                   (long long)parent_id);
        else if (n)
            printf("the numeric environment changed since run %lld only in "
                   "what portable numerics does not use: the difference has "
                   "another cause\n", (long long)parent_id);
        else if (!identical)
            printf("the numeric environment is as run %lld recorded it "
                   "(BLAS library, build, kernel and threads, CPU, "
                   "compiler, C library): the difference has another "
                   "cause\n", (long long)parent_id);
        env_changes(&was, &now, 1, portable, 0);
    }
    env_free(&was);
    env_free(&now);
    return 0;
}

/* If override o sets numerics (numerics=portable, numerics = "blas"),
 * copy its value to buf and return 1; else 0. */
static int numerics_override(const char *o, char *buf, size_t len)
{
    o += strspn(o, " \t");
    if (strncmp(o, "numerics", 8) != 0)
        return 0;
    o += 8;
    o += strspn(o, " \t");
    if (*o++ != '=')
        return 0;
    o += strspn(o, " \t\"");
    size_t n = strcspn(o, " \t\";");
    if (snprintf(buf, len, "%.*s", (int)n, o) >= (int)len)
        buf[0] = '?'; /* too long for a mode: then no mode's name */
    return 1;
}

/* Compare, store and print the verdict; returns the exit status.
 * switched: the re-run was switched to portable numerics (the parent ran
 * BLAS elsewhere); portable: parent and re-run both ran portable. */
static int verdict(const char *dbpath, int64_t parent_id, int64_t run_id,
                   const parent *p, int n_extra, int switched, int portable)
{
    sl_rundb *db;
    if (sl__cli_open("rerun", dbpath, &db))
        return 1;
    sl_run_diff d = {.struct_size = sizeof d};
    int status = 1;
    int judged = 0;
    if (sl_rundb_verify_rerun(db, run_id, &d) != SL_OK) {
        fprintf(stderr, "spikelab rerun: %s\n", sl_rundb_errmsg(db));
    } else if ((judged = 1) && d.identical) {
        printf("run %lld reproduces run %lld: bit-identical (%lld metric "
               "values, %lld results, %lld parameter tensors)\n",
               (long long)run_id, (long long)parent_id,
               (long long)d.n_metrics, (long long)d.n_results,
               (long long)d.n_params);
        status = 0;
    } else {
        printf("run %lld does NOT reproduce run %lld: %s\n", (long long)run_id,
               (long long)parent_id, d.first);
        if (p->status && strcmp(p->status, "finished") != 0)
            printf("(run %lld is %s: it did not record everything a finished "
                   "run does)\n", (long long)parent_id, p->status);
        if (n_extra)
            printf("(expected: the re-run has overrides of its own)\n");
        if (switched)
            printf("(expected: run %lld multiplied its matrices with BLAS "
                   "in another numeric environment, this re-run with the "
                   "portable kernels)\n", (long long)parent_id);
        status = n_extra || switched ? 0 : 1;
    }
    if (judged && !switched) {
        if (explain_env(db, parent_id, run_id, d.identical, portable) != 0) {
            fprintf(stderr, "spikelab rerun: %s\n", sl_rundb_errmsg(db));
            status = 1;
        }
    }
    sl_rundb_close(db);
    return status;
}

int sl__cmd_rerun(int argc, char **argv)
{
    sl__run_request req = {0};
    const char *id_text = NULL;
    int n_ov = 0;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    if (!ov)
        return 1;
    int p = 0;
    for (int i = 1; i < argc && !p; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(rerun_usage, stdout);
            free(ov);
            return sl__cli_finish("rerun", 0);
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            if (!*v)
                p = sl__cli_usage_error("rerun", "--db needs a path");
            req.dbpath = v;
        } else {
            p = sl__cli_run_arg("rerun", argv[i], missing, &req.quiet,
                                &req.traces, &id_text, ov, &n_ov);
        }
    }
    int64_t id = 0;
    if (!p && !id_text)
        p = sl__cli_usage_error("rerun", "which run? give its ID");
    if (!p)
        p = sl__cli_parse_id("rerun", id_text, &id);
    parent par = {0};
    if (p || (p = read_parent(req.dbpath, &id, &par))) {
        parent_free(&par);
        free(ov);
        return p;
    }

    /* numerics: an explicit override wins; else a parent that ran BLAS in
     * another numeric environment is re-run portable */
    const char *parent_mode = par.numerics ? par.numerics : "blas";
    char mode[32] = "";
    int n_own = n_ov; /* overrides that change the configuration */
    for (int i = 0; i < n_ov; i++)
        if (numerics_override(ov[i], mode, sizeof mode) &&
            strcmp(mode, parent_mode) == 0)
            n_own--; /* as recorded: no change */
    int switched = 0;
    char auto_ov[] = "numerics=portable";
    if (!*mode && strcmp(parent_mode, "blas") == 0 && par.env.k.n > 0) {
        envl now = {0};
        int rc = sl_numeric_env(env_add, &now);
        if (rc == SL_OK && env_changes(&par.env, &now, 0, 0, 1) > 0) {
            printf("run %lld multiplied its matrices with BLAS (numerics = "
                   "\"blas\") in another numeric environment:\n",
                   (long long)id);
            env_changes(&par.env, &now, 1, 0, 1);
            printf("its bits cannot be reproduced here: re-running with "
                   "numerics = \"portable\" (the same bits on any x86-64 "
                   "machine; numerics=blas re-runs it as recorded)\n");
            ov[n_ov++] = auto_ov;
            switched = 1;
            snprintf(mode, sizeof mode, "portable");
        } else if (rc != SL_OK) {
            fprintf(stderr, "spikelab rerun: %s\n", sl_strerror(rc));
            env_free(&now);
            parent_free(&par);
            free(ov);
            return 1;
        }
        env_free(&now);
    }
    int portable = strcmp(parent_mode, "portable") == 0 &&
                   strcmp(*mode ? mode : parent_mode, "portable") == 0;

    /* the record names the original text and overrides, plus new ones */
    size_t len = (par.overrides ? strlen(par.overrides) : 0) + 2;
    for (int i = 0; i < n_ov; i++)
        len += strlen(ov[i]) + 1;
    char *overrides = malloc(len);
    if (!overrides) {
        parent_free(&par);
        free(ov);
        return 1;
    }
    snprintf(overrides, len, "%s", par.overrides ? par.overrides : "");
    for (int i = 0; i < n_ov; i++) {
        if (*overrides)
            strcat(overrides, "\n");
        strcat(overrides, ov[i]);
    }
    char name[48];
    snprintf(name, sizeof name, "(run %lld)", (long long)id);
    req.file = par.path ? par.path : name;
    req.text = par.effective;
    req.overrides = ov;
    req.n_overrides = (size_t)n_ov;
    req.record_text = par.text;
    req.record_overrides = overrides;
    req.parent_id = id;
    printf("re-running run %lld from its stored configuration\n",
           (long long)id);
    fflush(stdout);
    int64_t run_id = 0;
    int status = sl__run_experiment(&req, &run_id);
    if (status == 2)
        fprintf(stderr, "spikelab rerun: the stored configuration of run "
                "%lld no longer loads (see above)\n", (long long)id);
    else if (status == 0 && run_id > 0)
        status = verdict(req.dbpath, id, run_id, &par, n_own, switched,
                         portable);
    free(overrides);
    parent_free(&par);
    free(ov);
    return sl__cli_finish("rerun", status);
}
