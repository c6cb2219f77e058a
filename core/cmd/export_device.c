/* core/cmd/export_device.c — `spikelab export-device RUN_ID`: write the
 * device configuration of a past run's trained network.
 *
 * The run's stored effective configuration is loaded again (plugins,
 * datasets, network: as `rerun` does), its trained parameters are read
 * from the run's artifacts params/LAYER/PARAM.npy into the network, and
 * the experiment's exporter (its `export` section; without one, the
 * exporter named by --type with default settings) writes the
 * configuration through the engine (engine/deploy.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/out.h"
#include "engine/engine.h"
#include "util/npy.h"

static const char usage[] =
    "usage: spikelab export-device RUN_ID [--out FILE] [--evaluate] "
    "[--type EXPORTER]\n"
    "                              [--db PATH] [key=value ...]\n"
    "\n"
    "Write the device configuration (e.g. Dynap-SE2 JSON, see README.md,\n"
    "\"Deploying to Dynap-SE2\") of run RUN_ID's trained network: the run's\n"
    "stored configuration is loaded again and its trained parameters are\n"
    "read from the run database. The exporter and its settings come from\n"
    "the run's `export` section; without one, give the exporter with\n"
    "--type (its default settings are used). key=value overrides change\n"
    "settings, e.g.\n"
    "  spikelab export-device last export.paramgen_table=table.txt\n"
    "(only where the run's configuration has an `export` section).\n"
    "\n"
    "options:\n"
    "  --out FILE   where to write (default: TYPE-run-RUN_ID.EXT, e.g.\n"
    "               dynapse2-run-3.json)\n"
    "  --type EXPORTER  the exporter (a backend component, e.g. dynapse2)\n"
    "               for a run without an `export` section\n"
    "  --evaluate   read the file back (the quantised network the chip\n"
    "               would run) and repeat the run's evaluations on it,\n"
    "               printed beside the run's recorded float results\n"
    "  --db PATH    run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help       this text\n"
    "\n"
    "exit status: 0 written, 1 failed (no such run, no trained parameters,\n"
    "the network does not fit the device), 2 bad usage\n";

/* Read every params/LAYER/PARAM.npy of run into the network (also for
 * `nir export`, cmd/nir.c; declared in cmd/cmd.h). */
typedef struct param_load {
    const char *cmd;
    sl_rundb *db;
    int64_t run;
    sl__experiment *exp;
    size_t loaded;
    int ret;
} param_load;

static int load_one(void *user, const sl_artifact_info *a)
{
    param_load *pl = user;
    const char *name = a->name;
    if (!a->in_db || !a->kind || strcmp(a->kind, "parameters") != 0 ||
        name == NULL || strncmp(name, "params/", 7) != 0)
        return 0;
    const char *lab = name + 7, *slash = strrchr(lab, '/');
    if (slash == NULL)
        return 0;
    sl__experiment *exp = pl->exp;
    sl_param *p = NULL;
    for (size_t i = 0; i < exp->net.n_layers && !p; i++) {
        sl__layer *l = &exp->net.layers[i];
        if (strlen(l->label) != (size_t)(slash - lab) ||
            strncmp(l->label, lab, (size_t)(slash - lab)) != 0)
            continue;
        for (size_t k = 0; k < l->n_params; k++) {
            char fn[300];
            snprintf(fn, sizeof fn, "%s.npy",
                     l->params[k].name ? l->params[k].name : "param");
            if (strcmp(fn, slash + 1) == 0)
                p = &l->params[k];
        }
    }
    if (p == NULL || p->data == NULL) {
        fprintf(stderr, "spikelab %s: run %lld: artifact %s "
                "matches no parameter of the network as configured now\n",
                pl->cmd, (long long)pl->run, name);
        pl->ret = 1;
        return 1;
    }
    const void *b = NULL;
    size_t size = 0, count = 0;
    int rc = sl_rundb_artifact(pl->db, pl->run, name, &b, &size);
    if (rc != SL_OK) {
        fprintf(stderr, "spikelab %s: %s\n", pl->cmd,
                sl_rundb_errmsg(pl->db));
        pl->ret = 1;
        return 1;
    }
    const float *d = b ? sl__npy_f32_data(b, size, &count) : NULL;
    if (d == NULL || count != p->n) {
        fprintf(stderr, "spikelab %s: run %lld: artifact %s "
                "is not a float32 array of %zu values\n",
                pl->cmd, (long long)pl->run, name, p->n);
        pl->ret = 1;
        return 1;
    }
    memcpy(p->data, d, count * sizeof(float));
    pl->loaded++;
    return 0;
}

