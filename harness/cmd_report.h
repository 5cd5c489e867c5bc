/* `resetlab report` (cmd_report.c). */
#ifndef RESETLAB_CMD_REPORT_H
#define RESETLAB_CMD_REPORT_H

extern const char report_usage[];
int report_command(int argc, char **argv);

#endif
