"""The server over a real socket on 127.0.0.1: SPARQL 1.1 Protocol, limits, security, conneg."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE
from pyld import jsonld
from rdflib import Graph, Literal
from servers import recording_listener, serving
from SPARQLWrapper import JSON, SPARQLWrapper

from publish.cli import main
from publish.config import load_config
from publish.server import answer_once, create_app
from publish.sparql import named_queries

KD = BASE + "ontology#"
AREA = BASE + "id/area/miljoeteknologi"
Reply = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """The built site served by uvicorn on 127.0.0.1 in a thread, once for this module."""
    with serving(built_site) as url:
        yield url


def fetch(url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None) -> Reply:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _refuse(url: str, options: object = None) -> dict[str, object]:
    raise AssertionError(f"JSON-LD tried to load {url}")


def _by_value(triple: tuple[object, object, object]) -> tuple[object, object, object]:
    subject, predicate, value = triple
    if isinstance(value, Literal) and isinstance(value.value, int) and not isinstance(value.value, bool):
        return subject, predicate, ("integer", value.value)
    return subject, predicate, value


def sparql_url(server: str, query: str, **params: str) -> str:
    return f"{server}/sparql?" + urllib.parse.urlencode({"query": query, **params})


def dump_store(site: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(gzip.decompress((site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    return store


def nt_lines(site: Path, name: str) -> int:
    return sum(1 for line in (site / name).read_text(encoding="utf-8").splitlines() if line.strip())


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


# ---------------------------------------------------------------- protocol


def test_sparqlwrapper_get_returns_the_focal_points(server: str) -> None:
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(f"SELECT ?t WHERE {{ ?f a <{KD}FocalPoint> ; <{KD}text> ?t FILTER(LANG(?t) = 'da') }}")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert len(rows) == 4
    assert any(r["t"]["value"].startswith("Én professionel og landsdækkende") for r in rows)


@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
def test_every_method_counts_the_shapes_graph(method: str, server: str, built_site: Path) -> None:
    graph = BASE + "graph/shapes"
    if method == "GET":
        reply = fetch(sparql_url(server, COUNT, **{"default-graph-uri": graph}))
    elif method == "POST-form":
        body = urllib.parse.urlencode({"query": COUNT, "default-graph-uri": graph}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        reply = fetch(server + "/sparql", headers=headers, data=body)
    else:
        url = f"{server}/sparql?" + urllib.parse.urlencode({"default-graph-uri": graph})
        reply = fetch(url, headers={"Content-Type": "application/sparql-query"}, data=COUNT.encode())
    status, headers, body = reply
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    value = json.loads(body)["results"]["bindings"][0]["n"]["value"]
    assert int(value) == nt_lines(built_site, "shapes.nt")


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_select_results_in_every_format_agree(accept: str, media: str, server: str, built_site: Path) -> None:
    query = (
        f"SELECT ?area ?label WHERE {{ ?area <{KD}position> ?p ; "
        f"<http://www.w3.org/2004/02/skos/core#prefLabel> ?label FILTER(LANG(?label)='da') }}"
    )
    status, headers, body = fetch(sparql_url(server, query), headers={"Accept": accept})
    assert status == 200 and headers["content-type"].startswith(media)
    if media == "text/csv":  # lossy by design: lexical values only (SPARQL 1.1 CSV/TSV §3)
        got = sorted((row["area"], row["label"]) for row in csv.DictReader(io.StringIO(body.decode())))
    else:
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media))
        assert isinstance(parsed, ox.QuerySolutions)
        got = sorted((s["area"].value, s["label"].value) for s in parsed)  # type: ignore[union-attr]
    expected = sorted(
        (s["area"].value, s["label"].value)  # type: ignore[union-attr]
        for s in dump_store(built_site).query(query, use_default_graph_as_union=True)  # type: ignore[union-attr]
    )
    assert got == expected and len(got) > 15


def test_format_parameter_overrides_accept(server: str) -> None:
    status, headers, body = fetch(
        sparql_url(server, COUNT, format="csv"), headers={"Accept": "application/sparql-results+xml"}
    )
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(body.decode()))) == ["n"]


def test_ask_in_json_and_xml(server: str) -> None:
    ask = f"ASK {{ <{AREA}> a <{KD}Stronghold> }}"
    assert json.loads(fetch(sparql_url(server, ask))[2])["boolean"] is True
    xml = ElementTree.fromstring(
        fetch(sparql_url(server, ask), headers={"Accept": "application/sparql-results+xml"})[2]
    )
    assert xml.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_in_every_graph_format(
    accept: str, rdflib_format: str, server: str, built_site: Path
) -> None:
    query = f"CONSTRUCT WHERE {{ <{AREA}> ?p ?o }}"
    status, headers, body = fetch(sparql_url(server, query), headers={"Accept": accept})
    assert status == 200 and headers["content-type"].startswith(accept)
    if rdflib_format == "json-ld":  # pyld, the reference processor; the context is inline
        body = jsonld.to_rdf(
            json.loads(body), {"format": "application/n-quads", "documentLoader": _refuse}
        ).encode()
        rdflib_format = "nt"
    graph = Graph().parse(data=body, format=rdflib_format)
    expected = Graph().parse(built_site / "dataset.nt", format="nt")
    # The store keeps integer values but reports derived integer types (positiveInteger) as
    # xsd:integer; compare integers by value (README: known limitation of the engine).
    assert {_by_value(t) for t in graph} == {_by_value(t) for t in expected if str(t[0]) == AREA}


def test_named_graphs_are_queryable_with_graph(server: str) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = json.loads(fetch(sparql_url(server, query))[2])["results"]["bindings"]
    names = {row["g"]["value"] for row in rows}
    assert {BASE + "graph/ontology", BASE + "graph/data", BASE + "graph/shapes"} <= names


def test_named_graph_uri_restricts_graph(server: str, built_site: Path) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    reply = fetch(sparql_url(server, query, **{"named-graph-uri": BASE + "graph/ontology"}))
    assert int(json.loads(reply[2])["results"]["bindings"][0]["n"]["value"]) == nt_lines(
        built_site, "ontology.nt"
    )


def test_cors_preflight_and_header(server: str) -> None:
    request = urllib.request.Request(
        server + "/sparql", method="OPTIONS", headers={"Origin": "https://example.org"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert fetch(sparql_url(server, COUNT))[1]["access-control-allow-origin"] == "*"


# ---------------------------------------------------------------- errors, security, limits


def test_syntax_error_names_line_and_column(server: str) -> None:
    status, _, body = fetch(sparql_url(server, "SELECT * WHERE {\n  ?s ?p\n}"))
    # the guard's parser (rdflib) reports where it gave up: the incomplete triple pattern
    assert status == 400 and body.splitlines() == [
        b"SPARQL syntax error at line 2, column 3: Expected SelectQuery",
        b"    ?s ?p",
        b"    ^",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
        "CLEAR ALL",
        "DROP GRAPH <http://example.org/g>",
    ],
)
def test_updates_as_queries_are_refused(query: str, server: str) -> None:
    status, _, body = fetch(sparql_url(server, query))
    assert status == 400 and b"read-only" in body


def test_update_parameter_and_update_content_type_are_refused(server: str) -> None:
    form = urllib.parse.urlencode({"update": "CLEAR ALL"}).encode()
    assert (
        fetch(server + "/sparql", headers={"Content-Type": "application/x-www-form-urlencoded"}, data=form)[0]
        == 400
    )
    direct = fetch(
        server + "/sparql", headers={"Content-Type": "application/sparql-update"}, data=b"CLEAR ALL"
    )
    assert direct[0] == 400 and b"read-only" in direct[2]


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on a loopback port recording every connection that reaches it."""
    with recording_listener() as found:
        yield found


