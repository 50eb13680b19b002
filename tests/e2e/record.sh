# czprof record and czprof dump as a user runs them.
. tests/e2e/lib.sh
P=$TESTBIN/progs
count() { "$CZPROF" dump --summary "$1" 2>/dev/null | awk -v k="$2" '$1==k {print $2}'; }

# exit status passes through; killed programs give 128+N
cat >exit3.c <<'C'
int main(void) { return 3; }
C
cc -o exit3 exit3.c
"$CZPROF" record -o e3.czt ./exit3 2>/dev/null
expect_eq exit_status_passthrough $? 3
"$CZPROF" record -o term.czt sh -c 'kill -TERM $$' 2>/dev/null
expect_eq killed_status $? 143

# stdin and stdout pass through
out=$(echo hello | "$CZPROF" record -o cat.czt cat 2>/dev/null)
expect_eq stdio_passthrough "$out" hello

# the summary line on stderr
err=$("$CZPROF" record -o ex.czt "$P/rec_exact" 2>&1 >/dev/null)
expect_match summary_line "$err" "recorded 2007 events, [0-9]+ stack nodes, .* -> .*ex.czt"

# an existing trace is not replaced without -f
check_fails refuses_overwrite "$CZPROF" record -o ex.czt "$P/rec_exact"
expect_match refuses_overwrite_message "$(cat "$WORK/.out")" "exists; use -f"
check replaces_with_force "$CZPROF" record -f -o ex.czt "$P/rec_exact"

# default name czprof.PROG.PID.czt in the current folder
"$CZPROF" record "$P/rec_exact" 2>/dev/null
expect_eq default_name "$(ls czprof.rec_exact.*.czt 2>/dev/null | wc -l)" 1

# errors: missing program, static program, bad flag, no program
"$CZPROF" record -o m.czt ./no-such-program 2>err; rc=$?
expect_eq missing_program_status $rc 127
expect_match missing_program_message "$(cat err)" "no-such-program"
expect_eq missing_program_no_trace "$(ls m.czt 2>/dev/null | wc -l)" 0
cat >static.c <<'C'
#include <stdlib.h>
int main(void) { free(malloc(1)); return 0; }
C
if cc -static -o static static.c 2>/dev/null; then
	check_fails static_refused "$CZPROF" record -o s.czt ./static
	expect_match static_message "$(cat "$WORK/.out")" "statically linked"
fi
check_fails bad_flag "$CZPROF" record --bogus ls
check_fails no_program "$CZPROF" record
check record_help "$CZPROF" record --help

# the symbol table names the function and line of a known allocation
dump=$("$CZPROF" dump ex.czt)
fn=$(printf '%s\n' "$dump" | awk '/ string id=[0-9]+ "make_pair"/ {sub("id=","",$4); print $4}')
file=$(printf '%s\n' "$dump" | awk '/ string id=[0-9]+ "tests\/progs\/rec_exact.c"/ {sub("id=","",$4); print $4}')
expect_match symbol_make_pair_line "$dump" "frame .*\[fn=$fn file=$file line=11\]"
expect_match symbol_leak_some_line "$dump" "frame .*line=19\]"
expect_match footer_exit "$dump" "process-end .*how=exit value=0"
expect_match footer_summary "$dump" "summary events=2007 "

# dump: exact counts, a cut trace warns and keeps whole chunks, a non-trace errors
expect_eq dump_malloc_count "$(count ex.czt malloc)" 1007
expect_eq dump_free_count "$(count ex.czt free)" 1000
size=$(stat -c %s ex.czt)
head -c $((size - 5)) ex.czt >cut.czt
"$CZPROF" dump --summary cut.czt >cut.out 2>cut.err
expect_eq dump_cut_status $? 0
expect_match dump_cut_warning "$(cat cut.err)" "warning: trace cut at byte [0-9]+"
expect_eq dump_cut_keeps_events "$(awk '$1=="malloc" {print $2}' cut.out)" 1007
check_fails dump_not_a_trace "$CZPROF" dump /etc/passwd
expect_match dump_not_a_trace_message "$(cat "$WORK/.out")" "not a czprof trace"
check_fails dump_missing "$CZPROF" dump nothing-here.czt

# a recorded program killed by SIGKILL: record cuts a partial last chunk
# and the trace still reads
"$CZPROF" record -o k.czt "$P/rec_kill" "$WORK/count" 2>/dev/null &
recpid=$!
sleep 1
pkill -KILL -P $recpid
wait $recpid
expect_match sigkill_footer "$("$CZPROF" dump k.czt 2>&1)" "process-end .*how=signal value=9"

# --follow-fork: only the traces this run's processes created are its
# children; an older empty ff.123.czt and ff.notes.czt are neither listed
# nor deleted
mkdir ff && cd ff
: >ff.123.czt
echo notes >ff.notes.czt
"$CZPROF" record --follow-fork -o ff.czt "$P/rec_fork" 2>ff.err
expect_eq ff_one_child_listed "$(grep -c 'child trace' ff.err)" 1
expect_eq ff_unrelated_kept "$(ls ff.123.czt ff.notes.czt 2>/dev/null | wc -l)" 2
expect_eq ff_unrelated_not_listed "$(grep -c -e 'ff\.123\.czt' -e 'ff\.notes\.czt' ff.err)" 0
cd "$WORK"
