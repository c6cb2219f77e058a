include $(srcdir)/plugins/lif/local.mk
include $(srcdir)/plugins/optim/local.mk
include $(srcdir)/plugins/losses/local.mk
include $(srcdir)/plugins/datasets/local.mk
include $(srcdir)/plugins/dynapsim/local.mk
