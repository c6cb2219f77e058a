/* core/cmd.h — subcommands of the spikelab command. Each takes the
 * arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status: 0 ok, 1 runtime failure, 2 usage or
 * configuration error. Each prints its own --help. */
#ifndef SL_CORE_CMD_H
#define SL_CORE_CMD_H

int sl__cmd_run(int argc, char **argv);     /* core/cmd_run.c */
int sl__cmd_plugins(int argc, char **argv); /* core/cmd_plugins.c */
int sl__cmd_runs(int argc, char **argv);    /* core/cmd_runs.c */
int sl__cmd_show(int argc, char **argv);    /* core/cmd_runs.c */

#endif
