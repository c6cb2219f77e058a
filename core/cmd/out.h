/* core/cmdutil.h — helpers shared by the run-history commands (runs, show,
 * compare, export, rerun, tag, note, rm): option parsing, run IDs, opening
 * the database, aligned text tables, number/time formatting and the
 * columns of a run row. Internal to the command; nothing here is ABI.
 *
 * Output conventions: text for people on stdout; errors on stderr as
 * "spikelab CMD: message"; exit status 0 ok, 1 runtime failure (no such
 * run, database error), 2 usage error (with a hint to --help). */
#ifndef SL_CORE_CMDUTIL_H
#define SL_CORE_CMDUTIL_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "cmd/json.h"
#include "db/db.h"

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
 * sl__cli_resolve_id). Returns 0, or 2 after a usage error. */
int sl__cli_parse_id(const char *cmd, const char *text, int64_t *id);
/* Turn *id 0 ("last") into the newest run's id. Returns 0, or 1 after
 * reporting that the database has no runs. */
int sl__cli_resolve_id(const char *cmd, sl__db *db, int64_t *id);
/* 1 when run id exists, 0 after reporting "no run ID in PATH", -1 after
 * reporting a database error. */
int sl__cli_run_exists(const char *cmd, sl__db *db, int64_t id);

/* Open the database named by --db / $SPIKELAB_DB / default for a command;
 * never creates it. Returns 0 with *db owned by the caller
 * (sl__db_close), or 1 after reporting why not. */
int sl__cli_open_db(const char *cmd, const char *dbpath, sl__db **db);

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

/* NaN for NULL; the column's text (borrowed until the next step) or NULL. */
double sl__cli_col_double(sqlite3_stmt *s, int i);
const char *sl__cli_col_text(sqlite3_stmt *s, int i);
/* Prepare constant SQL; NULL on error (the message is on the handle). */
sqlite3_stmt *sl__cli_prepare(sqlite3 *h, const char *sql);

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

/* ---- the run row --------------------------------------------------------------- */

/* Columns of a runs row, in the order of the enum below. The last one is
 * the run's tags, sorted, joined by the byte 0x1f (tags cannot hold
 * control characters, so the split is exact). */
#define SL__RUN_COLUMNS                                                        \
    "id, name, status, seed, started_at, ended_at, heartbeat_at, host, pid,"  \
    " core_version, config_path, config_hash, overrides, error,"             \
    " config_effective, config_text, parent_id, reproduced, note, proc_id,"  \
    " (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags"             \
    "   WHERE tags.run_id = runs.id ORDER BY tag))"
enum {
    SL__C_ID, SL__C_NAME, SL__C_STATUS, SL__C_SEED, SL__C_STARTED,
    SL__C_ENDED, SL__C_HEARTBEAT, SL__C_HOST, SL__C_PID, SL__C_CORE_VERSION,
    SL__C_CONFIG_PATH, SL__C_CONFIG_HASH, SL__C_OVERRIDES, SL__C_ERROR,
    SL__C_CONFIG_EFFECTIVE, SL__C_CONFIG_TEXT, SL__C_PARENT, SL__C_REPRODUCED,
    SL__C_NOTE, SL__C_PROC_ID, SL__C_TAGS
};

/* Liveness of a row's process: sl__proc_alive for a 'running' run, -1
 * otherwise. */
int sl__cli_run_alive(sqlite3_stmt *r);
/* Duration of a run: until its end, or until now while it runs; NaN when
 * unknown. */
double sl__cli_run_duration(sqlite3_stmt *r);
/* The fields every run object of `runs --json`, `show --json` and
 * `export --format json` has (see cmd_runs.c for the list); the caller
 * opened the object. */
void sl__cli_json_run_fields(sl__json *w, sqlite3_stmt *r);
/* Write a number or null (NULL column) as a JSON value. */
void sl__cli_json_col_number(sl__json *w, sqlite3_stmt *s, int i);
/* A params row value typed as JSON: int/float as numbers, bool as
 * true/false, string as a string. */
void sl__cli_json_param(sl__json *w, const char *type, const char *text,
                        sqlite3_stmt *s, int num_col);

#endif