/* The stored configuration of run (its path, or "(stored)", and the
 * effective text) into *cpath and *text, both malloc'd. 0, or 1 with
 * "spikelab CMD: ..." on stderr (nothing allocated). */
int sl__cli_run_config(const char *cmd, sl_rundb *db, int64_t run,
                       char **cpath, char **text)
{
    const sl_run_info *ri = NULL;
    *cpath = *text = NULL;
    if (sl_rundb_run(db, run, &ri) == SL_OK) {
        const char *a = ri->config_path, *b = ri->config_effective;
        *cpath = strdup(a ? a : "(stored)");
        *text = b && *b ? strdup(b) : NULL;
    }
    if (!*text || !*cpath) {
        fprintf(stderr, "spikelab %s: run %lld has no stored "
                "configuration\n", cmd, (long long)run);
        free(*cpath), free(*text);
        *cpath = *text = NULL;
        return 1;
    }
    return 0;
}

int sl__cli_load_params(const char *cmd, sl_rundb *db, int64_t run,
                        sl__experiment *exp)
{
    param_load pl = {cmd, db, run, exp, 0, 0};
    int rc = sl_rundb_artifacts(db, run, load_one, &pl);
    if (pl.ret)
        return 1;
    if (rc != SL_OK) {
        fprintf(stderr, "spikelab %s: %s\n", cmd, sl_rundb_errmsg(db));
        return 1;
    }
    size_t want = 0;
    for (size_t i = 0; i < exp->net.n_layers; i++)
        for (size_t k = 0; k < exp->net.layers[i].n_params; k++)
            want += (exp->net.layers[i].params[k].flags &
                     SL_PARAM_TRAINABLE) != 0;
    if (pl.loaded < want) {
        fprintf(stderr, "spikelab %s: run %lld has %zu of the %zu "
                "trained parameter tensors stored (was it trained and "
                "finished?)\n",
                cmd, (long long)run, pl.loaded, want);
        return 1;
    }
    return 0;
}

/* The run's recorded float results, printed beside the quantised ones. */
typedef struct lookup {
    sl_rundb *db;
    int64_t run;
    const char *name;
    double value;
    int found;
} lookup;

static int match_result(void *user, const char *name, double value,
                        const char *text)
{
    lookup *lk = user;
    (void)text;
    if (strcmp(name, lk->name) != 0)
        return 0;
    lk->value = value;
    lk->found = 1;
    return 1; /* stop: found */
}

static int float_result(void *user, const char *name, double *value)
{
    lookup *lk = user;
    lk->name = name;
    lk->found = 0;
    sl_rundb_results(lk->db, lk->run, match_result, lk);
    if (lk->found)
        *value = lk->value;
    return lk->found;
}

