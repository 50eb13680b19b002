# czprof top: --batch snapshots of a finished and of a running program, and
# the curses screen driven in tmux (send-keys, capture-pane) on a program
# whose phases the test controls: grow to a 4 MiB peak, free it, leak
# 10,000 B.
. tests/e2e/lib.sh
P=$TESTBIN/progs/top_phases
export LANG=C.UTF-8

# waits (up to 10 s) until file $1 contains regex $2
wait_text() { i=0; while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -Eq -- "$2" "$1"; }

# ---- a finished trace, replayed to its end at once ----
"$CZPROF" record -o done.czt "$P" 2>/dev/null
out=$("$CZPROF" top --batch 1 --speed 0 -w 120 done.czt)
expect_match batch_status "$out" "^czprof top - exited 0 [0-9.]+ m?s - pid [0-9]+ - .*top_phases"
expect_match batch_live "$out" "live 9.77 KiB \(10,000 B\) in 10 blocks"
expect_match batch_peak "$out" "peak 4.00 MiB at"
expect_match batch_counts "$out" "1,074 allocs, 1,064 frees"
expect_eq batch_top_site "$(echo "$out" | grep -A1 'LIVE BYTES' | tail -1 | sed 's/  */ /g')" \
	" 9.77 KiB 10 10 0 leak_some (tests/progs/top_phases.c:58)"
expect_match batch_sites "$out" "0 B +0 +1,000 .*churn \(tests/progs/top_phases.c:46\)"
expect_match batch_grow_site "$out" "0 B +0 +64 .*grow_cache \(tests/progs/top_phases.c:40\)"
expect_match batch_chart_peak "$out" "\^ peak 4.00 MiB"
w=$(echo "$out" | python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))')
check batch_width_kept test "$w" -le 120
# the same trace cut short: not "trace ended" alone, a warning says it
head -c $(($(stat -c %s done.czt) / 2)) done.czt >half.czt
out=$("$CZPROF" top --batch 1 --speed 0 -w 200 half.czt)
expect_match batch_cut_status "$out" "^czprof top - trace ended, incomplete "
expect_match batch_cut_warning "$out" "^warning: the trace stops without the program's end \(cut, or the recording was killed\)"
out=$("$CZPROF" top --batch 1 --speed 0 --sort allocs done.czt)
expect_match batch_sort_allocs "$(echo "$out" | grep -A1 'LIVE BYTES' | tail -1)" "churn"
out=$("$CZPROF" top --batch 1 --speed 0 --view leaks done.czt)
expect_match batch_leaks_view "$out" "LEAKS: 9.77 KiB in 10 blocks lost"
out=$("$CZPROF" top --batch 1 --speed 0 --view threads done.czt)
expect_match batch_threads_view "$out" "THREADS \(1\)"
expect_match batch_threads_row "$out" "9.77 KiB +10 +1,074 +1,064"
# agrees with the report built from the same trace
expect_match batch_agrees_with_peak "$("$CZPROF" peak done.czt)" "4.0 MiB"

# ---- a running program: snapshots follow its phases ----
mkdir ctl
"$CZPROF" top --batch 400 -d 50 -w 120 -o run.czt -- "$P" "$WORK/ctl" >snap.txt 2>snap.err &
top_pid=$!
wait_file ctl/at0 && touch ctl/go0
wait_file ctl/at1
if wait_text snap.txt "live 4.00 MiB \(4,194,304 B\) in 64 blocks"; then ok live_grown; else bad live_grown "$(tail -20 snap.txt)"; fi
touch ctl/go1
wait_file ctl/at2
if wait_text snap.txt "live 0 B \(0 B\) in 0 blocks   peak 4.00 MiB"; then ok live_dropped; else bad live_dropped "$(tail -20 snap.txt)"; fi
touch ctl/go2
wait_file ctl/at3 && touch ctl/go3
wait $top_pid
expect_eq live_exit_status $? 0
last=$(awk 'BEGIN{RS=""} {s=$0} END{print s}' snap.txt)
expect_match live_final "$last" "exited 0"
expect_match live_final_leak "$last" "live 9.77 KiB \(10,000 B\) in 10 blocks"
expect_match live_recording_status "$(cat snap.txt)" "recording"
expect_match live_trace_named "$(cat snap.err)" "trace run.czt, program output run.czt.out"
check live_trace_complete "$CZPROF" leaks run.czt
expect_match live_trace_leaks "$("$CZPROF" leaks run.czt)" "10,000 B|9.8 KiB"

