"""CKAN's DCAT harvester reads the built catalogue: ckanext-dcat's own RDF parser, not a stand-in.

ckanext-dcat's harvesters hand the fetched catalogue to ``ckanext.dcat.processors.RDFParser``
with the DCAT-AP 3 profile (``euro_dcat_ap_3``, its default) and create one CKAN dataset per
dict it yields. That parser needs no CKAN site, database or config file, only CKAN's Python
package and the libraries CKAN imports. They go in a virtual environment of their own,
tests/ckan/.venv, made by the README's test command from tests/ckan/requirements.txt: installed
beside the suite, CKAN registers pytest plugins that import its whole web application into
every test run (README, "Dependencies and why").

The expectation is the catalogue read independently, by pyoxigraph's SPARQL: every
``dcat:Dataset`` (the dataset and each stored release) must come out as a CKAN dataset with its
English title and description (CKAN's default locale), version, issue and modification dates,
and every distribution as a resource with its URL, format, media type, size and checksum.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT

# The harvester's own virtual environment, made by the README's test command from the pins in
# tests/ckan/requirements.txt (CKAN 2.12.0's own versions of what the parser imports).
HARVESTER_VENV = ROOT / "tests" / "ckan" / ".venv"
# What a DCAT RDF harvest source does with the document it fetched (ckanext/dcat/harvesters/rdf.py).
HARVEST = """
import json, sys
from ckanext.dcat.processors import RDFParser
parser = RDFParser(profiles=["euro_dcat_ap_3"])
with open(sys.argv[1], "rb") as document:
    parser.parse(document.read(), _format=sys.argv[2])
json.dump(list(parser.datasets()), sys.stdout)
"""
# The catalogue files and the format name ckanext-dcat's parser is given for each.
FILES = {"catalog.rdf": "xml", "catalog.ttl": "turtle", "catalog.jsonld": "json-ld"}
PREFIXES = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX spdx: <http://spdx.org/rdf/terms#>
"""
DATASETS = (
    PREFIXES
    + """
SELECT ?dataset ?title ?notes ?version ?issued ?modified WHERE {
  ?dataset a dcat:Dataset .
  OPTIONAL { ?dataset dct:title ?title FILTER(lang(?title) = "en") }
  OPTIONAL { ?dataset dct:description ?notes FILTER(lang(?notes) = "en") }
  OPTIONAL { ?dataset dcat:version ?version }
  OPTIONAL { ?dataset dct:issued ?issued }
  OPTIONAL { ?dataset dct:modified ?modified }
}"""
)
DISTRIBUTIONS = (
    PREFIXES
    + """
SELECT ?dataset ?distribution ?url ?format ?media ?size ?algorithm ?hash WHERE {
  ?dataset a dcat:Dataset ; dcat:distribution ?distribution .
  OPTIONAL { ?distribution dcat:downloadURL ?url }
  OPTIONAL { ?distribution dct:format ?format }
  OPTIONAL { ?distribution dcat:mediaType ?media }
  OPTIONAL { ?distribution dcat:byteSize ?size }
  OPTIONAL { ?distribution spdx:checksum ?checksum .
             ?checksum spdx:algorithm ?algorithm ; spdx:checksumValue ?hash }
}"""
)
RESOURCE_KEYS = ("url", "format", "mimetype", "size", "hash_algorithm", "hash")


def moment(text: str | None) -> date | datetime | None:
    """An xsd:date or xsd:dateTime as a value (CKAN writes 'Z' as '+00:00'); None stays None."""
    if text is None:
        return None
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def value(solution: ox.QuerySolution, name: str) -> str | None:
    """The lexical value of one variable of a SPARQL solution, None if unbound."""
    term = solution[name]
    return None if term is None else str(term.value)


def expected(catalogue: Path) -> dict[str, dict[str, Any]]:
    """Every dcat:Dataset of the catalogue as a harvester must see it, read by pyoxigraph."""
    store = ox.Store()
    store.load(path=str(catalogue), format=ox.RdfFormat.TURTLE)
    datasets: dict[str, dict[str, Any]] = {}
    for row in store.query(DATASETS):
        assert isinstance(row, ox.QuerySolution)
        iri = value(row, "dataset")
        assert iri is not None and iri not in datasets, f"{iri}: more than one English title or date"
        datasets[iri] = {
            "title": value(row, "title"),
            "notes": value(row, "notes"),
            "version": value(row, "version"),
            "issued": moment(value(row, "issued")),
            "modified": moment(value(row, "modified")),
            "resources": {},
        }
    for row in store.query(DISTRIBUTIONS):
        assert isinstance(row, ox.QuerySolution)
        resources = datasets[str(value(row, "dataset"))]["resources"]
        distribution = value(row, "distribution")
        assert distribution not in resources, f"{distribution}: more than one value of a property"
        size = value(row, "size")
        resources[distribution] = {
            "url": value(row, "url"),
            "format": value(row, "format"),
            "mimetype": value(row, "media"),
            "size": None if size is None else int(size),
            "hash_algorithm": value(row, "algorithm"),
            "hash": value(row, "hash"),
        }
    return datasets


