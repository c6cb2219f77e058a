/* core/api/api.h — what the files of the embedding API share inside the
 * library (not exported). */
#ifndef SL_CORE_API_H
#define SL_CORE_API_H

#include "db/db.h"
#include "engine/engine.h"

/* init_from = { run; db; }: every trained parameter of the recorded run
 * into exp's network, matched by layer name and parameter name
 * (artifacts params/LAYER/PARAM.npy). db_default names the database when
 * the setting has no db (the one the new run records into). Nothing is
 * changed unless everything matches: SL_ECONFIG listing each mismatch
 * (a tensor the network has and the run lacks, one the run has and the
 * network lacks, another size), SL_ENOTFOUND for a database or run that
 * is not there or a run without parameters. */
int sl__api_init_from(sl__experiment *exp, const char *db_default,
                      sl__err *err);

#endif
