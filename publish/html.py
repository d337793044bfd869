"""HTML pages for people, schema.org JSON-LD for search engines, and what a static host needs.

Pure functions: :func:`page_artifacts` returns every page in every configured language (the
primary at ``<stem>.html``, the others at ``<stem>.<lang>.html``), the embeddable snippets
(``embed/<kind>/<slug>.jsonld`` and ``.html``), the 404 pages, and the stylesheet, ``sitemap.xml``
and ``robots.txt`` (made in :mod:`publish.sitefiles`), as build artifacts; :func:`snippet` one
resource's snippet, named as :func:`publish.lookup.resolve` reads it. All markup is in
``templates/`` (jinja2, autoescaped, StrictUndefined); all interface text in the message files
(:mod:`publish.i18n`). Links between pages are relative (see :meth:`Uris.href`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

import jinja2
import pyoxigraph as ox
from markupsafe import Markup

from . import facts, schemaorg, sitefiles, vocabdocs
from .artifact import Artifact
from .config import Config
from .dataset import LoadedDataset
from .errors import BuildError
from .formats import HTML, JSONLD, RESULTS, downloads, of_kind, rdf_documents
from .incremental import Reuse
from .lookup import DERIVED_KINDS
from .lookup import resolve as resolve
from .rdf import DCT, SKOS
from .releases import load_releases
from .view import Graph, Link, Text, View

NAV = ("index", "clusters", "focal-points", "dataset", "query", "ontology", "shapes", "embed/index")
# The list pages made from the graph alone (the ontology and shapes pages also show file:line,
# the embed index a snippet the schema.org cache may already hold): reusable (publish.incremental).
OWN = ("index", "clusters", "focal-points", "dataset", "query")


def page_artifacts(dataset: LoadedDataset, config: Config, reuse: Reuse | None = None) -> Iterator[Artifact]:
    """Yield every page, snippet and site file, one resource at a time, without touching the disk.

    With ``reuse``, a resource's page and embeds come from the previous build where nothing
    they read changed (:mod:`publish.incremental`).
    """
    site = Site(dataset, config)
    stems = [str(site.uris.document_stem(i)) for i in sorted(site.graph.resources)] + list(NAV)
    stems += [str(site.uris.changes_stem(r.version)) for r in load_releases(config)]  # publish.changelog
    stems.append(site.uris.a_z)  # the A–Z page (publish.search)
    stems += site.uris.picture_pages  # the pictures' pages (publish.pictures)
    yield from sitefiles.files(site.env, site.uris, stems, config.source_date_epoch)
    strategy = site.strategy or ""  # cached on the site: a key of every page, not a read
    for lang in site.uris.languages:
        # A resource's page and embeds first: list pages fill the schema.org cache for others.
        for iri in sorted(site.graph.resources):
            make = partial(site.resource_files, iri, lang)
            yield from reuse.pages(site.graph, iri, lang, strategy, make) if reuse else make()
        for stem in NAV:
            make = partial(site.list_files, stem, lang)
            yield from (
                reuse.pages(site.graph, stem, lang, strategy, make) if reuse and stem in OWN else make()
            )
        yield site.not_found(lang)


def snippet(dataset: LoadedDataset, config: Config, reference: str, *, lang: str) -> str:
    """Return the ready-to-paste ``<script type="application/ld+json">`` block for one resource."""
    site = Site(dataset, config)
    return site.snippet(resolve(site.graph, reference), lang)


def _kinds(types: list[str]) -> list[str]:
    """Return the kinds a page names: skos:Concept (SKOS plumbing) only when there is no other."""
    return [t for t in types if t != SKOS + "Concept"] or types


def _in_words(names: list[str], conjunction: str) -> str:
    """Return a list in words: ``dansk og engelsk``, ``Danish, English and German``."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


@dataclass(frozen=True, slots=True)
class _Page:
    """What the page frame needs: its stem, RDF forms and permanent link."""

    stem: str
    rdf: str
    permalink: str


