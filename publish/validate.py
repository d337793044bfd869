"""Check the data against the SHACL shapes and report the results for people.

The engine is the config's ``shacl_engine`` (publish/shacl.py): pyshacl-turbo by default, pySHACL
on request; both give the same report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SH, SKOS
from rdflib.term import Node

from . import shacl, shapecache
from .config import DEFAULT_SHACL_ENGINE, Config
from .dataset import LoadedDataset, Location, load
from .errors import ValidationFailed
from .i18n import FALLBACK, Messages, load_messages
from .shacl import SEVERITIES, EngineRefused, Verdict, curie, rdflib_term, read_results, to_rdflib


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result, in the words of one language."""

    severity: str
    focus: str
    label: str | None
    path: str | None
    value: str | None
    message: str
    hint: str
    shape: str | None
    file: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of a validation run."""

    findings: tuple[Finding, ...]
    report_graph: Graph

    @property
    def conforms(self) -> bool:
        """Tell whether there is no violation (warnings and infos allowed)."""
        return shacl.conforms(self.findings)

    def count(self, severity: str) -> int:
        """Count the findings of one severity."""
        return shacl.count(self.findings, severity)


def validate_project(dataset: LoadedDataset, config: Config, *, lang: str = "en") -> Report:
    """Validate a loaded project with its config's settings (messages, shapes cache, engine)."""
    return validate(
        dataset,
        lang=lang,
        messages=config.messages,
        project_dir=config.project_dir,
        engine=config.shacl_engine,
    )


def check(
    config: Config, *, lang: str, fmt: str, strict: bool, catalog: bool = False, site: Path | None = None
) -> Verdict:
    """Run ``klyngedata validate``: check the data (or, with ``catalog``, a built catalogue); the verdict.

    The check fails on a violation, and with ``strict`` on a warning too (for the catalogue, on a
    warning not marked as expected). The catalogue's report ends with its MQA score (``mqa.py``),
    which informs and never fails the check.
    """
    if catalog:
        from .dcatap import check_site, render, require_format

        require_format(fmt)  # before the costly check
        from .mqa import assess_site, with_score

        folder = site or config.output
        found = check_site(folder)
        failed = not found.conforms or (strict and found.count("Warning", expected=False) > 0)
        violated = {f.focus for f in found.findings if f.severity == "Violation"}
        score = assess_site(folder, uris=config.uris, noncompliant=violated)
        rendered = render(found, fmt=fmt, lang=lang, messages=config.messages)
        return Verdict(
            with_score(rendered, score, fmt=fmt, words=config.messages[lang]["mqa"]), passed=not failed
        )
    dataset = load(config)
    report = validate_project(dataset, config, lang=lang)
    if fmt == "json":
        text = format_json(report)
    elif fmt == "turtle":
        text = format_turtle(report, dataset.uris.prefixes())
    else:
        text = format_text(report, lang=lang, messages=config.messages)
    failed = not report.conforms or (strict and report.count("Warning") > 0)
    return Verdict(text, passed=not failed)


def validate(
    dataset: LoadedDataset,
    *,
    lang: str = "en",
    messages: Messages | None = None,
    project_dir: Path | None = None,
    engine: str = DEFAULT_SHACL_ENGINE,
) -> Report:
    """Run the SHACL ``engine`` (shapes checked against SHACL-for-SHACL first) over ontology and data.

    Findings are in ``lang``: the shapes' messages and hints in it (else English, else any),
    our own words from ``messages`` (the project's; by default the package's). With
    ``project_dir``, shapes that passed SHACL-for-SHACL in an earlier conforming run are not
    checked again (publish/shapecache.py); the pass is recorded only when the data conforms.
    """
    text = (messages or load_messages())[lang]
    shapes = to_rdflib(dataset.quads("shapes"))
    fingerprint = shapecache.fingerprint(dataset.quads("shapes"), engine=engine) if project_dir else ""
    if not (project_dir and shapecache.passed(project_dir, fingerprint)):
        check_shapes(shapes, dataset, engine=engine)
    try:
        results = shacl.run(dataset.quads("ontology", "data"), shapes, engine=engine)
    except EngineRefused as exc:
        raise ValidationFailed(_shape_error(exc.message, dataset)) from None
    findings = [
        _finding(result, results, shapes, dataset, lang, text["validate"])
        for result in read_results(results, nested=True)
    ]
    # A total order (not the engine's order of results): two findings on one resource and path,
    # such as two blank nodes of one resource missing a label, come out the same with any engine.
    findings.sort(
        key=lambda f: (
            SEVERITIES.index(f.severity),
            f.file or "",
            f.line or 0,
            f.focus,
            f.path or "",
            f.value or "",
            f.message,
            f.shape or "",
        )
    )
    report = Report(tuple(findings), results)
    if project_dir and report.conforms:
        shapecache.remember(project_dir, fingerprint)
    return report


