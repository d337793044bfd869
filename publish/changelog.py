"""What the build publishes about the release history: changelog pages, the feed, the stream, gone IRIs.

For every stored release (:mod:`publish.releases`), in every configured language, a changelog
page ``changes/<VERSION>`` (what changed since the release before, in sentences, from
:mod:`publish.changetext`) with its RDF forms (the summary of :mod:`publish.changerdf`) and the
changed statements as TriG; the Atom feed of releases (``releases.atom``); the change stream
(:mod:`publish.ldes`); and the documents of things no longer published (:mod:`publish.gone`).
All markup is in ``templates/`` (``changelog.html.j2``, ``gone.html.j2``, ``releases.atom.j2``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import PurePosixPath
from typing import Any

import pyoxigraph as ox

from . import changerdf, exports, formats, gone, ldes, releases, schemaorg
from .artifact import Artifact
from .changetext import Teller
from .config import Config
from .dataset import LoadedDataset
from .diff import Diff, snapshot
from .formats import TURTLE, Vocabulary
from .history import WORKING, release_diffs
from .html import Site
from .incremental import Reuse
from .rdf import DCT, SKOS
from .releases import Release, load_releases
from .uris import PARTS, Uris
from .view import View

ATOM = next(f for f in formats.FORMATS if f.name == "atom")
TRIG = next(f for f in formats.FORMATS if f.name == "trig")


def history_artifacts(
    dataset: LoadedDataset, config: Config, reuse: Reuse | None = None, site: Site | None = None
) -> list[Artifact]:
    """Return the changelog pages, the feed, the change stream and the gone things' documents.

    ``site``: the build's indexed data, shared with its pages (made here if not given).

    With ``reuse``, one unit (:mod:`publish.incremental`): taken from the previous build while
    the stored releases' records, the JSON-LD context, the things of the current data and what
    replaces what are the same, and nothing its pages read of the current graph changed.
    """
    stored = load_releases(config)
    if not stored:
        return []
    site = site if site is not None else Site(dataset, config)
    # The site's published JSON-LD context (as build makes it): our JSON-LD uses its terms only.
    context = exports.make_context(dataset.triples(), config.uris.prefixes())
    # Which things have a page, read once (a key of the unit, not a read of each thing's entry).
    pages = frozenset(site.graph.resources)
    make = partial(_history, dataset, config, stored, site, context, pages)
    if reuse is None:
        return make()
    also = _inputs(dataset, stored, context, site.strategy or "") + "\n".join(sorted(pages))
    return reuse.unit("history", site.graph, also, make, members_in_also=True)


def _inputs(
    dataset: LoadedDataset, stored: Sequence[Release], context: Mapping[str, Any], strategy: str
) -> str:
    """Return what the history depends on besides what its pages read of the current graph."""
    uris = dataset.uris
    records = [
        [r.version, r.issued.isoformat(), r.previous, dict(r.notes), dict(r.files)]
        + [r.dataset_sha256, r.archive_sha256]
        for r in stored
    ]
    now, replaces = set(), set()
    for t in dataset.triples("data"):
        if isinstance(t.subject, ox.NamedNode):
            if uris.is_resource(t.subject.value):
                now.add(t.subject.value)
            if t.predicate.value == DCT + "replaces" and isinstance(t.object, ox.NamedNode):
                replaces.add((t.subject.value, t.object.value))
    inputs = [records, context, sorted(now), sorted(replaces), strategy]
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)


def _history(
    dataset: LoadedDataset,
    config: Config,
    stored: list[Release],
    site: Site,
    context: Mapping[str, Any],
    pages: frozenset[str],
) -> list[Artifact]:
    history = release_diffs(config, stored)
    uris = config.uris
    artifacts = ldes.stream_artifacts(uris, history, context)
    for release, diff in history:
        artifacts += changes_artifacts(site, release, diff, context, pages)
    artifacts.append(feed_artifact(site, history))
    current = snapshot(WORKING, dataset.quads(*PARTS), uris)
    by_version = {release.version: release for release in stored}
    for thing in gone.find(uris, [(release, diff.new) for release, diff in history], current):
        artifacts += gone_artifacts(site, thing, by_version[thing.last], context)
    return artifacts


def _rdf_forms(
    stem: PurePosixPath, triples: Sequence[Any], uris: Uris, extra: dict[str, str], context: Mapping[str, Any]
) -> list[Artifact]:
    vocabulary = Vocabulary({**uris.prefixes(), **extra}, context)
    return [
        Artifact(stem.with_name(fmt.path(stem.name)), fmt.media_type, fmt.write(triples, vocabulary))
        for fmt in formats.rdf_documents()
        if fmt.write is not None
    ]


def changes_artifacts(
    site: Site, release: Release, diff: Diff, context: Mapping[str, Any], pages: frozenset[str]
) -> list[Artifact]:
    """Return a release's changelog page in every language, its RDF forms and its TriG."""
    uris, messages = site.uris, site.messages
    stem = uris.changes_stem(release.version)
    iri = uris.url(stem)
    summary = changerdf.summary(diff, uris, messages, iri=iri)
    artifacts = _rdf_forms(stem, summary, uris, changerdf.PREFIXES, context)
    trig = changerdf.statements_trig(diff, uris, messages, iri=iri)
    artifacts.append(Artifact(stem.with_name(TRIG.path(stem.name)), TRIG.media_type, trig))
    for lang in uris.languages:
        artifacts.append(_changes_page(site, release, diff, lang, stem, pages))
    return artifacts


