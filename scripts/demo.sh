#!/bin/sh
# make demo: records examples/demo.c (a word counter that forgets to free
# one of its tables) and shows what the trace holds.
set -e
B=${1:-build}
out=$(mktemp -d "${TMPDIR:-/tmp}/czprof-demo.XXXXXX")
trace="$out/demo.czt"
run() { echo; echo "\$ $*"; "$@"; }
run "$B/czprof" record -o "$trace" -- "$B/examples/demo"
run "$B/czprof" dump --summary "$trace"
echo
echo "The trace is $trace; 'czprof dump $trace' lists every record."
