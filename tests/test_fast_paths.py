"""The build's fast paths give the same bytes as the slow, reference ones (issue 11).

JSON-LD: publish/compaction.py against pyld (the reference JSON-LD processor, still callable as
``exports.jsonld(..., reference=True)``), on every JSON-LD document the build writes for the
real project and a generated 10k project (per resource, whole dataset, ontology, shapes,
catalogue), and on hand-made hard cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import ROOT, benchmark_module

from publish import build, compaction, exports
from publish.config import load_config
from publish.dataset import load

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
    # Every JSON-LD document of the build but the context and the schema.org embeds comes from here.
    documents = {
        a.body
        for a in artifacts
        if a.path.suffix == ".jsonld" and a.path.parts[0] != "embed" and a.path.name != "context.jsonld"
    }
    assert {body for _, _, body in calls} == documents
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
