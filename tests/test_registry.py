"""The one format registry and the one owner of IRIs and paths: unit tests, and a format added once.

Adding a record to ``publish.formats.FORMATS`` must be the whole change that publishes a new
format: per-resource documents, content negotiation, a catalogue distribution and the static-host
rules all follow (the TriG demonstration below).
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE, make_tiny
from rdflib import Graph
from rdflib.compare import isomorphic

from publish import exports, formats
from publish.cli import main
from publish.config import load_config
from publish.errors import PathError
from publish.formats import Format, Vocabulary, negotiate
from publish.server import answer_once, create_app
from publish.uris import Uris

URIS = Uris(BASE)
AREA = f"{BASE}id/area/energiteknologi"


# ---------------------------------------------------------------- the registry


def test_no_name_or_media_type_stands_for_two_formats_of_one_kind() -> None:
    for kind in (formats.GRAPH, formats.RESULTS, formats.PAGE):
        members = formats.of_kind(kind)
        names = [name for f in members for name in f.names]
        media_types = [media for f in members for media in f.media_types]
        assert len(names) == len(set(names)), kind
        assert len(media_types) == len(set(media_types)), kind
    resource_names = [name for f in formats.resource_formats() for name in f.names]
    assert len(resource_names) == len(set(resource_names))


def test_every_published_rdf_format_has_a_serialiser_and_catalogue_identifiers() -> None:
    for fmt in formats.rdf_documents():
        assert fmt.write is not None and fmt.file_type and fmt.w3c, fmt.name
    for fmt in formats.downloads():
        assert fmt.file_type and fmt.w3c, fmt.name


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("dataset.nq.gz", "application/gzip"),
        ("id/area/x.ttl", "text/turtle; charset=utf-8"),
        ("id/area/x.en.html", "text/html; charset=utf-8"),
        ("catalog.rdf", "application/rdf+xml"),
        (".well-known/void", "text/turtle; charset=utf-8"),
        ("query.srj", "application/octet-stream"),  # results are answers, never site files
        ("README", "application/octet-stream"),
    ],
)
def test_a_site_file_is_served_by_its_longest_suffix(path: str, content_type: str) -> None:
    assert formats.media_type_of(path) == content_type


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ttl", "turtle"), ("TURTLE", "turtle"), ("n3", "turtle"), ("xml", "rdfxml"), ("rdf+xml", "rdfxml")],
)
def test_document_names(name: str, expected: str) -> None:
    found = formats.by_name(name)
    assert found is not None and found.name == expected
    assert formats.by_name("csv") is None  # a results format is no document format


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html"),
        ("*/*", "text/html"),
        ("text/turtle, */*;q=0.1", "text/turtle"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("application/*", "application/ld+json"),
        ("text/html;q=0, */*", "text/turtle"),
        ("image/png", None),
    ],
)
def test_negotiation_ranks_by_q_then_specificity_then_order(accept: str | None, expected: str | None) -> None:
    offered = [f.media_type for f in formats.resource_formats()]
    assert negotiate(accept, offered) == expected


# ---------------------------------------------------------------- IRIs and paths


def test_pages_of_the_primary_language_have_no_language_suffix() -> None:
    assert URIS.page_path("index", "da") == PurePosixPath("index.html")
    assert URIS.page_path(AREA, "en") == PurePosixPath("id/area/energiteknologi.en.html")
    english_first = Uris(BASE, ("en", "da"))
    assert english_first.page_path("index", "en") == PurePosixPath("index.html")
    assert english_first.page_path("index", "da") == PurePosixPath("index.da.html")


def test_documents_embeds_and_site_files() -> None:
    assert URIS.document_path(f"{BASE}ontology#Area", formats.TURTLE) == PurePosixPath("ontology.ttl")
    assert URIS.document_path(AREA, formats.NTRIPLES) == PurePosixPath("id/area/energiteknologi.nt")
    assert URIS.embed_path(AREA, "en", formats.JSONLD) == PurePosixPath(
        "embed/area/energiteknologi.en.jsonld"
    )
    assert URIS.site_file("catalog", formats.RDFXML) == PurePosixPath("catalog.rdf")
    assert URIS.dump == PurePosixPath("dataset.nq.gz")
    assert URIS.void_path == PurePosixPath(".well-known/void")


def test_the_endpoint_is_the_service_iri_unless_configured() -> None:
    assert URIS.sparql == URIS.service == f"{BASE}sparql" and URIS.serves_own_endpoint
    elsewhere = Uris(BASE, endpoint="https://sparql.example.dk/query")
    assert elsewhere.sparql == "https://sparql.example.dk/query" and elsewhere.service == f"{BASE}sparql"
    assert not elsewhere.serves_own_endpoint


@pytest.mark.parametrize(
    ("reference", "iri"),
    [
        ("ontology#", f"{BASE}ontology#"),
        ("graph/data", f"{BASE}graph/data"),
        ("http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/2004/02/skos/core#"),
        ("urn:x", "urn:x"),
    ],
)
def test_references_resolve_against_the_base(reference: str, iri: str) -> None:
    assert URIS.resolve(reference) == iri


@pytest.mark.parametrize("iri", [f"{BASE}id/", f"{BASE}id/area/", f"{BASE}id/../x", "https://example.org/x"])
def test_an_iri_without_a_document_path_is_refused(iri: str) -> None:
    with pytest.raises(PathError, match="path|base IRI") as raised:
        URIS.document_stem(iri)
    assert f"<{iri}>" in raised.value.message and "name the resource" in raised.value.message


@pytest.mark.parametrize("stem", [".", ""])
def test_a_stem_without_a_name_is_refused(stem: str) -> None:
    """'/.' once reached PurePosixPath.with_name through the server: a ValueError and a 500."""
    for fmt in formats.resource_formats():
        with pytest.raises(PathError, match="names no document"):
            URIS.document_path(stem, fmt)


# ---------------------------------------------------------------- serialisers


TRIPLES = [
    ox.Triple(ox.NamedNode(AREA), ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"), label)
    for label in (
        ox.Literal("Energiteknologi", language="da"),
        ox.Literal("Energy technology", language="en"),
    )
]


def test_line_formats_are_sorted_and_gzip_has_no_timestamp() -> None:
    lines = exports.ntriples([*TRIPLES, *reversed(TRIPLES)]).splitlines()
    assert lines == sorted(set(lines)) and len(lines) == 2
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(URIS.graph("data"))) for t in TRIPLES]
    body = exports.nquads_gz(quads)
    assert body[4:8] == b"\0\0\0\0" and body == exports.nquads_gz(list(reversed(quads)))
    assert len(gzip.decompress(body).splitlines()) == 2


@pytest.mark.parametrize("fmt", formats.rdf_documents(), ids=lambda f: f.name)
def test_every_writer_round_trips(fmt: Format) -> None:
    """Read back by a parser other than the writer's (rdflib; pyoxigraph for pyld's JSON-LD)."""
    assert fmt.write is not None
    body = fmt.write(TRIPLES, Vocabulary(URIS.prefixes()))
    if fmt is formats.JSONLD:
        lines = ox.serialize(ox.parse(body, format=ox.RdfFormat.JSON_LD), format=ox.RdfFormat.N_QUADS) or b""
        parsed = Graph().parse(data=lines, format="nt")
    else:
        parsed = Graph().parse(data=body, format={"rdfxml": "xml"}.get(fmt.name, fmt.name))
    assert isomorphic(parsed, Graph().parse(data=exports.ntriples(TRIPLES), format="nt"))


# ---------------------------------------------------------------- a format added once


def _trig(triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    return ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.TRIG) or b""


TRIG = Format(
    "trig",
    "TriG",
    formats.GRAPH,
    "trig",
    "application/trig",
    text=True,
    file_type="RDF_TRIG",
    w3c="TriG",
    resource=True,
    download=True,
    write=_trig,
    parser="TRIG",  # the build parses every .trig it writes before the swap
)


@pytest.fixture(scope="module")
def with_trig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project built with TriG added to the registry, and nothing else changed."""
    project = make_tiny(tmp_path_factory.mktemp("trig") / "project")
    with pytest.MonkeyPatch.context() as patch:
        registry = list(formats.FORMATS)
        registry.insert(registry.index(formats.RDFXML) + 1, TRIG)
        patch.setattr(formats, "FORMATS", tuple(registry))
        result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return project


