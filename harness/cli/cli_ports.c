/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab ports`: the machine's serial ports as a table or JSON, listed
 * without opening any (harness/port/port_list.c infers each bridge).
 * May call: harness/port (listing through the serial seam), libc. */
#include "cli_commands.h"

#include "harness/port/port_host.h"
#include "harness/port/port_list.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: resetlab ports [--json]\n"
    "\n"
    "Lists the serial ports of this machine without opening any of them (opening\n"
    "a port raises DTR and RTS, which resets an attached board): path, transport\n"
    "(native, usb, bluetooth), USB VID:PID, the bridge type resetlab infers from\n"
    "it (cp210x, ch340, ftdi, pl2303, esp-usb-jtag, cdc-acm; - when unknown),\n"
    "manufacturer, product, serial number and the stable /dev/serial/by-id link.\n"
    "The real serial backend names a port by its path, a by-id or by-path link,\n"
    "or usb:VID:PID[:SERIAL].\n"
    "HOST-MODE is the host column a real board on the port runs in (docs/hosts.md):\n"
    "native-linux, vm-usb-passthrough-HYPERVISOR, vm-serial-virtualized, wsl-usbipd,\n"
    "usbip, read from /proc, /sys/class/dmi and the port's place in /sys/class/tty;\n"
    "the JSON also gives the hypervisor and the USB host controller's driver.\n"
    "\n"
    "options:\n"
    "  --json   print a JSON array, one object per port, instead of the table\n";

/* ---- the table ---------------------------------------------------------- */

enum column {
    COL_PATH, COL_TRANSPORT, COL_USB_ID, COL_BRIDGE, COL_MANUFACTURER, COL_PRODUCT, COL_SERIAL, COL_MODE, COL_BY_ID, N_COLS
};

static const char *const headers[N_COLS] = {"PATH",    "TRANSPORT", "VID:PID", "BRIDGE",   "MANUFACTURER",
                                            "PRODUCT", "SERIAL",    "HOST-MODE", "BY-ID"};



static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "-";
}

/* One cell's text; `buf` holds it when it is formatted. */
static const char *cell(const struct serial_port_info *p, const struct port_host *mode, enum column col, char *buf,
                        size_t len)
{
    switch (col) {
    case COL_MODE:
        return mode->mode;
    case COL_PATH:
        return p->path;
    case COL_TRANSPORT:
        return serial_transport_name(p->transport);
    case COL_USB_ID:
        if (p->vid < 0)
            return "-";
        snprintf(buf, len, "%04x:%04x", (unsigned)p->vid, (unsigned)p->pid);
        return buf;
    case COL_BRIDGE:
        return or_dash(port_list_bridge(p));
    case COL_MANUFACTURER:
        return or_dash(p->manufacturer);
    case COL_PRODUCT:
        return or_dash(p->product);
    case COL_SERIAL:
        return or_dash(p->serial);
    default:
        return or_dash(p->by_id);
    }
}

static void column_widths(const struct serial_port_info *p, const struct port_host *mode, int n, int width[N_COLS])
{
    char buf[16];
    for (int c = 0; c < N_COLS; c++) {
        width[c] = (int)strlen(headers[c]);
        for (int i = 0; i < n; i++) {
            int w = (int)strlen(cell(&p[i], &mode[i], (enum column)c, buf, sizeof buf));
            width[c] = w > width[c] ? w : width[c];
        }
    }
}

/* The last column is not padded: no trailing blanks. */
static void print_row(FILE *f, const char *const text[N_COLS], const int width[N_COLS])
{
    for (int c = 0; c < N_COLS - 1; c++)
        fprintf(f, "%-*s  ", width[c], text[c]);
    fprintf(f, "%s\n", text[N_COLS - 1]);
}

static void print_table(FILE *f, const struct serial_port_info *p, const struct port_host *mode, int n)
{
    if (n == 0) {
        fputs("no serial ports found\n", f);
        return;
    }
    int width[N_COLS];
    column_widths(p, mode, n, width);
    print_row(f, headers, width);
    for (int i = 0; i < n; i++) {
        char usb_id[16];
        const char *text[N_COLS];
        for (int c = 0; c < N_COLS; c++)
            text[c] = cell(&p[i], &mode[i], (enum column)c, usb_id, sizeof usb_id);
        print_row(f, text, width);
    }
}

/* ---- JSON ---------------------------------------------------------------- */

/* A JSON string, or null for an empty or missing one. Bytes from 0x80 up
 * pass through: sysfs strings are UTF-8. */
static void json_string(FILE *f, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '\t')
            fputs("\\t", f);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void json_field(FILE *f, const char *key, const char *value, int last)
{
    fprintf(f, "\"%s\": ", key);
    json_string(f, value);
    fputs(last ? "" : ", ", f);
}

static void print_json_port(FILE *f, const struct serial_port_info *p, const struct port_host *mode)
{
    char vid[16] = "", pid[16] = "";
    if (p->vid >= 0) {
        snprintf(vid, sizeof vid, "%04x", (unsigned)p->vid);
        snprintf(pid, sizeof pid, "%04x", (unsigned)p->pid);
    }
    fputs("  {", f);
    json_field(f, "path", p->path, 0);
    json_field(f, "transport", serial_transport_name(p->transport), 0);
    json_field(f, "vid", vid, 0);
    json_field(f, "pid", pid, 0);
    json_field(f, "bridge", port_list_bridge(p), 0);
    json_field(f, "manufacturer", p->manufacturer, 0);
    json_field(f, "product", p->product, 0);
    json_field(f, "serial", p->serial, 0);
    json_field(f, "description", p->description, 0);
    json_field(f, "driver", p->driver, 0);
    json_field(f, "by_id", p->by_id, 0);
    json_field(f, "host_mode", mode->mode, 0);
    json_field(f, "hypervisor", mode->hypervisor, 0);
    json_field(f, "usb_controller", mode->controller, 1);
    fputc('}', f);
}

static void print_json(FILE *f, const struct serial_port_info *p, const struct port_host *mode, int n)
{
    fputs("[", f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        print_json_port(f, &p[i], &mode[i]);
    }
    fputs(n ? "\n]\n" : "]\n", f);
}

int cli_ports_print_in(FILE *f, const struct serial_port_info *p, int n, int json, const char *root)
{
    struct port_host *mode = calloc(n > 0 ? (size_t)n : 1, sizeof *mode);
    if (mode == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        port_host_detect(root, p[i].path, &mode[i]);
    if (json)
        print_json(f, p, mode, n);
    else
        print_table(f, p, mode, n);
    free(mode);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int cli_ports_print(FILE *f, const struct serial_port_info *p, int n, int json)
{
    return cli_ports_print_in(f, p, n, json, "/");
}

/* ---- the command --------------------------------------------------------- */

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, int *json)
{
    *json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            *json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "resetlab ports: unknown option '%s'\n", argv[i]);
            return 2;
        } else {
            fprintf(stderr, "resetlab ports: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    return -1;
}

int cli_ports_in(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir, const char *root)
{
    int json;
    int status = parse_args(argc, argv, &json);
    if (status >= 0)
        return status;
    struct serial_port_info *ports = calloc(SERIAL_MAX_PORTS, sizeof *ports);
    if (ports == NULL) {
        fputs("resetlab ports: out of memory\n", stderr);
        return 1;
    }
    int n = sys->list(ports, SERIAL_MAX_PORTS);
    if (n < 0) {
        fprintf(stderr, "resetlab ports: cannot list the serial ports: %s\n", strerror(errno));
        free(ports);
        return 1;
    }
    port_list_find_by_id(ports, n, by_id_dir);
    status = cli_ports_print_in(stdout, ports, n, json, root) == 0 ? 0 : 1;
    free(ports);
    return status;
}

int cli_ports_with(int argc, char **argv, const struct serial_sys *sys, const char *by_id_dir)
{
    return cli_ports_in(argc, argv, sys, by_id_dir, "/");
}

static int cli_ports(int argc, char **argv)
{
    return cli_ports_with(argc, argv, &serial_sys_real, "/dev/serial/by-id");
}

const struct cli_command cli_ports_command = {"ports", "list the serial ports (USB ids, bridge type, host mode, by-id link) without opening them", usage, cli_ports};
