"""What ``klyngedata serve --watch`` shares with the running server, and the banner it shows.

The watcher (:mod:`publish.watch`) rebuilds in a thread of its own; :class:`Live` is how it
reaches the app: ``problem`` holds the report (in any language) while the sources do not make
a site, and :meth:`Live.swapped` asks the app's event loop to serve the new site (forget cached
files and answers, start fresh query workers on the new dump) and waits until it does.

While there is a problem, :class:`Banner` puts the report at the top of every HTML page the
server answers (the previous good site, still served underneath): the partial
``templates/_preview_banner.html.j2`` in the page's language, never cached by the browser.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import jinja2
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .i18n import Messages

# Request headers that would let the answer skip the banner: a 304 for the copy the browser
# holds, or a gzip body the banner cannot be put into.
_SKIPPING = {b"if-none-match", b"if-modified-since", b"accept-encoding"}
_BODY = re.compile(rb"<body[^>]*>")
_PAGE_LANG = re.compile(rb'<html lang="([a-z]{2,3})"')


@dataclass(slots=True)
class Live:
    """The state of a watched site: the problem shown on its pages, and how to serve a new one."""

    messages: Messages
    problem: Callable[[str], str] | None = None  # the report in a language, while the sources fail
    renew: Callable[[], Coroutine[Any, Any, None]] | None = field(default=None, repr=False)  # by the app
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)  # the app's, once started

    def swapped(self, *, timeout: float = 120.0) -> None:
        """Have the running app serve the site now in place (call from any thread; waits)."""
        loop, renew = self.loop, self.renew
        if loop is None or renew is None or loop.is_closed():
            return  # not serving yet: the app starts on the new site
        asyncio.run_coroutine_threadsafe(renew(), loop).result(timeout=timeout)


class Banner:
    """ASGI middleware: while ``live.problem`` is set, show it at the top of every HTML page."""

    def __init__(self, app: ASGIApp, *, live: Live) -> None:
        self.app = app
        self.live = live
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("publish", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self.live.problem
        if (
            scope["type"] != "http"
            or problem is None
            or scope["path"] == "/sparql"
            or scope["method"] == "HEAD"
        ):
            await self.app(scope, receive, send)
            return
        headers = [(name, value) for name, value in scope["headers"] if name.lower() not in _SKIPPING]
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or not _is_html(start):
                if start is not None:
                    await send(start)
                    start = None
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = self._with_banner(b"".join(chunks), problem)
                response = MutableHeaders(scope=start)
                response["content-length"] = str(len(body))
                response["cache-control"] = "no-store"
                for name in ("etag", "last-modified"):
                    if name in response:
                        del response[name]
                await send(start)
                await send({"type": "http.response.body", "body": body})

        await self.app({**scope, "headers": headers}, receive, capture)

    def _with_banner(self, page: bytes, problem: Callable[[str], str]) -> bytes:
        opening = _BODY.search(page)
        if opening is None:
            return page
        codes = list(self.live.messages.tables)
        found = _PAGE_LANG.search(page)
        lang = found.group(1).decode() if found and found.group(1).decode() in codes else codes[0]
        banner = self.env.get_template("_preview_banner.html.j2").render(
            words=self.live.messages[lang]["preview"], lang=lang, report=problem(lang)
        )
        return page[: opening.end()] + banner.encode("utf-8") + page[opening.end() :]


def _is_html(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/html"))
    return False
