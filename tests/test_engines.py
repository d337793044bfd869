"""The embedded engine (pyoxigraph) gives the same answers as rdflib's SPARQL on every named query."""

from __future__ import annotations

import gzip
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib.plugins.sparql
from conftest import BASE
from rdflib import Dataset, Literal, URIRef

from publish.sparql import NamedQuery, bindings, named_queries, select

PARAMS = {"designations-active-on": {"date": "2021-06-01"}}


def rdflib_rows(dataset: Dataset, query: NamedQuery) -> Counter[tuple[tuple[str, str], ...]]:
    values = PARAMS.get(query.name, {})
    terms = bindings(query, values, base=BASE)
    init = {
        name.value: URIRef(term.value)
        if isinstance(term, ox.NamedNode)
        else Literal(
            term.value,
            datatype=URIRef(term.datatype.value),  # type: ignore[union-attr]
        )
        for name, term in terms.items()
    }
    with warnings.catch_warnings():
        # rdflib's own SPARQL code calls Dataset.default_context, which rdflib 7.6 deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        result = list(dataset.query(query.text, base=BASE, initBindings=init))
    rows = Counter()
    for row in result:
        rows[tuple(sorted((str(k), str(v)) for k, v in row.asdict().items()))] += 1  # type: ignore[union-attr]
    return rows


@pytest.fixture(scope="module")
def rdflib_dataset(built_site: Path) -> Iterator[Dataset]:
    """The dump's named graphs in an rdflib Dataset, FROM resolved against them (never fetched)."""
    dataset = Dataset()
    quads = ox.parse(
        gzip.decompress((built_site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS
    )
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)  # type: ignore[union-attr]
    for graph, triples in by_graph.items():
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        dataset.graph(URIRef(graph)).parse(data=lines, format="nt")
    loading = rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # FROM <g> reads the dataset's graph g
    yield dataset
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = loading


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_pyoxigraph_and_rdflib_agree(name: str, site_store: ox.Store, rdflib_dataset: Dataset) -> None:
    query = named_queries()[name]
    substitutions = bindings(query, PARAMS.get(name, {}), base=BASE)
    ours = Counter(
        tuple(sorted(row.items()))
        for row in select(site_store, query.text, base=BASE, substitutions=substitutions)
    )
    theirs = rdflib_rows(rdflib_dataset, query)
    assert ours == theirs
    assert sum(ours.values()) > 0
