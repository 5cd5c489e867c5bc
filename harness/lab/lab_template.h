/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lab's templates: section (lab_template.c); lab_template() itself is
 * in lab_load.h. Used only inside harness/lab. */
#ifndef RESETLAB_LAB_LAB_TEMPLATE_H
#define RESETLAB_LAB_LAB_TEMPLATE_H

#include "lab_yaml.h"

/* Each template a name and a text; 0, or -1 with one line. */
int lab_templates_check(struct ydoc *y);

#endif
