# examples/: programs written in the allocator-injection style.
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.c=$(B)/examples/%)

$(B)/examples/%: examples/%.c $(B)/libczalloc-plain.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O0 -o $@ $< $(B)/libczalloc-plain.a $(CZALLOC_LIBS)

ALL_TARGETS += $(EXAMPLE_BINS)
