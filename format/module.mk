# format/: the trace format.  libczt.a for the CLI and tests; the recorder
# compiles the encoder part itself (REC_OBJS) so it is never sanitized.
FORMAT_SRCS := $(wildcard format/*.c)
FORMAT_OBJS := $(FORMAT_SRCS:%.c=$(B)/obj/%.o)
FORMAT_REC_SRCS := format/encode.c format/crc32c.c format/model.c format/pack.c format/layout.c

$(B)/libczt.a: $(FORMAT_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
