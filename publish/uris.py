"""The one authority for IRIs, site paths, URLs, prefixes and media types.

URI policy (also in the README): under the configured base IRI

    ontology#Term            ontology terms (one document: ontology.*)
    ontology/<version>       the ontology's version IRI
    shapes#Shape             SHACL shapes (one document: shapes.*)
    id/<kind>/<slug>         every described thing; its descriptions live at id/<kind>/<slug>.<ext>
    graph/<part>             named graphs of the dump (ontology, data, shapes, …)

A slug is made once from the Danish label (see :func:`slugify`) and never changes afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePosixPath
from urllib.parse import urljoin

PARTS = ("ontology", "data", "shapes")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class Format(Enum):
    """A published serialisation: file suffix and IANA media type."""

    TURTLE = ("ttl", "text/turtle")
    JSONLD = ("jsonld", "application/ld+json")
    NTRIPLES = ("nt", "application/n-triples")
    NQUADS_GZ = ("nq.gz", "application/n-quads")
    RDFXML = ("rdf", "application/rdf+xml")

    @property
    def suffix(self) -> str:
        """Return the file suffix without the dot."""
        return self.value[0]

    @property
    def media_type(self) -> str:
        """Return the IANA media type."""
        return self.value[1]


# Standard vocabularies, in the order they are written. Ours are added by Uris.prefixes().
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
}

# Our namespaces, relative to the base IRI. The data files declare the same names.
LOCAL_PREFIXES: dict[str, str] = {
    "kd": "ontology#",
    "kdsh": "shapes#",
    "strategy": "id/strategy/",
    "area": "id/area/",
    "areades": "id/area-designation/",
    "initiative": "id/cluster-initiative/",
    "objective": "id/objective/",
    "arrangement": "id/alternative-arrangement/",
    "support": "id/support-point/",
    "focal": "id/focal-point/",
    "cluster": "id/cluster/",
    "clusterdes": "id/cluster-designation/",
    "organisation": "id/organisation/",
    "actortype": "id/actor-type/",
    "concept": "id/concept/",
    "characteristic": "id/characteristic/",
    "scheme": "id/scheme/",
    "contact": "id/contact/",
    "source": "id/source/",
}

_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(label: str) -> str:
    """Make a lower-case ASCII slug from a Danish label (æ→ae, ø→oe, å→aa)."""
    text = label.translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Uris:
    """IRIs, site paths and URLs for one base IRI."""

    base: str

    def prefixes(self) -> dict[str, str]:
        """Return every prefix we write, standard first, ours resolved against the base."""
        ours = {name: self.base + rel for name, rel in LOCAL_PREFIXES.items()}
        return {**STANDARD_PREFIXES, **ours}

    @property
    def ontology(self) -> str:
        """Return the ontology's IRI."""
        return self.base + "ontology"

    @property
    def context(self) -> str:
        """Return the IRI of our JSON-LD context document."""
        return self.base + "context.jsonld"

    def resolve(self, reference: str) -> str:
        """Return an IRI reference from one of our files (``ontology#``, ``graph/data``) as an absolute IRI.

        An absolute IRI is returned as it is; a relative one is resolved against the base (RFC 3986),
        keeping an empty fragment (``ontology#``) as Turtle and SPARQL do.
        """
        if _SCHEME.match(reference):
            return reference
        return urljoin(self.base, reference) + ("#" if reference.endswith("#") else "")

    def graph(self, part: str) -> str:
        """Return the IRI of the named graph holding one part of the dataset."""
        return f"{self.base}graph/{part}"

    def is_local(self, iri: str) -> bool:
        """Tell whether an IRI lives under the base IRI."""
        return iri.startswith(self.base) and len(iri) > len(self.base)

    def is_resource(self, iri: str) -> bool:
        """Tell whether an IRI names a described thing with its own documents (id/…)."""
        return iri.startswith(self.base + "id/") and "#" not in iri

    def document_stem(self, iri: str) -> PurePosixPath:
        """Return the site path, without suffix, of the documents describing ``iri``.

        Hash IRIs share the document of the IRI before the '#'.
        """
        if not self.is_local(iri):
            raise ValueError(f"{iri!r} is not under the base IRI {self.base!r}")
        relative = iri[len(self.base) :].split("#", 1)[0]
        if not relative or relative.endswith("/") or ".." in relative.split("/"):
            raise ValueError(f"{iri!r} has no document path")
        return PurePosixPath(relative)

    def document_path(self, iri: str, fmt: Format) -> PurePosixPath:
        """Return the site path of the document describing ``iri`` in one format."""
        stem = self.document_stem(iri)
        return stem.with_name(f"{stem.name}.{fmt.suffix}")

    def page_path(self, iri_or_stem: str | PurePosixPath, lang: str) -> PurePosixPath:
        """Return the site path of an HTML page: Danish at <stem>.html, others at <stem>.<lang>.html.

        ``iri_or_stem`` is an IRI under the base (hash IRIs share their document's page) or a
        site stem such as ``index`` or ``id/area/turisme``.
        """
        if isinstance(iri_or_stem, str) and "://" in iri_or_stem:
            stem = self.document_stem(iri_or_stem)
        else:
            stem = PurePosixPath(iri_or_stem)
        suffix = "html" if lang == "da" else f"{lang}.html"
        return stem.with_name(f"{stem.name}.{suffix}")

    def href(self, source: PurePosixPath, target: PurePosixPath, fragment: str = "") -> str:
        """Return the relative link from the site file ``source`` to the site file ``target``.

        Links between published files are relative, so the site works from any static host
        and from a file:// copy.
        """
        folder = source.parent.parts
        parts = target.parts
        common = 0
        while common < min(len(folder), len(parts) - 1) and folder[common] == parts[common]:
            common += 1
        relative = "../" * (len(folder) - common) + "/".join(parts[common:])
        return relative + (f"#{fragment}" if fragment else "")

    def url(self, path: PurePosixPath | str) -> str:
        """Return the public URL of a site path."""
        return self.base + str(path)


# ---------------------------------------------------------------- content negotiation

SUFFIX_TYPES: dict[str, str] = {
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
    ".html": "text/html; charset=utf-8",
    ".gz": "application/gzip",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".rq": "application/sparql-query",
}
# Media type -> document suffix, in the order offered when the client has no preference.
NEGOTIABLE: dict[str, str] = {
    "text/html": "html",
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
}
FORMAT_NAMES: dict[str, str] = {
    "html": "html",
    "ttl": "ttl",
    "turtle": "ttl",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "nt": "nt",
    "ntriples": "nt",
    "rdf": "rdf",
    "rdfxml": "rdf",
    "xml": "rdf",
}


def media_type_of(path: str) -> str:
    """Return the Content-Type of a site file by its suffix (Turtle for suffix-less VoID)."""
    for suffix, media_type in SUFFIX_TYPES.items():
        if path.endswith(suffix):
            return media_type
    return "text/turtle; charset=utf-8" if path.endswith(".well-known/void") else "application/octet-stream"


def _weighted(header: str) -> list[tuple[str, float, int]]:
    entries = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
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
