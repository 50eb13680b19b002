# czprof faults: each outcome on programs whose error paths are known
# (tests/progs/fault_*.c, their lines found by the SITE comments), the JSON
# agreeing with the text, --every, --sites, --from, --timeout,
# --suppressions, --fail; and the recorder's CZPROF_FAIL_AT underneath.
. "$(dirname "$0")/lib.sh"
P=$TESTBIN/progs
SRC=$(cd "$TESTBIN/../.." && pwd)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
line() { grep -n "SITE $2\$\|SITE $2 " "$SRC/tests/progs/$1" | head -1 | cut -d: -f1; }

# the recorder alone: call 1 fails with NULL/ENOMEM, the failed call is
# recorded (failed_allocs 1) and the program takes its error path
CZPROF_FAIL_AT=1 "$CZPROF" record -o at1.czt "$P/fault_paths" >/dev/null 2>err.txt
expect_eq fail_at_exit "$?" 2
expect_match fail_at_message "$(cat err.txt)" "^fault_paths: out of memory$"
expect_eq fail_at_counted "$("$CZPROF" sql at1.czt "SELECT value FROM meta WHERE key = 'failed_allocs'" | tail -1 | tr -d ' ')" 1
CZPROF_FAIL_FROM=4 "$CZPROF" record -o from4.czt "$P/fault_paths" >/dev/null 2>&1
expect_eq fail_from_sticky "$?" 139   # cache (4) fails, then the buffer (5): SIGSEGV
expect_eq fail_from_counted "$("$CZPROF" sql from4.czt "SELECT value FROM meta WHERE key = 'failed_allocs'" | tail -1 | tr -d ' ')" 2

# one run per site; each outcome at its line
out=$("$CZPROF" faults -- "$P/fault_paths")
expect_eq faults_exit "$?" 0
F=tests/progs/fault_paths.c
expect_match head "$out" "5 allocation calls from 5 call sites, exit 0 without failures"
# the crash's stack comes from the recorder's fatal-signal handler: the
# strcpy just below the unchecked malloc
crash_line=$(($(line fault_paths.c crashed) + 1))
expect_match crashed "$out" "^crashed +malloc at $F:$(line fault_paths.c crashed) — unchecked: SIGSEGV in make_buffer \($F:$crash_line\)$"
expect_match leaked "$out" "^leaked +malloc at $F:$(line fault_paths.c leaked) — leaks on its error path: exit 3$"
expect_match leaked_stack "$out" "^      #0 load_names \($F:$(line fault_paths.c handled2)\)$"
expect_match leaked_bytes "$out" "^    lost 16 B in 1 block, allocated at$"
expect_match swallowed "$out" "^swallowed +malloc at $F:$(line fault_paths.c swallowed) — swallowed: exit 0, same output$"
expect_match handled "$out" "^handled +malloc at $F:$(line fault_paths.c handled) — handled: exit 2$"
expect_match handled2 "$out" "^handled +malloc at $F:$(line fault_paths.c handled2) — handled: exit 3$"
expect_eq worst_first "$(echo "$out" | awk 'NR > 3 && /^[a-z]/ { print $1 }' | tr '\n' ' ')" "crashed leaked swallowed handled handled "

# --json: the same verdicts, site by site
j=$("$CZPROF" faults --json -- "$P/fault_paths")
expect_eq json_outcomes "$(echo "$j" | json '" ".join("%s:%d" % (s["outcome"], s["line"]) for s in d["sites"])')" \
	"crashed:$(line fault_paths.c crashed) leaked:$(line fault_paths.c leaked) swallowed:$(line fault_paths.c swallowed) handled:$(line fault_paths.c handled2) handled:$(line fault_paths.c handled)"
# every JSON site has its text line: "OUTCOME  FN at FILE:LINE — ...: DETAIL"
echo "$out" >text.txt
expect_eq json_matches_text "$(echo "$j" | python3 -c '
import json, re, sys
d = json.load(sys.stdin); text = open("text.txt").read()
bad = [s["site"] for s in d["sites"] if not re.search(r"(?m)^%s +%s at %s:%d — [^:]+: %s$" % (re.escape(s["outcome"]),
       s["fn"], re.escape(s["file"]), s["line"], re.escape(s["detail"])), text)]
print(len(d["sites"]), bad)')" "5 []"
expect_eq json_leak_stack "$(echo "$j" | json '[s["leak_stacks"][0]["frames"][0] for s in d["sites"] if s["outcome"] == "leaked"][0]')" \
	"load_names ($F:$(line fault_paths.c handled2))"
