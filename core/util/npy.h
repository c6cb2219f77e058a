/* core/util/npy.h — NumPy .npy files of float32 arrays, for the trained
 * parameters and recorded traces a run stores as artifacts.
 *
 * Format 1.0 (numpy.lib.format): the magic "\x93NUMPY", version 1 0, a
 * little-endian uint16 header length, then an ASCII dict
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 60), }
 * padded with spaces and ended by '\n' so that the data starts at a
 * multiple of 64 bytes, then the data in C order. 'descr' names the
 * host's byte order ('<f4' or '>f4'), so the bytes are written as they
 * are in memory. numpy.load() reads the result.
 */
#ifndef SL_CORE_NPY_H
#define SL_CORE_NPY_H

#include <stddef.h>

#include "util/err.h"

#define SL__NPY_MAX_DIM 8

/* Encode data (prod(shape) float32 values, borrowed) as a .npy file image
 * in *out (malloc'd, owned by the caller) of *size bytes. ndim 0 is a
 * scalar (one value). SL_EINVAL for ndim > SL__NPY_MAX_DIM, SL_ENOMEM. */
int sl__npy_f32(const float *data, const size_t *shape, size_t ndim,
                void **out, size_t *size, sl__err *err);

/* The same for other types: kind 'f' (elsize 4 or 8), 'i' or 'u' (1, 2,
 * 4 or 8 bytes), in this host's byte order (integer event lists and
 * float64 figures of the simulate mode). SL_EINVAL for another type. */
int sl__npy_typed(const void *data, char kind, size_t elsize,
                  const size_t *shape, size_t ndim, void **out, size_t *size,
                  sl__err *err);

/* The float32 payload of a .npy image as sl__npy_f32 writes it (format
 * 1.0, 2.0 or 3.0, this host's byte order, C order): a pointer into b and
 * *count values; NULL when b is not one. */
const float *sl__npy_f32_data(const unsigned char *b, size_t size,
                              size_t *count);

/* The shape of such an image (what sl__npy_f32_data accepts): the
 * extents of its 'shape' tuple into shape[*ndim] (at most maxdim), and
 * its payload as sl__npy_f32_data gives it. NULL when b is not one, when
 * the tuple is malformed, has more than maxdim extents, or its product
 * is not the payload's count (a plot must not read past the values). */
const float *sl__npy_f32_shape(const unsigned char *b, size_t size,
                               size_t *shape, size_t maxdim, size_t *ndim);

/* The same for an int64 image ('<i8' on this little-endian host, as
 * sl__npy_typed writes 'i', 8: an evaluation's confusion matrix): the
 * payload's first byte (the values are not necessarily aligned in b:
 * read them with memcpy), NULL when b is not one. */
const unsigned char *sl__npy_i64_shape(const unsigned char *b, size_t size,
                                       size_t *shape, size_t maxdim,
                                       size_t *ndim);

#endif
