/* core/main.c — the spikelab command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "spikelab/abi.h"
#include "cmd/cmd.h"

static const char usage[] =
    "usage: spikelab COMMAND [ARGS...]\n"
    "\n"
    "Train, simulate and deploy spiking neural networks.\n"
    "\n"
    "commands:\n"
    "  run FILE [key=value...]   run an experiment and record it\n"
    "  runs                      list recorded runs (filters: --status, --name,\n"
    "                            --where 'KEY OP VALUE', --since, --tag; --sort)\n"
    "  show ID                   everything about one run, with a loss plot\n"
    "  compare ID ID...          differing config keys and final metrics\n"
    "  export ID... [--format csv|json]   metrics, params and results\n"
    "  rerun ID                  run a recorded run again; say if identical\n"
    "  tag ID TAG...             tag a run (--remove to untag)\n"
    "  note ID TEXT              attach a free-text note to a run\n"
    "  rm ID...                  remove runs from the database\n"
    "  plugins                   list loadable plugins and their components\n"
    "  export-device ID          a run's trained network as a device\n"
    "                            configuration (Dynap-SE2 JSON)\n"
    "\n"
    "Every command takes --help. Plugins are searched in the experiment's\n"
    "plugin_path, then $SPIKELAB_PLUGIN_PATH (colon-separated), then\n"
    "the installed plugin directory (`spikelab plugins --help` names it).\n"
    "The run database is --db PATH, else $SPIKELAB_DB, else ./spikelab.db.\n"
    "A run ID is a number from `spikelab runs`, or 'last' for the newest.\n";

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
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } history[] = {
        {"compare", sl__cmd_compare}, {"export", sl__cmd_export},
        {"rerun", sl__cmd_rerun},     {"tag", sl__cmd_tag},
        {"note", sl__cmd_note},       {"rm", sl__cmd_rm},
        {"export-device", sl__cmd_export_device},
    };
    for (size_t i = 0; i < sizeof history / sizeof *history; i++)
        if (strcmp(cmd, history[i].name) == 0)
            return history[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "spikelab: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
