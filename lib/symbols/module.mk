# lib/symbols/: addresses to function, file:line with libdw.  Below both the
# CLI (record, reports) and the viewer (top), never above either.
# Linking it needs $(LIBDW) and -lstdc++ (the demangler).
SYMBOLS_SRCS := $(wildcard lib/symbols/*.c)
SYMBOLS_OBJS := $(SYMBOLS_SRCS:%.c=$(B)/obj/%.o)

$(B)/libczsym.a: $(SYMBOLS_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
