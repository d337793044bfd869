"""When two graphs must get the same SHACL report: they differ only in literals the shapes cannot tell apart.

A rebuild after a one-line edit makes a catalogue that differs from the last one only in the
sizes, checksums and modification times of its files. Whether that catalogue conforms to
DCAT-AP, and what the check reports, can be known without running the check again where the
shapes, read as parsed structures (never as text), look at those values only through:

* how many there are (``sh:minCount``, ``sh:maxCount``),
* their datatype and node kind (``sh:datatype``, ``sh:nodeKind``), also through ``sh:node``
  (and the ``sh:shape`` pySHACL ignores) to node shapes that say nothing else, combined with
  ``sh:or``, ``sh:and``, ``sh:xone`` and ``sh:not``,
* words (``sh:message``, ``sh:name``, labels, ``sh:severity``, …).

A predicate is *blind* if it appears in the shapes only as the ``sh:path`` of property shapes
that say nothing else: not in a complex path, not as a target (``sh:targetObjectsOf``), not as
the other side of ``sh:equals``, ``sh:lessThan`` and the like. Shapes with SPARQL or other
programs make nothing blind. For pySHACL's datatype rule a literal is then one of a class:
its datatype, language, whether rdflib finds it ill-typed and the Python type of its value
(what ``DatatypeConstraintComponent`` looks at). :meth:`ValueBlind.key` names a graph with
each literal of a blind predicate replaced by its class (as a multiset, so counts stay); two
graphs with the same key get the same results for the same focus nodes, paths and severities,
and the same values wherever a result names a value that is not such a literal. The caller
keeps a report only if none of its results names a literal (:mod:`publish.dcatap`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

_SH = "http://www.w3.org/ns/shacl#"


def _sh(*names: str) -> frozenset[URIRef]:
    return frozenset(URIRef(_SH + name) for name in names)


_WORDS = frozenset({RDF.type, RDFS.label, RDFS.comment}) | _sh(
    "message", "name", "description", "severity", "order", "group", "deactivated"
)
# What a property shape on a blind predicate may say besides its path
_ON_THE_PATH = _WORDS | _sh("path", "minCount", "maxCount", "datatype", "nodeKind", "node", "shape")
# What a node shape that the values must conform to (sh:node) may say
_ON_A_VALUE = _WORDS | _sh("datatype", "nodeKind", "or", "and", "xone", "not")
_LISTS = _sh("or", "and", "xone")
_NESTED = _sh("node", "shape")  # node shapes the values must conform to (sh:shape: pySHACL ignores it)
_PATH, _NOT = URIRef(_SH + "path"), URIRef(_SH + "not")
# Anything that runs a program over the data: then no predicate is blind
_PROGRAMS = _sh("sparql", "select", "ask", "target", "rule", "js", "jsFunctionName", "jsLibrary")


class ValueBlind:
    """Which predicates' literal values the ``shapes`` (every graph a check runs) cannot tell apart."""

    def __init__(self, *shapes: Graph) -> None:
        self._shapes = shapes
        self._programs = any(next(iter(g.triples((None, p, None))), None) for g in shapes for p in _PROGRAMS)
        self._known: dict[str, bool] = {}

    def blind(self, predicate: str) -> bool:
        """True if no shape looks at ``predicate``'s literal values beyond their count and class."""
        found = self._known.get(predicate)
        if found is None:
            found = not self._programs and all(_blind(g, URIRef(predicate)) for g in self._shapes)
            self._known[predicate] = found
        return found

    def key(self, triples: Iterable[ox.Triple]) -> str:
        """Return a key shared by exactly the graphs that differ only in blind literals of one class."""
        lines = []
        for triple in triples:
            value = triple.object
            if isinstance(value, ox.Literal) and self.blind(triple.predicate.value):
                lines.append(f"{triple.subject} {triple.predicate} {literal_class(value)}")
            else:
                lines.append(f"{triple.subject} {triple.predicate} {value}")
        lines.sort()  # a multiset: two literals of one class on one subject stay two lines
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def literal_class(value: ox.Literal) -> str:
    """Name what pySHACL's datatype rule sees of a literal: datatype, language, ill-typed, value type."""
    language = value.language or ""
    as_rdflib = (
        Literal(value.value, lang=language)
        if language
        else Literal(value.value, datatype=URIRef(value.datatype.value))
    )
    ill = as_rdflib.ill_typed
    return f"[{value.datatype.value} @{language} ill-typed={ill} {type(as_rdflib.value).__name__}]"


def _blind(shapes: Graph, predicate: URIRef) -> bool:
    for shape, said in shapes.subject_predicates(predicate):
        if said != _PATH:
            return False  # a target, a complex path, sh:equals, sh:in, …
        for parameter, value in shapes.predicate_objects(shape):
            if parameter not in _ON_THE_PATH:
                return False
            if parameter in _NESTED and not _on_a_value(shapes, value, set()):
                return False
    return True


def _on_a_value(shapes: Graph, shape: Node, seen: set[Node]) -> bool:
    """True if ``shape``, applied to a literal, looks only at its datatype and node kind."""
    if shape in seen:
        return True
    seen.add(shape)
    for parameter, value in shapes.predicate_objects(shape):
        if parameter not in _ON_A_VALUE:
            return False
        if parameter in _LISTS:
            if not all(_on_a_value(shapes, member, seen) for member in Collection(shapes, value)):
                return False
        elif parameter == _NOT and not _on_a_value(shapes, value, seen):
            return False
    return True
