"""Screen parsed Turtle before anything else sees it: what no SHACL shape can be trusted to catch.

Every check works on the parsed triples (never on the text) and names the file, the line, the
resource and the property at fault:

* lexical forms of every datatype we publish (``"2020-13"^^xsd:gYearMonth`` is refused even
  where no shape looks), and values of a property whose ``rdfs:range`` is a datatype;
* characters no output can carry safely: C0/C1 control characters (XML 1.0 cannot hold NUL at
  all) and the bidirectional overrides and isolates U+202A–202E, U+2066–2069;
* the limits of ``[tool.klyngedata]``: literal length, RDF list length, blank-node nesting;
* subjects of ``data/`` outside the base IRI, or whose IRI has no safe document path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeAlias

import pyoxigraph as ox

from .lexical import DATATYPES, FORBIDDEN, LANG_STRING, XSD, check_lexical, describe_char, subsumes
from .uris import Uris

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_REST = RDF + "rest"
RDF_TYPE = RDF + "type"
RDFS_RANGE = "http://www.w3.org/2000/01/rdf-schema#range"
OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"
# The one class of outside subject we describe: a web page the data cites (kd:Source).
SOURCE_CLASS = "ontology#Source"

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")

# A parsed statement: the screens read only subject, predicate and object, so a file's quads are
# screened as they are, without a copy as triples.
Statement: TypeAlias = ox.Triple | ox.Quad


@dataclass(frozen=True, slots=True)
class Limits:
    """The structural limits of the input (config keys of the same names)."""

    max_literal_length: int
    max_list_length: int
    max_nesting_depth: int


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused piece of input: where it is, what it is, and what to do."""

    file: str
    line: int | None
    resource: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.resource}: {self.message}"


