#!/bin/sh
# make bench: runs each benchmark program natively and under `czprof record`
# in pairs (A B A B ...), and prints the median wall-time ratio, trace bytes
# per event (as stored by default, with every EVENTS chunk in column form,
# and raw: with every chunk uncompressed), what compression costs, peak RSS of
# the program natively and under the recorder, and the analysis times (first
# report, which loads the trace, and a repeated one).  With heaptrack installed it is
# measured the same way (record only, then heaptrack_print) for comparison.
# Below the table, per program: what each way of storing its events would
# cost the recorder's flusher in CPU, and the bytes it gives (bench/packcost);
# and how fast `czprof top` applies the trace (--batch, replayed at once).
#   ROUNDS=5 (pairs per program)   PROGS="churn threads leaky realloc churn_fp"
#   PEERS=0 to skip heaptrack      CZFLAGS="..." extra record flags
#   LOADS=3 (first reports timed)  (e.g. --no-compress)
# churn_fp is churn built with frame pointers, recorded with --unwind=fp.
# The target columns are what the project aims for: the recording ratio,
# what compression costs by default, bytes per event compressed (column
# form) and raw.
B=${1:-build}
ROUNDS=${ROUNDS:-5}
LOADS=${LOADS:-3}
PROGS=${PROGS:-"churn threads leaky realloc churn_fp"}
PEERS=${PEERS:-1}
CZ="$PWD/$B/czprof"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/czprof-bench.XXXXXX")
: >"$tmp/packcost"
: >"$tmp/top"
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
# wall seconds and peak RSS (KiB) of a command, into $secs and $rss
timed() {
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || {
		echo "bench: '$*' failed: $(tail -n 3 "$tmp/stderr")" >&2; return 1; }
	secs=$(cut -d' ' -f1 "$tmp/time"); rss=$(cut -d' ' -f2 "$tmp/time")
}
# bytes per event, two decimals
per_event() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1/$2; else print "?" }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

have_heaptrack=0
[ "$PEERS" = 1 ] && command -v heaptrack >/dev/null && have_heaptrack=1

target_of() { case $1 in churn) echo 2.2 ;; threads) echo 2.5 ;; leaky) echo 1.5 ;; realloc) echo 2.2 ;; churn_fp) echo 1.6 ;; *) echo - ;; esac; }
printf '%-8s %8s %8s %7s %6s %7s %6s %6s %8s %9s %7s %8s %6s %8s %6s %9s %9s %7s %8s' prog native \
	record ratio target raw_rat z_cost target col_cost events B/event col_B/ev target raw_B/ev target \
	rss_nat rss_prof rss_add target
printf ' %9s %7s %7s %6s %7s %6s %7s %6s %6s %7s %6s' load+rep rep_rss db/czt Mev/s target rep2 target \
	fresh scan_ms scan%
