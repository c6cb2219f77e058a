# tests/fuzz: libFuzzer harnesses of every decoder of outside input
# (README there). With ./configure --enable-fuzzing they link libFuzzer
# and `make fuzz` runs each for FUZZ_SECONDS; without, replay.c gives them
# a main() that runs files once. Either way make check replays the
# checked-in corpus through them (replay.sh).
FUZZ_NAMES = fuzz_config fuzz_npy fuzz_device_json fuzz_filter \
	fuzz_paramgen fuzz_nir fuzz_nef_model fuzz_npy_param fuzz_checkpoint \
	fuzz_npydata fuzz_idx fuzz_events fuzz_form fuzz_sweepspec \
	fuzz_sparse_index
FUZZ_BINS = tests/fuzz/fuzz_config tests/fuzz/fuzz_npy \
	tests/fuzz/fuzz_device_json tests/fuzz/fuzz_filter \
	tests/fuzz/fuzz_paramgen tests/fuzz/fuzz_nir \
	tests/fuzz/fuzz_nef_model tests/fuzz/fuzz_npy_param \
	tests/fuzz/fuzz_checkpoint tests/fuzz/fuzz_npydata tests/fuzz/fuzz_idx \
	tests/fuzz/fuzz_events tests/fuzz/fuzz_form tests/fuzz/fuzz_sweepspec \
	tests/fuzz/fuzz_sparse_index
check_PROGRAMS += $(FUZZ_BINS)
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/README tests/fuzz/lsan.supp \
	tests/fuzz/corpus tests/fuzz/fuzz_config.dict
AM_TESTS_ENVIRONMENT += FUZZ_NAMES='$(FUZZ_NAMES)'; export FUZZ_NAMES;

if SL_FUZZING
FUZZ_MAIN =
else
FUZZ_MAIN = tests/fuzz/replay.c
endif
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzzutil.c $(FUZZ_MAIN)
FUZZ_HARNESS_FLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core -I$(top_builddir)/core \
	$(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS)
FUZZ_HARNESS_LIBS = core/libslcore.la

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(FUZZ_COMMON)
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_npy_SOURCES = tests/fuzz/fuzz_npy.c $(FUZZ_COMMON)
tests_fuzz_fuzz_npy_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_npy_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_npy_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_nir_SOURCES = tests/fuzz/fuzz_nir.c $(FUZZ_COMMON)
tests_fuzz_fuzz_nir_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_nir_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_nir_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_npy_param_SOURCES = tests/fuzz/fuzz_npy_param.c $(FUZZ_COMMON)
tests_fuzz_fuzz_npy_param_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_npy_param_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_npy_param_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_checkpoint_SOURCES = tests/fuzz/fuzz_checkpoint.c $(FUZZ_COMMON)
tests_fuzz_fuzz_checkpoint_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_checkpoint_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_checkpoint_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_filter_SOURCES = tests/fuzz/fuzz_filter.c $(FUZZ_COMMON)
tests_fuzz_fuzz_filter_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_filter_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_filter_LDADD = $(FUZZ_HARNESS_LIBS)
# the UI's form and id decoding, compiled in (the command's library
# links PLplot and libmicrohttpd, which a harness does not need)
tests_fuzz_fuzz_form_SOURCES = tests/fuzz/fuzz_form.c core/cmd/form.c \
	$(FUZZ_COMMON)
tests_fuzz_fuzz_form_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_form_LDFLAGS = $(SL_FUZZ_LDFLAGS)
# the sweep grammar of `spikelab sweep`, compiled in (no I/O)
tests_fuzz_fuzz_sweepspec_SOURCES = tests/fuzz/fuzz_sweepspec.c \
	core/cmd/sweepspec.c $(FUZZ_COMMON)
tests_fuzz_fuzz_sweepspec_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_sweepspec_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_sweepspec_LDADD = $(FUZZ_HARNESS_LIBS)
tests_fuzz_fuzz_form_LDADD = $(FUZZ_HARNESS_LIBS)
# the exporter's reader, compiled in (the plugin exports only its entry)
tests_fuzz_fuzz_device_json_SOURCES = tests/fuzz/fuzz_device_json.c \
	plugins/dynapse2_export/json.c plugins/dynapse2_export/config.c \
	plugins/dynapse2_export/place.c plugins/dynapse2_export/quantise.c \
	plugins/dynapse2_export/paramgen.c $(FUZZ_COMMON)
tests_fuzz_fuzz_device_json_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_device_json_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_device_json_LDADD = $(FUZZ_HARNESS_LIBS) -lm

# the nef plugin's model reader, build and steps, compiled in
tests_fuzz_fuzz_nef_model_SOURCES = tests/fuzz/fuzz_nef_model.c \
	plugins/nef/dist.c plugins/nef/ens.c plugins/nef/fn.c \
	plugins/nef/sim.c $(FUZZ_COMMON)
tests_fuzz_fuzz_nef_model_CFLAGS = $(FUZZ_HARNESS_FLAGS) \
	-I$(top_srcdir)/include $(LUA_CFLAGS) $(LAPACKE_CFLAGS) $(BLAS_CFLAGS)
tests_fuzz_fuzz_nef_model_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_nef_model_LDADD = $(FUZZ_HARNESS_LIBS) $(LUA_LIBS) \
	$(LAPACKE_LIBS) $(BLAS_LIBS) -lm

