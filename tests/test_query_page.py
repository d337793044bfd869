"""The query page in Chromium: a named query answers as a table in the page's language, with
linked labels and downloads that have a file name; parameters take a slug, a label or an IRI and
refuse anything else with a message in the form; no sideways scrolling on a phone.

The expected answers come from the published N-Triples dump read by rdflib (not from our code).
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import Tab
from conftest import BASE
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS
from servers import serving

from publish.formats import RESULTS, of_kind

KD = Namespace(f"{BASE}ontology#")
ENERGY = f"{BASE}id/area/energiteknologi"


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    """The built site and its SPARQL endpoint (our app), on 127.0.0.1."""
    with serving(built_site) as url:
        yield url + "/"


@pytest.fixture(scope="module")
def dump(built_site: Path) -> Graph:
    return Graph().parse(built_site / "dataset.nt", format="nt")


def page(lang: str) -> str:
    return "query.html" if lang == "da" else f"query.{lang}.html"


def submit(tab: Tab, name: str, **params: str) -> dict[str, Any]:
    """Fill a named query's parameters, submit its form, and return what the page then shows."""
    section = f"document.getElementById({json.dumps(name)})"
    tab.evaluate(f"{section}.querySelector('.query-answer').replaceChildren()")
    for param, value in params.items():
        tab.evaluate(f"{section}.querySelector('[data-param={param}]').value = {json.dumps(value)}")
    tab.evaluate(f"{section}.querySelector('button[type=submit]').click()")
    return tab.until(
        f"""(() => {{
  const s = {section}, message = s.querySelector('.query-message').textContent;
  const downloads = s.querySelector('.query-downloads');
  if (!message && !downloads) return null;
  const table = s.querySelector('table');
  return {{message,
    invalid: [...s.querySelectorAll('[aria-invalid=true]')].map(i => i.dataset.param),
    heads: table ? [...table.querySelectorAll('thead th')].map(th => th.textContent) : [],
    rows: table ? [...table.querySelectorAll('tbody tr')].map(tr => [...tr.cells].map(td => {{
      const a = td.querySelector('a');
      return a ? {{text: a.textContent, href: a.href, lang: a.lang}} : {{text: td.textContent}};
    }})) : [],
    downloads: downloads ? [...downloads.querySelectorAll('a')].map(a => (
      {{format: a.dataset.format, href: a.href, download: a.getAttribute('download')}})) : []}};
}})()""",
    )


def iri_of(href: str, server: str, lang: str) -> str:
    """Return the IRI a link to one of our pages stands for (``id/area/x.en.html`` → ``<base>id/area/x``)."""
    path = href.removeprefix(server)
    suffix = ".html" if lang == "da" else f".{lang}.html"
    assert path.endswith(suffix), href
    return BASE + path.removesuffix(suffix)


def label(dump: Graph, iri: str, lang: str) -> str:
    found = [str(o) for o in dump.objects(URIRef(iri), SKOS.prefLabel) if isinstance(o, Literal)]
    langs = [o.language for o in dump.objects(URIRef(iri), SKOS.prefLabel) if isinstance(o, Literal)]
    return dict(zip(langs, found, strict=True))[lang]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_named_query_answers_as_a_table_with_labels_in_the_page_s_language(
    server: str, tab: Tab, dump: Graph, built_site: Path, lang: str
) -> None:
    tab.open(server + page(lang))
    shown = submit(tab, "areas-by-authority")
    assert shown["message"] == ""
    # ?area and ?areaLabel are one column: the label, linked to the area's page (same for authority).
    assert shown["heads"] == ["authority", "area", "kind"]
    designated = {
        (str(authority), str(area))
        for designation in dump.subjects(RDF.type, KD.AreaDesignation)
        for area in dump.objects(designation, KD.designates)
        for authority in dump.objects(designation, KD.designatedBy)
    }
    seen = set()
    for authority, area, _kind in shown["rows"]:
        for link in (authority, area):
            iri = iri_of(link["href"], server, lang)
            assert link["text"] == label(dump, iri, lang), link
            assert (built_site / link["href"].removeprefix(server)).is_file(), link
            assert link["lang"] == ""  # in the page's language: no lang attribute of its own
        seen.add((iri_of(authority["href"], server, lang), iri_of(area["href"], server, lang)))
    assert seen == designated and len(shown["rows"]) == len(designated)
    tab.evaluate("document.querySelector('#areas-by-authority .query-answer').scrollIntoView()")
    tab.screenshot(f"query-table-{lang}", full=False)


