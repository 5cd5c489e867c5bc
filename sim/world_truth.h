/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the virtual chip really did in an epoch (world.h's sim_finish, and
 * the reads a tool makes while it runs): each reset's release and the mode
 * it booted. Its own header because the world's public API and its
 * internals both hold one. */
#ifndef RESETLAB_SIM_WORLD_TRUTH_H
#define RESETLAB_SIM_WORLD_TRUTH_H

#include "analyzers/analysis.h"

struct sim_truth {
    int n_resets;
    double release_ns[ANALYSIS_MAX_RESETS]; /* EN crossed the chip's VIH */
    enum boot_mode mode[ANALYSIS_MAX_RESETS];
    int overflow; /* more resets than it holds: the epoch's results are not to be trusted */
};

#endif
