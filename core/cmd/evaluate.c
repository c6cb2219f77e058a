/* core/cmd/evaluate.c — `spikelab evaluate ID`: the evaluations of a
 * recorded run's experiment (or on another of its datasets) on that run's
 * trained parameters, recorded as a new run.
 *
 * It runs the source run's stored effective configuration with
 *   train.epochs = 0;  init_from = { run = ID; db = "<this database>"; };
 * so no training happens and every parameter comes from the source run
 * (api/init_from.c: matched by layer and parameter name, every mismatch
 * an error). The new run names its source in its configuration
 * (init_from.run, a recorded parameter: `spikelab runs --where
 * init_from.run=ID` lists every evaluation of ID). Its final results are
 * exactly the source's on the software backend (tests/evaluate.sh); a
 * backend with noise of its own (an emulated chip) draws it anew. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/out.h"

static const char evaluate_usage[] =
    "Usage: spikelab evaluate ID [--data NAME|FILE.cfg] [key=value ...] [--db PATH]\n"
    "                            [--quiet] [--traces]\n"
    "Evaluate the trained parameters of recorded run ID (a number, or\n"
    "'last'): its stored configuration runs again with train.epochs = 0 and\n"
    "init_from = { run = ID; db = ...; }, so its evaluations run on ID's\n"
    "parameters, recorded as a new run whose configuration names ID.\n"
    "\n"
    "  --data NAME  run every evaluation of the experiment on its dataset\n"
    "               NAME instead (one of the run's data groups)\n"
    "  --data FILE.cfg  the same on a dataset of another file: FILE.cfg\n"
    "               holds its settings (what a data.NAME group holds, e.g.\n"
    "               type = \"yinyang\"; size = 1000; seed = 7;), added as\n"
    "               dataset FILE (relative paths in it are taken as in the\n"
    "               run's experiment file)\n"
    "  key=value    overrides, e.g. evaluate.0.metric=\"loss\"\n"
    "  --db PATH    run database of ID and of the new run (default:\n"
    "               $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet      no progress display\n"
    "  --traces     also record traces, as `spikelab run --traces`\n"
    "  --help       this text\n"
    "\n"
    "exit status: 0 finished, 1 failed, 2 bad usage, an unknown run, a run\n"
    "without parameters, or parameters that do not fit (nothing recorded)\n";

typedef struct source {
    char *path, *text, *effective, *overrides;
    int n_evals;
} source;

static int count_evals(void *user, const char *key, const char *alias,
                       const char *type, const char *text, double num)
{
    (void)alias, (void)type, (void)text, (void)num;
    source *s = user;
    int i;
    if (sscanf(key, "evaluate.%d.", &i) == 1 && i + 1 > s->n_evals)
        s->n_evals = i + 1;
    return 0;
}

/* --data FILE.cfg: the file's settings of one dataset as one override
 * line, data.NAME={...} (an override value must be one line): comments
 * dropped, line breaks made spaces, strings kept as written. NAME is the
 * file's name without .cfg, which must be a setting name. NULL after
 * reporting. */
