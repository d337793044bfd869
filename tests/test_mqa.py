"""data.europa.eu's Metadata Quality Assessment (MQA) of the catalogue, against the published indicator list.

The points are the methodology's (tests/vocab/mqa/indicator-points.csv, transcribed from
data.europa.eu's page); what each indicator is computed on and its dimension are read from the
MQA's own DQV vocabulary (tests/vocab/mqa/edp-dqv-vocabulary.ttl). A catalogue that lacks one
thing loses exactly that indicator's points.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE, VENDOR
from rdflib import Graph, Namespace
from rdflib.namespace import SKOS

from publish import mqa
from publish.uris import Uris

MQA_VOCAB = VENDOR / "mqa"
PACKAGED = Path(mqa.__file__).parent / "vocab" / "mqa"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
URIS = Uris(BASE)
DATASET, DISTRIBUTION = "dataset", "distribution"


def published() -> list[dict[str, str]]:
    with (MQA_VOCAB / "indicator-points.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def catalogue(site: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=site / "catalog.ttl", format=ox.RdfFormat.TURTLE)]


def score(triples: list[ox.Triple], site: Path, **kwargs: object) -> mqa.Assessment:
    return mqa.assess(triples, uris=URIS, site=site, **kwargs)  # type: ignore[arg-type]


def datasets(triples: list[ox.Triple]) -> list[str]:
    return sorted(
        t.subject.value
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object.value == DCAT + "Dataset"
    )


# ---------------------------------------------------------------- the published list


def test_indicators_and_points_are_the_published_list() -> None:
    rows = published()
    assert [(i.dimension, i.name, i.on, i.points) for i in mqa.INDICATORS] == [
        (r["dimension"], r["indicator"], r["computed_on"], int(r["points"])) for r in rows
    ]
    assert mqa.MAXIMUM == 405
    per_dimension = {d: sum(int(r["points"]) for r in rows if r["dimension"] == d) for d in mqa.DIMENSIONS}
    assert per_dimension == {
        "findability": 100,
        "accessibility": 100,
        "interoperability": 110,
        "reusability": 75,
        "contextuality": 20,
    }


def test_dimension_and_what_each_is_computed_on_follow_the_mqa_vocabulary() -> None:
    """The MQA's DQV vocabulary defines each metric: its dimension and "… in a dataset/distribution"."""
    graph = Graph().parse(MQA_VOCAB / "edp-dqv-vocabulary.ttl")
    pv = Namespace("https://piveau.eu/ns/voc#")
    dqv = Namespace("http://www.w3.org/ns/dqv#")
    for indicator in mqa.INDICATORS:
        metric = pv[indicator.name]
        # Upstream typo (SOURCE.md): the reusability metrics point to pv:reusablity.
        stated = graph.objects(metric, dqv.inDimension)
        dimensions = {str(d).replace("#reusablity", "#reusability") for d in stated}
        assert dimensions == {str(pv[indicator.dimension])}, indicator.name
        definition = str(graph.value(metric, SKOS.definition))
        # "… in a dataset", "A distribution's …"
        said = DISTRIBUTION if "distribution" in definition else DATASET
        assert said == indicator.on, (indicator.name, definition)


@pytest.mark.parametrize(
    "name",
    [
        "edp-machine-readable-format.rdf",
        "edp-non-proprietary-format.rdf",
        "edp-licences-skos.rdf",
        "SOURCE.md",
    ],
)
def test_packaged_lists_are_the_vendored_files(name: str) -> None:
    assert (PACKAGED / name).read_bytes() == (MQA_VOCAB / name).read_bytes()


# ---------------------------------------------------------------- the catalogue


def test_the_catalogue_scores_405_of_405(built_site: Path) -> None:
    assessment = score(catalogue(built_site), built_site)
    count = len(datasets(catalogue(built_site)))
    assert count >= 2  # the dataset and its stored releases
    assert [(s.indicator.name, s.points, s.met) for s in assessment.scores] == [
        (r["indicator"], float(r["points"]), count) for r in published()
    ]
    assert (assessment.total, assessment.rating) == (405, "excellent")


def without(triples: list[ox.Triple], predicate: str, subjects: set[str] | None = None) -> list[ox.Triple]:
    return [
        t
        for t in triples
        if not (t.predicate.value == predicate and (subjects is None or t.subject.value in subjects))
    ]


def lost(before: mqa.Assessment, after: mqa.Assessment) -> dict[str, float]:
    return {
        b.indicator.name: round(b.points - a.points, 6)
        for b, a in zip(before.scores, after.scores, strict=True)
        if b.points != a.points
    }


