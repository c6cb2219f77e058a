/* embed.c — spikelab inside your own program: load an experiment, run it
 * while recording into a run database, then read the run back.
 *
 *     embed [--plugin-path DIR] EXPERIMENT DB [key=value ...]
 *
 * Build: cc embed.c $(pkg-config --cflags --libs spikelab) -o embed
 *
 * It prints, on stdout, what the database holds about the run:
 *     run ID STATUS
 *     metric NAME STEP VALUE      (every recorded value, by name and step)
 *     result NAME VALUE           (by name)
 * numbers as %.17g (which tells any two doubles apart; "inf", "-inf",
 * "nan" as in `spikelab export --format json`). Progress goes to stderr;
 * the library itself never writes to stdout. Exit status: 0 finished,
 * 1 failed, 2 bad configuration, 130 interrupted (Ctrl-C).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <spikelab/rundb.h>
#include <spikelab/session.h>

static sl_session *session; /* for the signal handler */

static void on_sigint(int sig)
{
    (void)sig;
    sl_session_interrupt(session); /* async-signal-safe */
}

static int on_epoch(void *user, int64_t epoch, double loss)
{
    const int64_t *epochs = user;
    if (epoch == *epochs || epoch % 10 == 0)
        fprintf(stderr, "epoch %lld/%lld  loss %g\n", (long long)epoch,
                (long long)*epochs, loss);
    return 0; /* non-zero would stop the run with that status */
}

static void put_number(double v)
{
    if (isnan(v))
        fputs("nan", stdout);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", stdout);
    else
        printf("%.17g", v);
}

static int print_metric(void *user, const char *name, int64_t step,
                        double value, double wall_time)
{
    (void)user;
    (void)wall_time;
    printf("metric %s %lld ", name, (long long)step);
    put_number(value);
    putchar('\n');
    return 0;
}

/* The results as the run reported them (sl_session_result) must be the
 * ones the database returns: count the mismatches. */
static int print_result(void *user, const char *name, double value,
                        const char *text)
{
    (void)text;
    int *mismatches = user;
    double reported;
    int found = 0;
    for (size_t i = 0; i < sl_session_n_results(session); i++) {
        const char *n = sl_session_result(session, i, &reported);
        if (strcmp(n, name) == 0) {
            found = 1;
            /* bit for bit; NaN is recorded as NULL and reads back NaN */
            if (memcmp(&reported, &value, sizeof value) != 0 &&
                !(isnan(reported) && isnan(value)))
                found = 0;
        }
    }
    if (!found) {
        fprintf(stderr, "embed: result %s differs from what the run "
                "reported\n", name);
        ++*mismatches;
    }
    printf("result %s ", name);
    put_number(value);
    putchar('\n');
    return 0;
}

int main(int argc, char **argv)
{
    sl_session_opts so = {sizeof so, NULL};
    int a = 1;
    if (argc > 2 && strcmp(argv[1], "--plugin-path") == 0) {
        so.plugin_path = argv[2];
        a = 3;
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: embed [--plugin-path DIR] EXPERIMENT DB "
                "[key=value ...]\n");
        return 2;
    }
    const char *file = argv[a], *dbpath = argv[a + 1];
    const char *const *overrides = (const char *const *)argv + a + 2;
    size_t n_overrides = (size_t)(argc - a - 2);

    if (sl_session_new(&so, &session) != SL_OK) {
        fprintf(stderr, "embed: out of memory\n");
        return 1;
    }
    sl_experiment *e = NULL;
    int rc = sl_experiment_load(session, file, overrides, n_overrides, &e);
    if (rc != SL_OK) { /* "file:line: key: what is wrong" */
        fprintf(stderr, "embed: %s\n", sl_session_errmsg(session));
        sl_session_free(session);
        return rc == SL_ECONFIG || rc == SL_EIO ? 2 : 1;
    }

    int64_t epochs = sl_experiment_epochs(e), id = 0;
    sl_run_opts ro = {sizeof ro, dbpath, 0, NULL, NULL, 0, 0};
    sl_run_hooks hooks = {sizeof hooks, &epochs, NULL, on_epoch, NULL, NULL,
                          stderr /* the evaluation report */, NULL};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    rc = sl_run(session, e, &ro, &hooks, &id);
    sigaction(SIGINT, &old, NULL);
    sl_experiment_free(e);
    if (rc != SL_OK)
        fprintf(stderr, "embed: run %lld: %s: %s\n", (long long)id,
                sl_strerror(rc), sl_session_errmsg(session));
    int status = rc == SL_OK ? 0 : rc == SL_EINTR ? 130 : 1;
    if (id == 0) { /* nothing recorded */
        sl_session_free(session);
        return 1;
    }

    /* read the run back: a separate, read-only handle */
    sl_rundb *db;
    int mismatches = 0;
    if ((rc = sl_rundb_open(dbpath, SL_RUNDB_READONLY, &db)) == SL_OK) {
        const sl_run_info *r;
        if ((rc = sl_rundb_run(db, id, &r)) == SL_OK)
            printf("run %lld %s\n", (long long)r->id, r->status);
        if (rc == SL_OK)
            rc = sl_rundb_metrics(db, id, NULL, print_metric, NULL);
        if (rc == SL_OK)
            rc = sl_rundb_results(db, id, print_result, &mismatches);
    }
    if (rc != SL_OK) {
        fprintf(stderr, "embed: %s\n", sl_rundb_errmsg(db));
        status = 1;
    }
    if (mismatches)
        status = 1;
    sl_rundb_close(db);
    sl_session_free(session);
    return status;
}
