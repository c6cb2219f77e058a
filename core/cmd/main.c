/* core/cmd/main.c — the spikelab command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "spikelab/abi.h"
#include "cmd/cmd.h"

/* One table of subcommands: usage() prints it, dispatch is one loop over
 * it. A summary's further lines are indented by the caller's layout. */
static const struct command {
    const char *name, *args, *summary;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", "FILE [key=value...]", "run an experiment and record it",
     sl__cmd_run},
    {"runs", "", "list recorded runs (filters: --status, --name,\n"
     "--where 'KEY OP VALUE', --since, --tag; --sort)", sl__cmd_runs},
    {"show", "ID", "everything about one run, with a loss plot",
     sl__cmd_show},
    {"compare", "ID ID...", "differing config keys and final metrics",
     sl__cmd_compare},
    {"export", "ID... [--format csv|json]", "metrics, params and results",
     sl__cmd_export},
    {"sweep", "FILE [key=v1,v2...]", "run a grid of settings and seeds,\n"
     "N at a time (--jobs), resumable; tagged sweep:ID", sl__cmd_sweep},
    {"sweep-summary", "[ID]", "a sweep's results per group: mean +- std,\n"
     "median, min, max; the best point (--json, --csv)",
     sl__cmd_sweep_summary},
    {"db", "merge FILE... -o OUT", "merge run databases (by run UUID)",
     sl__cmd_db},
    {"rerun", "ID", "run a recorded run again; say if identical",
     sl__cmd_rerun},
    {"resume", "ID", "continue an interrupted or failed run from\n"
     "its last checkpoint (train.checkpoint_every)", sl__cmd_resume},
    {"evaluate", "ID [--data NAME|FILE.cfg]", "evaluate a run's trained parameters,\n"
     "recorded as a new run", sl__cmd_evaluate},
    {"tag", "ID TAG...", "tag a run (--remove to untag)", sl__cmd_tag},
    {"note", "ID TEXT", "attach a free-text note to a run", sl__cmd_note},
    {"rm", "ID...", "remove runs from the database", sl__cmd_rm},
    {"plugins", "[NAME]", "list loadable plugins and their components;\n"
     "with NAME, a component's settings", sl__cmd_plugins},
    {"export-device", "ID", "a run's trained network as a device\n"
     "configuration (through its exporter)", sl__cmd_export_device},
    {"nir", "import|export|show", "networks in and out as NIR graphs\n"
     "(the Neuromorphic Intermediate Representation)", sl__cmd_nir},
    {"plot", "ID... WHAT", "draw metrics, rasters, traces (SVG/PNG/PDF)", sl__cmd_plot},
    {"ui", "", "local web interface over the runs (--port, --write)", sl__cmd_ui},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fputs("usage: spikelab COMMAND [ARGS...]\n"
          "\n"
          "Train, simulate and deploy spiking neural networks.\n"
          "\n"
          "commands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", c->name, *c->args ? " " : "",
                 c->args);
        fprintf(f, "  %-24s%s", head, strlen(head) < 24 ? "  " : "   ");
        for (const char *p = c->summary; *p; p++) {
            fputc(*p, f);
            if (*p == '\n')
                fprintf(f, "%28s", "");
        }
        fputc('\n', f);
    }
    fputs("\n"
          "Every command takes --help. Plugins are searched in the experiment's\n"
          "plugin_path, then $SPIKELAB_PLUGIN_PATH (colon-separated), then\n"
          "the installed plugin directory (`spikelab plugins --help` names it).\n"
          "The run database is --db PATH, else $SPIKELAB_DB, else ./spikelab.db.\n"
          "A run ID is a number from `spikelab runs`, or 'last' for the newest.\n",
          f);
}

int main(int argc, char **argv)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* one thread: bit-identical results whatever the machine, and the
     * products here are too small to gain from more */
    openblas_set_num_threads(1);
#endif
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("spikelab %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
               SL_ABI_MAJOR, SL_ABI_MINOR);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "spikelab: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