expect_eq json_crash_stack "$(echo "$j" | json 'd["sites"][0]["crash_stack"][:2]')" \
	"['make_buffer ($F:$crash_line)', 'main ($F:$(grep -n 'char \*buf = make_buffer' "$SRC/$F" | cut -d: -f1))']"
expect_eq json_no_crash_stack "$(echo "$j" | json 'd["sites"][1]["crash_stack"]')" None
expect_eq json_crash_run "$(echo "$j" | json 'd["sites"][0]["runs"]')" \
	"[{'call': 5, 'outcome': 'crashed', 'exit': None, 'signal': 'SIGSEGV'}]"

# --fail: crashed and leaked sites fail CI
check_fails fail_flag "$CZPROF" faults --fail -- "$P/fault_paths"

# C++: an operator new whose bad_alloc nobody catches aborts
out=$("$CZPROF" faults -- "$P/fault_new")
expect_match new_uncaught "$out" "^crashed +operator new at tests/progs/fault_new.cc:$(line fault_new.cc new) — crashes: SIGABRT in sum \(tests/progs/fault_new.cc:$(line fault_new.cc new)\) \(std::bad_alloc not caught\)$"

# --every fails each of the 5 calls; --sites 2 keeps 2 of the 5 sites
expect_eq every_runs "$("$CZPROF" faults --json --every -- "$P/fault_paths" | json 'd["runs"]')" 5
expect_eq sites_runs "$("$CZPROF" faults --json --sites 2 -- "$P/fault_paths" | json 'd["runs"]')" 2
# --from: the cache's failure is followed by the buffer's: now a crash
j=$("$CZPROF" faults --json --from -- "$P/fault_paths")
expect_eq from_sticky "$(echo "$j" | json '[s["outcome"] for s in d["sites"] if s["line"] == '"$(line fault_paths.c swallowed)"'][0]')" crashed

# --timeout: a retry that waits forever
out=$("$CZPROF" faults --timeout 0.5 -- "$P/fault_hang")
expect_match hung "$out" "^hung +malloc at tests/progs/fault_hang.c:$(line fault_hang.c hung) — hangs: killed after 500 ms$"

# not reproducible: every run after the reference one allocates from
# another line first (-j1: the runs append to the file one at a time)
out=$("$CZPROF" faults -j1 -- "$P/fault_vary" "$WORK/count")
expect_match unrepro_prefix "$out" "^not reproducible +malloc at tests/progs/fault_vary.c:$(line fault_vary.c vary_second) — not reproducible: allocation call 1 came from another stack"
expect_match unrepro_failed_call "$out" "^not reproducible +malloc at tests/progs/fault_vary.c:$(line fault_vary.c vary_b) — not reproducible: the failed call came from another stack"

# suppressions: make_buffer aborts by design; not run, said once
printf '# fails on purpose\nleak:make_buffer\n' >supp.txt
out=$("$CZPROF" faults --suppressions supp.txt -- "$P/fault_paths")
expect_match suppressed_said "$out" "^suppressed: 1 call site not failed"
expect_eq suppressed_not_run "$(echo "$out" | grep -c '^crashed')" 0
check_fails bad_suppressions "$CZPROF" faults --suppressions /nonexistent -- "$P/fault_paths"

# --compare none: the output is not looked at; output: stderr too
expect_match compare_none "$("$CZPROF" faults --compare none -- "$P/fault_paths")" "swallowed: exit 0, unchecked output$"
check_fails bad_compare "$CZPROF" faults --compare everything -- "$P/fault_paths"
check_fails no_program "$CZPROF" faults --every

# one site reached from two stacks is one site; a failed realloc is
# recorded with its stack, so its run is judged (not "not reproducible")
out=$("$CZPROF" faults --every -- "$P/fault_realloc")
expect_match one_site "$out" "2 allocation calls from 1 call sites"
expect_match realloc_handled "$out" "^handled +realloc at tests/progs/fault_realloc.c:$(line fault_realloc.c grow) — handled: exit 4 \(2 runs: 2 handled\)$"

# a signal stops the sweep: no run outlives czprof, no scratch folder stays
mkdir -p tmp
TMPDIR=$WORK/tmp "$CZPROF" faults --timeout 100 -- "$P/fault_hang" >/dev/null 2>stop.txt &
cz=$!
sleep 1.5
kill -TERM $cz
wait $cz
expect_eq stop_exit "$?" 1
expect_match stop_says "$(cat stop.txt)" "stopped by signal 15"
sleep 0.5
expect_eq stop_no_run_left "$(pgrep -f "^$P/fault_hang\$" | wc -l)" 0
expect_eq stop_no_scratch "$(ls "$WORK/tmp" | wc -l)" 0
