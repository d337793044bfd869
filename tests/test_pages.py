"""The HTML pages, their schema.org JSON-LD, the snippets, the sitemap: checked through parsers.

Pages are parsed with html5lib (the WHATWG parsing algorithm); JSON-LD is expanded by pyld
with the schema.org context served offline from tests/vocab; expected facts come from the
source pages (``test_data``'s parsers), the ontology and the shapes.
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree.ElementTree import Element

import html5lib
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import BASE, ROOT, copy_project
from jsonld_support import (
    SCHEMA,
    embedded_jsonld,
    expand,
    full_pages,
    is_fragment,
    parse_html,
    text_of,
    to_store,
    vocabulary,
)
from sources import BOARD, MINISTER, STRATEGY, board_page, marlog, readme_areas

from publish.cli import main
from publish.formats import rdf_documents
from publish.schemaorg import script_json

PAYLOAD = "</script><script>alert(1)</script><!--"
KD = f"{BASE}ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Page:
    """One parsed page: its site path, tree and the parse errors html5lib reported."""

    path: str
    root: Element
    errors: tuple[str, ...]


@pytest.fixture(scope="session")
def pages(built_site: Path) -> dict[str, Page]:
    """Every full HTML page of the built site, parsed once."""
    parsed = {}
    for path in full_pages(built_site):
        parser = html5lib.HTMLParser(namespaceHTMLElements=False)
        root = parser.parse(path.read_text(encoding="utf-8"))
        errors = tuple(f"{pos}: {code} {data}" for pos, code, data in parser.errors)
        relative = str(path.relative_to(built_site))
        parsed[relative] = Page(relative, root, errors)
    return parsed


@cache
def data_store() -> ox.Store:
    """The ontology and data of the real project, for expected values."""
    store = ox.Store()
    for folder in ("ontology", "data"):
        for path in sorted((ROOT / folder).glob("*.ttl")):
            store.load(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return store


def select(query: str) -> list[tuple[str, ...]]:
    """Run a SELECT over the project's ontology and data; return rows of plain values."""
    prefixes = f"PREFIX kd: <{KD}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    prefixes += "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
    prefixes += "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    results = data_store().query(prefixes + query)
    assert isinstance(results, ox.QuerySolutions)
    return [tuple(term.value if term is not None else "" for term in row) for row in results]


def resources() -> list[str]:
    """Return every described resource (id/…) of the data."""
    return [
        row[0] for row in select(f"SELECT DISTINCT ?s {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), '{BASE}id/') }}")
    ]


def page_of(iri: str, lang: str) -> str:
    """Return the site path of a resource's page in one language."""
    stem = iri.removeprefix(BASE)
    return f"{stem}.html" if lang == "da" else f"{stem}.{lang}.html"


def statements(root: Element, heading_id: str) -> dict[str, Element]:
    """Return the rows (dt text → dd) of the definition list in the section headed ``heading_id``."""
    for section in root.iter("section"):
        if section.get("aria-labelledby") == heading_id:
            rows = [row for row in section.iter("div") if row.get("class") == "row"]
            return {text_of(row.find("dt")): _child(row, "dd") for row in rows}
    raise AssertionError(f"no section {heading_id!r}")


def _child(element: Element, tag: str) -> Element:
    found = element.find(tag)
    assert found is not None, f"no <{tag}> in <{element.tag}>"
    return found


def links(element: Element) -> list[tuple[str, str]]:
    """Return (href, text) of every link in an element."""
    return [(a.get("href", ""), text_of(a)) for a in element.iter("a")]


def jsonld_of(page: Page) -> Any:
    """Return the page's one JSON-LD document."""
    (document,) = embedded_jsonld(page.root)
    return document


# ---------------------------------------------------------------- HTML5, links, languages


def test_every_page_parses_as_html5_without_errors(built_site: Path, pages: dict[str, Page]) -> None:
    assert len(pages) >= 2 * len(resources()) + 2 * 8
    problems = {path: page.errors[:3] for path, page in pages.items() if page.errors}
    assert not problems
    for fragment in sorted(p for p in built_site.rglob("*.html") if is_fragment(p, built_site)):
        html5lib.HTMLParser(strict=True).parseFragment(fragment.read_text(encoding="utf-8"))


