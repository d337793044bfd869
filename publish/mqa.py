"""data.europa.eu's Metadata Quality Assessment (MQA) of the catalogue, computed offline.

data.europa.eu grades every harvested dataset on 23 indicators in five dimensions (405 points;
Excellent from 351). The indicators, their points and what each is computed on are the
published methodology's (https://data.europa.eu/mqa/methodology; ``vocab/mqa/SOURCE.md``); the
names are the metrics of the MQA's DQV vocabulary (``pv:keywordAvailability``, …). As the MQA
does, a distribution indicator counts the best distribution of a dataset (per dimension, the
one with the most points), and the catalogue's score is the mean over its datasets (stored
releases, ``dcat:hasVersion``, are datasets too).

Offline stand-ins for what the MQA looks up on the web:

- "reachable" (HTTP status 200): the URL lies under the base IRI and names a file of the built
  site (``Uris.document_stem``, the one mapping of IRIs to site paths); any other URL counts as
  unreachable, since it cannot be checked here;
- DCAT-AP compliance: no violation of the DCAT-AP 3.0.1 check (``dcatap.py``) on the dataset or
  its distributions (the caller passes the nodes that have one);
- the controlled lists: the EU file-type and access-right tables (``vocab/eu-nal``), the IANA
  media-type namespace, and the MQA's own lists of machine-readable and non-proprietary formats
  and of known licences (``vocab/mqa``, unchanged copies).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import PathError
from .euvocab import eu_concepts
from .rdf import DCAT, DCT, EU, IANA, RDF, SKOS
from .uris import Uris

DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
RATINGS = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))
DATASET, DISTRIBUTION = "dataset", "distribution"


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of the methodology: its metric, dimension, property, what it is computed on, points."""

    name: str
    dimension: str
    shown: str  # the property (or check) people know it by
    on: str  # DATASET or DISTRIBUTION
    points: int


INDICATORS: tuple[Indicator, ...] = tuple(
    Indicator(*row)
    for row in (
        ("keywordAvailability", "findability", "dcat:keyword", DATASET, 30),
        ("categoryAvailability", "findability", "dcat:theme", DATASET, 30),
        ("spatialAvailability", "findability", "dct:spatial", DATASET, 20),
        ("temporalAvailability", "findability", "dct:temporal", DATASET, 20),
        ("accessUrlStatusCode", "accessibility", "dcat:accessURL reachable", DISTRIBUTION, 50),
        ("downloadUrlAvailability", "accessibility", "dcat:downloadURL", DISTRIBUTION, 20),
        ("downloadUrlStatusCode", "accessibility", "dcat:downloadURL reachable", DISTRIBUTION, 30),
        ("formatAvailability", "interoperability", "dct:format", DISTRIBUTION, 20),
        ("mediaTypeAvailability", "interoperability", "dcat:mediaType", DISTRIBUTION, 10),
        (
            "formatMediaTypeVocabularyAlignment",
            "interoperability",
            "format/media type from the lists",
            DISTRIBUTION,
            10,
        ),
        ("formatMediaTypeNonProprietary", "interoperability", "non-proprietary format", DISTRIBUTION, 20),
        (
            "formatMediaTypeMachineInterpretable",
            "interoperability",
            "machine-readable format",
            DISTRIBUTION,
            20,
        ),
        ("dcatApCompliance", "interoperability", "DCAT-AP compliance", DATASET, 30),
        ("licenceAvailability", "reusability", "dct:license", DISTRIBUTION, 20),
        ("knownLicence", "reusability", "licence from the list", DISTRIBUTION, 10),
        ("accessRightsAvailability", "reusability", "dct:accessRights", DATASET, 10),
        ("accessRightsVocabularyAlignment", "reusability", "access rights from the list", DATASET, 5),
        ("contactPointAvailability", "reusability", "dcat:contactPoint", DATASET, 20),
        ("publisherAvailability", "reusability", "dct:publisher", DATASET, 10),
        ("rightsAvailability", "contextuality", "dct:rights", DISTRIBUTION, 5),
        ("byteSizeAvailability", "contextuality", "dcat:byteSize", DISTRIBUTION, 5),
        ("dateIssuedAvailability", "contextuality", "dct:issued", DISTRIBUTION, 5),
        ("dateModifiedAvailability", "contextuality", "dct:modified", DISTRIBUTION, 5),
    )
)
MAXIMUM = sum(i.points for i in INDICATORS)


@dataclass(frozen=True, slots=True)
class Score:
    """One indicator's result: the mean points over the datasets, and how many datasets met it."""

    indicator: Indicator
    points: float
    met: int
    datasets: int


