"""pyshacl-turbo (the default engine) gives pySHACL's report (issue 11).

Both engines run through publish.shacl with the same settings, and must agree on:

* our report: every Finding (severity, focus, label, path, value, message, hint, shape, file,
  line) and the catalogue check's CatalogFinding records;
* the raw results: focus node, result path, value, severity, source shape, source constraint
  component and messages of every sh:ValidationResult, and the whole report graph up to
  blank-node labels (rdflib.compare.isomorphic);

on the real project, every bad-data case of tests/projects/bad-data.toml (on tests/projects/tiny)
and every broken copy that reaches SHACL, a repeated and a missing objective position, the
generated 10k project, and the built catalogue with broken copies of it. Where the shapes are
refused (not SHACL, or SPARQL that does not parse), both engines refuse them at the same place.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from bad_data_cases import CASES, edit
from conftest import BASE, BROKEN, ROOT, benchmark_module, break_copy, copy_project, make_tiny
from rdflib import BNode, Graph
from rdflib.compare import isomorphic

from publish import dcatap, shacl, shapecache
from publish import validate as validate_module
from publish.config import SHACL_ENGINES, load_config
from publish.dataset import LoadedDataset, load
from publish.errors import ConfigError, KlyngedataError, ValidationFailed
from publish.validate import Report, check_shapes, validate

ENGINES = tuple(SHACL_ENGINES)  # ("turbo", "pyshacl")
REFUSED = "a shape cannot be used: "  # validate.py's words for shapes an engine cannot use


def raw(results: Graph) -> list[tuple[str, ...]]:
    """Return every sh:ValidationResult as comparable text: its parts, a blank node as '[]'."""

    def text(node: object) -> str:
        return "[]" if isinstance(node, BNode) else repr(node)

    rows = []
    for r in shacl.read_results(results, nested=True):
        path = r.path
        if isinstance(path, BNode):  # an inverse or sequence path: what it is made of
            path = tuple(sorted(repr(o) for _, o in results.predicate_objects(path)))  # type: ignore[assignment]
        rows.append(
            (
                r.severity,
                text(r.focus),
                repr(path),
                text(r.value),
                text(r.shape),
                r.component,
                repr(sorted(r.messages, key=repr)),
            )
        )
    return sorted(rows)


def assert_same_graphs(turbo: Graph, reference: Graph) -> None:
    """The same results, part by part, and isomorphic report graphs."""
    assert raw(turbo) == raw(reference)
    assert isomorphic(turbo, reference)


_SHAPE_CHECKS: dict[tuple[str, str], str] = {}  # (fingerprint, engine) -> "" if passed, else the error


@pytest.fixture(autouse=True)
def check_shapes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check each set of shapes against SHACL-for-SHACL once per engine and session (the same answer)."""

    def once(shapes: Graph, dataset: LoadedDataset, *, engine: str) -> None:
        key = (shapecache.fingerprint(dataset.quads("shapes"), engine=engine), engine)
        if key not in _SHAPE_CHECKS:
            try:
                check_shapes(shapes, dataset, engine=engine)
                _SHAPE_CHECKS[key] = ""
            except ValidationFailed as exc:
                _SHAPE_CHECKS[key] = str(exc)
        if _SHAPE_CHECKS[key]:
            raise ValidationFailed(_SHAPE_CHECKS[key])

    monkeypatch.setattr(validate_module, "check_shapes", once)


def reports(dataset: LoadedDataset) -> dict[str, Report | str]:
    """Validate with each engine, SHACL-for-SHACL included; a refusal gives its message."""
    answers: dict[str, Report | str] = {}
    for engine in ENGINES:
        try:
            answers[engine] = validate(dataset, project_dir=None, engine=engine)
        except ValidationFailed as exc:
            answers[engine] = str(exc)
    return answers


def assert_same(answers: dict[str, Report | str]) -> None:
    """The same Findings and the same raw results; or the same refusal, at the same place."""
    turbo, reference = answers["turbo"], answers["pyshacl"]
    if isinstance(turbo, str) or isinstance(reference, str):
        assert isinstance(turbo, str) and isinstance(reference, str), (turbo, reference)
        if REFUSED in reference:  # each engine words its own parser's error: compare up to it
            assert REFUSED in turbo, turbo
            assert turbo.split(REFUSED)[0] == reference.split(REFUSED)[0]
            assert turbo.endswith("; fix the shape and run again")
        else:
            assert turbo == reference
        return
    assert turbo.findings == reference.findings
    assert_same_graphs(turbo.report_graph, reference.report_graph)


def test_an_unknown_engine_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "[tool.klyngedata]\n", '[tool.klyngedata]\nshacl_engine = "rudof"\n'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="'shacl_engine': must be one of turbo, pyshacl, got 'rudof'"):
        load_config(project)


def test_turbo_is_the_default_and_pyshacl_can_be_chosen(tmp_path: Path) -> None:
    assert load_config(ROOT).shacl_engine == "turbo"
    project = copy_project(tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "[tool.klyngedata]\n", '[tool.klyngedata]\nshacl_engine = "pyshacl"\n'
        ),
        encoding="utf-8",
    )
    assert load_config(project).shacl_engine == "pyshacl"


