# zstd chunk compression (CZPROF_COMPRESS, record --compress/--no-compress)
# and the column form of EVENTS chunks (CZPROF_COLUMNS): the same program
# recorded every way gives the same figures, the compressed trace holds
# compressed chunks and is smaller, and a compressed trace cut anywhere
# still reads up to its last whole chunk.
. tests/e2e/lib.sh
P=$TESTBIN/progs
CHECK=$TESTBIN/tools/czt_check
summary() { "$CZPROF" dump --summary "$1" 2>/dev/null | awk -v k="$2" '$1==k {print $2}'; }
# chunks stored compressed: one zstd frame or in column form
packed() { echo $(($(summary "$1" zstd-chunks) + $(summary "$1" column-chunks))); }
# a figure from czt_check's output saved in a file
checked() { awk -v k="$2" '$1==k {print $2}' "$1"; }
# Every figure of a trace that does not depend on timing: totals, leaks by
# site, allocations by function and size.  With a second argument, also
# those that depend on how threads interleave (the peak, blocks freed
# before the next allocation), for single-threaded programs.
figures() {
	timing=""
	[ -n "$2" ] && timing=", 'peak_bytes', 'peak_blocks'"
	"$CZPROF" sql --csv "$1" "SELECT key, value FROM meta WHERE key IN ('events', 'allocations',
	  'frees', 'unmatched_frees', 'address_conflicts', 'failed_allocs', 'lost_events', 'cz_events',
	  'total_bytes', 'leaked_bytes', 'leaked_blocks', 'end_how', 'end_value',
	  'truncated_at' $timing) ORDER BY key" &&
	"$CZPROF" sql --csv "$1" "SELECT fn, COUNT(*), SUM(size), SUM(free_time IS NULL),
	  ${2:+SUM(temporary),} SUM(realloc_from IS NOT NULL) FROM allocations GROUP BY fn ORDER BY fn" &&
	"$CZPROF" leaks "$1" | tail -n +2
}

# both ways, through the flags and through the environment
for prog in rec_exact rec_variants rec_threads; do
	"$CZPROF" record --compress -o "$prog.z.czt" "$P/$prog" 2>/dev/null
	"$CZPROF" record --no-compress -o "$prog.raw.czt" "$P/$prog" 2>/dev/null
	# (rec_variants' one EVENTS chunk is too short for columns)
	zc=$(packed "$prog.z.czt")
	if [ "${zc:-0}" -gt 0 ]; then ok "${prog}_compressed_chunks"
	else bad "${prog}_compressed_chunks" "none: $(summary "$prog.z.czt" chunks) chunks"; fi
	expect_eq "${prog}_no_compress_raw" "$(packed "$prog.raw.czt")" 0
	exact=1
	[ "$prog" = rec_threads ] && exact=
	figures "$prog.z.czt" $exact >"$prog.z.txt"
	figures "$prog.raw.czt" $exact >"$prog.raw.txt"
	if [ -s "$prog.raw.txt" ] && cmp -s "$prog.z.txt" "$prog.raw.txt"; then ok "${prog}_same_figures"
	else bad "${prog}_same_figures" "$(diff "$prog.raw.txt" "$prog.z.txt" | head -c 600)"; fi
	zs=$(stat -c %s "$prog.z.czt") rs=$(stat -c %s "$prog.raw.czt")
	if [ "$zs" -lt "$rs" ]; then ok "${prog}_smaller"
	else bad "${prog}_smaller" "compressed $zs B, raw $rs B"; fi
	# raw-bytes: the size with every chunk stored raw
	expect_eq "${prog}_raw_bytes_is_size_when_raw" "$(summary "$prog.raw.czt" raw-bytes)" "$rs"
	# EVENTS chunks as one zstd frame each instead of columns
	env CZPROF_COLUMNS=0 "$CZPROF" record -o "$prog.frame.czt" "$P/$prog" 2>/dev/null
	expect_eq "${prog}_columns_off" "$(summary "$prog.frame.czt" column-chunks)" 0
	expect_match "${prog}_columns_off_zstd" "$(summary "$prog.frame.czt" zstd-chunks)" "^[1-9]"
	figures "$prog.frame.czt" $exact >"$prog.frame.txt"
	if [ -s "$prog.frame.txt" ] && cmp -s "$prog.frame.txt" "$prog.raw.txt"; then ok "${prog}_frame_same_figures"
	else bad "${prog}_frame_same_figures" "$(diff "$prog.raw.txt" "$prog.frame.txt" | head -c 600)"; fi
