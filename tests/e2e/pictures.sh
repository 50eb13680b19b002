# Pictures and the formats other tools read, each checked with the tool
# that reads it (python's XML and JSON parsers, node for the flame graph's
# script, protoc, ms_print), on programs with exactly known allocations:
#   rec_exact: 1,000 x 32 B freed from make_pair, 7 x 111 B leaked from leak_some
#   pic_grow N / pic_grow_moved N: leaks growing with N (czprof diff)
#   top_phases: 4 MiB held, then freed, 10,000 B leaked (czprof plot)
#   pic_sites: 20 call sites live at once (a plot's legend)
TOOLS=$PWD/tests/tools
. tests/e2e/lib.sh
P=$TESTBIN/progs
"$CZPROF" record -o ex.czt "$P/rec_exact" 2>/dev/null

# folded stacks: one line per stack, root first, the call site last; the
# frames below main (libc's start) are cut off before comparing
"$CZPROF" flamegraph --folded -o - ex.czt >leaked.folded
expect_eq folded_leaked_lines "$(wc -l <leaked.folded)" 1
expect_match folded_leaked_root "$(cat leaked.folded)" "^_start \(rec_exact\);"
from_main() { sed 's/^.*;main (/main (/' "$@"; }
expect_eq folded_leaked "$(from_main leaked.folded)" \
	"main (tests/progs/rec_exact.c:28);leak_some (tests/progs/rec_exact.c:19) 777"
expect_eq folded_count "$("$CZPROF" flamegraph --folded --metric count -o - ex.czt | from_main)" \
	"$(printf '%s\n' "main (tests/progs/rec_exact.c:27);make_pair (tests/progs/rec_exact.c:11) 1000" \
		"main (tests/progs/rec_exact.c:28);leak_some (tests/progs/rec_exact.c:19) 7")"
expect_eq folded_allocated "$("$CZPROF" flamegraph --folded --metric allocated -o - ex.czt | from_main)" \
	"$(printf '%s\n' "main (tests/progs/rec_exact.c:27);make_pair (tests/progs/rec_exact.c:11) 32000" \
		"main (tests/progs/rec_exact.c:28);leak_some (tests/progs/rec_exact.c:19) 777")"
expect_eq folded_peak "$("$CZPROF" flamegraph --folded --metric peak -o - ex.czt | from_main)" \
	"main (tests/progs/rec_exact.c:28);leak_some (tests/progs/rec_exact.c:19) 777"
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
expect_match svg_width_share "$svg" "make_pair \(tests/progs/rec_exact.c:11\) - 31.2 KiB \(97.63%\) \| w=1152.0"
"$CZPROF" flamegraph --metric count -o - ex.czt >stdout.svg 2>stdout.err
check svg_to_stdout python3 -c 'import xml.etree.ElementTree as E; E.parse("stdout.svg")'
expect_match svg_count "$(cat stdout.svg)" "<title>leak_some \(tests/progs/rec_exact.c:19\) - 7 \(0.70%\)</title>"
expect_eq svg_to_stdout_quiet "$(cat stdout.err)" ""

# the inline script, run by node against a small stand-in for the DOM:
# a click zooms (the frame fills the width, its callers stay full width
# and dimmed, the rest hides), hovering shows the figures, a search sums
# the share of matching frames, Escape resets.  Skipped without node.
if command -v node >/dev/null 2>&1; then
	python3 - ex.svg >dom.json <<'PY'
import sys, re, json, xml.etree.ElementTree as ET
s = open(sys.argv[1]).read(); n = '{http://www.w3.org/2000/svg}'
frames = [dict(g.attrib, title=g.find(n + 'title').text, text=g.find(n + 'text').text or '')
          for g in ET.fromstring(s).iter(n + 'g')]
