/*
 * plugins/filedata/npy.c — "npy": inputs and targets from NumPy arrays,
 * each a .npy file or a member of an .npz archive (np.savez: stored;
 * np.savez_compressed: deflated, inflated once into an unlinked temporary
 * file).
 *
 *   inputs   [N][T][C]: float32, float64, uint8 or bool, C order;
 *   targets  [N] integer class labels (one-hot over n_classes, one target
 *            per sample), [N][K] (one target vector per sample) or
 *            [N][T][K] (a target per step), float32/float64/uint8/bool.
 *
 * The arrays are memory-mapped and converted to float32 one sample at a
 * time in xGet, so a data set larger than memory can be used (with
 * data.NAME.store = "stream", or automatically above the core's memory
 * cap). At creation every value is visited once: a NaN or infinity, or a
 * label outside 0..n_classes-1, is refused naming the file and sample.
 *
 * The .npy format (NumPy's format.py, "NEP 1"): "\x93NUMPY", major and
 * minor version bytes, the header length (uint16 LE in version 1, uint32
 * LE in 2 and 3), then a Python dict literal with 'descr', 'fortran_order'
 * and 'shape', padded with spaces and a newline; then the data. Only
 * little-endian (or byte-sized) types in C order are accepted; the data
 * must be exactly the shape's size.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "filedata.h"

/* ---- the .npy header ---- */

static const struct {
    const char *descr;
    int dtype;
    size_t size;
} npy_types[] = {
    {"<f4", FD_F32, 4}, {"<f8", FD_F64, 8}, {"|u1", FD_U8, 1},
    {"<u1", FD_U8, 1},  {"|b1", FD_BOOL, 1}, {"<b1", FD_BOOL, 1},
    {"|i1", FD_I8, 1},  {"<i1", FD_I8, 1},  {"<i2", FD_I16, 2},
    {"<i4", FD_I32, 4}, {"<i8", FD_I64, 8}, {"<u2", FD_U16, 2},
    {"<u4", FD_U32, 4}, {"<u8", FD_U64, 8},
};

/* Find 'key' in the header dict h[0..n) and return the position after
 * its colon, or NULL. */
static const char *dict_value(const char *h, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((h[i] != '\'' && h[i] != '"') || memcmp(h + i + 1, key, kl) ||
            h[i + 1 + kl] != h[i])
            continue;
        size_t j = i + kl + 2;
        while (j < n && isspace((unsigned char)h[j]))
            j++;
        if (j < n && h[j] == ':')
            return h + j + 1;
    }
    return NULL;
}

