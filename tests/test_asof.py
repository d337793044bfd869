"""The data as of a day: `query --as-of`, the endpoint's `as-of`, and the dated data releases are made from.

The expected answers come from the sources (data/sources/README.md and the Board's page, parsed
by tests/sources.py): MARLOG reported designated on 2 October 2020, the other designations
announced in December 2020, MARLOG's bankruptcy reported on 20 April 2022.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE
from sources import board_page, english_date, marlog, readme_match

from publish.asof import as_of, first_day
from publish.config import load_config
from publish.dataset import load
from publish.server import answer_once, create_app

Run = Callable[..., Result]
KD = BASE + "ontology#"
DAYS = ("2020-11-01", "2021-06-01", "2022-06-01")


def source_dates() -> tuple[datetime.date, str, datetime.date]:
    """Return (MARLOG reported designated, month the others were announced, bankruptcy reported)."""
    designated = readme_match(
        r"cluster organisation for maritime industries and logistics on (\d+ \w+ \d{4})"
    )
    announced = readme_match(r"Their designations were announced in (\w+ \d{4})")
    bankrupt = readme_match(r"bankrupt in spring 2022 \(transportnyhederne\.dk, (\d+ \w+ \d{4})\)")
    return (
        datetime.date.fromisoformat(english_date(designated.group(1))),
        english_date(announced.group(1)),
        datetime.date.fromisoformat(english_date(bankrupt.group(1))),
    )


def expected_clusters(day: datetime.date) -> set[str]:
    """Return the cluster organisations the sources say were designated (and not ended) on ``day``."""
    designated, announced, bankrupt = source_dates()
    year, month = (int(part) for part in announced.split("-"))
    end_of_month = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
    names = {area.cluster for area in board_page().areas if area.cluster} if day >= end_of_month else set()
    if designated <= day < bankrupt:
        names.add(marlog()[0])
    return names


@pytest.mark.parametrize("day", DAYS)
def test_query_as_of_a_day_answers_what_the_sources_say(built_site: Path, cli: Run, day: str) -> None:
    result = cli(
        "query",
        "--named",
        "designations-active-on",
        "--param",
        f"date={day}",
        "--as-of",
        day,
        "--format",
        "csv",
        "--project",
        str(built_site.parent),
        "--site",
        str(built_site),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {row["clusterLabel"] for row in rows} == expected_clusters(datetime.date.fromisoformat(day))
    assert len(rows) == len(expected_clusters(datetime.date.fromisoformat(day)))


def test_as_of_answers_from_the_release_not_from_today_s_data(built_site: Path, cli: Run) -> None:
    # Without a date filter in the query: the 2020-11-01 release knows only MARLOG's designation,
    # and no end of it (the bankruptcy was reported in 2022).
    text = f"SELECT ?d ?end WHERE {{ ?d a <{KD}ClusterDesignation> OPTIONAL {{ ?d <{KD}endDate> ?end }} }}"
    common = ("--format", "csv", "--project", str(built_site.parent), "--site", str(built_site))
    then = cli("query", text, "--as-of", "2020-11-01", *common)
    now = cli("query", text, *common)
    assert then.exit_code == 0 and now.exit_code == 0, then.output + now.output
    then_rows = list(csv.DictReader(io.StringIO(then.stdout)))
    assert [(row["d"].rsplit("/", 1)[1], row["end"]) for row in then_rows] == [
        ("maritime-logistics-innovation-denmark", "")
    ]
    clusters_on_page = {area.cluster for area in board_page().areas if area.cluster}
    assert len(list(csv.DictReader(io.StringIO(now.stdout)))) == len(clusters_on_page) + 1  # and MARLOG


@pytest.mark.parametrize(
    ("value", "words"),
    [("2019-12-31", "no release was issued on or before 2019-12-31"), ("1 June 2021", "is not a day")],
)
def test_a_day_without_a_release_or_not_a_day_is_a_usage_error(
    built_site: Path, cli: Run, value: str, words: str
) -> None:
    result = cli(
        "query", "ASK {}", "--as-of", value, "--project", str(built_site.parent), "--site", str(built_site)
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("klyngedata: --as-of: ") and words in result.stderr
    assert "Traceback" not in result.output


def _sparql(site: Path, query: str, extra: str = "") -> tuple[int, str]:
    app = create_app(load_config(site.parent), site, workers=1)
    target = f"/sparql?query={quote(query)}{extra}"
    answer = asyncio.run(answer_once(app, target, headers={"accept": "text/csv"}))
    return answer.status, answer.body.decode("utf-8")


def test_endpoint_as_of_parameter_chooses_the_release(built_site: Path) -> None:
    query = (
        f"SELECT ?label FROM <{BASE}graph/data> WHERE {{ ?d a <{KD}ClusterDesignation> ; "
        f"<{KD}designatedOrganisation>/<http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
        'FILTER (LANG(?label) = "da") FILTER NOT EXISTS { ?d <' + KD + "endDate> ?end } }"
    )
    for day in DAYS:
        status, body = _sparql(built_site, query, f"&as-of={day}")
        assert status == 200, body
        labels = set(body.splitlines()[1:])
        # Ended designations carry their end from the release that reported it (2022.04) on.
        assert {label.strip('"') for label in labels} == expected_clusters(datetime.date.fromisoformat(day))


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("&as-of=2019-01-01", "no release was issued on or before 2019-01-01"),
        ("&as-of=yesterday", "is not a day"),
        ("&as-of=2021-06-01&as-of=2022-06-01", "more than once"),
    ],
)
def test_endpoint_refuses_a_bad_as_of_with_400(built_site: Path, extra: str, words: str) -> None:
    status, body = _sparql(built_site, "ASK {}", extra)
    assert status == 400 and words in body


# ---------------------------------------------------------------- the dated data (release --as-of)


def test_first_day_of_each_precision() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert first_day(ox.Literal("2020-10-02", datatype=ox.NamedNode(xsd + "date"))) == datetime.date(
        2020, 10, 2
    )
    assert first_day(ox.Literal("2020-12", datatype=ox.NamedNode(xsd + "gYearMonth"))) == datetime.date(
        2020, 12, 1
    )
    assert first_day(ox.Literal("2022", datatype=ox.NamedNode(xsd + "gYear"))) == datetime.date(2022, 1, 1)
    assert first_day(ox.Literal("15")) is None


def _designations(dataset: object) -> dict[str, str | None]:
    quads = dataset.parts["data"]  # type: ignore[attr-defined]
    kinds = {q.subject for q in quads if q.object == ox.NamedNode(KD + "ClusterDesignation")}
    ends = {q.subject: q.object.value for q in quads if q.predicate == ox.NamedNode(KD + "endDate")}
    return {s.value.rsplit("/", 1)[1]: ends.get(s) for s in kinds}


def test_data_as_of_keeps_only_what_had_begun(project: Path) -> None:
    dataset = load(load_config(project))
    designated, _, bankrupt = source_dates()
    before = as_of(dataset, designated - datetime.timedelta(days=1))
    assert _designations(before) == {}
    assert not [q for q in before.parts["data"] if "cluster/" in q.subject.value]  # no organisation yet
    on = _designations(as_of(dataset, designated))
    assert on == {"maritime-logistics-innovation-denmark": None}
    after = _designations(as_of(dataset, bankrupt))
    assert len(after) == 14 and after["maritime-logistics-innovation-denmark"] == "2022"
    # Nothing is invented: every statement kept is one of the project's.
    assert set(as_of(dataset, designated).parts["data"]) <= set(dataset.parts["data"])
    assert set(as_of(dataset, bankrupt).parts["data"]) == set(dataset.parts["data"])


def test_sources_published_later_are_not_cited_before(project: Path) -> None:
    dataset = load(load_config(project))
    designated, _, _ = source_dates()
    dated = as_of(dataset, designated)
    cited = {q.object.value for q in dated.parts["data"] if q.predicate.value.endswith("/source")}
    assert BASE + "id/source/transportnyhederne-2020-10-02" in cited
    assert BASE + "id/source/transportnyhederne-2022-04-20" not in cited
    assert not [q for q in dated.parts["data"] if re.search("2022-04-20", q.subject.value)]