@dataclass(frozen=True, slots=True)
class Assessment:
    """The catalogue's score, indicator by indicator."""

    scores: tuple[Score, ...]

    @property
    def total(self) -> float:
        """Return the catalogue's points (of 405)."""
        return sum(s.points for s in self.scores)

    @property
    def rating(self) -> str:
        """Return the MQA's rating of the total: excellent, good, sufficient or bad."""
        return next(name for floor, name in RATINGS if round(self.total) >= floor)

    def dimension(self, name: str) -> tuple[float, int]:
        """Return the points and the maximum of one dimension."""
        mine = [s for s in self.scores if s.indicator.dimension == name]
        return sum(s.points for s in mine), sum(s.indicator.points for s in mine)


# ---------------------------------------------------------------- the lists


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """Return an IRI, blank node id or lexical form (a quoted triple is no value any indicator reads)."""
    return "" if isinstance(term, ox.Triple) else term.value


@functools.cache
def _listed(name: str) -> frozenset[str]:
    """Return the subjects of one of the MQA's lists (vocab/mqa/<name>)."""
    body = (resources.files("publish") / "vocab" / "mqa" / name).read_bytes()
    return frozenset(_text(q.subject) for q in ox.parse(body, format=ox.RdfFormat.RDF_XML))


@functools.cache
def _in_scheme(scheme: str) -> frozenset[str]:
    """Return the concepts of one EU table (``file-type``, ``access-right``) the package ships."""
    return frozenset(
        _text(t.subject)
        for t in eu_concepts()
        if t.predicate.value == SKOS + "inScheme" and _text(t.object) == EU + scheme
    )


# ---------------------------------------------------------------- the assessment

Facts = Mapping[str, list[str]]  # one node's predicates → their values (IRIs and lexical forms)


def assess(
    triples: Iterable[ox.Triple], *, uris: Uris, site: Path, noncompliant: Collection[str] = ()
) -> Assessment:
    """Return the MQA score of a catalogue graph whose files were built into ``site``.

    ``noncompliant`` are the nodes with a DCAT-AP violation (their datasets lose the compliance
    indicator).
    """
    nodes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        nodes[_text(t.subject)][t.predicate.value].append(_text(t.object))
    datasets = sorted(n for n, facts in nodes.items() if DCAT + "Dataset" in facts.get(RDF + "type", []))
    checks = _checks(uris, site, set(noncompliant))
    met: dict[str, int] = defaultdict(int)
    for ds in datasets:
        for indicator in _met(nodes, ds, checks):
            met[indicator] += 1
    count = len(datasets)
    return Assessment(
        tuple(
            Score(i, i.points * met[i.name] / count if count else 0.0, met[i.name], count) for i in INDICATORS
        )
    )


def _met(nodes: Mapping[str, Facts], ds: str, checks: Mapping[str, Check]) -> set[str]:
    """Return the indicators one dataset meets (distribution ones: its best distribution per dimension)."""
    facts = nodes[ds]
    met = {i.name for i in INDICATORS if i.on == DATASET and checks[i.name](ds, facts)}
    distributions = [(d, nodes.get(d, {})) for d in facts.get(DCAT + "distribution", [])]
    for dimension in DIMENSIONS:
        mine = [i for i in INDICATORS if i.on == DISTRIBUTION and i.dimension == dimension]
        best: set[str] = set()
        best_points = -1
        for node, facts_of in sorted(distributions):
            passed = {i.name for i in mine if checks[i.name](node, facts_of)}
            points = sum(i.points for i in mine if i.name in passed)
            if points > best_points:
                best, best_points = passed, points
        met |= best
    return met


Check = Callable[[str, Facts], bool]


def _has(predicate: str) -> Check:
    return lambda _node, facts: bool(facts.get(predicate))


def _any_in(predicate: str, allowed: Callable[[], Collection[str]]) -> Check:
    return lambda _node, facts: any(value in allowed() for value in facts.get(predicate, []))


