/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A lab file with `include:` (lab_include.c): the document the loaders
 * read, put together from the file and the files it includes. Used only
 * inside harness/lab. */
#ifndef RESETLAB_LAB_LAB_INCLUDE_H
#define RESETLAB_LAB_LAB_INCLUDE_H

#include <stddef.h>

#include "lab_yaml.h"

/* Loads `file` into y as ydoc_load does, with its includes merged in
 * (each node keeps its file and line for errors); sha256 (65 chars, or
 * NULL) gets the SHA-256 of the bytes of every file read, in the order
 * read. 0, or -1 with one line in err (y then needs no ydoc_free). */
int lab_doc_load(struct ydoc *y, const char *file, char *sha256, char *err, size_t err_len);

#endif
