# What a user reads besides the commands' output: `make install` puts the
# reference documents where the help texts say they are.
. tests/e2e/lib.sh
SRC=$(cd "$TESTBIN/../.." && pwd)

# install into a scratch PREFIX, without rebuilding (-o all: the suite's
# build is the one installed)
if make -s -C "$SRC" -o all B="$B" PREFIX="$WORK/inst" install >install.out 2>&1; then ok install_runs
else bad install_runs "$(head -c 600 install.out)"; fi
for f in SCHEMA.md FORMAT.md; do
	check "installed_$f" cmp "$WORK/inst/share/doc/czprof/$f" "$SRC/$(case $f in SCHEMA.md) echo cli ;; *) echo format ;; esac)/$f"
done
expect_match sql_help_installed "$("$WORK/inst/bin/czprof" sql --help)" \
	"^The tables and their columns: $WORK/inst/share/doc/czprof/SCHEMA.md$"
expect_match load_help_installed "$("$WORK/inst/bin/czprof" load --help)" \
	"^The database's schema: $WORK/inst/share/doc/czprof/SCHEMA.md$"
# run from the build folder: the source tree's copy
expect_match sql_help_source "$("$CZPROF" sql --help)" "^The tables and their columns: $SRC/cli/SCHEMA.md$"
# a czprof alone, far from both: where to look in the sources
mkdir -p alone/bin && cp "$CZPROF" alone/bin/
expect_match sql_help_fallback "$(alone/bin/czprof sql --help)" \
	"^The tables and their columns: cli/SCHEMA.md in czprof's sources$"
