# czprof record -p: attach to a running program, record a window, detach
# and leave it running; ten times in a row on one thread, on 8 threads, and
# on a program blocked in read on a pipe.  The program's output and status
# must be those of a run nobody attached to (attach_loop checks every
# block's contents before freeing it), and each trace must hold the
# window's allocations at their known line.  Then every refusal.
. tests/e2e/lib.sh
# the server below never ends by itself
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$WORK"' EXIT
P=$TESTBIN/progs/attach_loop
SITE='make_block \(tests/progs/attach_loop.c:37\)'

if [ "$(uname -m)" != x86_64 ]; then
	skip attach "czprof attaches on x86_64 only"
	exit 0
fi

# waits (up to 10 s) until file $1 exists and is not empty
meta() { "$CZPROF" sql --csv "$1" "SELECT value FROM meta WHERE key = '$2'" 2>/dev/null | tail -1; }

# the untouched runs
mkdir ref
"$P" loop ref >ref.out &
pid=$!
wait_nonempty ref/ready; touch ref/ready.x; sleep 0.3; touch ref/stop
wait $pid
ref_status=$?
ref_out=$(cat ref.out)
expect_match reference_run "$ref_out" "^errors=0 checksum=[0-9]+$"

# ---- one thread, attached and detached 10 times ----
mkdir one
"$P" loop one >one.out &
pid=$!
wait_nonempty one/ready
fails=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$CZPROF" record -p $pid --duration 0.2 -o one$i.czt 2>one$i.err || fails=$((fails + 1))
done
expect_eq single_ten_attaches "$fails" 0
# the library was loaded once: one mapping of its file, however many attaches
expect_eq single_loaded_once "$(grep libczprof /proc/$pid/maps | awk '{print $5}' | sort -u | wc -l)" 1
touch one/stop
wait $pid
expect_eq single_status $? "$ref_status"
expect_eq single_output "$(cat one.out)" "$ref_out"
expect_match single_latency "$(cat one1.err)" "attach [0-9.]+ ms, detach [0-9.]+ ms; pid $pid runs on"
bad_traces=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	# each window ends with the ring's 64 blocks live, allocated at the
	# known line: 63 when the detach fell between a free and the next malloc
	out=$("$CZPROF" leaks one$i.czt 2>&1)
	if ! printf '%s\n' "$out" | grep -Eq "^ +[0-9.]+ KiB +6[34]  -  +$SITE" ||
	   ! printf '%s\n' "$out" | grep -Eq 'in 6[34] blocks leaked from 1 site'; then
		bad_traces=$((bad_traces + 1))
		bad single_trace_$i "$(printf '%s' "$out" | head -c 600)"
	fi
done
expect_eq single_traces_leaks "$bad_traces" 0
out=$("$CZPROF" leaks one5.czt)
expect_match single_stack "$out" "#1  churn \(tests/progs/attach_loop.c:86\)"
expect_match single_stack_main "$out" "#2  main \(tests/progs/attach_loop.c:[0-9]+\)"
expect_match single_window_header "$out" "^recorded from [0-9]{2}:[0-9]{2}:[0-9]{2} to [0-9]{2}:[0-9]{2}:[0-9]{2}, 0.[0-9] s, attached: leaked means allocated in the window and still live at its end"
# the 64 blocks live at the attach are freed in the window: counted, not errors
unm=$(meta one5.czt unmatched_frees)
check single_unmatched test "$unm" -ge 63 -a "$unm" -le 64
expect_eq single_attached_meta "$(meta one5.czt attached)" 1
expect_eq single_end_how "$(meta one5.czt end_how)" detach
expect_match single_not_errors "$("$CZPROF" errors one5.czt)" "^0 heap errors"
expect_match single_stats_before "$("$CZPROF" stats one5.czt)" "freed, allocated before attach $unm "
# every allocation of the window was freed in it or is live at its end
a=$(meta one5.czt allocations); f=$(meta one5.czt frees); l=$(meta one5.czt leaked_blocks)
expect_eq single_balance "$((a - (f - unm)))" "$l"
expect_match single_json_window "$("$CZPROF" leaks --json one5.czt)" '"window": \{"attached": true, "start_ns": [0-9]+, "end_ns": [0-9]+'
expect_match single_dump_flags "$("$CZPROF" dump one5.czt)" "image t=[0-9]+ exe=[^ ]*attach_loop .* flags=2 early=0"
expect_match single_dump_detach "$("$CZPROF" dump one5.czt)" "process-end t=[0-9]+ how=detach"