def _checks(uris: Uris, site: Path, noncompliant: set[str]) -> dict[str, Check]:
    """Return, per indicator, the check of one dataset's or distribution's facts."""

    def reachable(url: str) -> bool:
        if not uris.is_local(url):
            return False  # outside the site: the MQA would ask the web, which we do not
        try:
            return (site / uris.document_stem(url)).is_file()
        except PathError:
            return False

    def reaches(predicate: str) -> Check:
        return lambda _node, facts: any(reachable(url) for url in facts.get(predicate, []))

    def aligned(_node: str, facts: Facts) -> bool:
        formats, media = facts.get(DCT + "format", []), facts.get(DCAT + "mediaType", [])
        return (
            bool(formats and media)
            and all(f in _in_scheme("file-type") for f in formats)
            and all(m.startswith(IANA) for m in media)
        )

    def compliant(node: str, facts: Facts) -> bool:
        return node not in noncompliant and not noncompliant.intersection(
            facts.get(DCAT + "distribution", [])
        )

    return {
        "keywordAvailability": _has(DCAT + "keyword"),
        "categoryAvailability": _has(DCAT + "theme"),
        "spatialAvailability": _has(DCT + "spatial"),
        "temporalAvailability": _has(DCT + "temporal"),
        "accessUrlStatusCode": reaches(DCAT + "accessURL"),
        "downloadUrlAvailability": _has(DCAT + "downloadURL"),
        "downloadUrlStatusCode": reaches(DCAT + "downloadURL"),
        "formatAvailability": _has(DCT + "format"),
        "mediaTypeAvailability": _has(DCAT + "mediaType"),
        "formatMediaTypeVocabularyAlignment": aligned,
        "formatMediaTypeNonProprietary": _any_in(
            DCT + "format", lambda: _listed("edp-non-proprietary-format.rdf")
        ),
        "formatMediaTypeMachineInterpretable": _any_in(
            DCT + "format", lambda: _listed("edp-machine-readable-format.rdf")
        ),
        "dcatApCompliance": compliant,
        "licenceAvailability": _has(DCT + "license"),
        "knownLicence": _any_in(DCT + "license", lambda: _listed("edp-licences-skos.rdf")),
        "accessRightsAvailability": _has(DCT + "accessRights"),
        "accessRightsVocabularyAlignment": _any_in(DCT + "accessRights", lambda: _in_scheme("access-right")),
        "contactPointAvailability": _has(DCAT + "contactPoint"),
        "publisherAvailability": _has(DCT + "publisher"),
        "rightsAvailability": _has(DCT + "rights"),
        "byteSizeAvailability": _has(DCAT + "byteSize"),
        "dateIssuedAvailability": _has(DCT + "issued"),
        "dateModifiedAvailability": _has(DCT + "modified"),
    }


def assess_site(site: Path, *, uris: Uris, noncompliant: Collection[str] = ()) -> Assessment:
    """Return the MQA score of the catalogue a build wrote into ``site`` (catalog.ttl, already checked)."""
    triples = [q.triple for q in ox.parse(path=site / "catalog.ttl", format=ox.RdfFormat.TURTLE)]
    return assess(triples, uris=uris, site=site, noncompliant=noncompliant)


# ---------------------------------------------------------------- reports


def with_score(report: str, assessment: Assessment, *, fmt: str, words: Mapping[str, Any]) -> str:
    """Add the score to the report of ``validate --catalog``: to its text, or as the ``mqa`` of its JSON."""
    if fmt == "json":
        body = json.loads(report)
        body["mqa"] = as_json(assessment)
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    return report + "\n" + format_text(assessment, words)


def _points(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def format_text(assessment: Assessment, words: Mapping[str, Any]) -> str:
    """Render the score per dimension and indicator in one language's ``[mqa]`` words.

    An indicator that is not one property is named by ``[mqa.shown]`` (else its English name).
    """
    lines = [words["title"]]
    for dimension in DIMENSIONS:
        got, most = assessment.dimension(dimension)
        lines.append(f"  {words[dimension]}: {_points(got)}/{most}")
        for s in assessment.scores:
            if s.indicator.dimension == dimension:
                named = words.get("shown", {}).get(s.indicator.name, s.indicator.shown)
                shown = f"{named} ({s.indicator.name})"
                lines.append(
                    f"    {shown:<72} {_points(s.points):>4}/{s.indicator.points:<3} "
                    + words["met"].format(met=s.met, datasets=s.datasets)
                )
    total = words["total"].format(total=_points(assessment.total), maximum=MAXIMUM)
    lines.append(f"{total} {words['rating_' + assessment.rating]}")
    return "\n".join(lines) + "\n"


def as_json(assessment: Assessment) -> dict[str, object]:
    """Return the score as a JSON-ready object: total, maximum, rating and every indicator."""
    return {
        "total": round(assessment.total, 2),
        "maximum": MAXIMUM,
        "rating": assessment.rating,
        "indicators": [
            {
                "dimension": s.indicator.dimension,
                "indicator": s.indicator.name,
                "property": s.indicator.shown,
                "computed_on": s.indicator.on,
                "points": round(s.points, 2),
                "maximum": s.indicator.points,
                "datasets_meeting": s.met,
                "datasets": s.datasets,
            }
            for s in assessment.scores
        ],
    }
