# Where a trace's database goes, and a load that is long or cut short:
#   --db PATH on every report and on load; a file that is not a czprof
#   database is never overwritten;
#   a trace in a read-only folder: the database goes to
#   $XDG_CACHE_HOME/czprof/ (or ~/.cache/czprof/), or into memory when that
#   cannot be written either, and one line says so;
#   a progress line on a terminal (tmux) for a load over a second, none
#   through a pipe;
#   Ctrl-C (tmux) or SIGTERM during a load: no *.db.tmp* left, status 128+sig.
. tests/e2e/lib.sh
P=$TESTBIN/progs

# load_big 20000: 20,001 allocations (the ring's 20,000 and a leak of
# 4321 B), 40,001 events
"$CZPROF" record -o small.czt "$P/load_big" 20000 2>/dev/null
count() { "$CZPROF" sql --csv "$@" "select count(*) from allocations" 2>&1 | tail -1; }

# ---- --db: every report reads and builds its database there ----
mkdir dbs
for c in stats leaks peak errors arenas hotspots temporary check; do
	"$CZPROF" $c --db "dbs/$c.db" small.czt >"$c.out" 2>&1
	check "db_${c}_built_there" test -s "dbs/$c.db"
done
"$CZPROF" flamegraph --db dbs/flamegraph.db -o f.svg small.czt >/dev/null 2>&1
check db_flamegraph_built_there test -s dbs/flamegraph.db
"$CZPROF" plot --db=dbs/plot.db -o p.svg small.czt >/dev/null 2>&1
check db_plot_equals_form test -s dbs/plot.db
"$CZPROF" export --db dbs/export.db -f json -o e.json small.czt >/dev/null 2>&1
check db_export_built_there test -s dbs/export.db
expect_eq db_sql_reads_it "$(count --db dbs/stats.db small.czt)" 20001
expect_match db_stats_figures "$(cat stats.out)" "allocations +20001"
check db_none_beside_trace test ! -e small.czt.db
# record's budgets read the trace just written: there too
out=$("$CZPROF" record --db dbs/rec.db --max-allocs 101 -o rec.czt "$P/load_big" 100 2>&1)
expect_match db_record_budgets "$out" "max-allocs +101 +101 +ok"
check db_record_built_there test -s dbs/rec.db
check db_record_none_beside test ! -e rec.czt.db
# the database --db names is the one read: a report reuses it, unchanged
before=$(stat -c %Y.%s dbs/stats.db)
sleep 1.1
"$CZPROF" stats --db dbs/stats.db small.czt >/dev/null 2>&1
expect_eq db_reused "$(stat -c %Y.%s dbs/stats.db)" "$before"
out=$("$CZPROF" load --db dbs/load.db small.czt 2>&1)
expect_match db_load "$out" "^czprof: wrote 'dbs/load.db' in "
expect_eq db_load_reads "$(count --db dbs/load.db small.czt)" 20001
expect_match db_load_help "$("$CZPROF" load --help)" "--db DB, -o DB +write the database to DB"
expect_match db_report_help "$("$CZPROF" leaks --help)" "--db PATH +the trace's database"
err=$("$CZPROF" stats small.czt --db 2>&1); rc=$?
expect_eq db_needs_value "$rc $err" "2 czprof: stats: --db needs a file name"
err=$("$CZPROF" diff --db x.db small.czt small.czt 2>&1); rc=$?
expect_match db_diff_refused "$rc $err" "^2 czprof: diff: --db names one trace's database and diff reads two"

# ---- a user's file is never overwritten ----
printf 'my notes\n' >notes.txt
err=$("$CZPROF" leaks --db notes.txt small.czt 2>&1); rc=$?
expect_eq db_refuses_text "$rc $err" "1 czprof: 'notes.txt' exists and is not a czprof database: not overwriting it"
expect_eq db_text_untouched "$(cat notes.txt)" "my notes"
python3 -c 'import sqlite3; c = sqlite3.connect("mine.sqlite"); c.execute("create table meta(k, v)"); c.commit()'
sum=$(cksum <mine.sqlite)
err=$("$CZPROF" load -o mine.sqlite small.czt 2>&1); rc=$?
expect_eq db_refuses_sqlite "$rc $err" "1 czprof: 'mine.sqlite' exists and is not a czprof database: not overwriting it"
expect_eq db_sqlite_untouched "$(cksum <mine.sqlite)" "$sum"
check db_no_tmp_beside_refused test -z "$(ls | grep '\.tmp')"
# an empty file (mktemp's) and a czprof database of another trace are taken
: >empty.db
expect_eq db_takes_empty "$(count --db empty.db small.czt)" 20001
"$CZPROF" record -o other.czt "$P/load_big" 100 2>/dev/null
expect_eq db_takes_other_trace_db "$(count --db empty.db other.czt)" 101

