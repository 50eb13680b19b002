#!/bin/sh
# Runs every unit test binary and end-to-end script, and ends with one line
# "N passed, N failed".  Each test prints PASS:/FAIL: lines; a test binary or
# script that exits non-zero without printing a FAIL counts as one failure.
B=${1:-build}
export B
export CZPROF="$PWD/$B/czprof"
export CZPROF_LIB="$PWD/$B/libczprof.so"
export TESTBIN="$PWD/$B/tests"
log=$(mktemp -d "${TMPDIR:-/tmp}/czprof-tests.XXXXXX")
pass=0
fail=0

run_one() {
	name=$1; shift
	out="$log/$(echo "$name" | tr '/' '_').out"
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name exited with status $rc" >>"$out"
		f=1
	fi
	if [ "$f" -ne 0 ] || [ -n "$VERBOSE" ]; then
		cat "$out"
	else
		grep '^PASS: ' "$out"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

for t in "$B"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	run_one "e2e/$(basename "$t")" sh "$t"
done
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
