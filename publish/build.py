"""Build the site: load → validate → plan artifacts (no I/O) → write them atomically.

The new site is written into a temporary folder beside the output and swapped in at the end,
so a failed or interrupted build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from . import catalog, exports, hosting, html
from .config import Config
from .dataset import LoadedDataset, load
from .errors import BuildError, ValidationFailed
from .uris import Format
from .validate import Report, format_text, validate

MARKER = ".klyngedata-site"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of the site: where it goes, what it is, and its bytes."""

    path: PurePosixPath
    media_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build wrote, for the summary printed to the user."""

    output: Path
    files: int
    size: int
    report: Report
    lang: str

    def summary(self) -> list[str]:
        """Return the lines that tell the user what happened."""
        lines = []
        if self.report.count("Warning"):
            lines.append(format_text(self.report, lang=self.lang).rstrip())
        lines.append(f"Wrote {self.files} files ({self.size:,} bytes) to {self.output}")
        return lines


def build(config: Config, *, lang: str = "en") -> BuildResult:
    """Validate the project and publish it to ``config.output``; raise if it does not conform."""
    _check_replaceable(config.output)  # fail fast, before the costly validation
    dataset = load(config)
    report = validate(dataset, lang=lang)
    if not report.conforms:
        raise ValidationFailed(
            format_text(report, lang=lang)
            + f"Nothing was published; {config.output} is unchanged. Fix the violations and build again."
        )
    artifacts = plan(dataset, config)
    write_site(config.output, artifacts)
    return BuildResult(config.output, len(artifacts), sum(len(a.body) for a in artifacts), report, lang)


def plan(dataset: LoadedDataset, config: Config) -> list[Artifact]:
    """Return every file of the site, sorted by path, without touching the disk."""
    artifacts = rdf_artifacts(dataset)
    artifacts += html.page_artifacts(dataset, config)
    artifacts += hosting.hosting_artifacts(config)
    # Last: the catalogue states the size and checksum of every other file, and writes the
    # N-Quads dump (with the catalogue as the graph graph/catalog).
    artifacts += [Artifact(*file) for file in catalog.site_files(dataset, config, artifacts)]
    paths = [a.path for a in artifacts]
    if len(set(paths)) != len(paths):
        raise BuildError("two published files would share a path; check the IRIs for duplicates")
    return sorted(artifacts, key=lambda a: str(a.path))


def rdf_artifacts(dataset: LoadedDataset) -> list[Artifact]:
    """Return the RDF documents: whole dataset, ontology, shapes, and one per resource."""
    uris = dataset.uris
    prefixes = uris.prefixes()
    context = exports.make_context(dataset.triples(), prefixes)
    artifacts = [
        Artifact(PurePosixPath("context.jsonld"), Format.JSONLD.media_type, _json(context)),
        *_rdf_forms(PurePosixPath("dataset"), dataset.triples("ontology", "data"), prefixes, context),
        *_rdf_forms(PurePosixPath("ontology"), dataset.triples("ontology"), prefixes, context),
        *_rdf_forms(PurePosixPath("shapes"), dataset.triples("shapes"), prefixes, context),
    ]
    for version in _version_iris(dataset):
        artifacts += _rdf_forms(uris.document_stem(version), dataset.triples("ontology"), prefixes, context)
    for iri, triples in sorted(describe_resources(dataset).items()):
        artifacts += _rdf_forms(uris.document_stem(iri), triples, prefixes, context)
    return artifacts


def _rdf_forms(
    stem: PurePosixPath,
    triples: list[ox.Triple],
    prefixes: dict[str, str],
    context: dict[str, object],
) -> list[Artifact]:
    def path(fmt: Format) -> PurePosixPath:
        return stem.with_name(f"{stem.name}.{fmt.suffix}")

    return [
        Artifact(path(Format.TURTLE), Format.TURTLE.media_type, exports.turtle(triples, prefixes)),
        Artifact(path(Format.NTRIPLES), Format.NTRIPLES.media_type, exports.ntriples(triples)),
        Artifact(path(Format.RDFXML), Format.RDFXML.media_type, exports.rdfxml(triples)),
        Artifact(
            path(Format.JSONLD),
            Format.JSONLD.media_type,
            exports.jsonld(triples, context),
        ),
    ]


def _version_iris(dataset: LoadedDataset) -> list[str]:
    version = "http://www.w3.org/2002/07/owl#versionIRI"
    return sorted(
        q.object.value
        for q in dataset.parts["ontology"]
        if q.predicate.value == version
        and isinstance(q.object, ox.NamedNode)
        and dataset.uris.is_local(q.object.value)
    )


def describe_resources(dataset: LoadedDataset) -> dict[str, list[ox.Triple]]:
    """Return, for every described resource (id/…), its description.

    A description is the resource's own triples, the blank nodes they reach, and the triples
    that point at it (so a reader sees incoming links too).
    """
    triples = dataset.triples("data")
    by_subject: dict[object, list[ox.Triple]] = defaultdict(list)
    by_object: dict[str, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        by_subject[triple.subject].append(triple)
        if isinstance(triple.object, ox.NamedNode):
            by_object[triple.object.value].append(triple)
    descriptions: dict[str, list[ox.Triple]] = {}
    for subject in by_subject:
        if isinstance(subject, ox.NamedNode) and dataset.uris.is_resource(subject.value):
            own = list(_closure(subject, by_subject))
            descriptions[subject.value] = sorted(set(own + by_object[subject.value]), key=str)
    return descriptions


def _closure(node: object, by_subject: dict[object, list[ox.Triple]]) -> Iterator[ox.Triple]:
    seen: set[object] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for triple in by_subject.get(current, []):
            yield triple
            if isinstance(triple.object, ox.BlankNode):
                stack.append(triple.object)


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_site(output: Path, artifacts: list[Artifact]) -> None:
    """Write the artifacts into a new folder and swap it in place of ``output``."""
    _check_replaceable(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    try:
        staging.chmod(0o755)
        for artifact in artifacts:
            target = staging / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(artifact.body)
        (staging / MARKER).write_text("built by klyngedata; safe to replace\n", encoding="utf-8")
        _swap(staging, output)
    except OSError as exc:
        raise BuildError(
            f"{output}: could not write the site ({exc}); the previous site is unchanged"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_replaceable(output: Path) -> None:
    if not output.exists():
        return
    if not output.is_dir():
        raise BuildError(f"{output}: exists and is not a folder; choose another --output")
    if any(output.iterdir()) and not (output / MARKER).exists():
        raise BuildError(
            f"{output}: is a non-empty folder that klyngedata did not build (no {MARKER}); "
            "refusing to replace it — choose an empty or new --output"
        )


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(staging: Path, output: Path) -> None:
    """Put ``staging`` at ``output``: one atomic exchange where the OS offers it."""
    if not output.exists():
        os.rename(staging, output)
        return
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if renameat2 is not None:
        done = renameat2(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD, os.fsencode(output), _RENAME_EXCHANGE)
        if done == 0:
            return  # staging now holds the old site; the caller removes it
    retired = staging.with_name(staging.name.replace(".new-", ".old-"))
    os.rename(output, retired)
    try:
        os.rename(staging, output)
    except OSError:
        os.rename(retired, output)  # put the previous site back before reporting
        raise
    shutil.rmtree(retired, ignore_errors=True)
