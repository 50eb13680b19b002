# viewer/: the live view behind `czprof top`.
VIEWER_SRCS := $(wildcard viewer/*.c)
VIEWER_OBJS := $(VIEWER_SRCS:%.c=$(B)/obj/%.o)

$(B)/libczview.a: $(VIEWER_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
