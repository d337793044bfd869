"""schema.org descriptions (JSON-LD) of our resources and pages, for search engines and web editors.

Each function returns a plain dict with ``"@context": "https://schema.org"``, the value web
editors paste into their pages. Types and properties are those of the schema.org release in
``tests/vocab/schemaorg`` (30.0) and are used only on types within their domain (a test checks it).
:func:`script_json` serialises a dict so that it can sit inside ``<script>`` safely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from . import formats
from .rdf import DCT, RDFS, SCHEMA, SKOS
from .view import DATES, SOURCE, View

CONTEXT = "https://schema.org"
DENMARK = "http://publications.europa.eu/resource/authority/country/DNK"
_DESCRIPTIONS = (
    DCT + "description",
    SKOS + "definition",
    SKOS + "scopeNote",
    "kd:purpose",
    SKOS + "historyNote",
    "kd:text",
    SKOS + "note",
)
_PARTS = ("kd:objective", "kd:focalPoint", "kd:supportPoint", "kd:characteristic")
_HOMEPAGES = ("http://xmlns.com/foaf/0.1/homepage", "https://schema.org/url")
Node = dict[str, Any]

# The model mapping: the schema.org type of a resource by its class, the first match winning.
# A class not listed here takes the schema.org type the ontology aligns it to (see schema_type).
SCHEMA_TYPES: tuple[tuple[str, str], ...] = (
    ("kd:ClusterOrganisation", "Organization"),
    ("kd:Stronghold", "DefinedTerm"),
    ("kd:EmergingArea", "DefinedTerm"),
    ("skos:Concept", "DefinedTerm"),
    ("skos:ConceptScheme", "DefinedTermSet"),
    ("kd:Strategy", "CreativeWork"),
    ("kd:PublicAuthority", "GovernmentOrganization"),  # only a formal organisation (see schema_type)
    ("org:FormalOrganization", "Organization"),
    ("kd:AreaDesignation", "Action"),
    ("kd:ClusterDesignation", "Action"),
    ("vcard:Organization", "ContactPoint"),
    ("kd:Source", "CreativeWork"),
    ("kd:ClusterInitiative", "CreativeWork"),
    ("kd:AlternativeArrangement", "CreativeWork"),
    ("kd:Objective", "CreativeWork"),
    ("kd:FocalPoint", "CreativeWork"),
    ("kd:SupportPoint", "CreativeWork"),
    ("kd:ClusterCharacteristic", "CreativeWork"),
)


def script_json(value: object) -> str:
    """Serialise JSON for a ``<script>`` element: no text in it can close the element or open a comment.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\\u003c`` (and so on) is the
    same character; so ``</script>`` and ``<!--`` cannot appear, and the JSON stays valid.
    """
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def schema_type(view: View, iri: str) -> str:
    """Return the schema.org type that fits a resource best (see the README for the choices).

    The first class of :data:`SCHEMA_TYPES` the resource has decides; a resource of none of them
    takes the type its classes are aligned to in the ontology (``rdfs:subClassOf schema:X``).
    """
    graph = view.graph
    classes = graph.types(iri)
    for curie, kind in SCHEMA_TYPES:
        if graph.expand(curie) in classes:
            if kind == "GovernmentOrganization" and graph.expand("org:FormalOrganization") not in classes:
                return "Thing"  # a post such as a minister: schema.org has no type for an office
            return kind
    return aligned_type(view, classes) or "Thing"


def aligned_type(view: View, classes: Iterable[str]) -> str | None:
    """Return the schema.org type nearest to ``classes`` up their ``rdfs:subClassOf`` chains, if any.

    Of several alignments at the same distance the first by name wins, so the answer is stable.
    """
    seen: set[str] = set()
    level = sorted(set(classes))
    while level:
        seen.update(level)
        parents = {parent for cls in level for parent in view.graph.iris(cls, RDFS + "subClassOf")}
        found = sorted(parent.removeprefix(SCHEMA) for parent in parents if parent.startswith(SCHEMA))
        if found:
            return found[0]
        level = sorted(parents - seen)
    return None


def ref(view: View, iri: str) -> Node:
    """Return a short node for a linked resource: its type, IRI and name."""
    return {"@type": schema_type(view, iri), "@id": iri, "name": view.graph.label(iri, view.lang).value}


def resource(view: View, iri: str) -> Node:
    """Return the schema.org description of one resource in the view's language."""
    graph = view.graph
    kind = schema_type(view, iri)
    node: Node = {"@context": CONTEXT, **ref(view, iri)}
    alternate = sorted({t.value for t in graph.texts(iri, SKOS + "altLabel", view.lang)})
    if alternate:
        node["alternateName"] = alternate
    description = _description(view, iri)
    if description:
        node["description"] = description
    node["additionalType"] = sorted(graph.types(iri))
    node["mainEntityOfPage"] = view.graph.uris.url(view.graph.page_path(iri, view.lang))
    builder = _BUILDERS.get(kind)
    if builder is not None:
        builder(view, iri, node)
    if kind in ("CreativeWork", "DefinedTermSet"):
        node["inLanguage"] = view.lang
    sources = graph.iris(iri, SOURCE)
    if sources:
        node["subjectOf"] = [ref(view, s) | {"@type": "CreativeWork"} for s in sorted(sources)]
    return node


