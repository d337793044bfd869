"""The one authority for IRIs, site paths, URLs, prefixes and media types.

URI policy (also in the README): under the configured base IRI

    ontology#Term            ontology terms (one document: ontology.*)
    ontology/<version>       the ontology's version IRI
    shapes#Shape             SHACL shapes (one document: shapes.*)
    id/<kind>/<slug>         every described thing; its descriptions live at id/<kind>/<slug>.<ext>
    graph/<part>             named graphs of the dump (ontology, data, shapes, …)

A slug is made once from the Danish label (see :func:`slugify`) and never changes afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin

from .errors import PathError
from .formats import HTML, JAVASCRIPT, JSON_FILE, NQUADS, PAGE, SVG, TURTLE, Format

PARTS = ("ontology", "data", "shapes")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# The N-Quads dump: the same site path for every base IRI (commands that only read a built site
# use it without a config).
DUMP = PurePosixPath(NQUADS.path("dataset"))
# Site folders whose files never change once published (served as `immutable`): the frozen
# copies of releases and the change stream's pages, one per release.
IMMUTABLE_FOLDERS = ("release/", "ldes/")
# The documents of things no longer published (answered with 410 Gone at their own IRIs).
GONE_FOLDER = "gone"


# Site paths the build makes from the release history (changelog, feed, change stream, gone
# IRIs): a release freezes the files of its data, not these.
HISTORY_PATHS = ("changes/", "ldes.", "ldes/", "releases.atom", GONE_FOLDER + "/")


def is_history(path: PurePosixPath | str) -> bool:
    """Tell whether a site file is made from the release history rather than from the data."""
    return str(path).startswith(HISTORY_PATHS)


def is_immutable(path: PurePosixPath | str) -> bool:
    """Tell whether a site file can never change once published: release copies, change-stream pages."""
    return str(path).startswith(IMMUTABLE_FOLDERS)


# Standard vocabularies, in the order they are written. Ours are added by Uris.prefixes().
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
}

# Our namespaces, relative to the base IRI. The data files declare the same names.
LOCAL_PREFIXES: dict[str, str] = {
    "kd": "ontology#",
    "kdsh": "shapes#",
    "strategy": "id/strategy/",
    "area": "id/area/",
    "areades": "id/area-designation/",
    "initiative": "id/cluster-initiative/",
    "objective": "id/objective/",
    "arrangement": "id/alternative-arrangement/",
    "support": "id/support-point/",
    "focal": "id/focal-point/",
    "cluster": "id/cluster/",
    "clusterdes": "id/cluster-designation/",
    "organisation": "id/organisation/",
    "actortype": "id/actor-type/",
    "concept": "id/concept/",
    "characteristic": "id/characteristic/",
    "scheme": "id/scheme/",
    "contact": "id/contact/",
    "source": "id/source/",
}

_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(label: str) -> str:
    """Make a lower-case ASCII slug from a Danish label (æ→ae, ø→oe, å→aa)."""
    text = label.translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Uris:
    """IRIs, site paths and URLs for one base IRI (and the site's languages and endpoint).

    Built once from the config (:attr:`publish.config.Config.uris`) and passed down; no other
    module joins a base IRI with a string.
    """

    base: str
    languages: tuple[str, ...] = ("da", "en")
    endpoint: str = ""  # the public SPARQL endpoint when it is not <base>sparql

    @property
    def primary_language(self) -> str:
        """Return the language whose pages have no language suffix (the first configured one)."""
        return self.languages[0]

    @property
    def dataset(self) -> str:
        """Return the IRI of the strategy data as a dcat:Dataset."""
        return self.base + "dataset"

    @property
    def catalog(self) -> str:
        """Return the IRI of the DCAT catalogue."""
        return self.base + "catalog"

    def catalog_node(self, local: str) -> str:
        """Return the IRI of a node described inside the catalogue (``catalog#rights``)."""
        return f"{self.catalog}#{local}"

    @property
    def service(self) -> str:
        """Return the IRI of the SPARQL service (dcat:DataService, sd:Service), where `serve` answers."""
        return self.base + "sparql"

    @property
    def sparql(self) -> str:
        """Return the public URL of the SPARQL endpoint (configured, or the service IRI)."""
        return self.endpoint or self.service

    @property
    def serves_own_endpoint(self) -> bool:
        """Tell whether the public endpoint is the one served beside the site."""
        return self.sparql == self.service

    @property
    def shapes(self) -> str:
        """Return the IRI of the shapes document."""
        return self.base + "shapes"

    @property
    def ontology_namespace(self) -> str:
        """Return the namespace of our ontology's terms."""
        return self.base + LOCAL_PREFIXES["kd"]

    def site_file(self, stem: str, fmt: Format) -> PurePosixPath:
        """Return the site path of a whole-site document in one format (``dataset`` → ``dataset.ttl``)."""
        return PurePosixPath(fmt.path(stem))

    @property
    def dump(self) -> PurePosixPath:
        """Return the site path of the N-Quads dump."""
        return DUMP

    def release(self, version: str) -> str:
        """Return the IRI of a stored release as a dataset of its own (described in the catalogue)."""
        return self.catalog_node(f"release-{version}")

    def release_path(self, version: str, path: PurePosixPath | str = "") -> PurePosixPath:
        """Return the site path of a stored release's folder or of one of its files (``release/<v>/…``)."""
        return PurePosixPath("release") / version / path

    @property
    def context_path(self) -> PurePosixPath:
        """Return the site path of our JSON-LD context document."""
        return PurePosixPath("context.jsonld")

    @property
    def void_path(self) -> PurePosixPath:
        """Return the site path of the VoID description (RFC 5785 well-known location)."""
        return PurePosixPath(".well-known/void")

    @property
    def service_description_path(self) -> PurePosixPath:
        """Return the site path of the SPARQL service description."""
        return self.site_file("sparql-service-description", TURTLE)

    def embed_path(self, iri: str, lang: str, fmt: Format) -> PurePosixPath:
        """Return the site path of a resource's schema.org snippet (``embed/area/x.en.html``)."""
        stem = PurePosixPath("embed") / self.document_stem(iri).relative_to("id")
        return self._in_language(stem, lang, fmt.suffix)

    def prefixes(self) -> dict[str, str]:
        """Return every prefix we write, standard first, ours resolved against the base."""
        ours = {name: self.base + rel for name, rel in LOCAL_PREFIXES.items()}
        return {**STANDARD_PREFIXES, **ours}

    @property
    def ontology(self) -> str:
        """Return the ontology's IRI."""
        return self.base + "ontology"

    @property
    def context(self) -> str:
        """Return the IRI of our JSON-LD context document."""
        return self.base + "context.jsonld"

    def resolve(self, reference: str) -> str:
        """Return an IRI reference from one of our files (``ontology#``, ``graph/data``) as an absolute IRI.

        An absolute IRI is returned as it is; a relative one is resolved against the base (RFC 3986),
        keeping an empty fragment (``ontology#``) as Turtle and SPARQL do.
        """
        if _SCHEME.match(reference):
            return reference
        return urljoin(self.base, reference) + ("#" if reference.endswith("#") else "")

    def graph(self, part: str) -> str:
        """Return the IRI of the named graph holding one part of the dataset."""
        return f"{self.base}graph/{part}"

    def is_local(self, iri: str) -> bool:
        """Tell whether an IRI lives under the base IRI."""
        return iri.startswith(self.base) and len(iri) > len(self.base)

    def is_resource(self, iri: str) -> bool:
        """Tell whether an IRI names a described thing with its own documents (id/…)."""
        return iri.startswith(self.base + "id/") and "#" not in iri

    def document_stem(self, iri: str) -> PurePosixPath:
        """Return the site path, without suffix, of the documents describing ``iri``.

        Hash IRIs share the document of the IRI before the '#'.
        """
        if not self.is_local(iri):
            raise PathError(
                f"<{iri}> is not under the base IRI <{self.base}>, so no file can be written for it; "
                f"name the resource under the base IRI (e.g. <{self.base}id/<kind>/<slug>>) or "
                "change base_iri in [tool.klyngedata]"
            )
        relative = iri[len(self.base) :].split("#", 1)[0]
        if not relative or relative.endswith("/") or ".." in relative.split("/"):
            raise PathError(
                f"<{iri}> has no document path of its own (it is the base IRI, ends in '/' or holds "
                f"'..'); name the resource <{self.base}id/<kind>/<slug>>"
            )
        return PurePosixPath(relative)

    def document_path(self, iri_or_stem: str | PurePosixPath, fmt: Format, lang: str = "") -> PurePosixPath:
        """Return the site path of a document in one format (and, for a page, one language).

        ``iri_or_stem`` is an IRI under the base or a site stem such as ``dataset``; pages in the
        primary language are ``<stem>.html``, in another ``<stem>.<lang>.html``.
        """
        stem = self._stem(iri_or_stem)
        if fmt.kind == PAGE:
            return self._in_language(stem, lang or self.primary_language, fmt.suffix)
        return stem.with_name(fmt.path(stem.name))

    def _stem(self, iri_or_stem: str | PurePosixPath) -> PurePosixPath:
        if isinstance(iri_or_stem, str) and "://" in iri_or_stem:
            return self.document_stem(iri_or_stem)
        stem = PurePosixPath(iri_or_stem)
        if not stem.name:  # '' or '.': no file name to add a suffix to
            raise PathError(
                f"the site stem {str(iri_or_stem)!r} names no document; give a stem such as 'dataset'"
            )
        return stem

    def _in_language(self, stem: PurePosixPath, lang: str, suffix: str) -> PurePosixPath:
        name = f"{stem.name}.{suffix}" if lang == self.primary_language else f"{stem.name}.{lang}.{suffix}"
        return stem.with_name(name)

    def page_path(self, iri_or_stem: str | PurePosixPath, lang: str) -> PurePosixPath:
        """Return the site path of an HTML page (primary language <stem>.html, others <stem>.<lang>.html).

        ``iri_or_stem`` is an IRI under the base (hash IRIs share their document's page) or a
        site stem such as ``index`` or ``id/area/turisme``.
        """
        return self.document_path(iri_or_stem, HTML, lang)

    def href(self, source: PurePosixPath, target: PurePosixPath, fragment: str = "") -> str:
        """Return the relative link from the site file ``source`` to the site file ``target``.

        Links between published files are relative, so the site works from any static host
        and from a file:// copy.
        """
        folder = source.parent.parts
        parts = target.parts
        common = 0
        while common < min(len(folder), len(parts) - 1) and folder[common] == parts[common]:
            common += 1
        relative = "../" * (len(folder) - common) + "/".join(parts[common:])
        return relative + (f"#{fragment}" if fragment else "")

    def url(self, path: PurePosixPath | str) -> str:
        """Return the public URL of a site path."""
        return self.base + str(path)

    def site_path(self, url: str) -> PurePosixPath:
        """Return the site path of a public URL (the inverse of :meth:`url`)."""
        if not url.startswith(self.base):
            raise ValueError(f"{url} is not on this site ({self.base})")
        return PurePosixPath(url[len(self.base) :])

    # ------------------------------------------------------------ search (issue 13)

    @property
    def a_z(self) -> str:
        """Return the site stem of the A–Z page, where the search box's form leads (``a-z.html``)."""
        return "a-z"

    def search_index(self, lang: str) -> PurePosixPath:
        """Return the site path of one language's search index (``search.json``, ``search.en.json``)."""
        return self._in_language(PurePosixPath("search"), lang, JSON_FILE.suffix)

    @property
    def search_script(self) -> PurePosixPath:
        """Return the site path of the search box's script."""
        return PurePosixPath("static") / JAVASCRIPT.path("search")

    # ------------------------------------------------------------ pictures (issue 13)

    @property
    def picture_pages(self) -> tuple[str, ...]:
        """Return the site stems of the picture pages (``overview-picture.html``, ``timeline.html``)."""
        return ("overview-picture", "timeline")

    def picture(self, stem: str, lang: str) -> PurePosixPath:
        """Return the site path of a picture page's SVG file (``pictures/timeline.svg``, ``….en.svg``)."""
        return self._in_language(PurePosixPath("pictures") / stem, lang, SVG.suffix)

    # ------------------------------------------------------------ change history (issue 12)

    def changes_stem(self, version: str) -> PurePosixPath:
        """Return the site stem of a release's changelog page and change documents (``changes/<version>``)."""
        return PurePosixPath("changes") / version

    def changeset(self, old: str, new: str) -> str:
        """Return the IRI of the changes from one state to another (``changes/<old>/<new>``)."""
        return self.url(PurePosixPath("changes") / (old or "none") / new)

    @property
    def feed_path(self) -> PurePosixPath:
        """Return the site path of the Atom feed of releases."""
        return PurePosixPath("releases.atom")

    @property
    def stream(self) -> str:
        """Return the IRI of the change stream (ldes:EventStream), whose document is its root page."""
        return self.base + "ldes"

    def stream_fragment(self, version: str) -> PurePosixPath:
        """Return the site path of the change stream's page of one release (``ldes/<version>.ttl``).

        Every such page is complete when its release is made and never changes afterwards.
        """
        return PurePosixPath("ldes") / TURTLE.path(version)

    def member(self, version: str, iri: str) -> str:
        """Return the IRI of one change-stream member: the version of ``iri`` made by a release."""
        return f"{self.url(self.stream_fragment(version))}#{self.document_stem(iri).relative_to('id')}"

    def gone_stem(self, iri_or_stem: str | PurePosixPath) -> PurePosixPath:
        """Return the site stem of the documents answered with 410 for a thing no longer published.

        ``id/area/x`` answers 410 with ``gone/id/area/x.<ext>`` when it has no documents of its own.
        """
        return PurePosixPath(GONE_FOLDER) / self._stem(iri_or_stem)
