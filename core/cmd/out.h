/* core/cmd/out.h — helpers shared by the run-history commands (runs,
 * show, compare, export, rerun, tag, note, rm): option parsing, run IDs,
 * opening the database, aligned text tables, number/time formatting and
 * the JSON of a run. Internal to the command; nothing here is ABI. The
 * commands read and write the run database only through the public
 * <spikelab/rundb.h>, as any embedder would.
 *
 * Output conventions: text for people on stdout; errors on stderr as
 * "spikelab CMD: message"; exit status 0 ok, 1 runtime failure (no such
 * run, database error), 2 usage error (with a hint to --help). */
#ifndef SL_CMD_OUT_H
#define SL_CMD_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "spikelab/rundb.h"
#include "cmd/json.h"

/* ---- options ----------------------------------------------------------- */

/* Print "spikelab CMD: message" and the --help hint on stderr; returns 2. */
int sl__cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Option with a value: "--opt V" or "--opt=V". Returns the value (and
 * advances *i past it) when argv[*i] is that option, NULL otherwise;
 * *missing is set when the option is there without a value. The value is
 * borrowed from argv. */
const char *sl__cli_opt_value(int argc, char **argv, int *i, const char *opt,
                              int *missing);

/* A run ID: a number >= 1, or "last" (the newest run; *id = 0 until
 * sl__cli_resolve_last). Returns 0, or 2 after a usage error. */
int sl__cli_parse_id(const char *cmd, const char *text, int64_t *id);
/* Open the database named by --db / $SPIKELAB_DB / default for a command,
 * read-write, never creating it. Returns 0 with *db owned by the caller
 * (sl_rundb_close), or 1 after reporting why not (*db NULL then). */
int sl__cli_open(const char *cmd, const char *dbpath, sl_rundb **db);
/* Refuse to write `path` when it is the run database of db or one of
 * SQLite's files beside it (-wal, -shm, -journal), compared by inode
 * (util/file.h: sl__file_same), so "./runs.db", a symbolic link to it or
 * another spelling of its directory are caught too (issue 12, finding 4:
 * `export -o runs.db` truncated the database). Returns 0, or 2 after
 * saying so: a wrong argument, nothing written. */
int sl__cli_check_output(const char *cmd, sl_rundb *db, const char *path);
/* Turn *id 0 ("last") into the newest run's id. Returns 0, or 1 after
 * reporting that the database has no runs (or its error). */
int sl__cli_resolve_last(const char *cmd, sl_rundb *db, int64_t *id);
/* sl__cli_resolve_last, then check that run *id exists. Returns 0, or 1
 * after reporting "no run ID in PATH" (or the database's error). */
int sl__cli_find_run(const char *cmd, sl_rundb *db, int64_t *id);

/* Flush stdout; a write error (full disk, closed pipe) turns status into
 * 1 with a message. */
int sl__cli_finish(const char *cmd, int status);

/* ---- formatting ---------------------------------------------------------- */

double sl__cli_now(void);                  /* Unix seconds */
void sl__cli_fmt_num(double v, char *buf, size_t len);  /* %.6g, nan, inf */
void sl__cli_fmt_time(double t, char *buf, size_t len); /* local, or "-" */
void sl__cli_fmt_duration(double s, char *buf, size_t len);
/* Print s with control characters replaced by '?', so stored text cannot
 * garble the terminal. */
void sl__cli_put_clean(FILE *f, const char *s);

/* ---- text tables ------------------------------------------------------------ */

#define SL__TABLE_MAXCOL 16

/* Rows of cells printed with aligned columns. Cells are copied, cleaned
 * of control characters and cut to maxw code points (0 = no cap). Set
 * ncol, head, align ('l'/'r') and maxw, zero the rest. */
typedef struct sl__table {
    int ncol;
    const char *head[SL__TABLE_MAXCOL];
    char align[SL__TABLE_MAXCOL];
    int maxw[SL__TABLE_MAXCOL];
    char **cells;
    size_t nrows, cap;
    int oom;
} sl__table;

/* Append a row of t->ncol cells (const char *, NULL prints "-"). */
void sl__table_row(sl__table *t, ...);
/* Append a row from an array of t->ncol cells. */
void sl__table_rowv(sl__table *t, const char *const *cells);
void sl__table_print(const sl__table *t, FILE *f, const char *indent);
void sl__table_free(sl__table *t);

/* ---- a run ------------------------------------------------------------------ */

/* A list of owned strings. Zero-initialise; sl__strv_free. */
typedef struct sl__strv {
    char **v;
    size_t n, cap;
} sl__strv;
void sl__strv_free(sl__strv *l);
/* Append a copy of s (NULL: "") to the sl__strv user; 0 or SL_ENOMEM.
 * Fits the callbacks of rundb.h that pass one string. */
int sl__strv_add(void *user, const char *s);
/* The run's tags, sorted, appended to *out. SL_OK or the error of
 * sl_rundb_tags (message on db). */
int sl__cli_tags(sl_rundb *db, int64_t run, sl__strv *out);

/* Duration of a run: until its end, or until now while it runs; NaN when
 * unknown. */
double sl__cli_run_duration(const sl_run_info *r);
/* The fields every run object of `runs --json`, `show --json` and
 * `export --format json` has (see runs.c for the list); the caller
 * opened the object. */
void sl__cli_json_run_fields(sl__json *w, const sl_run_info *r,
                             const sl__strv *tags);
/* A number, or null for NaN (a value that was not recorded). */
void sl__cli_json_num_or_null(sl__json *w, double v);
/* A parameter typed as JSON: int/float as numbers, bool as true/false,
 * string as a string (text NULL: null). */
void sl__cli_json_param(sl__json *w, const char *type, const char *text,
                        double num);

/* Members of a run's JSON object, each read from db (SL_OK or the
 * error, message on db):
 *   "params": {KEY: typed value, ...} in the order of the configuration
 *   "metrics": {NAME: [{"step", "value", "wall_time"}, ...], ...}
 *   "results": {NAME: value, ...}, and with_texts "result_texts":
 *              {NAME: text, ...} for the results that carry one */
int sl__cli_json_params(sl__json *w, sl_rundb *db, int64_t run);
int sl__cli_json_metrics(sl__json *w, sl_rundb *db, int64_t run);
int sl__cli_json_results(sl__json *w, sl_rundb *db, int64_t run,
                         int with_texts);

/* The words for a key of the numeric environment (sl_rundb_env):
 * "blas.kernel" → "BLAS kernel"; an unknown key is its own label. */
const char *sl__cli_env_label(const char *key);

/* The metric names `runs` and `show` show as the run's loss, in order of
 * preference. */
#define SL__CLI_N_LOSS 3
extern const char *const sl__cli_loss_names[SL__CLI_N_LOSS];
/* The tags as one cell "a, b" cut to fit buf[len]; returns buf. */
const char *sl__cli_tags_cell(const sl__strv *tags, char *buf, size_t len);

/* A malloc'd copy of s (free it), or NULL for NULL (or out of memory). */
char *sl__cli_strdup_or_null(const char *s);

#endif
