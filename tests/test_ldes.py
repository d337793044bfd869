"""The change stream (issue 12, item 4): a real LDES client replicates it from `serve`, then resumes.

The client is the npm package ldes-client (pinned in tests/node), run with node inside a network
namespace that has only 127.0.0.1 (``unshare -rn``, tests/netless.py), against ``klyngedata
serve`` on 127.0.0.1 in the same namespace. The project's base IRI is the server's address, so
the stream's links lead to it. The expected members are those of the published pages, read
with pyoxigraph; the expected kinds of change are the history's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_project, free_port
from history_support import marlog_history, rename, write_release

from publish.cli import main
from publish.config import load_config
from publish.server import answer_once, create_app

NODE_DIR = ROOT / "tests" / "node"
CLIENT = NODE_DIR / "node_modules" / "ldes-client" / "dist" / "bin" / "cli.js"
DCT = "http://purl.org/dc/terms/"
AS = "https://www.w3.org/ns/activitystreams#"
LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
IMMUTABLE = "public, max-age=31536000, immutable"


def build(project: Path) -> Path:
    result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "site"


def members(site: Path, version: str) -> dict[str, tuple[str, str]]:
    """Return a release page's members: member IRI → (kind of change, the thing it is a version of)."""
    store = ox.Store()
    store.load((site / "ldes" / f"{version}.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    rows = store.query(
        f"SELECT ?m ?kind ?thing WHERE {{ ?s <{TREE}member> ?m . ?m <{DCT}isVersionOf> ?thing ; a ?kind "
        f"FILTER(STRSTARTS(STR(?kind), '{AS}')) }}"
    )
    return {r["m"].value: (r["kind"].value.removeprefix(AS), r["thing"].value) for r in rows}


@pytest.fixture
def node() -> str:
    """The node binary and the pinned client (npm ci --prefix tests/node)."""
    binary = shutil.which("node")
    assert binary is not None, "node is not installed"
    assert CLIENT.is_file(), "run: npm ci --prefix tests/node"
    assert shutil.which("unshare") and shutil.which("ip"), "unshare and ip (util-linux, iproute2) are needed"
    return binary


def replicate(node: str, project: Path, port: int, state: Path) -> tuple[dict[str, list[ox.Quad]], list[str]]:
    """Run the client once against a fresh `serve`; return its members' quads and the pages it fetched."""
    server = [
        sys.executable,
        "-c",
        "from publish.cli import main; main()",
        "serve",
        "--project",
        str(project),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    client = [node, str(CLIENT), f"http://127.0.0.1:{port}/ldes", "--save", str(state)]
    environment = {**os.environ, "LOG_LEVEL": "debug"}
    done = subprocess.run(
        [
            "unshare",
            "-rn",
            sys.executable,
            str(ROOT / "tests" / "netless.py"),
            str(port),
            json.dumps(server),
            json.dumps(client),
        ],
        capture_output=True,
        timeout=600,
        cwd=ROOT,
        env=environment,
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, output[-3000:]
    # The client writes N-Triples lines, booleans in Turtle's short form (false): read them as Turtle.
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith(("<", "_:"))]
    quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.TURTLE))
    found: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        if isinstance(quad.subject, ox.NamedNode) and "/ldes/" in quad.subject.value:
            found.setdefault(quad.subject.value, []).append(quad)
    pages = re.findall(r"Got fragment: (\S+)", output)
    return found, pages


def test_a_client_replicates_the_stream_and_resumed_takes_only_the_new_members(
    node: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    project = copy_project(tmp_path / "project", base=base)
    marlog_history(project)
    site = build(project)
    expected = {**members(site, "2020.12"), **members(site, "2022.04")}
    state = tmp_path / "state"

    replicated, pages = replicate(node, project, port, state)
    assert set(replicated) == set(expected)
    assert len(members(site, "2022.04")) == 1  # the end of MARLOG's designation, one update
    # Every member comes whole: its statements as the release page states them.
    page = ox.Store()
    page.load((site / "ldes" / "2022.04.ttl").read_bytes(), format=ox.RdfFormat.TURTLE)
    for member, quads in replicated.items():
        if member in members(site, "2022.04"):
            stated = {q.triple for q in page.quads_for_pattern(ox.NamedNode(member), None, None)}
            assert {q.triple for q in quads} == stated
    assert sorted(set(pages)) == sorted({base + "ldes", base + "ldes/2020.12.ttl", base + "ldes/2022.04.ttl"})

    # A third release: Copenhagen FinTech's organisation is renamed (a new IRI that replaces the old).
    rename(project, "cluster:copenhagen-fintech", "cluster:copenhagen-fintech-cluster")
    write_release(project, "2022.06", "2022-06-01", previous="2022.04")
    site = build(project)
    new = members(site, "2022.06")
    assert sorted(new.values()) == [
        ("Create", base + "id/cluster/copenhagen-fintech-cluster"),
        ("Delete", base + "id/cluster/copenhagen-fintech"),
        ("Update", base + "id/cluster-designation/copenhagen-fintech"),
    ]

    resumed, pages = replicate(node, project, port, state)
    assert set(resumed) == set(new)
    assert sorted(set(pages)) == sorted({base + "ldes", base + "ldes/2022.06.ttl"})


def test_release_pages_are_immutable_and_the_root_is_not(project: Path) -> None:
    marlog_history(project)
    site = build(project)
    app = create_app(load_config(project), site)
    for path, cache in (("/ldes/2020.12.ttl", IMMUTABLE), ("/ldes", "public, max-age=300")):
        answer = asyncio.run(answer_once(app, path, headers={"accept": "text/turtle"}))
        headers = dict(answer.headers)
        assert answer.status == 200
        assert headers["cache-control"] == cache
        assert re.fullmatch(r'"[0-9a-f]{24}"', headers["etag"])
        again = asyncio.run(answer_once(app, path, headers={"if-none-match": headers["etag"]}))
        assert again.status == 304
