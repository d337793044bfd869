"""The ontology: its metadata, bilingual labels and definitions, alignments, and fit with the data."""

from __future__ import annotations

import re
from datetime import date

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT, SOURCES

Term = ox.NamedNode | ox.BlankNode | ox.Literal

ONTOLOGY = f"{BASE}ontology"
KD = f"{ONTOLOGY}#"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
TERM_TYPES = (OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty")


def norm(text: str) -> str:
    """Collapse every run of whitespace (U+00A0 included) to one space and strip."""
    return " ".join(text.split())


def parse(*paths: str) -> list[ox.Triple]:
    """Parse Turtle files of the project (globs relative to it) against the base IRI."""
    files = sorted(path for pattern in paths for path in ROOT.glob(pattern))
    assert files, paths
    return [t for path in files for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)]


@pytest.fixture(scope="module")
def ontology() -> list[ox.Triple]:
    """The triples of ontology/."""
    return parse("ontology/*.ttl")


@pytest.fixture(scope="module")
def data() -> list[ox.Triple]:
    """The triples of data/."""
    return parse("data/*.ttl")


@pytest.fixture(scope="module")
def union(ontology: list[ox.Triple], data: list[ox.Triple]) -> ox.Store:
    """Ontology and data together in a store, for SPARQL over the class hierarchy."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in [*ontology, *data])
    return store


def objects(triples: list[ox.Triple], subject: str, predicate: str) -> list[Term]:
    """Return the objects of ``<subject> <predicate>`` (the term types as written)."""
    return [
        t.object
        for t in triples
        if isinstance(t.subject, ox.NamedNode)
        and t.subject.value == subject
        and t.predicate.value == predicate
    ]


def one_literal(triples: list[ox.Triple], subject: str, predicate: str) -> ox.Literal:
    """Return the one literal of ``<subject> <predicate>``."""
    found = objects(triples, subject, predicate)
    assert len(found) == 1 and isinstance(found[0], ox.Literal), (subject, predicate, found)
    return found[0]


def terms(ontology: list[ox.Triple]) -> dict[str, set[str]]:
    """Return the named classes and properties the ontology declares, with their OWL types."""
    declared: dict[str, set[str]] = {}
    for t in ontology:
        if t.predicate.value == RDF + "type" and t.object.value in TERM_TYPES:
            if isinstance(t.subject, ox.NamedNode):
                declared.setdefault(t.subject.value, set()).add(t.object.value)
    return declared


# ---------------------------------------------------------------- the ontology header


def test_the_ontology_is_declared_once_under_the_base(ontology: list[ox.Triple]) -> None:
    declared = [
        t.subject.value
        for t in ontology
        if t.predicate.value == RDF + "type" and t.object.value == OWL + "Ontology"
    ]
    assert declared == [ONTOLOGY]


def test_version_iri_names_the_version(ontology: list[ox.Triple]) -> None:
    (version_iri,) = objects(ontology, ONTOLOGY, OWL + "versionIRI")
    version = one_literal(ontology, ONTOLOGY, OWL + "versionInfo").value
    assert isinstance(version_iri, ox.NamedNode)
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert version_iri.value == f"{ONTOLOGY}/{version}"


def test_creator_publisher_licence_and_source(ontology: list[ox.Triple], data: list[ox.Triple]) -> None:
    readme = norm((SOURCES / "README.md").read_text(encoding="utf-8"))
    board_name = re.search(r"Danish Board of Business Development \((\w+ \w+)\)", readme)
    board_page = re.search(r"\| `000_\w+\.txt` \| .+? (https://\S+) — part 2", readme)
    assert board_name and board_page
    assert one_literal(ontology, ONTOLOGY, DCTERMS + "creator").value.strip()
    (publisher,) = objects(ontology, ONTOLOGY, DCTERMS + "publisher")
    assert isinstance(publisher, ox.NamedNode)
    labels = [o for o in objects(data, publisher.value, SKOS + "prefLabel") if isinstance(o, ox.Literal)]
    assert board_name.group(1) in {label.value for label in labels if label.language == "da"}
    (licence,) = objects(ontology, ONTOLOGY, DCTERMS + "license")
    assert isinstance(licence, ox.NamedNode)
    assert licence.value.startswith("https://creativecommons.org/licenses/")
    assert objects(ontology, ONTOLOGY, DCTERMS + "source") == [ox.NamedNode(board_page.group(1))]


def test_modified_is_an_xsd_date(ontology: list[ox.Triple]) -> None:
    modified = one_literal(ontology, ONTOLOGY, DCTERMS + "modified")
    assert modified.datatype == ox.NamedNode(XSD + "date")
    assert date.fromisoformat(modified.value) >= date(2020, 3, 5)  # not before the strategy itself


def test_title_and_description_in_danish_and_english(ontology: list[ox.Triple]) -> None:
    for predicate in ("title", "description"):
        values = objects(ontology, ONTOLOGY, DCTERMS + predicate)
        assert sorted(o.language or "" for o in values if isinstance(o, ox.Literal)) == ["da", "en"]


# ---------------------------------------------------------------- the terms


def test_every_named_term_has_one_label_and_definition_per_language(ontology: list[ox.Triple]) -> None:
    declared = terms(ontology)
    assert len(declared) > 30
    for term in sorted(declared):
        assert term.startswith(KD), term
        for predicate in (RDFS + "label", SKOS + "definition"):
            values = objects(ontology, term, predicate)
            languages = sorted(o.language or "" for o in values if isinstance(o, ox.Literal))
            assert len(values) == 2 and languages == ["da", "en"], (term, predicate, values)
        assert objects(ontology, term, RDFS + "isDefinedBy") == [ox.NamedNode(ONTOLOGY)], term


def test_every_term_has_a_single_owl_kind(ontology: list[ox.Triple]) -> None:
    assert {term: kinds for term, kinds in terms(ontology).items() if len(kinds) != 1} == {}


def test_every_kd_term_used_in_the_data_is_declared(ontology: list[ox.Triple], data: list[ox.Triple]) -> None:
    declared = terms(ontology)
    used_classes = {
        t.object.value for t in data if t.predicate.value == RDF + "type" and t.object.value.startswith(KD)
    }
    object_valued = {
        t.predicate.value
        for t in data
        if t.predicate.value.startswith(KD) and not isinstance(t.object, ox.Literal)
    }
    literal_valued = {
        t.predicate.value
        for t in data
        if t.predicate.value.startswith(KD) and isinstance(t.object, ox.Literal)
    }
    assert len(used_classes) > 10 and object_valued and literal_valued
    assert {c for c in used_classes if declared.get(c) != {OWL + "Class"}} == set()
    assert {p for p in object_valued if declared.get(p) != {OWL + "ObjectProperty"}} == set()
    assert {p for p in literal_valued if declared.get(p) != {OWL + "DatatypeProperty"}} == set()


@pytest.mark.parametrize(
    ("term", "relation", "target"),
    [
        ("Strategy", "subClassOf", PROV + "Plan"),
        ("BusinessArea", "subClassOf", SKOS + "Concept"),
        ("BusinessArea", "subClassOf", SCHEMA + "DefinedTerm"),
        ("Stronghold", "subClassOf", KD + "BusinessArea"),
        ("EmergingArea", "subClassOf", KD + "BusinessArea"),
        ("AreaDesignation", "subClassOf", PROV + "Activity"),
        ("ClusterDesignation", "subClassOf", PROV + "Activity"),
        ("PublicAuthority", "subClassOf", PROV + "Agent"),
        ("ClusterOrganisation", "subClassOf", ORG + "FormalOrganization"),
        ("ClusterOrganisation", "subClassOf", SCHEMA + "Organization"),
        ("ClusterInitiative", "subClassOf", PROV + "Plan"),
        ("ActorType", "subClassOf", SKOS + "Concept"),
        ("Source", "subClassOf", FOAF + "Document"),
        ("designatedBy", "subPropertyOf", PROV + "wasAssociatedWith"),
        ("inStrategy", "subPropertyOf", DCTERMS + "isPartOf"),
        ("objective", "subPropertyOf", DCTERMS + "hasPart"),
        ("focalPoint", "subPropertyOf", DCTERMS + "hasPart"),
        ("supportedBy", "subPropertyOf", PROV + "wasAttributedTo"),
        ("inAgreementWith", "subPropertyOf", PROV + "wasInfluencedBy"),
        ("position", "subPropertyOf", SCHEMA + "position"),
        ("startDate", "subPropertyOf", SCHEMA + "startDate"),
        ("endDate", "subPropertyOf", SCHEMA + "endDate"),
        ("foundingDate", "subPropertyOf", SCHEMA + "foundingDate"),
    ],
)
def test_alignment_to_standard_vocabularies(
    ontology: list[ox.Triple], term: str, relation: str, target: str
) -> None:
    assert ox.NamedNode(target) in objects(ontology, KD + term, RDFS + relation)


def test_definitions_quote_the_sources(ontology: list[ox.Triple]) -> None:
    board = [norm(line) for line in (SOURCES / "000_719fd82726b97dfc.txt").read_text("utf-8").splitlines()]
    ced = [norm(line) for line in (SOURCES / "004_3c9d6c637c182e3a.txt").read_text("utf-8").splitlines()]
    stronghold = next(line for line in board if line.startswith("En styrkeposition er kendetegnet"))
    emerging = next(line for line in board if line.startswith("Spirende områder er prioriteret"))
    cluster = next(line for line in ced if line.startswith("Klyngerne på hver af"))
    organisation = next(line for line in ced if line.startswith("Klyngeindsatsen er forankret"))
    quoted = {
        "Stronghold": stronghold,
        "EmergingArea": emerging,
        "Cluster": cluster.split("består af virksomheder, ", 1)[1].rstrip("."),
        "ClusterOrganisation": organisation.split("der med udgangspunkt", 1)[1].rstrip("."),
    }
    for term, passage in quoted.items():
        definition = [
            o.value
            for o in objects(ontology, KD + term, SKOS + "definition")
            if isinstance(o, ox.Literal) and o.language == "da"
        ]
        assert len(definition) == 1 and passage in norm(definition[0]), term


# ---------------------------------------------------------------- domains and ranges against the data


def _allowed(ontology: list[ox.Triple], term: str, predicate: str) -> list[str]:
    """Return the classes or datatypes of a term's domain or range; a union gives its members."""
    found = objects(ontology, term, predicate)
    if not found:
        return []
    (node,) = found
    if isinstance(node, ox.NamedNode):
        return [node.value]
    by_subject = {(t.subject, t.predicate.value): t.object for t in ontology}
    item = by_subject[(node, OWL + "unionOf")]
    members = []
    while item != ox.NamedNode(RDF + "nil"):
        members.append(by_subject[(item, RDF + "first")].value)
        item = by_subject[(item, RDF + "rest")]
    assert members, term
    return members


