# `spikelab plot` and `spikelab ui` (issue 16): the figures as files
# (tests/plot.sh), the web interface in headless Chromium with the XSS
# and safety checks (tests/ui.sh; skipped only without chromium), and its
# answers while four runs record (tests/ui_live.sh)
TESTS += tests/plot.sh tests/ui.sh tests/ui_live.sh
EXTRA_DIST += tests/plot.sh tests/ui.sh tests/ui_live.sh tests/plplot_lsan.supp
# the screenshots tests/ui.sh saves (kept after make check, for a look)
CLEANFILES += tests/ui-runs.png tests/ui-run.png tests/ui-compare.png
