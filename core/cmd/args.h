/* core/cmd/args.h — option parsing shared by the history commands
 * (compare, export, tag, note, rm): the flags each accepts, positional
 * run IDs, "last" resolved and existence checked. */
#ifndef SL_CMD_ARGS_H
#define SL_CMD_ARGS_H

#include <stdint.h>

#include "spikelab/rundb.h"

/* Options of these commands; positional arguments are collected. */
typedef struct sl__hopts {
    const char *db;
    int json, all, force, remove, append, clear;
    const char *format, *output, *artifacts;
    char **pos;
    int n_pos;
} sl__hopts;

/* Flags each command accepts. */
enum {
    SL__F_JSON = 1 << 0, SL__F_ALL = 1 << 1, SL__F_FORCE = 1 << 2, SL__F_REMOVE = 1 << 3,
    SL__F_APPEND = 1 << 4, SL__F_CLEAR = 1 << 5, SL__F_FORMAT = 1 << 6, SL__F_OUTPUT = 1 << 7,
    SL__F_ARTIFACTS = 1 << 8
};

/* The common end of evaluate's and rerun's option loops, for an argument
 * no earlier branch took: --quiet, --traces, an option left without its
 * value (missing), an unknown option, the run ID (the first positional,
 * into *id_text) and key=value overrides (appended to ov, borrowed from
 * argv). Returns 0 or the usage error's exit status (reported). */
int sl__cli_run_arg(const char *cmd, char *arg, int missing, int *quiet,
                    int *traces, const char **id_text, char **ov,
                    int *n_ov);

/* 0 parsed, 1 --help printed, 2 usage error (reported). o->pos owned
 * (free it). */
int sl__cli_hparse(const char *cmd, const char *usage, unsigned flags,
                   int argc, char **argv, sl__hopts *o);

/* Parse the positional IDs pos[from..to) into ids (resolved later).
 * Returns 0 or 2. */
int sl__cli_parse_ids(const char *cmd, char **pos, int from, int to,
                     int64_t *ids);

/* Resolve "last" and check that every run exists. 0, or 1 (reported). */
int sl__cli_check_ids(const char *cmd, sl_rundb *db, int64_t *ids, int n);

/* Options of `runs` and `show` (show: is_show, the run's ID in id). */
#define MAX_WHERE 16
typedef struct sl__ropts {
    const char *db;
    int json, config;
    long long limit;              /* -1 = all */
    const char *id;               /* show */
    const char *status, *name, *since, *sort;
    const char *where[MAX_WHERE];
    int n_where;
    const char *tag[MAX_WHERE];
    int n_tag;
    char sweep_tag[80];           /* --sweep ID: the tag "sweep:ID" */
} sl__ropts;

/* Parse them; usage is printed for --help. 0: parsed; 1: --help
 * printed; 2: usage error (reported). Strings borrowed from argv. */
int sl__cli_rparse(int argc, char **argv, const char *usage, int is_show,
                   sl__ropts *o);

#endif
