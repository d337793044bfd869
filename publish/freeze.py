"""``klyngedata release``: freeze the data (as it is, or as of a date) as an immutable release.

The project is validated first and a non-conforming one is refused; then the release's files are
made exactly as a build makes them (with the release's version, issue date and a fixed
timestamp, so making the same release twice gives the same bytes) and stored in
``data/releases/<VERSION>/`` (layout in :mod:`publish.releases`). The folder is written beside
and renamed into place at the end: a failed release leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from . import catalog, formats, html, releases, wellformed
from .artifact import Artifact
from .asof import as_of as data_as_of
from .build import rdf_artifacts
from .catalog import FileFacts
from .config import Config
from .dataset import LoadedDataset, load
from .errors import BuildError, UsageError, ValidationFailed
from .releases import (
    ARCHIVE_FILE,
    DATASET_FILE,
    RELEASE_FILE,
    Release,
    check_version,
    load_releases,
    pack,
    releases_dir,
    sha256,
)
from .uris import PARTS, is_history
from .validate import format_text, validate_project


@dataclass(frozen=True, slots=True)
class Frozen:
    """What ``release`` stored, for the summary printed to the user."""

    folder: Path
    version: str
    issued: datetime.date
    files: int
    size: int
    absent: Mapping[str, int]  # shape → findings of the dated data that the project does not have

    def summary(self) -> list[str]:
        """Return the lines that tell the user what happened and what to do next."""
        lines = [
            f"Stored release {self.version} (issued {self.issued}): {self.files} files, {self.size:,} bytes"
        ]
        lines.append(f"in {self.folder}; commit that folder, then run `klyngedata build`.")
        for shape, count in sorted(self.absent.items()):
            lines.append(f"  as of the date, not yet there: {count} × {shape}")
        return lines


def default_issued(config: Config) -> datetime.date:
    """Return the issue date of a release made now: SOURCE_DATE_EPOCH's day, else today (UTC)."""
    if config.source_date_epoch is not None:
        return datetime.datetime.fromtimestamp(config.source_date_epoch, tz=datetime.UTC).date()
    return datetime.datetime.now(tz=datetime.UTC).date()


def freeze(
    config: Config,
    version: str,
    *,
    notes: Mapping[str, str],
    issued: datetime.date | None = None,
    as_of: datetime.date | None = None,
    lang: str = "en",
) -> Frozen:
    """Validate, plan and store release ``version``; refuse an existing version or an earlier date."""
    check_version(version)
    issued = issued or default_issued(config)
    folder = releases_dir(config) / version
    _check_new(config, version, issued, folder, as_of)
    if not notes.get(config.default_language, "").strip():
        raise UsageError(
            f"a release needs notes in {config.default_language} (what changed, for the "
            "catalogue's version notes)",
            parameter="notes",
        )
    dated, absent = _dated_data(config, as_of, lang)
    previous = load_releases(config)
    if previous:
        _check_ontology_version(dated, previous[-1])
    stamped = dataclasses.replace(
        config,
        issued=issued,
        dataset_version=version,
        source_date_epoch=int(datetime.datetime.combine(issued, datetime.time(), datetime.UTC).timestamp()),
    )
    files = _frozen_files(dated, stamped)
    stored = {DATASET_FILE: dataset_nquads(dated), ARCHIVE_FILE: pack(files)}
    record = _record(version, issued, notes, previous[-1].version if previous else None, files, stored)
    _write(folder, {**stored, RELEASE_FILE: record.encode("utf-8")})
    size = sum(len(body) for body in files.values())
    return Frozen(folder, version, issued, len(files), size, absent)


def _dated_data(
    config: Config, as_of: datetime.date | None, lang: str
) -> tuple[LoadedDataset, dict[str, int]]:
    """Load and validate the project (refused if it does not conform); return its data as of the day."""
    dataset = load(config)
    report = validate_project(dataset, config, lang=lang)
    if not report.conforms:
        raise ValidationFailed(
            format_text(report, lang=lang, messages=config.messages)
            + "Nothing was released. Fix the violations and release again."
        )
    if as_of is None:
        return dataset, {}
    dated = data_as_of(dataset, as_of)
    return dated, _not_yet(dated, lang, config)


