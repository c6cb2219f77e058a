/*
 * plugins/filedata/events.c — "events": spike-event recordings in HDF5
 * with the layout of the Spiking Heidelberg Digits and Spiking Speech
 * Commands files (Cramer et al. 2020, "The Heidelberg spiking data sets
 * for the systematic evaluation of spiking neural networks"):
 *
 *   /spikes/times  [N] variable-length arrays of event times, in s
 *   /spikes/units  [N] variable-length arrays of the events' channels
 *   /labels        [N] integer class labels
 *
 * (other objects, e.g. /extra, are ignored). Read with libhdf5, any float
 * type of times and any integer type of units and labels (HDF5 converts).
 *
 * Binning: sample i becomes a count sequence [n_steps][n_units/pool] with
 * n_steps = duration/dt; the event at time t falls into step k with
 * k·dt <= t < (k+1)·dt (numpy.histogram's half-open bins: an event on a
 * bin edge belongs to the later bin), so an event at t >= duration is
 * past the last bin: it is dropped and counted (the count is logged and
 * recorded with the run as data.NAME.events_dropped). Channel pooling:
 * unit u feeds channel u / pool (pool must divide n_units; 700 / 5 =
 * 140). A negative or NaN time, a unit outside 0..n_units-1, a label
 * outside 0..n_classes-1, or times and units of different lengths are
 * errors naming the file and sample; every sample is checked when the
 * dataset is created, in blocks, so the whole file is never held in
 * memory and xGet reads one sample.
 *
 * missing = "generate": when `file` does not exist, a small synthetic
 * file in the same layout is written to a temporary file (unlinked when
 * the dataset is destroyed) and read through the same code: the
 * experiment runs without the real data, says so in the log, and
 * records data.NAME.generated. Its samples: class c activates a sweep
 * over the units starting at a class-specific offset, plus background
 * events and a few past the duration; deterministic from `seed`.
 *
 * HDF5's own error printing is switched off (H5Eset_auto2): a plugin
 * never writes to stdout, and every failure is reported through xError.
 * libhdf5 is not thread-safe as Debian builds it: one dataset instance
 * must not be read from two threads at once.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "filedata.h"

#define BLOCK 256 /* samples per read while checking */

typedef struct ev_ds {
    const sl_host *host;
    sl_ctx *ctx;
    const char *path;    /* the file read: `file`, or the generated one */
    char tmp[64];        /* the generated file, "" if none */
    hid_t f, times, units, labels, fspace, mspace, vt_d, vt_u;
    size_t n, n_units, pool, n_steps, n_classes;
    double dt, duration;
    int64_t *label;      /* [n] */
    uint64_t dropped;
    fd_source src;
} ev_ds;

static void ev_close(ev_ds *d)
{
    hid_t *ids[] = {&d->vt_d, &d->vt_u};
    for (size_t i = 0; i < 2; i++)
        if (*ids[i] > 0)
            H5Tclose(*ids[i]);
    if (d->mspace > 0)
        H5Sclose(d->mspace);
    if (d->fspace > 0)
        H5Sclose(d->fspace);
    hid_t *ds[] = {&d->times, &d->units, &d->labels};
    for (size_t i = 0; i < 3; i++)
        if (*ds[i] > 0)
            H5Dclose(*ds[i]);
    if (d->f > 0)
        H5Fclose(d->f);
    d->vt_d = d->vt_u = d->mspace = d->fspace = 0;
    d->times = d->units = d->labels = d->f = 0;
}

static void ev_destroy(void *self)
{
    ev_ds *d = self;
    if (!d)
        return;
    ev_close(d);
    if (d->tmp[0])
        unlink(d->tmp);
    d->host->xFree(d->label);
    d->host->xFree(d);
}

/* Open a 1-D dataset of n elements of type class `cls` (a VLEN of
 * `base`, or plain when base < 0). */
