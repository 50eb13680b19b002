/*
 * commands.h - every `czprof` subcommand, one file each (cli/cmd_NAME.c).
 * A command gets argv with argv[0] = its own name and returns the process
 * exit status.  Commands print their own usage on -h/--help.
 */
#ifndef CZPROF_CLI_COMMANDS_H
#define CZPROF_CLI_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_hotspots(int argc, char **argv);
int cmd_temporary(int argc, char **argv);
int cmd_leaks(int argc, char **argv);
int cmd_errors(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_arenas(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_faults(int argc, char **argv);

#endif
