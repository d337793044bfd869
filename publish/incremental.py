"""Reuse, in a rebuild, every file an edit cannot change (issue 11: edit-to-preview).

A build is cut into *units* whose files are made together, and records each in a manifest
(``.klyngedata-cache/build-<output>.json`` in the project): the SHA-256 of everything the unit
was made from (its *key*), and the path, media type and SHA-256 of each file it made.

* ``rdf <iri>``: a resource's RDF documents, a pure function of its description, the JSON-LD
  vocabulary, the configuration and the code; the key hashes exactly those. So are the
  ontology's documents (and each of its versions') and the shapes' (their triples for a
  description).
* ``history``: the change history (:mod:`publish.changelog`), read like a page; its key also
  hashes the stored releases' records and what gone things are found by in the current data.
* ``page <iri> <lang>``: a resource's page and embeds in one language. Rendering reads the
  index of the whole graph (labels of what the page links to, statements pointing at it, lists
  of a class …), so while a unit renders, the index notes every entry it is asked for: a
  subject's statements (``o``), the statements pointing at an object (``i``), or the whole
  index (``*``, any iteration over it). The key hashes the code, configuration, interface text,
  shapes and the current content of every entry read.

A rebuild recomputes each unit's key over the *edited* data, from the entries the unit read last
time: if nothing it read changed, it would read the same entries again and render the same
bytes (a verifying trace, as in "Build systems à la carte"). Its files are then taken from the
current site, each checked against its recorded SHA-256. On any doubt (no manifest, another
format, a file missing or changed) the unit is made again. The whole dataset's documents, the
other list pages, the catalogue and the dump are always made again. Any file of the new site with the
bytes the previous build wrote at its path (the manifest's SHA-256, then compared byte for byte)
is a hard link to the previous file instead of a new one (``build.write_site``).

What keeps this sound: a page reads the data only through the index, while it renders. A value
derived from the data and kept from one page to the next (a memo of labels, say) would hide
the reads of every page after the first; such state is either part of the key (the strategy,
passed as ``also``) or must not exist. Memos of paths, CURIEs and links, made from the
configuration alone, are fine. tests/test_incremental.py compares rebuilt and cold sites byte
for byte, so a leak shows for the edits it makes.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import itertools
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyoxigraph as ox

from .artifact import Artifact
from .shapecache import FOLDER
from .view import Graph

FORMAT = "klyngedata build manifest 1"
PACKAGE = Path(__file__).resolve().parent
# Libraries whose version changes the bytes a build writes.
WRITERS = ("pyoxigraph", "jinja2", "markupsafe", "pyld")


@dataclass(frozen=True, slots=True)
class File:
    """One file of a unit: its site path, media type and SHA-256."""

    path: str
    media_type: str
    sha256: str

    def __reduce__(self) -> tuple[type[File], tuple[str, str, str]]:
        """Pickle as the fields alone (a forked child sends its units: twice as fast)."""
        return (File, (self.path, self.media_type, self.sha256))


@dataclass(frozen=True, slots=True)
class Unit:
    """What a unit was made from (its key and, for pages, the index entries read) and made."""

    key: str
    reads: tuple[str, ...]
    files: tuple[File, ...]

    def __reduce__(self) -> tuple[type[Unit], tuple[str, tuple[str, ...], tuple[File, ...]]]:
        """Pickle as the fields alone (a forked child sends its units: twice as fast)."""
        return (Unit, (self.key, self.reads, self.files))


@dataclass(frozen=True, slots=True)
class Manifest:
    """The units of one build, and the SHA-256 of every file of its site."""

    code: str
    units: Mapping[str, Unit] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)


@functools.cache
def code_fingerprint(root: Path = PACKAGE) -> str:
    """Return the SHA-256 of the package's files (code, templates, messages) and its writers' versions."""
    digest = hashlib.sha256(FORMAT.encode())
    for name in WRITERS:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\n{name} {version}".encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"\n{path.relative_to(root).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------- the manifest on disk


def manifest_path(project_dir: Path, output: Path) -> Path:
    """Return where the manifest of the site at ``output`` is kept."""
    return project_dir / FOLDER / f"build-{_hash(str(output.resolve()))[:16]}.json"


def read_manifest(path: Path) -> Manifest:
    """Return the manifest at ``path``; an empty one for anything but a sound file of our format."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            return Manifest("")
        names = document["reads"]
        units = {
            name: Unit(key, tuple(names[i] for i in reads), tuple(File(*entry) for entry in files))
            for name, (key, reads, files) in document["units"].items()
        }
        return Manifest(str(document["code"]), units, dict(document["files"]))
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return Manifest("")


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write the manifest atomically; quietly nothing where the project folder is read-only."""
    names = sorted({read for unit in manifest.units.values() for read in unit.reads})
    index = {name: i for i, name in enumerate(names)}
    units = (
        (name, [u.key, [index[r] for r in u.reads], [[f.path, f.media_type, f.sha256] for f in u.files]])
        for name, u in sorted(manifest.units.items())
    )
    head = {"format": FORMAT, "code": manifest.code, "reads": names}
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(_json(head)[:-1] + ',"units":{')
                _write_members(out, units)
                out.write('},"files":{')
                _write_members(out, iter(sorted(manifest.files.items())))
                out.write("}}")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _write_members(out: Any, members: Iterator[tuple[str, object]], batch: int = 4096) -> None:
    """Write an object's members (without its braces) a batch at a time: ``json.dump`` to a file
    encodes in Python, ``json.dumps`` in C, and a batch keeps the text small at any scale."""
    first = True
    while chunk := dict(itertools.islice(members, batch)):
        out.write(("" if first else ",") + _json(chunk)[1:-1])
        first = False


# ---------------------------------------------------------------- recording what a page reads


class _Recorder:
    """The entries read while a unit renders (None: not recording)."""

    def __init__(self) -> None:
        self.reads: set[str] | None = None
        self.members = True  # note membership tests of the resources (False: the key holds them)


class _Entries(defaultdict[str, Any]):
    """A view index (by subject or by object) that notes which entries are read while recording."""

    def __init__(self, source: defaultdict[str, Any], kind: str, recorder: _Recorder) -> None:
        super().__init__(source.default_factory, source)
        self.kind = kind
        self.recorder = recorder

    def _note(self, key: object) -> None:
        if self.recorder.reads is not None:
            self.recorder.reads.add(f"{self.kind}{key}")

    def _whole(self) -> None:
        if self.recorder.reads is not None:
            self.recorder.reads.add("*")

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return super().__iter__()

    def __len__(self) -> int:
        self._whole()
        return super().__len__()

    def keys(self) -> Any:
        self._whole()
        return super().keys()

    def values(self) -> Any:
        self._whole()
        return super().values()

    def items(self) -> Any:
        self._whole()
        return super().items()

    def content(self, key: str) -> str:
        """Return an entry's statements as text, without noting the read."""
        entry = dict.get(self, key) or {}
        return "\n".join(f"{p}\t{v}" for p in sorted(entry) for v in entry[p])

    def everything(self) -> str:
        """Return every entry's statements as text, without noting the read."""
        return "\n".join(f"{key}\n{self.content(key)}" for key in sorted(dict.keys(self)))


