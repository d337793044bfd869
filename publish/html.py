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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, ClassVar

import jinja2
import pyoxigraph as ox
from markupsafe import Markup

from . import facts, schemaorg, sitefiles, vocabdocs
from .artifact import Artifact
from .compiled import bytecode_cache
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
# The list pages made from the graph alone: reusable (publish.incremental). The ontology and
# shapes pages too: they also order their terms by file and line, which their key then holds
# (Site.vocabulary_lines). Not the embed index: it shows a snippet the schema.org cache may hold.
OWN = ("index", "clusters", "focal-points", "dataset", "query")
LOCATED = ("ontology", "shapes")


def page_artifacts(dataset: LoadedDataset, config: Config, reuse: Reuse | None = None) -> Iterator[Artifact]:
    """Yield every page, snippet and site file, one resource at a time, without touching the disk.

    With ``reuse``, a resource's page and embeds come from the previous build where nothing
    they read changed (:mod:`publish.incremental`).
    """
    pages = Pages(dataset, config, reuse)
    yield from pages.site_files()
    for lang in pages.languages:
        yield from pages.in_language(lang)


class Pages:
    """A build's pages in parts: the site files, and each language's pages and embeds.

    The data is indexed once (:class:`Site`); the build may make one language's part in another
    process, which inherits the index (:mod:`publish.build`).
    """

    def __init__(self, dataset: LoadedDataset, config: Config, reuse: Reuse | None = None) -> None:
        self.site = Site(dataset, config)
        self.config = config
        self.reuse = reuse

    @property
    def languages(self) -> tuple[str, ...]:
        """The site's languages, in the configured order."""
        return tuple(self.site.uris.languages)

    def site_files(self) -> list[Artifact]:
        """Return the files every page shares (stylesheet, scripts, sitemap, robots, 404 support)."""
        site = self.site
        stems = [str(site.uris.document_stem(i)) for i in sorted(site.graph.resources)] + list(NAV)
        stems += [str(site.uris.changes_stem(r.version)) for r in load_releases(self.config)]  # changelog
        stems.append(site.uris.a_z)  # the A–Z page (publish.search)
        stems += site.uris.picture_pages  # the pictures' pages (publish.pictures)
        return sitefiles.files(site.env, site.uris, stems, self.config.source_date_epoch)

    def in_language(self, lang: str) -> Iterator[Artifact]:
        """Yield every page and embed in ``lang``, one resource at a time."""
        # A resource's page and embeds first: list pages fill the schema.org cache for others.
        yield from self.resource_pages(lang, self.resources())
        yield from self.list_pages(lang)

    def resources(self) -> list[str]:
        """The resources that have a page, in the order of :meth:`in_language`."""
        return sorted(self.site.graph.resources)

    def resource_pages(self, lang: str, iris: Iterable[str]) -> Iterator[Artifact]:
        """Yield the pages and embeds in ``lang`` of the resources ``iris``."""
        site, reuse = self.site, self.reuse
        strategy = site.strategy or ""  # cached on the site: a key of every page, not a read
        for iri in iris:
            make = partial(site.resource_files, iri, lang)
            yield from reuse.pages(site.graph, iri, lang, strategy, make) if reuse else make()

    def list_pages(self, lang: str) -> Iterator[Artifact]:
        """Yield the list pages in ``lang`` and its page for a path not found."""
        site, reuse = self.site, self.reuse
        strategy = site.strategy or ""
        for stem in NAV:
            make = partial(site.list_files, stem, lang)
            if reuse is not None and stem in OWN:
                yield from reuse.pages(site.graph, stem, lang, strategy, make)
            elif reuse is not None and stem in LOCATED:
                yield from reuse.pages(site.graph, stem, lang, f"{strategy}\n{site.vocabulary_lines}", make)
            else:
                yield from make()
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


