"""What changed, in sentences: one entry per changed thing, in any configured language.

Every sentence is a template of the message files (``[changes]`` in ``messages/<lang>.toml``)
filled with labels: a thing's label and its properties' labels in the wanted language, from the
new state (the old one for what is gone). A designation's start and end are told as the
designated organisation's news ("MARLOG: designation for maritime industries and logistics ended
2022"); any other statement as the value a property gained, lost or changed to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from .diff import CREATED, DELETED, Diff, ResourceChange, Snapshot
from .i18n import Messages
from .uris import Uris
from .view import Graph

_LABELLED = ("ontology", "data")


@dataclass(frozen=True, slots=True)
class Entry:
    """One changed thing: its IRI, label, kind of change and sentences."""

    iri: str
    label: str
    kind: str
    sentences: tuple[str, ...]


class Teller:
    """Tell the changes of one diff in one language."""

    def __init__(self, diff: Diff, uris: Uris, messages: Messages, lang: str) -> None:
        self.diff = diff
        self.words = messages[lang]["changes"]
        self.lang = lang
        self.new, self.old = _graphs(diff, uris, messages)

    def name(self, snapshot_name: str) -> str:
        """Return how a state is named in sentences: its version, or the words for the working data."""
        return str(self.words["working"]) if snapshot_name == "working" else snapshot_name

    def heading(self) -> str:
        """Return the line that says which two states are compared."""
        names = {"old": self.name(self.diff.old.name), "new": self.name(self.diff.new.name)}
        return str(self.words["heading" if not self.diff.empty else "none"]).format(**names)

    def entries(self) -> list[Entry]:
        """Return one entry per changed thing, in the order of the diff (part, then IRI)."""
        return [self.entry(change) for change in self.diff.resources]

    def label(self, iri: str) -> str:
        """Return the label of an IRI in this language: from the new state, else the old one."""
        graph = self.new if iri in self.new.out else self.old
        return graph.label(iri, self.lang).value

    def entry(self, change: ResourceChange) -> Entry:
        """Return the sentences of one changed thing."""
        label = self.label(change.iri)
        designation = self._designation(change)
        if designation is not None:
            return Entry(change.iri, label, change.kind, designation)
        if change.kind in (CREATED, DELETED):
            return Entry(change.iri, label, change.kind, (self._say(change.kind, label=label),))
        return Entry(change.iri, label, change.kind, tuple(self._values(change, label)))

    def _say(self, key: str, **values: str) -> str:
        return str(self.words[key]).format(**values)

    def _values(self, change: ResourceChange, label: str) -> list[str]:
        """Return a sentence per property value gained, lost or replaced (one out, one in)."""
        gained: dict[str, list[ox.Triple]] = defaultdict(list)
        lost: dict[str, list[ox.Triple]] = defaultdict(list)
        for triple in change.added:
            gained[self._slot(triple)].append(triple)
        for triple in change.removed:
            lost[self._slot(triple)].append(triple)
        sentences = []
        for slot in sorted(set(gained) | set(lost)):
            ins, outs = gained.get(slot, []), lost.get(slot, [])
            prop = self._property(slot.split(" ", 1)[0])
            if len(ins) == 1 and len(outs) == 1:
                old, new = self._value(outs[0].object, self.old), self._value(ins[0].object, self.new)
                sentences.append(self._say("value_changed", label=label, property=prop, old=old, new=new))
                continue
            for triple in outs:
                value = self._value(triple.object, self.old)
                sentences.append(self._say("value_removed", label=label, property=prop, value=value))
            for triple in ins:
                value = self._value(triple.object, self.new)
                sentences.append(self._say("value_added", label=label, property=prop, value=value))
        return sentences

    def _slot(self, triple: ox.Triple) -> str:
        """Return what one value fills: the subject's property, in one language for a text."""
        language = triple.object.language if isinstance(triple.object, ox.Literal) else None
        return f"{triple.predicate.value} {triple.subject} {language or ''}"

    def _property(self, predicate: str) -> str:
        graph = self.new if predicate in self.new.out else self.old
        return graph.label(predicate, self.lang).value

    def _value(self, term: object, graph: Graph) -> str:
        if isinstance(term, ox.NamedNode):
            return graph.label(term.value, self.lang).value if term.value in graph.out else f"<{term.value}>"
        if isinstance(term, ox.Literal):
            return f"“{term.value}”" + (f" ({term.language})" if term.language else "")
        return str(self.words["structure"])

    def _designation(self, change: ResourceChange) -> tuple[str, ...] | None:
        """Return a designation's change as the organisation's news, or None for anything else."""
        graph = self.old if change.kind == DELETED else self.new
        organisations = graph.iris(change.iri, graph.expand("kd:designatedOrganisation"))
        areas = graph.iris(change.iri, graph.expand("kd:forArea"))
        if not organisations or not areas:
            return None
        names = {"organisation": self.label(organisations[0]), "area": self.label(areas[0])}
        start, end = graph.expand("kd:startDate"), graph.expand("kd:endDate")
        sentences = []
        if change.kind == CREATED:
            when = [_lexical(t.object) for t in change.added if t.predicate.value == start]
            sentences.append(self._say("designation_started", date=when[0] if when else "?", **names))
        elif change.kind == DELETED:
            sentences.append(self._say("designation_removed", **names))
        rest = [t for t in change.added if t.predicate.value != start or change.kind != CREATED]
        ended = [_lexical(t.object) for t in change.added if t.predicate.value == end]
        dropped = [_lexical(t.object) for t in change.removed if t.predicate.value == end]
        if change.kind != DELETED and ended:
            key = "designation_end_changed" if dropped else "designation_ended"
            sentences.append(self._say(key, date=ended[0], old=dropped[0] if dropped else "", **names))
        elif change.kind != DELETED and dropped:
            sentences.append(self._say("designation_reopened", **names))
        if change.kind == CREATED:
            return tuple(sentences)
        others = ResourceChange(
            change.iri,
            change.part,
            change.kind,
            tuple(t for t in rest if t.predicate.value != end),
            tuple(t for t in change.removed if t.predicate.value != end),
        )
        if change.kind != DELETED:
            sentences += self._values(others, self.label(change.iri))
        return tuple(sentences)


