"""Pages in people's words (issue 13, item 3), read from the built pages through html5lib.

Each page is parsed as a browser parses it (html5lib, the WHATWG algorithm); what a reader sees
is taken from the parsed tree: the section headings, the label (``dt``) and the values (``dd``)
of every line. The expected words come from the issue: no SKOS plumbing ("i begrebssystem",
"topbegreb i", "placering"), one capitalisation, no empty section, no line said twice, the
tourism note before the list it introduces, and a 404 page in the reader's language with the
search box and a way home.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest
from servers import serving

SKOS_WORDS = {"i begrebssystem", "topbegreb i", "placering", "in scheme", "top concept of", "position"}


def parse(body: bytes) -> Element:
    """Return the parsed document (html5lib, without the XHTML namespace in tag names)."""
    document: Element = html5lib.parse(body, namespaceHTMLElements=False)
    return document


def words(element: Element) -> str:
    """Return an element's text as a reader sees it: its words, single-spaced."""
    return " ".join("".join(element.itertext()).split())


def sections(page: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """Return each section of a page's main part: heading → its lines (label, values)."""
    main = parse(page.read_bytes()).find(".//main")
    assert main is not None, page
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for section in main.iter("section"):
        heading = section.find("h2")
        if heading is None:
            continue
        lines = []
        for row in section.iter("div"):
            label, value = row.find("dt"), row.find("dd")
            if label is not None and value is not None:
                items = value.findall(".//li") or [value]
                lines.append((words(label), [words(i) for i in items]))
        found[words(heading)] = lines
    return found


def resource_pages(site: Path) -> list[Path]:
    return sorted((site / "id").rglob("*.html"))


def test_area_pages_say_what_a_reader_needs_once_in_plain_words(built_site: Path) -> None:
    for page, part_of in (
        ("id/area/miljoeteknologi.html", "Del af"),
        ("id/area/miljoeteknologi.en.html", "Part of"),
    ):
        shown = sections(built_site / page)
        labels = [label for lines in shown.values() for label, _ in lines]
        assert not {label.casefold() for label in labels} & SKOS_WORDS, (page, labels)
        # The scheme the area belongs to: one line, in the statements, not again under incoming links.
        scheme_lines = [
            (label, values) for lines in shown.values() for label, values in lines if label == part_of
        ]
        assert len(scheme_lines) == 1, (page, scheme_lines)
        assert len(scheme_lines[0][1]) == 1


def test_a_page_names_its_kind_not_skos_concept(built_site: Path) -> None:
    for page, kind in (("miljoeteknologi.html", "styrkeposition"), ("miljoeteknologi.en.html", "stronghold")):
        kicker = parse((built_site / "id/area" / page).read_bytes()).find(".//p[@class='kicker']")
        assert kicker is not None
        assert words(kicker) == kind  # was "styrkeposition, begreb" / "stronghold, concept"


def test_one_capitalisation_for_every_line_label(built_site: Path) -> None:
    lower = {
        (str(page.relative_to(built_site)), label)
        for page in resource_pages(built_site)
        for lines in sections(page).values()
        for label, _ in lines
        if label[:1].islower()
    }
    assert lower == set()


def test_no_empty_section_and_no_line_said_twice(built_site: Path) -> None:
    empty, twice = [], []
    for page in resource_pages(built_site):
        main = parse(page.read_bytes()).find(".//main")
        assert main is not None
        for section in main.iter("section"):
            heading = section.find("h2")
            rest = "".join(words(child) for child in section if child is not heading)
            if heading is not None and not rest:
                empty.append((page.name, words(heading)))
        # The same label with the same values twice on a page (statements and incoming links).
        seen = [(label, tuple(values)) for lines in sections(page).values() for label, values in lines]
        twice += [(page.name, line) for line in set(seen) if seen.count(line) > 1]
    assert empty == []
    assert twice == []


def test_the_scheme_is_not_repeated_under_links_to_this(built_site: Path) -> None:
    shown = sections(built_site / "id/scheme/erhvervs-og-teknologiomraader.en.html")
    values = [tuple(v) for lines in shown.values() for _, v in lines]
    areas = [v for v in values if "Environmental technology" in v]
    assert len(areas) == 1, (
        shown
    )  # "Includes", once (was also "Concepts in the scheme" and "Has top concept")
    labels = [label for lines in shown.values() for label, _ in lines]
    assert "The areas of" in labels  # was "Area scheme of": the strategy the areas belong to
    titles = [label for label in labels if label == "Title"]
    assert titles == []  # the heading, not repeated as a line (in Danish)


def test_the_tourism_note_comes_before_the_list_it_introduces(built_site: Path) -> None:
    for page, note in (
        ("turisme.html", "Danmarks Erhvervsfremmebestyrelse vil understøtte:"),
        ("turisme.en.html", "The Danish Board of Business Development will support:"),
    ):
        main = parse((built_site / "id/alternative-arrangement" / page).read_bytes()).find(".//main")
        assert main is not None
        texts = [words(e) for e in main.iter() if e.tag in ("dd", "li")]
        first_item = next(i for i, t in enumerate(texts) if "1" in t and ("Grøn" in t or "Green" in t))
        assert texts.index(note) < first_item, texts


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    with serving(built_site) as url:
        yield url


def not_found(url: str, language: str) -> tuple[int, Element]:
    request = urllib.request.Request(url, headers={"Accept-Language": language, "Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, parse(response.read())
    except urllib.error.HTTPError as error:
        return error.code, parse(error.read())


@pytest.mark.parametrize(
    ("language", "lang", "home"),
    [("en-GB,en;q=0.9", "en", "go to the front page."), ("da", "da", "gå til forsiden."), ("fr", "da", None)],
)
def test_the_404_page_speaks_the_readers_language_and_offers_a_way_on(
    server: str, built_site: Path, language: str, lang: str, home: str | None
) -> None:
    status, page = not_found(server + "/id/area/no-such-area", language)
    assert status == 404
    assert page.get("lang") == lang
    form = page.find(".//form[@role='search']")
    assert form is not None
    assert form.find(".//input[@name='q']") is not None
    assert form.get("action", "").endswith("a-z.html" if lang == "da" else "a-z.en.html")
    links = {words(a): a.get("href") for a in page.iter("a")}
    if home:
        assert links[home] == links[words(page.find(".//a[@class='brand']"))]
    # The static copy a plain host serves is the same page per language.
    static = parse((built_site / ("404.html" if lang == "da" else "404.en.html")).read_bytes())
    assert static.get("lang") == lang
