/*
 * tests/fuzz/fuzz_events.c — the "events" dataset of filedata.so
 * (plugins/filedata/events.c, compiled in): an HDF5 file in the SHD
 * layout read through libhdf5, the layout checks, the event checks and
 * the binning.
 *
 * Input: the file's bytes, written to a private directory (libhdf5 reads
 * paths); the component reads it with 20 steps of 50 ms, 700 units pooled
 * by 7, 20 classes. An accepted data set must give finite samples (the
 * binned counts) of its announced shape. What this harness exercises is
 * spikelab's reader; libhdf5's own parser runs under it uninstrumented
 * (Debian's build), so a crash inside libhdf5 on a corrupt file is the
 * library's (report it with the input).
 */
#include <stdio.h>
#include <string.h>

#include "filedata_fuzz.h"
#include "fuzz.h"
#include "../../plugins/filedata/filedata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    const char *p = fuzz_write_file("shd.h5", data, size);
    if (!p)
        return 0;
    char text[700];
    snprintf(text, sizeof text, "file = \"%s\"; duration = 1.0; dt = 5e-2; "
             "n_units = 700; pool = 7; n_classes = 20;", p);
    fz_dataset(&fd__events_iface, text);
    return 0;
}
