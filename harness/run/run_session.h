/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session's facts for the results store: where and how `resetlab run`
 * ran (OS, kernel, virtualization, resetlab's git describe, the lab file's
 * SHA-256), gathered once per run. */
#ifndef RESETLAB_RUN_RUN_SESSION_H
#define RESETLAB_RUN_RUN_SESSION_H

#include <stddef.h>

#include "reports/store.h"

/* Fills `f` from this machine; the run's own fields (seed, iterations,
 * options) are the caller's. `boards_path`'s SHA-256 (lab_sha256: with the
 * files it includes) is "" when it cannot be read. */
void session_facts_gather(struct session_facts *f, const char *boards_path);

/* The virtualization a machine's own files reveal: "wsl" when
 * /proc/version names Microsoft, else a hypervisor by the DMI system vendor
 * and product (kvm, vmware, virtualbox, hyper-v, xen, ...), else "vm" when
 * the CPU flags say "hypervisor", else "none". Pure, for tests. */
const char *session_virtualization(const char *proc_version, const char *dmi_vendor, const char *dmi_product,
                                   int cpu_hypervisor_flag);

/* This resetlab's version as sessions record it (git describe at build
 * time). */
const char *session_resetlab_version(void);

/* Hex SHA-256 of a file's bytes into out (65 chars); -1 when unreadable. */
int session_sha256_file(const char *path, char out[65]);

#endif