def _description(view: View, iri: str) -> str | None:
    for predicate in _DESCRIPTIONS:
        full = view.graph.expand(predicate) if predicate.startswith("kd:") else predicate
        found = view.graph.literal(iri, full, view.lang)
        if found is not None:
            return found.value
    return None


def _organization(view: View, iri: str, node: Node) -> None:
    graph = view.graph
    designations = graph.subjects(graph.expand("kd:designatedOrganisation"), iri)
    areas = graph.ordered(a for d in designations for a in graph.iris(d, graph.expand("kd:forArea")))
    if "description" not in node and areas:
        names = ", ".join(graph.label(a, view.lang).value for a in areas)
        node["description"] = view.text["org_description"].format(areas=names)
    homepages = [h for p in _HOMEPAGES for h in graph.iris(iri, p)]
    if homepages:
        node["url"] = homepages[0]  # only when a source gives one
    founded = graph.objects(iri, graph.expand("kd:foundingDate"))
    if founded:
        node["foundingDate"] = founded[0].value
    node["areaServed"] = country(view)
    node["knowsAbout"] = [ref(view, a) for a in areas]


def country(view: View) -> Node:
    """Return Denmark as a schema.org Country."""
    return {"@type": "Country", "name": view.text["denmark"], "sameAs": DENMARK}


def _defined_term(view: View, iri: str, node: Node) -> None:
    schemes = view.graph.iris(iri, SKOS + "inScheme")
    if schemes:
        node["inDefinedTermSet"] = ref(view, schemes[0])


def _defined_term_set(view: View, iri: str, node: Node) -> None:
    concepts = view.graph.ordered(view.graph.iris(iri, SKOS + "hasTopConcept"), view.lang)
    node["hasDefinedTerm"] = [ref(view, c) for c in concepts]


def _creative_work(view: View, iri: str, node: Node) -> None:
    graph = view.graph
    issued = graph.objects(iri, DCT + "issued")
    if issued:
        node["datePublished"] = issued[0].value
    publishers = graph.iris(iri, DCT + "publisher")
    if publishers:
        node["publisher"] = ref(view, publishers[0])
    if not graph.uris.is_local(iri) and iri.startswith(("http://", "https://")):
        node["url"] = iri  # a source web page
    position = graph.position(iri)
    if position:
        node["position"] = position
    text = graph.literal(iri, graph.expand("kd:text"), view.lang)
    if text is not None:
        node["text"] = text.value
    parts = [p for curie in _PARTS for p in graph.iris(iri, graph.expand(curie))]
    if parts:
        node["hasPart"] = [ref(view, p) for p in graph.ordered(parts, view.lang)]
    wholes = [w for curie in _PARTS for w in graph.subjects(graph.expand(curie), iri)]
    if wholes:
        node["isPartOf"] = [ref(view, w) for w in wholes]
    areas = [
        a
        for p in ("kd:clusterInitiative", "kd:alternativeArrangement")
        for a in graph.subjects(graph.expand(p), iri)
    ]
    schemes = graph.iris(iri, graph.expand("kd:areaScheme"))
    if areas or schemes:
        node["about"] = [ref(view, a) for a in areas] + [resource_set(view, s) for s in schemes]
    if graph.has_type(iri, "kd:Strategy"):
        node["spatialCoverage"] = country(view)


def resource_set(view: View, iri: str) -> Node:
    """Return a concept scheme as a DefinedTermSet listing its terms."""
    node = ref(view, iri)
    _defined_term_set(view, iri, node)
    return node


def _action(view: View, iri: str, node: Node) -> None:
    graph = view.graph
    agents = graph.iris(iri, graph.expand("kd:designatedBy"))
    if agents:
        node["agent"] = ref(view, agents[0])
    objects = graph.iris(iri, graph.expand("kd:designates")) + graph.iris(
        iri, graph.expand("kd:designatedOrganisation")
    )
    if objects:
        node["object"] = ref(view, objects[0])
    for ours, theirs in (("kd:startDate", "startTime"), ("kd:endDate", "endTime")):
        values = graph.objects(iri, graph.expand(ours))
        if values:
            node[theirs] = values[0].value


def _contact_point(view: View, iri: str, node: Node) -> None:
    urls = view.graph.iris(iri, "http://www.w3.org/2006/vcard/ns#hasURL")
    if urls:
        node["url"] = urls[0]


