"""The server's own query thread (publish/lane.py) and the cost bound that admits a query to it
(publish/cost.py): sound against the engine's own answers on the real data, the same answers as
the workers give, the time limit kept, and the thread cut off from the network."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT
from servers import recording_listener

from publish.config import Config, load_config
from publish.cost import Counts, bound
from publish.guard import check_query
from publish.lane import Engines
from publish.server import create_app, get_scope
from publish.sparql import graph_names

SKOS = "http://www.w3.org/2004/02/skos/core#"
KD = BASE + "ontology#"
AREA = BASE + "id/area/miljoeteknologi"
LOOKUP = f"SELECT ?label WHERE {{ <{AREA}> <{SKOS}prefLabel> ?label }}"
# Queries in the class the bound reads, each with what it exercises.
IN_CLASS = {
    "lookup": LOOKUP,
    "a type": f"PREFIX kd: <{KD}> SELECT ?c WHERE {{ ?c a kd:ClusterOrganisation }}",
    "every quad": "SELECT * WHERE { ?s ?p ?o }",
    "cross product": f"SELECT * WHERE {{ ?s a <{KD}ClusterOrganisation> . ?t a <{KD}FocalPoint> }}",
    "optional": f"SELECT * WHERE {{ ?c a <{KD}ClusterOrganisation> OPTIONAL {{ ?c <{SKOS}prefLabel> ?l }} }}",
    "union": f"SELECT * WHERE {{ {{ ?x a <{KD}ClusterOrganisation> }} UNION {{ ?x a <{KD}Stronghold> }} }}",
    "minus": f"SELECT * WHERE {{ ?x ?p ?o MINUS {{ ?x a <{KD}ClusterOrganisation> }} }}",
    "not exists": f"SELECT ?x WHERE {{ ?x a <{KD}ClusterOrganisation> FILTER NOT EXISTS {{ ?x ?p ?x }} }}",
    "graph": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "values": f"SELECT * WHERE {{ VALUES ?p {{ <{SKOS}prefLabel> <{SKOS}definition> }} ?s ?p ?o }}",
    "sub-select": (
        f"SELECT * WHERE {{ {{ SELECT ?c WHERE {{ ?c a <{KD}ClusterOrganisation> }} LIMIT 3 }} ?c ?p ?o }}"
    ),
    "filter": (
        f'SELECT ?l WHERE {{ ?x <{SKOS}prefLabel> ?l FILTER(CONTAINS(STR(?l), "tek") && LANG(?l) = "da") }}'
    ),
    "ask": f"ASK {{ <{AREA}> ?p ?o }}",
}
# Queries outside it: their cost cannot be bounded from the patterns' counts.
OUT_OF_CLASS = {
    "path star": f"SELECT * WHERE {{ ?s <{SKOS}broader>* ?o }}",
    "path sequence": f"SELECT * WHERE {{ ?s <{SKOS}broader>/<{SKOS}broader> ?o }}",
    "inverse path": f"SELECT * WHERE {{ ?s ^<{SKOS}broader> ?o }}",
    "collection": "SELECT * WHERE { ?s ?p (1 2) }",
    "blank node list": f"SELECT * WHERE {{ ?s ?p [ <{SKOS}prefLabel> ?l ] }}",
    "concat": "SELECT (CONCAT(STR(?s), STR(?s)) AS ?x) WHERE { ?s ?p ?o }",
    "replace": 'SELECT ?x WHERE { ?s ?p ?o BIND(REPLACE(STR(?s), "", "aa") AS ?x) }',
    "encode": "SELECT (ENCODE_FOR_URI(STR(?s)) AS ?x) WHERE { ?s ?p ?o }",
    "lcase": "SELECT (LCASE(STR(?s)) AS ?x) WHERE { ?s ?p ?o }",
    "group_concat": "SELECT (GROUP_CONCAT(STR(?s)) AS ?x) WHERE { ?s ?p ?o }",
    "extension function": (
        "SELECT ?x WHERE { ?s ?p ?o BIND(<http://www.w3.org/2001/XMLSchema#string>(?o) AS ?x) }"
    ),
    "from": f"SELECT * FROM <{BASE}graph/data> WHERE {{ ?s ?p ?o }}",
    "order by": "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o",  # its sort can panic (tests/test_hostile.py)
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "describe": f"DESCRIBE <{AREA}>",
}


def _tree(text: str, graphs: frozenset[str]) -> object:
    plan = check_query(text, base=BASE, allowed_graphs=graphs, max_length=65_536, max_depth=64)
    assert plan.tree is not None, "the guard decided on tree-sitter's tree"
    return plan.tree


@pytest.mark.parametrize("name", sorted(IN_CLASS))
def test_the_bound_holds_what_the_engine_finds(name: str, site_store: ox.Store) -> None:
    text = IN_CLASS[name]
    graphs = graph_names(site_store)
    found = bound(_tree(text, graphs), Counts.of(site_store), budget=10**18, graphs=len(graphs))  # type: ignore[arg-type]
    assert found is not None
    answer = site_store.query(text, use_default_graph_as_union=True)
    solutions = 1 if isinstance(answer, ox.QueryBoolean) else len(list(answer))
    assert found >= solutions >= 1


def test_the_bound_of_a_product_is_at_least_the_product(site_store: ox.Store) -> None:
    # the engine's own count of each pattern, multiplied: the solutions of the two patterns joined
    graphs = graph_names(site_store)

    def rows(kind: str) -> int:
        answer = site_store.query(f"SELECT * WHERE {{ ?s a <{KD}{kind}> }}", use_default_graph_as_union=True)
        assert isinstance(answer, ox.QuerySolutions)
        return len(list(answer))

    clusters, points = rows("ClusterOrganisation"), rows("FocalPoint")
    assert clusters == 14 and points == 4  # the sources: 14 cluster organisations, 4 focal points
    tree = _tree(IN_CLASS["cross product"], graphs)
    found = bound(tree, Counts.of(site_store), budget=10**18, graphs=len(graphs))  # type: ignore[arg-type]
    assert found is not None and found >= clusters * points
    assert bound(tree, Counts.of(site_store), budget=clusters * points - 1, graphs=len(graphs)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(OUT_OF_CLASS))
def test_queries_outside_the_class_get_no_bound(name: str, site_store: ox.Store) -> None:
    graphs = graph_names(site_store)
    tree = _tree(OUT_OF_CLASS[name], graphs)
    assert bound(tree, Counts.of(site_store), budget=10**18, graphs=len(graphs)) is None  # type: ignore[arg-type]


def test_a_term_the_bound_cannot_resolve_counts_as_a_variable(site_store: ox.Store) -> None:
    graphs = graph_names(site_store)
    counts = Counts.of(site_store)

    def of(text: str) -> int:
        found = bound(_tree(text, graphs), counts, budget=10**18, graphs=len(graphs))  # type: ignore[arg-type]
        assert found is not None
        return found

    resolved = of(f"PREFIX s: <{SKOS}> SELECT * WHERE {{ ?x s:prefLabel ?l }}")
    relative = of(f"BASE <{SKOS}> PREFIX s: <> SELECT * WHERE {{ ?x s:prefLabel ?l }}")
    escaped = of(f"PREFIX s: <{SKOS}> SELECT * WHERE {{ ?x s:pref\\-Label ?l }}")
    assert relative >= counts.total and escaped >= counts.total  # as if the predicate were unbound
    assert resolved < min(relative, escaped)  # the labels are a part of the quads


def test_the_counts_are_the_engines(site_store: ox.Store) -> None:
    counts = Counts.of(site_store)
    assert counts.total == len(site_store)
    assert sum(counts.subjects.values()) == sum(counts.predicates.values()) == counts.total

    def engine(pattern: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} }}"
        solutions = site_store.query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        return int(next(solutions)["n"].value)

    assert counts.at_most(AREA, None, None) == engine(f"<{AREA}> ?p ?o")
    assert counts.at_most(None, SKOS + "prefLabel", None) == engine(f"?s <{SKOS}prefLabel> ?o")
    assert counts.at_most(None, None, KD + "ClusterOrganisation") == engine(
        f"?s ?p <{KD}ClusterOrganisation>"
    )
    assert counts.at_most(AREA, SKOS + "prefLabel", None) == min(
        engine(f"<{AREA}> ?p ?o"), engine(f"?s <{SKOS}prefLabel> ?o")
    )


# Run in a child: one thread installs the filter on itself alone, then tries the network.
CHILD = r"""
import errno, json, socket, sys, threading
import pyoxigraph as ox
from publish.sandbox import deny_network

