"""The DCAT-AP 3.0.1 catalogue of the site, and the files made with it (dump, VoID, service description).

Data portals (data.europa.eu, Datavejviser) find the dataset only through the catalogue they
harvest, so it must describe the files exactly as they are published: the catalogue is made last,
from the bytes of every other file (sizes and SHA-256 checksums), and checked against the
official DCAT-AP 3.0.1 shapes before anything is written (``dcatap.py``).

The hand-written part (titles, descriptions, keywords, themes, coverage, licence) lives in
``metadata/catalog.ttl``; the names of the publisher and of the contact point are copied from the
data; everything else is computed here (VoID and the service description in ``void.py``).
Everything is a pure function of its arguments.

The dump and the catalogue refer to each other: ``dataset.nq.gz`` holds the catalogue as the named
graph ``graph/catalog``, and the catalogue describes ``dataset.nq.gz``. A file cannot hold its own
checksum, so the catalogue graph inside the dump leaves out exactly the byte size and checksum of
the dump's own distribution; ``catalog.ttl``/``.rdf``/``.jsonld`` carry all of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import PurePosixPath

import pyoxigraph as ox

from . import dump, exports, formats
from .artifact import Artifact
from .config import Config
from .dataset import LoadedDataset
from .euvocab import eu_concepts
from .formats import Format, Vocabulary
from .i18n import Messages
from .rdf import (
    ADMS,
    DCAT,
    DCATAP,
    DCT,
    EU,
    FOAF,
    IANA,
    RDF,
    RDFS,
    SD,
    SKOS,
    SPDX,
    VCARD,
    VOID,
    triple,
    typed,
)
from .releases import Release, load_releases
from .uris import Uris
from .void import service_description, void_document, void_triples

CATALOG_PART = "catalog"
DK_STEM = "catalog-dk"  # the DCAT-AP-DK 2.0.2 rendition for Danish portals (dk_rendition)


# Written in the catalogue's Turtle besides our usual prefixes (only those used are written).
EXTRA_PREFIXES: dict[str, str] = {
    "dcatap": DCATAP,
    "adms": ADMS,
    "spdx": SPDX,
    "void": VOID,
    "sd": SD,
    "geo": "http://www.opengis.net/ont/geosparql#",
    "theme": EU + "data-theme/",
    "filetype": EU + "file-type/",
    "language": EU + "language/",
    "country": EU + "country/",
    "frequency": EU + "frequency/",
    "licence": EU + "licence/",
    "access": EU + "access-right/",
    "availability": EU + "planned-availability/",
    "publishertype": "http://purl.org/adms/publishertype/",
    "licencetype": "http://purl.org/adms/licencetype/",
}


# SHA-256 in the IRI form the official DCAT-AP 3.0.1 controlled-vocabulary shape demands
# (``^https://spdx.org/rdf/terms``): SPDX 2.3 names it http://spdx.org/rdf/terms#checksumAlgorithm_sha256,
# which the EU validator rejects. README, "Data portals", says why this form was chosen.
CHECKSUM_ALGORITHM = "https://spdx.org/rdf/terms#checksumAlgorithm_sha256"


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a harvester can check of a downloaded file."""

    size: int
    sha256: str
    sha1: str = ""  # for the DCAT-AP-DK 2.0.2 rendition, whose profile admits SHA-1 only

    @classmethod
    def of(cls, body: bytes) -> FileFacts:
        """Return the size, SHA-256 and SHA-1 of some bytes."""
        return cls(len(body), hashlib.sha256(body).hexdigest(), hashlib.sha1(body).hexdigest())


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def catalog_prefixes(uris: Uris) -> dict[str, str]:
    """Return the prefixes the catalogue's Turtle may use."""
    return {**uris.prefixes(), **EXTRA_PREFIXES}


def modified_at(config: Config, dataset: LoadedDataset) -> datetime:
    """Return when the published data last changed: SOURCE_DATE_EPOCH, else the newest input file."""
    epoch = config.source_date_epoch if config.source_date_epoch is not None else dataset.newest_mtime
    return datetime.fromtimestamp(epoch, tz=UTC)


# ---------------------------------------------------------------- the site's files