# ---- the screen, in tmux ----
if command -v tmux >/dev/null 2>&1; then
	S=czprof-top-$$
	pane() { tmux capture-pane -p -t "$S"; }
	# waits (up to 10 s) until the pane shows regex $1
	wait_pane() { i=0; while ! pane | grep -Eq -- "$1" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; pane | grep -Eq -- "$1"; }
	screen_check() { if wait_pane "$2"; then ok "$1"; else bad "$1" "no /$2/ on screen: $(pane | head -30)"; fi; }
	rm -rf ctl && mkdir ctl
	tmux -f /dev/null new-session -d -s "$S" -x 120 -y 40 \
		"cd '$WORK' && LANG=C.UTF-8 '$CZPROF' top -d 100 -o tmux.czt -- '$P' '$WORK/ctl'; echo TOP-EXIT=\$?; sleep 60"
	wait_file ctl/at0 && touch ctl/go0
	wait_file ctl/at1
	screen_check screen_live "live 4.00 MiB \(4,194,304 B\) in 64 blocks"
	screen_check screen_top_site "4.00 MiB +64 +64 .*grow_cache \(tests/progs/top_phases.c:40\)"
	screen_check screen_header "czprof top - recording .* - pid [0-9]+ - .*top_phases"
	screen_check screen_chart "4.00 MiB\|"
	# sort: live bytes -> live blocks -> allocations
	tmux send-keys -t "$S" s s
	screen_check screen_sort_key "CALL SITES by allocations"
	expect_match screen_sorted "$(pane | grep -A1 'LIVE BYTES' | tail -1)" "churn"
	# filter by function name
	tmux send-keys -t "$S" / g r o w Enter
	screen_check screen_filter "filter: 'grow'"
	expect_eq screen_filter_rows "$(pane | grep -c 'tests/progs/top_phases.c')" 1
	# the stack of the selected site
	tmux send-keys -t "$S" Enter
	screen_check screen_stack "#1  main \(tests/progs/top_phases.c"
	tmux send-keys -t "$S" Enter / BSpace BSpace BSpace BSpace Enter
	screen_check screen_filter_cleared "CALL SITES by allocations \(2\)"
	# Enter on another row opens that row's stack (it used to close the open one)
	tmux send-keys -t "$S" Enter
	screen_check screen_stack_first "stack holding 0 B of it"
	tmux send-keys -t "$S" Down Enter
	screen_check screen_stack_other_row "stack holding 4.00 MiB of it"
	expect_eq screen_stack_one_open "$(pane | grep -c 'stack holding')" 1
	tmux send-keys -t "$S" Enter
	tmux send-keys -t "$S" s s
	touch ctl/go1
	wait_file ctl/at2
	screen_check screen_freed "live 0 B \(0 B\) in 0 blocks   peak 4.00 MiB"
	screen_check screen_peak_marked "\^ peak 4.00 MiB"
	touch ctl/go2
	wait_file ctl/at3
	tmux send-keys -t "$S" t
	screen_check screen_threads "THREADS \(1\)"
	tmux send-keys -t "$S" '?'
	screen_check screen_help "show or hide the selected site's stack"
	tmux send-keys -t "$S" l
	screen_check screen_leaks_running "the program is still running"
	touch ctl/go3
	screen_check screen_ended "exited 0"
	screen_check screen_leaks "LEAKS: 9.77 KiB in 10 blocks lost"
	# once the program has exited, no rate and no live thread is left over
	screen_check screen_ended_rates "^allocs 0/s  frees 0/s"
	tmux send-keys -t "$S" t
	screen_check screen_ended_threads "9.77 KiB +10 +1,074 +1,064 +[0-9.]+ MiB  ended"
	tmux send-keys -t "$S" l
	# a smaller terminal: the layout follows, the key bar stays at the bottom
	tmux resize-window -t "$S" -x 80 -y 20 2>/dev/null || tmux resize-pane -t "$S" -x 80 -y 20
	screen_check screen_resized "LEAKS: 9.77 KiB"
	expect_match screen_resized_keybar "$(pane | tail -1)" "^q quit  \\? help"
	expect_eq screen_resized_width "$(pane | python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))')" 80
	tmux send-keys -t "$S" q
	screen_check screen_quit "TOP-EXIT=0"
	expect_eq screen_restored "$(tmux display -p -t "$S" '#{alternate_on}')" 0
	expect_match screen_after "$(pane)" "czprof: trace tmux.czt"
	tmux kill-session -t "$S" 2>/dev/null

	# Ctrl-C quits too, stops the program it started and restores the terminal
	tmux -f /dev/null new-session -d -s "$S" -x 100 -y 30 \
		"cd '$WORK' && '$CZPROF' top -o intr.czt -- '$P' '$WORK/ctl2'; echo TOP-EXIT=\$?; sleep 60"
	screen_check screen_waiting "czprof top - "
	tmux send-keys -t "$S" C-c
	screen_check ctrl_c_quits "TOP-EXIT=0"
	expect_eq ctrl_c_restored "$(tmux display -p -t "$S" '#{alternate_on}')" 0
	expect_match ctrl_c_stopped "$(pane)" "stopping the recorded program"
	tmux kill-session -t "$S" 2>/dev/null

	# a terminal type curses does not know: one line, not curses' own exit
	tmux -f /dev/null new-session -d -s "$S" -x 100 -y 30 \
		"cd '$WORK' && TERM=no-such-term '$CZPROF' top done.czt; echo TOP-EXIT=\$?; sleep 60"
	screen_check bad_term_exit "TOP-EXIT=1"
	expect_match bad_term_message "$(pane)" "^czprof: top cannot drive this terminal \(TERM=no-such-term is unknown here"
	tmux kill-session -t "$S" 2>/dev/null

	# a fatal signal in the viewer still gives the terminal back
	tmux -f /dev/null new-session -d -s "$S" -x 100 -y 30 \
		"cd '$WORK' && '$CZPROF' top done.czt; echo TOP-EXIT=\$?; sleep 60"
	screen_check fatal_screen_up "czprof top - "
	pkill -SEGV -f "czprof top done.czt"
	screen_check fatal_exit_status "TOP-EXIT=139"
	expect_eq fatal_restored "$(tmux display -p -t "$S" '#{alternate_on}')" 0
	tmux kill-session -t "$S" 2>/dev/null

	# a program that writes events faster than the screen can show them:
	# the screen still moves every refresh (it used to read 8 MiB of
	# compressed trace, millions of events, before drawing again, and sat
	# on "0 allocs" for seconds)
	tmux -f /dev/null new-session -d -s "$S" -x 120 -y 40 \
		"cd '$WORK' && '$CZPROF' top -d 100 -o busy.czt -- '$TESTBIN/progs/load_big' 30000000; echo TOP-EXIT=\$?; sleep 60"
	seen=; i=0; n=0
	while [ $i -lt 200 ] && [ "$n" -lt 5 ]; do
		p=$(pane)
		case "$(echo "$p" | head -1)" in
		*recording*) seen="$seen $(echo "$p" | sed -En 's/^allocs .*   ([0-9,]+) allocs,.*/\1/p' | grep -v '^0$')" ;;
		esac
		n=$(echo $seen | tr ' ' '\n' | sort -u | grep -c .)
		sleep 0.1; i=$((i + 1))
	done
	check screen_keeps_up test "$n" -ge 5
	tmux send-keys -t "$S" q
	screen_check busy_quit "TOP-EXIT=0"
	tmux kill-session -t "$S" 2>/dev/null

	# replaying a big trace to its end (--speed 0) goes on over several
	# refreshes, so keys are read between them: the first screen shows
	# part of it (it used to read all of it first, deaf to q meanwhile)
	"$CZPROF" record -o big.czt "$TESTBIN/progs/load_big" 5000000 2>/dev/null
	tmux -f /dev/null new-session -d -s "$S" -x 120 -y 40 \
		"cd '$WORK' && '$CZPROF' top -d 100 --speed 0 big.czt; echo TOP-EXIT=\$?; sleep 60"
	wait_pane "czprof top - "
	first=$(pane | sed -En 's/^allocs .*   ([0-9,]+) allocs,.*/\1/p' | tr -d ,)
	check replay_first_screen_partial test "${first:-0}" -lt 5000001
	screen_check replay_reaches_the_end "5,000,001 allocs, 5,000,000 frees"
	tmux send-keys -t "$S" q
	screen_check replay_quit "TOP-EXIT=0"
	tmux kill-session -t "$S" 2>/dev/null

	# following a trace another czprof record writes; plain `czprof top`
	# finds it in the current folder
	mkdir -p fol ctl3 && cd fol
	"$CZPROF" record -o f.czt "$P" "$WORK/ctl3" >/dev/null 2>&1 &
	rec=$!
	wait_file "$WORK/ctl3/at0"
	tmux -f /dev/null new-session -d -s "$S" -x 120 -y 40 \
		"cd '$WORK/fol' && '$CZPROF' top -d 100; echo TOP-EXIT=\$?; sleep 60"
	screen_check follow_newest "following"
	touch "$WORK/ctl3/go0"
	screen_check follow_sees_growth "live 4.00 MiB"
	tmux send-keys -t "$S" q
	screen_check follow_quit "TOP-EXIT=0"
	touch "$WORK/ctl3/go1" "$WORK/ctl3/go2" "$WORK/ctl3/go3"
	wait $rec
	expect_eq follow_left_recorder_alone $? 0
	tmux kill-session -t "$S" 2>/dev/null
	cd "$WORK"
