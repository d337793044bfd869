"""Servers the tests run on 127.0.0.1: our app in a thread, and a listener that records connections."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from conftest import free_port

from publish.config import load_config
from publish.server import create_app


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        """Return the media type of the answer, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip()


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve a built site with uvicorn on a free port of 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    app = create_app(load_config(site.parent), site)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=15)


@contextmanager
def recording_listener() -> Iterator[tuple[int, list[bytes]]]:
    """Listen on a loopback port; yield the port and the first bytes of every connection made to it.

    A connection that sends nothing within a second is recorded as ``(connected)``: the proof
    that no outbound request was made is an empty list.
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    seen: list[bytes] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.settimeout(1)
            try:
                seen.append(connection.recv(1024) or b"(connected)")
            except TimeoutError:
                seen.append(b"(connected)")
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1]), seen
    finally:
        done.set()
        thread.join(timeout=5)
        server.close()
