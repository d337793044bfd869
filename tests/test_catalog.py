"""The DCAT-AP 3.0.1 catalogue, VoID and the SPARQL service description, checked as a portal would.

The official artefacts are read from tests/vocab (not from the package's copy), and the
files are checked with plain RDF parsers and hashlib, independently of the product's code.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import shutil
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE, ROOT, VENDOR, make_tiny
from pyld import jsonld
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS, XSD, Namespace
from rdflib.term import Node

from publish import catalog as catalog_module
from publish.build import plan
from publish.config import load_config, parse_table
from publish.dataset import load
from publish.errors import ConfigError, ValidationFailed

VOCAB = VENDOR
OFFICIAL = VOCAB / "dcat-ap-3.0.1" / "shacl"
PACKAGED = Path(catalog_module.__file__).parent / "vocab"
FULL = ("shapes.ttl", "range.ttl", "shapes_recommended.ttl", "deprecateduris.ttl")
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT is DCAT 2
SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
EU = "http://publications.europa.eu/resource/authority/"
CATALOG = URIRef(BASE + "catalog")
DATASET = URIRef(BASE + "dataset")
SERVICE = URIRef(BASE + "sparql")
DUMP = URIRef(BASE + "dataset.nq.gz")
BOARD = URIRef(BASE + "id/organisation/danmarks-erhvervsfremmebestyrelse")
SECRETARIAT = URIRef(BASE + "id/contact/sekretariatet")
CATALOG_GRAPH = BASE + "graph/catalog"
# The stored releases (data/releases/<version>/release.toml), each a version of the dataset.
HISTORY = sorted(
    (
        tomllib.loads((folder / "release.toml").read_text(encoding="utf-8"))
        for folder in (ROOT / "data" / "releases").iterdir()
    ),
    key=lambda record: (record["issued"], record["version"]),
)
RELEASES = [URIRef(f"{CATALOG}#release-{record['version']}") for record in HISTORY]
# SHA-256 as the official DCAT-AP 3.0.1 vocabulary shape demands (^https://spdx.org/rdf/terms);
# SPDX 2.3 itself writes it http://spdx.org/rdf/terms#checksumAlgorithm_sha256 (README, Data portals).
SHA256_AS_DCAT_AP_WANTS = URIRef("https://spdx.org/rdf/terms#checksumAlgorithm_sha256")
DK = VOCAB / "dcat-ap-dk" / "v2.0" / "validation"

# ---------------------------------------------------------------- helpers


def parse(path: Path, fmt: str = "turtle") -> Graph:
    """Parse one file with rdflib, a plain RDF parser."""
    return Graph().parse(path, format=fmt)


def shapes(folder: Path, names: Iterable[str]) -> Graph:
    """Merge official shapes files into one graph."""
    graph = Graph()
    for name in names:
        graph.parse(folder / name, format="turtle")
    return graph


def run_shacl(data: Graph, shapes_graph: Graph) -> list[dict[str, Node | None]]:
    """Run pySHACL as the EU validator does (no inference, no imports); return the report's results."""
    _, report, _ = shacl_validate(
        data,
        shacl_graph=shapes_graph,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        do_owl_imports=False,
        meta_shacl=False,
        advanced=False,
    )
    top = next(report.subjects(RDF.type, SH.ValidationReport))
    fields = ("resultSeverity", "focusNode", "resultPath", "value", "sourceConstraintComponent")
    return [
        {name: report.value(result, SH[name]) for name in fields} for result in report.objects(top, SH.result)
    ]


def corrected_vocabulary_shapes() -> Graph:
    """The official controlled-vocabulary shapes with the SPDX pattern erratum (see publish/dcatap.py)."""
    graph = shapes(OFFICIAL, ["mdr-vocabularies.shape.ttl"])
    rule = URIRef("http://data.europa.eu/r5r#ChecksumAlgorithmRestriction")
    assert (rule, SH.pattern, Literal("^https://spdx.org/rdf/terms")) in graph
    graph.set((rule, SH.pattern, Literal("^https?://spdx.org/rdf/terms")))
    return graph


@functools.cache
def eu_tables() -> Graph:
    """All the EU authority tables and ADMS lists of the kit, and the stubs for the missing tables.

    Read once per session; callers must not modify it.
    """
    graph = Graph()
    for path in sorted((VOCAB / "eu-nal").glob("*.rdf")):
        graph.parse(path, format="xml")
    graph.parse(VOCAB / "eu-nal" / "missing-tables-stubs.ttl", format="turtle")
    return graph


def assert_isomorphic(expected: Graph, actual: Graph, what: str) -> None:
    """Fail with the differing triples unless the graphs are isomorphic."""
    left, right = to_isomorphic(expected), to_isomorphic(actual)
    if left != right:
        _, only_expected, only_actual = graph_diff(left, right)
        raise AssertionError(
            f"{what}: graphs differ\nonly expected:\n"
            + "\n".join(sorted(f"  {t}" for t in only_expected)[:20])
            + "\nonly actual:\n"
            + "\n".join(sorted(f"  {t}" for t in only_actual)[:20])
        )


