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

PARTS = ("ontology", "data", "shapes")


class Format(Enum):
    """A published serialisation: file suffix and IANA media type."""

    TURTLE = ("ttl", "text/turtle")
    JSONLD = ("jsonld", "application/ld+json")
    NTRIPLES = ("nt", "application/n-triples")
    NQUADS_GZ = ("nq.gz", "application/n-quads")

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

    def url(self, path: PurePosixPath | str) -> str:
        """Return the public URL of a site path."""
        return self.base + str(path)
