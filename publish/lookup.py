"""Find the resource a user means by a slug (``turisme``), ``kind/slug`` or a full IRI.

Used by ``klyngedata snippet``; an unknown or ambiguous name is a usage error listing the
candidates.
"""

from __future__ import annotations

import difflib

from .errors import UsageError
from .view import Graph

# Kinds whose slug repeats the slug of the thing they belong to (a designation of an area, …):
# a bare slug names the thing itself first.
DERIVED_KINDS = ("area-designation", "cluster-designation", "cluster-initiative", "alternative-arrangement")


def resolve(graph: Graph, reference: str) -> str:
    """Return the IRI a user means by a slug (``turisme``), ``kind/slug`` or a full IRI."""
    named = {iri[len(graph.uris.base) + len("id/") :]: iri for iri in graph.resources}
    if reference in graph.resources:
        return reference
    key = reference.removeprefix("id/")
    if key in named:
        return named[key]
    matches = sorted(k for k in named if k.rsplit("/", 1)[-1] == reference)
    primary = [k for k in matches if k.split("/", 1)[0] not in DERIVED_KINDS]
    if len(matches) == 1 or len(primary) == 1:
        return named[(primary or matches)[0]]
    if matches:
        candidates = primary if len(primary) > 1 else matches
        raise UsageError(f"{reference!r} names several resources; say which: {', '.join(candidates)}")
    close = difflib.get_close_matches(key, list(named) + [k.rsplit("/", 1)[-1] for k in named], n=5)
    hint = f"; did you mean: {', '.join(dict.fromkeys(close))}" if close else "; see embed/index.html for all"
    raise UsageError(f"no resource {reference!r}{hint}")
