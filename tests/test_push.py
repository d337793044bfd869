"""`klyngedata push` loads the build into a real SPARQL 1.1 store: the Oxigraph server from PyPI.

The server runs as a child process on 127.0.0.1; the named queries are then asked of it with
SPARQLWrapper (a standard SPARQL protocol client) and must answer as the embedded engine does.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import BASE, free_port
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from stores import running_oxigraph

from publish.cli import main
from publish.sparql import bindings, graph_names, named_queries, portable_text, select

Rows = Counter[tuple[tuple[str, str], ...]]
# A value for every parameter kind the named queries take.
# The language parameter (publish.sparql.LANGUAGE) is checked by bindings and bound in the text, not
# substituted: "da", the answer the query gives unbound, here.
SAMPLES = {"xsd:date": "2021-06-01", "iri": f"{BASE}id/area/energiteknologi", "language": "da"}


# ---------------------------------------------------------------- the Oxigraph server


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty Oxigraph server."""
    with running_oxigraph(tmp_path / "oxigraph") as url:
        yield url


def push(project: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run `klyngedata push` on the built project with ``args``."""
    return CliRunner().invoke(
        main, ["push", "--project", str(project), *args], env=env, catch_exceptions=False
    )


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Iterator[tuple[str, Result]]:
    """An Oxigraph server the build was pushed into once, and what push printed."""
    with running_oxigraph(tmp_path_factory.mktemp("pushed") / "oxigraph") as url:
        result = push(built_site.parent, "--endpoint", f"{url}/query")
        assert result.exit_code == 0, result.output
        yield url, result


def dump_counts(site_store: ox.Store) -> dict[str, int]:
    """Return the number of triples of each named graph in the built dump."""
    return {
        graph: sum(1 for _ in site_store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        for graph in graph_names(site_store)
    }


def store_counts(url: str) -> dict[str, int]:
    """Ask the server, with SPARQLWrapper, how many triples each of its named graphs holds."""
    client = SPARQLWrapper(f"{url}/query")
    client.setQuery("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    client.setReturnFormat(JSON)
    answer: Any = client.queryAndConvert()
    return {row["g"]["value"]: int(row["n"]["value"]) for row in answer["results"]["bindings"]}


# ---------------------------------------------------------------- push, then ask the store


def test_push_reports_every_graph_sent_and_verified(pushed: tuple[str, Result], site_store: ox.Store) -> None:
    url, result = pushed
    counts = dump_counts(site_store)
    assert {f"{BASE}graph/{part}" for part in ("ontology", "data", "shapes")} <= set(counts)
    lines = result.stdout.splitlines()
    for graph, count in counts.items():
        # A fresh store creates each graph: 201 Created (RFC 9110 §9.3.4, GSP §5.3).
        assert f"sent      <{graph}>  {count:,} triples  (HTTP 201)" in lines
        assert f"verified  <{graph}>  {count:,} triples in the store" in lines
    total = sum(counts.values())
    assert (
        lines[-1] == f"Pushed {len(counts)} graphs ({total:,} triples) to {url}/store; every count verified."
    )
    assert result.stderr == ""


def graphs_of_dump(site: Path) -> dict[str, Graph]:
    """Read the dump with rdflib (not pyoxigraph): each named graph by IRI.

    An N-Quads line is an N-Triples line with the graph IRI before the final dot.
    """
    lines: dict[str, list[str]] = {}
    for line in gzip.decompress((site / "dataset.nq.gz").read_bytes()).decode("utf-8").splitlines():
        match = re.fullmatch(r"(.*) <([^<>]*)> \.", line)
        assert match, f"not a quad in a named graph: {line}"
        lines.setdefault(match.group(2), []).append(match.group(1) + " .")
    return {iri: Graph().parse(data="\n".join(triples), format="nt") for iri, triples in lines.items()}


def assert_isomorphic(held: Graph, expected: Graph, what: str) -> None:
    """Fail with the triples only one side has, unless the graphs are isomorphic."""
    if to_isomorphic(held) != to_isomorphic(expected):
        _, only_held, only_expected = graph_diff(held, expected)
        pytest.fail(
            f"{what} differs from the dump.\nonly there:\n{only_held.serialize(format='nt')}"
            f"\nonly in the dump:\n{only_expected.serialize(format='nt')}"
        )


def test_the_store_holds_the_dumps_graphs(pushed: tuple[str, Result], built_site: Path) -> None:
    url, _ = pushed
    graphs = graphs_of_dump(built_site)
    assert store_counts(url) == {iri: len(graph) for iri, graph in graphs.items()}
    for iri, graph in graphs.items():
        # Oxigraph stores xsd:positiveInteger and the other derived integer types as xsd:integer;
        # compare with the dump as an Oxigraph store holds it (the request below shows push sent
        # the exact datatypes).
        stored_locally = ox.Store()
        stored_locally.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        as_oxigraph_holds_it = Graph().parse(
            data=stored_locally.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt"
        )
        request = urllib.request.Request(
            f"{url}/store?{urlencode({'graph': iri})}", headers={"Accept": "application/n-triples"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            held = Graph().parse(data=response.read(), format="nt")
        assert_isomorphic(held, as_oxigraph_holds_it, f"<{iri}> in Oxigraph")


def test_push_sends_each_graph_exactly_as_published_as_turtle(built_site: Path) -> None:
    received: dict[str, tuple[str, bytes]] = {}
    with stub_server(fake_store(received=received)) as (url, _):
        result = push(built_site.parent, "--endpoint", f"{url}/query")
    assert result.exit_code == 0, result.output
    graphs = graphs_of_dump(built_site)
    assert set(received) == set(graphs)
    for iri, (content_type, body) in received.items():
        assert content_type.split(";")[0] == "text/turtle"
        assert_isomorphic(Graph().parse(data=body, format="turtle"), graphs[iri], f"the PUT of <{iri}>")


def remote_query(text: str, terms: dict[ox.Variable, Any]) -> str:
    """Return a named query's portable text with its parameters as an inline VALUES clause."""
    values = "".join(f" VALUES ?{variable.value} {{ {term} }}" for variable, term in terms.items())
    with_values, replaced = re.subn(r"\bWHERE\s*\{", lambda m: m.group(0) + values, text, count=1)
    assert replaced == 1
    return with_values


CASES = [
    (name, {p.name: SAMPLES[p.kind] for p in query.params if not required_only or p.required})
    for name, query in named_queries().items()
    for required_only in (True, False)
    if required_only or any(not p.required for p in query.params)
]


@pytest.mark.parametrize(
    ("name", "params"), CASES, ids=[f"{n}-{'-'.join(p) or 'no-params'}" for n, p in CASES]
)
def test_every_named_query_answers_as_the_embedded_engine(
    name: str, params: dict[str, str], pushed: tuple[str, Result], site_store: ox.Store
) -> None:
    url, _ = pushed
    query = named_queries()[name]
    terms = bindings(query, params, base=BASE)
    embedded: Rows = Counter(
        tuple(sorted(row.items())) for row in select(site_store, query.text, base=BASE, substitutions=terms)
    )
    client = SPARQLWrapper(f"{url}/query")
    # As a user copies it: absolute IRIs and its own FROM, no base and no store option needed.
    client.setQuery(remote_query(portable_text(query, base=BASE), terms))
    client.setReturnFormat(JSON)
    answer: Any = client.queryAndConvert()
    remote: Rows = Counter(
        tuple(sorted((var, term["value"]) for var, term in row.items()))
        for row in answer["results"]["bindings"]
    )
    assert sum(embedded.values()) > 0, name
    assert remote == embedded


# ---------------------------------------------------------------- replacing, not appending


def test_pushing_again_replaces_each_graph_and_leaves_other_graphs_alone(
    oxigraph: str, built_site: Path, site_store: ox.Store
) -> None:
    first = push(built_site.parent, "--endpoint", f"{oxigraph}/query")
    assert first.exit_code == 0, first.output
    stray = f"<{BASE}id/area/stray> <{BASE}ontology#position> 99"
    update = SPARQLWrapper(f"{oxigraph}/query", updateEndpoint=f"{oxigraph}/update")
    update.setMethod(POST)
    update.setQuery(
        f"INSERT DATA {{ GRAPH <{BASE}graph/data> {{ {stray} }} GRAPH <urn:example:other> {{ {stray} }} }}"
    )
    update.query()
    counts = dump_counts(site_store)
    assert store_counts(oxigraph) == {
        **counts,
        f"{BASE}graph/data": counts[f"{BASE}graph/data"] + 1,
        "urn:example:other": 1,
    }
    second = push(built_site.parent, "--endpoint", f"{oxigraph}/query")
    assert second.exit_code == 0, second.output
    # The graphs exist now: a replaced graph answers 204 No Content (GSP §5.3).
    assert all("(HTTP 204)" in line for line in second.stdout.splitlines() if line.startswith("sent"))
    assert store_counts(oxigraph) == {**counts, "urn:example:other": 1}
    third = push(built_site.parent, "--endpoint", f"{oxigraph}/query")
    assert third.exit_code == 0, third.output
    assert store_counts(oxigraph) == {**counts, "urn:example:other": 1}


# ---------------------------------------------------------------- failures are reported, not raised


def test_nothing_listening_is_exit_1_naming_graph_and_url(built_site: Path, site_store: ox.Store) -> None:
    port = free_port()
    result = push(built_site.parent, "--endpoint", f"http://127.0.0.1:{port}/query", "--timeout", "5")
    assert result.exit_code == 1
    first_graph = sorted(graph_names(site_store))[0]
    assert f"PUT of graph <{first_graph}> failed: cannot reach http://127.0.0.1:{port}/store?graph=" in (
        result.stderr
    )
    assert "refused" in result.stderr.lower()
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_store_that_loses_the_triples_fails_the_count(
    pushed: tuple[str, Result], oxigraph: str, built_site: Path, site_store: ox.Store
) -> None:
    # The PUTs go to one server, the counts are asked of another (empty) one: every count is 0.
    url, _ = pushed
    result = push(built_site.parent, "--endpoint", f"{oxigraph}/query", "--store", f"{url}/store")
    assert result.exit_code == 1
    graph, count = sorted(dump_counts(site_store).items())[0]
    assert (
        f"graph <{graph}>: sent {count:,} triples to {url}/store?{urlencode({'graph': graph})}, "
        f"but {oxigraph}/query counts 0"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_an_http_error_names_graph_url_status_and_body(oxigraph: str, built_site: Path) -> None:
    result = push(built_site.parent, "--endpoint", f"{oxigraph}/query", "--store", f"{oxigraph}/no-such-path")
    assert result.exit_code == 1
    assert re.search(
        rf"PUT of graph <{re.escape(BASE)}graph/\w+> failed: "
        rf"PUT {re.escape(oxigraph)}/no-such-path\?graph=\S+ "
        r"answered HTTP 404 Not Found: \S",
        result.stderr,
    ), result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--endpoint", "ftp://127.0.0.1/query"],
            "--endpoint: the SPARQL endpoint 'ftp://127.0.0.1/query' is not an http(s) URL",
        ),
        (
            ["--endpoint", "http://127.0.0.1:99999/query"],
            "--endpoint: the SPARQL endpoint 'http://127.0.0.1:99999/query' is not a",
        ),
        (
            ["--endpoint", "http://127.0.0.1/query", "--store", "store"],
            "--store: the Graph Store endpoint 'store' is not an http(s) URL",
        ),
        (["--endpoint", "http://127.0.0.1/sparql"], "--store: cannot tell the Graph Store endpoint"),
        (
            ["--endpoint", "http://127.0.0.1/query", "--timeout", "0"],
            "--timeout: the timeout must be more than 0",
        ),
    ],
)
def test_usage_errors_are_exit_2(args: list[str], words: str, built_site: Path) -> None:
    result = push(built_site.parent, *args)
    assert result.exit_code == 2
    assert words in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("endpoint", "store"),
    [
        ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/store"),  # Oxigraph
        ("http://localhost:3030/klyngedata/sparql", "http://localhost:3030/klyngedata/data"),  # Fuseki
        ("http://localhost:3030/klyngedata/query", "http://localhost:3030/klyngedata/data"),
        (
            "http://localhost:7200/repositories/klyngedata",  # GraphDB, RDF4J
            "http://localhost:7200/repositories/klyngedata/rdf-graphs/service",
        ),
        (
            "https://rdf4j.example.dk/rdf4j-server/repositories/klyngedata",
            "https://rdf4j.example.dk/rdf4j-server/repositories/klyngedata/rdf-graphs/service",
        ),
    ],
)
def test_the_graph_store_url_is_derived_by_the_servers_conventions(endpoint: str, store: str) -> None:
    from publish.push import derive_store

    assert derive_store(endpoint) == store


