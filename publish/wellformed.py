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
from functools import cache

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
    simple = _simple_scripts(body)
    if simple is not None:
        try:
            for text in simple:
                json.loads(text.decode("utf-8"))
            return
        except ValueError:
            pass  # the parser has the last word, and words the reason
    for script in scripts(body):
        try:
            json.loads(script)
        except ValueError as exc:
            raise ValueError(f"an application/ld+json <script> is not JSON: {exc}") from None


_SCRIPT = re.compile(rb"<script", re.IGNORECASE)
_SCRIPT_TAG = re.compile(rb'<script((?:[ \t\n\f]+[a-z][a-z-]*(?:="[^"&<>]*")?)*)[ \t\n\f]*>')
_ATTRIBUTE = re.compile(rb'([a-z][a-z-]*)(?:="([^"]*)")?')
_JSONLD_TYPE = formats.JSONLD.media_type.encode()
_SIMPLE_SCRIPT_BYTES = 1_000_000  # far below libxml2's text limit (10 MB; a longer text reads as empty)


def _simple_scripts(body: bytes) -> list[bytes] | None:
    """Return the text of every ``<script type="application/ld+json">``, read without a parser.

    Or None where the page is not simple enough to be sure of the answer. Every script start tag
    begins ``<script`` (in any case); each such place is read as a start tag, whatever came
    before it (in a comment or an attribute value it is none: the list may hold more texts than
    the parser's, never other ones). So the page must be plain there: the tag in lower case, its
    attributes named once, double-quoted, without references or ``<``/``>``; a JSON-LD script's
    text without ``<`` or ``&`` (ours escapes both), ended by ``</script>``, under 1 MB. Then
    each text of the list is the parser's text of that script, if it is one: a page whose list
    is all JSON passes the parser's check, and any other page is left to the parser.
    """
    found = []
    for start in _SCRIPT.finditer(body):
        tag = _SCRIPT_TAG.match(body, start.start())
        if tag is None:
            return None
        attributes = _ATTRIBUTE.findall(tag.group(1))
        names = {name for name, _ in attributes}
        if len(names) != len(attributes):
            return None
        if (b"type", _JSONLD_TYPE) not in attributes:  # not JSON-LD to the parser either
            continue
        end = body.find(b"<", tag.end())
        if end < 0 or not body.startswith(b"</script>", end) or b"&" in body[tag.end() : end]:
            return None
        if end - tag.end() >= _SIMPLE_SCRIPT_BYTES:
            return None
        found.append(body[tag.end() : end])
    return found


@cache
def _rdf(fmt: ox.RdfFormat) -> Callable[[bytes], None]:
    def check(body: bytes) -> None:
        _text(body)
        try:
            for _ in ox.parse(body, format=fmt):
                pass
        except SyntaxError as exc:
            raise ValueError(f"not valid {fmt.name}: {exc.msg}") from None

    return check


@cache
def _gzipped(check: Callable[[bytes], None]) -> Callable[[bytes], None]:
    return lambda body: check(gzip.decompress(body))


def _plain(body: bytes) -> None:
    _text(body)


def check_for(path: str) -> Callable[[bytes], None]:
    """Return the check of a site file by its format in the registry (others: clean UTF-8 text)."""
    # By the end of the path that can decide the format: its file name from the first dot (a
    # format is found by its suffix), or the whole path where the name has none (the VoID).
    name = path[path.rfind("/") + 1 :]
    dot = name.find(".")
    key = name[dot:] if dot >= 0 else path
    if _CHECKS_OF[0] is not formats.FORMATS or len(_CHECKS) >= 256:  # the registry changed; bounded
        _CHECKS.clear()
        _CHECKS_OF[0] = formats.FORMATS
    check = _CHECKS.get(key)
    if check is None:
        check = _CHECKS[key] = _check_for(key)
    return check


_CHECKS: dict[str, Callable[[bytes], None]] = {}
_CHECKS_OF: list[object] = [None]  # the registry (formats.FORMATS) the checks were chosen from


def _check_for(path: str) -> Callable[[bytes], None]:
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
        return _gzipped(check) if fmt.compressed else check
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
