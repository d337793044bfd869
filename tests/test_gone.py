"""IRIs never break (issue 12, item 6): a thing a release published and the data no longer has.

The real history (data/releases) plus a release 2022.06 in which Copenhagen FinTech's organisation
is renamed (a new IRI that says dcterms:replaces the old) and Odense Robotics' is renamed without
saying so (the old IRI is simply removed). Both old IRIs answer 410 Gone in every format, from
`serve` (in-process) and from nginx and Apache httpd with the generated rules (tests/servers.py
runs them on 127.0.0.1): the last description, marked owl:deprecated, with dct:isReplacedBy where
there is a successor, linking the release that had it. One request table runs against all three;
each answer's body is the file under gone/ the case names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import pyoxigraph as ox
import pytest
import servers
from click.testing import CliRunner
from conftest import BASE, copy_project
from history_support import rename, write_release
from jsonld_support import parse_html
from servers import Reply

from publish.cli import main
from publish.config import load_config
from publish.formats import media_type_of, resource_formats
from publish.server import answer_once, create_app
from publish.uris import GONE_FOLDER

OLD = "id/cluster/copenhagen-fintech"
NEW = "id/cluster/copenhagen-fintech-cluster"
REMOVED = "id/cluster/odense-robotics"
OWL = "http://www.w3.org/2002/07/owl#"
DCT = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
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


# ---------------------------------------------------------------- serve, nginx and Apache alike


@pytest.fixture(scope="module")
def nginx(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Debian's nginx on 127.0.0.1 serving the site with the generated rules; its port."""
    yield from servers.nginx(site, tmp_path_factory.mktemp("nginx"))


