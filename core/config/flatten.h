/* core/config/flatten.h — a configuration as flat key/value rows, one per scalar
 * setting, so recorded runs can be filtered and compared by any setting.
 *
 * Keys use the override syntax of the command line: group members by name,
 * list and array elements by 0-based index, joined by dots:
 *     optimizer.lr, network.layers.1.tau_mem, data.train.seed
 * A list element that is a group with a string member `name` (a layer
 * called "lif") also gets an alias with the name in place of the index:
 *     network.layers.lif.tau_mem
 * so both spellings an override accepts also find the row. Groups and
 * lists themselves have no row; empty ones leave no trace.
 *
 * Values keep their libconfig type: "int", "float", "bool" or "string".
 * text is the value as text (floats in the shortest form that reads back
 * to the same double; bools "true"/"false"); num is the numeric value of
 * ints, floats and bools (true = 1), has_num 0 for strings.
 */
#ifndef SL_CORE_FLATTEN_H
#define SL_CORE_FLATTEN_H

#include <stddef.h>

#include "config/config.h"

typedef struct sl__kv {
    char *key;        /* owned */
    char *alias;      /* owned; NULL when the key has no named element */
    const char *type; /* static: "int" | "float" | "bool" | "string" */
    char *text;       /* owned */
    double num;       /* valid when has_num */
    int has_num;
} sl__kv;

/* Flatten every scalar setting of cfg, in file order. On success *out
 * (owned, free with sl__kv_free) holds *n rows (*out may be NULL when
 * n is 0). SL_ENOMEM on allocation failure, with nothing to free. */
int sl__config_flatten(sl__config *cfg, sl__kv **out, size_t *n, sl__err *err);

/* Flatten configuration text (e.g. the effective config stored with a
 * run). SL_ECONFIG when it does not parse. */
int sl__config_flatten_text(const char *text, sl__kv **out, size_t *n,
                            sl__err *err);

void sl__kv_free(sl__kv *kv, size_t n);

/* The flat key (and alias, NULL when it equals the key) of `key` below
 * the group `base`, as sl__config_flatten would name it; both owned by
 * the caller (free). SL_ENOMEM. */
int sl__flat_key(sl__setting *base, const char *key, char **out,
                 char **alias);

/* The shortest "%.Ng" text of v that strtod reads back as v (N <= 17). */
void sl__fmt_double_exact(double v, char *buf, size_t len);

#endif