class FileScreen:
    """The checks of one parsed file: its triples, and the lines where its subjects start."""

    def __init__(
        self,
        triples: Sequence[Statement],
        *,
        file: str,
        subject_lines: Mapping[str, int],
        text: str,
        prefixes: Mapping[str, str],
    ) -> None:
        self.triples = triples
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.file = file
        self.subject_lines = subject_lines
        self.text = text
        self.parent: dict[ox.BlankNode, Statement] = {}
        # The triples whose object is a blank node, in file order: all the structure checks read.
        self.links: list[Statement] = []
        for triple in triples:
            value = triple.object
            if isinstance(value, ox.BlankNode):
                self.parent.setdefault(value, triple)
                self.links.append(triple)

    @cached_property
    def text_lines(self) -> list[str]:
        """The file's lines, split only when a problem needs its line (LF only, as the parser)."""
        return self.text.split("\n")

    def name(self, term: object) -> str:
        """Return a term as a reader wrote it: a prefixed name where one fits, else <IRI>."""
        if isinstance(term, ox.BlankNode):
            return "a blank node"
        if not isinstance(term, ox.NamedNode):
            return str(term)
        for prefix, namespace in self.prefixes:
            local = term.value[len(namespace) :]
            if term.value.startswith(namespace) and local and _SEGMENT.fullmatch(local):
                return f"{prefix}:{local}"
        return f"<{term.value}>"

    def owner(self, node: object) -> tuple[str, int | None]:
        """Return the named resource that holds ``node`` (through blank nodes) and its line."""
        seen: set[object] = set()
        while isinstance(node, ox.BlankNode) and node in self.parent and node not in seen:
            seen.add(node)
            node = self.parent[node].subject
        if isinstance(node, ox.NamedNode):
            return f"<{node.value}>", self.subject_lines.get(node.value)
        return "a blank node", None

    def problem(
        self,
        triple: Statement,
        message: str,
        *,
        value: str | None = None,
        partial: bool = False,
        written: Sequence[str] = (),
    ) -> Problem:
        """Return a Problem about one triple, at the line of its value when that can be found.

        ``partial``: ``value`` is only the start of the literal (up to a refused character);
        ``written``: ways the value may be written in the file, tried first (an IRI's forms).
        """
        resource, line = self.owner(triple.subject)
        if (value is not None or written) and line is not None:
            line = self._value_line(line, value or "", partial=partial, written=written) or line
        return Problem(self.file, line, resource, message)

    def _value_line(self, start: int, value: str, *, partial: bool, written: Sequence[str]) -> int | None:
        """Find the line holding a value: written whole in quotes if possible, else its start."""
        first = value.split("\n", 1)[0]
        whole = first == value and not partial
        needles = list(written) + ([f'"{value}"', f"'{value}'"] if whole else [])
        needles += [f'"{first[:60]}', first[:60]] if first else []
        for needle in needles:
            for number in range(start, min(len(self.text_lines), start + 5000) + 1):
                if needle in self.text_lines[number - 1]:
                    return number
        return None

    def terms(self, limits: Limits) -> list[Problem]:
        """Check every IRI and literal: characters, scheme, property names, length, lexical form.

        Each IRI is checked once as a node and once as a property; problems come in the order of
        the triples (subject, property, object).
        """
        problems = []
        nodes: set[str] = set()
        properties: set[str] = set()
        for triple in self.triples:
            subject, predicate, value = triple.subject, triple.predicate, triple.object
            if isinstance(subject, ox.NamedNode) and (iri := subject.value) not in nodes:
                nodes.add(iri)
                if message := _iri_message(iri, predicate=False):
                    problems.append(self.problem(triple, message))
            if (iri := predicate.value) not in properties:
                properties.add(iri)
                if message := _iri_message(iri, predicate=True):
                    problems.append(self.problem(triple, message))
            if isinstance(value, ox.NamedNode):
                if (iri := value.value) not in nodes:
                    nodes.add(iri)
                    if message := _iri_message(iri, predicate=False):
                        problems.append(self.problem(triple, message))
            elif isinstance(value, ox.Literal) and (found := self._literal(triple, value, limits)):
                problems.append(found)
        return problems

    def _literal(self, triple: Statement, literal: ox.Literal, limits: Limits) -> Problem | None:
        value = literal.value
        datatype = literal.datatype.value
        if (
            len(value) <= limits.max_literal_length
            and FORBIDDEN.search(value) is None
            and (
                literal.language
                or datatype == XSD + "string"
                or (datatype in DATATYPES and check_lexical(datatype, value) is None)
            )
        ):
            return None  # the common case, without naming the property
        prop = self.name(triple.predicate)
        if len(value) > limits.max_literal_length:
            return self.problem(
                triple,
                f"{prop}: a literal of {len(value):,} characters is longer than max_literal_length "
                f"({limits.max_literal_length:,}); shorten it, or raise max_literal_length in "
                "[tool.klyngedata]",
                value=value,
            )
        if bad := FORBIDDEN.search(value):
            return self.problem(
                triple,
                f"{prop}: the value holds the control or bidi character {describe_char(bad.group())} "
                f"at character {bad.start() + 1}; remove it (no published format carries it safely)",
                value=value[: bad.start()],
                partial=True,
            )
        if datatype not in DATATYPES:
            known = ", ".join(f"xsd:{name[len(XSD) :]}" for name in DATATYPES)
            return self.problem(
                triple,
                f"{prop}: {value!r} has the datatype <{datatype}>, which klyngedata cannot check; "
                f"use one of {known}",
                value=value,
            )
        expected = check_lexical(datatype, value) or ""
        short = f"xsd:{datatype[len(XSD) :]}"
        return self.problem(
            triple, f'{prop}: "{value}" is not a valid {short}; expected {expected}', value=value
        )

    def structure(self, limits: Limits) -> list[Problem]:
        """Check blank-node cycles, RDF list lengths and blank-node nesting, without recursion."""
        cycle = self._blank_cycle()
        if cycle is not None:
            return [
                self.problem(
                    cycle,
                    f"{self.name(cycle.predicate)}: blank nodes refer to each other in a circle; "
                    "their names cannot be made stable (canonicalisation takes hours, or crashes): "
                    "give the nodes IRIs, or break the circle",
                )
            ]
        return self._depths(limits)

    def _blank_cycle(self) -> Statement | None:
        """Return a triple that closes a circle of blank nodes, if there is one (iterative DFS)."""
        edges: dict[object, list[Statement]] = defaultdict(list)
        for link in self.links:
            if isinstance(link.subject, ox.BlankNode):
                edges[link.subject].append(link)
        state: dict[object, bool] = {}  # True while on the path, False when finished
        for start in list(edges):
            if start in state:
                continue
            state[start] = True
            path = [(start, iter(edges[start]))]
            while path:
                node, pending = path[-1]
                step = next(pending, None)
                if step is None:
                    state[node] = False
                    path.pop()
                elif state.get(step.object) is True:
                    return step
                elif step.object not in state:
                    state[step.object] = True
                    path.append((step.object, iter(edges.get(step.object, ()))))
        return None

    def _depths(self, limits: Limits) -> list[Problem]:
        children: dict[object, list[Statement]] = defaultdict(list)
        for triple in self.links:
            children[triple.subject].append(triple)
        roots = [s for s in children if not (isinstance(s, ox.BlankNode) and s in self.parent)]
        stack: list[tuple[object, int, int]] = [(root, 0, 0) for root in roots]
        seen: set[object] = set()
        while stack:
            node, depth, length = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for triple in children.get(node, ()):
                is_rest = triple.predicate.value == RDF_REST
                child_depth = depth if is_rest else depth + 1
                child_length = length + 1 if is_rest else 1
                if child_length > limits.max_list_length:
                    return [
                        self._limit(triple, "an RDF list longer than max_list_length", limits.max_list_length)
                    ]
                if child_depth > limits.max_nesting_depth:
                    return [
                        self._limit(
                            triple,
                            "blank nodes nested deeper than max_nesting_depth",
                            limits.max_nesting_depth,
                        )
                    ]
                stack.append((triple.object, child_depth, child_length))
        return []

    def _limit(self, triple: Statement, what: str, limit: int) -> Problem:
        key = "max_list_length" if "list" in what else "max_nesting_depth"
        return self.problem(
            triple,
            f"{what} ({limit:,}); flatten the structure, or raise {key} in [tool.klyngedata]",
        )


