#!/usr/bin/env python3
"""speedscope_check.py FILE: checks a speedscope JSON file against
speedscope's published file-format schema
(https://www.speedscope.app/file-format-schema.json, made from
src/lib/file-format-spec.ts), with no JSON Schema library: the schema's
rules are written out below, plus the ones its comments state (weights as
long as samples, frame indices inside shared.frames, endValue not before
startValue, evented events in order and balanced).  Prints "valid" and
the profiles' names, or one line per problem, each with its JSON path.
"""
import json
import sys

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
UNITS = {"bytes", "microseconds", "milliseconds", "nanoseconds", "none", "seconds"}
problems = []


def bad(path, why):
    problems.append("%s: %s" % (path, why))


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def obj(path, v, required, optional):
    """v is an object with every required key; types checked by the caller.
    Keys the schema does not name are allowed: it sets no
    additionalProperties (optional lists the ones it names)."""
    if not isinstance(v, dict):
        bad(path, "not an object")
        return False
    for k in required:
        if k not in v:
            bad(path, "'%s' is required" % k)
    return all(k in v for k in required)


def typed(path, v, kind):
    ok = {"string": isinstance(v, str), "number": is_number(v), "array": isinstance(v, list)}[kind]
    if not ok:
        bad(path, "not a %s" % kind)
    return ok


def frame_index(path, v, n_frames):
    if typed(path, v, "number") and (v != int(v) or not 0 <= v < n_frames):
        bad(path, "frame index %s outside shared.frames (%d)" % (v, n_frames))


def check_sampled(path, p, n_frames):
    if not obj(path, p, ["endValue", "name", "samples", "startValue", "type", "unit", "weights"], []):
        return
    typed(path + ".name", p["name"], "string")
    if p["unit"] not in UNITS:
        bad(path + ".unit", "'%s' is not one of %s" % (p["unit"], sorted(UNITS)))
    if typed(path + ".startValue", p["startValue"], "number") and typed(path + ".endValue", p["endValue"], "number") \
            and p["endValue"] < p["startValue"]:
        bad(path, "endValue before startValue")
    if typed(path + ".samples", p["samples"], "array"):
        for i, stack in enumerate(p["samples"]):
            if typed("%s.samples[%d]" % (path, i), stack, "array"):
                for j, f in enumerate(stack):
                    frame_index("%s.samples[%d][%d]" % (path, i, j), f, n_frames)
    if typed(path + ".weights", p["weights"], "array"):
        for i, w in enumerate(p["weights"]):
            typed("%s.weights[%d]" % (path, i), w, "number")
        if isinstance(p["samples"], list) and len(p["weights"]) != len(p["samples"]):
            bad(path, "%d weights for %d samples" % (len(p["weights"]), len(p["samples"])))


def check_evented(path, p, n_frames):
    if not obj(path, p, ["endValue", "events", "name", "startValue", "type", "unit"], []):
        return
    typed(path + ".name", p["name"], "string")
    if p["unit"] not in UNITS:
        bad(path + ".unit", "'%s' is not one of %s" % (p["unit"], sorted(UNITS)))
    open_frames, at = [], None
    for i, e in enumerate(p["events"] if typed(path + ".events", p["events"], "array") else []):
        ep = "%s.events[%d]" % (path, i)
        if not obj(ep, e, ["at", "frame", "type"], []):
            continue
        frame_index(ep + ".frame", e["frame"], n_frames)
        if typed(ep + ".at", e["at"], "number"):
            if at is not None and e["at"] < at:
                bad(ep, "'at' goes back in time")
            at = e["at"]
        if e["type"] == "O":
            open_frames.append(e["frame"])
        elif e["type"] == "C":
            if not open_frames or open_frames.pop() != e["frame"]:
                bad(ep, "closes a frame that is not the innermost open one")
        else:
            bad(ep + ".type", "not 'O' or 'C'")
    if open_frames:
        bad(path, "%d frames never closed" % len(open_frames))


def check(d):
    if not obj("$", d, ["$schema", "profiles", "shared"], ["name", "activeProfileIndex", "exporter"]):
        return []
    if d["$schema"] != SCHEMA_URL:
        bad("$.$schema", "not '%s'" % SCHEMA_URL)
    for k in ("name", "exporter"):
        if k in d:
            typed("$." + k, d[k], "string")
    n_frames = 0
    if obj("$.shared", d["shared"], ["frames"], []) and typed("$.shared.frames", d["shared"]["frames"], "array"):
        n_frames = len(d["shared"]["frames"])
        for i, f in enumerate(d["shared"]["frames"]):
            fp = "$.shared.frames[%d]" % i
            if obj(fp, f, ["name"], []):
                typed(fp + ".name", f["name"], "string")
                if "file" in f:
                    typed(fp + ".file", f["file"], "string")
                for k in ("line", "col"):
                    if k in f and f[k] is not None:
                        typed(fp + "." + k, f[k], "number")
    names = []
    if typed("$.profiles", d["profiles"], "array"):
        for i, p in enumerate(d["profiles"]):
            pp = "$.profiles[%d]" % i
            kind = p.get("type") if isinstance(p, dict) else None
            if kind == "sampled":
                check_sampled(pp, p, n_frames)
            elif kind == "evented":
                check_evented(pp, p, n_frames)
            else:
                bad(pp + ".type", "not 'sampled' or 'evented'")
            names.append(str(p.get("name")) if isinstance(p, dict) else "?")
        a = d.get("activeProfileIndex")
        if a is not None and (not is_number(a) or not 0 <= a < len(d["profiles"])):
            bad("$.activeProfileIndex", "%s is not a profile's index" % a)
    return names


with open(sys.argv[1]) as f:
    names = check(json.load(f))
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("valid: " + ", ".join(names))
