/*
 * test_attach.c - what `czprof record -p` reads from /proc and from ELF
 * files before it touches a process (cli/attach_proc.c), tried on this
 * very process: libc's mapping, a function's address from libc's dynamic
 * symbols (the one dlsym gives), the runtime's code ranges, the refusals.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach_proc.h"
#include "tests/unit.h"

TEST(libc_found)
{
	char path[4096];
	uint64_t base = 0;
	CHECK(attach_proc_module(getpid(), "libc.so", NULL, path, sizeof(path), &base) == 0);
	CHECK(strstr(path, "libc.so") != NULL);
	CHECK(base != 0 && base % 4096 == 0);
	/* by exact path too, and nothing for a path that is not mapped */
	char again[4096];
	uint64_t b2 = 0;
	CHECK(attach_proc_module(getpid(), NULL, path, again, sizeof(again), &b2) == 0);
	CHECK_EQ_U(b2, base);
	CHECK(attach_proc_module(getpid(), NULL, "/no/such/lib.so", again, sizeof(again), &b2) == -1);
}

TEST(symbol_address)
{
	char path[4096];
	uint64_t base;
	CHECK(attach_proc_module(getpid(), "libc.so", NULL, path, sizeof(path), &base) == 0);
	/* the address the dynamic linker gives for the same name */
	uint64_t want = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "getppid");
	CHECK(want != 0);
	CHECK_EQ_U(attach_elf_symbol(path, base, "getppid"), want);
	/* dlopen is in libc from glibc 2.34; before, __libc_dlopen_mode is */
	CHECK(attach_elf_symbol(path, base, "dlopen") != 0 ||
	      attach_elf_symbol(path, base, "__libc_dlopen_mode") != 0);
	CHECK_EQ_U(attach_elf_symbol(path, base, "no_such_function_here"), 0);
	CHECK_EQ_U(attach_elf_symbol("/no/such/file", base, "getppid"), 0);
	CHECK_EQ_U(attach_elf_symbol("/proc/self/status", base, "getppid"), 0); /* not ELF */
}

TEST(runtime_ranges)
{
	struct attach_runtime rt;
	attach_proc_runtime(getpid(), &rt);
	CHECK(rt.n >= 2); /* libc and ld.so at least */
	CHECK(attach_runtime_has(&rt, (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "getppid")));
	/* this program's own code is not the runtime's */
	CHECK(!attach_runtime_has(&rt, (uint64_t)(uintptr_t)&runtime_ranges));
}

TEST(checks)
{
	struct attach_target t;
	/* this process passes every check (a dynamically linked x86_64 program,
	 * nobody tracing it, our own) unless some tracer runs the tests */
	if (attach_proc_check(getpid(), &t) == 0) {
		CHECK_EQ_U((uint64_t)t.pid, (uint64_t)getpid());
		CHECK_EQ_U((uint64_t)t.uid, (uint64_t)getuid());
		CHECK(t.comm[0] != 0);
	}
	CHECK(attach_proc_check(999999999, &t) == -1);
}

int main(void)
{
	RUN(libc_found);
	RUN(symbol_address);
	RUN(runtime_ranges);
	RUN(checks);
	return unit_done();
}
