/*
 * cz_sym_dw.c - the project's libdw symbolizer (lib/symbols/sym_dw.c) as
 * libczalloc links it, to name the frames of the debug allocator's
 * reports: with the C++ demangler weak, so that a C program linking
 * libczalloc needs no C++ runtime.
 */
#define SYM_WEAK_DEMANGLER 1
#include "lib/symbols/sym_dw.c"
