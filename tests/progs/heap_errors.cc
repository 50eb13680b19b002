// heap_errors - every C++ allocation operator used rightly once, then
// every heap error once, each in a function of its own (their names are
// what the tests look for in the stacks).  The operators are called by
// name so that the variant is certain.
//
// Right (no error): operator new 7 calls (6 variants + one new-expression),
// operator new[] 7 calls (the same), each released by its own delete.
// Errors, in this order:
//   mismatch_new_free          operator new(11)    released by free
//   mismatch_array_delete      operator new[](12)  released by operator delete
//   mismatch_malloc_delete     malloc(13)          released by operator delete
//   mismatch_new_array_delete  operator new(14)    released by operator delete[]
//   invalid_free               free() of an address never allocated
//   realloc_freed              realloc() of a block freed just before
//   double_free                free() twice of one block (malloc(24))
// So: operator new 9 calls, operator new[] 8, 4 mismatches, 1 invalid
// free, 1 realloc of a freed block, 1 double free.  memcheck says 4
// "Mismatched free() / delete / delete []" and 3 "Invalid free() / delete
// / delete[] / realloc()".
//
// "heap_errors bad_alloc" instead: operator new of half the address space
// throws std::bad_alloc, its nothrow variant returns null, new[] throws
// too; then one operator new(16) and one malloc(16), both freed rightly.
// Exit status 0 when all of that held.
//
// "heap_errors fork" instead: the parent mallocs 50 B and forks; the child
// frees that block (its copy: no error, though its trace never saw it
// allocated), releases operator new(15) with free (a mismatch) and exits;
// the parent frees its block too.
//
// The errors must not stop glibc's allocator, which checks for some of
// them, so that one run shows all: the invalid free hands glibc a block
// header made to look like one of its own mmap'ed chunks (glibc unmaps it);
// the realloc is of a block glibc keeps in its per-thread cache (it returns
// the block as it is); the double free goes to a fastbin whose check only
// compares with the bin's latest entry (the per-thread cache is filled
// first).  Nothing of those sizes is allocated after them.
#include <cstdlib>
#include <new>
#include <cstring>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

// clang declares the sized deletes only with -fsized-deallocation: they
// are libstdc++'s all the same.
#ifndef __cpp_sized_deallocation
void operator delete(void *, std::size_t) noexcept;
void operator delete[](void *, std::size_t) noexcept;
void operator delete(void *, std::size_t, std::align_val_t) noexcept;
void operator delete[](void *, std::size_t, std::align_val_t) noexcept;
#endif

// The compiler must not see where a pointer came from: it would warn about
// the very mistakes this program makes on purpose.
static void *hide(void *p)
{
	asm volatile("" : "+r"(p));
	return p;
}

struct Obj {
	int x = 1;
	~Obj() { x = 0; } // not trivial: new Obj[] keeps a count before the objects
};

static const std::align_val_t al{ 64 };

__attribute__((noinline)) static void right_pairs()
{
	void *p;
	p = operator new(24); operator delete(p);
	p = operator new(24); operator delete(p, 24);
	p = operator new(24, std::nothrow); operator delete(p, std::nothrow);
	p = operator new(64, al); operator delete(p, al);
	p = operator new(64, al); operator delete(p, 64, al);
	p = operator new(64, al, std::nothrow); operator delete(p, al, std::nothrow);
	p = operator new[](24); operator delete[](p);
	p = operator new[](24); operator delete[](p, 24);
	p = operator new[](24, std::nothrow); operator delete[](p, std::nothrow);
	p = operator new[](64, al); operator delete[](p, al);
	p = operator new[](64, al); operator delete[](p, 64, al);
	p = operator new[](64, al, std::nothrow); operator delete[](p, al, std::nothrow);
	Obj *o = new Obj;
	delete static_cast<Obj *>(hide(o));
	Obj *v = new Obj[3];
	delete[] static_cast<Obj *>(hide(v));
}

__attribute__((noinline)) static void mismatch_new_free()
{
	free(hide(operator new(11)));
}

__attribute__((noinline)) static void mismatch_array_delete()
{
	operator delete(hide(operator new[](12)));
}

__attribute__((noinline)) static void mismatch_malloc_delete()
{
	operator delete(hide(malloc(13)));
}

__attribute__((noinline)) static void mismatch_new_array_delete()
{
	operator delete[](hide(operator new(14)));
}

__attribute__((noinline)) static void invalid_free()
{
	size_t *m = static_cast<size_t *>(
		mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (m == MAP_FAILED)
		return;
	m[0] = 0;        // glibc's chunk header: the previous size,
	m[1] = 8192 | 2; // then the size with "mmap'ed" set
	free(hide(m + 2));
}

__attribute__((noinline)) static void *realloc_freed_alloc()
{
	return malloc(40);
}

__attribute__((noinline)) static void realloc_freed_free(void *p)
{
	free(p);
}

__attribute__((noinline)) static void realloc_freed()
{
	void *p = realloc_freed_alloc();
	realloc_freed_free(p);
	void *q = realloc(hide(p), 40);
	hide(q);
}

__attribute__((noinline)) static void *double_free_alloc()
{
	return malloc(24);
}

__attribute__((noinline)) static void double_free_first(void *p)
{
	free(p);
}

__attribute__((noinline)) static void double_free()
{
	void *fill[7];
	for (void *&f : fill)
		f = malloc(24);
	void *a = double_free_alloc(), *b = malloc(24);
	for (void *f : fill)
		free(f);
	double_free_first(a);
	free(b);
	free(hide(a));
}

__attribute__((noinline)) static int forked()
{
	void *p = malloc(50);
	pid_t pid = fork();
	if (pid == 0) {
		free(p);
		free(hide(operator new(15)));
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	free(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

__attribute__((noinline)) static int bad_alloc()
{
	const std::size_t huge = ~(std::size_t)0 / 2;
	int caught = 0;
	try {
		hide(operator new(huge));
	} catch (const std::bad_alloc &) {
		caught++;
	}
	try {
		hide(operator new[](huge, al));
	} catch (const std::bad_alloc &) {
		caught++;
	}
	int null = operator new(huge, std::nothrow) == nullptr;
	void *p = operator new(16);
	operator delete(p);
	free(malloc(16));
	return caught == 2 && null ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return forked();
	if (argc > 1 && !strcmp(argv[1], "bad_alloc"))
		return bad_alloc();
	right_pairs();
	mismatch_new_free();
	mismatch_array_delete();
	mismatch_malloc_delete();
	mismatch_new_array_delete();
	invalid_free();
	realloc_freed();
	double_free();
	return 0;
}
