"""Search (issue 13): the static index per language, folding, the A–Z page, and the box in Chromium.

The index is checked against the built dump (every described resource, every label and
alternative label in every language); the A–Z page is parsed by html5lib (the WHATWG
algorithm, strict) and every link followed on disk; a real headless Chromium, served the built
site from 127.0.0.1 (tests/chromium.py), types into the box, moves with the arrow keys,
presses Enter and lands on the resource's page, and with JavaScript disabled submits the form
to the A–Z page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import html5lib
import pyoxigraph as ox
import pytest
from chromium import Tab, serve
from conftest import BASE

from publish.search import collation, fold, letter

LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2006/vcard/ns#fn",
    "http://www.w3.org/2004/02/skos/core#altLabel",
)
FOOD = "id/area/foedevarer-og-bioressourcer"
ROBOT = "id/area/robot-og-droneteknologi"
MARLOG = "id/cluster/maritime-logistics-innovation-denmark"


def page(stem: str, lang: str) -> str:
    """Return the site path of a page (Danish the primary language)."""
    return f"{stem}.html" if lang == "da" else f"{stem}.{lang}.html"


def load_index(site: Path, lang: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((site / page("search", lang).replace(".html", ".json")).read_text())
    return document


def labels_in_dump(store: ox.Store) -> dict[str, set[str]]:
    """Return every described resource (id/…) with all its labels and alternative labels, from the dump."""
    found: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(f"{BASE}graph/data")):
        subject = quad.subject
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(f"{BASE}id/"):
            continue
        names = found.setdefault(subject.value, set())
        if quad.predicate.value in LABELS and isinstance(quad.object, ox.Literal):
            names.add(quad.object.value)
    return found


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_index_holds_every_described_resource_with_every_label_in_every_language(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    expected = labels_in_dump(site_store)
    assert len(expected) == 153
    index = load_index(built_site, lang)
    items = {path: (label, kind, others) for label, kind, path, others in index["items"]}
    assert set(items) == {page(iri.removeprefix(BASE), lang) for iri in expected}
    for iri, names in expected.items():
        label, kind, others = items[page(iri.removeprefix(BASE), lang)]
        assert label in names and kind is not None and isinstance(index["kinds"][kind], str)
        kept = {fold(name) for name in [label, *others]}
        # Every name is there, once: a name is left out only when it folds to one that is kept.
        assert {fold(name) for name in names} == kept and len(kept) == 1 + len(others), iri
    marlog = items[page(MARLOG, lang)]
    assert "MARLOG" in marlog[2]
    danish = items[page(FOOD, lang)]
    assert {danish[0], *danish[2]} == {"Fødevarer og bioressourcer", "Food and bioresources"}
    assert index["fold"][:3] == [["æ", "ae"], ["ø", "o"], ["œ", "oe"]]


def test_the_index_is_in_the_language_s_alphabetical_order_and_small(built_site: Path) -> None:
    danish = [label for label, *_ in load_index(built_site, "da")["items"]]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ"
    firsts = [alphabet.index(label[0].upper()) for label in danish if label[0].upper() in alphabet]
    assert firsts == sorted(firsts) and len(firsts) == len(danish)
    # 153 resources with two languages' labels: some 20 kB, a few kB gzipped (measured: 19.6 kB).
    assert (built_site / "search.json").stat().st_size < 40_000


def test_the_a_z_order_follows_the_language_s_alphabet() -> None:
    danish, english = "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    words = ["Århus", "Zealand", "Øresund", "Ærø", "Aalborg", "Émile", "Odense"]
    # Danish puts Æ, Ø, Å after Z (Retskrivningsordbogen); accented letters sit beside their base letter.
    assert sorted(words, key=lambda w: collation(w, danish)) == [
        "Aalborg",
        "Émile",
        "Odense",
        "Zealand",
        "Ærø",
        "Øresund",
        "Århus",
    ]
    assert [letter(w, danish) for w in ("Århus", "Émile", "3D-print")] == ["Å", "E", None]
    assert [letter(w, english) for w in ("Århus", "Émile")] == ["A", "E"]


def test_folding_finds_danish_letters_however_they_are_typed(built_site: Path) -> None:
    items = {path: label for label, _, path, _ in load_index(built_site, "da")["items"]}
    food, environment = items[page(FOOD, "da")], items[page("id/area/miljoeteknologi", "da")]
    actors = items[page("id/scheme/aktoertyper", "da")]
    areas = items[page("id/scheme/erhvervs-og-teknologiomraader", "da")]
    welfare = items[page("id/area/life-science-og-velfaerdsteknologi", "da")]
    assert (food, environment, actors) == ("Fødevarer og bioressourcer", "Miljøteknologi", "Aktørtyper")
    for typed in ("fodevarer", "foedevarer", "FØDEVARER", "Fødevarer og bio", "fødevarer, og  bio"):
        assert fold(food).startswith(fold(typed)), typed
    assert fold(environment).startswith(fold("miljoteknologi")) and fold("miljoeteknologi") in fold(
        environment
    )
    assert fold("aktortyper") == fold("aktoertyper") == fold(actors)
    assert fold("teknologiomraader") in fold(areas) and fold("teknologiomrader") in fold(areas)
    assert fold("velfaerd") in fold(welfare)
    assert fold("fodevarer") not in fold(items[page("id/area/turisme", "da")])
    assert fold("Élan, café") == "elan cafe"


def parse_strict(path: Path) -> Any:
    """Parse a page with html5lib in strict mode (any parse error raises)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes(), likely_encoding="utf-8")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_a_z_page_is_valid_html_lists_everything_and_every_link_resolves(
    built_site: Path, site_store: ox.Store, lang: str
) -> None:
    source = built_site / page("a-z", lang)
    tree = parse_strict(source)
    assert tree.get("lang") == lang
    ids = {element.get("id") for element in tree.iter() if element.get("id")}
    hrefs = [a.get("href") for a in tree.iter("a")]
    base = f"http://site.invalid/{page('a-z', lang)}"
    for href in hrefs:
        target = urljoin(base, href)
        if not target.startswith("http://site.invalid/"):
            continue  # the permanent IRI, the licence
        parts = urlsplit(target)
        path = unquote(parts.path).removeprefix("/")
        if path == page("a-z", lang) and parts.fragment:
            assert unquote(parts.fragment) in ids, href
        else:
            assert (built_site / path).is_file(), href
    listed = {str(PurePosixPath(page("a-z", lang)).parent / h) for h in hrefs if h.startswith("id/")}
    assert {page(iri.removeprefix(BASE), lang) for iri in labels_in_dump(site_store)} <= listed
    main = tree.find(".//main")
    headings = [h.text for h in main.iter("h2")]
    assert headings == sorted(headings) and headings[0] == "A"
    lines = ["".join(li.itertext()) for li in main.iter("li")]
    see, kind = ("se", "klyngeorganisation") if lang == "da" else ("see", "cluster organisation")
    assert f"MARLOG ({see} Maritime & Logistics Innovation Denmark) {kind}" in lines
    form = tree.find(".//form[@role='search']")
    assert form.get("action") == page("a-z", lang) and form.get("method") == "get"


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 from a thread, as a plain static host; yield its root URL."""
    with serve(built_site) as url:
        yield url


def focus_box(tab: Tab) -> None:
    """Move the keyboard focus into the search box through the DOM domain (works without JavaScript)."""
    root = tab.call("DOM.getDocument")["root"]["nodeId"]
    node = tab.call("DOM.querySelector", nodeId=root, selector="#site-search")["nodeId"]
    tab.call("DOM.focus", nodeId=node)


def type_text(tab: Tab, text: str) -> None:
    """Replace the box's text as a person would: select all, then type."""
    tab.call(
        "Input.dispatchKeyEvent", type="keyDown", key="a", code="KeyA", modifiers=2, commands=["selectAll"]
    )
    tab.call("Input.dispatchKeyEvent", type="keyUp", key="a", code="KeyA", modifiers=2)
    tab.call("Input.insertText", text=text)


