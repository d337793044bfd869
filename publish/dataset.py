"""Load ontology/, data/ and shapes/ once into an in-memory quad store, a named graph per part.

pyoxigraph parses (fast, with line and column on errors); blank nodes are canonicalised so
every later serialisation is deterministic. Nothing is fetched from the network.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox

from .config import Config
from .errors import InputError, LoadError
from .screen import DataChecks, FileScreen, Limits, Problem, datatype_ranges, version_problems
from .uris import PARTS, Uris


@dataclass(frozen=True, slots=True)
class Location:
    """Where a resource is first described: file (relative to the project) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class LoadedDataset:
    """The parsed project: one named graph per part, and where each subject is defined.

    Treat it as read-only: derived graphs are new objects.
    """

    uris: Uris
    parts: Mapping[str, tuple[ox.Quad, ...]]
    locations: Mapping[str, Location]
    files: tuple[str, ...]
    store: ox.Store
    # The newest modification time of the input files, whole seconds since the epoch: the date
    # of the published data when SOURCE_DATE_EPOCH is not set.
    newest_mtime: int = 0
    # The part (ontology, data, shapes) each file of ``files`` belongs to.
    file_parts: Mapping[str, str] = field(default_factory=dict)
    # Sorted triples per combination of parts: the build asks for them many times, and the
    # dataset never changes, so each combination is sorted once.
    _sorted: dict[tuple[str, ...], tuple[ox.Triple, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def quads(self, *parts: str) -> list[ox.Quad]:
        """Return the quads of the given parts (all parts when none is named), in order."""
        names = parts or tuple(self.parts)
        return [quad for name in names for quad in self.parts[name]]

    def forget_sorted(self) -> None:
        """Drop the sorted triples kept for :meth:`triples` (they are sorted again if asked for)."""
        self._sorted.clear()

    def triples(self, *parts: str) -> list[ox.Triple]:
        """Return the triples of the given parts, without graph names, sorted and distinct.

        One triple object per statement of a part, whatever combinations are asked for: a
        combination's tuple refers to its parts' objects (at a million triples each copy of a
        part's triples would cost hundreds of megabytes)."""
        key = parts or tuple(self.parts)
        if key not in self._sorted:
            if len(key) == 1:
                # A part's quads are sorted by their text and distinct (load), and all in one
                # graph: their triples are then too (a quad's text is its triple's, a space and
                # the graph's name, and no triple's text continues another's with a space or
                # anything before it).
                self._sorted[key] = tuple(quad.triple for quad in self.parts[key[0]])
            else:
                self._sorted[key] = tuple(_merged([self.triples(name) for name in key]))
        return list(self._sorted[key])


def _merged(sorted_parts: list[list[ox.Triple]]) -> Iterator[ox.Triple]:
    """Merge triples sorted by their text into one sorted run, each statement once."""
    last = None
    for text, triple in heapq.merge(*(((str(t), t) for t in part) for part in sorted_parts), key=_text):
        if text != last:
            yield triple
            last = text


def _text(pair: tuple[str, ox.Triple]) -> str:
    return pair[0]


def load(config: Config) -> LoadedDataset:
    """Parse every ``*.ttl`` of the configured folders; raise LoadError naming file:line:column."""
    uris = config.uris
    folders = {"ontology": config.ontology_dir, "data": config.data_dir, "shapes": config.shapes_dir}
    # Only quads that hold a blank node go through canonicalisation (its labels depend on
    # nothing else); the others, most of any dataset, stay the parser's objects.
    blank = ox.Dataset()
    plain: dict[str, list[ox.Quad]] = {part: [] for part in PARTS}
    locations: dict[str, Location] = {}
    files: list[str] = []
    file_parts: dict[str, str] = {}
    mtimes: list[int] = []
    limits = Limits(config.max_literal_length, config.max_list_length, config.max_nesting_depth)
    problems: list[Problem] = []
    data_checks: DataChecks | None = None
    graph_of = {part: ox.NamedNode(uris.graph(part)) for part in PARTS}
    for part in PARTS:
        graph = graph_of[part]
        if part == "data":  # the ontology is read whole by now (PARTS puts it first)
            ontology = ox.Dataset(plain["ontology"] + list(blank.quads_for_graph_name(graph_of["ontology"])))
            data_checks = DataChecks(uris, datatype_ranges(ontology))
        for path in _turtle_files(folders[part], part=part, project=config.project_dir):
            shown = _shown(path, config.project_dir)
            files.append(shown)
            file_parts[shown] = part
            mtimes.append(int(path.stat().st_mtime))
            quads, screen = _load_file(path, shown=shown, part=part, uris=uris, graph=graph, limits=limits)
            _sort_out(quads, plain[part], blank)
            for iri, line in screen.subject_lines.items():
                locations.setdefault(iri, Location(shown, line))
            problems += screen.terms(limits) + screen.structure(limits)
            if part == "ontology":
                problems += version_problems(screen, uris)
            if data_checks is not None and part == "data":
                data_checks.add(screen)
            del quads, screen  # a file's quads live on in ``plain`` and ``blank`` only
    if data_checks is not None:
        problems += data_checks.problems()
    if problems:
        raise InputError(problems)
    blank.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    parts: dict[str, tuple[ox.Quad, ...]] = {}
    for part in PARTS:
        quads = plain.pop(part)
        quads += blank.quads_for_graph_name(graph_of[part])
        parts[part] = tuple(sorted(dict.fromkeys(quads), key=str))  # a dataset holds each quad once
        del quads
    del blank
    store = ox.Store()
    store.bulk_extend(quad for quads in parts.values() for quad in quads)
    return LoadedDataset(uris, parts, locations, tuple(files), store, max(mtimes), file_parts)


def _sort_out(quads: Iterable[ox.Quad], plain: list[ox.Quad], blank: ox.Dataset) -> None:
    """Append quads without blank nodes (or quoted triples) to ``plain``, add the others to ``blank``."""
    append, add = plain.append, blank.add
    for quad in quads:
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, _GROUND):
            append(quad)
        else:
            add(quad)


_GROUND = (ox.NamedNode, ox.Literal)


def _load_file(
    path: Path, *, shown: str, part: str, uris: Uris, graph: ox.NamedNode, limits: Limits
) -> tuple[list[ox.Quad], FileScreen]:
    """Parse one file into quads of ``graph``; return them with the file's screen (no copy)."""
    text = _read(path, shown=shown)
    quads, prefixes = _parse(text, shown=shown, base=uris.base, graph=graph, limits=limits)
    if not quads:
        raise LoadError(
            "holds no RDF statements (it is empty or only comments); add the data or delete the file",
            file=shown,
        )
    if part == "shapes":
        quads = [_resolve_namespace(quad, uris) for quad in quads]
    return quads, FileScreen(
        quads,
        file=shown,
        subject_lines=dict(_subject_lines(text, prefixes, uris.base)),
        text=text,
        prefixes={**uris.prefixes(), **prefixes},
    )


def _turtle_files(folder: Path, *, part: str, project: Path) -> list[Path]:
    shown = _shown(folder, project)
    if not folder.is_dir():
        raise LoadError(
            f"the {part} folder is missing; create it or set {part}_dir in [tool.klyngedata]",
            file=shown,
        )
    found = sorted(folder.rglob("*.ttl"))
    root = project.resolve()
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise LoadError(
                f"is a link to {path.resolve()}, outside the project; copy what it points to into "
                f"{shown} instead (a build reads only the project's own files)",
                file=str(path.relative_to(project)),
            )
    for path in found:
        if not path.is_file():  # a folder, FIFO or device named *.ttl: reading it fails or hangs
            raise LoadError(
                "is named like a Turtle file but is not a regular file; rename or remove it",
                file=str(path.relative_to(project)),
            )
    if not found:
        raise LoadError(f"no .ttl files in the {part} folder; add the {part} in Turtle", file=shown)
    return found


_BOM = "\ufeff"


def _read(path: Path, *, shown: str) -> str:
    """Return the file's text; a UTF-8 byte order mark is accepted and dropped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror}", file=shown) from None
    try:
        return data.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError(
            f"is not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8 and run again",
            file=shown,
            line=line,
            column=column,
        ) from None


def _parse(
    text: str, *, shown: str, base: str, graph: ox.NamedNode, limits: Limits
) -> tuple[list[ox.Quad], Mapping[str, str]]:
    try:
        parser = ox.parse(
            text.encode("utf-8"), format=ox.RdfFormat.TURTLE, base_iri=base, without_named_graphs=True
        )
        triples = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in parser]
    except SyntaxError as exc:
        message = str(exc.msg).split(": ", 1)[-1] if exc.msg else "invalid Turtle"
        raise LoadError(
            f"invalid Turtle: {message}; fix the file and run again",
            file=shown,
            line=exc.lineno,
            column=exc.offset,
        ) from None
    except MemoryError:
        # pyoxigraph refuses a single token over its 16 MB buffer; the longest line holds it.
        lines = text.split("\n")
        longest = max(range(len(lines)), key=lambda n: len(lines[n])) + 1
        raise LoadError(
            "a literal or IRI is longer than the Turtle parser's 16 MB buffer; a literal may "
            f"hold at most max_literal_length ({limits.max_literal_length:,}) characters: shorten it",
            file=shown,
            line=longest,
        ) from None
    except ValueError as exc:
        raise LoadError(f"cannot read the file: {exc}", file=shown) from None
    return triples, dict(parser.prefixes)


_SH_NAMESPACE = "http://www.w3.org/ns/shacl#namespace"


def _resolve_namespace(quad: ox.Quad, uris: Uris) -> ox.Quad:
    """Resolve a relative ``sh:namespace`` literal against the base, as Turtle does for IRIs.

    An absolute namespace (``http://www.w3.org/2001/XMLSchema#``) is kept as it is.
    """
    value = quad.object
    if quad.predicate.value != _SH_NAMESPACE or not isinstance(value, ox.Literal):
        return quad
    resolved = ox.Literal(uris.resolve(value.value), datatype=value.datatype)
    return ox.Quad(quad.subject, quad.predicate, resolved, quad.graph_name)


_SUBJECT = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w.-]*:[\w.%-]*|:[\w.%-]*)", re.MULTILINE)
_NOT_SUBJECT = ("@", "PREFIX", "BASE", "prefix", "base")


def _subject_lines(source: str, prefixes: Mapping[str, str], base: str) -> Iterable[tuple[str, int]]:
    """Yield (IRI, line) for each subject written at column 0, the style of our Turtle files.

    Lines are counted at LF only, as the parser counts them; one regular-expression scan of the
    whole text finds the candidates.
    """
    seen: set[str] = set()
    number, counted = 1, 0
    for match in _SUBJECT.finditer(source):
        start = match.start()
        if source.startswith(_NOT_SUBJECT, start):
            continue
        number += source.count("\n", counted, start)
        counted = start
        iri = _subject_iri(match.group(1), prefixes, base)
        if iri is not None and iri not in seen:
            seen.add(iri)
            yield iri, number


def _subject_iri(token: str, prefixes: Mapping[str, str], base: str) -> str | None:
    if token.startswith("<"):
        return urljoin(base, token[1:-1])
    name, local = token.split(":", 1)
    return prefixes[name] + local if name in prefixes else None


def _shown(path: Path, project: Path) -> str:
    try:
        return str(path.resolve().relative_to(project))
    except ValueError:
        return str(path)