def site_files(
    dataset: LoadedDataset, config: Config, files: Mapping[PurePosixPath, FileFacts]
) -> list[Artifact]:
    """Return the dump (with the catalogue graph), the catalogue in each RDF format, VoID and SD.

    ``files`` are the site's other files (their facts are read only for the files the catalogue
    describes): the catalogue states their sizes and checksums. The
    catalogue is checked against the official DCAT-AP 3.0.1 shapes; a violation raises
    ValidationFailed and nothing is published.
    """
    from .dcatap import require_conformance  # pySHACL is costly to import

    uris = dataset.uris
    in_dump = catalog_triples(dataset, config, files)
    dump_body = dump.nquads(dataset, {CATALOG_PART: in_dump})
    triples = catalog_triples(dataset, config, _With(files, uris.dump, FileFacts.of(dump_body)))
    require_conformance(triples, where="the catalogue (catalog.ttl)")
    prefixes = catalog_prefixes(uris)
    # The catalogue speaks DCAT-AP: its own terms, from its own triples and prefixes.
    vocabulary = Vocabulary(prefixes, exports.make_context(triples, prefixes))
    documents = [
        Artifact(uris.site_file("catalog", fmt), fmt.media_type, _write(fmt, triples, vocabulary))
        for fmt in formats.rdf_documents()
    ]
    description = service_description(dataset, endpoint=uris.sparql, extra_graphs={CATALOG_PART: in_dump})
    turtle = formats.TURTLE.media_type
    danish = dk_rendition(triples, uris, _With(files, uris.dump, FileFacts.of(dump_body)))
    return [
        Artifact(uris.dump, formats.NQUADS.media_type, dump_body),
        *documents,
        Artifact(
            uris.site_file(DK_STEM, formats.RDFXML), formats.RDFXML.media_type, _rdfxml(danish, prefixes)
        ),
        Artifact(uris.void_path, turtle, exports.turtle(void_document(triples, uris), prefixes)),
        Artifact(uris.service_description_path, turtle, exports.turtle(description, prefixes)),
    ]


class _With(Mapping[PurePosixPath, FileFacts]):
    """``files`` and one more file's facts (the dump's, made once the others' are known)."""

    def __init__(
        self, files: Mapping[PurePosixPath, FileFacts], path: PurePosixPath, facts: FileFacts
    ) -> None:
        self._files, self._path, self._facts = files, path, facts

    def __getitem__(self, path: PurePosixPath) -> FileFacts:
        return self._facts if path == self._path else self._files[path]

    def __iter__(self) -> Iterator[PurePosixPath]:
        yield self._path
        yield from (path for path in self._files if path != self._path)

    def __len__(self) -> int:
        return len(self._files) + (self._path not in self._files)

    def __contains__(self, path: object) -> bool:
        return path == self._path or path in self._files


def dk_rendition(
    triples: Sequence[ox.Triple], uris: Uris, files: Mapping[PurePosixPath, FileFacts]
) -> list[ox.Triple]:
    """Return the catalogue as DCAT-AP-DK 2.0.2 (Danish portals) wants it: the same facts, other encodings.

    DCAT-AP-DK 2.0.2 is built on DCAT-AP 2: byte sizes are xsd:decimal (DCAT-AP 3.0.1:
    xsd:nonNegativeInteger), a checksum must be SHA-1 named by SPDX's own IRI (DCAT-AP 3.0.1's
    shape rejects that IRI) and availability comes from DCAT-AP 2's list. No single graph
    satisfies both profiles, so Danish portals get this rendition (``catalog-dk.rdf``).
    """
    urls = {
        t.subject: t.object.value
        for t in triples
        if t.predicate.value == DCAT + "downloadURL" and isinstance(t.object, ox.NamedNode)
    }
    checksums = {t.object: urls.get(t.subject, "") for t in triples if t.predicate.value == SPDX + "checksum"}
    sha1 = _n(SPDX + "checksumAlgorithm_sha1")
    # DCAT-AP 2's own availability list, which DCAT-AP 3 replaced by the EU table of the same names
    renamed = {
        f"{EU}planned-availability/{name}": _n(f"{DCATAP}availability/{name.lower()}")
        for name in ("AVAILABLE", "EXPERIMENTAL", "STABLE", "TEMPORARY")
    }
    out = []
    for fact in triples:
        predicate, value = fact.predicate.value, fact.object
        if predicate == DCAT + "byteSize" and isinstance(value, ox.Literal):
            fact = ox.Triple(fact.subject, fact.predicate, typed(value.value, "decimal"))
        elif isinstance(value, ox.NamedNode) and value.value in renamed:
            fact = ox.Triple(fact.subject, fact.predicate, renamed[value.value])
        elif isinstance(fact.subject, ox.NamedNode) and fact.subject.value in renamed:
            # its class and labels (DCAT-AP-DK wants a skos:Concept)
            fact = ox.Triple(renamed[fact.subject.value], fact.predicate, value)
        elif predicate == SPDX + "algorithm":
            fact = ox.Triple(fact.subject, fact.predicate, sha1)
        elif predicate == SPDX + "checksumValue":
            digest = files[uris.site_path(checksums[fact.subject])].sha1
            fact = ox.Triple(fact.subject, fact.predicate, typed(digest, "hexBinary"))
        elif fact.subject == _n(CHECKSUM_ALGORITHM):
            fact = ox.Triple(sha1, fact.predicate, value)
        out.append(fact)
    return sorted(set(out), key=str)


