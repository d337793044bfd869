"""Pictures of the strategy, drawn at build time as accessible SVG: an overview and a timeline.

Per configured language the build writes two picture pages (``overview-picture.html``,
``timeline.html``, others ``….<lang>.html``), each showing its picture inline (so its links
work) above a text alternative holding the same facts, and the pictures as standalone files
(``pictures/<stem>.svg``, ``pictures/<stem>.<lang>.svg``). All markup is in
``templates/pictures/``; this module computes only the rows (from the dataset's view layer:
the overview's groups are :func:`publish.facts.area_groups`, as the overview page shows them)
and their geometry. SVG has no line wrapping, so labels are broken into lines here from an
estimate of their width (:func:`wrap`). Pure functions of the dataset: the same bytes every build.
"""

from __future__ import annotations

import datetime
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pyoxigraph as ox

from . import facts, schemaorg
from .artifact import Artifact
from .config import Config
from .dataset import LoadedDataset
from .formats import SVG
from .html import Site
from .rdf import XSD
from .view import Graph, Link, View

WIDTH = 440  # user units of the viewBox: at 358 CSS px (a 390 px phone) 15 units are 12.2 px
FONT = 15  # the size of every text but the axis labels
LINE = 20  # the height of a line of text
PAD = 8  # inside a card
CHAR = 0.6  # an average character's width in ems (system-ui, sans-serif); bold a little wider
BAR = 14  # the height of a timeline bar
Drawing = Callable[["View"], dict[str, Any]]  # a picture's rows and geometry, for its templates


@dataclass(frozen=True, slots=True)
class Line:
    """A text of a picture, broken into lines: where it starts, what it says, where it leads."""

    x: float
    y: float  # the baseline of its first line; the others follow LINE apart
    parts: tuple[str, ...]
    href: str | None = None
    style: str = "plain"  # plain, strong, muted (the picture templates' classes)
    lang: str | None = None

    @property
    def last(self) -> float:
        """Return the baseline of its last line."""
        return self.y + LINE * (len(self.parts) - 1)


def _lines(x: float, top: float, text: str, width: float, **kind: Any) -> tuple[Line, float]:
    """Return ``text`` wrapped to ``width`` as one Line whose first line's top is ``top``, and its bottom."""
    parts = tuple(wrap(text, width, strong=kind.get("style") == "strong"))
    return Line(x, top + FONT, parts, **kind), top + LINE * len(parts)


@dataclass(frozen=True, slots=True)
class Card:
    """An area in the overview: its box, its lines, its kind, and how it relates to a cluster."""

    x: float
    y: float
    width: float
    height: float
    kind: str  # the CURIE of its class: kd:Stronghold or kd:EmergingArea
    relation: str  # cluster, ended, arrangement or none
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A date as the data gives it: the first and the day after the last day it may mean."""

    value: str
    first: datetime.date
    after: datetime.date
    precision: str  # day, month or year (xsd:date, xsd:gYearMonth, xsd:gYear)


def picture_artifacts(dataset: LoadedDataset, config: Config, site: Site | None = None) -> list[Artifact]:
    """Return both pictures of every configured language, as pages and as SVG files.

    ``site``: the build's indexed data, shared with its pages (made here if not given).
    """
    site = site if site is not None else Site(dataset, config)
    artifacts = []
    for lang in site.uris.languages:
        for stem, draw in (("overview-picture", overview), ("timeline", timeline)):
            svg_view = View(site.graph, lang, site.uris.picture(stem, lang))
            svg = render_svg(site, stem, draw(svg_view), svg_view, standalone=True)
            artifacts.append(Artifact(svg_view.page, SVG.content_type, svg.encode("utf-8")))
            artifacts.append(picture_page(site, stem, lang, draw))
    return artifacts


def render_svg(site: Site, stem: str, drawing: dict[str, Any], view: View, *, standalone: bool) -> str:
    """Return one picture's SVG (with the XML declaration when it is a file of its own)."""
    return site.env.get_template(f"pictures/{stem}.svg.j2").render(
        text=view.text, words=view.text["pictures"], lang=view.lang, standalone=standalone, **drawing
    )


def picture_page(site: Site, stem: str, lang: str, draw: Drawing) -> Artifact:
    """Return a picture's page: the picture inline, a link to its file, and its text alternative."""
    view = site.view(stem, lang)
    words = view.text["pictures"][stem]
    drawing = draw(view)
    url = site.uris.url(site.uris.page_path(stem, lang))
    return site.page(
        "pictures/page.html.j2",
        stem,
        lang,
        rdf="dataset",
        permalink=url,
        jsonld=schemaorg.web_page(view, str(words["title"]), str(words["intro"]), url),
        words=words,
        picture=stem,
        svg=render_svg(site, stem, drawing, view, standalone=False),
        file=view.site_href(site.uris.picture(stem, lang)),
        others=[
            (view.page_href(other), view.text["pictures"][other]["title"])
            for other in site.uris.picture_pages
            if other != stem
        ],
        home=view.page_href("index"),
        **drawing,
    )


