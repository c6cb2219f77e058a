/* core/cmd/runs.c — `spikelab runs` (list and filter the recorded runs)
 * and `spikelab show ID` (everything about one run), as text or JSON.
 *
 * JSON shapes (stable: scripts read them):
 *
 * runs --json: an array, in the listing order (newest first unless
 * --sort), of
 *   {"id", "name", "status", "process_alive", "seed", "started_at",
 *    "ended_at", "duration_s", "heartbeat_at", "host", "pid",
 *    "core_version", "config_path", "config_hash", "overrides", "error",
 *    "reproduces", "reproduced_identical", "tags", "note",
 *    "final_metrics": {NAME: value at the highest step, ...},
 *    "results": {NAME: value, ...},
 *    "values": {KEY: value, ...}}   only with --where/--sort keys: the
 *                                   value each such key has for the run
 *
 * show --json: one object with the fields above (without final_metrics
 * and values) plus
 *   "plugins":   [{"name", "version", "abi", "path", "sha256"}, ...]
 *   "config":    the effective config text (after overrides)
 *   "config_original": the config file's text as written
 *   "params":    {KEY: value, ...} the flattened effective config, typed
 *   "metrics":   {NAME: [{"step", "value", "wall_time"}, ...], ...}
 *                every recorded value, names sorted, steps ascending
 *   "results":   {NAME: value, ...}
 *   "result_texts": {NAME: text, ...}  only results that carry a text
 *   "artifacts": [{"name", "kind", "mime", "size", "path",
 *                  "created_at"}, ...]  (bytes are not printed; see
 *                  `spikelab export --artifacts`)
 *
 * Conventions: times are Unix seconds (numbers); "overrides" is an array
 * of "key=value" strings; absent values are null; numbers that JSON cannot
 * hold are strings: "inf", "-inf", "nan" (a NaN metric is stored as NULL
 * and comes back as "nan"). "process_alive" is true/false for a run
 * recorded as running on this host, null otherwise. "reproduces" is the
 * id of the run a re-run repeats, "reproduced_identical" whether its
 * outputs were bit-identical (null: not a re-run, or not compared).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/listing.h"
#include "cmd/out.h"
#include "cmd/textplot.h"

#define MAX_EXTRA 6 /* value columns shown for --where/--sort keys */

static const char runs_usage[] =
    "Usage: spikelab runs [--db PATH] [--json] [filters] [--sort KEY]\n"
    "                     [--limit N]\n"
    "List the recorded runs, newest first.\n"
    "\n"
    "filters (all must hold):\n"
    "  --status LIST    running, finished, failed, interrupted; comma-separated\n"
    "  --name PATTERN   experiment name; * ? [..] match like file names\n"
    "  --where 'KEY OP VALUE'   (repeatable) a configuration parameter, a final\n"
    "                   result or a final metric value; OP one of\n"
    "                   = != < <= > >= ~ (glob). Examples:\n"
    "                     --where 'optimizer.lr>=0.01'\n"
    "                     --where 'network.layers.lif.tau_mem=0.02'\n"
    "                     --where 'loss<0.01' --where 'optimizer.type=adam'\n"
    "                   KEY is looked up as a parameter, then a result, then\n"
    "                   a metric (its value at the last step); prefix it with\n"
    "                   param:, result: or metric: to pick one. A number\n"
    "                   compares as a number, other values (or quoted ones)\n"
    "                   as text. Runs without KEY never match.\n"
    "  --since TIME     started at or after TIME: 30m, 2h, 3d, 1w ago,\n"
    "                   YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', @UNIXSECONDS\n"
    "  --tag TAG        (repeatable) runs carrying TAG\n"
    "\n"
    "  --sort KEY       id, started, ended, duration, name, status, seed or any\n"
    "                   --where KEY (e.g. loss); -KEY sorts descending; runs\n"
    "                   without KEY come last\n"
    "  --limit N        at most N runs\n"
    "  --json           a JSON array with every field of each run, its final\n"
    "                   metric values and its results\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help           this text\n"
    "\n"
    "The keys used by --where and --sort are shown as extra columns.\n"
    "A run whose process died (killed, crashed, machine rebooted) is marked\n"
    "'interrupted' by the next spikelab that opens the database on the same\n"
    "host; its metrics up to the last flush are kept. Bad filters: exit 2.\n";


/* ---- spikelab runs ------------------------------------------------------ */


