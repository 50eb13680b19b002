# lib/: libczprof.so (the preload recorder, rec_*.c) and libczalloc (the
# allocator library, cz_*.c).
REC_SRCS := $(wildcard lib/rec_*.c) $(FORMAT_REC_SRCS)
REC_OBJS := $(REC_SRCS:%.c=$(B)/recobj/%.o)

$(B)/recobj/%.o: %.c lib/module.mk Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(REC_CFLAGS) -c $< -o $@

# Only the interposed functions and czprof_get_hooks are exported
# (lib/rec_exports.map); libunwind is linked in so the program needs nothing.
$(B)/libczprof.so: $(REC_OBJS) lib/rec_exports.map
	$(CC) -shared -o $@ $(REC_OBJS) -Wl,--version-script=lib/rec_exports.map \
		-Wl,-z,nodelete $(LIBUNWIND) -lpthread -ldl

CZALLOC_SRCS := $(wildcard lib/cz_*.c)
CZALLOC_OBJS := $(CZALLOC_SRCS:%.c=$(B)/obj/%.o)

$(B)/libczalloc.a: $(CZALLOC_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/libczalloc.so: $(CZALLOC_OBJS)
	$(CC) -shared -o $@ $(CZALLOC_OBJS) $(LIBUNWIND) -lpthread -ldl

ALL_TARGETS += $(B)/libczprof.so $(B)/libczalloc.a $(B)/libczalloc.so
