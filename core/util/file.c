/* core/util/file.c — reading a named file whole, safely (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spikelab/abi.h"
#include "util/file.h"

const char *sl__file_kind(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "not a file";
    }
}

static int too_large(const char *path, size_t max, sl__err *err)
{
    return sl__fail(err, SL_ECONFIG, "%s: larger than %zu MiB (%zu bytes), "
                    "the most read from one file", path, max >> 20, max);
}

int sl__file_check_regular(const char *path, size_t max, sl__err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sl__fail(err, SL_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sl__fail(err, SL_ECONFIG, "%s: not a regular file (%s)", path,
                        sl__file_kind(st.st_mode));
    if (max && (uintmax_t)st.st_size > max)
        return too_large(path, max, err);
    return SL_OK;
}

int sl__file_read(const char *path, size_t max, int flags, char **data,
                  size_t *len, sl__err *err)
{
    *data = NULL;
    *len = 0;
    /* non-blocking, so that opening a FIFO without a writer returns at
     * once and fstat can say what it is */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return sl__fail(err, SL_EIO, "%s: cannot read: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl__fail(err, SL_EIO, "%s: %s", path, strerror(e));
    }
    int stream = S_ISFIFO(st.st_mode) && (flags & SL__FILE_STREAM);
    if (!S_ISREG(st.st_mode) && !stream) {
        close(fd);
        return sl__fail(err, SL_ECONFIG, "%s: not a regular file (%s)", path,
                        sl__file_kind(st.st_mode));
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
        close(fd);
        return too_large(path, max, err);
    }
    /* a pipe is read as a pipe: wait for its writer like cat would */
    if (stream)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 8192, n = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? SL_OK : sl__fail(err, SL_ENOMEM, "%s: out of memory",
                                    path);
    while (rc == SL_OK) {
        if (n == cap) {
            /* a regular file that grew, or a pipe: bounded all the same */
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = nc > cap ? realloc(buf, nc + 1) : NULL;
            if (!nb) {
                rc = nc > cap ? sl__fail(err, SL_ENOMEM, "%s: out of memory",
                                         path)
                              : too_large(path, max, err);
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = sl__fail(err, SL_EIO, "%s: read error: %s", path,
                          strerror(errno));
        else if (got == 0)
            break;
        else
            n += (size_t)got;
        if (rc == SL_OK && n > max)
            rc = too_large(path, max, err);
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return SL_OK;
}

/* ---- writing a result file ------------------------------------------------ */

/* The directory part of path ("." when none), malloc'd; *base points at
 * the last component inside path. NULL without memory. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* 0666 minus the process's umask, read without changing it (umask(2)
 * sets while it reads, which would race with other threads creating
 * files); 0644 when /proc does not say. */
static unsigned default_mode(void)
{
    unsigned mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &mask) == 1)
                break;
        fclose(f);
    }
    return 0666u & ~mask;
}

/* Where the symbolic link at path points (relative to the link's
 * directory), malloc'd; NULL when it cannot be read. */
static char *link_target(const char *path)
{
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    if (buf[0] == '/')
        return strdup(buf);
    const char *base;
    char *dir = dir_of(path, &base);
    size_t len = dir ? strlen(dir) + (size_t)n + 2 : 0;
    char *t = dir ? malloc(len) : NULL;
    if (t)
        snprintf(t, len, "%s/%s", dir, buf);
    free(dir);
    return t;
}

