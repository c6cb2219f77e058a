/* core/util/npy_read.c — .npy files NumPy wrote, read as float32
 * (npy_read.h). The header is a Python dict literal; this parser takes
 * exactly the three keys NumPy writes, in any order, and nothing else. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "util/file.h"
#include "util/npy_read.h"

#define NPY_MAX_FILE ((size_t)1 << 30)

void sl__npy_array_free(sl__npy_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

char *sl__npy_shape_text(const size_t *shape, size_t ndim, char *buf,
                         size_t len)
{
    size_t n = 0;
    int w = snprintf(buf, len, "(");
    n = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < ndim && n < len; i++) {
        w = snprintf(buf + n, len - n, "%zu%s", shape[i],
                     ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
        n += w > 0 ? (size_t)w : 0;
    }
    if (n < len)
        snprintf(buf + n, len - n, ")");
    return buf;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
        p++;
    return p;
}

/* A quoted string ('...' or "...") at p into out (at most len-1 chars). */
static const char *quoted(const char *p, const char *end, char *out,
                          size_t len)
{
    if (p >= end || (*p != '\'' && *p != '"'))
        return NULL;
    char q = *p++;
    size_t n = 0;
    while (p < end && *p != q) {
        if (n + 1 >= len)
            return NULL;
        out[n++] = *p++;
    }
    if (p >= end)
        return NULL;
    out[n] = '\0';
    return p + 1;
}

/* Parse the header dict; fills descr, fortran, shape. NULL on success,
 * else what is wrong. */
static const char *parse_dict(const char *p, const char *end, char *descr,
                              int *fortran, sl__npy_array *a)
{
    int have_d = 0, have_f = 0, have_s = 0;
    p = skip_ws(p, end);
    if (p >= end || *p++ != '{')
        return "the header is not a dict";
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            break;
        char key[32];
        if (!(p = quoted(p, end, key, sizeof key)))
            return "malformed key in the header";
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':')
            return "missing ':' in the header";
        p = skip_ws(p, end);
        if (strcmp(key, "descr") == 0 && !have_d) {
            if (!(p = quoted(p, end, descr, 8)))
                return "'descr' is not a short string";
            have_d = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_f) {
            if ((size_t)(end - p) >= 4 && memcmp(p, "True", 4) == 0) {
                *fortran = 1;
                p += 4;
            } else if ((size_t)(end - p) >= 5 && memcmp(p, "False", 5) == 0) {
                *fortran = 0;
                p += 5;
            } else {
                return "'fortran_order' is neither True nor False";
            }
            have_f = 1;
        } else if (strcmp(key, "shape") == 0 && !have_s) {
            if (p >= end || *p++ != '(')
                return "'shape' is not a tuple";
            a->ndim = 0;
            for (;;) {
                p = skip_ws(p, end);
                if (p < end && *p == ')') {
                    p++;
                    break;
                }
                if (p >= end || !isdigit((unsigned char)*p))
                    return "'shape' holds something other than numbers";
                if (a->ndim == SL__NPY_MAX_DIM)
                    return "more than 8 dimensions";
                uint64_t v = 0;
                while (p < end && isdigit((unsigned char)*p)) {
                    if (v > (UINT64_MAX - 9) / 10)
                        return "a dimension is too large";
                    v = v * 10 + (uint64_t)(*p++ - '0');
                }
                if (p < end && *p == 'L')
                    p++;
                if (v > SIZE_MAX)
                    return "a dimension is too large";
                a->shape[a->ndim++] = (size_t)v;
                p = skip_ws(p, end);
                if (p < end && *p == ',')
                    p++;
                else if (p < end && *p == ')')
                    continue;
                else
                    return "malformed 'shape'";
            }
            have_s = 1;
        } else {
            return "an unknown or repeated key in the header";
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p++;
        else if (p < end && *p == '}')
            break;
        else
            return "malformed header dict";
    }
    if (!have_d || !have_f || !have_s)
        return "the header lacks 'descr', 'fortran_order' or 'shape'";
    return NULL;
}

