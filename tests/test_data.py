"""The data says what the two source pages (and the sources README) say.

Expected values are parsed from the source pages in ``data/sources`` here, never copied from
the data's Turtle files: the Board's page gives the areas, objectives, cluster organisations,
focal points and tourism's supported points; Cluster Excellence Denmark's page gives the notion
of a cluster; the README gives the facts from other public sources (areas in page order, MARLOG,
dates, English terms, the two typo corrections).
"""

from __future__ import annotations

import re
from functools import cache

import pyoxigraph as ox
import pytest
from conftest import BASE, ROOT, SECOND_BASE
from sources import (
    BOARD,
    MINISTER,
    README,
    STRATEGY,
    board_page,
    ced_page,
    corrected,
    english_date,
    marlog,
    norm,
    readme_areas,
    readme_match,
    typo_corrections,
)

Term = ox.NamedNode | ox.BlankNode | ox.Literal

PREFIXES = f"""
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kd: <{BASE}ontology#>
"""
XSD = "http://www.w3.org/2001/XMLSchema#"


# ---------------------------------------------------------------- reading the data


@cache
def parsed() -> dict[tuple[str, str], list[Term]]:
    """ontology/ and data/*.ttl parsed with pyoxigraph against the base IRI, by (subject, predicate).

    Kept apart from the store: a pyoxigraph Store reports xsd:integer for every derived integer
    type, and the datatypes as written (xsd:positiveInteger, …) are part of what is checked.
    """
    index: dict[tuple[str, str], list[Term]] = {}
    for path in [ROOT / "ontology" / "klyngedata.ttl", *sorted((ROOT / "data").glob("*.ttl"))]:
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE):
            index.setdefault((triple.subject.value, triple.predicate.value), []).append(triple.object)
    return index


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """ontology/ and data/*.ttl in a pyoxigraph store, for SPARQL."""
    store = ox.Store()
    for path in [ROOT / "ontology" / "klyngedata.ttl", *sorted((ROOT / "data").glob("*.ttl"))]:
        store.bulk_extend(
            ox.Quad(t.subject, t.predicate, t.object)
            for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
        )
    return store


