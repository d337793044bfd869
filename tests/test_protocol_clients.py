"""The SPARQL endpoint as independent clients see it, over a real socket on 127.0.0.1.

- SPARQLWrapper, the standard Python client, through its own API: every query form in every
  return format it offers, by GET and both POST forms; ``convert()`` must give the parsed
  answer of the right type without a warning (pytest turns warnings into errors).
- The W3C SPARQL 1.1 Protocol tests, read from the vendored manifest (``tests/w3c-protocol``)
  and adapted to our graphs, one test per entry, plus the same requests with the graphs given
  the other way round, which must answer false.
- The HTTP details caches and clients rely on: formats per query form, 406, ``Vary`` on every
  negotiated answer (errors included), an ETag per content coding, the answer cache.

Expected answers come from the source Turtle read by rdflib, from the standards, or from
Oxigraph's own serialisers — never from the server under test.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import json
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT
from pyld import jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from servers import Reply, serving
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)
from stores import load_dump, running_oxigraph

KD = BASE + "ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
AREA = BASE + "id/area/miljoeteknologi"
SCHEME = BASE + "id/scheme/erhvervs-og-teknologiomraader"
ONTOLOGY, SHAPES = BASE + "ontology", BASE + "shapes"
GRAPH = {part: f"{BASE}graph/{part}" for part in ("ontology", "data", "shapes", "catalog")}

SELECT_AREAS = (
    f"SELECT ?area ?label WHERE {{ <{SCHEME}> <{SKOS}hasTopConcept> ?area . "
    f"?area <{SKOS}prefLabel> ?label FILTER(LANG(?label) = 'da') }}"
)
ASK_TRUE = f"ASK {{ <{AREA}> a <{KD}Stronghold> }}"
ASK_FALSE = f"ASK {{ <{AREA}> a <{KD}EmergingArea> }}"
CONSTRUCT_LABELS = f"CONSTRUCT WHERE {{ <{AREA}> <{SKOS}prefLabel> ?label }}"
DESCRIBE_AREA = f"DESCRIBE <{AREA}>"
COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """The built site served by uvicorn on 127.0.0.1 in a thread, once for this module."""
    with serving(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def sources() -> Graph:
    """The source data, read by rdflib (not by the server or pyoxigraph)."""
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=BASE)
    return graph


def send(
    server: str,
    method: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Reply:
    """Send one request with http.client exactly as given; return the answer."""
    address = urllib.parse.urlsplit(server)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def get(server: str, query: str, *, accept: str | None = None, **params: str) -> Reply:
    """GET /sparql with a query, extra parameters and an optional Accept header."""
    target = "/sparql?" + urllib.parse.urlencode({"query": query, **params})
    return send(server, "GET", target, headers={"Accept": accept} if accept else {})


def area_labels(sources: Graph) -> set[tuple[str, str]]:
    """The 15 business and technology areas of the scheme with their Danish labels."""
    rows = set()
    for area in sources.objects(URIRef(SCHEME), URIRef(SKOS + "hasTopConcept")):
        for label in sources.objects(area, URIRef(SKOS + "prefLabel")):
            if isinstance(label, Literal) and label.language == "da":
                rows.add((str(area), str(label)))
    return rows


def rows_of(reply: Reply) -> set[tuple[str, ...]]:
    """Parse a SELECT answer by its Content-Type (Oxigraph's parsers; CSV with the csv module)."""
    if reply.media_type == "text/csv":
        reader = csv.reader(io.StringIO(reply.body.decode("utf-8")))
        return {tuple(row) for row in list(reader)[1:]}
    parsed = ox.parse_query_results(reply.body, format=RESULT_TYPES[reply.media_type])
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return {tuple(str(s[n].value) for n in names) for s in parsed}


def boolean_of(reply: Reply) -> bool:
    """Parse an ASK answer by its Content-Type with Oxigraph's parsers."""
    parsed = ox.parse_query_results(reply.body, format=RESULT_TYPES[reply.media_type])
    assert isinstance(parsed, ox.QueryBoolean)
    return bool(parsed)


def _refuse(url: str, options: object = None) -> dict[str, object]:
    raise AssertionError(f"JSON-LD tried to load {url}")


def graph_of(reply: Reply) -> Graph:
    """Parse a graph answer by its Content-Type: rdflib, and pyld (the reference) for JSON-LD."""
    if reply.media_type == "application/ld+json":
        options = {"format": "application/n-quads", "documentLoader": _refuse}
        return Graph().parse(data=jsonld.to_rdf(json.loads(reply.body), options), format="nt")
    return Graph().parse(data=reply.body, format=GRAPH_TYPES[reply.media_type])


def oxigraph_boolean(value: bool, fmt: ox.QueryResultsFormat) -> bytes:
    """Oxigraph's own serialisation of an ASK answer (the reference for CSV and TSV)."""
    answer = ox.Store().query("ASK {}" if value else "ASK { FILTER(false) }")
    assert isinstance(answer, ox.QueryBoolean)
    return answer.serialize(format=fmt) or b""


def by_value(triple: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """Compare integers by value: the engine reports xsd:positiveInteger as xsd:integer (README)."""
    subject, predicate, value = triple
    if isinstance(value, Literal) and isinstance(value.value, int) and not isinstance(value.value, bool):
        return subject, predicate, ("integer", value.value)
    return subject, predicate, value


# ---------------------------------------------------------------- SPARQLWrapper through its API

METHODS = ("GET", "POST", "POST-direct")


def wrapper(server: str, query: str, return_format: str, method: str) -> SPARQLWrapper:
    """A SPARQLWrapper set up as its documentation shows."""
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    if method != "GET":
        client.setMethod(POST)
    if method == "POST-direct":
        client.setRequestMethod(POSTDIRECTLY)
    return client


# rdflib 7 deprecates ConjunctiveGraph, which SPARQLWrapper 2.0.0 uses to parse RDF/XML and
# JSON-LD: a warning between the two libraries, not about the answer, so it alone is let pass.
LIBRARY_WARNING = "ConjunctiveGraph is deprecated"
# SPARQLWrapper warns by itself that it sends Accept: */* when JSON is asked of a graph query.
CLIENT_WARNING = "Sending Accept header '*/*' because unexpected returned format 'json'"


def converted(client: SPARQLWrapper, *, client_warns: bool = False) -> object:
    """Run ``query().convert()``; fail on any warning but the two above (the client's only if told)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = client.query().convert()
    messages = [str(w.message) for w in caught if LIBRARY_WARNING not in str(w.message)]
    assert messages == ([m for m in messages if CLIENT_WARNING in m] if client_warns else []), messages
    assert len(messages) == (1 if client_warns else 0), messages
    return answer


def select_rows(converted: object, return_format: str) -> set[tuple[str, ...]]:
    """Read (area, label) rows out of what SPARQLWrapper's convert() gave for a SELECT."""
    if return_format == JSON:
        assert isinstance(converted, dict)
        return {(b["area"]["value"], b["label"]["value"]) for b in converted["results"]["bindings"]}
    if return_format == XML:
        assert isinstance(converted, Document)
        rows: set[tuple[str, ...]] = set()
        for result in converted.getElementsByTagName("result"):
            values = {
                b.getAttribute("name"): b.firstChild.firstChild.data  # type: ignore[union-attr]
                for b in result.getElementsByTagName("binding")
            }
            rows.add((values["area"], values["label"]))
        return rows
    assert isinstance(converted, bytes)
    if return_format == CSV:
        return {tuple(row) for row in list(csv.reader(io.StringIO(converted.decode("utf-8"))))[1:]}
    parsed = ox.parse_query_results(converted, format=ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    return {(s["area"].value, s["label"].value) for s in parsed}


def ask_value(converted: object, return_format: str) -> bool:
    """Read the boolean out of what SPARQLWrapper's convert() gave for an ASK."""
    if return_format == JSON:
        assert isinstance(converted, dict)
        return bool(converted["boolean"])
    if return_format == XML:
        assert isinstance(converted, Document)
        return converted.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[union-attr]
    assert isinstance(converted, bytes)
    fmt = ox.QueryResultsFormat.CSV if return_format == CSV else ox.QueryResultsFormat.TSV
    assert converted in (oxigraph_boolean(True, fmt), oxigraph_boolean(False, fmt))
    return converted == oxigraph_boolean(True, fmt)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_gives_the_15_areas(
    return_format: str, method: str, server: str, sources: Graph
) -> None:
    answer = converted(wrapper(server, SELECT_AREAS, return_format, method))
    expected = area_labels(sources)
    assert len(expected) == 15
    assert select_rows(answer, return_format) == expected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_ask_answers_true_and_false(return_format: str, method: str, server: str) -> None:
    assert ask_value(converted(wrapper(server, ASK_TRUE, return_format, method)), return_format)
    assert not ask_value(converted(wrapper(server, ASK_FALSE, return_format, method)), return_format)


def graph_answer(client: SPARQLWrapper, return_format: str) -> Graph:
    """Run a CONSTRUCT/DESCRIBE and check convert() gives what SPARQLWrapper promises for the format."""
    # For JSON the endpoint answers JSON-LD (format=json on a graph query), which convert()
    # turns into a Graph with no warning of its own.
    answer = converted(client, client_warns=return_format == JSON)
    if return_format in (TURTLE, N3):  # SPARQLWrapper hands Turtle and N3 back as bytes
        assert isinstance(answer, bytes)
        return Graph().parse(data=answer, format="turtle")
    assert isinstance(answer, Graph)
    return answer


GRAPH_RETURN_FORMATS = [TURTLE, N3, XML, RDFXML, JSONLD, JSON]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format", GRAPH_RETURN_FORMATS)
def test_sparqlwrapper_construct_gives_the_labels_of_an_area(
    return_format: str, method: str, server: str, sources: Graph
) -> None:
    graph = graph_answer(wrapper(server, CONSTRUCT_LABELS, return_format, method), return_format)
    expected = set(sources.triples((URIRef(AREA), URIRef(SKOS + "prefLabel"), None)))
    assert Literal("Miljøteknologi", lang="da") in {o for _, _, o in expected}
    assert set(graph) == expected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("return_format", GRAPH_RETURN_FORMATS)
def test_sparqlwrapper_describe_gives_the_area(
    return_format: str, method: str, server: str, sources: Graph
) -> None:
    graph = graph_answer(wrapper(server, DESCRIBE_AREA, return_format, method), return_format)
    expected = {by_value(t) for t in sources.triples((URIRef(AREA), None, None))}
    assert (URIRef(AREA), RDF.type, URIRef(KD + "Stronghold")) in graph
    assert {by_value(t) for t in graph} == expected


def test_sparqlwrapper_textbook_construct_returns_a_graph(server: str, sources: Graph) -> None:
    """The README example of SPARQLWrapper: no return format set (XML, i.e. RDF/XML for graphs)."""
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(CONSTRUCT_LABELS)
    graph = converted(client)
    assert isinstance(graph, Graph)
    assert set(graph) == set(sources.triples((URIRef(AREA), URIRef(SKOS + "prefLabel"), None)))


def test_sparqlwrapper_add_parameter_sets_the_protocol_dataset(server: str) -> None:
    client = SPARQLWrapper(server + "/sparql")
    client.setReturnFormat(JSON)
    client.addParameter("default-graph-uri", GRAPH["ontology"])
    client.setQuery(f"ASK {{ <{ONTOLOGY}> a ?type }}")
    assert converted(client)["boolean"] is True  # type: ignore[index]
    client.setQuery(ASK_TRUE)  # the area is in graph/data, not in the dataset asked for
    assert converted(client)["boolean"] is False  # type: ignore[index]
    client.addParameter("named-graph-uri", GRAPH["data"])
    client.setQuery(f"ASK {{ GRAPH <{GRAPH['data']}> {{ <{AREA}> a <{KD}Stronghold> }} }}")
    assert converted(client)["boolean"] is True  # type: ignore[index]


# ---------------------------------------------------------------- the W3C protocol tests

MANIFEST = Path(__file__).parent / "w3c-protocol" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
W3C_DATA = "http://kasei.us/2009/09/sparql/data/"
# The suite's graphs as ours: data1 and data2 each hold one foaf:Document; graph/ontology and
# graph/shapes each hold one owl:Ontology. data0 is in no test's data; any graph does.
W3C_GRAPHS = {
    W3C_DATA + "data0.rdf": GRAPH["catalog"],
    W3C_DATA + "data1.rdf": GRAPH["ontology"],
    W3C_DATA + "data2.rdf": GRAPH["shapes"],
    W3C_DATA + "data3.rdf": GRAPH["data"],
}
BOTH = f"GRAPH ?g1 {{ <{ONTOLOGY}> a ?type }} GRAPH ?g2 {{ <{SHAPES}> a ?type }}"
# The suite's queries about data1..data3 asked of our graphs. No type is in three of our graphs,
# so data3's document is the area (in graph/data) with a type of its own.
ADAPTED = {
    "query_dataset_default_graphs_get": f"ASK {{ <{ONTOLOGY}> a ?type . <{SHAPES}> a ?type . }}",
    "query_dataset_default_graphs_post": f"ASK {{ <{ONTOLOGY}> a ?type . <{SHAPES}> a ?type . }}",
    "query_dataset_named_graphs_post": f"ASK {{ {BOTH} }}",
    "query_dataset_named_graphs_get": f"ASK {{ {BOTH} }}",
    "query_dataset_full": f"ASK {{ <{AREA}> a ?t3 {BOTH} }}",
    "query_multiple_dataset": f"ASK FROM <{GRAPH['data']}> {{ {BOTH} }}",
}
STATUS_CLASSES = {"StatusCode2xx": 2, "StatusCode3xx": 3, "StatusCode4xx": 4, "StatusCode5xx": 5}


@dataclass(frozen=True, slots=True)
class ProtocolRequest:
    """One request of a W3C protocol test, and what its answer must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]
    boolean: bool | None
    result_format: str | None


def _protocol_tests() -> dict[str, tuple[ProtocolRequest, ...]]:
    manifest = Graph().parse(MANIFEST, format="turtle")
    (root,) = manifest.subjects(MF.entries, None)
    tests = {}
    for entry in Collection(manifest, _one(manifest, root, MF.entries)):
        requests = Collection(manifest, _one(manifest, _one(manifest, entry, MF.action), HT.requests))
        tests[str(entry).rsplit("#", 1)[1]] = tuple(_request(manifest, r) for r in requests)
    return tests


def _one(manifest: Graph, subject: Any, predicate: URIRef) -> Any:
    value = manifest.value(subject, predicate)
    assert value is not None, f"{subject} has no {predicate} in the manifest"
    return value


def _request(manifest: Graph, node: Any) -> ProtocolRequest:
    header_list = manifest.value(node, HT.headers)
    headers = tuple(
        (str(manifest.value(h, HT.fieldName)), str(manifest.value(h, HT.fieldValue)))
        for h in (Collection(manifest, header_list) if header_list is not None else [])
    )
    body_node = manifest.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(manifest.value(body_node, CNT.characterEncoding))
        body = str(manifest.value(body_node, CNT.chars)).encode(encoding)
    response = manifest.value(node, HT.resp)
    boolean = manifest.value(response, MF.expectedBoolean)
    result_format = manifest.value(response, MF.expectedFormat)
    return ProtocolRequest(
        method=str(manifest.value(node, HT.methodName)),
        path=str(manifest.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=frozenset(
            STATUS_CLASSES[str(s).rsplit("#", 1)[1]] for s in manifest.objects(response, MF.expectedStatus)
        ),
        boolean=None if boolean is None else bool(boolean.toPython()),
        result_format=None if result_format is None else str(result_format),
    )


PROTOCOL_TESTS = _protocol_tests()


def adapt(name: str, request: ProtocolRequest) -> tuple[str, bytes | None]:
    """Return the request's target and body with the suite's graphs and queries made ours."""
    path, _, query_string = request.path.partition("?")
    assert path == "/sparql/", "every request of the suite goes to /sparql/ (manifest comment)"
    pairs = []
    for key, value in urllib.parse.parse_qsl(query_string, keep_blank_values=True):
        if key in ("default-graph-uri", "named-graph-uri"):
            value = W3C_GRAPHS[value]
        elif key == "query" and name in ADAPTED:
            assert W3C_DATA in value
            value = ADAPTED[name]
        pairs.append((key, value))
    body = request.body
    if (
        body is not None
        and name in ADAPTED
        and ("content-type", "application/sparql-query") in request.headers
    ):
        assert W3C_DATA.encode() in body
        body = ADAPTED[name].encode("utf-8")
    return "/sparql" + ("?" + urllib.parse.urlencode(pairs) if pairs else ""), body


def check_format(reply: Reply, result_format: str, body: bytes | None, target: str) -> None:
    """Check an answer is of the kind the suite expects, and that it is the true answer."""
    if result_format == "boolean":
        assert reply.media_type in ("application/sparql-results+json", "application/sparql-results+xml")
    elif result_format == "tabular":  # SELECT (1 AS ?value) {}
        assert reply.media_type in (*RESULT_TYPES, "text/csv")
        assert rows_of(reply) == {("1",)}
    else:  # the suite's list for RDF: RDF/XML, Turtle, N-Triples (RDFa is not ours)
        assert reply.media_type in ("application/rdf+xml", "text/turtle", "application/n-triples")
        graph = graph_of(reply)
        text = (body or b"").decode() + urllib.parse.unquote(target)
        if "CONSTRUCT" in text:  # CONSTRUCT { <s> <p> 1 } WHERE {}, relative to the base IRI
            assert set(graph) == {(URIRef(BASE + "s"), URIRef(BASE + "p"), Literal(1))}
        else:  # DESCRIBE <http://example.org/>: nothing is known about it
            assert len(graph) == 0


@pytest.mark.parametrize("name", list(PROTOCOL_TESTS))
def test_w3c_protocol(name: str, server: str) -> None:
    """Each entry of the W3C SPARQL 1.1 Protocol manifest, on our graphs.

    The endpoint is read-only, so the suite's update tests (``update_*``, which expect 2xx)
    must instead be refused with 400, and the ASK that follows each must find nothing written.
    """
    requests = PROTOCOL_TESTS[name]
    for number, request in enumerate(requests):
        target, body = adapt(name, request)
        reply = send(server, request.method, target, headers=dict(request.headers), body=body)
        if name.startswith("update_") and number == 0:
            assert reply.status == 400 and b"read-only" in reply.body, reply.body
            continue
        if name.startswith("update_"):
            assert reply.status == 200 and boolean_of(reply) is False
            continue
        assert reply.status // 100 in request.statuses, (reply.status, reply.body)
        if request.result_format is not None:
            check_format(reply, request.result_format, body, target)
        if request.boolean is not None:
            assert boolean_of(reply) is request.boolean


# The same questions with the graphs given the other way round: each must answer false.
SWAPPED = [
    pytest.param(
        {"named-graph-uri": [GRAPH["ontology"], GRAPH["shapes"]]},
        ADAPTED["query_dataset_default_graphs_get"],
        id="default-graphs-given-as-named",
    ),
    pytest.param(
        {"default-graph-uri": [GRAPH["ontology"], GRAPH["shapes"]]},
        ADAPTED["query_dataset_named_graphs_get"],
        id="named-graphs-given-as-default",
    ),
    pytest.param(
        {"default-graph-uri": [GRAPH["ontology"]], "named-graph-uri": [GRAPH["data"], GRAPH["shapes"]]},
        ADAPTED["query_dataset_full"],
        id="full-dataset-swapped",
    ),
    pytest.param(
        {"named-graph-uri": [GRAPH["ontology"], GRAPH["shapes"]]},
        f"ASK FROM <{GRAPH['data']}> {{ <{AREA}> a ?type }}",
        id="protocol-named-graphs-override-from",
    ),
    pytest.param(
        {"named-graph-uri": [GRAPH["ontology"]]},
        f"ASK {{ <{ONTOLOGY}> a ?type }}",
        id="named-only-leaves-the-default-graph-empty",
    ),
    pytest.param(
        {"default-graph-uri": [GRAPH["data"]]},
        f"ASK FROM NAMED <{GRAPH['ontology']}> {{ GRAPH ?g {{ <{ONTOLOGY}> a ?type }} }}",
        id="protocol-default-graph-overrides-from-named",
    ),
]


@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize(("graphs", "query"), SWAPPED)
def test_protocol_dataset_with_graphs_swapped_answers_false(
    graphs: dict[str, list[str]], query: str, method: str, server: str
) -> None:
    pairs = [(key, value) for key, values in graphs.items() for value in values]
    if method == "GET":
        reply = send(server, "GET", "/sparql?" + urllib.parse.urlencode([("query", query), *pairs]))
    elif method == "POST-form":
        form = urllib.parse.urlencode([("query", query), *pairs]).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        reply = send(server, "POST", "/sparql", headers=headers, body=form)
    else:
        headers = {"Content-Type": "application/sparql-query"}
        target = "/sparql?" + urllib.parse.urlencode(pairs)
        reply = send(server, "POST", target, headers=headers, body=query.encode())
    assert reply.status == 200, reply.body
    assert boolean_of(reply) is False


def test_default_graph_uri_alone_leaves_no_named_graphs(server: str) -> None:
    reply = get(server, COUNT_NAMED, **{"default-graph-uri": GRAPH["ontology"]})
    assert reply.status == 200 and rows_of(reply) == {("0",)}
    everything = get(server, COUNT_NAMED)
    assert rows_of(everything) != {("0",)}


# ---------------------------------------------------------------- formats per query form

SRJ, SRX = "application/sparql-results+json", "application/sparql-results+xml"


@pytest.mark.parametrize("parameter", ["format", "output", "results"])
@pytest.mark.parametrize(
    ("word", "media_type"),
    [
        ("json", SRJ),
        ("xml", SRX),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
        (SRX, SRX),
        (SRJ, SRJ),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_format_words_choose_the_select_format(
    word: str, media_type: str, parameter: str, server: str, sources: Graph
) -> None:
    reply = get(server, SELECT_AREAS, accept=SRJ if media_type != SRJ else SRX, **{parameter: word})
    assert reply.status == 200 and reply.media_type == media_type
    assert rows_of(reply) == area_labels(sources)


@pytest.mark.parametrize(
    ("word", "media_type"),
    [
        ("xml", "application/rdf+xml"),
        ("rdf", "application/rdf+xml"),
        ("rdf+xml", "application/rdf+xml"),
        ("rdf xml", "application/rdf+xml"),  # '+' typed into a URL arrives as a space
        ("application/rdf+xml", "application/rdf+xml"),
        ("json", "application/ld+json"),
        ("json-ld", "application/ld+json"),
        ("jsonld", "application/ld+json"),
        ("turtle", "text/turtle"),
        ("ttl", "text/turtle"),
        ("n3", "text/turtle"),
        ("nt", "application/n-triples"),
        ("ntriples", "application/n-triples"),
    ],
)
def test_format_words_choose_the_graph_format(
    word: str, media_type: str, server: str, sources: Graph
) -> None:
    reply = get(server, CONSTRUCT_LABELS, format=word)
    assert reply.status == 200 and reply.media_type == media_type
    assert set(graph_of(reply)) == set(sources.triples((URIRef(AREA), URIRef(SKOS + "prefLabel"), None)))


def test_unknown_format_word_is_400_naming_it(server: str) -> None:
    reply = get(server, SELECT_AREAS, format="bogus")
    assert reply.status == 400
    text = reply.body.decode()
    assert "'bogus'" in text and "csv" in text and SRJ in text
    assert "Accept" in reply.headers["vary"]


@pytest.mark.parametrize(
    ("query", "word", "offered"),
    [(SELECT_AREAS, "turtle", SRJ), (ASK_TRUE, "nt", SRX), (CONSTRUCT_LABELS, "csv", "text/turtle")],
)
def test_format_of_the_other_form_is_406_listing_the_offered(
    query: str, word: str, offered: str, server: str
) -> None:
    reply = get(server, query, format=word)
    assert reply.status == 406 and offered in reply.body.decode() and word in reply.body.decode()
    assert "Accept" in reply.headers["vary"]


@pytest.mark.parametrize(
    ("accept", "select_type", "graph_type"),
    [
        ("application/xml", SRX, "application/rdf+xml"),
        ("text/xml", SRX, "application/rdf+xml"),
        ("application/json", SRJ, "application/ld+json"),
        ("*/*", SRJ, "text/turtle"),
        ("", SRJ, "text/turtle"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9, text/turtle;q=0.5", SRX, "text/turtle"),
        (
            "application/n-triples, text/tab-separated-values;q=0.1",
            "text/tab-separated-values",
            "application/n-triples",
        ),
    ],
)
def test_accept_is_negotiated_per_form(
    accept: str, select_type: str, graph_type: str, server: str, sources: Graph
) -> None:
    select = get(server, SELECT_AREAS, accept=accept or None)
    assert select.status == 200 and select.media_type == select_type
    assert rows_of(select) == area_labels(sources)
    construct = get(server, CONSTRUCT_LABELS, accept=accept or None)
    assert construct.status == 200 and construct.media_type == graph_type
    assert len(graph_of(construct)) == 2


@pytest.mark.parametrize(
    ("query", "offered"),
    [(SELECT_AREAS, [SRJ, SRX, "text/csv"]), (CONSTRUCT_LABELS, ["text/turtle", "application/ld+json"])],
)
def test_accept_naming_nothing_offered_is_406(query: str, offered: list[str], server: str) -> None:
    reply = get(server, query, accept="image/png")
    assert reply.status == 406
    assert all(media in reply.body.decode() for media in offered)
    assert "Accept" in reply.headers["vary"]


@pytest.mark.parametrize("fmt", [ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV])
def test_ask_in_csv_and_tsv_is_what_oxigraph_writes(fmt: ox.QueryResultsFormat, server: str) -> None:
    for query, value in ((ASK_TRUE, True), (ASK_FALSE, False)):
        reply = get(server, query, accept=fmt.media_type)
        assert reply.status == 200 and reply.media_type == fmt.media_type.split(";")[0]
        assert reply.body == oxigraph_boolean(value, fmt)


def test_the_answer_cache_keeps_formats_apart(server: str) -> None:
    query = f"SELECT ?l WHERE {{ <{AREA}> <{SKOS}prefLabel> ?l }} ORDER BY ?l"
    types = [
        get(server, query).media_type,
        get(server, query, accept="application/xml").media_type,
        get(server, query, format="csv").media_type,
        get(server, query, accept="text/xml").media_type,
        get(server, query, accept="image/png").status,
    ]
    assert types == [SRJ, SRX, "text/csv", SRX, 406]


@pytest.mark.parametrize(
    ("query", "encoding"), [(ASK_TRUE, "identity"), (SELECT_AREAS, "identity"), (ASK_TRUE, "gzip")]
)
def test_a_cached_answer_has_the_headers_of_the_first(query: str, encoding: str, server: str) -> None:
    target = "/sparql?" + urllib.parse.urlencode({"query": query, "max-rows": "9999"})
    headers = {"Accept": SRX, "Accept-Encoding": encoding}
    first, second = send(server, "GET", target, headers=headers), send(server, "GET", target, headers=headers)
    assert first.status == second.status == 200 and first.body == second.body
    first.headers.pop("date"), second.headers.pop("date")
    assert first.headers == second.headers


# ---------------------------------------------------------------- Vary and ETag


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [
        ("/id/area/miljoeteknologi", {"Accept": "image/png"}, 406),
        ("/id/area/miljoeteknologi?format=bogus", {}, 400),
        ("/id/area/no-such-area", {"Accept": "text/turtle"}, 404),
        ("/id/area/miljoeteknologi", {"Accept": "text/turtle"}, 200),
    ],
)
def test_negotiated_pages_vary_errors_included(
    target: str, headers: dict[str, str], status: int, server: str
) -> None:
    reply = send(server, "GET", target, headers=headers)
    assert reply.status == status
    vary = {v.strip() for v in reply.headers.get("vary", "").split(",")}
    assert {"Accept", "Accept-Language"} <= vary


def test_sparql_errors_vary_on_accept(server: str) -> None:
    for reply in (
        get(server, "ASK {", accept=SRX),
        get(server, SELECT_AREAS, accept="image/png"),
        send(server, "POST", "/sparql", headers={"Content-Type": "text/plain"}, body=b"ASK {}"),
    ):
        assert reply.status in (400, 406)
        assert "Accept" in {v.strip() for v in reply.headers["vary"].split(",")}


def test_each_content_coding_has_its_own_etag(server: str, built_site: Path) -> None:
    target = "/id/area/miljoeteknologi.ttl"
    plain = send(server, "GET", target, headers={"Accept-Encoding": "identity"})
    coded = send(server, "GET", target, headers={"Accept-Encoding": "gzip"})
    assert plain.body == gzip.decompress(coded.body) == (built_site / target.lstrip("/")).read_bytes()
    assert coded.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert plain.headers["etag"] != coded.headers["etag"]
    assert coded.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    head = send(server, "HEAD", target, headers={"Accept-Encoding": "gzip"})
    assert head.headers["etag"] == coded.headers["etag"] and head.headers["content-encoding"] == "gzip"
    for etag in (plain.headers["etag"], coded.headers["etag"]):
        for encoding in ("identity", "gzip"):
            again = send(server, "GET", target, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
            assert again.status == 304 and again.headers["etag"] == etag and again.body == b""
    other = send(server, "GET", target, headers={"Accept-Encoding": "gzip", "If-None-Match": '"other"'})
    assert other.status == 200 and other.headers["etag"] == coded.headers["etag"]


def test_a_small_file_keeps_one_etag(server: str) -> None:
    """A body under the gzip threshold is never coded, so both requests get the same bytes and tag."""
    small = send(server, "GET", "/robots.txt", headers={"Accept-Encoding": "gzip"})
    plain = send(server, "GET", "/robots.txt")
    assert small.status == plain.status == 200 and len(plain.body) < 512
    assert "content-encoding" not in small.headers and small.headers["etag"] == plain.headers["etag"]


# ---------------------------------------------------------------- the same requests to Oxigraph


@pytest.fixture(scope="module")
def oxigraph(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Oxigraph server from PyPI, read-only, holding the dump; yields its root URL (/query)."""
    location = tmp_path_factory.mktemp("oxigraph-protocol") / "store"
    load_dump(built_site, location)
    with running_oxigraph(location, read_only=True) as url:
        yield url


def _from(query: str, *graphs: str) -> str:
    """The query with FROM clauses: Oxigraph's default graph is its own, ours the union."""
    head, keyword, rest = query.partition("WHERE {") if "WHERE {" in query else query.partition("{")
    return head + "".join(f"FROM <{GRAPH[g]}> " for g in graphs) + keyword + rest


# Not */*: the defaults are ours to choose (Turtle for graphs; Oxigraph's is N-Quads).
COMPARED_ACCEPTS = [
    "application/xml",
    "text/xml",
    "application/json",
    "image/png",
    "application/sparql-results+xml",
    "text/turtle",
    "application/rdf+xml",
    "application/n-triples, text/tab-separated-values;q=0.1",
    "text/csv;q=0.4, application/sparql-results+xml;q=0.9, text/turtle;q=0.5",
]
COMPARED_QUERIES = {
    "select": _from(SELECT_AREAS, "data"),
    "ask": _from(ASK_TRUE, "data"),
    "construct": _from(CONSTRUCT_LABELS, "data"),
}


def _answer(kind: str, reply: Reply) -> object:
    if reply.status != 200:
        return reply.status
    if reply.media_type in GRAPH_TYPES:
        return {by_value(t) for t in graph_of(reply)}
    if kind == "ask":  # CSV and TSV have no parser for ASK: their bytes are compared
        return boolean_of(reply) if reply.media_type in (SRJ, SRX) else reply.body
    return rows_of(reply)


@pytest.mark.parametrize("accept", COMPARED_ACCEPTS)
@pytest.mark.parametrize("kind", list(COMPARED_QUERIES))
def test_accept_gets_what_oxigraph_gives(kind: str, accept: str, server: str, oxigraph: str) -> None:
    query = COMPARED_QUERIES[kind]
    ours = get(server, query, accept=accept)
    assert ours.status in (200, 406), ours.body
    target = "/query?" + urllib.parse.urlencode({"query": query})
    theirs = send(oxigraph, "GET", target, headers={"Accept": accept})
    assert (ours.status, ours.media_type if ours.status == 200 else "") == (
        theirs.status,
        theirs.media_type if theirs.status == 200 else "",
    )
    assert _answer(kind, ours) == _answer(kind, theirs)


@pytest.mark.parametrize(("graphs", "query"), SWAPPED)
def test_protocol_dataset_answers_as_oxigraph(
    graphs: dict[str, list[str]], query: str, server: str, oxigraph: str
) -> None:
    pairs = [("query", query), *((key, value) for key, values in graphs.items() for value in values)]
    target = "?" + urllib.parse.urlencode(pairs)
    ours, theirs = send(server, "GET", "/sparql" + target), send(oxigraph, "GET", "/query" + target)
    assert ours.status == theirs.status == 200
    assert boolean_of(ours) is boolean_of(theirs) is False


# ---------------------------------------------------------------- request bodies and parameters


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-query", b"ASK { ?s ?p '\xff' }"),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%20%3Fs%20%3Fp%20'%FF'%20%7D"),
        ("application/sparql-query; charset=ISO-8859-1", b"ASK {}"),
    ],
)
def test_a_body_that_is_not_utf8_is_400_saying_so(content_type: str, body: bytes, server: str) -> None:
    reply = send(server, "POST", "/sparql", headers={"Content-Type": content_type}, body=body)
    assert reply.status == 400 and b"UTF-8" in reply.body
    assert "Accept" in reply.headers["vary"]


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
def test_an_empty_graph_parameter_is_400_naming_it(name: str, server: str) -> None:
    reply = get(server, "ASK {}", **{name: ""})
    assert reply.status == 400 and name.encode() in reply.body
