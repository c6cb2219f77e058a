/* core/cmd/nir.c — `spikelab nir import|export|show`: networks in and out
 * as NIR graphs (nir/nir.h the file, engine/nirmap.h the mapping).
 *
 * Like export-device, `nir export` reaches the engine directly (an
 * experiment reloaded from a run, its trained parameters read in): the
 * public API has no network view yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/out.h"
#include "engine/engine.h"
#include "util/file.h"

static const char usage[] =
    "usage: spikelab nir show FILE.nir\n"
    "       spikelab nir import FILE.nir [-o EXP.cfg] [--dt SECONDS]\n"
    "                                     [--scheme euler|exp_euler|exact]\n"
    "                                     [--input-order end|start]\n"
    "                                     [--neuron lif|dynapsim]\n"
    "       spikelab nir export RUN_ID -o FILE.nir [--db PATH]\n"
    "\n"
    "NIR (github.com/neuromorphs/NIR) is the graph format Norse, snnTorch,\n"
    "Rockpool, Sinabs, Lava, Nengo, Spyx and hxtorch read and write.\n"
    "\n"
    "  show    print the graph: nodes, their parameters, edges\n"
    "  import  write an experiment (EXP.cfg, default FILE.cfg) whose network\n"
    "          reproduces the graph, with its parameters as .npy files\n"
    "          beside it (EXP.LAYER.PARAM.npy, loaded by network.load);\n"
    "          complete its data, loss and training. An experiment can\n"
    "          also use the file directly: network = { nir = \"FILE.nir\"; }\n"
    "  export  write run RUN_ID's trained network as a NIR graph\n"
    "\n"
    "NIR has no time step: --dt gives it (default: the spikelab_dt metadata\n"
    "a spikelab export writes). --scheme and --input-order choose how lif\n"
    "integrates (default: the file's spikelab metadata, else euler, end).\n"
    "--neuron dynapsim maps CubaLIF nodes onto Dynap-SE2 (DynapSim) neurons:\n"
    "time constants exact, thresholds and weight scale approximated.\n"
    "How each node maps, and what is refused: README.md, \"NIR\".\n"
    "\n"
    "exit status: 0 done, 1 failed (no such run, cannot write), 2 bad\n"
    "usage, a file that is not NIR, or a graph spikelab cannot map\n";

static int show(const char *file)
{
    sl__nir_graph *g;
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__nir_read(file, &g, &err);
    if (rc) {
        fprintf(stderr, "spikelab nir show: %s\n", err.msg);
        return rc == SL_EIO || rc == SL_ENOMEM ? 1 : 2;
    }
    sl__nir_print(stdout, g);
    sl__nir_free(g);
    return sl__cli_finish("nir show", 0);
}

static int import(const char *file, const char *out, double dt,
                  const char *scheme, const char *order, const char *neuron)
{
    char *def = NULL;
    if (!out) {
        size_t n = strlen(file);
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        n = strlen(base);
        if (n > 4 && strcmp(base + n - 4, ".nir") == 0)
            n -= 4;
        def = malloc(n + 5);
        if (!def)
            return 1;
        memcpy(def, base, n);
        strcpy(def + n, ".cfg");
        out = def;
    }
    sl__nir_graph *g;
    sl__err err;
    sl__err_clear(&err);
    int status = 2;
    int rc = sl__nir_read(file, &g, &err);
    if (rc) {
        fprintf(stderr, "spikelab nir import: %s\n", err.msg);
        free(def);
        return rc == SL_EIO || rc == SL_ENOMEM ? 1 : 2;
    }
    sl__nirmap m;
    sl__nirmap_opts o = {dt, scheme, order, file, neuron};
    rc = sl__nirmap_from_graph(g, &o, &m, &err);
    sl__nir_free(g);
    if (rc) {
        fprintf(stderr, "spikelab nir import: %s\n", err.msg);
        goto done;
    }
    /* the .npy files go beside the experiment, named after it */
    const char *slash = strrchr(out, '/');
    char dir[4096], prefix[1024];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1,
             slash ? out : ".");
    const char *base = slash ? slash + 1 : out;
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".cfg") == 0)
        bl -= 4;
    snprintf(prefix, sizeof prefix, "%.*s", (int)bl, base);
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    status = 1;
    if (!mf)
        goto done;
    rc = sl__nirmap_write_experiment(&m, mf, file, dir, prefix, &err);
    fclose(mf);
    if (rc == SL_OK)
        rc = sl__file_write_atomic(out, text, len, &err);
    free(text);
    if (rc) {
        fprintf(stderr, "spikelab nir import: %s\n", err.msg);
        goto done;
    }
    printf("%s: %zu layers, %zu inputs -> %zu outputs per step, dt %g s -> "
           "%s\n", file, m.n_layers, m.n_in, m.n_out, m.dt, out);
    for (size_t i = 0; i < m.n_layers; i++)
        printf("  %-16s %-10s from NIR %s\n", m.layers[i].name,
               m.layers[i].type, m.layers[i].from);
    status = 0;