print(json.dumps({'script': re.search(r'<!\[CDATA\[(.*)\]\]>', s, re.S).group(1), 'frames': frames}))
PY
	out=$(node - <<'JS'
const d = JSON.parse(require('fs').readFileSync('dom.json'));
const node = (a) => ({ a: Object.assign({}, a), style: {}, textContent: a.text || '',
	getAttribute(k) { return this.a[k]; }, setAttribute(k, v) { this.a[k] = String(v); }, addEventListener() {} });
const gs = d.frames.map(f => {
	const parts = { rect: node({}), text: node({ text: f.text }), title: node({ text: f.title }) }, cls = new Set();
	return { a: f, style: {}, on: {}, parts, getAttribute(k) { return this.a[k]; },
		addEventListener(e, fn) { this.on[e] = fn; }, querySelector(s) { return parts[s]; },
		classList: { add: c => cls.add(c), remove: c => cls.delete(c), toggle: (c, y) => y ? cls.add(c) : cls.delete(c), has: c => cls.has(c) } };
});
const ids = { details: node({}), matched: node({}), search: node({}), unzoom: node({}) };
let key;
global.document = { querySelectorAll: () => gs, getElementById: i => ids[i], addEventListener: (e, fn) => { key = fn; } };
global.prompt = () => 'leak_some';
eval(d.script);
const name = g => g.a.title.replace(/ - .*/, '');
const show = g => `${name(g)} ${g.style.display == 'none' ? 'hidden' : 'w=' + (+g.parts.rect.a.width).toFixed(1)}${g.classList.has('up') ? ' up' : ''}`;
const leak = gs.find(g => name(g).startsWith('leak_some'));
leak.on.click();
console.log(gs.filter(g => /^(main|leak_some|make_pair)/.test(name(g))).map(show).join(', '));
leak.on.mouseover();
console.log(ids.details.textContent);
key({ key: 'f', ctrlKey: true, preventDefault() {} });
console.log(ids.matched.textContent);
key({ key: 'Escape' });
console.log(gs.filter(g => /^make_pair/.test(name(g))).map(show).join(), JSON.stringify(ids.matched.textContent));
JS
)
	expect_eq svg_script_zoom "$(echo "$out" | sed -n 1p)" \
		"main (tests/progs/rec_exact.c:27) hidden, make_pair (tests/progs/rec_exact.c:11) hidden, main (tests/progs/rec_exact.c:28) w=1180.0 up, leak_some (tests/progs/rec_exact.c:19) w=1180.0"
	expect_eq svg_script_hover "$(echo "$out" | sed -n 2p)" "leak_some (tests/progs/rec_exact.c:19) - 777 B (2.37%)"
	expect_eq svg_script_search "$(echo "$out" | sed -n 3p)" 'matched "leak_some": 2.37%'
	expect_eq svg_script_reset "$(echo "$out" | sed -n 4p)" 'make_pair (tests/progs/rec_exact.c:11) w=1152.0 ""'
else
	skip svg_script "node is not installed"
fi

# the same in a real browser: headless Chromium (Debian's chromium;
# scripts/deps.sh installs it in CI) driven through the DevTools protocol
# (tests/tools/flame_browser.py).  A screenshot shows each of the 8 frames
# in its own colour on the background (#f8f8f0); a real click on leak_some
# makes it fill the 1180 px width (9 points of 9 across it in its colour)
# and hides the 2 frames beside it; Escape gives it back its 2.37% (28 px);
# Ctrl-F with "leak_some" typed into the prompt paints it #e040e0.
chromium=$(command -v chromium || command -v chromium-browser)
if [ -n "$chromium" ]; then
	out=$(timeout 120 python3 "$TOOLS/flame_browser.py" "$chromium" ex.svg \
		"leak_some (tests/progs/rec_exact.c:19)" leak_some 2>&1)
	line() { echo "$out" | sed -n "$1p"; }
	expect_eq browser_screenshot_frames "$(line 1)" "drawn 8/8"
	expect_eq browser_screenshot_background "$(line 2)" "background 248,248,240"
	expect_eq browser_click_zooms "$(line 3)" "zoomed 1180.0 9/9"
	expect_eq browser_zoom_hides "$(line 4)" "hidden 2"
	expect_eq browser_escape_resets "$(line 5)" "reset 28.0"
	expect_eq browser_search_highlights "$(line 6)" 'search matched "leak_some": 2.37% 1/1'
else
	skip browser "chromium is not installed (Debian's chromium; scripts/deps.sh installs it when CI=true)"