port = int(sys.argv[1])
found = {}

def lane():
    deny_network(every_thread=False)
    try:
        socket.socket(socket.AF_INET).close()
        found["lane socket"] = "opened"
    except OSError as exc:
        found["lane socket"] = errno.errorcode[exc.errno]
    try:
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/lane> {{ ?s ?p ?o }} }}"))
        found["lane engine"] = "answered"
    except OSError as exc:
        found["lane engine"] = type(exc).__name__

thread = threading.Thread(target=lane)
thread.start()
thread.join()
with socket.create_connection(("127.0.0.1", port)) as sock:  # the threads that serve HTTP keep sockets
    sock.sendall(b"main thread")
found["main socket"] = "opened"
print(json.dumps(found))
"""


def test_the_lane_thread_alone_is_cut_off_from_the_network() -> None:
    with recording_listener() as (port, seen):
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(port)], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert child.returncode == 0, child.stderr
        time.sleep(0.3)
        assert json.loads(child.stdout) == {
            "lane socket": "EACCES",
            "lane engine": "PermissionError",
            "main socket": "opened",
        }
        assert seen == [b"main thread"]


# ---------------------------------------------------------------- the lane in the server

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # about 12 million rows: seconds


def _config(built_site: Path, **changes: object) -> Config:
    config = load_config(built_site.parent)
    return dataclasses.replace(config, output=built_site, **changes)  # type: ignore[arg-type]


async def _ask(app: object, query: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    target = "/sparql?" + urllib.parse.urlencode({"query": query})
    scope = get_scope(target, {"accept": accept, "host": "localhost"})
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[operator]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    return int(sent[0]["status"]), body  # type: ignore[call-overload]


async def _ready(engines: Engines) -> None:
    for _ in range(600):
        if engines.lane.ready:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the lane did not start: {engines.lane.problem}")


ACCEPTS = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv")


def test_the_lane_answers_cheap_queries_as_the_workers_do(built_site: Path) -> None:
    queries = [IN_CLASS[name] for name in ("lookup", "optional", "union", "values", "ask")]

    async def answers(config: Config) -> tuple[list[tuple[int, bytes]], int]:
        app = create_app(config, built_site, workers=1)
        async with app.router.lifespan_context(app):
            engines: Engines = app.state.engines[0]
            await _ready(engines) if config.sparql_inline_cost else None
            found = [await _ask(app, q, accept) for q in queries for accept in ACCEPTS]
            found.append(await _ask(app, OUT_OF_CLASS["concat"] + " LIMIT 3"))  # not in the class
            found.append(await _ask(app, IN_CLASS["sub-select"]))  # in the class, over the budget
            return found, engines.lane.answered

    lane, answered = asyncio.run(answers(_config(built_site, query_cache=0)))
    workers, none = asyncio.run(answers(_config(built_site, query_cache=0, sparql_inline_cost=0)))
    assert answered == len(queries) * len(ACCEPTS)  # every cheap one in the lane, not the concat
    assert none == 0
    assert all(status == 200 for status, _ in lane)
    assert lane == workers


def test_a_lane_query_past_its_time_limit_gets_the_limit_and_the_workers_answer_meanwhile(
    built_site: Path,
) -> None:
    # A bound that admits everything, so a slow query runs in the lane: its request gets the time
    # limit's 503 on time; the lane, still running it, takes nothing new until it ends.
    config = _config(built_site, query_cache=0, sparql_inline_cost=10**18, query_timeout=0.3)

    async def run() -> tuple[tuple[int, bytes], float, tuple[int, bytes], int, int, bool]:
        app = create_app(config, built_site, workers=1)
        async with app.router.lifespan_context(app):
            engines: Engines = app.state.engines[0]
            await _ready(engines)
            started = time.monotonic()
            slow = await _ask(app, SLOW)
            took = time.monotonic() - started
            meanwhile = await _ask(app, LOOKUP)
            answered_meanwhile = engines.lane.answered
            for _ in range(3000):  # the slow query ends in the lane (seconds)
                if not engines.lane._busy_since:
                    break
                await asyncio.sleep(0.01)
            after = await _ask(app, LOOKUP)
            return slow, took, meanwhile, answered_meanwhile, engines.lane.answered, after[0] == 200

    slow, took, meanwhile, answered_meanwhile, answered_after, after_ok = asyncio.run(run())
    assert slow[0] == 503 and b"time limit of 0.3 s" in slow[1], slow
    assert took < 1.0
    assert meanwhile[0] == 200 and "Miljøteknologi" in meanwhile[1].decode()  # from a worker
    assert answered_meanwhile == 1  # the slow query's 503 only
    assert after_ok and answered_after == 2  # the lane took the lookup once it was free


def test_a_query_that_waits_too_long_for_the_lane_goes_to_a_worker(built_site: Path) -> None:
    config = _config(
        built_site, query_cache=0, sparql_inline_cost=10**18, sparql_inline_wait=0.1, query_timeout=30
    )

    async def run() -> tuple[int, float, int, int]:
        app = create_app(config, built_site, workers=1)
        async with app.router.lifespan_context(app):
            engines: Engines = app.state.engines[0]
            await _ready(engines)
            slow = asyncio.create_task(_ask(app, SLOW))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            status, _ = await _ask(app, LOOKUP)
            waited = time.monotonic() - started
            answered_then = engines.lane.answered
            slow_status, _ = await slow
            return status, waited, answered_then, slow_status

    status, waited, answered_then, slow_status = asyncio.run(run())
    assert status == 200 and waited < 1.0  # the slow query takes seconds; the lookup did not wait for it
    assert answered_then == 0
    assert slow_status == 200
