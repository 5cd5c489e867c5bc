/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A tool's connect loop in a scenario file (docs/tools.md): the keys
 * `tool`, `used_by`, `strategies`, `connect`, `after`, `work_s` and
 * `esptool_cfg`, loaded into a struct tool. Used by the scenario loader. */
#ifndef RESETLAB_LAB_LAB_TOOLS_H
#define RESETLAB_LAB_LAB_TOOLS_H

#include "lab_yaml.h"
#include "sim/lab.h"

/* Loads the tool described in `root` into a new *out (freed with
 * tool_free, also when this fails). rewrite_dtr: the scenario's
 * dtr_rewrite_after_rts, for the strategies it names. 0, or -1 with
 * the error in the document's buffer. */
int lab_tool_load(struct ydoc *y, yaml_node_t *root, int rewrite_dtr, struct tool **out);

#endif
