"""Answers never carry what their medium cannot: ill-formed XML is refused, terminals see escapes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from click.testing import Result

from publish.errors import QueryError
from publish.results import serialise
from publish.safetext import visible
from publish.sparql import QueryResult

Run = Callable[..., Result]
RESULTS = "{http://www.w3.org/2005/sparql-results#}"


def _select(*values: str) -> QueryResult:
    return QueryResult("SELECT", ("x",), tuple((ox.Literal(value),) for value in values))


@pytest.mark.parametrize(
    ("char", "name"), [("\x00", "U+0000"), ("\x1b", "U+001B (ESCAPE)"), ("\x07", "U+0007")]
)
def test_sparql_xml_results_refuse_what_xml_cannot_hold(char: str, name: str) -> None:
    with pytest.raises(QueryError) as caught:
        serialise(_select("fine", f"a{char}b"), "xml", prefixes={})
    assert name in caught.value.message and "format=json" in caught.value.message


def test_sparql_xml_results_keep_a_carriage_return_through_an_xml_parser() -> None:
    body, _ = serialise(_select("a\r\nb", "<&>"), "xml", prefixes={})
    literals = [e.text for e in ElementTree.fromstring(body).iter(f"{RESULTS}literal")]
    assert literals == ["a\r\nb", "<&>"]


@pytest.mark.parametrize("predicate", ["urn:1", "http://example.org/a#", "http://example.org/1"])
def test_rdfxml_refuses_a_predicate_no_xml_name_ends(predicate: str) -> None:
    triple = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode(predicate), ox.Literal("v"))
    # what pyoxigraph alone writes for it is not XML
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(ox.serialize([triple], format=ox.RdfFormat.RDF_XML) or b"")
    with pytest.raises(QueryError, match=f"RDF/XML cannot write the predicate <{predicate}>"):
        serialise(QueryResult("CONSTRUCT", triples=(triple,)), "rdfxml", prefixes={})


def test_rdfxml_refuses_a_control_character_in_a_literal() -> None:
    triple = ox.Triple(
        ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("\x07")
    )
    with pytest.raises(QueryError, match="U\\+0007.*Turtle, N-Triples or JSON-LD"):
        serialise(QueryResult("CONSTRUCT", triples=(triple,)), "rdfxml", prefixes={})


def test_visible_escapes_controls_and_bidi_overrides_only() -> None:
    assert visible("a\x1b[31mb\x07c\u202ed\x00é–ø\u00ad") == "a\\x1b[31mb\\x07c\\u202ed\\x00é–ø\u00ad"


def test_query_table_shows_control_characters_as_escapes(built_site: Path, cli: Run) -> None:
    query = 'SELECT ?x WHERE { BIND(CONCAT("a", "\\u001B[2J", "\\u0007", "\\u202E", "b") AS ?x) }'
    result = cli("query", query, "--project", str(built_site.parent))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == "a\\x1b[2J\\x07\\u202eb"
    assert not set(result.stdout) & {"\x1b", "\x07", "\u202e", "\x00"}
