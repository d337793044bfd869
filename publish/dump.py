"""The N-Quads dump: one named graph per part of the dataset, gzipped; written once, read by many.

``build`` writes it (with the catalogue as the graph ``graph/catalog``); ``query`` and ``serve``
load it into a store; ``push`` reads its quads exactly as written. Its site path is
:attr:`publish.uris.Uris.dump`.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from . import exports
from .dataset import LoadedDataset
from .errors import QueryError
from .uris import DUMP, PARTS


def nquads(dataset: LoadedDataset, extra: Mapping[str, Sequence[ox.Triple]]) -> bytes:
    """Return the dump's bytes: every part of the dataset and the ``extra`` graphs, by part name."""
    uris = dataset.uris
    quads = list(dataset.quads(*PARTS))
    for part, triples in extra.items():
        graph = ox.NamedNode(uris.graph(part))
        quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    return exports.nquads_gz(quads)


def path_in(site: Path) -> Path:
    """Return where the dump of a built site is (the site path is the same for every base IRI)."""
    return site / DUMP


def require(site: Path) -> Path:
    """Return the dump of a built site, or raise a QueryError saying to build first."""
    path = path_in(site)
    if not path.is_file():
        raise QueryError(f"{path}: no built dataset here; run `klyngedata build` first")
    return path


def load_store(site: Path) -> ox.Store:
    """Load the built dump of a site into an in-memory store."""
    store = ox.Store()
    store.bulk_load(gzip.decompress(require(site).read_bytes()), format=ox.RdfFormat.N_QUADS)
    return store


def read_bytes(site: Path) -> bytes:
    """Return the dump's N-Quads, decompressed (raises FileNotFoundError when there is none)."""
    return gzip.decompress(path_in(site).read_bytes())
