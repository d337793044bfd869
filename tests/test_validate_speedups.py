"""Validation's speed-ups change nothing in the report (issue 11).

* Prepared queries (publish.shacl.PreparedQueries): the report of every SPARQL constraint, parsed
  once per run, is the report pySHACL gives parsing it per focus node — on the real data, on
  every bad-data and broken-copy case that reaches SHACL, and on the generated ~10k project.
* The ordered-children rule, rewritten to start from $this, reports repeats and gaps.
* The SHACL-for-SHACL cache (publish/shapecache.py) skips the check only for shapes that passed
  it, and never lets a corrupt, foreign or stale cache file pass bad shapes.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from bad_data_cases import CASES, edit
from conftest import BASE, BROKEN, ROOT, benchmark_module, break_copy, copy_project, make_tiny
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from publish import shacl, shapecache
from publish import validate as validate_module
from publish.config import load_config
from publish.dataset import LoadedDataset, load
from publish.errors import KlyngedataError, ValidationFailed
from publish.validate import Report, check_shapes, validate

KD = f"{BASE}ontology#"
BROKEN_SHAPE = (  # fails SHACL-for-SHACL: sh:minCount must be an integer
    "\nkdsh:BrokenShape a sh:NodeShape ; sh:targetClass kd:Strategy ;\n"
    '    sh:property [ sh:path skos:prefLabel ; sh:minCount "one" ] .\n'
)


_CHECKED: set[str] = set()  # shapes that passed SHACL-for-SHACL in this test session


def _check_once(shapes: Graph, dataset: LoadedDataset, *, engine: str) -> None:
    """Check shapes against SHACL-for-SHACL once per session (prepared queries play no part there)."""
    key = shapecache.fingerprint(dataset.quads("shapes"), engine=engine)
    if key not in _CHECKED:
        check_shapes(shapes, dataset, engine=engine)
        _CHECKED.add(key)


def reports(dataset: LoadedDataset, monkeypatch: pytest.MonkeyPatch) -> tuple[Report | str, Report | str]:
    """Validate twice: with prepared queries (as shipped) and with pySHACL parsing per focus node.

    A run that stops with a message (bad shapes, a shape pySHACL cannot use) gives that message.
    """
    monkeypatch.setattr(validate_module, "check_shapes", _check_once)
    answers: list[Report | str] = []
    run_shacl = shacl.run_shacl
    for prepared in (True, False):
        monkeypatch.setattr(shacl, "run_shacl", functools.partial(run_shacl, prepared=prepared))
        try:
            answers.append(validate(dataset, project_dir=None, engine="pyshacl"))
        except ValidationFailed as exc:
            answers.append(str(exc))
    return answers[0], answers[1]


def assert_same(fast: Report | str, plain: Report | str) -> None:
    """The same findings (focus, path, value, severity, message, …) and an isomorphic report graph."""
    if isinstance(fast, str) or isinstance(plain, str):
        assert fast == plain
        return
    assert fast.findings == plain.findings
    assert isomorphic(fast.report_graph, plain.report_graph)


def test_the_real_data_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = reports(load(load_config(ROOT)), monkeypatch)
    assert isinstance(fast, Report) and fast.count("Warning") == 4
    assert_same(fast, plain)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project the bad-data cases edit."""
    return make_tiny(tmp_path_factory.mktemp("tiny") / "project")


def _reaches_shacl(name: str, case: dict[str, Any], tiny: Path, target: Path) -> LoadedDataset | None:
    """Apply a bad-data case to a copy of the tiny project; its dataset if it loads."""
    if "setup" in case or case.get("command", "build") not in ("build", "validate") or case.get("args"):
        return None
    shutil.copytree(tiny, target, symlinks=True)
    edit(target, case)
    try:
        return load(load_config(target))
    except KlyngedataError:
        return None


