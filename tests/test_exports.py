"""publish/exports.py on a handful of triples: prefixes, the JSON-LD context, the serialisations.

Each serialisation is read back by pyoxigraph and compared, as a set of triples, with what went
in; the context's term names are checked against the rules in ``make_context``'s docstring.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from publish import exports

EX = "http://example.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"ex": EX, "skos": SKOS, "dcterms": DCT, "xsd": XSD, "unused": "http://unused.example/"}

A, B = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b")
TRIPLES = [
    ox.Triple(A, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("et", language="da")),
    ox.Triple(A, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("one", language="en")),
    ox.Triple(A, ox.NamedNode(DCT + "issued"), ox.Literal("2020-03-05", datatype=ox.NamedNode(XSD + "date"))),
    ox.Triple(A, ox.NamedNode(DCT + "type"), B),  # "type" is the @type alias: dcterms_type
    ox.Triple(A, ox.NamedNode(EX + "note"), ox.Literal("plain")),
    ox.Triple(A, ox.NamedNode(SKOS + "note"), ox.Literal("plain too")),  # "note" twice: prefixed
    ox.Triple(A, ox.NamedNode(EX + "mixed"), B),
    ox.Triple(A, ox.NamedNode(EX + "mixed"), ox.Literal("text")),
]


def read(body: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(body, format=fmt)}


def test_used_prefixes_are_those_some_iri_or_datatype_starts_with_in_declared_order() -> None:
    assert exports.used_prefixes(TRIPLES, PREFIXES) == {"ex": EX, "skos": SKOS, "dcterms": DCT, "xsd": XSD}
    only_labels = TRIPLES[:2]
    assert list(exports.used_prefixes(only_labels, PREFIXES)) == ["ex", "skos"]


def test_turtle_declares_only_used_prefixes_in_order_and_reads_back() -> None:
    body = exports.turtle(TRIPLES, PREFIXES)
    header = [line for line in body.decode().splitlines() if line.startswith("@prefix")]
    assert header == [
        f"@prefix ex: <{EX}> .",
        f"@prefix skos: <{SKOS}> .",
        f"@prefix dcterms: <{DCT}> .",
        f"@prefix xsd: <{XSD}> .",
    ]
    assert read(body, ox.RdfFormat.TURTLE) == set(TRIPLES)
    assert body == exports.turtle(list(reversed(TRIPLES)), PREFIXES)  # order does not matter


def test_ntriples_and_rdfxml_read_back_and_do_not_depend_on_order() -> None:
    lines = exports.ntriples([*TRIPLES, *TRIPLES]).decode().splitlines()
    assert lines == sorted(lines) and len(lines) == len(TRIPLES)
    assert read(exports.ntriples(TRIPLES), ox.RdfFormat.N_TRIPLES) == set(TRIPLES)
    xml = exports.rdfxml(TRIPLES)
    assert read(xml, ox.RdfFormat.RDF_XML) == set(TRIPLES)
    assert xml == exports.rdfxml(reversed(TRIPLES))


def test_context_terms_follow_the_naming_rules() -> None:
    context = exports.make_context(TRIPLES, PREFIXES)["@context"]
    assert context["@version"] == 1.1 and context["id"] == "@id" and context["type"] == "@type"
    assert context["prefLabel"] == {"@id": "skos:prefLabel", "@container": "@language"}
    assert context["issued"] == {"@id": "dcterms:issued", "@type": "xsd:date"}
    assert context["dcterms_type"] == {"@id": "dcterms:type", "@type": "@id"}
    assert context["ex_note"] == {"@id": "ex:note"} and context["skos_note"] == {"@id": "skos:note"}
    assert context["mixed"] == {"@id": "ex:mixed"}  # IRIs and strings: no @type
    assert "note" not in context and "unused" in context  # every prefix is declared


def test_jsonld_embeds_only_the_used_context_and_reads_back() -> None:
    context = exports.make_context(TRIPLES, PREFIXES)
    body = exports.jsonld(TRIPLES[:2], context)
    embedded = json.loads(body)["@context"]
    assert "prefLabel" in embedded and "issued" not in embedded and "unused" not in embedded
    assert read(body, ox.RdfFormat.JSON_LD) == set(TRIPLES[:2])
    assert read(exports.jsonld(TRIPLES, context), ox.RdfFormat.JSON_LD) == set(TRIPLES)