# ---- 8 threads ----
mkdir thr
"$P" threads thr >thr.out &
pid=$!
wait_nonempty thr/ready
fails=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$CZPROF" record -p $pid --duration 0.2 -o thr$i.czt 2>thr$i.err || fails=$((fails + 1))
done
expect_eq threads_ten_attaches "$fails" 0
touch thr/stop
wait $pid
expect_eq threads_status $? "$ref_status"
expect_eq threads_output "$(cat thr.out)" "$ref_out"
bad_traces=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	out=$("$CZPROF" leaks thr$i.czt 2>&1)
	nt=$("$CZPROF" sql --csv thr$i.czt "SELECT COUNT(DISTINCT tid) FROM allocations" 2>/dev/null | tail -1)
	# 64 per thread, one less for each thread the detach caught between
	# a free and its next malloc
	blocks=$(printf '%s\n' "$out" | sed -En "s/^ +[0-9.]+ KiB +([0-9]+)  -  +make_block.*/\\1/p")
	if [ -z "$blocks" ] || [ "$blocks" -lt 504 ] || [ "$blocks" -gt 512 ] || [ "$nt" != 8 ]; then
		bad_traces=$((bad_traces + 1))
		bad threads_trace_$i "threads $nt: $(printf '%s' "$out" | head -c 600)"
	fi
done
expect_eq threads_traces_leaks "$bad_traces" 0

# ---- blocked in read on a pipe ----
mkfifo fifo
"$P" pipe <fifo >pipe.out &
pid=$!
exec 3>fifo
echo first >&3
fails=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$CZPROF" record -p $pid --duration 0.5 -o pipe$i.czt 2>pipe$i.err &
	rec=$!
	wait_nonempty pipe$i.czt
	sleep 0.1
	echo "line $i" >&3
	wait $rec || fails=$((fails + 1))
