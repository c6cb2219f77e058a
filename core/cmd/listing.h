/* core/cmd/listing.h — the JSON documents of `spikelab runs --json` and
 * `spikelab show --json` and `spikelab compare --json`, written to any stream, so that `spikelab ui`'s
 * /api/ answers with exactly the data the commands print. */
#ifndef SL_CMD_LISTING_H
#define SL_CMD_LISTING_H

#include <stdio.h>

#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/out.h"

/* The listing of `runs` under o's filters: with o->json the JSON array to
 * out, else the text table to stdout. Returns the exit status (2: a
 * malformed filter, reported on stderr; check it first with
 * sl_run_filter_check to say it elsewhere). */
int sl__cli_runs_list(FILE *out, sl_rundb *db, const sl__ropts *o);

/* The object of `show --json` for run r (tags borrowed) to out: 0, -1 a
 * database error (message on db), -2 the output failed. */
int sl__cli_show_json(FILE *out, sl_rundb *db, const sl_run_info *r,
                      const sl__strv *tags);

/* The comparison of `compare` of runs ids[n] (at most 15, existing):
 * with o->json the JSON object to out, else the text to stdout. Returns
 * the exit status (errors reported on stderr). */
int sl__cli_compare_runs(FILE *out, sl_rundb *db, const sl__hopts *o,
                         const int64_t *ids, int n);

#endif
