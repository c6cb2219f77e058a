/* core/db/filter.c — parameterised SQL and the --where / --since / --sort
 * parsing of `spikelab runs` (see filter.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spikelab/abi.h"
#include "db/filter.h"

/* ---- parameterised SQL ----------------------------------------------------- */

void sl__sql_add(sl__sql *q, const char *constant)
{
    size_t n = strlen(constant);
    if (q->oom)
        return;
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap ? q->cap : 256;
        while (cap < q->len + n + 1)
            cap *= 2;
        char *p = realloc(q->buf, cap);
        if (!p) {
            q->oom = 1;
            return;
        }
        q->buf = p;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, constant, n + 1);
    q->len += n;
}

static int add_bind(sl__sql *q, sl__sql_bind b)
{
    if (q->oom)
        return 0;
    if (q->n_binds == q->cap_binds) {
        int cap = q->cap_binds ? 2 * q->cap_binds : 16;
        sl__sql_bind *p = realloc(q->binds, (size_t)cap * sizeof *p);
        if (!p) {
            q->oom = 1;
            return 0;
        }
        q->binds = p;
        q->cap_binds = cap;
    }
    q->binds[q->n_binds++] = b;
    return q->n_binds;
}

int sl__sql_param_text(sl__sql *q, const char *text)
{
    return add_bind(q, (sl__sql_bind){0, text, 0, 0});
}

int sl__sql_param_double(sl__sql *q, double v)
{
    return add_bind(q, (sl__sql_bind){1, NULL, v, 0});
}

int sl__sql_param_int(sl__sql *q, int64_t v)
{
    return add_bind(q, (sl__sql_bind){2, NULL, 0, v});
}

void sl__sql_ref(sl__sql *q, int n)
{
    char ph[16];
    snprintf(ph, sizeof ph, "?%d", n); /* a number of ours, not user text */
    sl__sql_add(q, ph);
}

int sl__sql_prepare(sl__sql *q, sqlite3 *h, sqlite3_stmt **out)
{
    *out = NULL;
    if (q->oom || !q->buf)
        return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v2(h, q->buf, -1, out, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return rc;
    }
    for (int i = 0; i < q->n_binds && rc == SQLITE_OK; i++) {
        const sl__sql_bind *b = &q->binds[i];
        if (b->type == 0)
            rc = sqlite3_bind_text(*out, i + 1, b->text, -1, SQLITE_TRANSIENT);
        else if (b->type == 1)
            rc = sqlite3_bind_double(*out, i + 1, b->d);
        else
            rc = sqlite3_bind_int64(*out, i + 1, b->i);
    }
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    return rc;
}

void sl__sql_free(sl__sql *q)
{
    free(q->buf);
    free(q->binds);
    memset(q, 0, sizeof *q);
}

/* ---- value of a key ---------------------------------------------------------- */

/* The three places a key can live, as SQL on the current `runs` row with
 * the key bound as ?k. */
static void param_value(sl__sql *q, int k, const char *column)
{
    sl__sql_add(q, "(SELECT p.");
    sl__sql_add(q, column); /* "value_num" or "value_text": literals */
    sl__sql_add(q, " FROM params p WHERE p.run_id = runs.id AND (p.key = ");
    sl__sql_ref(q, k);
    sl__sql_add(q, " OR p.alias = ");
    sl__sql_ref(q, k);
    sl__sql_add(q, ") ORDER BY p.key = ");
    sl__sql_ref(q, k);
    sl__sql_add(q, " DESC LIMIT 1)");
}

static void result_value(sl__sql *q, int k)
{
    sl__sql_add(q, "(SELECT s.value FROM results s WHERE s.run_id = runs.id"
                   " AND s.name = ");
    sl__sql_ref(q, k);
    sl__sql_add(q, ")");
}

static void metric_value(sl__sql *q, int k)
{
    sl__sql_add(q, "(SELECT m.value FROM metrics m WHERE m.run_id = runs.id"
                   " AND m.name = ");
    sl__sql_ref(q, k);
    sl__sql_add(q, " ORDER BY m.step DESC, m.rowid DESC LIMIT 1)");
}

/* Numeric value of key in ns (NULL when it has none). */
static void numeric_value(sl__sql *q, int k, sl__ns ns)
{
    switch (ns) {
    case SL__NS_PARAM:
        param_value(q, k, "value_num");
        break;
    case SL__NS_RESULT:
        result_value(q, k);
        break;
    case SL__NS_METRIC:
        metric_value(q, k);
        break;
    default:
        sl__sql_add(q, "coalesce(");
        param_value(q, k, "value_num");
        sl__sql_add(q, ", ");
        result_value(q, k);
        sl__sql_add(q, ", ");
        metric_value(q, k);
        sl__sql_add(q, ")");
    }
}