def wrap(text: str, width: float, *, size: float = FONT, strong: bool = False) -> list[str]:
    """Return ``text`` broken into lines that fit ``width`` user units at ``size`` (an estimate)."""
    per_em = CHAR + (0.04 if strong else 0.0)
    return textwrap.wrap(text, max(8, int(width / (size * per_em)))) or [""]


# ---------------------------------------------------------------- the overview


def overview(view: View) -> dict[str, Any]:
    """Return the overview: the strategy, its groups of areas (as the overview page's), their clusters."""
    graph = view.graph
    strategies = graph.instances("kd:Strategy")
    strategy = view.link(strategies[0]) if strategies else None
    y = 0.0
    head: list[Line] = []
    if strategy:
        line, y = _lines(
            PAD, PAD, strategy.label, WIDTH - 2 * PAD, href=strategy.href, style="strong", lang=strategy.lang
        )
        head.append(line)
        y += PAD + 2  # the box's bottom
    top = y
    groups: list[dict[str, Any]] = []
    ended = _ended_clusters(view.graph)  # once: every card asks (it read every designation)
    for group in facts.area_groups(view):
        line, y = _lines(28, y + 12, str(group["heading"]), WIDTH - 28, style="strong")
        lines = [line]
        y += 6
        cards = []
        for entry in group["areas"]:
            card = _card(view, entry, y, ended)
            cards.append(card)
            y += card.height + 8
        kinds = {c.kind for c in cards}
        groups.append(
            {
                "heading": str(group["heading"]),
                "lines": lines,
                "marker": (12, lines[0].y - 5),
                "kind": kinds.pop() if len(kinds) == 1 else "",
                "branch": (lines[-1].last + 6, cards[-1].y + cards[-1].height / 2) if cards else None,
                "cards": cards,
                "entries": [
                    {**entry, "no_current": card.relation != "cluster"}
                    for entry, card in zip(group["areas"], cards, strict=True)
                ],
            }
        )
    last = groups[-1]["marker"][1] if groups else top
    return {
        "width": WIDTH,
        "legend": y + 8,
        "height": y + 8 + 5 * 22 + 4,
        "strategy": strategy,
        "head": head,
        "head_height": top,
        "trunk": (top, last),
        "groups": groups,
        "kinds": {kind: str(view.text["kinds"][kind]) for kind in ("kd:Stronghold", "kd:EmergingArea")},
        "counts": {"areas": sum(len(g["cards"]) for g in groups), "groups": len(groups)},
    }


def _card(view: View, entry: dict[str, Any], top: float, ended: frozenset[str]) -> Card:
    """Return an area's card: its name, then its cluster organisation or arrangement (``ended``:
    the organisations whose every designation has ended)."""
    graph, words = view.graph, view.text["pictures"]
    area: Link = entry["area"]
    kind = next(
        graph.curie(t)
        for t in graph.types(area.iri)
        if graph.curie(t) in ("kd:Stronghold", "kd:EmergingArea")
    )
    inner = WIDTH - 40 - 2 * PAD
    x = 40 + PAD
    y = top + PAD
    line, y = _lines(x, y, area.label, inner, href=area.href, style="strong", lang=area.lang)
    lines = [line]
    clusters: list[Link] = entry["clusters"]
    current = [c for c in clusters if c.iri not in ended]
    relation = (
        "cluster" if current else "ended" if clusters else "arrangement" if entry["arrangement"] else "none"
    )
    shown: list[tuple[str, Link | None]] = [(str(words["cluster"]), None)] if clusters else []
    shown += [(c.label, c) for c in clusters]
    if entry["arrangement"]:
        shown += [(str(words["arrangement"]), None), (entry["arrangement"].label, entry["arrangement"])]
    if not current:
        shown.append((str(words["no_current"]), None))
    for text, link in shown:
        said = text + (f" ({link.detail})" if link and link.detail else "")
        if link:
            line, y = _lines(x, y, said, inner, href=link.href, lang=link.lang)
        else:
            line, y = _lines(x, y, said, inner, style="muted")
        lines.append(line)
    return Card(40, top, WIDTH - 40, y - top + PAD, kind, relation, tuple(lines))


def _ended_clusters(graph: Graph) -> frozenset[str]:
    """Return the cluster organisations whose every designation has ended (an end date)."""
    organisation, end = graph.expand("kd:designatedOrganisation"), graph.expand("kd:endDate")
    found: dict[str, bool] = {}
    for designation in graph.instances("kd:ClusterDesignation"):
        for org in graph.iris(designation, organisation):
            found[org] = found.get(org, True) and bool(graph.objects(designation, end))
    return frozenset(org for org, ended in found.items() if ended)


