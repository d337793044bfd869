"""Limits of the HTTP layer: how long and how large a request may be before the app sees it.

Two pieces, both configured from ``[tool.klyngedata]``:

* ``protocol(config)`` returns uvicorn's httptools protocol with a read deadline and head size
  bounds. uvicorn itself bounds only the idle time between requests (``timeout_keep_alive``,
  cancelled by any byte received), so a client sending its head one byte a second, or a head
  that stops half-way, would hold a connection for ever. Here a client has
  ``request_read_timeout`` seconds for the head (from the connection, or from the end of the
  previous answer) and again for the body; then it gets 408 and is disconnected. A target
  longer than ``max_url_length`` gets 414 and a head beyond that plus 32 KiB gets 431, before
  it is kept in memory.
* ``RequestLimits`` (ASGI middleware) answers 414 for a long target and 413 for a body over
  ``max_request_body``, by its Content-Length or as it arrives, so no handler reads more.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import Config

_HEADERS_ALLOWANCE = 32 * 1024
_REASONS = {
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
}


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a read deadline and bounded request heads."""

    read_timeout: ClassVar[float] = 10.0
    max_url: ClassVar[int] = 16_384

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._refused or len(self.url) + len(url) > self.max_url:
            self._refuse(414, f"the request target is longer than {self.max_url} bytes (max_url_length)")
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._refused or self._head_bytes > self.max_url + _HEADERS_ALLOWANCE:
            self._refuse(431, "the request head is too large")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._arm()  # the body gets its own deadline
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's head

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.cycle is not None and not self.cycle.more_body:
            return  # the request is in; the app is answering it
        self._refuse(
            408, f"the request was not received within {self.read_timeout:g} s (request_read_timeout)"
        )

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with a one-line reason, close the connection and read no more."""
        if self._refused:
            return
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        body = (message + "\n").encode("utf-8")
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


def protocol(config: Config) -> type[GuardedHttp]:
    """Return the HTTP protocol class for uvicorn with this project's limits."""
    return type(
        "KlyngedataHttp",
        (GuardedHttp,),
        {"read_timeout": config.request_read_timeout, "max_url": config.max_url_length},
    )


class RequestLimits:
    """ASGI middleware: 414 for a long target, 413 for a body over the limit, before any handler."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_url: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_url = max_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope["query_string"])
        if target > self.max_url:
            await _plain(
                send, 414, f"the request target is longer than {self.max_url} bytes (max_url_length)"
            )
            return
        headers = dict(scope["headers"])
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # HTTP/1.1: no body at all
            return
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_body:
            await _plain(send, 413, self._too_large())
            return
        try:
            body = await self._read(receive)
        except _ClientGoneError:
            return
        if body is None:
            await _plain(send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body} bytes (max_request_body)"

    async def _read(self, receive: Receive) -> bytes | None:
        """Read the whole body, or return None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGoneError()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _ClientGoneError(Exception):
    """The client disconnected before its body was complete."""


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: http.disconnect when the client goes

    return replay


async def _plain(send: Send, status: int, message: str) -> None:
    body = (message + "\n").encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
