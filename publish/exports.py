"""RDF serialisations as bytes: Turtle, N-Triples, gzipped N-Quads, and compacted JSON-LD.

pyoxigraph writes the line formats and Turtle (fast at scale); pyld, the reference JSON-LD
processor, converts and compacts JSON-LD against our own context. Output is deterministic:
triples are sorted, only prefixes we declare and use are written, gzip carries no timestamp.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


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
    return ox.serialize(sorted(set(triples), key=str), format=ox.RdfFormat.RDF_XML) or b""


def used_prefixes(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """Return the prefixes whose namespace some IRI of the triples starts with, in declared order."""
    iris = {
        term.value
        for triple in triples
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    iris |= {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
    used = {ns for ns in prefixes.values() for iri in iris if iri.startswith(ns)}
    return {name: ns for name, ns in prefixes.items() if ns in used}


def turtle(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples as Turtle, grouped by subject in sorted order, with our used prefixes."""
    ordered = sorted(set(triples), key=str)
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
    vocabularies share the name. Language-tagged values become language maps, IRI values
    ``@id``, and values of one datatype that datatype.
    """
    objects: dict[str, set[str]] = {}
    for triple in triples:
        if triple.predicate.value != _RDF_TYPE:
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
            # A term never shadows a prefix name: "source" stays the source: prefix.
            unique = len(owners) == 1 and local not in prefixes
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
    return {"@context": {"@version": 1.1, **dict(prefixes), "id": "@id", "type": "@type", **terms}}


def _kind(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return "@id"
    if isinstance(term, ox.BlankNode):
        return "@bnode"
    assert isinstance(term, ox.Literal)
    if term.language:
        return "@language"
    if term.datatype.value == _XSD_STRING:
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


def jsonld(triples: Sequence[ox.Triple], context: Mapping[str, Any], context_iri: str) -> bytes:
    """Serialise triples as JSON-LD 1.1 compacted with our context, which is referenced by IRI.

    pyoxigraph writes expanded JSON-LD (fast at scale); pyld compacts it.
    """
    from pyld import jsonld as ld  # the reference JSON-LD processor

    ordered = sorted(set(triples), key=str)
    expanded = json.loads(ox.serialize(ordered, format=ox.RdfFormat.JSON_LD) or b"[]")
    for node in expanded:
        types = node.pop(_RDF_TYPE, None)
        if types and all("@id" in value for value in types):
            node["@type"] = [value["@id"] for value in types]
        elif types:
            node[_RDF_TYPE] = types
    options = {"documentLoader": _no_remote, "compactArrays": True}
    compacted = ld.compact(expanded, dict(context), options)
    compacted["@context"] = context_iri
    return (json.dumps(compacted, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
