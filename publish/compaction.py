"""JSON-LD 1.1 compaction of triples against our own kind of context, without a JSON-LD processor.

The steps of the JSON-LD 1.1 compaction algorithm (term selection through the inverse context,
IRI compaction, value compaction, language maps) for the only contexts klyngedata writes (see
:func:`publish.exports.make_context`): ``@version``, the ``id``/``type`` aliases, prefixes, and
terms with an ``@id`` and at most an ``@type`` (``@id`` or a datatype) or an ``@container``
(``@language``). The result is the same, key for key and in the same order, as pyld's
``compact`` of the expanded triples (pyld sorts each node's properties; tests check the bytes
against pyld on every JSON-LD file of real and generated sites). Anything else (another keyword
in the context, a quoted triple, a directional or JSON literal, an IRI a prefix could be
confused with) raises :class:`UnsupportedError`, and the caller uses pyld.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .rdf import RDF_TYPE, XSD_STRING

_GEN_DELIM = re.compile(r".*[:/?#\[\]@]$", re.DOTALL)
_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
# The containers the compaction algorithm prefers, per kind of value (pyld's order).
_FOR_NODE: tuple[str, ...] = ("@id", "@id@set", "@type", "@set@type", "@set", "@none", "@index", "@index@set")
_FOR_LANGUAGE = ("@language", "@language@set", "@set", "@none", "@index", "@index@set")
_FOR_TYPED = ("@set", "@none", "@index", "@index@set")
_FOR_PLAIN = ("@set", "@none", "@index", "@index@set", "@language", "@language@set")
_FOR_NOTHING: tuple[str, ...] = ("@set", "@none")

Value = dict[str, str]


class UnsupportedError(Exception):
    """The context or the triples need more of JSON-LD than this module does."""


@dataclass(frozen=True, slots=True)
class _Term:
    iri: str
    prefix: bool = False  # usable as the prefix of a compact IRI
    type: str | None = None
    container: str = "@none"


class Compactor:
    """One context's terms and inverse context, and the compaction of triples with them."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.terms = _terms(context)
        self.prefixes = [(name, term.iri) for name, term in self.terms.items() if term.prefix]
        self.inverse = _inverse(self.terms)
        self._by_length = sorted(
            (len(name) - len(namespace), name, namespace) for name, namespace in self.prefixes
        )
        self._vocab: dict[str, str] = {}  # compacted IRIs, as properties or types
        self._ids: dict[str, str] = {}  # compacted IRIs, as nodes' ids
        self._terms: dict[tuple[object, ...], str] = {}

    def compact(self, triples: Sequence[ox.Triple]) -> dict[str, Any] | list[dict[str, Any]]:
        """Return the compacted nodes of sorted triples: one object, or a list of them."""
        nodes: dict[str, dict[str, list[Value]]] = {}
        for triple in triples:
            if isinstance(triple.object, ox.Triple):
                raise UnsupportedError("a quoted triple")
            node = nodes.setdefault(_id(triple.subject), {})
            node.setdefault(triple.predicate.value, []).append(_value(triple.object))
        compacted = [self._node(subject, properties) for subject, properties in nodes.items()]
        return compacted[0] if len(compacted) == 1 else compacted

    def _node(self, subject: str, properties: dict[str, list[Value]]) -> dict[str, Any]:
        element: dict[str, Any] = dict(properties)
        types = element.pop(RDF_TYPE, None)
        if types and all("@id" in value for value in types):
            element["@type"] = [value["@id"] for value in types]
        elif types:
            element[RDF_TYPE] = types
        element["@id"] = subject
        result: dict[str, Any] = {}
        for key, values in sorted(element.items()):
            if key == "@id":
                result[self.iri("@id")] = self.iri(values, vocab=False)
            elif key == "@type":
                for value in values:
                    _add(result, self.iri("@type"), self.iri(value))
            else:
                for value in values:
                    self._property(result, key, value)
        return result

    def _property(self, result: dict[str, Any], predicate: str, value: Value) -> None:
        name = self.term(predicate, value)
        term = self.terms.get(name)
        compacted = self._value(term, value)
        if term is not None and term.container == "@language":
            if isinstance(compacted, dict) and "@value" in compacted:
                compacted = compacted["@value"]
            _add(result.setdefault(name, {}), value.get("@language") or self.iri("@none"), compacted)
        else:
            _add(result, name, compacted)

    def _value(self, term: _Term | None, value: Value) -> str | Value:
        kind = term.type if term else None
        if "@id" in value:
            iri = self.iri(value["@id"], vocab=False)
            return iri if kind == "@id" else {self.iri("@id"): iri}
        if "@type" in value and value["@type"] == kind:
            return value["@value"]
        if len(value) == 1:
            return value["@value"]
        if "@type" in value:
            return {self.iri("@type"): self.iri(value["@type"]), self.iri("@value"): value["@value"]}
        return {self.iri("@language"): value["@language"], self.iri("@value"): value["@value"]}

    def term(self, iri: str, value: Value | None) -> str:
        """Return the term, compact IRI or IRI a property (or a type, without value) is written as."""
        if iri not in self.inverse:
            return self.iri(iri)
        key = (iri, self._signature(value))
        if key in self._terms:
            return self._terms[key]
        self._terms[key] = found = self._term(iri, value)
        return found

    def _signature(self, value: Value | None) -> tuple[str, str]:
        """Return what term selection looks at in a value: its kind, and language or datatype."""
        if value is None:
            return ("", "")
        if "@id" in value:
            if value["@id"] not in self.inverse:  # no term has the IRI: none can be its term
                return ("@id", "")
            term = self.terms.get(self.iri(value["@id"]))
            return ("@id", "term" if term is not None and term.iri == value["@id"] else "")
        if "@language" in value:
            return ("@language", value["@language"])
        return ("@type", value.get("@type", ""))

    def _term(self, iri: str, value: Value | None) -> str:
        if iri in self.inverse:
            if value is None:
                containers, kind, preferred = _FOR_NOTHING, "@type", "@id"
            elif "@id" in value:
                containers, kind, preferred = _FOR_NODE, "@type", "@id"
            elif "@language" in value:
                containers, kind, preferred = _FOR_LANGUAGE, "@language", value["@language"]
            elif "@type" in value:
                containers, kind, preferred = _FOR_TYPED, "@type", value["@type"]
            else:
                containers, kind, preferred = _FOR_PLAIN, "@language", "@null"
            found = self._select(iri, value, containers, kind, preferred)
            if found is not None:
                return found
        return self._curie(iri)

    def _select(
        self, iri: str, value: Value | None, containers: Sequence[str], kind: str, preferred: str
    ) -> str | None:
        if preferred == "@id" and value is not None and "@id" in value:
            name = self.iri(value["@id"])
            term = self.terms.get(name)
            prefs = ["@vocab", "@id"] if term is not None and term.iri == value["@id"] else ["@id", "@vocab"]
        else:
            prefs = [preferred]
            if "_" in preferred:
                prefs.append("_" + preferred.split("_")[-1])
        prefs.append("@none")
        entries = self.inverse[iri]
        for container in containers:
            if container in entries:
                choices = entries[container][kind]
                for pref in prefs:
                    if pref in choices:
                        return choices[pref]
        return None

    def iri(self, iri: str, *, vocab: bool = True) -> str:
        """Return an IRI or keyword compacted (vocab: as a property or type; else as a node's id)."""
        known = self._vocab if vocab else self._ids
        found = known.get(iri)
        if found is None:
            if len(known) >= 20_000:  # one compactor serves many documents: memory stays bounded
                known.clear()
            found = known[iri] = self._compact_iri(iri, vocab)
        return found

    def _compact_iri(self, iri: str, vocab: bool) -> str:
        if iri.startswith("@"):
            alias = self.inverse.get(iri, {}).get("@none", {}).get("@type", {}).get("@none")
            if alias:
                return alias
        if iri in self.inverse:
            return self._term(iri, None) if vocab else self._curie(iri)
        # No term has this IRI: as a property or type, as a node's id alike, its compact IRI.
        return (self._ids if vocab else self._vocab).get(iri) or self._curie(iri)

    def _curie(self, iri: str) -> str:
        # The shortest compact IRI, the first in code-point order among as short ones: prefixes
        # are tried by the length they add (len(name) - len(namespace)), least first.
        candidate: str | None = None
        shortest = 0
        for added, name, namespace in self._by_length:
            if candidate is not None and added > shortest:
                break
            if namespace != iri and iri.startswith(namespace):
                curie = f"{name}:{iri[len(namespace) :]}"
                if candidate is None or curie < candidate:
                    candidate, shortest = curie, added
        if candidate is not None:
            return candidate
        if any(iri.startswith(name + ":") for name, _ in self.prefixes):
            raise UnsupportedError(f"the IRI {iri} could be read as a compact IRI")
        return iri