def test_no_outbound_request_is_ever_attempted(server: str, listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    remote = f"http://127.0.0.1:{port}/graph"
    attempts = [
        sparql_url(server, f"SELECT * WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}"),
        sparql_url(server, f"SELECT * WHERE {{ SERVICE SILENT <{remote}> {{ ?s ?p ?o }} }}"),
        sparql_url(server, f"LOAD <{remote}>"),
        sparql_url(server, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}"),
        sparql_url(server, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        sparql_url(server, COUNT, **{"default-graph-uri": remote}),
    ]
    statuses = [fetch(url)[0] for url in attempts]
    time.sleep(0.5)
    assert statuses == [400] * len(attempts)
    assert seen == [], f"the server connected to the listener: {seen!r}"


def test_from_a_dataset_graph_is_allowed(server: str, built_site: Path) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/ontology> WHERE {{ ?s ?p ?o }}"
    status, _, body = fetch(sparql_url(server, query))
    assert status == 200
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == nt_lines(
        built_site, "ontology.nt"
    )


def test_explosive_query_is_stopped_while_simple_queries_keep_answering(server: str) -> None:
    explosive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    simple = sparql_url(server, f"ASK {{ <{AREA}> a <{KD}Stronghold> }}")

    def timed(url: str) -> tuple[int, float]:
        started = time.monotonic()
        status = fetch(url)[0]
        return status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=4) as pool:
        slow = pool.submit(timed, sparql_url(server, explosive, timeout="2"))
        time.sleep(0.3)
        quick = [timed(simple) for _ in range(20)]
        slow_status, slow_seconds = slow.result(timeout=30)
    assert slow_status == 503 and slow_seconds < 6
    assert all(status == 200 for status, _ in quick)
    assert max(seconds for _, seconds in quick) < 1.0
    assert fetch(simple)[0] == 200  # the stopped worker was replaced


def test_request_cannot_raise_the_row_limit(server: str) -> None:
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000"
    status, headers, body = fetch(sparql_url(server, query, **{"max-rows": "999999"}))
    assert status == 200 and headers["x-result-truncated"].startswith("true")
    assert len(json.loads(body)["results"]["bindings"]) == 10_000


def test_request_can_lower_the_row_limit(server: str) -> None:
    status, headers, body = fetch(sparql_url(server, "SELECT * WHERE { ?s ?p ?o }", **{"max-rows": "7"}))
    assert status == 200 and "x-result-truncated" in headers
    assert len(json.loads(body)["results"]["bindings"]) == 7


@pytest.mark.parametrize("bad", [{"timeout": "-1"}, {"max-rows": "many"}])
def test_bad_limits_are_400(bad: dict[str, str], server: str) -> None:
    assert fetch(sparql_url(server, COUNT, **bad))[0] == 400


# ---------------------------------------------------------------- dereferencing


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", "ttl"),
        ("application/ld+json", "jsonld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdf"),
    ],
)
def test_resource_iri_answers_each_rdf_format(
    accept: str, suffix: str, server: str, built_site: Path
) -> None:
    status, headers, body = fetch(server + "/id/area/miljoeteknologi", headers={"Accept": accept})
    assert status == 200 and headers["content-type"].startswith(accept)
    assert body == (built_site / "id" / "area" / f"miljoeteknologi.{suffix}").read_bytes()
    assert headers["content-location"] == f"/id/area/miljoeteknologi.{suffix}"
    assert "Accept" in headers["vary"] and "Accept-Language" in headers["vary"]


