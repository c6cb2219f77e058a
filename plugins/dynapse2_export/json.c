/*
 * plugins/dynapse2_export/json.c — a small strict JSON (RFC 8259) reader
 * for configuration files: the whole text into a tree of values. Nesting
 * is limited to 64 levels, the text to 256 MiB; any syntax error is
 * reported with its line and column. No allocation survives d2_json_free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct parser {
    const char *s, *end, *start;
    char err[200];
} parser;

static void fail(parser *p, const char *what)
{
    if (p->err[0])
        return;
    size_t line = 1, col = 1;
    for (const char *c = p->start; c < p->s && c < p->end; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(p->err, sizeof p->err, "line %zu, column %zu: %s", line, col,
             what);
}

static void ws(parser *p)
{
    while (p->s < p->end &&
           (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int lit(parser *p, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
        return 0;
    p->s += n;
    return 1;
}

static int hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (p->s >= p->end)
            return 0;
        char c = *p->s++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static char *string(parser *p)
{
    /* p->s at the opening quote */
    p->s++;
    size_t cap = 16, len = 0;
    char *out = malloc(cap);
    if (out == NULL) {
        fail(p, "out of memory");
        return NULL;
    }
    for (;;) {
        if (p->s >= p->end) {
            fail(p, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)*p->s++;
        unsigned cp = c;
        if (c == '"') {
            out[len] = '\0';
            return out;
        }
        if (c < 0x20) {
            fail(p, "control character in a string");
            break;
        }
        if (c == '\\') {
            if (p->s >= p->end) {
                fail(p, "unterminated string");
                break;
            }
            char e = *p->s++;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!hex4(p, &cp)) {
                    fail(p, "bad \\u escape");
                    goto bad;
                }
                if (cp >= 0xD800 && cp < 0xDC00) {
                    unsigned lo;
                    if (!lit(p, "\\u") || !hex4(p, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF) {
                        fail(p, "unpaired surrogate in \\u escape");
                        goto bad;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(p, "unpaired surrogate in \\u escape");
                    goto bad;
                }
                break;
            default:
                fail(p, "bad escape in a string");
                goto bad;
            }
        }
        /* UTF-8 encode cp (raw bytes >= 0x80 are copied as they are) */
        unsigned char buf[4];
        size_t k = 0;
        if (cp < 0x80 || c >= 0x80) {
            buf[k++] = (unsigned char)(c >= 0x80 ? c : cp);
        } else if (cp < 0x800) {
            buf[k++] = (unsigned char)(0xC0 | (cp >> 6));
            buf[k++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            buf[k++] = (unsigned char)(0xE0 | (cp >> 12));
            buf[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            buf[k++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            buf[k++] = (unsigned char)(0xF0 | (cp >> 18));
            buf[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            buf[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            buf[k++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
        if (len + k + 1 > cap) {
            cap *= 2;
            char *nb = realloc(out, cap);
            if (nb == NULL) {
                fail(p, "out of memory");
                break;
            }
            out = nb;
        }
        memcpy(out + len, buf, k);
        len += k;
    }
bad:
    free(out);
    return NULL;
}

static int number(parser *p, double *out)
{
    const char *b = p->s, *s = p->s;
    if (s < p->end && *s == '-')
        s++;
    if (s >= p->end)
        return 0;
    if (*s == '0') {
        s++;
    } else if (*s >= '1' && *s <= '9') {
        while (s < p->end && *s >= '0' && *s <= '9')
            s++;
    } else {
        return 0;
    }
    if (s < p->end && *s == '.') {
        s++;
        if (s >= p->end || *s < '0' || *s > '9')
            return 0;
        while (s < p->end && *s >= '0' && *s <= '9')
            s++;
    }
    if (s < p->end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < p->end && (*s == '+' || *s == '-'))
            s++;
        if (s >= p->end || *s < '0' || *s > '9')
            return 0;
        while (s < p->end && *s >= '0' && *s <= '9')
            s++;
    }
    char tmp[64];
    size_t n = (size_t)(s - b);
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtod(tmp, NULL);
    p->s = s;
    return 1;
}

static int value(parser *p, d2_json *v, int depth);

static int push(parser *p, d2_json *v, char *key, const d2_json *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4;
        d2_json *ni = realloc(v->items, cap * sizeof *ni);
        if (ni == NULL) {
            fail(p, "out of memory");
            return 0;
        }
        v->items = ni;
        if (v->type == D2_JOBJ) {
            char **nk = realloc(v->keys, cap * sizeof *nk);
            if (nk == NULL) {
                fail(p, "out of memory");
                return 0;
            }
            v->keys = nk;
        }
        v->cap = cap;
    }
    v->items[v->n] = *item;
    if (v->type == D2_JOBJ)
        v->keys[v->n] = key;
    v->n++;
    return 1;
}

static int value(parser *p, d2_json *v, int depth)
{
    memset(v, 0, sizeof *v);
    ws(p);
    if (p->s >= p->end) {
        fail(p, "unexpected end of file");
        return 0;
    }
    if (depth > 64) {
        fail(p, "nested more than 64 levels");
        return 0;
    }
    char c = *p->s;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        v->type = c == '{' ? D2_JOBJ : D2_JARR;
        p->s++;
        ws(p);
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return 1;
        }
        for (;;) {
            char *key = NULL;
            ws(p);
            if (v->type == D2_JOBJ) {
                if (p->s >= p->end || *p->s != '"') {
                    fail(p, "expected a \"key\"");
                    return 0;
                }
                if ((key = string(p)) == NULL)
                    return 0;
                ws(p);
                if (p->s >= p->end || *p->s != ':') {
                    free(key);
                    fail(p, "expected ':'");
                    return 0;
                }
                p->s++;
            }
            d2_json item;
            if (!value(p, &item, depth + 1)) {
                free(key);
                d2_json_free(&item);
                return 0;
            }
            if (!push(p, v, key, &item)) {
                free(key);
                d2_json_free(&item);
                return 0;
            }
            ws(p);
            if (p->s < p->end && *p->s == ',') {
                p->s++;
                continue;
            }
            if (p->s < p->end && *p->s == close) {
                p->s++;
                return 1;
            }
            fail(p, v->type == D2_JOBJ ? "expected ',' or '}'"
                                       : "expected ',' or ']'");
            return 0;
        }
    }
    if (c == '"') {
        v->type = D2_JSTR;
        v->str = string(p);
        return v->str != NULL;
    }
    if (lit(p, "true")) {
        v->type = D2_JBOOL;
        v->num = 1;
        return 1;
    }
    if (lit(p, "false")) {
        v->type = D2_JBOOL;
        return 1;
    }
    if (lit(p, "null")) {
        v->type = D2_JNULL;
        return 1;
    }
    v->type = D2_JNUM;
    if (!number(p, &v->num)) {
        fail(p, "not a JSON value");
        return 0;
    }
    return 1;
}

void d2_json_free(d2_json *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        d2_json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

int d2_json_parse(const char *text, size_t len, d2_json *out, char *err,
                  size_t errlen)
{
    parser p = {text, text + len, text, ""};
    if (!value(&p, out, 0)) {
        d2_json_free(out);
        snprintf(err, errlen, "%s", p.err[0] ? p.err : "malformed JSON");
        return 0;
    }
    ws(&p);
    if (p.s != p.end) {
        fail(&p, "text after the JSON value");
        d2_json_free(out);
        snprintf(err, errlen, "%s", p.err);
        return 0;
    }
    return 1;
}

const d2_json *d2_json_get(const d2_json *o, const char *key)
{
    if (o == NULL || o->type != D2_JOBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}
