/*
 * tests/fuzz/fuzzutil.c — the harnesses' private directory (fuzz.h).
 * A directory of our own rather than /proc/self/fd paths of a memfd:
 * the config loader resolves @include against the file's directory, and
 * /proc/self/fd/ would let "@include \"0\"" read the fuzzer's stdin.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[PATH_MAX];
static char files[8][64];
static int n_files;

static void cleanup(void)
{
    char path[sizeof dir + sizeof files[0] + 1];
    for (int i = 0; i < n_files; i++) {
        snprintf(path, sizeof path, "%s/%.63s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

const char *fuzz_tmpdir(void)
{
    if (dir[0])
        return dir;
    const char *t = getenv("TMPDIR");
    if (snprintf(dir, sizeof dir, "%s/spikelab-fuzz-XXXXXX",
                 t && *t ? t : "/tmp") >= (int)sizeof dir ||
        mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return NULL;
    }
    atexit(cleanup);
    return dir;
}

const char *fuzz_write_file(const char *name, const uint8_t *data,
                            size_t size)
{
    static char path[sizeof dir + sizeof files[0] + 1];
    if (fuzz_tmpdir() == NULL || strlen(name) >= sizeof files[0])
        return NULL;
    int known = 0;
    for (int i = 0; i < n_files; i++)
        known |= strcmp(files[i], name) == 0;
    if (!known) {
        if (n_files == (int)(sizeof files / sizeof files[0]))
            return NULL;
        strcpy(files[n_files++], name);
    }
    snprintf(path, sizeof path, "%s/%.63s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return NULL;
    int ok = fwrite(data, 1, size, f) == size;
    ok &= fclose(f) == 0;
    return ok ? path : NULL;
}
