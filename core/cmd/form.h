/* core/cmd/form.h — what `spikelab ui` decodes of a request beyond
 * libmicrohttpd: an application/x-www-form-urlencoded body (the tag and
 * note forms) and run ids in paths and queries. Outside input: fuzzed by
 * tests/fuzz/fuzz_form.c. */
#ifndef SL_CMD_FORM_H
#define SL_CMD_FORM_H

#include <stddef.h>
#include <stdint.h>

/* The value of the first `key=` field of body (NUL-terminated; fields
 * split at '&'), decoded ('+' a space, %XX a byte) into out[len]: 1 found,
 * 0 absent, -1 malformed (a bad or truncated %XX, a %00, longer than
 * len - 1 bytes; out is then unspecified). */
int sl__form_value(const char *body, const char *key, char *out, size_t len);

/* A run id: decimal digits without sign or leading zero, > 0 and within
 * int64; else 0. */
int64_t sl__form_id(const char *s);

/* "1,2,3" (commas or spaces between) appended to ids[*n] (at most max),
 * each once. Returns 0, or -1 for anything but ids, or too many. */
int sl__form_ids(const char *list, int64_t *ids, int *n, int max);

#endif