class _Members(frozenset[str]):
    """The set of resources that get a page; a membership test reads the subject's entry."""

    recorder: _Recorder

    def __new__(cls, members: Iterable[str], recorder: _Recorder) -> _Members:
        made = super().__new__(cls, members)
        made.recorder = recorder
        return made

    def __contains__(self, key: object) -> bool:
        if self.recorder.reads is not None and self.recorder.members:
            self.recorder.reads.add(f"o{key}")
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        if self.recorder.reads is not None:
            self.recorder.reads.add("*")
        return super().__iter__()

    def __len__(self) -> int:
        if self.recorder.reads is not None:
            self.recorder.reads.add("*")
        return super().__len__()


class _Index:
    """A graph whose index records reads, and the digests of its entries (computed once each)."""

    def __init__(self, graph: Graph) -> None:
        self.recorder = _Recorder()
        members = graph.resources  # computed now, before the index records
        self.out = _Entries(graph.out, "o", self.recorder)  # type: ignore[arg-type]
        self.inc = _Entries(graph.inc, "i", self.recorder)  # type: ignore[arg-type]
        graph.out, graph.inc = self.out, self.inc
        graph.__dict__["resources"] = _Members(members, self.recorder)
        self._digests: dict[str, str] = {}

    def digest(self, read: str) -> str:
        """Return the SHA-256 of what one entry holds now."""
        if read not in self._digests:
            if read == "*":
                text = self.out.everything()
            else:
                text = (self.out if read[0] == "o" else self.inc).content(read[1:])
            self._digests[read] = _hash(text)
        return self._digests[read]

    @contextmanager
    def recording(self, *, members: bool = True) -> Iterator[set[str]]:
        """Note every entry read inside the block into the set yielded (membership tests of the
        resources too, unless ``members`` is False)."""
        reads: set[str] = set()
        self.recorder.reads, self.recorder.members = reads, members
        try:
            yield reads
        finally:
            self.recorder.reads, self.recorder.members = None, True


# ---------------------------------------------------------------- one build's reuse


