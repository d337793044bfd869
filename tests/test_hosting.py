"""Static hosting: nginx and Apache with the rules the build writes answer as `klyngedata serve` does.

Debian's nginx and Apache httpd run on 127.0.0.1 as child processes of the test, serving the
built site with the generated ``nginx-maps.conf`` + ``nginx.conf`` and ``.htaccess``; ``serve``
answers in-process. Every case also names its expected answer (status, and the site file whose
bytes are the body), so the three cannot agree on a wrong one.

Only cases on which q-value ranking cannot differ are compared: the static rules rank formats by
how specifically the Accept header names them, ``serve`` by q (see ``publish/hosting.py``), and
Accept-Language picks the first listed of our languages there, the highest q in ``serve``.
"""

from __future__ import annotations

import asyncio
import http.client
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import servers

from publish import hosting
from publish.config import load_config
from publish.formats import resource_formats, site_types
from publish.server import answer_once, create_app

# The registry as the static hosts see it: media type -> suffix, ?format= name -> suffix, suffix -> type.
NEGOTIABLE = {f.media_type: f.suffix for f in resource_formats()}
FORMAT_NAMES = {name: f.suffix for f in resource_formats() for name in f.names}
SUFFIX_TYPES = {f".{suffix}": content_type for content_type, suffix in site_types()}

AREA = "id/area/turisme"
CLUSTER = "id/cluster/censec"
STRATEGY = "id/strategy/erhvervsfremme-i-danmark-2020-2023"
ONTOLOGY = "ontology"
RESOURCES = (AREA, CLUSTER, ONTOLOGY, STRATEGY)
VERSION = "ontology/1.0.0"  # RDF documents, no HTML page
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@dataclass(frozen=True, slots=True)
class Case:
    """One request and the answer it must get: a status and the site file that is the body."""

    target: str
    headers: tuple[tuple[str, str], ...]
    status: int
    document: str | None

    @property
    def name(self) -> str:
        """Return a readable test id."""
        return " ".join([self.target, *(f"{key}={value}" for key, value in self.headers)])


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers (lower-case names) and body of one answer."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the first value of a header, or None."""
        return next((value for key, value in self.headers if key == name), None)

    @property
    def media_type(self) -> str | None:
        """Return the media type of Content-Type without parameters."""
        value = self.header("content-type")
        return value.split(";")[0].strip().lower() if value else None

    @property
    def varies(self) -> bool:
        """Tell whether the answer says it depends on Accept and Accept-Language."""
        tokens = {t.strip().lower() for t in (self.header("vary") or "").split(",")}
        return {"accept", "accept-language"} <= tokens


def _case(target: str, status: int, document: str | None, **headers: str) -> Case:
    return Case(target, tuple((k.replace("_", "-"), v) for k, v in headers.items()), status, document)


