# The allocator library under the recorder: cz_arenas announces arenas, a
# fixed buffer, a debug allocator and an annotated pool with exactly known
# behaviour (see tests/progs/cz_arenas.c); czprof arenas, leaks/peak
# --by allocator and top's arena view must show exactly that.
. tests/e2e/lib.sh
"$CZPROF" record -o ar.czt "$TESTBIN/progs/cz_arenas" >prog.out 2>/dev/null
expect_eq record_status $? 0
expect_match debug_allocator_report "$(cat prog.out)" "czalloc: 1 block \(64 bytes\) leaked"
# its report names file:line under the recorder too (libdw's work kept out
# of the profile: the heap's figures below are the program's alone)
expect_match debug_report_lines "$(cat prog.out)" "#0  0x[0-9a-f]+ check_with_debug \(cz_arenas.c:70\)"
expect_match debug_report_no_heap_errors "$("$CZPROF" errors ar.czt)" "^0 heap errors$"

out=$("$CZPROF" arenas ar.czt)
row() { echo "$out" | grep -E "^$1 " | sed 's/  */ /g'; }
expect_eq arenas_parser "$(row parser)" "parser arena libc 5 4.9 KiB 4.9 KiB 12.0 KiB 7.1 KiB 0 $(row parser | grep -o '[0-9.]* ms -> never destroyed') parse_input (tests/progs/cz_arenas.c:45)"
expect_match arenas_parser_never "$(row parser)" "-> never destroyed"
expect_match arenas_requests "$(row requests)" "^requests arena libc 30 2.9 KiB 1000 B 4.0 KiB 3.0 KiB 3 [0-9.]+ ms -> [0-9.]+ ms handle_requests \(tests/progs/cz_arenas.c:30\)$"
expect_match arenas_scratch "$(row scratch)" "^scratch fixed - 2 1.0 KiB 1.0 KiB 4.0 KiB 3.0 KiB 1 "
expect_match arenas_pool "$(echo "$out" | grep '^my pool')" "pool +- +3 +96 B +96 B +96 B +0 B +0 .*own_pool \(tests/progs/cz_arenas.c:80\)"
# its footprint: the two blocks and their 16-byte canaries
expect_match arenas_debug "$(row debug)" "^debug debug libc 2 128 B 128 B 160 B 32 B 0 "
expect_eq arenas_first_is_biggest "$(echo "$out" | sed -n 4p | cut -d' ' -f1)" parser
expect_match arenas_summary "$out" "11 allocators in 9 rows \(--each: one row each\); 6 never destroyed while holding 9.6 KiB in blocks"
# the three buffers made at one line are one row, with their sums
expect_match arenas_grouped "$(row 'per parse x3')" "^per parse x3 fixed - 3 300 B 300 B 768 B 468 B 0 [0-9.]+ ms -> never destroyed per_parse \(tests/progs/cz_arenas.c:110\)$"
expect_eq arenas_each "$("$CZPROF" arenas --each ar.czt | grep -c '^per parse ')" 3
j=$("$CZPROF" arenas --json ar.czt)
expect_eq arenas_json "$(echo "$j" | python3 -c '
import json, sys
d = {a["name"]: a for a in json.load(sys.stdin)["allocators"]}
p, r = d["parser"], d["requests"]
print(p["allocations"], p["bytes_requested"], p["peak_live_bytes"], p["peak_footprint"], p["waste"], p["destroyed_ns"],
      r["allocations"], r["bytes_requested"], r["resets"], r["peak_footprint"], r["destroyed_ns"] is not None, r["parent"])')" \
	"5 5000 5000 12288 7288 None 30 3000 3 4096 True libc"
