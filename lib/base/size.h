/*
 * size.h - the one byte-size formatter: "512 B", "1.5 KiB", "3.25 MiB".
 */
#ifndef CZPROF_LIB_BASE_SIZE_H
#define CZPROF_LIB_BASE_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* How many digits a size of 1 KiB or more gets. */
enum size_digits {
	SIZE_ONE_DECIMAL,  /* "1.5 KiB", "1023.9 MiB": the reports' */
	SIZE_THREE_FIGURES /* "1.50 KiB", "15.0 KiB", "150 KiB": the live view's narrow columns */
};

/* Writes bytes as text into buf (cap bytes, 32 is always enough) in
 * B, KiB, MiB, GiB or TiB (1024-based).  Returns buf. */
char *size_text(uint64_t bytes, char *buf, size_t cap, enum size_digits digits);

#endif