static void afile_release(sl__afile *a)
{
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int sl__afile_open(sl__afile *a, const char *path, sl__err *err)
{
    memset(a, 0, sizeof *a);
    struct stat st;
    /* through a symbolic link to its target, as fopen would write; a
     * link to a file not there yet names the file to create */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
        !(a->path = realpath(path, NULL)))
        a->path = link_target(path);
    if (!a->path && !(a->path = strdup(path)))
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", path);
    int exists = stat(a->path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        /* a terminal, a pipe, /dev/stdout: nothing to keep, and nothing
         * can be renamed over it */
        if (!(a->f = fopen(a->path, "wb"))) {
            int e = errno;
            afile_release(a);
            return sl__fail(err, SL_EIO, "%s: %s", path, strerror(e));
        }
        return SL_OK;
    }
    a->mode = exists ? (unsigned)(st.st_mode & 07777) : default_mode();
    const char *base;
    char *dir = dir_of(a->path, &base);
    size_t len = dir ? strlen(dir) + strlen(base) + 32 : 0;
    if (!dir || !(a->tmp = malloc(len))) {
        free(dir);
        afile_release(a);
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", path);
    }
    /* hidden, and ending in the final name so the extension stays */
    snprintf(a->tmp, len, "%s/.spikelab-XXXXXX-%s", dir, base);
    free(dir);
    int fd = mkstemps(a->tmp, (int)strlen(base) + 1);
    if (fd < 0) {
        int e = errno;
        afile_release(a);
        return sl__fail(err, SL_EIO, "%s: cannot create a file beside it: %s",
                        path, strerror(e));
    }
    if (!(a->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        afile_release(a);
        return sl__fail(err, SL_EIO, "%s: %s", path, strerror(e));
    }
    return SL_OK;
}

const char *sl__afile_name(const sl__afile *a)
{
    return a->tmp ? a->tmp : a->path;
}

void sl__afile_abort(sl__afile *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    afile_release(a);
}

int sl__afile_commit(sl__afile *a, sl__err *err)
{
    int e = 0;
    const char *what = "write error";
    if (a->f && (fflush(a->f) != 0 || ferror(a->f)))
        e = errno ? errno : EIO;
    if (a->f && fclose(a->f) != 0 && !e)
        e = errno;
    a->f = NULL;
    if (!a->tmp) {
        int rc = e ? sl__fail(err, SL_EIO, "%s: %s: %s", a->path, what,
                              strerror(e))
                   : SL_OK;
        afile_release(a);
        return rc;
    }
    /* by name: a writer that opened the file itself may have replaced it */
    if (!e) {
        int fd = open(a->tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0 || fchmod(fd, (mode_t)a->mode) != 0) {
            e = errno;
            what = "cannot sync it to disk";
        }
        if (fd >= 0)
            close(fd);
    }
    if (!e && rename(a->tmp, a->path) != 0) {
        e = errno;
        what = "cannot put it in place";
    }
    if (e) {
        unlink(a->tmp);
        int rc = sl__fail(err, SL_EIO, "%s: %s: %s (the previous file, if "
                          "any, is left as it was)", a->path, what,
                          strerror(e));
        afile_release(a);
        return rc;
    }
    /* the rename itself survives a crash only once the directory is
     * synced; failing that, the file is complete all the same */
    const char *base;
    char *dir = dir_of(a->path, &base);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    afile_release(a);
    return SL_OK;
}

int sl__file_write_atomic(const char *path, const void *data, size_t size,
                          sl__err *err)
{
    sl__afile a;
    int rc = sl__afile_open(&a, path, err);
    if (rc)
        return rc;
    if (size && fwrite(data, 1, size, a.f) != size) {
        int e = errno ? errno : EIO;
        char shown[4096];
        snprintf(shown, sizeof shown, "%s", a.path);
        sl__afile_abort(&a);
        return sl__fail(err, SL_EIO, "%s: write error: %s (the previous "
                        "file, if any, is left as it was)", shown,
                        strerror(e));
    }
    return sl__afile_commit(&a, err);
}

int sl__file_same(const char *path, const char *other)
{
    struct stat a, b;
    int ea = stat(path, &a) == 0, eb = stat(other, &b) == 0;
    if (ea || eb)
        return ea && eb && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    /* a link to a file not there yet writes that file */
    if (lstat(path, &a) == 0 && S_ISLNK(a.st_mode)) {
        char *t = link_target(path);
        int same = t && strcmp(t, path) != 0 && lstat(t, &b) != 0 &&
                   sl__file_same(t, other);
        free(t);
        return same;
    }
    /* neither exists yet: the same name in the same directory */
    const char *ba, *bb;
    char *da = dir_of(path, &ba), *db = dir_of(other, &bb);
    int same = da && db && strcmp(ba, bb) == 0 && stat(da, &a) == 0 &&
               stat(db, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
    free(da);
    free(db);
    return same;
}
