/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz targets (libFuzzer's entry point), built two ways:
 *  - with clang and -fsanitize=fuzzer by ci/fuzz (RESETLAB_FUZZ=ON), to
 *    search for inputs that crash, leak, hang or trip UBSan;
 *  - with replay.c's main in every build, so ctest runs each target over
 *    its corpus (tests/fuzz/corpus/TARGET: seeds and every input a finding
 *    was fixed for) under the test suite's sanitizers.
 * Each target feeds one parser the bytes as a user could: a file on disk,
 * a text option, a network stream. */
#ifndef RESETLAB_FUZZ_H
#define RESETLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a file's contents, at a path that stays the same between
 * calls (in a directory of the process's own under /dev/shm), ending in
 * `suffix` where the parser picks a format by extension. */
const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix);

#endif
