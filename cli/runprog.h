/*
 * runprog.h - starting a program under the recorder, shared by the
 * commands that do it (`record`, `faults`): finding libczprof.so and the
 * program, refusing what LD_PRELOAD cannot reach, and the environment the
 * recorder reads (lib/recorder/rec_settings.c).
 */
#ifndef CZPROF_CLI_RUNPROG_H
#define CZPROF_CLI_RUNPROG_H

#include <stddef.h>

/* Where libczprof.so is: $CZPROF_LIB, beside czprof, or PREFIX/lib/czprof.
 * Writes its real path into out; returns 0, or -1 after printing why. */
int runprog_find_library(char *out, size_t cap);

/* Resolves prog like a shell would (PATH search when it has no '/') into
 * out; returns 0, or -1 after printing why (not found, not executable). */
int runprog_find_program(const char *prog, char *out, size_t cap);

/* 1 for a static ELF executable, which preloading cannot reach. */
int runprog_is_static(const char *path);

/* In the child, before exec: puts lib first in LD_PRELOAD and makes this
 * process the one that writes CZPROF_OUTPUT (CZPROF_ROOT_PID). */
void runprog_preload(const char *lib);

#endif
