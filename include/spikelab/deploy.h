/*
 * spikelab/deploy.h — deploying a trained network to a device: what an
 * exporter offers beyond writing a configuration file.
 *
 * An exporter is a backend component flagged SL_BACKEND_EXPORTS: its
 * xExport (backend.h) writes the device configuration of a network to a
 * file. This extension, returned by the backend's xExtension for
 * SL_EXT_DEPLOY, adds the rest of the deployment interface:
 *
 *   xQuantise  the network as the device would run it (parameters
 *              rounded to what the device can hold), written into a
 *              network view the core gives;
 *   xRead      a configuration file read back into a network view;
 *   xFigures   named figures (numbers and short strings) about the last
 *              configuration written or read, for the run's results and
 *              its report;
 *   file_ext, mime  how the core names and labels the stored file.
 *
 * What the core does with it (the `export` section of an experiment,
 * `spikelab export-device`): it creates the exporter and calls xPlace on
 * the untrained network (a network that cannot fit is refused before
 * training); after training it calls xExport and stores the file as the
 * run artifact "device/TYPE.EXT" (TYPE the component name); it asks
 * xFigures(SL_DEPLOY_WRITTEN) and prints the SL_FIGURE_REPORT figures and
 * stores the SL_FIGURE_RESULT ones as results "export_NAME". When the
 * export section has evaluate = true (the default) and xRead is offered,
 * it reads the file back into the network (keeping the float parameters
 * aside), checks it against xQuantise of the float network bit for bit
 * (result export_roundtrip_identical, when xQuantise is offered), prints
 * the SL_FIGURE_REPORT figures of xFigures(SL_DEPLOY_READ), repeats every
 * evaluation of the experiment on it with results "quantised_NAME", and
 * restores the float parameters.
 *
 * An exporter without this extension (ABI 1.0) still works: its file is
 * stored as "device/TYPE" (application/octet-stream), with no figures and
 * no quantised evaluation.
 *
 * Every slot is called with the `self` of the backend's xCreate, from one
 * thread, and reports errors through the ctx of that xCreate (host
 * xError), returning the negative status.
 */
#ifndef SPIKELAB_DEPLOY_H
#define SPIKELAB_DEPLOY_H

#include "abi.h"
#include "backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_EXT_DEPLOY "sl.deploy.v1"

/* sl_figure.flags */
enum {
    SL_FIGURE_RESULT = 1u << 0, /* store as the run's result "export_NAME" */
    SL_FIGURE_REPORT = 1u << 1  /* print as one line of the report */
};

/* xFigures `what` */
enum {
    SL_DEPLOY_WRITTEN = 0, /* the configuration of the last xExport */
    SL_DEPLOY_READ = 1     /* the configuration of the last xRead */
};

/* One named figure. Borrowed by the callee for the duration of the emit
 * call only (the core copies what it keeps). */
typedef struct sl_figure {
    uint32_t struct_size; /* sizeof(sl_figure) of the exporter's ABI */
    uint32_t flags;       /* SL_FIGURE_* (0: neither stored nor printed) */
    /* [a-z0-9_]+, unique among the figures of one xFigures call, e.g.
     * "cores" (stored as result "export_cores"). MUST NOT be NULL. */
    const char *name;
    /* A number: text == NULL and value the number (a NaN is stored as
     * NULL). A short string: text (UTF-8, one line, <= 200 bytes; the
     * core truncates longer ones) and value 0 or a number it stands for.
     * The report prints "  TEXT" for a string, "  NAME = VALUE" (%g) for
     * a number. */
    const char *text;
    double value;
} sl_figure;

/* The core's receiver of figures: returns 0, or a negative status that
 * xFigures MUST stop at and return. */
typedef int (*sl_figure_fn)(void *user, const sl_figure *figure);

typedef struct sl_deploy_ext {
    uint32_t struct_size; /* sizeof(sl_deploy_ext) of the exporter's ABI */

    /* --- sl.deploy.v1 --- */

    /* File name extension of the configuration, without the dot, e.g.
     * "json" (artifact "device/TYPE.json", export-device's default file
     * TYPE-run-ID.json), and its media type, e.g. "application/json".
     * Static strings; NULL: no extension / "application/octet-stream". */
    const char *file_ext;
    const char *mime;

    /* OPTIONAL (NULL: no round-trip check). Write into the tensors of
     * `out` the parameters the device would run for `net`: quantised
     * weights, currents as the device's bias generator gives them...
     * `out` has the same layers and tensors as `net` (the core builds it
     * from net, with its own buffers) and MAY be net itself. Only tensors
     * the device holds are written; the others keep their values. The
     * result MUST equal, bit for bit, what xRead gives for the file that
     * xExport writes for `net`. Borrowed views, valid for the call.
     * Errors as xPlace (SL_EFIT names the limit). */
    int (*xQuantise)(void *self, const sl_network_view *net,
                     const sl_network_view *out);

    /* OPTIONAL (NULL: the core cannot evaluate the deployed network).
     * Read a configuration written by xExport at `path` and write the
     * parameters it encodes into the tensors of `out` (a network of the
     * same structure as the one exported; tensors the file does not hold
     * keep their values). The file is borrowed for the call; nothing of
     * it is kept. Errors name the file: SL_EIO (cannot read), SL_EDATA
     * (malformed or inconsistent), SL_EINVAL (does not match out's
     * layers or sizes). On error `out` MAY be partly written (the core
     * restores it). */
    int (*xRead)(void *self, const char *path, const sl_network_view *out);

    /* OPTIONAL (NULL: no figures). Call emit(user, figure) once per
     * figure of the configuration the last xExport wrote (`what` =
     * SL_DEPLOY_WRITTEN) or the last xRead read (SL_DEPLOY_READ), in the
     * order they are to be printed; nothing when there is no such call
     * yet. Return 0, or emit's negative status at once. For
     * SL_DEPLOY_READ the core only prints (SL_FIGURE_REPORT) and stores
     * nothing. */
    int (*xFigures)(void *self, int what, sl_figure_fn emit, void *user);
} sl_deploy_ext;

#ifdef __cplusplus
}
#endif

#endif
