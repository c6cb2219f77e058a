/* core/cmd/form.c — form bodies and run ids of `spikelab ui` (form.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/form.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sl__form_value(const char *body, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    if (len == 0)
        return -1;
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        if ((size_t)(end - p) > kl && strncmp(p, key, kl) == 0 &&
            p[kl] == '=') {
            size_t o = 0;
            for (const char *s = p + kl + 1; s < end; s++) {
                if (o + 1 >= len)
                    return -1;
                if (*s == '+') {
                    out[o++] = ' ';
                } else if (*s == '%') {
                    int hi = end - s >= 3 ? hexval(s[1]) : -1,
                        lo = end - s >= 3 ? hexval(s[2]) : -1;
                    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        return -1;
                    out[o++] = (char)(hi * 16 + lo);
                    s += 2;
                } else {
                    out[o++] = *s;
                }
            }
            out[o] = '\0';
            return 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

int64_t sl__form_id(const char *s)
{
    if (!s || *s < '1' || *s > '9')
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    return errno || *e || v <= 0 ? 0 : (int64_t)v;
}

int sl__form_ids(const char *list, int64_t *ids, int *n, int max)
{
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ", ");
        if (l == 0) {
            p++;
            continue;
        }
        char tok[24];
        if (l >= sizeof tok)
            return -1;
        memcpy(tok, p, l);
        tok[l] = '\0';
        int64_t id = sl__form_id(tok);
        if (!id)
            return -1;
        int dup = 0;
        for (int k = 0; k < *n; k++)
            dup |= ids[k] == id;
        if (!dup) {
            if (*n >= max)
                return -1;
            ids[(*n)++] = id;
        }
        p += l;
    }
    return 0;
}
