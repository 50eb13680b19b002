# Heap errors: the C++ operators recorded as themselves, and `czprof errors`
# on a program that makes each error once (tests/progs/heap_errors.cc says
# which, where, and what memcheck reports).
. tests/e2e/lib.sh
P=$TESTBIN/progs
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$CZPROF" record -o he.czt --free-stacks -- "$P/heap_errors" 2>/dev/null
check errors_record_ok test -s he.czt

# stats names the operators: 7 right calls of each, plus the mismatches'
# two new and one new[]
stats=$("$CZPROF" stats he.czt 2>/dev/null)
expect_match stats_operator_new "$stats" '^  operator new +9 '
expect_match stats_operator_new_array "$stats" '^  operator new\[\] +8 '
# malloc: the 11 of the program's own malloc calls (fillers, a, b, 13, 40)
# and libstdc++'s exception pool, which its constructor makes before the
# recorder's runs (that malloc is the call that starts the recorder)
expect_match stats_malloc "$stats" '^  malloc +12 '

text=$("$CZPROF" errors --depth 3 he.czt 2>/dev/null)
expect_match errors_summary "$text" \
	'^7 heap errors: 1 invalid free, 1 double free, 1 realloc of a freed block, 4 mismatched releases$'
expect_match errors_new_free "$text" \
	'^Mismatched release: free of a block made by operator new \(11 B at 0x'
expect_match errors_array_delete "$text" \
	'^Mismatched release: operator delete of a block made by operator new\[\] \(12 B'
expect_match errors_malloc_delete "$text" \
	'^Mismatched release: operator delete of a block made by malloc \(13 B'
expect_match errors_new_array_delete "$text" \
	'^Mismatched release: operator delete\[\] of a block made by operator new \(14 B'
expect_match errors_invalid "$text" '^Invalid free: free of 0x[0-9a-f]+, which was never allocated$'
expect_match errors_realloc_freed "$text" '^Realloc of a freed block: realloc of a block already released \(40 B'
expect_match errors_double "$text" '^Double free: free of a block already released \(24 B'
# the stacks of the bad call, the allocation and the first free, with lines
expect_match errors_bad_call_line "$text" '#0  double_free \(tests/progs/heap_errors.cc:[0-9]+\)'
expect_match errors_alloc_line "$text" '#0  double_free_alloc \(tests/progs/heap_errors.cc:[0-9]+\)'
expect_match errors_first_free_line "$text" '#0  double_free_first \(tests/progs/heap_errors.cc:[0-9]+\)'
expect_match errors_realloc_first_free "$text" '#0  realloc_freed_free \(tests/progs/heap_errors.cc:[0-9]+\)'
check_fails errors_fail "$CZPROF" errors --fail he.czt
check errors_no_fail_without_flag "$CZPROF" errors he.czt

j=$("$CZPROF" errors --json he.czt 2>/dev/null)
expect_eq errors_json_total "$(printf '%s' "$j" | json 'd["total"]')" 7
expect_eq errors_json_counts "$(printf '%s' "$j" | json 'sorted(d["counts"].items())')" \
	"[('double-free', 1), ('invalid-free', 1), ('mismatch', 4), ('realloc-freed', 1)]"
expect_eq errors_json_kinds "$(printf '%s' "$j" | json '" ".join(e["kind"] for e in d["errors"])')" \
	"mismatch mismatch mismatch mismatch invalid-free realloc-freed double-free"
expect_eq errors_json_double "$(printf '%s' "$j" | json '[(e["alloc"]["fn"], e["first_free"]["call"], e["size"], e["stack"][0].split(" ")[0], e["first_free"]["stack"][0].split(" ")[0]) for e in d["errors"] if e["kind"] == "double-free"][0]')" \
	"('malloc', 'free', 24, 'double_free', 'double_free_first')"
expect_eq errors_json_invalid "$(printf '%s' "$j" | json '[(e["alloc"], e["first_free"], e["size"]) for e in d["errors"] if e["kind"] == "invalid-free"][0]')" \
	"(None, None, None)"
expect_match errors_json_file_line "$(printf '%s' "$j" | json 'd["errors"][0]["stack"][0]')" \
	'^mismatch_new_free \(tests/progs/heap_errors.cc:[0-9]+\)$'
expect_eq errors_json_note "$(printf '%s' "$j" | json 'd["note"]')" None

# without --free-stacks a free's own stack and a first free's are unknown,
# and say how to get them; an allocation's and a realloc's are there
"$CZPROF" record -o nofs.czt -- "$P/heap_errors" 2>/dev/null
text=$("$CZPROF" errors nofs.czt 2>/dev/null)
expect_match errors_nofs_summary "$text" '^7 heap errors: '
expect_eq errors_nofs_hint "$(printf '%s\n' "$text" | grep -c 'first free: stack not recorded (record --free-stacks)')" 2
expect_match errors_nofs_realloc_stack "$text" '#0  realloc_freed \(tests/progs/heap_errors.cc:[0-9]+\)'

