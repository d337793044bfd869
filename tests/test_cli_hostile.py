"""`klyngedata query` with hostile or broken input: a plain message and exit 1 or 2, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]


def _no_traceback(result: Result) -> None:
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { # c\r SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { # c\r SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } \n }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_hidden_behind_a_cr_or_an_escape_is_refused(query: str, built_site: Path, cli: Run) -> None:
    result = cli("query", query, "--project", str(built_site.parent))
    assert result.exit_code == 1 and "never makes outbound requests" in result.stderr
    _no_traceback(result)


def test_from_a_file_url_is_refused(built_site: Path, cli: Run) -> None:
    result = cli(
        "query",
        "SELECT * # c\rFROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "--project",
        str(built_site.parent),
    )
    assert result.exit_code == 1 and "<file:///etc/passwd> is not a graph of this dataset" in result.stderr


def test_deep_nesting_is_refused_before_any_parser(built_site: Path, cli: Run) -> None:
    # 10,000 levels once ended the command with a segfault (exit 139)
    result = cli(
        "query", "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000, "--project", str(built_site.parent)
    )
    assert result.exit_code == 1
    assert "nests brackets 10000 deep" in result.stderr and "max_query_depth" in result.stderr


def test_a_query_file_that_is_not_utf8_is_a_usage_error(built_site: Path, cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "q.rq"
    bad.write_bytes(b"ASK { \xff }")
    result = cli("query", "--file", str(bad), "--project", str(built_site.parent))
    assert result.exit_code == 2 and f"{bad}: the query is not UTF-8 text (byte 6)" in result.stderr
    _no_traceback(result)


def test_undecodable_argv_is_a_usage_error(built_site: Path, cli: Run) -> None:
    result = cli("query", 'SELECT ("\udcff" AS ?x) {}', "--project", str(built_site.parent))
    assert result.exit_code == 2 and "not valid UTF-8" in result.stderr


@pytest.mark.parametrize("value", ["<https://w3id.org/klyngedata/id/area/a b>", "a b", "<>\x00"])
def test_a_bad_iri_parameter_names_the_parameter(value: str, built_site: Path, cli: Run) -> None:
    result = cli(
        "query",
        "--named",
        "objectives-of-area",
        "--param",
        f"area={value}",
        "--project",
        str(built_site.parent),
    )
    assert result.exit_code == 2 and "parameter 'area'" in result.stderr
    _no_traceback(result)
