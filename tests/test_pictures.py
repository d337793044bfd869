"""The pictures (publish/pictures.py): the overview of the strategy and the timeline of designations.

Read from the built site as a reader or a program meets them: the standalone SVG files parsed
as XML (lxml), the picture pages as HTML5 (html5lib), and both pages rendered in headless
Chromium on 127.0.0.1 at desktop and phone widths (tests/chromium.py). Expected facts come
from the source pages (tests/sources.py: areas, their kinds and cluster organisations, MARLOG,
the dates) and from the built dump; never from the pictures' own code.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

import html5lib
import pyoxigraph as ox
import pytest
from chromium import Tab, serve
from conftest import BASE
from lxml import etree
from sources import board_page, english_date, marlog, readme_areas, readme_match

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
KD = BASE + "ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
LANGS = ("da", "en")
STEMS = ("overview-picture", "timeline")


def suffix(lang: str) -> str:
    """Return the part of a file name that names a language other than the primary one."""
    return "" if lang == "da" else f".{lang}"


def svg_path(stem: str, lang: str) -> str:
    """Return the site path of a picture's SVG file."""
    return f"pictures/{stem}{suffix(lang)}.svg"


def page_path(stem: str, lang: str) -> str:
    """Return the site path of a page."""
    return f"{stem}{suffix(lang)}.html"


def resolve(source: str, href: str) -> str:
    """Return the site path a relative link from the site file ``source`` leads to."""
    url = urljoin("http://site.test/" + source, href)
    assert urlsplit(url).netloc == "site.test", f"{href} in {source} leaves the site"
    return urlsplit(url).path.lstrip("/")


def iri_of(path: str) -> str:
    """Return the IRI of the resource whose page is at a site path (id/area/x.en.html → …/id/area/x)."""
    stem = re.sub(r"(\.[a-z]{2})?\.html$", "", path)
    return BASE + stem


def words(element: Any) -> str:
    """Return the text of an element, its lines (tspans) joined by one space."""
    return " ".join(" ".join(element.itertext()).split())


def parse_svg(site: Path, stem: str, lang: str) -> Any:
    """Return the root of a picture's SVG file, parsed as XML."""
    return etree.fromstring((site / svg_path(stem, lang)).read_bytes())


def parse_page(site: Path, stem: str, lang: str) -> Any:
    """Return a picture page's tree, parsed as HTML5."""
    return html5lib.parse((site / page_path(stem, lang)).read_bytes(), treebuilder="lxml")


def select(store: ox.Store, query: str) -> list[Any]:
    """Return the rows of a SELECT query over every graph of the dump."""
    return list(store.query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]


def label(store: ox.Store, iri: str, lang: str) -> str:
    """Return the skos:prefLabel of a resource in a language, from the built dump."""
    query = f'SELECT ?l WHERE {{ <{iri}> <{SKOS}prefLabel> ?l FILTER(LANG(?l) = "{lang}") }}'
    (row,) = select(store, query)
    return str(row["l"].value)


def links(root: Any, namespace: str) -> list[Any]:
    """Return every link element of a tree."""
    return list(root.iter(f"{namespace}a"))


# ---------------------------------------------------------------- the SVG files


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("stem", STEMS)
def test_the_svg_parses_is_labelled_and_every_link_resolves(built_site: Path, stem: str, lang: str) -> None:
    root = parse_svg(built_site, stem, lang)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    found = links(root, SVG)
    assert len(found) > 14
    for a in found:
        target = resolve(svg_path(stem, lang), a.get("href"))
        assert (built_site / target).is_file(), target
        assert target.endswith(f"{suffix(lang)}.html") and words(a)


@pytest.mark.parametrize("lang", LANGS)
def test_the_front_page_leads_to_both_picture_pages(built_site: Path, lang: str) -> None:
    tree = parse_page(built_site, "index", lang)
    hrefs = [a.get("href") for a in links(tree.getroot(), XHTML)]
    targets = {resolve(page_path("index", lang), h) for h in hrefs if not urlsplit(h).scheme}
    assert {page_path(stem, lang) for stem in STEMS} <= targets


