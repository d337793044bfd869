"""The changes of a diff as RDF: a summary per changed thing, and the statements per named graph.

Two documents, both from one :class:`publish.diff.Diff`:

* the summary (Turtle): one ActivityStreams activity per changed thing, ``as:Create``,
  ``as:Update`` or ``as:Delete`` with ``as:object`` the thing and ``as:summary`` the sentences
  in every language — the same types the change stream (LDES) gives its members;
* the statements (TriG): the summary in the default graph, and for each changed part two named
  graphs, ``<changeset>/added/<part>`` and ``<changeset>/removed/<part>``, holding the statements
  added to and removed from ``graph/<part>``. The default graph links each part's graph to them
  with the Delta ontology's ``delta:insertion`` and ``delta:deletion`` (TimBL's design note for
  RDF differences, whose quoted formulas become named graphs here). Applying the changes is
  ``DELETE DATA`` of the removed graph and ``INSERT DATA`` of the added one, graph by graph.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from .changetext import Teller
from .config import Config
from .diff import AS, KIND_TYPES, Diff
from .exports import turtle
from .i18n import Messages
from .rdf import DCT, RDF_TYPE, VOID, triple, typed
from .uris import Uris

DELTA = "http://www.w3.org/2004/delta#"
PREFIXES = {"as": AS, "delta": DELTA}


def summary(diff: Diff, uris: Uris, messages: Messages, *, iri: str) -> list[ox.Triple]:
    """Return the summary triples of a diff: the change set and an activity per changed thing."""
    found = [triple(iri, RDF_TYPE, AS + "Collection")]
    tellers = {lang: Teller(diff, uris, messages, lang) for lang in uris.languages}
    for lang, teller in tellers.items():
        found.append(triple(iri, AS + "summary", ox.Literal(teller.heading(), language=lang)))
    for number, change in enumerate(diff.resources):
        activity = f"{iri}#{number + 1}"
        found += [
            triple(iri, AS + "items", activity),
            triple(activity, RDF_TYPE, KIND_TYPES[change.kind]),
            triple(activity, AS + "object", change.iri),
            triple(activity, DCT + "isPartOf", uris.graph(change.part)),
        ]
        for lang, teller in tellers.items():
            text = "\n".join(teller.entry(change).sentences)
            found.append(triple(activity, AS + "summary", ox.Literal(text, language=lang)))
    return found


def summary_turtle(diff: Diff, uris: Uris, messages: Messages, *, iri: str) -> bytes:
    """Return the summary of a diff as Turtle."""
    return turtle(summary(diff, uris, messages, iri=iri), {**uris.prefixes(), **PREFIXES})


def statements(diff: Diff, uris: Uris, messages: Messages, *, iri: str) -> list[ox.Quad]:
    """Return the summary (default graph) and the added and removed statements per named graph."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in summary(diff, uris, messages, iri=iri)]
    for part in diff.added:
        for word, found, link in (
            ("added", diff.added[part], "insertion"),
            ("removed", diff.removed[part], "deletion"),
        ):
            if not found:
                continue
            graph = f"{iri}/{word}/{part}"
            target = ox.NamedNode(uris.graph(part))
            quads.append(ox.Quad(target, ox.NamedNode(DELTA + link), ox.NamedNode(graph)))
            count = typed(str(len(found)), "integer")
            quads.append(ox.Quad(ox.NamedNode(graph), ox.NamedNode(VOID + "triples"), count))
            quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in found]
    return quads


def statements_trig(diff: Diff, uris: Uris, messages: Messages, *, iri: str) -> bytes:
    """Return the summary and the changed statements per named graph as TriG."""
    quads = sorted(set(statements(diff, uris, messages, iri=iri)), key=str)
    prefixes = {**uris.prefixes(), **PREFIXES}
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes) or b""


def to_json(diff: Diff, config: Config, lang: str, *, iri: str) -> str:
    """Return the diff for programs: sentences per changed thing, and statements per graph (N-Triples)."""
    teller = Teller(diff, config.uris, config.messages, lang)
    things = []
    for change in diff.resources:
        entry = teller.entry(change)
        things.append(
            {
                "iri": change.iri,
                "label": entry.label,
                "change": change.kind,
                "graph": config.uris.graph(change.part),
                "sentences": list(entry.sentences),
                "added": [str(t) + " ." for t in change.added],
                "removed": [str(t) + " ." for t in change.removed],
            }
        )
    graphs = {
        config.uris.graph(part): {
            "added": [str(t) + " ." for t in diff.added[part]],
            "removed": [str(t) + " ." for t in diff.removed[part]],
        }
        for part in diff.added
        if diff.added[part] or diff.removed[part]
    }
    body = {
        "id": iri,
        "old": diff.old.name,
        "new": diff.new.name,
        "heading": teller.heading(),
        "resources": things,
        "graphs": graphs,
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
