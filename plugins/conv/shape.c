/*
 * plugins/conv/shape.c — reading window geometry from the settings, and
 * the output length of a sliding window.
 *
 * The host has no getter for a list of integers. A setting that is "a
 * scalar or [h, w]" is declared SL_SET_LIST; the elements are counted
 * through xHasKey("KEY.[i]"), then the whole list is read once with
 * xGetFloatVec (which marks it as read and checks that every element is a
 * finite number), and each element is checked to be a whole number here.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "conv.h"

/* Elements of the list at key (0 when key is absent or not a list),
 * counting up to cap + 1 so that one too many is seen. */
static size_t list_len(cv__layer *l, const char *key, size_t cap)
{
    size_t i;
    for (i = 0; i <= cap; i++) {
        char k[80];
        if ((size_t)snprintf(k, sizeof k, "%s.[%zu]", key, i) >= sizeof k)
            break;
        if (!l->host->xHasKey(l->ctx, k))
            break;
    }
    return i;
}

/* Read the m elements of a list as whole numbers >= min. */
static int read_list(cv__layer *l, const char *key, size_t m, int64_t min,
                     size_t *out)
{
    const sl_host *h = l->host;
    float v[CV__MAX_RANK];
    int rc = h->xGetFloatVec(l->ctx, key, 0.0, v, m);
    if (rc)
        return rc;
    for (size_t i = 0; i < m; i++) {
        if (v[i] != floorf(v[i]) || v[i] < (float)min || v[i] > 1e7f)
            return h->xError(l->ctx, key, SL_ECONFIG,
                             "element %zu is %g: every element must be a "
                             "whole number >= %lld",
                             i, (double)v[i], (long long)min);
        out[i] = (size_t)v[i];
    }
    return SL_OK;
}

int cv__get_ints(cv__layer *l, const char *key, int64_t def, size_t n,
                 int64_t min, int scalar_ok, size_t *out)
{
    const sl_host *h = l->host;
    int rc;
    if (h->xHasKey(l->ctx, key) && list_len(l, key, n) > 0) {
        size_t m = list_len(l, key, CV__MAX_RANK);
        if (m != n) {
            /* mark it read: the error below is the one to show */
            float tmp[CV__MAX_RANK + 1];
            (void)h->xGetFloatVec(l->ctx, key, 0.0, tmp, m);
            return h->xError(l->ctx, key, SL_ECONFIG,
                             "expected %s%zu whole numbers, found a list of "
                             "%zu",
                             scalar_ok ? "one number or a list of " : "a "
                                                                      "list "
                                                                      "of ",
                             n, m);
        }
        return read_list(l, key, n, min, out);
    }
    if (!scalar_ok && !h->xHasKey(l->ctx, key))
        return h->xError(l->ctx, key, SL_ECONFIG,
                         "required: the input's shape as a list of %zu "
                         "whole numbers",
                         n);
    int64_t v;
    if ((rc = h->xGetInt(l->ctx, key, def, &v)))
        return rc;
    if (!scalar_ok)
        return h->xError(l->ctx, key, SL_ECONFIG,
                         "expected a list of %zu whole numbers, found one "
                         "number",
                         n);
    if (def < 0 && !h->xHasKey(l->ctx, key))
        return h->xError(l->ctx, key, SL_ECONFIG,
                         "required: a whole number or a list of %zu", n);
    if (v < min || v > 10000000)
        return h->xError(l->ctx, key, SL_ECONFIG,
                         "%lld is out of range: it must be a whole number "
                         ">= %lld",
                         (long long)v, (long long)min);
    for (size_t i = 0; i < n; i++)
        out[i] = (size_t)v;
    return SL_OK;
}

int cv__get_shape(cv__layer *l, const char *key, size_t *out, size_t *rank)
{
    const sl_host *h = l->host;
    *rank = 0;
    if (!h->xHasKey(l->ctx, key))
        return SL_OK;
    size_t m = list_len(l, key, CV__MAX_RANK);
    if (m == 0 || m > CV__MAX_RANK) {
        float tmp[CV__MAX_RANK + 1];
        (void)h->xGetFloatVec(l->ctx, key, 0.0, tmp,
                              m > CV__MAX_RANK ? m : 1);
        return h->xError(l->ctx, key, SL_ECONFIG,
                         "expected a list of 1 to %d whole numbers (the "
                         "input's shape)",
                         CV__MAX_RANK);
    }
    *rank = m;
    return read_list(l, key, m, 1, out);
}

