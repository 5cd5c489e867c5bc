/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exclusive locks between resetlab processes (a serial port, a results
 * database): flock on a lock file that names its holder, so a blocked job
 * can say who has it. flock, not the file's existence: a lock left by a
 * crashed job is released by the kernel, so a stale file never blocks. */
#ifndef RESETLAB_PORT_PORT_LOCK_H
#define RESETLAB_PORT_PORT_LOCK_H

#include <stddef.h>

#define LOCKFILE_HELD 1
/* How long a blocked process waits for a holder that has just taken the
 * lock to write its pid, so that it can name it (it does so within
 * microseconds; this is for a machine under load). */
#define LOCKFILE_NAME_WAIT_MS 1000
/* ... and to replace the pid of a holder that was killed (dead) by its own. */
#define LOCKFILE_STALE_WAIT_MS 50

/* Takes the lock on `file` (created when missing) and writes our pid and
 * command line into it. Returns 0 with the lock's fd in *fd;
 * LOCKFILE_HELD with "pid 1234 (resetlab run ...)" in `why` when another
 * process holds it; -1 with the reason in `why` otherwise. */
int lockfile_take(const char *file, int *fd, char *why, size_t why_len);

/* Empties the file (it no longer names a holder) and lets go; fd < 0: no-op. */
void lockfile_release(int fd);

#endif
