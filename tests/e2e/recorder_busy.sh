# The recorder's per-thread buffers taken by other parties (exit flush,
# flusher, a signal handler's _exit, fork) while their threads record:
# nothing recorded may be lost, doubled or reordered, and nothing may hang.
# Once with membarrier (where the kernel has it) and once with the
# fallback every event pays a locked instruction for (CZPROF_MEMBARRIER=0).
. tests/e2e/lib.sh
P=$TESTBIN/progs
CHECK=$TESTBIN/tools/czt_check

field() { "$CHECK" "$1" | awk -v k="$2" '$1==k {print $2}'; }
consistent() { # NAME TRACE: pairs by address, no double allocation, and
	# every chunk-events record tells the chunk after it exactly
	expect_eq "$1_unmatched_frees" "$(field "$2" unmatched_frees)" 0
	expect_eq "$1_conflicts" "$(field "$2" conflicts)" 0
	expect_eq "$1_announced_exactly" "$(field "$2" announce_mismatches)" 0
}

for mb in 1 0; do
	m=membarrier$mb
	# (timeout outside the recording: a hang fails instead of blocking)
	rec() { out=$1; shift; timeout 60 env CZPROF_MEMBARRIER=$mb CZPROF_OUTPUT="$WORK/$out" LD_PRELOAD="$CZPROF_LIB" "$@"; }

	# exit while three threads allocate: every pair made before main
	# decided to exit is in the trace
	rec "exit$mb.czt" "$P/rec_busy" exit "$WORK/made$mb"
	expect_eq "${m}_exit_status" $? 0
	made=$(cat "$WORK/made$mb" 2>/dev/null || echo 0)
	got=$(field "exit$mb.czt" frees)
	if [ "$made" -ge 60000 ] && [ "${got:-0}" -ge "$made" ]; then ok "${m}_exit_keeps_events"
	else bad "${m}_exit_keeps_events" "trace has ${got:-no} frees, the threads had made $made pairs"; fi
	consistent "${m}_exit" "exit$mb.czt"

	# the flusher takes idle threads' chunks every millisecond while
	# they wake up to record again
	CZPROF_FLUSH_MS=1 rec "idle$mb.czt" "$P/rec_busy" idle 200
	expect_eq "${m}_idle_status" $? 0
	pairs=$("$CZPROF" sql --csv "idle$mb.czt" "select count(*) from allocations where size between 5000 and 5199 and free_time is not null" 2>/dev/null | tail -n 1)
	expect_eq "${m}_idle_pairs" "$pairs" 30000
	consistent "${m}_idle" "idle$mb.czt"

	# _exit from a signal handler that interrupted an event (or the
	# recorder holding a mutex), in 30 recording children
	CZPROF_FOLLOW_FORK=1 rec "sig$mb.czt" "$P/rec_busy" signal
	expect_eq "${m}_signal_exit_no_hang" $? 0
	consistent "${m}_signal" "$(ls sig$mb.*.czt | head -n 1)"

	# fork while threads allocate; the child records on its own
	rm -f "fork$mb".*.czt
	CZPROF_FOLLOW_FORK=1 rec "fork$mb.czt" "$P/rec_busy" fork
	expect_eq "${m}_fork_status" $? 0
	consistent "${m}_fork_parent" "fork$mb.czt"
	child=$(ls "fork$mb".*.czt 2>/dev/null | head -n 1)
	if [ -n "$child" ]; then
		expect_eq "${m}_fork_child_blocks" "$("$CZPROF" sql --csv "$child" "select count(*) from allocations where size = 1000 and free_time is not null" 2>/dev/null | tail -n 1)" 100
		consistent "${m}_fork_child" "$child"
	else
		bad "${m}_fork_child_trace" "no child trace written"
	fi
done