expect_eq arenas_sort_name "$("$CZPROF" arenas --sort name ar.czt | sed -n 4p | cut -d' ' -f1)" debug
expect_eq arenas_sort_allocs "$("$CZPROF" arenas --sort allocs ar.czt | sed -n 4p | cut -d' ' -f1)" requests
expect_eq arenas_sort_resets "$("$CZPROF" arenas --sort resets ar.czt | sed -n 4,5p | cut -d' ' -f1 | tr '\n' ' ')" "requests scratch "
# the never destroyed first (then by id: the order they were announced)
expect_eq arenas_sort_lifetime "$("$CZPROF" arenas --sort lifetime ar.czt | sed -n 4,6p | cut -d' ' -f1 | tr '\n' ' ')" \
	"libc parser scratch "
err=$("$CZPROF" arenas --sort colour ar.czt 2>&1); rc=$?
expect_match arenas_bad_sort "$rc $err" "^2 czprof: arenas: --sort takes"

# by allocator: what was never freed, and what was live at the heap's peak
out=$("$CZPROF" leaks --by allocator ar.czt)
expect_match leaks_by_allocator "$out" "4.9 KiB +5  parser \(arena, never destroyed\) parse_input \(tests/progs/cz_arenas.c:45\)"
# the debug allocator's leak stays a leak after its deinit, at the line
# that allocated it (not the library's frame)
expect_match leaks_by_allocator_debug "$out" "64 B +1  debug \(debug\) +check_with_debug \(tests/progs/cz_arenas.c:67\)"
expect_match leaks_by_allocator_debug_site "$out" "64 B +1    allocated at check_with_debug \(tests/progs/cz_arenas.c:70\)"
# three fixed buffers made at one line: one row
expect_match leaks_by_allocator_grouped "$out" "300 B +3  per parse \(fixed, never destroyed\) x3 per_parse \(tests/progs/cz_arenas.c:110\)"
# the arena inside the debug allocator's chunk is shown, not added:
# 5000 + 4096 (outer's chunk) + 300 + 64 = 9460 B = 9.2 KiB in 10 blocks
expect_match leaks_by_allocator_nested "$out" "400 B +2  inner \(arena, never destroyed, inside its parent's blocks\)"
expect_match leaks_by_allocator_total "$out" "9.2 KiB in 10 blocks from 7 allocators"
expect_eq leaks_by_allocator_each "$("$CZPROF" leaks --by allocator --each ar.czt | grep -cE '^ +100 B +1  per parse \(fixed, never destroyed\) ')" 3
expect_match leaks_by_allocator_nested_note "$out" "\(400 B more in layers inside other allocators' blocks, not added: the same memory\)"
expect_eq leaks_by_allocator_json "$("$CZPROF" leaks --by allocator --json ar.czt | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["bytes"], d["blocks"], d["allocators"][0]["name"], d["allocators"][0]["allocated_at"][0]["site"])')" "9460 10 parser parse_input (tests/progs/cz_arenas.c:48)"
out=$("$CZPROF" peak --by allocator ar.czt)
# at the peak the debug allocator's chunk (4,096 B) holds the arena's
# blocks: counted once, 5000 + 4096 + 300 = 9396 B
expect_match peak_by_allocator "$out" "4.0 KiB +1  outer \(debug, never destroyed\) +layers"
expect_match peak_by_allocator_nested "$out" "400 B +2  inner \(arena, never destroyed, inside its parent's blocks\)"
expect_match peak_by_allocator_total "$out" "9.2 KiB in 9 blocks from 6 allocators"
# the heap sees the debug allocator's leak too (64 B and its canary), at
# the program's line
expect_match heap_leak_debug "$("$CZPROF" leaks ar.czt)" "80 B +1  definite +check_with_debug \(tests/progs/cz_arenas.c:70\)"
# the arena's chunks are heap blocks too, attributed to the code that used the arena
expect_match heap_leak_site "$("$CZPROF" leaks --kinds all ar.czt)" "12.0 KiB +2  reachable +parse_input \(tests/progs/cz_arenas.c:48\)"

# the live view's arena view reads the same events
out=$("$CZPROF" top --batch 1 --speed 0 --view arenas -w 140 ar.czt)
expect_match top_arenas_parser "$out" "3 arena +4.88 KiB +5 +5 +12.0 KiB +12.0 KiB +0  live +parser"
expect_match top_arenas_requests "$out" "arena +0 B +0 +30 +0 B +4.00 KiB +3  destroyed requests"

