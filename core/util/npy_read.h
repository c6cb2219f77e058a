/* core/util/npy_read.h — reading a .npy file a user gives (parameters
 * from files: `params = { weight = "w.npy"; }`), as float32.
 *
 * Unlike sl__npy_f32_data (npy.h), which reads back the images spikelab
 * wrote itself, this reader takes what NumPy writes on any machine:
 * format 1.0, 2.0 or 3.0; dtype float32 or float64 of either byte order
 * ('<f4', '>f4', '<f8', '>f8'); C order only ('fortran_order': True is
 * refused with the fix: np.ascontiguousarray); the payload exactly as
 * long as the shape says. Values are converted to float32 (float64 values
 * outside float32's range, NaN and infinities are refused with the index
 * of the first one), so a parameter never starts as NaN. */
#ifndef SL_CORE_NPY_READ_H
#define SL_CORE_NPY_READ_H

#include <stddef.h>

#include "util/err.h"
#include "util/npy.h"

typedef struct sl__npy_array {
    size_t ndim;
    size_t shape[SL__NPY_MAX_DIM];
    size_t count;      /* product of shape (1 for a scalar) */
    char descr[8];     /* as the file says: "<f4", ">f8", ... */
    float *data;       /* count values, malloc'd, owned (sl__npy_array_free) */
} sl__npy_array;

/* Decode the image b[size] (borrowed). On failure a message saying what
 * is wrong, prefixed with `name` (the file, in messages), SL_EDATA (not a
 * .npy of a supported kind, truncated, NaN) or SL_ENOMEM; *a is then
 * empty. */
int sl__npy_decode(const unsigned char *b, size_t size, const char *name,
                   sl__npy_array *a, sl__err *err);
/* Read the file at path (a regular file, at most 1 GiB) and decode it.
 * SL_EIO when it cannot be read, else as sl__npy_decode. */
int sl__npy_read_file(const char *path, sl__npy_array *a, sl__err *err);
/* "(2, 60)" into buf; returns buf. */
char *sl__npy_shape_text(const size_t *shape, size_t ndim, char *buf,
                         size_t len);
void sl__npy_array_free(sl__npy_array *a);

#endif
