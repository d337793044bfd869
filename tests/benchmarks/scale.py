"""Generate a valid klyngedata project of about N triples, shaped like the real data (issue 11).

Run:  python tests/benchmarks/scale.py --triples 100000 --out /tmp/scale-100k [--seed 11]

The project holds a copy of ontology/, shapes/, pyproject.toml and the real data/*.ttl, plus
generated data files (two per synthetic strategy, relative IRIs and prefixes as in data/):

* ``data/scale-NNNN.ttl``: a strategy with its board, ministry, minister, contact point, source,
  four focal points and an area scheme of 15 areas, laid out like the real strategy: eleven
  strongholds (one with an alternative arrangement and six supported points instead of a cluster
  initiative), two emerging areas designated by the board and two by the minister (the last two
  with no known scope and an initiative without objectives); cluster initiatives with 2-5
  objectives; cluster organisations and their designations. One area's designation ended with
  no successor (like MARLOG); two areas had an earlier designation that ended and a successor.
* ``data/scale-NNNN-members.ttl``: member organisations of that strategy's cluster
  organisations. The ontology and shapes have no member class, so a member is an
  ``org:FormalOrganization`` under ``id/organisation/`` (which the shapes already check: labels
  in Danish and English, a source) with ``org:memberOf`` (one or two cluster organisations),
  ``org:classification`` (one of the real ecosystem actor types), ``foaf:homepage`` (an
  example.org address) and, for one in three, a ``dcterms:description`` in both languages.

Each synthetic strategy brings the same warnings as the real data, per resource: the stated
number of strongholds (10) differs from the 11 listed, two areas lack a scope note, and one area
has no current cluster organisation. So a project with S synthetic strategies gives 0 violations
and 4 × (S + 1) warnings of the same four kinds.

"Triples" counts the published dataset (ontology + data, as ``site/dataset.nt``); members fill
the remainder after the strategies, so the total lands within a few triples of the target.
Deterministic: the same arguments write byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]
# Triples per synthetic strategy, members included: the number of strategies is target / this.
TRIPLES_PER_STRATEGY = 3_000
SIZES = {"k": 1_000, "m": 1_000_000}

HEADER = """\
@prefix kd: <ontology#> .
@prefix strategy: <id/strategy/> .
@prefix focal: <id/focal-point/> .
@prefix area: <id/area/> .
@prefix areades: <id/area-designation/> .
@prefix initiative: <id/cluster-initiative/> .
@prefix objective: <id/objective/> .
@prefix arrangement: <id/alternative-arrangement/> .
@prefix support: <id/support-point/> .
@prefix cluster: <id/cluster/> .
@prefix clusterdes: <id/cluster-designation/> .
@prefix organisation: <id/organisation/> .
@prefix actortype: <id/actor-type/> .
@prefix scheme: <id/scheme/> .
@prefix contact: <id/contact/> .
@prefix source: <id/source/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
"""

# Themes of the synthetic areas (slug, Danish, English); strategy k starts at theme k.
THEMES = (
    ("miljoeteknologi", "Miljøteknologi", "Environmental technology"),
    ("energiteknologi", "Energiteknologi", "Energy technology"),
    ("foedevarer", "Fødevarer og bioressourcer", "Food and bioresources"),
    ("maritime-erhverv", "Maritime erhverv og logistik", "Maritime industries and logistics"),
    ("life-science", "Life science og velfærdsteknologi", "Life science and welfare technology"),
    ("byggeri", "Byggeri og anlæg", "Construction and civil engineering"),
    ("design", "Design, mode og møbler", "Design, fashion and furniture"),
    ("produktion", "Avanceret produktion", "Advanced production"),
    ("digitale-teknologier", "Digitale teknologier", "Digital technologies"),
    ("fintech", "Finans og fintech", "Finance and fintech"),
    ("turisme", "Turisme", "Tourism"),
    ("robotter", "Robot- og droneteknologi", "Robot and drone technology"),
    ("spil-og-film", "Animation, spil og film", "Animation, games and film"),
    ("forsvar", "Forsvar, rum og sikkerhed", "Defence, space and security"),
    ("lyd", "Lydteknologi", "Sound technology"),
    ("vand", "Vandteknologi", "Water technology"),
    ("kvante", "Kvanteteknologi", "Quantum technology"),
    ("materialer", "Avancerede materialer", "Advanced materials"),
    ("sundhed", "Digital sundhed", "Digital health"),
    ("kreative-erhverv", "Kreative erhverv", "Creative industries"),
)

# Objective texts (Danish, English); some mention export, digital or green, as the real ones do.
OBJECTIVES = (
    (
        "Udnytte eksportpotentialet gennem styrket samarbejde",
        "Exploit the export potential through stronger cooperation",
    ),
    ("Integrere digitale løsninger i virksomhederne", "Integrate digital solutions in the companies"),
    (
        "Understøtte den grønne omstilling i hele værdikæden",
        "Support the green transition in the whole value chain",
    ),
    (
        "Styrke samarbejdet med viden- og uddannelsesinstitutioner",
        "Strengthen cooperation with knowledge and educational institutions",
    ),
    (
        "Fremme bæredygtig produktion og ressourceeffektivitet",
        "Promote sustainable production and resource efficiency",
    ),
    (
        "Bringe små og mellemstore virksomheder tættere på forskningen",
        "Bring small and medium-sized companies closer to research",
    ),
    (
        "Samle økosystemet om konkrete innovationsprojekter",
        "Gather the ecosystem around concrete innovation projects",
    ),
    ("Understøtte internationale partnerskaber", "Support international partnerships"),
)
SUPPORT_POINTS = (
    ("Grøn og bæredygtig udvikling", "Green and sustainable development"),
    ("Strategisk sammenhæng og tværgående samarbejder", "Strategic coherence and cross-cutting cooperation"),
    ("Stedbunden, lokal udvikling", "Place-based, local development"),
    ("Viden- og databaseret udvikling", "Knowledge- and data-based development"),
    ("Investeringer i et attraktivt produkt", "Investments in an attractive product"),
    ("International markedsføring", "International marketing"),
)
NAME_FIRST = ("Nord", "Syd", "Øst", "Vest", "Fjord", "Kyst", "Hede", "Bakke", "Skov", "Sø", "Å", "Klint")
NAME_SECOND = ("vind", "lys", "sten", "havn", "bro", "mark", "dal", "næs", "holm", "vig", "strand", "bjerg")
NAME_FORM = ("ApS", "A/S", "I/S", "Fond", "Institut", "Forening")
ACTOR_TYPES = (
    "virksomheder",
    "videninstitutioner",
    "offentlige-aktoerer",
    "brancheorganisationer",
    "finansielle-aktoerer",
    "innovations-og-erhvervsfremmeaktoerer",
)
# Area layout of a strategy, as in the real data: (kind, designated by, has a scope note).
LAYOUT = [("Stronghold", "board", True)] * 11 + [("EmergingArea", "board", True)] * 2
LAYOUT += [("EmergingArea", "minister", False)] * 2
ALTERNATIVE = 11  # position of the area with an alternative arrangement (like tourism)
ENDED = 4  # position whose cluster organisation's designation ended with no successor
SUCCEEDED = (2, 6)  # positions whose first designation ended and has a successor
NO_OBJECTIVES = (14, 15)  # positions whose cluster initiative lists no objectives


@dataclass(slots=True)
class Turtle:
    """A Turtle document being written: its text blocks and the number of triples they hold."""

    blocks: list[str] = field(default_factory=list)
    triples: int = 0

    def add(self, subject: str, *statements: tuple[str, Sequence[str]], comment: str = "") -> None:
        """Write one subject with its (predicate, objects) pairs and count the triples."""
        lines = [f"# {comment}"] if comment else []
        lines.append(subject)
        used = [(p, objs) for p, objs in statements if objs]
        for number, (predicate, objects) in enumerate(used):
            end = " ." if number == len(used) - 1 else " ;"
            if len(objects) == 1 or sum(len(o) for o in objects) < 80:
                lines.append(f"    {predicate} {', '.join(objects)}{end}")
            else:
                lines.append(f"    {predicate}")
                lines.extend(f"        {o}," for o in objects[:-1])
                lines.append(f"        {objects[-1]}{end}")
            self.triples += len(objects)
        self.blocks.append("\n".join(lines) + "\n")

    def text(self, title: str) -> str:
        """Return the whole document with its title comment and prefixes."""
        return f"# {title}\n\n{HEADER}\n" + "\n".join(self.blocks)


def lit(text: str, lang: str) -> str:
    """Return a language-tagged Turtle literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}'


