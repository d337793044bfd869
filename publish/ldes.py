"""The change stream: every change of every release as a Linked Data Event Stream (SEMIC LDES + W3C TREE).

A portal replicates the data, then stays in sync, by reading static pages:

``ldes`` (negotiated; ``ldes.ttl`` and the other RDF forms)
    the ``ldes:EventStream`` (``<ldes#stream>``) and its view, the root ``tree:Node``
    ``<ldes>``: one ``tree:GreaterThanOrEqualToRelation`` on ``dct:modified`` per release, to
    that release's page. The only page that changes: a new release adds a relation.
``ldes/<VERSION>.ttl`` (and its other RDF forms, ``.jsonld``, ``.nt``, ``.rdf``)
    one page per release, complete when the release is made and never changed afterwards
    (served ``immutable``). Its members are version objects, one per described thing (id/…) the
    release created, updated or deleted: ``as:Create``/``as:Update`` carry the thing's whole
    description in that release, ``as:Delete`` only says it is gone; each has
    ``dct:isVersionOf`` the thing (``ldes:versionOfPath``) and ``dct:modified`` the release's
    issue date (``ldes:timestampPath``).

A client that saved its state fetches only the root again (it may change) and the pages it has
not seen: exactly the new releases' members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from . import formats
from .artifact import Artifact
from .diff import AS, DELETED, KIND_TYPES, Diff, descriptions
from .formats import Vocabulary
from .rdf import DCT, RDF_TYPE, typed
from .releases import Release
from .uris import Uris

LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
PREFIXES = {"ldes": LDES, "tree": TREE, "as": AS}
TIMESTAMP = DCT + "modified"
VERSION_OF = DCT + "isVersionOf"


def stream_artifacts(
    uris: Uris, history: Sequence[tuple[Release, Diff]], context: Mapping[str, Any] | None = None
) -> list[Artifact]:
    """Return the root page of the stream and one page per release, each in every RDF format.

    ``context`` is the site's published JSON-LD context (its terms, nothing else, in JSON-LD).
    """
    if not history:
        return []
    vocabulary = Vocabulary({**uris.prefixes(), **PREFIXES}, context or {})
    root = root_triples(uris, [release for release, _ in history])
    stem = uris.document_stem(uris.stream)
    artifacts = [
        Artifact(stem.with_name(fmt.path(stem.name)), fmt.media_type, fmt.write(root, vocabulary))
        for fmt in formats.rdf_documents()
        if fmt.write is not None
    ]
    for release, diff in history:
        page = page_triples(uris, release, diff)
        # The page's IRI is its Turtle file; the other RDF forms beside it say the same.
        turtle = uris.stream_fragment(release.version)
        artifacts += [
            Artifact(turtle.with_name(fmt.path(release.version)), fmt.media_type, fmt.write(page, vocabulary))
            for fmt in formats.rdf_documents()
            if fmt.write is not None
        ]
    return artifacts


def _node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _t(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | str) -> ox.Triple:
    value = _node(obj) if isinstance(obj, str) else obj
    return ox.Triple(_node(subject), _node(predicate), value)


def stream_iri(uris: Uris) -> str:
    """Return the IRI of the ldes:EventStream (a node of the root page)."""
    return uris.stream + "#stream"


def timestamp(release: Release) -> ox.Literal:
    """Return the time of a release's members: the start of its issue day, UTC."""
    return typed(f"{release.issued.isoformat()}T00:00:00Z", "dateTime")


def root_triples(uris: Uris, releases: Sequence[Release]) -> list[ox.Triple]:
    """Return the root page: the stream, how to read its members, and a relation per release page."""
    stream, root = stream_iri(uris), uris.stream
    found = [
        _t(stream, RDF_TYPE, LDES + "EventStream"),
        _t(stream, LDES + "timestampPath", TIMESTAMP),
        _t(stream, LDES + "versionOfPath", VERSION_OF),
        _t(stream, LDES + "versionCreateObject", KIND_TYPES["created"]),
        _t(stream, LDES + "versionUpdateObject", KIND_TYPES["updated"]),
        _t(stream, LDES + "versionDeleteObject", KIND_TYPES[DELETED]),
        _t(stream, TREE + "view", root),
        _t(stream, DCT + "isPartOf", uris.dataset),
        _t(root, RDF_TYPE, TREE + "Node"),
    ]
    for release in releases:
        relation = f"{root}#after-{release.version}"
        found += [
            _t(root, TREE + "relation", relation),
            _t(relation, RDF_TYPE, TREE + "GreaterThanOrEqualToRelation"),
            _t(relation, TREE + "node", uris.url(uris.stream_fragment(release.version))),
            _t(relation, TREE + "path", TIMESTAMP),
            _t(relation, TREE + "value", timestamp(release)),
        ]
    return found


def page_triples(uris: Uris, release: Release, diff: Diff) -> list[ox.Triple]:
    """Return one release's page: its members, each a version of one described thing."""
    stream, page = stream_iri(uris), uris.url(uris.stream_fragment(release.version))
    found = [_t(page, RDF_TYPE, TREE + "Node")]
    states = descriptions(diff.new, "data")
    when = timestamp(release)
    for change in diff.resources:
        if change.part != "data" or not uris.is_resource(change.iri):
            continue
        member = uris.member(release.version, change.iri)
        found += [
            _t(stream, TREE + "member", member),
            _t(member, RDF_TYPE, KIND_TYPES[change.kind]),
            _t(member, VERSION_OF, change.iri),
            _t(member, TIMESTAMP, when),
        ]
        if change.kind == DELETED:
            continue
        for triple in states.get(change.iri, []):
            subject = _node(member) if triple.subject == _node(change.iri) else triple.subject
            found.append(ox.Triple(subject, triple.predicate, triple.object))
    return found