def _terms(context: Mapping[str, Any]) -> dict[str, _Term]:
    """Return the term definitions of a context, as a JSON-LD 1.1 processor defines them."""
    terms: dict[str, _Term] = {}
    names = set(context)
    for name, definition in context.items():
        if name == "@version" and definition == 1.1:
            continue
        if name.startswith("@") or ":" in name or "/" in name or not name:
            raise UnsupportedError(f"the context entry {name!r}")
        if definition in ("@id", "@type"):
            terms[name] = _Term(definition)
        elif isinstance(definition, str) and not definition.startswith(("@", "_:")):
            iri = _expand(definition, terms, names)
            terms[name] = _Term(iri, prefix=bool(_GEN_DELIM.match(iri)))
        elif isinstance(definition, dict) and set(definition) <= {"@id", "@type", "@container"}:
            kind = definition.get("@type")
            container = definition.get("@container", "@none")
            if container not in ("@none", "@language") or (
                kind is not None and kind.startswith("@") and kind != "@id"
            ):
                raise UnsupportedError(f"the term definition of {name!r}")
            terms[name] = _Term(
                _expand(definition["@id"], terms, names),
                type=None if kind is None else kind if kind == "@id" else _expand(kind, terms, names),
                container=container,
            )
        else:
            raise UnsupportedError(f"the term definition of {name!r}")
    return terms


