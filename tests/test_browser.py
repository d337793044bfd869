"""A real headless Chromium loads built pages from a local HTTP server, as people and crawlers do.

Chromium (Debian's ``chromium``, installed by the README's test command) is driven through the
Chrome DevTools Protocol over a pipe (``--remote-debugging-pipe``), so no extra library is
needed. For a handful of pages the test takes screenshots (kept in tests/artifacts/), reads
the JSON-LD from the live DOM and expands it with pyld, and checks what a person meets: the
contrast of every text, a visible focus, a layout without sideways scrolling on a phone, and
a print layout without navigation. Nothing is requested from anywhere but 127.0.0.1.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE
from jsonld_support import SCHEMA, to_store
from sources import BOARD, marlog

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0


class Browser:
    """Headless Chromium driven through the DevTools protocol over fds 3 (commands) and 4 (replies)."""

    def __init__(self, executable: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        # bash puts the pipe ends at fds 3 and 4, where Chromium expects them (dash takes one-digit fds only).
        script = f'exec "$0" "$@" 3<&{commands_read} 4>&{replies_write} {commands_read}<&- {replies_write}>&-'
        self._log = (profile.parent / "chromium.log").open("wb")
        self.process = subprocess.Popen(
            ["bash", "-c", script, executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(commands_read, replies_write),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; fail on a protocol error or after TIMEOUT s."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self.wait(lambda m: m.get("id") == message["id"])
        assert "error" not in reply, (method, reply["error"])
        result: dict[str, Any] = reply.get("result", {})
        return result

    def wait(self, wanted: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the first message (seen before or arriving now) for which ``wanted`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.events):
                if wanted(message):
                    return self.events.pop(index)
            remaining = deadline - time.monotonic()
            assert remaining > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self._replies], [], [], remaining)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                assert chunk, "Chromium closed the DevTools pipe"
                self._buffer += chunk
                *complete, self._buffer = self._buffer.split(b"\0")
                self.events += [json.loads(part) for part in complete if part]

    def close(self) -> None:
        """Close the browser, and kill it if it does not exit."""
        try:
            os.write(self._commands, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self._commands)
            os.close(self._replies)
            self._log.close()


class Tab:
    """One page of the browser, its network log and a few actions on it."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable")
        self.requested: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command to this tab."""
        return self.browser.call(method, self.session, **params)

    def open(self, url: str, *, width: int = 1280, height: int = 900, mobile: bool = False) -> None:
        """Load a page at a viewport size and wait for its load event."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.call("Emulation.setEmulatedMedia", media="screen")
        self.browser.events = [e for e in self.browser.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        self.browser.wait(
            lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == self.session
        )
        requests = [e for e in self.browser.events if e.get("method") == "Network.requestWillBeSent"]
        self.requested += [e["params"]["request"]["url"] for e in requests]
        self.browser.events = [e for e in self.browser.events if e not in requests]

    def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def screenshot(self, name: str, *, full: bool = True) -> Path:
        """Save a PNG of the page into tests/artifacts/ and return its path."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=full)["data"]
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def key(self, key: str, code: int) -> None:
        """Press and release one key."""
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the library's name
        pass


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 from a thread; yield its root URL."""
    handler = functools.partial(_Quiet, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """One Chromium tab for the module; the test fails (not skips) when Chromium is missing."""
    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    assert executable, "Chromium is missing: install Debian's chromium (the README's test command does it)"
    ARTIFACTS.mkdir(exist_ok=True)
    browser = Browser(executable, tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield Tab(browser)
    finally:
        browser.close()


LIVE_JSONLD = (
    "JSON.stringify([...document.querySelectorAll('script[type=\"application/ld+json\"]')]"
    ".map(s => s.textContent))"
)


def live_jsonld(tab: Tab) -> list[Any]:
    """Return the JSON-LD documents in the live DOM."""
    return [json.loads(text) for text in json.loads(tab.evaluate(LIVE_JSONLD))]


def test_pages_render_and_their_live_json_ld_expands_to_the_expected_statements(
    server: str, tab: Tab
) -> None:
    name, short = marlog()
    organisation = f"{BASE}id/cluster/maritime-logistics-innovation-denmark"
    area = f"{BASE}id/area/maritime-erhverv-og-logistik"
    expectations = {
        "id/cluster/maritime-logistics-innovation-denmark.en.html": f"""
            <{organisation}> a s:Organization ; s:name "{name}" ; s:alternateName "{short}" ;
                s:knowsAbout <{area}> ; s:areaServed [ a s:Country ; s:name "Denmark" ] .""",
        "id/area/miljoeteknologi.html": f"""
            <{BASE}id/area/miljoeteknologi> a s:DefinedTerm ; s:name "Miljøteknologi" ;
                s:inDefinedTermSet <{BASE}id/scheme/erhvervs-og-teknologiomraader> .""",
        "index.html": f"""
            <{BASE}id/strategy/erhvervsfremme-i-danmark-2020-2023> a s:CreativeWork ;
                s:publisher <{BOARD}> . <{BASE}> a s:WebSite .""",
        "dataset.en.html": f"""
            <{BASE}dataset> a s:Dataset ; s:license <https://creativecommons.org/licenses/by/4.0/> ;
                s:distribution [
                    a s:DataDownload ; s:contentUrl <{BASE}dataset.ttl> ; s:encodingFormat "text/turtle"
                ] ;
                s:includedInDataCatalog <{BASE}catalog> ; s:isAccessibleForFree true .""",
    }
    for page, pattern in expectations.items():
        tab.open(server + page)
        title = tab.evaluate("document.querySelector('h1').textContent")
        assert title.strip(), page
        shot = tab.screenshot(page.replace("/", "_").removesuffix(".html"))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        (document,) = live_jsonld(tab)
        store = to_store(document)
        assert store.query(f"PREFIX s: <{SCHEMA}> ASK {{ {pattern} }}"), page
    assert tab.requested and all(url.startswith(server) for url in tab.requested), tab.requested


CONTRAST = """
(() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const style = getComputedStyle(el);
    if (!node.textContent.trim() || el.closest('script') || el.getClientRects().length === 0
        || style.visibility === 'hidden') continue;
    const [l1, l2] = [lum(rgb(style.color)), lum(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && style.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push([node.textContent.trim().slice(0, 40), ratio.toFixed(2)]);
  }
  return failures;
})()
"""


def test_text_contrast_focus_phone_and_print(server: str, tab: Tab) -> None:
    tab.open(server + "id/area/turisme.html")
    assert tab.evaluate(CONTRAST) == []
    tab.key("Tab", 9)
    assert tab.evaluate("document.activeElement.className") == "skip-link"
    tab.key("Tab", 9)
    focused = tab.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, s.backgroundColor, s.color]; })()"
    )
    assert focused == ["brand", "rgb(255, 221, 0)", "rgb(11, 12, 12)"]
    tab.screenshot("focus-visible", full=False)
    tab.open(server + "clusters.html", width=390, height=844, mobile=True)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    assert tab.evaluate(CONTRAST) == []
    tab.screenshot("phone-clusters")
    tab.open(
        server + "id/cluster/maritime-logistics-innovation-denmark.html", width=390, height=844, mobile=True
    )
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.screenshot("phone-marlog")
    tab.call("Emulation.setEmulatedMedia", media="print")
    hidden = tab.evaluate(
        "['.site-nav', '.lang-switch'].map(s => getComputedStyle(document.querySelector(s)).display)"
    )
    assert hidden == ["none", "none"]
    pdf = tab.call("Page.printToPDF")["data"]
    (ARTIFACTS / "print-marlog.pdf").write_bytes(base64.b64decode(pdf))
    assert base64.b64decode(pdf)[:5] == b"%PDF-"