_OWL = "http://www.w3.org/2002/07/owl#"


def _check_ontology_version(dated: LoadedDataset, previous: Release) -> None:
    """Refuse a changed ontology whose owl:versionIRI (and owl:priorVersion) does not say so.

    The ontology's version follows the releases: if its statements differ from the previous
    release's, it needs a new owl:versionIRI and owl:priorVersion naming the previous one.
    """
    graph = ox.NamedNode(dated.uris.graph("ontology"))
    before = _canonical(q for q in previous.quads() if q.graph_name == graph)
    now = _canonical(dated.parts["ontology"])
    if before == now:
        return
    old, new = _versions(before, dated.uris.ontology), _versions(now, dated.uris.ontology)
    prior = {
        t.object.value
        for t in now
        if t.predicate.value == _OWL + "priorVersion" and isinstance(t.object, ox.NamedNode)
    }
    if new == old or not old <= prior:
        named = ", ".join(f"<{iri}>" for iri in sorted(old)) or "none"
        raise ValidationFailed(
            f"the ontology changed since release {previous.version}, whose owl:versionIRI was {named}; "
            "give the ontology a new owl:versionIRI and an owl:priorVersion naming that one "
            "(ontology/), then release again. Nothing was released."
        )


def _canonical(quads: Iterable[ox.Quad]) -> set[ox.Triple]:
    """Return a graph's triples with its blank nodes named from that graph alone (so two
    isomorphic graphs give equal sets, whatever else was loaded beside them)."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {q.triple for q in dataset}


def _versions(triples: set[ox.Triple], ontology: str) -> set[str]:
    subject, predicate = ox.NamedNode(ontology), ox.NamedNode(_OWL + "versionIRI")
    return {
        t.object.value
        for t in triples
        if t.subject == subject and t.predicate == predicate and isinstance(t.object, ox.NamedNode)
    }


def _check_new(
    config: Config, version: str, issued: datetime.date, folder: Path, as_of: datetime.date | None
) -> None:
    if folder.exists():
        raise UsageError(
            f"release {version} exists ({folder}); a release never changes: choose a new version",
            parameter="version",
        )
    if as_of is not None and as_of > issued:
        raise UsageError(f"the data as of {as_of} cannot be issued earlier, on {issued}", parameter="as_of")
    earlier = load_releases(config)
    if earlier and issued < earlier[-1].issued:
        raise UsageError(
            f"{issued} is before {earlier[-1].issued}, the issue date of release {earlier[-1].version}; "
            "a release is issued on or after the one before it",
            parameter="issued",
        )


def _not_yet(dated: LoadedDataset, lang: str, config: Config) -> dict[str, int]:
    """Return, by shape, what the dated data lacks that the (conforming) project has.

    The dated data is the project with statements left out, never added, so a shape it fails
    asks for something that had not happened by the date (a designation, before the
    designations). It is reported, not refused.
    """
    report = validate_project(dated, config, lang=lang)
    counted = Counter(
        (f.shape or "?").rsplit("#", 1)[-1] for f in report.findings if f.severity == "Violation"
    )
    return dict(counted)


def _frozen_files(dated: LoadedDataset, config: Config) -> dict[PurePosixPath, bytes]:
    """Return the RDF files a build of the dated data publishes (dumps, catalogue, descriptions).

    They are the files of :func:`publish.build.plan` that :func:`frozen` keeps, made without the
    pages, search, pictures and history a build also makes (``tests/test_releases.py`` checks
    the two are the same). Each is checked with its own format's parser, as build checks its files.
    """
    made = [*rdf_artifacts(dated), *_embedded(dated, config)]
    stored = releases.release_artifacts(config)  # the catalogue describes the stored releases' dumps
    made += catalog.site_files(dated, config, _Facts({a.path: a.body for a in [*made, *stored]}))
    files = {artifact.path: artifact.body for artifact in made if frozen(artifact.path)}
    broken = wellformed.ill_formed((str(path), body) for path, body in files.items())
    if broken:
        raise BuildError(
            "the release's files include some their own format's parser rejects; nothing was "
            "stored. Report this as a bug in klyngedata, with:\n"
            + "\n".join(f"  {line}" for line in broken[:20])
        )
    return dict(sorted(files.items(), key=lambda item: str(item[0])))


def frozen(path: PurePosixPath) -> bool:
    """Return whether a release keeps a site file: RDF that is not a page, a stored release or history."""
    fmt = formats.site_format(str(path))
    if fmt is None or not fmt.parser or fmt.kind == formats.PAGE:
        return False
    return path.parts[0] != "release" and not is_history(path)  # those are made from the releases


def _embedded(dated: LoadedDataset, config: Config) -> Iterator[Artifact]:
    """Yield the embeddable JSON-LD of every resource (the HTML snippets beside them are not kept)."""
    site = html.Site(dated, config)
    for lang in site.uris.languages:
        for iri in sorted(site.graph.resources):
            yield from (a for a in site.embeds(iri, lang) if frozen(a.path))


class _Facts(Mapping[PurePosixPath, FileFacts]):
    """The size and checksums of some files, computed only for those the catalogue asks about."""

    def __init__(self, bodies: Mapping[PurePosixPath, bytes]) -> None:
        self._bodies = bodies

    def __getitem__(self, path: PurePosixPath) -> FileFacts:
        return FileFacts.of(self._bodies[path])

    def __contains__(self, path: object) -> bool:
        return path in self._bodies

    def __iter__(self) -> Iterator[PurePosixPath]:
        return iter(self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)


def dataset_nquads(dated: LoadedDataset) -> bytes:
    """Return the release's input as sorted N-Quads (graphs graph/ontology, graph/data, graph/shapes)."""
    body = ox.serialize(dated.quads(*PARTS), format=ox.RdfFormat.N_QUADS) or b""
    return b"".join(line + b"\n" for line in sorted(set(body.splitlines())))


