/* core/util/err.c — status texts and the error carrier. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spikelab/abi.h"
#include "util/err.h"

SL_EXPORT const char *sl_strerror(int status)
{
    switch (status) {
#define SL__STATUS_TEXT(name, value, text) \
    case value:                            \
        return text;
        SL_STATUS_LIST(SL__STATUS_TEXT)
#undef SL__STATUS_TEXT
    default:
        return "unknown status";
    }
}

int sl__fail(sl__err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void sl__err_clear(sl__err *err)
{
    if (err) {
        err->code = SL_OK;
        err->msg[0] = '\0';
    }
}
