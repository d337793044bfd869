"""RDF serialisations as bytes: Turtle, N-Triples, gzipped N-Quads, and compacted JSON-LD.

pyoxigraph writes the line formats and Turtle (fast at scale); :mod:`publish.compaction`
compacts JSON-LD against our own context (pyld, the reference processor, where it does not
apply). Every JSON-LD document carries the part
of that context it uses inline, so it reads offline and on any host, never needing a fetch.
Output is deterministic: triples are sorted, only prefixes we declare and use are written,
gzip carries no timestamp.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from . import compaction, jsontext
from .rdf import LANG_STRING, RDF_TYPE, XSD_STRING

_ALIASES = {"id": "@id", "type": "@type"}


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted(set(data.splitlines()))
    return b"".join(line + b"\n" for line in lines)


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """Serialise triples as N-Triples, one sorted line each."""
    return _sorted_lines(ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES) or b"")


def nquads_gz(quads: Iterable[ox.Quad]) -> bytes:
    """Serialise quads as sorted N-Quads, gzipped without a timestamp or file name."""
    body = _sorted_lines(ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b"")
    return gzip.compress(body, compresslevel=9, mtime=0)


def rdfxml(triples: Iterable[ox.Triple]) -> bytes:
    """Serialise triples as RDF/XML, in sorted order."""
    return ox.serialize(_ordered(triples), format=ox.RdfFormat.RDF_XML) or b""


_LAST_ORDERED: list[tuple[tuple[ox.Triple, ...], list[ox.Triple]]] = []


def _ordered(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Return the distinct triples sorted by their N-Triples text (the order every writer uses).

    Each document is written in several formats one after the other: the last order is kept
    with the triples it was made of, and given again for equal triples (not to be changed).
    """
    given = tuple(triples)
    if _LAST_ORDERED and _LAST_ORDERED[0][0] == given:
        return _LAST_ORDERED[0][1]
    ordered = sorted(set(given), key=str)
    _LAST_ORDERED[:] = [(given, ordered)]
    return ordered


