"""IRIs never break: what a thing some release published, and the data no longer has, answers.

A described thing (id/…) that a release had and the working data has not is *gone*. Its IRI
keeps answering, with status 410 Gone, in every format: its description in the last release
that had it, marked ``owl:deprecated true``, with ``dct:isReplacedBy`` each thing of the data
that says ``dct:replaces`` it (a renamed thing names the IRI it replaces), and ``rdfs:seeAlso``
the changelog of the release that removed it. The build writes these documents under
``gone/`` (:meth:`publish.uris.Uris.gone_stem`); ``serve`` and the static-host rules answer 410
with them at the thing's own IRI (its own documents no longer exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from .diff import Snapshot, descriptions, resources
from .history import WORKING
from .rdf import DCT, OWL, RDFS, typed
from .releases import Release
from .uris import Uris


@dataclass(frozen=True, slots=True)
class Gone:
    """A thing no longer published: where it was last, what removed it, what replaces it."""

    iri: str
    last: str  # the version of the last release that had it
    removed: str  # the version of the release that removed it, or "working" (not yet released)
    successors: tuple[str, ...]
    description: tuple[ox.Triple, ...]  # its description in the last release that had it

    def triples(self, uris: Uris) -> list[ox.Triple]:
        """Return what its IRI answers: the last description, deprecated, with its successors."""
        subject = ox.NamedNode(self.iri)
        found = list(self.description)
        found.append(ox.Triple(subject, ox.NamedNode(OWL + "deprecated"), typed("true", "boolean")))
        found += [
            ox.Triple(subject, ox.NamedNode(DCT + "isReplacedBy"), ox.NamedNode(s)) for s in self.successors
        ]
        if self.removed != WORKING:
            changes = uris.url(uris.changes_stem(self.removed))
            found.append(ox.Triple(subject, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode(changes)))
        return sorted(set(found), key=str)


def find(uris: Uris, states: Sequence[tuple[Release, Snapshot]], current: Snapshot) -> list[Gone]:
    """Return every thing some release had and ``current`` has not, by IRI."""
    now = resources(current, uris)
    last: dict[str, int] = {}
    for index, (_, state) in enumerate(states):
        for iri in resources(state, uris):
            last[iri] = index
    replaces = DCT + "replaces"
    successors: dict[str, list[str]] = {}
    for triple in current.parts["data"]:
        subject, obj = triple.subject, triple.object
        if triple.predicate.value == replaces and isinstance(obj, ox.NamedNode):
            if isinstance(subject, ox.NamedNode):
                successors.setdefault(obj.value, []).append(subject.value)
    found = []
    described: dict[int, dict[str, list[ox.Triple]]] = {}
    for iri in sorted(set(last) - now):
        index = last[iri]
        if index not in described:
            described[index] = descriptions(states[index][1])
        removed = states[index + 1][0].version if index + 1 < len(states) else WORKING
        found.append(
            Gone(
                iri,
                states[index][0].version,
                removed,
                tuple(sorted(successors.get(iri, []))),
                tuple(described[index].get(iri, [])),
            )
        )
    return found
