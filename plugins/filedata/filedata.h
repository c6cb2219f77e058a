/* plugins/filedata/filedata.h — internal to filedata.so: the three file
 * datasets (npy.c, idx.c, events.c) and what they share (filedata.c). */
#ifndef SL_PLUGIN_FILEDATA_H
#define SL_PLUGIN_FILEDATA_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"

#define FD_MAX_FILES 4
#define FD_MAX_NOTES 6

/* What a dataset was read from (SL_DATASET_EXT_SOURCE); the strings are
 * borrowed from the context (paths) or held in val[] (notes). */
typedef struct fd_source {
    sl_dataset_source pub;
    const char *roles[FD_MAX_FILES], *paths[FD_MAX_FILES];
    const char *keys[FD_MAX_NOTES], *vals[FD_MAX_NOTES];
    char valbuf[FD_MAX_NOTES][128];
} fd_source;

void fd__source_init(fd_source *s);
void fd__source_file(fd_source *s, const char *role, const char *path);
void fd__source_note(fd_source *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Read an integer key into a size_t within [lo, hi]. */
int fd__get_count(const sl_host *h, sl_ctx *ctx, const char *key,
                  int64_t def, int64_t lo, int64_t hi, size_t *out);

/* n_steps = duration / dt when it is a whole number (the datasets'
 * rule), else an error naming `key`. */
int fd__steps(const sl_host *h, sl_ctx *ctx, const char *key,
              double duration, double dt, size_t *out);

/* A read-only mapping of a whole file (mmap), so that arrays larger than
 * memory are paged in on demand. */
typedef struct fd_map {
    const uint8_t *p;
    size_t n;
} fd_map;

/* Map `path`; on failure fills why (the reason, without the path) and
 * returns SL_EIO. An empty file maps to p = NULL, n = 0. */
int fd__map(const char *path, fd_map *m, char *why, size_t why_len);
void fd__unmap(fd_map *m);

/* --- npy.c: the .npy format (header, dtype, shape) --- */
enum { FD_F32 = 1, FD_F64, FD_U8, FD_BOOL, FD_I8, FD_I16, FD_I32, FD_I64,
       FD_U16, FD_U32, FD_U64 };
typedef struct fd_npy {
    int dtype;            /* FD_* */
    size_t itemsize;
    uint32_t ndim;
    size_t shape[8];
    size_t count;         /* elements */
    const uint8_t *data;  /* first element */
} fd_npy;

/* Parse an .npy image p[0..n): header, little-endian supported dtype,
 * C order, data of exactly the shape's size. On failure why says what is
 * wrong and SL_EDATA is returned. */
int fd__npy_parse(const uint8_t *p, size_t n, fd_npy *out, char *why,
                  size_t why_len);
/* Element i as a double. */
double fd__npy_get(const fd_npy *a, size_t i);

/* The components' interfaces and settings tables (descriptor in
 * filedata.c); the tables' lengths are fixed here so that the descriptor
 * is static data and a table that grows without its count fails to
 * compile. */
#define FD_NPY_NSET 6
#define FD_IDX_NSET 11
#define FD_EVENTS_NSET 9
extern const sl_dataset_iface fd__npy_iface, fd__idx_iface,
    fd__events_iface;
extern const sl_setting fd__npy_settings[FD_NPY_NSET];
extern const sl_setting fd__idx_settings[FD_IDX_NSET];
extern const sl_setting fd__events_settings[FD_EVENTS_NSET];

#endif