fi

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
# the same code at other addresses (pic_grow_moved): sites match by function and file
"$CZPROF" record -o m1.czt "$P/pic_grow_moved" 1 2>/dev/null
"$CZPROF" record -o m5.czt "$P/pic_grow_moved" 5 2>/dev/null
expect_match diff_moved_same "$("$CZPROF" diff g1.czt m1.czt)" "no call site changed"
out=$("$CZPROF" diff g1.czt m5.czt)
expect_match diff_moved_leak_more "$(echo "$out" | sed -n 4p)" "^ +\+400 B +\+400 B +\+4  leak_more \(tests/progs/pic_grow.c\)$"
expect_eq diff_moved_json "$("$CZPROF" diff --json m5.czt g1.czt | python3 -c '
import json, sys; d = json.load(sys.stdin)
print([(s["site"], s["leaked_bytes"], s["peak_bytes"], s["allocations"]) for s in d["sites"]])')" \
	"[('leak_more (tests/progs/pic_grow.c)', [500, 100], [500, 100], [5, 1]), ('churn (tests/progs/pic_grow.c)', [0, 0], [64, 64], [50, 10])]"
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
svg_texts() { python3 -c 'import sys, xml.etree.ElementTree as ET; print("\n".join("".join(t.itertext()) for t in ET.parse(sys.argv[1]).getroot().iter("{http://www.w3.org/2000/svg}text")))' "$1"; }
# every label inside the picture
svg_inside() { python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot(); w, h = float(root.get("width")), float(root.get("height"))
out = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("transform") is None
       and not (0 <= float(t.get("x")) <= w and 12 <= float(t.get("y")) <= h - 2)]
print("inside" if not out else "outside: %s" % out)' "$1"; }
expect_eq plot_inside "$(svg_inside ph.czt.plot.svg)" inside
"$CZPROF" plot --by site -o sites.svg ph.czt 2>/dev/null
texts=$(svg_texts sites.svg)
expect_match plot_by_site_legend "$texts" "^grow_cache \(tests/progs/top_phases.c:40\) - 4 MiB at the peak$"
expect_match plot_by_site_churn "$texts" "^churn \(tests/progs/top_phases.c:46\) - 32 B at the peak$"
expect_match plot_by_site_leak "$texts" "^leak_some \(tests/progs/top_phases.c:58\) - 0 B at the peak$"
expect_match plot_by_site_peak "$texts" "^peak 4.0 MiB at [0-9.]+ ms$"
expect_eq plot_by_site_inside "$(svg_inside sites.svg)" inside
"$CZPROF" plot --by thread -o threads.svg ph.czt 2>/dev/null
expect_match plot_by_thread "$(svg_texts threads.svg)" "^thread [0-9]+ \(main\) - 4.0 MiB at the peak$"
"$CZPROF" plot --by allocator -o alloc.svg ph.czt 2>alloc.err; rc=$?
expect_match plot_no_allocators "$rc $(cat alloc.err)" "^0 czprof: warning: plot: no libczalloc allocator"
check plot_no_allocators_parses python3 -c 'import xml.etree.ElementTree as E; E.parse("alloc.svg")'
# many sites: the legend grows the picture instead of spilling out of it
"$CZPROF" record -o ph16.czt "$TESTBIN/progs/pic_sites" 2>/dev/null
"$CZPROF" plot --by site -n 16 -o many.svg ph16.czt 2>/dev/null
expect_eq plot_many_legend "$(svg_texts many.svg | grep -c ' at the peak$')" 17
expect_match plot_many_first "$(svg_texts many.svg)" "^site_20 \(tests/progs/pic_sites.c:[0-9]+\) - 20 KiB at the peak$"
expect_match plot_many_other "$(svg_texts many.svg)" "^other - 10 KiB at the peak$"
expect_eq plot_many_inside "$(svg_inside many.svg)" inside
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
# the reader pprof files are made for, `go tool pprof` (Debian's golang-go;
# scripts/deps.sh installs it in CI): -top and -traces give czprof's own
# figures, function by function and stack by stack
# (tests/tools/pprof_same.py), on rec_exact, top_phases (4 MiB grown and
# freed, 10 x 1000 B leaked) and pic_sites (20 sites of 1..20 KiB)
if command -v go >/dev/null 2>&1; then
	"$CZPROF" export --format pprof -o ph.pb.gz ph.czt 2>/dev/null
	"$CZPROF" export --format pprof -o ph16.pb.gz ph16.czt 2>/dev/null
	same() { python3 "$TOOLS/pprof_same.py" "$CZPROF" "$1" "$2" 2>&1; }
	ex=$(same ex.czt ex.czt.pb.gz) ph=$(same ph.czt ph.pb.gz) ps=$(same ph16.czt ph16.pb.gz)
	expect_eq pprof_go_same "$(printf '%s\n' "$ex" "$ph" "$ps" | grep -vc ': same (')" 0
	expect_eq pprof_go_top_alloc "$(echo "$ex" | grep '^top alloc_')" \
		"$(printf '%s\n' "top alloc_objects: same (leak_some=7 make_pair=1000)" "top alloc_space: same (leak_some=777 make_pair=32000)")"
	expect_eq pprof_go_top_inuse "$(echo "$ph" | grep '^top inuse_')" \
		"$(printf '%s\n' "top inuse_objects: same (leak_some=10)" "top inuse_space: same (leak_some=10000)")"
	expect_match pprof_go_top_big "$ph" "^top alloc_space: same \(churn=32000 grow_cache=4194304 leak_some=10000\)$"
	expect_match pprof_go_traces "$ex" "^traces inuse_space: same \(_start;__libc_start_main_impl;__libc_start_call_main;main;leak_some=777\)$"
	expect_match pprof_go_sites "$ps" "^top alloc_space: same \(site_1=1024 site_10=10240 .* site_9=9216\)$"
