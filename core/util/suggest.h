/* core/util/suggest.h — "did you mean ...?": the nearest of a set of names
 * by edit distance, for unknown component names and unknown settings. */
#ifndef SL_CORE_SUGGEST_H
#define SL_CORE_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance of a and b (insert, delete, substitute: 1 each);
 * (size_t)-1 when either is longer than 63 bytes. */
size_t sl__edit_distance(const char *a, const char *b);

/* Nearest-name search: call sl__suggest_add for each candidate, then read
 * best. A candidate counts only when its distance is below `limit` and
 * below the best so far (the first of equals wins). best is borrowed from
 * the candidates. */
typedef struct sl__suggest {
    const char *word;  /* the unknown name */
    const char *best;  /* NULL until a plausible candidate was seen */
    size_t best_dist;
} sl__suggest;

/* limit: a plausible typo is closer than this; 0 picks a limit from the
 * word's length (2 for short words, a third of the length for long). */
void sl__suggest_init(sl__suggest *sg, const char *word, size_t limit);
void sl__suggest_add(sl__suggest *sg, const char *candidate);

#endif
