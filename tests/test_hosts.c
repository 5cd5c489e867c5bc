/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host identity (harness/port/port_host.c): the host mode a real port runs
 * in, read from fixture trees copied in shape from real machines
 * (tests/fixtures/hosts/: /proc/version, /proc/cpuinfo, /sys/class/dmi/id
 * and /sys/class/tty with its device links, small files and symlinks
 * only); `resetlab ports` showing it; --host-label; and a real run through
 * the serial seam whose runs land in the detected column. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "harness/cli/cli_commands.h"
#include "harness/port/port_host.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_real.h"
#include "harness/run/run_session.h"
#include "helpers.h"

static const char *fixture(const char *name)
{
    static char path[512];
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/hosts/%s", name);
    return src_path(rel, path, sizeof path);
}

static struct port_host detect(const char *machine, const char *port)
{
    struct port_host h;
    port_host_detect(fixture(machine), port, &h);
    return h;
}

Test(hosts, a_kvm_guest_with_a_passed_through_cp2102)
{
    struct port_host h = detect("kvm-guest", "/dev/ttyUSB0");
    cr_expect_str_eq(h.hypervisor, "kvm");
    cr_expect_str_eq(h.mode, "vm-usb-passthrough-kvm");
    cr_expect_str_eq(h.controller, "xhci_hcd"); /* QEMU's qemu-xhci behind a PCIe root port */
    cr_expect_str_eq(h.port_driver, "cp210x");
}

Test(hosts, a_kvm_guests_own_16550_is_serial_virtualization)
{
    struct port_host h = detect("kvm-guest", "/dev/ttyS0");
    cr_expect_str_eq(h.mode, "vm-serial-virtualized");
    cr_expect_str_eq(h.controller, "");
    cr_expect_str_eq(h.port_driver, "serial"); /* the pnp 00:04 device, 8250_pnp's driver */
}

Test(hosts, a_virtualbox_guest_with_usb_passthrough)
{
    struct port_host h = detect("virtualbox-guest", "/dev/ttyUSB0");
    cr_expect_str_eq(h.hypervisor, "virtualbox"); /* DMI: innotek GmbH / VirtualBox */
    cr_expect_str_eq(h.mode, "vm-usb-passthrough-virtualbox");
    cr_expect_str_eq(h.controller, "ehci-pci");
    cr_expect_str_eq(h.port_driver, "ftdi_sio");
}

Test(hosts, wsl2_with_usbipd_is_vhci_hcd)
{
    struct port_host h = detect("wsl2-usbipd", "/dev/ttyUSB0");
    cr_expect_str_eq(h.hypervisor, "wsl"); /* /proc/version: ...-microsoft-standard-WSL2; no DMI */
    cr_expect_str_eq(h.mode, "wsl-usbipd");
    cr_expect_str_eq(h.controller, "vhci_hcd");
}

Test(hosts, a_vmware_guests_serial_port)
{
    struct port_host h = detect("vmware-guest", "/dev/ttyS0");
    cr_expect_str_eq(h.hypervisor, "vmware");
    cr_expect_str_eq(h.mode, "vm-serial-virtualized");
    cr_expect_str_eq(h.port_driver, "serial8250");
}

Test(hosts, a_native_machine)
{
    struct port_host h = detect("native", "/dev/ttyUSB0");
    cr_expect_str_eq(h.hypervisor, "none"); /* Dell, and no "hypervisor" CPU flag */
    cr_expect_str_eq(h.mode, "native-linux");
    cr_expect_str_eq(h.controller, "xhci_hcd");
}

Test(hosts, network_ports_and_ports_sysfs_does_not_know)
{
    cr_expect_str_eq(detect("native", "rfc2217://10.0.0.5:4000").mode, "rfc2217");
    cr_expect_str_eq(detect("kvm-guest", "rfc2217://localhost:2217").mode, "rfc2217");
    /* not in the guest's /sys/class/tty: judged by its name */
    cr_expect_str_eq(detect("kvm-guest", "/dev/ttyACM3").mode, "vm-usb-passthrough-kvm");
    cr_expect_str_eq(detect("vmware-guest", "/dev/ttyS3").mode, "vm-serial-virtualized");
    cr_expect_str_eq(detect("kvm-guest", "/dev/pts/4").mode, "vm-kvm");
    cr_expect_str_eq(detect("kvm-guest", "usb:10c4:ea60:gone").mode, "vm-usb-passthrough-kvm");
    /* no /proc, no /sys: nothing says it is a guest */
    struct port_host h;
    port_host_detect("/nonexistent-root", "/dev/ttyUSB0", &h);
    cr_expect_str_eq(h.mode, "native-linux");
}

/* The session's virtualization and the ports' host modes are one reading
 * (run_session.c calls port_host.c). */
Test(hosts, the_session_classifier_is_the_same_one)
{
    cr_expect_str_eq(session_virtualization("", "innotek GmbH", "VirtualBox", 1),
                     port_host_classify("", "innotek GmbH", "VirtualBox", 1));
    cr_expect_str_eq(port_host_classify("", "Microsoft Corporation", "Virtual Machine", 1), "hyper-v");
    cr_expect_str_eq(port_host_classify("", "", "", 1), "vm");
}

