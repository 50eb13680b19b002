#!/bin/sh
# The README's sample sessions, from a real run of the bundled examples, so
# that what the README shows is what czprof prints.
#
#   scripts/readme_sample.sh [BUILD]          rewrite README.md's sample blocks
#   scripts/readme_sample.sh --print [BUILD]  print the blocks, change nothing
#   scripts/readme_sample.sh --check [BUILD]  exit 1 with a diff when README.md's
#                                             blocks differ from a fresh run
#
# BUILD is the build folder (default build).  A sample block is the fenced
# block that follows a line "<!-- sample NAME: scripts/readme_sample.sh -->"
# in README.md; NAME is a session below.  --check ignores what differs from
# run to run (pids, times, the live-bytes sparkline, the trace's size within
# 10%), and nothing else: after a change to what a command prints, re-run
# this script and commit README.md.
set -e
mode=write
case "$1" in
--print) mode=print; shift ;;
--check) mode=check; shift ;;
-*) echo "usage: $0 [--print | --check] [BUILD]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && cd "${1:-build}" && pwd)
[ -x "$build/czprof" ] && [ -x "$build/examples/demo" ] || {
	echo "readme_sample: no czprof and examples in $build (run make first)" >&2
	exit 1
}

# The sessions run in a scratch folder where build/ is the build folder, so
# commands and their headers read as in a source tree.
work=$(mktemp -d "${TMPDIR:-/tmp}/czprof-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$build" "$work/build"

# run 'czprof ARGS...': prints "$ czprof ARGS..." and what the command prints
run() {
	echo "\$ $1"
	(cd "$work" && eval "build/czprof ${1#czprof }") 2>&1 || true
}

session_demo() {
	run 'czprof record -o demo.czt -- build/examples/demo'
	echo
	run 'czprof leaks demo.czt'
	echo
	run 'czprof peak demo.czt'
	echo
	run 'czprof sql demo.czt "SELECT fn, COUNT(*) AS calls, SUM(size) AS bytes FROM allocations GROUP BY fn"'
}

session_server() {
	run 'czprof record -o srv.czt build/examples/server'
	run 'czprof arenas srv.czt'
}

session_bugs() {
	echo '$ build/examples/bugs'
	(cd "$work" && build/examples/bugs) 2>&1 || true
}

for s in demo server bugs; do
	session_$s >"$work/$s.txt"
done

exec python3 - "$mode" "$root/README.md" "$work" <<'EOF'
import difflib, re, sys

mode, readme, work = sys.argv[1:4]
text = open(readme, encoding="utf-8").read()
marker = re.compile(r"^<!-- sample (\w+): scripts/readme_sample\.sh -->\n```\n(.*?)^```\n", re.M | re.S)

def fresh(name):
    return open(f"{work}/{name}.txt", encoding="utf-8").read().replace(work + "/", "")

UNIT = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}

def trace_size(block):
    m = re.search(r"recorded .*?, ([\d.]+) (B|KiB|MiB|GiB) in ", block)
    return float(m.group(1)) * UNIT[m.group(2)] if m else None

def normal(block):
    block = re.sub(r"\(pid \d+\)", "(pid N)", block)
    block = re.sub(r"(recorded .*?, )[\d.]+ (B|KiB|MiB|GiB)( in )", r"\1SIZE\3", block)
    block = re.sub(r"\b\d+(\.\d+)? (ns|us|µs|ms|s)\b", "TIME", block)
    block = re.sub(r"(live bytes over time: )\S+", r"\1BARS", block)
    block = re.sub(r"0x[0-9a-f]+", "0xADDR", block) # addresses change from run to run
    return re.sub(r"[ \t]+", " ", block) # the columns' widths follow the times'


if mode == "print":
    for m in marker.finditer(text):
        print(f"== {m.group(1)}\n{fresh(m.group(1))}", end="")
    sys.exit(0)
if mode == "write":
    out = marker.sub(lambda m: f"<!-- sample {m.group(1)}: scripts/readme_sample.sh -->\n```\n{fresh(m.group(1))}```\n", text)
    open(readme, "w", encoding="utf-8").write(out)
    sys.exit(0)
bad = 0
names = [m.group(1) for m in marker.finditer(text)]
if not names:
    print("readme_sample: README.md has no sample blocks")
    sys.exit(1)
for m in marker.finditer(text):
    name, old, new = m.group(1), m.group(2), fresh(m.group(1))
    a, b = trace_size(old), trace_size(new)
    if (a is None) != (b is None) or (a and not 0.9 <= b / a <= 1.1):
        print(f"readme_sample: sample {name}: the README's trace is {a} B, a fresh run's {b} B")
        bad = 1
    if normal(old) != normal(new):
        sys.stdout.writelines(difflib.unified_diff(normal(old).splitlines(True), normal(new).splitlines(True),
                                                   f"README.md ({name})", f"a fresh run ({name})"))
        bad = 1
if bad:
    print("readme_sample: the README's samples are stale: run scripts/readme_sample.sh and commit README.md")
sys.exit(bad)
EOF