else
	skip screen "tmux is not installed (make deps installs it)"
fi

# ---- bad input: one clear line, non-zero exit ----
err=$("$CZPROF" top --batch 1 missing.czt 2>&1); rc=$?
expect_match missing_trace "$rc $err" "^1 czprof: .*missing.czt.*No such file"
echo "not a trace" >junk.czt
err=$("$CZPROF" top --batch 1 junk.czt 2>&1); rc=$?
expect_match not_a_trace "$rc $err" "^1 czprof: .*junk.czt' is not a czprof trace"
mkdir empty && cd empty
err=$("$CZPROF" top --batch 1 2>&1); rc=$?
cd "$WORK"
expect_match no_live_trace "$rc $err" "^1 czprof: no trace is being written in this folder"
err=$("$CZPROF" top --bogus 2>&1); rc=$?
expect_match bad_flag "$rc $err" "^2 czprof: unknown option '--bogus'"
err=$("$CZPROF" top --batch x done.czt 2>&1); rc=$?
expect_match bad_batch "$rc $err" "^2 czprof: --batch needs a number"
err=$("$CZPROF" top done.czt </dev/null 2>&1 >/dev/null); rc=$?
expect_match needs_terminal "$rc $err" "^1 czprof: top needs a terminal"
# no terminal: found before the program starts, nothing left behind
mkdir noterm && cd noterm
"$CZPROF" top -- sh -c 'touch ran' </dev/null >../noterm.out 2>../noterm.err
expect_eq no_terminal_status $? 1
expect_eq no_terminal_message "$(cat ../noterm.err)" "czprof: top needs a terminal (use --batch N for text snapshots)"
expect_eq no_terminal_nothing_left "$(ls -A)" ""
cd "$WORK"
err=$("$CZPROF" top --batch 1 -- ./no-such-program 2>&1); rc=$?
expect_match bad_program "$rc $err" "no-such-program"
check help "$CZPROF" top --help
