/* tests/datafiles.c — see datafiles.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <zlib.h>

#include "datafiles.h"

int td_npy_image(const char *descr, const size_t *shape, int ndim,
                 const void *data, size_t nbytes, uint8_t **buf, size_t *len)
{
    char h[256], sh[128] = "";
    size_t k = 0;
    for (int i = 0; i < ndim; i++)
        k += (size_t)snprintf(sh + k, sizeof sh - k, "%zu,%s", shape[i],
                              i + 1 < ndim ? " " : "");
    if (ndim > 1)
        sh[k - 1] = 0; /* (2, 3) but (2,) */
    int hl = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, "
                      "'shape': (%s), }", descr, sh);
    size_t total = 10 + (size_t)hl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)hl + pad + 1;
    *len = 10 + hlen + nbytes;
    *buf = malloc(*len);
    if (!*buf)
        return -1;
    memcpy(*buf, "\x93NUMPY\x01\x00", 8);
    (*buf)[8] = (uint8_t)(hlen & 0xff);
    (*buf)[9] = (uint8_t)(hlen >> 8);
    memcpy(*buf + 10, h, (size_t)hl);
    memset(*buf + 10 + hl, ' ', pad);
    (*buf)[10 + hlen - 1] = '\n';
    if (nbytes)
        memcpy(*buf + 10 + hlen, data, nbytes);
    return 0;
}

static int write_all(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int td_write_npy(const char *path, const char *descr, const size_t *shape,
                 int ndim, const void *data, size_t nbytes)
{
    uint8_t *b;
    size_t n;
    if (td_npy_image(descr, shape, ndim, data, nbytes, &b, &n))
        return -1;
    int rc = write_all(path, b, n);
    free(b);
    return rc;
}

static void put16(FILE *f, uint32_t v)
{
    fputc((int)(v & 0xff), f);
    fputc((int)(v >> 8 & 0xff), f);
}
static void put32(FILE *f, uint32_t v)
{
    put16(f, v & 0xffff);
    put16(f, v >> 16);
}

int td_write_npz(const char *path, int compress, size_t n,
                 const char *const *names, uint8_t *const *imgs,
                 const size_t *lens)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t off[16], csz[16], crc[16];
    uint8_t *cdata[16];
    if (n > 16) {
        fclose(f);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        crc[i] = (uint32_t)crc32(0, imgs[i], (uInt)lens[i]);
        cdata[i] = imgs[i];
        csz[i] = (uint32_t)lens[i];
        if (compress) {
            z_stream z;
            memset(&z, 0, sizeof z);
            uLong cap = compressBound((uLong)lens[i]) + 64;
            cdata[i] = malloc(cap);
            deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
            z.next_in = imgs[i];
            z.avail_in = (uInt)lens[i];
            z.next_out = cdata[i];
            z.avail_out = (uInt)cap;
            deflate(&z, Z_FINISH);
            csz[i] = (uint32_t)z.total_out;
            deflateEnd(&z);
        }
        off[i] = (uint32_t)ftell(f);
        char nm[64];
        snprintf(nm, sizeof nm, "%s.npy", names[i]);
        put32(f, 0x04034b50);
        put16(f, 20);
        put16(f, 0);
        put16(f, compress ? 8 : 0);
        put16(f, 0);
        put16(f, 0);
        put32(f, crc[i]);
        put32(f, csz[i]);
        put32(f, (uint32_t)lens[i]);
        put16(f, (uint32_t)strlen(nm));
        put16(f, 0);
        fwrite(nm, 1, strlen(nm), f);
        fwrite(cdata[i], 1, csz[i], f);
    }
    uint32_t cd = (uint32_t)ftell(f);
    for (size_t i = 0; i < n; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s.npy", names[i]);
        put32(f, 0x02014b50);
        put16(f, 20);
        put16(f, 20);
        put16(f, 0);
        put16(f, compress ? 8 : 0);
        put16(f, 0);
        put16(f, 0);
        put32(f, crc[i]);
        put32(f, csz[i]);
        put32(f, (uint32_t)lens[i]);
        put16(f, (uint32_t)strlen(nm));
        put16(f, 0);
        put16(f, 0);
        put16(f, 0);
        put16(f, 0);
        put32(f, 0);
        put32(f, off[i]);
        fwrite(nm, 1, strlen(nm), f);
        if (compress)
            free(cdata[i]);
    }
    uint32_t cdsize = (uint32_t)ftell(f) - cd;
    put32(f, 0x06054b50);
    put16(f, 0);
    put16(f, 0);
    put16(f, (uint32_t)n);
    put16(f, (uint32_t)n);
    put32(f, cdsize);
    put32(f, cd);
    put16(f, 0);
    return fclose(f) == 0 ? 0 : -1;
}

