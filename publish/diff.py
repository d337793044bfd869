"""What changed between two states of the dataset: statement by statement, and resource by resource.

A state (:class:`Snapshot`) is the set of statements of each part (graph/ontology, graph/data,
graph/shapes), from a release's ``dataset.nq`` or from the working data. Blank nodes get a
label made from what they say (:func:`_bnode_labels`), so the same structure under other labels
is no change. :func:`compare` returns the added and removed statements per part and, for every
described thing whose own statements changed, one :class:`ResourceChange`: created, updated or
deleted, with its added and removed statements (blank nodes it reaches included).

Sentences for people are made in :mod:`publish.changetext`; RDF forms in :mod:`publish.changerdf`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .uris import PARTS, Uris

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
# ActivityStreams 2.0: the type of each kind of change, in the change summaries and the change
# stream (LDES declares these as its version create, update and delete objects).
AS = "https://www.w3.org/ns/activitystreams#"
KIND_TYPES = {CREATED: AS + "Create", UPDATED: AS + "Update", DELETED: AS + "Delete"}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The statements of each part of one state of the dataset (blank nodes labelled by content)."""

    name: str  # a release version, or "working"
    parts: Mapping[str, frozenset[ox.Triple]]

    def triples(self, *parts: str) -> list[ox.Triple]:
        """Return the statements of the given parts (all when none is named), sorted."""
        names = parts or tuple(self.parts)
        return sorted({t for name in names for t in self.parts.get(name, frozenset())}, key=str)


def snapshot(name: str, quads: Iterable[ox.Quad], uris: Uris) -> Snapshot:
    """Return the state held by ``quads`` (graphs graph/<part>; quads in other graphs are ignored)."""
    graphs = {uris.graph(part): part for part in PARTS}
    triples: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in quads:
        part = graphs.get(quad.graph_name.value) if isinstance(quad.graph_name, ox.NamedNode) else None
        if part is not None:
            triples[part].append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return Snapshot(name, {part: frozenset(_relabel(triples.get(part, []))) for part in PARTS})


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One described thing whose own statements changed between two states."""

    iri: str
    part: str
    kind: str  # CREATED, UPDATED or DELETED
    added: tuple[ox.Triple, ...]
    removed: tuple[ox.Triple, ...]


@dataclass(frozen=True, slots=True)
class Diff:
    """The changes from ``old`` to ``new``."""

    old: Snapshot
    new: Snapshot
    added: Mapping[str, tuple[ox.Triple, ...]]  # part → statements only the new state has
    removed: Mapping[str, tuple[ox.Triple, ...]]  # part → statements only the old state has
    resources: tuple[ResourceChange, ...]

    @property
    def empty(self) -> bool:
        """Tell whether nothing changed."""
        return not any(self.added.values()) and not any(self.removed.values())


def compare(old: Snapshot, new: Snapshot) -> Diff:
    """Return what changed from ``old`` to ``new``, per part and per described thing."""
    added = {p: tuple(sorted(new.parts[p] - old.parts[p], key=str)) for p in PARTS}
    removed = {p: tuple(sorted(old.parts[p] - new.parts[p], key=str)) for p in PARTS}
    resources: list[ResourceChange] = []
    for part in PARTS:
        if not added[part] and not removed[part]:
            continue
        before, after = _owners(old.parts[part]), _owners(new.parts[part])
        owners_added = _by_owner(added[part], after)
        owners_removed = _by_owner(removed[part], before)
        had, has = set(before.values()), set(after.values())
        for iri in sorted(set(owners_added) | set(owners_removed)):
            kind = CREATED if iri not in had else DELETED if iri not in has else UPDATED
            resources.append(
                ResourceChange(
                    iri, part, kind, tuple(owners_added.get(iri, ())), tuple(owners_removed.get(iri, ()))
                )
            )
    return Diff(old, new, added, removed, tuple(resources))


def descriptions(snap: Snapshot, part: str = "data") -> dict[str, list[ox.Triple]]:
    """Return, for every IRI subject of one part, its statements and those of the blank nodes it reaches."""
    owners = _owners(snap.parts[part])
    found: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in sorted(snap.parts[part], key=str):
        owner = owners.get(_key(triple.subject))
        if owner is not None:
            found[owner].append(triple)
    return dict(found)


def resources(snap: Snapshot, uris: Uris, part: str = "data") -> set[str]:
    """Return the described things (id/…) with statements of their own in one part."""
    return {
        t.subject.value
        for t in snap.parts[part]
        if isinstance(t.subject, ox.NamedNode) and uris.is_resource(t.subject.value)
    }


def _key(term: object) -> str:
    return str(term)


def _owners(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """Return, for every subject, the IRI it belongs to: itself, or the IRI whose statements reach it."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        by_subject[_key(triple.subject)].append(triple)
    owners: dict[str, str] = {}
    for subject, own in sorted(by_subject.items()):
        head = own[0].subject
        if not isinstance(head, ox.NamedNode):
            continue
        owners[subject] = head.value
        stack = [t.object for t in own if isinstance(t.object, ox.BlankNode)]
        while stack:
            node = _key(stack.pop())
            if node in owners:
                continue
            owners[node] = head.value
            stack += [t.object for t in by_subject.get(node, []) if isinstance(t.object, ox.BlankNode)]
    return owners


def _by_owner(triples: Iterable[ox.Triple], owners: Mapping[str, str]) -> dict[str, list[ox.Triple]]:
    grouped: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        owner = owners.get(_key(triple.subject))
        if owner is not None:
            grouped[owner].append(triple)
    return grouped


def _relabel(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Return ``triples`` with every blank node labelled by what it says (see :func:`_bnode_labels`)."""
    labels = _bnode_labels(triples)
    if not labels:
        return triples

    def term(node: object) -> object:
        return ox.BlankNode(labels[node.value]) if isinstance(node, ox.BlankNode) else node

    return [ox.Triple(term(t.subject), t.predicate, term(t.object)) for t in triples]  # type: ignore[arg-type]


def _bnode_labels(triples: list[ox.Triple]) -> dict[str, str]:
    """Return a label per blank node: a hash of its statements, nested blank nodes by their own hash.

    A blank node in a cycle of blank nodes keeps a label made from its place in the cycle walk;
    our data has none (shapes and ontology nest lists and property shapes, all trees).
    """
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple.subject, ox.BlankNode):
            by_subject[triple.subject.value].append(triple)
    labels: dict[str, str] = {}
    visiting: set[str] = set()

    def label(node: str) -> str:
        if node in labels:
            return labels[node]
        if node in visiting:
            return "cycle"
        visiting.add(node)
        lines = sorted(
            f"{t.predicate} {'_:' + label(t.object.value) if isinstance(t.object, ox.BlankNode) else t.object}"  # noqa: E501
            for t in by_subject.get(node, [])
        )
        visiting.discard(node)
        labels[node] = "b" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:24]
        return labels[node]

    for triple in triples:
        for node in (triple.subject, triple.object):
            if isinstance(node, ox.BlankNode):
                label(node.value)
    return labels
