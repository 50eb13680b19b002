# lib/analysis/: what the analysis derives from a trace, below cli/ and
# viewer/: the engine, its merge, libczalloc's allocators, heap errors
# and exit-time leak kinds.
ANALYSIS_SRCS := $(wildcard lib/analysis/*.c)
ANALYSIS_OBJS := $(ANALYSIS_SRCS:%.c=$(B)/obj/%.o)

$(B)/libczanalysis.a: $(ANALYSIS_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
