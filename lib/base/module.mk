# lib/base/: the common base below cli/ and viewer/ (and lib/analysis/):
# array growth, the string hash, the hash table, the interner, the size
# formatter.  No outside library.
BASE_SRCS := $(wildcard lib/base/*.c)
BASE_OBJS := $(BASE_SRCS:%.c=$(B)/obj/%.o)

$(B)/libczbase.a: $(BASE_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
