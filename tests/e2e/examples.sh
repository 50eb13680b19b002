# The examples of the allocator-injection style (examples/): each runs and
# says what it proves, and the server's per-request arena and annotated
# connection pool show up in `czprof arenas` with exact figures.
. tests/e2e/lib.sh
E=$TESTBIN/../examples

out=$("$E/server"); rc=$?
expect_eq server_runs "$rc $out" "0 server: 8 requests, 576 bytes of responses, 0 leaks"
out=$("$E/parser"); rc=$?
expect_eq parser_runs "$rc $(echo $out)" "0 alpha = 1 beta = 2 gamma = 3 mu = 12 omega = 24 zeta = 26"
err=$("$E/parser" "a=1;broken" 2>&1); rc=$?
expect_eq parser_error_path_clean "$rc $err" "1 parser: cannot parse 'a=1;broken'"
out=$("$E/formatter"); rc=$?
expect_eq formatter_runs "$rc $(echo "$out" | tail -1)" "0 (2 more rows did not fit in 160 bytes)"
expect_eq formatter_rows "$(echo "$out" | grep -c '\.\.\.')" 5
out=$("$E/initcheck"); rc=$?
expect_eq initcheck_runs "$rc $(echo "$out" | tail -1)" "0 initcheck: config_init: 0 leaking error paths; config_init_buggy: 1"
expect_match initcheck_names_the_failure "$out" "with allocation #2 of 3 \(from 0\) failing the function returned -1: 1 block leaked, 0 wrong frees"

# four bugs made on purpose, each caught with file:line stacks
out=$("$E/bugs"); rc=$?
expect_eq bugs_runs "$rc $(echo "$out" | tail -1)" "0 bugs: 2 problems, 1 block leaked, 1 bad run of the failure sweep"
expect_match bugs_double_free_after_reuse "$(echo "$out" | sed -n '/double free of 4 bytes/,/write past/p' | tr '\n' '|')" \
	"allocated at:\|.*session_open \(bugs.c:25\)\|.*main \(bugs.c:74\)\|  first freed at:\|.*session_close \(bugs.c:38\)\|.*  freed again at:\|.*main \(bugs.c:78\)"
expect_match bugs_overrun "$out" "czalloc: write past the end of the block of 8 bytes at 0x[0-9a-f]+: 1 of the 16 bytes after it changed \(up to \+1\)"
expect_match bugs_overrun_found_by "$(echo "$out" | sed -n '/write past/,/leak:/p' | tr '\n' '|')" "freed at:\|.*session_close \(bugs.c:39\)"
expect_match bugs_leak "$(echo "$out" | tr '\n' '|')" "czalloc: leak: 4 bytes at 0x[0-9a-f]+ allocated at:\|    #0  0x[0-9a-f]+ main \(bugs.c:83\)\|.*czalloc: 1 block \(4 bytes\) leaked"
expect_match bugs_swallowed "$(echo "$out" | tr '\n' '|')" "with allocation #1 of 2 \(from 0\) failing the function returned 0 \(success\) although the allocation failed: the out-of-memory error was swallowed\|  the induced failure at:\|    #0  0x[0-9a-f]+ parse_pair \(bugs.c:58\)\|bugs:"

# the program to copy: the allocator-injection style, swept clean
out=$("$E/wordfreq"); rc=$?
expect_eq wordfreq_runs "$rc $out" "0 the=3 cat=1 and=2 hat=1 bat=1"
out=$("$E/wordfreq" --test 2>&1); rc=$?
expect_eq wordfreq_sweep_clean "$rc $out" "0 wordfreq: 0 bad runs of the failure sweep"
"$CZPROF" record -o wf.czt "$E/wordfreq" >/dev/null 2>&1
expect_match wordfreq_nothing_left "$("$CZPROF" arenas wf.czt)" "^4 allocators$"
expect_match wordfreq_no_leaks "$("$CZPROF" leaks --by allocator wf.czt)" "^ +\(none\)$"

# the layered server under the recorder: 8 requests, one arena reset each
"$CZPROF" record -o srv.czt "$E/server" >/dev/null 2>&1
j=$("$CZPROF" arenas --json srv.czt)
expect_eq server_request_arena "$(echo "$j" | python3 -c '
import json, sys; d = {a["name"]: a for a in json.load(sys.stdin)["allocators"]}; a = d["request"]
print(a["kind"], a["parent"], a["allocations"], a["bytes_requested"], a["peak_live_bytes"], a["peak_footprint"],
      a["resets"], a["waste"], a["destroyed_ns"] is not None, a["created_at"])')" \
	"arena debug 80 1664 208 4096 8 3888 True main (examples/server.c:115)"
expect_eq server_connection_pool "$(echo "$j" | python3 -c '
import json, sys; d = {a["name"]: a for a in json.load(sys.stdin)["allocators"]}; a = d["connections"]
print(a["kind"], a["allocations"], a["bytes_requested"], a["peak_live_bytes"], a["peak_footprint"], a["waste"])')" \
	"pool 8 64 8 32 24"
expect_match server_table "$("$CZPROF" arenas srv.czt)" "request +arena +debug +80 +1.6 KiB +208 B +4.0 KiB +3.8 KiB +8 "
expect_match server_no_leaks "$("$CZPROF" leaks srv.czt)" "0 B in 0 blocks leaked from 0 sites"
