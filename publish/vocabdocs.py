"""Documentation of the ontology (classes and properties) and of the SHACL shapes, in plain words.

The functions return plain dataclasses for the templates ``ontology.html.j2`` and
``shapes.html.j2``; terms and shapes are listed in the order they are written in their files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .dataset import Location
from .rdf import DCT, OWL, RDF, RDF_TYPE, RDFS, SH, SKOS
from .view import Graph, Link, Value, View, node_key

TERM_KINDS = (
    ("class", OWL + "Class"),
    ("object", OWL + "ObjectProperty"),
    ("datatype", OWL + "DatatypeProperty"),
)
ALIGNMENTS = (RDFS + "subClassOf", RDFS + "subPropertyOf", SKOS + "closeMatch", SKOS + "exactMatch")


@dataclass(frozen=True, slots=True)
class TermDoc:
    """One class or property of the ontology, in both languages, with an example from the data."""

    iri: str
    anchor: str
    curie: str
    kind: str
    labels: Mapping[str, str]
    definitions: Mapping[str, str]
    notes: Mapping[str, str]
    alignments: tuple[Link, ...]
    parents: tuple[Link, ...]
    children: tuple[Link, ...]
    domain: tuple[Link, ...]
    range: tuple[Link, ...]
    used_by: tuple[Link, ...]
    example: tuple[Link, Value | None] | None
    instances: int


@dataclass(frozen=True, slots=True)
class Check:
    """One checked property (a property shape), in plain words."""

    path: str
    path_link: Link | None
    rules: tuple[str, ...]
    severity: str
    message: str | None
    hint: str | None
    shared: Link | None = None
    anchor: str | None = None


@dataclass(frozen=True, slots=True)
class ShapeDoc:
    """One node shape: what it targets, what it checks and how severely."""

    anchor: str
    curie: str
    targets: tuple[Link, ...]
    severity: str
    message: str | None
    hint: str | None
    rules: tuple[str, ...]
    checks: tuple[Check, ...]


def _ordered(graph: Graph, iris: list[str], locations: Mapping[str, Location]) -> list[str]:
    far = Location("~", 0)
    return sorted(iris, key=lambda i: (locations.get(i, far).file, locations.get(i, far).line, i))


def _langs(graph: Graph, iri: str, predicate: str) -> dict[str, str]:
    values = [o for o in graph.objects(iri, predicate) if isinstance(o, ox.Literal) and o.language]
    return {v.language or "": v.value for v in values}


def _rdf_list(
    graph: Graph, head: ox.NamedNode | ox.BlankNode | ox.Literal
) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    items = []
    node = node_key(head)
    while node != RDF + "nil":
        items += graph.objects(node, RDF + "first")
        rest = graph.objects(node, RDF + "rest")
        if not rest:
            break
        node = node_key(rest[0])
    return items


def _curie_link(view: View, term: object) -> list[Link]:
    """Return links for a class expression: a named term, or the members of an owl:unionOf."""
    if isinstance(term, ox.NamedNode):
        href, external = view.href_of(term.value)
        return [Link(view.graph.curie(term.value), href, term.value, external=external)]
    if isinstance(term, ox.BlankNode):
        members = view.graph.objects(node_key(term), OWL + "unionOf")
        return [
            link for m in members for item in _rdf_list(view.graph, m) for link in _curie_link(view, item)
        ]
    return []


def ontology_terms(view: View, locations: Mapping[str, Location]) -> list[TermDoc]:
    """Return every named class and property of our ontology, classes first."""
    graph = view.graph
    namespace = graph.uris.ontology_namespace
    docs = []
    for kind, owl_type in TERM_KINDS:
        iris = [i for i in graph.subjects(RDF_TYPE, owl_type) if i.startswith(namespace)]
        docs += [_term(view, iri, kind) for iri in _ordered(graph, iris, locations)]
    return docs


def _term(view: View, iri: str, kind: str) -> TermDoc:
    graph = view.graph

    def links(predicate: str) -> tuple[Link, ...]:
        return tuple(link for o in graph.objects(iri, predicate) for link in _curie_link(view, o))

    parents = links(RDFS + "subClassOf") + links(RDFS + "subPropertyOf")
    children = tuple(
        _curie_link(view, ox.NamedNode(s))[0]
        for p in (RDFS + "subClassOf", RDFS + "subPropertyOf")
        for s in graph.subjects(p, iri)
    )
    used_by = tuple(
        _curie_link(view, ox.NamedNode(p))[0] for p in sorted(graph.subjects(RDFS + "domain", iri))
    )
    return TermDoc(
        iri=iri,
        anchor=iri.split("#", 1)[1],
        curie=graph.curie(iri),
        kind=kind,
        labels=_langs(graph, iri, RDFS + "label"),
        definitions=_langs(graph, iri, SKOS + "definition"),
        notes=_langs(graph, iri, SKOS + "scopeNote"),
        alignments=tuple(link for link in parents if link.external) + links(SKOS + "closeMatch"),
        parents=tuple(link for link in parents if not link.external),
        children=children,
        domain=links(RDFS + "domain"),
        range=links(RDFS + "range"),
        used_by=used_by,
        example=_example(view, iri, kind),
        instances=len(graph.subjects(RDF_TYPE, iri)) if kind == "class" else _uses(graph, iri),
    )


def _uses(graph: Graph, predicate: str) -> int:
    return sum(len(p.get(predicate, ())) for p in graph.out.values())


def _example(view: View, iri: str, kind: str) -> tuple[Link, Value | None] | None:
    graph = view.graph
    if kind == "class":
        instances = graph.ordered(graph.subjects(RDF_TYPE, iri), view.lang)
        return (view.link(instances[0]), None) if instances else None
    for subject in sorted(graph.out):
        values = graph.out[subject].get(iri)
        if values and graph.uris.is_resource(subject):
            chosen = [v for v in values if not isinstance(v, ox.Literal) or v.language in (None, view.lang)]
            return view.link(subject), view.value((chosen or values)[0])
    return None


def ontology_metadata(view: View, ontology: str) -> list[tuple[str, list[Value]]]:
    """Return the ontology's own metadata as (label, values) rows."""
    graph = view.graph
    rows = []
    for predicate in (
        OWL + "versionIRI",
        OWL + "versionInfo",
        DCT + "publisher",
        DCT + "license",
        DCT + "modified",
        DCT + "source",
        "http://purl.org/vocab/vann/preferredNamespacePrefix",
    ):
        values = [view.value(o) for o in graph.objects(ontology, predicate)]
        if values:
            rows.append((view.property_label(predicate), values))
    return rows


