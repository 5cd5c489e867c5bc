/* `resetlab analyze`: a capture file through every analyzer. */
#ifndef RESETLAB_CMD_ANALYZE_H
#define RESETLAB_CMD_ANALYZE_H

extern const char analyze_usage[];

/* argv[0] is "analyze". Returns the exit status: 0 pass (or no
 * expectation), 1 the board missed the expected mode, 2 bad input. */
int analyze_command(int argc, char **argv, const char *default_boards);

#endif
