"""The EU vocabularies the catalogue uses, as shipped in ``publish/vocab/eu-nal`` (read, never edited).

Below both the catalogue (which states their labels) and the DCAT-AP check (which adds them
to the data graph of the controlled-vocabulary rules).
"""

from __future__ import annotations

import functools
from importlib import resources

import pyoxigraph as ox

from .rdf import RDF, SKOS


def eu_concepts() -> list[ox.Triple]:
    """Return the used concepts of the EU tables and ADMS lists (types, schemes, da/en labels).

    File types come from the whole EU file-type table (shipped unchanged), so any format of the
    registry with a real EU code is described and checked without another extract. Read once
    per process (packaged files): every catalogue of a build, and every rebuild, uses them.
    """
    return list(_read())


@functools.cache
def _read() -> tuple[ox.Triple, ...]:
    folder = resources.files("publish") / "vocab" / "eu-nal"
    used = ox.parse(folder.joinpath("used-concepts.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    table = ox.parse(
        folder.joinpath("file-type.filetypes-skos.rdf").read_bytes(), format=ox.RdfFormat.RDF_XML
    )
    keep = {RDF + "type", SKOS + "inScheme", SKOS + "prefLabel"}
    file_types = [
        q.triple
        for q in table
        if q.predicate.value in keep
        and (not isinstance(q.object, ox.Literal) or q.object.language in ("da", "en"))
        and (q.predicate.value != RDF + "type" or q.object.value == SKOS + "Concept")
    ]
    return tuple(dict.fromkeys([q.triple for q in used] + file_types))