done
# CZPROF_COLUMNS=1 writes columns even while the program's threads keep
# every core busy (the default, auto, then writes one frame per chunk)
env CZPROF_COLUMNS=1 "$CZPROF" record -o forced.czt "$P/rec_threads" 2>/dev/null
expect_match columns_forced "$(summary forced.czt column-chunks)" "^[1-9]"
figures forced.czt >forced.txt
figures rec_threads.raw.czt >forced.raw.txt
if [ -s forced.txt ] && cmp -s forced.txt forced.raw.txt; then ok columns_forced_same_figures
else bad columns_forced_same_figures "$(diff forced.raw.txt forced.txt | head -c 600)"; fi
# czprof record follows the trace and counts its events; an EVENTS chunk
# that a chunk-events record announces is passed by, not decompressed:
# the totals it reports and writes in the footer are still exact
"$CZPROF" record -o told.czt "$P/rec_threads" 2>told.err
told=$(sed -n 's/^czprof: recorded \([0-9]*\) events.*/\1/p' told.err)
"$CHECK" told.czt >told.chk
expect_match told_announced "$(checked told.chk announced)" "^[1-9]"
expect_eq told_exact "$(checked told.chk announce_mismatches)" 0
expect_eq told_recorded_events "$told" "$(checked told.chk events)"
expect_eq told_footer_events "$("$CZPROF" dump told.czt | awk '$3=="summary" {print $4}')" "events=$told"
# With no core to spare, the default keeps columns while they cost the
# program little: pinned to one core, a program that works between its
# allocations gets column chunks throughout (one frame per chunk after
# the first 50 ms, had the flusher looked only for a spare core).  Its
# columns cost it some 0.3% here: ten times that on a crowded machine
# still keeps them.
if command -v taskset >/dev/null 2>&1; then
	taskset -c 0 "$CZPROF" record -o sparse.czt "$P/rec_sparse" 2>/dev/null
	# (chunks under 4 KiB go as frames whatever the rule: a slow build
	# or a crowded machine makes more of them)
	"$CHECK" sparse.czt >sparse.chk
	cc=$(checked sparse.chk big_columns) zc=$(checked sparse.chk big_frames)
	if [ "${cc:-0}" -ge 3 ] && [ "$cc" -ge $((3 * ${zc:-0})) ]; then ok sparse_keeps_columns
	else bad sparse_keeps_columns "$cc column chunks, $zc zstd frames of 4 KiB or more"; fi
	expect_eq sparse_allocations "$("$CZPROF" sql --csv sparse.czt \
		"SELECT COUNT(*), SUM(size), SUM(free_time IS NULL) FROM allocations" | tail -n 1)" \
		"15000,960000,1"
else
	skip sparse_keeps_columns "taskset is not installed"
fi
# the allocator library's records (arenas, resizes, resets), compressed
# (its one short chunk is stored as a zstd frame: see test_model for
# those records in column form)
"$CZPROF" record -o cz.z.czt "$P/cz_arenas" 2>/dev/null
"$CZPROF" record --no-compress -o cz.raw.czt "$P/cz_arenas" 2>/dev/null
expect_match cz_compressed "$(packed cz.z.czt)" "^[1-9]"
for t in z raw; do
	{ figures cz.$t.czt 1 && "$CZPROF" arenas cz.$t.czt | tail -n +3 | awk '{print $1, $2, $3, $4, $5}'; } >cz.$t.txt