def check_shapes(shapes: Graph, dataset: LoadedDataset, *, engine: str = DEFAULT_SHACL_ENGINE) -> None:
    """Check the shapes against SHACL-for-SHACL; raise naming each bad shape's file and line."""
    results = shacl.check_shapes(shapes, engine=engine)
    if results is None:
        return
    lines = []
    prefixes = dataset.uris.prefixes()
    for result in read_results(results, nested=True):
        focus = _named_owner(result.focus, shapes)
        location = dataset.locations.get(str(focus))
        where = str(location) if location else _shape_files(dataset)
        message = result.messages[0] if result.messages else None
        detail = f"{curie(result.path, prefixes, results)}: " if result.path is not None else ""
        shown = f" (value {curie(result.value, prefixes, results)})" if result.value is not None else ""
        lines.append(f"  {where}: <{focus}>: {detail}{message}{shown}")
    raise ValidationFailed(
        "the shapes are not valid SHACL (checked against SHACL-for-SHACL):\n"
        + "\n".join(sorted(set(lines)))
        + "\nFix these shapes; the data was not checked."
    )


def _named_owner(node: Node | None, graph: Graph) -> Node | None:
    """Return the first IRI above a blank node (the shape that holds ``sh:property [ … ]``)."""
    seen: set[Node] = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        node = next(graph.subjects(None, node), node)
    return node


def _data_owner(node: Node | None, dataset: LoadedDataset) -> Node | None:
    """Return the first IRI above a blank node of the data, as :func:`_named_owner` does in a graph."""
    seen: set[Node] = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        above = next(_data_quads(dataset, None, None, ox.BlankNode(str(node))), None)
        node = node if above is None else rdflib_term(above.subject)
    return node


def _data_objects(dataset: LoadedDataset, focus: Node | None, predicate: URIRef) -> list[Node]:
    """Return the objects of ``focus predicate ?o`` in the ontology and the data (what was validated)."""
    subject: ox.NamedNode | ox.BlankNode
    if isinstance(focus, URIRef):
        subject = ox.NamedNode(str(focus))
    elif isinstance(focus, BNode):
        subject = ox.BlankNode(str(focus))
    else:
        return []
    return [rdflib_term(q.object) for q in _data_quads(dataset, subject, ox.NamedNode(str(predicate)), None)]


def _data_quads(
    dataset: LoadedDataset,
    subject: ox.NamedNode | ox.BlankNode | None,
    predicate: ox.NamedNode | None,
    obj: ox.BlankNode | None,
) -> Iterator[ox.Quad]:
    """Yield the quads of a pattern in the ontology's and the data's graphs."""
    for part in ("ontology", "data"):
        graph = ox.NamedNode(dataset.uris.graph(part))
        yield from dataset.store.quads_for_pattern(subject, predicate, obj, graph)


def _shape_files(dataset: LoadedDataset) -> str:
    return ", ".join(f for f in dataset.files if f.startswith("shapes")) or "shapes"


def _shape_error(message: str, dataset: LoadedDataset) -> str:
    """Word a pySHACL error about a shape, at the shape's file and line when it names one."""
    shapes = [iri for iri in dataset.locations if f"<{iri}>" in message or f"{iri} " in message]
    where = str(dataset.locations[max(shapes, key=len)]) if shapes else _shape_files(dataset)
    first = message.strip().splitlines()[0] if message.strip() else "pySHACL cannot use the shapes"
    return f"{where}: a shape cannot be used: {first}; fix the shape and run again"


