#!/bin/sh
# Call sites name the program's line: past its malloc wrappers when told
# (--alloc-fn, CZPROF_ALLOC_FNS), past the C++ standard library's
# allocation frames always, and never past a program function that only
# shares libczalloc's cz_ prefix.  leaks, hotspots, peak, flamegraph, top
# and the rest must name the same sites.
SRC=$(cd "$(dirname "$0")/../progs" && pwd)/site_wrap.cc # before lib.sh moves away
. "$(dirname "$0")/lib.sh"

"$CZPROF" record -o w.czt "$TESTBIN/progs/site_wrap" >/dev/null 2>&1
check load_site_wrap "$CZPROF" load w.czt

# a sed script turning "... (tests/progs/site_wrap.cc:LINE)" into the
# line's SITE: mark; sites elsewhere stay as they are
grep -n 'SITE:' "$SRC" | sed -E 's/^([0-9]+):.*SITE:([a-z_]+).*/s|^.*site_wrap\\.cc:\1)$|\2|/' >marks.sed
tags() { sed -f marks.sed | sort; }
T=w.czt # the trace the helpers below read

# libstdc++'s exception pool (72,704 B), allocated by its own constructor
# before main, is recorded too (the recorder starts at the first call it
# intercepts) and lives to the end: a site of libstdc++'s, not the program's
no_pool() { grep -v '^libstdc++\.so'; }

# "TAG BYTES" per site from a report's JSON (leaks, peak, hotspots)
from_json() { # REPORT [OPTIONS]: sorted; a site listed under several leak kinds sums
	"$@" --json "$T" >r.json 2>r.err || { echo "failed: $(cat r.err)"; return; }
	python3 -c 'import json
sums = {}
for s in json.load(open("r.json"))["sites"]:
    sums[s["site"]] = sums.get(s["site"], 0) + s["bytes"]
for name, b in sums.items():
    print(b, name)' |
		while read -r b name; do printf '%s %s\n' "$(printf '%s\n' "$name" | tags)" "$b"; done | no_pool | sort
}
from_folded() { # flamegraph --folded: the leaf of each stack, values summed
	"$@" --folded -o - "$T" 2>r.err |
		sed -E 's/^.*;([^;]*) ([0-9]+)$/\2 \1/' |
		while read -r b name; do printf '%s %s\n' "$(printf '%s\n' "$name" | tags)" "$b"; done |
		awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | no_pool | sort
}
from_top() { # top --batch: "TAG BLOCKS" from the call-site table
	"$@" --batch 1 --speed 0 -w 200 "$T" 2>r.err |
		sed -n '/CALL SITE/,$p' | grep 'site_wrap\.cc' |
		sed -E 's/^ *[0-9.]+ [KMG]?i?B +([0-9]+) +[0-9]+ +[0-9]+ +(.*)$/\1 \2/' |
		while read -r k name; do printf '%s %s\n' "$(printf '%s\n' "$name" | tags)" "$k"; done | no_pool | sort
}

# Without --alloc-fn the wrappers' own lines hold their blocks; containers
# name the line that used them (sizes worked out in site_wrap.cc).
COMMON='cz_user 333
in_layer 777
map 40
map_obj 48
shared 136
string 73
umap 120
umap_obj 56
vector 8
vector_obj 24'
DEFAULT=$(printf '%s\nin_xcalloc 3003\nin_xmalloc 2002\n' "$COMMON" | sort)
WRAPPED=$(printf '%s\nwrap_a 2002\nwrap_b 3003\n' "$COMMON" | sort)
# blocks per site, as top shows them
BLOCKS_DEFAULT=$(printf 'cz_user 1\nin_layer 1\nin_xcalloc 1\nin_xmalloc 2\nmap 1\nmap_obj 1\nshared 2\nstring 2\numap 2\numap_obj 1\nvector 1\nvector_obj 1\n' | sort)
BLOCKS_WRAPPED=$(printf '%s\n' "$BLOCKS_DEFAULT" | sed 's/^in_xcalloc/wrap_b/; s/^in_xmalloc/wrap_a/' | sort)

expect_eq leaks_default "$(from_json "$CZPROF" leaks -n 0)" "$DEFAULT"
expect_eq peak_default "$(from_json "$CZPROF" peak -n 0)" "$DEFAULT"
expect_eq hotspots_default "$(from_json "$CZPROF" hotspots -n 0)" "$DEFAULT"
expect_eq flamegraph_default "$(from_folded "$CZPROF" flamegraph --metric leaked)" "$DEFAULT"
expect_eq top_default "$(from_top "$CZPROF" top)" "$BLOCKS_DEFAULT"

