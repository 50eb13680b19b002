# lib/: libczprof.so (the preload recorder, rec_*.c) and libczalloc (the
# allocator library, cz_*.c).
REC_SRCS := $(wildcard lib/recorder/rec_*.c) $(FORMAT_REC_SRCS)
REC_OBJS := $(REC_SRCS:%.c=$(B)/recobj/%.o)

$(B)/recobj/%.o: %.c lib/module.mk Makefile
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(REC_CFLAGS) -c $< -o $@

# Only the interposed functions and czprof_get_hooks are exported
# (lib/recorder/rec_exports.map); libunwind and libzstd (chunk compression,
# rec_zstd.c) are linked in so the program needs nothing.
$(B)/libczprof.so: $(REC_OBJS) lib/recorder/rec_exports.map
	$(CC) -shared -o $@ $(REC_OBJS) -Wl,--version-script=lib/recorder/rec_exports.map \
		-Wl,-z,nodelete $(LIBUNWIND) $(ZSTD) -lpthread -ldl

# The debug allocator names its reports' frames with the project's libdw
# symbolizer (lib/symbols/sym_dw.c, compiled again as lib/czalloc/cz_sym_dw.c), at
# report time only.
CZALLOC_SRCS := $(wildcard lib/czalloc/cz_*.c)
CZALLOC_OBJS := $(CZALLOC_SRCS:%.c=$(B)/obj/%.o)
# What a program linking the static library adds (czalloc.pc's Libs.private).
CZALLOC_LIBS := $(LIBUNWIND) $(LIBDW) -lpthread -ldl

$(B)/libczalloc.a: $(CZALLOC_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# A versioned shared library: programs record its SONAME (the ABI's major
# version), libczalloc.so is the name the linker looks for.
CZALLOC_ABI := 0
CZALLOC_SONAME := libczalloc.so.$(CZALLOC_ABI)
$(B)/libczalloc.so.$(VERSION): $(CZALLOC_OBJS)
	$(CC) -shared -Wl,-soname,$(CZALLOC_SONAME) -o $@ $(CZALLOC_OBJS) $(CZALLOC_LIBS)

$(B)/libczalloc.so: $(B)/libczalloc.so.$(VERSION)
	ln -sf libczalloc.so.$(VERSION) $(B)/$(CZALLOC_SONAME)
	ln -sf libczalloc.so.$(VERSION) $@

# Programs run under the recorder (tests/progs, examples) link a copy never
# built with the sanitizers: ASan and a preloaded malloc do not mix.
CZALLOC_PLAIN_OBJS := $(CZALLOC_SRCS:%.c=$(B)/plainobj/%.o)
$(B)/plainobj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/libczalloc-plain.a: $(CZALLOC_PLAIN_OBJS)
	$(AR) rcs $@ $^

ALL_TARGETS += $(B)/libczprof.so $(B)/libczalloc.a $(B)/libczalloc.so $(B)/libczalloc-plain.a

# make install: the allocator library, its headers and its pkg-config file
define INSTALL_CZALLOC
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(B)/libczalloc.a $(DESTDIR)$(PREFIX)/lib/libczalloc.a
	install -m 755 $(B)/libczalloc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libczalloc.so.$(VERSION)
	ln -sf libczalloc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(CZALLOC_SONAME)
	ln -sf libczalloc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libczalloc.so
	install -m 644 lib/include/cz_alloc.h lib/include/czprof_annotate.h $(DESTDIR)$(PREFIX)/include/czprof/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/czalloc/czalloc.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/czalloc.pc
endef
INSTALL_EXTRA += $(INSTALL_CZALLOC)