# make fuzz: each harness for FUZZ_SECONDS over the checked-in corpus,
# one after the other (one core each). New inputs go to the build tree's
# tests/fuzz/work/NAME (the corpus in the source tree is only read); a
# crash is written as tests/fuzz/crash-NAME-*, and make fuzz fails after
# running the others. tests/fuzz/NAME.dict, where there is one, is the
# harness's dictionary. FUZZ_FLAGS adds libFuzzer options.
FUZZ_SECONDS = 60
FUZZ_RSS_MB = 2048
FUZZ_TIMEOUT = 10
FUZZ_FLAGS =
# harnesses make fuzz leaves out (e.g. FUZZ_SKIP="fuzz_events fuzz_nir")
FUZZ_SKIP =
# the harnesses alone (core/paths.h first: make builds BUILT_SOURCES only
# for all and check)
fuzz-build: $(BUILT_SOURCES)
	@$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_BINS)
if SL_FUZZING
fuzz: fuzz-build
	@failed=; for h in $(filter-out $(FUZZ_SKIP),$(FUZZ_NAMES)); do \
	  $(MKDIR_P) tests/fuzz/work/$$h || exit 1; \
	  echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
	  a=$${ASAN_OPTIONS:-detect_leaks=1}; \
	  case $$h in fuzz_nir|fuzz_events) a="$$a:fast_unwind_on_malloc=0";; esac; \
	  ASAN_OPTIONS=$$a \
	  LSAN_OPTIONS=$${LSAN_OPTIONS:-suppressions=$(abs_top_srcdir)/tests/fuzz/lsan.supp:print_suppressions=0} \
	  UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	  ./tests/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) \
	    -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=$(FUZZ_TIMEOUT) \
	    -print_final_stats=1 -artifact_prefix=tests/fuzz/crash-$$h- \
	    `test -f $(srcdir)/tests/fuzz/$$h.dict && echo -dict=$(srcdir)/tests/fuzz/$$h.dict` \
	    $(FUZZ_FLAGS) tests/fuzz/work/$$h $(srcdir)/tests/fuzz/corpus/$$h \
	    >tests/fuzz/$$h.fuzz.log 2>&1 || failed="$$failed $$h"; \
	  grep -E '^stat::number_of_executed_units|^Done ' tests/fuzz/$$h.fuzz.log; \
	done; \
	if test -n "$$failed"; then \
	  for h in $$failed; do tail -n 40 tests/fuzz/$$h.fuzz.log; done; \
	  echo "fuzz: crashed:$$failed (inputs: tests/fuzz/crash-*; see tests/fuzz/README)"; \
	  exit 1; \
	fi
else
fuzz:
	@echo "make fuzz needs ./configure --enable-fuzzing (clang with libFuzzer; tests/fuzz/README)" >&2; exit 1
endif
# the corpus once through each harness, as make check does
fuzz-replay: fuzz-build
	top_builddir=. top_srcdir=$(srcdir) FUZZ_NAMES='$(FUZZ_NAMES)' \
	  $(SHELL) $(srcdir)/tests/fuzz/replay.sh
.PHONY: fuzz fuzz-build fuzz-replay
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work tests/fuzz/*.fuzz.log tests/fuzz/*.replay.log
.PHONY: clean-fuzz
# the bias-generator table of the same exporter
tests_fuzz_fuzz_paramgen_SOURCES = tests/fuzz/fuzz_paramgen.c \
	plugins/dynapse2_export/paramgen.c $(FUZZ_COMMON)
tests_fuzz_fuzz_paramgen_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_paramgen_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_paramgen_LDADD = $(FUZZ_HARNESS_LIBS) -lm

# the file datasets' readers (plugins/filedata, compiled in)
FUZZ_FILEDATA = tests/fuzz/filedata_fuzz.c tests/fuzz/filedata_fuzz.h \
	plugins/filedata/filedata.c plugins/filedata/npy.c \
	plugins/filedata/idx.c plugins/filedata/events.c $(FUZZ_COMMON)
FUZZ_FILEDATA_FLAGS = $(FUZZ_HARNESS_FLAGS) $(ZLIB_CFLAGS) $(HDF5_CFLAGS)
FUZZ_FILEDATA_LIBS = $(FUZZ_HARNESS_LIBS) $(ZLIB_LIBS) $(HDF5_LIBS) -lm
tests_fuzz_fuzz_npydata_SOURCES = tests/fuzz/fuzz_npydata.c $(FUZZ_FILEDATA)
tests_fuzz_fuzz_npydata_CFLAGS = $(FUZZ_FILEDATA_FLAGS)
tests_fuzz_fuzz_npydata_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_npydata_LDADD = $(FUZZ_FILEDATA_LIBS)
tests_fuzz_fuzz_idx_SOURCES = tests/fuzz/fuzz_idx.c $(FUZZ_FILEDATA)
tests_fuzz_fuzz_idx_CFLAGS = $(FUZZ_FILEDATA_FLAGS)
tests_fuzz_fuzz_idx_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_idx_LDADD = $(FUZZ_FILEDATA_LIBS)
tests_fuzz_fuzz_events_SOURCES = tests/fuzz/fuzz_events.c $(FUZZ_FILEDATA)
tests_fuzz_fuzz_events_CFLAGS = $(FUZZ_FILEDATA_FLAGS)
tests_fuzz_fuzz_events_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_events_LDADD = $(FUZZ_FILEDATA_LIBS)
# sparse.so's index files (plugins/sparse/connect.c compiled in)
tests_fuzz_fuzz_sparse_index_SOURCES = tests/fuzz/fuzz_sparse_index.c \
	plugins/sparse/connect.c plugins/sparse/sparse.h $(FUZZ_COMMON)
tests_fuzz_fuzz_sparse_index_CFLAGS = $(FUZZ_HARNESS_FLAGS)
tests_fuzz_fuzz_sparse_index_LDFLAGS = $(SL_FUZZ_LDFLAGS)
tests_fuzz_fuzz_sparse_index_LDADD = $(FUZZ_HARNESS_LIBS) -lm