int fd__npy_parse(const uint8_t *p, size_t n, fd_npy *out, char *why,
                  size_t wl)
{
    memset(out, 0, sizeof *out);
    if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0) {
        snprintf(why, wl, "not a .npy file (no \\x93NUMPY magic)");
        return SL_EDATA;
    }
    size_t hlen, hoff;
    if (p[6] == 1) {
        hlen = (size_t)p[8] | (size_t)p[9] << 8;
        hoff = 10;
    } else if (p[6] == 2 || p[6] == 3) {
        if (n < 12) {
            snprintf(why, wl, "truncated .npy header");
            return SL_EDATA;
        }
        hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 |
               (size_t)p[11] << 24;
        hoff = 12;
    } else {
        snprintf(why, wl, ".npy format version %u.%u is not supported "
                 "(1, 2 and 3 are)", p[6], p[7]);
        return SL_EDATA;
    }
    if (hlen > n - hoff) {
        snprintf(why, wl, "truncated .npy header (%zu bytes announced, %zu "
                 "in the file)", hlen, n - hoff);
        return SL_EDATA;
    }
    const char *h = (const char *)p + hoff, *end = h + hlen;
    const char *v = dict_value(h, hlen, "descr");
    if (!v) {
        snprintf(why, wl, ".npy header without 'descr'");
        return SL_EDATA;
    }
    while (v < end && isspace((unsigned char)*v))
        v++;
    char descr[16] = "";
    if (v < end && (*v == '\'' || *v == '"')) {
        const char *q = memchr(v + 1, *v, (size_t)(end - v - 1));
        if (q && (size_t)(q - v - 1) < sizeof descr) {
            memcpy(descr, v + 1, (size_t)(q - v - 1));
            descr[q - v - 1] = 0;
        }
    }
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (strcmp(descr, npy_types[i].descr) == 0) {
            out->dtype = npy_types[i].dtype;
            out->itemsize = npy_types[i].size;
        }
    if (!out->dtype) {
        snprintf(why, wl, "dtype '%s' is not supported (little-endian "
                 "float32/64, integers, uint8, bool)", descr);
        return SL_EDATA;
    }
    v = dict_value(h, hlen, "fortran_order");
    while (v && v < end && isspace((unsigned char)*v))
        v++;
    if (v && end - v >= 4 && memcmp(v, "True", 4) == 0) {
        snprintf(why, wl, "array in Fortran order; save it in C order "
                 "(np.ascontiguousarray)");
        return SL_EDATA;
    }
    if (!v || end - v < 5 || memcmp(v, "False", 5) != 0) {
        snprintf(why, wl, ".npy header without a valid 'fortran_order'");
        return SL_EDATA;
    }
    v = dict_value(h, hlen, "shape");
    while (v && v < end && isspace((unsigned char)*v))
        v++;
    if (!v || v >= end || *v != '(') {
        snprintf(why, wl, ".npy header without a 'shape' tuple");
        return SL_EDATA;
    }
    v++;
    size_t count = 1;
    for (;;) {
        while (v < end && (isspace((unsigned char)*v) || *v == ','))
            v++;
        if (v < end && *v == ')')
            break;
        if (v >= end || !isdigit((unsigned char)*v) || out->ndim == 8) {
            snprintf(why, wl, "malformed 'shape' in the .npy header");
            return SL_EDATA;
        }
        size_t d = 0;
        while (v < end && isdigit((unsigned char)*v)) {
            if (d > ((size_t)1 << 48) / 10) {
                snprintf(why, wl, "a dimension in 'shape' is too large");
                return SL_EDATA;
            }
            d = d * 10 + (size_t)(*v++ - '0');
        }
        while (v < end && (*v == 'L' || *v == 'l'))
            v++;
        if (d && count > ((size_t)1 << 48) / d) {
            snprintf(why, wl, "'shape' has more than 2^48 elements");
            return SL_EDATA;
        }
        count *= d;
        out->shape[out->ndim++] = d;
    }
    out->count = count;
    size_t doff = hoff + hlen, need = count * out->itemsize;
    if (n - doff != need) {
        snprintf(why, wl, "%s: the shape needs %zu data bytes, the file "
                 "has %zu", n - doff < need ? "truncated" : "too long",
                 need, n - doff);
        return SL_EDATA;
    }
    out->data = p + doff;
    return SL_OK;
}

double fd__npy_get(const fd_npy *a, size_t i)
{
    const uint8_t *q = a->data + i * a->itemsize;
    switch (a->dtype) {
    case FD_F32: { float f; memcpy(&f, q, 4); return f; }
    case FD_F64: { double f; memcpy(&f, q, 8); return f; }
    case FD_U8: return q[0];
    case FD_BOOL: return q[0] != 0;
    case FD_I8: return (int8_t)q[0];
    case FD_I16: { int16_t v; memcpy(&v, q, 2); return v; }
    case FD_I32: { int32_t v; memcpy(&v, q, 4); return v; }
    case FD_I64: { int64_t v; memcpy(&v, q, 8); return (double)v; }
    case FD_U16: { uint16_t v; memcpy(&v, q, 2); return v; }
    case FD_U32: { uint32_t v; memcpy(&v, q, 4); return v; }
    case FD_U64: { uint64_t v; memcpy(&v, q, 8); return (double)v; }
    }
    return 0;
}

