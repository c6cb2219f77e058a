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

#endif
