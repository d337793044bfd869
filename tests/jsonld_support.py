"""Helpers for the page tests: read embedded JSON-LD, expand it offline, check it against schema.org."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pyoxigraph as ox
from conftest import VENDOR
from pyld import jsonld

SCHEMAORG = VENDOR / "schemaorg"
SCHEMA = "https://schema.org/"
SCHEMA_IRIS = ("https://schema.org", "https://schema.org/", "http://schema.org", "http://schema.org/")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XHTML = "{http://www.w3.org/1999/xhtml}"


def parse_html(text: str) -> Element:
    """Parse a page with html5lib (the WHATWG algorithm) into an ElementTree without namespaces."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    root: Element = parser.parse(text)
    return root


def text_of(element: Element | None) -> str:
    """Return the visible text of an element, whitespace collapsed."""
    assert element is not None, "the element is missing"
    return " ".join("".join(element.itertext()).split())


def embedded_jsonld(root: Element) -> list[Any]:
    """Return the parsed JSON of every ``<script type="application/ld+json">`` of a page."""
    return [
        json.loads(script.text or "")
        for script in root.iter("script")
        if script.get("type") == "application/ld+json"
    ]


@cache
def _schema_context() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCHEMAORG / "schemaorgcontext.jsonld").read_text(encoding="utf-8"))
    return document


def schema_loader(requested: list[str] | None = None) -> Callable[..., dict[str, Any]]:
    """Return a pyld document loader that serves the schema.org context offline and refuses the rest."""

    def load_document(url: str, options: object = None) -> dict[str, Any]:
        if requested is not None:
            requested.append(url)
        if url not in SCHEMA_IRIS:
            raise ValueError(f"the test refuses to fetch {url}")
        return {"contextUrl": None, "documentUrl": url, "document": _schema_context()}

    return load_document


def expand(document: Any) -> list[dict[str, Any]]:
    """Expand JSON-LD with pyld, the schema.org context served from tests/vocab, no network."""
    expanded: list[dict[str, Any]] = jsonld.expand(document, {"documentLoader": schema_loader()})
    return expanded


def to_store(document: Any) -> ox.Store:
    """Convert JSON-LD to RDF with pyld and load the N-Quads into a store, schema.org IRIs as https."""
    nquads = jsonld.to_rdf(document, {"documentLoader": schema_loader(), "format": "application/n-quads"})
    store = ox.Store()
    store.bulk_extend(
        ox.parse(nquads.replace("<http://schema.org/", f"<{SCHEMA}"), format=ox.RdfFormat.N_QUADS)
    )
    return store


def https(iri: str) -> str:
    """Return a schema.org IRI in the https form the vocabulary file uses."""
    return SCHEMA + iri.removeprefix("http://schema.org/") if iri.startswith("http://schema.org/") else iri


@dataclass(frozen=True)
class Vocabulary:
    """The schema.org classes, their superclasses, and each property's domainIncludes."""

    classes: frozenset[str]
    supers: dict[str, frozenset[str]]
    domains: dict[str, frozenset[str]]

    def problems(self, expanded: list[dict[str, Any]], where: str) -> list[str]:
        """Return every type that is not a schema.org class and every property used outside its domain."""
        return [problem for node in _nodes(expanded) for problem in self._check(node, where)]

    def _check(self, node: dict[str, Any], where: str) -> Iterator[str]:
        types = [https(t) for t in node.get("@type", [])]
        for kind in types:
            if kind not in self.classes:
                yield f"{where}: {kind} is not a schema.org class"
        closure = {ancestor for kind in types for ancestor in self.supers.get(kind, {kind})}
        for key in node:
            if key.startswith("@"):
                continue
            prop = https(key)
            if prop not in self.domains:
                yield f"{where}: {prop} is not a schema.org property"
            elif not types:
                yield f"{where}: {prop} is used on a node without a type"
            elif not closure & self.domains[prop]:
                yield f"{where}: {prop} is not in the domain of {', '.join(types)}"


def _nodes(values: Any) -> Iterator[dict[str, Any]]:
    if isinstance(values, list):
        for value in values:
            yield from _nodes(value)
    elif isinstance(values, dict) and "@value" not in values:
        if "@list" in values:
            yield from _nodes(values["@list"])
            return
        yield values
        for key, value in values.items():
            if not key.startswith("@") or key == "@graph":
                yield from _nodes(value)


def _values(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    results = store.query(query)
    assert isinstance(results, ox.QuerySolutions)
    return [tuple(term.value if term is not None else "" for term in row) for row in results]


@cache
def vocabulary() -> Vocabulary:
    """Load schema.org 30.0 from tests/vocab/schemaorg (Turtle, https IRIs)."""
    store = ox.Store()
    store.load(path=SCHEMAORG / "schemaorg-current-https.ttl", format=ox.RdfFormat.TURTLE)
    classes = {c for (c,) in _values(store, f"SELECT ?c {{ ?c a <{RDFS}Class> }}")}
    supers = {
        cls: frozenset(s for (s,) in _values(store, f"SELECT ?s {{ <{cls}> <{RDFS}subClassOf>* ?s }}"))
        for cls in classes
    }
    domains: dict[str, set[str]] = {}
    rdf_property = RDF_TYPE.replace("#type", "#Property")
    query = f"SELECT ?p ?d {{ ?p a <{rdf_property}> OPTIONAL {{ ?p <{SCHEMA}domainIncludes> ?d }} }}"
    for prop, domain in _values(store, query):
        domains.setdefault(prop, set()).update({domain} - {""})
    return Vocabulary(frozenset(classes), supers, {p: frozenset(d) for p, d in domains.items()})


def full_pages(site: Path) -> list[Path]:
    """Return every HTML page of the site (the embeddable snippets are fragments, not pages)."""
    return sorted(p for p in site.rglob("*.html") if not is_fragment(p, site))


def is_fragment(path: Path, site: Path) -> bool:
    """Tell whether an .html file is an embeddable snippet (embed/<kind>/<slug>.html)."""
    relative = path.relative_to(site)
    return relative.parts[0] == "embed" and len(relative.parts) > 2
