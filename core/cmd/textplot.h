/* core/cmd/textplot.h — a compact text plot of a curve (the loss of a run in
 * `spikelab show`), readable in any terminal and in a log file.
 *
 *   loss: 300 values, steps 1..300, log scale
 *     0.4985 |**
 *            |  ***
 *            |     *****
 *     0.0011 |          ***********************************************
 *            +-----------------------------------------------------------
 *             1                                                      300
 *
 * Each column covers an equal share of the step range and marks every
 * row between the smallest and the largest value that falls in it, so
 * noise shows as a band instead of vanishing. NaN and infinite values are
 * left out (and counted in the title line). The y axis is logarithmic
 * when every value is > 0 and they span two decades or more. */
#ifndef SL_CORE_TEXTPLOT_H
#define SL_CORE_TEXTPLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Plot n points (x[i], y[i]) (x ascending; both borrowed) as `rows` lines
 * of `cols` plot characters after a title line naming `name`, each line
 * starting with indent. Nothing is printed when no value is finite.
 * rows >= 2, cols >= 8 (smaller values are raised). Returns 0, or -1 when
 * out of memory. */
int sl__text_plot(FILE *f, const char *indent, const char *name,
                  const int64_t *x, const double *y, size_t n, int cols,
                  int rows);

#endif
