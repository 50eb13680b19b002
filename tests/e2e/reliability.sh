# Programs that misbehave or do unusual things, recorded for real: every way
# of starting processes, allocations in constructors, destructors, atexit
# and signal handlers, _exit and abort, and 16 threads on 2 cores freeing
# each other's blocks.  Figures are exact (see each program's comment).
. tests/e2e/lib.sh
P=$TESTBIN/progs
CHECK=$TESTBIN/tools/czt_check
field() { "$CHECK" "$1" | awk -v k="$2" '$1==k {print $2}'; }
site() { "$CZPROF" leaks "$1" | grep -E "^ +[0-9.]+ [KMG]?i?B +[0-9]+  [a-z-]+ +$2"; }

# ---- processes: system, posix_spawn, vfork+exec, fork+exec, fork ----
mkdir plain && cd plain
"$CZPROF" record -o s.czt "$P/rel_spawn" 2>/dev/null
expect_eq spawn_exit_status $? 0
expect_eq spawn_only_parent_traced "$(ls)" "s.czt"
expect_match spawn_parent_leak "$(site s.czt parent_leak)" "300 B +3  definite +parent_leak \(tests/progs/rel_spawn.c:28\)"
expect_match spawn_parent_total "$("$CZPROF" leaks s.czt)" "300 B in 3 blocks leaked from 1 site"
cd "$WORK" && mkdir follow && cd follow
"$CZPROF" record --follow-fork -o f.czt "$P/rel_spawn" 2>/dev/null
expect_eq follow_exit_status $? 0
expect_eq follow_trace_count "$(ls f.*.czt | wc -l)" 5
children=0 forked=0 shell=0
for t in f.*.czt; do
	out=$("$CZPROF" leaks "$t")
	case "$out" in
	*"70 B in 7 blocks leaked from 1 site"*) children=$((children + 1)) ;;
	*"4.9 KiB in 5 blocks leaked from 1 site"*) forked=$((forked + 1)) ;;
	*) "$CZPROF" stats "$t" | grep -q "sh -c exit 3" && shell=$((shell + 1)) ;;
	esac
done
expect_eq follow_spawn_vfork_fork_exec_children "$children" 3
expect_eq follow_fork_without_exec "$forked" 1
expect_eq follow_system_shell "$shell" 1
expect_match follow_parent_unchanged "$("$CZPROF" leaks f.czt)" "300 B in 3 blocks leaked from 1 site"
# the fork+exec child is named by the program it exec'd, after the one it
# was forked from
expect_eq follow_exec_named "$(for t in f.*.czt; do "$CZPROF" stats "$t" | head -n 1; done |
	grep -Ec "^czprof stats: [^ ]*/rel_spawn, then exec'd [^ ]*/rel_spawn child \(pid [0-9]+\)")" 1
cd "$WORK" && mkdir follow_ls && cd follow_ls
# a forked shell that execs ls: the child's trace is ls's, not the shell's
"$CZPROF" record --follow-fork -o s.czt sh -c 'ls / >/dev/null & wait' 2>/dev/null
t=$(ls s.*.czt)
expect_match follow_exec_ls_header "$("$CZPROF" leaks "$t" | head -n 1)" "^czprof leaks: sh -c ls / >/dev/null & wait, then exec'd ls / \(pid [0-9]+\)"
expect_eq follow_exec_ls_meta "$("$CZPROF" sql --csv "$t" "select value from meta where key in ('cmdline', 'exe', 'execs') order by key" | tail -n +2 | tr '\n' ' ')" "ls / $(readlink -f "$(command -v ls)") 1 "
cd "$WORK"

# ---- constructors, destructors, atexit, a signal handler, _exit, abort ----
"$CZPROF" record -o odd.czt "$P/rel_odd" 2>/dev/null
out=$("$CZPROF" leaks odd.czt)
expect_match odd_ctor "$out" "11 B +1  definite +ctor_alloc \(tests/progs/rel_odd.c:19\)"
expect_match odd_handler "$out" "19 B +1  definite +handler_alloc \(tests/progs/rel_odd.c:38\)"
expect_match odd_atexit "$out" "13 B +1  definite +atexit_alloc \(tests/progs/rel_odd.c:30\)"
expect_match odd_total "$out" "43 B in 3 blocks leaked from 3 sites"
expect_match odd_handler_temporary "$("$CZPROF" temporary odd.czt)" "handler_alloc \(tests/progs/rel_odd.c:37\)"
"$CZPROF" record -o u.czt "$P/rel_odd" _exit 2>/dev/null
expect_eq odd__exit_status $? 0
out=$("$CZPROF" leaks u.czt)
expect_match odd__exit_main "$("$CZPROF" leaks --kinds all u.czt)" "23 B +1  reachable +main_alloc \(tests/progs/rel_odd.c:44\)"
expect_match odd__exit_total "$out" "30 B in 2 blocks leaked from 2 sites"
"$CZPROF" record -o a.czt "$P/rel_odd" abort 2>/dev/null
expect_eq abort_status $? 134
expect_match abort_ended_by_signal "$("$CZPROF" stats a.czt)" "ended +signal 6"
expect_match abort_events_kept "$("$CZPROF" leaks a.czt)" "23 B +1  - +main_alloc"

