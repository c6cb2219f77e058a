/* core/cmd/sweep.c — `spikelab sweep FILE key=v1,v2 key=range(a,b) ...`:
 * a grid of runs, each point one `spikelab run` tagged "sweep:ID", N of
 * them at a time, resumable.
 *
 * Why child processes and not sessions in threads: a point that crashes
 * or is killed takes only itself down and is recorded as interrupted by
 * the database's reaper, no state is shared, and the run database already
 * takes several recording processes at once (WAL; tests/concurrent.sh).
 * Each point is a fork of the sweep that calls `spikelab run`'s entry
 * (sl__cmd_run) and exits, not an exec of this binary: the sweep holds no
 * open database (closed before the first point), no plugin (the session
 * that checked the points is freed, so each point loads its plugins
 * afresh) and no thread of ours when it forks. An exec cost each point
 * the loading and relocation of this binary's ~60 shared libraries
 * (MPI, HDF5, PLplot, curl, ...): 37 ms of CPU and 850 page faults
 * (`perf stat spikelab --version`), a fifth of a 300-epoch
 * frozen_noise_lif point (bench/README.md, sweep_jobs.sh). Under mpirun a point is still exec'd (MPI is
 * initialized in the sweep's process; its child must not carry that
 * state on, nor run MPI's exit handlers on it).
 *
 * The sweep's id is 12 hex digits of the SHA-256 of the experiment file's
 * absolute path, its text and the list of points: the same command gives
 * the same id (so running it again resumes it, and every shard of a
 * `--shard i/n` sweep records the same sweep), a changed file or grid a
 * new one. A point belongs to the run tagged "sweep:ID" whose leading
 * overrides are the point's; a point is done when such a run finished,
 * busy when one is running in a live process (another sweep command on
 * this host), and run (again) otherwise: never run, failed, interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "spikelab/rundb.h"
#include "spikelab/session.h"
#include "cmd/cmd.h"
#include "cmd/sweepspec.h"
#include "util/err.h"
#include "util/file.h"
#include "util/sha256.h"
#include "util/util.h"

#define CONFIRM_POINTS 1000   /* more points than this want --yes */
#define MAX_POINTS 1000000    /* a grid is listed in memory */

static const char usage[] =
    "usage: spikelab sweep FILE [key=v1,v2,...] [key=range(a,b[,step])]\n"
    "                      [key=choice(v1,...)] [key=v] [--seeds N]\n"
    "                      [--jobs N] [--threads T] [--name NAME]\n"
    "                      [--shard I/N] [--db PATH] [--yes] [--list]\n"
    "                      [--rank-timeout S]\n"
    "\n"
    "Run the experiment FILE once for every point of the grid the arguments\n"
    "span (their Cartesian product, the first key outermost), each point one\n"
    "run with its overrides, recorded in the run database and tagged\n"
    "'sweep:ID'. The sweep itself is recorded too (`spikelab sweep-summary`\n"
    "lists the sweeps; `spikelab sweep-summary ID` aggregates one).\n"
    "\n"
    "  key=v1,v2,...      the values of a setting (\"...\" or '...' quote a\n"
    "                     value holding commas)\n"
    "  key=range(a,b)     a, a+1, ..., below b; range(a,b,step) with a step\n"
    "  key=choice(v1,..)  the same as key=v1,..\n"
    "  key=v              one value, for every point\n"
    "  --seeds N          shorthand for seed=range(0,N)\n"
    "\n"
    "options:\n"
    "  --jobs N           points run at once on this machine (default: CPUs\n"
    "                     divided by --threads)\n"
    "  --threads T        threads of each run (the setting `threads`;\n"
    "                     default 1); any T gives the same bits\n"
    "  --name NAME        a label recorded with the sweep\n"
    "  --shard I/N        run only the points whose index modulo N is I\n"
    "                     (0 <= I < N): a batch job of an array writes its\n"
    "                     own --db; `spikelab db merge` joins the files\n"
    "  --db PATH          run database (default: $SPIKELAB_DB, else\n"
    "                     ./spikelab.db)\n"
    "  --yes              run a sweep of more than 1000 points\n"
    "  --list             print the points and their state; run nothing\n"
    "  --rank-timeout S   under mpirun: a worker rank not heard from for S\n"
    "                     seconds is given up on and its point run by\n"
    "                     another (default 60; see below)\n"
    "  --help             this text\n"
    "\n"
    "Running the same command again resumes the sweep: finished points are\n"
    "skipped, failed and interrupted ones run again. Every point is checked\n"
    "(its overrides loaded) before anything runs; a malformed argument or a\n"
    "bad value is an error naming it (exit 2). Ctrl-C stops every running\n"
    "point (recorded interrupted) and the sweep (exit 130). Exit status: 0\n"
    "every point finished, 1 some failed, 2 bad usage or configuration.\n"
    "\n"
    "Under mpirun (when built with MPI), rank 0 owns the database and the\n"
    "other ranks run the points, one at a time each, and send their records\n"
    "back; a point whose process is killed is run again. Under `mpirun\n"
    "--enable-recovery`, a worker rank that dies is given up on after\n"
    "--rank-timeout and its point run by another; without that flag mpirun\n"
    "ends the job when a rank dies (the same command resumes). README,\n"
    "Sweeps.\n";

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig)
{
    stop_signal = sig;
}

/* The sweep being run. */
typedef struct sweep {
    sl__sweep_spec spec;
    const char *file, *db_path, *name;
    char *abs, *text, *spec_text, *points;
    char **lines;       /* per point: "k=v\tk=v" */
    uint64_t n;
    char id[13], tag[32];
    long threads;
    char threads_ov[32];
    int *state;         /* per point: 0 to run, 1 finished, 2 busy */
    int64_t *run_of;    /* the finished (or busy) run of each point */
} sweep;

enum { TODO = 0, DONE = 1, BUSY = 2 };

/* The overrides of point i as an argv slice: "k=v" strings pointing into
 * a copy of its line (tabs cut to NULs). *buf owned by the caller. */
static char **point_argv(const sweep *sw, uint64_t i, size_t extra,
                         char **buf)
{
    size_t na = sw->spec.n_axes;
    char **ov = calloc(na + extra + 1, sizeof *ov);
    char *line = strdup(sw->lines[i]);
    if (!ov || !line) {
        free(ov);
        free(line);
        return NULL;
    }
    char *p = line;
    for (size_t a = 0; a < na; a++) {
        ov[a] = p;
        char *t = strchr(p, '\t');
        if (t) {
            *t = 0;
            p = t + 1;
        }
    }
    *buf = line;
    return ov;
}

/* A point's line for people: tabs as spaces, into out[size]. */
static const char *shown(const char *line, char *out, size_t size)
{
    size_t i = 0;
    for (; line[i] && i + 1 < size; i++)
        out[i] = line[i] == '\t' ? ' ' : line[i];
    out[i] = 0;
    return out;
}

/* Load the experiment of point i with every check and free it: the
 * sweep's arguments are all checked before anything runs. 0 or 2. */
static int check_point(const sweep *sw, sl_session *s, uint64_t i)
{
    char *buf;
    char **ov = point_argv(sw, i, 1, &buf);
    if (!ov) {
        fprintf(stderr, "spikelab sweep: out of memory\n");
        return 2;
    }
    size_t n = sw->spec.n_axes;
    ov[n++] = (char *)sw->threads_ov;
    sl_experiment *e = NULL;
    int rc = sl_experiment_load(s, sw->file, (const char *const *)ov, n, &e);
    char what[512];
    if (rc)
        fprintf(stderr, "spikelab sweep: point %llu (%s): %s\n",
                (unsigned long long)i, shown(sw->lines[i], what, sizeof what),
                sl_session_errmsg(s));
    sl_experiment_free(e);
    free(ov);
    free(buf);
    return rc ? 2 : 0;
}

/* Check point 0 and, for every key, each of its values with the other
 * keys at their first value: every value is loaded once (a grid's other
 * combinations are made of the same values). */
