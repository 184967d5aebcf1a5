#!/usr/bin/env python3
"""Signs in to the hub's console in a real headless Chromium and walks its pages.

  console_driver.py --base URL --name NAME --password-file FILE --out DIR --prefix P
                    [--english] [--upload ACTION=FILE ...] [--fill] PATH [PATH ...]

Signs in through the sign-in form as a person does (the form's own token and cookie),
then opens each PATH at 1366x768 and at 390x844 (a phone), saves DIR/P-NN-SLUG-WIDTH.png
(the whole page) and prints one JSON line per page and size: path, width, title, the
page's visible text, whether it scrolls sideways, its HTTP status, and every console
message of level error (a blocked style or script included). Then each --upload: the
catalog page's form posting to ACTION is given FILE through its file input and sent, as
a person picks a file and presses the button; the page it answers with is saved and
printed the same way (path "upload:ACTION"). With --fill, each line of standard input
(JSON: {"page": PATH, "action": ACTION, "fields": {NAME: VALUE}}) is a form filled in on
PATH and sent with its button, as a person types and presses it; the page it lands on is
saved and printed (path "form:ACTION", "landed": its path). Values come on standard
input so that no number a test types is on a command line. --english presses the
language toggle after signing in. Debian's chromium, as root with --no-sandbox;
nothing is downloaded.
"""
import argparse
import base64
import json
import os
import re
import sys
import time


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kiosk_driver  # noqa: E402


class Page(kiosk_driver.Page):
    """The kiosk driver's DevTools session, reading what the console's checks need."""

    def errors(self):
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(" ".join(str(a.get("value", "")) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(p.get("exceptionDetails", {}).get("text", "exception"))
        return out

    def status(self, url):
        """The status of the last response for `url` (the document)."""
        found = None
        for e in self.events:
            if e["method"] == "Network.responseReceived" and e["params"]["response"]["url"] == url:
                found = e["params"]["response"]["status"]
        return found

    def open(self, url, timeout=20):
        self.events = []
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate("document.readyState") == "complete" and self.evaluate("location.href") == url:
                return
            time.sleep(0.05)
        raise SystemExit(f"{url} did not load within {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--upload", action="append", default=[])
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--english", action="store_true")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    password = open(args.password_file).read().strip()
    os.makedirs(args.out, exist_ok=True)
    with kiosk_driver.browser_page(Page, timeout=60) as page:
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
        page.open(args.base + "/console/login")
        page.evaluate(f"""(() => {{
            document.querySelector('input[name=name]').value = {json.dumps(args.name)};
            document.querySelector('input[name=password]').value = {json.dumps(password)};
            document.querySelector('form').submit(); }})()""")
        deadline = time.time() + 20
        while page.evaluate("location.pathname") != "/console/" or page.evaluate("document.readyState") != "complete":
            if time.time() > deadline:
                print(json.dumps({"path": "/console/login", "signed_in": False, "text": page.evaluate("document.body.innerText")}, ensure_ascii=False))
                return 1
            time.sleep(0.05)
        if args.english:
            page.evaluate("document.querySelector('form[action=\"/console/language\"] button').click()")
            wait_until(page, lambda: page.evaluate("document.documentElement.lang") == "en", "the language toggle")
        shot = 0

        def report(path, url, width, **extra):
            nonlocal shot
            shot += 1
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "overview"
            name = os.path.join(args.out, f"{args.prefix}-{shot:02d}-{slug}-{width}.png")
            png = base64.b64decode(page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
            with open(name, "wb") as f:
                f.write(png)
            print(json.dumps({
                "path": path,
                "width": width,
                "status": page.status(url),
                "title": page.evaluate("document.title"),
                "text": page.evaluate("document.body.innerText"),
                "sideways": page.evaluate("document.documentElement.scrollWidth > window.innerWidth"),
                "lang": page.evaluate("document.documentElement.lang"),
                "errors": page.errors(),
                "file": name,
                **extra,
            }, ensure_ascii=False), flush=True)

        for path in args.paths:
            for width, height in ((1366, 768), (390, 844)):
                page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 500)
                url = args.base + path
                page.open(url)
                time.sleep(0.2)  # let the page finish painting
                report(path, url, width)
        for upload in args.upload:
            action, file = upload.split("=", 1)
            page.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
            page.open(args.base + "/console/catalog")
            page.events = []
            root = page.call("DOM.getDocument")["root"]["nodeId"]
            node = page.call("DOM.querySelector", nodeId=root, selector=f'form[action="{action}"] input[type=file]')["nodeId"]
            if not node:
                print(json.dumps({"path": "upload:" + action, "status": 0, "text": "no such form", "errors": []}, ensure_ascii=False), flush=True)
                continue
            page.call("DOM.setFileInputFiles", nodeId=node, files=[os.path.abspath(file)])
            page.evaluate(f"document.querySelector('form[action=\"{action}\"] button').click()")
            deadline = time.time() + 60
            while page.evaluate("location.pathname") != action or page.evaluate("document.readyState") != "complete":
                if time.time() > deadline:
                    raise SystemExit(f"the upload to {action} did not finish within 60 s")
                time.sleep(0.05)
            time.sleep(0.2)
            report("upload:" + action, args.base + action, 1366)
        for line in (sys.stdin if args.fill else []):
            form = json.loads(line)
            page.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
            page.open(args.base + form["page"])
            before = page.evaluate("location.href")
            selector = f'form[method="post"][action="{form["action"]}"]'
            page.evaluate(f"""(() => {{
                const form = document.querySelector({json.dumps(selector)});
                for (const [name, value] of Object.entries({json.dumps(form["fields"])})) form.elements[name].value = value;
                form.querySelector('button').click(); }})()""")
            wait_until(page, lambda: page.evaluate("location.href") != before and page.evaluate("document.readyState") == "complete", "the form " + form["action"])
            time.sleep(0.2)
            report("form:" + form["action"], page.evaluate("location.href"), 1366, landed=page.evaluate("location.pathname"))
        return 0


def wait_until(page, done, what, timeout=30):
    deadline = time.time() + timeout
    while not done():
        if time.time() > deadline:
            raise SystemExit(f"{what}: nothing happened within {timeout} s")
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
