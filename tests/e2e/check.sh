# czprof check: each budget passing at its figure and failing one below,
# the text, JSON and JUnit outputs, sizes with units, an incomplete trace,
# and the same budgets on `czprof record`.
. "$(dirname "$0")/lib.sh"
P=$TESTBIN/progs
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# rec_exact: 1007 allocations: 1000 pairs of 32 B each freed before the
# next malloc (1000 temporary), then 7 x 111 B leaked (777 B, definitely
# lost); the peak is those 777 B.  unknown_frees: 3 frees of blocks never
# seen allocated: 3 invalid frees in heap_errors, the recording having seen
# the program from its start.
"$CZPROF" record -o ex.czt "$P/rec_exact" 2>/dev/null
"$CZPROF" record -o uf.czt "$P/unknown_frees" 2>/dev/null

budget() { # NAME TRACE PASSING_LIMIT FAILING_LIMIT
	check "$1_passes" "$CZPROF" check "--$1" "$3" "$2"
	"$CZPROF" check "--$1" "$4" "$2" >out.txt 2>&1
	expect_eq "$1_fails_exit" "$?" 1
	expect_match "$1_fails_says" "$(cat out.txt)" "^$1 .* EXCEEDED"
}
budget max-peak ex.czt 777 776
budget max-leaked ex.czt 777B 776
budget max-allocs ex.czt 1007 1006
budget max-temporary ex.czt 1000 999
budget max-errors uf.czt 3 2

out=$("$CZPROF" check --max-peak 1K --max-leaked 0 ex.czt)
expect_eq exit_when_one_exceeded "$?" 1
expect_match text_peak "$out" "^max-peak +1\.0 KiB +777 B +ok$"
expect_match text_leaked "$out" "^max-leaked +0 B +777 B +EXCEEDED +\(definitely \+ indirectly lost\)$"
expect_match text_unset "$out" "^max-allocs +- +1007 +-$"
expect_match text_verdict "$out" "^check: FAILED$"
expect_match errors_source "$("$CZPROF" check uf.czt)" "^max-errors +- +3 +- +\(heap errors\)$"

# units: 1.5MiB is 1572864 B; 1KB is 1000 B
j=$("$CZPROF" check --json --max-peak 1.5MiB --max-leaked 1KB --max-allocs 5 ex.czt)
expect_eq json_exit "$?" 1
expect_eq json_peak_limit "$(echo "$j" | json 'd["budgets"][0]["limit"]')" 1572864
expect_eq json_leaked_limit "$(echo "$j" | json 'd["budgets"][1]["limit"]')" 1000
expect_eq json_figures "$(echo "$j" | json '[b["figure"] for b in d["budgets"]]')" "[777, 777, 1007, 1000, 0]"
expect_eq json_exceeded "$(echo "$j" | json '[b["exceeded"] for b in d["budgets"]]')" "[False, False, True, False, False]"
expect_eq json_passed "$(echo "$j" | json 'd["passed"], d["complete"], d["errors_from"]' | tr -d "(),'")" "False True heap_errors"

check_fails bad_size "$CZPROF" check --max-peak 10X ex.czt
expect_match bad_size_says "$(cat "$WORK/.out")" "^czprof: check: --max-peak takes a size"
check_fails bad_count "$CZPROF" check --max-allocs 1K ex.czt
check_fails missing_value "$CZPROF" check ex.czt --max-errors

# JUnit: a testcase per budget given plus one for completeness, the failed
# ones with a <failure>
"$CZPROF" check --max-peak 2K --max-allocs 10 --max-errors 0 --junit j.xml ex.czt >/dev/null
expect_eq junit_exit "$?" 1
expect_eq junit_parsed "$(python3 -c '
import xml.etree.ElementTree as E
s = E.parse("j.xml").getroot().find("testsuite")
print(s.get("tests"), s.get("failures"), [(c.get("name"), c.find("failure") is not None) for c in s.iter("testcase")])')" \
	"4 1 [('complete', False), ('max-peak', False), ('max-allocs', True), ('max-errors', False)]"
expect_match junit_message "$(cat j.xml)" 'message="max-allocs over budget: 1007 &gt; 10"'

# an incomplete trace fails whatever the budgets: one cut inside its last
# chunk (the loader's meta 'complete' = 0; a trace without the key counts
# as complete)
size=$(wc -c <ex.czt)
head -c $((size - 10)) ex.czt >cut.czt
out=$("$CZPROF" check --max-peak 1G cut.czt 2>/dev/null)
expect_eq incomplete_exit "$?" 1
expect_match incomplete_says "$out" "^the trace is incomplete: check fails$"
expect_match incomplete_why "$out" "^warning: the trace was cut at byte"
j=$("$CZPROF" check --json cut.czt 2>/dev/null)
expect_eq incomplete_json "$(echo "$j" | json 'd["complete"], d["passed"], len(d["warnings"]) > 0')" "False False True"
# and the JUnit file has a failed 'complete' testcase
"$CZPROF" check --junit cut.xml cut.czt >/dev/null 2>&1
expect_eq incomplete_junit "$(python3 -c '
import xml.etree.ElementTree as E
c = [c for c in E.parse("cut.xml").iter("testcase") if c.get("name") == "complete"][0]
print(c.find("failure").get("message"))')" "the trace is incomplete"

# the same budgets on record: checked on the trace it wrote, on stderr
"$CZPROF" record -o r1.czt --max-leaked 1K --max-allocs 2000 "$P/rec_exact" >out.txt 2>err.txt
expect_eq record_within_exit "$?" 0
expect_match record_within_says "$(cat err.txt)" "^check: passed$"
expect_eq record_stdout_clean "$(cat out.txt)" ""
"$CZPROF" record -o r2.czt --max-leaked=776 --junit r2.xml "$P/rec_exact" 2>err.txt
expect_eq record_over_exit "$?" 1
expect_match record_over_says "$(cat err.txt)" "^max-leaked +776 B +777 B +EXCEEDED"
check record_junit python3 -c 'import xml.etree.ElementTree as E; E.parse("r2.xml")'
check_fails record_bad_budget "$CZPROF" record -o r3.czt --max-peak lots "$P/rec_exact"