static int check_points(const sweep *sw)
{
    sl_session *s;
    if (sl_session_new(NULL, &s) != SL_OK) {
        fprintf(stderr, "spikelab sweep: out of memory\n");
        return 2;
    }
    int rc = check_point(sw, s, 0);
    uint64_t stride = 1;
    for (size_t a = sw->spec.n_axes; rc == 0 && a-- > 0;) {
        for (size_t j = 1; rc == 0 && j < sw->spec.axes[a].n; j++)
            rc = check_point(sw, s, j * stride);
        stride *= sw->spec.axes[a].n;
    }
    sl_session_free(s);
    return rc;
}

/* The point a run of the sweep belongs to, from its recorded overrides
 * (the point's, then threads=T): its index, or -1. */
static int64_t point_of_run(const sweep *sw, const char *overrides)
{
    uint64_t idx = 0;
    const char *p = overrides ? overrides : "";
    for (size_t a = 0; a < sw->spec.n_axes; a++) {
        const sl__sweep_axis *ax = &sw->spec.axes[a];
        size_t kl = strlen(ax->key);
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        if (ll <= kl || strncmp(p, ax->key, kl) != 0 || p[kl] != '=')
            return -1;
        const char *v = p + kl + 1;
        size_t vl = ll - kl - 1, j = 0;
        while (j < ax->n &&
               (strlen(ax->values[j]) != vl || memcmp(ax->values[j], v, vl)))
            j++;
        if (j == ax->n)
            return -1;
        idx = idx * ax->n + j;
        p = nl ? nl + 1 : p + ll;
    }
    return (int64_t)idx;
}

/* Read which points are done or busy from the runs tagged with the
 * sweep. 0, or 1 (reported). */
static int read_states(sweep *sw, sl_rundb *db)
{
    const char *tags[] = {sw->tag};
    sl_run_filter f = {.struct_size = sizeof f, .tags = tags, .n_tags = 1,
                       .sort = "id"};
    sl_run_iter *it;
    if (sl_rundb_runs(db, &f, &it) != SL_OK) {
        fprintf(stderr, "spikelab sweep: %s\n", sl_rundb_errmsg(db));
        return 1;
    }
    for (const sl_run_info *r; (r = sl_run_next(it)) != NULL;) {
        int64_t i = point_of_run(sw, r->overrides);
        if (i < 0 || sw->state[i] == DONE)
            continue;
        if (strcmp(r->status, "finished") == 0) {
            sw->state[i] = DONE;
            sw->run_of[i] = r->id;
        } else if (strcmp(r->status, "running") == 0 && r->process_alive != 0) {
            /* alive here, or on another host (cannot tell): leave it */
            sw->state[i] = BUSY;
            sw->run_of[i] = r->id;
        }
    }
    if (sl_run_iter_free(it) != SL_OK) {
        fprintf(stderr, "spikelab sweep: %s\n", sl_rundb_errmsg(db));
        return 1;
    }
    return 0;
}

/* MPI_Init was called in this process (mpirun, even -n 1): its points
 * are exec'd, not forks that would carry MPI's state into a run. */
static int mpi_started;

/* A running point. */
typedef struct child {
    pid_t pid;
    uint64_t point;
    FILE *log;      /* its stdout and stderr (an unlinked file) */
    double t0;
} child;

/* Start point i: `spikelab run FILE OVERRIDES threads=T --db DB --quiet
 * --tag sweep:ID` with its output into c->log. With `tied`, the point's
 * process is killed (SIGKILL) when ours dies: an MPI worker's point must
 * not outlive its rank, since its record would never reach rank 0 and
 * rank 0 hands the point to another rank. With `exec_it` the point is an
 * exec of this binary, else a fork that calls sl__cmd_run (see the top).
 * 0, or -1 (reported). */
static int start_point(const sweep *sw, uint64_t i, child *c, int tied,
                       int exec_it)
{
    char *buf;
    char **ov = point_argv(sw, i, 1, &buf);
    FILE *log = tmpfile();
    char **argv = calloc(sw->spec.n_axes + 16, sizeof *argv);
    if (!ov || !log || !argv) {
        fprintf(stderr, "spikelab sweep: cannot start point %llu: %s\n",
                (unsigned long long)i, strerror(errno ? errno : ENOMEM));
        if (log)
            fclose(log);
        free(argv);
        if (ov) {
            free(ov);
            free(buf);
        }
        return -1;
    }
    size_t n = 0;
    argv[n++] = "spikelab";
    argv[n++] = "run";
    argv[n++] = (char *)sw->file;
    for (size_t a = 0; a < sw->spec.n_axes; a++)
        argv[n++] = ov[a];
    argv[n++] = (char *)sw->threads_ov;
    argv[n++] = "--db";
    argv[n++] = (char *)sw->db_path;
    argv[n++] = "--quiet";
    argv[n++] = "--tag";
    argv[n++] = (char *)sw->tag;
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
#ifdef __linux__
        /* our parent may have died before the prctl: then it is not
         * ours any more, and no signal would come */
        if (tied && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
                     getppid() != parent))
            _exit(137);
#else
        (void)tied;
        (void)parent;
#endif
        int fd = fileno(log), nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (!exec_it) {
            /* the run as `spikelab run ...` would do it in main(); then
             * its output flushed into the log and _exit: exit() would run
             * the sweep's exit handlers in the point (LeakSanitizer's
             * among them, which would report the sweep's own memory,
             * still held by its parent, as leaked by the point) */
            int argc = 0;
            while (argv[argc + 1])
                argc++;
            int rc = sl__cmd_run(argc, argv + 1);
            fflush(NULL);
            _exit(rc);
        }
        execv("/proc/self/exe", argv);
        fprintf(stderr, "spikelab sweep: exec /proc/self/exe: %s\n",
                strerror(errno));
        _exit(127);
    }
    int e = errno;
    free(argv);
    free(ov);
    free(buf);
    if (pid < 0) {
        fprintf(stderr, "spikelab sweep: fork: %s\n", strerror(e));
        fclose(log);
        return -1;
    }
    *c = (child){pid, i, log, sl__mono_time()};
    return 0;
}

/* After a point's process ended: its run id (the "run N:" line the run
 * command prints once recorded) and its last line of output. */
static int64_t read_log(FILE *log, char *last, size_t size)
{
    char line[1024];
    int64_t id = 0;
    last[0] = 0;
    rewind(log);
    while (fgets(line, sizeof line, log)) {
        long long v;
        if (id == 0 && sscanf(line, "run %lld:", &v) == 1)
            id = v;
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = 0;
        if (l)
            snprintf(last, size, "%s", line);
    }
    return id;
}

/* The sweep's record: spec (its arguments, a line each) and points. */
static int build(sweep *sw, char **args, int n_args, long seeds)
{
    size_t len = 1;
    for (int k = 0; k < n_args; k++)
        len += strlen(args[k]) + 1;
    len += 32;
    if (!(sw->spec_text = malloc(len)))
        return -1;
    sw->spec_text[0] = 0;
    for (int k = 0; k < n_args; k++) {
        strcat(sw->spec_text, args[k]);
        strcat(sw->spec_text, "\n");
    }
    if (seeds > 0) {
        char s[32];
        snprintf(s, sizeof s, "--seeds %ld\n", seeds);
        strcat(sw->spec_text, s);
    }
    if (!(sw->lines = calloc(sw->n, sizeof *sw->lines)))
        return -1;
    size_t total = 1;
    for (uint64_t i = 0; i < sw->n; i++) {
        if (!(sw->lines[i] = sl__sweep_point_line(&sw->spec, i)))
            return -1;
        total += strlen(sw->lines[i]) + 1;
    }
    if (!(sw->points = malloc(total)))
        return -1;
    char *p = sw->points;
    for (uint64_t i = 0; i < sw->n; i++) {
        size_t l = strlen(sw->lines[i]);
        memcpy(p, sw->lines[i], l);
        p += l;
        *p++ = '\n';
    }
    *p = 0;
    /* the id: path, text and points */
    sl__sha256 h;
    uint8_t d[32];
    sl__sha256_init(&h);
    sl__sha256_update(&h, sw->abs, strlen(sw->abs) + 1);
    sl__sha256_update(&h, sw->text, strlen(sw->text) + 1);
    sl__sha256_update(&h, sw->points, strlen(sw->points));
    sl__sha256_final(&h, d);
    for (int k = 0; k < 6; k++)
        snprintf(sw->id + 2 * k, 3, "%02x", d[k]);
    snprintf(sw->tag, sizeof sw->tag, "sweep:%s", sw->id);
    sw->state = calloc(sw->n, sizeof *sw->state);
    sw->run_of = calloc(sw->n, sizeof *sw->run_of);
    return sw->state && sw->run_of ? 0 : -1;
}

