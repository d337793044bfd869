"""A catalogue that only its sizes, checksums and times tell apart from one checked before gets
that check's report without running it (issue 11: ``serve --watch`` rebuilds); pySHACL, the
reference, decides whether that holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from publish import dcatap
from publish.errors import ValidationFailed
from publish.valueblind import ValueBlind

XSD = "http://www.w3.org/2001/XMLSchema#"
BYTE_SIZE = "http://www.w3.org/ns/dcat#byteSize"
CHECKSUM = "http://spdx.org/rdf/terms#checksumValue"
MODIFIED = "http://purl.org/dc/terms/modified"
TRIPLES = "http://rdfs.org/ns/void#triples"


def _catalogue(site: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=site / "catalog.ttl", format=ox.RdfFormat.TURTLE)]


def _changed(
    triples: list[ox.Triple], predicate: str, new: Callable[[ox.Literal], ox.Literal]
) -> list[ox.Triple]:
    return [
        ox.Triple(t.subject, t.predicate, new(t.object)) if t.predicate.value == predicate else t
        for t in triples
    ]


def _typed(lexical: str, datatype: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))


@pytest.fixture(scope="module")
def sameness() -> ValueBlind:
    return ValueBlind(dcatap.shapes_graph(dcatap.FULL_SET), dcatap.vocabulary_shapes())


def test_the_official_shapes_are_blind_to_sizes_checksums_times_and_counts(sameness: ValueBlind) -> None:
    for predicate in (BYTE_SIZE, CHECKSUM, MODIFIED, TRIPLES):
        assert sameness.blind(predicate), predicate


def test_catalogues_with_the_same_key_get_the_same_report_from_pyshacl(
    built_site: Path, sameness: ValueBlind
) -> None:
    """What a rebuild changes (other sizes, checksums, times and counts, well-formed): the same key,
    and pySHACL's report on the changed catalogue is the report on the built one."""
    built = _catalogue(built_site)
    changed = _changed(built, BYTE_SIZE, lambda o: _typed(str(int(o.value) + 7), "nonNegativeInteger"))
    changed = _changed(changed, CHECKSUM, lambda o: _typed("ab" * 32, "hexBinary"))
    later = {XSD + "dateTime": "2031-05-06T07:08:09Z", XSD + "date": "2031-05-06"}
    changed = _changed(changed, MODIFIED, lambda o: ox.Literal(later[o.datatype.value], datatype=o.datatype))
    changed = _changed(changed, TRIPLES, lambda o: _typed("123456", "integer"))
    assert changed != built
    assert sameness.key(changed) == sameness.key(built)
    assert dcatap.check_catalog(changed) == dcatap.check_catalog(built)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda t: _changed(t, BYTE_SIZE, lambda o: _typed("-5", "nonNegativeInteger")), id="ill-typed"
        ),
        pytest.param(
            lambda t: _changed(t, BYTE_SIZE, lambda o: _typed(o.value, "integer")), id="other-datatype"
        ),
        pytest.param(
            lambda t: (
                t
                + [
                    ox.Triple(
                        next(x.subject for x in t if x.predicate.value == BYTE_SIZE),
                        ox.NamedNode(BYTE_SIZE),
                        _typed("1", "nonNegativeInteger"),
                    )
                ]
            ),
            id="one-more-value",
        ),
    ],
)
def test_a_change_pyshacl_can_see_changes_the_key(
    built_site: Path, sameness: ValueBlind, change: Callable[[list[ox.Triple]], list[ox.Triple]]
) -> None:
    built = _catalogue(built_site)
    changed = change(built)
    assert sameness.key(changed) != sameness.key(built)
    assert not dcatap.check_catalog(changed).conforms  # reusing the old report would have been wrong


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
  sh:property [ sh:path ex:p ; sh:maxCount 1 ; sh:datatype xsd:integer ; sh:node ex:Temporal ] ,
              [ sh:path ex:q ; EXTRA ] .
