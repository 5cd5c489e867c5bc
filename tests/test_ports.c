/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `resetlab ports`: bridge inference, the table, JSON, the by-id links and
 * the command's exit statuses. Listing never opens a port. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli/cli_commands.h"
#include "harness/port/port_list.h"
#include "helpers.h"

static struct serial_port_info usb_port(const char *path, int vid, int pid, const char *driver)
{
    struct serial_port_info p;
    memset(&p, 0, sizeof p);
    snprintf(p.path, sizeof p.path, "%s", path);
    p.transport = SERIAL_USB;
    p.vid = vid;
    p.pid = pid;
    snprintf(p.driver, sizeof p.driver, "%s", driver);
    return p;
}

static struct serial_port_info native_port(const char *path)
{
    struct serial_port_info p;
    memset(&p, 0, sizeof p);
    snprintf(p.path, sizeof p.path, "%s", path);
    p.transport = SERIAL_NATIVE;
    p.vid = p.pid = -1;
    snprintf(p.driver, sizeof p.driver, "serial8250");
    return p;
}

static struct serial_port_info cp2102(void)
{
    struct serial_port_info p = usb_port("/dev/ttyUSB0", 0x10c4, 0xea60, "cp210x");
    snprintf(p.manufacturer, sizeof p.manufacturer, "Silicon Labs");
    snprintf(p.product, sizeof p.product, "CP2102 USB to UART Bridge Controller");
    snprintf(p.serial, sizeof p.serial, "0001");
    snprintf(p.by_id, sizeof p.by_id, "/dev/serial/by-id/usb-Silicon_Labs_CP2102-if00-port0");
    return p;
}

/* What cli_ports_print wrote, as a malloc'd string. */
static char *printed(const struct serial_port_info *p, int n, int json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert(f != NULL);
    cr_assert_eq(cli_ports_print(f, p, n, json), 0);
    fclose(f);
    return text;
}

/* ---- a small JSON syntax check (values, objects, arrays, strings) ------- */

static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *json_str(const char *s)
{
    if (*s++ != '"')
        return NULL;
    for (; *s != '"'; s++) {
        if ((unsigned char)*s < 0x20)
            return NULL;
        if (*s != '\\')
            continue;
        s++;
        if (*s == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!isxdigit((unsigned char)s[i]))
                    return NULL;
            s += 4;
        } else if (!strchr("\"\\/bfnrt", *s) || *s == '\0') {
            return NULL;
        }
    }
    return s + 1;
}

