# czprof load and czprof leaks on programs with exactly known behaviour.
. tests/e2e/lib.sh
P=$TESTBIN/progs
q() { sqlite3 "$1.db" "$2"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$CZPROF" record -o ex.czt "$P/rec_exact" 2>/dev/null
check load_runs "$CZPROF" load ex.czt
expect_match load_times "$("$CZPROF" load --times ex.czt 2>&1)" "czprof: +rows +[0-9.]+ s"
expect_eq load_db_mode "$(stat -c %a ex.czt.db)" 600
expect_eq load_allocations "$(q ex.czt 'select count(*) from allocations')" 1007
expect_eq load_leaked "$(q ex.czt 'select count(*) || " " || sum(size) from leaks')" "7 777"
expect_eq load_peak "$(q ex.czt "select group_concat(value, ' ') from meta where key in ('peak_bytes','peak_blocks') order by key")" "7 777"
expect_eq load_temporary "$(q ex.czt 'select count(*) from allocations where temporary = 1')" 1000
expect_eq load_end "$(q ex.czt "select value from meta where key = 'end_how'")" exit
expect_eq load_leak_line "$(q ex.czt "select distinct f.function || ':' || f.line from leaks l join stack_nodes n on n.id = l.stack join frames f on f.ip = n.ip and f.idx = 0")" "leak_some:19"

# leaks: the site, its figures, JSON that parses and agrees
out=$("$CZPROF" leaks ex.czt)
expect_match leaks_site "$out" "777 B +7  definite +leak_some \(tests/progs/rec_exact.c:19\)"
expect_match leaks_totals "$out" "777 B in 7 blocks leaked from 1 site"
j=$("$CZPROF" leaks --json ex.czt)
expect_eq leaks_json_bytes "$(echo "$j" | json 'd["leaked_bytes"]')" 777
expect_eq leaks_json_site "$(echo "$j" | json 'd["sites"][0]["site"]')" "leak_some (tests/progs/rec_exact.c:19)"
expect_eq leaks_json_caller "$(echo "$j" | json 'd["sites"][0]["stacks"][0]["frames"][1]')" "main (tests/progs/rec_exact.c:28)"
check_fails leaks_fail_flag "$CZPROF" leaks --fail ex.czt
# frame-pointer unwinding (the test programs keep frame pointers): same sites
"$CZPROF" record --unwind fp -o fp.czt "$P/rec_exact" 2>/dev/null
out=$("$CZPROF" leaks fp.czt)
expect_match unwind_fp_site "$out" "777 B +7  definite +leak_some \(tests/progs/rec_exact.c:19\)"
expect_match unwind_fp_caller "$out" "#1  main \(tests/progs/rec_exact.c:28\)"
check_fails unwind_bad_value "$CZPROF" record --unwind sideways -o bad.czt "$P/rec_exact"
"$CZPROF" record -o var.czt "$P/rec_variants" 2>/dev/null
check leaks_fail_flag_clean "$CZPROF" leaks --fail var.czt
expect_eq realloc_chain "$(q var.czt "select a.fn || '<-' || b.fn from allocations a join allocations b on a.realloc_from = b.id")" "realloc<-calloc"

# suppressions: user file and the built-in stdio buffer, both shown
echo "leak:leak_some" >supp
out=$("$CZPROF" leaks --suppressions supp ex.czt)
expect_match suppression_moves_site "$out" "suppressed: 777 B in 7 blocks from 1 site"
check leaks_fail_suppressed "$CZPROF" leaks --fail --suppressions supp ex.czt
echo "leak:^leak_*e$" >wild
expect_match suppression_wildcard "$("$CZPROF" leaks --suppressions wild ex.czt)" "suppressed: 777 B in 7 blocks from 1 site"
echo "leak:^leak_$" >nomatch
expect_match suppression_anchored_miss "$("$CZPROF" leaks --suppressions nomatch ex.czt)" "777 B in 7 blocks leaked from 1 site"
echo "bogus line" >badsupp
check_fails bad_suppression_file "$CZPROF" leaks --suppressions badsupp ex.czt
expect_match bad_suppression_line "$(cat "$WORK/.out")" "badsupp:1: expected 'leak:PATTERN'"
"$CZPROF" record -o demo.czt "$TESTBIN/../examples/demo" >/dev/null 2>&1
out=$("$CZPROF" leaks demo.czt)
expect_match demo_lookup_site "$out" "11.7 KiB +500  indirect +lookup \(examples/demo.c:25\)"
expect_match demo_table_site "$out" "8.0 KiB +1  definite +main \(examples/demo.c:67\)  \(\+15.3 KiB indirect\)"
expect_match demo_stdio_suppressed "$("$CZPROF" leaks --kinds all demo.czt)" "4.0 KiB +1  main \(examples/demo.c:80\)  \[_IO_file_doallocate\]"

# the database is reused while the trace is unchanged, rebuilt when it changes
before=$(stat -c %Y.%s ex.czt.db; ls -i ex.czt.db | cut -d' ' -f1)
sleep 1
"$CZPROF" leaks ex.czt >/dev/null
expect_eq db_reused "$(stat -c %Y.%s ex.czt.db; ls -i ex.czt.db | cut -d' ' -f1)" "$before"
touch ex.czt
"$CZPROF" leaks ex.czt >/dev/null
inode=$(ls -i ex.czt.db | cut -d' ' -f1)
if [ "$inode" != "$(echo "$before" | tail -n 1)" ]; then ok db_rebuilt_when_trace_changes; else bad db_rebuilt_when_trace_changes "same file"; fi

# four threads freeing each other's blocks: no false leaks or unmatched frees
"$CZPROF" record -o thr.czt "$P/rec_threads" 2>/dev/null
"$CZPROF" load thr.czt 2>/dev/null
expect_eq threads_unmatched "$(q thr.czt "select value from meta where key='unmatched_frees'")" 0
expect_eq threads_conflicts "$(q thr.czt "select value from meta where key='address_conflicts'")" 0
expect_eq threads_cross_frees "$(q thr.czt 'select count(*) from allocations where free_tid != tid')" 80000

# bad input: one line, non-zero, no database left behind
cp /etc/passwd notatrace.czt
check_fails not_a_trace "$CZPROF" leaks notatrace.czt
expect_match not_a_trace_message "$(cat "$WORK/.out")" "^czprof: 'notatrace.czt': not a czprof trace$"
expect_eq not_a_trace_no_db "$(ls notatrace.czt.db* 2>/dev/null | wc -l)" 0
check_fails missing_trace "$CZPROF" leaks nothing.czt
check_fails bad_flag "$CZPROF" leaks --bogus ex.czt
size=$(stat -c %s ex.czt)
head -c $((size * 2 / 3)) ex.czt >cut.czt
"$CZPROF" leaks cut.czt >cut.out 2>cut.err
expect_eq cut_trace_status $? 0
expect_match cut_trace_warning "$(cat cut.err)" "trace cut at byte [0-9]+"
expect_match cut_trace_noted "$(cat cut.out)" "the trace was cut"

# peak: the exact figures and the sites held at that instant
out=$("$CZPROF" peak ex.czt)
expect_match peak_line "$out" "peak: 777 B in 7 blocks at "
expect_match peak_site "$out" "777 B +7  leak_some \(tests/progs/rec_exact.c:19\)"
j=$("$CZPROF" peak --json demo.czt)
expect_eq peak_json_sites_sum "$(echo "$j" | json 'sum(s["bytes"] for s in d["sites"]) == d["peak_bytes"]')" True
expect_eq peak_json_top "$(echo "$j" | json 'd["sites"][0]["site"]')" "make_text (examples/demo.c:48)"
expect_eq peak_json_text_buffer "$(echo "$j" | json 'd["sites"][0]["bytes"]')" 40001

# sql: read-only, table / json / csv
expect_eq sql_table "$("$CZPROF" sql ex.czt "select fn, count(*) n from allocations group by fn" | tail -n 1 | tr -s ' ')" "malloc 1007"
expect_eq sql_json "$("$CZPROF" sql --json ex.czt "select count(*) as n from leaks" | json 'd[0]["n"]')" 7
expect_eq sql_csv "$("$CZPROF" sql --csv ex.czt "select 'a,b' as x, 2 as y" | tail -n 1)" '"a,b",2'
check_fails sql_no_writes "$CZPROF" sql ex.czt "delete from allocations"
check_fails sql_no_attach "$CZPROF" sql ex.czt "attach 'other.db' as o"
expect_eq sql_still_there "$("$CZPROF" sql --csv ex.czt "select count(*) from allocations" | tail -n 1)" 1007
check_fails sql_bad_query "$CZPROF" sql ex.czt "select x from nowhere"
expect_match sql_bad_query_message "$(cat "$WORK/.out")" "^czprof: sql: no such table: nowhere"
# sql: one clear line for an empty query, a write, and a second statement
# (refused whole: the first is not run alone)
check_fails sql_empty "$CZPROF" sql ex.czt ""
expect_eq sql_empty_message "$(cat "$WORK/.out")" "czprof: sql: empty query"
check_fails sql_write "$CZPROF" sql ex.czt "DROP TABLE allocations"
expect_match sql_write_message "$(cat "$WORK/.out")" "^czprof: sql: read-only: only queries that read"
check_fails sql_two_statements "$CZPROF" sql ex.czt "SELECT 1; DROP TABLE allocations"
expect_eq sql_two_statements_message "$(cat "$WORK/.out")" \
	"czprof: sql: one statement only; found more after the first: 'DROP TABLE allocations'"
expect_eq sql_trailing_semicolon "$("$CZPROF" sql --csv ex.czt "SELECT 41 + 1; -- done" | tail -n 1)" 42

# hotspots and temporary: call sites by count
out=$("$CZPROF" hotspots ex.czt)
expect_match hotspots_top "$out" "1000 +31.2 KiB  make_pair \(tests/progs/rec_exact.c:11\)"
expect_match hotspots_second "$out" "7 +777 B  leak_some \(tests/progs/rec_exact.c:19\)"
expect_match hotspots_total "$out" "1007 allocations, 32.0 KiB, from 2 sites"
j=$("$CZPROF" temporary --json ex.czt)
expect_eq temporary_json_count "$(echo "$j" | json 'd["count"]')" 1000
expect_eq temporary_json_site "$(echo "$j" | json 'd["sites"][0]["site"]')" "make_pair (tests/progs/rec_exact.c:11)"
expect_eq temporary_none_in_leaks "$(echo "$j" | json 'len(d["sites"])')" 1
check_fails hotspots_bad_flag "$CZPROF" hotspots --bogus ex.czt

# stats: exact figures of a known run
j=$("$CZPROF" stats --json var.czt)
expect_eq stats_allocations "$(echo "$j" | json 'd["allocations"]')" 9
expect_eq stats_each_function_once "$(echo "$j" | json 'sorted(set(v["calls"] for v in d["functions"].values()))')" "[1]"
expect_eq stats_functions "$(echo "$j" | json 'len(d["functions"])')" 9
expect_eq stats_total_bytes "$(echo "$j" | json 'd["total_bytes"]')" 630
expect_eq stats_end "$(echo "$j" | json 'd["end_how"] + " " + str(d["end_value"])')" "exit 0"
expect_eq stats_histogram_total "$(echo "$j" | json 'sum(b["count"] for b in d["size_histogram"])')" 9
j=$("$CZPROF" stats --json thr.czt)
expect_eq stats_threads "$(echo "$j" | json 'sorted(t["allocations"] for t in d["threads"])[1:]')" "[20000, 20000, 20000, 20000]"
expect_match stats_text "$("$CZPROF" stats ex.czt)" "leaked +777 B in 7 blocks"
# sizes on the edges of the power-of-two buckets: 15|16, 31|32, 63|64,
# 1023|1024 and 8191|8192
"$CZPROF" record -o sizes.czt "$P/sizes" 0 1 2 3 4 15 16 24 31 32 63 64 1023 1024 8191 8192 2>/dev/null
j=$("$CZPROF" stats --json sizes.czt)
expect_eq stats_histogram_edges "$(echo "$j" | json '" ".join("%d:%d" % (b["from"], b["count"]) for b in d["size_histogram"])')" \
	"0:1 1:1 2:2 4:1 8:1 16:3 32:2 64:1 512:1 1024:1 4096:1 8192:1"
expect_eq stats_histogram_json_to "$(echo "$j" | json '[b.get("to") for b in d["size_histogram"]]')" \
	"[0, 1, 3, 7, 15, 31, 63, 127, 1023, 2047, 8191, 16383]"
expect_eq stats_histogram_table "$(q sizes.czt "select group_concat(size_from || '-' || size_to || ':' || count, ' ') from (select * from size_histogram order by size_from)")" \
	"0-0:1 1-1:1 2-3:2 4-7:1 8-15:1 16-31:3 32-63:2 64-127:1 512-1023:1 1024-2047:1 4096-8191:1 8192-16383:1"
out=$("$CZPROF" stats sizes.czt)
expect_match stats_histogram_text_24 "$out" "^  16 B - 31 B +3  #+$"
expect_match stats_histogram_text_64 "$out" "^  64 B - 127 B +1  #+$"
expect_match stats_histogram_text_0 "$out" "^  0 B +1  #+$"
expect_match stats_histogram_text_kib "$out" "^  4.0 KiB - < 8.0 KiB +1  #+$"
expect_match stats_histogram_text_1023 "$out" "^  512 B - 1023 B +1  #+$"

# exec keeps the pid: the new image continues the same trace, and blocks
# of the old image are gone (not leaks)
"$CZPROF" record -o exec.czt sh -c "exec $P/rec_exact" 2>/dev/null
expect_match exec_marker "$("$CZPROF" dump exec.czt)" "process-end .*how=exec"
j=$("$CZPROF" leaks --json exec.czt)
expect_eq exec_leaks_of_new_image "$(echo "$j" | json 'd["leaked_bytes"]')" 777
expect_eq exec_leak_site "$(echo "$j" | json 'd["sites"][0]["site"]')" "leak_some (tests/progs/rec_exact.c:19)"
expect_eq exec_calls "$("$CZPROF" sql --csv exec.czt "select calls from fn_totals where fn = 'malloc'" | tail -n 1)" \
	"$(( $("$CZPROF" sql --csv exec.czt "select count(*) from allocations where fn = 'malloc'" | tail -n 1) ))"

# A trace is loaded streaming: paired and inserted while it is read; the
# events of several threads merged as they come.  It must give the
# database the plain load gives, table by table.
"$CZPROF" record -o dl.czt "$P/rec_dlopen" "$P/librec_plugin.so" 2>/dev/null
"$CZPROF" record -o ar.czt "$P/cz_arenas" >/dev/null 2>&1
same_db() { # name trace [VAR=value...: the streamed load's environment]
	name=$1 trace=$2
	shift 2
	rm -f s.czt* p.czt*
	cp "$trace" s.czt && cp "$trace" p.czt
	# the plain load's rows all wait for their frees: none goes in early
	if ! env "$@" "$CZPROF" load --times s.czt 2>s.log ||
		! CZPROF_LOAD_STREAM=0 CZPROF_LOAD_EARLY_LEAD=4000000000 "$CZPROF" load p.czt 2>/dev/null ||
		[ "$(q s.czt "select count(*) from sqlite_master where name = 'allocations'")" != 1 ]; then
		bad "stream_same_db_$name" "a load failed: $(tail -n 3 s.log)"
		return
	fi
	diff=""
	for t in $(sqlite3 s.czt.db "select name from sqlite_master where type = 'table'"); do
		w="1"
		[ "$t" = meta ] && w="key not in ('trace_path', 'trace_mtime_ns')"
		n=$(sqlite3 s.czt.db "attach 'p.czt.db' as p;
			select (select count(*) from (select * from main.$t where $w except select * from p.$t where $w))
			     + (select count(*) from (select * from p.$t where $w except select * from main.$t where $w))
			     + abs((select count(*) from main.$t) - (select count(*) from p.$t))")
		[ "$n" = 0 ] || diff="$diff $t:$n"
	done
	expect_eq "stream_same_db_$name" "$diff" ""
}
for x in ex fp var exec dl ar; do
	same_db "$x" "$x.czt"
	expect_eq "stream_used_$x" "$(grep -c 'loading again' s.log)" 0
	# czprof record's footer tells the duration: the frees leave memory once paired
	expect_match "stream_drops_frees_$x" "$(cat s.log)" "[0-9]+ frees dropped once paired"
done
# a trace big enough for the page helper (cli/prefault.c) streams to the
# database the plain load gives
"$CZPROF" record -o big.czt "$P/load_big" 2>/dev/null
same_db big big.czt
expect_match stream_helper_big "$(cat s.log)" "a helper maps the arrays' pages ahead"
expect_match stream_drops_frees_big "$(cat s.log)" "2000000 frees dropped once paired"
# its rows are inserted soon after they are made: their pages are reused
expect_match stream_reuses_pages_big "$(cat s.log)" "[1-9][0-9]* MiB of pages reused behind the inserts"
expect_eq big_leak "$(q s.czt "select count(*) || ' ' || sum(size) from leaks")" "1 4321"
expect_eq big_allocations "$(q s.czt "select count(*) from allocations")" 2000001
# a block kept to the end, made once the inserts have moved: they wait for
# it while the pairing runs far ahead, stops waiting for them, and goes on
"$CZPROF" record -o held.czt "$P/load_big" 2000000 100000 2>/dev/null
same_db held held.czt
expect_eq held_allocations "$(q s.czt "select count(*) from allocations")" 2000002
expect_eq held_block "$(q s.czt "select size, free_seq > (select max(alloc_seq) from allocations where size != 4321) from allocations where id = 100001")" "100|1"
# ... and rather than wait for it, the inserts put its row in early (its
# page is then reused) and set its free at the end
expect_match held_early "$(cat s.log)" "1 long-lived rows went in before their end, 1 ended later"
# rows put in early as soon as the pairing is a few rows ahead (how many
# depends on how the two threads run), some ended later by an exec or
# another thread: the table is the same
for x in exec thr; do
	same_db "early_$x" "$x.czt" CZPROF_LOAD_EARLY_LEAD=4
done
# a big trace of 16 threads streams merged, with the page helper: 16 x
# 150,000 + 160 leaked + 200 x 1,000 + 16 thread DTVs
"$CZPROF" record -o stress.czt "$P/rel_stress" 150000 2>/dev/null
# (with 16 threads on 2 cores, one may wait so long for a core that its
# events come too late to merge: then the plain load follows)
same_db stress stress.czt
expect_eq merged_helper_stress "$(grep -A1 "merging the threads' events" s.log | grep -c 'a helper maps')" 1
cp s.czt.db stress.czt.db
expect_eq plain_stress_allocs "$(q stress.czt "select count(*) from allocations")" 2600176
# never freed: 160 from leak_some, lost or (when a stale copy of a freed
# pointer now points at one, as glibc reuses addresses) still reachable
expect_eq plain_stress_leak_site "$("$CZPROF" leaks --kinds all --json stress.czt | json 'sum(s["blocks"] for s in d["sites"] if s["site"] == "leak_some (tests/progs/rel_stress.c:40)")')" 160
# a long command line is cut in a report's first line, kept whole in meta
long=$(printf 'arg%03d ' $(seq 60))
"$CZPROF" record -o long.czt sh -c ':' $long 2>/dev/null
first=$("$CZPROF" stats long.czt | head -n 1)
expect_match long_cmdline_cut "$first" "^czprof stats: sh -c : arg001 .*\\.\\.\\. \\(pid [0-9]+\\), trace long.czt$"
expect_eq long_cmdline_header_width "$([ ${#first} -lt 170 ] && echo short || echo "${#first} chars")" short
expect_eq long_cmdline_kept "$(q long.czt "select length(value) from meta where key = 'cmdline'")" 427
# an argument with a newline and a tab: the first line stays one line
"$CZPROF" record -o nl.czt sh -c ':
	: two' 2>/dev/null
expect_match cmdline_newline_one_line "$("$CZPROF" stats nl.czt | head -n 1)" "^czprof stats: sh -c :  : two \(pid [0-9]+\), trace nl.czt$"
"$CZPROF" export --format massif -o nl.massif nl.czt 2>/dev/null
expect_eq cmdline_newline_massif "$(sed -n 2,3p nl.massif)" "cmd: sh -c :  : two
time_unit: ms"
# killed by a signal: the recorder's own end record sets the duration, so
# the frees stay for the live-heap pass after the pairing
"$CZPROF" record -o sig.czt sh -c 'x=$(echo a b c); kill -SEGV $$' 2>/dev/null
same_db sig sig.czt
expect_eq stream_used_sig "$(grep -c 'loading again' s.log)" 0
expect_eq stream_keeps_frees_sig "$(grep -c 'frees dropped' s.log)" 0
same_db threads thr.czt
expect_match stream_merges_threads "$(cat s.log)" "a second thread: loading again, merging the threads' events"
expect_eq stream_merged_threads "$(grep -c 'without streaming' s.log)" 0
expect_match stream_merged_drops_frees "$(cat s.log)" "[0-9]+ frees dropped once paired"
# without the footer's duration the merged events are all kept, and the
# live heap walked after the pairing
same_db threads_keep thr.czt CZPROF_LOAD_KEEP_FREES=1
expect_eq stream_merged_keeps_frees "$(grep -c 'without streaming\|frees dropped' s.log)" 0
# a thread's chunk that comes after the merge handed out later events (here:
# it waits for none) makes the load start again the plain way
same_db late thr.czt CZPROF_LOAD_MERGE_LAG_MS=0
expect_match stream_late_threads "$(cat s.log)" "came too late to merge: loading again without streaming"
