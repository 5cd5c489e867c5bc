/* `resetlab compare` (cmd_compare.c). */
#ifndef RESETLAB_CMD_COMPARE_H
#define RESETLAB_CMD_COMPARE_H

extern const char compare_usage[];
int compare_command(int argc, char **argv);

#endif
