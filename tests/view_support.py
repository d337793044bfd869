"""A view.Graph of the tiny project (tests/projects/tiny) and the real ontology, built without a build.

Parsing two Turtle files takes milliseconds, so the unit tests of view.py and facts.py read the
same small, real data the bad-data suite starts from, instead of building the whole project.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pyoxigraph as ox
from conftest import BASE, ROOT, TINY

from publish.i18n import load_messages
from publish.uris import Uris
from publish.view import Graph, View

URIS = Uris(BASE)
AREA = f"{BASE}id/area/miljoeteknologi"
CLUSTER = f"{BASE}id/cluster/clean"
CLUSTER_DESIGNATION = f"{BASE}id/cluster-designation/clean"
INITIATIVE = f"{BASE}id/cluster-initiative/miljoeteknologi"
STRATEGY = f"{BASE}id/strategy/erhvervsfremme-i-danmark-2020-2023"
BOARD = f"{BASE}id/organisation/danmarks-erhvervsfremmebestyrelse"


@cache
def tiny_triples() -> tuple[ox.Triple, ...]:
    """Return the real ontology's and the tiny project's data triples."""
    paths = [ROOT / "ontology" / "klyngedata.ttl", TINY / "data" / "tiny.ttl"]
    return tuple(
        triple for path in paths for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    )


def graph(extra: Iterable[ox.Triple] = ()) -> Graph:
    """Return a view graph of the tiny data plus ``extra`` triples."""
    return Graph([*tiny_triples(), *extra], URIS, load_messages(URIS.languages))


def view_of(iri_or_stem: str, lang: str, source: Graph | None = None) -> View:
    """Return the view of one resource's page (or a stem such as ``index``) in ``lang``."""
    return View(source or graph(), lang, URIS.page_path(iri_or_stem, lang))
