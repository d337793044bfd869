"""Named SPARQL queries shipped with the package, and running a query over a quad store."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .errors import QueryError, UsageError
from .rdf import XSD
from .uris import Uris

if TYPE_CHECKING:  # the guard (tree-sitter, rdflib) is imported only where a query runs
    from .guard import QueryPlan

_HEADER = re.compile(r"^#\s*(param):\s*(.+)$")
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
# The kind of the parameter that chooses the language of an answer's labels and texts (``?lang``).
# The query files read it as ``COALESCE(?lang, "da")``, so unbound they answer in the primary
# language (the example); the page and the CLI bind another language with a VALUES clause in the
# text (pyoxigraph binds by substitution only variables the SELECT projects, and ?lang is not one).
LANGUAGE = "language"
# What a parameter of each kind accepts, said to whoever typed something else.
EXPECTED = {
    "iri": "a slug (energiteknologi), a label (Energiteknologi, Energy technology) or a full IRI",
    "xsd:date": "a date as YYYY-MM-DD (e.g. 2021-06-01)",
    LANGUAGE: "a language code such as da or en",
}
# Turns what a user typed for an ``iri`` parameter (a slug, a label) into an IRI, or raises a
# UsageError; given by whoever holds the dataset (publish.query).
Resolver = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Param:
    """A variable a named query takes: name, kind (``iri``, ``language``, an xsd datatype), need, example."""

    name: str
    kind: str
    required: bool
    example: str = ""


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query file of ``publish/queries``: its name (the file's), parameters and text.

    Its title and description are interface text, in each language's message file
    (``[queries.<name>]``): see :func:`heading`.
    """

    name: str
    params: tuple[Param, ...]
    text: str


# An IRIREF token of SPARQL (grammar rule 139). Used only on our own query files, to write the
# relative IRIs they hold as absolute ones; never to judge a query someone sent.
_IRIREF = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")


def portable_text(query: NamedQuery, *, base: str) -> str:
    """Return the query text with every IRI absolute (resolved against ``base``).

    Our query files hold relative IRIs (``PREFIX kd: <ontology#>``, ``FROM <graph/data>``) so the
    project rebases with one setting; the text we show and run has none, so it runs verbatim in
    any SPARQL 1.1 store loaded from the dump, whatever that store's own base IRI.
    """
    uris = Uris(base)
    return _IRIREF.sub(lambda match: f"<{uris.resolve(match.group(1))}>", query.text)


def named_queries() -> dict[str, NamedQuery]:
    """Return the shipped named queries by name, sorted."""
    folder = resources.files("publish") / "queries"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            query = _parse(entry.name.removesuffix(".rq"), entry.read_text(encoding="utf-8"))
            found[query.name] = query
    return found


def heading(query: NamedQuery, text: Mapping[str, Any]) -> tuple[str, str]:
    """Return a named query's title and description from one language's message table."""
    found = text["queries"].get(query.name, {})
    return str(found.get("title", query.name)), str(found.get("description", ""))


def listing(query: NamedQuery, text: Mapping[str, Any], *, base: str, lang: str | None = None) -> str:
    """Return a named query ready to run anywhere, headed by its title and description as comments.

    Its answer is in ``lang`` (default: the primary language, the language parameter's example).
    """
    title, description = heading(query, text)
    return f"# title: {title}\n# description: {description}\n" + with_examples(query, base=base, lang=lang)


def _parse(name: str, text: str) -> NamedQuery:
    params = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            words = value.split()
            pname, kind, need = (words + ["optional"])[:3]
            example = next((w.removeprefix("example=") for w in words if w.startswith("example=")), "")
            params.append(Param(pname, kind, need == "required", example))
    return NamedQuery(name, tuple(params), text)


def with_examples(query: NamedQuery, *, base: str, lang: str | None = None) -> str:
    """Return the query text with a VALUES clause binding each required parameter to its example.

    The language parameter is bound to ``lang`` when that is not its example (the primary
    language, which the query answers in unbound). The clause goes right after the first
    ``WHERE {`` of our own query files, so the text runs as it is on any SPARQL endpoint (the
    query page prefills its forms with it).
    """
    clauses = []
    for param in query.params:
        if param.required and param.example:
            term = bindings(query, {param.name: param.example}, base=base)[ox.Variable(param.name)]
            clauses.append(f"VALUES ?{param.name} {{ {term} }}")
    return _with_values(portable_text(query, base=base), clauses + language_values(query, lang))


