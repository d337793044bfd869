"""An upper bound on what a query can cost, read from its parse tree and the store's counts.

The server answers a query in its own process (publish/lane.py) only when this bound says it is
cheap; everything else goes to the worker processes, which can be stopped (publish/workers.py).
The bound is decided on tree-sitter's parse tree of the checked query (publish/guard.py), never
on the text, and only for a narrow class of queries whose cost it can bound soundly:

* SELECT and ASK queries built of basic graph patterns, OPTIONAL, UNION, MINUS, GRAPH, FILTER
  (with EXISTS and NOT EXISTS), BIND, VALUES, sub-selects, grouping and slicing (no ORDER BY);
* a predicate is a variable, ``a`` or one IRI: no property path, no collection, no blank-node
  property list, no FROM, no SERVICE.

For such a query the engine never holds or visits more solutions than the product, over its
triple patterns, of the quads each pattern matches on its own (a join, an OPTIONAL, a MINUS or
an EXISTS meets each pair at most once; a union is at most the product when each factor is at
least 1), times the rows of each VALUES block and the graphs of each GRAPH; and each solution is
worked on by each part of the query at most a few times. So the bound is that product times the
number of nodes in the tree. What a pattern can match is read from counts made once per store:
the fewest quads any IRI it binds appears in at its place (a literal, or an IRI the bound cannot
resolve with certainty, counts as a variable, which can only raise the bound).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
from tree_sitter import Node, QueryCursor
from tree_sitter import Query as TreeQuery

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Every kind of node a query in the class may hold (tree-sitter-sparql's named node types).
# ORDER BY is left out: pyoxigraph 0.5.13's sort panics on some mixes of terms ("user-provided
# comparison function does not correctly implement a total order") and a panic aborts the
# process; in a worker that ends one worker, in the server it would end the server.
_ALLOWED = frozenset(
    """
    add aggregate anon arg_list ask_query base_declaration binary_expression bind blank_node_label
    boolean_literal bracketted_expression build_in_function comment data_block decimal double echar
    exists_func expression_list filter graph_graph_pattern group_clause group_condition
    group_graph_pattern group_or_union_graph_pattern having_clause having_condition inline_data
    integer iri_reference lang_tag limit_clause limit_offset_clauses minus_graph_pattern namespace
    nil not_exists_func object_list offset_clause optional_graph_pattern
    path_element pn_local pn_prefix prefix_declaration prefixed_name prologue
    property property_list rdf_literal regex_expression select_clause select_query
    solution_modifier string sub_select substring_expression
    triples_block triples_same_subject unary_expression unit values_clause var where_clause
    """.split()
)
# The built-in functions a query in the class may call: none makes a string longer than its
# arguments (CONCAT, REPLACE, ENCODE_FOR_URI, UCASE, LCASE and GROUP_CONCAT do, and chained
# through BIND they grow without bound), nor calls out (extension functions are left out).
_FUNCTIONS = frozenset(
    """
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND STRLEN STRSTARTS
    STRENDS CONTAINS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID
    STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK
    ISLITERAL ISNUMERIC COUNT SUM MIN MAX AVG SAMPLE
    """.split()
)
# An absolute IRI whose path has no dot segment: the engine resolves it to itself.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$|[?#])")


@dataclass(frozen=True, slots=True)
class Counts:
    """How many quads of a store have each IRI as subject, as predicate and as object."""

    total: int
    subjects: dict[str, int]
    predicates: dict[str, int]
    objects: dict[str, int]

    @classmethod
    def of(cls, store: ox.Store) -> Counts:
        """Count a store's quads once, in the thread that asks (0.4 s of CPU at 100k quads)."""
        subjects: Counter[str] = Counter()
        predicates: Counter[str] = Counter()
        objects: Counter[str] = Counter()
        total = 0
        for quad in store:
            total += 1
            subjects[quad.subject.value] += 1
            predicates[quad.predicate.value] += 1
            if isinstance(quad.object, ox.NamedNode):
                objects[quad.object.value] += 1
        return cls(total, dict(subjects), dict(predicates), dict(objects))

    def at_most(self, subject: str | None, predicate: str | None, obj: str | None) -> int:
        """The most quads a pattern with these IRIs bound (None: a variable) can match."""
        most = self.total
        for iri, counted in ((subject, self.subjects), (predicate, self.predicates), (obj, self.objects)):
            if iri is not None:
                most = min(most, counted.get(iri, 0))
        return most


