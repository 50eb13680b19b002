#!/usr/bin/env python3
"""pprof_same.py CZPROF TRACE PROFILE: reads PROFILE (czprof export --format
pprof of TRACE) with `go tool pprof`, the reader the format is made for, and
compares its figures with czprof's own for the same trace.  Prints one line
per comparison, "NAME: same (FIGURES)" or "NAME: pprof X, czprof Y":

  top SAMPLE      `go tool pprof -top`: each function's flat value against
                  czprof's per call site figures added up by function
                  (hotspots: calls and bytes; leaks --kinds all: blocks and
                  bytes never freed)
  traces SAMPLE   `go tool pprof -traces`: every stack and its value against
                  `czprof flamegraph --folded` (allocated, count, leaked)
"""
import json
import re
import subprocess
import sys

czprof, trace, profile = sys.argv[1:4]


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def function(frame):
    """'leak_some (tests/progs/rec_exact.c:19)' -> 'leak_some'"""
    return re.sub(r" \(.*\)$", "", frame)


def unit(index):
    """bytes in bytes, not scaled to kB or MB; counts as they are"""
    return ["-unit=byte"] if index.endswith("_space") else []


def pprof_top(index):
    out = run("go", "tool", "pprof", "-top", *unit(index), "-nodefraction=0", "-nodecount=0",
              "-sample_index=" + index, profile)
    flat = {}
    for line in out.splitlines():
        m = re.match(r"^ *(\d+)B? +[\d.]+% +[\d.]+% +\d+B? +[\d.]+% +(.+)$", line)
        if m and int(m.group(1)):
            flat[m.group(2)] = int(m.group(1))
    return flat


def pprof_traces(index):
    out = run("go", "tool", "pprof", "-traces", *unit(index), "-sample_index=" + index, profile)
    stacks = {}
    for block in out.split("-----------+-------------------------------------------------------")[1:]:
        lines = [l for l in block.splitlines() if l.strip()]
        if not lines:
            continue
        m = re.match(r"^ *(\d+)B? +(.+)$", lines[0])
        if not m or not int(m.group(1)):
            continue
        frames = [m.group(2).strip()] + [l.strip() for l in lines[1:]]
        key = ";".join(reversed(frames))  # root first, as folded stacks are
        stacks[key] = stacks.get(key, 0) + int(m.group(1))
    return stacks


def czprof_by_function(cmd, value):
    sites = json.loads(run(czprof, *cmd, "--json", "-n", "0", trace))["sites"]
    flat = {}
    for s in sites:
        f = function(s["site"])
        flat[f] = flat.get(f, 0) + s[value]
    return flat


def czprof_folded(metric):
    stacks = {}
    for line in run(czprof, "flamegraph", "--folded", "--metric", metric, "-o", "-", trace).splitlines():
        path, value = line.rsplit(" ", 1)
        key = ";".join(function(f) for f in path.split(";"))
        stacks[key] = stacks.get(key, 0) + int(value)
    return stacks


def compare(name, got, want):
    if got == want:
        print("%s: same (%s)" % (name, " ".join("%s=%d" % kv for kv in sorted(want.items()))[:300]))
    else:
        print("%s: pprof %s, czprof %s" % (name, got, want))


leaks = ["leaks", "--kinds", "all", "--no-default-suppressions"]
compare("top alloc_objects", pprof_top("alloc_objects"), czprof_by_function(["hotspots"], "count"))
compare("top alloc_space", pprof_top("alloc_space"), czprof_by_function(["hotspots"], "bytes"))
compare("top inuse_objects", pprof_top("inuse_objects"), czprof_by_function(leaks, "blocks"))
compare("top inuse_space", pprof_top("inuse_space"), czprof_by_function(leaks, "bytes"))
compare("traces alloc_objects", pprof_traces("alloc_objects"), czprof_folded("count"))
compare("traces alloc_space", pprof_traces("alloc_space"), czprof_folded("allocated"))
compare("traces inuse_space", pprof_traces("inuse_space"), czprof_folded("leaked"))