static char *data_file_override(const char *file, char *name, size_t len)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".cfg") == 0)
        bl -= 4;
    int ok = bl > 0 && bl < len &&
             ((base[0] >= 'a' && base[0] <= 'z') ||
              (base[0] >= 'A' && base[0] <= 'Z'));
    for (size_t i = 0; ok && i < bl; i++)
        ok = (base[i] >= 'a' && base[i] <= 'z') ||
             (base[i] >= 'A' && base[i] <= 'Z') ||
             (base[i] >= '0' && base[i] <= '9') || base[i] == '_' ||
             base[i] == '-';
    if (!ok) {
        fprintf(stderr, "spikelab evaluate: --data %s: the file's name "
                "(without .cfg) names the dataset and must be a setting "
                "name (a letter, then letters, digits, _ or -)\n", file);
        return NULL;
    }
    memcpy(name, base, bl);
    name[bl] = '\0';
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "spikelab evaluate: --data %s: cannot read it\n",
                file);
        return NULL;
    }
    size_t cap = strlen(name) + 64, n = 0;
    char *out = malloc(cap);
    int c, in_str = 0, braces = 0;
    if (out)
        n = (size_t)snprintf(out, cap, "data.%s={", name);
    while (out && (c = fgetc(f)) != EOF) {
        if (n + 8 > cap) {
            if (cap > (1u << 20)) { /* a dataset is a few settings */
                free(out);
                out = NULL;
                break;
            }
            char *o = realloc(out, cap *= 2);
            if (!o) {
                free(out);
                out = NULL;
                break;
            }
            out = o;
        }
        if (in_str) {
            if (c == '\n')
                break; /* a string spanning lines: refused below */
            out[n++] = (char)c;
            if (c == '\\' && (c = fgetc(f)) != EOF)
                out[n++] = (char)c;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '#' || c == '/') {
            int d = c == '/' ? fgetc(f) : '#';
            if (d == '#' || d == '/') { /* to the end of the line */
                while ((c = fgetc(f)) != EOF && c != '\n')
                    ;
                c = ' ';
            } else if (d == '*') { /* a block comment */
                int prev = 0;
                while ((c = fgetc(f)) != EOF && !(prev == '*' && c == '/'))
                    prev = c;
                c = ' ';
            } else if (d != EOF) {
                ungetc(d, f);
            }
        } else if (c == '\n' || c == '\r' || c == '\t') {
            c = ' ';
        } else if (c == '{' || c == '}') {
            braces += c == '{' ? 1 : -1;
        }
        if (c != EOF)
            out[n++] = (char)c;
    }
    fclose(f);
    if (out && (in_str || braces != 0)) {
        fprintf(stderr, "spikelab evaluate: --data %s: unbalanced quotes or "
                "braces\n", file);
        free(out);
        return NULL;
    }
    if (!out) {
        fprintf(stderr, "spikelab evaluate: --data %s: too large or out of "
                "memory\n", file);
        return NULL;
    }
    out[n++] = '}';
    out[n] = '\0';
    return out;
}

