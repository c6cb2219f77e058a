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