def _write(fmt: Format, triples: Sequence[ox.Triple], vocabulary: Vocabulary) -> bytes:
    assert fmt.write is not None
    if fmt is formats.RDFXML:  # with our prefixes: CKAN's harvester and people read this file
        return _rdfxml(triples, vocabulary.prefixes)
    return fmt.write(triples, vocabulary)


def _rdfxml(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Serialise as RDF/XML with our prefixes (CKAN's harvester and many others read RDF/XML)."""
    ordered = sorted(set(triples), key=str)
    chosen = exports.used_prefixes(ordered, prefixes)
    return ox.serialize(ordered, format=ox.RdfFormat.RDF_XML, prefixes=chosen) or b""


# ---------------------------------------------------------------- the catalogue graph


def template(uris: Uris) -> list[ox.Triple]:
    """Return the hand-written part of the catalogue (metadata/catalog.ttl) resolved against the base."""
    body = (resources.files("publish") / "metadata" / "catalog.ttl").read_bytes()
    return [q.triple for q in ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=uris.base)]


def catalog_triples(
    dataset: LoadedDataset, config: Config, files: Mapping[PurePosixPath, FileFacts]
) -> list[ox.Triple]:
    """Return the catalogue graph: catalogue, dataset, distributions, service, agents and VoID.

    Only the distributions whose file is among ``files`` are described; one whose facts are
    missing from ``files`` (the dump, while the dump itself is being made) is described
    without byte size and checksum.
    """
    uris = dataset.uris
    base = uris.base
    written = template(uris)
    modified = typed(modified_at(config, dataset).strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime")
    catalog, ds, service = uris.catalog, uris.dataset, uris.service
    triples = [
        *written,
        triple(catalog, DCT + "modified", modified),
        triple(ds, DCT + "modified", modified),
        triple(catalog, FOAF + "homepage", base),
        triple(base, RDF + "type", FOAF + "Document"),
        triple(catalog, DCAT + "dataset", ds),
        triple(catalog, DCAT + "service", service),
        triple(ds, DCT + "identifier", ox.Literal(ds)),
        triple(service, DCAT + "endpointURL", uris.sparql),
        triple(service, DCAT + "endpointDescription", uris.url(uris.service_description_path)),
        triple(service, DCAT + "servesDataset", ds),
    ]
    if config.issued is not None:
        issued = typed(config.issued.isoformat(), "date")
        triples += [triple(catalog, DCT + "issued", issued), triple(ds, DCT + "issued", issued)]
    if config.dataset_version is not None:
        triples.append(triple(ds, DCAT + "version", ox.Literal(config.dataset_version)))
    for lang in uris.languages:
        page = uris.url(uris.page_path("dataset", lang))
        triples += [triple(ds, DCAT + "landingPage", page), triple(page, RDF + "type", FOAF + "Document")]
    listed = [f for f in formats.downloads() if uris.site_file("dataset", f) in files or f.compressed]
    first = typed(config.issued.isoformat(), "date") if config.issued is not None else None
    for fmt in listed:
        facts = files.get(uris.site_file("dataset", fmt))
        triples += distribution(uris, fmt, facts, config.messages, issued=first, modified=modified)
    triples += release_triples(uris, load_releases(config), written, files, config.messages)
    triples += _from_data(dataset, written)
    triples += _concepts(triples)
    triples += void_triples(
        dataset,
        endpoint=uris.sparql,
        dumps=[uris.url(uris.site_file("dataset", f)) for f in listed if not f.compressed],
        features=[f.w3c for f in listed],
    )
    return sorted(set(triples), key=str)


def distribution(
    uris: Uris,
    fmt: Format,
    facts: FileFacts | None,
    messages: Messages,
    *,
    release: str = "",
    issued: ox.Literal | None = None,
    modified: ox.Literal | None = None,
) -> list[ox.Triple]:
    """Return one distribution of the dataset (or of a stored release): file, format, licence, size, checksum.

    Its title and description are in every configured language whose message file gives them;
    ``issued`` and ``modified`` are the file's dates (data.europa.eu's quality score reads them
    on the distribution).
    """
    suffix = fmt.suffix.replace(".", "-")
    node = uris.catalog_node(f"release-{release}-{suffix}" if release else f"dataset-{suffix}")
    path = uris.site_file("dataset", fmt)
    url = uris.url(uris.release_path(release, path) if release else path)
    media = IANA + fmt.media_type
    file_type = f"{EU}file-type/{fmt.file_type}"
    triples = [
        triple(node, RDF + "type", DCAT + "Distribution"),
        triple(uris.release(release) if release else uris.dataset, DCAT + "distribution", node),
        triple(node, DCAT + "downloadURL", url),
        triple(node, DCAT + "accessURL", url),
        triple(node, DCAT + "mediaType", media),
        triple(media, RDF + "type", DCT + "MediaType"),
        triple(node, DCT + "format", file_type),
        triple(file_type, RDF + "type", DCT + "MediaTypeOrExtent"),
        triple(node, DCT + "license", EU + "licence/CC_BY_4_0"),
        triple(node, DCT + "rights", uris.catalog_node("rights")),
        triple(node, DCATAP + "availability", EU + "planned-availability/STABLE"),
        triple(node, DCT + "conformsTo", uris.ontology),
    ]
    for lang in uris.languages:
        texts = _distribution_texts(messages, lang, fmt)
        if texts is not None:
            triples += [
                triple(node, DCT + "title", ox.Literal(texts[0], language=lang)),
                triple(node, DCT + "description", ox.Literal(texts[1], language=lang)),
            ]
    triples += [
        triple(node, DCT + p, d) for p, d in (("issued", issued), ("modified", modified)) if d is not None
    ]
    if fmt.compressed:
        gzip = IANA + "application/gzip"
        triples += [
            triple(node, DCAT + "compressFormat", gzip),
            triple(gzip, RDF + "type", DCT + "MediaType"),
        ]
    if facts is not None:
        checksum = node + "-checksum"
        algorithm = CHECKSUM_ALGORITHM
        triples += [
            triple(node, DCAT + "byteSize", typed(str(facts.size), "nonNegativeInteger")),
            triple(node, SPDX + "checksum", checksum),
            triple(checksum, RDF + "type", SPDX + "Checksum"),
            triple(checksum, SPDX + "algorithm", algorithm),
            triple(checksum, SPDX + "checksumValue", typed(facts.sha256, "hexBinary")),
            triple(algorithm, RDF + "type", SPDX + "ChecksumAlgorithm"),
        ]
    return triples


def _distribution_texts(messages: Messages, lang: str, fmt: Format) -> tuple[str, str] | None:
    """Return (title, description) of a distribution in ``lang``, or None if its file has none."""
    kind = "dump" if fmt.compressed else "file"
    title = messages.native(lang, "catalog", f"{kind}_title")
    description = messages.native(lang, "catalog", f"{kind}_description")
    if title is None or description is None:
        return None  # no English text tagged as another language: the catalogue leaves it out
    return title.format(label=fmt.label), description.format(label=fmt.label)


def _from_data(dataset: LoadedDataset, written: Sequence[ox.Triple]) -> list[ox.Triple]:
    """Copy from the data what a harvester needs of the agents and contact points the template names.

    The publisher's foaf:name is its skos:prefLabel; a contact point keeps its vCard name, URL
    and type; an ontology or shapes document used as a standard gets its title.
    """
    data = dataset.triples("ontology", "data", "shapes")
    publishers = {t.object for t in written if t.predicate.value == DCT + "publisher"}
    contacts = {t.object for t in written if t.predicate.value == DCAT + "contactPoint"}
    standards = {t.object for t in written if t.predicate.value == DCT + "conformsTo"}
    copied = []
    for fact in data:
        subject, predicate = fact.subject, fact.predicate.value
        if subject in publishers and predicate == SKOS + "prefLabel":
            copied.append(ox.Triple(subject, _n(FOAF + "name"), fact.object))
        elif subject in contacts and predicate in (VCARD + "fn", VCARD + "hasURL", RDF + "type"):
            copied.append(fact)
        elif subject in standards and predicate in (DCT + "title", RDFS + "label"):
            copied.append(ox.Triple(subject, _n(DCT + "title"), fact.object))
    return copied


def _concepts(triples: Sequence[ox.Triple]) -> list[ox.Triple]:
    """State, for the EU-table concepts the catalogue uses as categories, their class and labels.

    DCAT-AP 3.0.1 wants themes, agent and licence types and availabilities to be skos:Concept
    with a skos:prefLabel, and a theme taxonomy to be a skos:ConceptScheme with a dct:title;
    the labels are the official ones. Scheme membership is left to the tables themselves (the
    controlled-vocabulary check adds them).
    """
    as_concept = {DCAT + "theme", DCT + "type", DCATAP + "availability"}
    concepts = {t.object for t in triples if t.predicate.value in as_concept}
    schemes = {t.object for t in triples if t.predicate.value == DCAT + "themeTaxonomy"}
    stated = []
    for fact in eu_concepts():
        if fact.subject in concepts and fact.predicate.value == SKOS + "prefLabel":
            stated += [fact, ox.Triple(fact.subject, _n(RDF + "type"), _n(SKOS + "Concept"))]
        elif fact.subject in schemes and fact.predicate.value == SKOS + "prefLabel":
            stated += [
                ox.Triple(fact.subject, _n(DCT + "title"), fact.object),
                ox.Triple(fact.subject, _n(RDF + "type"), _n(SKOS + "ConceptScheme")),
            ]
    return stated


# ---------------------------------------------------------------- releases (DCAT 3 versions)

# What a release shares with the dataset it is a version of (DCAT-AP's mandatory and
# recommended properties); its title, identifier, dates and distributions are its own.
_SHARED = (
    {DCT + p for p in ("description", "publisher", "language", "spatial", "temporal", "accrualPeriodicity")}
    | {DCT + p for p in ("accessRights", "provenance", "license", "conformsTo")}
    | {DCAT + p for p in ("keyword", "theme", "contactPoint")}
)


def release_triples(
    uris: Uris,
    releases: Sequence[Release],
    written: Sequence[ox.Triple],
    files: Mapping[PurePosixPath, FileFacts],
    messages: Messages,
) -> list[ox.Triple]:
    """Describe every stored release as a version of the dataset (DCAT 3 versioning, as DCAT-AP 3 has it).

    Each release is a dcat:Dataset with dcat:version, dct:issued, adms:versionNotes per language,
    dcat:isVersionOf the dataset and dcat:previousVersion the release before it; the dataset
    dcat:hasVersion each and dcat:hasCurrentVersion the latest. A release's distributions are its
    frozen files under release/<version>/, with size and checksum from the files themselves.
    """
    own = [t for t in written if t.subject == _n(uris.dataset)]
    triples = [t for release in releases for t in _release(uris, release, own, files, messages)]
    if releases:
        triples.append(triple(uris.dataset, DCAT + "hasCurrentVersion", uris.release(releases[-1].version)))
    return triples


def _release(
    uris: Uris,
    release: Release,
    own: Sequence[ox.Triple],
    files: Mapping[PurePosixPath, FileFacts],
    messages: Messages,
) -> list[ox.Triple]:
    node, ds = uris.release(release.version), uris.dataset
    triples = [
        triple(node, RDF + "type", DCAT + "Dataset"),
        triple(uris.catalog, DCAT + "dataset", node),
        triple(ds, DCAT + "hasVersion", node),
        triple(node, DCAT + "isVersionOf", ds),
        triple(node, DCAT + "version", ox.Literal(release.version)),
        triple(node, DCT + "issued", typed(release.issued.isoformat(), "date")),
        triple(node, DCT + "identifier", ox.Literal(node)),
    ]
    for fact in own:
        if fact.predicate.value in _SHARED:
            triples.append(ox.Triple(_n(node), fact.predicate, fact.object))
        elif fact.predicate.value == DCT + "title" and isinstance(fact.object, ox.Literal):
            title = f"{fact.object.value} – {release.version}"
            triples.append(triple(node, DCT + "title", ox.Literal(title, language=fact.object.language)))
    for lang, text in sorted(release.notes.items()):
        triples.append(triple(node, ADMS + "versionNotes", ox.Literal(text, language=lang)))
    if release.previous is not None:
        triples.append(triple(node, DCAT + "previousVersion", uris.release(release.previous)))
    for fmt in formats.downloads():
        path = uris.release_path(release.version, uris.site_file("dataset", fmt))
        if path in files:
            # A release's files are frozen: issued and last changed on its release date.
            dated = typed(release.issued.isoformat(), "date")
            triples += distribution(
                uris, fmt, files[path], messages, release=release.version, issued=dated, modified=dated
            )
    return triples
