"""A third language from the project alone: one config entry and one message file, no package change.

The tiny project (tests/projects/tiny) gets German: ``languages = ["da", "en", "de"]`` and
``messages_dir`` pointing at a copy of ``tests/projects/messages/de.toml``. Pages are checked
through html5lib, the sitemap through an XML parser, the catalogue through pyoxigraph.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE, ROOT, make_tiny
from jsonld_support import full_pages

from publish.cli import main

LANGUAGES = ("da", "en", "de")
GERMAN = ROOT / "tests" / "projects" / "messages" / "de.toml"
NAMES = {"da": "Dansk", "en": "English", "de": "Deutsch"}
AREA = "id/area/miljoeteknologi"


def with_german(project: Path) -> Path:
    """Give a laid-out tiny project German: a message file of its own and two config entries."""
    (project / "messages").mkdir()
    shutil.copy2(GERMAN, project / "messages" / "de.toml")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'languages = ["da", "en"]\n' in text
    text = text.replace(
        'languages = ["da", "en"]\n', 'languages = ["da", "en", "de"]\nmessages_dir = "messages"\n'
    )
    pyproject.write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def german_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with German, built once."""
    project = with_german(make_tiny(tmp_path_factory.mktemp("german") / "project"))
    result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "site"


def parse(path: Path) -> Element:
    """Parse one page as a browser would (html5lib: the WHATWG algorithm)."""
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    root: Element = parser.parse(path.read_text(encoding="utf-8"))
    assert not parser.errors, (path, parser.errors[:3])
    return root


def language_of(path: Path) -> str:
    """Return the language a page's file name says: ``x.html`` Danish, ``x.<lang>.html`` the other."""
    parts = path.name.split(".")
    return parts[-2] if len(parts) > 2 and parts[-2] in LANGUAGES else "da"


def twin(path: Path, lang: str) -> Path:
    """Return the same page in another language."""
    stem = path.name.removesuffix(".html")
    if language_of(path) != "da":
        stem = stem.rsplit(".", 1)[0]
    return path.with_name(f"{stem}.html" if lang == "da" else f"{stem}.{lang}.html")


def test_every_page_is_built_in_all_three_languages(german_site: Path) -> None:
    pages = full_pages(german_site)
    danish = [p for p in pages if language_of(p) == "da"]
    assert len(danish) > 10
    assert {p for p in pages} == {twin(p, lang) for p in danish for lang in LANGUAGES}
    assert (german_site / "404.de.html").is_file()
    for embed in ("html", "jsonld"):
        assert (german_site / f"embed/area/miljoeteknologi.de.{embed}").is_file()


def test_every_page_switches_to_the_two_other_languages(german_site: Path) -> None:
    for path in full_pages(german_site):
        lang, root = language_of(path), parse(path)
        assert root.get("lang") == lang, path
        switches = [ul for ul in root.iter("ul") if ul.get("class") == "lang-switch"]
        assert len(switches) == 1 and switches[0].get("aria-label"), path
        links = list(switches[0].iter("a"))
        assert {a.get("hreflang") for a in links} == set(LANGUAGES) - {lang}, path
        for link in links:
            other = link.get("hreflang", "")
            assert link.get("lang") == other and (link.text or "") == NAMES[other], path
            href = link.get("href", "")
            target = Path(href.removeprefix(BASE)) if href.startswith(BASE) else path.parent / href
            resolved = german_site / target if href.startswith(BASE) else target
            assert resolved.resolve() == twin(path, other).resolve(), (path, href)


def test_every_page_names_its_three_versions_with_hreflang(german_site: Path) -> None:
    for path in full_pages(german_site):
        if path.name.startswith("404"):
            continue
        root = parse(path)
        alternates = {e.get("hreflang"): e.get("href") for e in root.iter("link") if e.get("hreflang")}
        stem = str(twin(path, "da").relative_to(german_site)).removesuffix(".html")
        assert alternates == {
            "da": f"{BASE}{stem}.html",
            "en": f"{BASE}{stem}.en.html",
            "de": f"{BASE}{stem}.de.html",
            "x-default": f"{BASE}{stem}.html",
        }, path


