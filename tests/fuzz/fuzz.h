/*
 * tests/fuzz/fuzz.h — the one entry point every harness of tests/fuzz/
 * defines (libFuzzer's), and what the harnesses share.
 *
 * A harness takes any bytes, hands them to one decoder of outside input
 * through the code a real run uses, frees everything, prints nothing and
 * depends on nothing but the bytes. It returns 0; a crash, a sanitizer
 * report, a leak or an abort() from a broken invariant is the finding.
 * Built with --enable-fuzzing it links libFuzzer; otherwise replay.c's
 * main() feeds it the files named on its command line (tests/fuzz/README).
 */
#ifndef SL_TESTS_FUZZ_H
#define SL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant (not a bad input, which is simply refused): say which
 * on stderr and abort, so the fuzzer keeps the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz invariant broken: " __VA_ARGS__);           \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Inputs longer than this are ignored (returns at once): the decoders
 * bound the files they read themselves (or will), and megabyte inputs only
 * slow the search down. */
#define FUZZ_MAX_INPUT (64 * 1024)

/* A private directory for harnesses that must hand the decoder a path
 * (made once, on first use, below $TMPDIR; removed at exit with what
 * fuzz_write_file put in it). NULL when it cannot be made. Borrowed. */
const char *fuzz_tmpdir(void);
/* Write data to fuzz_tmpdir()/name, replacing it; the full path (static
 * buffer, borrowed until the next call), NULL on failure. */
const char *fuzz_write_file(const char *name, const uint8_t *data,
                            size_t size);

#endif
