include $(srcdir)/plugins/lif/local.mk
include $(srcdir)/plugins/optim/local.mk
include $(srcdir)/plugins/losses/local.mk
include $(srcdir)/plugins/datasets/local.mk
include $(srcdir)/plugins/dynapsim/local.mk
include $(srcdir)/plugins/bss2/local.mk
include $(srcdir)/plugins/superspike/local.mk
include $(srcdir)/plugins/dynapse2_export/local.mk
