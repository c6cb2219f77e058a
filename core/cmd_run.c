/* core/cmd_run.c — `spikelab run FILE [key=value...]`: load and check the
 * experiment, record the run, train with a progress display, evaluate. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "recorder.h"
#include "train.h"
#include "util.h"

static const char usage[] =
    "usage: spikelab run FILE [key=value ...] [options]\n"
    "\n"
    "Run the experiment FILE (libconfig). Each key=value overrides a setting\n"
    "after the file is read, with the same type checks, e.g.\n"
    "  spikelab run experiments/frozen_noise_lif.cfg train.epochs=500 optimizer.lr=0.01\n"
    "Layers can be addressed by index or name: network.layers.1.tau_mem=0.02\n"
    "\n"
    "The whole experiment is checked before anything runs: unknown keys, wrong\n"
    "types and impossible values are reported with file and line (exit 2).\n"
    "The run is recorded in the run database (config, seed, versions, metrics\n"
    "per epoch, results); see `spikelab runs` and `spikelab show ID`.\n"
    "\n"
    "options:\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet          no progress display\n"
    "  --help           this text\n"
    "\n"
    "exit status: 0 finished, 1 failed, 2 bad usage or configuration, 130 interrupted\n";

typedef struct run_state {
    sl__experiment *exp;
    sl__db *db;
    int64_t run_id;
    double t0, last_flush, last_draw;
    int tty, quiet;
    int64_t log_every;
    sl__err err;
} run_state;

static int on_epoch(void *user, int64_t epoch, double loss)
{
    run_state *s = user;
    int rc = sl__db_metric(s->db, s->run_id, epoch, "loss", loss, &s->err);
    if (rc)
        return rc;
    double now = sl__mono_time();
    if (now - s->last_flush > 0.25 || epoch == s->exp->epochs) {
        if ((rc = sl__db_flush(s->db, &s->err)))
            return rc;
        s->last_flush = now;
    }
    if (s->quiet)
        return SL_OK;
    double el = now - s->t0, rate = (double)epoch / (el > 0 ? el : 1e-9);
    double eta = (double)(s->exp->epochs - epoch) / rate;
    char b1[32], b2[32];
    if (s->tty) {
        if (now - s->last_draw < 0.1 && epoch != s->exp->epochs)
            return SL_OK;
        s->last_draw = now;
        fprintf(stderr, "\r  epoch %lld/%lld  loss %.6g  %.0f epochs/s  "
                "elapsed %s  ETA %s   ", (long long)epoch,
                (long long)s->exp->epochs, loss, rate,
                sl__fmt_duration(el, b1, sizeof b1),
                sl__fmt_duration(eta, b2, sizeof b2));
        if (epoch == s->exp->epochs)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (epoch % s->log_every == 0 || epoch == s->exp->epochs) {
        fprintf(stderr, "  epoch %lld/%lld  loss %.6g  %.0f epochs/s  "
                "elapsed %s  ETA %s\n", (long long)epoch,
                (long long)s->exp->epochs, loss, rate,
                sl__fmt_duration(el, b1, sizeof b1),
                sl__fmt_duration(eta, b2, sizeof b2));
    }
    return SL_OK;
}

static int on_result(void *user, const char *name, double value)
{
    run_state *s = user;
    return sl__db_result(s->db, s->run_id, name, value, NULL, &s->err);
}

static void on_signal(int sig)
{
    (void)sig;
    sl__stop_requested = 1;
}

static char *join_lines(char **v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = '\0';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", v[i], i + 1 < n ? "\n" : "");
    return s;
}

static int record_plugins(run_state *s)
{
    const sl__registry *reg = s->exp->reg;
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", (unsigned)p->desc->abi_major,
                 (unsigned)p->desc->abi_minor);
        int rc = sl__db_run_plugin(s->db, s->run_id, p->desc->name,
                                   p->desc->version, abi,
                                   p->path ? p->path : "(built in)", &s->err);
        if (rc)
            return rc;
    }
    return SL_OK;
}

int sl__cmd_run(int argc, char **argv)
{
    const char *file = NULL, *dbpath = NULL;
    int quiet = 0, n_ov = 0;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    if (!ov)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            free(ov);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            dbpath = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            dbpath = argv[i] + 5;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spikelab run: unknown option '%s'\n%s", argv[i],
                    usage);
            free(ov);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else if (strchr(argv[i], '=')) {
            ov[n_ov++] = argv[i];
        } else {
            fprintf(stderr, "spikelab run: '%s' is neither an option nor a "
                    "key=value override\n", argv[i]);
            free(ov);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "spikelab run: no experiment file given\n%s", usage);
        free(ov);
        return 2;
    }

    sl__experiment exp;
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__experiment_load(&exp, file, NULL, ov, (size_t)n_ov, &err);
    if (rc) {
        fprintf(stderr, "spikelab: %s\n", err.msg);
        free(ov);
        return rc == SL_ECONFIG || rc == SL_EIO ? 2 : 1;
    }

    run_state s = {0};
    s.exp = &exp;
    s.quiet = quiet;
    s.tty = isatty(STDERR_FILENO);
    s.log_every = exp.log_every ? exp.log_every
                                : (exp.epochs >= 20 ? exp.epochs / 20 : 1);
    const char *path = sl__db_default_path(dbpath);
    if ((rc = sl__db_open(path, &s.db, &s.err))) {
        fprintf(stderr, "spikelab: %s\n", s.err.msg);
        sl__experiment_free(&exp);
        free(ov);
        return 1;
    }
    char *effective = sl__config_dump(exp.cfg);
    char *overrides = join_lines(ov, n_ov);
    sl__run_meta meta = {exp.name, file, sl__config_text(exp.cfg),
                         effective ? effective : "", overrides ? overrides : "",
                         exp.seed};
    rc = sl__db_run_begin(s.db, &meta, &s.run_id, &s.err);
    free(effective);
    free(overrides);
    if (!rc)
        rc = record_plugins(&s);
    if (rc) {
        fprintf(stderr, "spikelab: %s\n", s.err.msg);
        sl__db_close(s.db);
        sl__experiment_free(&exp);
        free(ov);
        return 1;
    }
    printf("run %lld: %s (seed %lld), %lld epochs on '%s' -> %s\n",
           (long long)s.run_id, exp.name, (long long)exp.seed,
           (long long)exp.epochs, exp.train_data->name, path);
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    sl__hooks hooks = {&s, on_epoch, on_result, stdout};
    s.t0 = s.last_flush = sl__mono_time();
    rc = sl__evaluate_all(&exp, 0, &hooks, &err);
    if (!rc)
        rc = sl__train(&exp, &hooks, &err);
    double train_time = sl__mono_time() - s.t0;
    if (!rc) {
        char b[32];
        printf("trained %lld epochs in %s (%.0f epochs/s)\n",
               (long long)exp.epochs, sl__fmt_duration(train_time, b, sizeof b),
               train_time > 0 ? (double)exp.epochs / train_time : 0.0);
        rc = sl__evaluate_all(&exp, 1, &hooks, &err);
    }
    if (s.err.code && !err.code)
        err = s.err;
    const char *status = rc == SL_OK ? "finished"
                         : rc == SL_EINTR ? "interrupted" : "failed";
    sl__err end_err;
    int rc_end = sl__db_run_end(s.db, s.run_id, status,
                                rc ? err.msg : NULL, &end_err);
    if (rc)
        fprintf(stderr, "\nspikelab: run %lld %s: %s\n", (long long)s.run_id,
                status, err.msg);
    else
        printf("run %lld finished; see `spikelab show %lld`\n",
               (long long)s.run_id, (long long)s.run_id);
    if (rc_end)
        fprintf(stderr, "spikelab: %s\n", end_err.msg);
    sl__db_close(s.db);
    sl__experiment_free(&exp);
    free(ov);
    if (rc == SL_EINTR)
        return 130;
    return rc || rc_end ? 1 : 0;
}
