/* resetlab: one binary, subcommands. Bad input: one error line, exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_commands.h"
#include "harness/lab/lab_load.h"
#include "harness/run/run_matrix.h"

#ifndef RESETLAB_DATADIR
#define RESETLAB_DATADIR "."
#endif
#ifndef RESETLAB_VERSION
#define RESETLAB_VERSION "0.1.0"
#endif

static const char usage_main[] =
    "usage: resetlab <command> [options]\n"
    "\n"
    "Test harness and timing analyzer for DTR/RTS auto-download reset circuits\n"
    "(ESP32-family) and the native USB-Serial/JTAG reset, on real boards or the\n"
    "virtual lab.\n"
    "\n"
    "commands:\n"
    "  run     run scenarios x boards x hosts on the lab; print pass rates, write results\n"
    "  list    list the boards, hosts and scenarios the lab describes\n"
    "  analyze run every analyzer on a capture file (.sr, VCD, CSV)\n"
    "  probe   bring-up: every scenario on one board; truth table, EN RC, margins, advice\n"
    "  report  write a session's HTML report (matrix, failing cells' timing diagrams, trends)\n"
    "  compare two sessions or two hosts cell by cell; flags statistically real changes\n"
    "  serve   serve a simulated board over RFC 2217 in real time (esptool, pyserial)\n"
    "  observe run a tool against a served board; its sequence, resets, spurious ones\n"
    "  tune    the shortest reset sequence that meets a pass-rate target (esptool.cfg)\n"
    "  ports   list the serial ports (USB ids, bridge type, by-id link) without opening them\n"
    "  help    show help for a command (resetlab help run)\n"
    "\n"
    "resetlab --version prints the version.\n";

static const char usage_list[] =
    "usage: resetlab list [--boards FILE] [--scenarios DIR]\n"
    "\n"
    "Lists the boards (chip, bridge, circuit, EN R·C), host profiles and scenarios\n"
    "(origin, expected outcome) that `resetlab run` would use.\n";

static void list_lab(const struct lab *lab)
{
    printf("boards (%s):\n", lab->path);
    for (int i = 0; i < lab->n_boards; i++) {
        const struct board_profile *b = &lab->boards[i];
        printf("  %-22s %-8s %-13s %-16s EN %g kOhm / %g uF  port %s%s%s\n", b->name, b->chip->name, b->bridge->name,
               b->circuit->name, b->en_r_ohms / 1e3, b->en_c_farads * 1e6, b->port, b->fault[0] ? "  fault: " : "",
               b->fault);
    }
    printf("hosts:\n");
    for (int i = 0; i < lab->n_hosts; i++) {
        const struct host_profile *h = &lab->hosts[i];
        printf("  %-22s %-8s request median %g ms (floor %g)%s\n", h->name, host_os_name(h->os), h->request.median_ms,
               h->request.floor_ms, h->split_both_lines ? ", both-lines change split in two" : "");
    }
    printf("scenarios:\n");
    for (int i = 0; i < lab->n_scenarios; i++) {
        const struct scenario *s = &lab->scenarios[i];
        printf("  %-24s expect %-9s %s\n", s->name, boot_mode_name(s->expected), s->origin);
    }
}

static int cmd_list(int argc, char **argv)
{
    struct cli_common c = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage_list, stdout), 0;
        int used = cli_common_opt(&c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("%s needs a value%s", argv[i], "");
        if (used == 0)
            return cli_bad_input("list: unknown option '%s'%s (resetlab help list)", argv[i], "");
    }
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    list_lab(&lab);
    lab_free(&lab);
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2)
        return fputs(usage_main, stdout), 0;
    if (strcmp(argv[1], "run") == 0)
        return fputs(cli_run_usage, stdout), 0;
    if (strcmp(argv[1], "list") == 0)
        return fputs(usage_list, stdout), 0;
    if (strcmp(argv[1], "analyze") == 0)
        return fputs(cli_analyze_usage, stdout), 0;
    if (strcmp(argv[1], "ports") == 0)
        return fputs(cli_ports_usage, stdout), 0;
    if (strcmp(argv[1], "probe") == 0)
        return fputs(cli_probe_usage, stdout), 0;
    if (strcmp(argv[1], "compare") == 0)
        return fputs(cli_compare_usage, stdout), 0;
    if (strcmp(argv[1], "report") == 0)
        return fputs(cli_report_usage, stdout), 0;
    if (strcmp(argv[1], "serve") == 0)
        return fputs(cli_serve_usage, stdout), 0;
    if (strcmp(argv[1], "observe") == 0)
        return fputs(cli_observe_usage, stdout), 0;
    if (strcmp(argv[1], "tune") == 0)
        return fputs(cli_tune_usage, stdout), 0;
    if (strcmp(argv[1], "help") == 0)
        return fputs(usage_main, stdout), 0;
    return cli_bad_input("help: unknown command '%s'%s", argv[1], "");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return fputs(usage_main, stdout), 0;
    if (strcmp(cmd, "--version") == 0)
        return printf("resetlab %s\n", RESETLAB_VERSION), 0;
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "list") == 0)
        return cmd_list(argc - 1, argv + 1);
    if (strcmp(cmd, "ports") == 0)
        return cli_ports(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cli_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "probe") == 0)
        return cli_probe(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "observe") == 0)
        return cli_observe(argc - 1, argv + 1);
    if (strcmp(cmd, "tune") == 0)
        return cli_tune(argc - 1, argv + 1);
    if (strcmp(cmd, "analyze") == 0) {
        char buf[512];
        return cli_analyze(argc - 1, argv + 1, cli_default_path("boards.yaml", buf, sizeof buf));
    }
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    return cli_bad_input("unknown command '%s'%s (resetlab --help lists them)", cmd, "");
}