def test_the_sitemap_lists_every_page_with_three_alternates(german_site: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = ET.parse(german_site / "sitemap.xml").getroot().findall("s:url", ns)
    pages = {u.findtext("s:loc", namespaces=ns): u for u in urls if u.find("x:link", ns) is not None}
    built = {f"{BASE}{p.relative_to(german_site)}" for p in full_pages(german_site) if "404" not in p.name}
    assert set(pages) == built
    for url in pages.values():
        assert sorted(link.get("hreflang", "") for link in url.findall("x:link", ns)) == [
            "da",
            "de",
            "en",
            "x-default",
        ]


def test_german_pages_speak_german_and_fall_back_to_english_data_labels(german_site: Path) -> None:
    root = parse(german_site / f"{AREA}.de.html")
    nav = next(e for e in root.iter("nav") if e.get("class") == "site-nav")
    assert nav.get("aria-label") == "Hauptmenü"
    assert [a.text for a in nav.iter("a")][:3] == ["Übersicht", "Clusterorganisationen", "Leitlinien"]
    # The data have no German labels: the English one, marked as English.
    h1 = next(root.iter("h1"))
    assert (h1.text, h1.get("lang")) == ("Environmental technology", "en")
    # So is the ontology's label of a property, in the list of statements.
    terms = {a.get("title"): dt for dt in root.iter("dt") for a in dt.iter("a")}
    initiative = terms["kd:clusterInitiative"]
    assert (initiative.get("lang"), next(initiative.iter("a")).text) == ("en", "Has cluster initiative")
    # A text the project's file leaves out falls back to the package's English.
    reuse = [h.text for h in root.iter("h2")]
    assert "Reuse" in reuse
    # The ontology has labels in Danish and English only: its German page shows the English ones.
    ontology = parse(german_site / "ontology.de.html")
    toc = next(e for e in ontology.iter("nav") if e.get("class") == "toc")
    first = next(toc.iter("a"))
    assert (first.get("href"), first.text, first.get("lang")) == ("#Strategy", "strategy", "en")
    heading = next(h for h in ontology.iter("h3") if h.get("id") == "h-Strategy")
    assert [(e.tag, e.text, e.get("lang")) for e in heading] == [
        ("span", "strategy", "en"),
        ("code", "kd:Strategy", None),
    ]
    lost = parse(german_site / "404.de.html")
    assert next(lost.iter("h1")).text == "Seite nicht gefunden"
    dataset = parse(german_site / "dataset.de.html")
    rows = {dt.text: dt for dt in dataset.iter("dt")}
    assert "Languages" in rows  # fallback key; the value lists the configured languages in German
    value = next(e for e in dataset.iter("dd") if e.text == "Dänisch, Englisch und Deutsch")
    assert value is not None


def test_the_catalogue_titles_distributions_in_each_language_a_file_gives(german_site: Path) -> None:
    graph = ox.Store()
    graph.bulk_extend(ox.parse(path=german_site / "catalog.ttl", format=ox.RdfFormat.TURTLE))
    titles = {
        (t.object.value, t.object.language)
        for t in graph.quads_for_pattern(None, ox.NamedNode("http://purl.org/dc/terms/title"), None)
        if isinstance(t.object, ox.Literal) and t.subject.value.startswith(f"{BASE}catalog#dataset-")
    }
    assert ("Der Datensatz als Turtle", "de") in titles
    assert ("Datasættet som Turtle", "da") in titles
    assert ("The dataset as Turtle", "en") in titles


@pytest.fixture
def german_project(tmp_path: Path) -> Path:
    """A fresh German tiny project, free to break."""
    return with_german(make_tiny(tmp_path / "project"))


Run = Callable[..., Any]


def test_validation_reports_in_the_third_language(german_project: Path, cli: Run) -> None:
    data = german_project / "data" / "tiny.ttl"
    text = data.read_text(encoding="utf-8")
    assert '"Udpegning af CLEAN for miljøteknologi"@da,' in text
    data.write_text(text.replace('"Udpegning af CLEAN for miljøteknologi"@da,', ""), encoding="utf-8")
    result = cli("validate", "--project", str(german_project), "--lang", "de")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Verstöße (") and lines[0].endswith("):"), lines[0]
    assert any(line.strip().startswith("definiert in: data/tiny.ttl:") for line in lines)
    assert any(line.strip().startswith("Eigenschaft: skos:prefLabel") for line in lines)
    assert lines[-1].endswith("Verstöße, 0 Warnungen.")


def test_a_language_that_is_not_configured_is_a_usage_error(german_project: Path, cli: Run) -> None:
    for command in (["validate"], ["build"], ["snippet", "miljoeteknologi"], ["query", "--list"]):
        result = cli(*command, "--project", str(german_project), "--lang", "fr")
        assert result.exit_code == 2, command
        assert result.stderr == (
            "klyngedata: --lang: 'fr' is not a configured language; choose one of: da, en, de"
            " (the config's languages)\n"
        )
    snippet = cli("snippet", "miljoeteknologi", "--project", str(german_project), "--lang", "de")
    assert snippet.exit_code == 0
    script = html5lib.parse(snippet.stdout, namespaceHTMLElements=False).find(".//script")
    assert script is not None and json.loads(script.text or "")["mainEntityOfPage"] == f"{BASE}{AREA}.de.html"


def test_a_language_without_a_message_file_or_a_misspelt_key_is_a_config_error(
    german_project: Path, cli: Run
) -> None:
    pyproject = german_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"de"]', '"de", "sv"]'), encoding="utf-8"
    )
    messages = german_project / "messages" / "de.toml"
    messages.write_text(messages.read_text(encoding="utf-8") + '\n[nav2]\nindex = "x"\n', encoding="utf-8")
    result = cli("validate", "--project", str(german_project))
    assert result.exit_code == 2
    assert f"{messages}: unknown key 'nav2'" in result.stderr
    assert f"no interface text in 'sv'; write {german_project / 'messages'}/sv.toml" in result.stderr


