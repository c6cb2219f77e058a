/*
 * plugins/filedata/filedata.c — datasets read from files: "npy" (NumPy
 * arrays, npy.c), "idx" (MNIST-format IDX images and labels, idx.c) and
 * "events" (spike-event recordings in HDF5 with the layout of the
 * Spiking Heidelberg Digits, events.c); the plugin descriptor and what
 * the three share.
 *
 * Every file is checked whole when the dataset is created (header, sizes,
 * labels in range, no NaN), so that a bad file stops the run before
 * training with the file named; each dataset answers
 * SL_DATASET_EXT_SOURCE with its files, which the core hashes into the
 * run's record.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filedata.h"

#define FILEDATA_VERSION "0.1.0"

void fd__source_init(fd_source *s)
{
    memset(s, 0, sizeof *s);
    s->pub.struct_size = sizeof s->pub;
    s->pub.roles = s->roles;
    s->pub.paths = s->paths;
    s->pub.note_keys = s->keys;
    s->pub.note_values = s->vals;
}

void fd__source_file(fd_source *s, const char *role, const char *path)
{
    if (s->pub.n_files == FD_MAX_FILES)
        return;
    s->roles[s->pub.n_files] = role;
    s->paths[s->pub.n_files++] = path;
}

void fd__source_note(fd_source *s, const char *key, const char *fmt, ...)
{
    if (s->pub.n_notes == FD_MAX_NOTES)
        return;
    size_t k = s->pub.n_notes++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->valbuf[k], sizeof s->valbuf[k], fmt, ap);
    va_end(ap);
    s->keys[k] = key;
    s->vals[k] = s->valbuf[k];
}

int fd__get_count(const sl_host *h, sl_ctx *ctx, const char *key,
                  int64_t def, int64_t lo, int64_t hi, size_t *out)
{
    int64_t v;
    int rc = h->xGetInt(ctx, key, def, &v);
    if (rc != SL_OK)
        return rc;
    if (v < lo || v > hi)
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s = %lld is out of range %lld..%lld", key,
                         (long long)v, (long long)lo, (long long)hi);
    *out = (size_t)v;
    return SL_OK;
}

int fd__steps(const sl_host *h, sl_ctx *ctx, const char *key,
              double duration, double dt, size_t *out)
{
    double steps = duration / dt, r = nearbyint(steps);
    if (!(r >= 1))
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s = %g s is shorter than one step of dt = %g s",
                         key, duration, dt);
    /* 0.5/1e-3 is 499.99999999999994 in double: allow rounding noise */
    if (fabs(steps - r) > 1e-6 * r || r > 1e8)
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s / dt = %.9g is not a whole number of steps; "
                         "make %s a multiple of dt", key, steps, key);
    *out = (size_t)r;
    return SL_OK;
}

int fd__map(const char *path, fd_map *m, char *why, size_t why_len)
{
    m->p = NULL;
    m->n = 0;
    /* O_NONBLOCK: a FIFO named by mistake must not hang the run */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_len, "cannot open it: %s", strerror(errno));
        return SL_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "not a regular file");
        close(fd);
        return SL_EIO;
    }
    if (st.st_size == 0) {
        close(fd);
        return SL_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(why, why_len, "cannot map it: %s", strerror(errno));
        return SL_EIO;
    }
    m->p = p;
    m->n = (size_t)st.st_size;
    return SL_OK;
}

void fd__unmap(fd_map *m)
{
    if (m->p)
        munmap((void *)m->p, m->n);
    m->p = NULL;
    m->n = 0;
}

static const sl_component fd_components[] = {
    {sizeof(sl_component), SL_KIND_DATASET, "npy",
     "NumPy arrays: inputs [N][T][C] (.npy or an .npz member; float32, "
     "float64, uint8, bool) with class labels [N] or target sequences "
     "[N][T][K]; memory-mapped",
     &fd__npy_iface, FD_NPY_NSET, fd__npy_settings},
    {sizeof(sl_component), SL_KIND_DATASET, "idx",
     "MNIST-format IDX images and labels (gzip or plain), encoded as a "
     "constant current, a Bernoulli or Poisson rate code, or a latency "
     "code",
     &fd__idx_iface, FD_IDX_NSET, fd__idx_settings},
    {sizeof(sl_component), SL_KIND_DATASET, "events",
     "spike-event recordings in HDF5 with the Spiking Heidelberg Digits "
     "layout (spikes/times, spikes/units, labels), binned to dt, optional "
     "channel pooling",
     &fd__events_iface, FD_EVENTS_NSET, fd__events_settings},
};

static const sl_plugin_desc fd_desc =
    SL_PLUGIN_DESC("filedata", FILEDATA_VERSION,
                   "datasets from files: npy, idx, events (HDF5)",
                   fd_components);

/* The plugin's only exported symbol: returns the static descriptor. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &fd_desc;
}