static const char *json_list(const char *s, char close, int keyed)
{
    s = json_ws(s + 1);
    if (*s == close)
        return s + 1;
    for (;;) {
        if (keyed) {
            if ((s = json_str(json_ws(s))) == NULL || *(s = json_ws(s)) != ':')
                return NULL;
            s++;
        }
        if ((s = json_value(s)) == NULL)
            return NULL;
        s = json_ws(s);
        if (*s == close)
            return s + 1;
        if (*s++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *s)
{
    s = json_ws(s);
    if (*s == '{')
        return json_list(s, '}', 1);
    if (*s == '[')
        return json_list(s, ']', 0);
    if (*s == '"')
        return json_str(s);
    if (strncmp(s, "null", 4) == 0)
        return s + 4;
    return NULL;
}

static int json_parses(const char *text)
{
    const char *end = json_value(text);
    return end != NULL && *json_ws(end) == '\0';
}

/* ---- bridge inference ---------------------------------------------------- */

Test(ports, bridge_from_vid_pid)
{
    static const struct {
        int vid, pid;
        const char *driver, *bridge;
    } cases[] = {
        {0x10c4, 0xea60, "cp210x", "cp210x"},       {0x10c4, 0xea70, "cp210x", "cp210x"},
        {0x10c4, 0xea71, "cp210x", "cp210x"},       {0x1a86, 0x7523, "ch341-uart", "ch340"},
        {0x1a86, 0x7522, "ch341-uart", "ch340"},    {0x1a86, 0x55d4, "cdc_acm", "ch340"},
        {0x0403, 0x6001, "ftdi_sio", "ftdi"},       {0x0403, 0x6010, "ftdi_sio", "ftdi"},
        {0x0403, 0x6011, "ftdi_sio", "ftdi"},       {0x0403, 0x6014, "ftdi_sio", "ftdi"},
        {0x0403, 0x6015, "ftdi_sio", "ftdi"},       {0x067b, 0x2303, "pl2303", "pl2303"},
        {0x067b, 0x23a3, "pl2303", "pl2303"},       {0x303a, 0x1001, "cdc_acm", "esp-usb-jtag"},
        {0x2e8a, 0x000a, "cdc_acm", "cdc-acm"},     {0x1234, 0x5678, "", NULL},
        {0x10c4, 0x8000, "", NULL},                 {0x0403, 0x6002, "ftdi_sio", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct serial_port_info p = usb_port("/dev/ttyUSB0", cases[i].vid, cases[i].pid, cases[i].driver);
        const char *got = port_list_bridge(&p);
        if (cases[i].bridge == NULL)
            cr_expect_null(got, "%04x:%04x gave %s", cases[i].vid, cases[i].pid, got);
        else
            cr_expect(got && strcmp(got, cases[i].bridge) == 0, "%04x:%04x gave %s, want %s", cases[i].vid,
                      cases[i].pid, got ? got : "NULL", cases[i].bridge);
    }
    struct serial_port_info s0 = native_port("/dev/ttyS0");
    cr_expect_null(port_list_bridge(&s0));
}

/* ---- the table ----------------------------------------------------------- */

static long column_of(const char *line, const char *word)
{
    const char *at = strstr(line, word);
    cr_assert(at != NULL, "'%s' not in '%s'", word, line);
    return at - line;
}

Test(ports, table_has_a_header_and_aligned_rows)
{
    struct serial_port_info p[2] = {cp2102(), native_port("/dev/ttyS0")};
    char *text = printed(p, 2, 0);
    char *header = strtok(text, "\n"), *row0 = strtok(NULL, "\n"), *row1 = strtok(NULL, "\n");
    cr_assert(header && row0 && row1 && strtok(NULL, "\n") == NULL, "want 3 lines");
    static const char *const columns[] = {"PATH", "TRANSPORT", "VID:PID", "BRIDGE", "MANUFACTURER",
                                          "PRODUCT", "SERIAL", "BY-ID"};
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        cr_expect(strstr(header, columns[i]) != NULL, "header lacks %s: %s", columns[i], header);
    cr_expect_eq(column_of(header, "TRANSPORT"), column_of(row0, "usb"));
    cr_expect_eq(column_of(header, "TRANSPORT"), column_of(row1, "native"));
    cr_expect_eq(column_of(header, "VID:PID"), column_of(row0, "10c4:ea60"));
    cr_expect_eq(column_of(header, "BRIDGE"), column_of(row0, "cp210x"));
    cr_expect_eq(column_of(header, "MANUFACTURER"), column_of(row0, "Silicon Labs"));
    cr_expect_eq(column_of(header, "PRODUCT"), column_of(row0, "CP2102 USB to UART"));
    cr_expect_eq(column_of(header, "SERIAL"), column_of(row0, "0001"));
    cr_expect_eq(column_of(header, "BY-ID"), column_of(row0, "/dev/serial/by-id/usb-Silicon_Labs"));
    cr_expect_eq(column_of(header, "VID:PID"), column_of(row1, "-"), "a native port has no USB ids: %s", row1);
    cr_expect(row1[strlen(row1) - 1] != ' ', "trailing blanks: '%s'", row1);
    free(text);
}

Test(ports, empty_list)
{
    char *text = printed(NULL, 0, 0);
    cr_expect_str_eq(text, "no serial ports found\n");
    free(text);
    text = printed(NULL, 0, 1);
    cr_expect_str_eq(text, "[]\n");
    cr_expect(json_parses(text));
    free(text);
}

/* ---- JSON ---------------------------------------------------------------- */

Test(ports, json_is_an_escaped_array)
{
    struct serial_port_info p[2] = {cp2102(), native_port("/dev/ttyS0")};
    snprintf(p[0].product, sizeof p[0].product, "CP2102 \"Pro\" \\ edition");
    snprintf(p[0].serial, sizeof p[0].serial, "A\tB\x01");
    char *text = printed(p, 2, 1);
    cr_expect(json_parses(text), "not JSON:\n%s", text);
    cr_expect(text[0] == '[' && strcmp(text + strlen(text) - 2, "]\n") == 0, "%s", text);
    cr_expect(strstr(text, "\"product\": \"CP2102 \\\"Pro\\\" \\\\ edition\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\"serial\": \"A\\tB\\u0001\"") != NULL, "%s", text);
    cr_expect(strstr(text, "\"path\": \"/dev/ttyUSB0\", \"transport\": \"usb\", \"vid\": \"10c4\", \"pid\": \"ea60\", "
                           "\"bridge\": \"cp210x\"") != NULL,
              "%s", text);
    cr_expect(strstr(text, "\"path\": \"/dev/ttyS0\", \"transport\": \"native\", \"vid\": null, \"pid\": null, "
                           "\"bridge\": null") != NULL,
              "%s", text);
    free(text);
}

/* ---- /dev/serial/by-id ----------------------------------------------------- */

Test(ports, by_id_links_point_at_their_ports)
{
    char dir[] = "/tmp/resetlab-byid-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char dev[128], links[128], link[256], cmd[300];
    snprintf(dev, sizeof dev, "%s/ttyUSB0", dir);
    snprintf(links, sizeof links, "%s/by-id", dir);
    fclose(fopen(dev, "w")); /* stands in for the device node */
    cr_assert_eq(mkdir(links, 0755), 0);
    snprintf(link, sizeof link, "%s/usb-Silicon_Labs_CP2102-if00-port0", links);
    cr_assert_eq(symlink("../ttyUSB0", link), 0); /* relative, as udev makes them */

    struct serial_port_info p[2] = {usb_port(dev, 0x10c4, 0xea60, "cp210x"), native_port("/dev/ttyS0")};
    port_list_find_by_id(p, 2, links);
    cr_expect_str_eq(p[0].by_id, link);
    cr_expect_str_empty(p[1].by_id);

    port_list_find_by_id(p, 2, "/nonexistent/by-id"); /* no directory: nothing changes, no error */
    cr_expect_str_eq(p[0].by_id, link);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---- the command ----------------------------------------------------------- */

static int run_ports(int argc, const char *const *args)
{
    char *argv[8];
    for (int i = 0; i < argc; i++)
        argv[i] = (char *)args[i];
    argv[argc] = NULL;
    int rc = cli_ports_command.run(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

Test(ports, unknown_option_is_exit_2, .init = cr_redirect_stderr)
{
    cr_assert_eq(run_ports(2, (const char *const[]){"ports", "--x"}), 2);
    cr_assert_stderr_eq_str("resetlab ports: unknown option '--x'\n");
}

Test(ports, stray_argument_is_exit_2, .init = cr_redirect_stderr)
{
    cr_assert_eq(run_ports(2, (const char *const[]){"ports", "ttyUSB0"}), 2);
    cr_assert_stderr_eq_str("resetlab ports: unexpected argument 'ttyUSB0'\n");
}

Test(ports, help_prints_usage, .init = cr_redirect_stdout)
{
    cr_assert_eq(run_ports(2, (const char *const[]){"ports", "--help"}), 0);
    cr_assert_stdout_eq_str(cli_ports_command.usage);
}

static int fake_list(struct serial_port_info *out, int max)
{
    cr_assert_geq(max, 1);
    out[0] = cp2102();
    out[0].by_id[0] = '\0'; /* the command fills it from the by-id directory */
    return 1;
}

static char *redirected_stdout(void)
{
    FILE *f = cr_get_redirected_stdout();
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

Test(ports, command_lists_through_the_seam, .init = cr_redirect_stdout)
{
    const struct serial_sys fake = {.list = fake_list}; /* listing needs nothing else */
    char *argv[] = {"ports", "--json", NULL};
    cr_assert_eq(cli_ports_with(2, argv, &fake, "/nonexistent/by-id"), 0);
    fflush(stdout);
    const char *out = redirected_stdout();
    cr_expect(json_parses(out), "%s", out);
    cr_expect(strstr(out, "\"bridge\": \"cp210x\"") && strstr(out, "\"by_id\": null"), "%s", out);
}

Test(ports, real_listing_runs_here, .init = cr_redirect_stdout)
{
    cr_assert_eq(run_ports(1, (const char *const[]){"ports"}), 0);
    const char *out = redirected_stdout();
    cr_expect(strncmp(out, "PATH", 4) == 0 || strcmp(out, "no serial ports found\n") == 0, "%s", out);
    assert_no_leaks("listing the real ports");
}

Test(ports, real_json_listing_parses, .init = cr_redirect_stdout)
{
    cr_assert_eq(run_ports(2, (const char *const[]){"ports", "--json"}), 0);
    const char *out = redirected_stdout();
    cr_expect(json_parses(out), "%s", out);
}
