"""The VoID description of the dataset and the SPARQL 1.1 Service Description of its endpoint.

VoID (``/.well-known/void`` and inside the catalogue graph) gives the dataset's size, its class
and property partitions, its dumps, endpoint, URI space, vocabularies and example resources,
counted from the published triples. The service description (``sparql-service-description.ttl``,
which the server answers a plain GET /sparql with) names the dump's graphs and their sizes.
Pure functions of their arguments.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from .dataset import LoadedDataset
from .formats import GRAPH, RESULTS, of_kind
from .rdf import DCT, FOAF, RDF, SD, VOID, W3C_FORMATS, named, triple, typed
from .uris import PARTS, Uris, slugify


def void_triples(
    dataset: LoadedDataset, *, endpoint: str, dumps: Sequence[str], features: Sequence[str]
) -> list[ox.Triple]:
    """Return the VoID description of the dataset (ontology and data): counts, partitions, access."""
    uris = dataset.uris
    ds = uris.dataset
    data = dataset.triples("ontology", "data")
    classes: Counter[str] = Counter()
    instances: dict[str, set[object]] = {}  # one pass: a pass per class grew with classes × triples
    for t in data:
        if t.predicate.value == RDF + "type":
            cls = named(t.object)
            classes[cls] += 1
            instances.setdefault(cls, set()).add(t.subject)
    properties = Counter(t.predicate for t in data)
    count = [
        ("triples", len(data)),
        ("distinctSubjects", len({t.subject for t in data})),
        ("distinctObjects", len({t.object for t in data})),
        ("classes", len(classes)),
        ("properties", len(properties)),
    ]
    triples = [triple(ds, RDF + "type", VOID + "Dataset")]
    triples += [triple(ds, VOID + name, typed(str(value), "integer")) for name, value in count]
    prefixes = uris.prefixes()
    for cls in sorted(classes, key=str):
        node = uris.catalog_node(f"class-{_local_name(cls, prefixes)}")
        triples += [
            triple(ds, VOID + "classPartition", node),
            triple(node, VOID + "class", cls),
            triple(node, VOID + "entities", typed(str(len(instances[cls])), "integer")),
        ]
    for prop, used in sorted(properties.items(), key=lambda item: str(item[0])):
        node = uris.catalog_node(f"property-{_local_name(prop.value, prefixes)}")
        triples += [
            triple(ds, VOID + "propertyPartition", node),
            triple(node, VOID + "property", prop.value),
            triple(node, VOID + "triples", typed(str(used), "integer")),
        ]
    triples += [triple(ds, VOID + "dataDump", url) for url in dumps]
    triples += [triple(ds, VOID + "feature", W3C_FORMATS + feature) for feature in features]
    document = uris.url(uris.void_path)
    triples += [
        triple(document, RDF + "type", VOID + "DatasetDescription"),
        triple(document, FOAF + "primaryTopic", ds),
        triple(ds, VOID + "sparqlEndpoint", endpoint),
        triple(ds, VOID + "uriSpace", ox.Literal(uris.base)),
        *(triple(ds, VOID + "vocabulary", ns) for ns in _vocabularies(data, prefixes)),
        *(triple(ds, VOID + "exampleResource", iri) for iri in _examples(dataset)),
    ]
    return triples


def void_document(catalog: Sequence[ox.Triple], uris: Uris) -> list[ox.Triple]:
    """Return /.well-known/void: the catalogue's VoID triples and the dataset's title, licence and dates."""
    ds = uris.dataset
    keep = {DCT + p for p in ("title", "description", "license", "publisher", "modified", "issued")}
    return [
        t
        for t in catalog
        if t.predicate.value.startswith(VOID)
        or (t.predicate.value == RDF + "type" and named(t.object).startswith(VOID))
        or (named(t.subject) == ds and t.predicate.value in keep)
        or named(t.subject) == uris.url(uris.void_path)
    ]


def _local_name(iri: str, prefixes: Mapping[str, str]) -> str:
    """Return ``prefix-Local`` for a term, case kept, for the fragment of its partition's IRI."""
    for name, namespace in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{name}-{re.sub(r'[^A-Za-z0-9_]+', '-', iri[len(namespace) :])}"
    return slugify(iri)


def _vocabularies(data: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> list[str]:
    terms = {t.predicate.value for t in data}
    terms |= {named(t.object) for t in data if t.predicate.value == RDF + "type"}
    namespaces = set(prefixes.values())
    used = {ns for ns in namespaces for term in terms if term.startswith(ns) and len(term) > len(ns)}
    return sorted(used)


def _examples(dataset: LoadedDataset) -> list[str]:
    """Return a strategy, an area and a cluster organisation: typical resources of the dataset."""
    kd = dataset.uris.ontology + "#"
    data = dataset.triples("data")
    found = []
    for cls in ("Strategy", "Stronghold", "ClusterOrganisation"):
        members = sorted(
            t.subject.value
            for t in data
            if t.predicate.value == RDF + "type"
            and named(t.object) == kd + cls
            and isinstance(t.subject, ox.NamedNode)
        )
        found += members[:1]
    return found


# ---------------------------------------------------------------- SPARQL service description


def service_description(
    dataset: LoadedDataset, *, endpoint: str, extra_graphs: Mapping[str, Sequence[ox.Triple]]
) -> list[ox.Triple]:
    """Return the SPARQL 1.1 Service Description of the endpoint (served on GET /sparql).

    It names the dump's graphs (the parts, and ``extra_graphs`` by part name) with their sizes;
    the default graph is their union. The result formats are those the server offers.
    """
    uris = dataset.uris
    service = uris.service
    offered = [f.w3c for f in (*of_kind(RESULTS), *of_kind(GRAPH)) if f.w3c]
    graphs = {part: [q.triple for q in dataset.quads(part)] for part in PARTS}
    graphs.update({part: list(extra) for part, extra in extra_graphs.items()})
    union = {t for triples in graphs.values() for t in triples}
    whole = ox.BlankNode("dataset")
    default = ox.BlankNode("default-graph")
    triples = [
        triple(service, RDF + "type", SD + "Service"),
        triple(service, SD + "endpoint", endpoint),
        triple(service, SD + "supportedLanguage", SD + "SPARQL11Query"),
        triple(service, SD + "feature", SD + "UnionDefaultGraph"),
        *(triple(service, SD + "resultFormat", W3C_FORMATS + name) for name in offered),
        ox.Triple(ox.NamedNode(service), ox.NamedNode(SD + "defaultDataset"), whole),
        ox.Triple(whole, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "Dataset")),
        ox.Triple(whole, ox.NamedNode(SD + "defaultGraph"), default),
        ox.Triple(default, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "Graph")),
        ox.Triple(default, ox.NamedNode(VOID + "triples"), typed(str(len(union)), "integer")),
    ]
    for part, part_triples in graphs.items():
        entry, graph = ox.BlankNode(f"named-{part}"), ox.BlankNode(f"graph-{part}")
        triples += [
            ox.Triple(whole, ox.NamedNode(SD + "namedGraph"), entry),
            ox.Triple(entry, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "NamedGraph")),
            ox.Triple(entry, ox.NamedNode(SD + "name"), ox.NamedNode(uris.graph(part))),
            ox.Triple(entry, ox.NamedNode(SD + "graph"), graph),
            ox.Triple(graph, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), typed(str(len(set(part_triples))), "integer")),
        ]
    return triples
