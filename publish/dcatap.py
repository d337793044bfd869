"""Check a catalogue against the official DCAT-AP 3.0.1 shapes, offline, and report in plain words.

Two checks, as the EU's DCAT-AP validator combines the official files (``vocab/dcat-ap-3.0.1``,
copied unchanged from SEMICeu/DCAT-AP release 3.0.1):

1. **DCAT-AP 3.0.1 "Full"**: ``shapes.ttl`` (mandatory properties, cardinalities, node kinds),
   ``range.ttl`` (classes of the values), ``shapes_recommended.ttl`` (a warning for every missing
   recommended property: data.europa.eu's quality score counts them) and ``deprecateduris.ttl``,
   run on the catalogue alone, without inference.
2. **Controlled vocabularies**: ``mdr-vocabularies.shape.ttl`` run on the catalogue plus the used
   concepts of the EU authority tables (``vocab/eu-nal/used-concepts.ttl``, extracted from the
   official tables), so a value passes only if the table itself lists it in its scheme.

One erratum is applied to the second check, in memory: the official rule for checksum
algorithms requires IRIs that start with ``https://spdx.org/rdf/terms``, but SPDX's algorithm
IRIs are ``http://spdx.org/rdf/terms#checksumAlgorithm_…`` (DCAT-AP's own examples and earlier
releases use them); the rule is widened to ``^https?://spdx.org/rdf/terms``. The catalogue itself
names SHA-256 in the ``https`` form (``catalog.CHECKSUM_ALGORITHM``), so the official rule as
published passes it too; the erratum keeps SPDX's own form acceptable here.

Expected warnings of the second check: DCAT-AP suggests the EU corporate-body table for
publishers, "for European institutions and a small set of international organisations"; a
national authority such as the Danish Board of Business Development is not in it, so the rule
warns about every ``dct:publisher``. These are reported, and marked as expected.

Both checks run on pySHACL, whatever the config's ``shacl_engine`` (which the data check uses):
pyshacl-turbo 0.6.5 refuses ``shapes.ttl`` ("Unsupported feature: sh:shape", a term that is not
SHACL and that pySHACL ignores), and where an official constraint has no ``sh:message`` (the
``sh:hasValue`` of the corporate-body rule, …) it words the result its own way, so the report
would differ from pySHACL's. The catalogue is small (a few hundred triples): 0.3 s of CPU.
tests/test_shacl_engines.py checks both reasons, so a release of pyshacl-turbo that lifts them
shows up.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from . import children, shacl
from .errors import BuildError, LoadError, UsageError, ValidationFailed
from .euvocab import eu_concepts
from .i18n import Messages, load_messages
from .shacl import read_results, run_shacl, to_rdflib
from .valueblind import ValueBlind

FULL_SET = ("shapes.ttl", "range.ttl", "shapes_recommended.ttl", "deprecateduris.ttl")
VOCABULARY_SET = ("mdr-vocabularies.shape.ttl",)
CHECKS = ("dcat-ap", "vocabularies")
_R5R = "http://data.europa.eu/r5r#"
_SPDX_PATTERN = ("^https://spdx.org/rdf/terms", "^https?://spdx.org/rdf/terms")
_CORPORATE_BODY = URIRef(_R5R + "CorporateBodyRestriction")
_DCT_PUBLISHER = URIRef("http://purl.org/dc/terms/publisher")


@dataclass(frozen=True, slots=True)
class CatalogFinding:
    """One result of a check, in plain words."""

    check: str
    severity: str
    focus: str
    path: str | None
    value: str | None
    rule: str  # the key of its text in the message files' [dcatap.explain]
    words: tuple[tuple[str, str], ...]  # the values that text names
    expected: bool


@dataclass(frozen=True, slots=True)
class CatalogReport:
    """The findings of both checks."""

    findings: tuple[CatalogFinding, ...]

    def count(self, severity: str, check: str | None = None, *, expected: bool | None = None) -> int:
        """Count findings of one severity (in one check; expected ones or not)."""
        return shacl.count(
            (
                f
                for f in self.findings
                if (check is None or f.check == check) and (expected is None or f.expected == expected)
            ),
            severity,
        )

    @property
    def conforms(self) -> bool:
        """Tell whether neither check found a violation."""
        return shacl.conforms(self.findings)


def shapes_graph(names: Iterable[str]) -> Graph:
    """Return the official shapes files merged into one new graph."""
    graph = Graph(bind_namespaces="none")
    for name in names:
        graph += _official(name)
    return graph


@functools.cache
def _official(name: str) -> Graph:
    body = (resources.files("publish") / "vocab" / "dcat-ap-3.0.1" / name).read_bytes()
    return Graph(bind_namespaces="none").parse(data=body, format="turtle")


@functools.lru_cache(maxsize=1)
def _table_concepts() -> Graph:
    # The same concepts the catalogue states, read by the one reader in catalog.py.
    return to_rdflib(eu_concepts())


def vocabulary_shapes() -> Graph:
    """Return the official controlled-vocabulary shapes with the checksum-algorithm erratum applied."""
    graph = shapes_graph(VOCABULARY_SET)
    wrong, right = (Literal(p) for p in _SPDX_PATTERN)
    subjects = list(graph.subjects(SH.pattern, wrong))
    if subjects != [URIRef(_R5R + "ChecksumAlgorithmRestriction")]:
        raise BuildError(
            "the packaged mdr-vocabularies.shape.ttl changed: review the SPDX erratum in dcatap.py"
        )
    graph.remove((subjects[0], SH.pattern, wrong))
    graph.add((subjects[0], SH.pattern, right))
    return graph


def check_catalog(triples: Iterable[ox.Triple]) -> CatalogReport:
    """Run both checks on a catalogue graph and return the findings."""
    catalog = to_rdflib(triples)
    with_tables = Graph(bind_namespaces="none")
    with_tables += catalog
    with_tables += _table_concepts()
    findings = [
        *_run("dcat-ap", catalog, shapes_graph(FULL_SET)),
        *_run("vocabularies", with_tables, vocabulary_shapes()),
    ]
    findings.sort(key=lambda f: (f.check, f.severity != "Violation", f.focus, f.path or "", f.value or ""))
    return CatalogReport(tuple(findings))


def check_site(site: Path) -> CatalogReport:
    """Check the catalogue a build wrote into ``site`` (catalog.ttl)."""
    path = site / "catalog.ttl"
    if not path.is_file():
        raise LoadError("no catalogue here; run `klyngedata build` first", file=str(path))
    try:
        triples = [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        raise LoadError(f"invalid Turtle: {exc.msg}", file=str(path), line=exc.lineno) from None
    return check_catalog(triples)


def require_conformance(triples: Iterable[ox.Triple], *, where: str) -> None:
    """Raise ValidationFailed, listing the violations, unless the catalogue conforms.

    Inside :func:`deferred`, the check runs in a child process and this returns at once; the
    verdict is given (and raised) by the block's :meth:`Verdicts.wait`. Where verdicts are kept
    (:func:`keep_verdicts`), a catalogue that only the values of its sizes, checksums and times
    tell apart from one checked before gets that check's report at once.
    """
    triples = list(triples)
    key = _KEPT.key(triples)
    kept = _KEPT.get(key)
    if kept is not None:
        _verdict(kept, where)
        return
    pending = _OPEN[-1] if _OPEN else None
    if pending is not None and pending.start(triples, where, key):
        return
    report = check_catalog(triples)
    _KEPT.keep(key, report)
    _verdict(report, where)


class _Kept:
    """The reports of the last catalogues checked, by :class:`~publish.valueblind.ValueBlind` key;
    off (no key, nothing kept) until :func:`keep_verdicts` turns it on in a process."""

    limit = 8

    def __init__(self) -> None:
        self.sameness: ValueBlind | None = None
        self.reports: OrderedDict[str, CatalogReport] = OrderedDict()

    def key(self, triples: list[ox.Triple]) -> str:
        return self.sameness.key(triples) if self.sameness is not None else ""

    def get(self, key: str) -> CatalogReport | None:
        return self.reports.get(key) if key else None

    def keep(self, key: str, report: CatalogReport) -> None:
        """Keep a report whose findings name no literal (those would name the old values)."""
        if not key or any(f.value is not None and f.value.startswith('"') for f in report.findings):
            return
        self.reports[key] = report
        while len(self.reports) > self.limit:
            self.reports.popitem(last=False)


_KEPT = _Kept()


def keep_verdicts() -> None:
    """In a process that builds many times (``serve --watch``'s builder): load the check once (the
    children it forks for the checks inherit it) and keep the verdicts (:func:`require_conformance`)."""
    load_check()
    if _KEPT.sameness is None:
        _KEPT.sameness = ValueBlind(shapes_graph(FULL_SET), vocabulary_shapes())


def _verdict(report: CatalogReport, where: str) -> None:
    if not report.conforms:
        raise ValidationFailed(
            f"{where} does not conform to DCAT-AP 3.0.1; nothing was published.\n"
            + format_text(report, lang="en")
        )


class Verdicts:
    """Catalogue checks running in forked child processes while the build goes on.

    pySHACL costs most of the catalogue's CPU; what it answers only decides whether the new site
    is swapped in, so a build asks for the verdict just before the swap (``write_site``'s
    ``before_swap``). Where a child cannot be forked (no ``os.fork``, or other threads running,
    which a fork could deadlock) the check runs at once, as outside the block.
    """

    def __init__(self) -> None:
        self._children: list[tuple[Any, Any, str, list[ox.Triple], str]] = []
        self._ready: tuple[Any, Any] | None = None  # a child that has the check loaded (prepare)

    def prepare(self) -> None:
        """Fork, now, a child that loads what a check needs (pySHACL, the official shapes and
        tables: about a second) while the build makes its files; the first :meth:`start` hands
        it the catalogue. Nothing happens where no child can be forked."""
        if self._ready is not None or not children.can_fork():
            return
        self._ready = children.fork(_prepared_child)

    def start(self, triples: list[ox.Triple], where: str, key: str = "") -> bool:
        """Start checking ``triples`` in a child (its report kept under ``key``, if any, when it
        comes); False where that cannot be done."""
        if self._ready is not None:
            (child, connection), self._ready = self._ready, None
            try:  # N-Triples text: the child parses it with the same reader
                connection.send_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
            except OSError:  # the child is gone: check here when waited for
                pass
            self._children.append((child, connection, where, triples, key))
            return True
        if not children.can_fork():
            return False
        child, reading = children.fork(_forked_check, triples)
        self._children.append((child, reading, where, triples, key))
        return True

    def wait(self) -> None:
        """Wait for every check; raise ValidationFailed (or the check's error) for the first that fails."""
        while self._children:
            child, reading, where, triples, key = self._children.pop(0)
            answer = children.receive(child, reading)  # None: the child died, check here instead
            if isinstance(answer, Exception):
                raise answer
            report = answer if isinstance(answer, CatalogReport) else check_catalog(triples)
            _KEPT.keep(key, report)
            _verdict(report, where)

    def abandon(self) -> None:
        """Stop the checks not waited for (the build failed otherwise), and an unused prepared child."""
        if self._ready is not None:
            child, connection = self._ready
            self._ready = None
            self._children.append((child, connection, "", [], ""))
        for child, reading, *_ in self._children:
            children.stop(child, reading)
        self._children.clear()


def load_check() -> None:
    """Load what :func:`check_catalog` needs, so that the check itself is all that is left: in a
    process that builds many times (``serve --watch``'s builder) once, and the children it forks
    for the checks inherit it."""
    import pyshacl  # noqa: F401  (its import is most of the cost)

    for name in (*FULL_SET, *VOCABULARY_SET):
        _official(name)
    _table_concepts()


def _prepared_child(connection: Any, parent: int, parents_end: Any) -> None:
    """In a child forked early (:meth:`Verdicts.prepare`): load the check, then check the
    catalogue the parent sends as N-Triples. A closed pipe (the parent ended) ends it."""
    if not children.bind_to_parent(parent, parents_end):
        return
    try:
        try:
            load_check()
        except Exception:  # noqa: BLE001 - loaded again by the check, which reports the error
            pass
        body = connection.recv_bytes()
    except (EOFError, OSError):
        return
    triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)] if body else []
    _check_and_answer(triples, connection, parent)


