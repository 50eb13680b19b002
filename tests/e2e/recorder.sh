# The preload recorder on programs with exactly known behaviour, checked
# with tests/tools/czt_check (global event order, pairing by address).
. tests/e2e/lib.sh
P=$TESTBIN/progs
CHECK=$TESTBIN/tools/czt_check

rec() { out=$1; shift; env CZPROF_OUTPUT="$WORK/$out" LD_PRELOAD="$CZPROF_LIB" "$@"; }
field() { "$CHECK" "$1" | awk -v k="$2" '$1==k {print $2}'; }
count() { "$CZPROF" dump --summary "$1" 2>/dev/null | awk -v k="$2" '$1==k {print $2}'; }

rec exact.czt "$P/rec_exact"
expect_eq exact_allocs "$(field exact.czt allocs)" 1007
expect_eq exact_frees "$(field exact.czt frees)" 1000
expect_eq exact_leaked_blocks "$(field exact.czt live_blocks)" 7
expect_eq exact_leaked_bytes "$(field exact.czt live_bytes)" 777
expect_eq exact_trace_mode "$(stat -c %a exact.czt)" 600

# each entry point counted once; reallocarray is not also a realloc
rec var.czt "$P/rec_variants"
for f in malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc; do
	expect_eq "variants_$f" "$(count var.czt $f)" 1
done
expect_eq variants_free "$(count var.czt free)" 8
expect_eq variants_nothing_left "$(field var.czt live_blocks)" 0
expect_eq variants_unmatched "$(field var.czt unmatched_frees)" 0

# 4 threads, every block freed by another thread, addresses reused
rec thr.czt "$P/rec_threads"
expect_eq threads_unmatched_frees "$(field thr.czt unmatched_frees)" 0
expect_eq threads_conflicts "$(field thr.czt conflicts)" 0
expect_eq threads_frees "$(field thr.czt frees)" 80000
expect_eq threads_thread_starts "$(count thr.czt thread-start)" 5
# what stays live is glibc's per-thread bookkeeping (one block a thread)
expect_eq threads_live_blocks "$(field thr.czt live_blocks)" 4

# The layout cache (stacks checked instead of unwound) gives the stacks the
# unwinder gives, through frames of varying size and paths that line up
# (rec_shapes: a block's size names its path).  CZPROF_CHECK_STACKS unwinds
# every remembered stack as well and counts disagreements.
CZPROF_CHECK_STACKS="$WORK/shapes.check" "$CZPROF" record -o shapes.czt -- "$P/rec_shapes" 2>/dev/null
read -r _ checked _ differed <"$WORK/shapes.check" || true
expect_eq shapes_cached_stacks_differ "${differed:-missing}" 0
if [ "${checked:-0}" -ge 500 ]; then ok shapes_stacks_remembered
else bad shapes_stacks_remembered "only ${checked:-no} stacks came from the cache"; fi
# The frame-pointer walk's cache replays the walk exactly: through code
# with frame pointers and through code that uses the register for anything.
for shapes in rec_shapes rec_shapes_fp; do
	t=fpwalk_$shapes
	CZPROF_CHECK_STACKS="$WORK/$t.check" "$CZPROF" record --unwind=fp -o "$t.czt" -- "$P/$shapes" 2>/dev/null
	read -r _ checked _ differed <"$WORK/$t.check" || true
	expect_eq "${t}_cached_stacks_differ" "${differed:-missing}" 0
	if [ "${checked:-0}" -ge 500 ]; then ok "${t}_stacks_remembered"
	else bad "${t}_stacks_remembered" "only ${checked:-no} stacks came from the cache"; fi
done
shapes_sql="WITH RECURSIVE walk(aid, size, node) AS (
  SELECT id, size, stack FROM allocations WHERE size BETWEEN 1001 AND 4002
  UNION ALL SELECT w.aid, w.size, n.parent FROM walk w JOIN stack_nodes n ON n.id = w.node
  WHERE n.parent != 0),
fn AS (SELECT w.aid, w.size, f.function AS name FROM walk w
  JOIN stack_nodes n ON n.id = w.node JOIN frames f ON f.ip = n.ip),
per AS (SELECT aid, size, SUM(name = 'via_big') big, SUM(name = 'via_small') small,
  SUM(name = 'dyn_alloca') alloca_, SUM(name = 'dyn_vla') vla, SUM(name = 'dispatch') disp,
  SUM(name = 'hop') hop, SUM(name = 'down') down, SUM(name = 'aligned_down') aligned,
  SUM(name = 'sig_a') siga, SUM(name = 'sig_b') sigb FROM fn GROUP BY aid)
SELECT COUNT(*) || ' ' || SUM(NOT CASE
  WHEN size = 1001 THEN big = 1 AND small = 0 AND alloca_ = 1
  WHEN size = 1002 THEN small = 1 AND big = 0 AND alloca_ = 1
  WHEN size = 1003 THEN big = 1 AND small = 0 AND vla = 1
  WHEN size = 1004 THEN small = 1 AND big = 0 AND vla = 1
  WHEN size = 1005 THEN disp = 1 AND hop = 0 AND alloca_ = 1
  WHEN size = 1006 THEN disp = 1 AND hop = 1 AND alloca_ = 1
  WHEN size BETWEEN 2000 AND 2015 THEN aligned = size - 1999
  WHEN size BETWEEN 3000 AND 3015 THEN down = size - 2999
  WHEN size = 4001 THEN siga = 1 AND sigb = 0
  WHEN size = 4002 THEN sigb = 1 AND siga = 0
  ELSE 0 END) FROM per"
