/* tests/fuzz/filedata_fuzz.h — what the harnesses of filedata.so's
 * readers (fuzz_npydata, fuzz_idx, fuzz_events) share: create a dataset
 * component of the plugin (compiled in) from a settings text, as the core
 * does, and read samples through it. */
#ifndef SL_TESTS_FILEDATA_FUZZ_H
#define SL_TESTS_FILEDATA_FUZZ_H

#include "spikelab/dataset.h"

/* Create `iface`'s dataset with the settings `text` (the inside of a
 * libconfig group); when it accepts, read its first, middle and last
 * samples and check what must hold (a shape within bounds, finite
 * values, a one-hot or finite target), then destroy it. Returns 1 when
 * the data set was accepted, 0 when refused. */
int fz_dataset(const sl_dataset_iface *iface, const char *text);

#endif