def _forked_check(triples: list[ox.Triple], connection: Any, parent: int, parents_end: Any) -> None:
    """In a child forked with the catalogue (:meth:`Verdicts.start` without a prepared child)."""
    if children.bind_to_parent(parent, parents_end):
        _check_and_answer(triples, connection, parent)


def _check_and_answer(triples: list[ox.Triple], connection: Any, parent: int) -> None:
    """Check in the child process and send the report, or the error, to the parent."""
    try:
        found: object = check_catalog(triples)
    except Exception as exc:  # raised in the parent
        found = exc
    children.answer(connection, found, parent)  # None if unsendable: the parent checks again


_OPEN: list[Verdicts] = []


@contextmanager
def deferred() -> Iterator[Verdicts]:
    """Inside the block, :func:`require_conformance` checks in the background; call ``wait()``."""
    verdicts = Verdicts()
    _OPEN.append(verdicts)
    try:
        yield verdicts
    finally:
        _OPEN.remove(verdicts)
        verdicts.abandon()


def _run(check: str, data: Graph, shapes: Graph) -> list[CatalogFinding]:
    with warnings.catch_warnings():
        # The official files use a few non-SHACL terms (sh:shape); warnings about them are noise.
        warnings.simplefilter("ignore")
        results = run_shacl(data, shapes, check_shapes=False)
    return [_finding(check, result, results, shapes) for result in read_results(results, nested=False)]


