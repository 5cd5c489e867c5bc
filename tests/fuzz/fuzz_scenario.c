/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A scenario file (harness/scenario.c), and the op log a capture's .yaml
 * carries (harness/runmeta.c): both are YAML a user edits by hand. The
 * first byte picks which. */
#include <stdlib.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_meta.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char err[512];
    const char *path = fuzz_file(data + 1, size - 1, ".yaml");
    if (data[0] & 1) {
        struct run_meta *m = malloc(sizeof *m);
        if (m != NULL)
            run_meta_read(path, m, err, sizeof err);
        free(m);
        return 0;
    }
    struct scenario s;
    if (scenario_load_file(&s, path, err, sizeof err) == 0)
        for (int os = 0; os < OS_COUNT; os++)
            op_seq_free(&s.seq[os]);
    return 0;
}