done:
    sl__nirmap_free(&m);
    free(def);
    return sl__cli_finish("nir import", status);
}

static int export(const char *id_text, const char *out, const char *dbpath)
{
    int64_t id;
    if (sl__cli_parse_id("nir export", id_text, &id))
        return 2;
    sl_rundb *db;
    if (sl__cli_open("nir export", dbpath, &db))
        return 1;
    int status = 1;
    char *cpath = NULL, *text = NULL;
    if (sl__cli_find_run("nir export", db, &id))
        goto close;
    if ((status = sl__cli_check_output("nir export", db, out)))
        goto close;
    status = 1;
    if (sl__cli_run_config("nir export", db, id, &cpath, &text))
        goto close;
    sl__experiment exp;
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__experiment_load(&exp, cpath, text, NULL, 0, &err);
    if (rc) {
        fprintf(stderr, "spikelab nir export: run %lld: %s\n", (long long)id,
                err.msg);
        goto close;
    }
    if (sl__cli_load_params("nir export", db, id, &exp) == 0) {
        sl__nir_graph *g = NULL;
        rc = sl__nirmap_export(&exp.net, exp.cfg, &g, &err);
        if (rc == SL_OK)
            rc = sl__nir_write(out, g, &err);
        if (rc) {
            fprintf(stderr, "spikelab nir export: run %lld: %s\n",
                    (long long)id, err.msg);
            status = rc == SL_ECONFIG ? 2 : 1;
        } else {
            printf("run %lld (%s): %zu layers -> %s\n", (long long)id,
                   exp.name, exp.net.n_layers, out);
            status = 0;
        }
        sl__nir_free(g);
    }
    sl__experiment_free(&exp);
close:
    free(cpath);
    free(text);
    sl_rundb_close(db);
    return sl__cli_finish("nir export", status);
}

int sl__cmd_nir(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *out = NULL, *db = NULL, *scheme = NULL,
               *order = NULL, *pos = NULL, *neuron = NULL;
    double dt = 0;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = sl__cli_opt_value(argc, argv, &i, "--out",
                                          &missing))) {
            out = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            db = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--scheme",
                                          &missing))) {
            scheme = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--input-order",
                                          &missing))) {
            order = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--neuron",
                                          &missing))) {
            neuron = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--dt",
                                          &missing))) {
            char *end;
            dt = strtod(v, &end);
            if (*end || !(dt > 0) || dt > 1e3) {
                fprintf(stderr, "spikelab nir: --dt %s: a time step in "
                        "seconds > 0 (e.g. 1e-3)\n", v);
                return 2;
            }
        } else if (missing || argv[i][0] == '-') {
            fprintf(stderr, "spikelab nir: %s '%s'\n%s",
                    missing ? "missing value for" : "unknown option",
                    argv[i], usage);
            return 2;
        } else if (!pos) {
            pos = argv[i];
        } else {
            fprintf(stderr, "spikelab nir %s: one file or run at a time\n",
                    sub);
            return 2;
        }
    }
    if (scheme && strcmp(scheme, "euler") && strcmp(scheme, "exp_euler") &&
        strcmp(scheme, "exact")) {
        fprintf(stderr, "spikelab nir: --scheme %s: one of euler, exp_euler, "
                "exact\n", scheme);
        return 2;
    }
    if (neuron && strcmp(neuron, "lif") && strcmp(neuron, "dynapsim")) {
        fprintf(stderr, "spikelab nir: --neuron %s: lif or dynapsim\n",
                neuron);
        return 2;
    }
    if (order && strcmp(order, "end") && strcmp(order, "start")) {
        fprintf(stderr, "spikelab nir: --input-order %s: end or start\n",
                order);
        return 2;
    }
    if (!pos) {
        fprintf(stderr, "spikelab nir %s: %s\n%s", sub,
                strcmp(sub, "export") ? "no file given" : "no run given",
                usage);
        return 2;
    }
    if (!strcmp(sub, "show"))
        return show(pos);
    if (!strcmp(sub, "import"))
        return import(pos, out, dt, scheme, order, neuron);
    if (!strcmp(sub, "export")) {
        if (!out) {
            fprintf(stderr, "spikelab nir export: give the file with -o "
                    "FILE.nir\n");
            return 2;
        }
        return export(pos, out, db);
    }
    fprintf(stderr, "spikelab nir: unknown subcommand '%s' (import, export, "
            "show)\n%s", sub, usage);
    return 2;
}