def _finding(check: str, result: shacl.Result, results: Graph, shapes: Graph) -> CatalogFinding:
    path, shape = result.path, result.shape
    nodes = set(shapes.objects(shape, SH.node)) if shape is not None else set()
    expected = check == "vocabularies" and path == _DCT_PUBLISHER and _CORPORATE_BODY in nodes
    rule, words = _explain(result, shapes, results)
    return CatalogFinding(
        check=check,
        severity=result.severity,
        focus=str(result.focus),
        path=None if path is None else _short(path, results),
        value=None if result.value is None else _short(result.value, results),
        rule=rule,
        words=tuple(sorted(words.items())),
        expected=expected,
    )


def _explain(result: shacl.Result, shapes: Graph, results: Graph) -> tuple[str, dict[str, str]]:
    """Say what is wrong and what to do: the key of the text in ``[dcatap.explain]``, and its values."""
    component, shape = result.component, result.shape
    words = {
        "prop": _short(result.path, results) if result.path is not None else "?",
        "value": _short(result.value, results),
    }
    if component == "MinCount":
        return ("missing_required" if result.severity == "Violation" else "missing_recommended"), words
    if component == "MaxCount":
        return "too_many", {**words, "limit": str(shapes.value(shape, SH.maxCount))}
    if component == "Class":
        return "class", {**words, "cls": _short(shapes.value(shape, SH["class"]), shapes)}
    if component == "Datatype":
        return "datatype", {**words, "datatype": _short(shapes.value(shape, SH.datatype), shapes)}
    if component == "NodeKind":
        return "node_kind", {**words, "kind": _short(shapes.value(shape, SH.nodeKind), shapes)}
    rule = str(shapes.value(shape, SH.description) or next(iter(result.messages), ""))
    return "other", {**words, "rule": rule}