def test_an_added_format_gets_a_document_for_every_resource(with_trig: Path) -> None:
    site = with_trig / "site"
    turtle_documents = sorted(site.glob("id/*/*.ttl"))
    assert turtle_documents
    for turtle in turtle_documents:
        trig = turtle.with_suffix(".trig")
        parsed = ox.Dataset(ox.parse(trig.read_bytes(), format=ox.RdfFormat.TRIG))
        assert len(parsed) == len(list(ox.parse(turtle.read_bytes(), format=ox.RdfFormat.TURTLE)))
    assert (site / "dataset.trig").is_file()


def test_an_added_format_is_negotiated(with_trig: Path) -> None:
    config = load_config(with_trig)
    site = with_trig / "site"
    stem = next(site.glob("id/area/*.trig")).relative_to(site)
    path = "/" + str(stem.with_suffix(""))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formats, "FORMATS", (*formats.FORMATS, TRIG))
        app = create_app(config, site, workers=1)
        by_accept = asyncio.run(answer_once(app, path, headers={"accept": "application/trig"}))
        by_name = asyncio.run(answer_once(app, path + "?format=trig", headers={}))
    headers = dict(by_accept.headers)
    assert by_accept.status == 200 and headers["content-type"].startswith("application/trig")
    assert headers["content-location"] == "/" + str(stem)
    assert by_name.status == 200 and by_name.body == (site / stem).read_bytes()