# ---------------------------------------------------------------- the timeline


def span(term: ox.Literal) -> Span:
    """Return the days a date of the data may mean, from its datatype (its precision)."""
    datatype, value = term.datatype.value, term.value[:10]
    if datatype == XSD + "gYear":
        year = int(value[:4])
        return Span(term.value, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1), "year")
    if datatype == XSD + "gYearMonth":
        year, month = int(value[:4]), int(value[5:7])
        after = datetime.date(year + month // 12, month % 12 + 1, 1)
        return Span(term.value, datetime.date(year, month, 1), after, "month")
    day = datetime.date.fromisoformat(value)
    return Span(term.value, day, day + datetime.timedelta(days=1), "day")


def designations(graph: Graph) -> list[str]:
    """Return the cluster designations in the order of the list of cluster organisations (by area)."""
    return sorted(
        graph.instances("kd:ClusterDesignation"),
        key=lambda d: [graph.position(a) for a in graph.iris(d, graph.expand("kd:forArea"))],
    )


def timeline(view: View) -> dict[str, Any]:
    """Return the timeline: an axis of years and a bar per cluster designation."""
    graph = view.graph
    chosen = designations(graph)
    dates: dict[str, tuple[Span | None, Span | None]] = {}
    for d in chosen:
        starts = [o for o in graph.objects(d, graph.expand("kd:startDate")) if isinstance(o, ox.Literal)]
        ends = [o for o in graph.objects(d, graph.expand("kd:endDate")) if isinstance(o, ox.Literal)]
        dates[d] = (span(starts[0]) if starts else None, span(ends[0]) if ends else None)
    known = [s for pair in dates.values() for s in pair if s is not None]
    first = min((s.first.year for s in known), default=2020)
    last = max((s.first.year for s in known), default=first) + 2  # room for the open bars' arrows
    left, right = 10.0, WIDTH - 10.0

    def x(day: datetime.date) -> float:
        start, stop = datetime.date(first, 1, 1), datetime.date(last, 1, 1)
        return round(left + (right - left) * (day - start).days / (stop - start).days, 2)

    years = [
        {"label": str(year), "x": x(datetime.date(year, 1, 1)), "middle": x(datetime.date(year, 7, 2))}
        for year in range(first, last)
    ]
    y = 52.0
    rows = []
    for d in chosen:
        row = _row(view, d, dates[d], x, y, (left, right))
        rows.append(row)
        y = row["bottom"] + 14
    return {
        "width": WIDTH,
        "legend": y + 34,
        "height": y + 34 + 5 * 22 + 4,
        "years": years,
        "axis": (left, right, x(datetime.date(last, 1, 1))),
        "rows": rows,
        "top": 44,
        "bottom": y,
    }


def _row(
    view: View,
    designation: str,
    dates: tuple[Span | None, Span | None],
    x: Callable[[datetime.date], float],
    top: float,
    span_x: tuple[float, float],
) -> dict[str, Any]:
    """Return one designation's row: its organisation and period as text, and its bar."""
    graph = view.graph
    organisations = graph.iris(designation, graph.expand("kd:designatedOrganisation"))
    organisation = view.link(organisations[0]) if organisations else view.link(designation)
    areas = [view.link(a) for a in graph.iris(designation, graph.expand("kd:forArea"))]
    period = view.link(designation, view.period(designation))
    start, end = dates
    name, y = _lines(
        10,
        top,
        organisation.label,
        WIDTH - 20,
        href=organisation.href,
        style="strong",
        lang=organisation.lang,
    )
    when, y = _lines(10, y, period.detail or "", WIDTH - 20, href=period.href)
    lines = [name, when]
    bar_y = y + 4
    left, right = span_x
    begin = x(start.first) if start else left  # no start date: drawn from the axis' start
    solid_from = x(start.after) if start and start.precision != "day" else begin
    solid_to = x(end.first) if end else right
    return {
        "organisation": organisation,
        "areas": areas,
        "period": period,
        "start": start,
        "end": end,
        "start_words": view.date(start.value) if start else "",
        "end_words": view.date(end.value) if end else "",
        "lines": lines,
        "bar": {
            "y": bar_y,
            "height": BAR,
            "vague_start": (begin, solid_from) if solid_from > begin else None,
            "solid": (solid_from, solid_to),
            "vague_end": (x(end.first), x(end.after)) if end and end.precision != "day" else None,
            "end": x(end.after) if end else None,
            "open": end is None,
        },
        "bottom": bar_y + BAR,
        "id": PurePosixPath(designation).name,
    }