def typed(value: str, datatype: str) -> str:
    """Return a typed Turtle literal, e.g. ``"1"^^xsd:positiveInteger``."""
    return f'"{value}"^^xsd:{datatype}'


def both(danish: str, english: str) -> list[str]:
    """Return a Danish and an English literal."""
    return [lit(danish, "da"), lit(english, "en")]


@dataclass(frozen=True, slots=True)
class Area:
    """One synthetic area of a strategy: position, slug and labels."""

    position: int
    slug: str
    da: str
    en: str


@dataclass(frozen=True, slots=True)
class Strategy:
    """The names shared by the resources of one synthetic strategy."""

    number: int

    @property
    def tag(self) -> str:
        """Return the slug prefix of this strategy's resources, e.g. ``s0007``."""
        return f"s{self.number:04d}"

    def areas(self) -> list[Area]:
        """Return the 15 areas, themes rotated by the strategy number."""
        found = []
        for position in range(1, len(LAYOUT) + 1):
            slug, da, en = THEMES[(self.number + position - 1) % len(THEMES)]
            found.append(Area(position, f"{self.tag}-{slug}", f"{da} ({self.tag})", f"{en} ({self.tag})"))
        return found

    def source(self) -> str:
        """Return the prefixed name of the strategy's source page."""
        return f"source:{self.tag}-strategi"