def test_an_added_format_is_a_catalogue_distribution_and_in_the_static_rules(with_trig: Path) -> None:
    site = with_trig / "site"
    catalog = ox.Store()
    catalog.load(path=site / "catalog.ttl", format=ox.RdfFormat.TURTLE)
    media = "https://www.iana.org/assignments/media-types/application/trig"
    dcat = "http://www.w3.org/ns/dcat#"
    ask = f"ASK {{ ?d <{dcat}mediaType> <{media}> ; <{dcat}downloadURL> <{BASE}dataset.trig> }}"
    assert catalog.query(ask)
    assert "application/trig" in (site / "nginx-maps.conf").read_text(encoding="utf-8")
    assert "application/trig" in (site / ".htaccess").read_text(encoding="utf-8")
    assert "trig" in (site / "nginx.conf").read_text(encoding="utf-8")


def test_a_format_removed_from_the_registry_is_gone_everywhere(tmp_path: Path) -> None:
    project = make_tiny(tmp_path / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formats, "FORMATS", tuple(f for f in formats.FORMATS if f is not formats.NTRIPLES))
        result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    site = project / "site"
    assert not list(site.rglob("*.nt"))
    assert "n-triples" not in (site / "catalog.ttl").read_text(encoding="utf-8")
    assert "application/n-triples" not in (site / "nginx-maps.conf").read_text(encoding="utf-8")


def test_a_changed_record_changes_its_documents(tmp_path: Path) -> None:
    """The suffix comes from the record alone: renaming it renames every document."""
    project = make_tiny(tmp_path / "project")
    with pytest.MonkeyPatch.context() as patch:
        renamed = replace(formats.NTRIPLES, suffix="ntriples")
        patch.setattr(
            formats, "FORMATS", tuple(renamed if f is formats.NTRIPLES else f for f in formats.FORMATS)
        )
        result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (project / "site" / "dataset.ntriples").is_file() and not (
        project / "site" / "dataset.nt"
    ).exists()
