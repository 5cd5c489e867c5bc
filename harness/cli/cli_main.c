/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resetlab: one binary, one command per file (cli_<command>.c), found in
 * the table below; `resetlab help COMMAND` prints a command's text and
 * `resetlab help --man COMMAND` its man page (cli_man.c), made from the
 * same text. Bad input: one error line, exit 2.
 * May call: every room's public header (it is the top of the arrows). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_commands.h"
#include "cli_json.h"
#include "cli_man.h"

#ifndef RESETLAB_VERSION
#define RESETLAB_VERSION "0.1.0"
#endif

static const char usage_head[] =
    "usage: resetlab <command> [options]\n"
    "\n"
    "Test harness and timing analyzer for DTR/RTS auto-download reset circuits\n"
    "(ESP32-family) and the native USB-Serial/JTAG reset, on real boards or the\n"
    "virtual lab.\n"
    "\n"
    "commands:\n";
static const char usage_tail[] =
    "\n"
    "resetlab --version prints the version.\n";

static const char usage_list[] =
    "usage: resetlab list [--boards FILE] [--scenarios DIR] [--json]\n"
    "       resetlab list [--boards FILE] --template KIND\n"
    "\n"
    "Lists the boards (chip, bridge, circuit, EN R·C), host profiles and scenarios\n"
    "(origin, expected outcome) that `resetlab run` would use, and the chips (their\n"
    "reset and strap pins' names, ROM baud, native USB; the text form only); --json:\n"
    "as one JSON document on stdout.\n"
    "\n"
    "--template KIND prints a commented board entry to start from, from the lab's\n"
    "templates: (the shipped library's: two-transistor, a USB-UART bridge board;\n"
    "direct, RTS and DTR wired straight to EN and IO0; usb-serial-jtag, a chip's\n"
    "native USB-Serial/JTAG; usb-otg-cdc, an ESP32-S2's USB-OTG with the\n"
    "application's TinyUSB CDC). Paste it under boards: in a file that includes\n"
    "the library:\n"
    "\n"
    "    include: resetlab\n"
    "    boards:\n"
    "      my-board: ...\n"
    "\n"
    "and run it with resetlab run --boards FILE (docs/lab.md#include).\n"
    "\n" CLI_LAB_LIMITS_HELP;

static const char usage_help[] =
    "usage: resetlab help [COMMAND]\n"
    "       resetlab help --man [COMMAND]\n"
    "       resetlab help --man-pages DIR\n"
    "\n"
    "Prints the text of COMMAND's --help, or resetlab's own without one. With\n"
    "--man, prints the same text as a man page (troff, man macros); with\n"
    "--man-pages, writes every page into DIR: resetlab.1 and resetlab-COMMAND.1.\n"
    "The build makes the pages `cmake --install` puts in share/man/man1 this\n"
    "way, so a page and --help never disagree: man -l DIR/resetlab-run.1.\n"
    "\n"
    "exit status: 0, 2 for an unknown command or a DIR that cannot be written.\n";

static int cmd_list(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cli_command list_command = {"list", "list the boards, hosts and scenarios the lab describes",
                                                usage_list, cmd_list};
static const struct cli_command help_command = {"help", "show help for a command (resetlab help run)", usage_help,
                                                cmd_help};

/* Every command, in the order `resetlab --help` lists them. */
static const struct cli_command *const commands[] = {
    &cli_run_command,     &list_command,      &cli_analyze_command, &cli_probe_command,
    &cli_report_command,  &cli_merge_command, &cli_compare_command, &cli_serve_command, &cli_observe_command,
    &cli_tune_command,    &cli_ports_command,   &cli_calibrate_command, &help_command,
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static const struct cli_command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_main_usage(FILE *f)
{
    fputs(usage_head, f);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    fputs(usage_tail, f);
}

static void list_lab(const struct lab *lab)
{
    printf("boards (%s):\n", lab->path);
    for (int i = 0; i < lab->n_boards; i++) {
        const struct board_profile *b = &lab->boards[i];
        printf("  %-22s %-8s %-13s %-16s %s %g kOhm / %g uF  port %s%s%s\n", b->name, b->chip->name, b->bridge->name,
               b->circuit->name, chip_en_name(&b->chip->timing), b->en_r_ohms / 1e3, b->en_c_farads * 1e6, b->port,
               b->fault[0] ? "  fault: " : "", b->fault);
    }
    printf("hosts:\n");
    int width = 22; /* the longest host name's, so the columns line up */
    for (int i = 0; i < lab->n_hosts; i++)
        if ((int)strlen(lab->hosts[i].name) > width)
            width = (int)strlen(lab->hosts[i].name);
    for (int i = 0; i < lab->n_hosts; i++) {
        const struct host_profile *h = &lab->hosts[i];
        printf("  %-*s %-8s request median %g ms (floor %g)%s%s", width, h->name, host_os_name(h->os), h->request.median_ms,
               h->request.floor_ms, h->split_both_lines ? ", both-lines change split in two" : "",
               h->port == PORT_RFC2217 ? ", port rfc2217://" : "");
        if (h->net.bridge != NULL) /* docs/bridges.md */
            printf(", through %s over %s%s%s", h->net.bridge->name, h->net.link->name,
                   h->net.client ? ", client " : "", h->net.client ? h->net.client->name : "");
        printf("%s%s\n", h->net.ign_set_control ? ", ?ign_set_control" : "", h->net.program_port ? ", programming port" : "");
    }
    printf("scenarios:\n");
    for (int i = 0; i < lab->n_scenarios; i++) {
        const struct scenario *s = &lab->scenarios[i];
        printf("  %-24s expect %-9s %s\n", s->name, boot_mode_name(s->expected), s->origin);
    }
    printf("chips (docs/chips.md):\n");
    for (int i = 0; i < lab->n_chips; i++) {
        const struct chip_profile *c = &lab->chips[i];
        static const char *const usb[] = {"none", "usb-serial-jtag", "usb-otg", "usb-serial-jtag, usb-otg"};
        printf("  %-22s reset %-8s strap %-6s ROM %d baud  USB %s\n", c->name, chip_en_name(&c->timing),
               chip_strap_name(&c->timing), c->baud, usb[c->usb & 3]);
    }
}

/* `list --template KIND`: the entry's text, indented to sit under boards:. */
static int print_template(struct cli_common *c, const char *kind)
{
    char err[512], *text;
    if (c->boards == NULL)
        c->boards = cli_default_path("boards.yaml", c->boards_buf, sizeof c->boards_buf);
    if (lab_template(c->boards, kind, &text, err, sizeof err) != 0)
        return cli_bad_input("list: --template: %s%s", err, "");
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        printf("%s%.*s\n", n ? "  " : "", (int)n, line);
        line += n + (line[n] == '\n');
    }
    free(text);
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    struct cli_common c = {0};
    int json = 0;
    const char *template = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage_list, stdout), 0;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(argv[i], "--template") == 0) {
            if (i + 1 >= argc)
                return cli_bad_input("list: --template needs a KIND (two-transistor, direct, usb-serial-jtag, "
                                     "usb-otg-cdc)%s%s", "", "");
            template = argv[++i];
            continue;
        }
        int used = cli_common_opt(&c, argc, argv, &i);
        if (used < 0)
            return cli_bad_input("%s needs a value%s", argv[i], "");
        if (used == 0)
            return cli_bad_input("list: unknown option '%s'%s (resetlab help list)", argv[i], "");
    }
    if (template != NULL && json)
        return cli_bad_input("list: --template prints YAML: not with --json%s%s", "", "");
    if (template != NULL)
        return print_template(&c, template);
    struct lab lab;
    if (cli_load_lab(&c, &lab) != 0)
        return 2;
    if (json)
        cli_list_json(stdout, &lab);
    else
        list_lab(&lab);
    lab_free(&lab);
    return 0;
}