ex:Temporal a sh:NodeShape ; sh:message "a date" ;
  sh:or ( [ sh:datatype xsd:date ] [ sh:datatype xsd:dateTime ] [ sh:nodeKind sh:Literal ] ) .
"""


@pytest.mark.parametrize(
    ("extra", "blind_p", "blind_q"),
    [
        ("sh:minCount 1", True, True),
        ('sh:pattern "^1"', True, False),
        ("sh:in ( 1 2 )", True, False),
        ("sh:maxInclusive 10", True, False),
        ("sh:lessThan ex:p", False, False),  # ex:p as the other side of a comparison
        ("sh:node [ sh:in ( 1 ) ]", True, False),
        ("sh:node ex:Temporal", True, True),
        ("sh:path ex:q", True, True),
    ],
)
def test_what_the_shapes_say_decides_what_is_blind(extra: str, blind_p: bool, blind_q: bool) -> None:
    shapes = Graph().parse(data=SHAPES.replace("EXTRA", extra), format="turtle")
    sameness = ValueBlind(shapes)
    assert (sameness.blind("https://example.org/p"), sameness.blind("https://example.org/q")) == (
        blind_p,
        blind_q,
    )
    assert sameness.blind("https://example.org/not-in-the-shapes")


def test_a_complex_path_a_target_or_a_program_makes_a_predicate_seen() -> None:
    base = SHAPES.replace("EXTRA", "sh:minCount 1")
    for more, seen in [
        ("ex:T a sh:NodeShape ; sh:property [ sh:path ( ex:r ex:p ) ; sh:minCount 1 ] .", "p"),
        ("ex:T a sh:NodeShape ; sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ] .", "q"),
        ("ex:T a sh:NodeShape ; sh:targetObjectsOf ex:q ; sh:datatype xsd:integer .", "q"),
        ('ex:T a sh:NodeShape ; sh:sparql [ sh:select "SELECT $this WHERE { }" ] .', "anything"),
    ]:
        sameness = ValueBlind(Graph().parse(data=base + more, format="turtle"))
        if seen == "anything":
            assert not sameness.blind("https://example.org/not-in-the-shapes")
        else:
            assert not sameness.blind(f"https://example.org/{seen}"), more


@pytest.fixture
def counted_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Verdicts kept (as in serve --watch's builder), and the checks that ran counted."""
    runs: list[int] = []
    real = dcatap.check_catalog

    def counted(triples: list[ox.Triple]) -> dcatap.CatalogReport:
        runs.append(len(triples))
        return real(triples)

    monkeypatch.setattr(dcatap, "check_catalog", counted)
    monkeypatch.setattr(dcatap, "_KEPT", dcatap._Kept())
    dcatap.keep_verdicts()
    yield runs


def test_a_kept_verdict_answers_a_catalogue_that_differs_only_in_blind_values(
    built_site: Path, counted_checks: list[int]
) -> None:
    built = _catalogue(built_site)
    dcatap.require_conformance(built, where="the catalogue")
    rebuilt = _changed(built, CHECKSUM, lambda o: _typed("cd" * 32, "hexBinary"))
    dcatap.require_conformance(rebuilt, where="the catalogue")
    assert len(counted_checks) == 1  # the second got the first's report
    broken = _changed(built, BYTE_SIZE, lambda o: _typed("-1", "nonNegativeInteger"))
    with pytest.raises(ValidationFailed) as failed:
        dcatap.require_conformance(broken, where="the catalogue")
    assert len(counted_checks) == 2 and "dcat:byteSize" in str(failed.value)
    with pytest.raises(ValidationFailed):  # a report naming a literal is not kept: checked again
        dcatap.require_conformance(broken, where="the catalogue")
    assert len(counted_checks) == 3


def test_verdicts_are_not_kept_unless_asked(built_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dcatap, "_KEPT", dcatap._Kept())
    built = _catalogue(built_site)
    dcatap.require_conformance(built, where="the catalogue")
    assert dcatap._KEPT.reports == {}