def message(finding: CatalogFinding, text: Mapping[str, Any]) -> str:
    """Return what a finding says, in the words of one language's message table."""
    explain = text["dcatap"]["explain"]
    said = str(explain[finding.rule]).format(**dict(finding.words))
    return said + (str(explain["expected_publisher"]) if finding.expected else "")


_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "dcatap": "http://data.europa.eu/r5r/",
    "sh": "http://www.w3.org/ns/shacl#",
    "adms": "http://www.w3.org/ns/adms#",
}


def _short(term: Node | None, graph: Graph) -> str:
    return shacl.curie(term, _PREFIXES, graph)


def format_text(report: CatalogReport, *, lang: str, messages: Messages | None = None) -> str:
    """Render the report: per check, the counts, then every finding with resource, property and advice.

    The words are ``lang``'s (``messages``: the project's; by default the package's).
    """
    text = (messages or load_messages())[lang]
    words = text["dcatap"]
    lines: list[str] = []
    for check in CHECKS:
        title = words[check]
        found = [f for f in report.findings if f.check == check]
        counts = [
            f"{report.count(sev, check)} {words[sev]}"
            + (
                f" ({report.count(sev, check, expected=True)} {words['expected']})"
                if sev == "Warning"
                else ""
            )
            for sev in ("Violation", "Warning")
        ]
        lines.append(f"{title}: {', '.join(counts) if found else words['clean']}")
        for finding in found:
            mark = f" [{words['expected']}]" if finding.expected else ""
            lines.append(
                f"  {words.get('one_' + finding.severity, finding.severity)}{mark}: <{finding.focus}>"
            )
            lines.append(f"    {message(finding, text)}")
    lines.append(words["ok"] if report.conforms else words["bad"])
    return "\n".join(lines) + "\n"


def format_json(report: CatalogReport, *, lang: str = "en", messages: Messages | None = None) -> str:
    """Render the report as JSON: the counts (expected warnings too), then one object per finding.

    Each finding's ``message`` is in ``lang``.
    """
    text = (messages or load_messages())[lang]
    results: list[dict[str, object]] = [
        {
            "check": f.check,
            "severity": f.severity,
            "focus": f.focus,
            "path": f.path,
            "value": f.value,
            "message": message(f, text),
            "expected": f.expected,
        }
        for f in report.findings
    ]
    return shacl.json_text(report.findings, results, expected_warnings=report.count("Warning", expected=True))


def render(report: CatalogReport, *, fmt: str, lang: str, messages: Messages | None = None) -> str:
    """Render the report as text or JSON (the formats of ``klyngedata validate --catalog``)."""
    require_format(fmt)
    if fmt == "json":
        return format_json(report, lang=lang, messages=messages)
    return format_text(report, lang=lang, messages=messages)


def require_format(fmt: str) -> None:
    """Raise UsageError unless the catalogue check can write its report in ``fmt`` (text or json)."""
    if fmt not in ("text", "json"):
        raise UsageError(
            f"the format {fmt!r} is not available for the catalogue check; use text or json", parameter="fmt"
        )