static void sweep_free(sweep *sw)
{
    sl__sweep_free(&sw->spec);
    for (uint64_t i = 0; sw->lines && i < sw->n; i++)
        free(sw->lines[i]);
    free(sw->lines);
    free(sw->abs);
    free(sw->text);
    free(sw->spec_text);
    free(sw->points);
    free(sw->state);
    free(sw->run_of);
}

/* A number option's value, or -1 after a message. */
static long num_arg(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "spikelab sweep: %s takes a number from %ld to %ld, "
                "not '%s'\n", opt, lo, hi, v);
        return -1;
    }
    return x;
}

/* Run the points to run, `jobs` at a time. Returns the exit status. */
static int run_points(sweep *sw, long jobs, uint64_t shard_i,
                      uint64_t shard_n)
{
    uint64_t todo = 0, done = 0, failed = 0, next = 0, total;
    for (uint64_t i = 0; i < sw->n; i++)
        if (i % shard_n == shard_i && sw->state[i] == TODO)
            todo++;
    total = todo;
    child *kids = calloc((size_t)jobs, sizeof *kids);
    if (!kids) {
        fprintf(stderr, "spikelab sweep: out of memory\n");
        return 1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: waitpid returns EINTR */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    long active = 0;
    int forwarded = 0, start_failed = 0;
    double t0 = sl__mono_time();
    for (;;) {
        while (!stop_signal && !start_failed && active < jobs && next < sw->n) {
            uint64_t i = next++;
            if (i % shard_n != shard_i || sw->state[i] != TODO)
                continue;
            long slot = 0;
            while (kids[slot].pid)
                slot++;
            if (start_point(sw, i, &kids[slot], 0, mpi_started))
                start_failed = 1;
            else
                active++;
        }
        if (active == 0)
            break;
        if (stop_signal && !forwarded) {
            /* a terminal's Ctrl-C reached the points already (one
             * process group); a kill of the sweep alone did not */
            for (long k = 0; k < jobs; k++)
                if (kids[k].pid)
                    kill(kids[k].pid, SIGTERM);
            forwarded = 1;
        }
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "spikelab sweep: waitpid: %s\n", strerror(errno));
            break;
        }
        long k = 0;
        while (k < jobs && kids[k].pid != pid)
            k++;
        if (k == jobs)
            continue;
        char last[512], pt[512];
        int64_t id = read_log(kids[k].log, last, sizeof last);
        fclose(kids[k].log);
        double el = sl__mono_time() - kids[k].t0;
        uint64_t i = kids[k].point;
        kids[k].pid = 0;
        active--;
        done++;
        int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        char idtxt[32] = "no run";
        if (id)
            snprintf(idtxt, sizeof idtxt, "run %lld", (long long)id);
        if (ok) {
            sw->state[i] = DONE;
            sw->run_of[i] = id;
            printf("[%llu/%llu] point %llu (%s): %s finished in %.1f s\n",
                   (unsigned long long)done, (unsigned long long)total,
                   (unsigned long long)i, shown(sw->lines[i], pt, sizeof pt),
                   idtxt, el);
        } else {
            failed++;
            char how[64];
            if (WIFSIGNALED(st))
                snprintf(how, sizeof how, "killed by signal %d",
                         WTERMSIG(st));
            else
                snprintf(how, sizeof how, "exit %d", WEXITSTATUS(st));
            printf("[%llu/%llu] point %llu (%s): %s %s (%s)%s%s\n",
                   (unsigned long long)done, (unsigned long long)total,
                   (unsigned long long)i, shown(sw->lines[i], pt, sizeof pt),
                   idtxt,
                   WIFEXITED(st) && WEXITSTATUS(st) == 130 ? "interrupted"
                                                            : "failed",
                   how, *last ? ": " : "", last);
        }
        fflush(stdout);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(kids);
    double el = sl__mono_time() - t0;
    uint64_t ran_ok = done - failed;
    fprintf(stderr, "sweep %s: %llu of %llu points run in %.1f s (%.3g "
            "points/s): %llu finished, %llu failed or interrupted\n",
            sw->id, (unsigned long long)done, (unsigned long long)total, el,
            el > 0 ? (double)done / el : 0.0, (unsigned long long)ran_ok,
            (unsigned long long)failed);
    if (stop_signal)
        return 130;
    if (start_failed || failed || done < total)
        return 1;
    return 0;
}


#ifdef SL_HAVE_MPI
/* ---- across MPI ranks ------------------------------------------------------
 * `mpirun -n K spikelab sweep ...`: rank 0 owns the run database and is
 * its only writer; ranks 1..K-1 are workers. A worker receives a point's
 * index, runs it as the local mode does (a child `spikelab run`) into a
 * private database file of its own (a fresh one per point, in its
 * TMPDIR), opens that file once the child ended (which marks a killed
 * child's run interrupted), and sends rank 0 the outcome and the file's
 * bytes; rank 0 merges them with sl_rundb_merge (runs told apart by UUID,
 * so a file merged twice adds nothing) and hands out the next point. So
 * no shared filesystem and no network database: only MPI messages.
 * A point whose process was killed by a signal is handed out again (up
 * to MPI_TRIES times); a point that exits with an error is failed, as in
 * the local mode.
 *
 * A whole rank that dies: Open MPI 4.1 (Debian's) has no ULFM, so no rank
 * is told of another's death, and by default mpirun ends the job. Under
 * `mpirun --enable-recovery` the other ranks keep running, and the sweep
 * survives by heartbeats: a worker sends rank 0 a small message every
 * beat_interval() while it waits (for its point's process or for work),
 * rank 0 polls instead of blocking on any one worker and pings the idle
 * ones, and a worker not heard from for --rank-timeout seconds is lost:
 * its point goes back to the queue and it is never sent to again (over
 * TCP a send to a dead rank hangs, measured). A worker that hears nothing
 * from rank 0 for three times as long leaves, so a worker given up on
 * wrongly does not keep the job alive. No rank makes a blocking MPI call
 * on another: every send and receive has a deadline, and one matched to
 * a message whose sender died midway is abandoned (recv_by). Rank 0
 * merges a point's record only while the point is not finished: a late
 * record of a point that another rank ran since (two runs, two UUIDs) is
 * dropped, not recorded twice. After a
 * loss every rank leaves without MPI_Finalize, which would wait for the
 * dead rank for ever (measured with Open MPI 4.1.4); mpirun then exits 0
 * (it always does under --enable-recovery, whatever the ranks return). */
#include <mpi.h>

enum { TAG_WORK = 1, TAG_RESULT = 2, TAG_MSG = 3, TAG_DB = 4, TAG_BEAT = 5 };
enum { OUT_OK = 0, OUT_EXIT = 1, OUT_SIGNAL = 2, OUT_NOSTART = 3,
       OUT_UNFIT = 4 };
/* work messages other than a point's index */
enum {
    W_STOP = -1,      /* the end: MPI_Finalize */
    W_STOP_LOST = -2, /* the end, a rank lost: leave without MPI_Finalize */
    W_GAVE_UP = -3,   /* rank 0 stopped before handing out anything */
    W_WAIT = -4,      /* nothing for you now (a ping: rank 0 is alive) */
    W_END = -5        /* the end is near: answer at once */
};
#define MPI_TRIES 3             /* runs of one point killed or lost */
#define MPI_CHUNK (1 << 26)     /* bytes per message of a database file */

#define CANCEL_WAIT 0.5         /* s for a cancel to take */

static double rank_timeout = 60; /* --rank-timeout: seconds */
static int skip_finalize;        /* a rank was lost: MPI_Finalize hangs */
static const int64_t beat_word;  /* a heartbeat says nothing but "alive" */

/* Heartbeats at a sixth of the timeout, at most every 5 s: a rank is
 * given up on after several missed ones, not one late one. */
static double beat_interval(void)
{
    double b = rank_timeout / 6;
    return b > 5 ? 5 : b;
}

/* How long a worker waits for rank 0 (to take its record, to say a
 * word): longer than rank 0 waits for a worker, as rank 0 may spend up
 * to a --rank-timeout on a dying rank's message (and on a word to it)
 * before it turns to us; a worker that left for that would be a second
 * rank lost. */
