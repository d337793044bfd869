"""`klyngedata validate`: the real data conforms with warnings; broken copies fail clearly."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import BASE, BROKEN, ROOT, break_copy, copy_project, prefixes_of
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH

from publish.cli import main

KDSH = Namespace(BASE + "shapes#")

# What the source page states and what it lists (data/sources/000_719fd82726b97dfc.txt
# line 23: "ti styrkepositioner"; data/sources/README.md fact 2: eleven strongholds listed).
STATED_STRONGHOLDS = 10
LISTED_STRONGHOLDS = 11

# The gaps the sources leave, each of which the data must flag as a warning (README.md):
EXPECTED_WARNING_FOCUSES = {
    # fact 2: the page states ten strongholds but lists eleven
    BASE + "id/strategy/erhvervsfremme-i-danmark-2020-2023",
    # the page gives no scope for the two areas the Minister designated (source lines 185, 193)
    BASE + "id/area/forsvar-rum-og-sikkerhed",
    BASE + "id/area/lydteknologi",
    # fact 4: MARLOG's designation ended in 2022 and no source names a successor
    BASE + "id/area/maritime-erhverv-og-logistik",
}


def shape_message(shape: str, lang: str, **values: int) -> str:
    """Return a shape's sh:message in one language, its {?var} filled with ``values``."""
    shapes = Graph().parse(ROOT / "shapes" / "klyngedata-shapes.ttl", publicID=BASE)
    (template,) = (
        m for m in shapes.objects(KDSH[shape], SH.message) if isinstance(m, Literal) and m.language == lang
    )
    return re.sub(r"\{\?(\w+)\}", lambda m: str(values[m.group(1)]), str(template))


def stated_count_warning(lang: str) -> str:
    """Return the shapes' stated-count warning, filled with the source page's numbers."""
    return shape_message(
        "StatedStrongholdCountShape", lang, value=STATED_STRONGHOLDS, listed=LISTED_STRONGHOLDS
    )


def run_validate(*args: str) -> Result:
    """Run `klyngedata validate` in-process (exceptions propagate: a traceback fails the test)."""
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def real_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the real project for the read-only runs of this module."""
    return copy_project(tmp_path_factory.mktemp("validate") / "project")


@pytest.fixture(scope="module")
def json_report(real_project: Path) -> dict[str, Any]:
    """The real data's report in --format json."""
    result = run_validate("--project", str(real_project), "--format", "json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


# ---------------------------------------------------------------- the real data


def test_real_data_conforms_with_the_stated_count_warning(real_project: Path) -> None:
    result = run_validate("--project", str(real_project))
    warning = stated_count_warning("en")
    assert result.exit_code == 0, result.output
    assert re.search(r"\b0 violations\b", result.stdout), result.stdout
    assert warning in result.stdout
    assert "Violations" not in result.stdout
    assert result.stdout.index("Warnings") < result.stdout.index(warning)
    assert "Traceback" not in result.output


def test_stated_count_discrepancy_is_a_warning_not_a_violation(json_report: dict[str, Any]) -> None:
    strategy = BASE + "id/strategy/erhvervsfremme-i-danmark-2020-2023"
    stated = [
        r
        for r in json_report["results"]
        if r["focus"] == strategy
        and str(STATED_STRONGHOLDS) in r["message"]
        and str(LISTED_STRONGHOLDS) in r["message"]
    ]
    assert [r["severity"] for r in stated] == ["Warning"], json_report["results"]


def test_json_report_counts_the_gaps_the_sources_leave(json_report: dict[str, Any]) -> None:
    results = json_report["results"]
    assert json_report["conforms"] is True
    assert json_report["violations"] == 0
    assert json_report["warnings"] == len(EXPECTED_WARNING_FOCUSES)
    assert {r["focus"] for r in results if r["severity"] == "Warning"} == EXPECTED_WARNING_FOCUSES
    assert len(results) == json_report["violations"] + json_report["warnings"]


def test_json_results_point_at_the_line_defining_the_focus(
    json_report: dict[str, Any], real_project: Path
) -> None:
    assert json_report["results"]
    for result in json_report["results"]:
        path = real_project / result["file"]
        prefixes = prefixes_of(path)
        (curie,) = {
            f"{name}:{result['focus'][len(ns) :]}"
            for name, ns in prefixes.items()
            if result["focus"].startswith(ns) and "/" not in result["focus"][len(ns) :]
        }
        line = path.read_text(encoding="utf-8").splitlines()[result["line"] - 1]
        assert line.split()[0] == curie, f"{result['file']}:{result['line']} is {line!r}, not {curie}"


def test_turtle_report_is_a_shacl_validation_report(real_project: Path) -> None:
    result = run_validate("--project", str(real_project), "--format", "turtle")
    report = Graph().parse(data=result.stdout, format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    focuses = {report.value(r, SH.focusNode) for r in report.objects(node, SH.result)}
    assert result.exit_code == 0, result.output
    assert report.value(node, SH.conforms) == Literal(True)
    assert focuses == {URIRef(iri) for iri in EXPECTED_WARNING_FOCUSES}
    assert set(report.objects(None, SH.resultSeverity)) == {SH.Warning}


def test_strict_fails_on_warnings(real_project: Path) -> None:
    result = run_validate("--project", str(real_project), "--strict")
    assert result.exit_code == 1, result.output
    assert stated_count_warning("en") in result.stdout


def test_lang_da_reports_in_danish(real_project: Path) -> None:
    result = run_validate("--project", str(real_project), "--lang", "da")
    danish, english = stated_count_warning("da"), stated_count_warning("en")
    assert result.exit_code == 0, result.output
    assert danish in result.stdout
    assert "Erhvervsfremme i Danmark 2020-2023" in result.stdout  # the strategy's @da label
    assert "Advarsler" in result.stdout
    for word in (english, "Business Promotion in Denmark", "Warnings", "violations"):
        assert word not in result.stdout


# ---------------------------------------------------------------- broken copies


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_copy_fails_naming_the_fault(name: str, project: Path, cli: Callable[..., Result]) -> None:
    expected = break_copy(project, name)
    result = cli("validate", "--project", str(project))
    assert result.exit_code == 1, result.output
    for pattern in expected:
        assert re.search(pattern, result.output), f"{pattern!r} not in:\n{result.output}"
    assert "Traceback" not in result.output


def test_malformed_turtle_is_reported_on_stderr_alone(project: Path, cli: Callable[..., Result]) -> None:
    expected = break_copy(project, "malformed-turtle")
    result = cli("validate", "--project", str(project))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert all(re.search(pattern, result.stderr) for pattern in expected), result.stderr