def write_strategy(strategy: Strategy, rng: random.Random) -> tuple[Turtle, list[str]]:
    """Return the strategy document and the prefixed names of its cluster organisations."""
    doc = Turtle()
    _strategy_core(doc, strategy)
    clusters: list[str] = []
    for area in strategy.areas():
        _area(doc, strategy, area, rng)
        if area.position != ALTERNATIVE:
            clusters += _clusters_of(doc, strategy, area)
    return doc, clusters


def _strategy_core(doc: Turtle, s: Strategy) -> None:
    t, src = s.tag, [s.source()]
    focal = [f"focal:{t}-{n}" for n in range(1, 5)]
    doc.add(
        f"strategy:{t}",
        ("a", ["kd:Strategy"]),
        ("skos:prefLabel", both(f"Syntetisk strategi {t}", f"Synthetic strategy {t}")),
        ("dcterms:title", both(f"Syntetisk strategi {t}", f"Synthetic strategy {t}")),
        ("dcterms:description", both(f"Genereret strategi {t} til målinger.", f"Strategy {t}, generated.")),
        ("skos:note", both("Ti styrkepositioner og to spirende områder.", "Ten strongholds, two emerging.")),
        ("dcterms:issued", [typed(f"{2000 + s.number % 25}-03-05", "date")]),
        ("dcterms:publisher", [f"organisation:{t}-bestyrelse"]),
        ("kd:inAgreementWith", [f"organisation:{t}-erhvervsminister"]),
        ("kd:implementedInCooperationWith", [f"organisation:{t}-ministerium"]),
        ("kd:focalPoint", focal),
        ("kd:statedStrongholdCount", [typed("10", "nonNegativeInteger")]),
        ("kd:statedEmergingAreaCount", [typed("2", "nonNegativeInteger")]),
        ("kd:areaScheme", [f"scheme:{t}-omraader"]),
        ("dcat:contactPoint", [f"contact:{t}-sekretariat"]),
        ("dcterms:source", src),
        comment=f"Synthetic strategy {t}",
    )
    for n, iri in enumerate(focal, start=1):
        text = both(f"Sigtelinje {n} for strategi {t}.", f"Focal point {n} of strategy {t}.")
        doc.add(
            iri,
            ("a", ["kd:FocalPoint"]),
            ("skos:prefLabel", both(f"Sigtelinje {n}", f"Focal point {n}")),
            ("kd:position", [typed(str(n), "positiveInteger")]),
            ("kd:text", text),
            ("dcterms:source", src),
        )
    _organisations(doc, s)
    doc.add(
        f"scheme:{t}-omraader",
        ("a", ["skos:ConceptScheme"]),
        ("skos:prefLabel", both(f"Områder i {t}", f"Areas of {t}")),
        ("dcterms:title", both(f"Områder i {t}", f"Areas of {t}")),
        ("skos:hasTopConcept", [f"area:{a.slug}" for a in s.areas()]),
        ("dcterms:source", src),
    )