static double worker_patience(void)
{
    return 3 * rank_timeout;
}

/* MPI_Finalize's deadline passed: leave with the sweep's status. */
static volatile sig_atomic_t finalize_status;

static void on_finalize_alarm(int sig)
{
    static const char m[] = "spikelab sweep: MPI_Finalize did not end (a "
                            "rank died at the end?); leaving without it\n";
    (void)sig;
    if (write(STDERR_FILENO, m, sizeof m - 1) < 0)
        _exit(1);
    _exit(finalize_status);
}

/* Was this process started by mpirun (Open MPI, or a PMI launcher)? Only
 * then MPI_Init: a plain `spikelab sweep` must not start MPI at all. */
static int under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
           getenv("PMI_RANK");
}

static void rm_db(const char *path)
{
    char p[PATH_MAX + 8];
    unlink(path);
    if (snprintf(p, sizeof p, "%s-wal", path) < (int)sizeof p)
        unlink(p);
    if (snprintf(p, sizeof p, "%s-shm", path) < (int)sizeof p)
        unlink(p);
}

/* A worker's heartbeat to rank 0 when one is due (*next: when). Not
 * waited for: a rank 0 gone must not hang us. */
static void beat(double *next)
{
    double now = sl__mono_time();
    if (now < *next)
        return;
    MPI_Request r;
    if (MPI_Isend(&beat_word, 1, MPI_INT64_T, 0, TAG_BEAT, MPI_COMM_WORLD,
                  &r) == MPI_SUCCESS)
        MPI_Request_free(&r);
    *next = now + beat_interval();
}

/* Wait for a request until `limit` (sl__mono_time), beating meanwhile if
 * next_beat is given: polls with a sleep growing to 10 ms (Open MPI's
 * blocking calls spin a core). 0 done, -1 not by then, -2 an MPI error
 * (the request's fate unknown). */