# ---------------------------------------------------------------- shapes


def shape_docs(
    view: View, shapes: Graph, locations: Mapping[str, Location]
) -> tuple[list[ShapeDoc], list[Check]]:
    """Return the node shapes and the shared (named) property shapes, in file order."""
    named = [s for s in shapes.subjects(RDF_TYPE, SH + "NodeShape") if not s.startswith("_:")]
    shared = [s for s in shapes.subjects(RDF_TYPE, SH + "PropertyShape") if not s.startswith("_:")]
    nodes = [_node_shape(view, shapes, s) for s in _ordered(shapes, named, locations)]
    checks = [_check(view, shapes, s, anchor=True) for s in _ordered(shapes, shared, locations)]
    return nodes, checks


def _severity(shapes: Graph, key: str) -> str:
    found = shapes.iris(key, SH + "severity")
    return found[0].rsplit("#", 1)[-1] if found else "Violation"


def _text(view: View, shapes: Graph, key: str, predicate: str) -> str | None:
    found = shapes.literal(key, predicate, view.lang)
    return found.value if found else None


def _node_shape(view: View, shapes: Graph, iri: str) -> ShapeDoc:
    targets = tuple(view.link(t) for t in shapes.iris(iri, SH + "targetClass"))
    checks = tuple(
        sorted(
            (_check(view, shapes, node_key(p)) for p in shapes.objects(iri, SH + "property")),
            key=lambda check: (check.path, check.rules),
        )
    )
    return ShapeDoc(
        anchor=iri.split("#", 1)[-1],
        curie=shapes.curie(iri),
        targets=targets,
        severity=_severity(shapes, iri),
        message=_text(view, shapes, iri, SH + "message"),
        hint=_text(view, shapes, iri, RDFS + "comment"),
        rules=tuple(_rules(view, shapes, iri)),
        checks=checks,
    )


