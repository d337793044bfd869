"""Check every file of a planned site with a real parser before the site is swapped in.

The last line of defence: whatever slipped past the input checks, a build never publishes a
file its own format's parser rejects. XML (RDF/XML, sitemap) goes through expat, JSON and
JSON-LD through the json module, Turtle, N-Triples and the N-Quads dump through pyoxigraph,
and HTML through libxml2's HTML5 tokeniser (lxml), with each embedded JSON-LD ``<script>`` parsed
as JSON.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.parsers.expat
from collections.abc import Callable, Iterable

import pyoxigraph as ox
from lxml import etree

from . import formats
from .lexical import FORBIDDEN, describe_char


def scripts(body: bytes) -> list[str]:
    """Return the text of every ``<script type="application/ld+json">`` of a page.

    libxml2's HTML parser (2.14 and later tokenises as HTML5 does: a script's text ends at the
    first ``</script``), through lxml: a C parser, about seven times Python's html.parser.
    """
    root = etree.HTML(body, etree.HTMLParser(encoding="utf-8"))
    if root is None:  # nothing but whitespace
        return []
    return [
        element.text or ""
        for element in root.iter("script")
        if element.get("type") == formats.JSONLD.media_type
    ]


# Bytes that are never part of a forbidden character: tab, line feed, carriage return and
# printable ASCII. What is left of a file without them is the rest of its ASCII (control
# characters) and its multi-byte characters, each still whole (UTF-8 keeps a character's bytes
# together), so a forbidden one shows as its own UTF-8 form there: C1 controls, the bidi
# embeddings, overrides and isolates, U+FFFE and U+FFFF (see lexical.FORBIDDEN).
_PLAIN = bytes([9, 10, 13, *range(0x20, 0x7F)])
_FORBIDDEN_UTF8 = re.compile(
    rb"[\x00-\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xef\xbf[\xbe\xbf]"
)


def _text(body: bytes) -> str:
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError: reported as ill-formed
    # The regular expression over all the text only where a byte-level look finds a candidate.
    if not _FORBIDDEN_UTF8.search(body.translate(None, _PLAIN)):
        return text
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
    _text(body)
    for script in scripts(body):
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


def _plain(body: bytes) -> None:
    _text(body)


def check_for(path: str) -> Callable[[bytes], None]:
    """Return the check of a site file by its format in the registry (others: clean UTF-8 text)."""
    fmt = formats.site_format(path)
    if fmt is None:
        return _plain
    if fmt.kind == formats.PAGE:
        return _html
    if fmt.media_type.endswith("xml"):  # RDF/XML too: namespace-aware, as its readers parse it
        return _xml
    if fmt.media_type.endswith("json"):  # JSON-LD too: every value, every <script> we embed
        return _json
    if fmt.parser:
        check = _rdf(getattr(ox.RdfFormat, fmt.parser))
        return (lambda body: check(gzip.decompress(body))) if fmt.compressed else check
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
