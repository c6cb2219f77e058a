/* core/config/decl.c — settings tables: lookup and value checks
 * (decl.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/decl.h"

const sl_setting *sl__decl_at(const sl_setting *table, size_t i)
{
    size_t stride = table[0].struct_size;
    return (const sl_setting *)((const char *)table + i * stride);
}

static const sl_setting *find_in(const sl_setting *t, size_t n,
                                 const char *name)
{
    for (size_t i = 0; t && i < n; i++) {
        const sl_setting *s = sl__decl_at(t, i);
        if (s->name && strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

const sl_setting *sl__decl_find(const sl__decl *d, const char *name)
{
    const sl_setting *s = find_in(d->own, d->n_own, name);
    return s ? s : find_in(d->common, d->n_common, name);
}

static int members_in(const sl_setting *t, size_t n, const char *group)
{
    size_t len = strlen(group);
    for (size_t i = 0; t && i < n; i++) {
        const sl_setting *s = sl__decl_at(t, i);
        if (s->name && strncmp(s->name, group, len) == 0 &&
            s->name[len] == '.')
            return 1;
    }
    return 0;
}

int sl__decl_has_members(const sl__decl *d, const char *group)
{
    return members_in(d->own, d->n_own, group) ||
           members_in(d->common, d->n_common, group);
}

const char *sl__setting_type_name(uint32_t type)
{
    switch (type) {
    case SL_SET_INT: return "integer";
    case SL_SET_FLOAT: return "number";
    case SL_SET_BOOL: return "boolean";
    case SL_SET_STRING: return "string";
    case SL_SET_FLOATS: return "number(s)";
    case SL_SET_LIST: return "list";
    case SL_SET_GROUP: return "group";
    default: return "?";
    }
}

/* strtod/strtoll over the whole text */
static int parse_number(const char *text, int integer, double *out)
{
    char *end;
    errno = 0;
    if (integer) {
        long long v = strtoll(text, &end, 0);
        if (*end == 'L' || *end == 'l')
            end++;
        *out = (double)v;
    } else {
        *out = strtod(text, &end);
    }
    return end != text && *end == '\0' && errno == 0 && isfinite(*out);
}

int sl__setting_def_number(const sl_setting *s, double *out)
{
    *out = 0;
    if (!s->def)
        return 0;
    switch (s->type) {
    case SL_SET_INT: return parse_number(s->def, 1, out);
    case SL_SET_FLOAT:
    case SL_SET_FLOATS: return parse_number(s->def, 0, out);
    case SL_SET_BOOL:
        if (strcmp(s->def, "true") == 0)
            return *out = 1, 1;
        return strcmp(s->def, "false") == 0;
    default: return 0;
    }
}

char *sl__setting_range_text(const sl_setting *s, char *buf, size_t len)
{
    buf[0] = '\0';
    int lo = (s->flags & SL_SET_MIN) != 0, hi = (s->flags & SL_SET_MAX) != 0;
    int lo_open = (s->flags & SL_SET_MIN_OPEN) != 0;
    int hi_open = (s->flags & SL_SET_MAX_OPEN) != 0;
    if (s->type == SL_SET_STRING && s->choices) {
        snprintf(buf, len, "one of: ");
        size_t k = strlen(buf);
        for (const char *c = s->choices; *c && k + 3 < len; c++) {
            if (*c == '|') {
                buf[k++] = ',';
                buf[k++] = ' ';
            } else {
                buf[k++] = *c;
            }
        }
        buf[k] = '\0';
    } else if (lo && hi && !lo_open && !hi_open) {
        snprintf(buf, len, "%g .. %g", s->min, s->max);
    } else if (lo && hi) {
        snprintf(buf, len, "%s %g and %s %g", lo_open ? ">" : ">=", s->min,
                 hi_open ? "<" : "<=", s->max);
    } else if (lo) {
        snprintf(buf, len, "%s %g", lo_open ? ">" : ">=", s->min);
    } else if (hi) {
        snprintf(buf, len, "%s %g", hi_open ? "<" : "<=", s->max);
    }
    return buf;
}

int sl__setting_number_ok(const sl_setting *s, double v)
{
    if (s->flags & SL_SET_MIN) {
        if (s->flags & SL_SET_MIN_OPEN ? !(v > s->min) : !(v >= s->min))
            return 0;
    }
    if (s->flags & SL_SET_MAX) {
        if (s->flags & SL_SET_MAX_OPEN ? !(v < s->max) : !(v <= s->max))
            return 0;
    }
    return 1;
}

int sl__setting_choice_ok(const sl_setting *s, const char *v)
{
    if (!s->choices || !v)
        return 1;
    size_t len = strlen(v);
    for (const char *c = s->choices; c;) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == len && strncmp(c, v, n) == 0)
            return 1;
        c = bar ? bar + 1 : NULL;
    }
    return 0;
}

int sl__setting_validate(const sl_setting *s, char *why, size_t len)
{
    if (!s->name && s->type == 0)
        return 0; /* SL_NO_SETTINGS */
    if (!s->name || !s->name[0]) {
        snprintf(why, len, "a setting without a name");
        return -1;
    }
    if (s->type < SL_SET_INT || s->type > SL_SET_GROUP) {
        snprintf(why, len, "setting '%s': unknown type %u", s->name,
                 (unsigned)s->type);
        return -1;
    }
    if (!s->def)
        return 0;
    double v;
    if (s->type == SL_SET_STRING) {
        if (!sl__setting_choice_ok(s, s->def)) {
            snprintf(why, len, "setting '%s': default \"%s\" is not one of "
                     "its choices %s", s->name, s->def, s->choices);
            return -1;
        }
        return 0;
    }
    if (s->type == SL_SET_LIST || s->type == SL_SET_GROUP)
        return 0; /* documentation only ("[]", "{}") */
    if (!sl__setting_def_number(s, &v)) {
        snprintf(why, len, "setting '%s': default \"%s\" is not %s %s",
                 s->name, s->def, s->type == SL_SET_INT ? "an" : "a",
                 sl__setting_type_name(s->type));
        return -1;
    }
    if (s->type != SL_SET_BOOL && !sl__setting_number_ok(s, v)) {
        char r[128];
        snprintf(why, len, "setting '%s': default %s is outside its own "
                 "range (%s)", s->name, s->def,
                 sl__setting_range_text(s, r, sizeof r));
        return -1;
    }
    return 0;
}