def test_unsupported_type_is_406(server: str) -> None:
    status, _, body = fetch(server + "/id/area/miljoeteknologi", headers={"Accept": "image/png"})
    assert status == 406 and b"text/turtle" in body


def test_format_parameter_and_extension_fallbacks(server: str, built_site: Path) -> None:
    expected = (built_site / "id" / "area" / "miljoeteknologi.nt").read_bytes()
    assert fetch(server + "/id/area/miljoeteknologi?format=nt")[2] == expected
    assert fetch(server + "/id/area/miljoeteknologi.nt")[2] == expected


def test_etag_and_last_modified_revalidate_to_304(server: str) -> None:
    _, headers, _ = fetch(server + "/id/area/miljoeteknologi.ttl")
    assert (
        fetch(server + "/id/area/miljoeteknologi.ttl", headers={"If-None-Match": headers["etag"]})[0] == 304
    )
    since = {"If-Modified-Since": headers["last-modified"]}
    assert fetch(server + "/id/area/miljoeteknologi.ttl", headers=since)[0] == 304


def test_text_is_gzipped_when_asked(server: str, built_site: Path) -> None:
    status, headers, body = fetch(server + "/dataset.ttl", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == (built_site / "dataset.ttl").read_bytes()


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/id/../../pyproject.toml", "/nope"]
)
def test_nothing_outside_the_site_is_served(path: str, server: str) -> None:
    assert fetch(server + path)[0] == 404


@pytest.mark.parametrize("path", ["/.", "/.?format=ttl", "/id/area/."])
def test_a_path_naming_no_document_is_not_found(path: str, built_site: Path) -> None:
    """Sent in-process, so no client tidies the dot away (hypothesis found '/.' gave a 500)."""
    app = create_app(load_config(built_site.parent), built_site, workers=1)
    assert asyncio.run(answer_once(app, path, headers={"accept": "*/*"})).status == 404


def test_ontology_term_documents_by_hash_iri(server: str, built_site: Path) -> None:
    status, headers, body = fetch(server + "/ontology", headers={"Accept": "text/turtle"})
    assert status == 200 and body == (built_site / "ontology.ttl").read_bytes()


# ---------------------------------------------------------------- in-process answers


