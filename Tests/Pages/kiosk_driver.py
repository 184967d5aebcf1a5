#!/usr/bin/env python3
"""Drives a real headless Chromium over its DevTools protocol to watch a Station page.

  kiosk_driver.py --url URL --out DIR --expect STATE [--expect STATE ...] [--english]

Opens URL once at 800x480 and, for each STATE in order, waits until the page shows it
(`document.body.dataset.state`; `ready` means the document finished loading), then saves
DIR/NN-STATE.png and prints one JSON line: state, the page's visible text, the screenshot,
seconds since the page opened, whether it is still the same document (states must arrive
over the page's event stream, not by reloading), whether the page fits 800x480 without
scrolling, and whether the CJK font is available. With --english, the language toggle is
clicked after the last state and the English page is captured as well.

Debian's chromium, run as root with --no-sandbox; nothing is downloaded.
"""
import argparse
import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Page:
    """A DevTools session; the events it reads while waiting for an answer are kept."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def launch(profile):
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--hide-scrollbars", "--window-size=800,480", "--remote-debugging-port=0", "--remote-allow-origins=*",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 30
    while time.time() < deadline:
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            if lines:
                return browser, int(lines[0])
        time.sleep(0.1)
    browser.kill()
    raise SystemExit("chromium did not open its DevTools port within 30 s")


@contextlib.contextmanager
def browser_page(page_class=Page, timeout=30):
    """A headless Chromium of its own and a DevTools session on its first page; the
    browser and its profile are gone afterwards, whatever happened."""
    profile = tempfile.mkdtemp(prefix="station-chromium-")
    browser, port = launch(profile)
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        target = next(t for t in targets if t.get("type") == "page")
        yield page_class(websocket.create_connection(target["webSocketDebuggerUrl"], timeout=timeout))
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--english", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with browser_page() as page:
        page.call("Emulation.setDeviceMetricsOverride", width=800, height=480, deviceScaleFactor=1, mobile=False)
        page.call("Page.enable")
        opened = time.time()
        page.call("Page.navigate", url=args.url)
        marked = False
        shots = 0

        def capture(state, suffix=""):
            nonlocal shots
            shots += 1
            time.sleep(0.4)  # let the page finish painting
            png = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
            name = os.path.join(args.out, f"{shots:02d}-{state}{suffix}.png")
            with open(name, "wb") as f:
                f.write(png)
            print(json.dumps({
                "state": state + suffix,
                "text": page.evaluate("document.body.innerText"),
                "file": name,
                "seconds": round(time.time() - opened, 2),
                "same_document": page.evaluate("window.__stationMark === 42"),
                "fits": page.evaluate("document.documentElement.scrollWidth <= 800 && document.documentElement.scrollHeight <= 480"),
                "cjk_font": page.evaluate("document.fonts.check('32px \"WenQuanYi Micro Hei\"', '借书')"),
                "lang": page.evaluate("document.documentElement.lang"),
            }, ensure_ascii=False), flush=True)

        for state in args.expect:
            deadline = time.time() + args.timeout
            probe = "document.readyState" if state == "ready" else "document.body && document.body.dataset.state"
            want = "complete" if state == "ready" else state
            while page.evaluate(probe) != want:
                if time.time() > deadline:
                    print(json.dumps({"state": state, "timeout": True, "text": page.evaluate("document.body && document.body.innerText")}, ensure_ascii=False), flush=True)
                    return 1
                time.sleep(0.1)
            if not marked:
                # Survives only as long as the document does: a reload would clear it.
                page.evaluate("window.__stationMark = 42")
                marked = True
            capture(state)
        if args.english and args.expect:
            page.evaluate("document.getElementById('lang').click()")
            capture(args.expect[-1], "-en")
        return 0


if __name__ == "__main__":
    sys.exit(main())
