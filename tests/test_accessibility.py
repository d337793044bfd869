"""Every page template passes axe-core at WCAG 2.2 AA, in every language, on a desktop and a phone.

axe-core (npm, pinned in tests/node/package.json, installed by ``npm ci --prefix tests/node``)
is injected into a real headless Chromium (tests/chromium.py) that loads the built site from
127.0.0.1. The templates are found from the built site itself: every full HTML page is grouped
by what made it (its folder, such as ``id/area`` or ``changes``, or its name at the top, such as
``a-z`` or ``404``), so a template added later is covered without a change here. One page of
each group is checked per language, at 1280 px and at 390 px.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chromium import Tab, serve

AXE = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core's tags; 2.2 adds AA rules only).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = ((1280, 900, False), (390, 844, True))
RUN = """
axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]})
  .then(r => JSON.stringify(r.violations.map(v => [v.id, v.impact, v.help,
        v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)])))
"""


def page_language(page: Path) -> str:
    """Return the language code of a page from its name (<stem>.html is the primary language)."""
    parts = page.name.split(".")
    return parts[-2] if len(parts) > 2 and parts[-2].isalpha() else ""


def template_of(site: Path, page: Path) -> str:
    """Return what made a page: its folder, or its stem when it lies at the top of the site."""
    relative = page.relative_to(site)
    if relative.parent != Path("."):
        return str(relative.parent)
    return relative.name.split(".")[0]


def one_page_per_template(site: Path) -> dict[tuple[str, str], Path]:
    """Return one full HTML page (not an embeddable snippet) per template and language."""
    chosen: dict[tuple[str, str], Path] = {}
    for page in sorted(site.rglob("*.html")):
        with page.open("rb") as handle:
            if not handle.read(15).lower().startswith(b"<!doctype html"):
                continue  # a snippet for other people's pages (embed/<kind>/…)
        chosen.setdefault((template_of(site, page), page_language(page)), page)
    return chosen


def violations(tab: Tab, url: str, width: int, height: int, mobile: bool) -> list[Any]:
    """Load a page at a viewport size, inject axe-core and return its violations."""
    tab.open(url, width=width, height=height, mobile=mobile)
    tab.call("Runtime.evaluate", expression=AXE.read_text(encoding="utf-8"))
    result = tab.call(
        "Runtime.evaluate", expression=RUN % json.dumps(TAGS), awaitPromise=True, returnByValue=True
    )
    assert "exceptionDetails" not in result, result
    found: list[Any] = json.loads(result["result"]["value"])
    return found


def test_the_templates_are_found_from_the_built_site(built_site: Path) -> None:
    found = one_page_per_template(built_site)
    templates = {template for template, _ in found}
    # Each kind of page the issue names, and a resource page of each kind of thing described.
    kinds = {f"id/{folder.name}" for folder in (built_site / "id").iterdir() if folder.is_dir()}
    assert kinds <= templates
    named = {"index", "clusters", "focal-points", "dataset", "ontology", "shapes", "query", "a-z"}
    assert named | {"404", "changes", "embed"} <= templates
    # Every template in both languages, and no snippet among them.
    assert {lang for _, lang in found} == {"", "en"}
    assert all(sorted(lang for t, lang in found if t == template) == ["", "en"] for template in templates)
    assert not any(template.startswith("embed/") for template in templates)


def test_every_template_passes_axe_core_at_wcag_2_2_aa(built_site: Path, tab: Tab) -> None:
    assert AXE.is_file(), "axe-core is missing: run npm ci --prefix tests/node (the README's test command)"
    failures: dict[str, list[Any]] = {}
    with serve(built_site) as server:
        for (template, lang), page in sorted(one_page_per_template(built_site).items()):
            url = server + page.relative_to(built_site).as_posix()
            for width, height, mobile in WIDTHS:
                found = violations(tab, url, width, height, mobile)
                if found:
                    failures[f"{template} {lang or 'primary'} {width}px {url}"] = found
    assert failures == {}, json.dumps(failures, indent=1, ensure_ascii=False)