else
	skip pprof_go "go is not installed (Debian's golang-go; scripts/deps.sh installs it when CI=true)"
fi
check export_massif "$CZPROF" export --format massif -o ex.massif ex.czt
ms=$(ms_print ex.massif)
expect_match export_massif_peak "$ms" "Detailed snapshots: \[[0-9]+ \(peak\)\]"
expect_match export_massif_tree "$ms" "100.00% \(777B\) 0x1: leak_some \(tests/progs/rec_exact.c:19\)"
peak_snapshot() { echo "$1" | sed -n 's/.*Detailed snapshots: \[\([0-9]*\) (peak)\].*/\1/p'; }
snapshot_total() { echo "$1" | awk -v n="$2" '$1 == n && NF == 6 { gsub(",", "", $3); print $3 }'; }
expect_eq export_massif_peak_row "$(snapshot_total "$ms" "$(peak_snapshot "$ms")")" 777
expect_match export_massif_peak_axis "$ms" "^ +777\^"
"$CZPROF" export --format massif -o ph.massif ph.czt 2>/dev/null
ms=$(ms_print ph.massif)
expect_eq export_massif_phases_peak "$(snapshot_total "$ms" "$(peak_snapshot "$ms")")" 4194336
expect_eq export_massif_phases_end "$(echo "$ms" | awk 'NF == 6 && $1 ~ /^[0-9]+$/ { t = $3 } END { print t }')" 10,000
expect_match export_massif_phases_tree "$ms" "\(4,194,304B\) 0x1: grow_cache \(tests/progs/top_phases.c:40\)"
check export_speedscope "$CZPROF" export --format speedscope -o ex.ss.json ex.czt
expect_eq export_speedscope_leaked "$(python3 -c '
import json; d = json.load(open("ex.ss.json")); p = d["profiles"][0]
print(p["name"], p["weights"], d["shared"]["frames"][p["samples"][0][-1]]["name"])')" "leaked bytes [777] leak_some (tests/progs/rec_exact.c:19)"
expect_eq export_speedscope_count "$(python3 -c '
import json; d = json.load(open("ex.ss.json")); p = d["profiles"][3]
print(p["name"], sorted(p["weights"]))')" "allocation calls [7, 1000]"
# against speedscope's published file-format schema, its rules written out
# in tests/tools/speedscope_check.py (no JSON Schema library needed); a
# file broken on purpose shows the checker catches what it should
"$CZPROF" export --format speedscope -o ph.ss.json ph.czt 2>/dev/null
profiles="leaked bytes, bytes live at the peak, allocated bytes, allocation calls"
expect_eq speedscope_schema "$(python3 "$TOOLS/speedscope_check.py" ex.ss.json 2>&1)" "valid: $profiles"
expect_eq speedscope_schema_phases "$(python3 "$TOOLS/speedscope_check.py" ph.ss.json 2>&1)" "valid: $profiles"
python3 -c '
import json; d = json.load(open("ex.ss.json"))
d["profiles"][0]["weights"].append(3); d["profiles"][1]["unit"] = "KiB"; d["profiles"][3]["samples"][0][0] = 99
json.dump(d, open("broken.ss.json", "w"))'
expect_eq speedscope_schema_catches "$(python3 "$TOOLS/speedscope_check.py" broken.ss.json 2>&1 | cut -d: -f1 | tr '\n' ' ')" \
	"\$.profiles[0] \$.profiles[1].unit \$.profiles[3].samples[0][0] "
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
expect_match empty_svg_says_so "$(svg_texts clean.svg)" "^nothing to draw: no stack has any leaked bytes$"
check empty_massif "$CZPROF" export --format massif -o clean.massif clean.czt