def test_the_download_links_give_every_results_format_with_a_file_name(server: str, tab: Tab) -> None:
    tab.open(server + page("en"))
    shown = submit(tab, "cluster-for-area", area="energiteknologi")
    formats = {f.name: f for f in of_kind(RESULTS)}
    assert sorted(d["format"] for d in shown["downloads"]) == sorted(["csv", "tsv", "json", "xml"])
    assert sorted(formats) == sorted(d["format"] for d in shown["downloads"])
    for link in shown["downloads"]:
        fmt = formats[link["format"]]
        # Same origin: the download attribute names the file where the endpoint does not.
        assert link["href"].startswith(server) and link["download"] == f"cluster-for-area.{fmt.suffix}"
        with urllib.request.urlopen(link["href"], timeout=30) as response:
            assert response.headers["content-disposition"] == f'inline; filename="answer.{fmt.suffix}"'

            assert response.headers["content-type"].split(";")[0] == fmt.media_type
            body = response.read().decode("utf-8")
        if fmt.name == "csv":
            rows = list(csv.DictReader(io.StringIO(body)))
            assert [(r["area"], r["areaLabel"]) for r in rows] == [(ENERGY, "Energy technology")]
        elif fmt.name == "json":
            bindings = json.loads(body)["results"]["bindings"]
            assert [b["areaLabel"]["xml:lang"] for b in bindings] == ["en"]
        else:
            assert "Energy technology" in body


def test_chromium_saves_a_download_under_its_file_name(server: str, tab: Tab, tmp_path: Path) -> None:
    tab.open(server + page("da"))
    submit(tab, "focal-points")
    tab.browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    tab.evaluate("document.querySelector('#focal-points .query-downloads a[data-format=csv]').click()")
    deadline = time.monotonic() + 20
    # The endpoint names its answer (Content-Disposition), which a browser prefers to the attribute.
    while not (tmp_path / "answer.csv").is_file():
        assert time.monotonic() < deadline, sorted(p.name for p in tmp_path.iterdir())
        time.sleep(0.1)
    time.sleep(0.3)  # the file is renamed into place once written
    rows = list(csv.DictReader(io.StringIO((tmp_path / "answer.csv").read_text(encoding="utf-8"))))
    assert [row["position"] for row in rows] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_an_area_as_slug_label_or_iri_gives_the_same_rows(server: str, tab: Tab, lang: str) -> None:
    tab.open(server + page(lang))
    answers = [
        submit(tab, "cluster-for-area", area=value)["rows"]
        for value in (
            "energiteknologi",
            "area/energiteknologi",
            "Energiteknologi",
            "energy technology",
            ENERGY,
            f"<{ENERGY}>",
        )
    ]
    assert answers[0] and all(answer == answers[0] for answer in answers)
    assert [row[0]["href"] for row in answers[0]] == [server + "id/area/energiteknologi" + page(lang)[5:]]
    # Empty (the parameter is optional): every area.
    assert len(submit(tab, "cluster-for-area", area="")["rows"]) > 1


@pytest.mark.parametrize(
    ("lang", "name", "param", "value", "expected"),
    [
        ("da", "cluster-for-area", "area", "garbage", "?area skal være et kortnavn (energiteknologi)"),
        ("en", "cluster-for-area", "area", "garbage", "?area takes a slug (energiteknologi), a label"),
        ("en", "cluster-for-area", "area", f"{BASE}id/area/nowhere", "No resource is called"),
        ("en", "designations-active-on", "date", "juni", "?date takes a date as YYYY-MM-DD"),
        ("da", "designations-active-on", "date", "2021-02-30", "?date skal være en dato som ÅÅÅÅ-MM-DD"),
        ("en", "designations-active-on", "date", "2021-06", "?date takes a date as YYYY-MM-DD"),
    ],
)
def test_a_value_that_names_nothing_is_refused_in_the_form(
    server: str, tab: Tab, lang: str, name: str, param: str, value: str, expected: str
) -> None:
    tab.open(server + page(lang))
    shown = submit(tab, name, **{param: value})
    assert expected in shown["message"] and shown["invalid"] == [param]
    assert shown["rows"] == [] and shown["downloads"] == []
    tab.evaluate(f"document.getElementById({json.dumps(name)}).scrollIntoView()")
    tab.screenshot(f"query-refused-{lang}-{param}", full=False)


