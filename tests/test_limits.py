"""Memory and size limits of the server, in-process: page and answer caches in bytes, body and URL sizes."""

from __future__ import annotations

import asyncio
import tracemalloc
from pathlib import Path

import pytest
from conftest import BASE

from publish.config import KEYS, parse_table
from publish.errors import ConfigError
from publish.server import AnswerCache, Site, get_scope
from publish.serving import RequestLimits
from publish.workers import Answer, Job

SERVING_KEYS = (
    "max_query_length",
    "max_query_depth",
    "max_request_body",
    "max_url_length",
    "request_read_timeout",
    "worker_memory",
    "sparql_reserve_timeout",
    "sparql_inline_cost",
    "sparql_inline_wait",
    "query_cache_bytes",
    "page_cache_bytes",
    "allow_unsandboxed",
)


def test_every_limit_is_a_config_key_with_a_default(tmp_path: Path) -> None:
    config = parse_table({"base_iri": BASE}, project_dir=tmp_path, output=None, file="p", env={})
    assert {key: getattr(config, key) for key in SERVING_KEYS} == {key: KEYS[key][0] for key in SERVING_KEYS}


def test_wrong_limits_are_all_reported(tmp_path: Path) -> None:
    table = {
        "base_iri": BASE,
        "max_request_body": 0,
        "worker_memory": "lots",
        "sparql_reserve_timeout": -1,
        "sparql_inline_cost": 1.5,
        "sparql_inline_wait": 0,
        "allow_unsandboxed": "yes",
        "request_read_timeout": 0,
    }
    with pytest.raises(ConfigError) as caught:
        parse_table(table, project_dir=tmp_path, output=None, file="p", env={})
    assert sorted(problem.split("'")[1] for problem in caught.value.problems) == sorted(
        table.keys() - {"base_iri"}
    )


def _site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    for number in range(20):
        (root / f"page{number}.html").write_bytes(b"x" * 1000)
    return root


def test_page_cache_misses_cannot_grow_it_past_its_budget(tmp_path: Path) -> None:
    files = Site(_site(tmp_path), budget=100_000)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(200):  # once +79 MB: every 60 KB miss was kept
            assert files.get(f"nope-{number}-" + "a" * 60_000) is None
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert files.cached_bytes == 0 and grown < 1_000_000
    for number in range(2000):
        files.get(f"miss-{number}")
    assert files.cached_bytes <= 100_000


def test_page_cache_keeps_the_most_recent_files_within_its_budget(tmp_path: Path) -> None:
    files = Site(_site(tmp_path), budget=20_000)
    for number in range(20):
        found = files.get(f"page{number}.html")
        assert found is not None and found.body == b"x" * 1000
    assert 15_000 < files.cached_bytes <= 20_000
    assert "page19.html" in files._cache and "page0.html" not in files._cache


def test_answer_cache_is_bounded_in_bytes_whatever_the_query_size() -> None:
    cache = AnswerCache(1000, budget=1_000_000)
    answer = Answer(b"{}", "application/json", False, "ASK")
    for number in range(1000):
        cache.put(Job(f"ASK {{}} # {number} " + "a" * 60_000, "json", "turtle", 10), answer)
    assert cache.cached_bytes == 0  # each entry over an eighth of the budget: not kept
    for number in range(1000):
        cache.put(Job(f"ASK {{}} # {number} " + "a" * 1000, "json", "turtle", 10), answer)
    assert 0 < cache.cached_bytes <= 1_000_000
    last = Job("ASK {} # 999 " + "a" * 1000, "json", "turtle", 10)
    assert cache.get(last) == answer


def test_an_answer_kept_as_sent_counts_in_the_bounds_and_goes_with_its_answer() -> None:
    # A repeated GET spelled byte for byte as before gets the answer as it was sent (headers
    # made once); what that keeps counts against the cache's bytes and leaves with the answer.
    cache = AnswerCache(2, budget=1_000_000)
    answer = Answer(b"{}", "application/json", False, "ASK")
    jobs = [Job(f"ASK {{}} # {number}", "json", "turtle", 10) for number in range(3)]
    spellings = [(f"query=ASK+%7B%7D+%23+{n}".encode(), b"application/json", False) for n in range(3)]
    sent = ([(b"content-type", b"application/json"), (b"vary", b"Accept")], b"{}")
    cache.put(jobs[0], answer)
    before = cache.cached_bytes
    cache.keep_ready(spellings[1], jobs[1], sent)  # not a cached answer: nothing kept
    assert cache.ready(spellings[1]) is None and cache.cached_bytes == before
    cache.keep_ready(spellings[0], jobs[0], sent)
    assert cache.ready(spellings[0]) == sent and cache.cached_bytes > before
    assert cache.ready((spellings[0][0], b"text/csv", False)) is None  # another Accept: not this
    assert cache.ready((spellings[0][0], b"application/json", True)) is None  # gzip accepted
    cache.put(jobs[1], answer)
    cache.ready(spellings[0])  # used: the least recently used answer is now jobs[1]
    cache.put(jobs[2], answer)
    assert cache.get(jobs[1]) is None and cache.ready(spellings[0]) == sent
    cache.keep_ready(spellings[2], jobs[2], sent)
    kept = cache.cached_bytes
    cache.put(Job("ASK {} # 3", "json", "turtle", 10), answer)  # jobs[2] out, and how it was sent
    assert cache.ready(spellings[2]) is None and cache.ready(spellings[0]) == sent
    assert cache.cached_bytes < kept
    cache.clear()
    assert cache.ready(spellings[2]) is None and cache.cached_bytes == 0