def select(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    """Run a SELECT; return rows of lexical values ("" for an unbound variable)."""
    solutions = store.query(PREFIXES + query, base_iri=BASE)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [
        tuple(term.value if (term := row[name]) is not None else "" for name in names) for row in solutions
    ]


def objects(subject: str, predicate: str) -> list[Term]:
    """Return the objects of ``<subject> predicate ?o`` (``predicate`` as a full IRI)."""
    return parsed().get((subject, predicate), [])


def text(subject: str, predicate: str, lang: str) -> str:
    """Return the one ``lang``-tagged literal of ``<subject> predicate``."""
    found = [o for o in objects(subject, predicate) if isinstance(o, ox.Literal) and o.language == lang]
    assert len(found) == 1, (subject, predicate, lang, found)
    return found[0].value


SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
KD = f"{BASE}ontology#"


def area_iris(store: ox.Store) -> dict[str, str]:
    """Return the data's areas as {Danish label: IRI}."""
    rows = select(
        store,
        "SELECT DISTINCT ?area ?label WHERE { ?area a/rdfs:subClassOf* kd:BusinessArea ; "
        "skos:prefLabel ?label "
        "FILTER (LANG(?label) = 'da') }",
    )
    found = {label: iri for iri, label in rows}
    assert len(found) == len(rows)
    return found


def ordered_texts(store: ox.Store, parent: str, predicate: str, lang: str = "da") -> list[str]:
    """Return the ``kd:text`` of ``parent``'s children via ``predicate``, ordered by ``kd:position``."""
    rows = select(
        store,
        f"SELECT ?text WHERE {{ <{parent}> <{predicate}> ?child . ?child kd:position ?p ; kd:text ?text . "
        f"FILTER (LANG(?text) = '{lang}') }} ORDER BY xsd:integer(?p)",
    )
    return [row[0] for row in rows]


def positions(store: ox.Store, parent: str, predicate: str) -> list[int]:
    """Return the children's ``kd:position`` values, sorted."""
    rows = select(store, f"SELECT ?p WHERE {{ <{parent}> <{predicate}> ?c . ?c kd:position ?p }}")
    return sorted(int(row[0]) for row in rows)


def label_of(iri: str, lang: str = "da") -> str:
    """Return the one skos:prefLabel of ``iri`` in ``lang``."""
    return text(iri, SKOS + "prefLabel", lang)


def single(subject: str, predicate: str) -> Term:
    """Return the one object of ``<subject> predicate``."""
    found = objects(subject, predicate)
    assert len(found) == 1, (subject, predicate, found)
    return found[0]


def iri_with_label(store: ox.Store, kind: str, label: str) -> str:
    """Return the IRI of the one ``kind`` instance whose Danish prefLabel is ``label``."""
    rows = select(store, f"SELECT ?s WHERE {{ ?s a {kind} ; skos:prefLabel {_literal(label)} }}")
    assert len(rows) == 1, (kind, label, rows)
    return rows[0][0]


def _literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"@da'


# ---------------------------------------------------------------- areas and their designation


def test_fifteen_areas_with_the_readme_labels_in_page_order(store: ox.Store) -> None:
    strongholds, board_emerging, minister_emerging = readme_areas()
    rows = select(
        store,
        "SELECT ?label ?p ?type WHERE { ?a skos:prefLabel ?label ; kd:position ?p ; a ?type . "
        "FILTER (LANG(?label) = 'da') VALUES ?type { kd:Stronghold kd:EmergingArea } } "
        "ORDER BY xsd:integer(?p)",
    )
    kinds = {"Stronghold": "stronghold", "EmergingArea": "emerging"}
    got = [(label, int(p), kinds[t.rsplit("#", 1)[1]]) for label, p, t in rows]
    expected_names = strongholds + board_emerging + minister_emerging
    expected = [
        (name, n, "stronghold" if n <= len(strongholds) else "emerging")
        for n, name in enumerate(expected_names, start=1)
    ]
    assert [area.name for area in board_page().areas] == expected_names  # the page agrees with README §2
    assert got == expected
    assert (len(strongholds), len(board_emerging) + len(minister_emerging)) == (11, 4)


def test_areas_are_designated_by_the_minister_or_the_board(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?label ?by WHERE { ?d a kd:AreaDesignation ; kd:designates ?a ; kd:designatedBy ?by ; "
        "kd:inStrategy ?s . ?a skos:prefLabel ?label FILTER (LANG(?label) = 'da') }",
    )
    by_minister = {area.name for area in board_page().areas if area.by_minister}
    assert by_minister == set(readme_areas()[2])
    expected = {area.name: MINISTER if area.by_minister else BOARD for area in board_page().areas}
    assert dict(rows) == expected
    assert len(rows) == 15
    assert sorted(expected.values()).count(BOARD) == 13


def test_minister_designations_quote_the_page(store: ox.Store) -> None:
    for area in board_page().areas:
        if not area.by_minister:
            continue
        (designation,) = select(
            store, f"SELECT ?d WHERE {{ ?d kd:designates ?a . ?a skos:prefLabel {_literal(area.name)} }}"
        )
        assert text(designation[0], DCTERMS + "description", "da") == area.opening


def test_designating_authorities_have_the_sources_names() -> None:
    board_da = readme_match(r"Danish Board of Business Development \((\w+ \w+)\)").group(1)
    board_en = readme_match(r'the Board is "the ([^"]+)"').group(1)
    assert (label_of(BOARD), label_of(BOARD, "en")) == (board_da, board_en)
    openings = {
        re.sub(r"^.+ er udpeget af (.+) som et yderligere spirende område\.$", r"\1", area.opening)
        for area in board_page().areas
        if area.by_minister
    }
    assert len(openings) == 1
    assert label_of(MINISTER).casefold() == openings.pop().casefold()
    assert single(STRATEGY, DCTERMS + "publisher").value == BOARD


def test_stated_counts_are_recorded_as_the_page_states_them() -> None:
    words = {"to": 2, "tre": 3, "fire": 4, "ti": 10, "elleve": 11, "tolv": 12}
    match = re.search(
        r"udpeger med strategien Erhvervsfremme i Danmark 2020-2023 (\w+) styrkepositioner og (\w+) spirende",
        " ".join(board_page().lines),
    )
    assert match
    for predicate, word in zip(
        ("statedStrongholdCount", "statedEmergingAreaCount"), match.groups(), strict=True
    ):
        value = single(STRATEGY, KD + predicate)
        assert isinstance(value, ox.Literal)
        assert (int(value.value), value.datatype.value) == (words[word], XSD + "nonNegativeInteger")


def test_area_scope_notes_are_the_page_paragraphs(store: ox.Store) -> None:
    areas = area_iris(store)
    for area in board_page().areas:
        notes = [o for o in objects(areas[area.name], SKOS + "scopeNote") if isinstance(o, ox.Literal)]
        if area.by_minister:  # the page gives no scope for these: nothing invented
            assert notes == [], area.name
        else:
            assert text(areas[area.name], SKOS + "scopeNote", "da") == area.opening, area.name


# ---------------------------------------------------------------- cluster organisations


def test_fourteen_cluster_organisations_named_as_on_the_page(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?c ?da ?en WHERE { ?c a kd:ClusterOrganisation ; skos:prefLabel ?da, ?en . "
        "FILTER (LANG(?da) = 'da' && LANG(?en) = 'en') }",
    )
    on_page = [area.cluster for area in board_page().areas if area.cluster]
    assert len(on_page) == 13
    assert sorted(da for _, da, _ in rows) == sorted([*on_page, marlog()[0]])
    assert all(da == en for _, da, en in rows)  # names as published, in both languages


def test_each_cluster_organisation_is_designated_for_its_area(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?area ?cluster WHERE { ?d a kd:ClusterDesignation ; kd:forArea ?a ; "
        "kd:designatedOrganisation ?c ; "
        "kd:inStrategy ?s . ?a skos:prefLabel ?area . ?c skos:prefLabel ?cluster . "
        "FILTER (LANG(?area) = 'da' && LANG(?cluster) = 'da') }",
    )
    page = board_page()
    (maritime,) = [area.name for area in page.areas if area.objectives and not area.cluster]  # README §4
    expected = {area.name: area.cluster for area in page.areas if area.cluster} | {maritime: marlog()[0]}
    assert sorted(rows) == sorted(expected.items())


def test_marlog_has_its_abbreviation_and_founding_month(store: ox.Store) -> None:
    name, abbreviation = marlog()
    iri = iri_with_label(store, "kd:ClusterOrganisation", name)
    assert {o.value for o in objects(iri, SKOS + "altLabel")} == {abbreviation}
    founded = readme_match(r"an association founded in (\w+ \d{4})").group(1)
    founding = single(iri, KD + "foundingDate")
    assert isinstance(founding, ox.Literal)
    assert (founding.value, founding.datatype.value) == (english_date(founded), XSD + "gYearMonth")


def test_designation_periods_follow_the_readme(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?name ?start ?end WHERE { ?d a kd:ClusterDesignation ; kd:designatedOrganisation ?c ; "
        "kd:startDate ?start . OPTIONAL { ?d kd:endDate ?end } "
        "?c skos:prefLabel ?name FILTER (LANG(?name) = 'da') }",
    )
    marlog_start = english_date(readme_match(r"logistics on (\d+ \w+ \d{4})").group(1))
    marlog_end_year = readme_match(r"declared bankrupt in spring (\d{4})").group(1)
    others_start = english_date(readme_match(r"designations were announced in (\w+ \d{4})").group(1))
    periods = {name: (start, end) for name, start, end in rows}
    assert len(periods) == 14
    assert periods.pop(marlog()[0]) == (marlog_start, marlog_end_year)
    assert set(periods.values()) == {(others_start, "")}


def test_designation_dates_carry_the_precision_the_source_gives(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT ?t (COUNT(*) AS ?n) WHERE { ?d kd:startDate ?start BIND (DATATYPE(?start) AS ?t) } "
        "GROUP BY ?t",
    )
    assert {t.removeprefix(XSD): int(n) for t, n in rows} == {"date": 1, "gYearMonth": 13}
    (end,) = select(store, "SELECT (DATATYPE(?end) AS ?t) WHERE { ?d kd:endDate ?end }")
    assert end == (XSD + "gYear",)


def test_censec_purpose_and_full_name_are_the_pages(store: ox.Store) -> None:
    (area,) = [area for area in board_page().areas if area.cluster == "CenSec"]
    assert area.cluster
    (purpose,) = area.paragraphs
    full_name = re.match(rf"^(.+?) \({area.cluster}\) har til formål", purpose)
    assert full_name
    iri = iri_with_label(store, "kd:ClusterOrganisation", area.cluster)
    assert text(iri, KD + "purpose", "da") == purpose
    assert text(iri, SKOS + "altLabel", "da") == full_name.group(1)


def test_danish_sound_cluster_focus_areas_and_target_group(store: ox.Store) -> None:
    (area,) = [area for area in board_page().areas if area.cluster == "Danish Sound Cluster"]
    assert area.cluster
    block = area.bullets(f"{area.cluster} fokuserer på")
    assert block
    (target_group,) = area.paragraphs
    iri = iri_with_label(store, "kd:ClusterOrganisation", area.cluster)
    focus = [o for o in objects(iri, KD + "focusArea") if isinstance(o, ox.Literal)]
    assert sorted(o.value for o in focus if o.language == "da") == sorted(block[1])
    assert sorted(o.value for o in focus if o.language == "en") == sorted(block[1])
    assert len(block[1]) == 4
    assert text(iri, KD + "targetGroup", "da") == target_group


# ---------------------------------------------------------------- objectives, tourism, focal points


def test_objectives_are_the_page_bullets_in_page_order(store: ox.Store) -> None:
    areas = area_iris(store)
    for area in board_page().areas:
        initiatives = [o.value for o in objects(areas[area.name], KD + "clusterInitiative")]
        if not area.objectives:
            assert all(ordered_texts(store, i, KD + "objective") == [] for i in initiatives), area.name
            continue
        (initiative,) = initiatives
        expected = [corrected(bullet) for bullet in area.objectives]
        assert ordered_texts(store, initiative, KD + "objective") == expected, area.name
        assert positions(store, initiative, KD + "objective") == list(range(1, len(expected) + 1))
        lead_in = area.bullets("Klyngeindsats")
        assert lead_in
        assert text(initiative, KD + "objectivesLeadIn", "da") == lead_in[0]
    (count,) = select(store, "SELECT (COUNT(?o) AS ?n) WHERE { ?o a kd:Objective }")
    assert int(count[0]) == sum(len(area.objectives) for area in board_page().areas) == 38


def test_typo_corrections_are_applied_and_recorded(store: ox.Store) -> None:
    areas = area_iris(store)
    expected_noted = set()
    for published, fixed in typo_corrections():
        hits = [
            (a, n) for a in board_page().areas for n, b in enumerate(a.objectives, start=1) if published in b
        ]
        assert len(hits) == 1, published
        area, position = hits[0]
        (row,) = select(
            store,
            f"SELECT ?o WHERE {{ <{areas[area.name]}> kd:clusterInitiative/kd:objective ?o . "
            "?o kd:position ?p "
            f"FILTER (xsd:integer(?p) = {position}) }}",
        )
        objective = row[0]
        assert objective
        expected_noted.add(objective)
        published_text = text(objective, KD + "text", "da")
        assert fixed in published_text and published not in published_text
        for lang in ("da", "en"):
            assert published in text(objective, SKOS + "editorialNote", lang)
    noted = {row[0] for row in select(store, "SELECT DISTINCT ?s WHERE { ?s skos:editorialNote ?n }")}
    assert noted == expected_noted


def test_tourism_has_an_alternative_arrangement_instead_of_a_cluster(store: ox.Store) -> None:
    tourism = board_page().area("Turisme")
    block = tourism.bullets("Danmarks Erhvervsfremmebestyrelse vil understøtte")
    assert block and tourism.cluster is None
    iri = area_iris(store)["Turisme"]
    assert objects(iri, KD + "clusterInitiative") == []
    assert select(store, f"SELECT ?d WHERE {{ ?d kd:forArea <{iri}> }}") == []
    arrangement = single(iri, KD + "alternativeArrangement").value
    assert ordered_texts(store, arrangement, KD + "supportPoint") == block[1]
    assert len(block[1]) == 6
    assert positions(store, arrangement, KD + "supportPoint") == [1, 2, 3, 4, 5, 6]
    instead = board_page().line_starting("Turisme er udpeget som styrkeposition")
    assert text(arrangement, DCTERMS + "description", "da") == instead
    assert text(arrangement, SKOS + "note", "da") == block[0]
    assert single(arrangement, KD + "supportedBy").value == BOARD


def test_focal_points_are_the_four_sigtelinjer(store: ox.Store) -> None:
    expected = board_page().focal_points
    assert len(expected) == 4
    assert ordered_texts(store, STRATEGY, KD + "focalPoint") == expected
    assert positions(store, STRATEGY, KD + "focalPoint") == [1, 2, 3, 4]


# ---------------------------------------------------------------- the strategy and its metadata


def test_strategy_issued_on_the_publication_date() -> None:
    issued = single(STRATEGY, DCTERMS + "issued")
    day = english_date(readme_match(r"published the strategy on (\d+ \w+ \d{4})").group(1))
    assert isinstance(issued, ox.Literal)
    assert (issued.value, issued.datatype.value) == (day, XSD + "date")


def test_strategy_description_is_the_page_intro() -> None:
    assert norm(text(STRATEGY, DCTERMS + "description", "da")) == " ".join(board_page().intro)


def test_english_labels_use_the_boards_official_terms() -> None:
    strategy_en = readme_match(r'the strategy is "([^"]+)"').group(1)
    board_en = readme_match(r'the Board is "the ([^"]+)"').group(1)
    ministry_da, ministry_en = readme_match(
        r'(Uddannelses- og Forskningsministeriet) is "the ([^"]+)"'
    ).groups()
    strategy_da = readme_match(r'the strategy "([^"]+)"\.').group(1)
    assert (label_of(STRATEGY), label_of(STRATEGY, "en")) == (strategy_da, strategy_en)
    assert label_of(BOARD, "en") == board_en
    ministry = single(STRATEGY, KD + "implementedInCooperationWith").value
    assert (label_of(ministry), label_of(ministry, "en")) == (ministry_da, ministry_en)
    assert (
        board_page()
        .line_starting("Klyngeindsatsen implementeres i samarbejde med")
        .endswith(f"{ministry_da}.")
    )
    assert single(MINISTER, "http://www.w3.org/ns/org#postIn").value == ministry


def test_contact_is_the_secretariat_with_the_pages_sentence() -> None:
    contact = single(STRATEGY, "http://www.w3.org/ns/dcat#contactPoint").value
    assert text(contact, SKOS + "note", "da") == board_page().line_starting("Kontakt sekretariatet")
    assert text(contact, "http://www.w3.org/2006/vcard/ns#fn", "da").startswith("Sekretariatet")


def test_english_texts_use_the_boards_official_terms() -> None:
    section = readme_match(r"\*\*English terms\.\*\*(.+?) 2\. \*\*").group(1)
    terms = re.findall(r'\*([^*]+)\* (?:are|is) "([^"]+)"', section)
    assert len(terms) == 5, terms
    # Compare stems, so that singular and plural forms both count ("focal point(s)", "stronghold(s)").
    stems = [(da[:-2].lower(), en.removesuffix("(s)")[:-3].lower()) for da, en in terms]
    pairs = 0
    for (subject, predicate), values in parsed().items():
        literals = [o for o in values if isinstance(o, ox.Literal) and o.language]
        tagged = {o.language: o.value.lower() for o in literals}
        if sorted(tagged) != ["da", "en"] or len(literals) != 2:
            continue
        for da_stem, en_stem in stems:
            if da_stem in tagged["da"]:
                pairs += 1
                assert en_stem in tagged["en"], (subject, predicate, en_stem, tagged["en"])
    assert pairs > 50, pairs


# ---------------------------------------------------------------- the notion of a cluster (CED page)


def test_the_seven_characteristics_of_clusters(store: ox.Store) -> None:
    lines = ced_page()
    first = max(i for i, line in enumerate(lines) if line == "Klynger") + 1
    last = next(i for i in range(first, len(lines)) if lines[i].startswith("Begrebet"))
    expected = [line.lstrip("…").strip() for line in lines[first:last]]
    assert len(expected) == 7
    assert ordered_texts(store, f"{BASE}id/concept/klynge", KD + "characteristic") == expected


def test_klynge_is_not_a_protected_title() -> None:
    lines = ced_page()
    scope = lines[next(i for i, line in enumerate(lines) if line.startswith("Begrebet")) + 1]
    assert "ikke en beskyttet titel" in scope
    concept = f"{BASE}id/concept/klynge"
    protected = single(concept, KD + "protectedTitle")
    assert isinstance(protected, ox.Literal)
    assert (protected.value, protected.datatype.value) == ("false", XSD + "boolean")
    assert text(concept, SKOS + "scopeNote", "da") == scope


def test_actor_types_are_named_in_the_ced_pages_order(store: ox.Store) -> None:
    sentence = next(line for line in ced_page() if "økosystem bestående af" in line)
    rows = select(
        store,
        "SELECT ?label WHERE { ?t a kd:ActorType ; kd:position ?p ; skos:prefLabel ?label "
        "FILTER (LANG(?label) = 'da') } ORDER BY xsd:integer(?p)",
    )
    found = [sentence.find(label.lower()) for (label,) in rows]
    assert rows and -1 not in found and found == sorted(found)


# ---------------------------------------------------------------- every resource


def _id_subjects(store: ox.Store) -> set[str]:
    rows = select(
        store,
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER STRSTARTS(STR(?s), '{BASE}id/') "
        "FILTER NOT EXISTS { ?s a kd:Source } }",
    )
    return {row[0] for row in rows}


def test_every_resource_has_one_label_per_language_and_a_source(store: ox.Store) -> None:
    subjects = _id_subjects(store)
    assert len(subjects) > 100
    for subject in sorted(subjects):
        labels = [o for o in objects(subject, SKOS + "prefLabel") if isinstance(o, ox.Literal)]
        assert sorted(label.language or "" for label in labels) == ["da", "en"], subject
        assert objects(subject, DCTERMS + "source"), subject


def test_every_cited_source_is_described(store: ox.Store) -> None:
    rows = select(
        store,
        "SELECT DISTINCT ?src WHERE { ?s dcterms:source ?src "
        "FILTER NOT EXISTS { ?src a kd:Source ; skos:prefLabel ?l } }",
    )
    assert rows == []


def test_no_dangling_references(store: ox.Store) -> None:
    rows = select(
        store,
        f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER (isIRI(?o) && STRSTARTS(STR(?o), '{BASE}id/')) "
        "FILTER NOT EXISTS { ?o ?q ?x } }",
    )
    assert rows == []


def _published_text() -> str:
    files = [
        *sorted((ROOT / "data").glob("*.ttl")),
        ROOT / "ontology" / "klyngedata.ttl",
        *sorted((ROOT / "shapes").glob("*.ttl")),
    ]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_no_personal_contact_details_are_published(store: ox.Store) -> None:
    lines = board_page().lines
    phone_line = next(i for i, line in enumerate(lines) if line.startswith("Telefon:"))
    employee, phone = lines[phone_line - 1], lines[phone_line].removeprefix("Telefon:").strip()
    assert len(employee.split()) == 2 and phone
    published = _published_text()
    assert employee not in published
    for surname_or_given in employee.split():
        assert surname_or_given not in published
    assert phone not in published and phone.replace(" ", "") not in published
    assert re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", published) is None
    assert "[email" not in published and "mailto:" not in published
    contact_predicates = (
        "vcard#hasTelephone",
        "vcard#hasEmail",
        "vcard#tel",
        "vcard#email",
        "0.1/mbox",
        "0.1/phone",
        "schema.org/telephone",
        "schema.org/email",
    )
    predicates = {row[0] for row in select(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
    assert not {p for p in predicates if p and p.endswith(contact_predicates)}


def test_nothing_invented_no_homepages_and_only_cited_web_addresses(store: ox.Store) -> None:
    predicates = {row[0] for row in select(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")}
    invented = {
        "http://xmlns.com/foaf/0.1/homepage",
        "https://schema.org/url",
        "http://schema.org/url",
        "http://xmlns.com/foaf/0.1/page",
        "https://schema.org/sameAs",
        "http://www.w3.org/2002/07/owl#sameAs",
    }
    assert predicates & invented == set()
    vocabularies = (
        "http://www.w3.org/",
        "http://purl.org/",
        "http://xmlns.com/",
        "https://schema.org/",
        "https://creativecommons.org/licenses/",
        BASE,
    )
    rows = select(store, "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER isIRI(?o) }")
    web = {row[0] for row in rows if not row[0].startswith(vocabularies)}
    assert web  # the Board's pages are cited by address
    assert {address for address in web if address not in README.read_text(encoding="utf-8")} == set()


def test_data_files_parse_against_any_base() -> None:
    other = SECOND_BASE
    for path in sorted((ROOT / "data").glob("*.ttl")):
        subjects = {
            t.subject.value
            for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=other)
            if isinstance(t.subject, ox.NamedNode)
        }
        assert not {s for s in subjects if s.startswith(BASE)}, path.name
        assert any(s.startswith(other + "id/") for s in subjects), path.name


# ---------------------------------------------------------------- what the loader keeps


def test_loaded_parts_are_the_files_canonicalised_as_one_dataset() -> None:
    """The loader canonicalises only quads with blank nodes; the result must equal the whole
    dataset canonicalised at once (pyoxigraph's own algorithm over every quad), part by part,
    sorted and without duplicates, and hold exactly the ground quads of ontology/ and data/."""
    from publish.config import load_config
    from publish.dataset import load

    loaded = load(load_config(ROOT))
    whole = ox.Dataset(quad for quads in loaded.parts.values() for quad in quads)
    whole.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    for part, quads in loaded.parts.items():
        expected = sorted(whole.quads_for_graph_name(ox.NamedNode(loaded.uris.graph(part))), key=str)
        assert list(quads) == expected, part
        assert len(set(quads)) == len(quads), part
    for part in ("ontology", "data"):
        graph = ox.NamedNode(loaded.uris.graph(part))
        ground = {
            ox.Quad(t.subject, t.predicate, t.object, graph)
            for path in sorted((ROOT / part).rglob("*.ttl"))
            for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
            if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        }
        kept = {q for q in loaded.parts[part] if not isinstance(q.subject, ox.BlankNode)}
        assert {q for q in kept if not isinstance(q.object, ox.BlankNode)} == ground, part