class Reuse:
    """What a build may take from the previous one, and what it records for the next.

    ``context`` is the SHA-256 of what every unit depends on (code, configuration, interface
    text, shapes); ``site`` the folder of the previous site, where reused files are read.
    """

    def __init__(self, previous: Manifest, site: Path, context: str) -> None:
        self.previous = previous if previous.code == code_fingerprint() else Manifest("")
        self.site = site
        self.context = context
        self.units: dict[str, Unit] = {}
        self.reused = 0
        self.made = 0
        self._indexes: dict[int, _Index] = {}
        self._context_digest: tuple[object, str] = (None, "")

    def rdf_forms(
        self,
        iri: str,
        triples: Sequence[ox.Triple],
        context: Mapping[str, Any],
        make: Callable[[], list[Artifact]],
    ) -> list[Artifact]:
        """Return a resource's RDF documents: the previous build's where their inputs are the same."""
        if self._context_digest[0] is not context:  # the same context for every resource: hashed once
            self._context_digest = (context, _hash(json.dumps(context, sort_keys=True)))
        key = _hash(self.context, iri, self._context_digest[1], *map(str, triples))
        name = f"rdf {iri}"
        old = self.previous.units.get(name)
        if old is not None and old.key == key and (found := self._take(old)) is not None:
            self.units[name] = old
            return found
        return self._made(name, key, (), make())

    def pages(
        self, graph: Graph, iri: str, lang: str, also: str, make: Callable[[], list[Artifact]]
    ) -> list[Artifact]:
        """Return a resource's page and embeds in one language: the previous build's where
        nothing they read changed. ``also`` names state the graph's index does not hold."""
        return self.unit(f"page {iri} {lang}", graph, also, make)

    def unit(
        self,
        name: str,
        graph: Graph,
        also: str,
        make: Callable[[], list[Artifact]],
        *,
        members_in_also: bool = False,
    ) -> list[Artifact]:
        """Return the files of the unit ``name``: the previous build's where nothing ``make`` read
        of ``graph``'s index changed and ``also`` (what else they depend on) is the same.

        ``members_in_also``: ``also`` holds the whole set of resources with a page, so a test
        whether a thing has one is not noted as a read of its statements."""
        index = self._index(graph)
        old = self.previous.units.get(name)
        if old is not None and old.key == self._page_key(index, also, old.reads):
            found = self._take(old)
            if found is not None:
                self.units[name] = old
                return found
        with index.recording(members=not members_in_also) as reads:
            artifacts = make()
        ordered = tuple(sorted(reads))
        return self._made(name, self._page_key(index, also, ordered), ordered, artifacts)

    def handover(self, before: Collection[str], reused: int, made: int) -> tuple[dict[str, Unit], int, int]:
        """Return what was recorded since a point (the unit names then, and the two counts): the
        part a forked child made, for :meth:`absorb` in the parent."""
        units = {name: unit for name, unit in self.units.items() if name not in before}
        return units, self.reused - reused, self.made - made

    def absorb(self, handed: tuple[dict[str, Unit], int, int]) -> None:
        """Take in what a forked child recorded (:meth:`handover`)."""
        units, reused, made = handed
        self.units.update(units)
        self.reused += reused
        self.made += made

    def manifest(self, files: Mapping[str, str]) -> Manifest:
        """Return this build's manifest, with the SHA-256 of every file of its site (``files``, by path)."""
        return Manifest(code_fingerprint(), dict(self.units), dict(files))

    def forget_indexes(self) -> None:
        """Drop the digests of the graphs read so far (and with them the graphs): for memory,
        once no more units are made here."""
        self._indexes.clear()

    def _index(self, graph: Graph) -> _Index:
        if id(graph) not in self._indexes:
            self._indexes[id(graph)] = _Index(graph)
        return self._indexes[id(graph)]

    def _page_key(self, index: _Index, also: str, reads: Sequence[str]) -> str:
        return _hash(self.context, also, *(f"{read} {index.digest(read)}" for read in reads))

    def _take(self, unit: Unit) -> list[Artifact] | None:
        """Return the unit's files from the previous site, if every one is there unchanged."""
        found: list[Artifact] = []
        for file in unit.files:
            path = self.site / file.path
            try:
                body = path.read_bytes()
            except OSError:
                return None
            digest = hashlib.sha256(body).digest()
            if digest.hex() != file.sha256:
                return None
            found.append(Artifact(PurePosixPath(file.path), file.media_type, body, path, digest))
        self.reused += 1
        return found

    def _made(self, name: str, key: str, reads: tuple[str, ...], artifacts: list[Artifact]) -> list[Artifact]:
        """Record a unit just made; return its files, each with its SHA-256 (the staging folder
        uses it instead of hashing the bytes again)."""
        self.made += 1
        digests = [a.sha256 or hashlib.sha256(a.body).digest() for a in artifacts]
        pairs = list(zip(artifacts, digests, strict=True))
        self.units[name] = Unit(key, reads, tuple(File(str(a.path), a.media_type, d.hex()) for a, d in pairs))
        return [a if a.sha256 else a.with_sha256(d) for a, d in pairs]


def context_key(*parts: str) -> str:
    """Return the SHA-256 of what every unit depends on, given as text."""
    return _hash(code_fingerprint(), *parts)