int cv__check_n_in(cv__layer *l, const size_t *shape, size_t rank,
                   size_t n_in)
{
    size_t prod = 1;
    int wrap = 0;
    char txt[160];
    size_t at = 0;
    for (size_t i = 0; i < rank; i++) {
        /* a product past SIZE_MAX is a mismatch, never a wrap */
        wrap |= __builtin_mul_overflow(prod, shape[i], &prod);
        int w = snprintf(txt + at, sizeof txt - at, "%s%zu", i ? ", " : "",
                         shape[i]);
        if (w > 0 && (size_t)w < sizeof txt - at)
            at += (size_t)w;
    }
    if (wrap || prod != n_in)
        return l->host->xError(l->ctx, "in_shape", SL_ECONFIG,
                               "in_shape [%s] has %s%zu elements but the "
                               "layer before gives %zu channels per step; "
                               "the product of in_shape must equal the "
                               "input width",
                               txt, wrap ? "more than " : "",
                               wrap ? SIZE_MAX : prod, n_in);
    return SL_OK;
}

int cv__out_len(cv__layer *l, const char *key, const char *axis, size_t in,
                size_t k, size_t s, size_t p, size_t d, size_t *out)
{
    size_t span = d * (k - 1) + 1; /* extent of the dilated kernel */
    if (in + 2 * p < span)
        return l->host->xError(l->ctx, key, SL_ECONFIG,
                               "the kernel spans %zu along %s (kernel %zu, "
                               "dilation %zu) but the padded input has only "
                               "%zu (size %zu + 2 x padding %zu): make the "
                               "kernel smaller or pad more",
                               span, axis, k, d, in + 2 * p, in, p);
    *out = (in + 2 * p - span) / s + 1;
    return SL_OK;
}

/* "[a, b, c]" of a shape into buf. */
static const char *shape_text(const size_t *shape, size_t rank, char *buf,
                              size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i <= rank; i++) {
        int w = i < rank ? snprintf(buf + at, len - at, "%s%zu",
                                    i ? ", " : "[", shape[i])
                         : snprintf(buf + at, len - at, "]");
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
    return buf;
}

int cv__in_shape(cv__layer *l, const sl_layer_info *info, size_t n,
                 const char *dims, size_t *out)
{
    int rc;
    if (l->host->xHasKey(l->ctx, "in_shape")) {
        if ((rc = cv__get_ints(l, "in_shape", -1, n, 1, 0, out)))
            return rc;
        return cv__check_n_in(l, out, n, info->n_in);
    }
    int known = SL_HAS_FIELD(sl_layer_info, info, in_rank) &&
                info->in_shape && info->in_rank >= 1 &&
                info->in_rank <= SL_MAX_RANK;
    if (known && info->in_rank == n) {
        memcpy(out, info->in_shape, n * sizeof *out);
        return cv__check_n_in(l, out, n, info->n_in);
    }
    char txt[160];
    if (!known)
        return l->host->xError(l->ctx, "in_shape", SL_ECONFIG,
                               "required: the input's shape %s (the core "
                               "reports no shape for the layer before)",
                               dims);
    return l->host->xError(l->ctx, "in_shape", SL_ECONFIG,
                           "not set, and the layer before gives steps of "
                           "shape %s, not %s: set in_shape = %s with a "
                           "product of %zu",
                           shape_text(info->in_shape, info->in_rank, txt,
                                      sizeof txt),
                           dims, dims, info->n_in);
}

int cv__out_shape(void *self, size_t *shape, size_t cap, size_t *rank)
{
    cv__layer *l = self;
    size_t s[3], r;
    if (l->op == CV__FLATTEN)
        s[0] = l->n_out, r = 1;
    else if (l->dim == 1)
        s[0] = l->O, s[1] = l->Wo, r = 2;
    else
        s[0] = l->O, s[1] = l->Ho, s[2] = l->Wo, r = 3;
    if (cap < r)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xOutShape: room for %zu dimensions, %zu "
                               "needed",
                               cap, r);
    memcpy(shape, s, r * sizeof *s);
    *rank = r;
    return SL_OK;
}

static const sl_shape_ext cv_shape_ext = {sizeof(sl_shape_ext),
                                          cv__out_shape};

const void *cv__extension(void *self, const char *name)
{
    (void)self;
    return name && strcmp(name, SL_EXT_SHAPE) == 0 ? &cv_shape_ext : NULL;
}