async def _call(
    app: RequestLimits, target: bytes, body: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    chunks = list(body)
    seen: list[bytes] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        while True:
            message = await receive()  # type: ignore[operator]
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"".join(seen)})  # type: ignore[operator]

    async def receive() -> dict[str, object]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    replies: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        replies.append(message)

    limits = RequestLimits(inner, max_body=app.max_body, max_url=app.max_url)  # type: ignore[arg-type]
    path, _, query = target.partition(b"?")
    scope = {
        "type": "http",
        "method": "POST",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": headers,
    }
    await limits(scope, receive, send)  # type: ignore[arg-type]
    return int(replies[0]["status"]), b"".join(r.get("body", b"") for r in replies[1:])  # type: ignore[call-overload, misc]


@pytest.mark.parametrize(
    ("target", "body", "headers", "status", "words"),
    [
        (b"/sparql", [b"a" * 100], [(b"content-length", b"100")], 200, b"a" * 100),
        (b"/sparql", [b"a" * 10], [(b"content-length", b"5000")], 413, b"max_request_body"),
        (b"/sparql", [b"a" * 600] * 3, [(b"transfer-encoding", b"chunked")], 413, b"max_request_body"),
        (b"/sparql", [b"a" * 400] * 2, [(b"transfer-encoding", b"chunked")], 200, b"a" * 800),
        (b"/sparql", [b""], [], 200, b""),
        (b"/sparql?query=" + b"a" * 2000, [b""], [], 414, b"max_url_length"),
        (b"/sparql", [b""], [(b"content-length", b"-1")], 413, b"max_request_body"),
    ],
)
def test_request_limits(
    target: bytes, body: list[bytes], headers: list[tuple[bytes, bytes]], status: int, words: bytes
) -> None:
    app = RequestLimits(None, max_body=1000, max_url=1000)  # type: ignore[arg-type]
    got_status, got_body = asyncio.run(_call(app, target, body, headers))
    assert got_status == status and words in got_body


async def _answers(
    app: object, targets: list[tuple[str, dict[str, str]]]
) -> list[tuple[int, set[tuple[str, str]], bytes]]:
    """Send GETs through an app within one lifespan; return (status, header set, body) of each."""
    from starlette.applications import Starlette

    assert isinstance(app, Starlette)
    found = []
    async with app.router.lifespan_context(app):
        for target, headers in targets:
            scope = get_scope(target, headers)
            messages: list[dict[str, object]] = []

            async def receive() -> dict[str, object]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, object], into: list[dict[str, object]] = messages) -> None:
                into.append(message)

            await app(scope, receive, send)  # type: ignore[arg-type]
            start = messages[0]
            body = b"".join(m.get("body", b"") for m in messages[1:])  # type: ignore[misc]
            pairs = {(k.decode(), v.decode()) for k, v in start["headers"]}  # type: ignore[attr-defined]
            found.append((int(start["status"]), pairs, body))  # type: ignore[call-overload]
    return found


def test_a_sparql_get_answers_the_same_before_routing_as_routed(built_site: Path) -> None:
    # CachedAnswers answers a GET of one query before Starlette routes it (from the cache, else
    # from the pool): status, headers and body must be what the routed endpoint gives.
    import urllib.parse

    from publish.config import load_config
    from publish.server import CachedAnswers, create_app

    def sparql(query: str, **more: str) -> str:
        return "/sparql?" + urllib.parse.urlencode({"query": query, **more})

    json_results = {"accept": "application/sparql-results+json"}
    iris = "FILTER(!isBlank(?s) && !isBlank(?t))"  # blank node labels differ between two stores
    large = sparql(f"SELECT * WHERE {{ ?s ?p ?t {iris} }} ORDER BY ?s ?p ?t LIMIT 40")
    targets = [
        (sparql(f"SELECT ?s WHERE {{ ?s a ?t {iris} }} ORDER BY ?s LIMIT 2"), json_results),  # small
        (large, json_results),  # over the gzip minimum
        (large, {**json_results, "accept-encoding": "gzip"}),
        (sparql("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), {}),  # refused
        (sparql("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", format="csv"), {}),  # 406
        (sparql("SELECT * WHERE { ?s ?p }"), {}),  # a syntax error
        (sparql("ASK {}", timeout="x"), {}),  # the routed path says why
    ]
    config = load_config(built_site.parent)
    routed = create_app(config, built_site, workers=1)
    routed.user_middleware = [m for m in routed.user_middleware if m.cls is not CachedAnswers]
    direct = create_app(config, built_site, workers=1)
    expected = asyncio.run(_answers(routed, targets))
    # then again, from the cache; and a third time, as the cache sent it to the same spelling
    got = asyncio.run(_answers(direct, targets + targets + targets))
    assert [status for status, _, _ in expected] == [200, 200, 200, 400, 406, 400, 400]
    assert got == expected + expected + expected