def _target(built_site: Path, page: str, href: str) -> tuple[Path, str] | None:
    """Return the built file (and fragment) a link leads to, or None when it leaves the site."""
    if href.startswith(BASE):
        relative, _, fragment = href.removeprefix(BASE).partition("#")
    elif urlsplit(href).scheme:
        return None
    else:
        resolved = urljoin("https://site.invalid/" + page, href)
        relative, _, fragment = resolved.removeprefix("https://site.invalid/").partition("#")
    candidates = [built_site / unquote(relative)] if relative else []
    # An IRI content-negotiates to its page, or to its Turtle where it has no page (a version IRI).
    candidates += [built_site / f"{unquote(relative) or 'index'}.{suffix}" for suffix in ("ttl", "html")]
    found = next((c for c in candidates if c.is_file()), candidates[-1])
    return found, fragment


def test_every_internal_link_resolves_to_a_built_file(built_site: Path, pages: dict[str, Page]) -> None:
    ids: dict[Path, set[str]] = {
        built_site / p: {e.get("id", "") for e in page.root.iter()} for p, page in pages.items()
    }
    broken = []
    checked = 0
    for path, page in pages.items():
        for element in page.root.iter():
            href = element.get("href") if element.tag in ("a", "link") else element.get("src")
            if not href:
                continue
            target = _target(built_site, path, href)
            if target is None:
                continue
            checked += 1
            file, fragment = target
            if not file.is_file():
                broken.append(f"{path}: {href} → {file.relative_to(built_site)} is not built")
            elif fragment and file.suffix == ".html" and fragment not in ids.get(file, set()):
                broken.append(f"{path}: {href} → no element with id {fragment!r}")
    assert checked > 10_000
    assert not broken, broken[:10]


def test_every_page_has_one_h1_no_skipped_heading_level_and_unique_ids(pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        levels = [int(e.tag[1]) for e in page.root.iter() if re.fullmatch(r"h[1-6]", str(e.tag))]
        assert levels.count(1) == 1 and levels[0] == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        ids = [str(e.get("id")) for e in page.root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))
        landmarks = {e.tag for e in page.root.iter() if e.tag in ("header", "nav", "main", "footer")}
        assert {"header", "main"} <= landmarks, path


SEARCH_SCRIPT = "http://site.invalid/static/search.js"  # the search box's script (publish.search)
QUERY_SCRIPT = "http://site.invalid/static/query.js"  # the query page's (publish.sitefiles), on query pages
SEARCH_TEXT = (ROOT / "publish" / "static" / "search.js").read_text(encoding="utf-8")


def is_search_script(path: str, element: Element) -> bool:
    """Tell whether a <script> is the site's own search script, by a relative link (404.html inlines it)."""
    src = element.get("src", "")
    if not src and path.startswith("404.") and (element.text or "").strip() == SEARCH_TEXT.strip():
        return True
    own = (SEARCH_SCRIPT, QUERY_SCRIPT) if path.startswith("query.") else (SEARCH_SCRIPT,)
    return not urlsplit(src).scheme and urljoin(f"http://site.invalid/{path}", src) in own