# What a plain dict answers as an attribute (its methods): ``d.items`` is the method, ``d.x`` the key.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja, with ``text.nav.dataset`` in a dict found as jinja finds it, without an exception.

    Jinja tries an attribute first and falls back to the key: for a plain dict (the messages, a
    page's frame) every ``a.b`` raised and caught an AttributeError, dozens of times a page.
    """

    # Compiled templates, shared by every environment of this process: a build makes several
    # sites (pages, search, pictures, history), and compiling jinja source costs about 15 ms a
    # template. The key holds the source and every setting that changes the generated code.
    _compiled: ClassVar[dict[tuple[object, ...], Any]] = {}

    def compile(
        self,
        source: str | jinja2.nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        base: Any = super().compile
        if raw or not isinstance(source, str):  # source text asked for, or a parsed tree
            return base(source, name, filename, raw, defer_init)
        key = (source, name, filename, defer_init, *self._code_settings())
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = base(source, name, filename, raw, defer_init)
        return found

    def _code_settings(self) -> tuple[object, ...]:
        return (
            self.autoescape,
            self.optimized,
            self.undefined,
            self.finalize,
            self.trim_blocks,
            self.lstrip_blocks,
            self.keep_trailing_newline,
            self.newline_sequence,
            self.block_start_string,
            self.variable_start_string,
            self.comment_start_string,
            self.line_statement_prefix,
            self.line_comment_prefix,
            tuple(sorted(self.extensions)),
        )

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            if attribute not in _DICT_ATTRIBUTES and attribute in obj:
                return obj[attribute]
        else:
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)


@dataclass(frozen=True, slots=True)
class _Page:
    """What the page frame needs: its stem (or its IRI), RDF forms and permanent link."""

    stem: str
    rdf: str
    permalink: str


# How many schema.org descriptions a build keeps: a resource's page and embeds share one.
_RECENT = 1_000


class Site:
    """The data of one build, indexed once, and the templates that render it."""

    def __init__(self, dataset: LoadedDataset, config: Config) -> None:
        self.config = config
        self.uris = dataset.uris
        self.locations = dataset.locations
        self._file_parts = dataset.file_parts
        self.messages = config.messages
        self.graph = Graph(dataset.triples("ontology", "data"), self.uris, self.messages)
        self.shapes = Graph(dataset.triples("shapes"), self.uris, self.messages)
        self.env = _Environment(
            loader=jinja2.PackageLoader("publish", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # compiled once per build: no file check per page
        )
        self.env.bytecode_cache = bytecode_cache(self.env._code_settings())
        self.env.filters["script_json"] = self._script_json
        self._jsonld: dict[tuple[str, str], dict[str, Any]] = {}
        self._last_script: tuple[object, Markup] = (None, Markup(""))
        self._navs: dict[tuple[PurePosixPath, str, str], dict[str, Any]] = {}
        self._frames: dict[tuple[PurePosixPath, str, Link | None], dict[str, Any]] = {}
        self._last_embeds: dict[tuple[str, str], tuple[PurePosixPath, PurePosixPath]] = {}

    def _script_json(self, value: object) -> Markup:
        """Return schema.org JSON for a ``<script>``, once for a page and its embeds (the last one kept)."""
        if self._last_script[0] is not value:
            # Safe to mark up: script_json escapes every "<", ">" and "&" of the JSON it writes.
            self._last_script = (value, Markup(schemaorg.script_json(value)))
        return self._last_script[1]

    @cached_property
    def vocabulary_lines(self) -> str:
        """Where each thing not defined in the data is defined (file and line), as text: the
        ontology and shapes pages order their terms so. A file of no known part counts too."""
        parts = self._file_parts
        located = sorted(
            (iri, str(where)) for iri, where in self.locations.items() if parts.get(where.file) != "data"
        )
        return "\n".join(f"{iri}\t{where}" for iri, where in located)

    @cached_property
    def strategy(self) -> str | None:
        """Return the strategy's IRI (the overview page presents it)."""
        found = self.graph.instances("kd:Strategy")
        return found[0] if found else None

    def view(self, stem: str, lang: str) -> View:
        """Return the view of the page with this stem in one language."""
        return View(self.graph, lang, self.graph.page_path(stem, lang))

    # ------------------------------------------------------------ rendering

    def _render(
        self, template: str, view: View, page: _Page, *, piecewise: bool = False, **context: Any
    ) -> Artifact:
        """Render one page. ``piecewise``: encode its text a piece at a time as the template writes
        it, for a page as long as the data (at a million triples the embed index is about 80 MB:
        whole, its pieces would be held three times over). The same bytes either way."""
        variables = {"frame": self._frame(view, page), "text": view.text, **context}
        compiled = self.env.get_template(template)
        if not piecewise:
            return Artifact(view.page, HTML.media_type, compiled.render(variables).encode("utf-8"))
        body = bytearray()
        for piece in compiled.generate(variables):
            body += piece.encode("utf-8")
        return Artifact(view.page, HTML.media_type, bytes(body))

    def page(
        self, template: str, stem: str, lang: str, *, rdf: str, permalink: str, **context: Any
    ) -> Artifact:
        """Render another module's page (changelog, gone things) in the site's frame.

        ``rdf`` is the stem of the page's RDF forms, one file per RDF format of the registry.
        """
        return self._render(template, self.view(stem, lang), _Page(stem, rdf, permalink), **context)

    def _frame(self, view: View, page: _Page) -> dict[str, Any]:
        uris, lang = self.uris, view.lang
        # The page's own path in every language: its language switch, canonical and hreflang links.
        paths = [(code, self.graph.page_path(page.stem, code)) for code in uris.languages]
        rdf = PurePosixPath(page.rdf)
        # The RDF forms lie beside their stem (Uris.document_path): one relative link, then their names.
        beside = uris.href(view.page, rdf)[: -len(rdf.name)]
        return {
            **self._folder_frame(view),
            **self._nav(view, page.stem),
            "switch": [
                (
                    self.graph.href(view.page, path, "", view.folder),
                    code,
                    self.messages[code]["language_name"],
                )
                for code, path in paths
                if code != lang
            ],
            "canonical": uris.url(self.graph.page_path(page.stem, lang)),
            "hreflang": [(code, uris.url(path)) for code, path in paths]
            + [("x-default", uris.url(self.graph.page_path(page.stem, uris.primary_language)))],
            "formats": [
                (f.media_type, beside + uris.document_path(rdf, f).name, f.suffix) for f in rdf_documents()
            ],
            "permalink": page.permalink,
        }

    def _folder_frame(self, view: View) -> dict[str, Any]:
        """Return the parts of the frame every page in one folder and language shares (made once).

        The licence comes from the data: it is read for every page (so an incremental build
        notes the read, :mod:`publish.incremental`) and is part of the key.
        """
        licence = self._licence(view)
        key = (view.folder, view.lang, licence)
        found = self._frames.get(key)
        if found is None:
            uris = self.uris
            found = {
                "lang": view.lang,
                "languages": uris.languages,
                "css": view.site_href(sitefiles.STYLESHEET),
                "home": view.page_href("index"),
                "catalog": view.site_href(uris.site_file("catalog", rdf_documents()[0])),
                "catalog_type": rdf_documents()[0].media_type,
                "dataset": view.page_href("dataset"),
                "licence": licence,
                "search": {  # the search box (publish.search)
                    "action": view.page_href(uris.a_z),
                    "index": view.site_href(uris.search_index(view.lang)),
                    "script": view.site_href(uris.search_script),
                },
            }
            parts = self.env.get_template("_frame.html.j2").module
            found["header"] = parts.header(found, view.text)  # type: ignore[attr-defined]
            found["footer"] = parts.footer(found, view.text)  # type: ignore[attr-defined]
            self._frames[key] = found
        return found

    def _nav(self, view: View, current: str) -> dict[str, Any]:
        """Return the navigation (link, label, whether it is this page), once a folder, language and page."""
        key = (view.folder, view.lang, current if current in NAV else "")
        found = self._navs.get(key)
        if found is None:
            nav = [(view.page_href(stem), view.text["nav"][stem], stem == current) for stem in NAV]
            menu = self.env.get_template("_frame.html.j2").module.menu({"nav": nav}, view.text)  # type: ignore[attr-defined]
            found = self._navs[key] = {"nav": nav, "menu": menu}
        return found

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
        """Return the schema.org description of a resource in one language (its page's and its embeds')."""
        key = (iri, lang)
        found = self._jsonld.get(key)
        if found is None:
            if len(self._jsonld) >= _RECENT:  # the last pages' only: memory does not grow with the data
                self._jsonld.clear()
            found = self._jsonld[key] = schemaorg.resource(self._resource_view(iri, lang), iri)
        return found

    def _resource_view(self, iri: str, lang: str) -> View:
        return View(self.graph, lang, self.graph.page_path(iri, lang))

    def resource_page(self, iri: str, lang: str) -> Artifact:
        """Return the page of one resource."""
        view = self._resource_view(iri, lang)
        return self._render(
            "resource.html.j2",
            view,
            _Page(iri, str(self.uris.document_stem(iri)), iri),  # its page paths by IRI, as its links
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
                self.uris.href(view.page, self._embed_paths(iri, lang)[0]),
                view.page_href("embed/index"),
            ),
        )

    def resource_files(self, iri: str, lang: str) -> list[Artifact]:
        """Return a resource's page and embeds in one language."""
        return [self.resource_page(iri, lang), *self.embeds(iri, lang)]

    def snippet(self, iri: str, lang: str) -> str:
        """Return the ``<script>`` block of one resource."""
        return self.env.get_template("snippet.html.j2").render(jsonld=self.jsonld(iri, lang))

    def _embed_paths(self, iri: str, lang: str) -> tuple[PurePosixPath, PurePosixPath]:
        """Return the site paths of a resource's snippets (HTML, JSON-LD): its page links to one."""
        found = self._last_embeds.get((iri, lang))  # asked for by its page, then by its embeds
        if found is None:
            found = (self.uris.embed_path(iri, lang, HTML), self.uris.embed_path(iri, lang, JSONLD))
            self._last_embeds = {(iri, lang): found}
        return found

    def embeds(self, iri: str, lang: str) -> list[Artifact]:
        """Return the embeddable JSON-LD of one resource, as a file and as a ``<script>`` block."""
        body = self._script_json(self.jsonld(iri, lang)) + "\n"
        html_path, jsonld_path = self._embed_paths(iri, lang)
        return [
            Artifact(jsonld_path, JSONLD.media_type, body.encode("utf-8")),
            Artifact(html_path, HTML.media_type, self.snippet(iri, lang).encode("utf-8")),
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
        url = self._url("embed/index", view.lang)
        clusters = self.graph.instances("kd:ClusterOrganisation")
        example = (clusters or sorted(self.graph.resources))[0]
        return self._render(
            "embed-index.html.j2",
            view,
            _Page("embed/index", "dataset", url),
            piecewise=True,
            jsonld=schemaorg.web_page(view, view.text["embed"]["title"], view.text["embed"]["intro"], url),
            entries=self._embed_entries(view),
            example=self.snippet(example, view.lang),
            example_ref=example[len(self.uris.base) + 3 :],
        )

    def _embed_entries(self, view: View) -> Iterator[tuple[Link, str, list[tuple[str, str, str]]]]:
        """Each resource's row of the embed index, made as the page is written (one every
        resource: a list of them all would be held beside the page)."""
        for iri in sorted(self.graph.resources):
            paths = [
                (code, self.uris.embed_path(iri, code, fmt), fmt)
                for code in self.uris.languages
                for fmt in (HTML, JSONLD)
            ]
            # A resource's snippets lie in one folder: one relative link, then their names.
            first = paths[0][1]
            beside = self.uris.href(view.page, first)[: -len(first.name)]
            files = [(code, beside + path.name, fmt.suffix) for code, path, fmt in paths]
            yield view.link(iri), iri[len(self.uris.base) + 3 :], files

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