def _organisations(doc: Turtle, s: Strategy) -> None:
    t, src = s.tag, [s.source()]
    formal = ["kd:PublicAuthority", "org:FormalOrganization"]
    doc.add(
        f"organisation:{t}-bestyrelse",
        ("a", formal),
        ("skos:prefLabel", both(f"Erhvervsfremmebestyrelse {t}", f"Board of business development {t}")),
        ("dcterms:source", src),
    )
    doc.add(
        f"organisation:{t}-ministerium",
        ("a", formal),
        ("skos:prefLabel", both(f"Ministerium {t}", f"Ministry {t}")),
        ("dcterms:source", src),
    )
    doc.add(
        f"organisation:{t}-minister",
        ("a", ["kd:PublicAuthority", "org:Post"]),
        ("skos:prefLabel", both(f"Minister {t}", f"Minister {t}")),
        ("org:postIn", [f"organisation:{t}-ministerium"]),
        ("dcterms:source", src),
    )
    doc.add(
        f"organisation:{t}-erhvervsminister",
        ("a", ["kd:PublicAuthority", "org:Post"]),
        ("skos:prefLabel", both(f"Erhvervsminister {t}", f"Minister for business {t}")),
        ("dcterms:source", src),
    )
    doc.add(
        f"contact:{t}-sekretariat",
        ("a", ["vcard:Organization"]),
        ("skos:prefLabel", both(f"Sekretariatet {t}", f"Secretariat {t}")),
        ("vcard:fn", both(f"Sekretariatet {t}", f"Secretariat {t}")),
        ("vcard:hasURL", [f"<https://{t}.example.org/kontakt>"]),
        ("dcterms:source", src),
    )
    doc.add(
        s.source(),
        ("a", ["kd:Source"]),
        ("skos:prefLabel", both(f"Kildeside for {t}", f"Source page of {t}")),
        ("dcterms:title", [lit(f"Kildeside for {t}", "da")]),
        ("dcterms:publisher", [f"organisation:{t}-bestyrelse"]),
    )


def _area(doc: Turtle, s: Strategy, area: Area, rng: random.Random) -> None:
    kind, by, scoped = LAYOUT[area.position - 1]
    t, src, slug = s.tag, [s.source()], area.slug
    alternative = area.position == ALTERNATIVE
    scope = both(
        f"{area.da} dækker virksomheder i værdikæden.", f"{area.en} covers companies in the value chain."
    )
    doc.add(
        f"area:{slug}",
        ("a", [f"kd:{kind}", "skos:Concept"]),
        ("skos:prefLabel", both(area.da, area.en)),
        ("kd:position", [typed(str(area.position), "positiveInteger")]),
        ("skos:inScheme", [f"scheme:{t}-omraader"]),
        ("skos:topConceptOf", [f"scheme:{t}-omraader"]),
        ("skos:scopeNote", scope if scoped else []),
        ("kd:alternativeArrangement" if alternative else "kd:clusterInitiative", [_follower(area)]),
        ("dcterms:source", src),
        comment=f"{area.position}. {area.en}",
    )
    doc.add(
        f"areades:{slug}",
        ("a", ["kd:AreaDesignation"]),
        ("skos:prefLabel", both(f"Udpegning af {area.da}", f"Designation of {area.en}")),
        ("kd:designates", [f"area:{slug}"]),
        ("kd:inStrategy", [f"strategy:{t}"]),
        ("kd:designatedBy", [f"organisation:{t}-{'bestyrelse' if by == 'board' else 'minister'}"]),
        ("dcterms:source", src),
    )
    if alternative:
        _arrangement(doc, s, area)
    else:
        _initiative(doc, s, area, rng)


def _follower(area: Area) -> str:
    if area.position == ALTERNATIVE:
        return f"arrangement:{area.slug}"
    return f"initiative:{area.slug}"