def _is_a(union: ox.Store, node: Term, classes: list[str]) -> bool:
    """Tell whether ``node`` is typed one of ``classes``, directly or through rdfs:subClassOf."""
    if not isinstance(node, ox.NamedNode):
        return False
    values = " ".join(f"<{cls}>" for cls in classes)
    query = f"ASK {{ VALUES ?c {{ {values} }} <{node.value}> <{RDF}type>/<{RDFS}subClassOf>* ?c }}"
    return bool(union.query(query))


def test_object_property_domains_and_ranges_hold_in_the_data(
    ontology: list[ox.Triple], data: list[ox.Triple], union: ox.Store
) -> None:
    checked = 0
    for term, kinds in terms(ontology).items():
        if kinds != {OWL + "ObjectProperty"}:
            continue
        domain, range_ = _allowed(ontology, term, RDFS + "domain"), _allowed(ontology, term, RDFS + "range")
        for t in (t for t in data if t.predicate.value == term):
            assert not range_ or _is_a(union, t.object, range_), (term, t.object, range_)
            assert not domain or _is_a(union, t.subject, domain), (term, t.subject, domain)
            checked += 1
    assert checked > 100


def test_datatype_property_domains_and_ranges_hold_in_the_data(
    ontology: list[ox.Triple], data: list[ox.Triple], union: ox.Store
) -> None:
    checked = 0
    for term, kinds in terms(ontology).items():
        if kinds != {OWL + "DatatypeProperty"}:
            continue
        domain, range_ = _allowed(ontology, term, RDFS + "domain"), _allowed(ontology, term, RDFS + "range")
        for t in (t for t in data if t.predicate.value == term):
            assert isinstance(t.object, ox.Literal), (term, t.object)
            kind = RDF + "langString" if t.object.language else t.object.datatype.value
            assert not range_ or kind in range_, (term, t.object, range_)
            assert not domain or _is_a(union, t.subject, domain), (term, t.subject, domain)
            checked += 1
    assert checked > 100