def language_values(query: NamedQuery, lang: str | None) -> list[str]:
    """Return the VALUES clause binding the query's language parameter to ``lang``, if it needs one."""
    return [
        f"VALUES ?{param.name} {{ {ox.Literal(lang)} }}"
        for param in query.params
        if param.kind == LANGUAGE and lang and lang != param.example
    ]


def with_language(query: NamedQuery, lang: str | None, *, base: str) -> str:
    """Return the query text, absolute, answering in ``lang`` (the CLI runs this one)."""
    return _with_values(portable_text(query, base=base), language_values(query, lang))


def _with_values(text: str, clauses: list[str]) -> str:
    """Return ``text`` with ``clauses`` inserted right after its first ``WHERE {``."""
    if not clauses:
        return text
    match = re.search(r"WHERE\s*\{", text, re.IGNORECASE)
    if match is None:
        return text
    inserted = "".join(f"\n    {clause}" for clause in clauses)
    return text[: match.end()] + inserted + text[match.end() :]


def get_named(name: str) -> NamedQuery:
    """Return one named query, or raise a UsageError listing the names there are."""
    queries = named_queries()
    if name not in queries:
        raise UsageError(f"no named query {name!r}; choose one of: {', '.join(queries)}")
    return queries[name]


def bindings(
    query: NamedQuery, values: dict[str, str], *, base: str, resolve: Resolver | None = None
) -> dict[ox.Variable, Term]:
    """Turn ``name=value`` strings into typed RDF terms for the query's parameters.

    An ``iri`` parameter takes a full IRI (``<…>`` too); anything else goes to ``resolve`` (a
    slug, a label), and without one is refused. The language parameter is checked, not bound
    here: see :func:`language_values`.
    """
    known = {param.name: param for param in query.params}
    for name in values:
        if name not in known:
            raise UsageError(
                f"query {query.name!r} has no parameter {name!r}; it takes: {', '.join(known) or 'none'}"
            )
    result: dict[ox.Variable, Term] = {}
    for param in query.params:
        if param.name not in values:
            if param.required:
                raise UsageError(
                    f"query {query.name!r} needs the parameter {param.name}=…  ({param.kind})",
                    parameter="params",
                )
            continue
        term = _term(query, param, values[param.name], resolve, base=base)
        if param.kind != LANGUAGE:  # checked, but bound in the text (see LANGUAGE)
            result[ox.Variable(param.name)] = term
    return result


def _term(query: NamedQuery, param: Param, value: str, resolve: Resolver | None, *, base: str) -> Term:
    """Return one parameter value as an RDF term, or raise a UsageError naming the parameter."""
    text = value.strip()
    if param.kind == "iri":
        bare = text.removeprefix("<").removesuffix(">")
        if _ABSOLUTE_IRI.fullmatch(bare) and (resolve is None or not bare.startswith(base)):
            return ox.NamedNode(bare)  # another dataset's IRI: taken as it is
        if resolve is None or not text:
            raise refused(query, param, value)
        try:  # one of ours (checked to be in the dataset), a slug or a label
            return ox.NamedNode(resolve(bare))
        except UsageError as exc:
            raise refused(query, param, value, exc.message) from None
    if param.kind == LANGUAGE:
        if not re.fullmatch(r"[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*", text):
            raise refused(query, param, value)
        return ox.Literal(text.lower())
    if param.kind == "xsd:date" and not _is_iso_date(text):
        raise refused(query, param, value)
    return ox.Literal(text, datatype=ox.NamedNode(XSD + param.kind.removeprefix("xsd:")))


# An absolute IRI: a scheme, then no character an IRIREF forbids (SPARQL grammar rule 139).
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]+")


def refused(query: NamedQuery, param: Param, value: str, why: str = "") -> UsageError:
    """Return the UsageError for a value a parameter does not take: what it takes, and why not."""
    expected = EXPECTED.get(param.kind, f"a value of type {param.kind}")
    reason = f" ({why})" if why else ""
    return UsageError(
        f"parameter {param.name!r} of query {query.name!r} takes {expected}; got {value!r}{reason}",
        parameter="params",
    )


