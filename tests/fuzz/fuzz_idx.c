/*
 * tests/fuzz/fuzz_idx.c — the "idx" dataset of filedata.so
 * (plugins/filedata/idx.c, compiled in): the IDX reader (header, sizes,
 * gzip through zlib), the label checks and each encoding.
 *
 * Input: byte 0 picks the encoding (current, bernoulli, poisson,
 * latency, rows with current) and n_classes (10 or 256), bytes 1-2
 * (little-endian) where the images file ends; the rest is the images
 * file then the labels file, gzip'd or plain as the bytes say. An
 * accepted data set must give finite samples of its announced shape.
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
    static const char *const enc[5] = {
        "encoding = \"current\";", "encoding = \"bernoulli\";",
        "encoding = \"poisson\"; max_rate = 3000.0;",
        "encoding = \"latency\";",
        "encoding = \"current\"; layout = \"rows\"; normalise = \"standard\";"};
    int form = data[0];
    size_t cut = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (cut > size)
        cut = size;
    char ip[512], lp[512], text[1400];
    const char *p = fuzz_write_file("images", data, cut);
    if (!p)
        return 0;
    snprintf(ip, sizeof ip, "%s", p);
    if (!(p = fuzz_write_file("labels", data + cut, size - cut)))
        return 0;
    snprintf(lp, sizeof lp, "%s", p);
    snprintf(text, sizeof text, "images = \"%s\"; labels = \"%s\"; n_steps "
             "= 3; n_classes = %d; %s", ip, lp, (form & 8) ? 256 : 10,
             enc[(form & 7) % 5]);
    fz_dataset(&fd__idx_iface, text);
    return 0;
}
