"""A new class in the ontology is published with no code change (issue 10).

The tiny project's ontology gains ``kd:Project`` (labels and definitions in Danish and English,
aligned ``rdfs:subClassOf schema:Project``) and its data one project at ``id/project/<slug>``, a
kind of resource the code has never heard of. The build must give the project its pages in both
languages, a document in every RDF format of the registry and a schema.org description typed
from the ontology's alignment. The model mapping (``schemaorg.SCHEMA_TYPES``) wins over an
alignment: one entry added there (monkeypatched here) is the whole change to type it otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE, make_tiny

from publish import formats, schemaorg

PROJECT = f"{BASE}id/project/groen-omstilling"
KD_PROJECT = f"{BASE}ontology#Project"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XHTML = "{http://www.w3.org/1999/xhtml}"
SOURCE = "https://erhvervsfremmebestyrelsen.dk/danske-styrkepositioner-og-fremtidens-klynger"

ONTOLOGY = f"""\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix kd: <ontology#> .

kd:Project
    a owl:Class ;
    rdfs:label "projekt"@da ;
    rdfs:label "project"@en ;
    skos:definition "Et tidsbegrænset projekt, som en klyngeorganisation gennemfører."@da ;
    skos:definition "A time-limited project that a cluster organisation carries out."@en ;
    rdfs:subClassOf schema:Project ;
    dcterms:source <{SOURCE}> ;
    rdfs:isDefinedBy <ontology> .
"""

DATA = f"""\
@prefix kd: <{BASE}ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

<{PROJECT}> a kd:Project ;
    skos:prefLabel "Grøn omstilling"@da, "Green transition"@en ;
    skos:definition "Et projekt om grøn omstilling i miljøteknologi."@da,
        "A project on the green transition in environmental technology."@en ;
    dcterms:source <{SOURCE}> .
"""

Run = Callable[..., Result]


def tiny_with_a_project(target: Path) -> Path:
    """Lay out the tiny project with kd:Project in its ontology and one project in its data."""
    project = make_tiny(target)
    (project / "ontology" / "project.ttl").write_text(ONTOLOGY, encoding="utf-8")
    (project / "data" / "project.ttl").write_text(DATA, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from publish.cli import main

    project = tiny_with_a_project(tmp_path_factory.mktemp("new-class") / "tiny")
    result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "site"


def page(site: Path, lang: str) -> Element:
    suffix = "html" if lang == "da" else f"{lang}.html"
    body = (site / f"id/project/groen-omstilling.{suffix}").read_bytes()
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(body)  # strict: any parse error raises


def text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def schema_org(document: Element) -> dict[str, Any]:
    (script,) = [s for s in document.iter(f"{XHTML}script") if s.get("type") == "application/ld+json"]
    node: dict[str, Any] = json.loads(script.text or "")
    return node


@pytest.mark.parametrize(
    ("lang", "name", "definition"),
    [
        ("da", "Grøn omstilling", "Et projekt om grøn omstilling i miljøteknologi."),
        ("en", "Green transition", "A project on the green transition in environmental technology."),
    ],
)
def test_the_new_kind_has_a_page_in_each_language(site: Path, lang: str, name: str, definition: str) -> None:
    document = page(site, lang)
    assert document.get("lang") == lang
    (heading,) = document.iter(f"{XHTML}h1")
    assert text(heading) == name
    assert definition in text(document)
    alternates = {
        (link.get("type"), link.get("href"))
        for link in document.iter(f"{XHTML}link")
        if link.get("rel") == "alternate"
    }
    for fmt in formats.rdf_documents():
        assert (fmt.media_type, f"groen-omstilling.{fmt.suffix}") in alternates, fmt.name


@pytest.mark.parametrize("fmt", formats.rdf_documents(), ids=lambda f: f.name)
def test_the_new_kind_has_every_rdf_form(site: Path, fmt: formats.Format) -> None:
    path = site / f"id/project/groen-omstilling.{fmt.suffix}"
    rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
    assert rdf_format is not None, fmt.media_type
    triples = {q.triple for q in ox.parse(path=path, format=rdf_format, base_iri=PROJECT)}
    subject = ox.NamedNode(PROJECT)
    assert ox.Triple(subject, RDF_TYPE, ox.NamedNode(KD_PROJECT)) in triples
    labels = {t.object for t in triples if t.subject == subject and t.predicate.value == SKOS + "prefLabel"}
    assert labels == {
        ox.Literal("Grøn omstilling", language="da"),
        ox.Literal("Green transition", language="en"),
    }


@pytest.mark.parametrize(("lang", "name"), [("da", "Grøn omstilling"), ("en", "Green transition")])
def test_its_schema_org_type_comes_from_the_ontology_alignment(site: Path, lang: str, name: str) -> None:
    node = schema_org(page(site, lang))
    assert (node["@type"], node["@id"], node["name"]) == ("Project", PROJECT, name)
    assert node["additionalType"] == [KD_PROJECT]


def test_the_model_mapping_wins_over_the_alignment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Run
) -> None:
    project = tiny_with_a_project(tmp_path / "tiny")
    monkeypatch.setattr(schemaorg, "SCHEMA_TYPES", (*schemaorg.SCHEMA_TYPES, ("kd:Project", "Event")))
    result = cli("snippet", "project/groen-omstilling", "--lang", "en", "--project", str(project))
    assert result.exit_code == 0, result.output
    document = html5lib.parse(result.stdout, namespaceHTMLElements=True)
    assert schema_org(document)["@type"] == "Event"
