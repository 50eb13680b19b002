# Leak kinds (memcheck's): programs whose every block's kind is known,
# checked against what is written in them and, where valgrind is
# installed, against memcheck on the same program.
. tests/e2e/lib.sh
P=$TESTBIN/progs
q() { "$CZPROF" sql "$1" "$2" 2>&1 | tail -n +2 | tr -s ' ' | sed 's/^ //; s/ $//' | tr '\n' ';'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$CZPROF" record -o lk.czt "$P/leak_kinds" "$P/libleak_holder.so" register >/dev/null 2>&1
got=$(q lk.czt "SELECT size || ' ' || kind || COALESCE(' ' || heuristic, '') FROM leaks WHERE size BETWEEN 1000 AND 1200 ORDER BY size")
expect_eq definite_dropped "$(echo "$got" | tr ';' '\n' | grep '^1001 ')" "1001 definite"
expect_eq tree_root_definite "$(echo "$got" | tr ';' '\n' | grep '^1010 ')" "1010 definite"
expect_eq tree_children_indirect "$(echo "$got" | tr ';' '\n' | grep -c '^101[123] indirect')" 3
expect_eq tree_indirect_bytes "$(q lk.czt "SELECT indirect_bytes FROM leaks WHERE size = 1010")" "3036;"
expect_eq interior_only_possible "$(echo "$got" | tr ';' '\n' | grep '^1020 ')" "1020 possible"
expect_eq severed_parent_reachable "$(echo "$got" | tr ';' '\n' | grep -c '^103[01] reachable')" 2
expect_eq severed_subtree_definite "$(echo "$got" | tr ';' '\n' | grep '^1032 ')" "1032 definite"
expect_eq severed_grandchild_indirect "$(echo "$got" | tr ';' '\n' | grep '^1033 ')" "1033 indirect"
expect_eq cycle_one_leader "$(echo "$got" | tr ';' '\n' | grep '^104[01] ' | cut -d' ' -f2 | sort | tr '\n' ' ')" "definite indirect "
expect_eq other_thread_stack "$(echo "$got" | tr ';' '\n' | grep '^1050 ')" "1050 reachable"
expect_eq tls_main_thread "$(echo "$got" | tr ';' '\n' | grep '^1060 ')" "1060 reachable"
expect_eq tls_other_thread "$(echo "$got" | tr ';' '\n' | grep '^1061 ')" "1061 reachable"
expect_eq dlopened_data "$(echo "$got" | tr ';' '\n' | grep '^1070 ')" "1070 reachable"
expect_eq register_only "$(echo "$got" | tr ';' '\n' | grep '^1080 ')" "1080 reachable"
expect_eq length64_heuristic "$(echo "$got" | tr ';' '\n' | grep '^1098 ')" "1098 reachable length64"
expect_eq possible_chain "$(echo "$got" | tr ';' '\n' | grep -c '^110[01] possible')" 2

# the report: lost blocks by default, every kind on request, one summary
out=$("$CZPROF" leaks lk.czt)
expect_match leaks_summary_line "$out" "^leak summary: definitely lost 4.0 KiB in 4 blocks, indirectly lost 5.0 KiB in 5 blocks, possibly lost [0-9.]+ KiB in [0-9]+ blocks, still reachable"
expect_match leaks_lists_definite "$out" "^ +1001 B +1  definite +make_lost \(tests/progs/leak_kinds.c:[0-9]+\)$"
expect_match leaks_indirect_note "$out" "^ +3\.0 KiB +3  definite +node \(tests/progs/leak_kinds.c:[0-9]+\)  \(\+5\.0 KiB indirect\)$"
expect_eq leaks_default_no_reachable "$(echo "$out" | grep -c ' reachable  ')" 0
expect_match leaks_kinds_all "$("$CZPROF" leaks --kinds all -n 0 lk.czt)" "reachable +main \(tests/progs/leak_kinds.c"
expect_match leaks_kinds_possible "$("$CZPROF" leaks --kinds possible -n 0 lk.czt)" "possible +make_interior"
check_fails leaks_kinds_bad "$CZPROF" leaks --kinds sometimes lk.czt
expect_match leaks_kinds_bad_msg "$(cat "$WORK/.out")" "'sometimes' is not a leak kind"
check_fails leaks_fail_on_lost "$CZPROF" leaks --fail lk.czt
j=$("$CZPROF" leaks --json lk.czt)
expect_eq json_kinds_definite "$(echo "$j" | json 'd["kinds"]["definite"]["bytes"], d["kinds"]["definite"]["blocks"]')" "4083 4"
expect_eq json_kinds_indirect "$(echo "$j" | json 'd["kinds"]["indirect"]["bytes"], d["kinds"]["indirect"]["blocks"]')" "5110 5"
expect_eq json_leak_kinds "$(echo "$j" | json 'd["leak_kinds"]')" scanned
expect_eq json_sites_kinds "$(echo "$j" | json '",".join(sorted(set(s["kind"] for s in d["sites"])))')" "definite,indirect"
expect_eq json_stack_kind "$(echo "$j" | json 'all(st["kind"] == s["kind"] for s in d["sites"] for st in s["stacks"])')" True
# JSON is for machines: every stack of a site, not only its biggest (the
# text shows one and says how many more)
expect_eq json_every_stack "$(echo "$j" | json '[(s["n_stacks"], len(s["stacks"])) for s in d["sites"] if s["site"].startswith("node ")]')" "[(3, 3), (5, 5)]"
expect_match text_more_stacks "$out" "\(4 more stacks; --full-stacks shows them\)"
expect_eq json_leaked_is_lost "$(echo "$j" | json 'd["leaked_bytes"]')" 9193

# the same definition in the other reports (the demo's 23,842 bytes in
# 1,001 blocks; its stdio buffer, still reachable, counts nowhere)
"$CZPROF" record -o demo.czt "$TESTBIN/../examples/demo" >/dev/null 2>&1
expect_match one_leaks "$("$CZPROF" leaks demo.czt)" "23.3 KiB in 1001 blocks leaked from 3 sites"
expect_match one_stats "$("$CZPROF" stats demo.czt)" "leaked +23.3 KiB in 1001 blocks \(definitely and indirectly lost\)"
expect_eq one_flamegraph "$("$CZPROF" flamegraph --metric leaked --folded -o - demo.czt | awk '{ s += $NF } END { print s }')" 23842
expect_eq one_diff "$("$CZPROF" diff --json demo.czt demo.czt | json 'd["leaked_bytes"]')" "[23842, 23842]"
expect_match one_top "$(timeout 60 "$CZPROF" top --batch 1 --view leaks demo.czt)" "LEAKS: 23.3 KiB in 1,001 blocks lost"

expect_eq db_leaked_meta "$(q lk.czt "SELECT value FROM meta WHERE key = 'leaked_bytes'")" "9193;"
expect_eq stack_totals_leaked "$(q lk.czt "SELECT SUM(leaked_bytes) FROM stack_totals")" "9193;"
expect_match stats_leaked "$("$CZPROF" stats lk.czt)" "leaked +9\.0 KiB in 9 blocks"

top_leaks() { timeout 60 "$CZPROF" top --batch 1 --view leaks "$1" 2>&1; }
expect_match top_final_lost "$(top_leaks lk.czt)" "LEAKS: 8.98 KiB in 9 blocks lost \(definitely 3.99 KiB, indirectly 4.99 KiB\)"
expect_match top_final_site "$(top_leaks lk.czt)" "8.00 KiB +8 +10 +0 +node \(tests/progs/leak_kinds.c:[0-9]+\)"
expect_eq top_final_no_reachable "$(top_leaks lk.czt | grep -c 'main (tests/progs/leak_kinds.c')" 0

# C++: memcheck's default heuristics.  The 72,704 B block is libstdc++'s
# exception pool, allocated by its constructor (recorded since the recorder
# starts at the first call it intercepts) and held by libstdc++ to the end:
# reachable (memcheck frees it through __libc_freeres and shows nothing)
"$CZPROF" record -o cxx.czt "$P/leak_kinds_cxx" >/dev/null 2>&1
got=$(q cxx.czt "SELECT size || ' ' || kind || COALESCE(' ' || heuristic, '') FROM leaks ORDER BY size")
expect_eq cxx_heuristics "$got" "8 reachable;40 reachable multipleinheritance;88 reachable newarray;225 reachable stdstring;1234 definite;72704 reachable;"

# no scan: the kinds are unknown, said so, and every block counts
CZPROF_SCAN=0 "$CZPROF" record -o noscan.czt "$P/leak_kinds" "$P/libleak_holder.so" >/dev/null 2>&1
out=$("$CZPROF" leaks noscan.czt)
expect_match noscan_says_unknown "$out" "leak kinds unknown: memory was not scanned at exit"
expect_eq noscan_json "$("$CZPROF" leaks --json noscan.czt | json 'd["leak_kinds"], d["kinds"]')" "unknown None"
"$CZPROF" record --no-scan -o noscan2.czt "$P/leak_kinds" >/dev/null 2>&1
expect_match record_no_scan "$("$CZPROF" leaks noscan2.czt)" "leak kinds unknown: memory was not scanned at exit"
expect_match noscan_top "$(top_leaks noscan.czt)" "never freed \(leak kinds unknown: memory was not scanned at exit\)"
"$CZPROF" record -o killed.czt "$P/rec_kill" "$WORK/count" >/dev/null 2>&1 &
recpid=$!
sleep 1
pkill -KILL -P $recpid
wait $recpid
expect_match killed_says_unknown "$("$CZPROF" leaks killed.czt)" "leak kinds unknown: memory was not scanned at exit"

# a program that ends with _exit is scanned too
"$CZPROF" record -o ue.czt "$P/leak_kinds" "$P/libleak_holder.so" _exit >/dev/null 2>&1
expect_eq underscore_exit_scanned "$(q ue.czt "SELECT size || ' ' || kind FROM leaks WHERE size IN (1001, 1020, 1030, 1050) ORDER BY size")" "1001 definite;1020 possible;1030 reachable;1050 reachable;"

# the scan is there once
expect_match scan_end_present "$("$CZPROF" dump --summary lk.czt 2>/dev/null)" "scan-end 1"

# memcheck on the same programs: the same lost figures
if command -v valgrind >/dev/null 2>&1; then
	mc() { valgrind --leak-check=full --show-leak-kinds=all "$@" 2>&1 >/dev/null |
		sed -n 's/^==[0-9]*== *\(definitely\|indirectly\) lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks/\1 \2 \3/p' |
		tr -d ',' | tr '\n' ';'; }
	ours() { "$CZPROF" leaks --json "$1" | json '"definitely %d %d;indirectly %d %d;" % (d["kinds"]["definite"]["bytes"], d["kinds"]["definite"]["blocks"], d["kinds"]["indirect"]["bytes"], d["kinds"]["indirect"]["blocks"])'; }
	expect_eq memcheck_leak_kinds "$(ours lk.czt)" "$(mc "$P/leak_kinds" "$P/libleak_holder.so" register)"
	expect_eq memcheck_leak_kinds_cxx "$(ours cxx.czt)" "$(mc "$P/leak_kinds_cxx")"
	expect_eq memcheck_demo "$(ours demo.czt)" "$(mc "$TESTBIN/../examples/demo")"
else
	echo "SKIP: kinds/memcheck: valgrind is not installed"
fi

# Debian's own programs leak nothing by memcheck's rules: leaks --fail passes
deb() { name=$1; shift
	if ! command -v "$1" >/dev/null 2>&1; then echo "SKIP: kinds/debian_$name: $1 is not installed"; return; fi
	"$CZPROF" record -o "$name.czt" -- "$@" >/dev/null 2>&1 </dev/null
	check "debian_${name}_no_lost_blocks" "$CZPROF" leaks --fail "$name.czt"
	expect_eq "debian_${name}_scanned" "$(q "$name.czt" "SELECT value FROM meta WHERE key = 'leak_kinds'")" "scanned;"
}
printf '{"a": [1, 2, 3], "b": "x"}\n' >in.json
deb jq jq .a in.json
deb sqlite3 sqlite3 :memory: "CREATE TABLE t(a); INSERT INTO t VALUES (1); SELECT * FROM t;"
head -c 200000 /dev/urandom | od -An -tx1 >in.txt
deb xz xz -6 -k -c in.txt
deb python3 /usr/bin/python3 -c 'import json; print(json.dumps({"a": [1, 2, 3]}))'
if command -v git >/dev/null 2>&1; then
	git init -q repo && for i in 1 2 3; do echo "$i" >>repo/f; git -C repo add f; git -C repo -c user.name=t -c user.email=t@t commit -qm "c$i"; done
	deb git git -C repo log --stat -p
fi