static int wait_req(MPI_Request *req, double limit, double *next_beat)
{
    useconds_t us = 100;
    for (;;) {
        int flag = 0;
        if (MPI_Test(req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -2;
        if (flag)
            return 0;
        if (sl__mono_time() > limit)
            return -1;
        if (next_beat)
            beat(next_beat);
        usleep(us);
        if (us < 10000)
            us *= 2;
    }
}

/* Receive by `limit`: 0 done; -1 not done, cancelled (buf free again);
 * -2 abandoned. A receive that has matched a large message (sent in
 * pieces that the sender pushes) whose sender died or stalled midway
 * can be neither completed nor cancelled: MPI_Cancel then MPI_Wait on it
 * never returns (measured with Open MPI 4.1.4: a sender killed in a
 * 1 MiB send; rank 0 hung so after a worker rank's kill). So the cancel
 * is waited for a bounded time too, and a receive still standing after
 * it is abandoned: buf stays MPI's (the caller neither frees nor reuses
 * it) and the process leaves without MPI_Finalize. */
static int recv_by(void *buf, int count, MPI_Datatype t, int src, int tag,
                   double limit, double *next_beat)
{
    MPI_Request r;
    if (MPI_Irecv(buf, count, t, src, tag, MPI_COMM_WORLD, &r) !=
        MPI_SUCCESS)
        return -1;
    int rc = wait_req(&r, limit, next_beat);
    if (rc == 0)
        return 0;
    if (rc == -1 && MPI_Cancel(&r) == MPI_SUCCESS &&
        wait_req(&r, sl__mono_time() + CANCEL_WAIT, NULL) == 0)
        return -1;
    skip_finalize = 1;
    return -2;
}

/* Send by `limit`. On -1 the send is left pending (freed, never waited
 * for): buf must stay untouched to the process's end (the caller leaks
 * it), and the process leaves without MPI_Finalize. */
static int send_by(const void *buf, int count, MPI_Datatype t, int dst,
                   int tag, double limit)
{
    MPI_Request r;
    if (MPI_Isend(buf, count, t, dst, tag, MPI_COMM_WORLD, &r) !=
        MPI_SUCCESS)
        return -1;
    if (wait_req(&r, limit, NULL) == 0)
        return 0;
    MPI_Request_free(&r);
    skip_finalize = 1;
    return -1;
}

/* A one-word message to rank dst by `limit` (a send to a dead rank may
 * never complete: over TCP, measured). 0 or -1 (then its word is
 * leaked, and the process leaves without MPI_Finalize). */
static int send_word(int dst, int64_t word, double limit)
{
    int64_t *p = malloc(sizeof *p);
    if (!p)
        return -1;
    *p = word;
    if (send_by(p, 1, MPI_INT64_T, dst, TAG_WORK, limit))
        return -1;
    free(p);
    return 0;
}

/* On the workers, stderr goes to a file until the points are checked:
 * every rank checks the same arguments, and a malformed one is printed
 * by rank 0 alone. A worker whose check failed where rank 0's passed
 * (its own files differ) shows its messages then. */
static int saved_stderr = -1;
static FILE *captured;

static void capture_stderr(void)
{
    fflush(stderr);
    if (!(captured = tmpfile()))
        return;
    if ((saved_stderr = dup(STDERR_FILENO)) < 0 ||
        dup2(fileno(captured), STDERR_FILENO) < 0) {
        if (saved_stderr >= 0)
            close(saved_stderr);
        saved_stderr = -1;
        fclose(captured);
        captured = NULL;
    }
}

static void release_stderr(int show, int rank)
{
    if (saved_stderr < 0)
        return;
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    char line[1024];
    rewind(captured);
    while (show && fgets(line, sizeof line, captured))
        fprintf(stderr, "rank %d: %s", rank, line);
    fclose(captured);
    captured = NULL;
}

/* Run point pt into dbp and fill the result: hdr {point, outcome, code,
 * bytes}, the point's last line, its database file's bytes (*bytes,
 * owned by the caller). Beats while the point runs. */
static void worker_run(sweep *sw, int64_t pt, const char *dbp,
                       int64_t hdr[4], char *last, size_t size,
                       char **bytes, double *next_beat)
{
    child c;
    hdr[0] = pt;
    hdr[1] = OUT_NOSTART;
    hdr[2] = hdr[3] = 0;
    rm_db(dbp);
    if (start_point(sw, (uint64_t)pt, &c, 1, 1) == 0) {
        int st = 0, killed = 0, gone = 0;
        useconds_t us = 100;
        for (;;) {
            pid_t w = waitpid(c.pid, &st, WNOHANG);
            if (w == c.pid)
                break;
            if (w < 0 && errno != EINTR) {
                gone = 1;
                break;
            }
            if (stop_signal && !killed) {
                /* mpirun passed the stop to us, not to the point */
                kill(c.pid, SIGTERM);
                killed = 1;
            }
            beat(next_beat);
            usleep(us);
            if (us < 20000)
                us *= 2;
        }
        read_log(c.log, last, size);
        fclose(c.log);
        if (gone) {
            snprintf(last, size, "waitpid: %s", strerror(errno));
        } else if (WIFSIGNALED(st)) {
            hdr[1] = OUT_SIGNAL;
            hdr[2] = WTERMSIG(st);
        } else {
            hdr[1] = WEXITSTATUS(st) == 0 ? OUT_OK : OUT_EXIT;
            hdr[2] = WEXITSTATUS(st);
        }
    }
    /* opening the file marks a killed child's run interrupted (the
     * reaper; the merge reads without it) and checkpoints its WAL */
    sl_rundb *pdb = NULL;
    if (access(dbp, F_OK) == 0 &&
        sl_rundb_open(dbp, SL_RUNDB_CREATE, &pdb) == SL_OK) {
        sl_rundb_close(pdb);
        pdb = NULL;
        FILE *f = fopen(dbp, "rb");
        long len = -1;
        if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
            fseek(f, 0, SEEK_SET) == 0 && (*bytes = malloc((size_t)len)) &&
            fread(*bytes, 1, (size_t)len, f) == (size_t)len)
            hdr[3] = len;
        if (f)
            fclose(f);
    }
    sl_rundb_close(pdb);
}

/* A worker: run the points rank 0 sends until it says stop. `fit`: this
 * rank checked the points (else it only tells rank 0 it cannot run
 * them). Returns the exit status. */
static int mpi_worker(sweep *sw, int rank, int fit)
{
    const char *td = getenv("TMPDIR");
    char dir[PATH_MAX] = "", dbp[PATH_MAX + 16];
    if (fit) {
        release_stderr(0, rank);
        if (snprintf(dir, sizeof dir, "%s/spikelab-rank%d-XXXXXX",
                     td && *td ? td : "/tmp", rank) >= (int)sizeof dir ||
            !mkdtemp(dir)) {
            fprintf(stderr, "spikelab sweep: rank %d: cannot make a "
                    "private directory: %s\n", rank, strerror(errno));
            dir[0] = 0;
            fit = 0;
        }
    }
    snprintf(dbp, sizeof dbp, "%s/point.db", dir);
    sw->db_path = dbp; /* the child records here, never in rank 0's file */
    int status = fit ? 0 : 2, first = 1;
    double next_beat = 0;
    /* the first word waits for rank 0's own checks and database */
    double limit = sl__mono_time() + 10 * rank_timeout;
    /* static, as are the record's header and line: what a receive or
     * send given up on holds is MPI's to the process's end */
    static int64_t word, hdr[4];
    static char last[512];
    for (;;) {
        if (recv_by(&word, 1, MPI_INT64_T, 0, TAG_WORK, limit,
                    &next_beat)) {
            release_stderr(1, rank);
            fprintf(stderr, "spikelab sweep: rank %d: no word from rank 0 "
                    "in %g s; leaving\n", rank,
                    first ? 10 * rank_timeout : worker_patience());
            skip_finalize = 1;
            status = 1;
            break;
        }
        int64_t pt = word;
        if (first)
            release_stderr(pt != W_GAVE_UP, rank);
        first = 0;
        limit = sl__mono_time() + worker_patience();
        if (pt == W_WAIT)
            continue;
        if (pt == W_END) {
            next_beat = 0; /* at once */
            beat(&next_beat);
            continue;
        }
        if (pt < 0 || (fit && (uint64_t)pt >= sw->n)) {
            skip_finalize = pt == W_STOP_LOST;
            break;
        }
        hdr[0] = pt;
        hdr[1] = OUT_UNFIT;
        hdr[2] = hdr[3] = 0;
        last[0] = 0;
        char *bytes = NULL;
        if (fit)
            worker_run(sw, pt, dbp, hdr, last, sizeof last, &bytes,
                       &next_beat);
        else
            snprintf(last, sizeof last, "could not check the points "
                     "(its messages on stderr)");
        double lim = sl__mono_time() + worker_patience();
        int bad = send_by(hdr, 4, MPI_INT64_T, 0, TAG_RESULT, lim) ||
                  send_by(last, (int)strlen(last) + 1, MPI_CHAR, 0, TAG_MSG,
                          lim);
        for (int64_t off = 0; !bad && off < hdr[3]; off += MPI_CHUNK) {
            int64_t k = hdr[3] - off < MPI_CHUNK ? hdr[3] - off : MPI_CHUNK;
            bad = send_by(bytes + off, (int)k, MPI_BYTE, 0, TAG_DB,
                          sl__mono_time() + worker_patience());
        }
        if (fit)
            rm_db(dbp);
        if (bad) {
            /* rank 0 gave up on us and ran the point elsewhere, or is
             * gone: our record is not wanted (bytes stay: a send of
             * them is pending) */
            fprintf(stderr, "spikelab sweep: rank %d: rank 0 took no "
                    "record of point %lld in %g s; leaving\n", rank,
                    (long long)pt, worker_patience());
            skip_finalize = 1;
            status = 1;
            break;
        }
        free(bytes);
        limit = sl__mono_time() + worker_patience();
    }
    if (dir[0])
        rmdir(dir);
    return status;
}

/* Receive the rest of a result from worker src (its header probed) into
 * *hdr, its last line into last, its database bytes into the file path
 * (*written: they are there). 0; -1: not all of it came in time; -2:
 * and a receive was abandoned (recv_by), hdr and last are MPI's (the
 * caller leaks them; the buffer of the bytes is leaked here). */
static int mpi_receive(int src, int64_t hdr[4], char *last, int size,
                       const char *path, int *written)
{
    double lim = sl__mono_time() + rank_timeout;
    *written = 0;
    int rc = recv_by(hdr, 4, MPI_INT64_T, src, TAG_RESULT, lim, NULL);
    if (rc == 0)
        rc = recv_by(last, size, MPI_CHAR, src, TAG_MSG, lim, NULL);
    if (rc)
        return rc;
    last[size - 1] = 0;
    if (hdr[3] < 0)
        hdr[3] = 0;
    FILE *f = hdr[3] > 0 ? fopen(path, "wb") : NULL;
    int ok = f != NULL;
    char *buf = hdr[3] > 0 ? malloc(hdr[3] < MPI_CHUNK ? (size_t)hdr[3]
                                                       : MPI_CHUNK)
                           : NULL;
    static char b; /* static: a receive into it may be abandoned */
    for (int64_t off = 0; rc == 0 && off < hdr[3]; off += MPI_CHUNK) {
        int64_t k = hdr[3] - off < MPI_CHUNK ? hdr[3] - off : MPI_CHUNK;
        lim = sl__mono_time() + rank_timeout;
        if (buf) {
            rc = recv_by(buf, (int)k, MPI_BYTE, src, TAG_DB, lim, NULL);
            if (rc == 0 && ok && fwrite(buf, 1, (size_t)k, f) != (size_t)k)
                ok = 0;
        } else {
            /* no memory: take the bytes one at a time to keep the
             * message order, and lose this point's record only */
            for (int64_t j = 0; rc == 0 && j < k; j++)
                rc = recv_by(&b, 1, MPI_BYTE, src, TAG_DB, lim, NULL);
            ok = 0;
        }
    }
    if (rc != -2)
        free(buf);
    if (f && fclose(f))
        ok = 0;
    *written = rc == 0 && ok && hdr[3] > 0;
    return rc;
}

/* Rank 0's view of a worker. */
enum { WK_IDLE, WK_BUSY, WK_PARKED, WK_LOST };
typedef struct worker {
    int state;      /* PARKED: cannot run points, waits for the end */
    uint64_t point; /* BUSY: the point it runs */
    double heard;   /* its last message */
    int spoke;      /* it has sent one (its first gets 10 timeouts) */
    double told;    /* our last message to it */
} worker;

/* Rank 0's state across the loop. */
typedef struct root {
    sweep *sw;
    uint64_t *queue, head, count, total, done, failed;
    int *tries, size, lost;
    worker *wk;
} root;

static void requeue(root *r, uint64_t i)
{
    r->queue[(r->head + r->count++) % r->sw->n] = i;
}

/* The next point to hand out, or -1. Points finished while queued (a
 * late record) are skipped. */
static int64_t next_point(root *r)
{
    while (r->count) {
        uint64_t i = r->queue[r->head];
        r->head = (r->head + 1) % r->sw->n;
        r->count--;
        if (r->sw->state[i] != DONE)
            return (int64_t)i;
    }
    return -1;
}

/* Give up on worker w: its point back to the queue (or failed after
 * MPI_TRIES). */
static void lose(root *r, int w, const char *why)
{
    worker *k = &r->wk[w];
    char pt[512];
    r->lost++;
    if (k->state != WK_BUSY) {
        printf("rank %d: %s; given up on\n", w, why);
    } else if (++r->tries[k->point] < MPI_TRIES && !stop_signal) {
        requeue(r, k->point);
        printf("rank %d: %s; given up on, its point %llu (%s) handed out "
               "again\n", w, why, (unsigned long long)k->point,
               shown(r->sw->lines[k->point], pt, sizeof pt));
    } else {
        r->done++;
        r->failed++;
        printf("[%llu/%llu] point %llu (%s): failed: rank %d %s\n",
               (unsigned long long)r->done, (unsigned long long)r->total,
               (unsigned long long)k->point,
               shown(r->sw->lines[k->point], pt, sizeof pt), w, why);
    }
    fflush(stdout);
    k->state = WK_LOST;
}

/* Send worker w a word; one that has not taken it in --rank-timeout
 * seconds is given up on. 0 or -1. */
static int tell(root *r, int w, int64_t word)
{
    if (send_word(w, word, sl__mono_time() + rank_timeout)) {
        char why[64];
        snprintf(why, sizeof why, "took no word in %g s", rank_timeout);
        lose(r, w, why);
        return -1;
    }
    r->wk[w].told = sl__mono_time();
    return 0;
}

/* Does the database file at path hold a finished run tagged tag? */
static int file_finished(const char *path, const char *tag)
{
    sl_rundb *db = NULL;
    sl_run_iter *it = NULL;
    const char *tags[] = {tag};
    sl_run_filter f = {.struct_size = sizeof f, .tags = tags, .n_tags = 1};
    int found = 0;
    if (sl_rundb_open(path, SL_RUNDB_READONLY, &db) == SL_OK &&
        sl_rundb_runs(db, &f, &it) == SL_OK) {
        for (const sl_run_info *ri; !found && (ri = sl_run_next(it));)
            found = strcmp(ri->status, "finished") == 0;
        sl_run_iter_free(it);
    }
    sl_rundb_close(db);
    return found;
}

/* Merge a result received from worker w: header hdr, last line last,
 * its database bytes in tmpdb if written. */
static void use_result(root *r, sl_rundb *db, int w, const char *tmpdb,
                       const int64_t *hdr, const char *last, int written)
{
    sweep *sw = r->sw;
    worker *k = &r->wk[w];
    char pt[512], how[64] = "";
    if (hdr[0] < 0 || (uint64_t)hdr[0] >= sw->n) {
        rm_db(tmpdb);
        if (k->state != WK_LOST)
            lose(r, w, "sent a result of no point");
        return;
    }
    uint64_t i = (uint64_t)hdr[0];
    int late = k->state != WK_BUSY || k->point != i;
    if (!late) {
        k->heard = sl__mono_time();
        k->spoke = 1;
    }
    /* a point's process killed after its run was recorded finished (in
     * its exit): the point is finished, not run again (that would be a
     * second finished run of it) */
    int ok = hdr[1] == OUT_OK ||
             (hdr[1] == OUT_SIGNAL && written &&
              file_finished(tmpdb, sw->tag));
    if (hdr[1] == OUT_SIGNAL)
        snprintf(how, sizeof how, "killed by signal %d", (int)hdr[2]);
    else if (hdr[1] == OUT_EXIT)
        snprintf(how, sizeof how, "exit %d", (int)hdr[2]);
    else if (hdr[1] == OUT_NOSTART)
        snprintf(how, sizeof how, "not started");
    /* one finished run per point: a second one (a late record, or the
     * run of a point a late record finished) is not merged */
    int merged = 0;
    int64_t added = 0, present = 0;
    int wanted = sw->state[i] != DONE && (!late || ok) &&
                 hdr[1] != OUT_UNFIT;
    if (written && wanted) {
        merged = sl_rundb_merge(db, tmpdb, &added, &present) == SL_OK;
        if (!merged)
            fprintf(stderr, "spikelab sweep: merging point %llu from "
                    "rank %d: %s\n", (unsigned long long)i, w,
                    sl_rundb_errmsg(db));
    }
    rm_db(tmpdb);
    shown(sw->lines[i], pt, sizeof pt);
    if (late) {
        /* from a rank given up on: it gets no answer and leaves */
        if (ok && merged) {
            r->done++;
            sw->state[i] = DONE;
            printf("[%llu/%llu] point %llu (%s): finished on rank %d "
                   "(given up on before; recorded once)\n",
                   (unsigned long long)r->done, (unsigned long long)r->total,
                   (unsigned long long)i, pt, w);
        } else {
            printf("point %llu (%s): a late result from rank %d (given "
                   "up on), not recorded\n", (unsigned long long)i, pt, w);
        }
        fflush(stdout);
        return;
    }
    k->state = WK_IDLE;
    if (sw->state[i] == DONE) {
        printf("point %llu (%s): finished before by a late record; this "
               "run's record from rank %d not recorded\n",
               (unsigned long long)i, pt, w);
    } else if (hdr[1] == OUT_UNFIT) {
        requeue(r, i);
        k->state = WK_PARKED;
        printf("rank %d: %s; its point %llu handed out again\n", w, last,
               (unsigned long long)i);
    } else if (ok && merged) {
        r->done++;
        sw->state[i] = DONE;
        printf("[%llu/%llu] point %llu (%s): finished on rank %d%s%s%s\n",
               (unsigned long long)r->done, (unsigned long long)r->total,
               (unsigned long long)i, pt, w,
               *how ? " (its process then " : "", how, *how ? ")" : "");
    } else if (hdr[1] == OUT_SIGNAL && !stop_signal &&
               ++r->tries[i] < MPI_TRIES) {
        /* its process died, not the point's configuration: again,
         * on whichever rank asks next */
        requeue(r, i);
        printf("point %llu (%s): interrupted on rank %d (%s)%s%s; "
               "handed out again\n", (unsigned long long)i, pt, w, how,
               *last ? ": " : "", last);
    } else {
        r->done++;
        r->failed++;
        printf("[%llu/%llu] point %llu (%s): %s on rank %d (%s)%s%s\n",
               (unsigned long long)r->done, (unsigned long long)r->total,
               (unsigned long long)i, pt,
               hdr[1] == OUT_EXIT && hdr[2] == 130 ? "interrupted"
                                                   : "failed",
               w, ok ? "its record not merged" : how,
               *last ? ": " : "", last);
    }
    fflush(stdout);
}

/* Take a result from worker w (its header probed) and merge it. */
static void take_result(root *r, sl_rundb *db, int w, const char *tmpdb)
{
    worker *k = &r->wk[w];
    /* on the heap: leaked if a receive into it is abandoned; without
     * memory a static one takes the result, which is dropped */
    typedef struct {
        int64_t hdr[4];
        char last[512];
    } record;
    static record none;
    record *in = malloc(sizeof *in);
    int written = 0;
    int rc = mpi_receive(w, in ? in->hdr : none.hdr,
                         in ? in->last : none.last, sizeof none.last,
                         in ? tmpdb : "/dev/null", &written);
    if (rc == 0 && in)
        use_result(r, db, w, tmpdb, in->hdr, in->last, written);
    else if (k->state != WK_LOST)
        lose(r, w, rc ? "sent part of a result" : "out of memory");
    if (in)
        rm_db(tmpdb);
    if (rc != -2)
        free(in);
}

/* Rank 0: hand out the points to run, merge what comes back, give up on
 * silent workers. Returns the exit status. */
static int mpi_root(sweep *sw, sl_rundb *db, int size)
{
    root r = {.sw = sw, .size = size};
    r.queue = malloc((sw->n + 1) * sizeof *r.queue);
    r.tries = calloc(sw->n, sizeof *r.tries);
    r.wk = calloc((size_t)size, sizeof *r.wk);
    const char *td = getenv("TMPDIR");
    char dir[PATH_MAX], tmpdb[PATH_MAX + 16];
    int status = 1;
    if (!r.queue || !r.tries || !r.wk ||
        snprintf(dir, sizeof dir, "%s/spikelab-rank0-XXXXXX",
                 td && *td ? td : "/tmp") >= (int)sizeof dir ||
        !mkdtemp(dir)) {
        fprintf(stderr, "spikelab sweep: rank 0: %s\n",
                strerror(errno ? errno : ENOMEM));
        free(r.queue);
        free(r.tries);
        free(r.wk);
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }
    snprintf(tmpdb, sizeof tmpdb, "%s/received.db", dir);
    for (uint64_t i = 0; i < sw->n; i++)
        if (sw->state[i] == TODO)
            requeue(&r, i);
    r.total = r.count;
    double t0 = sl__mono_time(), end_asked = 0;
    for (int w = 1; w < size; w++)
        r.wk[w] = (worker){WK_IDLE, 0, t0, 0, 0};
    useconds_t us = 100;
    for (;;) {
        double now = sl__mono_time();
        int busy = 0, waiting = 0, answered = 1;
        for (int w = 1; w < size; w++) {
            worker *k = &r.wk[w];
            if (k->state == WK_IDLE && !stop_signal && !end_asked) {
                int64_t i = next_point(&r);
                if (i >= 0 && tell(&r, w, i) == 0) {
                    k->state = WK_BUSY;
                    k->point = (uint64_t)i;
                } else if (i >= 0) {
                    requeue(&r, (uint64_t)i); /* w given up on */
                }
            }
            busy += k->state == WK_BUSY;
            if (k->state == WK_IDLE || k->state == WK_PARKED) {
                waiting++;
                answered &= k->heard > end_asked;
            }
        }
        if (busy == 0 && !end_asked) {
            /* nothing runs, nothing will: ask the waiting workers for a
             * word, so none that died since its last one is told to
             * MPI_Finalize (which would hang) */
            end_asked = now;
            answered = waiting == 0;
            for (int w = 1; w < size; w++)
                if (r.wk[w].state == WK_IDLE || r.wk[w].state == WK_PARKED)
                    tell(&r, w, W_END);
        }
        if (end_asked && answered)
            break;
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag,
                       &st) != MPI_SUCCESS)
            flag = 0;
        if (flag && st.MPI_SOURCE > 0 && st.MPI_SOURCE < size) {
            int w = st.MPI_SOURCE;
            us = 100;
            if (st.MPI_TAG == TAG_RESULT) {
                take_result(&r, db, w, tmpdb);
                continue;
            }
            /* a beat, or the rest of a result given up on: drained, by
             * a deadline (its sender may have died midway) */
            int n = 0;
            static char b; /* no memory: taken truncated into b */
            MPI_Get_count(&st, MPI_BYTE, &n);
            char *buf = malloc(n > 0 ? (size_t)n : 1);
            int rc = recv_by(buf ? buf : &b, buf ? n : 0, MPI_BYTE, w,
                             st.MPI_TAG, sl__mono_time() + rank_timeout,
                             NULL);
            if (rc != -2)
                free(buf); /* else MPI's for good */
            if (rc == 0 && st.MPI_TAG == TAG_BEAT &&
                r.wk[w].state != WK_LOST) {
                r.wk[w].heard = sl__mono_time();
                r.wk[w].spoke = 1;
            }
            else if (rc == -2 && r.wk[w].state != WK_LOST)
                lose(&r, w, "sent part of a message");
            continue;
        }
        /* every message taken: who has been silent too long? */
        now = sl__mono_time();
        for (int w = 1; w < size; w++) {
            worker *k = &r.wk[w];
            if (k->state == WK_LOST)
                continue;
            /* a worker's first word waits for its own checks of the
             * points, as its wait for ours (mpi_worker) */
            if (now - k->heard > (k->spoke ? 1 : 10) * rank_timeout) {
                char why[64];
                snprintf(why, sizeof why, "no word for %.0f s",
                         now - k->heard);
                lose(&r, w, why);
            } else if (k->state != WK_BUSY && !end_asked &&
                       now - k->told >= beat_interval()) {
                tell(&r, w, W_WAIT);
            }
        }
        usleep(us);
        if (us < 10000)
            us *= 2;
    }
    int64_t fin = r.lost ? W_STOP_LOST : W_STOP;
    for (int w = 1; w < size; w++)
        if (r.wk[w].state == WK_IDLE || r.wk[w].state == WK_PARKED)
            tell(&r, w, fin);
    if (r.lost)
        skip_finalize = 1;
    rmdir(dir);
    uint64_t left = 0;
    while (next_point(&r) >= 0)
        left++;
    double el = sl__mono_time() - t0;
    if (left && !stop_signal)
        fprintf(stderr, "spikelab sweep: %llu points not run: no worker "
                "rank left that can run them; the same command runs them\n",
                (unsigned long long)left);
    fprintf(stderr, "sweep %s: %llu of %llu points run on %d worker ranks "
            "in %.1f s (%.3g points/s): %llu finished, %llu failed or "
            "interrupted", sw->id, (unsigned long long)r.done,
            (unsigned long long)r.total, size - 1, el,
            el > 0 ? (double)r.done / el : 0.0,
            (unsigned long long)(r.done - r.failed),
            (unsigned long long)r.failed);
    if (r.lost)
        fprintf(stderr, "; %d rank%s given up on", r.lost,
                r.lost > 1 ? "s" : "");
    fputc('\n', stderr);
    if (stop_signal)
        status = 130;
    else
        status = r.failed || r.done < r.total ? 1 : 0;
    free(r.queue);
    free(r.tries);
    free(r.wk);
    return status;
}
#endif

