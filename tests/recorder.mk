# tests of recorder: run database, runs/show commands, JSON writer, SHA-256
check_PROGRAMS += tests/test_recorder
TESTS += tests/test_recorder
tests_test_recorder_SOURCES = tests/test_recorder.c
tests_test_recorder_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_recorder_LDADD = $(SL_TEST_LIBS) $(SQLITE_LIBS)
# run history with the real command: kill -9 mid-training (crash safety),
# 8 concurrent writers, rerun/filters/compare/export/tag/note/rm/migration
TESTS += tests/kill.sh tests/concurrent.sh tests/history.sh
EXTRA_DIST += tests/kill.sh tests/concurrent.sh tests/history.sh \
	tests/data/schema1.sql
# sweeps: grid, --jobs, resume, summary, killed points, --shard + db merge
TESTS += tests/sweep.sh
EXTRA_DIST += tests/sweep.sh
# the same under mpirun (3 ranks; skipped when built without MPI); it
# preloads tests/.libs/mpi_diesend.so to kill a rank in a send
TESTS += tests/sweep_mpi.sh
EXTRA_DIST += tests/sweep_mpi.sh
if SL_HAVE_MPI
check_LTLIBRARIES += tests/mpi_diesend.la
tests_mpi_diesend_la_SOURCES = tests/mpi_diesend.c
tests_mpi_diesend_la_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
tests_mpi_diesend_la_LIBADD = $(MPI_LIBS)
tests_mpi_diesend_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
endif