# Schemes a page may link to; `javascript:` or `data:` in a link would run in a reader's browser.
SCHEMES = ("http", "https", "mailto", "tel", "urn")
# RDF/XML writes a property as an XML element: its IRI must end in an XML name (NCName).
_XML_NAME_END = re.compile(r"[^\W\d][\w.-]*\Z")


def _iri_message(iri: str, *, predicate: bool) -> str | None:
    if bad := FORBIDDEN.search(iri):
        return f"the IRI <{iri!r}> holds the character {describe_char(bad.group())}; remove it"
    scheme = iri.split(":", 1)[0].lower()
    if scheme not in SCHEMES:
        return (
            f"the IRI <{iri}> has the scheme '{scheme}', which pages must not link to; use an "
            f"IRI with one of the schemes {', '.join(SCHEMES)}"
        )
    if predicate and _XML_NAME_END.search(iri) is None:
        return (
            f"the property <{iri}> cannot be written in RDF/XML: its IRI must end in a letter or "
            "'_' followed by letters, digits, '-', '.' or '_'; rename the property"
        )
    return None


def _subject_message(iri: str, uris: Uris, sources: set[str]) -> str | None:
    if not uris.is_local(iri):
        if iri in sources:
            return None
        return (
            f"this subject is outside the base IRI {uris.base}; data/ describes only our own "
            "resources (and cited web pages typed kd:Source): fix the prefix or the IRI"
        )
    relative = iri[len(uris.base) :]
    segments = relative.split("#", 1)[0].split("/")
    if not uris.is_resource(iri) or len(segments) < 3 or not all(_SEGMENT.fullmatch(s) for s in segments[1:]):
        return (
            "this IRI has no safe page of its own; resources in data/ are named "
            f"{uris.base}id/<kind>/<slug> with a slug of letters, digits, '-', '.', '_' or '~'"
        )
    return None


