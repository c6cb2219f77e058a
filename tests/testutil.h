/* tests/testutil.h — shared by the plugin tests. */
#ifndef SL_TESTS_TESTUTIL_H
#define SL_TESTS_TESTUTIL_H

#include "engine/registry.h"

/* Load the build tree's plugins/NAME/.libs/NAME.so ($top_builddir, set by
 * make check) through the real loader into a new registry. Returns the
 * registry (free with sl__registry_free) and, if plugin is non-NULL, the
 * loaded plugin; NULL with a message on stderr when it does not load. */
sl__registry *sl_test_load_plugin(const char *name, const sl__plugin **plugin);

#endif