/* The filter of the options (strings borrowed from them). */
static sl_run_filter filter_of(const sl__ropts *o)
{
    sl_run_filter f = {
        .struct_size = sizeof f,
        .status = o->status,
        .name = o->name,
        .since = o->since,
        .tags = o->tag,
        .n_tags = (size_t)o->n_tag,
        .where = o->where,
        .n_where = (size_t)o->n_where,
        .sort = o->sort,
        .limit = o->limit > 0 ? o->limit : 0,
    };
    return f;
}

static int json_final(void *user, const char *name, int64_t step, double v)
{
    (void)step;
    sl__json_key(user, name);
    sl__json_number(user, v);
    return 0;
}

/* The final value of the first of sl__cli_loss_names the run recorded. */
typedef struct loss_pick {
    double v[SL__CLI_N_LOSS];
    int have[SL__CLI_N_LOSS];
} loss_pick;

static int pick_loss(void *user, const char *name, int64_t step, double v)
{
    loss_pick *p = user;
    (void)step;
    for (size_t k = 0; k < SL__CLI_N_LOSS; k++)
        if (strcmp(name, sl__cli_loss_names[k]) == 0) {
            p->v[k] = v;
            p->have[k] = 1;
        }
    return 0;
}

/* A value column as text: number, text, or "-". */
static void value_cell(sl_run_iter *it, size_t i, char *buf, size_t len)
{
    double num;
    const char *text;
    switch (sl_run_iter_value(it, i, &num, &text)) {
    case SL_RUN_VALUE_NUMBER:
        sl__cli_fmt_num(num, buf, len);
        break;
    case SL_RUN_VALUE_TEXT:
        snprintf(buf, len, "%s", text);
        break;
    default:
        snprintf(buf, len, "-");
    }
}

/* "a, b" of the tags into buf, cut where it is full. */
/* List the runs (JSON to out, text to stdout); returns the exit status.
 * Also the body of `spikelab ui`'s /api/runs (cmd/listing.h). */
