/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host modes (port_host.h): what a machine is (bare metal, a guest of
 * which hypervisor, WSL) from /proc and DMI, and how a port reaches it from
 * the port's place in sysfs. Linux's sysfs shapes this reads:
 * /sys/class/tty/NAME/device resolves to the port's device; a USB serial
 * port sits under a root hub usbN whose parent is the host controller, and
 * that controller's `driver` link names its driver (xhci_hcd, ehci-pci,
 * ohci-pci, uhci_hcd; vhci_hcd is usbip's virtual controller,
 * drivers/usb/usbip/vhci_hcd.c); a legacy 16550 port is under
 * serial8250 or a pnp 00:0N device driven by `serial`.
 * May call: libc. */
#include "port_host.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Case-insensitive substring: strcasestr is a GNU extension. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; p != NULL && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

const char *port_host_classify(const char *proc_version, const char *dmi_vendor, const char *dmi_product,
                               int cpu_hypervisor_flag)
{
    static const struct {
        const char *needle, *name;
    } known[] = {
        {"QEMU", "kvm"},           {"KVM", "kvm"},         {"VMware", "vmware"},       {"VirtualBox", "virtualbox"},
        {"innotek", "virtualbox"}, {"Xen", "xen"},         {"Parallels", "parallels"}, {"Bochs", "bochs"},
        {"Amazon EC2", "kvm"},     {"Google Compute", "kvm"},
    };
    if (contains(proc_version, "microsoft") || contains(proc_version, "WSL"))
        return "wsl";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (contains(dmi_vendor, known[i].needle) || contains(dmi_product, known[i].needle))
            return known[i].name;
    if (contains(dmi_vendor, "Microsoft") && contains(dmi_product, "Virtual"))
        return "hyper-v";
    return cpu_hypervisor_flag ? "vm" : "none";
}

/* ROOT + path ("/" + "/proc/version" stays one slash). */
static void under(const char *root, const char *path, char *out, size_t len)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    snprintf(out, len, "%.*s%s", (int)n, root, path);
}

/* The first line of a small file, without its newline; "" when unreadable. */
static void first_line(const char *root, const char *path, char *out, size_t len)
{
    char full[PATH_MAX];
    under(root, path, full, sizeof full);
    out[0] = '\0';
    FILE *f = fopen(full, "r");
    if (f == NULL)
        return;
    if (fgets(out, (int)len, f) == NULL)
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

static int cpu_has_hypervisor_flag(const char *root)
{
    char full[PATH_MAX], line[4096];
    under(root, "/proc/cpuinfo", full, sizeof full);
    FILE *f = fopen(full, "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor") != NULL;
    if (f)
        fclose(f);
    return found;
}

const char *port_host_hypervisor(const char *root)
{
    char version[512], vendor[128], product[128];
    first_line(root, "/proc/version", version, sizeof version);
    first_line(root, "/sys/class/dmi/id/sys_vendor", vendor, sizeof vendor);
    first_line(root, "/sys/class/dmi/id/product_name", product, sizeof product);
    return port_host_classify(version, vendor, product, cpu_has_hypervisor_flag(root));
}

/* The basename of DIR/driver's target into out; "" when there is none. */
static void driver_of(const char *dir, char *out, size_t len)
{
    char link[PATH_MAX + 8], target[PATH_MAX];
    out[0] = '\0';
    snprintf(link, sizeof link, "%.*s/driver", PATH_MAX - 1, dir);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    size_t k = strlen(base) < len - 1 ? strlen(base) : len - 1;
    memcpy(out, base, k);
    out[k] = '\0';
}

/* A root hub's folder: usb1, usb2... */
static int is_root_hub(const char *name)
{
    return strncmp(name, "usb", 3) == 0 && name[3] != '\0' && strspn(name + 3, "0123456789") == strlen(name + 3);
}

/* Walks up from the port's device (resolved, under `top`): its driver, and
 * when it is on USB, its host controller's driver. 1 when on USB. */
static int read_device(const char *top, char *dev, struct port_host *out)
{
    driver_of(dev, out->port_driver, sizeof out->port_driver);
    size_t top_len = strlen(top);
    for (char *slash = strrchr(dev, '/'); slash != NULL && (size_t)(slash - dev) > top_len; slash = strrchr(dev, '/')) {
        if (is_root_hub(slash + 1)) {
            *slash = '\0'; /* dev is now the controller */
            driver_of(dev, out->controller, sizeof out->controller);
            const char *base = strrchr(dev, '/');
            if (out->controller[0] == '\0' && base && strncmp(base + 1, "vhci_hcd", 8) == 0)
                snprintf(out->controller, sizeof out->controller, "vhci_hcd");
            return 1;
        }
        *slash = '\0';
    }
    return 0;
}

/* A port sysfs does not know, by its name: 1 USB, 0 a UART, -1 unknown. */
static int by_name(const char *name)
{
    if (strncmp(name, "ttyUSB", 6) == 0 || strncmp(name, "ttyACM", 6) == 0 || strncasecmp(name, "usb:", 4) == 0)
        return 1; /* usb:VID:PID: a USB match no port answers now */
    return strncmp(name, "ttyS", 4) == 0 ? 0 : -1;
}

/* 1 USB, 0 not, -1 unknown to sysfs (then judged by the name). */
static int port_on_usb(const char *root, const char *name, struct port_host *out)
{
    char link[PATH_MAX], dev[PATH_MAX], top[PATH_MAX], sys[PATH_MAX];
    char rel[300];
    snprintf(rel, sizeof rel, "/sys/class/tty/%s/device", name);
    under(root, rel, link, sizeof link);
    under(root, "/sys", sys, sizeof sys);
    if (realpath(link, dev) == NULL || realpath(sys, top) == NULL || strncmp(dev, top, strlen(top)) != 0)
        return by_name(name);
    return read_device(top, dev, out);
}

void port_host_detect(const char *root, const char *spec, struct port_host *out)
{
    memset(out, 0, sizeof *out);
    const char *hyp = port_host_hypervisor(root);
    snprintf(out->hypervisor, sizeof out->hypervisor, "%s", hyp);
    if (strncmp(spec, "rfc2217://", 10) == 0) {
        snprintf(out->mode, sizeof out->mode, "rfc2217");
        return;
    }
    const char *name = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
    int usb = port_on_usb(root, name, out);
    int native = strcmp(hyp, "none") == 0, wsl = strcmp(hyp, "wsl") == 0, named = !native && !wsl && strcmp(hyp, "vm") != 0;
    const char *sep = named ? "-" : "", *suffix = named ? hyp : "";
    if (strcmp(out->controller, "vhci_hcd") == 0)
        snprintf(out->mode, sizeof out->mode, "%s", wsl ? "wsl-usbipd" : "usbip");
    else if (native)
        snprintf(out->mode, sizeof out->mode, "native-linux");
    else if (wsl) /* WSL2 has no USB of its own: usbipd; WSL1 maps COM ports to ttyS */
        snprintf(out->mode, sizeof out->mode, "%s", usb == 0 ? "wsl-serial" : "wsl-usbipd");
    else if (usb == 1)
        snprintf(out->mode, sizeof out->mode, "vm-usb-passthrough%s%s", sep, suffix);
    else if (usb == 0)
        snprintf(out->mode, sizeof out->mode, "vm-serial-virtualized"); /* the hypervisor: in out->hypervisor */
    else
        snprintf(out->mode, sizeof out->mode, "vm%s%s", sep, suffix);
}
