"""The scale generator of the benchmarks (tests/benchmarks/scale.py) at its smallest scale, ~10k triples.

The benchmark numbers mean something only if the generated project is a valid one shaped like
ours: it must pass the shapes with the same kinds of warnings as the real data (in the same
proportion), be the same on every run, and hold about the asked number of triples.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT, benchmark_module

TARGET = 10_000


scale = benchmark_module("scale")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A project of ~10k triples generated once for this module."""
    out = tmp_path_factory.mktemp("scale") / "project"
    return out, scale.generate(out, TARGET, seed=11)


def _kinds(cli: Callable[..., Any], project: Path) -> tuple[dict[str, Any], Counter[tuple[str, ...]]]:
    """Validate a project; return the JSON report and its findings counted by kind."""
    result = cli("validate", "--project", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kinds = Counter((r["severity"], r["shape"] or "", r["path"] or "") for r in report["results"])
    return report, kinds


def test_generated_project_passes_with_the_real_warning_kinds_in_proportion(
    cli: Callable[..., Any], generated: tuple[Path, Any]
) -> None:
    """0 violations; each real warning kind appears once per synthetic strategy more."""
    project, summary = generated
    real, real_kinds = _kinds(cli, ROOT)
    report, kinds = _kinds(cli, project)
    assert (real["violations"], real["warnings"]) == (0, 4)
    assert report["violations"] == 0
    assert set(kinds) == set(real_kinds)
    assert summary.strategies == 3
    assert kinds == Counter({kind: n * (summary.strategies + 1) for kind, n in real_kinds.items()})


def test_generated_project_holds_about_the_asked_triples(generated: tuple[Path, Any]) -> None:
    """Ontology + data hold 10k triples ±10%, and the summary counts them right."""
    project, summary = generated
    files = [*(project / "ontology").glob("*.ttl"), *(project / "data").glob("*.ttl")]
    counted = sum(len(list(ox.parse(path=f, format=ox.RdfFormat.TURTLE, base_iri=BASE))) for f in files)
    assert counted == summary.triples
    assert abs(counted - TARGET) <= TARGET // 10
    assert summary.members > 100


def test_generator_is_deterministic(tmp_path: Path, generated: tuple[Path, Any]) -> None:
    """A second run with the same seed writes byte-identical data files."""
    first, _ = generated
    second = tmp_path / "again"
    scale.generate(second, TARGET, seed=11)
    names = sorted(p.name for p in (first / "data").glob("*.ttl"))
    assert names == sorted(p.name for p in (second / "data").glob("*.ttl"))
    assert len(names) == 4 + 6
    for name in names:
        assert (first / "data" / name).read_bytes() == (second / "data" / name).read_bytes(), name


def test_other_seed_changes_members_not_the_shape(tmp_path: Path, generated: tuple[Path, Any]) -> None:
    """The seed drives names and objective counts; the structure and warnings stay."""
    first, summary = generated
    other = scale.generate(tmp_path / "other", TARGET, seed=12)
    assert other.strategies == summary.strategies
    name = "scale-s0001-members.ttl"
    assert (first / "data" / name).read_bytes() != (tmp_path / "other" / "data" / name).read_bytes()


def test_parse_size_reads_suffixes() -> None:
    """10k, 1m and plain numbers are triple counts; anything else is refused."""
    assert [scale.parse_size(t) for t in ("10k", "100K", "1m", "2500")] == [10_000, 100_000, 1_000_000, 2_500]
    with pytest.raises(ValueError, match="not a triple count"):
        scale.parse_size("ten")