static int is_int(int dtype)
{
    return dtype >= FD_I8 || dtype == FD_U8;
}

/* ---- .npz (zip) members ---- */

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p)
{
    return le16(p) | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One opened array: the file's mapping, and for a deflated member the
 * mapping of its inflated copy. */
typedef struct npy_file {
    fd_map file, inflated;
    fd_npy a;
} npy_file;

/* Inflate a raw-deflate stream src[0..n) of `usize` bytes into an
 * unlinked temporary file and map it. */
static int inflate_member(const uint8_t *src, size_t n, uint64_t usize,
                          fd_map *m, char *why, size_t wl)
{
    FILE *tf = tmpfile();
    if (!tf) {
        snprintf(why, wl, "cannot create a temporary file to inflate the "
                 "member: %s", strerror(errno));
        return SL_EIO;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        fclose(tf);
        snprintf(why, wl, "zlib initialisation failed");
        return SL_ENOMEM;
    }
    unsigned char buf[1 << 16];
    uint64_t total = 0;
    int zr = Z_OK, rc = SL_OK;
    z.next_in = (unsigned char *)src;
    while (zr != Z_STREAM_END) {
        if (z.avail_in == 0) {
            size_t used = (size_t)(z.next_in - src);
            size_t left = n - used;
            if (left == 0)
                break;
            z.avail_in = left > (1u << 30) ? (1u << 30) : (unsigned)left;
        }
        z.next_out = buf;
        z.avail_out = sizeof buf;
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END)
            break;
        size_t got = sizeof buf - z.avail_out;
        total += got;
        if (total > usize)
            break;
        if (got && fwrite(buf, 1, got, tf) != got) {
            snprintf(why, wl, "cannot write the inflated member: %s",
                     strerror(errno));
            rc = SL_EIO;
            break;
        }
    }
    inflateEnd(&z);
    if (!rc && (zr != Z_STREAM_END || total != usize)) {
        snprintf(why, wl, "corrupt compressed member (%s)",
                 zr != Z_STREAM_END && zr != Z_OK ? "invalid deflate data"
                 : total > usize ? "more data than its size"
                                 : "ends early");
        rc = SL_EDATA;
    }
    if (!rc && fflush(tf) != 0) {
        snprintf(why, wl, "cannot write the inflated member");
        rc = SL_EIO;
    }
    if (!rc && usize) {
        void *p = mmap(NULL, (size_t)usize, PROT_READ, MAP_PRIVATE,
                       fileno(tf), 0);
        if (p == MAP_FAILED) {
            snprintf(why, wl, "cannot map the inflated member: %s",
                     strerror(errno));
            rc = SL_EIO;
        } else {
            m->p = p;
            m->n = (size_t)usize;
        }
    }
    fclose(tf); /* the mapping keeps the unlinked file's pages */
    return rc;
}

/* The member `name` (+ ".npy") of the zip image z[0..n): its bytes, in
 * place (stored) or inflated into m. member NULL: the only member. */