def test_a_date_is_bound_in_the_query_text(server: str, tab: Tab, dump: Graph) -> None:
    tab.open(server + page("en"))
    rows = submit(tab, "designations-active-on", date="2020-11-01")["rows"]
    # Only MARLOG was designated before December 2020 (sources README §4 and §6).
    assert [cell["text"] for row in rows for cell in row if "/id/cluster/" in cell.get("href", "")] == [
        "Maritime & Logistics Innovation Denmark"
    ]
    text = tab.evaluate("document.getElementById('q-designations-active-on').value")
    assert 'VALUES ?date { "2020-11-01"^^<http://www.w3.org/2001/XMLSchema#date> }' in text


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_page_and_its_answer_fit_a_phone(server: str, tab: Tab, lang: str) -> None:
    tab.open(server + page(lang), width=390, height=844, mobile=True)
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    shown = submit(tab, "areas-without-cluster")
    assert shown["rows"]
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.evaluate("document.querySelector('#areas-without-cluster form').scrollIntoView()")
    tab.screenshot(f"query-phone-{lang}", full=False)


def test_without_javascript_the_form_goes_to_the_endpoint(server: str, built_site: Path) -> None:
    """The form's own fields (query, format) are a SPARQL protocol GET the endpoint answers."""
    import html5lib

    document = html5lib.parse((built_site / "query.en.html").read_bytes(), namespaceHTMLElements=False)
    form = document.find(".//section[@id='cluster-for-area']/form")
    assert form is not None and form.get("method") == "get"
    named = {field.get("name") for field in form.iter() if field.get("name")}
    assert named == {"query", "format"}  # the parameter boxes have no name: the endpoint takes none
    fields = {"query": form.find(".//textarea").text or "", "format": "csv"}  # type: ignore[union-attr]
    target = urllib.parse.urljoin(server + "query.en.html", form.get("action", ""))
    with urllib.request.urlopen(target + "?" + urllib.parse.urlencode(fields), timeout=30) as response:
        assert response.headers["content-disposition"] == 'inline; filename="answer.csv"'
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    # The English page's text answers in English.
    assert {row["area"]: row["areaLabel"] for row in rows}[ENERGY] == "Energy technology"


def test_without_javascript_an_answer_chromium_cannot_show_is_saved_with_a_suffix(
    server: str, tab: Tab, tmp_path: Path
) -> None:
    """SPARQL XML (and CSV, TSV) submitted by the plain form is saved as answer.srx, not as "sparql"."""
    tab.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        tab.open(server + page("da"))
        tab.browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
        root = tab.call("DOM.getDocument")["root"]["nodeId"]
        option = tab.call("DOM.querySelector", nodeId=root, selector="#f-focal-points option[value=xml]")
        tab.call("DOM.setAttributeValue", nodeId=option["nodeId"], name="selected", value="selected")
        button = tab.call("DOM.querySelector", nodeId=root, selector="#focal-points button[type=submit]")
        tab.call("DOM.scrollIntoViewIfNeeded", nodeId=button["nodeId"])
        box = tab.call("DOM.getBoxModel", nodeId=button["nodeId"])["model"]["content"]
        x, y = (box[0] + box[4]) / 2, (box[1] + box[5]) / 2
        for kind in ("mousePressed", "mouseReleased"):
            tab.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        deadline = time.monotonic() + 20
        while not (tmp_path / "answer.srx").is_file():
            assert time.monotonic() < deadline, sorted(p.name for p in tmp_path.iterdir())
            time.sleep(0.1)
    finally:
        tab.call("Emulation.setScriptExecutionDisabled", value=False)
