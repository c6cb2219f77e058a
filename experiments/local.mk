dist_experiments_DATA += experiments/frozen_noise_lif.cfg
dist_experiments_DATA += experiments/frozen_noise_dynapsim.cfg
experimentscommondir = $(experimentsdir)/common
dist_experimentscommon_DATA = experiments/common/frozen_noise_data.cfg
dist_experiments_DATA += experiments/superspike_bss2.cfg
dist_experiments_DATA += experiments/yinyang_hil_bss2.cfg
dist_experiments_DATA += experiments/peers_shd.cfg experiments/peers_yinyang.cfg