done
expect_eq pipe_ten_attaches "$fails" 0
echo last >&3
exec 3>&-
wait $pid
pipe_status=$?
want=$(printf 'first\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\nlast\n' | "$P" pipe)
expect_eq pipe_status $pipe_status 0
expect_eq pipe_output "$(cat pipe.out)" "$want"
bad_traces=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	# one line, one block of its length + 1, at the known line
	got=$("$CZPROF" sql --csv pipe$i.czt "SELECT COUNT(*), SUM(size) FROM allocations" 2>/dev/null | tail -1)
	want_sz=$((${#i} + 6))
	if [ "$got" != "1,$want_sz" ]; then
		bad_traces=$((bad_traces + 1))
		bad pipe_trace_$i "allocations,bytes: $got, want 1,$want_sz"
	fi
done
expect_eq pipe_traces "$bad_traces" 0
expect_match pipe_site "$("$CZPROF" peak pipe3.czt 2>&1)" "$SITE"

# ---- a module dlopen'ed while attached is redirected too ----
mkdir plug
"$P" plugin plug "$TESTBIN/progs/librec_plugin.so" >plug.out &
pid=$!
wait_nonempty plug/ready
"$CZPROF" record -p $pid --duration 1.5 -o plug.czt 2>plug.err &
rec=$!
wait_nonempty plug.czt
sleep 0.1
touch plug/go
wait $rec
expect_eq plugin_recorded $? 0
out=$("$CZPROF" leaks plug.czt 2>&1)
expect_match plugin_leak_site "$out" "777 B +1  -  +plugin_leak \(tests/progs/librec_plugin.c:[0-9]+\)"
expect_eq plugin_churn "$("$CZPROF" sql --csv plug.czt "SELECT COUNT(*) FROM allocations WHERE size = 64" | tail -1)" 10
touch plug/stop
wait $pid
expect_eq plugin_program_status $? 0
expect_eq plugin_program_output "$(cat plug.out)" "plugin ran"

# ---- refusals: one line each, the program left as it was ----
check_fails refuse_no_process "$CZPROF" record -p 999999999
expect_eq refuse_no_process_message "$(cat "$WORK/.out")" "czprof: no process with pid 999999999"
check_fails refuse_bad_pid "$CZPROF" record -p abc
expect_match refuse_bad_pid_message "$(cat "$WORK/.out")" "takes a process id"
check_fails refuse_program_and_pid "$CZPROF" record -p 1 -- "$P"
check_fails refuse_duration_alone "$CZPROF" record --duration 1 "$P"
check_fails refuse_options_with_pid "$CZPROF" record -p $$ --depth 4
expect_match refuse_options_message "$(cat "$WORK/.out")" "with -p only -o, -f and --duration apply"

"$TESTBIN/progs/attach_static" 30 &
stpid=$!
check_fails refuse_static "$CZPROF" record -p $stpid -o st.czt
expect_match refuse_static_message "$(cat "$WORK/.out")" "^czprof: cannot attach to pid $stpid \(attach_static\): it is statically linked"
expect_eq refuse_static_one_line "$(wc -l <"$WORK/.out")" 1
check refuse_static_no_trace test ! -e st.czt
kill $stpid; wait $stpid 2>/dev/null

mkdir tr
"$P" loop tr >tr.out &
pid=$!
wait_nonempty tr/ready
# Yama, through a setting file of the test's own (this machine's may allow it)
echo 3 >scope
CZPROF_PTRACE_SCOPE_FILE=$WORK/scope "$CZPROF" record -p $pid -o y.czt >y.err 2>&1
expect_eq refuse_yama_status $? 1
expect_match refuse_yama_message "$(cat y.err)" "^czprof: cannot attach to pid $pid: $WORK/scope is 3, which forbids ptrace to everyone"
if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
	ok yama_present
else
	skip yama_real_setting "this kernel has no Yama (/proc/sys/kernel/yama/ptrace_scope); the message is tested through CZPROF_PTRACE_SCOPE_FILE"
fi
# another czprof attached already
"$CZPROF" record -p $pid --duration 2 -o first.czt 2>first.err &
rec=$!
wait_nonempty first.czt
sleep 0.1
check_fails refuse_busy "$CZPROF" record -p $pid -o second.czt
expect_match refuse_busy_message "$(cat "$WORK/.out")" "^czprof: cannot attach to pid $pid \(attach_loop\): another czprof is recording it already"
check refuse_busy_no_trace test ! -e second.czt
wait $rec
expect_eq busy_first_finished $? 0
# a czprof killed while attached: the next attach takes over, ending its
# trace (the recorder names the czprof that attached, which is gone)
"$CZPROF" record -p $pid -o killed.czt 2>/dev/null &
rec=$!
wait_nonempty killed.czt
sleep 0.2
kill -9 $rec; wait $rec 2>/dev/null
check takeover_after_kill "$CZPROF" record -p $pid --duration 0.2 -o after.czt
expect_match takeover_trace "$("$CZPROF" leaks after.czt 2>&1)" "$SITE"
expect_match killed_trace_ended "$("$CZPROF" dump killed.czt 2>&1)" "process-end t=[0-9]+ how=detach"
# traced by another tracer
if command -v strace >/dev/null 2>&1; then
	strace -p $pid -o /dev/null 2>/dev/null &
	st=$!
	_w=0; while ! grep -q "TracerPid:[[:space:]]*[1-9]" /proc/$pid/status && [ $_w -lt 100 ]; do sleep 0.05; _w=$((_w + 1)); done
	check_fails refuse_traced "$CZPROF" record -p $pid -o tr.czt
	expect_match refuse_traced_message "$(cat "$WORK/.out")" "^czprof: cannot attach to pid $pid \(attach_loop\): it is already traced by pid $st \(strace\); detach that first"
	kill $st; wait $st 2>/dev/null
else
	skip refuse_traced "strace is not installed"
fi
touch tr/stop
wait $pid
expect_eq refusals_left_alone_status $? "$ref_status"
expect_eq refusals_left_alone_output "$(cat tr.out)" "$ref_out"

# another user's process, czprof running as a third user
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1 &&
   id daemon >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TESTBIN/progs/attach_static" 30 &
	upid=$!
	sleep 0.2
	setpriv --reuid=daemon --regid=daemon --clear-groups "$CZPROF" record -p $upid -o /tmp/nope.$$.czt >u.err 2>&1
	expect_eq refuse_other_user_status $? 1
	expect_match refuse_other_user_message "$(cat u.err)" "^czprof: cannot attach to pid $upid \(attach_static\): it belongs to user nobody \(uid [0-9]+\) and czprof runs as uid [0-9]+"
	kill $upid; wait $upid 2>/dev/null
else
	skip refuse_other_user "needs root, setpriv and the users nobody and daemon"
fi
skip refuse_other_arch "no program of another architecture can run here to be refused; the check reads /proc/PID/exe's ELF machine"

# ---- czprof top -p on examples/server while it serves, in tmux ----
SERVER=$TESTBIN/../examples/server
if command -v tmux >/dev/null 2>&1 && [ -x "$SERVER" ]; then
	"$SERVER" 2000000000 >server.out &
	spid=$!
	S=czprof-attach-$$
	pane() { tmux capture-pane -p -t "$S"; }
	wait_pane() { _w=0; while ! pane | grep -Eq -- "$1" && [ $_w -lt 200 ]; do sleep 0.05; _w=$((_w + 1)); done; pane | grep -Eq -- "$1"; }
	screen_check() { if wait_pane "$2"; then ok "$1"; else bad "$1" "no /$2/ on screen: $(pane | head -30)"; fi; }
	tmux -f /dev/null new-session -d -s "$S" -x 120 -y 40 \
		"cd '$WORK' && LANG=C.UTF-8 CZPROF_LIB='$CZPROF_LIB' '$CZPROF' top -d 100 -p $spid -o top.czt; echo TOP-EXIT=\$?; sleep 60"
	screen_check top_attached_header "czprof top - recording .* - pid $spid - .*server"
	# (the server's requests live in an arena kept from one request to the
	# next: once it serves, it calls malloc no more, so the view stays at 0)
	screen_check top_attached_view "^CALL SITES by live bytes"
	tmux send-keys -t "$S" q
	screen_check top_attached_quit "TOP-EXIT=0"
	tmux kill-session -t "$S" 2>/dev/null
	# quitting detached: the server serves on, and no czprof is tracing it
	sleep 0.2
	check top_server_runs kill -0 $spid
	expect_match top_not_traced "$(grep TracerPid /proc/$spid/status)" "TracerPid:[[:space:]]+0$"
	expect_eq top_trace_detach "$(meta top.czt end_how)" detach
	expect_match top_trace_window "$("$CZPROF" peak top.czt 2>&1)" "^recorded from .* attached"
	# attached again later: the library already loaded is used again
	check top_reattach "$CZPROF" record -p $spid --duration 0.2 -o again.czt
	expect_eq top_loaded_once "$(grep libczprof /proc/$spid/maps | awk '{print $5}' | sort -u | wc -l)" 1
	kill $spid; wait $spid 2>/dev/null || : # its status is the kill's, not the script's
else
	skip top_attached "needs tmux and examples/server"
fi