class Site:
    """The data of one build, indexed once, and the templates that render it."""

    def __init__(self, dataset: LoadedDataset, config: Config) -> None:
        self.config = config
        self.uris = dataset.uris
        self.locations = dataset.locations
        self.messages = config.messages
        self.graph = Graph(dataset.triples("ontology", "data"), self.uris, self.messages)
        self.shapes = Graph(dataset.triples("shapes"), self.uris, self.messages)
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("publish", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # compiled once per build: no file check per page
        )
        self.env.filters["script_json"] = self._script_json
        self._jsonld: dict[tuple[str, str], dict[str, Any]] = {}
        self._last_script: tuple[object, Markup] = (None, Markup(""))
        self._navs: dict[tuple[PurePosixPath, str], tuple[str, ...]] = {}

    def _script_json(self, value: object) -> Markup:
        """Return schema.org JSON for a ``<script>``, once for a page and its embeds (the last one kept)."""
        if self._last_script[0] is not value:
            # Safe to mark up: script_json escapes every "<", ">" and "&" of the JSON it writes.
            self._last_script = (value, Markup(schemaorg.script_json(value)))
        return self._last_script[1]

    @cached_property
    def strategy(self) -> str | None:
        """Return the strategy's IRI (the overview page presents it)."""
        found = self.graph.instances("kd:Strategy")
        return found[0] if found else None

    def view(self, stem: str, lang: str) -> View:
        """Return the view of the page with this stem in one language."""
        return View(self.graph, lang, self.uris.page_path(stem, lang))

    # ------------------------------------------------------------ rendering

    def _render(self, template: str, view: View, page: _Page, **context: Any) -> Artifact:
        body = self.env.get_template(template).render(
            frame=self._frame(view, page), text=view.text, **context
        )
        return Artifact(view.page, HTML.media_type, body.encode("utf-8"))

    def page(
        self, template: str, stem: str, lang: str, *, rdf: str, permalink: str, **context: Any
    ) -> Artifact:
        """Render another module's page (changelog, gone things) in the site's frame.

        ``rdf`` is the stem of the page's RDF forms, one file per RDF format of the registry.
        """
        return self._render(template, self.view(stem, lang), _Page(stem, rdf, permalink), **context)

    def _frame(self, view: View, page: _Page) -> dict[str, Any]:
        uris, lang = self.uris, view.lang
        return {
            "lang": lang,
            "languages": uris.languages,
            "css": view.site_href(sitefiles.STYLESHEET),
            "home": view.page_href("index"),
            "nav": [
                (href, view.text["nav"][stem], stem == page.stem)
                for stem, href in zip(NAV, self._nav(view), strict=True)
            ],
            "switch": self._switch(lang, lambda code: view.page_href(page.stem, code)),
            "canonical": uris.url(self.graph.page_path(page.stem, lang)),
            "hreflang": [(code, uris.url(self.graph.page_path(page.stem, code))) for code in uris.languages]
            + [("x-default", uris.url(self.graph.page_path(page.stem, uris.primary_language)))],
            "formats": [
                (f.media_type, view.site_href(uris.document_path(page.rdf, f)), f.suffix)
                for f in rdf_documents()
            ],
            "catalog": view.site_href(uris.site_file("catalog", rdf_documents()[0])),
            "catalog_type": rdf_documents()[0].media_type,
            "dataset": view.page_href("dataset"),
            "permalink": page.permalink,
            "licence": self._licence(view),
            "search": {  # the search box (publish.search)
                "action": view.page_href(uris.a_z),
                "index": view.site_href(uris.search_index(lang)),
                "script": view.site_href(uris.search_script),
            },
        }

    def _nav(self, view: View) -> tuple[str, ...]:
        """Return the links of the navigation, once per folder and language (pages in one share them)."""
        key = (view.page.parent, view.lang)
        if key not in self._navs:
            self._navs[key] = tuple(view.page_href(stem) for stem in NAV)
        return self._navs[key]

    def _switch(self, lang: str, href: Callable[[str], str]) -> list[tuple[str, str, str]]:
        """Return the language switch: (link, code, the language's own name) of every other language."""
        return [
            (href(code), code, self.messages[code]["language_name"])
            for code in self.uris.languages
            if code != lang
        ]

    def _licence(self, view: View) -> Link | None:
        licences = self.graph.iris(self.uris.ontology, DCT + "license")
        return view.link(licences[0]) if licences else None

    # ------------------------------------------------------------ resource pages

    def jsonld(self, iri: str, lang: str) -> dict[str, Any]:
        """Return (once) the schema.org description of a resource in one language."""
        if (iri, lang) not in self._jsonld:
            self._jsonld[iri, lang] = schemaorg.resource(
                self.view(str(self.uris.document_stem(iri)), lang), iri
            )
        return self._jsonld[iri, lang]

    def resource_page(self, iri: str, lang: str) -> Artifact:
        """Return the page of one resource."""
        stem = str(self.uris.document_stem(iri))
        view = self.view(stem, lang)
        return self._render(
            "resource.html.j2",
            view,
            _Page(stem, stem, iri),
            jsonld=self.jsonld(iri, lang),
            title=self.graph.label(iri, lang),
            types=sorted(
                (view.link(t) for t in _kinds(self.graph.types(iri))),
                key=lambda link: (link.external, link.label),
            ),
            facts=facts.facts(view, iri),
            rows=view.rows(iri),
            incoming=view.incoming(iri),
            sources=view.sources(iri),
            iri=iri,
            embed=(
                view.site_href(self.uris.embed_path(iri, lang, HTML)),
                view.page_href("embed/index"),
            ),
        )

    def resource_files(self, iri: str, lang: str) -> list[Artifact]:
        """Return a resource's page and embeds in one language."""
        return [self.resource_page(iri, lang), *self.embeds(iri, lang)]

    def snippet(self, iri: str, lang: str) -> str:
        """Return the ``<script>`` block of one resource."""
        return self.env.get_template("snippet.html.j2").render(jsonld=self.jsonld(iri, lang))

    def embeds(self, iri: str, lang: str) -> list[Artifact]:
        """Return the embeddable JSON-LD of one resource, as a file and as a ``<script>`` block."""
        body = self._script_json(self.jsonld(iri, lang)) + "\n"
        return [
            Artifact(self.uris.embed_path(iri, lang, JSONLD), JSONLD.media_type, body.encode("utf-8")),
            Artifact(
                self.uris.embed_path(iri, lang, HTML),
                HTML.media_type,
                self.snippet(iri, lang).encode("utf-8"),
            ),
        ]

    # ------------------------------------------------------------ index pages and documentation

    def list_page(self, stem: str, lang: str) -> Artifact:
        """Return one of the site's own pages (overview, lists, documentation)."""
        builders: dict[str, Callable[[View], Artifact]] = {
            "index": self._overview,
            "clusters": self._clusters,
            "focal-points": self._focal_points,
            "dataset": self._dataset,
            "query": self._query,
            "ontology": self._ontology,
            "shapes": self._shapes,
            "embed/index": self._embed_index,
        }
        return builders[stem](self.view(stem, lang))

    def list_files(self, stem: str, lang: str) -> list[Artifact]:
        """Return one of the site's own pages, as a list."""
        return [self.list_page(stem, lang)]

    def _url(self, stem: str, lang: str) -> str:
        return self.uris.url(self.uris.page_path(stem, lang))

    def _overview(self, view: View) -> Artifact:
        strategy = self.strategy
        jsonld = (
            schemaorg.overview(view, strategy)
            if strategy
            else schemaorg.web_page(
                view, view.text["site_name"], view.text["site_description"], self.uris.base
            )
        )
        return self._render(
            "index.html.j2",
            view,
            _Page("index", "dataset", self.uris.base),
            jsonld=jsonld,
            strategy=facts.strategy_summary(view, strategy) if strategy else None,
            groups=facts.area_groups(view),
            pictures=[
                (view.page_href(p), view.text["pictures"][p]["title"]) for p in self.uris.picture_pages
            ],
        )

    def _clusters(self, view: View) -> Artifact:
        graph = self.graph
        designations = sorted(
            graph.instances("kd:ClusterDesignation"),
            key=lambda d: [graph.position(a) for a in graph.iris(d, graph.expand("kd:forArea"))],
        )
        rows = [facts.designation_row(view, d) for d in designations]
        organisations = list(dict.fromkeys(r["organisation"].iri for r in rows))
        url = self._url("clusters", view.lang)
        jsonld = schemaorg.item_list(view, view.text["clusters"]["title"], organisations, url)
        return self._render(
            "clusters.html.j2", view, _Page("clusters", "dataset", url), jsonld=jsonld, rows=rows
        )

    def _focal_points(self, view: View) -> Artifact:
        points = self.graph.iris(self.strategy, self.graph.expand("kd:focalPoint")) if self.strategy else []
        ordered = self.graph.ordered(points, view.lang)
        url = self._url("focal-points", view.lang)
        jsonld = schemaorg.item_list(view, view.text["focal"]["title"], ordered, url)
        items = [view.value(ox.NamedNode(p), with_text=True) for p in ordered]
        return self._render(
            "focal-points.html.j2", view, _Page("focal-points", "dataset", url), jsonld=jsonld, items=items
        )

    def _query(self, view: View) -> Artifact:
        from . import sparql  # not at start-up: it brings rdflib's SPARQL parser (the query guard)

        endpoint = self.uris.sparql
        # Served beside the site (the default), the form posts to the same host; else to the endpoint.
        action = view.site_href("sparql") if self.uris.serves_own_endpoint else endpoint
        queries = []
        for query in sparql.named_queries().values():
            # In the page's language: its answer's labels and texts too (the query's ?lang).
            text = sparql.with_examples(query, base=self.uris.base, lang=view.lang)
            body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
            rows = body.count("\n") + 2
            queries.append(
                {
                    "name": query.name,
                    "heading": sparql.heading(query, view.text),
                    "text": body,
                    "rows": rows,
                    # What the reader may type for each parameter (query.js binds it in the text).
                    "params": [p for p in query.params if p.kind != sparql.LANGUAGE],
                }
            )
        # The named queries are SELECT queries: they answer in the results formats.
        formats = [(f.name, f.label) for f in of_kind(RESULTS)]
        # What static/query.js needs to show an answer as a table with links (query.html.j2).
        script = {
            "base": self.uris.base,
            "primary": self.uris.primary_language,
            "lang": view.lang,
            "index": view.site_href(self.uris.search_index(view.lang)),
            "prefixes": view.graph.prefixes,
            "derived": list(DERIVED_KINDS),  # a bare slug names the thing, not its designation
            "formats": [{"name": f.name, "label": f.label, "suffix": f.suffix} for f in of_kind(RESULTS)],
            "text": view.text["query"],
        }
        url = self._url("query", view.lang)
        jsonld = schemaorg.web_page(view, view.text["query"]["title"], view.text["query"]["intro"], url)
        return self._render(
            "query.html.j2",
            view,
            _Page("query", "dataset", url),
            jsonld=jsonld,
            queries=queries,
            endpoint=endpoint,
            action=action,
            formats=formats,
            script=script,
            script_src=view.site_href(sitefiles.QUERY_SCRIPT),
        )

    def _dataset(self, view: View) -> Artifact:
        graph, uris = self.graph, self.uris
        publishers = graph.iris(uris.ontology, DCT + "publisher")
        licences = graph.iris(uris.ontology, DCT + "license")
        jsonld = schemaorg.dataset(
            view,
            publishers[0] if publishers else uris.base,
            licences[0] if licences else "",
            self.config.source_date_epoch,
        )
        files = [(uris.site_file("dataset", f), f.media_type) for f in downloads()]
        listed = [(path.name, view.site_href(path), media_type) for path, media_type in files]
        documents = [uris.site_file("catalog", f) for f in rdf_documents()]
        catalog = [(path.name, view.site_href(path)) for path in documents]
        return self._render(
            "dataset.html.j2",
            view,
            _Page("dataset", "dataset", uris.dataset),
            jsonld=jsonld,
            downloads=listed,
            catalog_files=catalog,
            publisher=view.link(publishers[0]) if publishers else None,
            languages=_in_words([view.text["languages"][code] for code in uris.languages], view.text["and"]),
            coverage=schemaorg.temporal_coverage(view),
        )

    def _ontology(self, view: View) -> Artifact:
        terms = vocabdocs.ontology_terms(view, self.locations)
        labels = {t.iri: view.in_language(t.labels) or Text(t.curie) for t in terms}
        definitions = {t.iri: view.in_language(t.definitions) or Text("") for t in terms}
        named = [(t.iri, labels[t.iri].value, definitions[t.iri].value) for t in terms]
        ontology = self.uris.ontology
        return self._render(
            "ontology.html.j2",
            view,
            _Page("ontology", "ontology", ontology),
            jsonld=schemaorg.vocabulary(view, ontology, named),
            title=self.graph.label(ontology, view.lang),
            description=self.graph.literal(ontology, DCT + "description", view.lang),
            metadata=vocabdocs.ontology_metadata(view, ontology),
            terms=terms,
            labels=labels,
            kinds=[kind for kind, _ in vocabdocs.TERM_KINDS],
        )

    def _shapes(self, view: View) -> Artifact:
        nodes, shared = vocabdocs.shape_docs(view, self.shapes, self.locations)
        url = self._url("shapes", view.lang)
        jsonld = schemaorg.tech_article(
            view, view.text["shapes"]["title"], view.text["shapes"]["intro"], url, self.uris.ontology
        )
        return self._render(
            "shapes.html.j2",
            view,
            _Page("shapes", "shapes", self.uris.shapes),
            jsonld=jsonld,
            nodes=nodes,
            shared=shared,
        )

    def _embed_index(self, view: View) -> Artifact:
        entries = []
        for iri in sorted(self.graph.resources):
            files = [
                (code, view.site_href(self.uris.embed_path(iri, code, fmt)), fmt.suffix)
                for code in self.uris.languages
                for fmt in (HTML, JSONLD)
            ]
            entries.append((view.link(iri), iri[len(self.uris.base) + 3 :], files))
        url = self._url("embed/index", view.lang)
        clusters = self.graph.instances("kd:ClusterOrganisation")
        example = (clusters or sorted(self.graph.resources))[0]
        return self._render(
            "embed-index.html.j2",
            view,
            _Page("embed/index", "dataset", url),
            jsonld=schemaorg.web_page(view, view.text["embed"]["title"], view.text["embed"]["intro"], url),
            entries=entries,
            example=self.snippet(example, view.lang),
            example_ref=example[len(self.uris.base) + 3 :],
        )

    def not_found(self, lang: str) -> Artifact:
        """Return the 404 page: absolute links and inline style, as a host serves it at any path."""
        view = self.view("404", lang)
        css = resources.files("publish").joinpath(str(sitefiles.STYLESHEET)).read_text(encoding="utf-8")
        if "</" in css:
            raise BuildError(
                "publish/static/site.css holds '</', which would close the <style> element of 404.html "
                "where the stylesheet is inlined; remove it from the stylesheet"
            )
        # The search box's script is inlined too: nothing is loaded before the reader searches.
        script = resources.files("publish").joinpath(str(self.uris.search_script)).read_text(encoding="utf-8")
        if "</" in script:
            raise BuildError(
                f"publish/{self.uris.search_script} holds '</', which would close the <script> element "
                "of 404.html where it is inlined; remove it from the script"
            )
        links = [(self._url(stem, lang), view.text["nav"][stem]) for stem in NAV]
        url = self._url("404", lang)
        jsonld = schemaorg.web_page(
            view, view.text["not_found"]["title"], view.text["not_found"]["intro"], url
        )
        body = self.env.get_template("404.html.j2").render(
            text=view.text,
            lang=lang,
            css=Markup(css),
            links=links,
            # The search box (_search.html.j2), with absolute links as the page's others.
            frame={
                "search": {
                    "action": self._url(self.uris.a_z, lang),
                    "index": self.uris.url(self.uris.search_index(lang)),
                    "inline": Markup(script),
                }
            },
            jsonld=jsonld,
            switch=self._switch(lang, lambda code: self._url("404", code)),
        )
        return Artifact(view.page, HTML.media_type, body.encode("utf-8"))
