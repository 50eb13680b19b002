# tests/run.sh itself, on a scratch tree of made-up tests: it prints only
# FAIL and SKIP lines (with a unit test's details) and a time per script,
# counts SKIP lines as skipped (neither passed nor failed), and ends with
# the one summary line.
. tests/e2e/lib.sh
# the runs below fuzz only where they ask to (CI's make test sets it for
# the whole suite), and run every script unless told (make test-quick sets
# E2E for itself)
unset FUZZ_SECONDS E2E
SRC=$(cd "$TESTBIN/../.." && pwd)
mkdir -p fake/build/tests/unit fake/tests/e2e
cd fake
printf '#!/bin/sh\necho "PASS: ok/a"\necho "PASS: ok/b"\n' >build/tests/unit/test_ok
printf '#!/bin/sh\necho "PASS: bad/a"\necho "  x.c:1: CHECK(y) failed"\necho "FAIL: bad/c"\nexit 1\n' >build/tests/unit/test_bad
chmod +x build/tests/unit/test_*
printf 'echo "PASS: one/a"\necho noise\necho "SKIP: one/tool: not installed"\necho "PASS: one/b"\n' >tests/e2e/one.sh
printf 'echo "PASS: two/a"\nexit 3\n' >tests/e2e/two.sh
out=$(sh "$SRC/tests/run.sh" build 2>&1); rc=$?
# times and the kept log folder vary: mask them
got=$(echo "$out" | sed -E 's/^ *[0-9]+\.[0-9] s  /T  /; s|output: .*|output: LOG|' | tr '\n' '|')
expect_eq run_failing_lines "$got" \
"  x.c:1: CHECK(y) failed|FAIL: bad/c|T  unit/ (2 test programs)|SKIP: one/tool: not installed|T  e2e/one.sh|FAIL: e2e/two.sh exited with status 3|T  e2e/two.sh|the failing tests' output: LOG|6 passed, 2 failed, 1 skipped|"
expect_eq run_failing_status "$rc" 1
expect_match run_summary_form "$(echo "$out" | tail -n 1)" "^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$"
logdir=$(echo "$out" | sed -n "s/^the failing tests' output: //p")
expect_match run_keeps_failed_logs "$(ls "$logdir" 2>/dev/null | tr '\n' ' ')" "^e2e_two.sh.out unit_test_bad.out $"
rm -rf "$logdir"

# all passing: the times and the summary, nothing else; no ", 0 skipped"
rm build/tests/unit/test_bad tests/e2e/two.sh
sed -i '/SKIP/d' tests/e2e/one.sh
out=$(sh "$SRC/tests/run.sh" build 2>&1); rc=$?
got=$(echo "$out" | sed -E 's/^ *[0-9]+\.[0-9] s  /T  /' | tr '\n' '|')
expect_eq run_passing_lines "$got" "T  unit/ (1 test programs)|T  e2e/one.sh|4 passed, 0 failed|"
expect_eq run_passing_status "$rc" 0
# E2E=NAMES (make test-quick): the unit tests and only the scripts named
printf 'echo "PASS: three/a"\n' >tests/e2e/three.sh
out=$(E2E="three" sh "$SRC/tests/run.sh" build 2>&1)
expect_eq run_chosen_scripts "$(echo "$out" | sed -E 's/^ *[0-9]+\.[0-9] s  /T  /' | tr '\n' '|')" \
	"T  unit/ (1 test programs)|T  e2e/three.sh|3 passed, 0 failed|"
rm tests/e2e/three.sh
# VERBOSE=1: every line
out=$(VERBOSE=1 sh "$SRC/tests/run.sh" build 2>&1)
expect_eq run_verbose "$(echo "$out" | grep -c -e '^PASS: ' -e '^noise$')" 5

# two build folders (the CI run): each script once per build, one summary
cp -r build build-san
out=$(sh "$SRC/tests/run.sh" build build-san 2>&1)
expect_eq run_two_builds "$(echo "$out" | sed -E 's/^ *[0-9]+\.[0-9] s  /T  /' | tr '\n' '|')" \
	"T  build unit/ (1 test programs)|T  build e2e/one.sh|T  build-san unit/ (1 test programs)|T  build-san e2e/one.sh|8 passed, 0 failed|"

# make test builds quietly unless V=1: the sub-make gets -s (make -n
# prints the recursive make's command line, and runs it with -n too)
sub() { make -s -n -C "$SRC" B="$B" "$@" test 2>&1 | grep -E -- '--no-print-directory.* all tests$' | head -1; }
expect_match make_test_quiet "$(sub)" "^make --no-print-directory -s all tests$"
expect_match make_test_v1 "$(sub V=1)" "^make --no-print-directory +all tests$"

# the fuzz targets of the CI run: a line per target's time, a crash a FAIL
rm -rf build-san && mkdir -p build/fuzz
for t in decode load suppress; do
	printf '#!/bin/sh\necho "Done 7 runs in 1 second"\n' >build/fuzz/fuzz_$t
done
printf '#!/bin/sh\necho "==1==ERROR: AddressSanitizer: boom"\nexit 1\n' >build/fuzz/fuzz_load
chmod +x build/fuzz/fuzz_*
out=$(FUZZ_SECONDS=1 sh "$SRC/tests/run.sh" build 2>&1); rc=$?
expect_eq run_fuzz "$(echo "$out" | sed -E 's/^ *[0-9]+\.[0-9] s  /T  /; s|output: .*|output: LOG|' | tr '\n' '|')" \
	"T  unit/ (1 test programs)|T  e2e/one.sh|T  fuzz/decode|FAIL: fuzz/load: ==1==ERROR: AddressSanitizer: boom|T  fuzz/load|T  fuzz/suppress|the failing tests' output: LOG|6 passed, 1 failed|"
rm -rf "$(echo "$out" | sed -n "s/^the failing tests' output: //p")"
