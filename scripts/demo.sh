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
run "$B/czprof" top --batch 1 --speed 0 -w 100 "$trace"
run "$B/czprof" flamegraph -o "$out/demo.svg" "$trace"
run "$B/czprof" record -o "$out/server.czt" -- "$B/examples/server"
run "$B/czprof" arenas "$out/server.czt"
echo
echo "The traces, their databases and the flame graph (open demo.svg in a browser) are in $out"
