"""Decide what a SPARQL query may do from its parse tree, before the engine sees it.

The endpoint is read-only and closed: no update, no ``SERVICE``, no ``FROM``/``FROM NAMED``
outside the dataset's graphs. Those decisions are made on the tree rdflib's SPARQL parser
builds, never on the query text; a query rdflib cannot parse is refused (fail closed).

Two parsers read the same query (rdflib here, the engine after), so the text both receive is
first made canonical: SPARQL's ``\\u``/``\\U`` escapes are expanded once (the spec processes
them before parsing) and every CR becomes LF, so that a comment ends at the same place for
both (rdflib ends a comment at LF only, SPARQL and the engine at CR too). The engine runs the
canonical text, exactly the one that was checked.

Before any parser runs, a cheap scan bounds the query's length and bracket nesting: both
pyparsing and the engine recurse per level, and a deep enough query exhausts their stacks.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from .errors import QueryError

_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
# pyparsing recurses ~25 Python frames per bracket level; at 5,000 frames rdflib parses 190
# nested groups and 132 nested parentheses, so any depth under the configured bound fits.
_RECURSION = 5000
_ESCAPE = re.compile(r"\\[uU]")
# What the nesting scan skips: comments, IRIs and strings, lexed as SPARQL 1.1 §19.8 does.
_OPAQUE = re.compile(
    r"""\#[^\n]*
    |<[^<>"{}|^`\\\x00-\x20]*>
    |\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
    |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'
    |[{}()\[\]]""",
    re.X | re.S,
)
_OPEN, _CLOSE = "{([", "})]"
DEFAULT_MAX_LENGTH = 65_536
DEFAULT_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A checked query: the canonical text to run, its form, the graphs its dataset clause names."""

    text: str
    form: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


def check_size(text: str, *, max_length: int, max_depth: int) -> None:
    """Refuse a query longer than ``max_length`` characters or nested deeper than ``max_depth``.

    Cheap and parser-free: it runs on the server before a query is queued, and again in the
    worker before rdflib reads it.
    """
    if len(text) > max_length:
        raise QueryError(
            f"the query is {len(text):,} characters long; this endpoint takes at most {max_length:,} "
            "(config key max_query_length)"
        )
    depth = nesting_depth(text)
    if depth > max_depth:
        raise QueryError(
            f"the query nests brackets {depth} deep; this endpoint takes at most {max_depth} "
            "(config key max_query_depth)"
        )


def nesting_depth(text: str) -> int:
    """Return the deepest nesting of ``{ ( [`` outside comments, IRIs and strings."""
    depth = deepest = 0
    for match in _OPAQUE.finditer(text.replace("\r", "\n")):
        token = match.group()
        if token in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif token in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


def canonical(text: str) -> str:
    """Return the text both parsers will read: escapes expanded once, CR as LF."""
    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if expandUnicodeEscapes(expanded) != expanded:
        raise QueryError(
            "a \\u or \\U escape in this query spells another escape; write the character itself"
        )
    return expanded.replace("\r\n", "\n").replace("\r", "\n")


def check_query(
    text: str, *, base: str, allowed_graphs: frozenset[str], max_length: int, max_depth: int
) -> QueryPlan:
    """Parse a query and refuse updates, SERVICE and FROM outside ``allowed_graphs``; return its plan."""
    check_size(text, max_length=max_length, max_depth=max_depth)
    text = canonical(text)
    tree = _parse(text)
    prologue, query = tree[0], tree[1]
    if any(node.name == "ServiceGraphPattern" for node in _nodes(query)):
        raise QueryError("SERVICE is not allowed: this endpoint never makes outbound requests")
    resolver = translatePrologue(prologue, base)
    default: list[str] = []
    named: list[str] = []
    for clause in query["datasetClause"] if "datasetClause" in query else []:
        is_named = "named" in clause
        written = clause["named"] if is_named else clause["default"]
        graph = str(resolver.absolutize(written))
        if graph not in allowed_graphs:
            raise QueryError(
                f"FROM {'NAMED ' if is_named else ''}<{graph}> is not a graph of this dataset; "
                f"use one of: {', '.join(sorted(allowed_graphs))}"
            )
        (named if is_named else default).append(graph)
    return QueryPlan(text, _FORMS[query.name], tuple(default), tuple(named))


def _parse(text: str) -> ParseResults:
    """Parse with rdflib's SPARQL 1.1 grammar; say 'read-only' for an update, fail closed otherwise."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION))
    try:
        return parseQuery(text)
    except ParseBaseException as exc:
        if _is_update(text):
            raise QueryError(
                "this is a SPARQL Update; this endpoint is read-only and only answers queries"
            ) from None
        raise QueryError(_syntax_message(text, exc)) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise QueryError(f"this query cannot be checked, so it is not run ({type(exc).__name__})") from None
    finally:
        sys.setrecursionlimit(limit)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except (ParseBaseException, RecursionError, ValueError, TypeError):
        return False
    return True


def _nodes(value: object) -> Iterator[CompValue]:
    """Yield every CompValue of a parse tree, depth first (subqueries, EXISTS and all)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list | tuple | ParseResults):
            stack.extend(item)


def _syntax_message(text: str, exc: ParseBaseException) -> str:
    """Say where the query stops being SPARQL: line, column, the line itself and a caret."""
    lines = text.split("\n") or [""]
    shown = lines[min(exc.lineno, len(lines)) - 1]
    return (
        f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}\n"
        f"  {shown}\n  {' ' * (exc.col - 1)}^"
    )
