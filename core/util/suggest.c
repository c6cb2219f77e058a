/* core/util/suggest.c — edit distance and nearest names (suggest.h). */
#include <string.h>

#include "util/suggest.h"

size_t sl__edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void sl__suggest_init(sl__suggest *sg, const char *word, size_t limit)
{
    sg->word = word;
    sg->best = NULL;
    if (limit == 0) {
        /* "tau_mme" → "tau_mem" is 2 edits; long names tolerate more, but
         * short ones would match anything within 3 */
        size_t len = word ? strlen(word) : 0;
        limit = len / 3 + 1 > 3 ? len / 3 + 1 : 3;
    }
    sg->best_dist = limit;
}

void sl__suggest_add(sl__suggest *sg, const char *candidate)
{
    if (!sg->word || !candidate || strcmp(sg->word, candidate) == 0)
        return;
    size_t d = sl__edit_distance(sg->word, candidate);
    if (d < sg->best_dist) {
        sg->best_dist = d;
        sg->best = candidate;
    }
}