static int open_1d(ev_ds *d, const char *name, H5T_class_t cls, int base,
                   hid_t *out, size_t *n, char *why, size_t wl)
{
    htri_t ex = H5Lexists(d->f, name, H5P_DEFAULT);
    if (ex <= 0) {
        snprintf(why, wl, "not in the SHD layout: no dataset %s (needs "
                 "/spikes/times, /spikes/units, /labels)", name);
        return SL_EDATA;
    }
    H5O_info_t oi;
    if (H5Oget_info_by_name(d->f, name, &oi, H5P_DEFAULT) < 0 ||
        oi.type != H5O_TYPE_DATASET) {
        snprintf(why, wl, "not in the SHD layout: %s is not a dataset",
                 name);
        return SL_EDATA;
    }
    hid_t ds = H5Dopen2(d->f, name, H5P_DEFAULT);
    if (ds < 0) {
        snprintf(why, wl, "cannot open %s", name);
        return SL_EDATA;
    }
    *out = ds;
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    int ok = t >= 0 && sp >= 0 && H5Tget_class(t) == cls;
    if (ok && base >= 0) {
        hid_t st = H5Tget_super(t);
        ok = st >= 0 && H5Tget_class(st) == (H5T_class_t)base;
        if (st >= 0)
            H5Tclose(st);
    }
    hsize_t dims[2] = {0, 0};
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (ok && nd == 1)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (!ok || nd != 1) {
        snprintf(why, wl, "not in the SHD layout: %s must be a 1-D array "
                 "of %s", name, base < 0 ? "integers"
                 : base == H5T_FLOAT ? "variable-length float arrays"
                                     : "variable-length integer arrays");
        return SL_EDATA;
    }
    *n = (size_t)dims[0];
    return SL_OK;
}

/* Step of an event at time t (half-open bins, see the top); -1 past the
 * duration. */
static long bin_of(double t, double dt, size_t n_steps)
{
    double q = floor(t / dt);
    if (q >= (double)n_steps + 1)
        return -1;
    long k = (long)q;
    /* t/dt rounds: put events on an edge into the later bin exactly */
    if ((double)(k + 1) * dt <= t)
        k++;
    else if (k > 0 && (double)k * dt > t)
        k--;
    return k >= (long)n_steps ? -1 : k;
}

/* Read samples [first, first+cnt) into vt/vu (freed with reclaim). */
static int read_block(ev_ds *d, size_t first, size_t cnt, hvl_t *vt,
                      hvl_t *vu)
{
    hsize_t off = first, c = cnt;
    hid_t ms = H5Screate_simple(1, &c, NULL);
    if (ms < 0)
        return -1;
    int rc = -1;
    /* zeroed, so that after a read that fails part-way (a corrupt heap:
     * libhdf5 has then allocated the elements it converted and returns
     * an error without freeing them, a leak fuzz_events found) the
     * reclaim below frees exactly those */
    memset(vt, 0, cnt * sizeof *vt);
    memset(vu, 0, cnt * sizeof *vu);
    if (H5Sselect_hyperslab(d->fspace, H5S_SELECT_SET, &off, NULL, &c,
                            NULL) >= 0) {
        if (H5Dread(d->times, d->vt_d, ms, d->fspace, H5P_DEFAULT, vt) >= 0 &&
            H5Dread(d->units, d->vt_u, ms, d->fspace, H5P_DEFAULT, vu) >= 0)
            rc = 0;
        else {
            H5Dvlen_reclaim(d->vt_d, ms, H5P_DEFAULT, vt);
            H5Dvlen_reclaim(d->vt_u, ms, H5P_DEFAULT, vu);
        }
    }
    if (rc == 0) {
        /* kept for the reclaim: the memory space of this block */
        d->mspace = ms;
        return 0;
    }
    H5Sclose(ms);
    return rc;
}

