/* core/main.c — the spikelab command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "spikelab/abi.h"
#include "cmd.h"

static const char usage[] =
    "usage: spikelab COMMAND [ARGS...]\n"
    "\n"
    "Train, simulate and deploy spiking neural networks.\n"
    "\n"
    "commands:\n"
    "  run FILE [key=value...]   run an experiment and record it\n"
    "  runs                      list recorded runs\n"
    "  show ID                   everything about one run\n"
    "  plugins                   list loadable plugins and their components\n"
    "\n"
    "Every command takes --help. Plugins are searched in the experiment's\n"
    "plugin_path, then $SPIKELAB_PLUGIN_PATH (colon-separated), then\n"
    SL_PLUGINDIR ".\n"
    "The run database is --db PATH, else $SPIKELAB_DB, else ./spikelab.db.\n";

int main(int argc, char **argv)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* one thread: bit-identical results whatever the machine, and the
     * products here are too small to gain from more */
    openblas_set_num_threads(1);
#endif
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("spikelab %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
               SL_ABI_MAJOR, SL_ABI_MINOR);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return sl__cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "runs") == 0)
        return sl__cmd_runs(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return sl__cmd_show(argc - 1, argv + 1);
    if (strcmp(cmd, "plugins") == 0)
        return sl__cmd_plugins(argc - 1, argv + 1);
    fprintf(stderr, "spikelab: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
