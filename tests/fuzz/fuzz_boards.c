/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boards.yaml: the lab loader (harness/config.c) on any file. */
#include "harness/lab/lab_load.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lab lab;
    char err[512];
    if (lab_load(&lab, fuzz_file(data, size, ".yaml"), err, sizeof err) == 0)
        lab_free(&lab);
    return 0;
}