AF="--alloc-fn xmalloc --alloc-fn xc*" # a name and a glob
# shellcheck disable=SC2086
{
	expect_eq leaks_alloc_fn "$(from_json "$CZPROF" leaks -n 0 $AF)" "$WRAPPED"
	expect_eq peak_alloc_fn "$(from_json "$CZPROF" peak -n 0 $AF)" "$WRAPPED"
	expect_eq hotspots_alloc_fn "$(from_json "$CZPROF" hotspots -n 0 $AF)" "$WRAPPED"
	expect_eq flamegraph_alloc_fn "$(from_folded "$CZPROF" flamegraph --metric leaked $AF)" "$WRAPPED"
	expect_eq top_alloc_fn "$(from_top "$CZPROF" top $AF)" "$BLOCKS_WRAPPED"
}
expect_eq leaks_alloc_fn_equals "$(from_json "$CZPROF" leaks -n 0 --alloc-fn=xmalloc --alloc-fn=xcalloc)" "$WRAPPED"

# the environment default, comma- or colon-separated, and added to by --alloc-fn
expect_eq leaks_env "$(CZPROF_ALLOC_FNS=xmalloc,xcalloc from_json "$CZPROF" leaks -n 0)" "$WRAPPED"
expect_eq top_env "$(CZPROF_ALLOC_FNS='xmalloc:xcalloc' from_top "$CZPROF" top)" "$BLOCKS_WRAPPED"
expect_eq hotspots_env_and_option \
	"$(CZPROF_ALLOC_FNS=xmalloc from_json "$CZPROF" hotspots -n 0 --alloc-fn xcalloc)" "$WRAPPED"
# a pattern matching nothing changes nothing
expect_eq leaks_alloc_fn_no_match "$(from_json "$CZPROF" leaks -n 0 --alloc-fn 'nosuch*')" "$DEFAULT"

# Optimised (-O2), libstdc++'s allocation code is inlined into the program
# in chains of inlined calls, and containers() into main: symbolization
# follows each chain to the same lines.
"$CZPROF" record -o o2.czt "$TESTBIN/progs/site_wrap_o2" >/dev/null 2>&1
T=o2.czt
expect_eq leaks_o2 "$(from_json "$CZPROF" leaks -n 0)" "$DEFAULT"
expect_eq flamegraph_o2 "$(from_folded "$CZPROF" flamegraph --metric leaked)" "$DEFAULT"
expect_eq top_o2_alloc_fn "$(from_top "$CZPROF" top --alloc-fn 'x[mc]alloc')" "$BLOCKS_WRAPPED"
T=w.czt

# An address with eleven frames (ten inlined layers in wrapped()): all of
# them are read, so 'layer*' moves the site to the line that called layer9.
DEEP=$(printf '%s\n' "$DEFAULT" | sed 's/^in_layer /deep_inline /' | sort)
BLOCKS_DEEP=$(printf '%s\n' "$BLOCKS_DEFAULT" | sed 's/^in_layer /deep_inline /' | sort)
for T in w.czt o2.czt; do
	expect_eq "leaks_deep_inline_$T" "$(from_json "$CZPROF" leaks -n 0 --alloc-fn 'layer*')" "$DEEP"
	expect_eq "top_deep_inline_$T" "$(from_top "$CZPROF" top --alloc-fn 'layer*')" "$BLOCKS_DEEP"
done
T=w.czt

# the other reports that name sites take it too
out=$("$CZPROF" diff --alloc-fn xmalloc --alloc-fn xcalloc w.czt w.czt 2>&1)
expect_match diff_takes_alloc_fn "$out" 'no call site changed'
"$CZPROF" export --format massif -o w.massif --alloc-fn xmalloc w.czt >/dev/null 2>&1
expect_match massif_alloc_fn "$(cat w.massif 2>/dev/null)" "wrapped \\(tests/progs/site_wrap\\.cc:$(grep -n 'SITE:wrap_a' "$SRC" | cut -d: -f1)\\)"
out=$("$CZPROF" plot --by site --alloc-fn xmalloc -o w.svg w.czt 2>&1)
expect_match plot_alloc_fn "$(cat w.svg 2>/dev/null)" "site_wrap\\.cc:$(grep -n 'SITE:wrap_a' "$SRC" | cut -d: -f1)"

# a bad use is one clear line and exit 2
"$CZPROF" leaks w.czt --alloc-fn >out.txt 2>&1
expect_eq alloc_fn_missing_exit "$?" 2
expect_match alloc_fn_missing_says "$(cat out.txt)" 'leaks: --alloc-fn takes a function name or a pattern'
"$CZPROF" top --batch 1 --alloc-fn '' w.czt >out.txt 2>&1
expect_eq top_alloc_fn_empty_exit "$?" 2
# stats names no sites: the option is not one of its own
check_fails stats_no_alloc_fn "$CZPROF" stats --alloc-fn xmalloc w.czt
