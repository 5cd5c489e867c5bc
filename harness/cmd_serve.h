/* `resetlab serve`: a simulated board served over RFC 2217 (serve.h). */
#ifndef RESETLAB_CMD_SERVE_H
#define RESETLAB_CMD_SERVE_H

extern const char serve_usage[];

/* argv[0] = "serve". Serves until SIGINT/SIGTERM (exit 0) or, with
 * --attempts N, until N attempts are logged; 1 when serving fails, 2 on
 * bad input (one line on stderr). */
int serve_command(int argc, char **argv);

#endif
