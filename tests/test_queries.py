"""The shipped named queries give the sources' answers over the built dump.

Expected answers come from the source pages, parsed by the helpers of ``test_data``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import BASE
from sources import board_page, corrected, english_date, marlog, readme_areas, readme_match

from publish.errors import UsageError
from publish.i18n import load_messages
from publish.sparql import bindings, get_named, heading, named_queries, select

Row = dict[str, str]


def run(store: ox.Store, name: str, **params: str) -> list[Row]:
    """Run the named query ``name`` over the built dump with ``params``."""
    query = named_queries()[name]
    return select(store, query.text, base=BASE, substitutions=bindings(query, params, base=BASE))


def clusters_by_area() -> list[tuple[str, str]]:
    """Return (area, cluster organisation) in page order, MARLOG for the maritime area (README §4)."""
    return [
        (area.name, area.cluster or marlog()[0])
        for area in board_page().areas
        if area.cluster or area.objectives
    ]


# ---------------------------------------------------------------- every query


def test_every_shipped_query_is_documented_and_answers(site_store: ox.Store) -> None:
    queries = named_queries()
    assert {
        "cluster-for-area",
        "areas-without-cluster",
        "areas-by-authority",
        "objectives-of-area",
        "objectives-by-theme",
        "focal-points",
        "designations-active-on",
    } <= set(queries)
    samples = {"xsd:date": "2021-06-01", "iri": f"{BASE}id/area/energiteknologi"}
    for name, query in queries.items():
        for lang in ("da", "en"):
            title, description = heading(query, load_messages()[lang])
            assert title.strip() and title != name and description.strip(), (lang, name)
        required = {param.name: samples[param.kind] for param in query.params if param.required}
        assert run(site_store, name, **required), name


def test_a_missing_required_parameter_is_a_usage_error() -> None:
    query = get_named("designations-active-on")
    assert [param.name for param in query.params if param.required] == ["date"]
    with pytest.raises(UsageError, match="date"):
        bindings(query, {}, base=BASE)


def test_an_unknown_parameter_or_query_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="colour"):
        bindings(get_named("focal-points"), {"colour": "red"}, base=BASE)
    with pytest.raises(UsageError, match="cluster-for-area"):
        get_named("no-such-query")


# ---------------------------------------------------------------- the answers


def test_cluster_for_area_gives_each_areas_cluster_as_on_the_page(site_store: ox.Store) -> None:
    rows = run(site_store, "cluster-for-area")
    assert len(rows) == 14
    assert [(row["areaLabel"], row["clusterLabel"]) for row in rows] == clusters_by_area()
    name = marlog()[0]
    periods = {row["clusterLabel"]: (row["start"], row.get("end")) for row in rows}
    marlog_start = english_date(readme_match(r"logistics on (\d+ \w+ \d{4})").group(1))
    marlog_end = readme_match(r"declared bankrupt in spring (\d{4})").group(1)
    assert periods.pop(name) == (marlog_start, marlog_end)
    december = english_date(readme_match(r"designations were announced in (\w+ \d{4})").group(1))
    assert set(periods.values()) == {(december, None)}


def test_cluster_for_area_answers_for_one_area(site_store: ox.Store) -> None:
    maritime = next(
        row["area"] for row in run(site_store, "cluster-for-area") if row["clusterLabel"] == marlog()[0]
    )
    rows = run(site_store, "cluster-for-area", area=maritime)
    assert [(row["area"], row["clusterLabel"]) for row in rows] == [(maritime, marlog()[0])]


def test_areas_without_cluster_gives_tourism_and_what_the_board_supports(site_store: ox.Store) -> None:
    tourism = board_page().area("Turisme")
    block = tourism.bullets("Danmarks Erhvervsfremmebestyrelse vil understøtte")
    assert block and len(block[1]) == 6
    rows = run(site_store, "areas-without-cluster")
    assert {row["areaLabel"] for row in rows} == {"Turisme"}
    assert [row["supported"] for row in rows] == block[1]
    assert [row["position"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    instead = board_page().line_starting("Turisme er udpeget som styrkeposition")
    assert "træder i stedet for en klyngeindsats" in instead
    assert {row["instead"] for row in rows} == {instead}


def test_areas_by_authority_gives_the_ministers_two_and_the_boards_thirteen(site_store: ox.Store) -> None:
    strongholds, _, _ = readme_areas()
    by_authority: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in run(site_store, "areas-by-authority"):
        by_authority[row["authorityLabel"].casefold()].append((row["areaLabel"], row["kind"]))
    board = readme_match(r"Danish Board of Business Development \((\w+ \w+)\)").group(1).casefold()
    areas = board_page().areas
    assert by_authority == {
        "uddannelses- og forskningsministeren": [(a.name, "emerging") for a in areas if a.by_minister],
        board: [
            (a.name, "stronghold" if a.name in strongholds else "emerging")
            for a in areas
            if not a.by_minister
        ],
    }
    assert [len(v) for v in by_authority.values()] in ([2, 13], [13, 2])
    minister_on_page = [a.opening for a in areas if a.by_minister]
    assert all("udpeget af uddannelses- og forskningsministeren" in opening for opening in minister_on_page)


def test_objectives_of_energiteknologi_are_the_pages_four_bullets(site_store: ox.Store) -> None:
    expected = board_page().area("Energiteknologi").objectives
    assert len(expected) == 4
    rows = run(site_store, "objectives-of-area", area=f"{BASE}id/area/energiteknologi")
    assert [row["text"] for row in rows] == expected
    assert [row["position"] for row in rows] == ["1", "2", "3", "4"]
    assert {row["areaLabel"] for row in rows} == {"Energiteknologi"}
    assert all(row["textEn"].strip() for row in rows)


def test_objectives_of_all_areas_in_page_order(site_store: ox.Store) -> None:
    rows = run(site_store, "objectives-of-area")
    expected = [(area.name, corrected(text)) for area in board_page().areas for text in area.objectives]
    assert [(row["areaLabel"], row["text"]) for row in rows] == expected


@pytest.mark.parametrize(
    ("theme", "words"),
    [
        ("export", ("eksport",)),
        ("digitalisation", ("digital",)),
        ("green transition", ("grøn", "bæredygtig")),
    ],
)
def test_objectives_by_theme_are_the_page_bullets_that_mention_it(
    site_store: ox.Store, theme: str, words: tuple[str, ...]
) -> None:
    expected = [
        (area.name, corrected(text))
        for area in board_page().areas
        for text in area.objectives
        if any(word in text.lower() for word in words)
    ]
    rows = [row for row in run(site_store, "objectives-by-theme") if row["theme"] == theme]
    assert expected
    assert [(row["areaLabel"], row["text"]) for row in rows] == expected


def test_focal_points_are_the_four_sigtelinjer(site_store: ox.Store) -> None:
    rows = run(site_store, "focal-points")
    assert [row["text"] for row in rows] == board_page().focal_points
    assert [row["position"] for row in rows] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2020-10-01", "none"),  # before MARLOG's designation on 2 October 2020 (README §4)
        ("2020-10-02", "marlog"),
        ("2020-11-01", "marlog"),  # the others were announced in December 2020 (README §6)
        ("2021-06-01", "all"),
        ("2022-06-01", "all but marlog"),  # MARLOG went bankrupt in spring 2022
    ],
)
def test_designations_active_on_a_date(site_store: ox.Store, day: str, expected: str) -> None:
    everyone = [cluster for _, cluster in clusters_by_area()]
    wanted = {
        "none": [],
        "marlog": [marlog()[0]],
        "all": everyone,
        "all but marlog": [cluster for cluster in everyone if cluster != marlog()[0]],
    }[expected]
    rows = run(site_store, "designations-active-on", date=day)
    assert [row["clusterLabel"] for row in rows] == wanted


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("objectives-of-area", "area=a b", "takes a slug (energiteknologi), a label"),
        ("objectives-of-area", "area=<https://w3id.org/klyngedata/id/area/x y>", "or a full IRI"),
        ("designations-active-on", "date=juni", "takes a date as YYYY-MM-DD"),
        ("designations-active-on", "date=2021-02-30", "takes a date as YYYY-MM-DD"),
        ("designations-active-on", "date=20210601", "takes a date as YYYY-MM-DD"),
    ],
)
def test_a_bad_parameter_value_is_a_usage_error_naming_it(
    name: str, value: str, expected: str, built_site: Path, cli: Callable[..., Any]
) -> None:
    result = cli("query", "--named", name, "--param", value, "--project", str(built_site.parent))
    assert result.exit_code == 2
    assert expected in result.stderr and repr(value.split("=", 1)[1]) in result.stderr
    assert "Traceback" not in result.output


def test_an_iri_parameter_may_be_written_in_angle_brackets(site_store: ox.Store) -> None:
    plain = run(site_store, "objectives-of-area", area=f"{BASE}id/area/energiteknologi")
    assert plain == run(site_store, "objectives-of-area", area=f"<{BASE}id/area/energiteknologi>")
    assert plain