_BUILDERS = {
    "Organization": _organization,
    "GovernmentOrganization": lambda view, iri, node: node.update(areaServed=country(view)),
    "DefinedTerm": _defined_term,
    "DefinedTermSet": _defined_term_set,
    "CreativeWork": _creative_work,
    "Action": _action,
    "ContactPoint": _contact_point,
}


def web_page(view: View, name: str, description: str, url: str) -> Node:
    """Return a plain WebPage (for pages that describe no single resource)."""
    return {
        "@context": CONTEXT,
        "@type": "WebPage",
        "@id": url,
        "name": name,
        "description": description,
        "inLanguage": view.lang,
        "isPartOf": {"@type": "WebSite", "@id": view.graph.uris.base, "name": view.text["site_name"]},
    }


def item_list(view: View, name: str, iris: list[str], url: str) -> Node:
    """Return an ItemList of resources in the given order."""
    elements = [
        {"@type": "ListItem", "position": number, "item": ref(view, iri)}
        for number, iri in enumerate(iris, start=1)
    ]
    return {"@context": CONTEXT, "@type": "ItemList", "@id": url, "name": name, "itemListElement": elements}


def overview(view: View, strategy: str) -> Node:
    """Return the site (WebSite) and the strategy it presents, for the overview page."""
    site = {
        "@type": "WebSite",
        "@id": view.graph.uris.base,
        "name": view.text["site_name"],
        "description": view.text["site_description"],
        "inLanguage": view.lang,
        "about": {"@id": strategy},
    }
    work = resource(view, strategy)
    work.pop("@context")
    return {"@context": CONTEXT, "@graph": [site, work]}


def dataset(view: View, publisher: str, licence: str, source_date_epoch: int | None) -> Node:
    """Return the dataset as Google Dataset Search wants it: required and recommended properties."""
    uris = view.graph.uris
    files = [(str(uris.site_file("dataset", f)), f.media_type) for f in formats.downloads()]
    node: Node = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": uris.dataset,
        "name": view.text["dataset_name"],
        "description": view.text["dataset_description"],
        "url": uris.url(uris.page_path("dataset", view.lang)),
        "identifier": uris.dataset,
        "license": licence,
        "creator": ref(view, publisher) | {"@type": "GovernmentOrganization"},
        "publisher": ref(view, publisher) | {"@type": "GovernmentOrganization"},
        "distribution": [
            {"@type": "DataDownload", "name": path, "contentUrl": uris.url(path), "encodingFormat": media}
            for path, media in files
        ],
        "temporalCoverage": temporal_coverage(view),
        "spatialCoverage": {"@type": "Place", "name": view.text["denmark"], "sameAs": DENMARK},
        "inLanguage": list(uris.languages),
        "isAccessibleForFree": True,
        "keywords": list(view.text["keywords"]),
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "@id": uris.catalog,
            "name": view.text["catalog_name"],
            "url": uris.base,
        },
    }
    if source_date_epoch is not None:
        node["dateModified"] = datetime.fromtimestamp(source_date_epoch, UTC).date().isoformat()
    return node


def temporal_coverage(view: View) -> str:
    """Return the ISO 8601 interval the data covers: from its earliest date, open-ended.

    The strategy's designations without an end date are still in force, so the end is '..'.
    """
    dates = sorted(
        obj.value
        for predicates in view.graph.out.values()
        for objects in predicates.values()
        for obj in objects
        if isinstance(obj, ox.Literal) and obj.datatype.value in DATES
    )
    return f"{dates[0]}/.." if dates else ".."


def vocabulary(view: View, ontology: str, terms: list[tuple[str, str, str]]) -> Node:
    """Return the ontology as a DefinedTermSet of its classes and properties (iri, name, definition)."""
    graph = view.graph
    node = {**ref(view, ontology), "@context": CONTEXT, "@type": "DefinedTermSet"}
    description = graph.literal(ontology, DCT + "description", view.lang)
    if description is not None:
        node["description"] = description.value
    version = graph.literal(ontology, "http://www.w3.org/2002/07/owl#versionInfo", view.lang)
    if version is not None:
        node["version"] = version.value
    licences = graph.iris(ontology, DCT + "license")
    if licences:
        node["license"] = licences[0]
    node["inLanguage"] = view.lang
    node["hasDefinedTerm"] = [
        {
            "@type": "DefinedTerm",
            "@id": iri,
            "name": name,
            "description": definition,
            "termCode": iri.split("#")[-1],
        }
        for iri, name, definition in terms
    ]
    return node


def tech_article(view: View, name: str, description: str, url: str, about: str) -> Node:
    """Return a TechArticle (the shapes documentation)."""
    return {
        "@context": CONTEXT,
        "@type": "TechArticle",
        "@id": url,
        "name": name,
        "description": description,
        "inLanguage": view.lang,
        "about": {"@type": "DefinedTermSet", "@id": about, "name": view.graph.label(about, view.lang).value},
    }
