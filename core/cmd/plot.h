/* core/cmd/plot.h — figures of what runs recorded, drawn with PLplot:
 * metric curves over epochs (several runs overlaid), spike rasters of a
 * recorded layer or of the input, traces of chosen neurons, the FRR
 * distributions and accuracies of the evaluations. One code path for `spikelab plot`
 * (files) and `spikelab ui` (figures served in its pages).
 *
 * PLplot keeps global state, so every figure is drawn under one lock:
 * the functions here may be called from several threads. */
#ifndef SL_CMD_PLOT_H
#define SL_CMD_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/rundb.h"

/* Output formats; the file name's extension picks one (sl__plot_format). */
enum { SL__PLOT_SVG = 0, SL__PLOT_PNG = 1, SL__PLOT_PDF = 2 };

/* What to draw, for the runs given. */
typedef struct sl__plot_req {
    const char *what;    /* "loss", "metric:NAME" (or any metric name),
                            "raster:LAYER", "input", "trace:LAYER/NAME",
                            "frr", "accuracy" */
    const char *neurons; /* traces: "0,3,5" or "0-7"; NULL: the first 8 */
    int format;          /* SL__PLOT_* */
    int width, height;   /* points (SVG, PDF) or pixels (PNG); 0: 800x500 */
    int logy;            /* curves: logarithmic y axis */
    int max_points;      /* curves: at most this many points per series
                            (min/max per bucket keep the envelope); 0: 4000 */
} sl__plot_req;

/* The format of a file name by its extension (.svg .png .pdf), or -1. */
int sl__plot_format(const char *path);
/* The media type of a format ("image/svg+xml", ...). */
const char *sl__plot_mime(int format);

/* Draw q for runs ids[n] (only curves take more than one run) into
 * *data (malloc'd, the caller frees) of *size bytes. Returns 0; 1 after a
 * database error or a failure to draw; 2 when the request does not fit
 * what the runs recorded (no such metric, layer or artifact): msg[len]
 * says what, naming the choices there are. */
int sl__plot_draw(sl_rundb *db, const int64_t *ids, size_t n,
                  const sl__plot_req *q, char **data, size_t *size,
                  char *msg, size_t len);

/* The figures worth showing for a run: calls cb with each "what" that
 * sl__plot_draw accepts for it (every recorded raster, trace and input,
 * the FRR and accuracy figures when evaluated) and a kind ("raster",
 * "trace", "frr", "accuracy"). Returns 0 or the database's error. */
int sl__plot_figures(sl_rundb *db, int64_t run,
                     int (*cb)(void *user, const char *what,
                               const char *kind),
                     void *user);

#endif
