"""Find the resource a user means by a slug (``turisme``), ``kind/slug``, a full IRI or a label.

Used by ``klyngedata snippet`` and by the parameters of named queries (``klyngedata query
--param area=…``); an unknown or ambiguous name is a usage error listing the candidates.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .errors import UsageError
from .view import Graph

# Kinds whose slug repeats the slug of the thing they belong to (a designation of an area, …):
# a bare slug names the thing itself first.
DERIVED_KINDS = ("area-designation", "cluster-designation", "cluster-initiative", "alternative-arrangement")


def resolve(
    graph: Graph,
    reference: str,
    *,
    fold: Callable[[str], str] | None = None,
    names: Callable[[Graph, str], list[str]] | None = None,
) -> str:
    """Return the IRI a user means by a slug (``turisme``), ``kind/slug``, a full IRI or a label.

    Labels are tried when ``fold`` (how search compares text: publish.search.fold) and ``names``
    (every label of a resource: publish.search.names) are given, after slugs: a label of one
    resource in any language, compared folded ("energy technology", "Fødevarer" as "fodevarer").
    """
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
    if fold is not None and names is not None:
        wanted = fold(reference)
        labelled = sorted(k for k, iri in named.items() if any(fold(n) == wanted for n in names(graph, iri)))
        primary = [k for k in labelled if k.split("/", 1)[0] not in DERIVED_KINDS]
        if len(labelled) == 1 or len(primary) == 1:
            return named[(primary or labelled)[0]]
        if labelled:
            candidates = primary if len(primary) > 1 else labelled
            listed = ", ".join(candidates)
            raise UsageError(f"{reference!r} is the label of several resources; say which: {listed}")
    close = difflib.get_close_matches(key, list(named) + [k.rsplit("/", 1)[-1] for k in named], n=5)
    hint = f"; did you mean: {', '.join(dict.fromkeys(close))}" if close else "; see embed/index.html for all"
    raise UsageError(f"no resource {reference!r}{hint}")