def _arrangement(doc: Turtle, s: Strategy, area: Area) -> None:
    points = [f"support:{area.slug}-{n}" for n in range(1, len(SUPPORT_POINTS) + 1)]
    doc.add(
        f"arrangement:{area.slug}",
        ("a", ["kd:AlternativeArrangement"]),
        (
            "skos:prefLabel",
            both(f"Alternativ ordning for {area.da}", f"Alternative arrangement for {area.en}"),
        ),
        (
            "dcterms:description",
            both("Offentlige selskaber træder i stedet.", "Public companies take its place."),
        ),
        ("kd:supportedBy", [f"organisation:{s.tag}-bestyrelse"]),
        ("kd:supportPoint", points),
        ("dcterms:source", [s.source()]),
    )
    for n, (iri, (da, en)) in enumerate(zip(points, SUPPORT_POINTS, strict=True), start=1):
        doc.add(
            iri,
            ("a", ["kd:SupportPoint"]),
            ("skos:prefLabel", both(f"{area.da}: støttet indsats {n}", f"{area.en}: supported point {n}")),
            ("kd:position", [typed(str(n), "positiveInteger")]),
            ("kd:text", both(da, en)),
            ("dcterms:source", [s.source()]),
        )


def _initiative(doc: Turtle, s: Strategy, area: Area, rng: random.Random) -> None:
    count = 0 if area.position in NO_OBJECTIVES else rng.randint(2, 5)
    objectives = [f"objective:{area.slug}-{n}" for n in range(1, count + 1)]
    doc.add(
        f"initiative:{area.slug}",
        ("a", ["kd:ClusterInitiative"]),
        ("skos:prefLabel", both(f"Klyngeindsats for {area.da}", f"Cluster initiative for {area.en}")),
        (
            "kd:objectivesLeadIn",
            both("Klyngeindsats skal:", "The cluster initiative shall:") if count else [],
        ),
        ("kd:objective", objectives),
        ("dcterms:source", [s.source()]),
    )
    for n, iri in enumerate(objectives, start=1):
        da, en = OBJECTIVES[rng.randrange(len(OBJECTIVES))]
        doc.add(
            iri,
            ("a", ["kd:Objective"]),
            ("skos:prefLabel", both(f"{area.da}: mål {n}", f"{area.en}: objective {n}")),
            ("kd:position", [typed(str(n), "positiveInteger")]),
            ("kd:text", both(da, en)),
            ("dcterms:source", [s.source()]),
        )


def _clusters_of(doc: Turtle, s: Strategy, area: Area) -> list[str]:
    """Write the cluster organisation(s) of an area and their designations; return their names."""
    if area.position == ENDED:
        periods = [(typed("2020-10-02", "date"), typed("2022", "gYear"))]
    elif area.position in SUCCEEDED:
        periods = [
            (typed("2020-12", "gYearMonth"), typed("2022-05", "gYearMonth")),
            (typed("2022-06", "gYearMonth"), ""),
        ]
    else:
        periods = [(typed("2020-12", "gYearMonth"), "")]
    names = []
    for number, (start, end) in enumerate(periods, start=1):
        slug = area.slug if number == 1 else f"{area.slug}-{number}"
        label = f"{area.en.split(' (')[0]} Cluster {s.tag}{'' if number == 1 else f' {number}'}"
        doc.add(
            f"cluster:{slug}",
            ("a", ["kd:ClusterOrganisation"]),
            ("skos:prefLabel", both(label, label)),
            ("kd:foundingDate", [typed("2020-05", "gYearMonth")] if end else []),
            ("dcterms:source", [s.source()]),
        )
        doc.add(
            f"clusterdes:{slug}",
            ("a", ["kd:ClusterDesignation"]),
            (
                "skos:prefLabel",
                both(f"Udpegning af {label} for {area.da}", f"Designation of {label} for {area.en}"),
            ),
            ("kd:designatedOrganisation", [f"cluster:{slug}"]),
            ("kd:forArea", [f"area:{area.slug}"]),
            ("kd:inStrategy", [f"strategy:{s.tag}"]),
            ("kd:startDate", [start]),
            ("kd:endDate", [end] if end else []),
            ("dcterms:source", [s.source()]),
        )
        names.append(f"cluster:{slug}")
    return names