static void reclaim_block(ev_ds *d, hvl_t *vt, hvl_t *vu)
{
    H5Dvlen_reclaim(d->vt_d, d->mspace, H5P_DEFAULT, vt);
    H5Dvlen_reclaim(d->vt_u, d->mspace, H5P_DEFAULT, vu);
    H5Sclose(d->mspace);
    d->mspace = 0;
}

/* Check sample i's events; count those past the duration. */
static int check_sample(ev_ds *d, size_t i, const hvl_t *vt, const hvl_t *vu)
{
    const sl_host *h = d->host;
    if (vt->len != vu->len)
        return h->xError(d->ctx, "file", SL_EDATA, "%s: sample %zu has %zu "
                         "times but %zu units", d->path, i, vt->len,
                         vu->len);
    if (vt->len && (!vt->p || !vu->p))
        return h->xError(d->ctx, "file", SL_EDATA, "%s: sample %zu: "
                         "unreadable events", d->path, i);
    const double *t = vt->p;
    const int64_t *u = vu->p;
    for (size_t k = 0; k < vt->len; k++) {
        if (!(t[k] >= 0) || !isfinite(t[k]))
            return h->xError(d->ctx, "file", SL_EDATA, "%s: sample %zu, "
                             "event %zu: time %g s is not a time >= 0",
                             d->path, i, k, t[k]);
        if (u[k] < 0 || (uint64_t)u[k] >= d->n_units)
            return h->xError(d->ctx, "n_units", SL_EDATA, "%s: sample %zu, "
                             "event %zu: unit %lld is out of range "
                             "(n_units = %zu)", d->path, i, k,
                             (long long)u[k], d->n_units);
        if (bin_of(t[k], d->dt, d->n_steps) < 0)
            d->dropped++;
    }
    return SL_OK;
}

/* ---- the generated stand-in file ---- */

static int write_vlen(hid_t f, const char *name, hid_t ftype, hid_t mtype,
                      const hvl_t *v, size_t n, hid_t dcpl)
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t ft = H5Tvlen_create(ftype), mt = H5Tvlen_create(mtype);
    hid_t ds = H5Dcreate2(f, name, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0
                 ? 0 : -1;
    if (ds >= 0)
        H5Dclose(ds);
    H5Tclose(ft);
    H5Tclose(mt);
    H5Sclose(sp);
    return rc;
}