def _record(
    version: str,
    issued: datetime.date,
    notes: Mapping[str, str],
    previous: str | None,
    files: Mapping[PurePosixPath, bytes],
    stored: Mapping[str, bytes],
) -> str:
    """Return release.toml's text (written by hand: TOML has no writer in the standard library)."""
    lines = [f"version = {_toml(version)}", f"issued = {issued.isoformat()}"]
    if previous is not None:
        lines.append(f"previous = {_toml(previous)}")
    lines.append(f"dataset_sha256 = {_toml(sha256(stored[DATASET_FILE]))}")
    lines.append(f"archive_sha256 = {_toml(sha256(stored[ARCHIVE_FILE]))}")
    lines += ["", "[notes]"] + [f"{lang} = {_toml(text)}" for lang, text in sorted(notes.items()) if text]
    lines += ["", "[files]"] + [
        f"{_toml(str(p))} = {_toml(sha256(files[p]))}" for p in sorted(files, key=str)
    ]
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """Return a TOML basic string (JSON's escapes are TOML's, for the characters we write)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in escaped):
        raise UsageError("release notes may not hold control characters", parameter="notes")
    return f'"{escaped}"'


def _write(folder: Path, stored: Mapping[str, bytes]) -> None:
    """Write the release folder beside its place and rename it in: all of it, or nothing."""
    staging: Path | None = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        for name, body in stored.items():
            (staging / name).write_bytes(body)
        staging.chmod(0o755)
        staging.rename(folder)
        staging = None
    except OSError as exc:
        raise BuildError(
            f"{folder}: could not store the release ({exc.strerror}); nothing was stored"
        ) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