def used_prefixes(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """Return the prefixes whose namespace some IRI of the triples starts with, in declared order."""
    iris: set[str] = set()
    add = iris.add
    for triple in triples:
        subject, obj = triple.subject, triple.object
        if isinstance(subject, ox.NamedNode):
            add(subject.value)
        add(triple.predicate.value)
        if isinstance(obj, ox.NamedNode):
            add(obj.value)
        elif isinstance(obj, ox.Literal):
            add(obj.datatype.value)
    used = _namespaces(tuple(prefixes.values())).of(iris)
    return {name: ns for name, ns in prefixes.items() if ns in used}


class _Namespaces:
    """Which of some namespaces each IRI starts with, remembered: the same IRIs recur in every document."""

    def __init__(self, namespaces: tuple[str, ...]) -> None:
        self.namespaces = namespaces
        self._of: dict[str, frozenset[str]] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct answer

    def of(self, iris: Iterable[str]) -> set[str]:
        """Return the namespaces that some of the IRIs start with."""
        found: set[str] = set()
        for iri in iris:
            known = self._of.get(iri)
            if known is None:
                if len(self._of) >= 5_000:  # bounded: memory must not grow with the data
                    self._of.clear()
                answer = frozenset(ns for ns in self.namespaces if iri.startswith(ns))
                known = self._of[iri] = self._sets.setdefault(answer, answer)
            found |= known
        return found


@lru_cache(maxsize=8)
def _namespaces(namespaces: tuple[str, ...]) -> _Namespaces:
    return _Namespaces(namespaces)


def turtle(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples as Turtle, grouped by subject in sorted order, with our used prefixes."""
    ordered = _ordered(triples)
    chosen = used_prefixes(ordered, prefixes)
    body = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=chosen) or b""
    # Write the prefix block ourselves, in our declared order, whatever order the writer uses.
    lines = body.split(b"\n")
    statements = b"\n".join(line for line in lines if not line.startswith(b"@prefix "))
    header = b"".join(f"@prefix {name}: <{ns}> .\n".encode() for name, ns in chosen.items())
    return header + (b"\n" if header else b"") + statements


def make_context(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, Any]:
    """Derive our JSON-LD context: every prefix, plus a short term for each predicate used.

    A term is the predicate's local name (``prefLabel``), or ``prefix_local`` when two
    vocabularies share the name or the name is taken (a prefix, or the ``id``/``type``
    aliases). Language-tagged values become language maps, IRI values ``@id``, and values of
    one datatype that datatype.
    """
    objects: dict[str, set[str]] = {}
    for triple in triples:
        if triple.predicate.value != RDF_TYPE:
            objects.setdefault(triple.predicate.value, set()).add(_kind(triple.object))
    names: dict[str, list[tuple[str, str]]] = {}
    for predicate in sorted(objects):
        compact = _compact(predicate, prefixes)
        if compact is None:
            continue
        prefix, local = compact
        names.setdefault(local, []).append((prefix, predicate))
    terms: dict[str, Any] = {}
    for local, owners in sorted(names.items()):
        for prefix, predicate in owners:
            # A term never shadows a prefix name ("source" stays the source: prefix) nor an
            # alias (dcterms:type is "dcterms_type"; "type" stays @type).
            unique = len(owners) == 1 and local not in prefixes and local not in _ALIASES
            term = local if unique else f"{prefix}_{local}"
            definition: dict[str, str] = {"@id": f"{prefix}:{local}"}
            kinds = objects[predicate]
            if kinds == {"@language"}:
                definition["@container"] = "@language"
            elif kinds == {"@id"}:
                definition["@type"] = "@id"
            elif len(kinds) == 1 and (kind := next(iter(kinds))) not in ("@string", "@bnode"):
                shortened = _compact(kind, prefixes)
                definition["@type"] = f"{shortened[0]}:{shortened[1]}" if shortened else kind
            terms[term] = definition
    return {"@context": {"@version": 1.1, **dict(prefixes), **_ALIASES, **terms}}


def _kind(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return "@id"
    if isinstance(term, ox.BlankNode):
        return "@bnode"
    assert isinstance(term, ox.Literal)
    if term.language:
        return "@language"
    if term.datatype.value == XSD_STRING:
        return "@string"
    return str(term.datatype.value)


def _compact(iri: str, prefixes: Mapping[str, str]) -> tuple[str, str] | None:
    best: tuple[str, str] | None = None
    for name, namespace in prefixes.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and local.replace("_", "a").replace("-", "a").isalnum():
            if best is None or len(local) < len(best[1]):
                best = (name, local)
    return best


def _no_remote(url: str, options: object = None) -> dict[str, Any]:
    raise ValueError(f"refusing to load a remote JSON-LD document: {url}")


def jsonld(triples: Sequence[ox.Triple], context: Mapping[str, Any], *, reference: bool = False) -> bytes:
    """Serialise triples as JSON-LD 1.1, compacted with ``context`` and carrying it inline.

    Only the part of the context the triples use is embedded (see ``used_context``), so the
    document expands to exactly its triples without loading anything, offline or on any host.
    :mod:`publish.compaction` compacts; where it does not cover the context or the triples, or
    with ``reference``, pyld (the reference JSON-LD processor) does, with the same result.
    """
    ordered = _ordered(triples)
    selection = _select(context["@context"], ordered)
    own = selection.own
    compacted: Any = None
    if not reference and selection.compactor is not None:
        with suppress(compaction.UnsupportedError):
            compacted = selection.compactor.compact(ordered)
    if compacted is None:
        compacted = _pyld_compact(ordered, own)
    if isinstance(compacted, list):
        compacted = {"@graph": compacted} if compacted else {}
    # An empty graph is an empty @graph: a bare context is an empty object readers drop and warn about.
    members = compacted or {"@graph": []}
    if "@context" in members:  # never from either compactor; written as json.dumps would
        return (jsontext.dumps({"@context": own, **members}) + "\n").encode("utf-8")
    # As jsontext.dumps({"@context": own, **members}), with the context's text written once.
    parts = ['{\n  "@context": ', selection.text]
    parts += [
        f",\n  {jsontext.member(key, 1)}: {jsontext.member(value, 1)}" for key, value in members.items()
    ]
    return ("".join(parts) + "\n}\n").encode("utf-8")


def _pyld_compact(ordered: Sequence[ox.Triple], own: Mapping[str, Any]) -> Any:
    """Return pyld's compaction of the triples: pyoxigraph writes them expanded, pyld compacts."""
    from pyld import jsonld as ld  # the reference JSON-LD processor

    expanded = json.loads(ox.serialize(ordered, format=ox.RdfFormat.JSON_LD) or b"[]")
    for node in expanded:
        types = node.pop(RDF_TYPE, None)
        if types and all("@id" in value for value in types):
            node["@type"] = [value["@id"] for value in types]
        elif types:
            node[RDF_TYPE] = types
    options = {"documentLoader": _no_remote, "compactArrays": True}
    # A copy: the context is shared by the documents that select the same entries.
    compacted = ld.compact(expanded, {"@context": copy.deepcopy(own)}, options)
    return {key: value for key, value in compacted.items() if key != "@context"}


def used_context(definitions: Mapping[str, Any], triples: Sequence[ox.Triple]) -> dict[str, Any]:
    """Return the entries of a context that the triples can use, in the context's order.

    Kept: ``@version`` and the keyword aliases; each term whose IRI occurs in the triples;
    each prefix whose namespace some IRI (or datatype) starts with, or that a kept term names.
    An entry that matches no IRI of the triples cannot take part in compacting them, so the
    document compacts as with the whole context, except that a prefix named like the scheme
    of one of its IRIs is left out (and spelled out in the terms that use it).
    """
    return dict(_select(definitions, triples).own)


class _Selection:
    """The entries of a context some documents use, and what compacting and writing them needs."""

    def __init__(self, own: dict[str, Any]) -> None:
        self.own = own
        self._compactor: compaction.Compactor | None | bool = False  # False: not read yet
        self._text = ""

    @property
    def compactor(self) -> compaction.Compactor | None:
        """Return the compactor of these entries (read once), None where it does not cover them."""
        if self._compactor is False:
            self._compactor = None
            with suppress(compaction.UnsupportedError):
                self._compactor = compaction.Compactor(self.own)
        return self._compactor  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """Return the entries as JSON text, as written one level deep in a document (written once)."""
        if not self._text:
            self._text = jsontext.member(self.own, 1)
        return self._text


class _Context:
    """A context read once: its prefixes, its term names by IRI, and the selections made of it."""

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.definitions = definitions
        self.prefixes = {
            name: value
            for name, value in definitions.items()
            if isinstance(value, str) and not name.startswith("@") and not value.startswith("@")
        }
        self.by_iri: dict[str, list[str]] = {}
        for name, value in definitions.items():
            if isinstance(value, dict):
                self.by_iri.setdefault(_expand(value["@id"], self.prefixes), []).append(name)
        # The names a scheme of the triples can change anything for: prefixes, and the prefixes
        # of the compact IRIs in term definitions (spelled out when left out).
        self.scheme_names = set(self.prefixes) | {
            ref.partition(":")[0]
            for value in definitions.values()
            if isinstance(value, dict)
            for ref in value.values()
            if isinstance(ref, str)
        }
        self.namespaces = _namespaces(tuple(self.prefixes.values()))
        self.selections: dict[tuple[frozenset[str], ...], _Selection] = {}

    def select(self, iris: set[str]) -> _Selection:
        """Return the selection for the IRIs a document writes, made once per distinct outcome."""
        # <area:x> (no "//") is an absolute IRI of scheme "area": a prefix "area" would make it
        # read as a compact IRI (pyld refuses: "IRI confused with prefix"), so it is left out.
        schemes = set()
        for iri in iris:
            scheme, _, rest = iri.partition(":")
            if not rest.startswith("//"):
                schemes.add(scheme)
        by_iri = self.by_iri
        names = frozenset(name for iri in iris if iri in by_iri for name in by_iri[iri])
        used = frozenset(self.namespaces.of(iris))
        left_out = frozenset(schemes & self.scheme_names)
        key = (names, used, left_out)
        found = self.selections.get(key)
        if found is None:
            if len(self.selections) >= 128:
                self.selections.clear()
            found = self.selections[key] = _Selection(self._own(names, used, left_out))
        return found

    def _own(self, names: frozenset[str], used: frozenset[str], left_out: frozenset[str]) -> dict[str, Any]:
        definitions, prefixes = self.definitions, self.prefixes
        terms = {name: _spell_out(definitions[name], prefixes, left_out) for name in names}
        named = {ref.split(":", 1)[0] for value in terms.values() for ref in value.values()}
        kept = {
            name
            for name, namespace in prefixes.items()
            if name not in left_out and (name in named or namespace in used)
        }
        return {
            name: terms.get(name, value)
            for name, value in definitions.items()
            if name.startswith("@") or name in _ALIASES or name in terms or name in kept
        }


_READ: dict[int, _Context] = {}


def _select(definitions: Mapping[str, Any], triples: Sequence[ox.Triple]) -> _Selection:
    """Return the selection of a context's entries that the triples can use.

    The build passes one context for thousands of documents: it is read once, and each distinct
    selection made once; the last few contexts are kept, each with the context itself (so its
    ``id`` cannot be taken by another object meanwhile).
    """
    read = _READ.get(id(definitions))
    if read is None or read.definitions is not definitions:
        if len(_READ) >= 4:
            _READ.clear()
        read = _READ[id(definitions)] = _Context(definitions)
    return read.select(_written_iris(triples))


def _spell_out(
    definition: Mapping[str, str], prefixes: Mapping[str, str], left_out: frozenset[str]
) -> dict[str, str]:
    """Return a term definition with the compact IRIs of left-out prefixes written in full."""
    return {
        key: _expand(ref, prefixes) if ref.partition(":")[0] in left_out else ref
        for key, ref in definition.items()
    }


def _written_iris(triples: Sequence[ox.Triple]) -> set[str]:
    """Return the IRIs a compacted document of the triples spells out, keys and values alike."""
    iris: set[str] = set()
    add = iris.add
    for triple in triples:
        subject, obj = triple.subject, triple.object
        if isinstance(subject, ox.NamedNode):
            add(subject.value)
        if isinstance(obj, ox.Literal):
            add(triple.predicate.value)  # rdf:type too: a literal type is written under its IRI
            # A plain or a language-tagged string is written without its datatype.
            datatype = obj.datatype.value
            if datatype != XSD_STRING and datatype != LANG_STRING:
                add(datatype)
            continue
        if isinstance(obj, ox.NamedNode):
            add(obj.value)
        predicate = triple.predicate.value
        if predicate != RDF_TYPE:  # otherwise written as "type" (@type)
            add(predicate)
    return iris


def _expand(reference: str, prefixes: Mapping[str, str]) -> str:
    prefix, _, local = reference.partition(":")
    return prefixes[prefix] + local if prefix in prefixes else reference
