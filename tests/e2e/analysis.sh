# czprof load and czprof leaks on programs with exactly known behaviour.
. tests/e2e/lib.sh
P=$TESTBIN/progs
# allocations is a virtual table only czprof knows (alloc_vtab.h)
q() { "$CZPROF" sql --csv "$1" "$2" | tail -n +2 | tr ',' '|'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$CZPROF" record -o ex.czt "$P/rec_exact" 2>/dev/null
check load_runs "$CZPROF" load ex.czt
expect_match load_times "$("$CZPROF" load --times ex.czt 2>&1)" "czprof: +events +[0-9.]+ s"
expect_eq load_db_mode "$(stat -c %a ex.czt.db)" 600
expect_eq load_allocations "$(q ex.czt 'select count(*) from allocations')" 1007
expect_eq load_leaked "$(q ex.czt 'select count(*) || " " || sum(size) from leaks')" "7 777"
expect_eq load_peak "$(q ex.czt "select group_concat(value, ' ') from meta where key in ('peak_bytes','peak_blocks') order by key")" "7 777"
# peak_blocks: the blocks live at the exact peak, which agree with meta and
# with every stack's peak figures (a run of four threads, freed after it)
"$CZPROF" record -o th.czt "$P/rec_threads" 2>/dev/null
expect_eq peak_blocks_meta "$(q th.czt "select count(*) || ' ' || sum(size) from peak_blocks")" \
	"$(q th.czt "select (select value from meta where key = 'peak_blocks') || ' ' || (select value from meta where key = 'peak_bytes')")"
expect_eq peak_blocks_some "$(q th.czt "select count(*) > 100 and count(*) < (select count(*) from allocations) from peak_blocks")" 1
expect_eq peak_blocks_by_stack "$(q th.czt "select count(*) from (select stack, count(*), sum(size) from peak_blocks group by stack except select stack, peak_blocks, peak_bytes from stack_totals where peak_blocks > 0)")" 0
expect_eq peak_blocks_rec_exact "$(q ex.czt 'select count(*) || " " || sum(size) from peak_blocks')" "7 777"
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
# ... on stdout, at the top, in the JSON, and --fail fails on it
expect_match cut_trace_warning_first "$(sed -n 2p cut.out)" "^warning: the trace was cut at byte [0-9]+"
j=$("$CZPROF" leaks --json cut.czt 2>/dev/null)
expect_eq cut_trace_json "$(echo "$j" | json 'str(d["complete"]) + " " + d["warnings"][0][:17]')" "False the trace was cut"
check_fails cut_trace_fail "$CZPROF" leaks --fail cut.czt
for r in peak stats hotspots; do
	expect_eq "cut_trace_json_$r" "$("$CZPROF" $r --json cut.czt 2>/dev/null | json 'd["complete"], d["warnings"][0][:17]')" "False the trace was cut"
done
expect_eq whole_trace_json "$("$CZPROF" leaks --json ex.czt | json 'd["complete"], d["warnings"]')" "True []"
expect_eq whole_export_json "$("$CZPROF" export --format json -o - ex.czt | json 'd["complete"], d["warnings"]')" "True []"
# a trace without a footer (the program recorded without czprof record)
# frees every block: only its incompleteness can fail --fail
env CZPROF_OUTPUT="$WORK/nofoot.czt" LD_PRELOAD="$CZPROF_LIB" "$P/hold_idle" >/dev/null 2>&1
out=$("$CZPROF" leaks nofoot.czt 2>&1)
expect_match nofooter_warning "$(echo "$out" | sed -n 2p)" "^warning: the trace has no footer: the recording did not finish"
check_fails nofooter_fail "$CZPROF" leaks --fail nofoot.czt
# ... nor a symbol table: names come from the binaries on this machine, when
# their build-id is the recorded one
env CZPROF_OUTPUT="$WORK/nosym.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rec_exact" >/dev/null 2>&1
out=$("$CZPROF" leaks nosym.czt 2>&1)
expect_match nosymbols_named "$out" "777 B +7  [a-z-]+ +leak_some \(tests/progs/rec_exact.c:19\)"
expect_match nosymbols_caller "$out" "#1  main \(tests/progs/rec_exact.c:28\)"
expect_match nosymbols_said "$out" "warning: the trace has no symbol table: names come from its modules on this machine"
# the binary at that path is another one now: addresses, and a warning
mkdir rebuilt && cp "$P/rec_exact" rebuilt/prog
env CZPROF_OUTPUT="$WORK/rebuilt.czt" LD_PRELOAD="$CZPROF_LIB" rebuilt/prog >/dev/null 2>&1
cp "$P/hold_idle" rebuilt/prog
out=$("$CZPROF" leaks rebuilt.czt 2>&1)
expect_match nosymbols_other_build "$out" "777 B +7  [a-z-]+ +prog\+0x[0-9a-f]+$"
expect_match nosymbols_other_build_said "$out" "1 of its modules on this machine are not the recorded ones \(another build-id\)"
# a program killed by SIGKILL: the recorder never saw it, its last events
# are missing; leaks says so at its top
"$CZPROF" record -o k9.czt "$P/rec_kill" "$WORK/k9.count" 2>/dev/null &
recpid=$!
sleep 0.5
pkill -KILL -P $recpid
wait $recpid
out=$("$CZPROF" leaks k9.czt 2>&1)
expect_match killed_warning "$(echo "$out" | sed -n 2p)" "^warning: the program was killed by signal 9 \(Killed\) before the recorder could write its last events"
expect_eq killed_json "$("$CZPROF" leaks --json k9.czt | json 'd["complete"], len(d["warnings"])')" "False 1"
# SIGSEGV: the recorder flushed everything, so the trace is complete, but
# leaks still says the blocks were live at the crash
"$CZPROF" record -o segv.czt sh -c 'x=$(echo a b c); kill -SEGV $$' 2>/dev/null
out=$("$CZPROF" leaks segv.czt 2>&1)
expect_match segv_warning "$(echo "$out" | sed -n 2p)" "^warning: the program was killed by signal 11 \(Segmentation fault\); blocks live then are listed as leaks$"

# a damaged database is rebuilt, not trusted: bytes 100-300 of every 4 KiB
# past its first page overwritten (the first holds the schema, whose damage
# was always noticed)
damage_db() { python3 -c '
import os, sys
d = bytearray(open(sys.argv[1], "rb").read())
for off in range(int(sys.argv[2]), len(d) - 300, 4096):
    d[off + 100:off + 300] = os.urandom(200)
open(sys.argv[1], "wb").write(d)' "$@"; }
cp ex.czt dmg.czt
"$CZPROF" load dmg.czt 2>/dev/null
damage_db dmg.czt.db 65536
out=$("$CZPROF" leaks --fail dmg.czt 2>dmg.err)
expect_match damaged_db_said "$(cat dmg.err)" "^czprof: warning: 'dmg.czt.db' is damaged \(.*\): rebuilding it from the trace$"
expect_match damaged_db_rebuilt "$out" "777 B in 7 blocks leaked from 1 site"
expect_match damaged_db_peak "$("$CZPROF" peak dmg.czt 2>&1)" "\(max 777 B\)"
# damage in the table of blocks live at exit: every table is checked
# when the database is opened, so it is said and rebuilt before the query
root=$(sqlite3 dmg.czt.db "select rootpage from sqlite_schema where name = 'exit_blocks'")
"$CZPROF" load -o good.db dmg.czt 2>/dev/null
python3 -c '
import os, sys
d = bytearray(open(sys.argv[1], "rb").read())
off = (int(sys.argv[2]) - 1) * 65536
d[off + 8:off + 300] = os.urandom(292)
open(sys.argv[1], "wb").write(d)' good.db "$root"
mv good.db dmg.czt.db
out=$("$CZPROF" sql dmg.czt "select count(*), sum(size) from leaks" 2>dmg.err)
expect_eq damaged_rows_status $? 0
expect_match damaged_rows_said "$(cat dmg.err)" "'dmg.czt.db' is damaged \(.*\): rebuilding it from the trace"
expect_eq damaged_rows_rebuilt "$(echo "$out" | tail -1 | tr -s ' ' | sed 's/^ //')" "7 777"
# a trace changed in place with the same size and mtime: its database is
# built again (the content key, not the stamp, says).  Here a function's
# name in the symbol table, its chunk's checksum made right again.
cp ex.czt inplace.czt
"$CZPROF" load inplace.czt 2>/dev/null
stamp=$(stat -c %y inplace.czt)
python3 -c '
import struct, sys
def crc32c(data, crc=0xFFFFFFFF):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
d = bytearray(open(sys.argv[1], "rb").read())
off = 16 + struct.unpack_from("<I", d, 12)[0] + 4
while off + 16 <= len(d):
    stored = struct.unpack_from("<I", d, off + 4)[0]
    at = d.find(b"leak_some", off + 16, off + 16 + stored)
    if d[off] == 3 and at >= 0:
        d[at + 5] = ord("S")
        struct.pack_into("<I", d, off + 12, crc32c(bytes(d[off:off + 12]) + bytes(d[off + 16:off + 16 + stored])) ^ 0xFFFFFFFF)
    off += 16 + stored
open(sys.argv[1], "r+b").write(d)' inplace.czt
touch -d "$stamp" inplace.czt
expect_match inplace_rebuilt "$("$CZPROF" leaks inplace.czt 2>&1)" "777 B +7  [a-z-]+ +leak_Some \(tests/progs/rec_exact.c:19\)"

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

# A trace is loaded streaming: the engine merges the threads' events and
# pairs them while it is read.  It must give the database a load that
# holds every event until the end gives, table by table, and the same
# rows of the virtual allocations table.
"$CZPROF" record -o dl.czt "$P/rec_dlopen" "$P/librec_plugin.so" 2>/dev/null
"$CZPROF" record -o ar.czt "$P/cz_arenas" >/dev/null 2>&1
same_db() { # name trace [VAR=value...: the streamed load's environment]
	name=$1 trace=$2
	shift 2
	rm -f s.czt* p.czt*
	cp "$trace" s.czt && cp "$trace" p.czt
	if ! env "$@" "$CZPROF" load --times s.czt 2>s.log ||
		! CZPROF_LOAD_MERGE_ALL=1 "$CZPROF" load p.czt 2>/dev/null; then
		bad "stream_same_db_$name" "a load failed: $(tail -n 3 s.log)"
		return
	fi
	diff=""
	for t in $(sqlite3 s.czt.db "select name from sqlite_master where type = 'table'"); do
		w="1"
		[ "$t" = meta ] && w="key not in ('trace_path', 'trace_mtime_ns', 'merge', 'merge_lag_ns')"
		n=$(sqlite3 s.czt.db "attach 'p.czt.db' as p;
			select (select count(*) from (select * from main.$t where $w except select * from p.$t where $w))
			     + (select count(*) from (select * from p.$t where $w except select * from main.$t where $w))
			     + abs((select count(*) from main.$t where $w) - (select count(*) from p.$t where $w))")
		[ "$n" = 0 ] || diff="$diff $t:$n"
	done
	a=$("$CZPROF" sql --csv s.czt "select count(*), sum(size), sum(free_seq), sum(alloc_seq * 3 + coalesce(free_tid, 7)), sum(temporary), sum(coalesce(realloc_from, 0)) from allocations")
	b=$("$CZPROF" sql --csv p.czt "select count(*), sum(size), sum(free_seq), sum(alloc_seq * 3 + coalesce(free_tid, 7)), sum(temporary), sum(coalesce(realloc_from, 0)) from allocations")
	[ "$a" = "$b" ] || diff="$diff allocations"
	expect_eq "stream_same_db_$name" "$diff" ""
}
for x in ex fp var exec dl ar; do
	same_db "$x" "$x.czt"
	expect_eq "stream_used_$x" "$(grep -c 'loading again' s.log)" 0
done
"$CZPROF" record -o big.czt "$P/load_big" 2>/dev/null
same_db big big.czt
expect_eq big_leak "$(q s.czt "select count(*) || ' ' || sum(size) from leaks")" "1 4321"
expect_eq big_allocations "$(q s.czt "select count(*) from allocations")" 2000001
# the database holds what reports read, not a row per event
expect_eq big_db_small "$(test "$(stat -c %s s.czt.db)" -lt 2000000 && echo small || stat -c %s s.czt.db)" small
# a block kept to the end while 2 M others come and go
"$CZPROF" record -o held.czt "$P/load_big" 2000000 100000 2>/dev/null
same_db held held.czt
expect_eq held_allocations "$(q s.czt "select count(*) from allocations")" 2000002
expect_eq held_block "$(q s.czt "select size, free_seq > (select max(alloc_seq) from allocations where size != 4321) from allocations where id = 100001")" "100|1"
# constraints on the virtual table's columns are applied as rows are made
expect_eq held_pushdown "$(q s.czt "select count(*), sum(free_time) from allocations where size = 100 and id > 100000")" \
	"$(q s.czt "select count(*), sum(free_time) from allocations where size + 0 = 100 and id + 0 > 100000")"
# a big trace of 16 threads: 16 x 150,000 + 160 leaked + 200 x 1,000 + 16
# thread DTVs
"$CZPROF" record -o stress.czt "$P/rel_stress" 150000 2>/dev/null
# (with 16 threads on 2 cores, one may wait so long for a core that its
# events come too late to merge: then the load waits for every event)
same_db stress stress.czt
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
# killed by a signal: the recorder's own end record sets the duration
"$CZPROF" record -o sig.czt sh -c 'x=$(echo a b c); kill -SEGV $$' 2>/dev/null
same_db sig sig.czt
expect_eq stream_used_sig "$(grep -c 'loading again' s.log)" 0
same_db threads thr.czt
expect_eq stream_merged_threads "$(grep -c 'loading again' s.log)" 0
# a thread's chunk that comes after the merge handed out later events (here:
# it waits for none) makes the load start again waiting for every event
same_db late thr.czt CZPROF_LOAD_MERGE_LAG_MS=0
expect_match stream_late_threads "$(cat s.log)" "came too late to merge: loading again"

# names that would drive the terminal (ESC, BEL in a function's and a file's
# name): every text report shows them escaped, JSON keeps them valid
"$CZPROF" record -o esc.czt "$P/name_esc" 2>/dev/null
raw_controls() { printf '%s' "$1" | tr -d '\n' | LC_ALL=C grep -c "$(printf '[\001-\010\013-\037\177]')"; }
for cmd in "leaks" "peak" "flamegraph --folded -o -" "top --batch 1 --speed 0 -w 200" "leaks --json"; do
	name=$(echo "$cmd" | cut -d' ' -f1-2 | tr ' -' '__')
	out=$(eval "\"\$CZPROF\" $cmd esc.czt" 2>&1)
	expect_eq "names_escaped_$name" "$(raw_controls "$out")" 0
	expect_match "names_shown_$name" "$out" 'evil\\+x1b\]0[;:]pwned\\+x07'
done
expect_eq names_escaped_stats "$(raw_controls "$("$CZPROF" stats esc.czt 2>&1)")" 0
out=$("$CZPROF" sql esc.czt "select function from frames where function like '%evil%'")
expect_match names_escaped_sql "$out" '^"evil\\x1b\]0;pwned\\x07\\x1b\[2J"$'

expect_match names_escaped_file "$("$CZPROF" leaks esc.czt)" 'evil\\x1b\[31mfile\.c:10[0-9]\)'
expect_eq names_escaped_json "$("$CZPROF" leaks --json esc.czt | json 'd["sites"][0]["site"].split(" (")[0]')" '"evil\x1b]0;pwned\x07\x1b[2J"'

# peak's sparkline: columns with no event carry the live bytes before them
# (8 MiB held through 300 ms of sleep), as plot does
"$CZPROF" record -o idle.czt "$P/hold_idle" 2>/dev/null
spark=$(LC_ALL=C "$CZPROF" peak idle.czt | sed -n 's/^live bytes over time: \(.*\) (max .*/\1/p')
# (the program's start and end may take a few columns on a loaded machine;
# the level must hold through the sleep without a gap)
expect_match sparkline_carries_level "$spark" '^ {0,6}#{50,60} {0,6}$'