expect_eq shapes_blocks_and_wrong_stacks "$("$CZPROF" sql --csv shapes.czt "$shapes_sql" | tail -n 1)" "6600 0"

# Times across the switch from one recording thread (the time-stamp
# counter, where the CPU has an invariant one) to two (the OS clock): every
# block freed by the other thread pairs, the 200 ms sleep is measured.
for clock in auto os; do
	CZPROF_CLOCK=$clock "$CZPROF" record -o "clock_$clock.czt" -- "$P/rec_clock" 2>/dev/null
	expect_eq "clock_${clock}_unmatched" "$(field "clock_$clock.czt" unmatched_frees)" 0
	expect_eq "clock_${clock}_conflicts" "$(field "clock_$clock.czt" conflicts)" 0
	expect_eq "clock_${clock}_pairs" "$("$CZPROF" sql --csv "clock_$clock.czt" "select count(*) || ' ' || sum(free_tid != tid) from allocations where size in (111, 222, 333) and free_time is not null" | tail -n 1)" "300 200"
	slept=$("$CZPROF" sql --csv "clock_$clock.czt" "select ((select min(alloc_time) from allocations where size = 222) - (select max(alloc_time) from allocations where size = 111)) / 1000000" | tail -n 1)
	if [ "${slept:-0}" -ge 195 ] && [ "${slept:-0}" -le 400 ]; then ok "clock_${clock}_sleep_measured"
	else bad "clock_${clock}_sleep_measured" "${slept:-no} ms between the batches, slept 200"; fi
done

# C++ new/delete reach the recorder through libstdc++; the 15th block is
# libstdc++'s exception pool, allocated by its constructor before ours runs
# (the recorder starts at the first call it intercepts): memcheck counts 15.
# The pool is never freed natively (memcheck frees it through __libc_freeres).
rec cxx.czt "$P/rec_cxx"
expect_eq cxx_allocs "$(field cxx.czt allocs)" 15
expect_eq cxx_frees "$(field cxx.czt frees)" 14

# dlopen'd library: its module is announced and unloaded, its leak seen
rec dl.czt "$P/rec_dlopen" "$P/librec_plugin.so"
expect_eq dlopen_unload "$(count dl.czt module-unload)" 1
expect_match dlopen_module_path "$("$CZPROF" dump dl.czt 2>/dev/null | grep module-load)" librec_plugin.so
expect_match dlopen_leak_777 "$("$CZPROF" dump dl.czt 2>/dev/null | grep -E 'malloc.* 777( |$)')" 777

# fork: followed, the child writes NAME.PID.czt; not followed, nothing
CZPROF_FOLLOW_FORK=1 rec fork.czt "$P/rec_fork"
child=$(ls fork.*.czt 2>/dev/null | head -n 1)
expect_eq fork_parent_leak "$(field fork.czt live_bytes)" 300
if [ -n "$child" ]; then
	expect_eq fork_child_leak "$(field "$child" live_bytes)" 1000
	expect_eq fork_child_blocks "$(field "$child" allocs)" 5
else
	bad fork_child_trace "no child trace written"
fi
rm -f fork*.czt
rec fork.czt "$P/rec_fork"
expect_eq fork_unfollowed_no_child "$(ls fork.*.czt 2>/dev/null | wc -l)" 0
expect_eq fork_unfollowed_parent "$(field fork.czt live_bytes)" 300

# SIGKILL: everything made more than ~100 ms before the kill is in the file
# env execs the program, so $! is the program itself
env CZPROF_OUTPUT="$WORK/kill.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rec_kill" "$WORK/count" &
pid=$!
sleep 1
before=$(cat "$WORK/count" 2>/dev/null || echo 0)
sleep 0.15
kill -9 $pid
wait $pid 2>/dev/null
if kill -0 $pid 2>/dev/null; then bad kill_target "the program survived"; kill -9 $pid; fi
got=$(field kill.czt allocs)
if [ "${before:-0}" -gt 0 ] && [ "${got:-0}" -ge "$before" ]; then
	ok kill_keeps_events
else
	bad kill_keeps_events "trace has ${got:-none} allocations, program had made $before 150 ms before the kill"
fi

# SIGSEGV: the trace is flushed and says which signal ended the process
cat >segv.c <<'C'
#include <stdlib.h>
#include <signal.h>
int main(void) { for (int i = 0; i < 50; i++) ((volatile char *)malloc(10))[0] = 1; raise(SIGSEGV); return 0; }
C
cc -o segv segv.c
rec segv.czt ./segv 2>/dev/null
expect_eq segv_events_flushed "$(field segv.czt allocs)" 50
expect_eq segv_end_signal "$(field segv.czt end_how) $(field segv.czt end_value)" "2 11"

