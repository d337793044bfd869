"""IRIs never break (issue 12, item 6): a thing a release published and the data no longer has.

The real history (data/releases) plus a release 2022.06 in which Copenhagen FinTech's organisation
is renamed (a new IRI that says dcterms:replaces the old) and Odense Robotics' is renamed without
saying so (the old IRI is simply removed). Both old IRIs answer 410 Gone in every format, from
`serve` (in-process) and from nginx with the generated rules: the last description, marked
owl:deprecated, with dct:isReplacedBy where there is a successor, linking the release that had it.
"""

from __future__ import annotations

import asyncio
import http.client
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE, copy_project, free_port, stop
from history_support import rename, write_release
from jsonld_support import parse_html

from publish.cli import main
from publish.config import load_config
from publish.formats import resource_formats
from publish.server import answer_once, create_app

OLD = "id/cluster/copenhagen-fintech"
NEW = "id/cluster/copenhagen-fintech-cluster"
REMOVED = "id/cluster/odense-robotics"
OWL = "http://www.w3.org/2002/07/owl#"
DCT = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
TRUE = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project and history, with release 2022.06 renaming two organisations, built."""
    project = copy_project(tmp_path_factory.mktemp("gone") / "project")
    rename(project, "cluster:copenhagen-fintech", "cluster:copenhagen-fintech-cluster")
    rename(project, "cluster:odense-robotics", "cluster:odense-robotics-cluster")
    edit_out = project / "data" / "clusters.ttl"
    text = edit_out.read_text(encoding="utf-8")
    edit_out.write_text(
        text.replace("    dcterms:replaces cluster:odense-robotics ;\n", ""), encoding="utf-8"
    )
    write_release(project, "2022.06", "2022-06-01", previous="2022.04")
    result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "site"


def serve(site: Path, target: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    app = create_app(load_config(site.parent), site)
    answer = asyncio.run(answer_once(app, target, headers=headers))
    return answer.status, dict(answer.headers), answer.body


def graph(body: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {quad.triple for quad in ox.parse(body, format=fmt, base_iri=BASE)}


def expected(site: Path, stem: str) -> set[ox.Triple]:
    """What the IRI must say: read from the last release that had it, plus the deprecation."""
    release = ox.Store()
    release.load(
        (site.parent / "data" / "releases" / "2022.04" / "dataset.nq").read_bytes(),
        format=ox.RdfFormat.N_QUADS,
    )
    iri = ox.NamedNode(BASE + stem)
    own = {q.triple for q in release.quads_for_pattern(iri, None, None, ox.NamedNode(BASE + "graph/data"))}
    own |= {
        ox.Triple(iri, ox.NamedNode(OWL + "deprecated"), TRUE),
        ox.Triple(iri, ox.NamedNode(RDFS + "seeAlso"), ox.NamedNode(BASE + "changes/2022.06")),
    }
    if stem == OLD:
        own.add(ox.Triple(iri, ox.NamedNode(DCT + "isReplacedBy"), ox.NamedNode(BASE + NEW)))
    return own


@pytest.mark.parametrize("stem", [OLD, REMOVED])
def test_a_gone_iri_answers_410_in_every_format_from_serve(site: Path, stem: str) -> None:
    want = expected(site, stem)
    assert any(t.predicate.value == SKOS + "prefLabel" for t in want)  # its last description
    for fmt in resource_formats():
        status, headers, body = serve(site, "/" + stem, accept=fmt.media_type)
        assert status == 410, fmt.name
        assert headers["content-type"].split(";")[0] == fmt.media_type
        if fmt.parser:
            assert graph(body, getattr(ox.RdfFormat, fmt.parser)) == want, fmt.name
    status, _, body = serve(site, f"/{stem}.ttl")  # its old document's own address
    assert status == 410
    assert graph(body, ox.RdfFormat.TURTLE) == want
    status, _, _ = serve(site, f"/{NEW}", accept="text/turtle")
    assert status == 200


def test_the_gone_page_links_the_last_release_and_the_successor(site: Path) -> None:
    status, _, body = serve(site, "/" + OLD, accept="text/html", **{"accept-language": "en"})
    assert status == 410
    root = parse_html(body.decode("utf-8"))
    hrefs = {a.get("href") for a in root.iter("a")}
    # Links are made from the address it is served at, /id/cluster/copenhagen-fintech.
    assert "../../changes/2022.04.en.html" in hrefs  # the last release that had it
    assert "../../changes/2022.06.en.html" in hrefs  # the release that removed it
    assert "copenhagen-fintech-cluster.en.html" in hrefs  # its successor
    assert "../../release/2022.04/id/cluster/copenhagen-fintech.ttl" in hrefs  # its frozen copy
    assert (site / "release/2022.04/id/cluster/copenhagen-fintech.ttl").is_file()


@pytest.fixture(scope="module")
def nginx(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Debian's nginx on 127.0.0.1 serving the site with the generated rules (as tests/test_hosting.py)."""
    binary = shutil.which("nginx", path=SBIN)
    assert binary is not None, "nginx is not installed; apt-get install -y nginx"
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    temp = "".join(
        f"    {k}_temp_path {folder / k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp}"
        f"    include {site / 'nginx-maps.conf'};\n    server {{\n        listen 127.0.0.1:{port};\n"
        f"        root {site};\n        include {site / 'nginx.conf'};\n    }}\n}}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")], stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, (folder / "error.log").read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield port
    finally:
        stop(process)
        if process.stderr:
            process.stderr.close()


def fetch(port: int, target: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("stem", [OLD, REMOVED])
def test_nginx_with_the_generated_rules_answers_410_as_serve_does(site: Path, nginx: int, stem: str) -> None:
    for fmt in resource_formats():
        status, headers, body = fetch(nginx, "/" + stem, accept=fmt.media_type)
        assert status == 410, (fmt.name, body[:200])
        assert (status, body) == serve(site, "/" + stem, accept=fmt.media_type)[::2], fmt.name
    status, _, body = fetch(nginx, f"/{stem}.ttl")
    assert (status, body) == serve(site, f"/{stem}.ttl")[::2]
    assert fetch(nginx, f"/{NEW}", accept="text/turtle")[0] == 200


def test_nginx_and_serve_send_release_pages_as_immutable(site: Path, nginx: int) -> None:
    for target, cache in (
        ("/ldes/2022.06.ttl", "public, max-age=31536000, immutable"),
        ("/ldes.ttl", "public, max-age=300"),
    ):
        status, headers, _ = fetch(nginx, target)
        assert status == 200
        assert headers["cache-control"] == cache
        assert headers["etag"]
        assert serve(site, target)[1]["cache-control"] == cache