static int npz_member(const uint8_t *z, size_t n, const char *member,
                      fd_map *m, const uint8_t **out, size_t *out_n,
                      char *why, size_t wl)
{
    size_t e = n >= 22 ? n - 22 : 0, lo = n > 65557 ? n - 65557 : 0;
    int found = 0;
    for (;; e--) {
        if (n >= 22 && le32(z + e) == 0x06054b50) {
            found = 1;
            break;
        }
        if (e == lo || n < 22)
            break;
    }
    if (!found) {
        snprintf(why, wl, "not a valid .npz (no zip end record)");
        return SL_EDATA;
    }
    uint64_t entries = le16(z + e + 10), cd_off = le32(z + e + 16),
             cd_size = le32(z + e + 12);
    if ((entries == 0xFFFF || cd_off == 0xFFFFFFFF) && e >= 20 &&
        le32(z + e - 20) == 0x07064b50) {
        uint64_t z64 = le64(z + e - 20 + 8);
        if (z64 > n || n - z64 < 56 || le32(z + z64) != 0x06064b50) {
            snprintf(why, wl, "corrupt .npz (zip64 end record)");
            return SL_EDATA;
        }
        entries = le64(z + z64 + 32);
        cd_size = le64(z + z64 + 40);
        cd_off = le64(z + z64 + 48);
    }
    if (cd_off > n || cd_size > n - cd_off) {
        snprintf(why, wl, "corrupt .npz (central directory outside the "
                 "file)");
        return SL_EDATA;
    }
    char names[512] = "";
    size_t p = (size_t)cd_off, cd_end = (size_t)(cd_off + cd_size);
    for (uint64_t i = 0; i < entries; i++) {
        if (cd_end - p < 46 || le32(z + p) != 0x02014b50) {
            snprintf(why, wl, "corrupt .npz (central directory entry %llu)",
                     (unsigned long long)i);
            return SL_EDATA;
        }
        uint32_t method = le16(z + p + 10), nl = le16(z + p + 28),
                 xl = le16(z + p + 30), cl = le16(z + p + 32);
        uint64_t csize = le32(z + p + 20), usize = le32(z + p + 24),
                 loff = le32(z + p + 42);
        if ((size_t)nl + xl + cl > cd_end - p - 46) {
            snprintf(why, wl, "corrupt .npz (central directory entry %llu)",
                     (unsigned long long)i);
            return SL_EDATA;
        }
        const char *name = (const char *)z + p + 46;
        /* zip64 sizes and offset, in that order, for the fields that are
         * 0xFFFFFFFF */
        const uint8_t *x = z + p + 46 + nl, *xe = x + xl;
        while (xe - x >= 4) {
            uint32_t id = le16(x), sz = le16(x + 2);
            if ((size_t)(xe - x - 4) < sz)
                break;
            if (id == 1) {
                const uint8_t *f = x + 4, *fe = f + sz;
                if (usize == 0xFFFFFFFF && fe - f >= 8) {
                    usize = le64(f);
                    f += 8;
                }
                if (csize == 0xFFFFFFFF && fe - f >= 8) {
                    csize = le64(f);
                    f += 8;
                }
                if (loff == 0xFFFFFFFF && fe - f >= 8)
                    loff = le64(f);
            }
            x += 4 + sz;
        }
        p += 46 + (size_t)nl + xl + cl;
        size_t bl = strlen(names);
        if (bl + nl + 3 < sizeof names)
            snprintf(names + bl, sizeof names - bl, "%s%.*s", bl ? ", " : "",
                     (int)nl, name);
        int match = member ? (nl == strlen(member) + 4 &&
                              memcmp(name, member, nl - 4) == 0 &&
                              memcmp(name + nl - 4, ".npy", 4) == 0)
                           : entries == 1;
        if (!match)
            continue;
        if (loff > n || n - loff < 30 || le32(z + loff) != 0x04034b50) {
            snprintf(why, wl, "corrupt .npz (local header of '%.*s')",
                     (int)nl, name);
            return SL_EDATA;
        }
        uint64_t doff = loff + 30 + le16(z + loff + 26) + le16(z + loff + 28);
        if (doff > n || csize > n - doff) {
            snprintf(why, wl, "truncated .npz (member '%.*s' runs past the "
                     "end)", (int)nl, name);
            return SL_EDATA;
        }
        if (method == 0) {
            if (csize != usize) {
                snprintf(why, wl, "corrupt .npz (stored member with two "
                         "sizes)");
                return SL_EDATA;
            }
            *out = z + doff;
            *out_n = (size_t)csize;
            return SL_OK;
        }
        if (method != 8) {
            snprintf(why, wl, "member '%.*s' uses zip method %u (stored "
                     "and deflate are supported)", (int)nl, name, method);
            return SL_EDATA;
        }
        if (usize > ((uint64_t)1 << 48)) {
            snprintf(why, wl, "member '%.*s' claims %llu bytes", (int)nl,
                     name, (unsigned long long)usize);
            return SL_EDATA;
        }
        int rc = inflate_member(z + doff, (size_t)csize, usize, m, why, wl);
        if (rc)
            return rc;
        *out = m->p;
        *out_n = m->n;
        return SL_OK;
    }
    if (member)
        snprintf(why, wl, "no member '%s' in the .npz (it has: %s)", member,
                 names);
    else
        snprintf(why, wl, "the .npz has %llu members (%s): name one with "
                 "the _member key", (unsigned long long)entries, names);
    return SL_ENOTFOUND;
}

