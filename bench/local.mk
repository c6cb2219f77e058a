# benchmarks: built by `make`, run by hand (see bench/README.md)
SL_BENCH_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core -DSL_SRCDIR='"$(abs_top_srcdir)"' \
	-DSL_BENCH_PLUGIN_PATH='"$(abs_top_builddir)/plugins/lif/.libs:$(abs_top_builddir)/plugins/dynapsim/.libs:$(abs_top_builddir)/plugins/optim/.libs:$(abs_top_builddir)/plugins/losses/.libs:$(abs_top_builddir)/plugins/datasets/.libs:$(abs_top_builddir)/plugins/bss2/.libs:$(abs_top_builddir)/plugins/superspike/.libs:$(abs_top_builddir)/plugins/dynapse2_export/.libs:$(abs_top_builddir)/plugins/lifevent/.libs"'

noinst_PROGRAMS += bench/bench_lif bench/bench_dynapsim bench/bench_superspike \
	bench/bench_shd bench/bench_yinyang bench/bench_yinyang_event
bench_bench_lif_SOURCES = bench/bench_train.c
bench_bench_lif_CPPFLAGS = $(SL_BENCH_CPPFLAGS) -DSL_BENCH_NAME='"bench_lif"' \
	-DSL_BENCH_CFG='"frozen_noise_lif.cfg"' -DSL_BENCH_EPOCHS=2000 \
	-DSL_BENCH_MODEL='"lif"'
bench_bench_lif_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_lif_LDADD = core/libslcore.la
bench_bench_dynapsim_SOURCES = bench/bench_train.c
bench_bench_dynapsim_CPPFLAGS = $(SL_BENCH_CPPFLAGS) \
	-DSL_BENCH_NAME='"bench_dynapsim"' \
	-DSL_BENCH_CFG='"frozen_noise_dynapsim.cfg"' -DSL_BENCH_EPOCHS=50000 \
	-DSL_BENCH_MODEL='"dynapsim"' \
	-DSL_BENCH_PUBLISHED='"2,491 epochs/s (Rockpool/JAX on the tutorial author'"'"'s laptop)"'
bench_bench_dynapsim_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_dynapsim_LDADD = core/libslcore.la
bench_bench_superspike_SOURCES = bench/bench_superspike.c
bench_bench_superspike_CPPFLAGS = $(SL_BENCH_CPPFLAGS)
bench_bench_superspike_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_superspike_LDADD = core/libslcore.la
bench_bench_shd_SOURCES = bench/bench_peers.c
bench_bench_shd_CPPFLAGS = $(SL_BENCH_CPPFLAGS) -DSL_BENCH_NAME='"bench_shd"' \
	-DSL_BENCH_CFG='"peers_shd.cfg"' -DSL_BENCH_EPOCHS=2
bench_bench_shd_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_shd_LDADD = core/libslcore.la
bench_bench_yinyang_SOURCES = bench/bench_peers.c
bench_bench_yinyang_CPPFLAGS = $(SL_BENCH_CPPFLAGS) \
	-DSL_BENCH_NAME='"bench_yinyang"' -DSL_BENCH_CFG='"peers_yinyang.cfg"' \
	-DSL_BENCH_EPOCHS=1
bench_bench_yinyang_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_yinyang_LDADD = core/libslcore.la
bench_bench_yinyang_event_SOURCES = bench/bench_peers.c
bench_bench_yinyang_event_CPPFLAGS = $(SL_BENCH_CPPFLAGS) \
	-DSL_BENCH_NAME='"bench_yinyang_event"' \
	-DSL_BENCH_CFG='"yinyang_ttfs.cfg"' -DSL_BENCH_EPOCHS=1
bench_bench_yinyang_event_CFLAGS = $(AM_CFLAGS) $(BLAS_CFLAGS)
bench_bench_yinyang_event_LDADD = core/libslcore.la
# sparse.so's connectivity as (source, target) pairs for lif_conn_stats.py
noinst_PROGRAMS += bench/sparse_conn_dump
bench_sparse_conn_dump_SOURCES = bench/sparse_conn_dump.c \
	plugins/sparse/connect.c plugins/sparse/sparse.h
bench_sparse_conn_dump_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/sparse
bench_sparse_conn_dump_LDADD = -lm
EXTRA_DIST += bench/README.md bench/side_by_side.sh bench/numerics_cost.sh \
	bench/nef_vs_nengo.sh bench/nengo_demos.py bench/sweep_jobs.sh \
	bench/convsnn_epoch.sh bench/event_yinyang.sh bench/sparse_vs_brian2.sh \
	bench/sparse_big.sh bench/lif_rates_ks.py bench/lif_brian2_net.sh \
	bench/brian2_connectivity.py bench/lif_conn_stats.py bench/convsnn_layers.py \
	bench/lif_same_net.py
