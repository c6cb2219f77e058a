/* core/db/filter.h — the filters and sort keys of `spikelab runs`, turned
 * into parameterised SQL.
 *
 * No user text ever becomes SQL text: the query is assembled from constant
 * fragments written in this program (sl__sql_add takes string literals
 * only), and every value that comes from the command line — keys, values,
 * names, times — is a bound parameter (?N). A malformed filter is an error
 * naming what is wrong, before any SQL is built.
 *
 * --where 'KEY OP VALUE'
 *   OP: = (or ==), !=, <, <=, >, >=, and ~ (glob match of the text, e.g.
 *   'optimizer.type~ad*').
 *   KEY is looked up, in this order, as
 *     a configuration parameter (flattened key or alias, see flatten.h):
 *       optimizer.lr, network.layers.1.tau_mem, network.layers.lif.tau_mem
 *     a final result (an evaluation): test_frr_median
 *     a final metric: the value of the metric at its highest step: loss
 *   A prefix picks one place only: param:KEY, result:KEY, metric:KEY.
 *   VALUE: a number compares numerically (ints, floats and bools, true =
 *   1); anything else, or a value in quotes ('...' or "..."), compares as
 *   text with = != ~ only (true/false match bool parameters). A run that
 *   lacks KEY never matches, also not for !=.
 * --since TIME: Nunit (s, m, h, d, w: that long ago), YYYY-MM-DD,
 *   "YYYY-MM-DD HH:MM[:SS]" (local time; 'T' works as the separator), or
 *   @UNIXSECONDS.
 * --sort KEY: id, started, ended, duration, name, status, seed, or any KEY
 *   of --where; a leading '-' sorts descending. Runs without the key come
 *   last.
 */
#ifndef SL_CORE_FILTER_H
#define SL_CORE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/err.h"

/* ---- parameterised SQL ----------------------------------------------------- */

typedef struct sl__sql_bind {
    int type; /* 0 text, 1 double, 2 int64 */
    const char *text; /* borrowed: must outlive the statement's binding */
    double d;
    int64_t i;
} sl__sql_bind;

/* A query under construction. Zero-initialise; free with sl__sql_free. */
typedef struct sl__sql {
    char *buf;
    size_t len, cap;
    sl__sql_bind *binds;
    int n_binds, cap_binds;
    int oom;
} sl__sql;

/* Append constant SQL. MUST be a string literal (or built only from
 * literals): never text that came from a user. */
void sl__sql_add(sl__sql *q, const char *constant);
/* Register a bound value; returns its parameter number N (for ?N), or 0
 * when out of memory (q->oom is then set). text is borrowed. */
int sl__sql_param_text(sl__sql *q, const char *text);
int sl__sql_param_double(sl__sql *q, double v);
int sl__sql_param_int(sl__sql *q, int64_t v);
/* Append the placeholder ?N. */
void sl__sql_ref(sl__sql *q, int n);
/* Prepare and bind. SQLITE_OK, SQLITE_NOMEM after an allocation failure,
 * or SQLite's error (message on h). */
int sl__sql_prepare(sl__sql *q, sqlite3 *h, sqlite3_stmt **out);
void sl__sql_free(sl__sql *q);

/* ---- filters ---------------------------------------------------------------- */

typedef enum sl__ns {
    SL__NS_ANY = 0, SL__NS_PARAM, SL__NS_RESULT, SL__NS_METRIC
} sl__ns;
typedef enum sl__op {
    SL__OP_EQ, SL__OP_NE, SL__OP_LT, SL__OP_LE, SL__OP_GT, SL__OP_GE,
    SL__OP_GLOB
} sl__op;

/* One --where condition. Strings owned (sl__cond_free). */
typedef struct sl__cond {
    char *key;    /* without its namespace prefix */
    sl__ns ns;
    sl__op op;
    int numeric;  /* compare num (else text) */
    double num;
    char *text;   /* the value as text (unquoted) */
} sl__cond;

/* Parse "KEY OP VALUE". SL_OK, SL_EINVAL with a message that names the
 * problem (no operator, empty key or value, an unknown operator, a text
 * value with an ordering operator, an unknown KEY prefix), SL_ENOMEM. */
int sl__cond_parse(const char *expr, sl__cond *out, sl__err *err);
void sl__cond_free(sl__cond *c);

/* Append the SQL of cond against the current row of `runs`. */
void sl__cond_sql(sl__sql *q, const sl__cond *c);

/* Append the value of KEY (ns as in --where) for the current row of
 * `runs`: a number where there is one, else the parameter's text, else
 * NULL. key is borrowed until the statement is prepared and bound. */
void sl__key_value_sql(sl__sql *q, const char *key, sl__ns ns);

/* Split an optional "param:"/"result:"/"metric:" prefix off key. Returns
 * the key without it and sets *ns; NULL with a message for an unknown
 * prefix. */
const char *sl__key_ns(const char *key, sl__ns *ns, sl__err *err);

/* Parse a --since value relative to now (Unix seconds) into *out. SL_OK
 * or SL_EINVAL with a message listing the accepted forms. */
int sl__parse_since(const char *text, double now, double *out, sl__err *err);

#endif