[ $have_heaptrack = 1 ] && printf ' %8s %10s %7s %6s %6s' ht_ratio ht_print ht_rss vs_ht target
echo
for p in $PROGS; do
	bin="$PWD/$B/bench/$p"
	flags=$CZFLAGS
	case $p in *_fp) flags="$flags --unwind=fp" ;; esac
	: >"$tmp/nat"; : >"$tmp/rec"; : >"$tmp/ratio"; : >"$tmp/ht"; : >"$tmp/zratio"
	: >"$tmp/zcost"; : >"$tmp/ccost"
	for r in $(seq "$ROUNDS"); do
		timed "$bin" || exit 1; n=$secs; echo "$n" >>"$tmp/nat"; rn=$rss
		# compressed (the default), without, and with every EVENTS
		# chunk in column form (CZPROF_COLUMNS=1), for what compression
		# costs: in turns first, so that none always follows the native
		# run
		case $((r % 3)) in
		1) modes="z raw col" ;; 2) modes="raw col z" ;; *) modes="col z raw" ;;
		esac
		for mode in $modes; do
			case $mode in
			z)
				rm -f "$tmp/t.czt"*
				timed "$CZ" record $flags -o "$tmp/t.czt" -- "$bin" || exit 1
				echo "$secs" >>"$tmp/rec"; zs=$secs
				echo "$secs $n" | awk '{print $1/$2}' >>"$tmp/ratio" ;;
			raw)
				rm -f "$tmp/z.czt"*
				timed "$CZ" record $flags --no-compress -o "$tmp/z.czt" -- "$bin" || exit 1
				echo "$secs $n" | awk '{print $1/$2}' >>"$tmp/zratio"; raws=$secs ;;
			col)
				rm -f "$tmp/c.czt"*
				timed env CZPROF_COLUMNS=1 "$CZ" record $flags -o "$tmp/c.czt" -- "$bin" ||
					exit 1
				cs=$secs ;;
			esac
		done
		echo "$zs $raws" | awk '{printf "%.1f\n", ($1/$2 - 1) * 100}' >>"$tmp/zcost"
		echo "$cs $raws" | awk '{printf "%.1f\n", ($1/$2 - 1) * 100}' >>"$tmp/ccost"
		if [ $have_heaptrack = 1 ]; then
			rm -f "$tmp"/ht.*
			timed heaptrack -r -o "$tmp/ht" "$bin" && echo "$secs $n" | awk '{print $1/$2}' >>"$tmp/ht"
		fi
	done
	# the program's own peak RSS under the recorder, without czprof's
	# post-processing (symbolization) counted in
	rm -f "$tmp/p.czt"
	unwind=dwarf; case $p in *_fp) unwind=fp ;; esac
	timed env LD_PRELOAD="$PWD/$B/libczprof.so" CZPROF_OUTPUT="$tmp/p.czt" CZPROF_UNWIND=$unwind "$bin" || exit 1
	rr=$rss
	"$CZ" dump --summary "$tmp/t.czt" >"$tmp/summary"
	events=$(awk '$1=="events" {print $2}' "$tmp/summary")
	raw=$(awk '$1=="raw-bytes" {print $2}' "$tmp/summary")
	size=$(stat -c %s "$tmp/t.czt")
	bpe=$(per_event "$size" "$events")
	csize=$(stat -c %s "$tmp/c.czt")
	cevents=$("$CZ" dump --summary "$tmp/c.czt" | awk '$1=="events" {print $2}')
	cbpe=$(per_event "$csize" "$cevents")
	rawbpe=$(per_event "$raw" "$events")
	# what each way of storing its events costs the flusher, on the
	# last uncompressed trace (bench/packcost, thread CPU, fastest of 3)
	"$PWD/$B/bench/packcost" "$tmp/z.czt" 3 2>/dev/null | awk -v p="$p" '{ v[$1] = $2 }
		END { if (v["events"]) printf "%-8s %7s %7s %7s %7s %7s %8s %8s\n", p, v["walk_ns"],
			v["split_ns"], v["streams_ns"], v["frame_ns"], v["columns_ns"], v["frame_B"],
			v["columns_B"] }' >>"$tmp/packcost"
	# the live view over the whole trace: one snapshot once every event
	# is applied; CPU time (user + system), which other work on the
	# machine disturbs less than the wall time, is what the rate is of
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/ttime" "$CZ" top --batch 1 --speed 0 "$tmp/t.czt" \
		>/dev/null 2>&1 && awk -v p="$p" -v ev="$events" '{ cpu = $2 + $3
		printf "%-8s %10s %7.2f %7.2f %9.2f %9s\n", p, ev, $1, cpu, (cpu > 0 ? ev / cpu / 1e6 : 0), $4 }' \
		"$tmp/ttime" >>"$tmp/top"
	first=-; second=-; rate=-; scanms=-; scanpct=-; reprss=-; dbx=-; htrss=-
	# how fast fresh memory comes just before the loads, which touch
	# hundreds of MB of it
	fresh=$("$PWD/$B/bench/memspeed" 2>/dev/null || echo -)
	if "$CZ" leaks --help >/dev/null 2>&1; then
		# the first report builds the database: the median of LOADS
		# fresh ones (this VM's cost of fresh memory varies a lot)
		: >"$tmp/first"; : >"$tmp/firstrss"
		for k in $(seq "$LOADS"); do
			rm -f "$tmp/t.czt.db"
			t0=$(now); /usr/bin/time -f "%M" -o "$tmp/rtime" "$CZ" leaks "$tmp/t.czt" >/dev/null 2>&1; t1=$(now)
			echo "$t0 $t1" | awk '{printf "%.2f\n", $2-$1}' >>"$tmp/first"
			cat "$tmp/rtime" >>"$tmp/firstrss"
		done
		reprss=$(median <"$tmp/firstrss" | awk '{printf "%.0fM", $1 / 1024}')
		dbx=$(echo "$(stat -c %s "$tmp/t.czt.db") $size" | awk '{printf "%.2f", $1 / $2}')
		"$CZ" leaks "$tmp/t.czt" >/dev/null 2>&1; t2=$(now)
		first=$(median <"$tmp/first")
		# the pointer scan at exit, against the whole recorded run
		scanms=$("$CZ" sql "$tmp/t.czt" "SELECT value / 1e6 FROM meta WHERE key = 'scan_ns'" 2>/dev/null | tail -n 1 | tr -d ' ')
		scanpct=$(echo "$scanms $(median <"$tmp/rec")" | awk '{ if ($2 > 0 && $1 != "") printf "%.2f%%", $1 / 10 / $2; else print "-" }')
		second=$(echo "$t1 $t2" | awk '{printf "%.3f", $2-$1}')
		rate=$(echo "$events $first" | awk '{ if ($2 > 0) printf "%.2f", $1/$2/1e6; else print "?" }')
	fi
	htr=-; htp=-; vsht=-
	if [ $have_heaptrack = 1 ]; then
		[ -s "$tmp/ht" ] && htr=$(median <"$tmp/ht" | awk '{printf "%.2f", $1}')
		f=$(ls "$tmp"/ht.* 2>/dev/null | head -n 1)
		interp=/usr/lib/heaptrack/libexec/heaptrack_interpret
		if [ -n "$f" ] && [ -x "$interp" ]; then
			# heaptrack -r leaves the raw stream; the interpreter step is
			# part of what its analysis costs
			# (Debian 12's heaptrack 1.4 interpreter aborts on churn-like
			# programs: its exit status is checked, not the pipeline's)
			: >"$tmp/htp"; : >"$tmp/htrss"
			for k in $(seq "$LOADS"); do
				t0=$(now)
				echo 1 >"$tmp/interp_rc"
				zstd -dc "$f" | { /usr/bin/time -f "%M" -o "$tmp/itime" timeout 120 "$interp" 2>/dev/null
					echo $? >"$tmp/interp_rc"; } | zstd -q >"$tmp/ht.zst"
				if [ "$(cat "$tmp/interp_rc")" = 0 ] &&
				   /usr/bin/time -f "%M" -o "$tmp/ptime" timeout 300 heaptrack_print "$tmp/ht.zst" >/dev/null 2>&1; then
					echo "$t0 $(now)" | awk '{printf "%.2f\n", $2-$1}' >>"$tmp/htp"
					# the larger of its two steps' peaks
					cat "$tmp/itime" "$tmp/ptime" | sort -n | tail -n 1 >>"$tmp/htrss"
				else
					break # a failure is not worth timing again
				fi
			done
			if [ -s "$tmp/htp" ]; then htp=$(median <"$tmp/htp"); else htp="failed"; fi
			[ -s "$tmp/htrss" ] && htrss=$(median <"$tmp/htrss" | awk '{printf "%.0fM", $1 / 1024}')
		fi
	fi
	# the recorder's memory: what the program's peak grew by, against
	# 8 MiB + 5% of its own peak
	radd=$(echo "$rr $rn" | awk '{printf "%.1fM", ($1 - $2) / 1024}')
	rmax=$(echo "$rn" | awk '{printf "<=%.1fM", 8 + $1 * 0.05 / 1024}')
	case $htp in [0-9]*) [ "$first" != - ] &&
		vsht=$(echo "$first $htp" | awk '{printf "%.2f", $1 / $2}') ;; esac
	printf '%-8s %8.2f %8.2f %7.2f %6s %7.2f %5s%% %6s %7s%% %9s %7s %8s %6s %8s %6s %9s %9s %7s %8s' \
		"$p" "$(median <"$tmp/nat")" "$(median <"$tmp/rec")" "$(median <"$tmp/ratio")" \
		"<=$(target_of "$p")" "$(median <"$tmp/zratio")" "$(median <"$tmp/zcost")" "<5%" \
		"$(median <"$tmp/ccost")" "$events" "$bpe" "$cbpe" "<=2.5" "$rawbpe" "<=8" "$rn" "$rr" \
		"$radd" "$rmax"
	printf ' %9s %7s %7s %6s %7s %6s %7s %6s %6s %7s %6s' "$first" "$reprss" "$dbx" "$rate" ">=3" "$second" \
		"<=0.1" "$fresh" "$scanms" "$scanpct"
	[ $have_heaptrack = 1 ] && printf ' %8s %10s %7s %6s %6s' "$htr" "$htp" "$htrss" "$vsht" "<=1"
	echo