done
if [ -s cz.raw.txt ] && cmp -s cz.z.txt cz.raw.txt; then ok cz_same_figures
else bad cz_same_figures "$(diff cz.raw.txt cz.z.txt | head -c 600)"; fi
env CZPROF_COMPRESS=0 CZPROF_OUTPUT="$WORK/env0.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rec_exact"
env CZPROF_COMPRESS=1 CZPROF_OUTPUT="$WORK/env1.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rec_exact"
expect_eq env_compress_0 "$(packed env0.czt)" 0
expect_match env_compress_1 "$(summary env1.czt column-chunks)" "^[1-9]"
expect_eq env_compress_1_events "$(summary env1.czt events)" 2007
# compression is the default, with czprof record and with the library alone
"$CZPROF" record -o def.czt "$P/rec_exact" 2>/dev/null
expect_match record_compresses_by_default "$(summary def.czt column-chunks)" "^[1-9]"
env -u CZPROF_COMPRESS CZPROF_OUTPUT="$WORK/envd.czt" LD_PRELOAD="$CZPROF_LIB" "$P/rec_exact"
expect_match preload_compresses_by_default "$(summary envd.czt column-chunks)" "^[1-9]"
expect_eq default_events "$(summary envd.czt events)" 2007
check record_help_mentions_compress sh -c "'$CZPROF' record --help | grep -q -- --no-compress"

# Many small chunks from 4 threads (4 KiB buffers): each thread's ring of
# buffers fills faster than one flusher writes, so threads also write
# their oldest chunk themselves; still every free pairs with its
# allocation in order, on either path.
for c in 0 1; do
	env CZPROF_COMPRESS=$c CZPROF_BUFFER_KB=4 CZPROF_OUTPUT="$WORK/small$c.czt" \
		LD_PRELOAD="$CZPROF_LIB" "$P/rec_threads"
	"$CHECK" "small$c.czt" >"small$c.txt"
	f() { awk -v k="$1" '$1==k {print $2}' "small$c.txt"; }
	expect_eq "small_buffers_${c}_frees" "$(f frees)" 80000
	expect_eq "small_buffers_${c}_unmatched" "$(f unmatched_frees)" 0
	expect_eq "small_buffers_${c}_conflicts" "$(f conflicts)" 0
	expect_eq "small_buffers_${c}_live" "$(f live_blocks)" 4
done

# the ways an image ends without exit's flush, compressed: _exit, abort,
# exec (the new image appends to the trace)
"$CZPROF" record --compress -o u.czt "$P/rel_odd" _exit 2>/dev/null
expect_match compressed__exit "$("$CZPROF" leaks u.czt)" "30 B in 2 blocks leaked from 2 sites"
"$CZPROF" record --compress -o a.czt "$P/rel_odd" abort 2>/dev/null
expect_match compressed_abort "$("$CZPROF" leaks a.czt)" "23 B +1  - +main_alloc"
"$CZPROF" record --compress -o x.czt sh -c "exec $P/rec_exact" 2>/dev/null
expect_match compressed_exec_marker "$("$CZPROF" dump x.czt)" "process-end .*how=exec"
expect_match compressed_exec_leaks "$("$CZPROF" leaks x.czt)" "777 B in 7 blocks leaked from 1 site"

# fork and exec children with --follow-fork: each writes its own trace
# (a forked child restarts the compressor its parent may have been using)
for m in compress no-compress; do
	mkdir "fork-$m" && cd "fork-$m" || exit 1
	"$CZPROF" record --$m --follow-fork -o f.czt "$P/rel_spawn" 2>/dev/null
	for t in f*.czt; do "$CZPROF" leaks "$t" | tail -n 1; done | sort >../"fork-$m.txt"
	zstd_chunks=0
	for t in f.*.czt; do zstd_chunks=$((zstd_chunks + $(packed "$t"))); done # children only
	echo "$zstd_chunks" >../"fork-$m.zstd"
	cd "$WORK" || exit 1
done
expect_eq fork_traces "$(wc -l <fork-compress.txt)" 6
if cmp -s fork-compress.txt fork-no-compress.txt; then ok fork_same_figures
else bad fork_same_figures "$(diff fork-no-compress.txt fork-compress.txt | head -c 600)"; fi
expect_match fork_children_compressed "$(cat fork-compress.zstd)" "^([5-9]|[1-9][0-9]+)$"
expect_eq fork_no_compress_raw "$(cat fork-no-compress.zstd)" 0