int sl__cmd_evaluate(int argc, char **argv)
{
    sl__run_request req = {0};
    const char *id_text = NULL, *data = NULL;
    int n_ov = 0, p = 0;
    /* the user's overrides, then ours (at most 3 + 16 evaluations) */
    char **ov = calloc((size_t)argc + 25, sizeof *ov);
    char **owned = calloc(25, sizeof *owned);
    char dname[64];
    int n_owned = 0;
    if (!ov || !owned) {
        free(ov);
        free(owned);
        return 1;
    }
    for (int i = 1; i < argc && !p; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(evaluate_usage, stdout);
            free(ov);
            free(owned);
            return sl__cli_finish("evaluate", 0);
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            if (!*v)
                p = sl__cli_usage_error("evaluate", "--db needs a path");
            req.dbpath = v;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--data",
                                          &missing))) {
            if (!*v || strchr(v, '"') || strchr(v, '\\'))
                p = sl__cli_usage_error("evaluate", "--data needs a dataset "
                                        "name");
            data = v;
        } else {
            p = sl__cli_run_arg("evaluate", argv[i], missing, &req.quiet,
                                &req.traces, &id_text, ov, &n_ov);
        }
    }
    int64_t id = 0;
    if (!p && !id_text)
        p = sl__cli_usage_error("evaluate", "which run? give its ID");
    if (!p)
        p = sl__cli_parse_id("evaluate", id_text, &id);
    source src = {0};
    const char *path = sl_rundb_default_path(req.dbpath);
    sl_rundb *db = NULL;
    const sl_run_info *r = NULL;
    int rc = p ? SL_OK : sl_rundb_open(path, 0, &db);
    if (!p && rc == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab evaluate: no run database at %s (give "
                "--db PATH or set SPIKELAB_DB)\n", path);
        p = 2;
    }
    if (!p && !rc && id <= 0)
        rc = sl_rundb_last(db, &id);
    if (!p && !rc)
        rc = sl_rundb_run(db, id, &r);
    if (!p && rc == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab evaluate: no run %lld in %s\n",
                (long long)id, path);
        p = 2;
    } else if (!p && rc) {
        fprintf(stderr, "spikelab evaluate: %s\n", sl_rundb_errmsg(db));
        p = 1;
    }
    if (!p) {
        src.path = sl__cli_strdup_or_null(r->config_path);
        src.text = sl__cli_strdup_or_null(r->config_text);
        src.effective = sl__cli_strdup_or_null(r->config_effective);
        src.overrides = sl__cli_strdup_or_null(r->overrides);
        if (sl_rundb_params(db, id, count_evals, &src)) {
            fprintf(stderr, "spikelab evaluate: %s\n", sl_rundb_errmsg(db));
            p = 1;
        } else if (!src.effective || !*src.effective) {
            fprintf(stderr, "spikelab evaluate: run %lld has no stored "
                    "effective configuration\n", (long long)id);
            p = 2;
        } else if (data && src.n_evals == 0) {
            fprintf(stderr, "spikelab evaluate: run %lld's experiment has "
                    "no evaluations to run on '%s'\n", (long long)id, data);
            p = 2;
        } else if (src.n_evals > 16) {
            p = 1;
        }
    }
    sl_rundb_close(db);
    char *abs = p ? NULL : realpath(path, NULL);
    if (!p && !abs) {
        fprintf(stderr, "spikelab evaluate: %s: cannot resolve\n", path);
        p = 1;
    }
    char *overrides = NULL;
    int status = p;
    if (p)
        goto out;
    /* ours come last: they win over the user's */
    char buf[PATH_MAX + 64];
    const char *ours[3] = {"train.epochs=0", NULL, NULL};
    snprintf(buf, sizeof buf, "init_from.run=%lld", (long long)id);
    owned[n_owned++] = strdup(buf);
    snprintf(buf, sizeof buf, "init_from.db=\"%s\"", abs);
    owned[n_owned++] = strdup(buf);
    size_t dl = data ? strlen(data) : 0;
    if (data && dl > 4 && strcmp(data + dl - 4, ".cfg") == 0) {
        /* a dataset of another file, added under the file's name */
        if (!(owned[n_owned++] = data_file_override(data, dname,
                                                    sizeof dname))) {
            status = 2;
            goto out;
        }
        data = dname;
    }
    for (int i = 0; data && i < src.n_evals; i++) {
        snprintf(buf, sizeof buf, "evaluate.%d.data=\"%s\"", i, data);
        owned[n_owned++] = strdup(buf);
    }
    ours[1] = owned[0];
    ours[2] = owned[1];
    for (int i = 0; i < n_owned; i++)
        if (!owned[i]) {
            status = 1;
            goto out;
        }
    ov[n_ov++] = (char *)ours[0];
    for (int i = 0; i < n_owned; i++)
        ov[n_ov++] = owned[i];
    size_t len = (src.overrides ? strlen(src.overrides) : 0) + 2;
    for (int i = 0; i < n_ov; i++)
        len += strlen(ov[i]) + 1;
    if (!(overrides = malloc(len))) {
        status = 1;
        goto out;
    }
    snprintf(overrides, len, "%s", src.overrides ? src.overrides : "");
    for (int i = 0; i < n_ov; i++) {
        if (*overrides)
            strcat(overrides, "\n");
        strcat(overrides, ov[i]);
    }
    char name[48];
    snprintf(name, sizeof name, "(run %lld)", (long long)id);
    req.file = src.path ? src.path : name;
    req.text = src.effective;
    req.overrides = ov;
    req.n_overrides = (size_t)n_ov;
    req.record_text = src.text;
    req.record_overrides = overrides;
    printf("evaluating the trained parameters of run %lld%s%s\n",
           (long long)id, data ? " on dataset " : "", data ? data : "");
    fflush(stdout);
    status = sl__run_experiment(&req, NULL);
out:
    free(abs);
    free(overrides);
    for (int i = 0; i < n_owned; i++)
        free(owned[i]);
    free(owned);
    free(ov);
    free(src.path);
    free(src.text);
    free(src.effective);
    free(src.overrides);
    return sl__cli_finish("evaluate", status);
}
