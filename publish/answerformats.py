"""Choose the format of a SPARQL answer, once for each kind of answer a query can have.

SELECT and ASK answer with a results document, CONSTRUCT and DESCRIBE with a graph, and the
same request word means a different format for each (``xml`` is SPARQL XML results or RDF/XML,
``json`` is SPARQL JSON results or JSON-LD). The server does not know a query's form before a
worker has parsed it, so it resolves the request for both kinds of answer and the worker takes
the choice that fits the form.

A request names its format by ``format=``, ``output=`` or ``results=`` (the names clients such
as SPARQLWrapper send, each a name or media type below, or a comma-separated list of them;
words we do not write are passed over when another word names a format, else 400), or else by
``Accept`` with q-values. A request whose words or ``Accept`` fit no format of the query's form
gets 406 with the offered media types of that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from .errors import QueryError
from .formats import GRAPH, RESULTS, Format, negotiate, of_kind

FORMAT_PARAMETERS = ("format", "output", "results")


def answer_formats() -> tuple[Format, ...]:
    """Return the formats an answer can take, from the one registry: results first, then graphs."""
    return (*of_kind(RESULTS), *of_kind(GRAPH))


def _words(answer_format: Format) -> tuple[str, ...]:
    """Return every word that asks for a format: its short names and its media types."""
    return (*answer_format.names, *answer_format.media_types)


def kind_of(form: str) -> str:
    """Return the kind of answer a query form gives: ``graph`` or ``results``."""
    return GRAPH if form in ("CONSTRUCT", "DESCRIBE") else RESULTS


@dataclass(frozen=True, slots=True)
class Choice:
    """The format name chosen for each kind of answer ('' when none is acceptable), and why."""

    results: str
    graph: str
    asked: str

    def refusal(self, form: str) -> str:
        """Return the 406 message for a query of ``form``: what was asked and what is offered."""
        offered = [f for f in answer_formats() if f.kind == kind_of(form)]
        return (
            f"Not acceptable: {self.asked} names no format of {form} answers. "
            f"Offered: {', '.join(f.media_type for f in offered)} "
            f"(or format={'|'.join(f.name for f in offered)})."
        )


def choose(params: Mapping[str, list[str]], accept: str | None) -> Choice:
    """Resolve a request's format words, or else its Accept header, for both kinds of answer.

    Raises QueryError (400) when a format word names nothing this endpoint writes.
    """
    given = [
        _word(word)
        for name in FORMAT_PARAMETERS
        for value in params.get(name, [])
        for word in value.split(",")
        if word.strip()
    ]
    words = [word for word in given if any(word in _words(f) for f in answer_formats())]
    if given and not words:
        raise QueryError(
            f"format={','.join(given)!r} names no format this endpoint writes; use one of: "
            f"{', '.join(sorted({w for f in answer_formats() for w in f.names}))} "
            f"or a media type ({', '.join(f.media_type for f in answer_formats())})"
        )
    if words:
        asked = "format=" + ",".join(words)
        return Choice(_by_words(words, RESULTS), _by_words(words, GRAPH), asked)
    asked = f"Accept: {accept}" if accept and accept.strip() else "the request"
    return Choice(_by_accept(accept, RESULTS), _by_accept(accept, GRAPH), asked)


def _word(value: str) -> str:
    # A '+' typed into a URL arrives as a space (rdf+xml); media type parameters do not matter.
    return value.split(";")[0].strip().lower().replace(" ", "+")


def _by_words(words: list[str], kind: str) -> str:
    for word in words:
        for answer_format in answer_formats():
            if answer_format.kind == kind and word in _words(answer_format):
                return answer_format.name
    return ""


@lru_cache(maxsize=512)  # clients repeat their Accept header; negotiating it is the costly part
def _by_accept(accept: str | None, kind: str) -> str:
    named: dict[str, str] = {}
    for answer_format in answer_formats():
        if answer_format.kind == kind:
            named.setdefault(answer_format.media_type, answer_format.name)
    for answer_format in answer_formats():
        if answer_format.kind == kind:
            for media_type in answer_format.accepts:
                named.setdefault(media_type, answer_format.name)
    chosen = negotiate(accept, list(named))
    return named[chosen] if chosen else ""
