"""Check every file of a planned site with a real parser before the site is swapped in.

The last line of defence: whatever slipped past the input checks, a build never publishes a
file its own format's parser rejects. XML (RDF/XML, sitemap) goes through expat, JSON and
JSON-LD through the json module, Turtle, N-Triples and the N-Quads dump through pyoxigraph,
and HTML through html.parser, with each embedded JSON-LD ``<script>`` parsed as JSON.
"""

from __future__ import annotations

import gzip
import json
import xml.parsers.expat
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

import pyoxigraph as ox

from .lexical import FORBIDDEN, describe_char


class _ScriptJson(HTMLParser):
    """Collect the text of every ``<script type="application/ld+json">`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            self._inside = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


def _text(body: bytes) -> str:
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError: reported as ill-formed
    if bad := FORBIDDEN.search(text):
        raise ValueError(f"holds the character {describe_char(bad.group())} at offset {bad.start()}")
    return text


def _xml(body: bytes) -> None:
    # Namespace processing on: `<oxprefix:>` is well-formed XML 1.0 but not namespace-well-formed.
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse_doctype(*_: object) -> None:
        raise ValueError("holds a DOCTYPE, which our XML never does")

    parser.StartDoctypeDeclHandler = refuse_doctype
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None


def _json(body: bytes) -> None:
    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    json.loads(_text(body), parse_constant=refuse)


def _html(body: bytes) -> None:
    reader = _ScriptJson()
    reader.feed(_text(body))
    reader.close()
    for script in reader.scripts:
        try:
            json.loads(script)
        except ValueError as exc:
            raise ValueError(f"an application/ld+json <script> is not JSON: {exc}") from None


def _rdf(fmt: ox.RdfFormat) -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        _text(body)
        try:
            for _ in ox.parse(body, format=fmt):
                pass
        except SyntaxError as exc:
            raise ValueError(f"not valid {fmt.name}: {exc.msg}") from None

    return check


def _nquads_gz(body: bytes) -> None:
    _rdf(ox.RdfFormat.N_QUADS)(gzip.decompress(body))


def _plain(body: bytes) -> None:
    _text(body)


# file suffix (longest first) -> its check
CHECKS: tuple[tuple[str, Callable[[bytes], None]], ...] = (
    (".nq.gz", _nquads_gz),
    (".rdf", _xml),
    (".xml", _xml),
    (".jsonld", _json),
    (".json", _json),
    (".ttl", _rdf(ox.RdfFormat.TURTLE)),
    (".well-known/void", _rdf(ox.RdfFormat.TURTLE)),
    (".nt", _rdf(ox.RdfFormat.N_TRIPLES)),
    (".html", _html),
)


def check_for(path: str) -> Callable[[bytes], None]:
    """Return the check of a site file by its name (text files at least decode as clean UTF-8)."""
    for suffix, check in CHECKS:
        if path.endswith(suffix):
            return check
    return _plain


def ill_formed(files: Iterable[tuple[str, bytes]]) -> list[str]:
    """Return one line per file its own format's parser rejects: the path and the reason."""
    problems = []
    for path, body in files:
        try:
            check_for(path)(body)
        except (ValueError, EOFError, OSError) as exc:  # gzip errors are OSError/EOFError
            problems.append(f"{path}: {exc}")
    return problems