/* The command; rank and size of MPI_COMM_WORLD under mpirun (size > 1:
 * rank 0 owns the database, the others run points), else 0 and 1. */
static int sweep_main(int argc, char **argv, int rank, int size)
{
    sweep sw = {0};
    char **args = calloc((size_t)argc + 1, sizeof *args);
    int n_args = 0, yes = 0, list = 0, status = 2, released = 0;
    int worker_done = 0;
    long jobs = 0, seeds = 0;
    unsigned long long shard_i = 0, shard_n = 1;
    const char *dbarg = NULL;
    char msg[512];
    sl_rundb *db = NULL;
    sw.threads = 1;
    if (!args)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            if (rank == 0)
                fputs(usage, stdout);
            free(args);
            return 0;
        } else if (strcmp(a, "--db") == 0 && has) {
            dbarg = argv[++i];
        } else if (strcmp(a, "--name") == 0 && has) {
            sw.name = argv[++i];
        } else if (strcmp(a, "--yes") == 0) {
            yes = 1;
        } else if (strcmp(a, "--list") == 0) {
            list = 1;
        } else if (strcmp(a, "--jobs") == 0 && has) {
            if ((jobs = num_arg("--jobs", argv[++i], 1, 1024)) < 0)
                goto out;
        } else if (strcmp(a, "--rank-timeout") == 0 && has) {
            long t = num_arg("--rank-timeout", argv[++i], 1, 86400);
            if (t < 0)
                goto out;
#ifdef SL_HAVE_MPI
            rank_timeout = (double)t;
#endif
        } else if (strcmp(a, "--threads") == 0 && has) {
            if ((sw.threads = num_arg("--threads", argv[++i], 1, 4096)) < 0)
                goto out;
        } else if (strcmp(a, "--seeds") == 0 && has) {
            if ((seeds = num_arg("--seeds", argv[++i], 1,
                                 SL__SWEEP_MAX_VALUES)) < 0)
                goto out;
        } else if (strcmp(a, "--shard") == 0 && has) {
            const char *v = argv[++i];
            int used = 0;
            if (sscanf(v, "%llu/%llu%n", &shard_i, &shard_n, &used) != 2 ||
                v[used] || !(v[0] >= '0' && v[0] <= '9') || shard_n == 0 ||
                shard_n > 1000000 || shard_i >= shard_n) {
                fprintf(stderr, "spikelab sweep: --shard takes I/N with "
                        "0 <= I < N (e.g. 3/10), not '%s'\n", v);
                goto out;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "spikelab sweep: unknown option '%s' (or missing "
                    "its value)\n%s", a, usage);
            goto out;
        } else if (!sw.file) {
            sw.file = a;
        } else {
            if (sl__sweep_parse(&sw.spec, a, msg, sizeof msg)) {
                fprintf(stderr, "spikelab sweep: %s\n", msg);
                goto out;
            }
            args[n_args++] = argv[i];
        }
    }
    if (!sw.file) {
        fprintf(stderr, "spikelab sweep: no experiment file given\n%s", usage);
        goto out;
    }
    if (seeds > 0) {
        char tok[64];
        snprintf(tok, sizeof tok, "seed=range(0,%ld)", seeds);
        if (sl__sweep_find(&sw.spec, "seed") >= 0) {
            fprintf(stderr, "spikelab sweep: --seeds and a seed=... "
                    "argument: give one\n");
            goto out;
        }
        if (sl__sweep_parse(&sw.spec, tok, msg, sizeof msg)) {
            fprintf(stderr, "spikelab sweep: %s\n", msg);
            goto out;
        }
    }
    if (sl__sweep_find(&sw.spec, "threads") >= 0) {
        fprintf(stderr, "spikelab sweep: 'threads' is set by --threads\n");
        goto out;
    }
    sw.n = sl__sweep_n_points(&sw.spec);
    if (sw.n > MAX_POINTS) {
        fprintf(stderr, "spikelab sweep: %llu points: more than the %d a "
                "sweep can hold; split the grid\n", (unsigned long long)sw.n,
                MAX_POINTS);
        goto out;
    }
    if (sw.n > CONFIRM_POINTS && !yes && !list) {
        fprintf(stderr, "spikelab sweep: %llu points (more than %d): give "
                "--yes to run them\n", (unsigned long long)sw.n,
                CONFIRM_POINTS);
        goto out;
    }
    {
        sl__err err;
        size_t len;
        sl__err_clear(&err);
        if (sl__file_read(sw.file, 64u << 20, SL__FILE_REGULAR, &sw.text,
                          &len, &err) != SL_OK) {
            fprintf(stderr, "spikelab sweep: %s\n", err.msg);
            goto out;
        }
        if (!(sw.abs = realpath(sw.file, NULL))) {
            fprintf(stderr, "spikelab sweep: %s: %s\n", sw.file,
                    strerror(errno));
            goto out;
        }
    }
    snprintf(sw.threads_ov, sizeof sw.threads_ov, "threads=%ld", sw.threads);
    /* The points start with OpenBLAS at one thread. `spikelab run` sets
     * it to one in main(), but the library has already started a thread
     * per CPU when it was loaded, and those threads spin (sched_yield) for
     * about 0.1 s before they sleep: with --jobs 2 on two cores, each
     * short point's spinning thread took the CPU the other point needed
     * (bench/sweep_jobs.sh: 1.49x with them, see bench/README.md). Only
     * when the user has not set it: the children inherit it. */
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    if (build(&sw, args, n_args, seeds)) {
        fprintf(stderr, "spikelab sweep: out of memory\n");
        status = 1;
        goto out;
    }
    if (jobs == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = cpus > 0 ? cpus / sw.threads : 1;
        if (jobs < 1)
            jobs = 1;
    }
    if (!list && (status = check_points(&sw)))
        goto out;
    if (size > 1 && shard_n > 1) {
        fprintf(stderr, "spikelab sweep: --shard and mpirun: give one (under "
                "mpirun the ranks share the points)\n");
        goto out;
    }