def test_pages_load_nothing_from_elsewhere(pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        for element in page.root.iter():
            if element.tag in ("img", "iframe", "video", "audio", "source") or (
                element.tag == "script"
                and element.get("type") != "application/ld+json"
                and not is_search_script(path, element)
            ):
                raise AssertionError(f"{path}: unexpected <{element.tag}> (no scripts, images or media)")
            if element.tag == "link" and element.get("rel") in (
                "stylesheet",
                "icon",
                "preload",
                "preconnect",
            ):
                assert not urlsplit(element.get("href", "")).scheme, f"{path}: {element.get('href')}"


def test_both_languages_are_complete(built_site: Path, pages: dict[str, Page]) -> None:
    danish = {p for p in pages if not p.endswith(".en.html")}
    english = {p for p in pages if p.endswith(".en.html")}
    assert {p.removesuffix(".html") + ".en.html" for p in danish} == english
    snippets = [p for p in built_site.rglob("*.html") if is_fragment(p, built_site)]
    assert {str(p) for p in snippets if p.name.endswith(".en.html")} == {
        str(p).removesuffix(".html") + ".en.html" for p in snippets if not p.name.endswith(".en.html")
    }
    for path, page in pages.items():
        lang = "en" if path.endswith(".en.html") else "da"
        assert page.root.get("lang") == lang, path
        twin = (
            path.removesuffix(".en.html") + ".html"
            if lang == "en"
            else path.removesuffix(".html") + ".en.html"
        )
        lists = [ul for ul in page.root.iter("ul") if ul.get("class") == "lang-switch"]
        assert len(lists) == 1 and lists[0].get("aria-label"), path
        switch = list(lists[0].iter("a"))
        assert len(switch) == 1 and switch[0].get("hreflang") == switch[0].get("lang") != lang, path
        assert _target(built_site, path, switch[0].get("href", "")) in (
            (built_site / twin, ""),
            None,  # the 404 pages link absolutely (checked below)
        ), path
        alternates = {e.get("hreflang"): e.get("href") for e in page.root.iter("link") if e.get("hreflang")}
        if not path.startswith("404"):
            stem = path.removesuffix(".en.html").removesuffix(".html")
            assert alternates == {
                "da": f"{BASE}{stem}.html",
                "en": f"{BASE}{stem}.en.html",
                "x-default": f"{BASE}{stem}.html",
            }, path


def test_every_resource_has_a_page_in_both_languages_with_its_forms(
    built_site: Path, pages: dict[str, Page]
) -> None:
    for iri in resources():
        for lang in ("da", "en"):
            page = pages[page_of(iri, lang)]
            head = page.root.find("head")
            assert head is not None
            types = {e.get("type"): e.get("href") for e in head.iter("link") if e.get("rel") == "alternate"}
            name = iri.rsplit("/", 1)[-1]
            assert types["application/ld+json"] == f"{name}.jsonld"
            assert types["application/n-triples"] == f"{name}.nt"
            hrefs = [e.get("href", "") for e in head.iter("link") if e.get("type") == "text/turtle"]
            assert f"{name}.ttl" in hrefs and any(h.endswith("catalog.ttl") for h in hrefs)
            permalinks = [a for a in page.root.iter("a") if a.get("class") == "permalink"]
            assert permalinks and all(a.get("href") == iri and text_of(a) == iri for a in permalinks)


def test_every_page_links_its_rdf_forms_and_the_catalog(built_site: Path, pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        if path.startswith("404"):
            continue
        head = page.root.find("head")
        assert head is not None
        alternates = [
            (e.get("type"), e.get("href", "")) for e in head.iter("link") if e.get("rel") == "alternate"
        ]
        kinds = {kind for kind, _ in alternates}
        assert {"text/turtle", "application/ld+json", "application/n-triples"} <= kinds, path
        assert any(href.endswith("catalog.ttl") for _, href in alternates), path
        for _, href in alternates:
            target = _target(built_site, path, href)
            assert target is None or target[0].is_file(), (path, href)


def test_linked_resources_show_labels_not_iris(pages: dict[str, Page]) -> None:
    labelled = {row[0] for row in select("SELECT ?s { ?s skos:prefLabel|rdfs:label ?l }")}
    for path, page in pages.items():
        if path.startswith(("ontology", "shapes")):
            continue  # the documentation names terms by their CURIEs on purpose
        main = page.root.find(".//main")
        assert main is not None
        for anchor in main.iter("a"):
            text = text_of(anchor)
            if anchor.get("class") == "permalink" or text == anchor.get("href"):
                continue
            assert text not in labelled and not re.fullmatch(r"https?://\S+|[a-z]+:[A-Za-z-]+", text), (
                path,
                text,
            )


# ---------------------------------------------------------------- what the pages say


def test_overview_groups_the_areas_by_kind_and_authority_as_the_sources_do(pages: dict[str, Page]) -> None:
    strongholds, board_emerging, minister_emerging = readme_areas()
    page = pages["index.html"]
    groups = {
        text_of(section.find("h3")): [text_of(row.find("th")) for row in section.iter("tr")][1:]
        for section in page.root.iter("section")
        if section.find("h3") is not None
    }
    assert groups == {
        "Styrkepositioner udpeget af Danmarks Erhvervsfremmebestyrelse": strongholds,
        "Spirende områder udpeget af Danmarks Erhvervsfremmebestyrelse": board_emerging,
        "Spirende områder udpeget af Uddannelses- og forskningsministeren": minister_emerging,
    }
    cells = {
        text_of(row.find("th")): text_of(row.find("td"))
        for row in page.root.iter("tr")
        if row.find("td") is not None
    }
    name, _ = marlog()
    for area in board_page().areas:
        if area.cluster:
            assert cells[area.name] == f"{area.cluster} fra december 2020", area.name
    assert cells["Maritime erhverv og logistik"] == f"{name} 2. oktober 2020 – 2022 (ophørt)"
    assert cells["Turisme"] == "Alternativ ordning for turisme"
    english = pages["index.en.html"]
    assert "Strongholds designated by the Danish Board of Business Development" in text_of(english.root)


def test_area_page_shows_authority_cluster_period_and_objectives(pages: dict[str, Page]) -> None:
    page = pages["id/area/maritime-erhverv-og-logistik.en.html"]
    facts = statements(page.root, "facts")
    assert links(facts["Designated by"]) == [
        ("../organisation/danmarks-erhvervsfremmebestyrelse.en.html", "Danish Board of Business Development")
    ]
    name, _ = marlog()
    assert text_of(facts["Cluster organisation"]) == f"{name} 2 October 2020 – 2022 (ended)"
    objectives = [text_of(li) for li in facts["Objectives of the cluster initiative"].iter("li")]
    assert len(objectives) == len(board_page().area("Maritime erhverv og logistik").objectives) == 4
    assert objectives[0].startswith("Maritime industries and logistics: objective 1 Support innovation")
    incoming = statements(page.root, "incoming")
    assert links(incoming["Designated in"]) == [
        (
            "../area-designation/maritime-erhverv-og-logistik.en.html",
            "Designation of maritime industries and logistics as a stronghold",
        )
    ]


def test_cluster_organisation_page_says_what_it_is_designated_for(pages: dict[str, Page]) -> None:
    facts = statements(pages["id/cluster/clean.html"].root, "facts")
    assert text_of(facts["Udpeget for"]) == "Miljøteknologi fra december 2020"
    incoming = statements(pages["id/cluster/clean.en.html"].root, "incoming")
    assert [text for _, text in links(incoming["Designated in"])] == [
        "Designation of CLEAN for environmental technology"
    ]


def test_designation_page_shows_its_period(pages: dict[str, Page]) -> None:
    root = pages["id/cluster-designation/maritime-logistics-innovation-denmark.html"].root
    assert text_of(statements(root, "facts")["Periode"]) == "2. oktober 2020 – 2022 (ophørt)"
    rows = statements(root, "statements")
    assert [t.get("datetime") for t in rows["Startdato"].iter("time")] == ["2020-10-02"]
    assert [t.get("datetime") for t in rows["Slutdato"].iter("time")] == ["2022"]


def test_objective_and_authority_pages_show_incoming_links(pages: dict[str, Page]) -> None:
    incoming = statements(pages["id/objective/miljoeteknologi-2.en.html"].root, "incoming")
    assert [t for _, t in links(incoming["Objective of"])] == [
        "Cluster initiative for environmental technology"
    ]
    minister = statements(pages[page_of(MINISTER, "en")].root, "incoming")
    assert len(links(minister["Made the designation"])) == len(readme_areas()[2])


def test_every_page_cites_its_sources(pages: dict[str, Page]) -> None:
    cited: dict[str, set[str]] = {}
    for subject, source in select("SELECT ?s ?src { ?s dcterms:source ?src }"):
        cited.setdefault(subject, set()).add(source)
    for subject, sources in cited.items():
        if not subject.startswith(f"{BASE}id/"):
            continue
        for lang in ("da", "en"):
            page = pages[page_of(subject, lang)]
            section = next(s for s in page.root.iter("section") if s.get("aria-labelledby") == "sources")
            targets = {href for href, _ in links(section)}
            expected = {s if not s.startswith(BASE) else "" for s in sources} - {""}
            assert expected <= targets, (page.path, expected - targets)
            assert len(list(section.iter("cite"))) == len(sources), page.path


def test_cluster_list_and_focal_points_follow_the_sources(pages: dict[str, Page]) -> None:
    rows = [row for row in pages["clusters.html"].root.iter("tr") if row.find("td") is not None]
    assert len(rows) == 14
    name, _ = marlog()
    ended = [text_of(row.find("th")) for row in rows if row.get("class") == "ended"]
    assert ended == [f"{name} (MARLOG)"]
    items = [text_of(li) for li in pages["focal-points.html"].root.iter("li") if li.find("h2") is not None]
    expected = board_page().focal_points
    assert [item.split(" ", 2)[2] for item in items] == expected


def test_ontology_page_documents_every_term_in_both_languages(pages: dict[str, Page]) -> None:
    terms = select(
        "SELECT ?t ?kind { VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty } ?t a ?kind "
        f"FILTER STRSTARTS(STR(?t), '{KD}') }}"
    )
    for lang in ("da", "en"):
        root = pages["ontology.html" if lang == "da" else "ontology.en.html"].root
        articles = {a.get("id"): a for a in root.iter("article")}
        for term, _ in terms:
            article = articles[term.removeprefix(KD)]
            cells: dict[str | None, list[str]] = {}
            for dd in article.iter("dd"):
                cells.setdefault(dd.get("lang"), []).append(text_of(dd))
            for code in ("da", "en"):
                labels = select(f"SELECT ?l {{ <{term}> rdfs:label ?l FILTER(LANG(?l) = '{code}') }}")
                definitions = select(
                    f"SELECT ?d {{ <{term}> skos:definition ?d FILTER(LANG(?d) = '{code}') }}"
                )
                assert labels[0][0] in cells[code] and " ".join(definitions[0][0].split()) in cells[code], (
                    term,
                    code,
                )
            rows = {text_of(row.find("dt")): row.find("dd") for row in article.iter("div")}
            example = "Eksempel fra data" if lang == "da" else "Example from the data"
            assert example in rows, term
    strategy = {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in next(
            a for a in pages["ontology.en.html"].root.iter("article") if a.get("id") == "Strategy"
        ).iter("div")
    }
    assert strategy["Aligned with (standard vocabularies)"] == "prov:Plan, schema:CreativeWork"
    assert strategy["Example from the data"] == "Business Promotion in Denmark 2020-2023 (1 in all)"
    designated_by = {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in next(
            a for a in pages["ontology.en.html"].root.iter("article") if a.get("id") == "designatedBy"
        ).iter("div")
    }
    assert designated_by["Domain"] == "kd:AreaDesignation or kd:ClusterDesignation"
    assert designated_by["Range"] == "kd:PublicAuthority"


def test_shapes_page_says_what_is_checked_and_how_severely(pages: dict[str, Page]) -> None:
    shapes_file = (ROOT / "shapes" / "klyngedata-shapes.ttl").read_text(encoding="utf-8")
    node_shapes = re.findall(r"^kdsh:(\w+)\n    a sh:NodeShape", shapes_file, flags=re.M)
    root = pages["shapes.en.html"].root
    articles = {a.get("id"): a for a in root.iter("article")}
    assert set(node_shapes) <= set(articles)
    severity = {name: text_of(articles[name].find(".//dd/span")) for name in node_shapes}
    warnings = set(
        re.findall(r"^kdsh:(\w+)\n(?:    .*\n)*?    sh:severity sh:Warning", shapes_file, flags=re.M)
    )
    assert warnings == {"StatedStrongholdCountShape", "StatedEmergingAreaCountShape", "NoCurrentClusterShape"}
    assert {n for n, s in severity.items() if s == "Warning"} == warnings
    area = text_of(articles["BusinessAreaShape"])
    assert "skos:scopeNote" in area and "Warning" in area and "exactly one of:" in area
    assert "Add the scope if a source gives it; do not invent it." in area
    assert "Fejl" in text_of(pages["shapes.html"].root)


# ---------------------------------------------------------------- schema.org JSON-LD


def test_every_page_embeds_exactly_one_json_ld_script(pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        scripts = [s for s in page.root.iter("script") if not is_search_script(path, s)]
        assert len(scripts) == 1 and scripts[0].get("type") == "application/ld+json", path
        document = jsonld_of(page)
        assert document["@context"] == "https://schema.org", path


def test_embedded_schema_org_uses_real_types_on_their_domains(pages: dict[str, Page]) -> None:
    vocab = vocabulary()
    problems = []
    used: set[str] = set()
    for path, page in pages.items():
        expanded = expand(jsonld_of(page))
        problems += vocab.problems(expanded, path)
        used |= {t for node in expanded for t in node.get("@type", [])}
    assert not problems, problems[:10]
    assert {
        f"http://schema.org/{t}" for t in ("Organization", "DefinedTerm", "CreativeWork", "Dataset")
    } <= used


def test_the_checker_rejects_wrong_types_and_domains() -> None:
    document = {"@context": "https://schema.org", "@type": "Organization", "startTime": "2020", "colour": "x"}
    problems = vocabulary().problems(expand(document), "sample")
    assert sorted(problems) == [
        "sample: https://schema.org/colour is not a schema.org property",
        "sample: https://schema.org/startTime is not in the domain of https://schema.org/Organization",
    ]


def test_cluster_organisations_are_organizations_serving_denmark(pages: dict[str, Page]) -> None:
    designations = select("SELECT ?org ?area { ?d kd:designatedOrganisation ?org ; kd:forArea ?area }")
    assert len(designations) == 14
    for organisation, area in designations:
        store = to_store(jsonld_of(pages[page_of(organisation, "en")]))
        ask = f"""PREFIX s: <{SCHEMA}> ASK {{
            <{organisation}> a s:Organization ; s:name ?name ; s:knowsAbout <{area}> ;
                s:areaServed [ a s:Country ; s:name "Denmark" ] ; s:description ?d .
            FILTER NOT EXISTS {{ <{organisation}> s:url ?url }}
        }}"""
        assert store.query(ask), organisation
    name, short = marlog()
    marlog_doc = jsonld_of(pages["id/cluster/maritime-logistics-innovation-denmark.html"])
    assert (marlog_doc["name"], marlog_doc["alternateName"], marlog_doc["foundingDate"]) == (
        name,
        [short],
        "2020-05",
    )


def test_areas_are_defined_terms_in_the_scheme_and_the_strategy_a_creative_work(
    pages: dict[str, Page],
) -> None:
    scheme = f"{BASE}id/scheme/erhvervs-og-teknologiomraader"
    store = to_store(jsonld_of(pages["id/area/turisme.html"]))
    assert store.query(
        f"PREFIX s: <{SCHEMA}> ASK {{ <{BASE}id/area/turisme> a s:DefinedTerm ; s:name 'Turisme' ; "
        f"s:inDefinedTermSet <{scheme}> . <{scheme}> a s:DefinedTermSet }}"
    )
    strategy = to_store(jsonld_of(pages[page_of(STRATEGY, "en")]))
    assert strategy.query(
        f"PREFIX s: <{SCHEMA}> ASK {{ <{STRATEGY}> a s:CreativeWork ;"
        " s:name 'Business Promotion in Denmark 2020-2023' ;"
        f" s:datePublished ?date ; s:publisher <{BOARD}> . <{BOARD}> a s:GovernmentOrganization ."
        " FILTER (STR(?date) = '2020-03-05') }"
    )


def test_dataset_page_has_what_google_dataset_search_asks_for(
    built_site: Path, pages: dict[str, Page]
) -> None:
    for lang in ("da", "en"):
        document = jsonld_of(pages["dataset.html" if lang == "da" else "dataset.en.html"])
        assert document["@type"] == "Dataset" and document["@id"] == f"{BASE}dataset"
        assert document["name"] and 50 <= len(document["description"]) <= 5000
        assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
        for role in ("creator", "publisher"):
            assert document[role] == {
                "@type": "GovernmentOrganization",
                "@id": BOARD,
                "name": document[role]["name"],
            }
        downloads = document["distribution"]
        assert {d["encodingFormat"] for d in downloads} >= {"text/turtle", "application/ld+json"}
        for download in downloads:
            assert download["@type"] == "DataDownload"
            assert (built_site / download["contentUrl"].removeprefix(BASE)).is_file()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}/\.\.", document["temporalCoverage"])
        assert document["temporalCoverage"] == "2020-03-05/.."  # the strategy's issue date is the earliest
        assert document["spatialCoverage"]["@type"] == "Place"
        assert document["inLanguage"] == ["da", "en"] and document["isAccessibleForFree"] is True
        assert len(document["keywords"]) >= 5
        catalog = document["includedInDataCatalog"]
        assert catalog["@type"] == "DataCatalog" and catalog["@id"] == f"{BASE}catalog"
    described = ox.Store()
    described.load(path=built_site / "catalog.ttl", format=ox.RdfFormat.TURTLE)
    assert described.query(f"ASK {{ <{BASE}catalog> a <http://www.w3.org/ns/dcat#Catalog> }}")


def test_embed_files_hold_the_pages_json_ld(built_site: Path, pages: dict[str, Page]) -> None:
    for iri in resources():
        stem = iri.removeprefix(f"{BASE}id/")
        for lang, suffix in (("da", ""), ("en", ".en")):
            expected = jsonld_of(pages[page_of(iri, lang)])
            data = json.loads((built_site / "embed" / f"{stem}{suffix}.jsonld").read_text(encoding="utf-8"))
            snippet = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(
                (built_site / "embed" / f"{stem}{suffix}.html").read_text(encoding="utf-8")
            )
            (script,) = list(snippet.iter("script"))
            assert data == expected == json.loads(script.text or "")
    index = pages["embed/index.en.html"].root
    assert "klyngedata snippet" in text_of(index) and "<script" in text_of(index)


def test_script_json_cannot_close_the_element_or_open_a_comment() -> None:
    value = {"name": PAYLOAD, "other": "a & b > c </SCRIPT >"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_a_label_with_markup_is_inert_in_html_and_json_ld(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    areas = project / "data" / "areas.ttl"
    text = areas.read_text(encoding="utf-8")
    original = 'skos:prefLabel "Miljøteknologi"@da'
    assert text.count(original) == 1
    areas.write_text(text.replace(original, f'skos:prefLabel "Miljø{PAYLOAD}"@da'), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--project", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    site = project / "site"
    label = f"Miljø{PAYLOAD}"
    for path in ("id/area/miljoeteknologi.html", "index.html", "id/cluster/clean.html"):
        raw = (site / path).read_text(encoding="utf-8")
        # The JSON-LD and the search box's script, nothing more.
        assert PAYLOAD not in raw and "<!--" not in raw and raw.count("<script") == 2, path
        root = parse_html(raw)
        scripts = list(root.iter("script"))
        assert [s.get("type") for s in scripts] == ["application/ld+json", None], path
        assert is_search_script(path, scripts[1]), path
        assert label in text_of(root.find("body")), path
        assert label in json.dumps(json.loads(scripts[0].text or ""), ensure_ascii=False), path
    document = json.loads((site / "embed" / "area" / "miljoeteknologi.jsonld").read_text(encoding="utf-8"))
    assert document["name"] == label
    page = parse_html((site / "id/area/miljoeteknologi.html").read_text(encoding="utf-8"))
    assert text_of(page.find(".//h1")) == label
    assert jsonld_of(Page("", page, ()))["name"] == label


# ---------------------------------------------------------------- the snippet command


def test_snippet_prints_the_embed_block(built_site: Path, cli: Callable[..., Any]) -> None:
    expected = (built_site / "embed" / "area" / "miljoeteknologi.en.html").read_text(encoding="utf-8")
    for reference in ("area/miljoeteknologi", "miljoeteknologi", f"{BASE}id/area/miljoeteknologi"):
        result = cli("snippet", reference, "--lang", "en", "--project", str(ROOT))
        assert result.exit_code == 0 and result.stdout == expected, reference
    danish = cli("snippet", "clean", "--project", str(ROOT))
    assert danish.stdout == (built_site / "embed" / "cluster" / "clean.html").read_text(encoding="utf-8")


def test_snippet_of_an_unknown_or_ambiguous_name_exits_2(tmp_path: Path, cli: Callable[..., Any]) -> None:
    unknown = cli("snippet", "miljotekn", "--project", str(ROOT))
    assert unknown.exit_code == 2
    assert "no resource 'miljotekn'; did you mean: miljoeteknologi" in unknown.stderr
    project = copy_project(tmp_path / "project")
    (project / "data" / "extra.ttl").write_text(
        "<id/concept/turisme> a <http://www.w3.org/2004/02/skos/core#Concept> .\n", encoding="utf-8"
    )
    ambiguous = cli("snippet", "turisme", "--project", str(project))
    assert ambiguous.exit_code == 2
    assert "'turisme' names several resources; say which: area/turisme, concept/turisme" in ambiguous.stderr


# ---------------------------------------------------------------- sitemap, robots, 404, texts


def test_sitemap_lists_every_page_with_its_language_alternates(
    built_site: Path, pages: dict[str, Page]
) -> None:
    namespaces = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = ET.parse(built_site / "sitemap.xml").getroot().findall("s:url", namespaces)
    listed = {u.findtext("s:loc", namespaces=namespaces): u for u in urls}
    expected = {f"{BASE}{p}" for p in pages if not p.startswith("404")}
    catalogue = {f"{BASE}{f.path('catalog')}" for f in rdf_documents()}  # announced too
    assert set(listed) == expected | catalogue
    for name in catalogue:
        assert (built_site / name.removeprefix(BASE)).is_file()
        assert listed[name].findall("x:link", namespaces) == []
    for loc, url in listed.items():
        if loc in catalogue:
            continue
        alternates = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", namespaces)}
        stem = loc.removesuffix(".en.html").removesuffix(".html") if loc else ""
        assert alternates == {"da": f"{stem}.html", "en": f"{stem}.en.html", "x-default": f"{stem}.html"}
    robots = (built_site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_not_found_pages_work_at_any_path(pages: dict[str, Page]) -> None:
    for path in ("404.html", "404.en.html"):
        root = pages[path].root
        hrefs = [a.get("href", "") for a in root.iter("a") if not a.get("href", "").startswith("#")]
        assert hrefs and all(h.startswith(BASE) for h in hrefs), hrefs
        assert root.find(".//style") is not None and not [
            e for e in root.iter("link") if e.get("rel") == "stylesheet"
        ]


def test_every_message_file_has_the_keys_of_the_primary_languages() -> None:
    folder = ROOT / "publish" / "messages"
    texts = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.toml")}

    def keys(table: dict[str, Any], prefix: str = "") -> set[str]:
        found = set()
        for key, value in table.items():
            found.add(prefix + key)
            if isinstance(value, dict):
                found |= keys(value, f"{prefix}{key}.")
        return found

    assert {"da", "en"} <= set(texts)
    for lang, table in texts.items():
        assert keys(table) == keys(texts["da"]), lang


def test_every_property_on_a_resource_page_has_a_label(pages: dict[str, Page]) -> None:
    for path, page in pages.items():
        if path.startswith("id/"):
            for dt in page.root.iter("dt"):
                label = text_of(dt)
                assert label and ":" not in label and not label.startswith("http"), (path, label)


def test_the_embed_index_written_piecewise_has_the_bytes_of_one_written_whole() -> None:
    # The embed index lists every resource, so it is encoded a piece at a time as the template
    # writes it (and its rows made as they are written); the page must be the same bytes as
    # the template's whole text encoded at once, non-ASCII labels included.
    from publish import html
    from publish.config import load_config
    from publish.dataset import load

    config = load_config(ROOT)
    site = html.Site(load(config), config)
    render = site._render
    for lang in ("da", "en"):
        piecewise = site.list_page("embed/index", lang).body
        site._render = lambda *args, **kwargs: render(*args, **{**kwargs, "piecewise": False})  # type: ignore[method-assign]
        whole = site.list_page("embed/index", lang).body
        site._render = render  # type: ignore[method-assign]
        assert piecewise == whole and len(whole) > 100_000
        assert lang == "en" or "ø".encode() in whole
