/*
 * plugins/dynapse2_export/json.h — the small JSON reader of json.c: a
 * parsed value tree (objects keep their keys in file order).
 */
#ifndef SL_PLUGIN_D2_JSON_H
#define SL_PLUGIN_D2_JSON_H

#include <stddef.h>
#include <stdio.h>

enum { D2_JNULL, D2_JBOOL, D2_JNUM, D2_JSTR, D2_JARR, D2_JOBJ };

typedef struct d2_json {
    int type;
    double num;            /* D2_JNUM; D2_JBOOL: 0 or 1 */
    char *str;             /* D2_JSTR */
    size_t n, cap;         /* D2_JARR, D2_JOBJ: elements */
    struct d2_json *items;
    char **keys;           /* D2_JOBJ */
} d2_json;

/* Parse text[0..len) into *out (free with d2_json_free). 0 with a message
 * "line L, column C: what" in err on failure (out is then empty). */
int d2_json_parse(const char *text, size_t len, d2_json *out, char *err,
                  size_t errlen);
void d2_json_free(d2_json *v);
/* Member `key` of an object, NULL when absent or o is not an object. */
const d2_json *d2_json_get(const d2_json *o, const char *key);

#endif
