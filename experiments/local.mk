dist_experiments_DATA += experiments/frozen_noise_lif.cfg
dist_experiments_DATA += experiments/frozen_noise_dynapsim.cfg
experimentscommondir = $(experimentsdir)/common
dist_experimentscommon_DATA = experiments/common/frozen_noise_data.cfg
dist_experiments_DATA += experiments/superspike_bss2.cfg
dist_experiments_DATA += experiments/yinyang_hil_bss2.cfg
dist_experiments_DATA += experiments/conv_snn_frozen_noise.cfg
dist_experiments_DATA += experiments/conv_snn_bars.cfg
dist_experiments_DATA += experiments/nir_finetune.cfg
experimentsnirdir = $(experimentsdir)/nir
dist_experimentsnir_DATA = experiments/nir/frozen_noise_cubalif.nir \
	experiments/nir/make_frozen_noise_graph.py
dist_experiments_DATA += experiments/fashion_mnist_mlp.cfg
dist_experiments_DATA += experiments/shd_rsnn.cfg
dist_experiments_DATA += experiments/peers_shd.cfg experiments/peers_yinyang.cfg
dist_experiments_DATA += experiments/pes_channel.cfg experiments/pavlovian.cfg
dist_experiments_DATA += experiments/nir_dynapsim.cfg
dist_experiments_DATA += experiments/balanced_lif.cfg