def _check(view: View, shapes: Graph, key: str, *, anchor: bool = False) -> Check:
    path_words, path_link = _path(view, shapes, key)
    shared = None
    if not key.startswith("_:") and not anchor:
        shared = Link(shapes.curie(key), view.page_href("shapes", fragment=key.split("#", 1)[-1]), key)
    return Check(
        path=path_words,
        path_link=path_link,
        rules=tuple(_rules(view, shapes, key)),
        severity=_severity(shapes, key),
        message=_text(view, shapes, key, SH + "message"),
        hint=_text(view, shapes, key, RDFS + "comment"),
        shared=shared,
        anchor=key.split("#", 1)[-1] if anchor else None,
    )


def _path(view: View, shapes: Graph, key: str) -> tuple[str, Link | None]:
    paths = shapes.objects(key, SH + "path")
    if not paths:
        return "", None
    path = paths[0]
    if isinstance(path, ox.NamedNode):
        return shapes.curie(path.value), view.link(path.value)
    inverse = shapes.iris(node_key(path), SH + "inversePath")
    if inverse:
        words = view.text["rules"]["inverse"].format(path=shapes.curie(inverse[0]))
        return words, view.link(inverse[0])
    return view.text["anonymous"], None


def _rules(view: View, shapes: Graph, key: str) -> list[str]:
    """Describe the constraints of one shape in plain words."""
    words = view.text["rules"]
    rules = []
    least, most = _count(shapes, key, "minCount"), _count(shapes, key, "maxCount")
    if least is not None and least == most:
        rules.append(words["exactly"].format(n=least))
    else:
        rules += [words["min"].format(n=least)] if least else []
        rules += [words["max"].format(n=most)] if most is not None else []
    for datatype in shapes.iris(key, SH + "datatype"):
        rules.append(words["datatype"].format(datatype=shapes.curie(datatype)))
    for cls in shapes.iris(key, SH + "class"):
        rules.append(
            words["class"].format(label=view.graph.label(cls, view.lang).value, curie=shapes.curie(cls))
        )
    for kind in shapes.iris(key, SH + "nodeKind"):
        rules.append(words["node_kind"].format(kind=words["kinds"][kind.rsplit("#", 1)[-1]]))
    for head in shapes.objects(key, SH + "languageIn"):
        rules.append(words["language_in"].format(langs=", ".join(v.value for v in _rdf_list(shapes, head))))
    if any(v.value == "true" for v in shapes.objects(key, SH + "uniqueLang")):
        rules.append(words["unique_lang"])
    for head in shapes.objects(key, SH + "in"):
        values = ", ".join(shapes.curie(node_key(v)) for v in _rdf_list(shapes, head))
        rules.append(words["in"].format(values=values))
    for inner in shapes.objects(key, SH + "qualifiedValueShape"):
        low, high = _count(shapes, key, "qualifiedMinCount"), _count(shapes, key, "qualifiedMaxCount")
        what = "; ".join(_rules(view, shapes, node_key(inner)))
        if low is not None:
            rules.append(words["qualified_min"].format(n=low, what=what))
        if high is not None:
            rules.append(words["qualified_max"].format(n=high, what=what))
    for name in ("or", "xone"):
        for head in shapes.objects(key, SH + name):
            options = [_option(view, shapes, node_key(o)) for o in _rdf_list(shapes, head)]
            rules.append(words[name].format(options=" | ".join(options)))
    for node in shapes.iris(key, SH + "node"):
        rules.append(words["node"].format(shape=shapes.curie(node)))
    for sparql in shapes.objects(key, SH + "sparql"):
        message = _text(view, shapes, node_key(sparql), SH + "message") or ""
        rules.append(words["sparql"].format(message=message))
    return rules


def _option(view: View, shapes: Graph, key: str) -> str:
    path, _ = _path(view, shapes, key)
    described = "; ".join(_rules(view, shapes, key))
    return f"{path}: {described}" if path else described


def _count(shapes: Graph, key: str, name: str) -> int | None:
    values = shapes.objects(key, SH + name)
    return int(values[0].value) if values else None
