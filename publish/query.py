"""The ``klyngedata query`` step: take one query (its text, a file or a named query), answer it.

The answer comes from the same worker code the SPARQL endpoint uses, over the built site, with
no time or size limit (a person at a terminal can stop it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .errors import UsageError
from .formats import GRAPH, RESULTS, of_kind
from .sparql import Resolver, bindings, get_named, named_queries, with_language
from .sparql import listing as headed

if TYPE_CHECKING:
    from .view import Graph


def listing(config: Config, lang: str) -> str:
    """Return every named query, each under a ``# query: <name>`` line, ready to run in any store.

    Each is headed by its title and description in ``lang`` and answers in ``lang``.
    """
    text, base = config.messages[lang], config.base_iri
    return "".join(
        f"# query: {name}\n{headed(named, text, base=base, lang=lang)}\n"
        for name, named in named_queries().items()
    )


def resolver(config: Config) -> Resolver:
    """Return what turns a slug or a label a user typed into the IRI of one resource of the dataset.

    The dataset is read from the sources on first use only (a query with no such parameter
    never reads it). Labels are compared as the search box compares them (publish.search.fold).
    """
    graphs: list[Graph] = []

    def find(reference: str) -> str:
        # Imported here: the dataset, pages and search are needed only for a slug or a label.
        from .dataset import load
        from .html import Site
        from .lookup import resolve
        from .search import fold, names

        if not graphs:
            graphs.append(Site(load(config), config).graph)
        return resolve(graphs[0], reference, fold=fold, names=names)

    return find


def answer(
    config: Config,
    site: Path,
    *,
    text: str | None = None,
    query_file: Path | None = None,
    named: str | None = None,
    params: Iterable[str] = (),
    fmt: str,
    as_of: str | None = None,
    lang: str | None = None,
) -> bytes:
    """Answer one query over the site built at ``site``, in the answer format ``fmt``.

    Give exactly one of ``text``, ``query_file`` and ``named``; ``params`` (``NAME=VALUE``) bind a
    named query's parameters (an IRI by slug, label or IRI); ``lang`` the language of its answer
    (default: the primary language). With ``as_of`` (a day), the dataset frozen by the latest release
    issued on or before it answers instead of the site's own (publish.asof).
    """
    # Imported here, not above: ``query --list`` needs neither the workers nor the guard.
    from .workers import Job, answer_one

    _require_format(fmt)
    values = dict(_split_param(p) for p in params)
    substitutions = None
    if named is not None:
        chosen = get_named(named)
        substitutions = bindings(chosen, values, base=config.base_iri, resolve=resolver(config))
        # ``--param lang=…`` (checked by bindings) or ``--lang`` chooses the answer's language.
        answer_lang = config.language(values.get("lang", lang))
        body = with_language(chosen, answer_lang, base=config.base_iri)
    elif query_file is not None:
        body = _read(query_file)
    else:
        body = text or ""
    if _has_surrogate(body):  # bytes that are not UTF-8 reach argv as lone surrogates
        raise UsageError("the query text is not valid UTF-8; write the query as UTF-8")
    bound = tuple((variable.value, term) for variable, term in (substitutions or {}).items())
    release = _release(config, as_of) if as_of is not None else ""
    job = Job(body, fmt, fmt, sys.maxsize, substitutions=bound, release=release)
    return answer_one(site, config, job).body


def _release(config: Config, as_of: str) -> str:
    """Return the version of the latest release issued on or before the day ``as_of``."""
    # Imported here: only --as-of reads the stored releases (and the loader they need).
    from .asof import parse_day, release_on
    from .releases import load_releases

    return release_on(load_releases(config), parse_day(as_of)).version


def _require_format(fmt: str) -> None:
    """Refuse an answer format the registry does not have (``table`` is the terminal's own)."""
    names = ["table", *(f.name for f in (*of_kind(RESULTS), *of_kind(GRAPH)))]
    if fmt not in names:
        raise UsageError(f"{fmt!r} is not an answer format; use one of: {', '.join(names)}", parameter="fmt")


def _read(query_file: Path) -> str:
    try:
        return query_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{query_file}: cannot read the query ({exc.strerror})", parameter="query_file"
        ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{query_file}: the query is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            parameter="query_file",
        ) from None


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise UsageError(f"a parameter is written NAME=VALUE, got {text!r}", parameter="params")
    return name, value
