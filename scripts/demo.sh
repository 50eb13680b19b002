#!/bin/sh
# make demo: records examples/demo.c (a word counter that forgets to free
# one of its tables) and shows what czprof says about it.
set -e
B=${1:-build}
out=$(mktemp -d "${TMPDIR:-/tmp}/czprof-demo.XXXXXX")
trace="$out/demo.czt"
run() { echo; echo "\$ $*"; "$@"; }
run "$B/czprof" record -o "$trace" -- "$B/examples/demo"
run "$B/czprof" dump --summary "$trace"
run "$B/czprof" leaks "$trace"
run "$B/czprof" peak "$trace"
run "$B/czprof" sql "$trace" "SELECT fn, COUNT(*) AS calls, SUM(size) AS bytes FROM allocations GROUP BY fn"
echo
echo "The trace and its database are in $out"