# ---------------------------------------------------------------- the overview


def overview_groups(root: Any, source: str, namespace: str, store: ox.Store) -> list[dict[str, Any]]:
    """Return the overview's groups: heading, the kind its marker shows, and each area's linked things."""
    groups = []
    for group in root.iter(f"{namespace}g"):
        if group.get("class") != "pic-group":
            continue
        heading = words(group.find(f"{namespace}text"))
        marker = "kd:EmergingArea" if group.find(f"{namespace}circle") is not None else "kd:Stronghold"
        cards = []
        for a in group.findall(f"{namespace}a"):
            iri = iri_of(resolve(source, a.get("href")))
            types = {str(r["t"].value) for r in select(store, f"SELECT ?t WHERE {{ <{iri}> a ?t }}")}
            if KD + "BusinessArea" in types or KD + "Stronghold" in types or KD + "EmergingArea" in types:
                cards.append({"area": iri, "label": words(a), "linked": []})
            else:
                cards[-1]["linked"].append((iri, types, words(a)))
        groups.append({"heading": heading, "marker": marker, "cards": cards})
    return groups


@pytest.mark.parametrize("lang", LANGS)
def test_every_area_appears_once_with_its_kind_and_its_cluster(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    groups = overview_groups(
        parse_svg(built_site, "overview-picture", lang), svg_path("overview-picture", lang), SVG, site_store
    )
    strongholds, board_emerging, minister_emerging = readme_areas()
    cards = [card for group in groups for card in group["cards"]]
    names = [label(site_store, card["area"], "da") for card in cards]
    assert sorted(names) == sorted(strongholds + board_emerging + minister_emerging)  # each once
    for group in groups:
        kind = "Styrkepositioner" if lang == "da" else "Strongholds"
        assert (group["marker"] == "kd:Stronghold") == group["heading"].startswith(kind)
        for card in group["cards"]:
            name = label(site_store, card["area"], "da")
            assert (name in strongholds) == (group["marker"] == "kd:Stronghold")
            assert card["label"] == label(site_store, card["area"], lang)
    # Each area's cluster organisation as the Board's page names it; MARLOG for the maritime area
    # (README), shown as no longer current; tourism's alternative arrangement instead of a cluster.
    by_name = {label(site_store, c["area"], "da"): c for c in cards}
    abbreviation = marlog()[1]
    for area in board_page().areas:
        linked = by_name[area.name]["linked"]
        clusters = [(iri, text) for iri, types, text in linked if KD + "ClusterOrganisation" in types]
        arrangements = [iri for iri, types, _ in linked if KD + "AlternativeArrangement" in types]
        if area.cluster:
            assert [label(site_store, iri, "da") for iri, _ in clusters] == [area.cluster], area.name
            assert not arrangements
        elif area.name == "Turisme":
            assert not clusters and len(arrangements) == 1
        else:
            assert [label(site_store, iri, "da") for iri, _ in clusters] == [marlog()[0]]
            alternate = {
                str(r["a"].value)
                for r in select(site_store, f"SELECT ?a WHERE {{ <{clusters[0][0]}> <{SKOS}altLabel> ?a }}")
            }
            assert abbreviation in alternate
    # The areas the Board's page names no cluster organisation for say they have no current one.
    without = {area.name for area in board_page().areas if not area.cluster}
    no_current = "Ingen aktuel klyngeorganisation" if lang == "da" else "No current cluster organisation"
    cards_text = card_texts(parse_svg(built_site, "overview-picture", lang))
    assert {name for name, text in zip(names, cards_text, strict=True) if no_current in text} == without


def card_texts(root: Any) -> list[str]:
    """Return the words of each area's card in the overview, in order (the texts after each area link)."""
    texts: list[str] = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "pic-group":
            continue
        for element in group:
            if element.tag == f"{SVG}rect" and "pic-box" in (element.get("class") or ""):
                texts.append("")
            elif element.tag in (f"{SVG}a", f"{SVG}text") and texts:
                texts[-1] += " " + words(element)
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_the_overview_page_holds_the_picture_and_the_same_facts_in_words(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    source = page_path("overview-picture", lang)
    root = parse_page(built_site, "overview-picture", lang).getroot()
    inline = root.find(f".//{SVG}svg")
    assert inline is not None
    for a in links(root, XHTML) + links(inline, SVG):
        href = a.get("href")
        if href and not href.startswith(("http", "#")):
            assert (built_site / resolve(source, href)).is_file(), href
    picture = overview_groups(inline, source, SVG, site_store)
    without = {area.name for area in board_page().areas if not area.cluster}
    section = root.find(f".//{XHTML}section[@aria-labelledby='in-words']")
    listed = []
    for heading in section.iter(f"{XHTML}h3"):
        items = heading.getnext()
        entries = []
        for li in items.iter(f"{XHTML}li"):
            targets = [iri_of(resolve(source, a.get("href"))) for a in li.iter(f"{XHTML}a")]
            entries.append((targets[0], sorted(targets[1:]), words(li)))
        listed.append((words(heading), entries))
    assert [h for h, _ in listed] == [g["heading"] for g in picture]
    for (_, entries), group in zip(listed, picture, strict=True):
        assert [e[0] for e in entries] == [c["area"] for c in group["cards"]]
        for (_, others, text), card in zip(entries, group["cards"], strict=True):
            assert others == sorted(iri for iri, _, _ in card["linked"])
            ended = "ingen aktuel klyngeorganisation" if lang == "da" else "no current cluster organisation"
            assert (ended in text) == (label(site_store, card["area"], "da") in without)


# ---------------------------------------------------------------- the timeline


def designations(store: ox.Store) -> dict[str, tuple[str, str | None, str | None]]:
    """Return every cluster designation's organisation, start and end (lexical forms) from the dump."""
    query = (
        f"SELECT ?d ?o ?s ?e WHERE {{ ?d a <{KD}ClusterDesignation> ; <{KD}designatedOrganisation> ?o . "
        f"OPTIONAL {{ ?d <{KD}startDate> ?s }} OPTIONAL {{ ?d <{KD}endDate> ?e }} }}"
    )
    return {
        str(r["d"].value): (str(r["o"].value), r["s"] and r["s"].value, r["e"] and r["e"].value)
        for r in select(store, query)
    }


def first_and_after(value: str) -> tuple[datetime.date, datetime.date]:
    """Return the first day a date of the given precision may mean, and the day after its last."""
    if len(value) == 4:
        return datetime.date(int(value), 1, 1), datetime.date(int(value) + 1, 1, 1)
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:])
        return datetime.date(year, month, 1), datetime.date(year + month // 12, month % 12 + 1, 1)
    day = datetime.date.fromisoformat(value)
    return day, day + datetime.timedelta(days=1)


def axis(root: Any) -> Any:
    """Return a function from a day to its x on the timeline, read from the labelled years' grid lines."""
    years = {int(t.text): float(t.get("x")) for t in root.iter(f"{SVG}text") if t.get("class") == "pic-axis"}
    first, second = sorted(years)[:2]
    grid = sorted(
        {float(line.get("x1")) for line in root.iter(f"{SVG}line") if line.get("class") == "pic-grid"}
    )
    origin, step = grid[0], grid[1] - grid[0]
    assert abs(years[first] - (origin + step / 2)) < 1 and abs(years[second] - years[first] - step) < 1

    def x(day: datetime.date) -> float:
        start = datetime.date(first, 1, 1)
        return origin + step * (day - start).days / 365.25

    return x


@pytest.mark.parametrize("lang", LANGS)
def test_the_timeline_has_a_bar_per_designation_from_its_start_to_its_end(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    root = parse_svg(built_site, "timeline", lang)
    x = axis(root)
    data = designations(site_store)
    rows = {g.get("id"): g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("pic-row")}
    assert sorted(rows) == sorted(f"bar-{PurePosixPath(d).name}" for d in data)
    # The sources: MARLOG reported designated on a day, bankrupt in 2022; the others announced in a month.
    marlog_start = english_date(readme_match(r"logistics on (\d+ \w+ \d{4})").group(1))
    announced = english_date(readme_match(r"designations were announced in (\w+ \d{4})").group(1))
    ended_year = readme_match(r"declared bankrupt in spring (\d{4})").group(1)
    name = marlog()[0]
    for designation, (organisation, start, end) in data.items():
        row = rows[f"bar-{PurePosixPath(designation).name}"]
        is_marlog = label(site_store, organisation, "da") == name
        assert (start, end) == ((marlog_start, ended_year) if is_marlog else (announced, None))
        parts = {
            p.get("class").split()[-1]: p for p in row if p.tag in (f"{SVG}rect", f"{SVG}path", f"{SVG}line")
        }
        first, after = first_and_after(start)
        if len(start) == 10:  # known to the day: the bar starts solid on it
            assert [p.get("class") for p in row].count("pic-vague") == (1 if end else 0)
            assert abs(float(parts["pic-solid"].get("x")) - x(first)) < 1.5
        else:  # known to the month: hatched over the month, solid after it
            vague = [p for p in row if p.get("class") == "pic-vague"][0]
            assert abs(float(vague.get("x")) - x(first)) < 1.5
            assert abs(float(vague.get("x")) + float(vague.get("width")) - x(after)) < 1.5
        if end:  # ended, known to the year: solid until the year, hatched over it, a closing stroke
            end_first, end_after = first_and_after(end)
            vague = [p for p in row if p.get("class") == "pic-vague"][-1]
            assert abs(float(vague.get("x")) - x(end_first)) < 1.5
            assert abs(float(parts["pic-end"].get("x1")) - x(end_after)) < 1.5
            assert "pic-open" not in parts and "pic-ended" in row.get("class")
        else:  # no end date: an arrow to the axis' end
            assert "pic-open" in parts and "pic-end" not in parts
        said = words(row)
        assert label(site_store, organisation, lang) in said
        assert (("ophørt" if lang == "da" else "ended") in said) == bool(end)


@pytest.mark.parametrize("lang", LANGS)
def test_the_timeline_page_s_table_holds_the_same_facts(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    source = page_path("timeline", lang)
    root = parse_page(built_site, "timeline", lang).getroot()
    inline = root.find(f".//{SVG}svg")
    data = designations(site_store)
    bars = [g for g in inline.iter(f"{SVG}g") if (g.get("class") or "").startswith("pic-row")]
    assert len(bars) == len(data)
    table = root.find(f".//{XHTML}table")
    rows = table.find(f"{XHTML}tbody").findall(f"{XHTML}tr")
    assert len(rows) == len(data)
    for tr in rows:
        designation = next(d for d in data if tr.get("id") == f"row-{PurePosixPath(d).name}")
        organisation, start, end = data[designation]
        cells = list(tr)
        link = cells[0].find(f"{XHTML}a")
        assert iri_of(resolve(source, link.get("href"))) == organisation
        times = [t.get("datetime") for t in tr.iter(f"{XHTML}time")]
        assert times == [v for v in (start, end) if v]
        if end is None:
            assert words(cells[3]) == ("Ingen slutdato angivet" if lang == "da" else "No end date given")
        for a in tr.iter(f"{XHTML}a"):
            assert (built_site / resolve(source, a.get("href"))).is_file()


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 as a plain static host; yield its root URL."""
    with serve(built_site) as url:
        yield url


def luminance(colour: str) -> float:
    """Return the WCAG 2.2 relative luminance of a CSS rgb() colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str, background: str = "rgb(255, 255, 255)") -> float:
    """Return the WCAG contrast ratio of two colours."""
    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


MEASURE = """(() => {
  const svg = document.querySelector('figure.picture svg');
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')].map(t => ({
    size: parseFloat(getComputedStyle(t).fontSize) * scale, fill: getComputedStyle(t).fill}));
  const shown = '.pic-solid, .pic-open, .pic-end, .pic-stroke-fill, .pic-box';
  const marks = [...svg.querySelectorAll(shown)].map(e => {
    const s = getComputedStyle(e);
    return e.classList.contains('pic-box') || s.fill === 'none' ? s.stroke : s.fill;
  });
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          left: box.left, right: box.right, texts, marks,
          links: [...svg.querySelectorAll('a')].map(a => a.getAttribute('href'))};
})()"""

HIT = """((i) => {
  const a = document.querySelectorAll('figure.picture svg a')[i];
  a.scrollIntoView({block: 'center'});
  const r = a.querySelector('tspan').getBoundingClientRect();  // its first line
  const hit = document.elementFromPoint(r.left + Math.min(8, r.width / 2), r.top + r.height / 2);
  return hit !== null && hit.closest('a') === a;
})"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("stem", STEMS)
def test_the_picture_pages_render_fit_a_phone_and_their_links_work(
    server: str, tab: Tab, built_site: Path, stem: str, lang: str
) -> None:
    url = urljoin(server, page_path(stem, lang))
    for width in (1280, 390):
        tab.open(url, width=width, height=900, mobile=width < 500)
        found = tab.evaluate(MEASURE)
        assert found["scroll"] <= found["inner"], (width, found["scroll"])
        assert found["left"] >= 0 and found["right"] <= found["inner"]
        smallest = min(t["size"] for t in found["texts"])
        assert smallest >= 12 if width == 390 else smallest >= 14, (width, smallest)
        assert all(contrast(t["fill"]) >= 4.5 for t in found["texts"]), found["texts"]
        assert found["marks"] and all(contrast(m) >= 3 for m in found["marks"]), found["marks"]
        for i in range(len(found["links"])):
            assert tab.evaluate(f"{HIT}({i})"), (width, found["links"][i])
        tab.evaluate("window.scrollTo(0, 0)")
        tab.screenshot(f"picture-{stem}-{lang}-{width}")
    assert not [u for u in tab.requested if not u.startswith(server)]
    # A click on a link in the picture opens that page.
    tab.open(url, width=390, height=900, mobile=True)
    target = tab.evaluate(
        "(() => { const a = document.querySelectorAll('figure.picture svg a')[1];"
        " a.scrollIntoView({block: 'center'}); const r = a.querySelector('tspan').getBoundingClientRect();"
        " const href = new URL(a.getAttribute('href'), location.href).href;"
        " return [r.left + Math.min(8, r.width / 2), r.top + r.height / 2, href]; })()"
    )
    tab.browser.events = [e for e in tab.browser.events if e.get("method") != "Page.loadEventFired"]
    for kind in ("mousePressed", "mouseReleased"):
        tab.call("Input.dispatchMouseEvent", type=kind, x=target[0], y=target[1], button="left", clickCount=1)
    tab.browser.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == tab.session)
    assert tab.evaluate("location.href") == target[2]
    assert (built_site / urlsplit(target[2]).path.lstrip("/")).is_file()


@pytest.mark.parametrize("stem", STEMS)
def test_in_print_the_picture_is_black_on_white_and_whole(server: str, tab: Tab, stem: str) -> None:
    tab.open(urljoin(server, page_path(stem, "en")), width=700, height=900)
    tab.call("Emulation.setEmulatedMedia", media="print")
    found = tab.evaluate(MEASURE)
    assert {t["fill"] for t in found["texts"]} == {"rgb(0, 0, 0)"}
    assert set(found["marks"]) <= {"rgb(0, 0, 0)"}
    assert found["right"] <= found["inner"] and found["left"] >= 0
