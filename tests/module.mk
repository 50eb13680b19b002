# tests/: unit tests (tests/unit/test_*.c, one binary each, linked with
# everything) and test programs with exactly known allocation behaviour
# (tests/progs/*.c|*.cc; lib*.c there become shared objects for dlopen).
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
PROG_C := $(filter-out tests/progs/lib%.c,$(wildcard tests/progs/*.c))
PROG_CC := $(wildcard tests/progs/*.cc)
PROG_SO := $(wildcard tests/progs/lib*.c)
PROG_BINS := $(PROG_C:tests/progs/%.c=$(B)/tests/progs/%) \
	$(PROG_CC:tests/progs/%.cc=$(B)/tests/progs/%) \
	$(PROG_SO:tests/progs/%.c=$(B)/tests/progs/%.so)
# Known lines and frames: no optimisation, no inlining.
PROG_CFLAGS := -std=gnu11 -O0 -g -fno-omit-frame-pointer -fno-inline $(WARN) -I. -D_GNU_SOURCE

$(B)/tests/unit/%: tests/unit/%.c $(CZPROF_LIBS) $(B)/libczalloc.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -rdynamic -DUNIT_SUITE='"$*"' -o $@ $< $(CZPROF_LIBS) $(B)/libczalloc.a $(EXT_LIBS) $(LIBUNWIND)

$(B)/tests/progs/%: tests/progs/%.c $(B)/libczalloc-plain.a
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $< $(B)/libczalloc-plain.a $(CZALLOC_LIBS)

# rec_shapes: frames sized only by the unwind tables, and no sibling calls
# so that every path keeps its frames.
$(B)/tests/progs/rec_shapes: PROG_CFLAGS := -std=gnu11 -O2 -g -fomit-frame-pointer \
	-fno-optimize-sibling-calls $(WARN) -I. -D_GNU_SOURCE

# the same shapes with frame pointers, for the frame-pointer walk's cache
$(B)/tests/progs/rec_shapes_fp: tests/progs/rec_shapes.c $(B)/libczalloc-plain.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls $(WARN) \
		-I. -D_GNU_SOURCE -o $@ $< $(B)/libczalloc-plain.a $(CZALLOC_LIBS)

# site_wrap optimised: libstdc++'s allocation frames are then inlined into
# the program in chains that symbolization must follow to the user's line
$(B)/tests/progs/site_wrap_o2: tests/progs/site_wrap.cc
	@mkdir -p $(@D)
	$(CXX) -std=gnu++17 -O2 -g $(WARN) -o $@ $<

# statically linked: `czprof record -p` refuses it
$(B)/tests/progs/attach_static: tests/progs/attach_static.c
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -static -o $@ $<

$(B)/tests/progs/%: tests/progs/%.cc
	@mkdir -p $(@D)
	$(CXX) -std=gnu++17 -O0 -g -fno-omit-frame-pointer $(WARN) -o $@ $<

$(B)/tests/progs/%.so: tests/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -fPIC -shared -o $@ $<

tests: $(UNIT_BINS) $(PROG_BINS) $(B)/tests/progs/rec_shapes_fp $(B)/tests/progs/site_wrap_o2

# make fuzz: libFuzzer over each target for FUZZ_SECONDS (default 60),
# new crashers land in tests/fuzz/corpus/NAME to be replayed by make test.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := decode load suppress
fuzz-build: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=tests/fuzz/corpus/$$t/crash- $(B)/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
			|| exit 1; \
	done

FUZZ_FLAGS = $(CPPFLAGS) -DCZT_FUZZING -g -O1 -fsanitize=fuzzer,address,undefined

$(B)/fuzz/fuzz_decode: tests/fuzz/fuzz_decode.c $(FORMAT_SRCS)
	@mkdir -p $(@D) $(B)/fuzz/corpus-decode
	clang $(FUZZ_FLAGS) -o $@ $^ $(ZSTD)

# the loader and what it links: its own files, the heap errors, the leak kinds, and the
# symbolizer that names a trace's frames from the modules on disk
FUZZ_LOAD_SRCS := $(wildcard cli/load*.c) cli/tracedb.c cli/dbpath.c cli/interrupt.c cli/progress.c \
	cli/alloc_vtab.c cli/read_ahead.c cli/util.c $(ANALYSIS_SRCS) $(BASE_SRCS) $(SYMBOLS_SRCS) $(FORMAT_SRCS)
$(B)/fuzz/fuzz_load: tests/fuzz/fuzz_load.c $(FUZZ_LOAD_SRCS)
	@mkdir -p $(@D) $(B)/fuzz/corpus-load
	clang $(FUZZ_FLAGS) -o $@ $^ $(SQLITE) $(ZSTD) $(LIBDW) -lstdc++

$(B)/fuzz/fuzz_suppress: tests/fuzz/fuzz_suppress.c cli/suppress.c cli/util.c cli/progress.c format/printable.c \
		lib/base/size.c lib/base/grow.c
	@mkdir -p $(@D) $(B)/fuzz/corpus-suppress
	clang $(FUZZ_FLAGS) -o $@ $^
.PHONY: fuzz fuzz-build

# tests/tools/: helpers the end-to-end tests run (e.g. czt_check).
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/tools/%)
$(B)/tests/tools/%: tests/tools/%.c $(B)/libczt.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -o $@ $< $(B)/libczt.a $(ZSTD)
tests: $(TOOL_BINS)
# compress.sh checks bench/packcost's figures
tests: $(B)/bench/packcost