# A compressed trace cut in the middle, as a killed writer or a full disk
# leave it: what was whole still loads, and stops where the cut chunk starts.
"$CZPROF" record --compress -o big.czt "$P/rec_threads" 2>/dev/null
size=$(stat -c %s big.czt)
head -c $((size / 2)) big.czt >half.czt
"$CZPROF" dump --summary half.czt >half.out 2>half.err
expect_eq cut_dump_status $? 0
expect_match cut_dump_warning "$(cat half.err)" "trace cut at byte [0-9]+"
cut_at=$(sed -n 's/.*trace cut at byte \([0-9]*\).*/\1/p' half.err)
if [ -n "$cut_at" ] && [ "$cut_at" -le $((size / 2)) ] && [ "$cut_at" -gt 0 ]; then ok cut_offset_within
else bad cut_offset_within "cut at '${cut_at}', file $((size / 2)) B"; fi
expect_match cut_still_compressed "$(awk '$1=="zstd-chunks" || $1=="column-chunks" {n += $2} END {print n}' half.out)" "^[1-9]"
whole=$(awk '$1=="events" {print $2}' half.out) all=$(summary big.czt events)
if [ "${whole:-0}" -gt 0 ] && [ "$whole" -lt "$all" ]; then ok cut_keeps_whole_chunks
else bad cut_keeps_whole_chunks "$whole of $all events read"; fi
# the database holds the same events as the dump read, and says where it stops
expect_eq cut_loads_events "$("$CZPROF" sql --csv half.czt "SELECT value FROM meta WHERE key = 'events'" 2>/dev/null | tail -n 1)" "$whole"
expect_eq cut_loads_truncated_at "$("$CZPROF" sql --csv half.czt "SELECT value FROM meta WHERE key = 'truncated_at'" 2>/dev/null | tail -n 1)" "$cut_at"
# cut inside the first compressed chunk's header and inside its frame
first=$("$CZPROF" dump big.czt 2>/dev/null | awk '{print $1; exit}')
for n in $((first + 5)) $((first + 40)); do
	head -c "$n" big.czt >early.czt
	"$CZPROF" dump --summary early.czt >early.out 2>early.err
	expect_match "cut_early_${n}_at_first_chunk" "$(cat early.err)" "trace cut at byte $first "
done

# bench/packcost, which measures what each way of storing events costs the
# flusher: on an uncompressed trace it takes exactly the EVENTS chunks the
# recorder announces (4 KiB and more: those it may write in column form),
# and its byte figures order as the forms do here (rec_threads: raw 5.8,
# one frame 2.9, columns 1.8 B/event); a compressed trace it refuses.
PACKCOST=$(dirname "$TESTBIN")/bench/packcost
"$CZPROF" record --no-compress -o pc.czt "$P/rec_threads" 2>/dev/null
"$PACKCOST" pc.czt 1 >pc.out 2>pc.err
expect_eq packcost_status $? 0
announced=$("$CZPROF" dump pc.czt 2>/dev/null |
	awk '$3 == "chunk-events" { split($4, kv, "="); n += kv[2] } END { print n + 0 }')
expect_eq packcost_events "$(checked pc.out events)" "$announced"
expect_match packcost_some_events "$announced" "^[1-9][0-9]{4,}$"
order=$(awk '{ v[$1] = $2 } END { print (v["columns_B"] > 0 && v["columns_B"] < v["frame_B"] &&
	v["frame_B"] < v["raw_B"]) ? "ordered" : "columns " v["columns_B"] " frame " v["frame_B"] " raw " v["raw_B"] }' pc.out)
expect_eq packcost_bytes_order "$order" ordered
expect_match packcost_cpu "$(checked pc.out split_ns) $(checked pc.out frame_ns)" "^[0-9.]+ [0-9.]+$"
check_fails packcost_refuses_compressed "$PACKCOST" big.czt 1