/* ---- resetlab ports ------------------------------------------------------ */

static int one_port(struct serial_port_info *out, int max)
{
    cr_assert_geq(max, 1);
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "/dev/ttyUSB0");
    out->transport = SERIAL_USB;
    out->vid = 0x1a86, out->pid = 0x7523;
    return 1;
}

static char *stdout_text(void)
{
    fflush(stdout);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    return buf;
}

Test(hosts, ports_shows_the_host_mode, .init = cr_redirect_stdout)
{
    const struct serial_sys fake = {.list = one_port};
    char *argv[] = {"ports", NULL};
    cr_assert_eq(cli_ports_in(1, argv, &fake, "/nonexistent/by-id", fixture("wsl2-usbipd")), 0);
    char *out = stdout_text();
    char *header = strtok(out, "\n"), *row = strtok(NULL, "\n");
    cr_assert(header && row);
    const char *col = strstr(header, "HOST-MODE"), *val = strstr(row, "wsl-usbipd");
    cr_assert(col && val, "%s\n%s", header, row);
    cr_expect_eq(col - header, val - row, "HOST-MODE not aligned:\n%s\n%s", header, row);
}

Test(hosts, ports_json_has_mode_hypervisor_and_controller, .init = cr_redirect_stdout)
{
    const struct serial_sys fake = {.list = one_port};
    char *argv[] = {"ports", "--json", NULL};
    cr_assert_eq(cli_ports_in(2, argv, &fake, "/nonexistent/by-id", fixture("virtualbox-guest")), 0);
    const char *out = stdout_text();
    cr_expect(strstr(out, "\"host_mode\": \"vm-usb-passthrough-virtualbox\", \"hypervisor\": \"virtualbox\", "
                          "\"usb_controller\": \"ehci-pci\"}") != NULL,
              "%s", out);
}

/* ---- --host-label -------------------------------------------------------- */

Test(hosts, a_label_names_the_column_and_the_mode_is_still_found)
{
    struct board_profile b = {.port = "/dev/ttyUSB0"};
    struct host_profile h;
    struct port_host m;
    run_real_host(&b, "bench-3", fixture("kvm-guest"), NULL, &h, &m);
    cr_expect_str_eq(h.name, "bench-3");
    cr_expect_str_eq(m.mode, "vm-usb-passthrough-kvm");
    run_real_host(&b, NULL, fixture("kvm-guest"), NULL, &h, NULL);
    cr_expect_str_eq(h.name, "vm-usb-passthrough-kvm");
    cr_expect_eq(h.os, OS_LINUX);
}

Test(hosts, a_bad_host_label_is_refused)
{
    expect_bad_input("run --host-label ../evil", "run: --host-label: '../evil' is not a name");
    expect_bad_input("run --host-label -x", "is not a name");
    expect_bad_input("run --host-label abcdefghijklmnopqrstuvwxyz0123456", "1 to 31 of letters");
    expect_bad_input("run --host-label", "--host-label needs a value");
}

/* ---- trees that are not what sysfs looks like ---------------------------- */

/* A device link out of the tree, a link loop, a root hub without a
 * driver link and a /proc/cpuinfo with one line longer than the reader's
 * buffer: each read as "not known", never followed out of the root. */
Test(hosts, malformed_trees_are_judged_by_the_name)
{
    char root[] = "/tmp/resetlab-hosts-XXXXXX", cmd[1024];
    cr_assert_not_null(mkdtemp(root));
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p proc sys/class/tty sys/devices/pci0/usb3/3-1/ttyUSB2/tty/ttyUSB2 && "
             "echo 'Linux version 6.1.0' > proc/version && "
             "python3 -c \"print('flags : ' + 'x ' * 5000 + ' hypervisor')\" > proc/cpuinfo && "
             "ln -s ../../../../../../../../etc sys/class/tty/ttyUSB0 && "
             "ln -s ttyUSB1 sys/class/tty/ttyUSB1 && "
             "ln -s ../../devices/pci0/usb3/3-1/ttyUSB2/tty/ttyUSB2 sys/class/tty/ttyUSB2 && "
             "ln -s ../../../ttyUSB2 sys/devices/pci0/usb3/3-1/ttyUSB2/tty/ttyUSB2/device",
             root);
    cr_assert_eq(system(cmd), 0);
    struct port_host h;
    port_host_detect(root, "/dev/ttyUSB0", &h); /* escapes the root: not followed */
    cr_expect_str_eq(h.mode, "native-linux");
    cr_expect_str_eq(h.controller, "");
    port_host_detect(root, "/dev/ttyUSB1", &h); /* a loop */
    cr_expect_str_eq(h.mode, "native-linux");
    port_host_detect(root, "/dev/ttyUSB2", &h); /* a root hub whose controller has no driver link */
    cr_expect_str_eq(h.mode, "native-linux");
    cr_expect_str_eq(h.controller, "");
    cr_expect_str_eq(h.hypervisor, "none", "the flag sits past the reader's 4096-byte line");
    port_host_detect(root, "", &h); /* an empty spec */
    cr_expect_str_eq(h.mode, "native-linux");
    remove_tree(root);
}
