"""The embedded engine (pyoxigraph) gives the same answers as rdflib's SPARQL on every named query.

On the real data's dump, and on a generated project of several strategies (tests/benchmarks/
scale.py): the shapes of data the named queries were rewritten for speed on (issue 11).
"""

from __future__ import annotations

import gzip
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib.plugins.sparql
from conftest import BASE, benchmark_module
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


def rdflib_dataset_of(quads: Iterable[ox.Quad]) -> Dataset:
    """Return the quads' named graphs in an rdflib Dataset."""
    dataset = Dataset()
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)  # type: ignore[union-attr]
    for graph, triples in by_graph.items():
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        dataset.graph(URIRef(graph)).parse(data=lines, format="nt")
    return dataset


@pytest.fixture(scope="module", autouse=True)
def from_reads_the_dataset() -> Iterator[None]:
    """Make rdflib's FROM <g> read the dataset's graph g (never fetch it)."""
    loading = rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    yield
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = loading


@pytest.fixture(scope="module")
def rdflib_dataset(built_site: Path) -> Dataset:
    """The dump's named graphs in an rdflib Dataset."""
    data = gzip.decompress((built_site / "dataset.nq.gz").read_bytes())
    return rdflib_dataset_of(ox.parse(data, format=ox.RdfFormat.N_QUADS))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, Dataset]:
    """A generated project of two synthetic strategies and the real one, in both engines.

    Its parts are loaded as the dump holds them (graph/ontology, graph/data, graph/shapes).
    """
    project = tmp_path_factory.mktemp("scale") / "project"
    benchmark_module("scale").generate(project, 7_000, seed=11)
    quads = []
    for part in ("ontology", "data", "shapes"):
        graph = ox.NamedNode(f"{BASE}graph/{part}")
        for path in sorted((project / part).glob("*.ttl")):
            triples = ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
            quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    store = ox.Store()
    store.extend(quads)
    return store, rdflib_dataset_of(quads)


def pyoxigraph_rows(store: ox.Store, query: NamedQuery) -> Counter[tuple[tuple[str, str], ...]]:
    substitutions = bindings(query, PARAMS.get(query.name, {}), base=BASE)
    rows = select(store, query.text, base=BASE, substitutions=substitutions)
    return Counter(tuple(sorted(row.items())) for row in rows)


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_pyoxigraph_and_rdflib_agree(name: str, site_store: ox.Store, rdflib_dataset: Dataset) -> None:
    query = named_queries()[name]
    ours = pyoxigraph_rows(site_store, query)
    assert ours == rdflib_rows(rdflib_dataset, query)
    assert sum(ours.values()) > 0


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_they_agree_on_generated_strategies(
    name: str, generated: tuple[ox.Store, Dataset], site_store: ox.Store
) -> None:
    store, dataset = generated
    query = named_queries()[name]
    ours = pyoxigraph_rows(store, query)
    assert ours == rdflib_rows(dataset, query)
    # The synthetic strategies answer too, not only the real one among them.
    assert sum(ours.values()) > sum(pyoxigraph_rows(site_store, query).values()) > 0
