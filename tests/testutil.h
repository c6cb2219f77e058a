/* tests/testutil.h — shared by the plugin tests. */
#ifndef SL_TESTS_TESTUTIL_H
#define SL_TESTS_TESTUTIL_H

#include "engine/host.h"
#include "engine/registry.h"

/* Load the build tree's plugins/NAME/.libs/NAME.so ($top_builddir, set by
 * make check) through the real loader into a new registry. Returns the
 * registry (free with sl__registry_free) and, if plugin is non-NULL, the
 * loaded plugin; NULL with a message on stderr when it does not load. */
sl__registry *sl_test_load_plugin(const char *name, const sl__plugin **plugin);

/* Give ctx's group the settings table of component e (and the core's keys
 * of its kind), as the core does when it creates a component: every read
 * is then checked against the table, so a plugin test fails when its
 * component reads a key it does not declare. */
void sl_test_declare(sl_ctx *ctx, const sl__entry *e);

#endif
