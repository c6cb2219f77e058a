# benchmarks: built by `make`, run by hand (see bench/README.md)
noinst_PROGRAMS += bench/bench_lif
bench_bench_lif_SOURCES = bench/bench_lif.c
bench_bench_lif_CPPFLAGS = $(AM_CPPFLAGS) -DSL_SRCDIR='"$(abs_top_srcdir)"' \
	-DSL_BENCH_PLUGIN_PATH='"$(abs_top_builddir)/plugins/lif/.libs:$(abs_top_builddir)/plugins/optim/.libs:$(abs_top_builddir)/plugins/losses/.libs:$(abs_top_builddir)/plugins/datasets/.libs"'
bench_bench_lif_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_lif_LDADD = core/libslcore.la
EXTRA_DIST += bench/README.md
