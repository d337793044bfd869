"""`klyngedata query`: named, inline and file queries over the built dump, every output form."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from publish.errors import UsageError
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


# ---------------------------------------------------------------- parameters as people type them

ENERGY = f"{BASE}id/area/energiteknologi"


def csv_rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def labels_in(site: Path, iri: str) -> dict[str, str]:
    """Return the skos:prefLabel of ``iri`` by language, read from the published dump by rdflib."""
    graph = Graph().parse(site / "dataset.nt", format="nt")
    return {str(label.language): str(label) for label in graph.objects(URIRef(iri), SKOS.prefLabel)}


@pytest.mark.parametrize(
    "value",
    [
        "energiteknologi",  # a slug, as `snippet` takes it (was <base>energiteknologi: 0 rows)
        "area/energiteknologi",  # kind/slug
        "Energiteknologi",  # the Danish label
        "energy technology",  # the English label, in another case
        "  ENERGITEKNOLOGI ",  # what is typed, with spaces around
        ENERGY,  # the IRI
        f"<{ENERGY}>",  # the IRI as SPARQL writes it
    ],
)
def test_an_area_given_as_slug_label_or_iri_gives_the_same_rows(
    built_site: Path, cli: Run, value: str
) -> None:
    args = ("query", "--named", "cluster-for-area", "--format", "csv", "--project", str(built_site.parent))
    rows = csv_rows(cli(*args, "--param", f"area={value}"))
    # The area's cluster organisation (sources README §4): one row, the area itself.
    assert [(row["area"], row["clusterLabel"]) for row in rows] == [(ENERGY, "Energy Cluster Denmark")]


def test_a_label_is_matched_without_its_diacritics(built_site: Path, cli: Run) -> None:
    args = ("query", "--named", "objectives-of-area", "--format", "csv", "--project", str(built_site.parent))
    food = f"{BASE}id/area/foedevarer-og-bioressourcer"
    typed = csv_rows(cli(*args, "--param", "area=fodevarer og bioressourcer"))
    assert typed and {row["area"] for row in typed} == {food}
    assert typed == csv_rows(cli(*args, "--param", f"area={food}"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "area=garbage",
            "takes a slug (energiteknologi), a label (Energiteknologi, Energy technology) or a full IRI",
        ),
        (f"area={BASE}id/area/nowhere", "no resource"),  # ours, but not in the dataset
        ("area=", "takes a slug"),
    ],
)
def test_an_area_that_names_nothing_is_refused_saying_what_is_expected(
    built_site: Path, cli: Run, value: str, expected: str
) -> None:
    result = cli(
        "query", "--named", "cluster-for-area", "--param", value, "--project", str(built_site.parent)
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("klyngedata: --param: parameter 'area' of query 'cluster-for-area'")
    assert expected in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_month_is_not_a_date(built_site: Path, cli: Run) -> None:
    """YYYY-MM is refused: the parameter is an xsd:date, and "2021-06"^^xsd:date is not one."""
    args = ("query", "--named", "designations-active-on", "--project", str(built_site.parent))
    result = cli(*args, "--param", "date=2021-06")
    assert result.exit_code == 2 and "takes a date as YYYY-MM-DD" in result.stderr
    assert cli(*args, "--param", "date=2021-06-01").exit_code == 0


def test_an_ambiguous_label_is_refused_listing_the_candidates() -> None:
    from publish.config import load_config
    from publish.lookup import resolve
    from publish.search import fold, names
    from publish.view import Graph as View

    config = load_config(Path(__file__).parent.parent)
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    triples = [
        ox.Triple(
            ox.NamedNode(f"{config.base_iri}id/area/{slug}"), label, ox.Literal("Søfart", language="da")
        )
        for slug in ("sofart", "shipping")
    ]
    graph = View(triples, config.uris, config.messages)
    with pytest.raises(UsageError, match=r"several resources; say which: area/shipping, area/sofart"):
        resolve(graph, "sofart ", fold=fold, names=names)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_answer_is_in_the_language_asked_for(built_site: Path, cli: Run, lang: str) -> None:
    args = ("query", "--named", "cluster-for-area", "--format", "csv", "--project", str(built_site.parent))
    rows = csv_rows(cli(*args, "--param", "area=energiteknologi", "--lang", lang))
    assert [row["areaLabel"] for row in rows] == [labels_in(built_site, ENERGY)[lang]]


def test_the_primary_language_is_the_default_answer(built_site: Path, cli: Run) -> None:
    args = ("query", "--named", "areas-by-authority", "--format", "csv", "--project", str(built_site.parent))
    assert cli(*args).stdout == cli(*args, "--lang", "da").stdout != cli(*args, "--lang", "en").stdout


@pytest.mark.parametrize("lang", ["da", "en"])
def test_list_gives_titles_and_answers_in_the_language(built_site: Path, cli: Run, lang: str) -> None:
    from publish.i18n import load_messages

    result = cli("query", "--list", "--lang", lang, "--project", str(built_site.parent))
    assert result.exit_code == 0
    titles = [
        line.removeprefix("# title: ") for line in result.stdout.splitlines() if line.startswith("# title: ")
    ]
    assert titles == [load_messages()[lang]["queries"][name]["title"] for name in sorted(named_queries())]
    # Each listed query answers in that language when run as printed in a plain store.
    store = ox.Store()
    store.load(
        path=str(built_site / "dataset.nt"),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(f"{BASE}graph/data"),
    )
    block = next(b for b in result.stdout.split("# query: ")[1:] if b.startswith("cluster-for-area\n"))
    labels = {row["areaLabel"].language for row in store.query(block.split("\n", 1)[1])}  # type: ignore[union-attr]
    assert labels == {lang}