#ifdef SL_HAVE_MPI
    if (size > 1 && rank > 0) {
        /* a worker never opens the database */
        worker_done = 1;
        status = list ? 0 : mpi_worker(&sw, rank, 1);
        goto out;
    }
#endif
    /* a shard's database: its own file unless one is named */
    char shard_db[PATH_MAX];
    sw.db_path = sl_rundb_default_path(dbarg);
    if (shard_n > 1 && !dbarg && !getenv("SPIKELAB_DB")) {
        snprintf(shard_db, sizeof shard_db, "spikelab-shard-%llu-of-%llu.db",
                 shard_i, shard_n);
        sw.db_path = shard_db;
    }
    status = 1;
    if (sl_rundb_open(sw.db_path, list ? SL_RUNDB_READONLY : SL_RUNDB_CREATE,
                      &db) != SL_OK) {
        if (list) {
            /* no database yet: nothing has run */
            sl_rundb_close(db);
            db = NULL;
        } else {
            fprintf(stderr, "spikelab sweep: %s\n", sl_rundb_errmsg(db));
            goto out;
        }
    }
    if (!list) {
        sl_sweep_info info = {.struct_size = sizeof info, .id = sw.id,
                              .name = sw.name, .config_path = sw.abs,
                              .spec = sw.spec_text, .points = sw.points,
                              .n_points = (int64_t)sw.n};
        int created = 0;
        if (sl_rundb_sweep_record(db, &info, &created) != SL_OK) {
            fprintf(stderr, "spikelab sweep: %s\n", sl_rundb_errmsg(db));
            goto out;
        }
    }
    if (db && read_states(&sw, db))
        goto out;
    uint64_t in_shard = 0, finished = 0, busy = 0;
    for (uint64_t i = 0; i < sw.n; i++) {
        if (i % shard_n != shard_i)
            continue;
        in_shard++;
        finished += sw.state[i] == DONE;
        busy += sw.state[i] == BUSY;
    }
    if (list) {
        char pt[512];
        printf("sweep %s: %llu points\n", sw.id, (unsigned long long)sw.n);
        for (uint64_t i = 0; i < sw.n; i++) {
            if (i % shard_n != shard_i)
                continue;
            printf("%6llu  %-9s", (unsigned long long)i,
                   sw.state[i] == DONE ? "finished"
                   : sw.state[i] == BUSY ? "running" : "to run");
            if (sw.run_of[i])
                printf(" run %-6lld", (long long)sw.run_of[i]);
            else
                printf(" %-10s", "");
            printf("  %s\n", shown(sw.lines[i], pt, sizeof pt));
        }
        status = 0;
        goto out;
    }
