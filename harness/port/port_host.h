/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a real port runs (port_host.c): the host mode a real board's runs
 * are filed under (native-linux, vm-usb-passthrough-kvm,
 * vm-serial-virtualized, wsl-usbipd, usbip, rfc2217), read from a
 * machine's /proc, DMI and the port's sysfs path under a root directory
 * ("/" for this machine, a fixture tree in tests). */
#ifndef RESETLAB_PORT_PORT_HOST_H
#define RESETLAB_PORT_PORT_HOST_H

#include <stddef.h>

/* A host mode is at most this long: it becomes a host column's name, and
 * follows the lab's name rules (lab_name.c, 31 characters). */
#define PORT_HOST_MODE_MAX 31

struct port_host {
    char mode[PORT_HOST_MODE_MAX + 1]; /* the host column's name */
    char hypervisor[16];               /* none, wsl, kvm, vmware, virtualbox, hyper-v, xen, ..., vm */
    char controller[32];               /* the USB host controller's driver (xhci_hcd, vhci_hcd...); "" */
    char port_driver[32];              /* the tty device's driver (cp210x, serial8250...); "" */
};

/* The hypervisor a machine's own files reveal: "wsl" when /proc/version
 * names Microsoft or WSL, else one by the DMI system vendor and product
 * (kvm, vmware, virtualbox, hyper-v, xen, ...), else "vm" when the CPU
 * flags say "hypervisor", else "none". Pure. */
const char *port_host_classify(const char *proc_version, const char *dmi_vendor, const char *dmi_product,
                               int cpu_hypervisor_flag);

/* The same, read from `root`'s proc/version, proc/cpuinfo and
 * sys/class/dmi/id/{sys_vendor,product_name}; missing files say nothing. */
const char *port_host_hypervisor(const char *root);

/* The host mode of a port: `spec` is rfc2217://... (mode rfc2217) or a
 * device path (/dev/ttyUSB0; its name is looked up as
 * ROOT/sys/class/tty/NAME/device). A USB port under vhci_hcd is usbip
 * (wsl-usbipd under WSL); a USB port in a guest is
 * vm-usb-passthrough-HYPERVISOR (vm-usb-passthrough when the hypervisor
 * has no name); a non-USB port (a 16550 ttyS) in a guest is
 * vm-serial-virtualized; on bare metal native-linux. A port
 * sysfs does not know is judged by its name (ttyUSB, ttyACM: USB). */
void port_host_detect(const char *root, const char *spec, struct port_host *out);

#endif