def read_jsonld(path: Path, site: Path) -> Graph:
    """Parse a JSON-LD file with pyld, serving only the site's own context (no network)."""

    def loader(url: str, options: object = None) -> dict[str, Any]:
        if url != BASE + "context.jsonld":
            raise ValueError(f"the test refuses to fetch {url}")
        document = json.loads((site / "context.jsonld").read_text(encoding="utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": document}

    document = json.loads(path.read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return Graph().parse(data=nquads, format="nt")


def dump_graph(site: Path, name: str) -> Graph:
    """Return one named graph of the gzipped N-Quads dump, read with rdflib."""
    data = gzip.decompress((site / "dataset.nq.gz").read_bytes()).decode("utf-8")
    lines = [line for line in data.splitlines() if line.endswith(f"<{name}> .")]
    stripped = "\n".join(line[: -len(f"<{name}> .")] + "." for line in lines)
    return Graph().parse(data=stripped, format="nt")


def languages(graph: Graph, node: Node, prop: URIRef) -> set[str | None]:
    """Return the language tags of the values of ``prop`` on ``node``."""
    return {value.language if isinstance(value, Literal) else None for value in graph.objects(node, prop)}


def integer(graph: Graph, node: Node | None, prop: URIRef) -> int:
    """Return the integer value of ``prop`` on ``node``; fail if there is none."""
    value = graph.value(node, prop)
    assert isinstance(value, Literal), f"no {prop} on {node}"
    return int(value)


def site_path(url: str) -> str:
    """Return the site path of a URL under the base."""
    assert url.startswith(BASE), url
    return url[len(BASE) :]


def resolves(iri: str, site: Path) -> Path | None:
    """Return the built file a request for ``iri`` is answered with, as the server answers it.

    A file path is served as is; the base is index.html; the SPARQL endpoint answers a plain GET
    with its service description; the dump's graph names (graph/<part>) live in the dump (README,
    URI policy); any other IRI (hash IRIs by their document) by content negotiation, whose Turtle
    form is <path>.ttl.
    """
    if iri == BASE:
        candidates = ["index.html"]
    elif iri == BASE + "sparql":
        candidates = ["sparql-service-description.ttl"]
    elif iri.startswith(BASE + "graph/"):
        candidates = ["dataset.nq.gz"]
    else:
        relative = site_path(iri).split("#", 1)[0]
        candidates = [relative, relative + ".ttl"]
    for candidate in candidates:
        if (site / candidate).is_file():
            return site / candidate
    return None


# ---------------------------------------------------------------- the official shapes


def test_official_full_shapes_report_nothing(built_site: Path) -> None:
    results = run_shacl(parse(built_site / "catalog.ttl"), shapes(OFFICIAL, FULL))
    assert results == [], "the official DCAT-AP 3.0.1 shapes report violations or warnings"


def test_controlled_vocabularies_pass_with_the_eu_tables(built_site: Path) -> None:
    data = parse(built_site / "catalog.ttl") + eu_tables()
    results = run_shacl(data, corrected_vocabulary_shapes())
    assert [r for r in results if r["resultSeverity"] == SH.Violation] == []
    # The only warnings: the publisher is a national authority, not an EU corporate body.
    warned = sorted((str(r["focusNode"]), str(r["resultPath"]), str(r["value"])) for r in results)
    publisher = str(DCTERMS.publisher)
    nodes = (CATALOG, *RELEASES, DATASET, SERVICE)
    assert warned == [(str(node), publisher, str(BOARD)) for node in nodes]


def test_the_unpatched_official_vocabulary_shapes_report_no_violation(built_site: Path) -> None:
    """The EU validator runs mdr-vocabularies.shape.ttl as published: no erratum needed any more."""
    data = parse(built_site / "catalog.ttl") + eu_tables()
    results = run_shacl(data, shapes(OFFICIAL, ["mdr-vocabularies.shape.ttl"]))
    assert [r for r in results if r["resultSeverity"] == SH.Violation] == []
    # The only warnings, as with the erratum: the publisher is not an EU corporate body.
    assert {(r["resultSeverity"], r["resultPath"], r["value"]) for r in results} == {
        (SH.Warning, DCTERMS.publisher, BOARD)
    }


@pytest.mark.parametrize("kind", ["-strict", ""])
def test_the_danish_rendition_passes_dcat_ap_dk_2_0_2(built_site: Path, kind: str) -> None:
    """catalog-dk.rdf passes DCAT-AP-DK 2.0.2, strict and normal: no violation, no warning."""
    shapes_file = DK / f"dcat-ap-dk_2.0.2_shacl_shapes{kind}.ttl"
    assert run_shacl(parse(built_site / "catalog-dk.rdf", "xml"), parse(shapes_file)) == []


def test_the_danish_rendition_says_the_same_in_dcat_ap_2_terms(built_site: Path) -> None:
    """The facts of catalog.ttl; sizes as xsd:decimal, SHA-1 of the real files, DCAT-AP 2's availability."""
    dk, main = parse(built_site / "catalog-dk.rdf", "xml"), parse(built_site / "catalog.ttl")
    dcatap = Namespace("http://data.europa.eu/r5r/")
    changed = (DCAT.byteSize, SPDX.algorithm, SPDX.checksumValue, dcatap.availability)
    kept_main, kept_dk = Graph(), Graph()
    stable = (URIRef(EU + "planned-availability/STABLE"), dcatap["availability/stable"])
    for t in main:
        if t[1] not in changed and t[0] not in (SHA256_AS_DCAT_AP_WANTS, stable[0]):
            kept_main.add(t)
    for t in dk:
        if t[1] not in changed and t[0] not in (SPDX.checksumAlgorithm_sha1, stable[1]):
            kept_dk.add(t)
    assert set(main.predicate_objects(stable[0])) == set(dk.predicate_objects(stable[1]))  # class, labels
    assert_isomorphic(kept_main, kept_dk, "catalog-dk.rdf besides the DCAT-AP 2 encodings")
    distributions = list(dk.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == 5 * (1 + len(HISTORY))
    for distribution in distributions:
        body = (built_site / site_path(str(dk.value(distribution, DCAT.downloadURL)))).read_bytes()
        assert dk.value(distribution, DCAT.byteSize) == Literal(str(len(body)), datatype=XSD.decimal)
        checksum = dk.value(distribution, SPDX.checksum)
        assert dk.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha1
        assert str(dk.value(checksum, SPDX.checksumValue)) == hashlib.sha1(body).hexdigest()
        assert dk.value(distribution, dcatap.availability) == dcatap["availability/stable"]


def test_every_eu_value_is_listed_in_its_table(built_site: Path) -> None:
    catalog = parse(built_site / "catalog.ttl")
    tables = eu_tables()
    used = {o for o in catalog.objects() if isinstance(o, URIRef) and str(o).startswith(EU)}
    used -= set(tables.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(used) >= 12
    missing = sorted(str(iri) for iri in used if (iri, SKOS.inScheme, None) not in tables)
    assert missing == []


def test_the_spdx_erratum_is_needed_and_narrow() -> None:
    """The official rule rejects SPDX's own algorithm IRIs; the corrected one still rejects others."""
    official = shapes(OFFICIAL, ["mdr-vocabularies.shape.ttl"])
    corrected = corrected_vocabulary_shapes()

    def checksum(algorithm: str) -> Graph:
        graph = Graph()
        node, alg = URIRef("http://example.org/c"), URIRef(algorithm)
        graph.add((node, RDF.type, SPDX.Checksum))
        graph.add((node, SPDX.algorithm, alg))
        graph.add((alg, RDF.type, SPDX.ChecksumAlgorithm))
        return graph

    sha1, sha256 = str(SPDX.checksumAlgorithm_sha1), str(SPDX.checksumAlgorithm_sha256)
    assert len(run_shacl(checksum(sha1), official)) == 1  # DCAT-AP 2's mandated value fails
    assert run_shacl(checksum(sha256), corrected) == []
    assert len(run_shacl(checksum("http://example.org/md5"), corrected)) == 1


@pytest.mark.parametrize("name", [*FULL, "mdr-vocabularies.shape.ttl"])
def test_packaged_shapes_are_the_official_files(name: str) -> None:
    assert (PACKAGED / "dcat-ap-3.0.1" / name).read_bytes() == (OFFICIAL / name).read_bytes()


def test_packaged_file_type_table_is_the_official_file() -> None:
    name = "file-type.filetypes-skos.rdf"
    assert (PACKAGED / "eu-nal" / name).read_bytes() == (VOCAB / "eu-nal" / name).read_bytes()


@pytest.mark.parametrize("folder", ["dcat-ap-3.0.1", "eu-nal"])
def test_packaged_source_notes_are_the_kit_s(folder: str) -> None:
    assert (PACKAGED / folder / "SOURCE.md").read_bytes() == (VOCAB / folder / "SOURCE.md").read_bytes()


def test_packaged_concepts_are_extracted_from_the_official_tables() -> None:
    packaged = parse(PACKAGED / "eu-nal" / "used-concepts.ttl")
    tables = eu_tables()
    keep = {RDF.type, SKOS.inScheme, SKOS.prefLabel, RDFS.label, DCTERMS.title}
    expected = Graph()
    for subject in set(packaged.subjects()):
        for p, o in tables.predicate_objects(subject):
            if p not in keep or (p == RDF.type and o not in (SKOS.Concept, SKOS.ConceptScheme)):
                continue
            if isinstance(o, Literal) and o.language not in ("da", "en"):
                continue
            expected.add((subject, p, o))
    assert_isomorphic(expected, packaged, "used-concepts.ttl")


def test_dcat_ap_dk_2_differences_are_the_dcat_ap_3_changes(built_site: Path) -> None:
    """DCAT-AP-DK 2.0.2 is built on DCAT-AP 2: we differ only where DCAT-AP 3 changed the rule.

    Availability from the EU planned-availability table (DCAT-AP 2: its own list), byte sizes as
    xsd:nonNegativeInteger (DCAT-AP 2: xsd:decimal), SHA-256 checksums (DCAT-AP-DK: SHA-1 only).
    """
    dk = VOCAB / "dcat-ap-dk" / "v2.0" / "validation" / "dcat-ap-dk_2.0.2_shacl_shapes.ttl"
    results = run_shacl(parse(built_site / "catalog.ttl"), parse(dk))
    kinds = Counter(
        (str(r["resultPath"]), str(r["sourceConstraintComponent"]).rsplit("#", 1)[-1]) for r in results
    )
    distributions = len(set(parse(built_site / "catalog.ttl").subjects(RDF.type, DCAT.Distribution)))
    assert kinds == {
        ("http://data.europa.eu/r5r/availability", "PatternConstraintComponent"): distributions,
        (str(DCAT.byteSize), "DatatypeConstraintComponent"): distributions,
        (str(SPDX.algorithm), "HasValueConstraintComponent"): distributions,
    }


# ---------------------------------------------------------------- what the catalogue says


def test_catalogue_describes_the_dataset_service_and_agents(built_site: Path) -> None:
    g = parse(built_site / "catalog.ttl")
    assert (CATALOG, RDF.type, DCAT.Catalog) in g
    assert (CATALOG, DCAT.dataset, DATASET) in g
    assert (CATALOG, DCAT.service, SERVICE) in g
    assert (CATALOG, URIRef("http://xmlns.com/foaf/0.1/homepage"), URIRef(BASE)) in g
    assert (SERVICE, DCAT.endpointURL, URIRef(BASE + "sparql")) in g
    assert (SERVICE, DCAT.servesDataset, DATASET) in g
    assert (SERVICE, DCAT.endpointDescription, URIRef(BASE + "sparql-service-description.ttl")) in g
    for node in (CATALOG, DATASET, SERVICE):
        assert (node, DCTERMS.publisher, BOARD) in g
        assert languages(g, node, DCTERMS.title) == {"da", "en"}
        assert languages(g, node, DCTERMS.description) == {"da", "en"}
    # The publisher and the contact point are the data's own, with the names the data gives.
    assert (
        BOARD,
        URIRef("http://xmlns.com/foaf/0.1/name"),
        Literal("Danmarks Erhvervsfremmebestyrelse", lang="da"),
    ) in g
    assert (BOARD, DCTERMS.type, URIRef("http://purl.org/adms/publishertype/NationalAuthority")) in g
    assert (DATASET, DCAT.contactPoint, SECRETARIAT) in g
    assert (SECRETARIAT, URIRef("http://www.w3.org/2006/vcard/ns#hasURL"), None) in g
    assert (SECRETARIAT, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"), None) not in g


def test_dataset_metadata_is_what_the_issue_asks(built_site: Path) -> None:
    g = parse(built_site / "catalog.ttl")
    assert set(g.objects(DATASET, DCTERMS.language)) == {
        URIRef(EU + "language/DAN"),
        URIRef(EU + "language/ENG"),
    }
    assert set(g.objects(DATASET, DCTERMS.spatial)) == {URIRef(EU + "country/DNK")}
    (period,) = g.objects(DATASET, DCTERMS.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2020-01-01", datatype=XSD.date)
    assert g.value(period, DCAT.endDate) == Literal("2023-12-31", datatype=XSD.date)
    assert set(g.objects(DATASET, DCAT.theme)) == {
        URIRef(EU + "data-theme/ECON"),
        URIRef(EU + "data-theme/TECH"),
    }
    assert g.value(DATASET, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/IRREG")
    assert g.value(DATASET, DCTERMS.identifier) == Literal(str(DATASET))
    assert g.value(DATASET, DCAT.version) == Literal("1.0.0")
    assert g.value(DATASET, DCTERMS.issued) == Literal("2026-11-22", datatype=XSD.date)
    assert {URIRef(BASE + "ontology"), URIRef(BASE + "shapes")} <= set(g.objects(DATASET, DCTERMS.conformsTo))
    assert (CATALOG, DCTERMS.conformsTo, URIRef("https://semiceu.github.io/DCAT-AP/releases/3.0.1")) in g
    assert languages(g, DATASET, DCAT.keyword) == {"da", "en"}
    assert set(g.objects(DATASET, DCAT.landingPage)) == {
        URIRef(BASE + "dataset.html"),
        URIRef(BASE + "dataset.en.html"),
    }
    licence = URIRef(EU + "licence/CC_BY_4_0")
    for distribution in g.objects(DATASET, DCAT.distribution):
        assert g.value(distribution, DCTERMS.license) == licence
        assert g.value(distribution, DCTERMS.rights) is not None
        assert str(g.value(distribution, DCAT.mediaType)).startswith(
            "https://www.iana.org/assignments/media-types/"
        )
        assert str(g.value(distribution, DCTERMS["format"])).startswith(EU + "file-type/")


def test_one_distribution_per_published_format(built_site: Path) -> None:
    g = parse(built_site / "catalog.ttl")
    downloads = {site_path(str(g.value(d, DCAT.downloadURL))) for d in g.objects(DATASET, DCAT.distribution)}
    assert downloads == {"dataset.ttl", "dataset.jsonld", "dataset.nt", "dataset.rdf", "dataset.nq.gz"}
    media = {
        str(g.value(d, DCAT.mediaType)).rsplit("media-types/", 1)[1]
        for d in g.objects(DATASET, DCAT.distribution)
    }
    assert media == {
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
        "application/n-quads",
    }


# ---------------------------------------------------------------- releases: DCAT 3 versions


def test_each_release_is_a_version_of_the_dataset(built_site: Path) -> None:
    g = parse(built_site / "catalog.ttl")
    assert set(g.objects(DATASET, DCAT.hasVersion)) == set(RELEASES)
    assert g.value(DATASET, DCAT.hasCurrentVersion) == RELEASES[-1]
    for record, node in zip(HISTORY, RELEASES, strict=True):
        assert (CATALOG, DCAT.dataset, node) in g and (node, RDF.type, DCAT.Dataset) in g
        assert g.value(node, DCAT.isVersionOf) == DATASET
        assert g.value(node, DCAT.version) == Literal(record["version"])
        assert g.value(node, DCTERMS.issued) == Literal(record["issued"].isoformat(), datatype=XSD.date)
        notes = {
            (n.language, str(n)) for n in g.objects(node, URIRef("http://www.w3.org/ns/adms#versionNotes"))
        }
        assert notes == {(lang, text) for lang, text in record["notes"].items()}
        previous = g.value(node, DCAT.previousVersion)
        assert previous == (
            URIRef(f"{CATALOG}#release-{record['previous']}") if "previous" in record else None
        )
        assert languages(g, node, DCTERMS.title) == languages(g, DATASET, DCTERMS.title) == {"da", "en"}
        # Its distributions are its frozen files, with the checksums its release.toml states.
        for distribution in g.objects(node, DCAT.distribution):
            path = site_path(str(g.value(distribution, DCAT.downloadURL)))
            frozen = path.removeprefix(f"release/{record['version']}/")
            checksum = g.value(g.value(distribution, SPDX.checksum), SPDX.checksumValue)
            assert str(checksum) == record["files"][frozen], path


def test_a_harvester_reads_every_release_with_its_distributions(built_site: Path) -> None:
    """What a DCAT harvester takes from catalog.rdf, read with rdflib: each dcat:dataset of the
    catalogue becomes a package with titles, version and one resource per distribution.
    ckanext-dcat's own parser is run on the catalogue in tests/test_ckan_harvest.py."""
    g = Graph().parse(built_site / "catalog.rdf", format="xml")
    packages = {}
    for dataset in g.objects(CATALOG, DCAT.dataset):
        titles = {t.language: str(t) for t in g.objects(dataset, DCTERMS.title)}
        resources = sorted(str(g.value(d, DCAT.downloadURL)) for d in g.objects(dataset, DCAT.distribution))
        packages[str(dataset)] = (titles, g.value(dataset, DCAT.version), resources)
    assert set(packages) == {str(DATASET), *map(str, RELEASES)}
    for record, node in zip(HISTORY, RELEASES, strict=True):
        titles, version, resources = packages[str(node)]
        assert set(titles) == {"da", "en"} and version == Literal(record["version"])
        assert len(resources) == 5 and all(
            r.startswith(f"{BASE}release/{record['version']}/") for r in resources
        )


# ---------------------------------------------------------------- a harvester's view


def test_harvester_finds_every_download_with_its_size_and_checksum(built_site: Path) -> None:
    g = Graph().parse(built_site / "catalog.rdf", format="xml")  # as CKAN's DCAT harvester reads it
    checked = []
    for distribution in g.subjects(RDF.type, DCAT.Distribution):
        url = g.value(distribution, DCAT.downloadURL)
        assert g.value(distribution, DCAT.accessURL) == url
        body = (built_site / site_path(str(url))).read_bytes()
        assert g.value(distribution, DCAT.byteSize) == Literal(len(body), datatype=XSD.nonNegativeInteger)
        checksum = g.value(distribution, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SHA256_AS_DCAT_AP_WANTS
        value = g.value(checksum, SPDX.checksumValue)
        assert isinstance(value, Literal) and value.datatype == XSD.hexBinary
        assert str(value) == hashlib.sha256(body).hexdigest()
        checked.append(site_path(str(url)))
    # The dataset's five downloads, and each release's five frozen ones under release/<version>/.
    assert len(checked) == 5 * (1 + len(HISTORY))
    for record in HISTORY:
        assert len([path for path in checked if path.startswith(f"release/{record['version']}/")]) == 5


def test_every_iri_into_the_site_resolves_to_a_built_file(built_site: Path) -> None:
    iris: set[str] = set()
    for name in ("catalog.rdf", ".well-known/void", "sparql-service-description.ttl"):
        graph = Graph().parse(built_site / name, format="xml" if name.endswith(".rdf") else "turtle")
        iris |= {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    local = sorted(iri for iri in iris if iri.startswith(BASE))
    assert len(local) > 50
    unresolved = [iri for iri in local if resolves(iri, built_site) is None]
    assert unresolved == []


def test_catalogue_serialisations_are_isomorphic(built_site: Path) -> None:
    turtle = parse(built_site / "catalog.ttl")
    assert len(turtle) > 300
    assert_isomorphic(turtle, Graph().parse(built_site / "catalog.rdf", format="xml"), "catalog.rdf")
    assert_isomorphic(turtle, read_jsonld(built_site / "catalog.jsonld", built_site), "catalog.jsonld")


def test_dump_holds_the_catalogue_without_the_dump_s_own_size_and_checksum(built_site: Path) -> None:
    catalog = parse(built_site / "catalog.ttl")
    (distribution,) = catalog.subjects(DCAT.downloadURL, DUMP)
    checksum = catalog.value(distribution, SPDX.checksum)
    left_out: set[tuple[Node, Node, Node | None]] = set()
    left_out.add((distribution, DCAT.byteSize, catalog.value(distribution, DCAT.byteSize)))
    left_out.add((distribution, SPDX.checksum, checksum))
    left_out |= {(s, p, o) for s, p, o in catalog.triples((checksum, None, None))}
    assert len(left_out) == 5  # size, link, and the checksum's type, algorithm and value
    expected = Graph()
    for triple in catalog:
        if triple not in left_out:
            expected.add(triple)
    assert_isomorphic(expected, dump_graph(built_site, CATALOG_GRAPH), "the dump's catalogue graph")


# ---------------------------------------------------------------- VoID and the service description


def test_void_counts_match_an_independent_count_of_dataset_nt(built_site: Path) -> None:
    data = Graph().parse(built_site / "dataset.nt", format="nt")
    void = parse(built_site / ".well-known" / "void")

    def number(node: Node, prop: URIRef) -> int:
        return integer(void, node, prop)

    assert number(DATASET, VOID.triples) == len(data)
    assert number(DATASET, VOID.distinctSubjects) == len(set(data.subjects()))
    assert number(DATASET, VOID.distinctObjects) == len(set(data.objects()))
    assert number(DATASET, VOID.properties) == len(set(data.predicates()))
    classes = Counter(o for _, o in data.subject_objects(RDF.type))
    assert number(DATASET, VOID.classes) == len(classes)
    partitions = {
        void.value(p, VOID["class"]): number(p, VOID.entities)
        for p in void.objects(DATASET, VOID.classPartition)
    }
    assert partitions == {cls: len(set(data.subjects(RDF.type, cls))) for cls in classes}
    by_property = {
        void.value(p, VOID.property): number(p, VOID.triples)
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert by_property == Counter(p for _, p, _ in data)
    # The source pages: 15 areas (11 strongholds, 4 emerging industries), 14 cluster organisations.
    kd = Namespace(BASE + "ontology#")
    assert partitions[kd.Stronghold] == 11 and partitions[kd.EmergingArea] == 4
    assert partitions[kd.ClusterOrganisation] == 14


def test_void_links_dumps_endpoint_and_examples(built_site: Path) -> None:
    void = parse(built_site / ".well-known" / "void")
    dumps = {site_path(str(d)) for d in void.objects(DATASET, VOID.dataDump)}
    assert dumps == {"dataset.ttl", "dataset.jsonld", "dataset.nt", "dataset.rdf"}
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    assert void.value(DATASET, VOID.uriSpace) == Literal(BASE)
    examples = set(void.objects(DATASET, VOID.exampleResource))
    assert URIRef(BASE + "id/strategy/erhvervsfremme-i-danmark-2020-2023") in examples
    assert all(resolves(str(e), built_site) for e in examples)
    vocabularies = set(void.objects(DATASET, VOID.vocabulary))
    assert {URIRef(str(SKOS)), URIRef(str(DCTERMS)), URIRef(BASE + "ontology#")} <= vocabularies
    catalog = parse(built_site / "catalog.ttl")
    assert all(triple in catalog for triple in void), "the VoID file says more than the catalogue"


def test_service_description_names_the_dump_s_graphs_and_their_sizes(built_site: Path) -> None:
    sd = parse(built_site / "sparql-service-description.ttl")
    assert sd.value(SERVICE, SD.endpoint) == URIRef(BASE + "sparql")
    assert (SERVICE, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (SERVICE, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in sd
    quads = list(
        ox.parse(gzip.decompress((built_site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    )
    sizes = Counter(q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode))
    dataset = sd.value(SERVICE, SD.defaultDataset)
    described = {}
    for named in sd.objects(dataset, SD.namedGraph):
        graph = sd.value(named, SD.graph)
        described[str(sd.value(named, SD.name))] = integer(sd, graph, VOID.triples)
    assert described == dict(sizes)
    assert set(described) == {BASE + f"graph/{part}" for part in ("ontology", "data", "shapes", "catalog")}
    union = len({(q.subject, q.predicate, q.object) for q in quads})
    assert integer(sd, sd.value(dataset, SD.defaultGraph), VOID.triples) == union


def test_catalogue_uses_only_terms_its_vocabularies_define(built_site: Path) -> None:
    """Every property and class is declared by its vocabulary (or listed in DCAT-AP's reference)."""
    declared = Graph()
    for path in [
        VOCAB / "w3c-ns" / "dcat3.ttl",
        VOCAB / "w3c-ns" / "sparql-service-description.ttl",
        VOCAB / "void" / "void.ttl",
        *(VOCAB / "prefixcc-harvest" / f"{name}.ttl" for name in ("dcterms", "foaf", "skos", "vcard")),
    ]:
        declared.parse(path, format="turtle")
    reference = (VOCAB / "dcat-ap-3.0.1" / "spec" / "quick-reference.txt").read_text(encoding="utf-8")
    graphs = [parse(built_site / "catalog.ttl"), parse(built_site / "sparql-service-description.ttl")]
    terms = {p for g in graphs for p in g.predicates()} | {
        o for g in graphs for o in g.objects(None, RDF.type)
    }
    unknown = sorted(
        str(term)
        for term in terms
        if str(term).startswith(
            (
                "http://www.w3.org/ns/",
                "http://purl.org/dc/terms/",
                "http://xmlns.com/",
                "http://rdfs.org/ns/void#",
                "http://spdx.org/",
                "http://data.europa.eu/r5r/",
                "http://www.w3.org/2004/02/skos/",
                "http://www.w3.org/2006/vcard/",
            )
        )
        and (term, None, None) not in declared
        and f"; {term}" not in reference
    )
    assert unknown == []


# ---------------------------------------------------------------- dates and reproducibility


def test_same_input_same_catalogue_and_one_changed_file_changes_only_its_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = make_tiny(tmp_path / "tiny")  # the rule is generic: the tiny project plans in a second
    first, again = planned(project), planned(project)
    for name in ("catalog.ttl", "catalog.rdf", "catalog.jsonld", ".well-known/void"):
        assert first[name] == again[name], f"two builds of the same project differ in {name}"
    inputs = [p for part in ("ontology", "data", "shapes") for p in (project / part).rglob("*.ttl")]
    newest = max(int(p.stat().st_mtime) for p in inputs)
    before = Graph().parse(data=first["catalog.ttl"].decode("utf-8"), format="turtle")
    assert _modified(before) == _instant(newest)

    strategy = project / "data" / "tiny.ttl"
    text = strategy.read_text(encoding="utf-8")
    old = '"With the strategy Business Promotion in Denmark 2020-2023, the Danish Board'
    assert text.count(old) == 1
    new = '"With its strategy Business Promotion in Denmark 2020-2023, the Danish Board'
    strategy.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(strategy, (newest + 3600, newest + 3600))  # edited an hour after the last edit
    second = planned(project)

    after = Graph().parse(data=second["catalog.ttl"].decode("utf-8"), format="turtle")
    downloads = ("dataset.ttl", "dataset.jsonld", "dataset.nt", "dataset.rdf", "dataset.nq.gz")
    changed = {path for path in downloads if first[path] != second[path]}
    assert changed == set(downloads)
    _, only_before, only_after = graph_diff(to_isomorphic(before), to_isomorphic(after))
    assert _modified(after) == _instant(newest + 3600)
    expected_predicates = {DCTERMS.modified, DCAT.byteSize, SPDX.checksumValue}
    assert {p for _, p, _ in only_before} == {p for _, p, _ in only_after} <= expected_predicates
    assert {(s, p) for s, p, _ in only_before} == {(s, p) for s, p, _ in only_after}
    # The catalogue, the dataset and its files (the dataset's distributions) changed; releases did not.
    files = set(after.objects(DATASET, DCAT.distribution))
    assert {s for s, p, _ in only_after if p == DCTERMS.modified} == {CATALOG, DATASET, *files}
    checksums = {s for s, p, _ in only_after if p == SPDX.checksumValue}
    urls = {after.value(after.value(None, SPDX.checksum, c), DCAT.downloadURL) for c in checksums}
    assert {site_path(str(url)) for url in urls} == changed


def planned(project: Path) -> dict[str, bytes]:
    """Plan a build of ``project`` (every file, in memory) and return the files by site path."""
    config = load_config(project)
    return {str(a.path): a.body for a in plan(load(config), config)}


def _modified(graph: Graph) -> Node | None:
    values = {graph.value(node, DCTERMS.modified) for node in (CATALOG, DATASET)}
    assert len(values) == 1
    return values.pop()


def _instant(epoch: int) -> Literal:
    lexical = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Literal(lexical, datatype=XSD.dateTime)


def test_source_date_epoch_sets_the_modification_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    files = planned(make_tiny(tmp_path / "tiny"))
    graph = Graph().parse(data=files["catalog.ttl"].decode("utf-8"), format="turtle")
    assert graph.value(DATASET, DCTERMS.modified) == Literal("2023-11-14T22:13:20Z", datatype=XSD.dateTime)


# ---------------------------------------------------------------- configuration


def _table(**extra: object) -> Any:
    return parse_table(
        {"base_iri": BASE, **extra}, project_dir=Path("."), output=None, file="pyproject.toml", env={}
    )


def test_catalogue_settings_have_honest_defaults() -> None:
    config = _table()
    assert config.uris.sparql == BASE + "sparql" and config.sparql_endpoint == ""
    assert config.issued is None and config.dataset_version is None


@pytest.mark.parametrize("value", [date(2026, 11, 22), "2026-11-22"])
def test_issued_is_a_toml_date_or_an_iso_string(value: object) -> None:
    assert _table(issued=value).issued == date(2026, 11, 22)


def test_catalogue_settings_are_checked_together() -> None:
    with pytest.raises(ConfigError) as caught:
        _table(sparql_endpoint="ftp://x", issued="22-11-2026", dataset_version=" ")
    named = sorted(p.split("'")[1] for p in caught.value.problems)
    assert named == ["dataset_version", "issued", "sparql_endpoint"]


def test_a_configured_endpoint_is_what_the_catalogue_void_and_description_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = make_tiny(tmp_path / "tiny")
    pyproject = project / "pyproject.toml"
    endpoint = "https://sparql.example.dk/klynger/query"
    text = pyproject.read_text(encoding="utf-8").replace(
        "[tool.klyngedata]\n", f'[tool.klyngedata]\nsparql_endpoint = "{endpoint}"\n'
    )
    pyproject.write_text(text, encoding="utf-8")
    files = planned(project)
    catalog = Graph().parse(data=files["catalog.ttl"].decode("utf-8"), format="turtle")
    assert catalog.value(SERVICE, DCAT.endpointURL) == URIRef(endpoint)
    assert catalog.value(DATASET, VOID.sparqlEndpoint) == URIRef(endpoint)
    sd = Graph().parse(data=files["sparql-service-description.ttl"].decode("utf-8"), format="turtle")
    assert sd.value(SERVICE, SD.endpoint) == URIRef(endpoint)


# ---------------------------------------------------------------- failing and reporting


def test_build_refuses_a_catalogue_that_violates_dcat_ap(
    project: Path, built_site: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> None:
    shutil.copytree(built_site, project / "site")
    before = {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    real = catalog_module.template

    def untitled(uris: Any) -> list[ox.Triple]:
        return [
            t
            for t in real(uris)
            if not (t.subject == ox.NamedNode(str(DATASET)) and t.predicate.value == str(DCTERMS.title))
        ]

    monkeypatch.setattr(catalog_module, "template", untitled)
    result = cli("build", "--project", str(project))
    assert result.exit_code == 1, result.output
    assert "does not conform to DCAT-AP 3.0.1" in result.stderr
    assert f"<{DATASET}>" in result.stderr and "dct:title is missing" in result.stderr
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()} == before


def test_validate_catalog_reports_in_plain_words(built_site: Path, cli: Callable[..., Result]) -> None:
    project = built_site.parent
    result = cli("validate", "--catalog", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert "DCAT-AP 3.0.1 (Full): no violations and no warnings" in result.stdout
    # The publisher warning (a national authority): catalogue, dataset, service and each release.
    expected = 3 + len(HISTORY)
    assert (
        f"controlled vocabularies: 0 violations, {expected} warnings ({expected} expected)" in result.stdout
    )
    as_json = json.loads(cli("validate", "--catalog", "--format", "json", "--project", str(project)).stdout)
    assert (as_json["violations"], as_json["warnings"], as_json["expected_warnings"]) == (
        0,
        expected,
        expected,
    )


def test_validate_catalog_names_what_is_wrong(
    built_site: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    g = parse(site / "catalog.ttl")
    g.remove((CATALOG, DCTERMS.title, None))
    g.add((DATASET, DCAT.version, Literal("2")))  # a second version
    (site / "catalog.ttl").write_text(g.serialize(format="turtle"), encoding="utf-8")
    result = cli("validate", "--catalog", "--project", str(built_site.parent), "--site", str(site))
    assert result.exit_code == 1
    assert f"<{CATALOG}>" in result.stdout and "dct:title is missing; DCAT-AP requires it" in result.stdout
    assert "dcat:version has more values than DCAT-AP allows (1)" in result.stdout
    assert "does not conform" in result.stdout
    danish = cli(
        "validate", "--catalog", "--lang", "da", "--project", str(built_site.parent), "--site", str(site)
    )
    assert danish.exit_code == 1
    assert "dct:title mangler; DCAT-AP kræver den: tilføj den." in danish.stdout


def test_validate_catalog_without_a_built_site(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("validate", "--catalog", "--project", str(project))
    assert result.exit_code == 1
    assert str(project / "site" / "catalog.ttl") in result.stderr and "klyngedata build" in result.stderr


def test_require_conformance_raises_with_the_finding() -> None:
    from publish.dcatap import require_conformance

    triple = ox.Triple(
        ox.NamedNode(str(CATALOG)), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(DCAT.Catalog))
    )
    with pytest.raises(ValidationFailed, match=r"dct:title is missing"):
        require_conformance([triple], where="a test catalogue")
