#!/bin/sh
# make bench-scale: does analysis stay flat as a run grows?  Records churn
# (bench/churn.c: malloc/free pairs from 440 stacks, 256 blocks live) at
# each event count in EVENTS, then times the first report on it (`czprof
# leaks`, which builds the database) and prints its wall time, peak RSS,
# the trace's and the database's sizes.  Memory should not grow with the
# events: it follows the live blocks and the stacks.  Not run by CI: a
# billion events (EVENTS=1000000000) make a trace of about 2 GB and take
# several minutes to record and to load.
#   EVENTS="10000000 100000000" (default)   TMPDIR=... where the traces go
B=${1:-build}
EVENTS=${EVENTS:-"10000000 100000000"}
CZ="$PWD/$B/czprof"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/czprof-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

printf '%12s %9s %10s %9s %9s %8s %9s\n' events record_s trace_MB report_s rss_MB db_MB Mev/s
for n in $EVENTS; do
	rm -f "$tmp"/t.czt*
	t0=$(date +%s.%N)
	"$CZ" record -o "$tmp/t.czt" -- "$PWD/$B/bench/churn" $((n / 2)) >/dev/null 2>"$tmp/err" || {
		echo "bench-scale: recording failed: $(tail -n 2 "$tmp/err")" >&2; exit 1; }
	t1=$(date +%s.%N)
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$CZ" leaks "$tmp/t.czt" >/dev/null 2>"$tmp/err" || {
		echo "bench-scale: the report failed: $(tail -n 2 "$tmp/err")" >&2; exit 1; }
	read secs kib <"$tmp/time"
	ev=$("$CZ" sql --csv "$tmp/t.czt" "select value from meta where key = 'events'" | tail -n 1)
	echo "$n $t0 $t1 $(stat -c %s "$tmp/t.czt") $secs $kib $(stat -c %s "$tmp/t.czt.db") $ev" |
		awk '{ printf "%12d %9.1f %10.1f %9.2f %9.1f %8.1f %9.1f\n", $8, $3 - $2, $4 / 1e6, $5,
			$6 / 1024, $7 / 1e6, $8 / $5 / 1e6 }'
done
