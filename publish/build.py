"""Build the site: load → validate → plan artifacts (no I/O) → write them atomically.

The new site is written into a temporary folder beside the output and swapped in at the end,
so a failed or interrupted build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import os
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from . import (
    catalog,
    changelog,
    exports,
    formats,
    hosting,
    html,
    incremental,
    pictures,
    releases,
    search,
    sweep,
)
from .artifact import Artifact
from .catalog import FileFacts
from .config import Config
from .dataset import LoadedDataset, load
from .errors import BuildError, ValidationFailed
from .formats import Vocabulary
from .i18n import Messages
from .incremental import Manifest, Reuse
from .shares import Shares
from .staging import Staging, Written
from .sweep import MARKER
from .validate import Report, format_text, validate_project


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build wrote, for the summary printed to the user."""

    output: Path
    files: int
    size: int
    report: Report
    lang: str
    messages: Messages
    reused: int = 0  # resource units taken from the previous build (publish.incremental)
    units: int = 0

    def summary(self) -> list[str]:
        """Return the lines that tell the user what happened."""
        lines = []
        if self.report.count("Warning"):
            lines.append(format_text(self.report, lang=self.lang, messages=self.messages).rstrip())
        lines.append(f"Wrote {self.files} files ({self.size:,} bytes) to {self.output}")
        if self.reused:
            lines.append(f"Reused {self.reused} of {self.units} resource units of the previous build")
        return lines


def build(config: Config, *, lang: str = "en") -> BuildResult:
    """Validate the project and publish it to ``config.output``; raise if it does not conform."""
    _check_replaceable(config.output)  # fail fast, before the costly validation
    dataset = load(config)
    report = validate_project(dataset, config, lang=lang)
    if not report.conforms:
        raise ValidationFailed(
            format_text(report, lang=lang, messages=config.messages)
            + f"Nothing was published; {config.output} is unchanged. Fix the violations and build again."
        )
    return build_validated(config, dataset, report, lang=lang)


def build_validated(
    config: Config, dataset: LoadedDataset, report: Report, *, lang: str = "en"
) -> BuildResult:
    """Publish a loaded project whose data conforms (``report``) to ``config.output``."""
    record = incremental.manifest_path(config.project_dir, config.output)
    previous = incremental.read_manifest(record) if (config.output / MARKER).is_file() else Manifest("")
    reuse = Reuse(previous, config.output, _context(dataset, config))
    from . import dcatap  # imports rdflib; the catalogue check runs in a child meanwhile

    def fill(staging: Staging) -> None:
        def again() -> html.Pages:  # the pages, indexed again if they were freed (the child died)
            return pages if pages is not None else html.Pages(dataset, config, reuse)

        pages: html.Pages | None = html.Pages(dataset, config, reuse)
        vocabulary = rdf_vocabulary(dataset)  # made once, before any fork: both processes use it
        stored = partial(releases.release_artifacts, config)  # read where asked for, once a process
        shares = Shares(shared_parts(dataset, config, reuse, again, again().resources(), stored))
        child = None
        if config.build_processes > 1:
            # Each resource's RDF documents in a forked child, then both processes take the
            # shared parts (pages, search, pictures, history) in turn (publish.shares).
            units, reused, made = set(reuse.units), reuse.reused, reuse.made
            child = staging.fork(
                lambda: _elsewhere(dataset, reuse, vocabulary, shares),
                lambda: reuse.handover(units, reused, made),
                redo=lambda: _redo(dataset, reuse, vocabulary, shares),
            )
        try:
            # First the files the catalogue describes, then the catalogue: its check (pySHACL,
            # in the child :meth:`Verdicts.prepare` forked) runs while the rest is made.
            staging.add_all(
                produce(
                    dataset,
                    config,
                    reuse,
                    again(),
                    in_child=child is not None,
                    catalogue=lambda: catalog.site_files(dataset, config, _Facts(staging, stored)),
                    vocabulary=vocabulary,
                    shares=shares,
                    stored=stored,
                )
            )
            if child is not None:
                # This process's files are made: free the indexed data before the child's
                # record arrives (at a million triples the build's peak memory was here).
                pages = None
                reuse.forget_indexes()
                dataset.forget_sorted()
                done, handed = child.join()
                if done:
                    reuse.absorb(handed)  # type: ignore[arg-type]
                child = None
        except ValueError as exc:  # a path two files would share (Staging.add)
            raise BuildError(_shared_path_message(PurePosixPath(str(exc)), dataset)) from None
        finally:
            shares.close()
            if child is not None:
                child.abandon()

    with dcatap.deferred() as verdicts:
        verdicts.prepare()  # the catalogue's check loads while the files are made
        written = into_site(
            config.output,
            fill,
            wait=config.build_lock_timeout,
            previous=reuse.previous.files,
            threads=config.write_threads,
            before_swap=verdicts.wait,
        )
    incremental.write_manifest(record, reuse.manifest({path: w.sha256 for path, w in written.items()}))
    size = sum(w.size for w in written.values())
    units = reuse.reused + reuse.made
    return BuildResult(config.output, len(written), size, report, lang, config.messages, reuse.reused, units)


