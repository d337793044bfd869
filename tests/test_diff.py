"""`klyngedata diff`: what changed between releases, in sentences and as RDF (issue 12, item 3).

The releases are the history the sources describe: MARLOG designated (2 October 2020, no end),
then its designation ended (bankruptcy reported 20 April 2022; the data says 2022). The expected
answers are that one statement and nothing else, in words and in RDF.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from history_support import MARLOG_DESIGNATION, edit, marlog_history, remove_block

BASE = "https://w3id.org/klyngedata/"
KD = BASE + "ontology#"
AS = "https://www.w3.org/ns/activitystreams#"
DELTA = "http://www.w3.org/2004/delta#"
END = ox.Quad(
    ox.NamedNode(MARLOG_DESIGNATION),
    ox.NamedNode(KD + "endDate"),
    ox.Literal("2022", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
)


@pytest.fixture
def history(project: Path) -> Path:
    """The real project with two releases: 2020.12 and 2022.04."""
    marlog_history(project)
    return project


def run(cli: Callable[..., Any], project: Path, *args: str) -> Any:
    return cli("diff", "--project", str(project), *args)


def test_the_end_of_marlogs_designation_in_english(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2020.12", "2022.04")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Changes from 2020.12 to 2022.04:",
        "- Maritime & Logistics Innovation Denmark: designation for Maritime industries and logistics "
        "ended 2022",
        f"{BASE}graph/data: 1 statements added, 0 removed",
    ]


def test_the_end_of_marlogs_designation_in_danish(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2020.12", "2022.04", "--lang", "da")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "Ændringer fra 2020.12 til 2022.04:",
        "- Maritime & Logistics Innovation Denmark: udpegningen for Maritime erhverv og logistik "
        "ophørte 2022",
    ]


def test_trig_holds_exactly_the_added_statement_in_its_graph(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2020.12", "2022.04", "--format", "trig")
    assert result.exit_code == 0, result.stderr
    quads = list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.TRIG))
    changeset = f"{BASE}changes/2020.12/2022.04"
    added = ox.NamedNode(f"{changeset}/added/data")
    assert [q for q in quads if q.graph_name == added] == [
        ox.Quad(END.subject, END.predicate, END.object, added)
    ]
    named = {q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
    assert named == {added}  # nothing removed, no other graph changed
    default = {q.triple for q in quads if isinstance(q.graph_name, ox.DefaultGraph)}
    assert ox.Triple(ox.NamedNode(BASE + "graph/data"), ox.NamedNode(DELTA + "insertion"), added) in default


def test_turtle_summary_names_one_update(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2020.12", "2022.04", "--format", "turtle")
    assert result.exit_code == 0, result.stderr
    store = ox.Store()
    store.load(result.stdout_bytes, format=ox.RdfFormat.TURTLE)
    rows = list(store.query(f"SELECT ?type ?thing WHERE {{ ?a <{AS}object> ?thing ; a ?type }}"))
    assert [(r["type"].value, r["thing"].value) for r in rows] == [(AS + "Update", MARLOG_DESIGNATION)]


def test_json_for_programs(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2020.12", "2022.04", "--format", "json")
    body = json.loads(result.stdout)
    assert [(r["iri"], r["change"]) for r in body["resources"]] == [(MARLOG_DESIGNATION, "updated")]
    assert body["graphs"][BASE + "graph/data"] == {"added": [str(END.triple) + " ."], "removed": []}


def test_the_other_way_round_the_end_is_gone(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2022.04", "2020.12")
    assert result.stdout.splitlines()[1] == (
        "- Maritime & Logistics Innovation Denmark: the designation for Maritime industries and logistics "
        "no longer has an end"
    )


def test_working_data_against_the_last_release(cli: Callable[..., Any], history: Path) -> None:
    result = run(cli, history, "2022.04", "working")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "No changes from 2022.04 to the working data.\n"
    edit(history, "data/clusters.ttl", '"Odense Robotics"@en', '"Odense Robotics Cluster"@en')
    remove_block(history, "data/clusters.ttl", "cluster:copenhagen-fintech")  # not its designation
    result = run(cli, history, "2022.04", "working")
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        "- Copenhagen FinTech: removed",
        "- Odense Robotics Cluster: preferred label changed from “Odense Robotics” (en) to "
        "“Odense Robotics Cluster” (en)",
    ]


@pytest.mark.parametrize(("old", "new", "named"), [("2019.01", "2022.04", "OLD"), ("2020.12", "1.0", "NEW")])
def test_an_unknown_version_is_a_usage_error_naming_it(
    cli: Callable[..., Any], history: Path, old: str, new: str, named: str
) -> None:
    result = run(cli, history, old, new)
    assert result.exit_code == 2
    unknown = old if named == "OLD" else new
    assert f"{named}: no release '{unknown}'; give one of: 2020.12, 2022.04, working" in result.stderr
    assert "Traceback" not in result.stderr


REAL = {
    ("2020.03", "2020.10"): [
        "- Maritime & Logistics Innovation Denmark: designated for Maritime industries and logistics from "
        "2020-10-02",
        "- Maritime & Logistics Innovation Denmark: added",
        "- Article on transportnyhederne.dk of 2 October 2020 on MARLOG as the designated cluster "
        "organisation: added",
    ],
    ("2020.12", "2022.04"): [
        "- Maritime & Logistics Innovation Denmark: designation for Maritime industries and logistics "
        "ended 2022",
        "- Designation of Maritime & Logistics Innovation Denmark for maritime industries and logistics: "
        "source Article on transportnyhederne.dk of 20 April 2022 on MARLOG's bankruptcy added",
        "- Maritime & Logistics Innovation Denmark: source Article on transportnyhederne.dk of 20 April 2022 "
        "on MARLOG's bankruptcy added",
        "- Article on transportnyhederne.dk of 20 April 2022 on MARLOG's bankruptcy: added",
    ],
}


@pytest.mark.parametrize(("old", "new"), sorted(REAL))
def test_the_real_releases_differ_by_what_the_sources_report(
    cli: Callable[..., Any], project: Path, old: str, new: str
) -> None:
    """MARLOG reported designated on 2 October 2020; its bankruptcy reported on 20 April 2022."""
    result = run(cli, project, old, new)
    assert result.exit_code == 0, result.stderr
    sentences = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert sentences == REAL[old, new]
    assert "graph/ontology" not in result.stdout and "graph/shapes" not in result.stdout


def test_the_tellers_of_one_diff_share_its_label_graphs(project: Path) -> None:
    """A release's changes are told in every language, in pages, feed and stream: the label
    graphs are built once per diff, and a new diff gets its own."""
    from publish.changetext import Teller
    from publish.config import load_config
    from publish.history import diff

    config = load_config(project)
    changes = diff(config, "2020.10", "2022.04")
    danish = Teller(changes, config.uris, config.messages, "da")
    english = Teller(changes, config.uris, config.messages, "en")
    assert danish.new is english.new and danish.old is english.old
    assert danish.label(MARLOG_DESIGNATION) != ""
    other = diff(config, "2020.03", "2020.10")
    assert Teller(other, config.uris, config.messages, "da").new is not danish.new
