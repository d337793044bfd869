"""Named SPARQL queries shipped with the package, and running a query over a quad store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import pyoxigraph as ox

from .errors import QueryError, UsageError

_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.+)$")
_XSD = "http://www.w3.org/2001/XMLSchema#"
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True, slots=True)
class Param:
    """A variable a named query takes: its name, kind (``iri`` or an xsd datatype) and need."""

    name: str
    kind: str
    required: bool


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query file of ``publish/queries``: name, one-line title and description, parameters."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str


def named_queries() -> dict[str, NamedQuery]:
    """Return the shipped named queries by name, sorted."""
    folder = resources.files("publish") / "queries"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            query = _parse(entry.name.removesuffix(".rq"), entry.read_text(encoding="utf-8"))
            found[query.name] = query
    return found


def _parse(name: str, text: str) -> NamedQuery:
    fields: dict[str, str] = {}
    params = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            pname, kind, need = (value.split() + ["optional"])[:3]
            params.append(Param(pname, kind, need == "required"))
        else:
            fields[key] = value.strip()
    return NamedQuery(name, fields.get("title", name), fields.get("description", ""), tuple(params), text)


def get_named(name: str) -> NamedQuery:
    """Return one named query, or raise a UsageError listing the names there are."""
    queries = named_queries()
    if name not in queries:
        raise UsageError(f"no named query {name!r}; choose one of: {', '.join(queries)}")
    return queries[name]


def bindings(query: NamedQuery, values: dict[str, str], *, base: str) -> dict[ox.Variable, Term]:
    """Turn ``name=value`` strings into typed RDF terms for the query's parameters."""
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
                raise UsageError(f"query {query.name!r} needs --param {param.name}=…  ({param.kind})")
            continue
        value = values[param.name]
        if param.kind == "iri":
            result[ox.Variable(param.name)] = ox.NamedNode(value if ":" in value else base + value)
        else:
            datatype = _XSD + param.kind.removeprefix("xsd:")
            result[ox.Variable(param.name)] = ox.Literal(value, datatype=ox.NamedNode(datatype))
    return result


def select(
    store: ox.Store,
    text: str,
    *,
    base: str,
    substitutions: dict[ox.Variable, Term] | None = None,
) -> list[dict[str, str]]:
    """Run a SELECT over the union of the store's graphs; return rows of lexical values."""
    try:
        solutions = store.query(
            text, base_iri=base, use_default_graph_as_union=True, substitutions=substitutions or {}
        )
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [variable.value for variable in solutions.variables]
    return [
        {name: term.value for name in names if (term := solution[name]) is not None} for solution in solutions
    ]