/* Open `path` (a .npy, or an .npz with `member`) and parse the array. */
static int npy_open(const char *path, const char *member, npy_file *f,
                    char *why, size_t wl)
{
    memset(f, 0, sizeof *f);
    int rc = fd__map(path, &f->file, why, wl);
    if (rc)
        return rc;
    const uint8_t *p = f->file.p;
    size_t n = f->file.n;
    if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) {
        rc = npz_member(f->file.p, f->file.n, member, &f->inflated, &p, &n,
                        why, wl);
        if (rc)
            return rc;
    } else if (member) {
        snprintf(why, wl, "a member ('%s') is named but the file is not an "
                 ".npz", member);
        return SL_ECONFIG;
    }
    if (!p) {
        snprintf(why, wl, "empty file");
        return SL_EDATA;
    }
    return fd__npy_parse(p, n, &f->a, why, wl);
}

static void npy_close(npy_file *f)
{
    fd__unmap(&f->inflated);
    fd__unmap(&f->file);
}

/* ---- the component ---- */

typedef struct npy_ds {
    const sl_host *host;
    sl_ctx *ctx;
    npy_file x, y;
    size_t n, T, C, tsteps, K;
    int labels;  /* targets are class labels */
    fd_source src;
} npy_ds;

static void npy_destroy(void *self)
{
    npy_ds *d = self;
    if (!d)
        return;
    npy_close(&d->x);
    npy_close(&d->y);
    d->host->xFree(d);
}

static const char *shape_str(const fd_npy *a, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (uint32_t i = 0; i < a->ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%zu", i ? "][" : "",
                              a->shape[i]);
    if (k < len)
        snprintf(buf + k, len - k, "]");
    return buf;
}

