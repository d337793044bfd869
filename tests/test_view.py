"""publish/view.py on the tiny project's data: labels, language fallbacks, order, links, dates, rows."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from view_support import AREA, BASE, BOARD, CLUSTER, CLUSTER_DESIGNATION, INITIATIVE, graph, view_of

from publish.view import Text

EX = "http://example.org/"
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")


def labelled(name: str, *literals: ox.Literal) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(EX + name), LABEL, literal) for literal in literals]


@pytest.mark.parametrize(
    ("literals", "expected"),
    [
        ([ox.Literal("et", language="da"), ox.Literal("one", language="en")], Text("one")),
        ([ox.Literal("et", language="da"), ox.Literal("untagged")], Text("untagged")),
        ([ox.Literal("et", language="da"), ox.Literal("ein", language="de")], Text("et", lang="da")),
        ([ox.Literal("ein", language="de")], Text("ein", lang="de")),
    ],
)
def test_a_label_in_english_falls_back_to_untagged_then_the_primary_language(
    literals: list[ox.Literal], expected: Text
) -> None:
    assert graph(labelled("x", *literals)).label(EX + "x", "en") == expected


def test_without_any_label_a_term_is_shown_as_its_curie_or_iri() -> None:
    tiny = graph()
    assert tiny.label(f"{BASE}ontology#noSuchTerm", "en") == Text("kd:noSuchTerm")
    assert tiny.label(EX + "nothing", "en") == Text(EX + "nothing")
    assert tiny.label(AREA, "da") == Text("Miljøteknologi")


def test_instances_are_ordered_by_position() -> None:
    focal = graph().instances("kd:FocalPoint")
    assert [iri.rsplit("/", 1)[1] for iri in focal] == ["1", "2", "3", "4"]


def test_links_are_relative_between_pages_of_the_same_language() -> None:
    view = view_of(AREA, "en")
    assert view.page.as_posix() == "id/area/miljoeteknologi.en.html"
    assert view.href_of(CLUSTER) == ("../cluster/clean.en.html", False)
    assert view.href_of(f"{BASE}ontology#Stronghold") == ("../../ontology.en.html#Stronghold", False)
    assert view.href_of("https://example.org/elsewhere") == ("https://example.org/elsewhere", True)
    assert view_of(AREA, "da").href_of(CLUSTER) == ("../cluster/clean.html", False)


@pytest.mark.parametrize(
    ("value", "english", "danish"),
    [
        ("2020-03-05", "5 March 2020", "5. marts 2020"),
        ("2020-12", "December 2020", "december 2020"),
        ("2020-12Z", "December 2020", "december 2020"),
        ("2020", "2020", "2020"),
        ("2020-13", "2020-13", "2020-13"),  # not a month: shown as written
    ],
)
def test_dates_are_spelt_out_at_their_precision(value: str, english: str, danish: str) -> None:
    assert view_of(AREA, "en").date(value) == english
    assert view_of(AREA, "da").date(value) == danish


def test_a_designation_period_says_since_when() -> None:
    assert view_of(CLUSTER, "en").period(CLUSTER_DESIGNATION) == "since December 2020"


def test_rows_lead_with_the_texts_and_hide_label_type_and_source() -> None:
    rows = view_of(AREA, "en").rows(AREA)
    curies = [row.curie for row in rows]
    assert curies[0] == "skos:scopeNote"
    assert not {"skos:prefLabel", "rdf:type", "dcterms:source"} & set(curies)
    (scope,) = rows[0].values
    assert isinstance(scope, Text) and scope.value.startswith("Environmental technology covers")
    (initiative,) = [row for row in rows if row.curie == "kd:clusterInitiative"]
    assert [(link.label, link.href) for link in initiative.values] == [
        ("Cluster initiative for environmental technology", "../cluster-initiative/miljoeteknologi.en.html")
    ]


def test_incoming_rows_are_named_by_the_inverse() -> None:
    objective = f"{BASE}id/objective/miljoeteknologi-1"
    rows = view_of(objective, "en").incoming(objective)
    assert [(row.label, row.curie, [v.iri for v in row.values]) for row in rows] == [
        ("Objective of", "kd:objective", [INITIATIVE])
    ]


def test_sources_carry_their_publisher() -> None:
    sources = view_of(AREA, "en").sources(f"{BASE}id/area-designation/miljoeteknologi")
    assert {link.detail for link in sources} == {"Danish Board of Business Development"}
    assert len(sources) == 2 and BOARD not in {link.iri for link in sources}