#ifdef SL_HAVE_MPI
    if (size > 1) {
        printf("sweep %s%s%s: %llu points; %llu finished before, %llu "
               "running elsewhere; %d worker ranks -> %s\n", sw.id,
               sw.name ? " " : "", sw.name ? sw.name : "",
               (unsigned long long)sw.n, (unsigned long long)finished,
               (unsigned long long)busy, size - 1, sw.db_path);
        fflush(stdout);
        released = 1;
        status = mpi_root(&sw, db, size);
        goto summary;
    }
#endif
    sl_rundb_close(db);
    db = NULL;
    printf("sweep %s%s%s: %llu points", sw.id, sw.name ? " " : "",
           sw.name ? sw.name : "", (unsigned long long)sw.n);
    if (shard_n > 1)
        printf(", shard %llu/%llu: %llu of them", shard_i, shard_n,
               (unsigned long long)in_shard);
    printf("; %llu finished before, %llu running elsewhere; %ld at a time "
           "-> %s\n", (unsigned long long)finished, (unsigned long long)busy,
           jobs, sw.db_path);
    fflush(stdout);
    status = run_points(&sw, jobs, shard_i, shard_n);
#ifdef SL_HAVE_MPI
summary:
#endif
    if (status == 0)
        printf("sweep %s: done; `spikelab sweep-summary %s%s%s`\n", sw.id,
               sw.id, dbarg || shard_n > 1 ? " --db " : "",
               dbarg || shard_n > 1 ? sw.db_path : "");
out:
#ifdef SL_HAVE_MPI
    /* rank 0 gave up before handing out anything (--list hands out
     * nothing and the workers wait for nothing): release the workers */
    for (int w = 1; size > 1 && rank == 0 && !released && !list && w < size;
         w++)
        send_word(w, W_GAVE_UP, sl__mono_time() + rank_timeout);
    /* a worker whose checks failed: told by rank 0 whether it failed too
     * (then rank 0 said it) or runs the sweep (then we say why not) */
    if (size > 1 && rank > 0 && !worker_done && status != 0 && !list)
        status = mpi_worker(&sw, rank, 0);
    release_stderr(0, rank); /* --list: rank 0 lists */
#else
    (void)rank;
    (void)released;
    (void)worker_done;
#endif
    sl_rundb_close(db);
    sweep_free(&sw);
    free(args);
    return status;
}

int sl__cmd_sweep(int argc, char **argv)
{
#ifdef SL_HAVE_MPI
    if (under_mpirun()) {
        int rank = 0, size = 1;
        if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
            fprintf(stderr, "spikelab sweep: MPI_Init failed\n");
            return 1;
        }
        mpi_started = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        if (size > 1) {
            /* a stop reaches every rank (mpirun forwards it) and each
             * point's process; the ranks then report and finish */
            sigaction(SIGINT, &sa, &old_int);
            sigaction(SIGTERM, &sa, &old_term);
        }
        /* errors of the arguments: rank 0's alone (capture_stderr) */
        if (size > 1 && rank > 0)
            capture_stderr();
        /* a lost worker must not stop rank 0 (the default handler
         * aborts the job on an error) */
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
        int status = sweep_main(argc, argv, rank, size);
        if (size > 1) {
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
        }
        fflush(stdout);
        fflush(stderr);
        /* after a lost rank MPI_Finalize would wait for it for ever; one
         * that dies after the last word (after every check) makes it
         * hang too, so it gets a deadline: the records are written */
        if (!skip_finalize) {
            finalize_status = status;
            signal(SIGALRM, on_finalize_alarm);
            alarm((unsigned)(2 * rank_timeout) + 10);
            MPI_Finalize();
            alarm(0);
        }
        return status;
    }
#endif
    return sweep_main(argc, argv, 0, 1);
}
