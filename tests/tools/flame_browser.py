#!/usr/bin/env python3
"""flame_browser.py CHROMIUM SVG FRAME SEARCH: opens a flame graph SVG
(czprof flamegraph) in headless Chromium and works it as a user would,
through the DevTools protocol (over --remote-debugging-pipe: no port to
collide with another run).  Prints one line per step, which the test
compares with what the SVG says:

  drawn N/M            M frames wide enough to see (4 px); N of them show
                       their own fill colour at their centre in a screenshot
  background R,G,B     the screenshot's corner
  zoomed W P/Q ...     after a real mouse click on FRAME: its width in the
                       page, and how many points across the screenshot at
                       its height show its colour (P of Q)
  hidden N             frames hidden by the zoom
  reset W              FRAME's width after Escape
  search T H/F         after Ctrl-F and SEARCH typed into the prompt: the
                       'matched' text, and how many frames named SEARCH
                       (F) are painted the highlight colour (H)
Frames are named by the text of their <title> up to " - ".
"""
import base64
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib

chromium, svg, frame_name, term = sys.argv[1:5]
HIT = (0xE0, 0x40, 0xE0)  # g.hit rect { fill: #e040e0 }


class Browser:
    """Chromium with the DevTools protocol on a pair of pipes: JSON
    messages ended by a NUL byte, read on its fd 3, written on its fd 4."""

    def __init__(self):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        self.profile = tempfile.mkdtemp(prefix="czprof-chromium.")
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage", "--user-data-dir=" + self.profile,
                "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(["sh", "-c", 'exec "$@" 3<&%d 4>&%d' % (to_r, from_w), "sh"] + args,
                                     pass_fds=(to_r, from_w), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.events = []
        self.prompt_answer = ""

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.profile])

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise EOFError("chromium exited")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def handle(self, msg):
        # a prompt() blocks the page until it is answered
        if msg.get("method") == "Page.javascriptDialogOpening":
            self.send("Page.handleJavaScriptDialog", {"accept": True, "promptText": self.prompt_answer})
        self.events.append(msg)

    def call(self, method, params=None, session=True, timeout=30):
        i = self.send(method, params, session)
        deadline = time.time() + timeout
        while True:
            msg = self.read(deadline)
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.handle(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        while True:
            for k, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[k]
                    return e
            self.handle(self.read(deadline))

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        return png_pixels(base64.b64decode(data))


def png_pixels(png):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA PNG"""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "unexpected PNG layout"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def near(c, want, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


def hexrgb(s):
    s = s.lstrip("#")
    return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))


# every frame's title, rectangle (in page pixels), fill colour and visibility
FRAMES = """Array.from(document.querySelectorAll('g.f')).map(function (g) {
  var r = g.querySelector('rect'), b = r.getBoundingClientRect();
  return { name: g.querySelector('title').textContent.replace(/ - .*/, ''),
           x: b.x, y: b.y, w: b.width, h: b.height, fill: getComputedStyle(r).fill,
           shown: getComputedStyle(g).display != 'none' };
})"""


def rgb_of(css):
    m = re.match(r"rgb\((\d+), (\d+), (\d+)\)", css)
    return tuple(int(v) for v in m.groups()) if m else None


def main():
    b = Browser()
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        b.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                           session=False)["sessionId"]
        b.call("Page.enable")
        b.call("Runtime.enable")
        width, height = (int(float(v)) for v in re.search(
            r'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', open(svg).read()).groups())
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        b.call("Page.navigate", {"url": "file://" + os.path.abspath(svg)})
        b.wait_event("Page.loadEventFired")

        frames = b.js(FRAMES)
        w, h, px = b.screenshot()
        seen = [f for f in frames if f["w"] >= 4]
        drawn = [f for f in seen if near(px[int(f["y"] + 2)][int(f["x"] + f["w"] / 2)], rgb_of(f["fill"]))]
        print("drawn %d/%d" % (len(drawn), len(seen)))
        print("background %d,%d,%d" % px[h - 1][w - 1])

        # a real click, in the middle of the frame
        f = next(f for f in frames if f["name"] == frame_name)
        cx, cy = f["x"] + f["w"] / 2, f["y"] + f["h"] / 2
        for kind in ("mousePressed", "mouseReleased"):
            b.call("Input.dispatchMouseEvent", {"type": kind, "x": cx, "y": cy, "button": "left", "clickCount": 1})
        after = b.js(FRAMES)
        z = next(g for g in after if g["name"] == frame_name)
        w, h, px = b.screenshot()
        colour = rgb_of(z["fill"])
        points = [int(z["x"] + z["w"] * k / 10) for k in range(1, 10)]
        hits = sum(near(px[int(z["y"] + 2)][x], colour) for x in points)
        print("zoomed %.1f %d/%d" % (z["w"], hits, len(points)))
        print("hidden %d" % sum(not g["shown"] for g in after))

        # Escape goes back; Ctrl-F opens the prompt, answered with the term
        b.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape", "code": "Escape",
                                          "windowsVirtualKeyCode": 27})
        b.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Escape", "code": "Escape",
                                          "windowsVirtualKeyCode": 27})
        print("reset %.1f" % next(g["w"] for g in b.js(FRAMES) if g["name"] == frame_name))
        b.prompt_answer = term
        b.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "f", "code": "KeyF",
                                          "windowsVirtualKeyCode": 70, "modifiers": 2})
        b.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "f", "code": "KeyF",
                                          "windowsVirtualKeyCode": 70, "modifiers": 2})
        deadline = time.time() + 10
        while not b.js("document.getElementById('matched').textContent") and time.time() < deadline:
            time.sleep(0.05)
        matched = b.js("document.getElementById('matched').textContent")
        w, h, px = b.screenshot()
        named = [g for g in b.js(FRAMES) if g["name"].startswith(term) and g["w"] >= 4]
        lit = [g for g in named if near(px[int(g["y"] + 2)][int(g["x"] + g["w"] / 2)], HIT)]
        print("search %s %d/%d" % (matched, len(lit), len(named)))
    finally:
        b.close()


main()
