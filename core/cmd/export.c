/* core/cmd/export.c — `spikelab export`: runs' data out as CSV or JSON,
 * and their artifacts as files. Shapes (stable):
 *
 * export --format json:
 *   {"runs": [{<the run fields of `runs --json`>, "params": {KEY: v},
 *              "metrics": {NAME: [{"step", "value", "wall_time"}]},
 *              "results": {NAME: v}}, ...]}
 * export --format csv (RFC 4180, one header line):
 *   run_id,kind,name,step,value,wall_time
 *   kind "param" (name = key, value = its text), "metric" (step, value,
 *   wall_time) or "result" (value); numbers with 17 significant digits so
 *   they read back exactly; nan/inf/-inf spelled so; empty where absent.
 *
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/out.h"
#include "util/file.h"

/* ---- export ---------------------------------------------------------------- */

static const char export_usage[] =
    "Usage: spikelab export ID... [--format csv|json | --json] [--output FILE]\n"
    "                       [--db PATH]\n"
    "       spikelab export ID... --artifacts DIR [--db PATH]\n"
    "Write the parameters, metrics and results of runs (IDs are numbers, or\n"
    "'last') for other tools.\n"
    "\n"
    "  --format csv    (default) one table with the header\n"
    "                  run_id,kind,name,step,value,wall_time\n"
    "                  kind is param (name = key), metric or result; reads\n"
    "                  back with Python's csv module, sqlite3's\n"
    "                  `.import --csv FILE TABLE`, pandas.read_csv, R, ...\n"
    "  --format json   {\"runs\": [{run fields, \"params\", \"metrics\",\n"
    "                  \"results\"}]}  (--json says the same)\n"
    "  --output FILE   write to FILE instead of the standard output (-o)\n"
    "  --artifacts DIR write the stored artifacts (trained parameters and\n"
    "                  traces as .npy, exported configurations) as files\n"
    "                  DIR/ID/NAME, e.g. DIR/3/params/lif/w_rec.npy\n"
    "  --db PATH       run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help          this text\n";

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF,
 * or leading/trailing space. */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL ||
                (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A number with 17 significant digits (exact), nan/inf spelled out; NaN
 * (not recorded) is nothing when nan_is_empty. */
static void csv_number(FILE *f, double v, int nan_is_empty)
{
    if (isnan(v)) {
        if (!nan_is_empty)
            fputs("nan", f);
        return;
    }
    if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

typedef struct csv_out {
    FILE *f;
    int64_t run;
} csv_out;

static int csv_param(void *user, const char *key, const char *alias,
                     const char *type, const char *text, double num)
{
    csv_out *c = user;
    (void)alias, (void)type, (void)num;
    fprintf(c->f, "%lld,param,", (long long)c->run);
    csv_field(c->f, key);
    fputs(",,", c->f);
    csv_field(c->f, text);
    fputs(",\r\n", c->f);
    return 0;
}

static int csv_metric(void *user, const char *name, int64_t step, double v,
                      double wall)
{
    csv_out *c = user;
    fprintf(c->f, "%lld,metric,", (long long)c->run);
    csv_field(c->f, name);
    fprintf(c->f, ",%lld,", (long long)step);
    csv_number(c->f, v, 0);
    fputc(',', c->f);
    csv_number(c->f, wall, 1);
    fputs("\r\n", c->f);
    return 0;
}

static int csv_result(void *user, const char *name, double v,
                      const char *text)
{
    csv_out *c = user;
    (void)text;
    fprintf(c->f, "%lld,result,", (long long)c->run);
    csv_field(c->f, name);
    fputs(",,", c->f);
    csv_number(c->f, v, 0);
    fputs(",\r\n", c->f);
    return 0;
}

/* 0, or -1 after a database error (message on db). */
static int export_csv(sl_rundb *db, FILE *f, const int64_t *ids, int n)
{
    fputs("run_id,kind,name,step,value,wall_time\r\n", f);
    for (int k = 0; k < n; k++) {
        csv_out c = {f, ids[k]};
        if (sl_rundb_params(db, ids[k], csv_param, &c) ||
            sl_rundb_metrics(db, ids[k], NULL, csv_metric, &c) ||
            sl_rundb_results(db, ids[k], csv_result, &c))
            return -1;
    }
    return 0;
}

/* 0, -1 after a database error (message on db), -2 the output failed. */
static int export_json(sl_rundb *db, FILE *f, const int64_t *ids, int n)
{
    sl__json w;
    sl__json_init(&w, f, 4);
    sl__json_object_begin(&w);
    sl__json_key(&w, "runs");
    sl__json_array_begin(&w);
    for (int k = 0; k < n; k++) {
        const sl_run_info *r;
        sl__strv tags = {0};
        if (sl_rundb_run(db, ids[k], &r) || sl__cli_tags(db, ids[k], &tags)) {
            sl__strv_free(&tags);
            return -1;
        }
        sl__json_object_begin(&w);
        sl__cli_json_run_fields(&w, r, &tags);
        sl__strv_free(&tags);
        if (sl__cli_json_params(&w, db, ids[k]) ||
            sl__cli_json_metrics(&w, db, ids[k]) ||
            sl__cli_json_results(&w, db, ids[k], 0))
            return -1;
        sl__json_object_end(&w);
    }
    sl__json_array_end(&w);
    sl__json_object_end(&w);
    return sl__json_finish(&w) == 0 ? 0 : -2;
}


/* mkdir -p for the directories of path (not its last component). */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int ok = mkdir(path, 0777) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return -1;
    }
    return 0;
}