int sl__cli_runs_list(FILE *out, sl_rundb *db, const sl__ropts *o)
{
    sl_run_filter f = filter_of(o);
    sl_run_iter *it = NULL;
    sl__strv tags = {0}, heads = {0};
    sl__table t = {.ncol = 8,
                   .head = {"ID", "STATUS", "NAME", "STARTED", "DURATION",
                            "SEED", "LOSS"},
                   .align = {'r', 'l', 'l', 'l', 'r', 'r', 'r'},
                   .maxw = {0, 0, 32, 0, 0, 0, 0}};
    sl__json w;
    sl__json_init(&w, out, 2);
    int rc = sl_rundb_runs(db, &f, &it), status = 0, oom = 0;
    if (rc == SL_EINVAL)
        return sl__cli_usage_error("runs", "%s", sl_rundb_errmsg(db));
    if (rc)
        goto done;
    size_t n_extra = sl_run_iter_n_keys(it);
    if (n_extra > MAX_EXTRA)
        n_extra = MAX_EXTRA;
    /* the heads outlive the listing */
    for (size_t i = 0; i < n_extra && !oom; i++)
        oom = sl__strv_add(&heads, sl_run_iter_key(it, i)) != 0;
    for (size_t i = 0; i < n_extra && !oom; i++) {
        t.head[7 + i] = heads.v[i];
        t.align[7 + i] = 'r';
        t.maxw[7 + i] = 24;
    }
    t.ncol = 8 + (int)n_extra;
    t.head[t.ncol - 1] = "TAGS";
    t.align[t.ncol - 1] = 'l';
    t.maxw[t.ncol - 1] = 40;

    if (oom)
        goto done;
    if (o->json)
        sl__json_array_begin(&w);
    int any_died = 0;
    const sl_run_info *r;
    /* --limit 0 lists nothing (the filter still had to be valid) */
    while (o->limit != 0 && (r = sl_run_next(it)) != NULL) {
        sl__strv_free(&tags);
        if ((rc = sl__cli_tags(db, r->id, &tags)))
            goto done;
        if (o->json) {
            sl__json_object_begin(&w);
            sl__cli_json_run_fields(&w, r, &tags);
            sl__json_key(&w, "final_metrics");
            sl__json_object_begin(&w);
            rc = sl_rundb_final_metrics(db, r->id, json_final, &w);
            sl__json_object_end(&w);
            if (rc || (rc = sl__cli_json_results(&w, db, r->id, 0)))
                goto done;
            if (n_extra) {
                sl__json_key(&w, "values");
                sl__json_object_begin(&w);
                for (size_t i = 0; i < n_extra; i++) {
                    double num;
                    const char *text;
                    int ty = sl_run_iter_value(it, i, &num, &text);
                    sl__json_key(&w, sl_run_iter_key(it, i));
                    if (ty == SL_RUN_VALUE_TEXT)
                        sl__json_string(&w, text);
                    else if (ty == SL_RUN_VALUE_NUMBER)
                        sl__json_number(&w, num);
                    else
                        sl__json_null(&w);
                }
                sl__json_object_end(&w);
            }
            sl__json_object_end(&w);
            continue;
        }
        char idb[24], started[32], dur[32], seed[24], loss[32] = "-";
        char vals[MAX_EXTRA][64], tagbuf[256];
        const char *cells[SL__TABLE_MAXCOL];
        const char *st = r->status;
        snprintf(idb, sizeof idb, "%lld", (long long)r->id);
        snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
        sl__cli_fmt_time(r->started_at, started, sizeof started);
        sl__cli_fmt_duration(sl__cli_run_duration(r), dur, sizeof dur);
        if (r->process_alive == 0) { /* read-only file: not reaped */
            st = "died";
            any_died = 1;
        }
        loss_pick lp = {{0}, {0}};
        if ((rc = sl_rundb_final_metrics(db, r->id, pick_loss, &lp)))
            goto done;
        for (size_t k = 0; k < SL__CLI_N_LOSS; k++)
            if (lp.have[k]) {
                sl__cli_fmt_num(lp.v[k], loss, sizeof loss);
                break;
            }
        cells[0] = idb;
        cells[1] = st;
        cells[2] = r->name;
        cells[3] = started;
        cells[4] = dur;
        cells[5] = seed;
        cells[6] = loss;
        for (size_t i = 0; i < n_extra; i++) {
            value_cell(it, i, vals[i], sizeof vals[i]);
            cells[7 + i] = vals[i];
        }
        cells[t.ncol - 1] = sl__cli_tags_cell(&tags, tagbuf, sizeof tagbuf);
        sl__table_rowv(&t, cells);
    }
    rc = sl_run_iter_free(it);
    it = NULL;
    if (rc)
        goto done;
    if (o->json) {
        sl__json_array_end(&w);
        if (sl__json_finish(&w) != 0) {
            fprintf(stderr, "spikelab runs: %s: cannot write the output\n",
                    sl_rundb_path(db));
            status = 1;
        }
    } else if (t.oom) {
        oom = 1;
    } else if (t.nrows == 0) {
        if (o->status || o->name || o->since || o->n_where || o->n_tag)
            printf("no run matches in %s\n", sl_rundb_path(db));
        else
            printf("no runs recorded in %s\n", sl_rundb_path(db));
    } else {
        sl__table_print(&t, stdout, "");
        if (any_died)
            printf("(died: recorded as running, but its process is gone)\n");
    }
done:
    if (rc || oom) {
        if (oom || rc == SL_ENOMEM)
            fprintf(stderr, "spikelab runs: %s: out of memory\n",
                    sl_rundb_path(db));
        else
            fprintf(stderr, "spikelab runs: %s\n", sl_rundb_errmsg(db));
        status = 1;
    }
    sl_run_iter_free(it);
    sl__strv_free(&tags);
    sl__strv_free(&heads);
    sl__table_free(&t);
    return status;
}

int sl__cmd_runs(int argc, char **argv)
{
    sl__ropts o;
    int p = sl__cli_rparse(argc, argv, runs_usage, 0, &o);
    if (p)
        return p == 1 ? sl__cli_finish("runs", 0) : 2;
    /* check the --where filters before touching the file */
    sl_run_filter wf = {.struct_size = sizeof wf, .where = o.where,
                        .n_where = (size_t)o.n_where};
    char msg[1024];
    if (sl_run_filter_check(&wf, msg, sizeof msg) != SL_OK)
        return sl__cli_usage_error("runs", "%s", msg);
    sl_rundb *db;
    if (sl__cli_open("runs", o.db, &db))
        return 1;
    /* one read transaction: a consistent snapshot while runs write */
    int status = sl_rundb_read_begin(db) == SL_OK ? 0 : 1;
    if (status)
        fprintf(stderr, "spikelab runs: %s\n", sl_rundb_errmsg(db));
    else
        status = sl__cli_runs_list(stdout, db, &o);
    sl_rundb_close(db);
    return sl__cli_finish("runs", status);
}

