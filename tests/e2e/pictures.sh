# Pictures and the formats other tools read: flame graphs (SVG and folded
# text), and their figures on a program with exactly known allocations
# (rec_exact: 1,000 x 32 B freed from make_pair, 7 x 111 B leaked from
# leak_some).
. tests/e2e/lib.sh
P=$TESTBIN/progs
"$CZPROF" record -o ex.czt "$P/rec_exact" 2>/dev/null

# folded stacks: one line per stack, root first, the call site last
out=$("$CZPROF" flamegraph --folded -o - ex.czt)
expect_eq folded_leaked_lines "$(echo "$out" | wc -l)" 1
expect_match folded_leaked "$out" ";main \(tests/progs/rec_exact.c:28\);leak_some \(tests/progs/rec_exact.c:19\) 777$"
out=$("$CZPROF" flamegraph --folded --metric count -o - ex.czt)
expect_match folded_count_pairs "$out" ";main \(tests/progs/rec_exact.c:27\);make_pair \(tests/progs/rec_exact.c:11\) 1000$"
expect_match folded_count_leaks "$out" ";leak_some \(tests/progs/rec_exact.c:19\) 7$"
out=$("$CZPROF" flamegraph --folded --metric allocated -o - ex.czt)
expect_match folded_allocated "$out" "make_pair \(tests/progs/rec_exact.c:11\) 32000$"
out=$("$CZPROF" flamegraph --folded --metric peak -o - ex.czt)
expect_match folded_peak "$out" "leak_some \(tests/progs/rec_exact.c:19\) 777$"
check folded_default_name "$CZPROF" flamegraph --folded ex.czt
check folded_file_written test -s ex.czt.folded

# the SVG: well-formed XML, the frames with their exact figures
check svg_written "$CZPROF" flamegraph --metric allocated -o ex.svg ex.czt
expect_eq svg_mode "$(stat -c %a ex.svg)" 644
svg=$(python3 - ex.svg <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {'s': 'http://www.w3.org/2000/svg'}
root = ET.parse(sys.argv[1]).getroot()
for g in root.iter('{http://www.w3.org/2000/svg}g'):
    t = g.find('s:title', ns).text
    r = g.find('s:rect', ns)
    print('%s | w=%.1f' % (t, float(r.get('width'))))
print('script' if root.find('s:script', ns) is not None else 'no script')
PY
)
expect_match svg_parses "$svg" "script"
expect_match svg_root "$svg" "^all - 32.0 KiB \(100.00%\) \| w=1180.0"
expect_match svg_make_pair "$svg" "make_pair \(tests/progs/rec_exact.c:11\) - 31.2 KiB \(97.63%\)"
expect_match svg_leak_some "$svg" "leak_some \(tests/progs/rec_exact.c:19\) - 777 B \(2.37%\)"

# errors: one line, non-zero, no file left behind
err=$("$CZPROF" flamegraph --metric bogus ex.czt 2>&1); rc=$?
expect_match bad_metric "$rc $err" "^2 czprof: flamegraph: --metric takes leaked, peak, allocated or count"
err=$("$CZPROF" flamegraph -o "$WORK/nodir/x.svg" ex.czt 2>&1); rc=$?
expect_match unwritable_output "$rc $err" "^1 czprof: cannot create"
err=$("$CZPROF" flamegraph -o out.svg missing.czt 2>&1); rc=$?
expect_match missing_trace "$rc $err" "^1 czprof: 'missing.czt'"
expect_eq missing_trace_no_output "$(ls out.svg* 2>/dev/null | wc -l)" 0

# ---- diff: pic_grow 1 against pic_grow 5 ----
"$CZPROF" record -o g1.czt "$P/pic_grow" 1 2>/dev/null
"$CZPROF" record -o g5.czt "$P/pic_grow" 5 2>/dev/null
out=$("$CZPROF" diff g1.czt g5.czt); rc=$?
expect_eq diff_status $rc 0
expect_match diff_leak_more "$(echo "$out" | sed -n 4p)" "^ +\+400 B +\+400 B +\+4  leak_more \(tests/progs/pic_grow.c\)$"
expect_match diff_churn "$(echo "$out" | sed -n 5p)" "^ +0 B +0 B +\+40  churn \(tests/progs/pic_grow.c\)$"
expect_eq diff_unchanged_hidden "$(echo "$out" | grep -c leak_base)" 0
expect_match diff_totals "$out" "leaked \+400 B \(600 B -> 1000 B\), peak \+400 B \(664 B -> 1.0 KiB\), allocations \+44"
j=$("$CZPROF" diff --json g1.czt g5.czt)
expect_eq diff_json "$(echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["sites"][0]; print(s["site"], s["leaked_bytes"], d["allocations"], d["grew"])')" "leak_more (tests/progs/pic_grow.c) [100, 500] [21, 65] False"
check_fails diff_fail_on_growth "$CZPROF" diff --fail-on-growth 399 g1.czt g5.czt
check diff_growth_within "$CZPROF" diff --fail-on-growth 400 g1.czt g5.czt
out=$("$CZPROF" diff g5.czt g1.czt)
expect_match diff_shrink "$out" "-400 B +-400 B +-4  leak_more"
expect_match diff_same "$("$CZPROF" diff g1.czt g1.czt)" "no call site changed"
err=$("$CZPROF" diff g1.czt 2>&1); rc=$?
expect_match diff_needs_two "$rc $err" "^2 czprof: diff: needs two traces"

