/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session facts (run_session.h).
 * May call: GLib (checksums), reports/ (the facts' struct), libc (uname). */
#include "run_session.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef RESETLAB_GIT_DESCRIBE
#define RESETLAB_GIT_DESCRIBE "unknown"
#endif

/* The first line of a small file, without its newline; "" when unreadable. */
static void first_line(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fgets(out, (int)len, f) == NULL)
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* Case-insensitive substring: strcasestr is a GNU extension. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; p != NULL && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

const char *session_virtualization(const char *proc_version, const char *dmi_vendor, const char *dmi_product,
                                   int cpu_hypervisor_flag)
{
    static const struct {
        const char *needle, *name;
    } known[] = {
        {"QEMU", "kvm"},          {"KVM", "kvm"},       {"VMware", "vmware"}, {"VirtualBox", "virtualbox"},
        {"innotek", "virtualbox"}, {"Xen", "xen"},       {"Parallels", "parallels"}, {"Bochs", "bochs"},
        {"Amazon EC2", "kvm"},    {"Google Compute", "kvm"},
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

static int cpu_has_hypervisor_flag(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor") != NULL;
    if (f)
        fclose(f);
    return found;
}

static void os_pretty_name(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/etc/os-release", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "PRETTY_NAME=", 12) != 0)
            continue;
        char *v = line + 12;
        v[strcspn(v, "\n")] = '\0';
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
            v[n - 1] = '\0', v++;
        snprintf(out, len, "%.*s", (int)(len - 1), v);
        break;
    }
    if (f)
        fclose(f);
}

int session_sha256_file(const char *path, char out[65])
{
    gchar *bytes = NULL;
    gsize n = 0;
    out[0] = '\0';
    if (!g_file_get_contents(path, &bytes, &n, NULL))
        return -1;
    gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, n);
    snprintf(out, 65, "%s", hex ? hex : "");
    g_free(hex);
    g_free(bytes);
    return out[0] ? 0 : -1;
}

const char *session_resetlab_version(void)
{
    return RESETLAB_GIT_DESCRIBE;
}

void session_facts_gather(struct session_facts *f, const char *boards_path)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(f->started, sizeof f->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(f->resetlab_version, sizeof f->resetlab_version, "%s", session_resetlab_version());
    os_pretty_name(f->os, sizeof f->os);
    struct utsname u;
    snprintf(f->kernel, sizeof f->kernel, "%s", uname(&u) == 0 ? u.release : "unknown");
    char version[512], vendor[128], product[128];
    first_line("/proc/version", version, sizeof version);
    first_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof vendor);
    first_line("/sys/class/dmi/id/product_name", product, sizeof product);
    snprintf(f->virtualization, sizeof f->virtualization, "%s",
             session_virtualization(version, vendor, product, cpu_has_hypervisor_flag()));
    if (gethostname(f->hostname, sizeof f->hostname) != 0)
        snprintf(f->hostname, sizeof f->hostname, "unknown");
    f->hostname[sizeof f->hostname - 1] = '\0';
    snprintf(f->boards_file, sizeof f->boards_file, "%s", boards_path);
    if (session_sha256_file(boards_path, f->boards_sha256) != 0)
        f->boards_sha256[0] = '\0';
}
