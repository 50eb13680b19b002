# libczalloc as a user links it after `make install`: pkg-config's flags
# alone make a program that runs (the rpath finds the library in its
# PREFIX), the shared library has a SONAME the program records, and the
# static library links with `pkg-config --static`.
. tests/e2e/lib.sh
SRC=$(cd "$TESTBIN/../.." && pwd)

if make -s -C "$SRC" -o all B="$B" PREFIX="$WORK/inst" install >install.out 2>&1; then ok install_runs
else bad install_runs "$(head -c 600 install.out)"; fi
export PKG_CONFIG_PATH="$WORK/inst/lib/pkgconfig"
cat >use.c <<'PROG'
#include <czprof/cz_alloc.h>
#include <string.h>
int main(void)
{
	char buf[64];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "scratch");
	char *s = cz_strdup(cz_fixed_allocator(&f), "linked");
	puts(s);
	return strcmp(s, "linked") != 0;
}
PROG
if ! command -v pkg-config >/dev/null; then
	skip pkg_config "pkg-config is not installed"
	exit 0
fi
# a sanitized build's library (make SANITIZE=1) needs its runtime in the program
SAN=
nm -D "$WORK/inst/lib/libczalloc.so.0" 2>/dev/null | grep -q __asan && SAN="-fsanitize=address,undefined"
check shared_links cc $SAN -o use use.c $(pkg-config --cflags --libs czalloc)
expect_eq shared_runs "$(./use 2>&1)" linked
expect_match shared_needs_soname "$(readelf -d use)" "NEEDED.*\[libczalloc\.so\.0\]"
expect_match library_soname "$(readelf -d "$WORK/inst/lib/libczalloc.so.0")" "SONAME.*\[libczalloc\.so\.0\]"
check static_links cc $SAN -o use_static use.c $(pkg-config --cflags czalloc) -L"$WORK/inst/lib" -l:libczalloc.a \
	$(pkg-config --static --libs-only-l czalloc | sed 's/-lczalloc//')
expect_eq static_runs "$(./use_static 2>&1)" linked
expect_eq static_needs_no_libczalloc "$(readelf -d use_static | grep -c libczalloc)" 0
