# bench/: allocation-heavy programs and the harness behind `make bench`.
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

$(B)/bench/%: bench/%.c bench/common.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -I. -o $@ $< -pthread

bench: all $(BENCH_BINS)
	@sh bench/run.sh $(B)