def test_every_bad_data_case_that_reaches_shacl_gives_the_same_report(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached = []
    for name, case in sorted(CASES.items()):
        dataset = _reaches_shacl(name, case, tiny, tmp_path / name)
        if dataset is not None:
            reached.append(name)
            assert_same(*reports(dataset, monkeypatch))
    assert {"shapes-bad-sparql", "shapes-fail-shacl-for-shacl"} <= set(reached)
    assert len(reached) >= 12, reached


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_broken_copy_that_reaches_shacl_gives_the_same_report(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(tmp_path / "project")
    break_copy(project, name)
    try:
        dataset = load(load_config(project))
    except KlyngedataError:
        assert name in ("malformed-turtle", "missing-folder")  # these stop before SHACL
        return
    fast, plain = reports(dataset, monkeypatch)
    assert isinstance(fast, Report) and not fast.conforms
    assert_same(fast, plain)


def test_the_generated_10k_project_gives_the_same_report(tmp_path: Path) -> None:
    """Compared on the report graph pySHACL returns (the findings are read from it alone)."""
    project = tmp_path / "project"
    benchmark_module("scale").generate(project, 10_000, seed=11)
    dataset = load(load_config(project))
    data = shacl.to_rdflib(dataset.quads("ontology", "data"))
    shapes = shacl.to_rdflib(dataset.quads("shapes"))
    fast = shacl.run_shacl(data, shapes, check_shapes=False, prepared=True)
    plain = shacl.run_shacl(data, shapes, check_shapes=False, prepared=False)
    assert len(shacl.read_results(fast, nested=False)) == 4 * (3 + 1)  # 3 synthetic strategies
    assert isomorphic(fast, plain)


# ---------------------------------------------------------------- the ordered-children rule


def _positions(positions: list[object]) -> list[tuple[str, str]]:
    """Give the real data's first cluster initiative's objectives these positions; the rule's results."""
    dataset = load(load_config(ROOT))
    data = shacl.to_rdflib(dataset.quads("ontology", "data"))
    shapes = shacl.to_rdflib(dataset.quads("shapes"))
    initiative = URIRef(f"{BASE}id/cluster-initiative/animation-spil-og-film")
    objectives = sorted(data.objects(initiative, URIRef(f"{KD}objective")))
    assert len(objectives) == len(positions) == 2
    position = URIRef(f"{KD}position")
    for objective, value in zip(objectives, positions, strict=True):
        data.remove((objective, position, None))
        data.add((objective, position, Literal(value, datatype=XSD.positiveInteger)))
    report = shacl.run_shacl(data, shapes, check_shapes=False)
    return sorted(
        (str(r.value).rsplit("/", 1)[-1], next(str(m) for m in r.messages if "has position" in str(m)))
        for r in shacl.read_results(report, nested=False)
        if any("has position" in str(m) for m in r.messages)
    )


def test_the_ordered_children_rule_accepts_one_two() -> None:
    assert _positions([1, 2]) == []


def test_the_ordered_children_rule_reports_a_repeat() -> None:
    found = _positions([1, 1])
    assert [value for value, _ in found] == ["animation-spil-og-film-1", "animation-spil-og-film-2"]
    assert all(
        message.endswith("has position 1, but positions must run 1, 2, 3 … with no gap or repeat.")
        for _, message in found
    )


def test_the_ordered_children_rule_reports_a_gap() -> None:
    assert [value for value, _ in _positions([1, 3])] == ["animation-spil-og-film-2"]
    assert [value for value, _ in _positions([2, 3])] == ["animation-spil-og-film-1"]


# ---------------------------------------------------------------- the SHACL-for-SHACL cache


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the runs of the SHACL-for-SHACL check."""
    calls: list[int] = []

    def counting(shapes: Graph, dataset: LoadedDataset, *, engine: str) -> None:
        calls.append(1)
        check_shapes(shapes, dataset, engine=engine)

    monkeypatch.setattr(validate_module, "check_shapes", counting)
    return calls


def _validate(project: Path) -> Report:
    return validate(load(load_config(project)), project_dir=project)


def test_unchanged_shapes_are_checked_once(tmp_path: Path, counted: list[int]) -> None:
    project = copy_project(tmp_path / "project")
    first = _validate(project)
    assert counted == [1] and first.conforms
    cache = json.loads((project / ".klyngedata-cache" / "shacl-for-shacl.json").read_text(encoding="utf-8"))
    assert cache["format"] == shapecache.FORMAT and len(cache["passed"]) == 1
    second = _validate(project)
    assert counted == [1]
    assert second.findings == first.findings


def test_changed_shapes_are_checked_again_and_bad_ones_still_fail(tmp_path: Path, counted: list[int]) -> None:
    project = copy_project(tmp_path / "project")
    _validate(project)
    shapes = project / "shapes" / "klyngedata-shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + BROKEN_SHAPE, encoding="utf-8")
    with pytest.raises(ValidationFailed, match="SHACL-for-SHACL"):
        _validate(project)
    assert counted == [1, 1]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json {",
        "[]",
        '{"format": "something else", "passed": []}',
        '{"format": "klyngedata shacl-for-shacl 1", "passed": "all"}',
        '{"format": "klyngedata shacl-for-shacl 1", "passed": [true, "*", "' + "0" * 64 + '"]}',
    ],
)
def test_a_corrupt_or_foreign_cache_never_lets_bad_shapes_pass(
    content: str, tmp_path: Path, counted: list[int]
) -> None:
    project = copy_project(tmp_path / "project")
    (project / "shapes" / "klyngedata-shapes.ttl").write_text(
        (ROOT / "shapes" / "klyngedata-shapes.ttl").read_text(encoding="utf-8") + BROKEN_SHAPE,
        encoding="utf-8",
    )
    (project / ".klyngedata-cache").mkdir()
    (project / ".klyngedata-cache" / "shacl-for-shacl.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValidationFailed, match="SHACL-for-SHACL"):
        _validate(project)
    assert counted == [1]


@pytest.mark.parametrize("library", ["pyshacl-turbo", "pyshacl", "rdflib"])
def test_the_fingerprint_is_of_the_checked_graph_the_engine_and_the_versions(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = load(load_config(ROOT))
    key = shapecache.fingerprint(dataset.quads("shapes"), engine="turbo")
    assert key == shapecache.fingerprint(reversed(dataset.quads("shapes")), engine="turbo")  # any order
    assert key != shapecache.fingerprint(dataset.quads("shapes")[1:], engine="turbo")
    assert key != shapecache.fingerprint(dataset.quads("shapes"), engine="pyshacl")
    installed = shapecache.version
    monkeypatch.setattr(shapecache, "version", lambda name: "0.0.0" if name == library else installed(name))
    assert key != shapecache.fingerprint(dataset.quads("shapes"), engine="turbo")


def test_a_failed_run_records_nothing_and_a_read_only_project_just_has_no_cache(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    break_copy(project, "wrong-datatype")
    assert not _validate(project).conforms
    assert not (project / ".klyngedata-cache").exists()
    shapecache.remember(project / "missing-folder", "0" * 64)  # cannot write: no error
    assert not (project / "missing-folder").exists()