def _finding(
    result: shacl.Result,
    results: Graph,
    shapes: Graph,
    dataset: LoadedDataset,
    lang: str,
    words: Mapping[str, Any],
) -> Finding:
    focus, inside = result.focus, ""
    if isinstance(focus, BNode):  # name the resource a reader edits, not c14n8
        owner = _data_owner(focus, dataset)
        if isinstance(owner, URIRef):
            focus, inside = owner, str(words["in_blank_node"])
    shape, constraint = result.shape, result.constraint
    messages = _tagged_messages(
        list(result.messages),
        list(shapes.objects(constraint, SH.message)) if constraint is not None else [],
    )
    location: Location | None = dataset.locations.get(str(focus))
    prefixes = dataset.uris.prefixes()
    return Finding(
        severity=result.severity,
        focus=str(focus),
        label=_pick(
            _data_objects(dataset, focus, SKOS.prefLabel) + _data_objects(dataset, focus, RDFS.label), lang
        ),
        path=None if result.path is None else curie(result.path, prefixes, results),
        value=None if result.value is None else curie(result.value, prefixes, results),
        message=inside + (_pick(messages, lang) or words["no_message"]),
        hint=_pick(list(shapes.objects(shape, RDFS.comment)), lang) or _hint(result.component, words),
        shape=None if isinstance(shape, BNode) else curie(shape, prefixes, results),
        file=None if location is None else location.file,
        line=None if location is None else location.line,
    )


def _tagged_messages(messages: Sequence[Node], templates: Sequence[Node]) -> list[Node]:
    """Give filled-in SPARQL messages back the language of their template.

    pySHACL substitutes ``{?var}`` in a SPARQL constraint's sh:message but drops the language
    tag; matching each message against the templates recovers it. Filled-in messages come
    first: they are more specific than the shape's generic message.
    """
    filled: list[Node] = []
    for template in templates:
        pattern = re.escape(str(template))
        pattern = re.sub(r"\\\{\\[?$]\w+\\\}", "(.*)", pattern)
        for message in messages:
            if getattr(message, "language", None) is None and re.fullmatch(pattern, str(message), re.S):
                filled.append(Literal(str(message), lang=getattr(template, "language", None)))
    return filled + [m for m in messages if getattr(m, "language", None) is not None]


def _pick(literals: Sequence[object], lang: str) -> str | None:
    """Return the literal in the wanted language, else English, else any."""
    by_lang = {getattr(lit, "language", None): str(lit) for lit in literals}
    for key in (lang, FALLBACK, None):
        if key in by_lang:
            return by_lang[key]
    return next(iter(by_lang.values()), None)


def _hint(component: str, words: Mapping[str, Any]) -> str:
    """Return what to do, per kind of constraint, when the shape itself gives no hint (rdfs:comment)."""
    hints = words["hints"]
    return str(hints.get(component, hints["SPARQL"]))


def format_text(report: Report, *, lang: str, messages: Messages | None = None) -> str:
    """Render the findings grouped by severity, each with resource, place, problem and hint.

    The words are ``lang``'s (``messages``: the project's; by default the package's).
    """
    words = (messages or load_messages())[lang]["validate"]
    headings = words["headings"]
    lines: list[str] = []
    for severity in SEVERITIES:
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines.append(f"{headings[severity]} ({len(group)}):")
        for finding in group:
            name = f"'{finding.label}' " if finding.label else ""
            lines.append(f"  {name}<{finding.focus}>")
            if finding.file:
                lines.append(f"    {words['defined_at']}: {finding.file}:{finding.line}")
            if finding.path:
                lines.append(f"    {words['property']}: {finding.path}")
            if finding.value:
                lines.append(f"    {words['value']}: {finding.value}")
            lines.append(f"    {finding.message}")
            lines.append(f"    {words['what_to_do']}: {finding.hint}")
        lines.append("")
    summary = (
        f"{report.count('Violation')} {words['violations']}, {report.count('Warning')} {words['warnings']}"
    )
    lines.append(f"{words['conforms']}: {summary}." if report.conforms else f"{summary}.")
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    """Render the findings as JSON (one object per finding)."""
    return shacl.json_text(report.findings, [asdict(finding) for finding in report.findings])


def format_turtle(report: Report, prefixes: dict[str, str]) -> str:
    """Render the SHACL validation report graph as Turtle."""
    graph = Graph(bind_namespaces="none")
    for name in ("sh", "rdf", "xsd", "skos", "dcterms", "kd", "kdsh"):
        graph.bind(name, prefixes[name])
    for triple in report.report_graph:
        graph.add(triple)
    return graph.serialize(format="turtle")