def _changes_page(
    site: Site, release: Release, diff: Diff, lang: str, stem: PurePosixPath, pages: frozenset[str]
) -> Artifact:
    uris = site.uris
    view = site.view(str(stem), lang)
    words = view.text["changes"]
    teller = Teller(diff, uris, site.messages, lang)
    issued = view.date(release.issued.isoformat())
    title = str(words["title"]).format(version=release.version)
    if release.previous or diff.old.name:
        intro = str(words["intro"]).format(
            version=release.version, issued=issued, previous=release.previous or diff.old.name
        )
    else:
        intro = str(words["first"]).format(version=release.version, issued=issued)
    entries = [(_href(pages, view, entry.iri), entry) for entry in teller.entries()]
    downloads = [
        (name, view.site_href(releases.site_path(release.version, name)))
        for name in sorted(release.files)
        if "/" not in name
    ]
    downloads.append((TRIG.label, view.site_href(stem.with_name(TRIG.path(stem.name)))))
    return site.page(
        "changelog.html.j2",
        str(stem),
        lang,
        rdf=str(stem),
        permalink=uris.url(stem),
        jsonld=schemaorg.web_page(view, title, intro, uris.url(uris.page_path(stem, lang))),
        notes=view.in_language(release.notes),
        heading=teller.heading(),
        entries=entries,
        downloads=downloads,
        feed=view.site_href(uris.feed_path),
        stream=view.site_href(uris.document_path(uris.stream, TURTLE)),
    )


def _href(pages: frozenset[str], view: View, iri: str) -> str:
    """Return the link to a changed thing's page, '' for a thing without one (gone since, a term, a shape)."""
    if iri not in pages:
        return ""
    href, external = view.href_of(iri)
    return "" if external or href == iri else str(href)


def feed_artifact(site: Site, history: Sequence[tuple[Release, Diff]]) -> Artifact:
    """Return the Atom feed of releases, newest first, in the primary language."""
    uris = site.uris
    lang = uris.primary_language
    words = site.messages[lang]["changes"]
    entries = []
    for release, diff in reversed(history):
        stem = uris.changes_stem(release.version)
        notes = release.notes.get(lang) or next(iter(release.notes.values()), "")
        heading = Teller(diff, uris, site.messages, lang).heading()
        entries.append(
            {
                "id": uris.url(stem),
                "title": str(words["title"]).format(version=release.version),
                "updated": f"{release.issued.isoformat()}T00:00:00Z",
                "pages": [(code, uris.url(uris.page_path(stem, code))) for code in uris.languages],
                "summary": notes or heading,
            }
        )
    feed = {
        "id": uris.url(uris.feed_path),
        "title": f"{site.messages[lang]['site_name']}: {words['index_title']}",
        "subtitle": site.messages[lang]["site_description"],
        "updated": entries[0]["updated"],
        "author": site.messages[lang]["site_name"],
        "home": uris.url(uris.page_path("index", lang)),
    }
    body = site.env.get_template("releases.atom.j2").render(lang=lang, feed=feed, entries=entries)
    return Artifact(uris.feed_path, ATOM.media_type, body.encode("utf-8"))


def gone_artifacts(site: Site, thing: gone.Gone, last: Release, context: Mapping[str, Any]) -> list[Artifact]:
    """Return what a gone thing's IRI answers with 410: its RDF forms and a page per language.

    The pages are written under gone/ but served at the thing's own address, so their links are
    made from there.
    """
    uris = site.uris
    stem = uris.gone_stem(thing.iri)
    own = uris.document_stem(thing.iri)
    artifacts = _rdf_forms(stem, thing.triples(uris), uris, {}, context)
    frozen = TURTLE.path(str(own))
    for lang in uris.languages:
        view = site.view(str(own), lang)
        words = view.text["changes"]
        label = _label(thing, lang)
        removed = str(words["working"]) if thing.removed == WORKING else thing.removed
        intro = str(words["gone_intro"]).format(iri=thing.iri, removed=removed, last=thing.last)
        links = []
        if frozen in last.files:
            copy = releases.site_path(thing.last, frozen)
            links.append((f"{words['gone_last']} ({thing.last})", view.site_href(copy)))
        for version in dict.fromkeys((thing.last, thing.removed)):
            if version != WORKING:
                title = str(words["title"]).format(version=version)
                links.append((title, view.page_href(str(uris.changes_stem(version)))))
        page = site.page(
            "gone.html.j2",
            str(own),
            lang,
            rdf=str(own),
            permalink=thing.iri,
            jsonld=schemaorg.web_page(view, f"{words['gone_title']}: {label}", intro, thing.iri),
            successors=[view.link(s) for s in thing.successors],
            links=links,
        )
        artifacts.append(Artifact(uris.page_path(stem, lang), page.media_type, page.body))
    return artifacts


def _label(thing: gone.Gone, lang: str) -> str:
    """Return a gone thing's label in its last description: in ``lang``, else any, else its IRI."""
    labels = {
        t.object.language: t.object.value
        for t in thing.description
        if t.predicate.value == SKOS + "prefLabel" and isinstance(t.object, ox.Literal)
    }
    return labels.get(lang) or next(iter(sorted(labels.values())), thing.iri)
