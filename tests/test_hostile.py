"""Hostile requests against `klyngedata serve` on a real socket on 127.0.0.1.

Each test asserts the status, the message and that the server is still up and answering. The
server runs with short limits (see ``LIMITS``) so the whole file stays well under 90 s.
"""

from __future__ import annotations

import http.client
import json
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BASE, free_port, stop
from servers import Reply, recording_listener

LIMITS = """
query_timeout = 3.0
request_read_timeout = 2.0
worker_memory = 256
sparql_workers = 2
sparql_reserve_timeout = 1.0
"""
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CONCAT_BOMB = (
    'SELECT (STRLEN(?u) AS ?len) WHERE { BIND("'
    + "a" * 1000
    + '" AS ?a) '
    + " ".join(f"BIND(CONCAT(?{c}, ?{c}) AS ?{chr(ord(c) + 1)})" for c in "abcdefghijklmnopqrst")
    + " }"
)
REGEX_BOMB = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    'FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?a)), "(.*a){12}(.*b){12}", "i")) }'
)


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def served(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`klyngedata serve` in a child process, with the short limits above, on a free port."""
    project = tmp_path_factory.mktemp("hostile")
    text = (built_site.parent / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(
        text.replace("[tool.klyngedata]\n", "[tool.klyngedata]\n" + LIMITS, 1), encoding="utf-8"
    )
    port = free_port()
    klyngedata = shutil.which("klyngedata", path=str(Path(sys.executable).parent)) or "klyngedata"
    command = [klyngedata, "serve", "--project", str(project), "--site", str(built_site), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (process.stderr.read() if process.stderr else b"").decode()
        try:
            if request(port, "GET", "/sparql?query=ASK%7B%7D").status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "serve did not answer within 60 s"
        time.sleep(0.2)
    yield Served(port, process)
    stop(process)
    if process.stderr:
        process.stderr.close()


def request(
    port: int, method: str, target: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def sparql(port: int, query: str, **params: str) -> Reply:
    return request(port, "GET", "/sparql?" + urllib.parse.urlencode({"query": query, **params}))


def raw(port: int, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send bytes as they are; return all the server answers until it closes or ``wait`` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def assert_alive(served: Served) -> None:
    assert served.process.poll() is None, "the server died"
    started = time.monotonic()
    reply = sparql(served.port, f"ASK {{ <{BASE}alive-{time.monotonic_ns()}> ?p ?o }}")
    assert reply.status == 200 and json.loads(reply.body) == {"head": {}, "boolean": False}
    assert time.monotonic() - started < 2.0


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on a loopback port recording every connection that reaches it."""
    with recording_listener() as found:
        yield found


# ---------------------------------------------------------------- outbound requests


def _outbound(remote: str) -> list[tuple[str, str]]:
    """(query, words of the refusal) for every way we know to ask for an outbound request."""
    service = f"SERVICE <{remote}> {{ ?s ?p ?o }}"
    outbound = "never makes outbound requests"
    elsewhere = "is not a graph of this dataset"
    return [
        (f"SELECT * WHERE {{ # c\r {service} }}", outbound),
        (f"SELECT * WHERE {{ # c\r {service} \n }}", outbound),
        (f"SELECT * WHERE {{ # c\r\n {service} }}", outbound),
        (f"SELECT * WHERE {{ {service} }} # at the end of input", outbound),
        (f"select * where {{ service <{remote}> {{ ?s ?p ?o }} }}", outbound),
        (f"SELECT * WHERE {{ SeRvIcE SILENT <{remote}> {{ ?s ?p ?o }} }}", outbound),
        (f"SELECT * WHERE {{ BIND(<{remote}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}", outbound),
        (f"SELECT * WHERE {{ \\u0053ERVICE <{remote}> {{ ?s ?p ?o }} }}", outbound),
        (f"ASK {{ FILTER EXISTS {{ {service} }} }}", outbound),
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", elsewhere),
        ("SELECT * # c\rFROM <file:///etc/passwd> WHERE { ?s ?p ?o }", elsewhere),
        (f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}", elsewhere),
        (f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", elsewhere),
        ("SELECT * FROM <../../../etc/passwd> WHERE { ?s ?p ?o }", elsewhere),
        (f"BASE <{remote}/> SELECT * FROM <graph/data> WHERE {{ ?s ?p ?o }}", elsewhere),
        (f"LOAD <{remote}>", "read-only"),
        (f"# c\rLOAD <{remote}>", "read-only"),
    ]


def test_no_variant_reaches_a_listener(served: Served, listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    remote = f"http://127.0.0.1:{port}/sparql"
    for query, words in _outbound(remote):
        for reply in (
            sparql(served.port, query),
            request(
                served.port,
                "POST",
                "/sparql",
                body=urllib.parse.urlencode({"query": query}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            request(
                served.port,
                "POST",
                "/sparql",
                body=query.encode(),
                headers={"Content-Type": "application/sparql-query"},
            ),
        ):
            assert reply.status == 400 and words.encode() in reply.body, (query, reply)
    updates = [
        request(served.port, "GET", "/sparql?" + urllib.parse.urlencode({"update": f"LOAD <{remote}>"})),
        request(
            served.port,
            "POST",
            "/sparql",
            body=urllib.parse.urlencode({"update": f"LOAD <{remote}>"}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        request(
            served.port,
            "POST",
            "/sparql",
            body=f"LOAD <{remote}>".encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
    ]
    assert all(reply.status == 400 and b"read-only" in reply.body for reply in updates)
    time.sleep(0.5)
    assert seen == [], f"the server connected to the listener: {seen!r}"
    assert_alive(served)


# ---------------------------------------------------------------- starvation


def test_cheap_queries_stay_fast_while_slow_ones_hold_every_worker(served: Served) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        slow = [pool.submit(sparql, served.port, SLOW + f" # {n}") for n in range(2)]
        time.sleep(0.5)  # both regular workers are now busy
        latencies = []
        for n in range(5):
            started = time.monotonic()
            reply = sparql(served.port, f"ASK {{ <{BASE}cheap-{n}-{time.monotonic_ns()}> ?p ?o }}")
            latencies.append(time.monotonic() - started)
            assert reply.status == 200
        slow_replies = [future.result(timeout=30) for future in slow]
    assert max(latencies) < 1.0, latencies
    assert [r.status for r in slow_replies] == [503, 503]
    assert all(b"time limit of 3 s" in r.body for r in slow_replies), slow_replies
    assert_alive(served)


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize(
    "target",
    [
        b"/%2e%2e/pyproject.toml",
        b"/..%2fpyproject.toml",
        b"/%2e%2e%2fpyproject.toml",
        b"/%252e%252e/pyproject.toml",
        b"/id/..%5c..%5cpyproject.toml",
        b"/..\\pyproject.toml",
        b"/id/%2e%2e/%2e%2e/pyproject.toml",
        b"/%00",
        b"/index.html%00.ttl",
        b"/id/%c0%ae%c0%ae/pyproject.toml",
        b"//etc/passwd",
        b"/%2fetc%2fpasswd",
    ],
)
def test_encoded_path_traversal_serves_nothing_outside_the_site(served: Served, target: bytes) -> None:
    answer = raw(served.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 404), answer[:200]
    assert b"[tool.klyngedata]" not in answer and b"root:" not in answer
    assert_alive(served)


# ---------------------------------------------------------------- sizes


def test_an_oversized_url_is_414(served: Served) -> None:
    reply = request(served.port, "GET", "/sparql?query=" + "A" * 20_000)
    assert reply.status == 414 and b"max_url_length" in reply.body
    assert_alive(served)


def test_an_oversized_head_is_431(served: Served) -> None:
    answer = raw(served.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 60_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert_alive(served)


def test_an_oversized_body_is_413_before_it_is_read(served: Served) -> None:
    started = time.monotonic()
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    answer = raw(served.port, head + b"Content-Length: 104857600\r\n\r\n" + b"a" * 1000)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"max_request_body" in answer
    chunked = raw(
        served.port,
        head
        + b"Transfer-Encoding: chunked\r\n\r\n"
        # 1 MiB in 16 chunks and one byte more, the body left open: over by one, nothing unread
        + (b"10000\r\n" + b"a" * 0x10000 + b"\r\n") * 16
        + b"1\r\na\r\n",
    )
    assert chunked.startswith(b"HTTP/1.1 413 ")
    assert time.monotonic() - started < 10
    assert_alive(served)


def test_an_oversized_query_is_400(served: Served) -> None:
    query = "ASK { " + "?s ?p ?o . " * 7000 + "}"
    reply = request(
        served.port,
        "POST",
        "/sparql",
        body=query.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert reply.status == 400 and b"max_query_length" in reply.body
    assert_alive(served)


@pytest.mark.parametrize("opening", ["{", "(", "["])
def test_deep_nesting_is_400(served: Served, opening: str) -> None:
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    reply = request(
        served.port,
        "POST",
        "/sparql",
        body=("SELECT * WHERE { " + opening * 10_000 + closing * 10_000 + " }").encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert reply.status == 400 and b"nests brackets" in reply.body and b"max_query_depth" in reply.body
    assert_alive(served)


# ---------------------------------------------------------------- bombs


def _stopped_by_a_limit(reply: Reply) -> bool:
    """A 400 naming the memory limit, or a 503 naming the time limit it ran under.

    While a worker stopped by an earlier test is being replaced, a query may run in the
    reserve worker, whose time limit (1 s here) is shorter.
    """
    if reply.status == 400:
        return b"config key worker_memory" in reply.body
    return reply.status == 503 and (b"time limit of 3 s" in reply.body or b"reserve worker" in reply.body)


def test_a_concat_bomb_hits_the_memory_limit_and_the_server_goes_on(served: Served) -> None:
    started = time.monotonic()
    reply = sparql(served.port, CONCAT_BOMB)
    assert time.monotonic() - started < 5
    # within its time limit the query needs more than the worker's heap (256 MiB here)
    assert _stopped_by_a_limit(reply), reply
    assert_alive(served)


def test_a_query_that_makes_the_engine_panic_ends_a_worker_not_the_server(served: Served) -> None:
    # pyoxigraph 0.5.13 panics sorting the real data's quads by object ("user-provided comparison
    # function does not correctly implement a total order"), and a panic aborts the process. The
    # query is cheap enough for the server's own query thread; it must run in a worker.
    reply = sparql(served.port, "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o")
    assert reply.status in (200, 400), reply  # 400: the worker ended; 200 once the engine is fixed
    if reply.status == 400:  # an abort reads as the heap limit's (the worker cannot tell them apart)
        assert b"stopped its worker unexpectedly" in reply.body or b"worker_memory" in reply.body, reply
    assert_alive(served)


def test_a_regex_bomb_is_stopped_by_the_time_limit(served: Served) -> None:
    started = time.monotonic()
    reply = sparql(served.port, REGEX_BOMB)
    assert reply.status == 503 and _stopped_by_a_limit(reply), reply
    assert time.monotonic() - started < 5
    assert_alive(served)


# ---------------------------------------------------------------- slow clients


def _trickle(port: int) -> tuple[float, bytes]:
    """Send a request head one byte every half second until the server answers or closes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 30:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            if select.select([sock], [], [], 0.5)[0]:
                break
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = b""
    return time.monotonic() - started, answer


def test_slow_header_senders_are_disconnected(served: Served) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        trickling = [pool.submit(_trickle, served.port) for _ in range(10)]
        time.sleep(0.5)
        assert_alive(served)  # answered while ten slow clients hold connections
        results = [future.result(timeout=30) for future in trickling]
    # request_read_timeout is 2 s here: each sent bytes for 2 s, then got 408 and was closed
    assert all(1.5 < seconds < 6 for seconds, _ in results), results
    assert all(answer.startswith(b"HTTP/1.1 408 ") for _, answer in results), results
    assert_alive(served)


def test_a_stalled_partial_head_is_closed(served: Served) -> None:
    started = time.monotonic()
    answer = raw(served.port, b"GET /sparql?query=ASK HTTP/1.1\r\nHost: x\r\n", wait=15)
    assert answer.startswith(b"HTTP/1.1 408 ") and b"request_read_timeout" in answer
    assert 1.5 < time.monotonic() - started < 6
    assert_alive(served)


def test_a_stalled_body_is_closed(served: Served) -> None:
    started = time.monotonic()
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    answer = raw(served.port, head + b"Content-Length: 100\r\n\r\nASK", wait=15)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 6
    assert_alive(served)
