# What a user reads besides the commands' output: `make install` puts the
# reference documents where the help texts say they are, and the README's
# sample sessions are real.
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

# the README's sample sessions are what the bundled examples print today
# (pids, times and the trace's size within 10% aside)
if sh "$SRC/scripts/readme_sample.sh" --check "$SRC/$B" >readme.out 2>&1; then ok readme_samples_current
else bad readme_samples_current "$(head -c 2000 readme.out)"; fi
# and the check does catch a stale figure: the old README's 197.5 KiB trace
mkdir -p stale/scripts && cp "$SRC/scripts/readme_sample.sh" stale/scripts/
sed 's/\(recorded [0-9]* events, [0-9]* stack nodes, \)[0-9.]* KiB/\1197.5 KiB/' "$SRC/README.md" >stale/README.md
if sh stale/scripts/readme_sample.sh --check "$SRC/$B" >stale.out 2>&1; then bad readme_check_catches_size "passed"
else expect_match readme_check_catches_size "$(cat stale.out)" "the README's trace is 202240.0 B"; fi
