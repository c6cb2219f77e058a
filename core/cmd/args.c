/* core/cmd/args.c — option parsing shared by the history commands (see
 * args.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/out.h"

/* 0 parsed, 1 --help printed, 2 usage error (reported). o->pos owned
 * (free it). */
int sl__cli_hparse(const char *cmd, const char *usage, unsigned flags,
                   int argc, char **argv, sl__hopts *o)
{
    memset(o, 0, sizeof *o);
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (!o->pos) {
        fprintf(stderr, "spikelab %s: out of memory\n", cmd);
        return 2;
    }
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            o->pos[o->n_pos++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_positional = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if ((flags & SL__F_JSON) && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if ((flags & SL__F_ALL) && strcmp(a, "--all") == 0) {
            o->all = 1;
        } else if ((flags & SL__F_FORCE) && strcmp(a, "--force") == 0) {
            o->force = 1;
        } else if ((flags & SL__F_REMOVE) && strcmp(a, "--remove") == 0) {
            o->remove = 1;
        } else if ((flags & SL__F_APPEND) && strcmp(a, "--append") == 0) {
            o->append = 1;
        } else if ((flags & SL__F_CLEAR) && strcmp(a, "--clear") == 0) {
            o->clear = 1;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--db needs a path");
            o->db = v;
        } else if ((flags & SL__F_FORMAT) &&
                   (v = sl__cli_opt_value(argc, argv, &i, "--format",
                                          &missing))) {
            if (strcmp(v, "csv") != 0 && strcmp(v, "json") != 0)
                return sl__cli_usage_error(cmd, "--format is csv or json, "
                                                "not '%s'", v);
            o->format = v;
        } else if ((flags & SL__F_OUTPUT) &&
                   ((v = sl__cli_opt_value(argc, argv, &i, "--output",
                                           &missing)) ||
                    (!missing && (v = sl__cli_opt_value(argc, argv, &i, "-o",
                                                        &missing))))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--output needs a file");
            o->output = v;
        } else if ((flags & SL__F_ARTIFACTS) &&
                   (v = sl__cli_opt_value(argc, argv, &i, "--artifacts",
                                          &missing))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--artifacts needs a "
                                                "directory");
            o->artifacts = v;
        } else if (missing) {
            return sl__cli_usage_error(cmd, "%s needs a value", a);
        } else {
            return sl__cli_usage_error(cmd, "unknown option '%s'", a);
        }
    }
    return 0;
}

/* Parse the positional IDs pos[from..to) into ids (resolved later).
 * Returns 0 or 2. */
int sl__cli_parse_ids(const char *cmd, char **pos, int from, int to,
                     int64_t *ids)
{
    for (int i = from; i < to; i++)
        if (sl__cli_parse_id(cmd, pos[i], &ids[i - from]))
            return 2;
    return 0;
}

/* Resolve "last" and check that every run exists. 0, or 1 (reported). */
int sl__cli_check_ids(const char *cmd, sl_rundb *db, int64_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        if (sl__cli_find_run(cmd, db, &ids[i]))
            return 1;
    return 0;
}


/* 0: parsed; 1: --help printed; 2: usage error (reported). */
int sl__cli_rparse(int argc, char **argv, const char *usage, int is_show,
                   sl__ropts *o)
{
    const char *cmd = is_show ? "show" : "runs";
    memset(o, 0, sizeof *o);
    o->limit = -1;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (!only_positional && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                only_positional = 1;
            } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                fputs(usage, stdout);
                return 1;
            } else if (strcmp(a, "--json") == 0) {
                o->json = 1;
            } else if (is_show && strcmp(a, "--config") == 0) {
                o->config = 1;
            } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                              &missing))) {
                if (!*v)
                    return sl__cli_usage_error(cmd, "--db needs a path");
                o->db = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--limit",
                                                          &missing))) {
                char *end;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (!*v || *end || errno || n < 0)
                    return sl__cli_usage_error(
                        cmd, "--limit needs a number >= 0, not '%s'", v);
                o->limit = n;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--status",
                                                          &missing))) {
                o->status = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--name",
                                                          &missing))) {
                o->name = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--since",
                                                          &missing))) {
                o->since = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--sort",
                                                          &missing))) {
                o->sort = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--where",
                                                          &missing))) {
                if (o->n_where == MAX_WHERE)
                    return sl__cli_usage_error(cmd, "at most %d --where",
                                               MAX_WHERE);
                o->where[o->n_where++] = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--tag",
                                                          &missing))) {
                if (o->n_tag == MAX_WHERE)
                    return sl__cli_usage_error(cmd, "at most %d --tag",
                                               MAX_WHERE);
                o->tag[o->n_tag++] = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--sweep",
                                                          &missing))) {
                /* a sweep's runs carry the tag sweep:ID (cmd/sweep.c) */
                int n = snprintf(o->sweep_tag, sizeof o->sweep_tag,
                                 "sweep:%s", v);
                if (!*v || n < 0 || (size_t)n >= sizeof o->sweep_tag)
                    return sl__cli_usage_error(cmd, "--sweep needs a sweep "
                                               "id, not '%s'", v);
                if (o->n_tag == MAX_WHERE)
                    return sl__cli_usage_error(cmd, "at most %d --tag",
                                               MAX_WHERE);
                o->tag[o->n_tag++] = o->sweep_tag;
            } else if (missing) {
                return sl__cli_usage_error(cmd, "%s needs a value", a);
            } else {
                return sl__cli_usage_error(cmd, "unknown option '%s'", a);
            }
        } else if (is_show && !o->id) {
            o->id = a;
        } else {
            return sl__cli_usage_error(cmd, "unexpected argument '%s'", a);
        }
    }
    if (is_show && !o->id)
        return sl__cli_usage_error(cmd, "which run? give its ID (see "
                                        "'spikelab runs')");
    if (o->json && o->config)
        return sl__cli_usage_error(cmd, "--json and --config exclude each "
                                        "other");
    return 0;
}


int sl__cli_run_arg(const char *cmd, char *arg, int missing, int *quiet,
                    int *traces, const char **id_text, char **ov, int *n_ov)
{
    if (strcmp(arg, "--quiet") == 0)
        *quiet = 1;
    else if (strcmp(arg, "--traces") == 0)
        *traces = 1;
    else if (missing)
        return sl__cli_usage_error(cmd, "%s needs a value", arg);
    else if (arg[0] == '-')
        return sl__cli_usage_error(cmd, "unknown option '%s'", arg);
    else if (!*id_text)
        *id_text = arg;
    else if (strchr(arg, '='))
        ov[(*n_ov)++] = arg;
    else
        return sl__cli_usage_error(cmd, "'%s' is neither an option nor a "
                                   "key=value override", arg);
    return 0;
}
