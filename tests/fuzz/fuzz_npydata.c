/*
 * tests/fuzz/fuzz_npydata.c — the "npy" dataset of filedata.so
 * (plugins/filedata/npy.c, compiled in): the .npy header parser, the
 * .npz (zip, zip64, stored and deflated members) reader and the checks of
 * inputs and targets.
 *
 * Input: byte 0 picks the form (bit 0: the targets file is a second
 * array, else the inputs file again; bit 1: name members "x" and "y" in
 * an .npz), bytes 1-2 (little-endian) where the inputs file ends; the
 * rest is the two files' bytes. Both are written to a private directory
 * and given to the component as a run does; an accepted data set must
 * give finite samples of its announced shape.
 */
#include <stdio.h>
#include <string.h>

#include "filedata_fuzz.h"
#include "fuzz.h"
#include "../../plugins/filedata/filedata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > FUZZ_MAX_INPUT)
        return 0;
    int form = data[0];
    size_t cut = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (cut > size)
        cut = size;
    char xp[512], yp[512], text[1400];
    const char *p = fuzz_write_file("x.npy", data, cut);
    if (!p)
        return 0;
    snprintf(xp, sizeof xp, "%s", p);
    p = (form & 1) ? fuzz_write_file("y.npy", data + cut, size - cut) : xp;
    if (!p)
        return 0;
    snprintf(yp, sizeof yp, "%s", p);
    snprintf(text, sizeof text, "inputs = \"%s\"; targets = \"%s\";%s", xp,
             yp, (form & 2) ? " inputs_member = \"x\"; targets_member = "
                              "\"y\";" : "");
    fz_dataset(&fd__npy_iface, text);
    return 0;
}
