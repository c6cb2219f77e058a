/* core/cmd/sweepspec.c — `spikelab sweep`'s argument grammar and the
 * grid's points (sweepspec.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sweepspec.h"

/* The message names the argument, cut to keep the message readable. */
static int bad(char *msg, size_t size, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(char *msg, size_t size, const char *arg, const char *fmt, ...)
{
    if (msg && size) {
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        (void)n;
        size_t len = strlen(arg);
        n = snprintf(msg, size, "'%.*s%s': %s", len > 120 ? 120 : (int)len,
                     arg, len > 120 ? "..." : "", what);
        (void)n;
    }
    return -1;
}

static void free_values(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Append a copy of s[0..len) to *v (count *n, capacity *cap). */
static int push(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        char **p = realloc(*v, c * sizeof *p);
        if (!p)
            return -1;
        *v = p;
        *cap = c;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    c[len] = 0;
    (*v)[(*n)++] = c;
    return 0;
}

/* Split body[0..len) at top-level commas (outside quotes) into values. */
static int split_list(const char *arg, const char *body, size_t len,
                      char ***out, size_t *n_out, char *msg, size_t size)
{
    char **v = NULL;
    size_t n = 0, cap = 0, start = 0;
    char quote = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? body[i] : ',';
        if (quote) {
            if (i == len) {
                free_values(v, n);
                return bad(msg, size, arg, "unbalanced %c quote", quote);
            }
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            continue;
        }
        if (c == '(' || c == ')') {
            free_values(v, n);
            return bad(msg, size, arg, "'%c' outside range(...) or "
                       "choice(...) (quote the value)", c);
        }
        if (c != ',')
            continue;
        if (i == start) {
            free_values(v, n);
            return bad(msg, size, arg, "empty value at position %zu",
                       n + 1);
        }
        if (n >= SL__SWEEP_MAX_VALUES) {
            free_values(v, n);
            return bad(msg, size, arg, "more than %d values",
                       SL__SWEEP_MAX_VALUES);
        }
        if (push(&v, &n, &cap, body + start, i - start)) {
            free_values(v, n);
            return bad(msg, size, arg, "out of memory");
        }
        start = i + 1;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* A whole-string integer (decimal, optional sign). */
static int parse_int(const char *s, long long *v)
{
    if (!*s)
        return -1;
    for (const char *p = *s == '-' || *s == '+' ? s + 1 : s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    char *end;
    *v = strtoll(s, &end, 10);
    return errno || *end || end == s ? -1 : 0;
}

static int parse_num(const char *s, double *v)
{
    if (!*s)
        return -1;
    errno = 0;
    char *end;
    *v = strtod(s, &end);
    return errno || *end || end == s || !isfinite(*v) ? -1 : 0;
}

/* range(a,b[,step]) → values. */
static int expand_range(const char *arg, char **p, size_t np, char ***out,
                        size_t *n_out, char *msg, size_t size)
{
    if (np < 2 || np > 3)
        return bad(msg, size, arg, "range takes (start, stop[, step]), "
                   "not %zu numbers", np);
    long long ia[3] = {0, 0, 1};
    double fa[3] = {0, 0, 1};
    int all_int = 1;
    for (size_t i = 0; i < np; i++) {
        if (parse_int(p[i], &ia[i]) != 0)
            all_int = 0;
        if (parse_num(p[i], &fa[i]) != 0)
            return bad(msg, size, arg, "range: '%.40s' is not a finite "
                       "number", p[i]);
    }
    if (fa[2] == 0)
        return bad(msg, size, arg, "range: step 0");
    char **v = NULL;
    size_t n = 0, cap = 0;
    char num[64];
    for (size_t i = 0;; i++) {
        int len;
        if (all_int) {
            /* a + i*step in long double: exact for every count allowed */
            long double x = (long double)ia[0] + (long double)i * ia[2];
            if (ia[2] > 0 ? x >= (long double)ia[1] : x <= (long double)ia[1])
                break;
            len = snprintf(num, sizeof num, "%lld", (long long)x);
        } else {
            double x = fa[0] + (double)i * fa[2];
            /* the stop is excluded; a tolerance of 1e-9 steps keeps
             * range(0,1,0.1) at ten values despite rounding */
            double lim = fa[1] - 1e-9 * fa[2];
            if (fa[2] > 0 ? x >= lim : x <= lim)
                break;
            len = snprintf(num, sizeof num, "%.15g", x);
            /* a bare integral value would read as an int setting */
            if (len > 0 && !strpbrk(num, ".eEn"))
                len = snprintf(num, sizeof num, "%.1f", x);
        }
        if (n >= SL__SWEEP_MAX_VALUES) {
            free_values(v, n);
            return bad(msg, size, arg, "range gives more than %d values",
                       SL__SWEEP_MAX_VALUES);
        }
        if (len < 0 || (size_t)len >= sizeof num ||
            push(&v, &n, &cap, num, (size_t)len)) {
            free_values(v, n);
            return bad(msg, size, arg, "out of memory");
        }
    }
    if (n == 0)
        return bad(msg, size, arg, "range gives no values");
    *out = v;
    *n_out = n;
    return 0;
}

int sl__sweep_parse(sl__sweep_spec *sp, const char *arg, char *msg,
                    size_t size)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return bad(msg, size, arg, "not key=values");
    size_t klen = (size_t)(eq - arg);
    if (klen == 0)
        return bad(msg, size, arg, "no key before '='");
    if (klen > SL__SWEEP_MAX_KEY)
        return bad(msg, size, arg, "key longer than %d bytes",
                   SL__SWEEP_MAX_KEY);
    for (size_t i = 0; i < klen; i++) {
        char c = arg[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              (c == '-' && i > 0)))
            return bad(msg, size, arg, "'%c' in the key (letters, digits, "
                       "_ . -)", c);
    }
    for (size_t a = 0; a < sp->n_axes; a++)
        if (strlen(sp->axes[a].key) == klen &&
            memcmp(sp->axes[a].key, arg, klen) == 0)
            return bad(msg, size, arg, "key '%.*s' given twice", (int)klen,
                       arg);
    const char *val = eq + 1;
    size_t vlen = strlen(val);
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
            return bad(msg, size, arg, "control character in the values");
    if (vlen == 0)
        return bad(msg, size, arg, "no value after '='");
    char **v = NULL;
    size_t n = 0;
    int is_range = strncmp(val, "range(", 6) == 0;
    int is_choice = strncmp(val, "choice(", 7) == 0;
    if (is_range || is_choice) {
        size_t open = is_range ? 6 : 7;
        if (val[vlen - 1] != ')')
            return bad(msg, size, arg, "'%.7s' without its closing ')'",
                       val);
        if (split_list(arg, val + open, vlen - open - 1, &v, &n, msg, size))
            return -1;
        if (is_range) {
            char **r = NULL;
            size_t nr = 0;
            int rc = expand_range(arg, v, n, &r, &nr, msg, size);
            free_values(v, n);
            if (rc)
                return -1;
            v = r;
            n = nr;
        }
    } else if (split_list(arg, val, vlen, &v, &n, msg, size)) {
        return -1;
    }
    sl__sweep_axis *axes =
        realloc(sp->axes, (sp->n_axes + 1) * sizeof *axes);
    char *key = malloc(klen + 1);
    if (!axes || !key) {
        if (axes)
            sp->axes = axes;
        free(key);
        free_values(v, n);
        return bad(msg, size, arg, "out of memory");
    }
    memcpy(key, arg, klen);
    key[klen] = 0;
    sp->axes = axes;
    sp->axes[sp->n_axes++] = (sl__sweep_axis){key, v, n};
    return 0;
}

uint64_t sl__sweep_n_points(const sl__sweep_spec *sp)
{
    uint64_t n = 1;
    for (size_t a = 0; a < sp->n_axes; a++) {
        uint64_t k = sp->axes[a].n;
        if (k && n > UINT64_MAX / k)
            return UINT64_MAX;
        n *= k;
    }
    return n;
}

const char *sl__sweep_value(const sl__sweep_spec *sp, uint64_t i, size_t a)
{
    /* mixed radix, the last axis the lowest digit */
    for (size_t b = sp->n_axes; b-- > a + 1;)
        i /= sp->axes[b].n;
    return sp->axes[a].values[i % sp->axes[a].n];
}

char *sl__sweep_point_line(const sl__sweep_spec *sp, uint64_t i)
{
    size_t len = 1;
    for (size_t a = 0; a < sp->n_axes; a++)
        len += strlen(sp->axes[a].key) + strlen(sl__sweep_value(sp, i, a)) + 2;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    *p = 0;
    for (size_t a = 0; a < sp->n_axes; a++) {
        const char *k = sp->axes[a].key, *v = sl__sweep_value(sp, i, a);
        size_t kl = strlen(k), vl = strlen(v);
        if (a)
            *p++ = '\t';
        memcpy(p, k, kl);
        p += kl;
        *p++ = '=';
        memcpy(p, v, vl);
        p += vl;
        *p = 0;
    }
    return s;
}

long sl__sweep_find(const sl__sweep_spec *sp, const char *key)
{
    for (size_t a = 0; a < sp->n_axes; a++)
        if (strcmp(sp->axes[a].key, key) == 0)
            return (long)a;
    return -1;
}

void sl__sweep_free(sl__sweep_spec *sp)
{
    for (size_t a = 0; a < sp->n_axes; a++) {
        free(sp->axes[a].key);
        free_values(sp->axes[a].values, sp->axes[a].n);
    }
    free(sp->axes);
    sp->axes = NULL;
    sp->n_axes = 0;
}
