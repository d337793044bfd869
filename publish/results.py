"""Serialise query answers: SPARQL 1.1 results (JSON, XML, CSV, TSV), a terminal table, graphs.

Results are written here rather than by the engine so that a capped answer (at most
``max_rows`` rows) is serialised exactly as kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from . import exports
from .errors import QueryError
from .formats import GRAPH, RDFXML, RESULTS, Vocabulary, answer_format, of_kind
from .rdf import XSD_STRING
from .safetext import require_rdfxml_predicate, require_well_formed, require_xml_text, visible
from .sparql import QueryResult, Term

_XML_INSTEAD = "SPARQL JSON results (format=json)"
_TABLE_TYPE = "text/plain; charset=utf-8"  # the terminal table of `klyngedata query`


def serialise(result: QueryResult, fmt: str, *, prefixes: Mapping[str, str]) -> tuple[bytes, str]:
    """Return (body, media type) of an answer in a format name (json, xml, csv, tsv, table, turtle, …)."""
    if result.form in ("CONSTRUCT", "DESCRIBE"):
        graph_format = answer_format(fmt, GRAPH)
        return _graph(result, fmt, prefixes), graph_format.media_type if graph_format else _TABLE_TYPE
    writers = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv, "table": _table}
    if fmt not in writers:
        raise QueryError(
            f"format {fmt!r} does not fit a {result.form} query; use one of: {', '.join(writers)}"
        )
    results_format = answer_format(fmt, RESULTS)
    media_type = results_format.media_type if results_format else _TABLE_TYPE
    if result.boolean is not None and fmt in ("csv", "tsv"):
        # SPARQL 1.1 CSV/TSV defines no ASK form, the Protocol allows CSV/TSV for ASK answers;
        # this is Oxigraph's answer: the bare word.
        return (b"true" if result.boolean else b"false"), media_type
    return writers[fmt](result), media_type


def _graph(result: QueryResult, fmt: str, prefixes: Mapping[str, str]) -> bytes:
    triples = list(result.triples)
    if fmt == "table":  # Turtle for a terminal: its control characters shown, not obeyed
        text = exports.turtle(triples, prefixes).decode("utf-8")
        return "\n".join(visible(line) for line in text.split("\n")).encode("utf-8")
    graph_format = answer_format(fmt, GRAPH)
    if graph_format is None or graph_format.write is None:
        names = ", ".join(f.name for f in of_kind(GRAPH))
        raise QueryError(f"format {fmt!r} does not fit a graph result; use one of: {names}")
    if graph_format is RDFXML:  # an answer may hold what RDF/XML cannot say: check, never send it broken
        return _rdfxml(triples)
    return graph_format.write(triples, Vocabulary(prefixes))


def _rdfxml(triples: list[ox.Triple]) -> bytes:
    instead = "Turtle, N-Triples or JSON-LD"
    for triple in triples:
        require_rdfxml_predicate(triple.predicate.value)
        for term in (triple.subject, triple.object):
            if isinstance(term, ox.NamedNode | ox.Literal):
                require_xml_text(term.value, where=f"the value {_shown(term.value)}", instead=instead)
    body = ox.serialize(sorted(set(triples), key=str), format=ox.RdfFormat.RDF_XML) or b""
    require_well_formed(body, what="RDF/XML", instead=instead)
    return body


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:39] + "…")


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def _json(result: QueryResult) -> bytes:
    if result.boolean is not None:
        body: dict[str, object] = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [
            {
                name: _json_term(term)
                for name, term in zip(result.variables, row, strict=True)
                if term is not None
            }
            for row in result.rows
        ]
        body = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        require_xml_text(term.value, where=f"the value {_shown(term.value)}", instead=_XML_INSTEAD)
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{_text(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{_text(term.value)}</literal>"
        return f"<literal>{_text(term.value)}</literal>"
    raise QueryError("RDF-star triples have no SPARQL XML form")


def _text(value: str) -> str:
    """Escape character data; a CR as a reference, so XML's line-end normalising keeps it."""
    return escape(value, {"\r": "&#13;"})


def _xml(result: QueryResult) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(name)}/>" for name in result.variables]
    out.append("</head>")
    if result.boolean is not None:
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            out.append("<result>")
            for name, term in zip(result.variables, row, strict=True):
                if term is not None:
                    out.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>\n")
    body = "\n".join(out).encode("utf-8")
    require_well_formed(body, what="SPARQL XML results", instead=_XML_INSTEAD)
    return body


def _plain(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term.value) if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _csv(result: QueryResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    writer.writerows([_plain(term) for term in row] for row in result.rows)
    return buffer.getvalue().encode("utf-8")


def _tsv(result: QueryResult) -> bytes:
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    lines += ["\t".join("" if term is None else str(term) for term in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _table(result: QueryResult) -> bytes:
    if result.boolean is not None:
        return f"{'yes' if result.boolean else 'no'}\n".encode()
    cells = [list(result.variables)] + [[visible(_plain(term)) for term in row] for row in result.rows]
    widths = [min(60, max(len(row[i]) for row in cells)) for i in range(len(result.variables))]
    lines = []
    for number, row in enumerate(cells):
        lines.append(
            " | ".join(_cut(cell, width).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    note = f"{len(result.rows)} row(s)" + (" — truncated at the row limit" if result.truncated else "")
    return ("\n".join(lines) + f"\n{note}\n").encode("utf-8")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
