"""Decide what a SPARQL query may do from its parse tree, before the engine sees it.

The endpoint is read-only and closed: no update, no ``SERVICE``, no ``FROM``/``FROM NAMED``
outside the dataset's graphs. Those decisions are made on a parse tree, never on the query
text. The tree comes first from tree-sitter's SPARQL grammar (a C parser: microseconds where
rdflib's pyparsing grammar takes milliseconds); only a plain query (a prologue, one query form,
an optional VALUES block, no error node) is decided on it. Anything else (a syntax error, an
update, an undeclared prefix) goes to rdflib's parser, which decides as before and says why a
query is refused; a query rdflib cannot parse is refused (fail closed).

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
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import tree_sitter_sparql
from tree_sitter import Language, Node, Parser, QueryCursor
from tree_sitter import Query as TreeQuery

from .errors import QueryError

if TYPE_CHECKING:  # rdflib's grammar costs ~200 ms to import; only the fallback path needs it
    from pyparsing import ParseBaseException, ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

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
_OPAQUE_BYTES = re.compile(_OPAQUE.pattern.encode(), re.X | re.S)  # the same lexer, on UTF-8 bytes
_OPEN, _CLOSE = "{([", "})]"
# tree-sitter's names for the four query forms; its root may hold these and nothing but a
# prologue, a trailing VALUES block and comments for the fast path to decide.
_TREE_FORMS = {
    "select_query": "SELECT",
    "ask_query": "ASK",
    "construct_query": "CONSTRUCT",
    "describe_query": "DESCRIBE",
}
_TREE_AROUND = frozenset({"prologue", "values_clause", "comment"})
_SERVICE = "SERVICE is not allowed: this endpoint never makes outbound requests"
DEFAULT_MAX_LENGTH = 65_536
DEFAULT_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A checked query: the canonical text to run, its form, the graphs its dataset clause names,
    and tree-sitter's parse tree when the query was decided on it (None when rdflib decided)."""

    text: str
    form: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    tree: Node | None = field(default=None, compare=False, repr=False)


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


# rdflib's own escape rule (parser.expandUnicodeEscapes: \\u or \\U, then 4 or 8 hex digits,
# case-insensitive), written out so a plain query needs no rdflib import; rdflib expands again
# inside parseQuery, so the rule must be exactly its rule (tests/test_guard.py compares them).
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", flags=re.I)


def _expand_escapes(text: str) -> str:
    def expand(match: re.Match[str]) -> str:
        try:
            return chr(int(match.group(1), 16))
        except (ValueError, OverflowError) as exc:
            raise ValueError("Invalid unicode code point: " + match.group(1)) from exc

    return _UNICODE_ESCAPE.sub(expand, text)


def canonical(text: str) -> str:
    """Return the text both parsers will read: escapes expanded once, CR as LF."""
    try:
        expanded = _expand_escapes(text)
    except ValueError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if _expand_escapes(expanded) != expanded:
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
    plan = tree_plan(text, base) or rdflib_plan(text, base)
    for graph, is_named in [(g, False) for g in plan.default_graphs] + [(g, True) for g in plan.named_graphs]:
        if graph not in allowed_graphs:
            raise QueryError(
                f"FROM {'NAMED ' if is_named else ''}<{graph}> is not a graph of this dataset; "
                f"use one of: {', '.join(sorted(allowed_graphs))}"
            )
    return plan


def rdflib_plan(text: str, base: str) -> QueryPlan:
    """Decide on rdflib's parse tree: SERVICE anywhere is refused; the dataset clause resolved."""
    from rdflib.plugins.sparql.algebra import translatePrologue

    tree = _parse(text)
    prologue, query = tree[0], tree[1]
    if any(node.name == "ServiceGraphPattern" for node in _nodes(query)):
        raise QueryError(_SERVICE)
    default: list[str] = []
    named: list[str] = []
    try:
        resolver = translatePrologue(prologue, base)
        for clause in query["datasetClause"] if "datasetClause" in query else []:
            is_named = "named" in clause
            written = clause["named"] if is_named else clause["default"]
            (named if is_named else default).append(str(resolver.absolutize(written)))
    except ValueError as exc:  # urljoin refuses an IRI such as <http://[x/>
        raise _unresolvable(exc) from None
    return QueryPlan(text, _FORMS[query.name], tuple(default), tuple(named))


def _unresolvable(exc: ValueError) -> QueryError:
    return QueryError(f"an IRI of this query's prologue or dataset clause cannot be resolved: {exc}")


@cache
def language() -> Language:
    """Return tree-sitter's SPARQL grammar."""
    with warnings.catch_warnings():  # the grammar package hands its language over as an int
        warnings.simplefilter("ignore", DeprecationWarning)
        return Language(tree_sitter_sparql.language())


