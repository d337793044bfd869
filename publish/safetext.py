"""Characters an answer cannot carry where it is written: XML 1.0 documents and terminals.

A query can make any string (``"\\u001B"`` is a valid SPARQL literal), so answers are checked
where they are written, not where the data came from:

* XML 1.0 cannot hold NUL or most C0 controls at all, not even as character references, and
  RDF/XML cannot write a predicate that no XML name ends (``<urn:1>``). Such an answer is
  refused with a message naming the character or predicate and the formats that can carry it,
  and every XML answer is parsed with expat before it is sent (never ill-formed XML).
* A terminal obeys control characters (ESC starts a command, BEL rings, RLO reverses the text
  that follows), so the ``query`` table shows them as visible escapes such as ``\\x1b``.
"""

from __future__ import annotations

import re
import unicodedata
import xml.parsers.expat

from .errors import QueryError

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An XML NCName at the end of an IRI: what RDF/XML needs to write it as an element name.
_NAME_END = re.compile(r"[A-Za-z_\u00c0-\ufffd][\w.\-\u00b7\u0300-\u036f\u203f-\u2040]*$")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def describe(char: str) -> str:
    """Name one character as U+XXXX and its Unicode name, e.g. ``U+001B (ESCAPE)``."""
    name = unicodedata.name(char, "") or {"\x00": "NULL", "\x07": "BELL", "\x1b": "ESCAPE"}.get(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def xml_problem(text: str) -> str | None:
    """Return the first character of ``text`` that XML 1.0 cannot hold, described, or None."""
    found = _NOT_XML.search(text)
    return describe(found.group()) if found else None


def require_xml_text(text: str, *, where: str, instead: str) -> None:
    """Raise a QueryError if ``text`` holds a character XML 1.0 cannot hold."""
    problem = xml_problem(text)
    if problem is not None:
        raise QueryError(f"{where} holds {problem}, which XML 1.0 cannot carry; ask for {instead}")


def require_rdfxml_predicate(iri: str) -> None:
    """Raise a QueryError if RDF/XML cannot write ``iri`` as a property element name."""
    if not _NAME_END.search(iri):
        raise QueryError(
            f"RDF/XML cannot write the predicate <{iri}>: no XML name ends it; "
            "ask for Turtle, N-Triples or JSON-LD"
        )


def require_well_formed(body: bytes, *, what: str, instead: str) -> None:
    """Parse an XML answer with expat; raise a QueryError instead of sending it ill-formed."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.errors.messages[exc.code]
        raise QueryError(
            f"this answer cannot be written as well-formed {what} ({reason}, line {exc.lineno}); "
            f"ask for {instead}"
        ) from None


def visible(text: str) -> str:
    """Return ``text`` with control and bidirectional-override characters as visible escapes."""
    return "".join(_escape(char) if _hidden(char) else char for char in text)


def _hidden(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
