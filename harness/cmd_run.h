/* `resetlab run` (cmd_run.c). */
#ifndef RESETLAB_CMD_RUN_H
#define RESETLAB_CMD_RUN_H

extern const char run_usage[];
int run_command(int argc, char **argv);

#endif
