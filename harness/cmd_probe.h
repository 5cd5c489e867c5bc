/* `resetlab probe`: board bring-up in one command. */
#ifndef RESETLAB_CMD_PROBE_H
#define RESETLAB_CMD_PROBE_H

extern const char probe_usage[];

/* argv[0] is "probe". Returns the exit status. */
int probe_command(int argc, char **argv);

#endif
