"""Run a SHACL engine and read its report: the one place both checks (validate.py, dcatap.py) share.

Two engines give the same report on our shapes (tests/test_shacl_engines.py compares them on
the real data, the bad-data corpus and a generated 10k project): ``turbo``, pyshacl-turbo's Rust
engine (the data check's default), and ``pyshacl``, pySHACL itself, the reference (and the
catalogue check's engine: dcatap.py says why). Both answer with a results graph in rdflib.
pySHACL wants the data as an rdflib graph, so our pyoxigraph triples are copied into one;
pyshacl-turbo reads them as N-Triples text in its own parser. This module runs either with
fixed settings, reads each result into a :class:`Result` of plain values,
writes RDF terms short for people (``skos:prefLabel``, ``^dct:hasPart``), counts findings by
severity and lays out the JSON both checks print.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.query import Processor
from rdflib.query import Result as QueryResult
from rdflib.term import Identifier, Node

from .config import SHACL_ENGINES
from .errors import UsageError

if TYPE_CHECKING:
    from rdflib.plugins.sparql.sparql import Query

SEVERITIES = ("Violation", "Warning", "Info")
# The fixed settings both engines run with (pyshacl-turbo takes pySHACL's keywords): no
# inference, no ontology graph, every severity, no SHACL-AF, no imports, no JavaScript.
_SETTINGS: dict[str, Any] = {
    "ont_graph": None,
    "inference": "none",
    "abort_on_first": False,
    "allow_infos": True,
    "allow_warnings": True,
    "advanced": False,
    "do_owl_imports": False,
    "js": False,
}


class EngineRefused(Exception):  # noqa: N818 - reads as what happened
    """The engine could not use the shapes (a SPARQL text it cannot parse, …); its words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
            graph.add(
                (rdflib_term(triple.subject), rdflib_term(triple.predicate), rdflib_term(triple.object))
            )
    return graph


def rdflib_term(term: object) -> URIRef | BNode | Literal:
    """Return a pyoxigraph term as the rdflib term it is (a blank node keeps its label)."""
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


class PreparedQueries(Graph):
    """The same triples as a graph (its store shared, not copied), SPARQL text parsed once per text.

    pySHACL runs a SPARQL-based constraint as ``graph.query(text, initBindings={"this": focus})``
    for every focus node: the text is the same for every focus node of a shape (only ``$PATH``
    is written into it; ``$this`` is bound through initBindings), and rdflib parses and
    translates it again each time — most of the cost of validating. Here each distinct
    (text, namespaces, base) is prepared once, as ``rdflib.plugins.sparql.prepareQuery`` does,
    and the prepared Query is handed to ``Graph.query``: rdflib's documented way to run one
    query many times with different initBindings. Why the report cannot change:

    * the key holds everything rdflib's parse depends on (the exact text, the namespaces
      ``Graph.query`` would pass, the base), and the parse is what rdflib itself runs for text
      (``translateQuery(parseQuery(text), base, initNs)``);
    * evaluating a prepared Query does not change it (``evalQuery`` reads its algebra into a
      fresh QueryContext per call);
    * nothing global changes: rdflib and pySHACL are not patched; only pySHACL's queries on
      this object, for one run, are affected. Anything but SPARQL text is passed on as is.
    """

    _LIMIT = 1024  # prepared queries kept: pySHACL writes a few texts per shape, not per node

    def __init__(self, data: Graph) -> None:
        super().__init__(store=data.store, identifier=data.identifier, bind_namespaces="none")
        self._prepared: dict[tuple[str, tuple[tuple[str, Any], ...], Any], Query] = {}

    def query(
        self,
        query_object: str | Query,
        processor: str | Processor = "sparql",
        result: str | type[QueryResult] = "sparql",
        initNs: Mapping[str, Any] | None = None,  # noqa: N803 - rdflib's names
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> QueryResult:
        """Run a query as ``Graph.query`` does, SPARQL text prepared once per (text, namespaces, base)."""
        if isinstance(query_object, str) and processor == "sparql":
            initNs = initNs or dict(self.namespaces())  # noqa: N806 - what Graph.query uses
            query_object = self._prepare(query_object, initNs, kwargs.get("base"))
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )

    def _prepare(self, text: str, namespaces: Mapping[str, Any], base: Any) -> Query:
        from rdflib.plugins.sparql.processor import prepareQuery  # the SPARQL parser: costly import

        key = (text, tuple(namespaces.items()), base)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = prepareQuery(text, initNs=namespaces, base=base)
            if len(self._prepared) < self._LIMIT:
                self._prepared[key] = prepared
        return prepared


def run(triples: Iterable[ox.Triple | ox.Quad], shapes: Graph, *, engine: str) -> Graph:
    """Validate the triples against the shapes with one engine (``SHACL_ENGINES``); the report graph.

    Our fixed settings: no inference, no imports, every result, warnings and infos allowed. An
    engine that cannot use the shapes raises :class:`EngineRefused` with its message.
    """
    if engine not in SHACL_ENGINES:
        known = ", ".join(SHACL_ENGINES)
        raise UsageError(f"unknown SHACL engine {engine!r}; choose {known}", parameter="shacl_engine")
    if engine == "turbo":
        return run_turbo(triples, shapes)
    from pyshacl.errors import ReportableRuntimeError  # costly import: only when validating

    data = to_rdflib(triples)
    try:
        return run_shacl(data, shapes, check_shapes=False)
    except ReportableRuntimeError as exc:
        raise EngineRefused(str(exc.message)) from None
    except Exception as exc:  # noqa: BLE001 - pySHACL raises what its parsers raise (pyparsing, …)
        raise EngineRefused(f"{type(exc).__name__}: {exc}") from None