/* An artifact name is safe as a relative path: no absolute path, no ".."
 * or empty segments, no control characters. */
static int safe_name(const char *name)
{
    if (!*name || name[0] == '/')
        return 0;
    for (const char *s = name; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.') ||
            (n == 1 && s[0] == '.'))
            return 0;
        s += n + (s[n] == '/');
    }
    for (const char *s = name; *s; s++)
        if ((unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* The artifacts of a run as listed (owned copies). */
typedef struct art {
    char *name, *path;
    int in_db;
} art;

typedef struct arts {
    art *v;
    size_t n, cap;
} arts;

static void arts_free(arts *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].name);
        free(a->v[i].path);
    }
    free(a->v);
    memset(a, 0, sizeof *a);
}

static int art_add(void *user, const sl_artifact_info *a)
{
    arts *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        art *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return SL_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    art *x = &l->v[l->n++];
    x->name = sl__cli_strdup_or_null(a->name);
    x->path = sl__cli_strdup_or_null(a->path);
    x->in_db = a->in_db;
    return (a->name && !x->name) || (a->path && !x->path) ? SL_ENOMEM : 0;
}

/* 0, -1 after a database error (message on db), -2 after reporting a
 * failure of our own, -3 after refusing a file that is the database. */
static int export_artifacts(sl_rundb *db, const char *dir, const int64_t *ids,
                            int n)
{
    int n_written = 0, bad = 0, rc = SL_OK;
    for (int k = 0; k < n && !bad && !rc; k++) {
        arts l = {0};
        rc = sl_rundb_artifacts(db, ids[k], art_add, &l);
        for (size_t i = 0; i < l.n && !rc && !bad; i++) {
            const char *name = l.v[i].name;
            if (!l.v[i].in_db) {
                printf("run %lld: %s is kept outside the database: %s\n",
                       (long long)ids[k], name ? name : "?",
                       l.v[i].path ? l.v[i].path : "?");
                continue;
            }
            if (!name || !safe_name(name)) {
                fprintf(stderr, "spikelab export: run %lld: artifact name "
                        "'%s' is not a safe file name; skipped\n",
                        (long long)ids[k], name ? name : "");
                continue;
            }
            const void *data;
            size_t size;
            if ((rc = sl_rundb_artifact(db, ids[k], name, &data, &size)))
                break;
            size_t len = strlen(dir) + strlen(name) + 32;
            char *path = malloc(len);
            if (!path) {
                rc = SL_ENOMEM;
                break;
            }
            snprintf(path, len, "%s/%lld/%s", dir, (long long)ids[k], name);
            sl__err e;
            /* never onto the database, never a half-written file under
             * the final name (issue 12, findings 4 and 7) */
            if (sl__cli_check_output("export", db, path)) {
                bad = 2;
            } else if (make_parents(path) != 0) {
                fprintf(stderr, "spikelab export: %s: %s\n", path,
                        strerror(errno));
                bad = 1;
            } else if (sl__file_write_atomic(path, data, size, &e)) {
                fprintf(stderr, "spikelab export: %s\n", e.msg);
                bad = 1;
            }
            if (!bad) {
                printf("%s (%zu bytes)\n", path, size);
                n_written++;
            }
            free(path);
        }
        arts_free(&l);
    }
    if (bad)
        return bad == 2 ? -3 : -2;
    if (rc == SL_ENOMEM) {
        fprintf(stderr, "spikelab export: out of memory\n");
        return -2;
    }
    if (rc)
        return -1;
    if (n_written == 0)
        printf("no artifacts stored in the database for %s\n",
               n == 1 ? "this run" : "these runs");
    return 0;
}

