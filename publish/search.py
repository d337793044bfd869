"""Search on every page: a static index per language, and the A–Z page that works without JavaScript.

The search box on every page (``templates/_search.html.j2``, ``static/search.js``) suggests
resources as a reader types. It needs no server: the build writes, per configured language,
``search.json`` (primary language) or ``search.<lang>.json``, and the script fetches the one of
its page's language on first use. An index is one JSON object:

    {"fold": [["æ", "ae"], …],          the letters a reader may type for others (see FOLDS)
     "kinds": ["Styrkeposition", …],     the kinds of thing, in the index's language
     "items": [[label, kind, path, [other names]], …]}

``label`` is the resource's label in the index's language, ``kind`` an index into ``kinds``
(or null), ``path`` its page in that language relative to the index (the site root), and the
other names every label and alternative label in every language that :func:`fold` does not
make equal to the label or to each other. Items are in the language's alphabetical order.

A reader without JavaScript submits the box's form to the A–Z page (``a-z.html``,
``a-z.<lang>.html``): every resource by label with its kind, alternative labels pointing to
it, grouped by initial letter in the language's alphabet (``search.alphabet`` in the message
files: Danish puts Æ, Ø, Å after Z). Pure functions of the dataset: the same bytes every build.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pyoxigraph as ox

from . import schemaorg
from .artifact import Artifact
from .config import Config
from .dataset import LoadedDataset
from .formats import JAVASCRIPT, JSON_FILE
from .html import Site
from .rdf import SKOS
from .uris import Uris
from .view import LABELS, Graph, View

ALT_LABEL = SKOS + "altLabel"
# Replacements after lower-casing and removing accents (NFKD): letters without a decomposition,
# and the ways Danish readers type æ, ø and å ("ae", "oe" or "o", "aa" or "a"). Applied to the
# labels and to what is typed alike (by search.js, from the index), so "fodevarer",
# "foedevarer" and "fødevarer" all find "Fødevarer".
FOLDS = (
    ("æ", "ae"),
    ("ø", "o"),
    ("œ", "oe"),
    ("ß", "ss"),
    ("ð", "d"),
    ("đ", "d"),
    ("ł", "l"),
    ("þ", "th"),
    ("oe", "o"),
    ("aa", "a"),
)


def fold(text: str) -> str:
    """Return ``text`` as the search compares it: lower case, no accents, FOLDS, words split by one space.

    ``static/search.js`` folds the same way (NFKD, marks \\p{M} removed, FOLDS, anything but
    letters \\p{L} and digits \\p{N} a separator; FOLDS turn letters into letters, so it does
    not matter that separators are marked here before them).
    """
    bare = unicodedata.normalize("NFKD", text.lower()).translate(_BARE)
    for letters, typed in FOLDS:
        bare = bare.replace(letters, typed)
    return " ".join(bare.split())


class _Bare(dict[int, str | None]):
    """The table of :func:`fold`, filled as characters are met: marks removed, separators a space."""

    def __missing__(self, code: int) -> str | None:
        category = unicodedata.category(chr(code))
        value = None if category[0] == "M" else chr(code) if category[0] in "LN" else " "
        self[code] = value
        return value


_BARE = _Bare()


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the A–Z page: a name, where it leads, and what the thing is."""

    label: str
    href: str
    kind: str | None
    lang: str | None = None  # set when the label is not in the page's language
    target: str | None = None  # for another name of a thing: the thing's label


def search_artifacts(dataset: LoadedDataset, config: Config, site: Site | None = None) -> list[Artifact]:
    """Return the search index and the A–Z page of every configured language.

    ``site``: the build's indexed data, shared with its pages (made here if not given).
    """
    site = site if site is not None else Site(dataset, config)
    artifacts = [script(site.uris)]
    for lang in site.uris.languages:
        artifacts += [index_artifact(site.graph, lang), a_z_page(site, lang)]
    return artifacts


def script(uris: Uris) -> Artifact:
    """Return the search box's script (``static/search.js``), as the package holds it."""
    body = resources.files("publish").joinpath(str(uris.search_script)).read_bytes()
    return Artifact(uris.search_script, JAVASCRIPT.content_type, body)


def names(graph: Graph, iri: str) -> list[str]:
    """Return every label and alternative label of a resource, in every language, in a stable order."""
    found = [
        term.value
        for predicate in (*LABELS, ALT_LABEL)
        for term in graph.objects(iri, predicate)
        if isinstance(term, ox.Literal)
    ]
    return list(dict.fromkeys(found))


