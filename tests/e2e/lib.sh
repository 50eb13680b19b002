# Sourced by every end-to-end script.  Gives each script its own scratch
# folder (removed at exit) and helpers that print PASS:/FAIL: lines.
#   ok NAME                 record a pass
#   bad NAME WHY            record a failure
#   skip NAME WHY           record a check that could not run here (counted
#                           as skipped: neither a pass nor a failure)
#   check NAME CMD...       pass if CMD exits 0
#   check_fails NAME CMD... pass if CMD exits non-zero
#   expect_eq NAME GOT WANT
#   expect_match NAME TEXT REGEX
SUITE=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/czprof-$SUITE.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
: "${CZPROF:?run through tests/run.sh}"

ok() { echo "PASS: $SUITE/$1"; }
bad() { echo "FAIL: $SUITE/$1: $2"; }
skip() { echo "SKIP: $SUITE/$1: $2"; }
check() { n=$1; shift; if "$@" >"$WORK/.out" 2>&1; then ok "$n"; else bad "$n" "'$*' failed: $(head -c 600 "$WORK/.out")"; fi; }
check_fails() { n=$1; shift; if "$@" >"$WORK/.out" 2>&1; then bad "$n" "'$*' succeeded, expected failure"; else ok "$n"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
expect_match() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else bad "$1" "no match for /$3/ in: $(printf '%s' "$2" | head -c 800)"; fi; }
# Waits up to 10 s for a file to exist (wait_file) or to hold something
# (wait_nonempty); fails if it does not.
wait_file() { _w=0; while [ ! -e "$1" ] && [ $_w -lt 200 ]; do sleep 0.05; _w=$((_w + 1)); done; [ -e "$1" ]; }
wait_nonempty() { _w=0; while [ ! -s "$1" ] && [ $_w -lt 200 ]; do sleep 0.05; _w=$((_w + 1)); done; [ -s "$1" ]; }