int sl__npy_decode(const unsigned char *b, size_t size, const char *name,
                   sl__npy_array *a, sl__err *err)
{
    memset(a, 0, sizeof *a);
    if (!name)
        name = "(.npy)";
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return sl__fail(err, SL_EDATA, "%s: not a .npy file (no \\x93NUMPY "
                        "magic)", name);
    size_t hl, off;
    if (b[6] == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if ((b[6] == 2 || b[6] == 3) && size >= 12) {
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
             (size_t)b[11] << 24;
        off = 12;
    } else {
        return sl__fail(err, SL_EDATA, "%s: .npy format version %u.%u "
                        "(1.0, 2.0 and 3.0 are read)", name, b[6], b[7]);
    }
    if (hl > size - off)
        return sl__fail(err, SL_EDATA, "%s: truncated .npy header (%zu "
                        "bytes announced, %zu in the file)", name, hl,
                        size - off);
    char descr[8] = "";
    int fortran = 0;
    const char *why = parse_dict((const char *)b + off,
                                 (const char *)b + off + hl, descr, &fortran,
                                 a);
    if (why)
        return sl__fail(err, SL_EDATA, "%s: malformed .npy header: %s",
                        name, why);
    size_t item;
    int big;
    if (strcmp(descr, "<f4") == 0 || strcmp(descr, ">f4") == 0)
        item = 4;
    else if (strcmp(descr, "<f8") == 0 || strcmp(descr, ">f8") == 0)
        item = 8;
    else
        return sl__fail(err, SL_EDATA, "%s: dtype '%s'; parameters are read "
                        "from float32 or float64 arrays ('<f4', '<f8'): "
                        "save with arr.astype(np.float32)", name, descr);
    big = descr[0] == '>';
    if (fortran)
        return sl__fail(err, SL_EDATA, "%s: Fortran-ordered array; save it "
                        "in C order (np.save(f, np.ascontiguousarray(a)))",
                        name);
    size_t count = 1;
    for (size_t i = 0; i < a->ndim; i++) {
        if (a->shape[i] && count > SIZE_MAX / 8 / a->shape[i])
            return sl__fail(err, SL_EDATA, "%s: shape too large", name);
        count *= a->shape[i];
    }
    size_t have = size - off - hl;
    if (have != count * item) {
        char sh[160];
        return sl__fail(err, SL_EDATA, "%s: shape %s of '%s' needs %zu bytes "
                        "of data, the file has %zu%s", name,
                        sl__npy_shape_text(a->shape, a->ndim, sh, sizeof sh),
                        descr, count * item, have,
                        have < count * item ? " (truncated)" : "");
    }
    memcpy(a->descr, descr, sizeof a->descr);
    a->count = count;
    a->data = malloc((count ? count : 1) * sizeof(float));
    if (!a->data)
        return sl__fail(err, SL_ENOMEM, "%s: out of memory for %zu values",
                        name, count);
    const uint16_t one = 1;
    int host_big = *(const unsigned char *)&one == 0;
    const unsigned char *d = b + off + hl;
    for (size_t i = 0; i < count; i++) {
        unsigned char t[8];
        for (size_t k = 0; k < item; k++)
            t[k] = big == host_big ? d[i * item + k]
                                   : d[i * item + item - 1 - k];
        double v;
        if (item == 4) {
            float f;
            memcpy(&f, t, 4);
            v = f;
        } else {
            memcpy(&v, t, 8);
        }
        if (!isfinite(v) || fabs(v) > 3.4028234663852886e38) {
            sl__npy_array_free(a);
            return sl__fail(err, SL_EDATA, "%s: element %zu is %g; a "
                            "parameter must be a finite float32", name, i,
                            v);
        }
        a->data[i] = (float)v;
    }
    return SL_OK;
}

int sl__npy_read_file(const char *path, sl__npy_array *a, sl__err *err)
{
    memset(a, 0, sizeof *a);
    char *buf;
    size_t len;
    int rc = sl__file_read(path, NPY_MAX_FILE, SL__FILE_REGULAR, &buf, &len,
                           err);
    if (rc)
        return rc;
    rc = sl__npy_decode((const unsigned char *)buf, len, path, a, err);
    free(buf);
    return rc;
}