@pytest.mark.parametrize(
    ("predicate", "indicator", "points"),
    [
        (DCAT + "keyword", "keywordAvailability", 30),
        (DCT + "temporal", "temporalAvailability", 20),
        (DCT + "accessRights", "accessRightsAvailability", 10),
        (DCAT + "byteSize", "byteSizeAvailability", 5),
        (DCT + "issued", "dateIssuedAvailability", 5),
        (DCAT + "mediaType", "mediaTypeAvailability", 10),
    ],
)
def test_a_missing_property_loses_exactly_its_indicator(
    built_site: Path, predicate: str, indicator: str, points: int
) -> None:
    triples = catalogue(built_site)
    full = score(triples, built_site)
    expected = {indicator: points}
    # Without a value, the check of the value against its list fails too.
    if indicator == "mediaTypeAvailability":
        expected["formatMediaTypeVocabularyAlignment"] = 10
    if indicator == "accessRightsAvailability":
        expected["accessRightsVocabularyAlignment"] = 5
    # dct:issued is read on the distributions (the datasets keep theirs)
    distributions = {t.object.value for t in triples if t.predicate.value == DCAT + "distribution"}
    subjects = distributions if indicator == "dateIssuedAvailability" else None
    assert lost(full, score(without(triples, predicate, subjects), built_site)) == expected


def test_one_dataset_without_keywords_loses_its_share(built_site: Path) -> None:
    triples = catalogue(built_site)
    first = datasets(triples)[0]
    after = score(without(triples, DCAT + "keyword", {first}), built_site)
    assert lost(score(triples, built_site), after) == {
        "keywordAvailability": round(30 / len(datasets(triples)), 6)
    }


def test_the_best_distribution_counts(tmp_path: Path, built_site: Path) -> None:
    """One reachable file per dataset keeps the reachability points; none loses them."""
    triples = catalogue(built_site)
    urls = sorted({t.object.value for t in triples if t.predicate.value == DCAT + "downloadURL"})
    full = score(triples, built_site)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert lost(full, score(triples, empty)) == {"accessUrlStatusCode": 50, "downloadUrlStatusCode": 30}
    one_each = tmp_path / "one-each"
    for url in urls:
        if url.endswith(".nt"):  # dataset.nt and every release's
            path = one_each / URIS.document_stem(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    assert lost(full, score(triples, one_each)) == {}


def test_formats_outside_the_mqa_lists_lose_those_indicators(built_site: Path) -> None:
    """PDF is in the EU file-type table but on neither of the MQA's lists."""
    pdf = ox.NamedNode(FILE_TYPE + "PDF")
    triples = [
        ox.Triple(t.subject, t.predicate, pdf) if t.predicate.value == DCT + "format" else t
        for t in catalogue(built_site)
    ]
    assert lost(score(catalogue(built_site), built_site), score(triples, built_site)) == {
        "formatMediaTypeNonProprietary": 20,
        "formatMediaTypeMachineInterpretable": 20,
    }


def test_a_dataset_with_a_dcat_ap_violation_loses_compliance(built_site: Path) -> None:
    triples = catalogue(built_site)
    count = len(datasets(triples))
    after = score(triples, built_site, noncompliant={BASE + "dataset"})
    assert lost(score(triples, built_site), after) == {"dcatApCompliance": round(30 / count, 6)}
    # A violation on one of its distributions counts against the dataset too.
    distribution = next(
        t.object.value
        for t in triples
        if t.predicate.value == DCAT + "distribution" and t.subject.value == BASE + "dataset"
    )
    assert lost(score(triples, built_site), score(triples, built_site, noncompliant={distribution})) == {
        "dcatApCompliance": round(30 / count, 6)
    }


def test_ratings_follow_the_methodology() -> None:
    def rated(points: float) -> str:
        indicator = mqa.INDICATORS[0]
        return mqa.Assessment((mqa.Score(indicator, points, 1, 1),)).rating

    assert [rated(p) for p in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "sufficient",
        "sufficient",
        "bad",
        "bad",
    ]


# ---------------------------------------------------------------- validate --catalog


def test_validate_catalog_prints_the_score_per_indicator(
    built_site: Path, cli: Callable[..., Result]
) -> None:
    project = built_site.parent
    text = cli("validate", "--catalog", "--project", str(project), "--lang", "en").stdout
    for row in published():
        line = next(line for line in text.splitlines() if f"({row['indicator']})" in line)
        assert f"{row['points']}/{row['points']}" in line.replace(" ", "")
    assert "Score: 405 of 405 points, Excellent." in text
    danish = cli("validate", "--catalog", "--project", str(project), "--lang", "da").stdout
    assert "Resultat: 405 af 405 point, Fremragende." in danish
    assert "maskinlæsbart format (formatMediaTypeMachineInterpretable)" in danish
    body = json.loads(cli("validate", "--catalog", "--format", "json", "--project", str(project)).stdout)
    assert (body["mqa"]["total"], body["mqa"]["maximum"], body["mqa"]["rating"]) == (405, 405, "excellent")
    assert [(i["indicator"], i["points"], i["maximum"]) for i in body["mqa"]["indicators"]] == [
        (r["indicator"], int(r["points"]), int(r["points"])) for r in published()
    ]
    assert body["conforms"] is True  # the DCAT-AP report is still all there
