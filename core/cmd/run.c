/* core/cmd/run.c — `spikelab run FILE [key=value...]`: a client of the
 * embedding API (session.h) that adds what only a command has: the
 * progress display on stderr, the report on stdout, SIGINT/SIGTERM.
 * sl__run_experiment drives one run, shared with `spikelab rerun`. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spikelab/rundb.h"
#include "spikelab/session.h"
#include "cmd/cmd.h"
#include "util/util.h"
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
    "per epoch, results, trained parameters as .npy); see `spikelab runs`,\n"
    "`spikelab show ID` and `spikelab rerun ID`.\n"
    "\n"
    "options:\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet          no progress display\n"
    "  --traces         after training, record the observables of every layer\n"
    "                   (membrane potentials, currents, output spikes) for the\n"
    "                   first training sample, stored with the run as .npy\n"
    "  --threads N      threads that train and evaluate (the setting `threads`;\n"
    "                   0, the default: one per CPU); any N gives the same bits\n"
    "  --help           this text\n"
    "\n"
    "exit status: 0 finished, 1 failed, 2 bad usage, configuration or data file,\n"
    "130 interrupted\n";

/* The progress display of one run. */
typedef struct progress {
    int64_t epochs, log_every;
    double t0, last_draw;
    int tty, quiet;
    const char *name, *train_data, *db_path;
    int64_t seed;
    double duration; /* simulate mode: simulated seconds; 0 otherwise */
    char *const *tags; /* --tag: applied in on_start */
    size_t n_tags;
    int decile;      /* simulate mode, no tty: tenths printed */
    /* inside one long step (on_step): its name, start, last line, done */
    char step[160];
    double step_t0, step_line;
    uint64_t step_done;
    /* the last callback's time; when training began (the end of what ran
     * before it, evaluations of minutes among them); the epoch before
     * the first one this process trains (a resumed run's is not 0; -1
     * until the first epoch ends) */
    double last_event, train_t0;
    int64_t epoch0;
} progress;

/* stderr is unbuffered, stdout (a file or pipe) is not: without the
 * flush, when both go to one file the report lines printed before
 * training would land after the progress lines. */
