/*
 * tests/fuzz/replay.c — main() for a harness built without libFuzzer
 * (./configure without --enable-fuzzing): feeds it each file named on the
 * command line once, as a libFuzzer binary does with file arguments, so
 * make check replays the checked-in corpus in every build. A crash aborts
 * the program (and names the file on stderr first, so the log shows which
 * input did it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        unsigned char *data = slurp(argv[i], &size);
        if (data == NULL) {
            fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
            return 1;
        }
        fprintf(stderr, "Running: %s\n", argv[i]);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    return 0;
}
