/* core/cmd/json.c — the streaming JSON writer (see json.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/json.h"

void sl__json_init(sl__json *w, FILE *f, int pretty)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->pretty = pretty;
}

static void newline_indent(sl__json *w, int depth)
{
    fputc('\n', w->f);
    for (int i = 0; i < depth; i++)
        fputs("  ", w->f);
}

/* Before any key or value: write the separator the enclosing container
 * needs. Returns 0 when the caller may write, -1 (and marks the writer
 * bad) when the call is misplaced or the writer is already bad. */
static int before_item(sl__json *w, int is_key)
{
    if (w->bad || !w->f)
        return -1;
    if (w->depth == 0) { /* exactly one top-level value, no key */
        if (is_key || w->done)
            w->bad = 1;
        return w->bad ? -1 : 0;
    }
    int d = w->depth - 1;
    if (w->want_value) { /* the value follows its key directly */
        if (is_key)
            w->bad = 1;
        w->want_value = 0;
        return w->bad ? -1 : 0;
    }
    if (w->is_obj[d] != is_key) { /* object items need keys, arrays none */
        w->bad = 1;
        return -1;
    }
    if (d < w->pretty) {
        if (w->n[d])
            fputc(',', w->f);
        newline_indent(w, w->depth);
    } else if (w->n[d]) {
        fputs(w->pretty ? ", " : ",", w->f);
    }
    w->n[d] = 1;
    return 0;
}

/* After a complete value: at top level the document is complete. */
static void after_value(sl__json *w)
{
    if (w->depth == 0)
        w->done = 1;
}

static void open_container(sl__json *w, int obj)
{
    if (w->depth >= SL__JSON_MAX_DEPTH)
        w->bad = 1;
    if (before_item(w, 0) != 0)
        return;
    fputc(obj ? '{' : '[', w->f);
    w->is_obj[w->depth] = (unsigned char)obj;
    w->n[w->depth] = 0;
    w->depth++;
}

static void close_container(sl__json *w, int obj)
{
    if (w->bad || w->depth == 0 || w->want_value ||
        w->is_obj[w->depth - 1] != obj) {
        w->bad = 1;
        return;
    }
    w->depth--;
    if (w->n[w->depth] && w->depth < w->pretty)
        newline_indent(w, w->depth);
    fputc(obj ? '}' : ']', w->f);
    after_value(w);
}

void sl__json_object_begin(sl__json *w) { open_container(w, 1); }
void sl__json_object_end(sl__json *w) { close_container(w, 1); }
void sl__json_array_begin(sl__json *w) { open_container(w, 0); }
void sl__json_array_end(sl__json *w) { close_container(w, 0); }

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0
 * when the bytes there are not valid UTF-8 (overlongs, surrogates and
 * code points above U+10FFFF count as invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void sl__json_write_escaped(FILE *f, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '\r': fputs("\\r", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t k = utf8_len(s + i, len - i);
            if (k == 0) {
                fputs("\\ufffd", f); /* keep the document valid UTF-8 */
                i++;
            } else {
                fwrite(s + i, 1, k, f);
                i += k;
            }
        }
    }
    fputc('"', f);
}

void sl__json_key(sl__json *w, const char *key)
{
    if (!key)
        w->bad = 1;
    if (before_item(w, 1) != 0)
        return;
    sl__json_write_escaped(w->f, key, strlen(key));
    fputs(w->pretty ? ": " : ":", w->f);
    w->want_value = 1;
}

static int scalar(sl__json *w) { return before_item(w, 0); }

void sl__json_string_n(sl__json *w, const char *s, size_t len)
{
    if (scalar(w) != 0)
        return;
    if (s)
        sl__json_write_escaped(w->f, s, len);
    else
        fputs("null", w->f);
    after_value(w);
}

void sl__json_string(sl__json *w, const char *s)
{
    sl__json_string_n(w, s, s ? strlen(s) : 0);
}

void sl__json_number(sl__json *w, double v)
{
    if (isnan(v) || isinf(v)) {
        sl__json_string(w, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    if (scalar(w) != 0)
        return;
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    /* A locale with a decimal comma must not leak into JSON. */
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    fputs(buf, w->f);
    after_value(w);
}

void sl__json_int(sl__json *w, int64_t v)
{
    if (scalar(w) != 0)
        return;
    fprintf(w->f, "%lld", (long long)v);
    after_value(w);
}

void sl__json_bool(sl__json *w, int v)
{
    if (scalar(w) != 0)
        return;
    fputs(v ? "true" : "false", w->f);
    after_value(w);
}

void sl__json_null(sl__json *w)
{
    if (scalar(w) != 0)
        return;
    fputs("null", w->f);
    after_value(w);
}

int sl__json_finish(sl__json *w)
{
    if (w->bad || !w->f || w->depth != 0 || !w->done) {
        w->bad = 1;
        return -1;
    }
    fputc('\n', w->f);
    return ferror(w->f) ? -1 : 0;
}