void sl__key_value_sql(sl__sql *q, const char *key, sl__ns ns)
{
    int k = sl__sql_param_text(q, key);
    sl__sql_add(q, "coalesce(");
    numeric_value(q, k, ns);
    sl__sql_add(q, ", ");
    if (ns == SL__NS_ANY || ns == SL__NS_PARAM)
        param_value(q, k, "value_text");
    else
        sl__sql_add(q, "NULL");
    sl__sql_add(q, ")");
}

void sl__cond_sql(sl__sql *q, const sl__cond *c)
{
    static const char *const ops[] = {
        [SL__OP_EQ] = " = ", [SL__OP_NE] = " != ", [SL__OP_LT] = " < ",
        [SL__OP_LE] = " <= ", [SL__OP_GT] = " > ", [SL__OP_GE] = " >= ",
    };
    /* parameters are registered only where the SQL refers to them: an
     * unreferenced one would be a bind index past the statement's last
     * parameter (found by tests/fuzz/fuzz_filter) */
    int text_ns = c->ns == SL__NS_ANY || c->ns == SL__NS_PARAM;
    sl__sql_add(q, "(");
    if (c->op == SL__OP_GLOB) {
        /* the text of a param; results and metrics have none */
        if (text_ns) {
            int k = sl__sql_param_text(q, c->key);
            int v = sl__sql_param_text(q, c->text);
            param_value(q, k, "value_text");
            sl__sql_add(q, " GLOB ");
            sl__sql_ref(q, v);
        } else {
            sl__sql_add(q, "0");
        }
    } else if (c->numeric) {
        int k = sl__sql_param_text(q, c->key);
        int v = sl__sql_param_double(q, c->num);
        numeric_value(q, k, c->ns);
        sl__sql_add(q, ops[c->op]);
        sl__sql_ref(q, v);
    } else if (text_ns) {
        int k = sl__sql_param_text(q, c->key);
        int v = sl__sql_param_text(q, c->text);
        param_value(q, k, "value_text");
        sl__sql_add(q, ops[c->op]);
        sl__sql_ref(q, v);
    } else {
        sl__sql_add(q, "0"); /* results and metrics have no text to match */
    }
    sl__sql_add(q, ")");
}

/* ---- parsing ------------------------------------------------------------------- */

const char *sl__key_ns(const char *key, sl__ns *ns, sl__err *err)
{
    static const struct {
        const char *prefix;
        sl__ns ns;
    } p[] = {{"param:", SL__NS_PARAM},
             {"result:", SL__NS_RESULT},
             {"metric:", SL__NS_METRIC}};
    *ns = SL__NS_ANY;
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        if (strncmp(key, p[i].prefix, strlen(p[i].prefix)) == 0) {
            *ns = p[i].ns;
            return key + strlen(p[i].prefix);
        }
    const char *colon = strchr(key, ':');
    if (colon) {
        sl__fail(err, SL_EINVAL,
                 "unknown prefix '%.*s:' in '%s' (use param:, result: or "
                 "metric:, or none)",
                 (int)(colon - key), key, key);
        return NULL;
    }
    return key;
}

static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static int is_op_char(char c)
{
    return c && strchr("<>=!~", c) != NULL;
}

