/* core/cmd/ui_assets.h — the script and style of `spikelab ui`'s pages
 * (core/ui/ui.js, ui.css), compiled into the command (make writes
 * ui_assets.c from them), so it serves the same files installed or not. */
#ifndef SL_CMD_UI_ASSETS_H
#define SL_CMD_UI_ASSETS_H

extern const char sl__ui_js[];
extern const char sl__ui_css[];

#endif
