"""What a page shows beyond a resource's own statements: key facts two steps away in the graph.

An area's designating authority and cluster organisation (with the designation's period),
the objectives of its cluster initiative, a cluster organisation's area, and the overview's
groups of areas by kind and designating authority.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from .rdf import DCT, SKOS
from .view import Graph, Row, Text, View


def facts(view: View, iri: str) -> list[Row]:
    """Return the key facts of a resource, two steps away in the graph where needed."""
    graph, words = view.graph, view.text["facts"]
    rows: list[Row] = []

    def add(key: str, values: list[Any], *, ordered: bool = False) -> None:
        if values:
            rows.append(Row(words[key], "", "", tuple(values), ordered))

    designated_by = graph.expand("kd:designatedBy")
    area_designations = graph.subjects(graph.expand("kd:designates"), iri)
    add("designated_by", [view.link(a) for d in area_designations for a in graph.iris(d, designated_by)])
    add(
        "in_strategy",
        [view.link(s) for d in area_designations for s in graph.iris(d, graph.expand("kd:inStrategy"))],
    )
    for_area = graph.subjects(graph.expand("kd:forArea"), iri)
    organisation = graph.expand("kd:designatedOrganisation")
    add(
        "cluster_organisation",
        [view.link(o, view.period(d)) for d in for_area for o in graph.iris(d, organisation)],
    )
    add(
        "alternative_arrangement",
        [view.link(a) for a in graph.iris(iri, graph.expand("kd:alternativeArrangement"))],
    )
    designations = graph.subjects(organisation, iri)
    add(
        "designated_for",
        [
            view.link(a, view.period(d))
            for d in designations
            for a in graph.iris(d, graph.expand("kd:forArea"))
        ],
    )
    if graph.objects(iri, graph.expand("kd:startDate")):
        add("period", [Text(view.period(iri))])
    initiatives = graph.iris(iri, graph.expand("kd:clusterInitiative"))
    objectives = [o for i in initiatives for o in graph.iris(i, graph.expand("kd:objective"))]
    add(
        "objectives",
        [view.value(ox.NamedNode(o), with_text=True) for o in graph.ordered(objectives, view.lang)],
        ordered=True,
    )
    return rows


def designation_row(view: View, designation: str) -> dict[str, Any]:
    """Return a cluster designation as a row of the list of cluster organisations."""
    graph = view.graph
    organisation = graph.iris(designation, graph.expand("kd:designatedOrganisation"))[0]
    areas = graph.iris(designation, graph.expand("kd:forArea"))
    return {
        "organisation": view.link(organisation),
        "alternate": [t.value for t in graph.texts(organisation, SKOS + "altLabel", view.lang)],
        "areas": [view.link(a) for a in areas],
        "designation": view.link(designation),
        "period": view.period(designation),
        "ended": bool(graph.objects(designation, graph.expand("kd:endDate"))),
    }


def strategy_summary(view: View, strategy: str) -> dict[str, Any]:
    """Return what the overview says about the strategy: text, publisher, date, counts, sources."""
    graph = view.graph
    description = graph.literal(strategy, DCT + "description", view.lang)
    issued = graph.objects(strategy, DCT + "issued")
    publishers = graph.iris(strategy, DCT + "publisher")
    return {
        "link": view.link(strategy),
        "paragraphs": description.value.split("\n\n") if description else [],
        "note": graph.literal(strategy, SKOS + "note", view.lang),
        "issued": view.value(issued[0]) if issued else None,
        "publisher": view.link(publishers[0]) if publishers else None,
        "sources": view.sources(strategy),
        "counts": {
            "areas": len(graph.iris(_scheme(graph, strategy), SKOS + "hasTopConcept")),
            "strongholds": len(graph.instances("kd:Stronghold")),
            "emerging": len(graph.instances("kd:EmergingArea")),
        },
    }


def _scheme(graph: Graph, strategy: str) -> str:
    schemes = graph.iris(strategy, graph.expand("kd:areaScheme"))
    return schemes[0] if schemes else ""


def area_groups(view: View) -> list[dict[str, Any]]:
    """Return the areas grouped by kind and designating authority, in page order."""
    graph = view.graph
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    areas = [a for kind in ("kd:Stronghold", "kd:EmergingArea") for a in graph.instances(kind)]
    for area in graph.ordered(areas, view.lang):
        kind = next(t for t in graph.types(area) if graph.curie(t) in ("kd:Stronghold", "kd:EmergingArea"))
        designations = graph.subjects(graph.expand("kd:designates"), area)
        authorities = [a for d in designations for a in graph.iris(d, graph.expand("kd:designatedBy"))]
        clusters = [
            view.link(o, view.period(d))
            for d in graph.subjects(graph.expand("kd:forArea"), area)
            for o in graph.iris(d, graph.expand("kd:designatedOrganisation"))
        ]
        arrangements = graph.iris(area, graph.expand("kd:alternativeArrangement"))
        entry = {
            "area": view.link(area),
            "clusters": clusters,
            "arrangement": view.link(arrangements[0]) if arrangements else None,
        }
        groups.setdefault((kind, authorities[0] if authorities else ""), []).append(entry)
    return [
        {
            "heading": view.text["overview"]["group"].format(
                kind=view.text["kinds"][graph.curie(kind)],
                authority=graph.label(authority, view.lang).value if authority else "?",
            ),
            "areas": entries,
        }
        for (kind, authority), entries in groups.items()
    ]