static int generate(ev_ds *d, size_t n, uint64_t seed)
{
    const sl_host *h = d->host;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[sizeof d->tmp];
    if ((size_t)snprintf(path, sizeof path, "%s/spikelab-shd-XXXXXX",
                         dir) >= sizeof path)
        snprintf(path, sizeof path, "/tmp/spikelab-shd-XXXXXX");
    int fdesc = mkstemp(path);
    if (fdesc < 0)
        return h->xError(d->ctx, "missing", SL_EIO, "cannot create a "
                         "temporary file for the generated data: %s",
                         strerror(errno));
    close(fdesc);
    memcpy(d->tmp, path, sizeof path);
    size_t per = 40 + d->n_units / 10;
    hvl_t *vt = calloc(n, sizeof *vt), *vu = calloc(n, sizeof *vu);
    float *times = malloc(n * per * sizeof *times);
    uint16_t *units = malloc(n * per * sizeof *units);
    uint8_t *labels = malloc(n);
    int rc = SL_ENOMEM;
    if (!vt || !vu || !times || !units || !labels)
        goto out;
    sl_rng rng;
    h->xRngSeed(&rng, seed, "events.generate");
    for (size_t i = 0; i < n; i++) {
        size_t c = i % d->n_classes;
        labels[i] = (uint8_t)c;
        float *t = times + i * per;
        uint16_t *u = units + i * per;
        for (size_t k = 0; k < per; k++) {
            double r = h->xRngUniform(&rng);
            if (k < per * 3 / 4) {
                /* the class's sweep: unit rises with time from an offset */
                double s = (double)k / (double)(per * 3 / 4);
                t[k] = (float)(d->duration * (0.05 + 0.8 * s) +
                               0.02 * d->duration * r);
                u[k] = (uint16_t)(((size_t)(s * (double)d->n_units / 2) +
                                   c * d->n_units / d->n_classes) %
                                  d->n_units);
            } else {
                /* background, some of it past the duration */
                t[k] = (float)(d->duration * 1.1 * r);
                u[k] = (uint16_t)(h->xRngNext(&rng) % d->n_units);
            }
        }
        vt[i].len = vu[i].len = per;
        vt[i].p = t;
        vu[i].p = u;
    }
    rc = SL_EIO;
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        goto out;
    /* no modification times: the same seed gives the same bytes, and so
     * the same SHA-256 in the run's record */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, "spikes", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t ld = H5Dcreate2(f, "labels", H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
    int ok = g >= 0 && ld >= 0 &&
             H5Dwrite(ld, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      labels) >= 0 &&
             write_vlen(f, "spikes/times", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                        vt, n, dcpl) == 0 &&
             write_vlen(f, "spikes/units", H5T_STD_U16LE, H5T_NATIVE_UINT16,
                        vu, n, dcpl) == 0;
    if (ld >= 0)
        H5Dclose(ld);
    H5Sclose(sp);
    if (g >= 0)
        H5Gclose(g);
    H5Pclose(dcpl);
    H5Pclose(gcpl);
    if (H5Fclose(f) >= 0 && ok)
        rc = SL_OK;
out:
    free(vt);
    free(vu);
    free(times);
    free(units);
    free(labels);
    if (rc)
        return h->xError(d->ctx, "missing", rc, "cannot write the generated "
                         "SHD-layout file %s", path);
    return SL_OK;
}

/* Open the file and check all of it: the layout, every label and every
 * sample's events (in blocks of BLOCK samples). On failure the message is
 * with the host (xError) and the caller closes what is open. */
static int ev_check(ev_ds *d, const char *file)
{
    const sl_host *h = d->host;
    sl_ctx *ctx = d->ctx;
    size_t n_classes = d->n_classes;
    char why[512];
    int rc;
    if (H5Fis_hdf5(d->path) <= 0)
        return h->xError(ctx, "file", SL_EDATA, "%s: not an HDF5 file", file);
    d->f = H5Fopen(d->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (d->f < 0)
        return h->xError(ctx, "file", SL_EDATA, "%s: cannot be opened as "
                         "HDF5 (corrupt?)", file);
    size_t nt, nu, nl;
    if (H5Lexists(d->f, "/spikes", H5P_DEFAULT) <= 0)
        return h->xError(ctx, "file", SL_EDATA, "%s: not in the SHD layout: "
                         "no group /spikes (needs /spikes/times, "
                         "/spikes/units, /labels)", file);
    if ((rc = open_1d(d, "/spikes/times", H5T_VLEN, H5T_FLOAT, &d->times,
                      &nt, why, sizeof why)) ||
        (rc = open_1d(d, "/spikes/units", H5T_VLEN, H5T_INTEGER, &d->units,
                      &nu, why, sizeof why)) ||
        (rc = open_1d(d, "/labels", H5T_INTEGER, -1, &d->labels, &nl, why,
                      sizeof why)))
        return h->xError(ctx, "file", rc, "%s: %s", file, why);
    if (nt != nu || nt != nl || nt == 0)
        return h->xError(ctx, "file", SL_EDATA, "%s: %zu times, %zu units and "
                         "%zu labels: the SHD layout has one of each per "
                         "sample", file, nt, nu, nl);
    d->n = nt;
    d->fspace = H5Dget_space(d->times);
    d->vt_d = H5Tvlen_create(H5T_NATIVE_DOUBLE);
    d->vt_u = H5Tvlen_create(H5T_NATIVE_INT64);
    d->label = h->xAlloc(d->n * sizeof *d->label);
    if (d->fspace < 0 || d->vt_d < 0 || d->vt_u < 0 || !d->label)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    if (H5Dread(d->labels, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                d->label) < 0)
        return h->xError(ctx, "file", SL_EDATA, "%s: cannot read /labels",
                         file);
    for (size_t i = 0; i < d->n; i++)
        if (d->label[i] < 0 || (uint64_t)d->label[i] >= n_classes)
            return h->xError(ctx, "n_classes", SL_EDATA, "%s: label %lld of "
                             "sample %zu is out of range (n_classes = %zu)",
                             file, (long long)d->label[i], i, n_classes);
    hvl_t vt[BLOCK], vu[BLOCK];
    for (size_t first = 0; first < d->n; first += BLOCK) {
        size_t cnt = d->n - first < BLOCK ? d->n - first : BLOCK;
        if (read_block(d, first, cnt, vt, vu))
            return h->xError(ctx, "file", SL_EDATA, "%s: cannot read the "
                             "events of samples %zu..%zu (corrupt?)", file,
                             first, first + cnt - 1);
        rc = SL_OK;
        for (size_t k = 0; k < cnt && !rc; k++)
            rc = check_sample(d, first + k, &vt[k], &vu[k]);
        reclaim_block(d, vt, vu);
        if (rc)
            return rc;
    }
    return SL_OK;
}

/* libhdf5 (1.10.8, as Debian builds it) can loop forever or corrupt
 * memory on a damaged file: fuzz_events found a file on which H5Dread
 * never returns (in H5HG_read) and one on which it copies between
 * overlapping buffers (tests/fuzz/crashes/fuzz_events). So the whole
 * check runs first in a child process under a CPU limit (and a wall-clock
 * alarm, should it block); only when the child ran it to the end
 * (exit EV_ACCEPTED or EV_REFUSED) does this process run the same check
 * on the same bytes, which then ends the same way, now with its message
 * and its state. Any other end of the child (a signal, or the exit
 * status a sanitizer gives) is reported as a damaged file. The samples
 * later read one by one by xGet are the ones the child read in blocks.
 * Without fork (it fails), the check runs here unguarded, as before.
 * A file changed between the child's read and ours is outside this
 * guard (as it is outside every reader's). */
#define EV_ACCEPTED 0
#define EV_REFUSED 3
#define EV_CHILD_CPU_BASE 2  /* s of CPU, plus 1 s per EV_CHILD_MB_PER_S */
#define EV_CHILD_MB_PER_S 20 /* MB: reading is far faster than this */

static int ev_guard(ev_ds *d, const char *file)
{
    struct stat st;
    if (stat(d->path, &st) != 0)
        return SL_OK; /* the check itself says why */
    rlim_t cpu = EV_CHILD_CPU_BASE +
                 (rlim_t)((uint64_t)st.st_size / (EV_CHILD_MB_PER_S << 20));
    fflush(NULL); /* nothing buffered written twice */
    pid_t pid = fork();
    if (pid < 0)
        return SL_OK;
    if (pid == 0) {
        struct rlimit rl = {cpu, cpu};
        setrlimit(RLIMIT_CPU, &rl);
        alarm((unsigned)(cpu * 10));
        int rc = ev_check(d, file);
        _exit(rc == SL_OK ? EV_ACCEPTED : EV_REFUSED); /* no atexit, no free */
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            return SL_OK; /* cannot tell: check it here */
    if (WIFEXITED(ws) && (WEXITSTATUS(ws) == EV_ACCEPTED ||
                          WEXITSTATUS(ws) == EV_REFUSED))
        return SL_OK;
    int sig = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    return d->host->xError(d->ctx, "file", SL_EDATA, "%s: libhdf5 %s "
                           "reading it (%s %d): a damaged HDF5 file", file,
                           sig == SIGXCPU || sig == SIGALRM || sig == SIGKILL
                               ? "did not finish" : "failed",
                           sig ? "signal" : "exit status",
                           sig ? sig : WEXITSTATUS(ws));
}

static int ev_create(const sl_host *h, sl_ctx *ctx, void **self,
                     sl_dataset_info *info)
{
    const char *file, *missing;
    double duration, dt;
    size_t n_units, pool, n_classes, gen_n;
    int64_t seed;
    int rc;
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL, "sl_dataset_info too small");
    if ((rc = h->xGetString(ctx, "file", NULL, &file)) ||
        (rc = h->xGetFloat(ctx, "duration", 1.0, &duration)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)) ||
        (rc = fd__get_count(h, ctx, "n_units", 700, 1, 65536, &n_units)) ||
        (rc = fd__get_count(h, ctx, "pool", 1, 1, 65536, &pool)) ||
        (rc = fd__get_count(h, ctx, "n_classes", 20, 1, 65536,
                            &n_classes)) ||
        (rc = h->xGetString(ctx, "missing", "error", &missing)) ||
        (rc = fd__get_count(h, ctx, "generate_samples", 64, 1, 100000,
                            &gen_n)) ||
        (rc = h->xGetInt(ctx, "seed", 0, &seed)))
        return rc;
    if (!file)
        return h->xError(ctx, "file", SL_ECONFIG, "events needs file (an "
                         "HDF5 file in the SHD layout)");
    if (n_units % pool)
        return h->xError(ctx, "pool", SL_ECONFIG, "pool = %zu does not "
                         "divide n_units = %zu (e.g. 700 / 5 = 140)", pool,
                         n_units);
    size_t n_steps;
    if (!(dt > 0) || !(duration > 0))
        return h->xError(ctx, "duration", SL_ECONFIG, "duration and dt "
                         "must be > 0");
    if ((rc = fd__steps(h, ctx, "duration", duration, dt, &n_steps)))
        return rc;
    ev_ds *d = h->xAlloc(sizeof *d);
    if (!d)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    d->host = h;
    d->ctx = ctx;
    d->n_units = n_units;
    d->pool = pool;
    d->n_classes = n_classes;
    d->dt = dt;
    d->duration = duration;
    d->n_steps = n_steps;
    d->path = file;
    fd__source_init(&d->src);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct stat st;
    int st_rc = stat(file, &st), st_errno = errno;
    if (st_rc != 0 && st_errno == ENOENT &&
        strcmp(missing, "generate") == 0) {
        if (n_classes > 256) {
            rc = h->xError(ctx, "n_classes", SL_ECONFIG, "the generated "
                           "file holds at most 256 classes");
            goto fail;
        }
        if ((rc = generate(d, gen_n, (uint64_t)seed)))
            goto fail;
        d->path = d->tmp;
        h->xLog(ctx, SL_LOG_WARN, "%s is absent: using a GENERATED "
                "SHD-layout file instead (%zu synthetic samples, %zu "
                "classes), not the real data", file, gen_n, n_classes);
        fd__source_note(&d->src, "generated", "synthetic stand-in for "
                        "absent %s", file);
    } else if (st_rc != 0 || !S_ISREG(st.st_mode)) {
        rc = h->xError(ctx, "file", SL_EIO, "%s: %s", file,
                       st_rc != 0 ? strerror(st_errno)
                                  : "not a regular file");
        goto fail;
    }
    if ((rc = ev_guard(d, file)) || (rc = ev_check(d, file)))
        goto fail;
    if (d->dropped)
        h->xLog(ctx, SL_LOG_INFO, "%s: %llu events at or past duration = "
                "%g s dropped", file, (unsigned long long)d->dropped,
                duration);
    fd__source_file(&d->src, "file", d->path);
    fd__source_note(&d->src, "events_dropped", "%llu",
                    (unsigned long long)d->dropped);
    if (info) {
        info->n_samples = d->n;
        info->n_steps = n_steps;
        info->n_in = n_units / pool;
        info->n_out = n_classes;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = d;
    return SL_OK;
fail:
    ev_destroy(d);
    return rc;
}

/* Sample `index`: input [n_steps][n_units/pool] event counts, target
 * [1][n_classes] one-hot; caller-owned, either may be NULL. Reads the
 * sample's events from the file (libhdf5 allocates them). */
static int ev_get(void *self, size_t index, float *input, float *target)
{
    ev_ds *d = self;
    if (index >= d->n)
        return d->host->xError(d->ctx, NULL, SL_EINVAL, "events: sample %zu "
                               "requested, only %zu exist", index, d->n);
    if (target) {
        memset(target, 0, d->n_classes * sizeof *target);
        target[d->label[index]] = 1.0f;
    }
    if (!input)
        return SL_OK;
    size_t C = d->n_units / d->pool;
    memset(input, 0, d->n_steps * C * sizeof *input);
    hvl_t vt, vu;
    if (read_block(d, index, 1, &vt, &vu))
        return d->host->xError(d->ctx, "file", SL_EIO, "%s: cannot read "
                               "the events of sample %zu", d->path, index);
    const double *t = vt.p;
    const int64_t *u = vu.p;
    int rc = SL_OK;
    for (size_t k = 0; k < vt.len && k < vu.len; k++) {
        long b = bin_of(t[k], d->dt, d->n_steps);
        if (b < 0)
            continue;
        /* checked at creation; a file changed since is an error here */
        if (u[k] < 0 || (uint64_t)u[k] >= d->n_units) {
            rc = d->host->xError(d->ctx, "file", SL_EDATA, "%s changed "
                                 "while in use (sample %zu)", d->path,
                                 index);
            break;
        }
        input[(size_t)b * C + (size_t)u[k] / d->pool] += 1.0f;
    }
    reclaim_block(d, &vt, &vu);
    return rc;
}

static const void *ev_extension(void *self, const char *name)
{
    ev_ds *d = self;
    if (d && name && strcmp(name, SL_DATASET_EXT_SOURCE) == 0)
        return &d->src.pub;
    return NULL;
}

const sl_dataset_iface fd__events_iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .xCreate = ev_create,
    .xDestroy = ev_destroy,
    .xGet = ev_get,
    .xExtension = ev_extension,
};

const sl_setting fd__events_settings[FD_EVENTS_NSET] = {
    SL_SETTING(SL_SET_STRING, "file", NULL, NULL, SL_REQUIRED,
               "HDF5 file in the SHD layout (spikes/times, spikes/units, "
               "labels)"),
    SL_SETTING(SL_SET_FLOAT, "duration", "1.0", "s", SL_GT(0),
               "binned span of each sample (a whole number of dt); later "
               "events are dropped and counted"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "bin width (must equal network.dt)"),
    SL_SETTING(SL_SET_INT, "n_units", "700", NULL, SL_RANGE(1, 65536),
               "channels of the recording (SHD: 700); a unit outside is an "
               "error"),
    SL_SETTING(SL_SET_INT, "pool", "1", NULL, SL_RANGE(1, 65536),
               "units summed per input channel (must divide n_units: 700 "
               "/ 5 = 140)"),
    SL_SETTING(SL_SET_INT, "n_classes", "20", NULL, SL_RANGE(1, 65536),
               "classes (SHD: 20, SSC: 35); every label must be below it"),
    SL_SETTING(SL_SET_STRING, "missing", "error", NULL,
               SL_CHOICES("error|generate"),
               "when file does not exist: an error, or a small generated "
               "file in the same layout (logged and recorded)"),
    SL_SETTING(SL_SET_INT, "generate_samples", "64", NULL,
               SL_RANGE(1, 100000), "samples of the generated file"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "seed of the generated file's events"),
};