static void progress_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void progress_printf(const char *fmt, ...)
{
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static int on_epoch(void *user, int64_t epoch, double loss)
{
    progress *p = user;
    if (p->quiet)
        return 0;
    double now = sl__mono_time();
    if (p->epoch0 < 0)
        p->epoch0 = epoch - 1;
    if (!p->train_t0) /* no progress callback came before */
        p->train_t0 = p->t0;
    p->last_event = now;
    double el = now - p->train_t0;
    double rate = (double)(epoch - p->epoch0) / (el > 0 ? el : 1e-9);
    double eta = (double)(p->epochs - epoch) / rate;
    char b1[32], b2[32], b3[48];
    sl__fmt_speed(rate, b3, sizeof b3);
    if (p->tty) {
        if (now - p->last_draw < 0.1 && epoch != p->epochs)
            return 0;
        p->last_draw = now;
        progress_printf("\r\033[K  epoch %lld/%lld  loss %.6g  %s  "
                        "elapsed %s  ETA %s   ", (long long)epoch,
                        (long long)p->epochs, loss, b3,
                        sl__fmt_duration(el, b1, sizeof b1),
                        sl__fmt_duration(eta, b2, sizeof b2));
        if (epoch == p->epochs)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (epoch % p->log_every == 0 || epoch == p->epochs) {
        progress_printf("  epoch %lld/%lld  loss %.6g  %s  "
                        "elapsed %s  ETA %s\n", (long long)epoch,
                        (long long)p->epochs, loss, b3,
                        sl__fmt_duration(el, b1, sizeof b1),
                        sl__fmt_duration(eta, b2, sizeof b2));
    }
    return 0;
}

/* Inside a long step (a training epoch of minutes, a spiking evaluation
 * of a conv net): where it is, once the step has run for a second — a
 * fast epoch keeps its one line. On a terminal a line redrawn at most
 * every 0.1 s and cleared at the step's end (the report or the epoch
 * line comes next); in a log a line every 30 s. */
static int on_step(void *user, const char *what, uint64_t done,
                   uint64_t total)
{
    progress *p = user;
    double now = sl__mono_time();
    if (strcmp(what, p->step) != 0 || done < p->step_done) {
        /* a new step began when the one before ended */
        snprintf(p->step, sizeof p->step, "%s", what);
        p->step_t0 = p->step_line = p->last_event;
        if (!p->train_t0 && strncmp(what, "epoch ", 6) == 0)
            p->train_t0 = p->last_event;
    }
    p->last_event = now;
    p->step_done = done;
    if (p->quiet)
        return 0;
    double el = now - p->step_t0;
    if (el < 1.0 || done == 0)
        return 0;
    if (p->tty && done >= total) {
        progress_printf("\r\033[K");
        return 0;
    }
    if (p->tty ? now - p->last_draw < 0.1
               : now - p->step_line < 30.0 || done >= total)
        return 0;
    p->last_draw = p->step_line = now;
    char b1[32], b2[32];
    progress_printf("%s  %s: %llu/%llu samples  elapsed %s  ETA %s%s",
                    p->tty ? "\r\033[K" : "", what,
                    (unsigned long long)done, (unsigned long long)total,
                    sl__fmt_duration(el, b1, sizeof b1),
                    sl__fmt_duration(el / (double)done *
                                         (double)(total - done),
                                     b2, sizeof b2),
                    p->tty ? "" : "\n");
    return 0;
}

/* Simulate mode: simulated time, speed against real time, ETA. */
static int on_progress(progress *p, double t_done, double t_total)
{
    if (p->quiet)
        return 0;
    double now = sl__mono_time(), el = now - p->t0;
    double speed = el > 0 ? t_done / el : 0.0;
    if (p->tty) {
        if (now - p->last_draw < 0.1 && t_done < t_total)
            return 0;
        p->last_draw = now;
        progress_printf("\r  t = %.3f/%.3f s  %.2fx real time  eta %.1f s"
                        "\033[K%s", t_done, t_total, speed,
                        speed > 0 ? (t_total - t_done) / speed : 0.0,
                        t_done >= t_total ? "\n" : "");
    } else if ((int)(10 * t_done / t_total + 1e-9) > p->decile) {
        p->decile = (int)(10 * t_done / t_total + 1e-9);
        progress_printf("  t = %.3f/%.3f s  %.2fx real time\n", t_done,
                        t_total, speed);
    }
    return 0;
}

/* An evaluation during training (`every`): a progress line for its
 * headline values (not the quartiles and extremes). */
static int on_metric(void *user, int64_t step, const char *name, double value)
{
    progress *p = user;
    p->last_event = sl__mono_time();
    if (p->quiet)
        return 0;
    /* the simulate mode's progress */
    if (p->duration > 0 && strcmp(name, "sim_time") == 0)
        return on_progress(p, value, p->duration);
    static const char *const quiet_suffix[] = {"_q25", "_q75", "_min",
                                               "_max"};
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof quiet_suffix / sizeof *quiet_suffix; i++) {
        size_t sl = strlen(quiet_suffix[i]);
        if (len > sl && strcmp(name + len - sl, quiet_suffix[i]) == 0)
            return 0;
    }
    progress_printf("%s  epoch %lld: %s = %g\n", p->tty ? "\r\033[K" : "",
                    (long long)step, name, value);
    return 0;
}

/* The session a signal interrupts; set only while a run is recorded. */
static sl_session *volatile signalled_session;

static void on_signal(int sig)
{
    (void)sig;
    sl_session *s = signalled_session;
    if (s)
        sl_session_interrupt(s);
}

static struct sigaction old_int, old_term;
static int handlers_set;

/* The run is recorded: announce it and from now on let SIGINT/SIGTERM
 * stop it at the next epoch (before, they end the process as usual). */
static int on_start(void *user, int64_t run_id)
{
    progress *p = user;
    if (p->n_tags) {
        /* before anything runs: a run killed later still carries them */
        sl_rundb *db;
        int rc = sl_rundb_open(p->db_path, 0, &db);
        for (size_t i = 0; rc == SL_OK && i < p->n_tags; i++)
            rc = sl_rundb_tag(db, run_id, p->tags[i]);
        if (rc)
            progress_printf("spikelab: tagging run %lld: %s\n",
                            (long long)run_id, sl_rundb_errmsg(db));
        sl_rundb_close(db);
        if (rc)
            return rc;
    }
    if (p->duration > 0)
        printf("run %lld: %s (seed %lld), simulating %g s -> %s\n",
               (long long)run_id, p->name, (long long)p->seed, p->duration,
               p->db_path);
    else if (p->epochs == 0) /* spikelab evaluate, or a config that
                                only evaluates */
        printf("run %lld: %s (seed %lld), no training, evaluation only "
               "-> %s\n", (long long)run_id, p->name, (long long)p->seed,
               p->db_path);
    else
        printf("run %lld: %s (seed %lld), %lld epoch%s on '%s' -> %s\n",
               (long long)run_id, p->name, (long long)p->seed,
               (long long)p->epochs, p->epochs == 1 ? "" : "s",
               p->train_data, p->db_path);
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers_set = 1;
    p->t0 = p->last_event = sl__mono_time();
    return 0;
}

int sl__run_experiment(const sl__run_request *req, int64_t *run_id)
{
    if (run_id)
        *run_id = 0;
    sl_session *s;
    if (sl_session_new(NULL, &s) != SL_OK) {
        progress_printf("spikelab: out of memory\n");
        return 1;
    }
    sl_experiment *e = NULL;
    const char *const *ov = (const char *const *)req->overrides;
    int rc = req->text ? sl_experiment_load_string(s, req->text, req->file,
                                                   ov, req->n_overrides, &e)
                       : sl_experiment_load(s, req->file, ov,
                                            req->n_overrides, &e);
    if (rc) {
        progress_printf("spikelab: %s\n", sl_session_errmsg(s));
        sl_session_free(s);
        /* bad input (configuration, a missing, unreadable or corrupt
         * data file, a network that does not fit): 2 */
        return rc == SL_ECONFIG || rc == SL_EIO || rc == SL_EFIT ||
                       rc == SL_EDATA || rc == SL_ENOTFOUND
                   ? 2
                   : 1;
    }

    progress p = {0};
    p.epoch0 = -1;
    p.epochs = sl_experiment_epochs(e);
    int64_t le = sl_experiment_log_every(e);
    p.log_every = le ? le : (p.epochs >= 20 ? p.epochs / 20 : 1);
    p.quiet = req->quiet;
    p.tty = isatty(STDERR_FILENO);
    p.name = sl_experiment_name(e);
    p.seed = sl_experiment_seed(e);
    p.train_data = sl_experiment_train_data(e);
    p.db_path = sl_rundb_default_path(req->dbpath);
    p.tags = req->tags;
    p.n_tags = req->n_tags;

    sl_run_opts o = {sizeof o, p.db_path, req->traces, req->record_text,
                     req->record_overrides, req->parent_id,
                     req->resume_id};
    p.duration = sl_experiment_duration(e);
    sl_run_hooks h = {sizeof h, &p,     on_start, on_epoch, on_metric,
                      NULL,     stdout, on_step};
    int64_t id = 0;
    signalled_session = s;
    rc = sl_run(s, e, &o, &h, &id);
    if (handlers_set) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        handlers_set = 0;
    }
    signalled_session = NULL;
    if (run_id)
        *run_id = id;
    if (id == 0) /* not recorded: the database refused, or init_from or
                    a resume found nothing to start from */
        progress_printf("spikelab: %s\n", sl_session_errmsg(s));
    else if (rc)
        progress_printf("\nspikelab: run %lld %s: %s\n", (long long)id,
                        rc == SL_EINTR ? "interrupted" : "failed",
                        sl_session_errmsg(s));
    else
        printf("run %lld finished; see `spikelab show %lld`\n",
               (long long)id, (long long)id);
    sl_experiment_free(e);
    sl_session_free(s);
    if (rc == SL_EINTR)
        return 130;
    /* refused before anything was recorded (init_from or a checkpoint
     * that does not fit, a run that cannot be resumed): bad input */
    if (rc && id == 0 && rc != SL_EDB && rc != SL_ENOMEM)
        return 2;
    return rc ? 1 : 0;
}