class _Facts(Mapping[PurePosixPath, FileFacts]):
    """The size and checksums of the files handed to ``staging``, read back only when asked for,
    and of the ``stored`` releases' files (from their bytes: either process may write them)."""

    def __init__(self, staging: Staging, stored: Callable[[], Sequence[Artifact]] = tuple) -> None:
        self._staging = staging
        self._read = stored
        self._kept: dict[PurePosixPath, Artifact] | None = None
        self._known: dict[PurePosixPath, FileFacts] = {}  # read and hashed once: asked twice a build

    @property
    def _stored(self) -> dict[PurePosixPath, Artifact]:
        if self._kept is None:
            self._kept = {a.path: a for a in self._read()}
        return self._kept

    def __getitem__(self, path: PurePosixPath) -> FileFacts:
        found = self._known.get(path)
        if found is None:
            if str(path) in self._staging.files:
                found = FileFacts.of(self._staging.bytes_of(path))
            elif path in self._stored:
                found = FileFacts.of(self._stored[path].body)
            else:
                raise KeyError(path)
            self._known[path] = found
        return found

    def __contains__(self, path: object) -> bool:
        return str(path) in self._staging.files or path in self._stored

    def __iter__(self) -> Iterator[PurePosixPath]:
        yield from (PurePosixPath(path) for path in self._staging.files)
        yield from (path for path in self._stored if str(path) not in self._staging.files)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _context(dataset: LoadedDataset, config: Config) -> str:
    """Return the key of what every unit of the build depends on besides its own inputs."""
    messages = json.dumps(config.messages.tables, sort_keys=True, default=str)
    return incremental.context_key(repr(config), messages, *map(str, dataset.triples("shapes")))


def produce(
    dataset: LoadedDataset,
    config: Config,
    reuse: Reuse | None = None,
    pages: html.Pages | None = None,
    *,
    in_child: bool = False,
    catalogue: Callable[[], Iterable[Artifact]] | None = None,
    vocabulary: Vocabulary | None = None,
    shares: Shares[Artifact] | None = None,
    stored: Callable[[], Sequence[Artifact]] | None = None,
) -> Iterator[Artifact]:
    """Yield every file of the site but the catalogue's, one at a time, as they are made.

    With ``reuse``, each resource's files come from the previous build where their inputs are
    unchanged (:mod:`publish.incremental`); the bytes are the same either way. A build may make
    a part in a forked child (``in_child``: :func:`_elsewhere`'s fixed part is left out here, and
    the ``shares`` this process takes are the ones the child has not taken, :mod:`publish.shares`);
    the order of files does not matter. The files the catalogue describes come first;
    ``catalogue`` (if given) is called right after them and its files yielded, so that the
    catalogue's check runs while the rest is made (the stored releases' files, which it describes
    too, are among the shares: ``stored`` reads them). ``vocabulary``: the RDF documents'
    prefixes and context, if already made (:func:`rdf_vocabulary`).
    """
    vocabulary = vocabulary if vocabulary is not None else rdf_vocabulary(dataset)
    yield from whole_rdf_artifacts(dataset, vocabulary, reuse)
    if catalogue is not None:
        yield from catalogue()
    pages = pages if pages is not None else html.Pages(dataset, config, reuse)
    yield from _here(config, pages)
    if not in_child:
        yield from resource_rdf_artifacts(dataset, vocabulary, reuse)
    if shares is None:
        stored = stored if stored is not None else partial(releases.release_artifacts, config)
        shares = Shares(shared_parts(dataset, config, reuse, lambda: pages, pages.resources(), stored))
    try:
        yield from shares.take()
    finally:
        shares.close()


