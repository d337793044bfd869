"""`klyngedata query`: named, inline and file queries over the built dump, every output form."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from click.testing import Result
from conftest import BASE
from rdflib import Graph

from publish.sparql import named_queries

Run = Callable[..., Result]


def test_list_names_every_named_query(built_site: Path, cli: Run) -> None:
    result = cli("query", "--list", "--project", str(built_site.parent))
    assert result.exit_code == 0
    listed = [
        line.removeprefix("# query: ") for line in result.stdout.splitlines() if line.startswith("# query: ")
    ]
    assert listed == sorted(named_queries())
    # Each is printed in full with absolute IRIs: pyoxigraph, given no base IRI, parses every one.
    blocks = result.stdout.split("# query: ")[1:]
    for block in blocks:
        ox.Store().query(block.split("\n", 1)[1])


def test_named_query_with_a_parameter_as_csv(built_site: Path, cli: Run) -> None:
    result = cli(
        "query",
        "--named",
        "designations-active-on",
        "--param",
        "date=2020-11-01",
        "--format",
        "csv",
        "--project",
        str(built_site.parent),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Only MARLOG was designated before December 2020 (sources README §4 and §6).
    assert [row["clusterLabel"] for row in rows] == ["Maritime & Logistics Innovation Denmark"]


def test_inline_ask_as_json_and_table(built_site: Path, cli: Run) -> None:
    ask = f"ASK {{ <{BASE}id/area/turisme> <{BASE}ontology#alternativeArrangement> ?x }}"
    as_json = cli("query", ask, "--format", "json", "--project", str(built_site.parent))
    assert json.loads(as_json.stdout) == {"head": {}, "boolean": True}
    assert cli("query", ask, "--project", str(built_site.parent)).stdout == "yes\n"


def test_query_from_a_file_constructs_turtle(built_site: Path, cli: Run, tmp_path: Path) -> None:
    query = tmp_path / "q.rq"
    query.write_text(f"CONSTRUCT WHERE {{ <{BASE}id/area/turisme> ?p ?o }}", encoding="utf-8")
    result = cli("query", "--file", str(query), "--format", "turtle", "--project", str(built_site.parent))
    assert result.exit_code == 0
    graph = Graph().parse(data=result.stdout, format="turtle")
    published = Graph().parse(built_site / "dataset.nt", format="nt")
    assert {(s, p) for s, p, _ in graph} == {
        (s, p) for s, p, _ in published if str(s) == f"{BASE}id/area/turisme"
    }


def test_syntax_error_shows_the_line_and_a_caret(built_site: Path, cli: Run) -> None:
    result = cli("query", "SELECT * WHERE {\n ?s ?p\n}", "--project", str(built_site.parent))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # rdflib's grammar (the guard's parser) gives up at the incomplete triple pattern
    assert "SPARQL syntax error at line 2, column 2" in lines[0]
    assert lines[1] == "   ?s ?p" and lines[2] == "   ^"


def test_service_and_updates_are_refused(built_site: Path, cli: Run) -> None:
    service = cli(
        "query",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "--project",
        str(built_site.parent),
    )
    update = cli("query", "DELETE WHERE { ?s ?p ?o }", "--project", str(built_site.parent))
    assert service.exit_code == update.exit_code == 1
    assert "never makes outbound requests" in service.stderr and "read-only" in update.stderr


def test_usage_errors_exit_2(built_site: Path, cli: Run) -> None:
    project = str(built_site.parent)
    assert cli("query", "--project", project).exit_code == 2
    assert cli("query", "ASK {}", "--named", "focal-points", "--project", project).exit_code == 2
    missing = cli("query", "--named", "designations-active-on", "--project", project)
    assert missing.exit_code == 2
    assert "--param: query 'designations-active-on' needs the parameter date=" in missing.stderr
    assert cli("query", "--named", "nope", "--project", project).exit_code == 2


def test_without_a_build_it_says_to_build(project: Path, cli: Run) -> None:
    result = cli("query", "ASK {}", "--project", str(project))
    assert result.exit_code == 1 and "run `klyngedata build` first" in result.stderr


def test_an_answer_format_the_registry_lacks_is_a_usage_error(built_site: Path, cli: Run) -> None:
    result = cli("query", "ASK {}", "--format", "yaml", "--project", str(built_site.parent))
    assert result.exit_code == 2
    assert "--format" in result.stderr and "'yaml'" in result.stderr and "turtle" in result.stderr