int sl__cmd_run(int argc, char **argv)
{
    sl__run_request req = {0};
    int n_ov = 0, n_tags = 0;
    char *threads_ov = NULL;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    char **tags = calloc((size_t)argc + 1, sizeof *tags);
    if (!ov || !tags) {
        free(ov);
        free(tags);
        return 1;
    }
    req.tags = tags;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            free(tags);
            free(ov);
            free(threads_ov);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            req.dbpath = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            req.dbpath = argv[i] + 5;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            req.quiet = 1;
        } else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc) {
            tags[n_tags++] = argv[++i];
        } else if (strcmp(argv[i], "--traces") == 0) {
            req.traces = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            /* the setting `threads`, as an override (recorded as one) */
            const char *v = argv[++i];
            size_t k = 0;
            while (v[k] >= '0' && v[k] <= '9' && k < 5)
                k++;
            if (k == 0 || v[k] != '\0') {
                fprintf(stderr, "spikelab run: --threads takes a number "
                        "(0: one per CPU), not '%s'\n", v);
                free(tags);
                free(ov);
                free(threads_ov);
                return 2;
            }
            free(threads_ov);
            threads_ov = malloc(strlen(v) + 9);
            if (!threads_ov) {
                free(tags);
                free(ov);
                return 1;
            }
            sprintf(threads_ov, "threads=%s", v);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spikelab run: unknown option '%s'\n%s", argv[i],
                    usage);
            free(tags);
            free(ov);
            free(threads_ov);
            return 2;
        } else if (!req.file) {
            req.file = argv[i];
        } else if (strchr(argv[i], '=')) {
            ov[n_ov++] = argv[i];
        } else {
            fprintf(stderr, "spikelab run: '%s' is neither an option nor a "
                    "key=value override\n", argv[i]);
            free(tags);
            free(ov);
            free(threads_ov);
            return 2;
        }
    }
    if (!req.file) {
        fprintf(stderr, "spikelab run: no experiment file given\n%s", usage);
        free(tags);
        free(ov);
        free(threads_ov);
        return 2;
    }
    if (threads_ov) /* after the key=value ones: --threads has the last word */
        ov[n_ov++] = threads_ov;
    req.overrides = ov;
    req.n_overrides = (size_t)n_ov;
    req.n_tags = (size_t)n_tags;
    int status = sl__run_experiment(&req, NULL);
    free(ov);
    free(tags);
    free(threads_ov);
    return status;
}