def _resource_cases(stem: str) -> list[Case]:
    path = "/" + stem
    html, english = f"{stem}.html", f"{stem}.en.html"
    cases = [_case(path, 200, f"{stem}.{suffix}", Accept=media) for media, suffix in NEGOTIABLE.items()]
    cases += [
        _case(path, 200, html),
        _case(path, 200, html, Accept="*/*"),
        _case(path, 200, html, Accept=BROWSER),
        _case(path, 200, f"{stem}.ttl", Accept="text/turtle, */*;q=0.1"),
        _case(path, 200, f"{stem}.ttl", Accept="application/ld+json, text/turtle"),
        _case(path, 200, f"{stem}.nt", Accept="application/n-triples, application/rdf+xml"),
        _case(path, 200, f"{stem}.jsonld", Accept="application/*"),
        _case(path, 200, f"{stem}.ttl", Accept="text/turtle, text/*;q=0.5"),
        _case(path, 200, f"{stem}.jsonld", Accept="application/*, */*;q=0.1"),
        _case(path, 200, f"{stem}.ttl", Accept="text/html;q=0, */*"),
        _case(path, 200, english, Accept_Language="en"),
        _case(path, 200, english, Accept=BROWSER, Accept_Language="en-GB,en;q=0.9,da;q=0.8"),
        _case(path, 200, english, Accept="text/html", Accept_Language="de, en;q=0.5"),
        _case(path, 200, html, Accept="text/html", Accept_Language="da, en;q=0.5"),
        _case(path, 200, html, Accept="text/html", Accept_Language="en;q=0, da"),
        _case(path, 200, html, Accept="text/html", Accept_Language="fr"),
        _case(path, 406, None, Accept="image/png"),
        _case(path, 406, None, Accept="application/json, text/plain"),
        _case(path + "?format=csv", 400, None),
        _case(path + "?format=ttl", 200, f"{stem}.ttl", Accept="text/html"),
        _case(path + "?format=TURTLE", 200, f"{stem}.ttl"),
        _case(path + "?format=html", 200, english, Accept_Language="en"),
        _case(path + "?format=nt&x=1", 200, f"{stem}.nt"),
    ]
    cases += [
        _case(f"{path}?format={name}", 200, f"{stem}.{suffix}") for name, suffix in FORMAT_NAMES.items()
    ]
    cases += [_case(f"{path}.{suffix}", 200, f"{stem}.{suffix}") for suffix in NEGOTIABLE.values()]
    cases += [
        _case(f"{path}.en.html", 200, english),
        _case(f"{path}.ttl", 200, f"{stem}.ttl", Accept="application/ld+json"),
        _case(f"{path}.rdf?format=nt", 200, f"{stem}.rdf"),
    ]
    return cases


CASES = [case for stem in RESOURCES for case in _resource_cases(stem)] + [
    # A resource without an HTML page: HTML is not offered.
    _case("/" + VERSION, 200, VERSION + ".ttl"),
    _case("/" + VERSION, 200, VERSION + ".ttl", Accept="*/*"),
    _case("/" + VERSION, 200, VERSION + ".ttl", Accept="text/html, text/turtle;q=0.5"),
    _case("/" + VERSION, 406, None, Accept="text/html"),
    _case(f"/{VERSION}?format=html", 400, None),
    # The site index answers at / (HTML only).
    _case("/", 200, "index.html"),
    _case("/", 200, "index.en.html", Accept_Language="en"),
    _case("/", 406, None, Accept="text/turtle"),
    # Nothing there: the site's 404 page.
    _case("/id/area/no-such-area", 404, "404.html"),
    _case("/id/area/no-such-area?format=ttl", 404, "404.html"),
    # … in the reader's language.
    _case("/id/area/no-such-area", 404, "404.en.html", Accept_Language="en-GB,en;q=0.9"),
    _case("/id/area/no-such-area", 404, "404.html", Accept_Language="fr, da;q=0.5"),
    _case("/id/area/", 404, "404.html"),
    _case("/id/area", 404, "404.html"),
    _case(f"/{AREA}/more", 404, "404.html"),
    _case(f"/{AREA}.ttl/more", 404, "404.html"),
    # Files that are not negotiated.
    _case("/dataset.nq.gz", 200, "dataset.nq.gz"),
    _case("/.well-known/void", 200, ".well-known/void"),
    _case("/catalog.ttl", 200, "catalog.ttl"),
    _case("/robots.txt", 200, "robots.txt"),
    _case("/sitemap.xml", 200, "sitemap.xml"),
]


# ---------------------------------------------------------------- the three servers


@pytest.fixture(scope="module")
def serve(built_site: Path) -> Callable[[Case], Reply]:
    """Answer a case with `klyngedata serve`'s app, in-process (each answer computed once)."""
    app = create_app(load_config(built_site.parent), built_site, workers=1)
    answers: dict[Case, Reply] = {}

    def ask(case: Case) -> Reply:
        if case not in answers:
            one = asyncio.run(answer_once(app, case.target, headers=dict(case.headers)))
            answers[case] = Reply(one.status, tuple((k.lower(), v) for k, v in one.headers), one.body)
        return answers[case]

    return ask