# ---- a read-only folder: the cache, else memory ----
mkdir ro ro2 ro3
# a failed check must not leave a mount behind
trap 'umount "$WORK/ro" "$WORK/ro2" "$WORK/ro3" 2>/dev/null; rm -rf "$WORK"' EXIT
if mount -t tmpfs -o size=4m,mode=755 czprof-ro "$WORK/ro" 2>/dev/null &&
	mount -t tmpfs -o size=4m,mode=755 czprof-ro2 "$WORK/ro2" 2>/dev/null; then
	cp small.czt ro/ && cp other.czt ro2/small.czt
	mount -o remount,ro "$WORK/ro" && mount -o remount,ro "$WORK/ro2"
	export XDG_CACHE_HOME="$WORK/cache"
	"$CZPROF" stats ro/small.czt >ro.out 2>ro.err
	expect_match ro_says_where "$(cat ro.err)" \
		"^czprof: $WORK/ro is not writable; the database is in $WORK/cache/czprof/small.czt-[0-9a-f]{16}\.db$"
	expect_eq ro_one_line "$(wc -l <ro.err)" 1
	expect_match ro_report "$(cat ro.out)" "allocations +20001"
	expect_eq ro_cache_file "$(ls cache/czprof | grep -c '^small\.czt-[0-9a-f]\{16\}\.db$')" 1
	expect_eq ro_cache_private "$(stat -c %a cache/czprof)" 700
	# the next report reads the same file, without loading again
	db=$(ls cache/czprof/small.czt-*.db)
	before=$(stat -c %Y.%s "$db")
	sleep 1.1
	expect_eq ro_cache_reused_figures "$(count ro/small.czt)" 20001
	expect_eq ro_cache_reused "$(stat -c %Y.%s "$db")" "$before"
	# another trace of the same name, in another folder: its own file
	expect_eq ro_other_trace "$(count ro2/small.czt)" 101
	expect_eq ro_no_collision "$(ls cache/czprof | grep -c '^small\.czt-')" 2
	expect_eq ro_first_kept "$(count ro/small.czt)" 20001
	# without XDG_CACHE_HOME: ~/.cache/czprof, named with a ~
	out=$(env -u XDG_CACHE_HOME HOME="$WORK/home" "$CZPROF" load ro/small.czt 2>&1)
	expect_match ro_home_cache "$out" "^czprof: $WORK/ro is not writable; the database is in ~/\.cache/czprof/small\.czt-[0-9a-f]{16}\.db$"
	expect_eq ro_home_cache_file "$(ls home/.cache/czprof | grep -c '^small\.czt-')" 1
	# a current database beside the trace is still read where it is
	# (a trace shipped with its database on read-only media)
	mount -t tmpfs -o size=8m,mode=755 czprof-ro3 "$WORK/ro3" &&
		cp small.czt ro3/ && "$CZPROF" load ro3/small.czt 2>/dev/null && mount -o remount,ro "$WORK/ro3"
	err=$("$CZPROF" stats ro3/small.czt 2>&1 >/dev/null)
	expect_eq ro_beside_used "$err" ""
	umount "$WORK/ro3"
	# the cache not writable either (here on the read-only mount): memory
	export XDG_CACHE_HOME="$WORK/ro/cache"
	"$CZPROF" sql --csv ro/small.czt "select count(*) from allocations" >mem.out 2>mem.err
	expect_eq mem_says_so "$(cat mem.err)" \
		"czprof: $WORK/ro is not writable, nor is $WORK/ro/cache/czprof; the database is in memory, built again by each command"
	expect_eq mem_figures "$(tail -1 mem.out)" 20001
	# two traces in memory at once
	out=$("$CZPROF" diff ro/small.czt ro2/small.czt 2>/dev/null)
	expect_match mem_diff "$out" "czprof diff: ro/small.czt -> ro2/small.czt"
	err=$("$CZPROF" load ro/small.czt 2>&1); rc=$?
	expect_match mem_load_writes_nothing "$rc $err" "^1 czprof: .*in memory.*