@pytest.fixture(scope="module")
def apache(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Debian's Apache httpd on 127.0.0.1 serving the site with the generated .htaccess; its port."""
    yield from servers.apache(site, tmp_path_factory.mktemp("apache"))


HOSTS = ("serve", "nginx", "apache")
Ask = Callable[[str, dict[str, str]], Reply]


@pytest.fixture(params=HOSTS)
def ask(request: pytest.FixtureRequest, site: Path) -> Ask:
    """One of the three servers: `serve` in-process, or nginx or Apache with the generated rules."""
    if request.param == "serve":
        app = create_app(load_config(site.parent), site, workers=1)

        def in_process(target: str, headers: dict[str, str]) -> Reply:
            one = asyncio.run(answer_once(app, target, headers=headers))
            return Reply(one.status, {k.lower(): v for k, v in one.headers}, one.body)

        return in_process
    port: int = request.getfixturevalue(request.param)
    return lambda target, headers: servers.fetch(port, target, headers)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
# (target, request headers, status, the file under gone/ that is the body or None, negotiated)
GoneCase = tuple[str, dict[str, str], int, str | None, bool]


def gone_cases(stem: str) -> list[GoneCase]:
    """What an old IRI answers: its last documents under gone/, chosen as for a live resource."""
    path = "/" + stem
    cases: list[GoneCase] = [
        (path, {"accept": f.media_type}, 410, f"{stem}.{f.suffix}", True) for f in resource_formats()
    ]
    cases += [
        (f"{path}?format={name}", {}, 410, f"{stem}.{f.suffix}", True)
        for f in resource_formats()
        for name in sorted(f.names)[:1]
    ]
    cases += [
        (path, {}, 410, f"{stem}.html", True),
        (path, {"accept": "*/*"}, 410, f"{stem}.html", True),
        (path, {"accept": BROWSER}, 410, f"{stem}.html", True),
        (path, {"accept-language": "en"}, 410, f"{stem}.en.html", True),
        (
            path,
            {"accept": BROWSER, "accept-language": "en-GB,en;q=0.9,da;q=0.8"},
            410,
            f"{stem}.en.html",
            True,
        ),
        (path, {"accept": "application/*"}, 410, f"{stem}.jsonld", True),
        (path, {"accept": "text/html;q=0, */*"}, 410, f"{stem}.ttl", True),
        (path, {"accept": "application/n-triples, application/rdf+xml"}, 410, f"{stem}.nt", True),
        (path + "?format=ttl", {"accept": "text/html"}, 410, f"{stem}.ttl", True),
        (path + "?format=html", {"accept-language": "en"}, 410, f"{stem}.en.html", True),
        (path, {"accept": "image/png"}, 406, None, True),
        (path + "?format=csv", {}, 400, None, True),
    ]
    # Its old documents' own addresses: that file, whatever the Accept header.
    cases += [
        (f"{path}.{f.suffix}", {"accept": "text/html"}, 410, f"{stem}.{f.suffix}", False)
        for f in resource_formats()
    ]
    cases.append((f"{path}.en.html", {}, 410, f"{stem}.en.html", False))
    return cases


GONE_CASES = [case for stem in (OLD, REMOVED) for case in gone_cases(stem)]


def _table() -> list[object]:
    table: list[object] = []
    for host in HOSTS:
        for case in GONE_CASES:
            table.append(pytest.param(host, case, id=f"{host} {case[0]} {case[1]}"))
    return table


@pytest.mark.parametrize(("ask", "case"), _table(), indirect=["ask"])
def test_a_gone_iri_answers_alike_from_serve_nginx_and_apache(site: Path, ask: Ask, case: GoneCase) -> None:
    target, headers, status, document, negotiated = case
    reply = ask(target, headers)
    assert reply.status == status, reply.body[:300]
    assert reply.headers.get("access-control-allow-origin") == "*"
    vary = {t.strip().lower() for t in reply.headers.get("vary", "").split(",")}
    assert {"accept", "accept-language"} <= vary if negotiated else "accept" not in vary
    if document is None:  # the error names the formats it had, as for a live resource
        app = create_app(load_config(site.parent), site, workers=1)
        served = asyncio.run(answer_once(app, target, headers=headers))
        assert (reply.status, reply.media_type, reply.body) == (served.status, "text/plain", served.body)
        assert b"text/turtle" in reply.body or b"ttl" in reply.body
        return
    path = PurePosixPath(GONE_FOLDER) / document
    assert reply.body == (site / path).read_bytes()
    assert reply.headers["content-type"] == media_type_of(document)
    assert reply.headers["cache-control"] == "public, max-age=300"
    if negotiated:
        assert reply.headers["content-location"] == f"/{path}"
    else:
        assert "content-location" not in reply.headers


@pytest.mark.parametrize("stem", [OLD, REMOVED])
def test_apache_answers_410_under_an_alias(site: Path, apache: int, stem: str) -> None:
    reply = servers.fetch(apache, f"/mounted/{stem}", {"accept": "text/turtle"})
    assert reply.status == 410
    assert reply.body == (site / GONE_FOLDER / f"{stem}.ttl").read_bytes()
    assert reply.headers["content-location"] == f"/mounted/{GONE_FOLDER}/{stem}.ttl"
    reply = servers.fetch(apache, f"/mounted/{stem}.en.html", {})
    assert (reply.status, reply.body) == (410, (site / GONE_FOLDER / f"{stem}.en.html").read_bytes())


def test_a_renamed_iri_says_deprecated_and_its_successor_in_every_format(site: Path, ask: Ask) -> None:
    old, new = ox.NamedNode(BASE + OLD), ox.NamedNode(BASE + NEW)
    for fmt in resource_formats():
        reply = ask("/" + OLD, {"accept": fmt.media_type})
        assert (reply.status, reply.media_type) == (410, fmt.media_type), fmt.name
        if fmt.parser:
            said = graph(reply.body, getattr(ox.RdfFormat, fmt.parser))
            assert ox.Triple(old, ox.NamedNode(OWL + "deprecated"), TRUE) in said, fmt.name
            assert ox.Triple(old, ox.NamedNode(DCT + "isReplacedBy"), new) in said, fmt.name
        else:  # the page names the successor by a link to it
            hrefs = {a.get("href") for a in parse_html(reply.body.decode("utf-8")).iter("a")}
            assert "copenhagen-fintech-cluster.html" in hrefs
    reply = ask("/" + NEW, {"accept": "text/turtle"})
    assert reply.status == 200
    assert ox.Triple(new, ox.NamedNode(DCT + "replaces"), old) in graph(reply.body, ox.RdfFormat.TURTLE)


@pytest.mark.parametrize(
    ("target", "cache"),
    [
        ("/ldes/2022.06.ttl", "public, max-age=31536000, immutable"),
        ("/release/2022.04/id/cluster/copenhagen-fintech.ttl", "public, max-age=31536000, immutable"),
        ("/ldes.ttl", "public, max-age=300"),
    ],
)
def test_release_copies_and_stream_pages_are_immutable(ask: Ask, target: str, cache: str) -> None:
    reply = ask(target, {})
    assert reply.status == 200
    assert reply.headers["cache-control"] == cache
    assert reply.headers["etag"]