# The label graphs of the diffs told last: built once per diff, shared by its tellers in every
# language. Each entry holds the diff it was made from, so its id is not reused while the entry
# is kept (a diff never changes once made), and the URIs and messages, compared by value.
_GRAPHS: dict[int, tuple[Diff, Uris, Messages, tuple[Graph, Graph]]] = {}
_KEPT = 32


def _graphs(diff: Diff, uris: Uris, messages: Messages) -> tuple[Graph, Graph]:
    """Return the new and old states' graphs a teller reads labels from (see :func:`_around`)."""
    kept = _GRAPHS.get(id(diff))
    if kept is not None and kept[0] is diff and kept[1] == uris and kept[2] == messages:
        return kept[3]
    terms = _terms(diff)
    made = (Graph(_around(diff.new, terms), uris, messages), Graph(_around(diff.old, terms), uris, messages))
    if len(_GRAPHS) >= _KEPT:
        del _GRAPHS[next(iter(_GRAPHS))]
    _GRAPHS[id(diff)] = (diff, uris, messages, made)
    return made


def _terms(diff: Diff) -> set[str]:
    """Return the IRIs of the changed things and of the properties and values of their changes."""
    found = {change.iri for change in diff.resources}
    for change in diff.resources:
        for triple in (*change.added, *change.removed):
            found.add(triple.predicate.value)
            if isinstance(triple.object, ox.NamedNode):
                found.add(triple.object.value)
    return found


def _around(snapshot: Snapshot, terms: set[str]) -> list[ox.Triple]:
    """Return what a teller reads of one state: the statements of ``terms`` and of what they point at.

    Labels are needed for the changed things, their properties and values, and (for a designation)
    the organisation and area it names: one step from the changed things. Indexing only these
    keeps a diff of a few changes cheap at any size.
    """
    triples = [t for part in _LABELLED for t in snapshot.parts.get(part, ())]
    needed = set(terms)
    for triple in triples:
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value in terms:
            needed.add(triple.predicate.value)
            if isinstance(triple.object, ox.NamedNode):
                needed.add(triple.object.value)
    return [t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value in needed]


def _lexical(term: object) -> str:
    """Return a date as written in the data (its precision is what the source gave)."""
    return term.value if isinstance(term, ox.Literal | ox.NamedNode) else "?"


def tell(diff: Diff, uris: Uris, messages: Messages, lang: str) -> tuple[str, list[Entry]]:
    """Return the heading and the entries of a diff in one language."""
    teller = Teller(diff, uris, messages, lang)
    return teller.heading(), teller.entries()


def text(diff: Diff, uris: Uris, messages: Messages, lang: str) -> str:
    """Return the diff for people: a heading, then each changed thing's sentences, one a line."""
    heading, entries = tell(diff, uris, messages, lang)
    lines = [heading]
    for entry in entries:
        lines += [f"- {sentence}" for sentence in entry.sentences]
    words = messages[lang]["changes"]
    for part in diff.added:
        added, removed = len(diff.added[part]), len(diff.removed[part])
        if added or removed:
            lines.append(
                str(words["statements"]).format(graph=uris.graph(part), added=added, removed=removed)
            )
    return "\n".join(lines) + "\n"
