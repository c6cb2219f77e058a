/* core/cmd/cmd.h — subcommands of the spikelab command. Each takes the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status: 0 ok, 1 runtime failure, 2 usage or
 * configuration error. Each prints its own --help. */
#ifndef SL_CORE_CMD_H
#define SL_CORE_CMD_H

#include <stddef.h>
#include <stdint.h>

int sl__cmd_run(int argc, char **argv);     /* core/cmd/run.c */
int sl__cmd_plugins(int argc, char **argv); /* core/cmd/plugins.c */
int sl__cmd_runs(int argc, char **argv);    /* core/cmd/runs.c */
int sl__cmd_show(int argc, char **argv);    /* core/cmd/show.c */
int sl__cmd_compare(int argc, char **argv); /* core/cmd/compare.c */
int sl__cmd_export(int argc, char **argv);  /* core/cmd/export.c */
int sl__cmd_tag(int argc, char **argv);     /* core/cmd/curate.c */
int sl__cmd_note(int argc, char **argv);    /* core/cmd/curate.c */
int sl__cmd_rm(int argc, char **argv);      /* core/cmd/curate.c */
int sl__cmd_rerun(int argc, char **argv);   /* core/cmd/rerun.c */
int sl__cmd_export_device(int argc, char **argv); /* core/cmd/export_device.c */
int sl__cmd_nir(int argc, char **argv);     /* core/cmd/nir.c */

/* Read the trained parameters (artifacts params/LAYER/PARAM.npy) of run
 * into exp's network, an experiment loaded from the run's effective
 * configuration (export_device.c). 0, or 1 with the reason on stderr as
 * "spikelab CMD: ...". */
struct sl__experiment;
struct sl_rundb;
/* The stored configuration of run: its path (or "(stored)") and its
 * effective text, both malloc'd (export_device.c). 0, or 1 with the
 * reason on stderr. */
int sl__cli_run_config(const char *cmd, struct sl_rundb *db, int64_t run,
                       char **cpath, char **text);
int sl__cli_load_params(const char *cmd, struct sl_rundb *db, int64_t run,
                        struct sl__experiment *exp);
int sl__cmd_resume(int argc, char **argv);  /* core/cmd/resume.c */
int sl__cmd_evaluate(int argc, char **argv); /* core/cmd/evaluate.c */
int sl__cmd_plot(int argc, char **argv);    /* core/cmd/plot.c */
int sl__cmd_ui(int argc, char **argv);      /* core/cmd/ui.c */
int sl__cmd_sweep(int argc, char **argv);   /* core/cmd/sweep.c */
int sl__cmd_sweep_summary(int argc, char **argv); /* core/cmd/summary.c */
int sl__cmd_db(int argc, char **argv);      /* core/cmd/dbcmd.c */

/* What sl__run_experiment runs and records. Every pointer is borrowed for
 * the call. */
typedef struct sl__run_request {
    const char *file;            /* experiment file: read when text is NULL;
                                    names the config in messages, and its
                                    directory anchors relative plugin_path */
    const char *text;            /* config text to parse instead, or NULL */
    char *const *overrides;      /* "key=value" applied after reading */
    size_t n_overrides;
    const char *dbpath;          /* run database; NULL = default */
    int quiet;                   /* no progress display */
    int traces;                  /* record traces after training */
    /* What the run record names as its origin; NULL = what was run. A
     * re-run records the original file's text and overrides here. */
    const char *record_text;
    const char *record_overrides; /* "k=v" lines */
    int64_t parent_id;           /* the run this one re-runs; 0 = none */
    int64_t resume_id;           /* continue this run from its checkpoint
                                    (sl_run_opts.resume_id); 0 = none */
    char *const *tags;           /* tags given to the run once recorded */
    size_t n_tags;
} sl__run_request;

/* `spikelab run` over the public session API (core/cmd/run.c): load the
 * experiment (sl_experiment_load), run and record it (sl_run) with the
 * progress display on stderr and the report on stdout; SIGINT/SIGTERM
 * interrupt it (sl_session_interrupt). *run_id (may be NULL) receives the
 * new run's id, 0 when none was recorded. Returns the exit status: 0
 * finished, 1 failed, 2 bad configuration (nothing recorded), 130
 * interrupted by SIGINT/SIGTERM. */
int sl__run_experiment(const sl__run_request *req, int64_t *run_id);

#endif
