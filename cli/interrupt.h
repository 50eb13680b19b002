/*
 * interrupt.h - a load cut short by Ctrl-C (SIGINT), SIGTERM or SIGHUP
 * leaves nothing behind: the temporary database it was writing, and the
 * journal files SQLite may keep beside it, are removed before the process
 * dies of the signal (so its status is 128 + the signal: 130 for Ctrl-C).
 *
 * One guarded file at a time; arm and disarm on the thread that loads.
 */
#ifndef CZPROF_CLI_INTERRUPT_H
#define CZPROF_CLI_INTERRUPT_H

/* From now on a signal above removes path (and path-journal, path-wal,
 * path-shm).  A signal the process ignores (SIGINT of a command a
 * non-interactive shell runs in the background) stays ignored.  Returns 0,
 * or -1 when path is too long to guard (nothing is armed). */
int interrupt_arm(const char *path);

/* The file is renamed or removed: the signals act as before arming. */
void interrupt_disarm(void);

#endif