@cache
def _tree_sitter() -> tuple[Parser, TreeQuery]:
    """Return the SPARQL parser and the tree query that finds SERVICE and dataset clauses."""
    finder = TreeQuery(
        language(),
        "(service_graph_pattern) @service (dataset_clause) @dataset "
        "(string) @opaque (iri_reference) @opaque (comment) @opaque",
    )
    return Parser(language()), finder


def tree_plan(text: str, base: str) -> QueryPlan | None:
    """Decide on tree-sitter's parse tree, or return None when rdflib must decide.

    None for anything but a plain query without error nodes, and for a dataset clause it cannot
    resolve; a SERVICE anywhere in the tree is refused here, with the same message as rdflib's.
    """
    parser, finder = _tree_sitter()
    data = text.encode("utf-8")
    root = parser.parse(data).root_node
    if root.has_error or data[: root.start_byte].strip() or data[root.end_byte :].strip():
        return None  # an error node, or text outside the tree
    forms = [child for child in root.named_children if child.type not in _TREE_AROUND]
    if len(forms) != 1 or forms[0].type not in _TREE_FORMS:
        return None
    form = forms[0]
    found = QueryCursor(finder).captures(root)
    if _opaque_spans(data) != sorted((n.start_byte, n.end_byte) for n in found.get("opaque", [])):
        return None  # the two lexers disagree on where a string, IRI or comment ends
    if found.get("service"):
        raise QueryError(_SERVICE)
    clauses = found.get("dataset", [])
    if not clauses:
        return QueryPlan(text, _TREE_FORMS[form.type], (), (), root)
    if any(clause.parent != form for clause in clauses):
        return None
    resolved = _tree_prologue(root, base)
    if resolved is None:
        return None
    current, prefixes = resolved
    default: list[str] = []
    named: list[str] = []
    for clause in clauses:
        graph = clause.named_children[0] if clause.named_child_count == 1 else None
        selector = graph.child_by_field_name("source_selector") if graph is not None else None
        iri = _tree_iri(selector, current, prefixes) if selector is not None else None
        if graph is None or iri is None:
            return None
        (named if graph.type == "named_graph_clause" else default).append(iri)
    return QueryPlan(text, _TREE_FORMS[form.type], tuple(default), tuple(named), root)


def _opaque_spans(data: bytes) -> list[tuple[int, int]]:
    """Return where SPARQL's own lexer (§19.8) puts every string, IRI and comment of a query.

    tree-sitter's grammar is decided on only where its strings, IRIs and comments are exactly
    these: then no text it skips as opaque can be read as a keyword by the engine, nor the other
    way round. Where the two disagree, rdflib decides.
    """
    tokens = _OPAQUE_BYTES.finditer(data)
    return [match.span() for match in tokens if len(match.group()) > 1 or match.group() == b"#"]


def _tree_prologue(root: Node, base: str) -> tuple[str, dict[str, str]] | None:
    """Return the base IRI and prefixes a query's prologue declares (as rdflib reads them)."""
    prefixes: dict[str, str] = {}
    for prologue in (child for child in root.named_children if child.type == "prologue"):
        for declaration in prologue.named_children:
            written = declaration.named_children[-1] if declaration.named_child_count else None
            if written is None or written.type != "iri_reference":
                return None
            iri = _text(written)[1:-1]
            if declaration.type == "base_declaration":
                base = iri  # rdflib takes BASE as written
            elif declaration.type == "prefix_declaration" and declaration.named_child_count == 2:
                prefixes[_text(declaration.named_children[0]).removesuffix(":")] = _absolute(iri, base)
            elif declaration.type != "comment":
                return None
    return base, prefixes


def _tree_iri(node: Node, base: str, prefixes: dict[str, str]) -> str | None:
    """Return the IRI an ``iri_reference`` or ``prefixed_name`` node names, or None if unsure."""
    if node.type == "iri_reference":
        return _absolute(_text(node)[1:-1], base)
    if node.type != "prefixed_name":
        return None
    prefix, _, local = _text(node).partition(":")
    if prefix not in prefixes or "\\" in local:  # rdflib keeps a local name's escapes as written
        return None
    return prefixes[prefix] + local


def _absolute(iri: str, base: str) -> str:
    """Resolve an IRI as rdflib's prologue does: one with a colon is kept as written."""
    if ":" in iri:
        return iri
    try:
        resolved = urljoin(base, iri, allow_fragments=True)
    except ValueError as exc:  # urljoin refuses an IRI such as <http://[x/>
        raise _unresolvable(exc) from None
    return resolved + "#" if iri.endswith("#") and not resolved.endswith("#") else resolved


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


def _parse(text: str) -> ParseResults:
    """Parse with rdflib's SPARQL 1.1 grammar; say 'read-only' for an update, fail closed otherwise."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

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
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except (ParseBaseException, RecursionError, ValueError, TypeError):
        return False
    return True


def _nodes(value: object) -> Iterator[CompValue]:
    """Yield every CompValue of a parse tree, depth first (subqueries, EXISTS and all)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

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
