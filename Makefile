# czprof - one non-recursive Makefile.  Each folder adds its targets in its
# own module.mk; everything is built under $(B)/.
#
#   make            build czprof, libczprof.so, libczalloc
#   make test       install missing packages, build, run every test: prints
#                   failures, skips, each script's time, "N passed, N failed"
#   make test-quick the unit tests and the fastest scripts, under a minute
#   make demo       install missing packages, build, record and report an example
#   make bench      the performance benchmark (bench/)
#   make install PREFIX=/usr/local
#   make SANITIZE=1 build the CLI and tests with ASan+UBSan

ifeq ($(SANITIZE),1)
B ?= build-san
endif
B ?= build
PREFIX ?= /usr/local
CC ?= cc
CXX ?= c++
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT ?= -O2 -g
CPPFLAGS += -I. -Iformat -D_GNU_SOURCE -DCZPROF_VERSION='"$(VERSION)"'
CFLAGS += -std=gnu11 $(OPT) $(WARN) -fPIC -MMD -MP
CXXFLAGS += -std=gnu++17 $(OPT) $(WARN) -fPIC -MMD -MP

# The recorder runs inside the profiled program: never sanitized; frame
# pointers kept so that CZPROF_UNWIND=fp can walk through its own frames.
REC_CFLAGS := $(CFLAGS) -fvisibility=hidden -ftls-model=initial-exec -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

pc = $(shell pkg-config --cflags --libs $(1) 2>/dev/null)
LIBUNWIND := $(call pc,libunwind) -lunwind
SQLITE := $(call pc,sqlite3) -lsqlite3
NCURSES := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
LIBDW := $(call pc,libdw) -ldw -lelf
ZSTD := $(call pc,libzstd) -lzstd

all:

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(B)/obj/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(SAN) -c $< -o $@

include format/module.mk
include lib/symbols/module.mk
include lib/module.mk
include lib/base/module.mk
include lib/analysis/module.mk
include viewer/module.mk
include cli/module.mk
include examples/module.mk
include tests/module.mk
include bench/module.mk

# The man pages and the shell completions are made from czprof's own --help
# texts, so they cannot drift from them: czprof.1 and czprof-COMMAND.1
# (scripts/manpages.sh, scripts/help2man.awk), czprof.bash and _czprof
# (scripts/completion.sh, scripts/helpopts.awk).
$(B)/man/czprof.1: $(B)/czprof scripts/manpages.sh scripts/help2man.awk
	sh scripts/manpages.sh $(B)/czprof $(B)/man $(VERSION)

$(B)/completion/czprof.bash: $(B)/czprof scripts/completion.sh scripts/helpopts.awk \
		scripts/completion.bash.in scripts/completion.zsh.in
	sh scripts/completion.sh $(B)/czprof $(B)/completion

ALL_TARGETS += $(B)/man/czprof.1 $(B)/completion/czprof.bash

all: $(ALL_TARGETS)

deps:
	@sh scripts/deps.sh

# In CI (CI=true) the suite also runs once more under AddressSanitizer and
# UndefinedBehaviorSanitizer, and every fuzz target runs for
# CI_FUZZ_SECONDS; one summary line covers all of it.  The builds `make
# test` starts are quiet but for errors and warnings; V=1 (or VERBOSE=1,
# which also prints every test's every line) shows their commands.
CI_FUZZ_SECONDS ?= 30
TEST_MAKE = $(MAKE) --no-print-directory $(if $(V)$(VERBOSE),,-s)
ifeq ($(CI),true)
test: deps
	@$(TEST_MAKE) all tests
	@$(TEST_MAKE) SANITIZE=1 all tests
	@$(TEST_MAKE) fuzz-build
	@FUZZ_SECONDS=$(CI_FUZZ_SECONDS) sh tests/run.sh $(B) build-san
else
test: deps
	@$(TEST_MAKE) all tests
	@sh tests/run.sh $(B)
endif

# make test-quick: the unit tests and the fastest end-to-end scripts, in
# under a minute; no package is installed.  One script alone: see
# tests/run.sh (or HACKING.md).
QUICK_E2E := docs examples runner record arenas check includes
test-quick:
	@$(TEST_MAKE) all tests
	@E2E="$(QUICK_E2E)" sh tests/run.sh $(B)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(B)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/czprof $(DESTDIR)$(PREFIX)/include/czprof
	install -m 755 $(B)/czprof $(DESTDIR)$(PREFIX)/bin/czprof
	install -m 755 $(B)/libczprof.so $(DESTDIR)$(PREFIX)/lib/czprof/libczprof.so
	install -m 644 lib/include/czprof_hooks.h $(DESTDIR)$(PREFIX)/include/czprof/czprof_hooks.h
	install -d $(DESTDIR)$(PREFIX)/share/doc/czprof
	install -m 644 cli/SCHEMA.md format/FORMAT.md $(DESTDIR)$(PREFIX)/share/doc/czprof/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	for f in $(B)/man/*.1; do \
		sed 's|@DOCDIR@|$(PREFIX)/share/doc/czprof|g' "$$f" >"$(DESTDIR)$(PREFIX)/share/man/man1/$${f##*/}" || exit 1; \
	done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 644 $(B)/completion/czprof.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/czprof
	install -m 644 $(B)/completion/_czprof $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_czprof
	$(INSTALL_EXTRA)

clean:
	rm -rf $(B)

.PHONY: all deps test test-quick demo install clean tests bench bench-scale

# unit tests include the sources they test (tests/unit/test_rec_clock.c
# includes lib/recorder/rec_clock.c): their dependency files count too
-include $(shell find $(B)/obj $(B)/recobj $(B)/tests/unit -name '*.d' 2>/dev/null)
