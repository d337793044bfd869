"""Bounded fuzzing of the app in-process: random and mutated SPARQL, random paths and bodies.

Whatever arrives, the answer is a status below 500, or 503 for a limit, and the app goes on.
Longer runs against a real socket: tests/benchmarks/fuzz_server.py and soak_server.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzzing import PIECES, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from publish.config import load_config
from publish.server import create_app

FORMATS = ["", "json", "xml", "csv", "tsv", "turtle", "rdfxml", "jsonld", "nt", "nope", "text/html"]
Call = tuple[str, str, bytes, list[tuple[bytes, bytes]]]


class InProcess:
    """The app with its lifespan entered once, answering raw ASGI requests on one event loop."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._context = app.router.lifespan_context(app)
        self.loop.run_until_complete(self._context.__aenter__())

    def close(self) -> None:
        self.loop.run_until_complete(self._context.__aexit__(None, None, None))
        self.loop.close()

    def call(
        self, method: str, target: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
    ) -> int:
        return self.loop.run_until_complete(self._call(method, target, body, headers or []))

    async def _call(self, method: str, target: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
        path, _, query = target.partition("?")
        raw_path = path.encode("utf-8", "surrogateescape")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": urllib.parse.unquote(path, errors="surrogateescape"),
            "raw_path": raw_path,
            "query_string": query.encode("utf-8", "surrogateescape"),
            "root_path": "",
            "headers": [(b"host", b"x"), (b"content-length", str(len(body)).encode())] + headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        statuses: list[int] = []
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))  # type: ignore[call-overload]

        await asyncio.wait_for(self.app(scope, receive, send), 30)  # type: ignore[arg-type]
        assert len(statuses) == 1
        return statuses[0]


@pytest.fixture(scope="module")
def app(built_site: Path) -> Iterator[InProcess]:
    config = dataclasses.replace(load_config(built_site.parent), query_timeout=1.0, query_cache=0)
    running = InProcess(create_app(config, built_site, workers=1))
    yield running
    running.close()


def _acceptable(status: int) -> bool:
    return status < 500 or status == 503


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text


@settings(
    max_examples=200,
    deadline=10_000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(mutated(), st.text(max_size=200)),
    fmt=st.sampled_from(FORMATS),
    how=st.sampled_from(["get", "form", "direct"]),
)
def test_random_and_mutated_sparql_never_errs_on_the_server(
    app: InProcess, query: str, fmt: str, how: str
) -> None:
    params = {"query": query, **({"format": fmt} if fmt else {})}
    encoded = urllib.parse.urlencode(params, errors="surrogateescape")
    if how == "get":
        status = app.call("GET", "/sparql?" + encoded)
    elif how == "form":
        status = app.call(
            "POST", "/sparql", encoded.encode(), [(b"content-type", b"application/x-www-form-urlencoded")]
        )
    else:
        body = query.encode("utf-8", "surrogateescape")
        status = app.call("POST", "/sparql", body, [(b"content-type", b"application/sparql-query")])
    assert _acceptable(status), (status, query)


@settings(
    max_examples=200,
    deadline=10_000,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "..",
                    ".",
                    "%2e%2e",
                    "%2f",
                    "%00",
                    "%5c",
                    "id",
                    "area",
                    "index.html",
                    "sparql",
                    "~",
                    "%25",
                    "\\",
                ]
            ),
            st.text(min_size=1, max_size=8),
        ),
        max_size=6,
    ),
    accept=st.sampled_from(
        ["*/*", "text/turtle", "application/ld+json;q=0.1", "x/y", "text/html,*/*;q=0", ""]
    ),
)
def test_random_paths_never_err_on_the_server(app: InProcess, path: list[str], accept: str) -> None:
    target = "/" + "/".join(urllib.parse.quote(part, safe="%.~\\") for part in path)
    status = app.call("GET", target, headers=[(b"accept", accept.encode())])
    assert _acceptable(status), (status, target)
    assert app.call("GET", "/sparql?query=ASK%7B%7D") == 200