def _expand(reference: str, terms: Mapping[str, _Term], names: set[str]) -> str:
    prefix, colon, local = reference.partition(":")
    if not colon or reference.startswith("@"):
        raise UnsupportedError(f"the relative or keyword IRI {reference!r} in the context")
    if prefix == "_" or local.startswith("//") or prefix not in names:
        return reference
    if prefix not in terms:  # defined further on: a processor would define it first
        raise UnsupportedError(f"the compact IRI {reference!r} uses a prefix defined after it")
    return terms[prefix].iri + local


def _inverse(terms: Mapping[str, _Term]) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """Return the inverse context: per IRI and container, the preferred term per type or language."""
    inverse: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for name, term in sorted(terms.items(), key=lambda item: (len(item[0]), item[0])):
        entry = inverse.setdefault(term.iri, {}).setdefault(
            term.container, {"@language": {}, "@type": {}, "@any": {}}
        )
        entry["@any"].setdefault("@none", name)
        if term.type is not None:
            entry["@type"].setdefault(term.type, name)
        else:
            entry["@language"].setdefault("@none", name)
            entry["@type"].setdefault("@none", name)
    return inverse


def _id(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    raise UnsupportedError("a quoted triple")


def _value(term: object) -> Value:
    if isinstance(term, ox.Literal):
        if getattr(term, "direction", None) or term.datatype.value == _JSON:
            raise UnsupportedError("a directional or JSON literal")
        if term.language:
            return {"@language": term.language.lower(), "@value": term.value}
        if term.datatype.value == XSD_STRING:
            return {"@value": term.value}
        return {"@type": term.datatype.value, "@value": term.value}
    return {"@id": _id(term)}


def _add(result: dict[str, Any], key: str, value: object) -> None:
    """Add a value as pyld's add_value does: a single value, then an array of them."""
    if key not in result:
        result[key] = value
    elif isinstance(result[key], list):
        result[key].append(value)
    else:
        result[key] = [result[key], value]