done
if [ -s "$tmp/packcost" ]; then
	echo
	echo "the flusher's CPU per event (ns) and the bytes per event, by way of storing the events:"
	printf '%-8s %7s %7s %7s %7s %7s %8s %8s\n' prog walk split streams frame columns frame_B col_B
	cat "$tmp/packcost"
	echo "(bench/packcost on each program's last --no-compress trace, its chunks of 4 KiB or more;"
	echo " thread CPU, fastest of 3 passes: walk = stepping over the events, the least any rewriting"
	echo " of a written chunk costs; split + streams = columns = the column form; frame = one zstd frame)"
	echo
fi
if [ -s "$tmp/top" ]; then
	echo "czprof top --batch 1 --speed 0 on each program's trace (every event applied, one snapshot):"
	printf '%-8s %10s %7s %7s %9s %9s\n' prog events wall cpu Mev/s rss
	cat "$tmp/top"
	echo "(seconds; cpu = user + system; Mev/s = events / cpu, target >= 10; rss = peak RSS in KiB)"
	echo
fi
echo "(times in s, RSS in KiB; ratio = median of paired record/native runs over $ROUNDS rounds;"
echo " raw_rat the same with --no-compress; z_cost = median of compressed/uncompressed - 1 per round,"
echo " col_cost the same with CZPROF_COLUMNS=1 (column form always); B/event as stored by default"
echo " (columns while they cost < 5%: a core to spare, or a few % of the program's CPU), col_B/ev with"
echo " CZPROF_COLUMNS=1, raw_B/ev uncompressed; rss_add = peak RSS under the recorder - native, in MiB,"
echo " against 8 MiB + 5% of the native peak;"
echo " load+rep = first 'czprof leaks', loading included, median of $LOADS, rep_rss its peak RSS,"
echo " db/czt = the database's size against the trace's, Mev/s = events / load+rep;"
echo " rep2 = the same report again; fresh = GB/s at which this machine gave new memory just before"
echo " the loads (bench/memspeed: 256 MiB touched once; loads slow down when it is low);"
echo " scan_ms = the recorder's pointer scan at exit (leak kinds), scan% = that against the recorded run;"
echo " ht_print = heaptrack_interpret + heaptrack_print on its trace, ht_rss the larger peak RSS of the two,"
echo " median of $LOADS; vs_ht = load+rep / ht_print)"
# the pointer scan at exit on a big live heap: EXITHEAP MiB (default 1024)
# held at exit, every byte written; the scan reads all of it
eh=${EXITHEAP:-1024}
if [ "$eh" -gt 0 ]; then
	rm -f "$tmp/eh.czt"*
	timed "$PWD/$B/bench/exitheap" "$eh" || exit 1; ehn=$secs
	timed "$CZ" record -o "$tmp/eh.czt" -- "$PWD/$B/bench/exitheap" "$eh" || exit 1; ehr=$secs
	"$CZ" dump "$tmp/eh.czt" 2>/dev/null | awk -v n="$ehn" -v r="$ehr" -v mib="$eh" '$3 == "scan-end" {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "exit scan of a %d MiB heap: %.3f s for %.0f MiB read, %d words written; run %.2f s native, %.2f s recorded\n", mib, f["ns"] / 1e9, f["bytes"] / 1048576, f["words"], n, r }'
fi