def test_a_project_file_changes_single_texts_of_a_shipped_language(german_project: Path, cli: Run) -> None:
    (german_project / "messages" / "da.toml").write_text(
        '[queries.focal-points]\ntitle = "Sigtelinjerne"\n', encoding="utf-8"
    )
    result = cli("query", "--list", "--lang", "da", "--project", str(german_project))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    at = lines.index("# query: focal-points")
    assert lines[at + 1] == "# title: Sigtelinjerne"
    # The rest of Danish is the package's: the description, and the other queries' titles.
    assert (
        lines[at + 2]
        == "# description: De fire sigtelinjer, som bestyrelsen baserer klyngeindsatsen på, i rækkefølge."
    )
    assert "# title: Områder uden klyngeorganisation" in lines
    (german_project / "messages" / "da.toml").write_text(
        '[queries.focal-points]\ntitle = "De fire sigtelinjer"\n', encoding="utf-8"
    )
    again = cli("query", "--list", "--lang", "da", "--project", str(german_project)).stdout.splitlines()
    assert again[at + 1] == "# title: De fire sigtelinjer"  # an edited file is read again
    german = cli("query", "--list", "--lang", "de", "--project", str(german_project)).stdout.splitlines()
    assert (
        german[german.index("# query: focal-points") + 1] == "# title: Focal points of the cluster initiative"
    )


def test_serve_negotiates_among_the_three_languages(german_site: Path, cli: Run) -> None:
    project = german_site.parent

    def location(*language: str) -> str:
        args = ["serve", "--project", str(project), "--get", f"/{AREA}", "--accept", "text/html"]
        result = cli(*args, *language)
        assert result.exit_code == 0, result.stderr
        head = result.stdout.split("\n\n", 1)[0].splitlines()
        return dict(line.split(": ", 1) for line in head[1:])["content-location"]

    assert location() == f"/{AREA}.html"  # no Accept-Language: the primary language
    assert location("--accept-language", "de-AT, en;q=0.5") == f"/{AREA}.de.html"
    assert location("--accept-language", "sv, en") == f"/{AREA}.en.html"