int sl__cond_parse(const char *expr, sl__cond *out, sl__err *err)
{
    static const char forms[] =
        "write KEY OP VALUE with OP one of = != < <= > >= ~, e.g. "
        "'optimizer.lr>=0.01'";
    memset(out, 0, sizeof *out);
    size_t i = strcspn(expr, "<>=!~");
    if (!expr[i])
        return sl__fail(err, SL_EINVAL, "no comparison in '%s': %s", expr,
                        forms);
    const char *o = expr + i;
    size_t olen;
    if ((o[0] == '<' || o[0] == '>' || o[0] == '!' || o[0] == '=') &&
        o[1] == '=') {
        olen = 2;
        out->op = o[0] == '<' ? SL__OP_LE : o[0] == '>' ? SL__OP_GE
                  : o[0] == '!' ? SL__OP_NE : SL__OP_EQ;
    } else if (o[0] == '!') {
        return sl__fail(err, SL_EINVAL, "'!' in '%s' must be followed by "
                        "'=' (not equal): %s", expr, forms);
    } else {
        olen = 1;
        out->op = o[0] == '<' ? SL__OP_LT : o[0] == '>' ? SL__OP_GT
                  : o[0] == '~' ? SL__OP_GLOB : SL__OP_EQ;
    }
    if (is_op_char(o[olen]))
        return sl__fail(err, SL_EINVAL, "'%.*s' in '%s' is not an operator: "
                        "%s", (int)olen + 1, o, expr, forms);
    char *key = trimmed(expr, i);
    char *val = trimmed(o + olen, strlen(o + olen));
    int rc = SL_OK;
    if (!key || !val) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto fail;
    }
    if (!*key) {
        rc = sl__fail(err, SL_EINVAL, "no key before '%.*s' in '%s': %s",
                      (int)olen, o, expr, forms);
        goto fail;
    }
    for (const char *p = key; *p; p++)
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20) {
            rc = sl__fail(err, SL_EINVAL, "the key '%s' in '%s' holds a "
                          "space or control character: %s", key, expr, forms);
            goto fail;
        }
    const char *bare = sl__key_ns(key, &out->ns, err);
    if (!bare) {
        rc = SL_EINVAL;
        goto fail;
    }
    if (!*bare) {
        rc = sl__fail(err, SL_EINVAL, "no key after the prefix in '%s'", expr);
        goto fail;
    }
    memmove(key, bare, strlen(bare) + 1);
    if (!*val) {
        rc = sl__fail(err, SL_EINVAL, "no value after '%.*s' in '%s': %s",
                      (int)olen, o, expr, forms);
        goto fail;
    }
    size_t vn = strlen(val);
    int quoted = vn >= 2 && (val[0] == '"' || val[0] == '\'') &&
                 val[vn - 1] == val[0];
    if (quoted) {
        memmove(val, val + 1, vn - 2);
        val[vn - 2] = '\0';
    } else if (val[0] == '"' || val[0] == '\'') {
        rc = sl__fail(err, SL_EINVAL, "unbalanced quote in the value of '%s'",
                      expr);
        goto fail;
    } else {
        char *end;
        errno = 0;
        double d = strtod(val, &end);
        if (*end == '\0' && end != val && !isnan(d) && errno != ERANGE) {
            out->numeric = 1;
            out->num = d;
        }
    }
    if (!out->numeric && out->op != SL__OP_EQ && out->op != SL__OP_NE &&
        out->op != SL__OP_GLOB) {
        rc = sl__fail(err, SL_EINVAL, "'%.*s' in '%s' compares numbers, and "
                      "'%s' is not a number", (int)olen, o, expr, val);
        goto fail;
    }
    out->key = key;
    out->text = val;
    return SL_OK;
fail:
    free(key);
    free(val);
    memset(out, 0, sizeof *out);
    return rc;
}

void sl__cond_free(sl__cond *c)
{
    free(c->key);
    free(c->text);
    memset(c, 0, sizeof *c);
}

int sl__parse_since(const char *text, double now, double *out, sl__err *err)
{
    static const char forms[] =
        "use a duration ago (30m, 2h, 3d, 1w), a date YYYY-MM-DD, a local "
        "time 'YYYY-MM-DD HH:MM[:SS]', or @UNIXSECONDS";
    char *end;
    const char *t = text;
    while (isspace((unsigned char)*t))
        t++;
    if (*t == '@') {
        errno = 0;
        double v = strtod(t + 1, &end);
        if (end == t + 1 || *end || errno || !isfinite(v))
            return sl__fail(err, SL_EINVAL, "--since '%s': %s", text, forms);
        *out = v;
        return SL_OK;
    }
    /* a duration: number + unit */
    errno = 0;
    double n = strtod(t, &end);
    if (end != t && !errno && n >= 0 && isfinite(n) && end[0] && !end[1] &&
        strchr("smhdw", end[0]) && !strchr(t, '-')) {
        static const double unit[] = {['s' - 'a'] = 1, ['m' - 'a'] = 60,
                                      ['h' - 'a'] = 3600, ['d' - 'a'] = 86400,
                                      ['w' - 'a'] = 604800};
        *out = now - n * unit[end[0] - 'a'];
        return SL_OK;
    }
    /* a date, optionally with a time */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    char sep = 0;
    int k = sscanf(t, "%4d-%2d-%2d%n%c%2d:%2d%n:%2d%n", &y, &mo, &d, &used,
                   &sep, &h, &mi, &used, &sec, &used);
    int ok = (k == 3 || k == 6 || k == 7) && t[used] == '\0' &&
             (k == 3 || sep == ' ' || sep == 'T') && mo >= 1 && mo <= 12 &&
             d >= 1 && d <= 31 && h >= 0 && h < 24 && mi >= 0 && mi < 60 &&
             sec >= 0 && sec <= 60;
    if (!ok)
        return sl__fail(err, SL_EINVAL, "--since '%s': %s", text, forms);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t tt = mktime(&tm);
    if (tt == (time_t)-1)
        return sl__fail(err, SL_EINVAL, "--since '%s': not a valid local "
                        "time", text);
    *out = (double)tt;
    return SL_OK;
}