# a program that announces nothing
"$CZPROF" record -o plain.czt "$TESTBIN/progs/rec_exact" 2>/dev/null
expect_match arenas_none "$("$CZPROF" arenas plain.czt)" "no allocator announced itself"

# plot stacked by allocator: a series per allocator, named with its kind
"$CZPROF" plot --by allocator -o alloc.svg ar.czt 2>/dev/null
texts=$(python3 -c 'import sys, xml.etree.ElementTree as ET; print("\n".join((t.text or "") for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text")))' alloc.svg)
expect_match plot_by_allocator_parser "$texts" "^parser \(arena\)( |$)"
expect_match plot_by_allocator_pool "$texts" "^my pool \(pool\)( |$)"

# allocators crossing threads: a worker fills an arena the main thread
# resets, and allocates blocks the main thread frees; the threads' events
# reach the trace in flush order, and the figures must not depend on it
# (flushing every millisecond mixes that order up more often)
CZPROF_FLUSH_MS=1 "$CZPROF" record -o th.czt "$TESTBIN/progs/cz_threads" >/dev/null 2>&1
expect_eq threads_record_status $? 0
expect_eq threads_arenas "$("$CZPROF" arenas --json th.czt | python3 -c '
import json, sys
d = {a["name"]: a for a in json.load(sys.stdin)["allocators"]}
for n in ("shared", "handoff"):
    a = d[n]
    print(n, a["kind"], a["allocations"], a["bytes_requested"], a["peak_live_bytes"], a["live_blocks"], a["resets"],
          a["destroyed_ns"] is not None)')" "shared arena 30 1920 640 0 3 True
handoff debug 15 480 160 0 0 True"
expect_match threads_no_leaks "$("$CZPROF" leaks --by allocator th.czt)" "^ +\(none\)$"

# libczalloc's pool, cz_fixed_deinit and an annotated pool naming its
# parent (tests/progs/cz_pools.c)
"$CZPROF" record -o pools.czt "$TESTBIN/progs/cz_pools" >/dev/null 2>&1
expect_eq pools_record_status $? 0
expect_eq pools_arenas "$("$CZPROF" arenas --json pools.czt | python3 -c '
import json, sys
d = {a["name"]: a for a in json.load(sys.stdin)["allocators"]}
for n in ("points", "scratch", "token pool"):
    a = d[n]
    print(n, a["kind"], a["parent"], a["allocations"], a["bytes_requested"], a["peak_live_bytes"], a["peak_footprint"],
          a["live_blocks"], a["destroyed_ns"] is not None)')" "points pool libc 40 960 960 1184 0 True
scratch fixed - 1 100 100 256 0 True
token pool pool tokens 2 32 32 0 0 True"
expect_match pools_on_stack "$("$CZPROF" arenas pools.czt)" "^on stack x3 +fixed +- +3 +72 B +72 B +192 B"
# the live view pairs blocks by allocator and address, as the loader: the
# three buffers at one stack address keep a block each
expect_eq pools_top_on_stack "$("$CZPROF" top --batch 1 --speed 0 --view arenas -w 140 pools.czt | grep -cE ' fixed +24 B +1 +1 .* live +on stack$')" 3

# heap calls outside libczalloc: of cz_arenas' 8 heap calls (arena chunks,
# the debug allocators' blocks, its report's stdout buffer, the last
# malloc), only the program's own malloc of 64 KiB
out=$("$CZPROF" hotspots --outside-allocators ar.czt)
expect_match outside_allocators_site "$out" "^ +1 +64.0 KiB  main \(tests/progs/cz_arenas.c:101\)$"
expect_match outside_allocators_total "$out" "^1 allocation, 64.0 KiB, from 1 site$"
expect_match hotspots_all "$("$CZPROF" hotspots ar.czt)" "^8 allocations, 88.2 KiB, from 6 sites$"