# C programs that make no error: none reported, --fail passes
"$CZPROF" record -o var.czt -- "$P/rec_variants" 2>/dev/null
check errors_clean_fail_passes "$CZPROF" errors --fail var.czt
expect_match errors_clean_zero "$("$CZPROF" errors var.czt 2>/dev/null)" '^0 heap errors$'
# every C++ operator rightly paired (rec_cxx): no error either, and its
# 10 new int + the vector's buffer, 3 new char[] named as such
"$CZPROF" record -o cxx.czt -- "$P/rec_cxx" 2>/dev/null
check errors_cxx_clean "$CZPROF" errors --fail cxx.czt
stats=$("$CZPROF" stats cxx.czt 2>/dev/null)
expect_match cxx_operator_new "$stats" '^  operator new +11 '
expect_match cxx_operator_new_array "$stats" '^  operator new\[\] +3 '

# operator new throws std::bad_alloc through the recorder as it does
# without it, and recording goes on after: the one new that worked is
# there, and 5 mallocs: libstdc++'s exception pool, the program's, and the
# three exceptions' objects (libstdc++ allocates each with malloc; the
# nothrow new catches its own)
check bad_alloc_native "$P/heap_errors" bad_alloc
check bad_alloc_recorded "$CZPROF" record -o bad.czt -- "$P/heap_errors" bad_alloc
stats=$("$CZPROF" stats bad.czt 2>/dev/null)
expect_match bad_alloc_new_after "$stats" '^  operator new +1 +16 B'
expect_match bad_alloc_malloc_after "$stats" '^  malloc +5 '
check bad_alloc_no_errors "$CZPROF" errors --fail bad.czt

# a forked child frees a block of its parent's: its trace never saw the
# allocation and says so (not whole), so that is no error; its own
# mismatch is one
"$CZPROF" record -o fork.czt --follow-fork -- "$P/heap_errors" fork 2>/dev/null
child=$(ls fork.*.czt 2>/dev/null | head -n 1)
check errors_fork_child_trace test -n "$child"
ctext=$("$CZPROF" errors "$child" 2>/dev/null)
expect_match errors_fork_child_one "$ctext" '^1 heap error: 1 mismatched release$'
expect_match errors_fork_child_note "$ctext" '^note: recording did not see the process from its start'
check errors_fork_parent_clean "$CZPROF" errors --fail fork.czt
expect_eq errors_fork_child_unmatched "$("$CZPROF" sql "$child" "SELECT value FROM meta WHERE key = 'unmatched_frees'" 2>/dev/null | tail -n 1 | tr -d ' ')" 1

# recording starts at the first intercepted call, so even libstdc++'s
# exception pool, made by its constructor before the recorder's, is
# recorded: the image is whole and lists no block held before recording
# began (the early-block list is left for calls ld.so makes before libc
# has set environ); a trace of format before 3.4 says nothing of it, and
# then no unknown free is an error (the note says why)
expect_match errors_early_listed "$("$CZPROF" dump he.czt 2>/dev/null)" 'image t=[0-9]+ exe=[^ ]*heap_errors cmdline="[^"]*" flags=1 early=0'

# a recorder loaded late (dlopen) never saw the program's first blocks:
# its trace says so (not whole), and no free of an unknown block counts
CZPROF_OUTPUT="$WORK/late.czt" python3 -c 'import ctypes, os
ctypes.CDLL(os.environ["CZPROF_LIB"], mode=ctypes.RTLD_GLOBAL)'
expect_match errors_late_not_whole "$("$CZPROF" dump late.czt 2>/dev/null)" 'image t=[0-9]+ exe=[^ ]*python[^ ]* cmdline=.* flags=0 early=0'

# memcheck finds the same errors at the same lines
if command -v valgrind >/dev/null 2>&1; then
	valgrind "$P/heap_errors" >/dev/null 2>vg.txt
	expect_eq memcheck_mismatched "$(grep -c 'Mismatched free() / delete / delete \[\]' vg.txt)" 4
	expect_eq memcheck_invalid "$(grep -c 'Invalid free() / delete / delete\[\] / realloc()' vg.txt)" 3
	# the line of the bad call: the first heap_errors.cc frame under each
	# error's header, in order; czprof's stacks start at that line
	vg_lines=$(awk '/(Mismatched|Invalid) free\(\)/ {want=1; next}
		want && /heap_errors.cc:[0-9]+/ {match($0, /heap_errors.cc:[0-9]+/); print substr($0, RSTART, RLENGTH); want=0}' vg.txt)
	cz_lines=$(printf '%s' "$j" | json '"\n".join(e["stack"][0].split("/")[-1].rstrip(")") for e in d["errors"])')
	expect_eq memcheck_same_lines "$(printf '%s\n' "$cz_lines" | sort)" "$(printf '%s\n' "$vg_lines" | sort)"
else
	ok memcheck_skipped_not_installed
fi