def press_and_land(tab: Tab, key: str, code: int, text: str = "") -> str:
    """Press a key that navigates; wait for the new page's load event and return its URL."""
    tab.browser.events = [e for e in tab.browser.events if e.get("method") != "Page.loadEventFired"]
    extra = {"text": text} if text else {}
    tab.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code, **extra)
    tab.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code)
    tab.browser.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == tab.session)
    history = tab.call("Page.getNavigationHistory")
    url: str = history["entries"][history["currentIndex"]]["url"]
    return url


OPTIONS = (
    "[...document.querySelectorAll('#site-search-list [role=option] .site-search-label')]"
    ".map(o => o.textContent)"
)
STATE = """(() => {
  const i = document.getElementById('site-search'), l = document.getElementById('site-search-list');
  return {role: i.getAttribute('role'), expanded: i.getAttribute('aria-expanded'),
    controls: i.getAttribute('aria-controls'), active: i.getAttribute('aria-activedescendant'),
    hidden: l.hidden, focused: document.activeElement === i,
    selected: [...l.querySelectorAll('[aria-selected=true]')].map(o => o.id),
    status: document.querySelector('.site-search [role=status]').textContent}; })()"""


@pytest.mark.parametrize(
    ("start", "lang", "first_query", "query", "label", "target"),
    [
        ("id/area/turisme", "da", "fo", "fodevarer", "Fødevarer og bioressourcer", FOOD),
        ("id/area/turisme", "en", "ro", "robot", "Robot and drone technology", ROBOT),
        ("index", "da", "ro", "robot", "Robot- og droneteknologi", ROBOT),
        ("clusters", "en", "fo", "fod", "Food and bioresources", FOOD),
        (
            "id/support-point/turisme-1",
            "da",
            "ma",
            "marlog",
            "Maritime & Logistics Innovation Denmark",
            MARLOG,
        ),
    ],
)
def test_typing_suggests_and_the_keyboard_opens_the_resource_in_the_page_s_language(
    server: str, tab: Tab, start: str, lang: str, first_query: str, query: str, label: str, target: str
) -> None:
    tab.open(server + page(start, lang))
    tab.browser.events = [e for e in tab.browser.events if e.get("method") != "Network.requestWillBeSent"]
    focus_box(tab)
    type_text(tab, first_query)
    assert tab.until(f"{OPTIONS}.length > 0")
    state = tab.evaluate(STATE)
    assert (
        state["role"] == "combobox"
        and state["expanded"] == "true"
        and state["controls"] == "site-search-list"
    )
    type_text(tab, query)
    tab.until(f"{OPTIONS}[0] === {json.dumps(label)}")
    count = tab.until("document.querySelector('.site-search [role=status]').textContent")
    shown = tab.evaluate(f"{OPTIONS}.length")
    assert str(shown) in count or (shown == 1 and count in ("1 forslag", "1 suggestion")), count
    tab.screenshot(f"search-{lang}-{query}", full=False)
    tab.key("ArrowDown", 40)
    state = tab.evaluate(STATE)
    assert state["active"] == "site-search-list-0" and state["selected"] == ["site-search-list-0"]
    assert state["focused"], "the focus stays in the box while the options are chosen"
    # The active option is shown in the site's focus colours (yellow, dark text).
    shown_as = "getComputedStyle(document.getElementById('site-search-list-0'))"
    assert tab.evaluate(f"[{shown_as}.backgroundColor, {shown_as}.color]") == [
        "rgb(255, 221, 0)",
        "rgb(11, 12, 12)",
    ]
    tab.key("ArrowDown", 40)
    tab.key("ArrowUp", 38)
    assert tab.evaluate(STATE)["active"] == "site-search-list-0"
    landed = press_and_land(tab, "Enter", 13, "\r")
    assert landed == server + page(target, lang)
    assert tab.evaluate("document.querySelector('h1').textContent").strip() == label
    # Nothing but the site itself was asked for: the index, the script, the pages.
    requested = [
        e["params"]["request"]["url"]
        for e in tab.browser.events
        if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == tab.session
    ]
    assert server + page("search", lang).replace(".html", ".json") in requested
    assert server + page(target, lang) in requested
    assert all(url.startswith(server) for url in requested), requested


