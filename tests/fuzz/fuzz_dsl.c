/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sequence DSL ("D1|W0.1|R0", harness/dsl.c), as scenario files and
 * `resetlab probe --sequence` give it, and each op formatted back. */
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab_dsl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct op_seq seq = {0};
    char err[256], label[64];
    if (dsl_parse(text, &seq, err, sizeof err) == 0) {
        for (int i = 0; i < seq.n; i++)
            dsl_format_op(&seq.ops[i], label, sizeof label);
        op_seq_free(&seq);
    }
    free(text);
    return 0;
}