static int npy_create(const sl_host *h, sl_ctx *ctx, void **self,
                      sl_dataset_info *info)
{
    const char *xp, *yp, *xm, *ym;
    double dt;
    int64_t n_classes;
    int rc;
    char why[512], sh[96];
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL, "sl_dataset_info too small");
    if ((rc = h->xGetString(ctx, "inputs", NULL, &xp)) ||
        (rc = h->xGetString(ctx, "targets", NULL, &yp)) ||
        (rc = h->xGetString(ctx, "inputs_member", NULL, &xm)) ||
        (rc = h->xGetString(ctx, "targets_member", NULL, &ym)) ||
        (rc = h->xGetInt(ctx, "n_classes", 0, &n_classes)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)))
        return rc;
    if (!xp || !yp)
        return h->xError(ctx, xp ? "targets" : "inputs", SL_ECONFIG,
                         "npy needs inputs and targets (.npy files, or "
                         ".npz files with inputs_member/targets_member)");
    npy_ds *d = h->xAlloc(sizeof *d);
    if (!d)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    d->host = h;
    d->ctx = ctx;
    if ((rc = npy_open(xp, xm, &d->x, why, sizeof why))) {
        rc = h->xError(ctx, "inputs", rc, "%s: %s", xp, why);
        goto fail;
    }
    if ((rc = npy_open(yp, ym, &d->y, why, sizeof why))) {
        rc = h->xError(ctx, "targets", rc, "%s: %s", yp, why);
        goto fail;
    }
    const fd_npy *X = &d->x.a, *Y = &d->y.a;
    if (X->ndim != 3 || !(X->dtype == FD_F32 || X->dtype == FD_F64 ||
                          X->dtype == FD_U8 || X->dtype == FD_BOOL)) {
        rc = h->xError(ctx, "inputs", SL_EDATA, "%s: inputs must be "
                       "[N][T][C] float32, float64, uint8 or bool; this "
                       "array is %s%s", xp, shape_str(X, sh, sizeof sh),
                       X->ndim == 3 ? " of an integer type" : "");
        goto fail;
    }
    d->n = X->shape[0];
    d->T = X->shape[1];
    d->C = X->shape[2];
    if (!d->n || !d->T || !d->C) {
        rc = h->xError(ctx, "inputs", SL_EDATA, "%s: inputs %s are empty",
                       xp, shape_str(X, sh, sizeof sh));
        goto fail;
    }
    if (Y->ndim < 1 || Y->shape[0] != d->n) {
        rc = h->xError(ctx, "targets", SL_EDATA, "%s: targets %s do not "
                       "match the %zu samples of %s", yp,
                       shape_str(Y, sh, sizeof sh), d->n, xp);
        goto fail;
    }
    if (Y->ndim == 1) {
        if (!is_int(Y->dtype)) {
            rc = h->xError(ctx, "targets", SL_EDATA, "%s: targets [N] are "
                           "class labels and must be integers", yp);
            goto fail;
        }
        d->labels = 1;
        d->tsteps = 1;
        double mx = -1;
        for (size_t i = 0; i < d->n; i++) {
            double v = fd__npy_get(Y, i);
            if (v < 0 || (n_classes > 0 && v >= (double)n_classes)) {
                rc = h->xError(ctx, "targets", SL_EDATA, "%s: label %.0f of "
                               "sample %zu is out of range (0..%lld)", yp,
                               v, i, (long long)(n_classes > 0
                                                 ? n_classes - 1 : 65535));
                goto fail;
            }
            if (v > 65535) {
                rc = h->xError(ctx, "targets", SL_EDATA, "%s: label %.0f of "
                               "sample %zu is too large", yp, v, i);
                goto fail;
            }
            mx = v > mx ? v : mx;
        }
        d->K = n_classes > 0 ? (size_t)n_classes : (size_t)mx + 1;
    } else if (Y->ndim == 2 || Y->ndim == 3) {
        if (!(Y->dtype == FD_F32 || Y->dtype == FD_F64 ||
              Y->dtype == FD_U8 || Y->dtype == FD_BOOL)) {
            rc = h->xError(ctx, "targets", SL_EDATA, "%s: target vectors "
                           "and sequences must be float32, float64, uint8 "
                           "or bool", yp);
            goto fail;
        }
        d->tsteps = Y->ndim == 3 ? Y->shape[1] : 1;
        d->K = Y->shape[Y->ndim - 1];
        if ((Y->ndim == 3 && d->tsteps != d->T) || !d->K) {
            rc = h->xError(ctx, "targets", SL_EDATA, "%s: target sequences "
                           "%s must be [N][T][K] with T = %zu, the inputs' "
                           "steps", yp, shape_str(Y, sh, sizeof sh), d->T);
            goto fail;
        }
        if (h->xHasKey(ctx, "n_classes")) {
            rc = h->xError(ctx, "n_classes", SL_ECONFIG, "n_classes is for "
                           "class labels [N]; %s holds target vectors", yp);
            goto fail;
        }
    } else {
        rc = h->xError(ctx, "targets", SL_EDATA, "%s: targets %s must be "
                       "labels [N], vectors [N][K] or sequences [N][T][K]",
                       yp, shape_str(Y, sh, sizeof sh));
        goto fail;
    }
    /* every value once: a NaN stops the run now, not as a NaN loss */
    const fd_npy *arr[2] = {X, d->labels ? NULL : Y};
    const char *path[2] = {xp, yp}, *key[2] = {"inputs", "targets"};
    for (int k = 0; k < 2; k++) {
        const fd_npy *a = arr[k];
        if (!a || !(a->dtype == FD_F32 || a->dtype == FD_F64))
            continue;
        size_t per = a->count / a->shape[0];
        for (size_t i = 0; i < a->count; i++) {
            double v = fd__npy_get(a, i);
            /* float64 beyond float32's range would become inf in xGet */
            if (!isfinite(v) || fabs(v) > FLT_MAX) {
                rc = h->xError(ctx, key[k], SL_EDATA, "%s: sample %zu has "
                               "%s (element %zu of the sample)", path[k],
                               i / per, isnan(v) ? "NaN"
                                        : isinf(v) ? (v > 0 ? "inf" : "-inf")
                                                   : "a value beyond float32",
                               i % per);
                goto fail;
            }
        }
    }
    fd__source_init(&d->src);
    fd__source_file(&d->src, "inputs", xp);
    fd__source_file(&d->src, "targets", yp);
    if (xm)
        fd__source_note(&d->src, "inputs_member", "%s", xm);
    if (ym)
        fd__source_note(&d->src, "targets_member", "%s", ym);
    if (info) {
        info->n_samples = d->n;
        info->n_steps = d->T;
        info->n_in = d->C;
        info->n_out = d->K;
        info->target_steps = d->tsteps;
        info->dt = dt;
    }
    *self = d;
    return SL_OK;