def run_turbo(triples: Iterable[ox.Triple | ox.Quad], shapes: Graph) -> Graph:
    """Run pyshacl-turbo with the settings of :func:`run_shacl`; the report graph.

    The data goes in as N-Triples text written by pyoxigraph, read by pyshacl-turbo's own parser
    (its ``Input`` record, which its ``validate`` accepts as data): no rdflib copy of the data.
    Not a pyoxigraph Store, although pyshacl-turbo takes one: a Store keeps
    ``"1"^^xsd:positiveInteger`` as ``"1"^^xsd:integer``, which sh:datatype would then refuse.
    Blank nodes keep their labels (``preserve_ids``), so a result about one names the data's node.
    """
    from pyshacl_turbo import ReportableRuntimeError, ValidationFailure
    from pyshacl_turbo import validate as turbo_validate
    from pyshacl_turbo.rdf import Input

    _return_freed_memory()
    data = Input(ascii_ntriples(triples), "nt", None, {}, preserve_ids=True)
    try:
        _, results, text = turbo_validate(data, shacl_graph=shapes, meta_shacl=False, **_SETTINGS)
    except (ReportableRuntimeError, ValidationFailure) as exc:
        raise EngineRefused(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - its shape compiler raises ValueError for bad SPARQL
        raise EngineRefused(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(results, Graph):  # a failure it returns rather than raises
        raise EngineRefused(str(text).removeprefix("Validation Failure - "))
    return results


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NT = ox.RdfFormat.N_TRIPLES
_BATCH = 65_536  # triples serialised at a time


def ascii_ntriples(triples: Iterable[ox.Triple | ox.Quad]) -> str:
    """Return the triples as N-Triples in one ASCII string: other characters as ``\\uXXXX`` escapes.

    The same triples (N-Triples reads an escape as its character), in the least memory: an ASCII
    str takes a byte per character and hands the Rust parser its own buffer, where one "–" in a
    label makes Python store every character in two bytes and keep a UTF-8 copy for Rust too
    (at 1M triples: 150 MB instead of about 450 MB). Written a batch at a time, so the whole text
    is never held twice.
    """
    pieces: list[str] = []
    iterator = iter(triples)
    # A generator per batch, not a list: a million short-lived triples in lists cost the
    # garbage collector more than writing them (1.2 s against 0.6 s at 1M).
    while batch := ox.serialize((_triple(t) for t in itertools.islice(iterator, _BATCH)), format=_NT):
        text = batch.decode("utf-8")
        pieces.append(text if text.isascii() else _NON_ASCII.sub(_escape, text))
    return "".join(pieces)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _return_freed_memory() -> None:
    """Give the memory freed so far back to the system, where the C library allows (glibc).

    Loading a project frees about half of what it allocated (at 1M triples, 1.3 of 2.6 GB),
    but glibc keeps freed memory for later, and pyshacl-turbo's own copy of the data (about
    630 MB at 1M) mostly comes from fresh pages. Returned first, the check stays below the
    load's own peak (2.8 GB) instead of adding to it. Elsewhere (macOS, musl) nothing happens.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return


def _triple(triple: ox.Triple | ox.Quad) -> ox.Triple:
    return triple.triple if isinstance(triple, ox.Quad) else triple


def check_shapes(shapes: Graph, *, engine: str) -> Graph | None:
    """Check the shapes against SHACL-for-SHACL: None if they pass, else pySHACL's report.

    With ``turbo``, pyshacl-turbo decides whether they pass, and pySHACL checks only shapes it
    fails: SHACL-for-SHACL has no sh:message, so the report's words are each engine's own, and
    people read pySHACL's ("Value is not Literal with datatype xsd:integer"). The verdict is
    pySHACL's too, so a shape pyshacl-turbo alone refused would pass.
    """
    if engine == "turbo" and meta_conforms(shapes, engine="turbo"):
        return None
    from pyshacl.entrypoints import meta_validate  # costly import: only when needed

    conforms, results, _ = meta_validate(shapes, inference="none", allow_warnings=True)
    if conforms:
        return None
    assert isinstance(results, Graph)
    return results


def meta_conforms(shapes: Graph, *, engine: str) -> bool:
    """Tell whether one engine finds the shapes valid against SHACL-for-SHACL (warnings allowed)."""
    if engine == "turbo":
        from pyshacl_turbo import meta_validate as turbo_meta_validate

        # Untyped in pyshacl-turbo 0.6.5 (its validate is typed, through a decorator).
        conforms, _, _ = turbo_meta_validate(  # type: ignore[no-untyped-call]
            shapes, inference="none", allow_warnings=True
        )
    else:
        from pyshacl.entrypoints import meta_validate

        conforms, _, _ = meta_validate(shapes, inference="none", allow_warnings=True)
    return bool(conforms)


def run_shacl(data: Graph, shapes: Graph, *, check_shapes: bool, prepared: bool = True) -> Graph:
    """Run pySHACL with our fixed settings: no inference, no imports, every result; the report.

    ``check_shapes`` first checks the shapes against SHACL-for-SHACL. ``prepared`` (the default)
    lets pySHACL query the data through :class:`PreparedQueries`, which parses each SPARQL
    constraint once per run instead of once per focus node; ``prepared=False`` is pySHACL as
    shipped (the tests compare the two reports).
    """
    from pyshacl import validate as shacl_validate  # costly import: only when validating

    target = PreparedQueries(data) if prepared else data
    _, results, _ = shacl_validate(target, shacl_graph=shapes, meta_shacl=check_shapes, **_SETTINGS)
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