def kind(graph: Graph, iri: str, lang: str, known: dict[str, str] | None = None) -> str | None:
    """Return what a resource is, in ``lang``: its class from our ontology, else its first class.

    ``known`` keeps the labels of classes met before (a few dozen classes, many things).
    """
    types = sorted(graph.types(iri))
    own = [t for t in types if t.startswith(graph.uris.ontology_namespace)]
    chosen = (own or types)[:1]
    if not chosen:
        return None
    known = {} if known is None else known
    if chosen[0] not in known:
        known[chosen[0]] = graph.label(chosen[0], lang).value
    return known[chosen[0]]


def index(graph: Graph, lang: str) -> dict[str, Any]:
    """Return the search index of one language (see the module's docstring)."""
    alphabet = str(graph.messages[lang]["search"]["alphabet"])
    path = graph.uris.search_index(lang)
    kinds: dict[str, int] = {}
    classes: dict[str, str] = {}
    labels = {iri: graph.label(iri, lang).value for iri in graph.resources}
    items = []
    for iri in sorted(labels, key=lambda i: (collation(labels[i], alphabet), i)):
        label = labels[iri]
        seen = {fold(label)}
        others = []
        for name in names(graph, iri):
            folded = fold(name)
            if folded not in seen:
                seen.add(folded)
                others.append(name)
        what = kind(graph, iri, lang, classes)
        number = kinds.setdefault(what, len(kinds)) if what is not None else None
        href = graph.uris.href(path, graph.page_path(iri, lang))
        items.append([label, number, href, others])
    return {"fold": [list(pair) for pair in FOLDS], "kinds": list(kinds), "items": items}


def index_artifact(graph: Graph, lang: str) -> Artifact:
    """Return one language's search index as a compact JSON file."""
    body = json.dumps(index(graph, lang), ensure_ascii=False, separators=(",", ":")) + "\n"
    return Artifact(graph.uris.search_index(lang), JSON_FILE.media_type, body.encode("utf-8"))


def entries(view: View) -> list[Entry]:
    """Return the lines of the A–Z page: every resource by label, and its other names in the language."""
    graph, lang = view.graph, view.lang
    classes: dict[str, str] = {}
    lines = []
    for iri in graph.resources:
        label = graph.label(iri, lang)
        href, _ = view.href_of(iri)
        what = kind(graph, iri, lang, classes)
        lines.append(Entry(label.value, href, what, label.lang))
        for other in graph.texts(iri, ALT_LABEL, lang):
            if other.lang is None and fold(other.value) != fold(label.value):
                lines.append(Entry(other.value, href, what, None, label.value))
    alphabet = str(view.text["search"]["alphabet"])
    return sorted(lines, key=lambda e: (collation(e.label, alphabet), e.href, e.target or ""))


def letter(label: str, alphabet: str) -> str | None:
    """Return the letter of ``alphabet`` a label is listed under (None: not a letter)."""
    for char in label.upper():
        if char in alphabet:
            return char
        base = unicodedata.normalize("NFKD", char)[:1]
        if base in alphabet:
            return base
        if unicodedata.category(char)[0] in "LN":
            return None
    return None


def collation(label: str, alphabet: str) -> tuple[tuple[int, int, int], ...]:
    """Return the sort key of a label in a language's alphabet (accented letters beside their base)."""
    return tuple(_rank(char, alphabet) for char in label.upper())


@functools.lru_cache(maxsize=4096)
def _rank(char: str, alphabet: str) -> tuple[int, int, int]:
    """Return the place of one (upper-case) character: a letter of the alphabet, else by code point."""
    base = unicodedata.normalize("NFKD", char)[:1]
    if char in alphabet:
        return (1, alphabet.index(char), 0)
    if base in alphabet:
        return (1, alphabet.index(base), ord(char))
    return (0, ord(char), 0)


def a_z_page(site: Site, lang: str) -> Artifact:
    """Return the A–Z page of one language: every resource by label, grouped by initial letter."""
    uris = site.uris
    view = site.view(uris.a_z, lang)
    text = view.text["search"]
    alphabet = str(text["alphabet"])
    groups: dict[str, list[Entry]] = {}
    for entry in entries(view):
        groups.setdefault(letter(entry.label, alphabet) or str(text["other"]), []).append(entry)
    ordered = [(char, f"letter-{char}", groups[char]) for char in alphabet if char in groups]
    if str(text["other"]) in groups:
        ordered.insert(0, (str(text["other"]), "letter-other", groups[str(text["other"])]))
    url = uris.url(uris.page_path(uris.a_z, lang))
    count = len(site.graph.resources)
    intro = str(text["intro"]).format(count=count)
    return site.page(
        "a-z.html.j2",
        uris.a_z,
        lang,
        rdf="dataset",
        permalink=url,
        jsonld=schemaorg.web_page(view, str(text["title"]), intro, url),
        intro=intro,
        groups=ordered,
    )