# a symlink planted at the output path is not followed
ln -s "$WORK/victim" planted.czt
rec planted.czt "$P/rec_exact"
expect_eq symlink_not_followed "$(ls victim 2>/dev/null | wc -l)" 0

# every exec variant writes what the image buffered and hands the trace on:
# 2 images x 3 allocations + 1 in the last, 2 exec markers and the exit
for v in execl execle execlp execv execve execvp execvpe fexecve execveat; do
	PATH="$P:$PATH" "$CZPROF" record -o "exec_$v.czt" rec_exec $v 2>/dev/null
	rc=$?
	expect_eq "exec_${v}_allocs_ends_status" \
		"$(count "exec_$v.czt" malloc) $(count "exec_$v.czt" process-end) $rc" "7 3 0"
done

# a child trace is a file the child creates (O_EXCL): an empty one planted
# at its name (another user's, in a shared folder) is left alone and the child
# writes NAME.PID.1.czt instead.  (The shell's pid is the program's: exec.)
mkdir planted && cd planted
sh -c ': >f.$$.czt; exec env CZPROF_OUTPUT="$PWD/f.czt" CZPROF_ROOT_PID=1 \
	CZPROF_FOLLOW_FORK=1 LD_PRELOAD="$0" "$1"' "$CZPROF_LIB" "$P/rec_exact"
planted=$(ls f.*.czt | grep -v '\.1\.czt$')
expect_eq planted_child_trace_untouched "$(stat -c %s "$planted")" 0
expect_eq planted_child_wrote_beside "$(field "${planted%.czt}.1.czt" allocs)" 1007
cd "$WORK"

# The recorder's memory stays bounded in a long run: chunks of many lengths
# once touched ever more of the column splitter's 36 MB (1.7 MB more in
# 3 s, 23 MB after 20 s); now its streams start at fixed places.
steady=$("$CZPROF" record -o steady.czt "$P/rec_steady" 4 2>/dev/null)
grew=${steady#* }
if [ -n "$grew" ] && [ "${grew% }" -lt 512 ]; then ok steady_rss_bounded
else bad steady_rss_bounded "resident memory grew ${grew:-?}KiB from 1 s to 4 s (first ${steady%% *}KiB)"; fi

# ... and its address space small: under a 200 MiB limit the program gets
# nearly what it gets alone (it got 114 of 196 MiB when the column scratch
# was mapped at start, 85 MB)
native=$(ulimit -v 204800; "$P/rec_asfill")
# (the limit is set in the program's own shell, which execs it: czprof
# itself, built with AddressSanitizer in CI, cannot start under it)
recorded=$("$CZPROF" record -o asfill.czt -- sh -c 'ulimit -v 204800; exec "$0"' "$P/rec_asfill" 2>/dev/null)
if [ "${recorded:-0}" -ge $((native - 10)) ]; then ok address_space_small
else bad address_space_small "the program got ${recorded:-nothing} MiB recorded, $native MiB alone"; fi

# allocation calls equal memcheck's on a real program whose libraries'
# constructors allocate (ls: libselinux's, before the recorder's own)
if command -v valgrind >/dev/null 2>&1; then
	want=$(valgrind ls / 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)
	"$CZPROF" record -o ls.czt ls / >/dev/null 2>&1
	expect_eq ls_allocs_as_memcheck "$("$CZPROF" sql --csv ls.czt "select value from meta where key = 'allocations'" | tail -1)" "$want"
else
	echo "SKIP: $SUITE/ls_allocs_as_memcheck: no valgrind"
fi

# A program that allocates a little and then idles has its events in the
# trace within the flush period, however the start races with the
# flusher's thread: the flusher once went to sleep with no timeout when it
# looked before recording was on, and an idle program never woke it (its
# trace stayed a bare header).  Two busy loops make that interleaving
# likely: with the old recorder these sixteen runs caught it about half the
# time; it cannot be forced, so a pass here is evidence, not proof.
sh -c 'while :; do :; done' & s1=$!
sh -c 'while :; do :; done' & s2=$!
stuck=0
for i in $(seq 16); do
	rm -rf "$WORK/idle$i"; mkdir "$WORK/idle$i"
	rec "idle$i.czt" "$P/top_phases" "$WORK/idle$i" >/dev/null 2>&1 &
	pid=$!
	wait_file "$WORK/idle$i/at0" && touch "$WORK/idle$i/go0" && wait_file "$WORK/idle$i/at1"
	seen=0
	for t in $(seq 40); do # 2 s: the flush period is 100 ms
		[ "$(count "$WORK/idle$i.czt" malloc)" = 1064 ] && { seen=1; break; }
		sleep 0.05
	done
	[ $seen = 1 ] || stuck=$((stuck + 1))
	touch "$WORK/idle$i/go1" "$WORK/idle$i/go2" "$WORK/idle$i/go3"
	wait $pid
done
kill $s1 $s2 2>/dev/null; wait $s1 $s2 2>/dev/null
expect_eq idle_program_flushed "$stuck" 0
