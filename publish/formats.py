"""The one registry of formats: every serialisation the site publishes or the endpoint answers in.

A :class:`Format` says everything the project knows about one format: its names, file suffix
and media types, the identifiers the catalogue and the service description need (EU file
type, W3C format IRI), what it carries (a graph, named graphs, query results, a page), whether
every described resource gets a document in it, whether the catalogue lists the dataset in
it, and, for RDF, its serialiser. Content negotiation, ``format=`` parameters, per-resource
files, dumps, catalogue distributions, ``rel=alternate`` links, static-host rules and the
query command all read :data:`FORMATS`: deleting a record removes the format everywhere,
adding one adds it everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from . import exports

GRAPH = "graph"  # RDF triples: per-resource documents, dumps, CONSTRUCT/DESCRIBE answers
QUADS = "quads"  # RDF with named graphs: the dump
RESULTS = "results"  # SPARQL SELECT/ASK answers
PAGE = "page"  # HTML
FILE = "file"  # any other file the site holds (served by suffix)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a serialiser may use besides the triples: our prefixes and our JSON-LD context."""

    prefixes: Mapping[str, str]
    context: Mapping[str, Any] = field(default_factory=dict)


Writer = Callable[[Sequence[ox.Triple], Vocabulary], bytes]


@dataclass(frozen=True, slots=True)
class Format:
    """One format: names, suffix, media types, catalogue identifiers, role and serialiser."""

    name: str  # canonical name (format=, --format, ?format=)
    label: str  # for people: "Turtle"
    kind: str  # GRAPH, QUADS, RESULTS, PAGE or FILE
    suffix: str  # file suffix without the dot ("" for none)
    media_type: str  # IANA media type
    text: bool = False  # served with "; charset=utf-8"
    aliases: tuple[str, ...] = ()  # other names for it (lower case, URL-safe)
    accepts: tuple[str, ...] = ()  # other media types that ask for it (Accept, format=)
    file_type: str = ""  # code in the EU file-type authority table
    w3c: str = ""  # local name under http://www.w3.org/ns/formats/
    resource: bool = False  # every described resource has a document in it (negotiated at its IRI)
    download: bool = False  # the catalogue lists the whole dataset in it
    compressed: bool = False  # the file is gzipped (served as application/gzip)
    write: Writer | None = None  # RDF serialiser of a list of triples
    parser: str = ""  # the pyoxigraph.RdfFormat that reads it back (the build checks every output)

    @property
    def content_type(self) -> str:
        """Return the Content-Type a file in this format is served with."""
        if self.compressed:
            return "application/gzip"
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    @property
    def names(self) -> tuple[str, ...]:
        """Return every short name of the format: its name, suffix and aliases."""
        return tuple(dict.fromkeys((self.name, *([self.suffix] if self.suffix else []), *self.aliases)))

    @property
    def media_types(self) -> tuple[str, ...]:
        """Return every media type that asks for the format, its own first."""
        return (self.media_type, *self.accepts)

    def path(self, stem: str) -> str:
        """Return the file name of ``stem`` in this format (``dataset`` → ``dataset.ttl``)."""
        return f"{stem}.{self.suffix}" if self.suffix else stem