def test_escape_closes_and_an_unknown_name_is_announced(server: str, tab: Tab) -> None:
    tab.open(server + page("dataset", "en"))
    for _ in range(3):  # keyboard only: the skip link, the site's name, then the search box
        tab.key("Tab", 9)
    assert tab.evaluate("document.activeElement.id") == "site-search"
    type_text(tab, "fo")
    tab.until(f"{OPTIONS}.length > 0")
    tab.key("Escape", 27)
    state = tab.evaluate(STATE)
    assert state["expanded"] == "false" and state["hidden"] and state["active"] is None
    assert tab.evaluate("document.getElementById('site-search').value") == "fo"
    tab.key("Escape", 27)
    assert tab.evaluate("document.getElementById('site-search').value") == ""
    type_text(tab, "qxqx")
    assert tab.until("document.querySelector('.site-search [role=status]').textContent") == "No matches"
    assert tab.evaluate(STATE)["hidden"]


def test_without_javascript_the_form_leads_to_the_a_z_page(server: str, tab: Tab) -> None:
    tab.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        for lang in ("da", "en"):
            tab.open(server + page("id/area/turisme", lang))
            focus_box(tab)
            tab.call("Input.insertText", text="fodevarer")
            landed = press_and_land(tab, "Enter", 13, "\r")
            assert landed == server + page("a-z", lang) + "?q=fodevarer"
            tab.screenshot(f"search-a-z-{lang}", full=False)
    finally:
        tab.call("Emulation.setScriptExecutionDisabled", value=False)