def test_serve_get_prints_status_headers_and_body(built_site: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "serve",
            "--project",
            str(built_site.parent),
            "--get",
            "/id/area/miljoeteknologi",
            "--accept",
            "text/turtle",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    head, _, body = result.output.partition("\n\n")
    assert head.splitlines()[0] == "HTTP/1.1 200"
    assert "content-type: text/turtle; charset=utf-8" in head.splitlines()
    assert body.encode() == (built_site / "id" / "area" / "miljoeteknologi.ttl").read_bytes()


def test_answer_once_reports_a_refused_query(built_site: Path) -> None:
    app = create_app(load_config(built_site.parent), built_site, workers=1)
    target = "/sparql?" + urllib.parse.urlencode({"query": "LOAD <http://127.0.0.1:1/x>"})
    answer = asyncio.run(answer_once(app, target, headers={}))
    assert answer.status == 400 and b"read-only" in answer.body


def test_every_form_of_the_query_page_answers(server: str, built_site: Path) -> None:
    """Submit each prefilled form of query.html as a browser would (GET, its fields)."""
    import html5lib

    document = html5lib.parse((built_site / "query.html").read_bytes(), namespaceHTMLElements=False)
    # A query form is one that sends a query (a textarea named query); every page also has a search form.
    forms = [f for f in document.findall(".//form") if f.find(".//textarea[@name='query']") is not None]
    assert len(forms) == len(named_queries())
    assert len(document.findall(".//form")) == len(forms) + 1  # and the search box's
    for form in forms:
        fields = {"query": form.find(".//textarea").text or "", "format": "json"}  # type: ignore[union-attr]
        target = urllib.parse.urljoin(server + "/query.html", form.get("action", ""))
        status, headers, body = fetch(target + "?" + urllib.parse.urlencode(fields))
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"], f"{form.get('action')}: no rows"


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv"])
def test_a_repeated_query_gets_the_same_answer_from_the_cache(accept: str, server: str) -> None:
    url = sparql_url(server, f"SELECT ?l WHERE {{ <{AREA}> ?p ?l }} ORDER BY ?l")
    first, second = fetch(url, headers={"Accept": accept}), fetch(url, headers={"Accept": accept})
    assert first[0] == second[0] == 200 and first[2] == second[2]
    for name in ("content-type", "access-control-allow-origin", "vary"):
        assert first[1][name] == second[1][name], name


def query_page_texts(site: Path) -> dict[str, str]:
    """Return each named query's text as the built query page shows it (its textarea), by name."""
    import html5lib

    document = html5lib.parse((site / "query.html").read_bytes(), namespaceHTMLElements=False)
    return {
        section.get("id", ""): section.find(".//textarea").text or ""  # type: ignore[union-attr]
        for section in document.findall(".//section")
        if section.find(".//textarea") is not None
    }


def sorted_rows(answer: bytes) -> list[list[tuple[str, str, str]]]:
    """Return the rows of a SPARQL JSON answer as sorted (variable, type, value) triples, in order."""
    bindings = json.loads(answer)["results"]["bindings"]
    return [sorted((name, term["type"], term["value"]) for name, term in row.items()) for row in bindings]


def test_query_page_queries_run_verbatim_in_a_plain_oxigraph(
    server: str, built_site: Path, tmp_path: Path
) -> None:
    """Copied from the page into `oxigraph serve` loaded from the dump: the same rows as ours.

    Oxigraph runs with its defaults (no union default graph, no base IRI), as a user would start it.
    """
    from stores import load_dump, running_oxigraph

    texts = query_page_texts(built_site)
    assert sorted(texts) == sorted(named_queries())
    load_dump(built_site, tmp_path / "store")
    with running_oxigraph(tmp_path / "store", read_only=True) as oxigraph:
        for name, text in texts.items():
            accept = {"Accept": "application/sparql-results+json"}
            ours = fetch(sparql_url(server, text), headers=accept)
            theirs = fetch(f"{oxigraph}/query?" + urllib.parse.urlencode({"query": text}), headers=accept)
            assert ours[0] == theirs[0] == 200, (name, theirs[2][:300])
            rows = sorted_rows(ours[2])
            assert rows, f"{name}: no rows"
            # Derived integer types are held as xsd:integer by both engines; compare all the same.
            assert rows == sorted_rows(theirs[2]), name


def test_an_answer_asked_for_before_the_cache_was_cleared_is_not_kept() -> None:
    # serve --watch clears the answers when a new site is swapped in; an answer the old site's
    # workers give after that must not be kept for the new site.
    from publish.server import AnswerCache
    from publish.workers import Answer, Job

    cache = AnswerCache(10)
    job, answer = Job("ASK {}", "json", "turtle", 10), Answer(b"{}", "application/json", False, "ASK")
    asked = cache.generation
    cache.clear()
    cache.put(job, answer, generation=asked)
    assert cache.get(job) is None
    cache.put(job, answer, generation=cache.generation)
    assert cache.get(job) == answer