def harvest(python: Path, document: Path, fmt: str) -> list[dict[str, Any]]:
    """Run ckanext-dcat's RDFParser on one file; return the CKAN dataset dicts it yields."""
    result = subprocess.run(
        [str(python), "-c", HARVEST, str(document), fmt],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    packages: list[dict[str, Any]] = json.loads(result.stdout)
    return packages


def as_harvested(package: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A CKAN dataset dict in the shape of expected(): its IRI and the fields compared."""
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    resources: dict[str | None, dict[str, Any]] = {}
    for resource in package["resources"]:
        assert resource["uri"] not in resources
        assert resource["url"] == resource["download_url"] == resource["access_url"]
        resources[resource["uri"]] = {key: resource.get(key) for key in RESOURCE_KEYS}
    return extras["uri"], {
        "title": package.get("title"),
        "notes": package.get("notes"),
        "version": package.get("version"),
        "issued": moment(extras.get("issued")),
        "modified": moment(extras.get("modified")),
        "resources": resources,
    }


@pytest.fixture(scope="session")
def harvester() -> Path:
    """The Python of tests/ckan/.venv, which holds ckanext-dcat and CKAN (tests/ckan/requirements.txt)."""
    python = HARVESTER_VENV / "bin" / "python"
    assert python.exists(), (
        f"{python} is missing: run the README's test command, which makes it with "
        "python3 -m venv tests/ckan/.venv && tests/ckan/.venv/bin/pip install -r tests/ckan/requirements.txt"
    )
    return python


@pytest.fixture(scope="module")
def catalogue(built_site: Path) -> dict[str, dict[str, Any]]:
    """The built catalogue read by pyoxigraph: the independent expectation."""
    return expected(built_site / "catalog.ttl")


def test_the_expectation_holds_the_dataset_and_every_stored_release(
    catalogue: dict[str, dict[str, Any]],
) -> None:
    versions = [
        tomllib.loads((folder / "release.toml").read_text(encoding="utf-8"))["version"]
        for folder in (ROOT / "data" / "releases").iterdir()
    ]
    assert len(versions) == 4
    assert set(catalogue) == {BASE + "dataset", *(f"{BASE}catalog#release-{v}" for v in versions)}
    for iri, dataset in catalogue.items():
        # Every field a harvester maps is stated, so comparing with it checks something.
        assert all(dataset[key] is not None for key in ("title", "notes", "version", "issued")), iri
        assert len(dataset["resources"]) == 5, iri
        for distribution, resource in dataset["resources"].items():
            assert None not in resource.values(), distribution
    assert catalogue[BASE + "dataset"]["modified"] is not None


@pytest.mark.parametrize("name", FILES)
def test_ckanext_dcat_harvests_every_dataset_and_distribution(
    harvester: Path, built_site: Path, catalogue: dict[str, dict[str, Any]], name: str
) -> None:
    packages = harvest(harvester, built_site / name, FILES[name])
    assert len(packages) == len(catalogue)
    harvested = dict(map(as_harvested, packages))
    assert set(harvested) == set(catalogue)
    for iri, dataset in catalogue.items():
        assert harvested[iri] == dataset, iri
    assert sum(len(p["resources"]) for p in packages) == sum(len(d["resources"]) for d in catalogue.values())


def test_ckanext_dcat_links_the_dataset_to_its_releases(harvester: Path, built_site: Path) -> None:
    (dataset,) = (p for p in harvest(harvester, built_site / "catalog.rdf", "xml") if "has_version" in p)
    store = ox.Store()
    store.load(path=str(built_site / "catalog.ttl"), format=ox.RdfFormat.TURTLE)
    versions = {
        str(row["release"].value)
        for row in store.query(PREFIXES + "SELECT ?release WHERE { ?d dcat:hasVersion ?release }")
        if isinstance(row, ox.QuerySolution)
    }
    assert len(versions) == 4
    assert {extra["key"]: extra["value"] for extra in dataset["extras"]}["uri"] == BASE + "dataset"
    assert set(dataset["has_version"]) == versions