def write_members(strategy: Strategy, clusters: Sequence[str], budget: int, rng: random.Random) -> Turtle:
    """Return member organisations of ``clusters`` holding at most ``budget`` triples."""
    doc = Turtle()
    number = 0
    while True:
        number += 1
        cluster = clusters[(number - 1) % len(clusters)]
        second = clusters[rng.randrange(len(clusters))] if rng.random() < 0.2 else cluster
        described = number % 3 == 0
        size = 7 + (second != cluster) + 2 * described
        if size > budget:
            return doc
        budget -= size
        name = f"{rng.choice(NAME_FIRST)}{rng.choice(NAME_SECOND)} {rng.choice(NAME_FORM)}"
        slug = f"{strategy.tag}-medlem-{number:05d}"
        doc.add(
            f"organisation:{slug}",
            ("a", ["org:FormalOrganization"]),
            ("skos:prefLabel", both(f"{name} ({number})", f"{name} ({number})")),
            ("org:memberOf", sorted({cluster, second})),
            ("org:classification", [f"actortype:{ACTOR_TYPES[number % len(ACTOR_TYPES)]}"]),
            ("foaf:homepage", [f"<https://{slug}.example.org/>"]),
            (
                "dcterms:description",
                both("Medlem af klyngen.", "Member of the cluster.") if described else [],
            ),
            ("dcterms:source", [strategy.source()]),
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """What was generated: the dataset's triples, strategies, members and data files."""

    triples: int
    strategies: int
    members: int
    files: int
    seconds: float


def parse_size(text: str) -> int:
    """Read a triple count such as ``100000``, ``10k`` or ``1m``."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip().replace("_", ""))
    if not match:
        raise ValueError(f"not a triple count: {text!r} (write e.g. 10000, 10k or 1m)")
    number, unit = match.groups()
    return int(float(number) * SIZES.get(unit.lower(), 1))


def base_triples(project: Path) -> int:
    """Count the triples of the copied ontology and real data."""
    base = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["tool"]["klyngedata"]["base_iri"]
    files = [*sorted((project / "ontology").glob("*.ttl")), *sorted((project / "data").glob("*.ttl"))]
    return sum(len(list(ox.parse(path=f, format=ox.RdfFormat.TURTLE, base_iri=base))) for f in files)


def copy_real_project(out: Path) -> None:
    """Copy ontology/, shapes/, pyproject.toml and the real data/*.ttl into ``out``."""
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty: choose a new folder for the generated project")
    (out / "data").mkdir(parents=True, exist_ok=True)
    for name in ("ontology", "shapes"):
        shutil.copytree(ROOT / name, out / name)
    shutil.copy2(ROOT / "pyproject.toml", out / "pyproject.toml")
    for source in sorted((ROOT / "data").glob("*.ttl")):
        shutil.copy2(source, out / "data" / source.name)


def generate(out: Path, triples: int, *, seed: int = 11) -> Summary:
    """Write a project of about ``triples`` triples (ontology + data) into ``out``; summarise it."""
    started = time.perf_counter()
    copy_real_project(out)
    total = base_triples(out)
    count = max(1, round(triples / TRIPLES_PER_STRATEGY))
    rng = random.Random(seed)
    strategies = [Strategy(n) for n in range(1, count + 1)]
    written = [write_strategy(s, rng) for s in strategies]
    total += sum(doc.triples for doc, _ in written)
    budget = max(0, triples - total)
    members = 0
    for s, (doc, clusters) in zip(strategies, written, strict=True):
        share = budget // count + (1 if s.number <= budget % count else 0)
        member_doc = write_members(s, clusters, share, rng)
        total += member_doc.triples
        members += len(member_doc.blocks)
        _write(out / "data" / f"scale-{s.tag}.ttl", doc.text(f"klyngedata scale test data: strategy {s.tag}"))
        _write(
            out / "data" / f"scale-{s.tag}-members.ttl",
            member_doc.text(f"klyngedata scale test data: members of the clusters of {s.tag}"),
        )
    return Summary(total, count, members, 2 * count, time.perf_counter() - started)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: Iterable[str] | None = None) -> None:
    """Generate a project from the command line and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=parse_size, required=True, help="e.g. 10000, 10k, 100k, 1m")
    parser.add_argument("--out", type=Path, required=True, help="new (or empty) folder to write")
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args(None if argv is None else list(argv))
    summary = generate(options.out, options.triples, seed=options.seed)
    strategies = f"{summary.strategies} synthetic strateg{'y' if summary.strategies == 1 else 'ies'}"
    print(
        f"{options.out}: {summary.triples:,} triples (ontology + data), {strategies}, "
        f"{summary.members:,} member organisations, {summary.files} generated files, {summary.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
