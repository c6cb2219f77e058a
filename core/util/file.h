/* core/util/file.h — reading a named file whole, safely.
 *
 * Every file the core reads whole because a user named it (an experiment
 * file, an @include, a file an exporter wrote) goes through here, so a
 * FIFO cannot block the run, /dev/zero cannot grow it until the OOM
 * killer, and a directory gives a message instead of a scanner failure
 * (issue 12). */
#ifndef SL_CORE_FILE_H
#define SL_CORE_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

/* The largest experiment file or @include the loader reads: 16 MiB, far
 * above any real configuration (the largest in the tree is a few KB). */
#define SL__CONFIG_MAX_BYTES ((size_t)16 << 20)

enum {
    SL__FILE_REGULAR = 0,   /* only a regular file */
    SL__FILE_STREAM = 1     /* also a pipe or FIFO, read once: lets
                               `spikelab run <(cat exp.cfg)` work */
};

/* Read `path` whole into *data (malloc'd, NUL-terminated; caller frees)
 * and its length into *len. Refused, with "PATH: reason" on err:
 * anything but a regular file (and a pipe/FIFO with SL__FILE_STREAM),
 * checked on the open descriptor, which is opened non-blocking so that a
 * FIFO is never waited on unless streams are allowed; more than `max`
 * bytes. Returns SL_OK, SL_EIO (cannot open/read), SL_ECONFIG (not a
 * regular file, too large) or SL_ENOMEM. */
int sl__file_read(const char *path, size_t max, int flags, char **data,
                  size_t *len, sl__err *err);

/* SL_OK when `path` names a regular file of at most `max` bytes (0: no
 * bound), else SL_EIO (cannot stat: errno's text) or SL_ECONFIG (what it
 * is instead, or its size) with "PATH: reason" on err. For files another
 * reader opens (libconfig's @include, dlopen). Follows symlinks. */
int sl__file_check_regular(const char *path, size_t max, sl__err *err);

/* "a directory", "a FIFO", "a character device", ... for st_mode. */
const char *sl__file_kind(unsigned mode);

/* ---- writing a result file (issue 12, finding 7) ---------------------------
 * Every file spikelab writes because a user asked for it (export -o,
 * export --artifacts, export-device's device configuration) is written to
 * a temporary file beside its final name ("DIR/.spikelab-XXXXXX-NAME", so
 * the extension stays), synced, and renamed over the final name only when
 * complete: a process killed or failing mid-write (full disk, a file size
 * limit) leaves the previous file as it was, never a truncated one under
 * the final name. Killed, it may leave the hidden temporary file behind;
 * failing, it removes it. The new file gets the mode of the file it
 * replaces, or 0666 minus the umask, as fopen would give it. A symbolic
 * link is written through (its target is replaced or created, the link
 * kept). An
 * existing target that is not a regular file (a terminal, a pipe,
 * /dev/stdout) has no content to lose and cannot be renamed over: it is
 * written in place, as before. */
typedef struct sl__afile {
    FILE *f;       /* write here (or, for a writer that opens files by
                      name, to sl__afile_name) */
    char *path;    /* where the file goes (the link's target for a link) */
    char *tmp;     /* the temporary file; NULL when writing in place */
    unsigned mode; /* the final file's permissions */
} sl__afile;

/* Start writing `path`: a->f is open for writing (mode 0600 until
 * commit).
 * SL_EIO with "PATH: reason" when the directory cannot take a new file;
 * SL_ENOMEM. On failure nothing is left to clean up. */
int sl__afile_open(sl__afile *a, const char *path, sl__err *err);
/* Finish: fsync, close, give the mode, rename over a->path, fsync the
 * directory. Afterwards (success or not) a is released; on failure the
 * temporary file is removed and the previous file is untouched. SL_EIO
 * with "PATH: reason". */
int sl__afile_commit(sl__afile *a, sl__err *err);
/* The name being written: the temporary file (or path, in place); for a
 * writer that opens the file itself (an exporter's xExport). Borrowed. */
const char *sl__afile_name(const sl__afile *a);
/* Give up: close and remove the temporary file; a is released. Safe on a
 * released or zeroed a. */
void sl__afile_abort(sl__afile *a);

/* The whole of data[size] to path, as above. SL_OK, SL_EIO (message
 * "PATH: reason"), SL_ENOMEM. */
int sl__file_write_atomic(const char *path, const void *data, size_t size,
                          sl__err *err);

/* 1 when writing `path` would write the file `other` (issue 12, finding
 * 4): both exist and are one inode (st_dev, st_ino; symbolic links
 * followed, so "./x", "../d/x" and a link to x are all x), or neither
 * exists and both name one entry of one directory (the directory compared
 * by inode, the last component by name). 0 otherwise, including when
 * either cannot be examined. */
int sl__file_same(const char *path, const char *other);

#endif