def _turtle(triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    return exports.turtle(triples, vocabulary.prefixes)


def _jsonld(triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    # Without the site's context (a query answer), one is derived from the triples themselves.
    context = vocabulary.context or exports.make_context(triples, vocabulary.prefixes)
    return exports.jsonld(triples, context)


def _ntriples(triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    return exports.ntriples(triples)


def _rdfxml(triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    return exports.rdfxml(triples)


HTML = Format("html", "HTML", PAGE, "html", "text/html", text=True, resource=True)
TURTLE = Format(
    "turtle",
    "Turtle",
    GRAPH,
    "ttl",
    "text/turtle",
    text=True,
    aliases=("n3",),  # Turtle is a subset of N3: a Turtle answer is a right answer to N3
    accepts=("text/n3",),
    file_type="RDF_TURTLE",
    w3c="Turtle",
    resource=True,
    download=True,
    write=_turtle,
    parser="TURTLE",
)
JSONLD = Format(
    "jsonld",
    "JSON-LD",
    GRAPH,
    "jsonld",
    "application/ld+json",
    aliases=("json-ld", "json"),
    accepts=("application/json",),
    file_type="JSON_LD",
    w3c="JSON-LD",
    resource=True,
    download=True,
    write=_jsonld,
    parser="JSON_LD",
)
NTRIPLES = Format(
    "nt",
    "N-Triples",
    GRAPH,
    "nt",
    "application/n-triples",
    aliases=("ntriples", "n-triples"),
    file_type="RDF_N_TRIPLES",
    w3c="N-Triples",
    resource=True,
    download=True,
    write=_ntriples,
    parser="N_TRIPLES",
)
RDFXML = Format(
    "rdfxml",
    "RDF/XML",
    GRAPH,
    "rdf",
    "application/rdf+xml",
    aliases=("xml", "rdf+xml"),
    accepts=("application/xml", "text/xml"),
    file_type="RDF_XML",
    w3c="RDF_XML",
    resource=True,
    download=True,
    write=_rdfxml,
    parser="RDF_XML",
)
NQUADS = Format(
    "nquads",
    "N-Quads (gzip)",
    QUADS,
    "nq.gz",
    "application/n-quads",
    aliases=("nq",),
    file_type="RDF_N_QUADS",
    w3c="N-Quads",
    download=True,
    compressed=True,
    parser="N_QUADS",
)
RESULTS_JSON = Format(
    "json",
    "SPARQL JSON",
    RESULTS,
    "srj",
    "application/sparql-results+json",
    accepts=("application/json",),
    w3c="SPARQL_Results_JSON",
)
RESULTS_XML = Format(
    "xml",
    "SPARQL XML",
    RESULTS,
    "srx",
    "application/sparql-results+xml",
    accepts=("application/xml", "text/xml"),
    w3c="SPARQL_Results_XML",
)
RESULTS_CSV = Format("csv", "CSV", RESULTS, "csv", "text/csv", text=True, w3c="SPARQL_Results_CSV")
RESULTS_TSV = Format(
    "tsv", "TSV", RESULTS, "tsv", "text/tab-separated-values", text=True, w3c="SPARQL_Results_TSV"
)

# Site files served by suffix only.
JSON_FILE = Format("json-file", "JSON", FILE, "json", "application/json")  # e.g. the search index
JAVASCRIPT = Format("javascript", "JavaScript", FILE, "js", "text/javascript", text=True)  # the search box
SVG = Format("svg", "SVG", FILE, "svg", "image/svg+xml", text=True)  # the pictures (publish.pictures)
_FILES = (
    Format("xml-file", "XML", FILE, "xml", "application/xml"),
    Format("text", "Text", FILE, "txt", "text/plain", text=True),
    Format("css", "CSS", FILE, "css", "text/css", text=True),
    JSON_FILE,
    JAVASCRIPT,
    SVG,
    Format("sparql-query", "SPARQL query", FILE, "rq", "application/sparql-query"),
    Format("gzip", "gzip", FILE, "gz", "application/gzip"),
    # The feed of releases, and the changed statements of each release per named graph.
    Format("atom", "Atom", FILE, "atom", "application/atom+xml", text=True),
    Format("trig", "TriG", FILE, "trig", "application/trig", text=True, w3c="TriG", parser="TRIG"),
)

# In the order offered when a client states no preference: the first of each kind is the default.
FORMATS: tuple[Format, ...] = (
    HTML,
    TURTLE,
    JSONLD,
    NTRIPLES,
    RDFXML,
    NQUADS,
    RESULTS_JSON,
    RESULTS_XML,
    RESULTS_CSV,
    RESULTS_TSV,
    *_FILES,
)


def _registry(formats: Iterable[Format] | None) -> Iterable[Format]:
    # Read at call time, so a format added to FORMATS (a test, a plugin) is seen everywhere.
    return FORMATS if formats is None else formats


def of_kind(kind: str, formats: Iterable[Format] | None = None) -> tuple[Format, ...]:
    """Return the formats of one kind, in registry order."""
    return tuple(f for f in _registry(formats) if f.kind == kind)


def resource_formats(formats: Iterable[Format] | None = None) -> tuple[Format, ...]:
    """Return the formats every described resource is published in (HTML first), in order."""
    return tuple(f for f in _registry(formats) if f.resource)


def rdf_documents(formats: Iterable[Format] | None = None) -> tuple[Format, ...]:
    """Return the RDF formats each document (dataset, ontology, shapes, resource) is written in."""
    return tuple(f for f in _registry(formats) if f.resource and f.write is not None)


def downloads(formats: Iterable[Format] | None = None) -> tuple[Format, ...]:
    """Return the formats the catalogue lists the whole dataset in."""
    return tuple(f for f in _registry(formats) if f.download)


def by_name(name: str, formats: Iterable[Format] | None = None) -> Format | None:
    """Return the resource format a short name (``ttl``, ``turtle``, ``rdf``) stands for, if any."""
    word = name.strip().lower()
    return next((f for f in resource_formats(formats) if word in f.names), None)


def answer_format(name: str, kind: str) -> Format | None:
    """Return the format of one kind (RESULTS or GRAPH) that a canonical name stands for, if any."""
    return next((f for f in of_kind(kind) if f.name == name), None)


def by_suffix(path: str, formats: Iterable[Format] | None = None) -> Format | None:
    """Return the format of a site file by its suffix (the longest that fits), if any."""
    fitting = [f for f in _registry(formats) if f.suffix and path.endswith("." + f.suffix)]
    return max(fitting, key=lambda f: len(f.suffix), default=None)


def site_types(formats: Iterable[Format] | None = None) -> tuple[tuple[str, str], ...]:
    """Return (Content-Type, suffix) of every kind of site file, for servers that map one suffix.

    Query results are never site files; a two-part suffix (``nq.gz``) is served by its last part.
    """
    return tuple(
        (f.content_type, f.suffix) for f in _registry(formats) if f.kind != RESULTS and "." not in f.suffix
    )


def site_format(path: str) -> Format | None:
    """Return the format of a site file: by its longest suffix, Turtle for the suffix-less VoID."""
    table = _site_suffixes()
    parts = path.rpartition("/")[2].split(".")
    for start in range(1, len(parts)):  # the longest suffix first: "nq.gz" before "gz"
        found = table.get(".".join(parts[start:]))
        if found is not None:
            return found
    if path.endswith(".well-known/void"):
        return TURTLE
    return None


_SUFFIXES: list[tuple[object, dict[str, Format]]] = []  # (the registry it was made of, the table)


def _site_suffixes() -> dict[str, Format]:
    """The site files' formats by suffix; of two with one suffix, the first in the registry
    (as :func:`by_suffix` chooses). Asked for every file of a build: a table, not a scan; made
    again when :data:`FORMATS` is another registry."""
    registry = _registry(None)
    if _SUFFIXES and _SUFFIXES[0][0] is registry:
        return _SUFFIXES[0][1]
    table: dict[str, Format] = {}
    for fmt in registry:
        if fmt.kind != RESULTS and fmt.suffix:
            table.setdefault(fmt.suffix, fmt)
    _SUFFIXES[:] = [(registry, table)]
    return table


def media_type_of(path: str) -> str:
    """Return the Content-Type of a site file by its suffix (Turtle for the suffix-less VoID)."""
    found = site_format(path)
    return found.content_type if found is not None else "application/octet-stream"


def _weighted(header: str) -> list[tuple[str, float, int]]:
    entries = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for item in fields[1:]:
            key, _, value = item.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        entries.append((fields[0].lower(), quality, position))
    return entries


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """Pick the offered media type the Accept header prefers; None when none is acceptable."""
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = _weighted(accept)
    best: tuple[float, int, int, str] | None = None
    for order, media_type in enumerate(offered):
        major = media_type.split("/")[0]
        matches = [
            (q, 2 if r == media_type else 1 if r == f"{major}/*" else 0, -pos)
            for r, q, pos in ranges
            if r in (media_type, f"{major}/*", "*/*")
        ]
        if not matches:
            continue
        quality, specificity, _ = max(matches, key=lambda m: (m[1], m[0]))
        if quality <= 0:
            continue
        key = (quality, specificity, -order, media_type)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None


def choose_language(accept_language: str | None, offered: tuple[str, ...]) -> str:
    """Pick the language the Accept-Language header prefers among ours (first one by default)."""
    if accept_language:
        for tag, quality, _ in sorted(_weighted(accept_language), key=lambda e: (-e[1], e[2])):
            primary = tag.split("-")[0]
            if quality > 0 and primary in offered:
                return primary
    return offered[0]
