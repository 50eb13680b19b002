# bench/: allocation-heavy programs and the harness behind `make bench`.
BENCH_SRCS := $(filter-out bench/czalloc_speed.c,$(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

$(B)/bench/%: bench/%.c bench/common.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -I. -o $@ $< -pthread

# churn again, built with frame pointers, for `czprof record --unwind=fp`
$(B)/bench/churn_fp: bench/churn.c bench/common.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -fno-omit-frame-pointer $(WARN) -D_GNU_SOURCE -I. -o $@ $< -pthread

# ns per allocation of libczalloc's allocators against malloc (not run
# by `make bench`, whose programs are measured under the recorder)
$(B)/bench/czalloc_speed: bench/czalloc_speed.c bench/common.h $(B)/libczalloc-plain.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -I. -o $@ $< $(B)/libczalloc-plain.a $(CZALLOC_LIBS)

ALL_TARGETS += $(B)/bench/czalloc_speed

bench: all $(BENCH_BINS) $(B)/bench/churn_fp
	@sh bench/run.sh $(B)

# analysis time and memory as the run grows (EVENTS="..."; bench/scale.sh)
bench-scale: all $(B)/bench/churn
	@sh bench/scale.sh $(B)

# packcost reads traces: it links the format library and zstd
$(B)/bench/packcost: bench/packcost.c $(B)/libczt.a
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) $(SAN) -D_GNU_SOURCE -I. -o $@ $< $(B)/libczt.a $(ZSTD)
