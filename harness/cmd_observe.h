/* `resetlab observe`: a tool under the analyzer (observe.h). */
#ifndef RESETLAB_CMD_OBSERVE_H
#define RESETLAB_CMD_OBSERVE_H

extern const char observe_usage[];

/* argv[0] = "observe". 0 no spurious reset, 1 some (or the command could
 * not run), 2 bad input (one line on stderr). */
int observe_command(int argc, char **argv);

#endif
