"""The build's fast paths give the same bytes as the slow, reference ones (issue 11).

JSON-LD: publish/compaction.py against pyld (the reference JSON-LD processor, still callable as
``exports.jsonld(..., reference=True)``), on every JSON-LD document the build writes for the
real project and a generated 10k project (per resource, whole dataset, ontology, shapes,
catalogue), and on hand-made hard cases.

The check before the swap: the scripts libxml2's HTML parser (lxml) finds are those the WHATWG
algorithm (html5lib) finds, on generated tag soup, and those Python's html.parser (the check
before) found, on every page of the real site. Its reading of simple pages without a parser
gives the parser's verdicts (tag soup) and texts (every page of the real site).

JSON text: publish/jsontext.py against the standard library's ``json.dumps``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock

import pyoxigraph as ox
import pytest
from conftest import ROOT, benchmark_module
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonld_support import parse_html

from publish import build, compaction, exports, jsontext, wellformed
from publish.config import load_config
from publish.dataset import load
from publish.lexical import FORBIDDEN

EX = "http://example.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREFIXES = {"ex": EX, "skos": SKOS, "xsd": XSD, "exa": EX + "a/", "area": "area:"}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _jsonld_calls(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, bytes]]:
    """Plan the project's site; yield every JSON-LD document the build made, with its input."""
    calls: list[tuple[Any, Any, bytes]] = []
    fast = exports.jsonld

    def recording(triples: Sequence[ox.Triple], context: Mapping[str, Any], **kw: bool) -> bytes:
        body = fast(triples, context, **kw)
        calls.append((list(triples), context, body))
        return body

    monkeypatch.setattr(exports, "jsonld", recording)
    config = load_config(project)
    artifacts = build.plan(load(config), config)
    monkeypatch.undo()
    # Every per-resource and whole-dataset JSON-LD document and the catalogue come from here.
    documents = {
        a.body
        for a in artifacts
        if a.path.suffix == ".jsonld"
        and (
            a.path.parts[0] == "id"
            or str(a.path) in ("dataset.jsonld", "ontology.jsonld", "shapes.jsonld", "catalog.jsonld")
        )
    }
    assert len(documents) > 100 and documents <= {body for _, _, body in calls}
    yield from calls


def _assert_same_as_pyld(calls: Iterator[tuple[Any, Any, bytes]]) -> int:
    count = 0
    for triples, context, body in calls:
        assert body == exports.jsonld(triples, context, reference=True), triples[:3]
        count += 1
    return count


def test_real_project_jsonld_is_pyld_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _assert_same_as_pyld(_jsonld_calls(ROOT, monkeypatch)) > 150


def test_generated_10k_project_jsonld_is_pyld_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    benchmark_module("scale").generate(project, 10_000, seed=11)
    assert _assert_same_as_pyld(_jsonld_calls(project, monkeypatch)) > 1_000


A, B = _n(EX + "a"), _n(EX + "b")
HARD: dict[str, list[ox.Triple]] = {
    "language map, plain string and node under one predicate": [
        ox.Triple(A, _n(SKOS + "prefLabel"), ox.Literal("et", language="da")),
        ox.Triple(A, _n(SKOS + "prefLabel"), ox.Literal("to", language="da")),
        ox.Triple(A, _n(SKOS + "prefLabel"), ox.Literal("one", language="en-GB")),
        ox.Triple(B, _n(SKOS + "prefLabel"), ox.Literal("plain")),
        ox.Triple(B, _n(SKOS + "prefLabel"), A),
    ],
    "typed values of one and of several datatypes": [
        ox.Triple(A, _n(EX + "date"), ox.Literal("2020-03-05", datatype=_n(XSD + "date"))),
        ox.Triple(B, _n(EX + "date"), ox.Literal("2021-01-01", datatype=_n(XSD + "date"))),
        ox.Triple(A, _n(EX + "n"), ox.Literal("3", datatype=_n(XSD + "integer"))),
        ox.Triple(A, _n(EX + "n"), ox.Literal("3.5", datatype=_n(XSD + "decimal"))),
        ox.Triple(A, _n(EX + "n"), ox.Literal("x", datatype=_n(EX + "my_type"))),
    ],
    "types: several, a blank node, a literal, an IRI that is a term": [
        ox.Triple(A, _n(RDF_TYPE), _n(EX + "C")),
        ox.Triple(A, _n(RDF_TYPE), _n(EX + "date")),
        ox.Triple(A, _n(RDF_TYPE), ox.BlankNode("t")),
        ox.Triple(B, _n(RDF_TYPE), ox.Literal("odd")),
        ox.Triple(B, _n(RDF_TYPE), _n(EX + "C")),
        ox.Triple(B, _n(EX + "date"), ox.Literal("2021-01-01", datatype=_n(XSD + "date"))),
    ],
    "blank nodes, a namespace as a value, a longer prefix, an unprefixed IRI": [
        ox.Triple(A, _n(EX + "part"), ox.BlankNode("x")),
        ox.Triple(ox.BlankNode("x"), _n(EX + "part"), _n(EX)),
        ox.Triple(ox.BlankNode("x"), _n(EX + "part"), _n(EX + "a/b")),
        ox.Triple(A, _n(EX + "link"), _n("https://elsewhere.example/x")),
        ox.Triple(A, _n("https://elsewhere.example/p"), ox.Literal("y")),
    ],
    "an IRI whose scheme is a prefix name": [
        ox.Triple(A, _n(EX + "link"), _n("area:x")),
        ox.Triple(_n("area:y"), _n(EX + "link"), A),
    ],
    "a single node, and nothing at all": [
        ox.Triple(A, _n(EX + "only"), ox.Literal("one")),
    ],
}


