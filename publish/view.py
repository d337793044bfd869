"""The data as people read it: labels, linked values and statements of one resource, per language.

Everything here is computed from one in-memory index of the ontology and data triples, built
once per build (walking quads is far cheaper than a SPARQL query per page). Links are relative
site paths computed by :class:`publish.uris.Uris`; nothing here writes HTML.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from types import MappingProxyType

import pyoxigraph as ox

from .i18n import FALLBACK, Messages
from .rdf import DCT, RDF_TYPE, RDFS, SKOS, XSD
from .uris import Uris

PREF_LABEL = SKOS + "prefLabel"
SOURCE = DCT + "source"
LABELS = (PREF_LABEL, RDFS + "label", DCT + "title", "http://www.w3.org/2006/vcard/ns#fn")
DATES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear", XSD + "dateTime"}
# Shown first, in this order, when a page lists a resource's statements; the rest by label.
# A note or lead-in introduces the list after it ("… will support:"), so it leads too.
LEADING = (
    "skos:altLabel",
    "kd:text",
    "dcterms:description",
    "skos:definition",
    "skos:scopeNote",
    "skos:note",
    "kd:objectivesLeadIn",
)
HIDDEN = {RDF_TYPE, PREF_LABEL, SOURCE}
# Plumbing a reader need not see: a position orders a list (and is in the item's label), and a
# top concept's scheme is shown once, as the scheme it is part of (skos:inScheme).
PLUMBING = ("kd:position",)
IN_SCHEME, TOP_CONCEPT_OF = SKOS + "inScheme", SKOS + "topConceptOf"
# The date part of xsd:date, dateTime, gYearMonth and gYear, with or without a time zone.
_DATE = re.compile(r"(?P<year>-?[0-9]{4,})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?(?![0-9])")

Term = ox.NamedNode | ox.BlankNode | ox.Literal
# How many page paths, links, labels and CURIEs a graph remembers: enough for a page's
# neighbourhood, while memory does not grow with the data.
_REMEMBERED = 1_000
_NONE: Mapping[str, list[Term]] = MappingProxyType({})  # what a subject without statements has


@dataclass(frozen=True, slots=True)
class Link:
    """A resource as a reader meets it: a label, where it leads, and an optional detail."""

    label: str
    href: str
    iri: str
    lang: str | None = None  # set when the label is not in the page's language
    external: bool = False
    detail: str | None = None  # e.g. the text of an objective, or a designation's period


@dataclass(frozen=True, slots=True)
class Text:
    """A literal as a reader meets it."""

    value: str
    lang: str | None = None  # set when the text is not in the page's language
    datetime: str | None = None  # machine-readable value of a date


Value = Link | Text


@dataclass(frozen=True, slots=True)
class Row:
    """One property of a resource with its values, ready to show."""

    label: str
    curie: str
    href: str
    values: tuple[Value, ...]
    ordered: bool = False
    lang: str | None = None  # set when the label is not in the page's language


class Graph:
    """An index of triples by subject and by object, with labels in every language."""

    def __init__(self, triples: Iterable[ox.Triple], uris: Uris, messages: Messages) -> None:
        self.uris = uris
        self.messages = messages
        self.out: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.inc: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for triple in sorted(triples, key=str):
            subject, obj = node_key(triple.subject), triple.object
            if isinstance(obj, ox.Triple):
                continue  # RDF-star: not used by klyngedata
            self.out[subject][triple.predicate.value].append(obj)
            if isinstance(obj, ox.NamedNode):
                self.inc[obj.value][triple.predicate.value].append(subject)
        self.prefixes = uris.prefixes()
        self._pages: dict[tuple[str, str], PurePosixPath] = {}
        self._curies: dict[str, str] = {}
        self._expanded: dict[str, str] = {}
        self._labels: dict[tuple[str, str], Text] = {}
        self._hrefs: dict[tuple[PurePosixPath, PurePosixPath, str], str] = {}

    def page_path(self, iri_or_stem: str, lang: str) -> PurePosixPath:
        """Return (once per build) the site path of a page, as :meth:`Uris.page_path`."""
        key = (iri_or_stem, lang)
        if key not in self._pages:
            if len(self._pages) >= _REMEMBERED:
                self._pages.clear()
            self._pages[key] = self.uris.page_path(iri_or_stem, lang)
        return self._pages[key]

    def href(
        self,
        source: PurePosixPath,
        target: PurePosixPath,
        fragment: str = "",
        folder: PurePosixPath | None = None,
    ) -> str:
        """Return (remembered) the relative link between two site files, as :meth:`Uris.href`.

        ``folder`` is ``source.parent`` when the caller has it (a view: one path less per link).
        """
        key = (source.parent if folder is None else folder, target, fragment)  # the source's folder only
        found = self._hrefs.get(key)
        if found is None:
            if len(self._hrefs) >= _REMEMBERED:
                self._hrefs.clear()
            found = self._hrefs[key] = self.uris.href(source, target, fragment)
        return found

    def objects(self, subject: str, predicate: str) -> list[Term]:
        """Return the objects of one subject and predicate, in a stable order."""
        return list(self.out.get(subject, _NONE).get(predicate, ()))

    def iris(self, subject: str, predicate: str) -> list[str]:
        """Return the IRI objects of one subject and predicate."""
        objects = self.out.get(subject, _NONE).get(predicate, ())
        return [o.value for o in objects if isinstance(o, ox.NamedNode)]

    def subjects(self, predicate: str, obj: str) -> list[str]:
        """Return the subjects that point at ``obj`` with ``predicate``."""
        return sorted(set(self.inc.get(obj, {}).get(predicate, ())))

    def types(self, subject: str) -> list[str]:
        """Return the rdf:type IRIs of a subject."""
        return self.iris(subject, RDF_TYPE)

    def has_type(self, subject: str, curie: str) -> bool:
        """Tell whether a subject has the class written as a CURIE (``kd:Stronghold``)."""
        wanted = self.expand(curie)
        return any(o.value == wanted for o in self.out.get(subject, _NONE).get(RDF_TYPE, ()))

    def instances(self, curie: str) -> list[str]:
        """Return the subjects of one class, ordered by position, then label."""
        return self.ordered(self.subjects(RDF_TYPE, self.expand(curie)))

    def expand(self, curie: str) -> str:
        """Return the IRI of a CURIE written with our prefixes (remembered: the code's few, every page)."""
        found = self._expanded.get(curie)
        if found is None:
            if len(self._expanded) >= _REMEMBERED:
                self._expanded.clear()
            prefix, local = curie.split(":", 1)
            found = self._expanded[curie] = self.prefixes[prefix] + local
        return found

    def curie(self, iri: str) -> str:
        """Return the shortest CURIE of an IRI, or the IRI when no prefix fits."""
        if iri in self._curies:
            return self._curies[iri]
        if len(self._curies) >= _REMEMBERED:
            self._curies.clear()
        self._curies[iri] = found = self._curie(iri)
        return found

    def _curie(self, iri: str) -> str:
        best = iri
        for name, namespace in self.prefixes.items():
            if iri.startswith(namespace) and len(iri) - len(namespace) + len(name) + 1 < len(best):
                best = f"{name}:{iri[len(namespace) :]}"
        return best

    def literal(self, subject: str, predicate: str, lang: str) -> Text | None:
        """Return the value in ``lang``, else an untagged one, else English, the primary language, any.

        A value in another language than ``lang`` says so (its ``lang``), for the page's markup.
        """
        values = [o for o in self.out.get(subject, _NONE).get(predicate, ()) if isinstance(o, ox.Literal)]
        for wanted in (lang, None):
            for value in values:
                if (value.language or None) == wanted:
                    return Text(value.value)
        for wanted in (FALLBACK, self.uris.primary_language):
            for value in values:
                if value.language == wanted:
                    return Text(value.value, lang=value.language)
        return Text(values[0].value, lang=values[0].language) if values else None

    def texts(self, subject: str, predicate: str, lang: str) -> list[Text]:
        """Return every value in ``lang`` (or untagged); values in other languages only if none."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]
        chosen = [v for v in values if v.language in (lang, None)]
        if chosen:
            return [Text(v.value) for v in chosen]
        return [Text(v.value, lang=v.language) for v in values]

    def label(self, iri: str, lang: str) -> Text:
        """Return the label of an IRI in ``lang``, falling back to another language, then a CURIE.

        Remembered: a page asks for the same labels several times (to order its links, then to show them).
        A remembered label still reads the IRI's entry, as working it out does: an incremental
        build notes what each page reads (:mod:`publish.incremental`), and must see this read.
        """
        key = (iri, lang)
        found = self._labels.get(key)
        if found is not None:
            _ = iri in self.out  # the read, noted where reads are noted
        else:
            if len(self._labels) >= _REMEMBERED:
                self._labels.clear()
            found = self._labels[key] = self._label(iri, lang)
        return found

    def _label(self, iri: str, lang: str) -> Text:
        for predicate in LABELS:
            found = self.literal(iri, predicate, lang)
            if found is not None:
                return found
        known = self.messages[lang]["terms"].get(self.curie(iri))
        return Text(known) if known else Text(self.curie(iri))

    def position(self, iri: str) -> int:
        """Return a resource's kd:position, or 0 when it has none."""
        for value in self.objects(iri, self.expand("kd:position")):
            if isinstance(value, ox.Literal) and value.value.lstrip("+").isdigit():
                return int(value.value)
        return 0

    def ordered(self, iris: Iterable[str], lang: str | None = None) -> list[str]:
        """Sort resources by position, then label in ``lang`` (default: the primary language)."""
        code = lang or self.uris.primary_language
        return sorted(set(iris), key=lambda i: (self.position(i), self.label(i, code).value, i))

    @cached_property
    def resources(self) -> frozenset[str]:
        """Return the IRIs that get a page: every described thing (id/…)."""
        return frozenset(s for s in self.out if self.uris.is_resource(s))


class View:
    """One page's view of the graph: its language and its site path (for relative links)."""

    def __init__(self, graph: Graph, lang: str, page: PurePosixPath) -> None:
        self.graph = graph
        self.lang = lang
        self.page = page
        self.folder = page.parent  # what a relative link depends on (Graph.href)
        self.text = graph.messages[lang]

    def in_language(self, values: Mapping[str, str]) -> Text | None:
        """Return the value in this page's language from ``{lang: value}``, else as labels fall back."""
        order = (self.lang, FALLBACK, self.graph.uris.primary_language, *sorted(values))
        code = next((c for c in order if c in values), None)
        if code is None:
            return None
        return Text(values[code], lang=None if code == self.lang else code)

    def href_of(self, iri: str) -> tuple[str, bool]:
        """Return where a link to ``iri`` leads from this page, and whether it leaves the site."""
        uris = self.graph.uris
        if iri in self.graph.resources:
            return self.graph.href(self.page, self.graph.page_path(iri, self.lang), "", self.folder), False
        for stem in ("ontology", "shapes"):
            document = uris.base + stem
            if iri == document or iri.startswith(document + "#"):
                fragment = iri.partition("#")[2]
                path = self.graph.page_path(stem, self.lang)
                return self.graph.href(self.page, path, fragment, self.folder), False
        return iri, not uris.is_local(iri)

    def link(self, iri: str, detail: str | None = None) -> Link:
        """Return a link to ``iri`` labelled in this page's language."""
        label = self.graph.label(iri, self.lang)
        href, external = self.href_of(iri)
        return Link(label.value, href, iri, label.lang, external, detail)

    def page_href(self, stem: str, lang: str | None = None, fragment: str = "") -> str:
        """Return the relative link to another page of the site (in this language by default)."""
        return self.graph.href(
            self.page, self.graph.page_path(stem, lang or self.lang), fragment, self.folder
        )

    def site_href(self, path: str | PurePosixPath) -> str:
        """Return the relative link to any file of the site."""
        target = path if isinstance(path, PurePosixPath) else PurePosixPath(path)
        return self.graph.href(self.page, target, "", self.folder)

    def value(self, term: Term, *, with_text: bool = False) -> Value:
        """Return a term as a link (IRIs) or a text (literals, with dates spelt out)."""
        if isinstance(term, ox.NamedNode):
            detail = None
            if with_text:
                found = self.graph.literal(term.value, self.graph.expand("kd:text"), self.lang)
                detail = found.value if found else None
            return self.link(term.value, detail)
        if isinstance(term, ox.BlankNode):
            return Text(self.text["anonymous"])
        return self.literal(term)

    def literal(self, term: ox.Literal) -> Text:
        """Return a literal as text: dates and booleans in words, language marked if foreign."""
        datatype = term.datatype.value
        if datatype in DATES:
            return Text(self.date(term.value), datetime=term.value)
        if datatype == XSD + "boolean":
            return Text(self.text["yes"] if term.value in ("true", "1") else self.text["no"])
        lang = term.language if term.language and term.language != self.lang else None
        return Text(term.value, lang=lang)

    def date(self, value: str) -> str:
        """Spell out an ISO date with the precision it has (2020-12 → december 2020).

        A time zone is not shown; a value the pattern does not fit is shown as written.
        """
        found = _DATE.match(value)
        if found is None or not 1 <= int(found["month"] or 1) <= 12:
            return value
        months = self.text["months"]
        if found["day"]:
            return str(self.text["date_day"]).format(
                day=int(found["day"]), month=months[int(found["month"]) - 1], year=found["year"]
            )
        if found["month"]:
            return str(self.text["date_month"]).format(
                month=months[int(found["month"]) - 1], year=found["year"]
            )
        return found["year"]

    def period(self, designation: str) -> str:
        """Return a designation's period in words, saying whether it has ended."""
        start = self.graph.objects(designation, self.graph.expand("kd:startDate"))
        end = self.graph.objects(designation, self.graph.expand("kd:endDate"))
        begin = self.date(start[0].value) if start else "?"
        if end:
            return str(self.text["period_ended"]).format(start=begin, end=self.date(end[0].value))
        return str(self.text["period_open"]).format(start=begin)

    def property_label(self, predicate: str) -> str:
        """Return the label of a property: the ontology's, else our texts', else its CURIE."""
        return self.graph.label(predicate, self.lang).value

    def rows(self, iri: str) -> list[Row]:
        """Return the statements about ``iri`` (labels and types are shown elsewhere)."""
        graph = self.graph
        rows = []
        statements = graph.out.get(iri, {})
        hidden = HIDDEN | {graph.expand(c) for c in PLUMBING}
        # The page's heading, in any language, is not repeated as a row (a dct:title like it, say).
        titles = {graph.label(iri, self.lang).value}
        titles |= {o.value for o in statements.get(PREF_LABEL, ()) if isinstance(o, ox.Literal)}
        for predicate, objects in statements.items():
            if predicate in hidden:
                continue
            if predicate == TOP_CONCEPT_OF:  # a subproperty of skos:inScheme: one line for both
                objects = [o for o in objects if o not in statements.get(IN_SCHEME, ())]
            if predicate in LABELS:
                objects = [o for o in objects if not (isinstance(o, ox.Literal) and o.value in titles)]
            if not objects:
                continue
            literals = [o for o in objects if isinstance(o, ox.Literal)]
            chosen = [o for o in literals if o.language in (self.lang, None)] or literals
            others = [o for o in objects if not isinstance(o, ox.Literal)]
            ordered = any(isinstance(o, ox.NamedNode) and graph.position(o.value) for o in others)
            nodes = graph.ordered([o.value for o in others if isinstance(o, ox.NamedNode)], self.lang)
            values = [self.value(ox.NamedNode(n), with_text=ordered) for n in nodes]
            values += [self.literal(o) for o in sorted(chosen, key=lambda o: o.value)]
            # A blank node (an RDF list, a nested description) has no page: shown as anonymous.
            values += [self.value(o) for o in others if isinstance(o, ox.BlankNode)]
            rows.append(self._row(predicate, values, ordered=ordered))
        return sorted(rows, key=self._row_order)

    def incoming(self, iri: str) -> list[Row]:
        """Return the statements that point at ``iri``, each named by its inverse (“objective of”)."""
        rows = []
        # What the page already links to (its statements) is not said again the other way round.
        linked = {o.value for objects in self.graph.out.get(iri, {}).values() for o in objects}
        for predicate, subjects in self.graph.inc.get(iri, {}).items():
            if predicate == RDF_TYPE:
                continue
            curie = self.graph.curie(predicate)
            inverse = self.text["inverse"].get(curie)
            label = inverse or self.text["inverse_fallback"].format(label=self.property_label(predicate))
            shown = [s for s in subjects if s not in linked]
            if not shown:
                continue
            values = tuple(self.link(s) for s in self.graph.ordered(shown, self.lang))
            rows.append(Row(sentence_case(label), curie, self.href_of(predicate)[0], values))
        return sorted(rows, key=lambda r: r.label.casefold())

    def _row(self, predicate: str, values: Sequence[Value], *, ordered: bool = False) -> Row:
        href, _ = self.href_of(predicate)
        curie = self.graph.curie(predicate)
        label = self.graph.label(predicate, self.lang)
        return Row(sentence_case(label.value), curie, href, tuple(values), ordered, label.lang)

    @staticmethod
    def _row_order(row: Row) -> tuple[int, str]:
        leading = LEADING.index(row.curie) if row.curie in LEADING else len(LEADING)
        return leading, row.label.casefold()

    def sources(self, iri: str) -> list[Link]:
        """Return the sources a resource cites, each with its publisher as the detail."""
        links = []
        for source in self.graph.iris(iri, SOURCE):
            publishers = self.graph.iris(source, DCT + "publisher")
            detail = self.graph.label(publishers[0], self.lang).value if publishers else None
            links.append(self.link(source, detail))
        return sorted(links, key=lambda link: (link.lang is not None, link.label))


def sentence_case(label: str) -> str:
    """Return a label as the heading of a line: its first letter capital, the rest as written."""
    return label[:1].upper() + label[1:]


def node_key(term: object) -> str:
    """Return the index key of a term: an IRI, or the blank node as `_:id`."""
    return term.value if isinstance(term, ox.NamedNode) else str(term)
