"""publish/facts.py on the tiny project's data: what a page shows two steps away in the graph."""

from __future__ import annotations

from view_support import AREA, BOARD, CLUSTER, CLUSTER_DESIGNATION, STRATEGY, view_of

from publish.facts import area_groups, designation_row, facts, strategy_summary
from publish.view import Link, Text


def shown(values: tuple[object, ...]) -> list[tuple[str, str | None]]:
    return [(v.label, v.detail) if isinstance(v, Link) else (str(v), None) for v in values]


def test_an_area_shows_its_authority_strategy_cluster_and_objectives_in_order() -> None:
    rows = {row.label: row for row in facts(view_of(AREA, "en"), AREA)}
    assert list(rows) == [
        "Designated by",
        "In the strategy",
        "Cluster organisation",
        "Objectives of the cluster initiative",
    ]
    assert shown(rows["Designated by"].values) == [("Danish Board of Business Development", None)]
    assert shown(rows["In the strategy"].values) == [("Business Promotion in Denmark 2020-2023", None)]
    assert shown(rows["Cluster organisation"].values) == [("CLEAN", "since December 2020")]
    objectives = rows["Objectives of the cluster initiative"]
    assert objectives.ordered
    assert [detail for _, detail in shown(objectives.values)] == [
        "Intensifying and spreading the interaction in the ecosystem",
        "Exploiting the export potential through strengthened cooperation between Danish companies "
        "and public actors in Denmark and abroad",
        "Integrating digital solutions",
        "Exploiting the business potential in realising initiatives such as the joint Water Vision "
        "(Vandvision) and the joint Air Vision (Luftvision)",
    ]


def test_a_cluster_organisation_shows_the_area_it_is_designated_for() -> None:
    rows = facts(view_of(CLUSTER, "da"), CLUSTER)
    assert [(row.label, shown(row.values)) for row in rows] == [
        ("Udpeget for", [("Miljøteknologi", "fra december 2020")])
    ]


def test_a_designation_shows_its_period() -> None:
    rows = facts(view_of(CLUSTER_DESIGNATION, "en"), CLUSTER_DESIGNATION)
    assert [(row.label, row.values) for row in rows] == [("Period", (Text("since December 2020"),))]


def test_a_resource_with_nothing_two_steps_away_shows_no_facts() -> None:
    assert facts(view_of(BOARD, "en"), BOARD) == []


def test_the_designation_row_of_the_cluster_list() -> None:
    row = designation_row(view_of("clusters", "en"), CLUSTER_DESIGNATION)
    assert row["organisation"].label == "CLEAN" and row["alternate"] == []
    assert [area.label for area in row["areas"]] == ["Environmental technology"]
    assert (row["period"], row["ended"]) == ("since December 2020", False)


def test_the_strategy_summary_counts_what_the_data_lists() -> None:
    summary = strategy_summary(view_of("index", "en"), STRATEGY)
    assert summary["counts"] == {"areas": 1, "strongholds": 1, "emerging": 0}
    assert summary["issued"] == Text("5 March 2020", datetime="2020-03-05")
    assert summary["publisher"].label == "Danish Board of Business Development"
    assert len(summary["paragraphs"]) == 3 and summary["paragraphs"][2].startswith("The cluster initiative")


def test_areas_are_grouped_by_kind_and_designating_authority() -> None:
    (group,) = area_groups(view_of("index", "en"))
    assert group["heading"] == "Strongholds designated by the Danish Board of Business Development"
    (entry,) = group["areas"]
    assert entry["area"].label == "Environmental technology" and entry["arrangement"] is None
    assert [(c.label, c.detail) for c in entry["clusters"]] == [("CLEAN", "since December 2020")]