# ---------------------------------------------------------------- the data check


def test_the_real_data_gives_the_same_report() -> None:
    answers = reports(load(load_config(ROOT)))
    turbo = answers["turbo"]
    assert isinstance(turbo, Report) and turbo.conforms and turbo.count("Warning") == 4
    assert_same(answers)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project the bad-data cases edit."""
    return make_tiny(tmp_path_factory.mktemp("tiny") / "project")


def _reaches_shacl(case: dict[str, Any], tiny: Path, target: Path) -> LoadedDataset | None:
    """Apply a bad-data case to a copy of the tiny project; its dataset if it loads."""
    if "setup" in case or case.get("command", "build") not in ("build", "validate") or case.get("args"):
        return None
    shutil.copytree(tiny, target, symlinks=True)
    edit(target, case)
    try:
        return load(load_config(target))
    except KlyngedataError:
        return None


def test_every_bad_data_case_that_reaches_shacl_gives_the_same_report(tiny: Path, tmp_path: Path) -> None:
    reached = []
    for name, case in sorted(CASES.items()):
        dataset = _reaches_shacl(case, tiny, tmp_path / name)
        if dataset is not None:
            reached.append(name)
            answers = reports(dataset)
            try:
                assert_same(answers)
            except AssertionError as exc:
                raise AssertionError(f"bad-data case {name}: {exc}") from None
    assert {"shapes-bad-sparql", "shapes-fail-shacl-for-shacl"} <= set(reached)
    assert len(reached) >= 12, reached


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_broken_copy_that_reaches_shacl_gives_the_same_report(name: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    break_copy(project, name)
    try:
        dataset = load(load_config(project))
    except KlyngedataError:
        assert name in ("malformed-turtle", "missing-folder")  # these stop before SHACL
        return
    answers = reports(dataset)
    assert isinstance(answers["turbo"], Report) and not answers["turbo"].conforms
    assert_same(answers)


@pytest.mark.parametrize(("first", "second"), [(1, 1), (1, 3), (2, 3)])
def test_a_repeated_or_missing_objective_position_gives_the_same_report(
    first: int, second: int, tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    areas = project / "data" / "areas.ttl"
    text = areas.read_text(encoding="utf-8")
    for objective, position in (("1", first), ("2", second)):
        start = text.index(f"objective:animation-spil-og-film-{objective}\n")
        old = f'kd:position "{objective}"^^xsd:positiveInteger'
        end = text.index(old, start)
        text = text[:end] + f'kd:position "{position}"^^xsd:positiveInteger' + text[end + len(old) :]
    areas.write_text(text, encoding="utf-8")
    answers = reports(load(load_config(project)))
    turbo = answers["turbo"]
    assert isinstance(turbo, Report) and not turbo.conforms
    assert any("has position" in finding.message for finding in turbo.findings)
    assert_same(answers)


def test_the_generated_10k_project_gives_the_same_report(tmp_path: Path) -> None:
    project = tmp_path / "project"
    benchmark_module("scale").generate(project, 10_000, seed=11)
    dataset = load(load_config(project))
    answers = reports(dataset)
    turbo = answers["turbo"]
    assert isinstance(turbo, Report) and turbo.conforms
    assert turbo.count("Warning") == 4 * (3 + 1)  # the real data's four, per synthetic strategy too
    assert_same(answers)


# ---------------------------------------------------------------- SHACL-for-SHACL

BROKEN_SHAPES = {  # each fails SHACL-for-SHACL
    "count not an integer": 'sh:property [ sh:path skos:prefLabel ; sh:minCount "one" ]',
    "two paths": "sh:property [ sh:path skos:prefLabel, skos:altLabel ; sh:minCount 1 ]",
    "datatype a literal": 'sh:property [ sh:path skos:prefLabel ; sh:datatype "string" ]',
    "severity a literal": 'sh:severity "high" ; sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ]',
}


@pytest.mark.parametrize("name", [None, *sorted(BROKEN_SHAPES)])
def test_shacl_for_shacl_gives_the_same_verdict_and_results(name: str | None, tmp_path: Path) -> None:
    """pyshacl-turbo decides whether shapes pass (shacl.check_shapes): as pySHACL does, on the same results.

    Only the words differ (SHACL-for-SHACL has no sh:message), and people read pySHACL's.
    """
    project = copy_project(tmp_path / "project")
    if name is not None:
        path = project / "shapes" / "klyngedata-shapes.ttl"
        broken = f"\nkdsh:Broken a sh:NodeShape ; sh:targetClass kd:Strategy ;\n    {BROKEN_SHAPES[name]} .\n"
        path.write_text(path.read_text(encoding="utf-8") + broken, encoding="utf-8")
    shapes = shacl.to_rdflib(load(load_config(project)).quads("shapes"))
    verdicts = {engine: shacl.meta_conforms(shapes, engine=engine) for engine in ENGINES}
    assert verdicts == {"turbo": name is None, "pyshacl": name is None}
    from pyshacl.entrypoints import meta_validate
    from pyshacl_turbo import meta_validate as turbo_meta_validate

    reports = [
        validate_shapes(shapes, inference="none", allow_warnings=True)[1]
        for validate_shapes in (turbo_meta_validate, meta_validate)
    ]
    assert [row[:-1] for row in raw(reports[0])] == [row[:-1] for row in raw(reports[1])]
    assert (raw(reports[1]) == []) == (name is None)
    shown = shacl.check_shapes(shapes, engine="turbo")  # what validate.py words the error from
    assert (shown is None) == (name is None)
    if shown is not None:
        assert isomorphic(shown, reports[1])  # pySHACL's report


# ---------------------------------------------------------------- the catalogue check


@pytest.fixture(scope="module")
def catalogue() -> list[ox.Triple]:
    """The real project's catalogue graph, as the build makes it (catalog.catalog_triples)."""
    from publish import catalog, formats

    config = load_config(ROOT)
    dataset = load(config)
    uris = dataset.uris
    files = {
        uris.site_file("dataset", f): catalog.FileFacts.of(f.suffix.encode()) for f in formats.downloads()
    }
    return catalog.catalog_triples(dataset, config, files)


