/* `resetlab tune`: the shortest reliable reset sequence (tune.h). */
#ifndef RESETLAB_CMD_TUNE_H
#define RESETLAB_CMD_TUNE_H

extern const char tune_usage[];

/* argv[0] = "tune". 0 a sequence met the target, 1 none did, 2 bad input. */
int tune_command(int argc, char **argv);

#endif