fail:
    npy_destroy(d);
    return rc;
}

static void to_float(const fd_npy *a, size_t first, size_t n, float *out)
{
    if (a->dtype == FD_F32) {
        memcpy(out, a->data + first * 4, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (float)fd__npy_get(a, first + i);
}

/* Sample `index`: input [T][C], target [tsteps][K]; caller-owned, either
 * may be NULL. Allocates nothing; reads the mapped files. */
static int npy_get(void *self, size_t index, float *input, float *target)
{
    npy_ds *d = self;
    if (index >= d->n)
        return d->host->xError(d->ctx, NULL, SL_EINVAL, "npy: sample %zu "
                               "requested, only %zu exist", index, d->n);
    if (input)
        to_float(&d->x.a, index * d->T * d->C, d->T * d->C, input);
    if (target) {
        if (d->labels) {
            memset(target, 0, d->K * sizeof *target);
            target[(size_t)fd__npy_get(&d->y.a, index)] = 1.0f;
        } else {
            to_float(&d->y.a, index * d->tsteps * d->K, d->tsteps * d->K,
                     target);
        }
    }
    return SL_OK;
}

static const void *npy_extension(void *self, const char *name)
{
    npy_ds *d = self;
    if (d && name && strcmp(name, SL_DATASET_EXT_SOURCE) == 0)
        return &d->src.pub;
    return NULL;
}

const sl_dataset_iface fd__npy_iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .xCreate = npy_create,
    .xDestroy = npy_destroy,
    .xGet = npy_get,
    .xExtension = npy_extension,
};

const sl_setting fd__npy_settings[FD_NPY_NSET] = {
    SL_SETTING(SL_SET_STRING, "inputs", NULL, NULL, SL_REQUIRED,
               ".npy (or .npz) file of the inputs [N][T][C]"),
    SL_SETTING(SL_SET_STRING, "targets", NULL, NULL, SL_REQUIRED,
               ".npy (or .npz) file of the targets: labels [N], vectors "
               "[N][K] or sequences [N][T][K]"),
    SL_SETTING(SL_SET_STRING, "inputs_member", NULL, NULL, SL_ANY,
               "array name inside an .npz (np.savez(f, x=...): \"x\"); "
               "default its only member"),
    SL_SETTING(SL_SET_STRING, "targets_member", NULL, NULL, SL_ANY,
               "array name of the targets inside an .npz"),
    SL_SETTING(SL_SET_INT, "n_classes", "0", NULL, SL_RANGE(0, 65536),
               "labels: number of classes (every label below it); 0 = the "
               "largest label + 1"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step of the arrays (must equal network.dt)"),
};
