/* tests/datafiles.h — writers of small data files for the file-dataset
 * tests (test_filedata, mkdata, the fuzz seeds): .npy, .npz (stored or
 * deflated), IDX (plain or gzip) and HDF5 files in the SHD layout. Each
 * returns 0 on success, -1 on failure. Nothing is downloaded: the tests
 * build their own files. */
#ifndef SL_TESTS_DATAFILES_H
#define SL_TESTS_DATAFILES_H

#include <stddef.h>
#include <stdint.h>

/* A .npy image in memory (malloc'd into *buf): version 1.0 header with
 * descr (e.g. "<f4"), C order, the shape, then nbytes of data. */
int td_npy_image(const char *descr, const size_t *shape, int ndim,
                 const void *data, size_t nbytes, uint8_t **buf,
                 size_t *len);
int td_write_npy(const char *path, const char *descr, const size_t *shape,
                 int ndim, const void *data, size_t nbytes);
/* An .npz: member k is names[k] + ".npy" holding imgs[k][0..lens[k]);
 * compress != 0: deflated (np.savez_compressed), else stored. */
int td_write_npz(const char *path, int compress, size_t n,
                 const char *const *names, uint8_t *const *imgs,
                 const size_t *lens);
/* An IDX file of unsigned bytes; gz != 0: gzip'd. */
int td_write_idx(const char *path, int gz, const uint32_t *dims, int ndim,
                 const uint8_t *data);
/* An HDF5 file in the SHD layout: n samples, sample i has lens[i] events
 * times[i][k] (s, stored as float64 when f64, else float32) and units
 * [i][k] (uint16), label labels[i] (uint8). Flags leave parts out or
 * break them (TD_SHD_*). */
enum { TD_SHD_NO_LABELS = 1, TD_SHD_UNITS_PLAIN = 2 };
int td_write_shd(const char *path, size_t n, const double *const *times,
                 const int *const *units, const size_t *lens,
                 const int *labels, int f64, int flags);

#endif