@pytest.fixture(scope="module")
def nginx(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Run Debian's nginx on 127.0.0.1 with the generated rules; yield its port."""
    yield from servers.nginx(built_site, tmp_path_factory.mktemp("nginx"))


@pytest.fixture(scope="module")
def apache(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Run Debian's Apache httpd with the generated .htaccess (also at /mounted); yield its port."""
    yield from servers.apache(built_site, tmp_path_factory.mktemp("apache"))


def fetch(port: int, target: str, headers: tuple[tuple[str, str], ...]) -> Reply:
    """Send one GET to a server on 127.0.0.1 and return its answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target, headers=dict(headers))
        response = connection.getresponse()
        return Reply(
            response.status, tuple((k.lower(), v) for k, v in response.getheaders()), response.read()
        )
    finally:
        connection.close()


def assert_same(case: Case, host: Reply, served: Reply, site: Path, *, prefix: str = "") -> None:
    """Assert that a static host and serve both give the case's answer."""
    assert (host.status, served.status) == (case.status, case.status), (host.body, served.body)
    assert host.media_type == served.media_type
    assert host.body == served.body
    if case.document is not None:
        assert served.body == (site / case.document).read_bytes()
    assert host.varies == served.varies
    location = served.header("content-location")
    assert host.header("content-location") == (prefix + location if location else None)
    if case.status == 200 and case.target.split("?")[0] != f"/{case.document}":
        assert location == "/" + str(case.document), "a negotiated answer names its document"
        assert served.varies


# ---------------------------------------------------------------- the comparisons


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nginx_answers_as_serve(
    case: Case, nginx: int, serve: Callable[[Case], Reply], built_site: Path
) -> None:
    assert_same(case, fetch(nginx, case.target, case.headers), serve(case), built_site)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_apache_answers_as_serve(
    case: Case, apache: int, serve: Callable[[Case], Reply], built_site: Path
) -> None:
    assert_same(case, fetch(apache, case.target, case.headers), serve(case), built_site)


MOUNTED = [
    _case("/" + AREA, 200, AREA + ".ttl", Accept="text/turtle"),
    _case("/" + ONTOLOGY, 200, ONTOLOGY + ".en.html", Accept_Language="en"),
    _case("/", 200, "index.html"),
    _case("/" + CLUSTER + ".nt", 200, CLUSTER + ".nt"),
    _case("/" + CLUSTER + "?format=rdfxml", 200, CLUSTER + ".rdf"),
    _case("/" + CLUSTER, 406, None, Accept="image/png"),
]


@pytest.mark.parametrize("case", MOUNTED, ids=[c.name for c in MOUNTED])
def test_apache_answers_as_serve_under_an_alias(
    case: Case, apache: int, serve: Callable[[Case], Reply], built_site: Path
) -> None:
    host = fetch(apache, "/mounted" + case.target, case.headers)
    assert_same(case, host, serve(case), built_site, prefix="/mounted")


# ---------------------------------------------------------------- the files themselves


def test_the_build_writes_the_rules(built_site: Path) -> None:
    config = load_config(built_site.parent)
    for artifact in hosting.hosting_artifacts(config):
        assert (built_site / artifact.path).read_bytes() == artifact.body
    assert [a.path.name for a in hosting.hosting_artifacts(config)] == [
        "nginx-maps.conf",
        "nginx.conf",
        ".htaccess",
    ]


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
SECTIONS = {"IfModule", "If", "Else"}
DIRECTIVES = {
    "Options", "DirectoryIndex", "DirectorySlash", "AddType", "RemoveEncoding", "ForceType", "Header",
    "ErrorDocument", "RewriteEngine", "RewriteCond", "RewriteRule",
}  # fmt: skip


def apache_directives(text: str) -> list[tuple[str, list[str]]]:
    """Parse .htaccess text into (directive, arguments), checking that sections nest."""
    parsed: list[tuple[str, list[str]]] = []
    open_sections: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("</"):
            assert line.endswith(">") and open_sections.pop() == line[2:-1], f"line {number}: {line}"
            continue
        if line.startswith("<"):
            assert line.endswith(">"), f"line {number}: {line}"
            name, _, rest = line[1:-1].partition(" ")
            assert name in SECTIONS, f"line {number}: unknown section {name}"
            open_sections.append(name)
            parsed.append(("<" + name, [quoted or bare for quoted, bare in _TOKEN.findall(rest)]))
            continue
        words = [quoted or bare for quoted, bare in _TOKEN.findall(line)]
        assert words[0] in DIRECTIVES, f"line {number}: unknown directive {words[0]}"
        parsed.append((words[0], words[1:]))
    assert not open_sections
    return parsed


def rewrite_blocks(directives: list[tuple[str, list[str]]]) -> list[tuple[list[list[str]], list[str]]]:
    """Group RewriteCond lines with the RewriteRule they guard."""
    blocks: list[tuple[list[list[str]], list[str]]] = []
    conditions: list[list[str]] = []
    for name, args in directives:
        if name == "RewriteCond":
            conditions.append(args)
        elif name == "RewriteRule":
            blocks.append((conditions, args))
            conditions = []
    assert not conditions, "a RewriteCond guards no RewriteRule"
    return blocks


def _matches(condition: list[str], test: str, value: str) -> bool:
    flags = re.IGNORECASE if len(condition) == 3 and "NC" in condition[2] else 0
    return condition[0] == test and re.search(condition[1], value, flags) is not None


def test_htaccess_has_a_rule_for_every_table_entry(built_site: Path) -> None:
    directives = apache_directives((built_site / ".htaccess").read_text(encoding="utf-8"))
    blocks = rewrite_blocks(directives)
    for conditions, rule in blocks:
        assert len(rule) in (2, 3) and all(len(c) in (2, 3) for c in conditions)
        assert all(args[2][0] + args[2][-1] == "[]" for args in [*conditions, rule] if len(args) == 3)
        for condition in conditions:
            if not condition[1].startswith(("-", "=", "!")):
                re.compile(condition[1])  # a valid regular expression (PCRE and Python agree on ours)

    def sets(level: str, test: str, value: str) -> bool:
        return any(
            any(_matches(c, test, value) for c in conditions) and level in rule[-1]
            for conditions, rule in blocks
        )

    for media_type, suffix in NEGOTIABLE.items():
        level = f"E=KD_LEVEL_{suffix.upper()}:"
        assert sets(level + "3", "%{HTTP_ACCEPT}", f"image/png, {media_type};q=0.5"), media_type
        assert sets(level + "0", "%{HTTP_ACCEPT}", f"{media_type};q=0"), media_type
        assert sets(level + "2", "%{HTTP_ACCEPT}", media_type.split("/")[0] + "/*"), media_type
        assert sets(level + "1", "%{HTTP_ACCEPT}", "*/*"), media_type
        assert not sets(level + "3", "%{HTTP_ACCEPT}", "image/png"), media_type
        names = [name for name, target in FORMAT_NAMES.items() if target == suffix]
        for name in names:
            assert sets(level + "3", "%{QUERY_STRING}", f"a=b&format={name.upper()}"), name
        assert not sets(level + "3", "%{QUERY_STRING}", "format=csv")
        assert any(rule[1].endswith("." + suffix) and "END" in rule[-1] for _, rule in blocks), suffix
    added = {args[1]: args[0] for name, args in directives if name == "AddType"}
    assert added == SUFFIX_TYPES
    headers = [args for name, args in directives if name == "Header"]
    assert ["set", "Vary", "Accept, Accept-Language", "env=REDIRECT_KD_DOCUMENT"] in headers
    assert ("Options", ["-MultiViews"]) in directives
    assert {args[0] for name, args in directives if name == "ErrorDocument"} == {"400", "404", "406", "410"}
