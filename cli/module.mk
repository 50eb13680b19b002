# cli/: the czprof program.  What cli/ and cli/render/ own and may use:
# cli/README.md, cli/render/README.md.  Everything but main.c goes into
# libczcli.a so unit tests can link the commands' internals.
CLI_SRCS := $(filter-out cli/main.c,$(wildcard cli/*.c cli/render/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/obj/%.o)
CZPROF_LIBS = $(B)/libczcli.a $(B)/libczview.a $(B)/libczanalysis.a $(B)/libczsym.a $(B)/libczt.a $(B)/libczbase.a
EXT_LIBS = $(SQLITE) $(NCURSES) $(LIBDW) $(ZSTD) -lz -lstdc++ -lm -lpthread -ldl

$(B)/libczcli.a: $(CLI_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/czprof: $(B)/obj/cli/main.o $(CLI_OBJS) $(CZPROF_LIBS)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(B)/obj/cli/main.o $(CLI_OBJS) $(CZPROF_LIBS) $(EXT_LIBS)

ALL_TARGETS += $(B)/czprof
