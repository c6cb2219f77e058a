/* core/util/err.h — the core's error carrier: a status code and a message. */
#ifndef SL_CORE_ERR_H
#define SL_CORE_ERR_H

#include <stddef.h>

typedef struct sl__err {
    int code;        /* SL_OK or a negative sl_status */
    char msg[1024];  /* human-readable, names file (and line) when known */
} sl__err;

/* Set err (if non-NULL) and return code. */
int sl__fail(sl__err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sl__err_clear(sl__err *err);

#endif