def bound(root: Node, counts: Counts, *, budget: int, graphs: int) -> int | None:
    """Return an upper bound on the work of the query under ``root``, or None when it is outside
    the class above or the bound passes ``budget``; ``graphs`` is how many graphs the store has."""
    found = QueryCursor(_finder()).captures(root)
    if "deny" in found:
        return None
    if any(call.children[0].type.upper() not in _FUNCTIONS for call in found.get("call", ())):
        return None
    total: int = max(1, root.descendant_count)
    for block in found.get("values", ()):
        total *= max(1, block.child_count)  # at least as many tokens as rows
    total *= max(1, graphs) ** len(found.get("graph", ()))
    if total > budget:
        return None
    prefixes = _prefixes(root)
    for triples in found.get("triples", ()):
        for subject, verb, obj in _patterns(triples):
            most = counts.at_most(_iri(subject, prefixes), _iri(verb, prefixes), _iri(obj, prefixes))
            total *= max(1, most)
            if total > budget:
                return None
    return total


@cache
def _finder() -> TreeQuery:
    """The tree query that finds what the bound reads, and any node outside the class."""
    from .guard import language

    grammar = language()
    named = {
        name
        for kind in range(grammar.node_kind_count)
        if grammar.node_kind_is_named(kind)
        and grammar.node_kind_is_visible(kind)
        and (name := grammar.node_kind_for_id(kind)) is not None
    }
    denied = " ".join(f"({kind})" for kind in sorted(named - _ALLOWED))
    return TreeQuery(
        language(),
        f"[{denied}] @deny (triples_same_subject) @triples (data_block) @values "
        "(graph_graph_pattern) @graph (build_in_function) @call (aggregate) @call",
    )


def _patterns(triples: Node) -> Iterator[tuple[Node, Node, Node]]:
    """The (subject, predicate, object) nodes of a ``triples_same_subject``."""
    subject, *lists = triples.named_children
    for plist in lists:
        for prop in plist.named_children:
            verb, *objects = prop.named_children
            for obj in (o for found in objects for o in found.named_children):
                yield subject, verb, obj


def _prefixes(root: Node) -> dict[str, str]:
    """The prefixes the prologue declares with an absolute IRI (others are left unresolved)."""
    found: dict[str, str] = {}
    for prologue in (child for child in root.named_children if child.type == "prologue"):
        for declaration in prologue.named_children:
            if declaration.type == "prefix_declaration" and declaration.named_child_count == 2:
                name, written = declaration.named_children
                iri = _text(written)[1:-1]
                if _ABSOLUTE.fullmatch(iri) and not _DOT_SEGMENT.search(iri):
                    found[_text(name).removesuffix(":")] = iri
    return found


def _iri(node: Node, prefixes: dict[str, str]) -> str | None:
    """The IRI a term node names when it is certain, else None (counts as a variable)."""
    if node.type == "path_element":  # a predicate: one IRI, or the keyword ``a``
        inner = node.named_children
        if not inner:
            return RDF_TYPE if _text(node) == "a" else None
        return _iri(inner[0], prefixes) if len(inner) == 1 else None
    if node.type == "iri_reference":
        iri = _text(node)[1:-1]
    elif node.type == "prefixed_name":
        prefix, _, local = _text(node).partition(":")
        if prefix not in prefixes or "\\" in local or "%" in local:
            return None
        iri = prefixes[prefix] + local
    else:
        return None
    if not _ABSOLUTE.fullmatch(iri) or _DOT_SEGMENT.search(iri):
        return None
    return iri


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8")
