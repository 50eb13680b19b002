#!/bin/sh
# Runs every unit test binary and end-to-end script of each build folder
# given (default: build), then, when FUZZ_SECONDS is set, each fuzz target
# of the first folder for that long.
#
# Each test prints PASS:, FAIL: and SKIP: lines (SKIP: a check that cannot
# run on this machine, e.g. a tool is missing; neither a pass nor a
# failure).  A test binary or script that exits non-zero without printing a
# FAIL counts as one failure.  This prints the FAIL and SKIP lines (with a
# failing unit test's detail lines), how long each script took, and ends
# with the one line "N passed, N failed" (", N skipped" when some were).
# VERBOSE=1 prints everything the tests print.  E2E="docs record" runs
# only those end-to-end scripts (tests/e2e/docs.sh, record.sh) after the
# unit tests (make test-quick).  One script alone, without this runner:
#   B=build CZPROF=$PWD/build/czprof CZPROF_LIB=$PWD/build/libczprof.so \
#       TESTBIN=$PWD/build/tests sh tests/e2e/NAME.sh
[ $# -eq 0 ] && set -- build
log=$(mktemp -d "${TMPDIR:-/tmp}/czprof-tests.XXXXXX")
pass=0
fail=0
skipped=0
failed_logs=

now() { date +%s.%N; }

# run_one NAME CMD...: runs one test, counts its lines, prints what matters
run_one() {
	name=$1; shift
	out="$log/$(echo "$label$name" | tr '/ ' '__').out"
	t0=$(now)
	"$@" >"$out" 2>&1
	rc=$?
	t1=$(now)
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	s=$(grep -c '^SKIP: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name exited with status $rc" >>"$out"
		f=1
	fi
	if [ -n "$VERBOSE" ]; then
		cat "$out"
	elif [ "$f" -ne 0 ]; then
		# the failures, and a unit test's indented file:line details
		grep -E '^(FAIL|SKIP): |^  ' "$out"
		failed_logs="$failed_logs $out"
	else
		grep '^SKIP: ' "$out"
	fi
	case "$name" in
	unit/*) unit_time=$(echo "$unit_time $t0 $t1" | awk '{ printf "%.2f", $1 + $3 - $2 }') ;;
	*) echo "$t0 $t1" | awk -v n="$label$name" '{ printf "%8.1f s  %s\n", $2 - $1, n }' ;;
	esac
	pass=$((pass + p))
	fail=$((fail + f))
	skipped=$((skipped + s))
}

label=
for B in "$@"; do
	export B
	export CZPROF="$PWD/$B/czprof"
	export CZPROF_LIB="$PWD/$B/libczprof.so"
	export TESTBIN="$PWD/$B/tests"
	[ $# -gt 1 ] && label="$B "
	unit_time=0
	n_unit=0
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
		n_unit=$((n_unit + 1))
	done
	printf '%8.1f s  %s\n' "$unit_time" "${label}unit/ ($n_unit test programs)"
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		if [ -n "$E2E" ]; then
			case " $E2E " in *" $(basename "$t" .sh) "*) ;; *) continue ;; esac
		fi
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
	label=
	for t in decode load suppress; do
		run_one "fuzz/$t" fuzz_one "$t"
	done
fi
if [ -n "$failed_logs" ]; then
	# the failing tests' whole output is kept for a closer look
	for f in "$log"/*; do
		case " $failed_logs " in *" $f "*) ;; *) rm -rf "$f" ;; esac
	done
	echo "the failing tests' output: $log"
else
	rm -rf "$log"
fi
summary="$pass passed, $fail failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
