"""The embedded engine (pyoxigraph) gives the same answers as rdflib's SPARQL on every named query."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BASE
from rdflib import Graph, Literal, URIRef

from publish.sparql import NamedQuery, bindings, named_queries, select

PARAMS = {"designations-active-on": {"date": "2021-06-01"}}


def rdflib_rows(dataset: Graph, query: NamedQuery) -> Counter[tuple[tuple[str, str], ...]]:
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
    result = dataset.query(query.text, base=BASE, initBindings=init)
    rows = Counter()
    for row in result:
        rows[tuple(sorted((str(k), str(v)) for k, v in row.asdict().items()))] += 1  # type: ignore[union-attr]
    return rows


@pytest.fixture(scope="module")
def rdflib_dataset(built_site: Path) -> Graph:
    """The union of the dump's graphs in one rdflib Graph (the named queries use no GRAPH)."""
    quads = ox.parse(
        gzip.decompress((built_site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS
    )
    triples = ox.serialize([quad.triple for quad in quads], format=ox.RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=triples, format="nt")


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_pyoxigraph_and_rdflib_agree(name: str, site_store: ox.Store, rdflib_dataset: Graph) -> None:
    query = named_queries()[name]
    substitutions = bindings(query, PARAMS.get(name, {}), base=BASE)
    ours = Counter(
        tuple(sorted(row.items()))
        for row in select(site_store, query.text, base=BASE, substitutions=substitutions)
    )
    theirs = rdflib_rows(rdflib_dataset, query)
    assert ours == theirs
    assert sum(ours.values()) > 0
