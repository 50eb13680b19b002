#!/bin/sh
# Runs every unit test binary and end-to-end script of each build folder
# given (default: build), then, when FUZZ_SECONDS is set, each fuzz target
# of the first folder for that long; ends with one line "N passed, N
# failed".  Each test prints PASS:/FAIL: lines; a test binary or script that
# exits non-zero without printing a FAIL counts as one failure.
[ $# -eq 0 ] && set -- build
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

for B in "$@"; do
	export B
	export CZPROF="$PWD/$B/czprof"
	export CZPROF_LIB="$PWD/$B/libczprof.so"
	export TESTBIN="$PWD/$B/tests"
	[ "$B" = "$1" ] || echo "== again with the build in $B"
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t")" sh "$t"
	done
done

# fuzzing, bounded in time; a crash is saved for the regression corpus
fuzz_one() {
	t=$1
	mkdir -p "$log/corpus-$t"
	if "$FUZZ_DIR/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -max_len=65536 \
		-artifact_prefix="tests/fuzz/corpus/$t/crash-" "$log/corpus-$t" "tests/fuzz/corpus/$t" \
		>"$log/fuzz-$t.out" 2>&1; then
		echo "PASS: fuzz/$t ($(grep -o 'Done [0-9]* runs' "$log/fuzz-$t.out"))"
	else
		echo "FAIL: fuzz/$t: $(grep -m1 -E 'ERROR|SUMMARY' "$log/fuzz-$t.out")"
	fi
}
if [ -n "$FUZZ_SECONDS" ]; then
	FUZZ_DIR="$1/fuzz"
	for t in decode load suppress; do
		run_one "fuzz/$t" fuzz_one "$t"
	done
fi
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