def _here(config: Config, pages: html.Pages) -> Iterator[Artifact]:
    """The part of the site a build makes in its own process after the catalogue, besides its
    shares: the files every page uses and the hosting rules."""
    yield from pages.site_files()
    yield from hosting.hosting_artifacts(config)


def _elsewhere(
    dataset: LoadedDataset, reuse: Reuse | None, vocabulary: Vocabulary, shares: Shares[Artifact]
) -> Iterator[Artifact]:
    """The part a build makes in a forked child: each resource's RDF documents (at 100k triples a
    fifth of the build's CPU, made while this process makes the catalogue), then its shares."""
    yield from resource_rdf_artifacts(dataset, vocabulary, reuse)
    yield from shares.take()


def _redo(
    dataset: LoadedDataset, reuse: Reuse | None, vocabulary: Vocabulary, shares: Shares[Artifact]
) -> Iterator[Artifact]:
    """What the child made, made here: it died without its record."""
    yield from resource_rdf_artifacts(dataset, vocabulary, reuse)
    yield from shares.rest()


# Resources whose pages make one shared part: at most this many such parts (a part left to the
# last process is then a small share of its work).
_RESOURCE_PARTS = 128
_FEWEST_RESOURCES = 8


def shared_parts(
    dataset: LoadedDataset,
    config: Config,
    reuse: Reuse | None,
    pages: Callable[[], html.Pages],
    resources: Sequence[str],
    stored: Callable[[], Sequence[Artifact]],
) -> list[Callable[[], Iterable[Artifact]]]:
    """The parts of a build either process may make (:mod:`publish.shares`), the largest first:
    the history (pages of every release's changes: the largest part of a first build), the
    resources' pages a few resources at a time, each language's list pages, search, the
    pictures (one indexed copy of the data for all: indexing a million triples costs seconds and
    gigabytes) and the stored releases' files (``stored`` reads them, unchanged and their
    checksums checked, once per process: the build's own reads them for the catalogue). ``pages``
    gives the build's pages (indexed again after a fork if the process freed them)."""
    size = max(_FEWEST_RESOURCES, -(-len(resources) // _RESOURCE_PARTS))
    chunks = [resources[start : start + size] for start in range(0, len(resources), size)]
    languages = pages().languages
    parts: list[Callable[[], Iterable[Artifact]]] = [
        lambda: changelog.history_artifacts(dataset, config, reuse, pages().site),  # changelog, feed, stream
    ]
    # A part is a few resources in every language: what a resource's pages share (its view, its
    # schema.org description) is then worked out in one process, not in both.
    parts += [
        partial(lambda iris: (a for lang in languages for a in pages().resource_pages(lang, iris)), chunk)
        for chunk in chunks
    ]
    parts += [partial(lambda lang: pages().list_pages(lang), lang) for lang in languages]
    parts += [
        lambda: search.search_artifacts(dataset, config, pages().site),  # search indexes, A–Z pages
        lambda: pictures.picture_artifacts(dataset, config, pages().site),  # overview and timeline
        stored,
    ]
    return parts


def plan(dataset: LoadedDataset, config: Config, reuse: Reuse | None = None) -> list[Artifact]:
    """Return every file of the site, sorted by path, without touching the disk.

    The build itself streams the same files to disk (:func:`produce`, :mod:`publish.staging`);
    this whole list in memory is for tests, releases and tools.
    """
    artifacts = list(produce(dataset, config, reuse))
    # Last: the catalogue states the size and checksum of every other file, and writes the
    # N-Quads dump (with the catalogue as the graph graph/catalog).
    artifacts += catalog.site_files(dataset, config, {a.path: FileFacts.of(a.body) for a in artifacts})
    seen: set[PurePosixPath] = set()
    for artifact in artifacts:
        if artifact.path in seen:
            raise BuildError(_shared_path_message(artifact.path, dataset))
        seen.add(artifact.path)
    return sorted(artifacts, key=lambda a: str(a.path))


def _shared_path_message(shared: PurePosixPath, dataset: LoadedDataset) -> str:
    """Name the path two files would share, and the resources whose files they are."""
    uris = dataset.uris
    owners = [
        iri
        for iri in sorted(describe_resources(dataset))
        if str(shared)
        .removeprefix("embed/")
        .startswith(
            str(uris.document_stem(iri)).removeprefix("id/" if str(shared).startswith("embed/") else "") + "."
        )
    ]
    named = " and ".join(
        f"<{iri}>" + (f" ({dataset.locations[iri]})" if iri in dataset.locations else "") for iri in owners
    )
    return (
        f"two published files would share the path {shared}"
        + (f": the files of {named}" if named else "")
        + "; rename one of the resources (a slug must not end in a language suffix such as .en)"
    )


def rdf_artifacts(dataset: LoadedDataset, reuse: Reuse | None = None) -> Iterator[Artifact]:
    """Yield the RDF documents: whole dataset, ontology, shapes, and one per resource."""
    vocabulary = rdf_vocabulary(dataset)
    yield from whole_rdf_artifacts(dataset, vocabulary, reuse)
    yield from resource_rdf_artifacts(dataset, vocabulary, reuse)


def rdf_vocabulary(dataset: LoadedDataset) -> Vocabulary:
    """Return the prefixes and the JSON-LD context every RDF document of the site is written with."""
    uris = dataset.uris
    return Vocabulary(uris.prefixes(), exports.make_context(dataset.triples(), uris.prefixes()))


def whole_rdf_artifacts(
    dataset: LoadedDataset, vocabulary: Vocabulary, reuse: Reuse | None = None
) -> Iterator[Artifact]:
    """Yield the JSON-LD context and the documents of the whole dataset, ontology and shapes
    (the ontology's and the shapes' from the previous build where their triples are the same)."""
    uris = dataset.uris
    yield Artifact(uris.context_path, formats.JSONLD.media_type, _json(dict(vocabulary.context)))
    yield from _rdf_forms(uris.document_stem(uris.dataset), dataset.triples("ontology", "data"), vocabulary)
    documents = [(uris.ontology, "ontology"), (uris.shapes, "shapes")]
    documents += [(version, "ontology") for version in _version_iris(dataset)]
    for iri, part in documents:
        triples = dataset.triples(part)
        make = partial(_rdf_forms, uris.document_stem(iri), triples, vocabulary)
        yield from reuse.rdf_forms(iri, triples, vocabulary.context, make) if reuse else make()


def resource_rdf_artifacts(
    dataset: LoadedDataset, vocabulary: Vocabulary, reuse: Reuse | None = None
) -> Iterator[Artifact]:
    """Yield each resource's RDF documents (the previous build's where their inputs are the same)."""
    uris = dataset.uris
    for iri, triples in sorted(describe_resources(dataset).items()):
        make = partial(_rdf_forms, uris.document_stem(iri), triples, vocabulary)
        yield from reuse.rdf_forms(iri, triples, vocabulary.context, make) if reuse else make()


def _rdf_forms(stem: PurePosixPath, triples: list[ox.Triple], vocabulary: Vocabulary) -> list[Artifact]:
    """Return one document of ``triples`` in every RDF format of the registry."""
    return [
        Artifact(stem.with_name(fmt.path(stem.name)), fmt.media_type, fmt.write(triples, vocabulary))
        for fmt in formats.rdf_documents()
        if fmt.write is not None
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


def write_site(
    output: Path,
    artifacts: Iterable[Artifact],
    *,
    wait: float = 60.0,
    before_swap: Callable[[], None] | None = None,
) -> None:
    """Write ``artifacts`` into a new folder and swap it in place of ``output`` (see :func:`into_site`)."""
    into_site(output, lambda staging: staging.add_all(artifacts), wait=wait, before_swap=before_swap)


def into_site(
    output: Path,
    fill: Callable[[Staging], None],
    *,
    wait: float = 60.0,
    previous: Mapping[str, str] | None = None,
    threads: int = 4,
    before_swap: Callable[[], None] | None = None,
) -> dict[str, Written]:
    """Let ``fill`` hand every file of a new site to a :class:`~publish.staging.Staging` folder,
    then swap the folder in place of ``output``; return what was written, by path.

    Each file goes to disk as soon as it is handed in (``threads`` writers), checked by its own
    format's parser; one that fails stops the build before the swap. ``previous`` maps the
    paths of the current site to the SHA-256 its last build recorded: those files passed the
    check then and become hard links where the bytes are the same. ``before_swap`` is called
    once the new folder is written; if it raises, the folder is removed and the previous site
    stays (the build's DCAT-AP verdict, :mod:`publish.dcatap`).

    Builds beside one output take turns (a lock on its parent folder, waited for up to ``wait``
    seconds); each first removes what a killed build left behind (see :func:`remove_leftovers`).
    The previous site is renamed aside and removed in the background (:mod:`publish.sweep`).
    """
    folder: Path | None = None
    staging: Staging | None = None
    try:
        _check_replaceable(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        with _parent_lock(output, wait=wait):
            remove_leftovers(output)
            folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
            # The marker comes first, so a build killed at any later point leaves a folder the
            # next build recognises by name and marker as its own.
            (folder / MARKER).write_text("built by klyngedata; safe to replace\n", encoding="utf-8")
            folder.chmod(0o755)
            staging = Staging(folder, previous=previous or {}, site=output, threads=threads)
            fill(staging)
            broken = staging.finish()
            if broken:
                raise BuildError(
                    "the build made files their own format's parser rejects; nothing was published and "
                    f"{output} is unchanged. Report this as a bug in klyngedata, with:\n"
                    + "\n".join(f"  {line}" for line in broken[:20])
                )
            if before_swap is not None:
                before_swap()
            _swap(folder, output)
            _retire(folder)
            folder = None
            return staging.files
    except OSError as exc:
        raise BuildError(
            f"{output}: could not write the site ({_reason(exc)}); the previous site is unchanged. "
            "Check that the output's folder exists, is writable and has free space, or choose "
            "another output folder",
            parameter="output",
        ) from None
    finally:
        if staging is not None:
            staging.abandon()
        if folder is not None:
            sweep.remove_built(folder)


def _retire(previous: Path) -> None:
    """Rename the swapped-out site aside (a leftover by name) and remove it in the background."""
    if not previous.is_dir():
        return None
    retired = previous.with_name(previous.name.replace(".new-", ".old-"))
    try:
        os.rename(previous, retired)
    except OSError:
        sweep.remove_built(previous)
        return None
    sweep.in_background(retired)
    return None


def _reason(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


@contextmanager
def _parent_lock(output: Path, *, wait: float = 60.0) -> Iterator[None]:
    """Hold an exclusive lock on the output's parent folder (released when the process ends).

    Another build beside the same output is waited for, up to ``wait`` seconds. Where the file
    system cannot lock at all, the build goes on without the lock.
    """
    descriptor = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BuildError(
                        f"{output}: another klyngedata build has been writing beside it for "
                        f"{wait:g} s; wait for it to end, or stop it (build_lock_timeout sets the wait)",
                        parameter="build_lock_timeout",
                    ) from None
                time.sleep(0.2)
            except OSError:
                break  # no locks on this file system
        yield
    finally:
        os.close(descriptor)


def leftovers(output: Path) -> list[Path]:
    """Return the folders killed builds left beside ``output``.

    Only folders named like our staging folders (``.<output>.new-XXXXXXXX`` or ``.old-``) that
    hold our marker file, or are empty (killed before the marker was written), and are not
    symbolic links. Nothing else is ever touched.
    """
    if not output.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(output.name)}\.(new|old)-[a-z0-9_]{{8}}")
    found = []
    for path in output.parent.iterdir():
        if not pattern.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
            continue
        if (path / MARKER).is_file() or not any(path.iterdir()):
            found.append(path)
    return sorted(found)


def remove_leftovers(output: Path) -> None:
    """Remove what :func:`leftovers` finds (call it under the parent lock)."""
    for path in leftovers(output):
        sweep.remove_built(path)


def _check_replaceable(output: Path) -> None:
    try:
        exists, is_dir = output.exists(), output.is_dir()
        ours = not is_dir or not any(output.iterdir()) or (output / MARKER).exists()
    except OSError as exc:
        raise BuildError(f"{output}: cannot look at the output folder ({_reason(exc)})") from None
    if not exists:
        return
    if not is_dir:
        raise BuildError(
            f"{output}: exists and is not a folder; choose another output folder", parameter="output"
        )
    if not ours:
        raise BuildError(
            f"{output}: is a non-empty folder that klyngedata did not build (no {MARKER}); "
            "refusing to replace it — choose an empty or new output folder",
            parameter="output",
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
    sweep.in_background(retired)