def version_problems(screen: FileScreen, uris: Uris) -> list[Problem]:
    """Check that each local owl:versionIRI of the ontology has a safe path: ontology/<version>."""
    problems = []
    for triple in screen.triples:
        version = triple.object
        if triple.predicate.value != OWL_VERSION_IRI or not isinstance(version, ox.NamedNode):
            continue
        relative = version.value[len(uris.base) :] if uris.is_local(version.value) else None
        folder, _, name = (relative or "").partition("/")
        if relative is not None and (folder != "ontology" or not _SEGMENT.fullmatch(name)):
            problems.append(
                screen.problem(
                    triple,
                    f"owl:versionIRI <{version.value}> has no safe path of its own; write "
                    f"<{uris.base}ontology/<version>> with a version of letters, digits, '.', '-', "
                    "'_' or '~' (e.g. <ontology/1.0.0>)",
                    written=[f"<{relative}>", f"<{version.value}>"],
                )
            )
    return problems


def datatype_ranges(ontology: Iterable[Statement]) -> dict[str, str]:
    """Return property IRI → datatype IRI for each ``rdfs:range`` of the ontology that is a datatype."""
    return {
        t.subject.value: t.object.value
        for t in ontology
        if t.predicate.value == RDFS_RANGE
        and isinstance(t.subject, ox.NamedNode)
        and isinstance(t.object, ox.NamedNode)
        and (t.object.value in DATATYPES or t.object.value in (LANG_STRING, XSD + "string"))
    }


class DataChecks:
    """What needs all of data/ at once: outside subjects, values against rdfs:range.

    Fed one file at a time (:meth:`add`), so no file's triples outlive its screening; a file's
    screen is kept only while it holds a subject that may be refused at the end.
    """

    def __init__(self, uris: Uris, ranges: Mapping[str, str]) -> None:
        self.uris = uris
        self.ranges = ranges
        self.sources: set[str] = set()
        self.outside: list[tuple[FileScreen, list[tuple[Statement, str]]]] = []
        self.range_problems: list[Problem] = []

    def add(self, screen: FileScreen) -> None:
        """Screen one file of data/ in one pass over its triples."""
        source, ranges, uris = ox.NamedNode(self.uris.base + SOURCE_CLASS), self.ranges, self.uris
        checked: set[str] = set()  # a subject's verdict does not depend on the triple
        found: list[tuple[Statement, str]] = []
        for triple in screen.triples:
            subject, predicate = triple.subject, triple.predicate.value
            if isinstance(subject, ox.NamedNode):
                iri = subject.value
                if iri not in checked:
                    checked.add(iri)
                    if _subject_message(iri, uris, set()):
                        found.append((triple, iri))
                if predicate == RDF_TYPE and triple.object == source:
                    self.sources.add(iri)
            if (expected := ranges.get(predicate)) is not None:
                if problem := _range_problem(screen, triple, expected):
                    self.range_problems.append(problem)
        if found:
            self.outside.append((screen, found))

    def problems(self) -> list[Problem]:
        """Return the problems of all files: subjects first, then ranges, each in file order."""
        problems = []
        for screen, found in self.outside:
            for triple, iri in found:
                if message := _subject_message(iri, self.uris, self.sources):
                    problems.append(screen.problem(triple, message))
        return problems + self.range_problems


def _range_problem(screen: FileScreen, triple: Statement, expected: str) -> Problem | None:
    """Check the value of a property whose rdfs:range is the datatype ``expected``."""
    value = triple.object
    if isinstance(value, ox.Literal) and subsumes(expected, value.datatype.value):
        return None
    short = _short(expected)
    prop = screen.name(triple.predicate)
    if not isinstance(value, ox.Literal):
        return screen.problem(triple, f"{prop} takes a {short} literal, got {screen.name(value)}")
    return screen.problem(
        triple,
        f'{prop}: "{value.value}" is a {_short(value.datatype.value)}; '
        f'the ontology gives the range {short}: write it as "…"^^{short}',
        value=value.value,
    )


def _short(iri: str) -> str:
    if iri.startswith(XSD):
        return "xsd:" + iri[len(XSD) :]
    return "rdf:langString" if iri == LANG_STRING else f"<{iri}>"
