/* core/cmd/dbcmd.c — `spikelab db merge A.db B.db ... -o ALL.db`: join
 * run databases (the shards of a sweep run as a batch array, or runs
 * recorded on several machines) without losing or duplicating a run. */
#include <stdio.h>
#include <string.h>

#include "spikelab/rundb.h"
#include "cmd/cmd.h"

static const char usage[] =
    "usage: spikelab db merge FILE.db... -o OUT.db\n"
    "\n"
    "Copy every run of each FILE.db into OUT.db (created when missing),\n"
    "with everything recorded with it (configuration, parameters, metrics,\n"
    "results, artifacts, tags, notes, checkpoints), under new ids, and the\n"
    "sweeps they belong to. Runs are told apart by the UUID each received\n"
    "when it was recorded: a run OUT.db holds already is skipped, so merging\n"
    "a file again, or files that share runs, duplicates nothing. Each file\n"
    "is merged in one transaction (all of its runs or none). An input of an\n"
    "older schema is upgraded in place first, as any read-write open does.\n"
    "\n"
    "  -o, --output OUT.db  the database to merge into\n"
    "  --help               this text\n"
    "\n"
    "exit status: 0 merged, 1 a file could not be merged (the ones before it\n"
    "are), 2 bad usage\n";

int sl__cmd_db(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "merge") != 0) {
        fprintf(stderr, "spikelab db: unknown subcommand '%s'\n%s", argv[1],
                usage);
        return 2;
    }
    const char *out = NULL;
    int n_in = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if ((strcmp(argv[i], "-o") == 0 ||
                    strcmp(argv[i], "--output") == 0) && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spikelab db merge: unknown option '%s' (or "
                    "missing its value)\n%s", argv[i], usage);
            return 2;
        } else {
            n_in++;
        }
    }
    if (!out || n_in == 0) {
        fprintf(stderr, "spikelab db merge: %s\n%s",
                out ? "no database to merge" : "no -o OUT.db", usage);
        return 2;
    }
    sl_rundb *db;
    if (sl_rundb_open(out, SL_RUNDB_CREATE, &db) != SL_OK) {
        fprintf(stderr, "spikelab db merge: %s\n", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return 1;
    }
    int status = 0;
    int64_t total = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            i++;
            continue;
        }
        int64_t added, present;
        if (sl_rundb_merge(db, argv[i], &added, &present) != SL_OK) {
            fprintf(stderr, "spikelab db merge: %s\n", sl_rundb_errmsg(db));
            status = 1;
            break;
        }
        total += added;
        printf("%s: %lld run%s added, %lld already in %s\n", argv[i],
               (long long)added, added == 1 ? "" : "s", (long long)present,
               out);
    }
    if (status == 0)
        printf("%s: %lld runs added\n", out, (long long)total);
    sl_rundb_close(db);
    return status;
}