int sl__cmd_export(int argc, char **argv)
{
    sl__hopts o;
    int p = sl__cli_hparse("export", export_usage,
                   SL__F_FORMAT | SL__F_OUTPUT | SL__F_ARTIFACTS | SL__F_JSON, argc, argv, &o);
    if (p == 0 && o.json) {
        if (o.format && strcmp(o.format, "json") != 0)
            p = sl__cli_usage_error("export", "--json and --format %s "
                                              "exclude each other", o.format);
        o.format = "json";
    }
    int64_t *ids = NULL;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("export", "which run? give its ID");
    if (p == 0 && o.artifacts && (o.format || o.output))
        p = sl__cli_usage_error("export", "--artifacts writes files of its "
                                          "own: no --format or --output");
    if (p == 0 && !(ids = calloc(o.n_pos > 0 ? (size_t)o.n_pos : 1, sizeof *ids)))
        p = 2;
    if (p == 0)
        p = sl__cli_parse_ids("export", o.pos, 0, o.n_pos, ids);
    if (p) {
        free(o.pos);
        free(ids);
        return p == 1 ? sl__cli_finish("export", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("export", o.db, &db) == 0) {
        /* one snapshot for all the runs */
        if (sl_rundb_read_begin(db) != SL_OK) {
            fprintf(stderr, "spikelab export: %s\n", sl_rundb_errmsg(db));
        } else if (sl__cli_check_ids("export", db, ids, o.n_pos) == 0) {
            FILE *f = stdout;
            sl__afile af = {0};
            sl__err e;
            int r;
            if (o.artifacts) {
                r = export_artifacts(db, o.artifacts, ids, o.n_pos);
            } else if (o.output &&
                       sl__cli_check_output("export", db, o.output)) {
                r = -3;
            } else if (o.output && sl__afile_open(&af, o.output, &e)) {
                fprintf(stderr, "spikelab export: %s\n", e.msg);
                r = -2;
            } else {
                /* -o: a temporary file renamed into place when complete,
                 * so a failure or a kill leaves the previous file */
                if (o.output)
                    f = af.f;
                errno = 0;
                r = o.format && strcmp(o.format, "json") == 0
                        ? export_json(db, f, ids, o.n_pos)
                        : export_csv(db, f, ids, o.n_pos);
                int werr = errno;
                if (o.output && r != 0) {
                    if (r == -2) /* the JSON writer met a write error */
                        fprintf(stderr, "spikelab export: %s: write error: "
                                "%s (the previous file, if any, is left as "
                                "it was)\n", o.output,
                                strerror(werr ? werr : EIO));
                    sl__afile_abort(&af);
                } else if (o.output && sl__afile_commit(&af, &e)) {
                    fprintf(stderr, "spikelab export: %s\n", e.msg);
                    r = -2;
                }
            }
            if (r == -1)
                fprintf(stderr, "spikelab export: %s\n", sl_rundb_errmsg(db));
            status = r == -3 ? 2 : r != 0;
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    free(ids);
    return sl__cli_finish("export", status);
}