# ---- 16 threads on 2 cores, 1 M allocations each, cross-thread frees ----
env CZPROF_OUTPUT="$WORK/st.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rel_stress" >/dev/null 2>&1
expect_eq stress_status $? 0
"$CHECK" st.czt >st.txt
f() { awk -v k="$1" '$1==k {print $2}' st.txt; }
# 16 x 1,000,000 + 160 leaked + 200 x 1,000 short-lived + 16 thread DTVs
expect_eq stress_allocs "$(f allocs)" 16200176
expect_eq stress_frees "$(f frees)" 16200012
expect_eq stress_no_false_double_free "$(f unmatched_frees)" 0
expect_eq stress_no_address_conflict "$(f conflicts)" 0
expect_eq stress_live_blocks "$(f live_blocks)" 164
# the same at a size the SQLite analysis chews quickly: no false leaks
"$CZPROF" record -o st2.czt "$P/rel_stress" 100000 2>rec.err
j=$("$CZPROF" leaks --kinds all --json st2.czt)
# never freed: 160 from leak_some (lost, or reachable through a stale copy
# of a freed pointer whose address glibc gave to one of them)
expect_eq stress_leak_site "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(s["blocks"] for s in d["sites"] if s["site"] == "leak_some (tests/progs/rel_stress.c:40)"))')" 160
expect_eq stress_only_site "$("$CZPROF" leaks --json st2.czt | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(set(s["site"] for s in d["sites"])))')" "['leak_some (tests/progs/rel_stress.c:40)']"
# record counted the events while the program ran (reading the trace as
# it grew, chunks cut by the end of the file taken up again): the same count
# as the load's, and the footer's
expect_eq stress_counted_while_running "$(sed -n 's/.*recorded \([0-9]*\) events.*/\1/p' rec.err)" \
	"$("$CZPROF" sql --csv st2.czt "select value from meta where key = 'events'" | tail -1)"
expect_match stress_footer_count "$("$CZPROF" dump st2.czt | tail -n 40)" "summary events=3600188 "
# 1.8 M rows, ids dense, no file left beside the database
expect_eq stress_rows_joined "$("$CZPROF" sql --csv st2.czt "select count(*) || ' ' || min(id) || ' ' || max(id) || ' ' || count(distinct id) from allocations" | tail -1)" "1800176 1 1800176 1800176"
expect_eq stress_no_part_file "$(ls st2.czt.db* | wc -l)" 1
expect_eq stress_meta "$("$CZPROF" sql --csv st2.czt "select group_concat(value, ' ') from (select value from meta where key in ('allocations','frees','unmatched_frees','address_conflicts') order by key)" | tail -1)" "0 1800176 1800012 0"

# ---- setuid programs: the loader drops LD_PRELOAD; say so ----
if id nobody >/dev/null 2>&1; then
	chmod 755 "$WORK" && mkdir -m 1777 open
	cp "$P/rel_odd" open/suid && chown root open/suid && chmod 4755 open/suid
	err=$(su nobody -s /bin/sh -c "'$CZPROF' record -o '$WORK/open/x.czt' '$WORK/open/suid'" 2>&1)
	expect_match setuid_message "$err" "setuid/setgid: the loader ignores LD_PRELOAD"
fi

# ---- the program takes the trace's descriptor ----
# closefrom(3) then open: the program's file gets the lowest number, and
# once got the trace written into it; dup2 of /dev/null over every
# descriptor once lost the trace silently.  The recorder checks the
# descriptor before each write and opens the trace again by its path.
for mode in close dup2; do
	"$CZPROF" record -o "fd_$mode.czt" "$P/rec_fds" $mode "fd_$mode.txt" 2>/dev/null
	expect_eq "fds_${mode}_program_file_intact" "$(cksum <"fd_$mode.txt")" \
		"$(printf 'program data\nmore data\n' | cksum)"
	expect_eq "fds_${mode}_trace_whole" "$(field "fd_$mode.czt" allocs) $(field "fd_$mode.czt" live_bytes)" "200 3300"
done

# ---- a full disk: named, counted, the trace marked incomplete ----
# 3,600,188 events (rel_stress 100000) onto a 1 MiB tmpfs: the chunks that
# do not fit are counted in lost records, the trace stays whole up to the
# last chunk that fit, and recorded + lost = every event.  (Without the
# column form, which the recorder leaves out when no core is spare, the
# trace takes about 5 MB; with it 1.5 MB.)
mkdir full
if mount -t tmpfs -o size=1m czprof-full "$WORK/full" 2>/dev/null; then
	CZPROF_COLUMNS=0 "$CZPROF" record -o full/f.czt "$P/rel_stress" 100000 >/dev/null 2>full.err
	cp full/f.czt f.czt
	umount "$WORK/full"
	err=$(cat full.err)
	expect_match disk_full_named "$err" "events lost: the disk was full \(ENOSPC\); the trace is incomplete"
	lost=$(printf '%s\n' "$err" | sed -n "s/.*: \([0-9]*\) events lost.*/\1/p")
	# (the symbol table may not fit either: record then says so)
	recorded=$("$CZPROF" sql --csv f.czt "select value from meta where key = 'events'" | tail -1)
	expect_eq disk_full_every_event_counted "$((${lost:-0} + ${recorded:-0}))" 3600188
	expect_eq disk_full_meta "$("$CZPROF" sql --csv f.czt "select group_concat(value, '|') from (select value from meta where key in ('complete', 'lost_events') order by key)" | tail -1)" "0|$lost"
	expect_match disk_full_report_warning "$("$CZPROF" leaks f.czt 2>&1 | head -n 3)" "warning: $lost events lost: the disk was full \(ENOSPC\); the trace is incomplete: figures miss them"
else
	echo "SKIP: $SUITE/disk_full: cannot mount a tmpfs here (needs root)"
fi