# ---- plot: top_phases grows to exactly 4 MiB, frees it, leaks 10,000 B ----
"$CZPROF" record -o ph.czt "$TESTBIN/progs/top_phases" 2>/dev/null
check plot_written "$CZPROF" plot ph.czt
check plot_default_name test -s ph.czt.plot.svg
texts=$(python3 - ph.czt.plot.svg <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print('\n'.join((t.text or '') for t in root.iter('{http://www.w3.org/2000/svg}text')))
PY
)
expect_match plot_peak_label "$texts" "^peak 4.0 MiB at [0-9.]+ ms$"
expect_match plot_bytes_axis "$texts" "^4 MiB$"
expect_match plot_time_axis "$texts" "^time \((ms|s)\)$"
expect_match plot_title "$texts" "^live heap - .*top_phases$"
"$CZPROF" plot --by site -o sites.svg ph.czt 2>/dev/null
texts=$(python3 -c 'import sys, xml.etree.ElementTree as ET; print("\n".join((t.text or "") for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text")))' sites.svg)
expect_match plot_by_site_legend "$texts" "^grow_cache \(tests/progs/top_phases.c:40\)$"
expect_match plot_by_site_leak "$texts" "^leak_some \(tests/progs/top_phases.c:58\)$"
"$CZPROF" plot --by thread -o threads.svg ph.czt 2>/dev/null
expect_match plot_by_thread "$(cat threads.svg)" "thread [0-9]+"
err=$("$CZPROF" plot --by colour ph.czt 2>&1); rc=$?
expect_match plot_bad_by "$rc $err" "^2 czprof: plot: --by takes site, thread or allocator"

# ---- exports: pprof, massif, speedscope, json; SARIF ----
check export_pprof "$CZPROF" export --format pprof ex.czt
expect_eq export_pprof_gzip "$(gunzip -t ex.czt.pb.gz && echo ok)" ok
raw=$(gunzip -c ex.czt.pb.gz | protoc --decode_raw)
# sample values: alloc_objects, alloc_space, inuse_objects, inuse_space
samples=$(echo "$raw" | python3 -c '
import sys, re
text = sys.stdin.read()
for block in re.findall(r"^2 \{\n(.*?)^\}", text, re.S | re.M):
    print(" ".join(v for v in re.findall(r"^  2: (\d+)", block, re.M)))
' | sort)
expect_eq export_pprof_samples "$samples" "$(printf '1000 32000 0 0\n7 777 7 777')"
expect_match export_pprof_types "$raw" '6: "alloc_space"'
expect_match export_pprof_function "$raw" '6: "leak_some"'
check export_massif "$CZPROF" export --format massif -o ex.massif ex.czt
ms=$(ms_print ex.massif)
expect_match export_massif_peak "$ms" "Detailed snapshots: \[[0-9]+ \(peak\)\]"
expect_match export_massif_tree "$ms" "100.00% \(777B\) 0x1: leak_some \(tests/progs/rec_exact.c:19\)"
check export_speedscope "$CZPROF" export --format speedscope -o ex.ss.json ex.czt
expect_eq export_speedscope_leaked "$(python3 -c '
import json; d = json.load(open("ex.ss.json")); p = d["profiles"][0]
print(p["name"], p["weights"], d["shared"]["frames"][p["samples"][0][-1]]["name"])')" "leaked bytes [777] leak_some (tests/progs/rec_exact.c:19)"
expect_eq export_speedscope_count "$(python3 -c '
import json; d = json.load(open("ex.ss.json")); p = d["profiles"][3]
print(p["name"], sorted(p["weights"]))')" "allocation calls [7, 1000]"
check export_json "$CZPROF" export --format json -o ex.json ex.czt
expect_eq export_json_figures "$(python3 -c '
import json; d = json.load(open("ex.json")); m = {r["key"]: r["value"] for r in d["meta"]}
print(m["leaked_bytes"], m["peak_bytes"], sorted((s["site"], s["leaked_bytes"]) for s in d["stacks"])[1])')" "777 777 ('make_pair (tests/progs/rec_exact.c:11)', 0)"
err=$("$CZPROF" export ex.czt 2>&1); rc=$?
expect_match export_needs_format "$rc $err" "^2 czprof: export: --format is needed"
err=$("$CZPROF" export --format gif ex.czt 2>&1); rc=$?
expect_match export_bad_format "$rc $err" "^2 czprof: export: --format takes pprof"
sarif=$("$CZPROF" leaks --format sarif ex.czt)
expect_eq sarif_result "$(echo "$sarif" | python3 -c '
import json, sys; d = json.load(sys.stdin); r = d["version"], d["runs"][0]["results"][0]
loc = r[1]["locations"][0]["physicalLocation"]
print(r[0], r[1]["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"], r[1]["properties"]["bytes"])')" "2.1.0 czprof/leak tests/progs/rec_exact.c 19 777"
expect_eq sarif_stack "$(echo "$sarif" | python3 -c '
import json, sys; d = json.load(sys.stdin); f = d["runs"][0]["results"][0]["stacks"][0]["frames"]
print(f[1]["location"]["logicalLocations"][0]["fullyQualifiedName"], f[1]["location"]["physicalLocation"]["region"]["startLine"])')" "main 28"

# nothing to draw: a program that frees everything
"$CZPROF" record -o clean.czt "$P/rec_variants" 2>/dev/null
out=$("$CZPROF" flamegraph --folded -o - clean.czt); rc=$?
expect_eq empty_folded "$rc [$out]" "0 []"
check empty_svg "$CZPROF" flamegraph -o clean.svg clean.czt
check empty_svg_parses python3 -c 'import xml.etree.ElementTree as E; E.parse("clean.svg")'
check empty_massif "$CZPROF" export --format massif -o clean.massif clean.czt