def _is_iso_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def select(
    store: ox.Store,
    text: str,
    *,
    base: str,
    substitutions: dict[ox.Variable, Term] | None = None,
) -> list[dict[str, str]]:
    """Run a SELECT over the graphs its FROM clauses name (as our named queries do); return rows.

    Rows hold lexical values. The store's default graph is used as it is: pyoxigraph's union
    flag would override the query's FROM, so it is not set here.
    """
    try:
        solutions = store.query(text, base_iri=base, substitutions=substitutions or {})
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [variable.value for variable in solutions.variables]
    return [
        {name: term.value for name in names if (term := solution[name]) is not None} for solution in solutions
    ]


# ---------------------------------------------------------------- running and formatting


class NotAdmittedError(Exception):
    """A checked query that the caller's ``admit`` turned away (it runs elsewhere)."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The answer of one query, capped: rows for SELECT, a boolean for ASK, triples for graphs."""

    form: str
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[ox.Triple, ...] = ()
    truncated: bool = False


def run_query(
    store: ox.Store,
    text: str,
    *,
    base: str,
    max_rows: int,
    allowed_graphs: frozenset[str],
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
    substitutions: dict[ox.Variable, Term] | None = None,
    max_length: int | None = None,
    max_depth: int | None = None,
    admit: Callable[[QueryPlan], bool] | None = None,
) -> QueryResult:
    """Check and run a query; keep at most ``max_rows`` rows or triples (and say so).

    The guard decides from the parse tree what the query may do; the engine runs the exact
    canonical text the guard checked. ``max_length`` and ``max_depth`` default to the guard's.
    With ``admit``, a checked query runs only if ``admit`` says yes of its plan; else NotAdmittedError.
    """
    # Imported here: listing and binding named queries (``query --list``) need no parser.
    from .guard import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, check_query

    max_length = DEFAULT_MAX_LENGTH if max_length is None else max_length
    max_depth = DEFAULT_MAX_DEPTH if max_depth is None else max_depth
    plan = check_query(
        text, base=base, allowed_graphs=allowed_graphs, max_length=max_length, max_depth=max_depth
    )
    if admit is not None and not admit(plan):
        raise NotAdmittedError
    text = plan.text
    for graph in default_graphs + named_graphs:
        if graph not in allowed_graphs:
            raise QueryError(f"{graph} is not a graph of this dataset")
    dataset_args: dict[str, object] = {}
    if default_graphs or named_graphs:
        # The protocol's dataset is exactly its default-graph-uri and named-graph-uri: one kind
        # alone leaves the other part empty, and both replace the query's FROM / FROM NAMED
        # (SPARQL 1.1 Protocol §2.1.4).
        dataset_args["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        dataset_args["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    elif not (plan.default_graphs or plan.named_graphs):  # no dataset clause: the union
        dataset_args["use_default_graph_as_union"] = True
    try:
        answer = store.query(text, base_iri=base, substitutions=substitutions or {}, **dataset_args)  # type: ignore[arg-type]
        return _collect(answer, plan.form, max_rows)
    except SyntaxError as exc:
        raise QueryError(_syntax_message(text, str(exc))) from None
    except PermissionError:
        # The worker's sandbox refused a socket: a query got past the guard and tried the network.
        raise QueryError(
            "the query tried to open a network connection, which this endpoint never does"
        ) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"the query failed: {exc}") from None


def _collect(
    answer: ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples, form: str, max_rows: int
) -> QueryResult:
    """Read an engine answer into a QueryResult of at most ``max_rows`` rows or triples."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form, boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = tuple(v.value for v in answer.variables)
        rows: list[tuple[Term | None, ...]] = []
        for solution in answer:
            if len(rows) == max_rows:
                return QueryResult(form, names, tuple(rows), truncated=True)
            rows.append(tuple(solution[name] for name in names))
        return QueryResult(form, names, tuple(rows))
    triples: list[ox.Triple] = []
    for triple in answer:
        if len(triples) == max_rows:
            return QueryResult(form, triples=tuple(triples), truncated=True)
        triples.append(triple)
    return QueryResult(form, triples=tuple(triples))


def _syntax_message(text: str, message: str) -> str:
    """Say where a query is wrong: line and column, the line itself, and a caret."""
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.S)
    if not match:
        return f"SPARQL syntax error: {message}"
    line, column, what = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = text.splitlines() or [""]
    shown = lines[min(line, len(lines)) - 1]
    return f"SPARQL syntax error at line {line}, column {column}: {what}\n  {shown}\n  {' ' * (column - 1)}^"


def graph_names(store: ox.Store) -> frozenset[str]:
    """Return the IRIs of the store's named graphs."""
    return frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
