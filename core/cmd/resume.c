/* core/cmd/resume.c — `spikelab resume ID`: continue an interrupted or
 * failed run from its last checkpoint (train.checkpoint_every), into the
 * same run record.
 *
 * What runs is the run's stored effective configuration (as `rerun`), so
 * the experiment file need not exist any more; the checkpoint holds the
 * parameters, the optimizer's and backend's state and the epoch
 * (engine/checkpoint.h), the rest is rebuilt from configuration and seed.
 * No overrides: they would make the configuration another than the one
 * the checkpoint belongs to. The resumed run's metrics, results and
 * parameters are bit-identical to those of the same run never stopped
 * (tests/resume.sh kills runs with SIGKILL to check it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/cmd.h"
#include "cmd/out.h"

static const char resume_usage[] =
    "Usage: spikelab resume ID [--db PATH] [--quiet] [--traces]\n"
    "Continue run ID (a number, or 'last'), interrupted or failed, from its\n"
    "last checkpoint: the run must have been started with\n"
    "train.checkpoint_every = N, which stores the parameters, the optimizer's\n"
    "and the backend's state and the epoch every N epochs. The run's stored\n"
    "effective configuration runs again (the experiment file is not read);\n"
    "metrics recorded after the checkpoint are dropped, training continues\n"
    "with the next epoch, and the run ends as it would have: its metrics,\n"
    "results and trained parameters are bit-identical to those of the run\n"
    "never stopped (same build and machine, see `spikelab rerun`).\n"
    "\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --quiet     no progress display\n"
    "  --traces    also record traces, as `spikelab run --traces`\n"
    "  --help      this text\n"
    "\n"
    "exit status: 0 finished, 1 failed, 2 bad usage, or a run that cannot\n"
    "be resumed (unknown, finished, still running, without a checkpoint,\n"
    "a checkpoint of another configuration): then nothing is changed;\n"
    "130 interrupted again (resume it again)\n";

int sl__cmd_resume(int argc, char **argv)
{
    sl__run_request req = {0};
    const char *id_text = NULL;
    int p = 0;
    for (int i = 1; i < argc && !p; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(resume_usage, stdout);
            return sl__cli_finish("resume", 0);
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            if (!*v)
                p = sl__cli_usage_error("resume", "--db needs a path");
            req.dbpath = v;
        } else if (strcmp(a, "--quiet") == 0) {
            req.quiet = 1;
        } else if (strcmp(a, "--traces") == 0) {
            req.traces = 1;
        } else if (missing) {
            p = sl__cli_usage_error("resume", "%s needs a value", a);
        } else if (a[0] == '-') {
            p = sl__cli_usage_error("resume", "unknown option '%s'", a);
        } else if (!id_text) {
            id_text = a;
        } else {
            p = sl__cli_usage_error("resume", "'%s': resume takes one run ID "
                                    "and no overrides (they would change "
                                    "the configuration the checkpoint "
                                    "belongs to)", a);
        }
    }
    int64_t id = 0;
    if (!p && !id_text)
        p = sl__cli_usage_error("resume", "which run? give its ID");
    if (!p)
        p = sl__cli_parse_id("resume", id_text, &id);
    if (p)
        return p;

    const char *path = sl_rundb_default_path(req.dbpath);
    sl_rundb *db;
    const sl_run_info *r = NULL;
    int rc = sl_rundb_open(path, 0, &db);
    char *cpath = NULL, *effective = NULL;
    if (rc == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab resume: no run database at %s (give --db "
                "PATH or set SPIKELAB_DB)\n", path);
        sl_rundb_close(db);
        return 2;
    }
    if (!rc && id <= 0)
        rc = sl_rundb_last(db, &id);
    if (!rc)
        rc = sl_rundb_run(db, id, &r);
    if (rc == SL_ENOTFOUND) {
        fprintf(stderr, "spikelab resume: no run %lld in %s\n",
                (long long)id, path);
        sl_rundb_close(db);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "spikelab resume: %s\n", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return 1;
    }
    if (strcmp(r->status, "finished") == 0) {
        fprintf(stderr, "spikelab resume: run %lld is finished: nothing to "
                "resume\n", (long long)id);
        sl_rundb_close(db);
        return 2;
    }
    cpath = sl__cli_strdup_or_null(r->config_path);
    effective = sl__cli_strdup_or_null(r->config_effective);
    sl_rundb_close(db);
    if (!effective || !*effective) {
        fprintf(stderr, "spikelab resume: run %lld has no stored effective "
                "configuration\n", (long long)id);
        free(cpath);
        free(effective);
        return 2;
    }
    char name[48];
    snprintf(name, sizeof name, "(run %lld)", (long long)id);
    req.file = cpath ? cpath : name;
    req.text = effective;
    req.resume_id = id;
    printf("resuming run %lld from its last checkpoint\n", (long long)id);
    fflush(stdout);
    int status = sl__run_experiment(&req, NULL);
    free(cpath);
    free(effective);
    return sl__cli_finish("resume", status);
}