/* resetlab(1) when c is NULL, else resetlab-COMMAND(1), to f; -1 when out
 * of memory. */
static int write_man(FILE *f, const struct cli_command *c)
{
    if (c != NULL) {
        cli_man_write(f, c, c->usage, RESETLAB_VERSION, commands, N_COMMANDS);
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m == NULL)
        return -1;
    print_main_usage(m);
    fclose(m);
    cli_man_write(f, NULL, text, RESETLAB_VERSION, commands, N_COMMANDS);
    free(text);
    return 0;
}

/* `resetlab help --man [COMMAND]`. */
static int print_man(const char *name)
{
    const struct cli_command *c = name ? find_command(name) : NULL;
    if (name != NULL && c == NULL)
        return cli_bad_input("help: unknown command '%s'%s", name, "");
    if (write_man(stdout, c) != 0)
        return cli_bad_input("help: out of memory%s%s", "", "");
    return 0;
}

/* One page into DIR/NAME; -1 after one error line. */
static int write_page(const char *dir, const char *name, const struct cli_command *c)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.1", dir, name) >= sizeof path)
        return cli_bad_input("help: --man-pages %s: path too long%s", dir, ""), -1;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return cli_bad_input("help: %s: %s", path, strerror(errno)), -1;
    int rc = write_man(f, c);
    if (fclose(f) != 0 || rc != 0)
        return cli_bad_input("help: %s: write failed%s", path, ""), -1;
    return 0;
}

/* `resetlab help --man-pages DIR`: every page, as the build makes them. */
static int write_man_pages(const char *dir)
{
    if (write_page(dir, "resetlab", NULL) != 0)
        return 2;
    for (int i = 0; i < N_COMMANDS; i++) {
        char name[64];
        snprintf(name, sizeof name, "resetlab-%s", commands[i]->name);
        if (write_page(dir, name, commands[i]) != 0)
            return 2;
    }
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--man") == 0)
        return argc > 3 ? cli_bad_input("help: --man takes one command at most%s%s", "", "")
                        : print_man(argc == 3 ? argv[2] : NULL);
    if (argc >= 2 && strcmp(argv[1], "--man-pages") == 0)
        return argc != 3 ? cli_bad_input("help: --man-pages needs one folder%s%s", "", "") : write_man_pages(argv[2]);
    if (argc < 2)
        return print_main_usage(stdout), 0;
    const struct cli_command *c = find_command(argv[1]);
    if (c == NULL)
        return cli_bad_input("help: unknown command '%s'%s", argv[1], "");
    return fputs(c->usage, stdout), 0;
}

int main(int argc, char **argv)
{
    argv = cli_split_equals(argc, argv, &argc);
    if (argc < 2) {
        print_main_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return print_main_usage(stdout), 0;
    if (strcmp(cmd, "--version") == 0)
        return printf("resetlab %s\n", RESETLAB_VERSION), 0;
    const struct cli_command *c = find_command(cmd);
    if (c == NULL)
        return cli_bad_input("unknown command '%s'%s (resetlab --help lists them)", cmd, "");
    return c->run(argc - 1, argv + 1);
}
