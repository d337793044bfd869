"""Headless Chromium for the browser tests, driven through the DevTools protocol over a pipe.

Chromium (Debian's ``chromium``, installed by the README's test command) is driven through the
Chrome DevTools Protocol over a pipe (``--remote-debugging-pipe``), so no extra library is
needed. :func:`serve` serves a built site on 127.0.0.1 as a plain static host; :func:`launch`
starts the browser and yields one :class:`Tab`. Used by tests/test_browser.py and
tests/test_search.py (a test module does not import another).
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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

    def until(self, expression: str, timeout: float = 20.0) -> Any:
        """Return the value of a JavaScript expression once it is truthy (pages answer asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            assert time.monotonic() < deadline, f"never true: {expression}"
            time.sleep(0.05)

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


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a thread, as a plain static host; yield its root URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def launch(profile: Path) -> Iterator[Tab]:
    """Start Chromium with a fresh profile and yield one tab; fail (not skip) when Chromium is missing."""
    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    assert executable, "Chromium is missing: install Debian's chromium (the README's test command does it)"
    ARTIFACTS.mkdir(exist_ok=True)
    browser = Browser(executable, profile)
    try:
        yield Tab(browser)
    finally:
        browser.close()