int sl__cmd_export_device(int argc, char **argv)
{
    const char *dbpath = NULL, *out = NULL, *id_text = NULL, *type = NULL;
    int evaluate = 0;
    char **ov = calloc((size_t)argc + 1, sizeof *ov);
    size_t n_ov = 0;
    if (ov == NULL)
        return 1;
    int status = 2;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            free(ov);
            return 0;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            dbpath = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--out",
                                          &missing))) {
            out = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--type",
                                          &missing))) {
            type = v;
        } else if (strcmp(argv[i], "--evaluate") == 0) {
            evaluate = 1;
        } else if (missing || argv[i][0] == '-') {
            fprintf(stderr, "spikelab export-device: %s '%s'\n%s",
                    missing ? "missing value for" : "unknown option",
                    argv[i], usage);
            goto done;
        } else if (strchr(argv[i], '=')) {
            ov[n_ov++] = argv[i];
        } else if (!id_text) {
            id_text = argv[i];
        } else {
            fprintf(stderr, "spikelab export-device: one run at a time\n");
            goto done;
        }
    }
    if (!id_text) {
        fprintf(stderr, "spikelab export-device: no run given\n%s", usage);
        goto done;
    }
    int64_t id;
    if (sl__cli_parse_id("export-device", id_text, &id))
        goto done;
    status = 1;
    sl_rundb *db;
    if (sl__cli_open("export-device", dbpath, &db))
        goto done;
    char *cpath = NULL, *text = NULL;
    if (sl__cli_find_run("export-device", db, &id)) {
        sl_rundb_close(db);
        goto done;
    }
    if (sl__cli_run_config("export-device", db, id, &cpath, &text)) {
        sl_rundb_close(db);
        goto done;
    }
    sl__experiment exp;
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__experiment_load(&exp, cpath, text, ov, n_ov, &err);
    if (rc == SL_OK && exp.export_state == NULL && type == NULL)
        rc = sl__fail(&err, SL_ECONFIG, "the run has no `export` section: "
                      "name the exporter with --type (e.g. --type dynapse2)");
    else if (rc == SL_OK && exp.export_state == NULL)
        rc = sl__export_default(&exp, type, &err);
    else if (rc == SL_OK && type && strcmp(type, sl__export_type(&exp)))
        rc = sl__fail(&err, SL_ECONFIG, "the run exports with '%s' (its "
                      "`export` section): change it with export.type=%s, "
                      "not --type", sl__export_type(&exp), type);
    if (rc) {
        fprintf(stderr, "spikelab export-device: run %lld: %s\n",
                (long long)id, err.msg);
        status = rc == SL_ECONFIG ? 2 : 1;
    } else if (sl__cli_load_params("export-device", db, id, &exp) == 0) {
        char def[160];
        const char *ext = sl__export_file_ext(&exp);
        snprintf(def, sizeof def, "%s-run-%lld%s%s", sl__export_type(&exp),
                 (long long)id, *ext ? "." : "", ext);
        const char *path = out ? out : def;
        /* never onto the database (issue 12, finding 4); the file itself
         * is written beside its name and renamed when complete
         * (sl__export_write, finding 7) */
        int refused = sl__cli_check_output("export-device", db, path);
        if (refused) {
            status = refused;
            rc = SL_EINVAL;
        } else {
            printf("run %lld (%s): device configuration -> %s\n",
                   (long long)id, exp.name, path);
            rc = sl__export_write(&exp, path, stdout, &err);
            if (rc)
                fprintf(stderr, "spikelab export-device: run %lld: %s\n",
                        (long long)id, err.msg);
            else
                status = 0;
        }
        if (rc == SL_OK && evaluate) {
            int same = 0;
            lookup lk = {db, id, NULL, 0.0, 0};
            sl__export_sink sink = {&lk, NULL, NULL, float_result, stdout};
            rc = sl__export_evaluate(&exp, path, NULL, &sink, &same, &err);
            if (rc) {
                fprintf(stderr, "spikelab export-device: run %lld: %s\n",
                        (long long)id, err.msg);
                status = 1;
            } else if (!same) {
                status = 1;
            }
        }
    }
    if (rc == SL_OK || exp.cfg)
        sl__experiment_free(&exp);
    free(cpath);
    free(text);
    sl_rundb_close(db);
    status = sl__cli_finish("export-device", status);
done:
    free(ov);
    return status;
}