czprof: load: nothing written: name a database with --db$"
	unset XDG_CACHE_HOME
	umount "$WORK/ro" "$WORK/ro2"
else
	skip read_only "cannot mount a tmpfs here (needs root)"
fi

# ---- a big trace: progress and interruption ----
# load_big 5000000: 10,000,001 events, a load of 2-9 s on this machine
"$CZPROF" record -o big.czt "$P/load_big" 5000000 2>/dev/null
tmp_left() { ls | grep -c '\.db\.tmp'; }
# waits (up to 20 s) until big.czt's load has started writing its database
wait_tmp() { i=0; while [ "$(tmp_left)" = 0 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done; [ "$(tmp_left)" != 0 ]; }

# through a pipe (stderr a file): no progress line, only the summary
CZPROF_PROGRESS_AFTER_MS=0 "$CZPROF" load big.czt 2>pipe.err
expect_eq pipe_no_progress "$(grep -c 'loading' pipe.err) $(tr -cd '\r' <pipe.err | wc -c)" "0 0"
expect_match pipe_summary "$(cat pipe.err)" "^czprof: loaded 10000001 events, 5000001 allocations from 'big.czt'"

# SIGTERM (a background command of a script ignores SIGINT)
rm -f big.czt.db
"$CZPROF" leaks big.czt >/dev/null 2>term.err &
pid=$!
if wait_tmp; then
	kill -TERM $pid
	{ wait $pid; } 2>/dev/null # (sh says "Terminated")
	expect_eq term_status $? 143
	expect_eq term_no_tmp "$(tmp_left)" 0
	check term_no_db test ! -e big.czt.db
else
	wait $pid
	bad term_started "the load never wrote a temporary database"
fi

if command -v tmux >/dev/null 2>&1; then
	n=0
	pane() { tmux capture-pane -p -t "$S"; }
	# waits (up to 20 s) until the pane shows regex $1
	wait_pane() { i=0; while ! pane | grep -Eq -- "$1" && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done; pane | grep -Eq -- "$1"; }
	screen_check() { if wait_pane "$2"; then ok "$1"; else bad "$1" "no /$2/ on screen: $(pane | head -10)"; fi; }
	# the shell traps SIGINT (czprof does not inherit a trap) so that it
	# lives on to print czprof's status
	run() { n=$((n + 1)); S=czprof-dbpath-$$-$n
		tmux -f /dev/null new-session -d -s "$S" -x 100 -y 10 \
		"cd '$WORK' && trap 'echo' INT; $1; echo EXIT=\$?; sleep 60"; }

	# a terminal: percent redrawn in place, erased at the end
	rm -f big.czt.db
	run "CZPROF_PROGRESS_AFTER_MS=0 '$CZPROF' load big.czt"
	screen_check tty_progress "^czprof: loading big\.czt: [0-9]+%$"
	screen_check tty_load_ends "EXIT=0"
	expect_match tty_progress_erased "$(pane | head -1)" "^czprof: loaded 10000001 events, 5000001 allocations from 'big\.czt'$"
	tmux kill-session -t "$S" 2>/dev/null
	# a short load draws nothing
	run "'$CZPROF' load small.czt"
	screen_check tty_short_ends "EXIT=0"
	expect_eq tty_short_no_line "$(pane | grep -c loading)" 0
	tmux kill-session -t "$S" 2>/dev/null

	# Ctrl-C while a report loads: nothing left, status 130, line erased
	rm -f big.czt.db
	run "'$CZPROF' leaks big.czt"
	if wait_tmp; then
		tmux send-keys -t "$S" C-c
		screen_check ctrl_c_status "^EXIT=130$"
		expect_eq ctrl_c_no_tmp "$(tmp_left)" 0
		check ctrl_c_no_db test ! -e big.czt.db
		expect_eq ctrl_c_line_erased "$(pane | grep -c 'loading')" 0
	else
		bad ctrl_c_started "the load never wrote a temporary database"
	fi
	tmux kill-session -t "$S" 2>/dev/null
else
	skip tty "tmux is not installed (make deps installs it)"
fi