def test_the_catalogue_check_stays_on_pyshacl_turbo_refuses_the_official_shapes(
    catalogue: list[ox.Triple],
) -> None:
    """dcatap.py's first reason: pyshacl-turbo 0.6.5 cannot use the official shapes.ttl (sh:shape)."""
    shapes = dcatap.shapes_graph(dcatap.FULL_SET)
    assert dcatap.check_catalog(catalogue).conforms  # pySHACL uses them
    with pytest.raises(shacl.EngineRefused, match="Unsupported feature: sh:shape"):
        shacl.run(catalogue, shapes, engine="turbo")


def test_the_catalogue_check_stays_on_pyshacl_turbo_words_unworded_results_its_own_way(
    catalogue: list[ox.Triple],
) -> None:
    """dcatap.py's second reason: the same results, but other words where a shape gives none."""
    from publish.euvocab import eu_concepts

    data, shapes = [*catalogue, *eu_concepts()], dcatap.vocabulary_shapes()
    turbo, reference = (shacl.run(data, shapes, engine=engine) for engine in ("turbo", "pyshacl"))
    unworded = [row[:-1] for row in raw(turbo)]
    assert unworded == [row[:-1] for row in raw(reference)]  # all but the messages agree
    assert raw(turbo) != raw(reference)
    has_value = [row[-1] for row in raw(reference) if row[5] == "HasValue"]
    assert has_value and all("does not contain a value in the set" in m for m in has_value)


def test_the_results_name_the_same_nodes_in_both_engines() -> None:
    """A result about a blank node names the data's own node in both engines (labels kept)."""
    triples = [
        ox.Triple(ox.NamedNode(f"{BASE}x"), ox.NamedNode("http://example.org/p"), ox.BlankNode("b1")),
        ox.Triple(ox.BlankNode("b1"), ox.NamedNode("http://example.org/q"), ox.Literal("1")),
    ]
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://example.org/S> a sh:NodeShape ; sh:targetSubjectsOf <http://example.org/q> ;
            sh:property [ sh:path <http://example.org/q> ; sh:minCount 2 ; sh:message "two"@en ] .""",
        format="turtle",
    )
    for engine in ENGINES:
        results = shacl.read_results(shacl.run(triples, shapes, engine=engine), nested=False)
        assert [(r.focus, r.component, r.messages) for r in results] == [
            (BNode("b1"), "MinCount", (shacl.rdflib_term(ox.Literal("two", language="en")),))
        ], engine


# ---------------------------------------------------------------- how the data reaches pyshacl-turbo


def test_the_ascii_ntriples_are_the_same_triples() -> None:
    """Every character beyond ASCII (in an IRI, a label, beyond the BMP) comes back as it was."""
    triples = [
        ox.Triple(ox.NamedNode(f"{BASE}id/area/æblegrød"), ox.NamedNode(f"{BASE}ontology#p"), obj)
        for obj in (
            ox.Literal('Søren – «tekst» 😀\n"quoted" \\ back', language="da"),
            ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#positiveInteger")),
            ox.BlankNode("c14n0"),
        )
    ]
    text = shacl.ascii_ntriples(triples)
    assert text.isascii() and "\\u00E6" in text and "\\U0001F600" in text
    assert [q.triple for q in ox.parse(text.encode("ascii"), format=ox.RdfFormat.N_TRIPLES)] == triples


def test_a_pyoxigraph_store_would_change_the_data() -> None:
    """Why shacl.run_turbo does not hand pyshacl-turbo a pyoxigraph Store, though it takes one."""
    positive = ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#positiveInteger"))
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(f"{BASE}x"), ox.NamedNode(f"{BASE}ontology#position"), positive))
    (stored,) = list(store)
    assert stored.object != positive  # kept as xsd:integer: sh:datatype xsd:positiveInteger would fail
