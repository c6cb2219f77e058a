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
#include <sqlite3.h>

#include "cmd/out.h"
#include "engine/deploy.h"
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

/* Read every params/LAYER/PARAM.npy of run into the network. */
static int load_params(sl__db *db, int64_t run, sl__experiment *exp)
{
    sqlite3 *h = sl__db_sqlite(db);
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT name, data FROM artifacts "
                                         "WHERE run_id = ?1 AND kind = "
                                         "'parameters' AND data IS NOT NULL");
    if (s == NULL) {
        fprintf(stderr, "spikelab export-device: %s\n", sqlite3_errmsg(h));
        return 1;
    }
    sqlite3_bind_int64(s, 1, run);
    int ret = 0, rc;
    size_t loaded = 0;
    /* mark which trainable tensors got values */
    size_t want = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const unsigned char *b = sqlite3_column_blob(s, 1);
        size_t size = (size_t)sqlite3_column_bytes(s, 1);
        if (name == NULL || strncmp(name, "params/", 7) != 0)
            continue;
        const char *lab = name + 7, *slash = strrchr(lab, '/');
        if (slash == NULL)
            continue;
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
            fprintf(stderr, "spikelab export-device: run %lld: artifact %s "
                    "matches no parameter of the network as configured now\n",
                    (long long)run, name);
            ret = 1;
            break;
        }
        size_t count = 0;
        const float *d = b ? sl__npy_f32_data(b, size, &count) : NULL;
        if (d == NULL || count != p->n) {
            fprintf(stderr, "spikelab export-device: run %lld: artifact %s "
                    "is not a float32 array of %zu values\n",
                    (long long)run, name, p->n);
            ret = 1;
            break;
        }
        memcpy(p->data, d, count * sizeof(float));
        loaded++;
    }
    if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "spikelab export-device: %s\n", sqlite3_errmsg(h));
        ret = 1;
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < exp->net.n_layers; i++)
        for (size_t k = 0; k < exp->net.layers[i].n_params; k++)
            want += (exp->net.layers[i].params[k].flags &
                     SL_PARAM_TRAINABLE) != 0;
    if (ret == 0 && loaded < want) {
        fprintf(stderr, "spikelab export-device: run %lld has %zu of the %zu "
                "trained parameter tensors stored (was it trained and "
                "finished?)\n",
                (long long)run, loaded, want);
        ret = 1;
    }
    return ret;
}

/* The run's recorded float results, printed beside the quantised ones. */
typedef struct lookup {
    sl__db *db;
    int64_t run;
} lookup;

static int float_result(void *user, const char *name, double *value)
{
    lookup *lk = user;
    return sl__db_result_value(lk->db, lk->run, name, value, NULL) == 1;
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
    sl__db *db;
    if (sl__cli_open_db("export-device", dbpath, &db))
        goto done;
    char *cpath = NULL, *text = NULL;
    if (sl__cli_resolve_id("export-device", db, &id) ||
        sl__cli_run_exists("export-device", db, id) != 1) {
        sl__db_close(db);
        goto done;
    }
    sqlite3_stmt *s = sl__cli_prepare(sl__db_sqlite(db),
                                      "SELECT config_path, config_effective "
                                      "FROM runs WHERE id = ?1");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            const char *a = sl__cli_col_text(s, 0), *b = sl__cli_col_text(s, 1);
            cpath = strdup(a ? a : "(stored)");
            text = b && *b ? strdup(b) : NULL;
        }
        sqlite3_finalize(s);
    }
    if (!text) {
        fprintf(stderr, "spikelab export-device: run %lld has no stored "
                "configuration\n", (long long)id);
        free(cpath);
        sl__db_close(db);
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
    } else if (load_params(db, id, &exp) == 0) {
        char def[160];
        const char *ext = sl__export_file_ext(&exp);
        snprintf(def, sizeof def, "%s-run-%lld%s%s", sl__export_type(&exp),
                 (long long)id, *ext ? "." : "", ext);
        const char *path = out ? out : def;
        printf("run %lld (%s): device configuration -> %s\n", (long long)id,
               exp.name, path);
        rc = sl__export_write(&exp, path, stdout, &err);
        if (rc)
            fprintf(stderr, "spikelab export-device: run %lld: %s\n",
                    (long long)id, err.msg);
        else
            status = 0;
        if (rc == SL_OK && evaluate) {
            int same = 0;
            lookup lk = {db, id};
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
    sl__db_close(db);
    status = sl__cli_finish("export-device", status);
done:
    free(ov);
    return status;
}