# ---------------------------------------------------------------- credentials and redirects


Seen = list[tuple[str, str, dict[str, str]]]
Answer = tuple[int, dict[str, str], bytes]


@contextmanager
def stub_server(answer: Callable[[str, str, dict[str, str], bytes], Answer]) -> Iterator[tuple[str, Seen]]:
    """Run a tiny HTTP server on 127.0.0.1 that answers with ``answer`` and records every request."""
    seen: Seen = []

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {key.lower(): value for key, value in self.headers.items()}
            seen.append((self.command, self.path, headers))
            status, extra, payload = answer(self.command, self.path, headers, body)
            self.send_response(status)
            for key, value in {**extra, "Content-Length": str(len(payload))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = handle_one  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fake_store(
    *,
    password: str | None = None,
    moved: str | None = None,
    received: dict[str, tuple[str, bytes]] | None = None,
) -> Callable[..., Answer]:
    """A minimal Graph Store + query endpoint: counts the N-Triples lines PUT into each graph.

    With ``password``, it challenges every request without ``Basic editor:password``; with
    ``moved``, a request to that path gets a 307 to ``/store``; ``received`` collects each
    graph's content type and body.
    """
    graphs: dict[str, int] = {}
    expected = "Basic " + base64.b64encode(f"editor:{password}".encode()).decode() if password else None

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        where, _, query = path.partition("?")
        if moved is not None and where == moved:
            return 307, {"Location": f"/store?{query}"}, b""
        if expected is not None and headers.get("authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b"login needed"
        if method == "PUT" and where == "/store":
            graph_iri = parse_qs(query)["graph"][0]
            graphs[graph_iri] = len(body.splitlines())
            if received is not None:
                received[graph_iri] = (headers.get("content-type", ""), body)
            return 201, {}, b""
        if method == "POST" and where == "/query":
            graph = re.search(r"GRAPH <([^>]*)>", parse_qs(body.decode())["query"][0])
            count = graphs.get(graph.group(1) if graph else "", 0)
            results = {
                "head": {"vars": ["n"]},
                "results": {"bindings": [{"n": {"type": "literal", "value": str(count)}}]},
            }
            return 200, {"Content-Type": "application/sparql-results+json"}, json.dumps(results).encode()
        return 404, {}, b"no such thing"

    return answer


def test_credentials_come_from_the_environment_and_answer_a_challenge(built_site: Path) -> None:
    with stub_server(fake_store(password="s3cret")) as (url, seen):
        env = {"KLYNGEDATA_PUSH_USER": "editor", "KLYNGEDATA_PUSH_PASSWORD": "s3cret"}
        result = push(built_site.parent, "--endpoint", f"{url}/query", env=env)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    basic = "Basic " + base64.b64encode(b"editor:s3cret").decode()
    # Offered only in answer to the store's challenge, never up front: each request goes twice.
    assert [headers.get("authorization") for _, _, headers in seen] == [None, basic] * (len(seen) // 2)
    assert len([method for method, _, _ in seen if method == "PUT"]) == 2 * len(graphs_of_dump(built_site))
    assert result.stdout.splitlines()[-1].endswith("every count verified.")


def test_a_wrong_password_is_exit_1_with_the_status(built_site: Path) -> None:
    with stub_server(fake_store(password="s3cret")) as (url, _):
        env = {"KLYNGEDATA_PUSH_USER": "editor", "KLYNGEDATA_PUSH_PASSWORD": "wrong"}
        result = push(built_site.parent, "--endpoint", f"{url}/query", env=env)
    assert result.exit_code == 1
    assert "answered HTTP 401 Unauthorized: login needed" in result.stderr
    assert "wrong" not in result.output


def test_a_redirect_on_the_same_host_keeping_the_body_is_followed(built_site: Path) -> None:
    with stub_server(fake_store(moved="/old")) as (url, seen):
        result = push(built_site.parent, "--endpoint", f"{url}/query", "--store", f"{url}/old")
    assert result.exit_code == 0, result.output
    assert [path.partition("?")[0] for method, path, _ in seen if method == "PUT"][:2] == ["/old", "/store"]


def test_a_redirect_to_another_host_is_not_followed(built_site: Path) -> None:
    with stub_server(lambda *_: (404, {}, b"")) as (elsewhere, reached):
        other = elsewhere.replace("127.0.0.1", "localhost")
        with stub_server(lambda *_: (307, {"Location": f"{other}/store"}, b"")) as (url, _):
            env = {"KLYNGEDATA_PUSH_USER": "editor", "KLYNGEDATA_PUSH_PASSWORD": "s3cret"}
            result = push(built_site.parent, "--endpoint", f"{url}/query", env=env)
    assert result.exit_code == 1
    assert f"was redirected (HTTP 307) to another host, {other}/store; not followed" in result.stderr
    assert reached == []
