/* core/cmd/json.h — a tiny streaming JSON writer for machine-readable command
 * output (`spikelab runs --json`, `spikelab show --json`, ...).
 *
 * The writer places commas and indentation itself; the caller only opens
 * and closes containers and emits keys and values in order:
 *
 *     sl__json w;
 *     sl__json_init(&w, stdout, 2);
 *     sl__json_object_begin(&w);
 *     sl__json_key(&w, "id");   sl__json_int(&w, 3);
 *     sl__json_key(&w, "loss"); sl__json_number(&w, 0.25);
 *     sl__json_object_end(&w);
 *     if (sl__json_finish(&w) != 0) ... misuse or write error ...
 *
 * Output is always valid JSON (RFC 8259) as long as calls are balanced:
 *  - strings are escaped (", \, every control character; \n, \t, \r, \b,
 *    \f by name, the rest as \u00XX); bytes that are not valid UTF-8 are
 *    replaced by U+FFFD so the document stays valid UTF-8;
 *  - numbers are printed with %.17g (they read back bit-identical) and
 *    independent of the C locale; NaN and infinities, which JSON lacks,
 *    are written as the strings "nan", "inf" and "-inf";
 *  - a NULL string is written as null.
 * Misuse (a value where a key is due, unbalanced ends, nesting deeper than
 * SL__JSON_MAX_DEPTH) is not checked on every call's return; it sets a
 * flag reported by sl__json_finish, and the writer stops writing.
 */
#ifndef SL_CORE_JSON_H
#define SL_CORE_JSON_H

#include <stdint.h>
#include <stdio.h>

#define SL__JSON_MAX_DEPTH 32

typedef struct sl__json {
    FILE *f;         /* borrowed; not closed by the writer */
    int depth;       /* open containers */
    int pretty;      /* containers opened at depth < pretty are laid out
                        one item per line, indented by two spaces; deeper
                        ones stay on one line as {"a": 1, "b": 2}.
                        0 = no whitespace at all */
    int bad;         /* misuse seen: nothing more is written */
    int want_value;  /* a key was written, its value is due */
    int done;        /* the top-level value is complete */
    unsigned char is_obj[SL__JSON_MAX_DEPTH]; /* container kind per depth */
    unsigned char n[SL__JSON_MAX_DEPTH];      /* 0 = no item yet, else 1 */
} sl__json;

/* Start a document on f (borrowed). pretty: see the struct. */
void sl__json_init(sl__json *w, FILE *f, int pretty);

void sl__json_object_begin(sl__json *w);
void sl__json_object_end(sl__json *w);
void sl__json_array_begin(sl__json *w);
void sl__json_array_end(sl__json *w);

/* Inside an object: the key of the next value (escaped like a string). */
void sl__json_key(sl__json *w, const char *key);

/* Values: where an array item or an object value is due. */
void sl__json_string(sl__json *w, const char *s); /* NULL → null */
/* len bytes of s (may hold NUL bytes, written as \u0000). */
void sl__json_string_n(sl__json *w, const char *s, size_t len);
void sl__json_number(sl__json *w, double v); /* non-finite → string */
void sl__json_int(sl__json *w, int64_t v);
void sl__json_bool(sl__json *w, int v);
void sl__json_null(sl__json *w);

/* End the document with a newline. Returns 0 when every container was
 * closed, no misuse was seen and the stream has no write error; -1
 * otherwise. Does not close or flush f. */
int sl__json_finish(sl__json *w);

/* Write s (len bytes) as a quoted, escaped JSON string to f; for callers
 * that build JSON without the writer. */
void sl__json_write_escaped(FILE *f, const char *s, size_t len);

#endif
