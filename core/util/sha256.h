/* core/util/sha256.h — SHA-256 (FIPS 180-4), used for the config hash of a run
 * and for the hashes of plugin files recorded with a run.
 *
 * A streaming context (init/update/final) plus two one-shot helpers that
 * give the digest as 64 lowercase hex digits. No allocation, no global
 * state; a context is plain data the caller owns. */
#ifndef SL_CORE_SHA256_H
#define SL_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define SL__SHA256_HEX_LEN 64 /* hex digits; buffers need one more for NUL */

typedef struct sl__sha256 {
    uint32_t h[8];       /* chaining state */
    uint64_t n_bytes;    /* total message length so far */
    uint8_t block[64];   /* partial block */
    size_t fill;         /* bytes used in block */
} sl__sha256;

void sl__sha256_init(sl__sha256 *s);
/* Hash n more bytes (data may be NULL when n is 0). */
void sl__sha256_update(sl__sha256 *s, const void *data, size_t n);
/* Write the 32-byte digest; the context must be re-initialised to reuse. */
void sl__sha256_final(sl__sha256 *s, uint8_t digest[32]);

/* Digest of a memory block as lowercase hex into out (65 bytes incl. NUL). */
void sl__sha256_hex(const void *data, size_t n,
                    char out[SL__SHA256_HEX_LEN + 1]);
/* Digest of a file's contents as lowercase hex. Returns SL_OK, or SL_EIO
 * with "PATH: reason" in err when the file cannot be read. */
int sl__sha256_file(const char *path, char out[SL__SHA256_HEX_LEN + 1],
                    sl__err *err);

#endif