int td_write_idx(const char *path, int gz, const uint32_t *dims, int ndim,
                 const uint8_t *data)
{
    uint8_t head[4 + 4 * 8] = {0, 0, 0x08, (uint8_t)ndim};
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        head[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        head[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        head[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        head[7 + 4 * i] = (uint8_t)dims[i];
        total *= dims[i];
    }
    size_t hl = 4 + 4 * (size_t)ndim;
    if (!gz) {
        FILE *f = fopen(path, "wb");
        if (!f)
            return -1;
        int ok = fwrite(head, 1, hl, f) == hl &&
                 fwrite(data, 1, total, f) == total;
        return fclose(f) == 0 && ok ? 0 : -1;
    }
    gzFile g = gzopen(path, "wb");
    if (!g)
        return -1;
    int ok = gzwrite(g, head, (unsigned)hl) == (int)hl &&
             gzwrite(g, data, (unsigned)total) == (int)total;
    return gzclose(g) == Z_OK && ok ? 0 : -1;
}

int td_write_shd(const char *path, size_t n, const double *const *times,
                 const int *const *units, const size_t *lens,
                 const int *labels, int f64, int flags)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return -1;
    hvl_t *vt = calloc(n ? n : 1, sizeof *vt), *vu = calloc(n ? n : 1,
                                                             sizeof *vu);
    double **tb = calloc(n ? n : 1, sizeof *tb);
    uint16_t **ub = calloc(n ? n : 1, sizeof *ub);
    uint8_t *lab = calloc(n ? n : 1, 1);
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        tb[i] = malloc((lens[i] ? lens[i] : 1) * sizeof **tb);
        ub[i] = malloc((lens[i] ? lens[i] : 1) * sizeof **ub);
        for (size_t k = 0; k < lens[i]; k++) {
            tb[i][k] = times[i][k];
            ub[i][k] = (uint16_t)units[i][k];
        }
        vt[i].len = vu[i].len = lens[i];
        vt[i].p = tb[i];
        vu[i].p = ub[i];
        lab[i] = (uint8_t)labels[i];
    }
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t g = H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t ft = H5Tvlen_create(f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE);
    hid_t mt = H5Tvlen_create(H5T_NATIVE_DOUBLE);
    hid_t fu = H5Tvlen_create(H5T_STD_U16LE);
    hid_t mu = H5Tvlen_create(H5T_NATIVE_UINT16);
    hid_t dt = H5Dcreate2(f, "spikes/times", ft, sp, H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT);
    hid_t du;
    int ok = g >= 0 && dt >= 0 &&
             H5Dwrite(dt, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vt) >= 0;
    if (flags & TD_SHD_UNITS_PLAIN) {
        /* units as a plain integer array: not the layout */
        du = H5Dcreate2(f, "spikes/units", H5T_STD_U16LE, sp, H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT);
        ok = ok && du >= 0 &&
             H5Dwrite(du, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      lab) >= 0;
    } else {
        du = H5Dcreate2(f, "spikes/units", fu, sp, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
        ok = ok && du >= 0 &&
             H5Dwrite(du, mu, H5S_ALL, H5S_ALL, H5P_DEFAULT, vu) >= 0;
    }
    hid_t dl = -1;
    if (!(flags & TD_SHD_NO_LABELS)) {
        dl = H5Dcreate2(f, "labels", H5T_STD_U8LE, sp, H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT);
        ok = ok && dl >= 0 &&
             H5Dwrite(dl, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      lab) >= 0;
    }
    if (dl >= 0)
        H5Dclose(dl);
    if (du >= 0)
        H5Dclose(du);
    if (dt >= 0)
        H5Dclose(dt);
    H5Tclose(ft);
    H5Tclose(mt);
    H5Tclose(fu);
    H5Tclose(mu);
    if (g >= 0)
        H5Gclose(g);
    H5Sclose(sp);
    if (H5Fclose(f) >= 0 && ok)
        rc = 0;
    for (size_t i = 0; i < n; i++) {
        free(tb[i]);
        free(ub[i]);
    }
    free(tb);
    free(ub);
    free(vt);
    free(vu);
    free(lab);
    return rc;
}
