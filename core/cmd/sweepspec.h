/* core/cmd/sweepspec.h — the grammar of `spikelab sweep`'s arguments
 * (Hydra's multirun grammar, the part a grid needs) and the grid's points.
 *
 *   key=v              one value: every point gets it
 *   key=v1,v2,...      a list (a value may be quoted "..." or '...' to
 *                      hold commas; quotes are kept, as libconfig reads
 *                      a string)
 *   key=choice(v1,...) the same list
 *   key=range(a,b)     a, a+1, ... < b; key=range(a,b,step) with step
 *                      (negative: counting down); integers stay integers,
 *                      otherwise values a + i*step printed with %.15g
 *
 * key: letters, digits, '_', '.', '-' (not first). A key given twice, an
 * empty value, an unbalanced quote or parenthesis, a range that is empty,
 * has step 0 or more than SL__SWEEP_MAX_VALUES values is an error whose
 * message names the argument. Points: the Cartesian product, the first
 * key outermost (the last one changes fastest), as Hydra orders them.
 * No I/O: a decoder of outside input (tests/fuzz/fuzz_sweepspec.c). */
#ifndef SL_CMD_SWEEPSPEC_H
#define SL_CMD_SWEEPSPEC_H

#include <stddef.h>
#include <stdint.h>

#define SL__SWEEP_MAX_VALUES 100000 /* per key */
#define SL__SWEEP_MAX_KEY 256       /* bytes of a key */

typedef struct sl__sweep_axis {
    char *key;
    char **values; /* n values, each owned */
    size_t n;
} sl__sweep_axis;

typedef struct sl__sweep_spec {
    sl__sweep_axis *axes;
    size_t n_axes;
} sl__sweep_spec;

/* Add one argument to sp (zero-initialised before the first call). 0, or
 * -1 with the reason in msg[size] ("'ARG': what is wrong"); sp is left as
 * it was then. */
int sl__sweep_parse(sl__sweep_spec *sp, const char *arg, char *msg,
                    size_t size);

/* The number of points (the product of the value counts; 1 for no axes),
 * saturating at UINT64_MAX. */
uint64_t sl__sweep_n_points(const sl__sweep_spec *sp);

/* The value of axis a at point i (i < sl__sweep_n_points): borrowed. */
const char *sl__sweep_value(const sl__sweep_spec *sp, uint64_t i, size_t a);

/* Point i as one line, "k=v\tk=v..." (tab-separated: values hold no tab),
 * malloc'd; NULL when memory ran out. */
char *sl__sweep_point_line(const sl__sweep_spec *sp, uint64_t i);

/* The axis of `key`, or -1. */
long sl__sweep_find(const sl__sweep_spec *sp, const char *key);

void sl__sweep_free(sl__sweep_spec *sp);

#endif
