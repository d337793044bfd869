"""Run pySHACL and read its report: the one place both checks (validate.py, dcatap.py) share.

pySHACL wants rdflib graphs and answers with a results graph. This module copies our
pyoxigraph triples into rdflib, runs pySHACL with fixed settings, reads each result into a
:class:`Result` of plain values, writes RDF terms short for people (``skos:prefLabel``,
``^dct:hasPart``), counts findings by severity and lays out the JSON both checks print.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True, slots=True)
class Result:
    """One ``sh:ValidationResult`` of a results graph, its parts as the graph holds them."""

    node: Node
    severity: str
    focus: Node | None
    path: Node | None
    value: Node | None
    shape: Node | None
    component: str
    constraint: Node | None
    messages: tuple[Node, ...]


class Graded(Protocol):
    """Anything with a severity: the findings of either check."""

    @property
    def severity(self) -> str:
        """Return 'Violation', 'Warning' or 'Info'."""
        ...


def to_rdflib(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """Copy pyoxigraph triples into a new rdflib Graph (pySHACL needs rdflib)."""
    graph = Graph(bind_namespaces="none")
    with warnings.catch_warnings():
        # An ill-typed literal is the shapes' business (sh:datatype reports it), not a crash.
        warnings.simplefilter("ignore")
        for triple in triples:
            graph.add((_term(triple.subject), _term(triple.predicate), _term(triple.object)))
    return graph


def _term(term: object) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported RDF term {term!r}")


def run_shacl(data: Graph, shapes: Graph, *, check_shapes: bool) -> Graph:
    """Run pySHACL with our fixed settings: no inference, no imports, every result; the report.

    ``check_shapes`` first checks the shapes against SHACL-for-SHACL.
    """
    from pyshacl import validate as shacl_validate  # costly import: only when validating

    _, results, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=check_shapes,
        advanced=False,
        do_owl_imports=False,
        js=False,
    )
    assert isinstance(results, Graph)
    return results


def read_results(results: Graph, *, nested: bool) -> list[Result]:
    """Read the results of a report graph.

    pySHACL also types the details of a failed ``sh:node`` as results, with the inner shape's
    severity; ``nested=False`` keeps only the report's own ``sh:result``s.
    """
    if nested:
        nodes = list(results.subjects(RDF.type, SH.ValidationResult))
    else:
        nodes = [
            node
            for report in results.subjects(RDF.type, SH.ValidationReport)
            for node in results.objects(report, SH.result)
        ]
    return [_read(node, results) for node in nodes]


def _read(node: Node, results: Graph) -> Result:
    component = str(results.value(node, SH.sourceConstraintComponent) or "")
    return Result(
        node=node,
        severity=str(results.value(node, SH.resultSeverity)).rsplit("#", 1)[-1],
        focus=results.value(node, SH.focusNode),
        path=results.value(node, SH.resultPath),
        value=results.value(node, SH.value),
        shape=results.value(node, SH.sourceShape),
        component=component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
        constraint=results.value(node, SH.sourceConstraint),
        messages=tuple(results.objects(node, SH.resultMessage)),
    )


def curie(term: object, prefixes: Mapping[str, str], graph: Graph) -> str:
    """Write a term short: an IRI as ``prefix:name`` (else ``<iri>``), ``^path`` for an inverse path."""
    if isinstance(term, URIRef):
        for name, namespace in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            if str(term).startswith(namespace) and str(term) != namespace:
                return f"{name}:{str(term)[len(namespace) :]}"
        return f"<{term}>"
    if isinstance(term, BNode):
        inverse = graph.value(term, SH.inversePath)
        return f"^{curie(inverse, prefixes, graph)}" if inverse is not None else "[…]"
    if isinstance(term, Literal):
        return f'"{term}"' + (f"@{term.language}" if term.language else "")
    return str(term)


def count(findings: Iterable[Graded], severity: str) -> int:
    """Count the findings of one severity."""
    return sum(1 for finding in findings if finding.severity == severity)


def conforms(findings: Sequence[Graded]) -> bool:
    """Tell whether there is no violation (warnings and infos allowed)."""
    return count(findings, "Violation") == 0


def json_text(findings: Sequence[Graded], results: list[dict[str, object]], **extra: object) -> str:
    """Lay out a report as JSON: conforms, the counts, any ``extra`` counts, then one object per result."""
    body = {
        "conforms": conforms(findings),
        "violations": count(findings, "Violation"),
        "warnings": count(findings, "Warning"),
        **extra,
        "results": results,
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A check's report written for people, and whether the check passed."""

    text: str
    passed: bool
