/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session facts (run_session.h).
 * May call: GLib (checksums), harness/lab (the lab's SHA-256, its includes read), reports/ (the facts' struct), harness/port (the host's
 * virtualization, port_host.c), libc (uname). */
#include "run_session.h"

#include "harness/lab/lab_load.h"
#include "harness/port/port_host.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef RESETLAB_GIT_DESCRIBE
#define RESETLAB_GIT_DESCRIBE "unknown"
#endif

const char *session_virtualization(const char *proc_version, const char *dmi_vendor, const char *dmi_product,
                                   int cpu_hypervisor_flag)
{
    return port_host_classify(proc_version, dmi_vendor, dmi_product, cpu_hypervisor_flag);
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
    snprintf(f->virtualization, sizeof f->virtualization, "%s", port_host_hypervisor("/"));
    if (gethostname(f->hostname, sizeof f->hostname) != 0)
        snprintf(f->hostname, sizeof f->hostname, "unknown");
    f->hostname[sizeof f->hostname - 1] = '\0';
    snprintf(f->boards_file, sizeof f->boards_file, "%s", boards_path);
    char err[512];
    if (lab_sha256(boards_path, f->boards_sha256, err, sizeof err) != 0) /* the lab with what it includes */
        f->boards_sha256[0] = '\0';
}