@pytest.mark.parametrize("name", sorted(HARD))
def test_hard_cases_are_pyld_byte_for_byte(name: str) -> None:
    triples = HARD[name]
    context = exports.make_context(
        [*triples, ox.Triple(A, _n(EX + "c"), ox.Literal("c"))], PREFIXES
    )  # the context knows a predicate the documents do not use
    for subset in (triples, triples[:1], triples[1:], []):
        assert exports.jsonld(subset, context) == exports.jsonld(subset, context, reference=True)


def test_a_context_it_does_not_cover_goes_to_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    triples = HARD["types: several, a blank node, a literal, an IRI that is a term"]
    context = {"@context": {**exports.make_context(triples, PREFIXES)["@context"], "@vocab": EX}}
    with pytest.raises(compaction.UnsupportedError):
        compaction.Compactor(context["@context"])
    assert exports.jsonld(triples, context) == exports.jsonld(triples, context, reference=True)


# ---------------------------------------------------------------- the check before the swap

PIECES = [
    "<p>",
    "</p>",
    "text",
    " & ",
    "&amp;",
    "<",
    ">",
    '"',
    '<script type="application/ld+json">',
    "<script type=application/ld+json>",
    '<SCRIPT TYPE="application/ld+json">',
    '<script type="text/javascript">',
    "</script>",
    "</SCRIPT>",
    "</scriptx>",
    '{"a": 1}',
    '{"a": "\\u003c/script>"}',
    "[1, 2",
    "<!--",
    "-->",
    "<style>",
    "</style>",
    "<title>",
    "</title>",
    "<textarea>",
    "</textarea>",
    "<noscript>",
    "</noscript>",
    "<![CDATA[",
    "]]>",
    "\n",
    "é",
]


def _html5lib_scripts(text: str) -> list[str]:
    """The scripts the WHATWG parsing algorithm (html5lib) finds: the reference."""
    root = parse_html(text)
    return [s.text or "" for s in root.iter("script") if s.get("type") == "application/ld+json"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_the_fast_html_check_finds_the_scripts_a_browser_finds(pieces: list[str]) -> None:
    text = "<!DOCTYPE html><html><body>" + "".join(pieces)
    assert wellformed.scripts(text.encode("utf-8")) == _html5lib_scripts(text)


def test_the_fast_html_check_gives_the_old_verdicts_on_every_page_of_the_real_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import publish.dcatap

    monkeypatch.setattr(publish.dcatap, "require_conformance", lambda *args, **kwargs: None)
    config = load_config(ROOT)
    pages = [a for a in build.plan(load(config), config) if a.path.suffix == ".html"]
    assert len(pages) > 300
    for page in pages:
        text = page.body.decode("utf-8")
        assert wellformed.scripts(page.body) == _html_parser_scripts(text) == _html5lib_scripts(text)


def _html_parser_scripts(text: str) -> list[str]:
    """The scripts Python's html.parser finds (what the check used before lxml)."""
    found: list[str] = []
    inside = False

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal inside
            if tag == "script" and dict(attrs).get("type") == "application/ld+json":
                inside = True
                found.append("")

        def handle_endtag(self, tag: str) -> None:
            nonlocal inside
            inside = inside and tag != "script"

        def handle_data(self, data: str) -> None:
            if inside:
                found[-1] += data

    reader = Reader(convert_charrefs=True)
    reader.feed(text)
    reader.close()
    return found


def test_the_byte_level_look_misses_no_forbidden_character() -> None:
    forbidden = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and FORBIDDEN.fullmatch(chr(c))]
    assert len(forbidden) > 60
    for char in forbidden:
        with pytest.raises(ValueError, match="holds the character"):
            wellformed.check_for("id/a/b.html")(f"<p>æ{char}ø</p>".encode())
    wellformed.check_for("id/a/b.html")("<p>æ\u2028ø\u200f\t</p>".encode())  # allowed: no error


