"""A real headless Chromium loads built pages from a local HTTP server, as people and crawlers do.

Chromium is driven through the Chrome DevTools Protocol over a pipe (tests/chromium.py). For a
handful of pages the test takes screenshots (kept in tests/artifacts/), reads
the JSON-LD from the live DOM and expands it with pyld, and checks what a person meets: the
contrast of every text, a visible focus, a layout without sideways scrolling on a phone, and
a print layout without navigation. Nothing is requested from anywhere but 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import ARTIFACTS, Tab, serve
from conftest import BASE
from jsonld_support import SCHEMA, to_store
from sources import BOARD, marlog


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 from a thread; yield its root URL."""
    with serve(built_site) as url:
        yield url


LIVE_JSONLD = (
    "JSON.stringify([...document.querySelectorAll('script[type=\"application/ld+json\"]')]"
    ".map(s => s.textContent))"
)


def live_jsonld(tab: Tab) -> list[Any]:
    """Return the JSON-LD documents in the live DOM."""
    return [json.loads(text) for text in json.loads(tab.evaluate(LIVE_JSONLD))]


def test_pages_render_and_their_live_json_ld_expands_to_the_expected_statements(
    server: str, tab: Tab
) -> None:
    name, short = marlog()
    organisation = f"{BASE}id/cluster/maritime-logistics-innovation-denmark"
    area = f"{BASE}id/area/maritime-erhverv-og-logistik"
    expectations = {
        "id/cluster/maritime-logistics-innovation-denmark.en.html": f"""
            <{organisation}> a s:Organization ; s:name "{name}" ; s:alternateName "{short}" ;
                s:knowsAbout <{area}> ; s:areaServed [ a s:Country ; s:name "Denmark" ] .""",
        "id/area/miljoeteknologi.html": f"""
            <{BASE}id/area/miljoeteknologi> a s:DefinedTerm ; s:name "Miljøteknologi" ;
                s:inDefinedTermSet <{BASE}id/scheme/erhvervs-og-teknologiomraader> .""",
        "index.html": f"""
            <{BASE}id/strategy/erhvervsfremme-i-danmark-2020-2023> a s:CreativeWork ;
                s:publisher <{BOARD}> . <{BASE}> a s:WebSite .""",
        "dataset.en.html": f"""
            <{BASE}dataset> a s:Dataset ; s:license <https://creativecommons.org/licenses/by/4.0/> ;
                s:distribution [
                    a s:DataDownload ; s:contentUrl <{BASE}dataset.ttl> ; s:encodingFormat "text/turtle"
                ] ;
                s:includedInDataCatalog <{BASE}catalog> ; s:isAccessibleForFree true .""",
    }
    for page, pattern in expectations.items():
        tab.open(server + page)
        title = tab.evaluate("document.querySelector('h1').textContent")
        assert title.strip(), page
        shot = tab.screenshot(page.replace("/", "_").removesuffix(".html"))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        (document,) = live_jsonld(tab)
        store = to_store(document)
        assert store.query(f"PREFIX s: <{SCHEMA}> ASK {{ {pattern} }}"), page
    assert tab.requested and all(url.startswith(server) for url in tab.requested), tab.requested


CONTRAST = """
(() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const style = getComputedStyle(el);
    if (!node.textContent.trim() || el.closest('script') || el.getClientRects().length === 0
        || style.visibility === 'hidden') continue;
    const [l1, l2] = [lum(rgb(style.color)), lum(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && style.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push([node.textContent.trim().slice(0, 40), ratio.toFixed(2)]);
  }
  return failures;
})()
"""


def test_text_contrast_focus_phone_and_print(server: str, tab: Tab) -> None:
    tab.open(server + "id/area/turisme.html")
    assert tab.evaluate(CONTRAST) == []
    tab.key("Tab", 9)
    assert tab.evaluate("document.activeElement.className") == "skip-link"
    tab.key("Tab", 9)
    focused = tab.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, s.backgroundColor, s.color]; })()"
    )
    assert focused == ["brand", "rgb(255, 221, 0)", "rgb(11, 12, 12)"]
    tab.screenshot("focus-visible", full=False)
    tab.open(server + "clusters.html", width=390, height=844, mobile=True)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    assert tab.evaluate(CONTRAST) == []
    tab.screenshot("phone-clusters")
    tab.open(
        server + "id/cluster/maritime-logistics-innovation-denmark.html", width=390, height=844, mobile=True
    )
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.screenshot("phone-marlog")
    tab.call("Emulation.setEmulatedMedia", media="print")
    hidden = tab.evaluate(
        "['.site-nav', '.lang-switch'].map(s => getComputedStyle(document.querySelector(s)).display)"
    )
    assert hidden == ["none", "none"]
    pdf = tab.call("Page.printToPDF")["data"]
    (ARTIFACTS / "print-marlog.pdf").write_bytes(base64.b64decode(pdf))
    assert base64.b64decode(pdf)[:5] == b"%PDF-"