# Pieces of pages the reading without a parser must refuse to be sure of, or read as the parser does.
SIMPLE_PIECES = [
    *PIECES,
    '<script type="application/ld+json" defer>',
    '<script src="x.js" defer>',
    '<script type="application/ld+json" type="text/plain">',
    '<script type="text/plain" type="application/ld+json">',
    "<script\ttype='application/ld+json'>",
    '<script type="application/ld+json" >',
    "</script >",
    "<svg>",
    "</svg>",
    "\r\n",
    "\ufeff",
    '{"a": "<b>"}',
    '{"a": "&amp;"}',
    "{}",
    '"x"',
    '<p title="<script type=&quot;application/ld+json&quot;>">',
]


def _verdicts(body: bytes) -> tuple[list[str], list[str]]:
    """Return the check's verdict on a page, and the verdict of the parser alone (libxml2)."""
    verdict = wellformed.ill_formed([("id/a/b.html", body)])
    with mock.patch.object(wellformed, "_simple_scripts", lambda body: None):
        return verdict, wellformed.ill_formed([("id/a/b.html", body)])


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(SIMPLE_PIECES), max_size=8),
    st.lists(st.sampled_from(SIMPLE_PIECES), max_size=8),
    st.lists(st.sampled_from(SIMPLE_PIECES), max_size=8),
)
def test_reading_without_a_parser_gives_the_parsers_verdicts(
    before: list[str], inside: list[str], after: list[str]
) -> None:
    # Most pages get a JSON-LD script, with anything in it and around it.
    script = '<script type="application/ld+json">' if len(before) % 4 else ""
    page = "<!DOCTYPE html><html><head>" + "".join(before) + script + "".join(inside) + "".join(after)
    fast, parser = _verdicts(page.encode("utf-8"))
    assert fast == parser


def test_reading_without_a_parser_gives_the_parsers_texts_on_every_page_of_the_real_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every page we make is simple enough: the check reads them all without the parser."""
    import publish.dcatap

    monkeypatch.setattr(publish.dcatap, "require_conformance", lambda *args, **kwargs: None)
    config = load_config(ROOT)
    pages = [a.body for a in build.plan(load(config), config) if a.path.suffix == ".html"]
    assert len(pages) > 300
    for page in pages:
        assert wellformed._simple_scripts(page) == [s.encode("utf-8") for s in wellformed.scripts(page)]


def test_a_script_libxml2_reads_as_empty_is_still_refused() -> None:
    """libxml2 reads a text of 10 MB or more as empty: such a script was refused, and still is."""
    script = json.dumps({"a": "x" * (10_000_000 - 9)})
    body = f'<!DOCTYPE html><html><head><script type="application/ld+json">{script}</script>'.encode()
    fast, parser = _verdicts(body)
    assert parser and fast == parser


def test_the_file_name_chooses_the_check_as_the_registry_does() -> None:
    paths = ["a.html", "id/x/a.en.html", "dataset.nq.gz", "x.gz", "v1.2.ttl", "a.b/c", ".well-known/void"]
    paths += ["x/.well-known/void", "void", "catalog.rdf", "sitemap.xml", "robots.txt", "LICENSE", "a.jsonld"]
    for path in paths * 2:  # chosen, then remembered
        assert wellformed.check_for(path) is wellformed._check_for(path), path


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            | st.tuples(inner)
            | st.dictionaries(st.integers() | st.floats(allow_nan=False) | st.booleans(), inner, max_size=2)
        ),
        max_leaves=20,
    )


@settings(max_examples=500, deadline=None)
@given(_json_values(), st.integers(min_value=0, max_value=3))
def test_json_text_is_the_standard_librarys(value: Any, level: int) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2)
    assert jsontext.dumps(value) == expected
    assert jsontext.member(value, level) == expected.replace("\n", "\n" + "  " * level)


def test_json_text_of_what_json_dumps_refuses_is_refused_alike() -> None:
    for value in ({"a": {1, 2}}, [object()], {("a",): 1}):
        with pytest.raises(TypeError):
            json.dumps(value, ensure_ascii=False, indent=2)
        with pytest.raises(TypeError):
            jsontext.dumps(value)
    assert jsontext.dumps([math.inf, -math.inf, math.nan, 1e300, -0.0]) == json.dumps(
        [math.inf, -math.inf, math.nan, 1e300, -0.0], ensure_ascii=False, indent=2
    )
