"""The release history: immutable releases stored in the repository, under ``data/releases/<VERSION>/``.

Each release folder holds

    release.toml     version, issued (a date), notes (one text per language), previous version,
                     and the SHA-256 of every stored file ([files]: site path → sha256)
    dataset.nq       the release's whole input (graphs graph/ontology, graph/data, graph/shapes),
                     sorted N-Quads: the diffable truth of what the release said
    files.tar.gz     the release's published RDF files (dumps, catalogue, per-resource
                     descriptions), byte for byte, as one reproducible archive

The archive keeps the frozen ``.ttl`` files out of the loader's reach (it reads every ``*.ttl``
below data/) and makes one file per release in git. ``build`` copies every stored file into the
site at ``release/<VERSION>/…`` unchanged, after checking its checksum; ``release`` (publish.freeze)
writes a new folder. Nothing here rewrites a release.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import re
import tarfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from .artifact import Artifact
from .config import Config
from .errors import BuildError, LoadError, UsageError
from .formats import media_type_of
from .uris import Uris

RELEASES = "releases"  # the folder below data_dir
RELEASE_FILE = "release.toml"
DATASET_FILE = "dataset.nq"
ARCHIVE_FILE = "files.tar.gz"
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Release:
    """One stored release: its version, issue date, notes and folder."""

    version: str
    issued: datetime.date
    notes: Mapping[str, str]  # language → text
    previous: str | None
    folder: Path  # data/releases/<version>
    files: Mapping[str, str] = field(default_factory=dict)  # site path below release/<version>/ → sha256
    dataset_sha256: str = ""
    archive_sha256: str = ""
    # The parsed dataset.nq, filled on first use (a release never changes).
    _store: list[ox.Store] = field(default_factory=list, compare=False, repr=False)
    # Checked file contents by name, kept while the file's (size, mtime_ns) stays the same.
    _kept: dict[str, tuple[tuple[int, int], object]] = field(default_factory=dict, compare=False, repr=False)

    def dataset(self) -> ox.Store:
        """Return the release's input (its dataset.nq) in a store, parsed once; do not change it."""
        if not self._store:
            store = ox.Store()
            store.bulk_load(self.dataset_bytes(), format=ox.RdfFormat.N_QUADS)
            self._store.append(store)
        return self._store[0]

    def quads(self) -> list[ox.Quad]:
        """Return the release's input quads, in file order (sorted)."""
        found = self._once(DATASET_FILE + " quads", self._parse_quads)
        assert isinstance(found, list)
        return list(found)

    def dataset_bytes(self) -> bytes:
        """Return dataset.nq as stored, after checking its checksum."""
        found = self._once(DATASET_FILE, self._checked_dataset)
        assert isinstance(found, bytes)
        return found

    def stored_files(self) -> dict[PurePosixPath, bytes]:
        """Return every frozen file (site path below release/<version>/ → bytes), each checked.

        The archive is unpacked and checked once while its size and mtime stay the same.
        """
        found = self._once(ARCHIVE_FILE, self._unpacked)
        assert isinstance(found, dict)
        return dict(found)

    def site_artifacts(self, uris: Uris) -> list[Artifact]:
        """Return :meth:`stored_files` as the site's files at release/<version>/…, sorted; made
        once while the archive keeps its size and mtime (``serve --watch`` rebuilds often)."""

        def make() -> list[Artifact]:
            found = []
            for path, body in sorted(self.stored_files().items()):
                # Frozen after the same parsers checked them; the SHA-256 was just compared.
                digest = bytes.fromhex(self.files[str(path)])
                site = uris.release_path(self.version, path)
                found.append(Artifact(site, media_type_of(str(path)), body, sha256=digest, checked=True))
            return found

        made = self._once(f"{ARCHIVE_FILE} artifacts {uris.base}", make)
        assert isinstance(made, list)
        return list(made)

    def _once(self, name: str, make: Callable[[], object]) -> object:
        """Return ``make()``, kept while the file behind ``name`` keeps its size and mtime."""
        stamp = _stamp(self.folder / name.split(" ")[0])
        kept = self._kept.get(name)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        value = make()
        if stamp is not None:
            self._kept[name] = (stamp, value)
        return value

    def _parse_quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.dataset_bytes(), format=ox.RdfFormat.N_QUADS))

    def _checked_dataset(self) -> bytes:
        path = self.folder / DATASET_FILE
        body = _read(path)
        _check_sum(path, body, self.dataset_sha256)
        return body

    def _unpacked(self) -> dict[PurePosixPath, bytes]:
        path = self.folder / ARCHIVE_FILE
        archive = _read(path)
        _check_sum(path, archive, self.archive_sha256)
        found = unpack(archive, where=path)
        named = {str(p) for p in found}
        if named != set(self.files):
            odd = sorted(named ^ set(self.files))[:5]
            raise BuildError(
                _tampered(path, f"holds other files than {RELEASE_FILE} lists ({', '.join(odd)})")
            )
        for member, body in found.items():
            _check_sum(path, body, self.files[str(member)], member=str(member))
        return found


def releases_dir(config: Config) -> Path:
    """Return the folder that holds the release history (data/releases)."""
    return config.data_dir / RELEASES


def check_version(version: str) -> str:
    """Return ``version`` if it can name a release folder and a site path; else raise a UsageError."""
    if not VERSION.match(version):
        raise UsageError(
            f"{version!r} cannot name a release: use 1–32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. 2020.03)",
            parameter="version",
        )
    return version


# Releases read before, by folder: kept while every release.toml keeps its size and mtime.
_LOADED: dict[Path, tuple[tuple[tuple[str, tuple[int, int] | None], ...], list[Release]]] = {}


def load_releases(config: Config) -> list[Release]:
    """Return every stored release, sorted by issue date, then version; [] if there is none.

    A build asks several times; the folder is read again only when a release folder or its
    release.toml was added, removed or changed (name, size, mtime_ns), so the answer is the
    same as reading it afresh.
    """
    folder = releases_dir(config)
    if not folder.is_dir():
        return []
    children = [
        child
        for child in sorted(folder.iterdir())
        if child.is_dir() and not child.name.startswith(".")  # a release being written
    ]
    key = tuple((child.name, _stamp(child / RELEASE_FILE)) for child in children)
    kept = _LOADED.get(folder)
    if kept is not None and kept[0] == key and all(stamp is not None for _, stamp in key):
        return list(kept[1])
    found = [read_release(child, project=config.project_dir) for child in children]
    ordered = sorted(found, key=lambda r: (r.issued, r.version))
    _LOADED[folder] = (key, ordered)
    return list(ordered)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Return a file's (size, mtime_ns); None if it cannot be read."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def read_release(folder: Path, *, project: Path) -> Release:
    """Read one release folder's release.toml; raise LoadError naming the file and the value."""
    path = folder / RELEASE_FILE
    shown = _shown(path, project)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(f"is missing; a release folder needs its {RELEASE_FILE}", file=shown) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise LoadError(f"cannot be read as TOML ({exc})", file=shown) from None
    version, issued, previous = table.get("version"), table.get("issued"), table.get("previous")
    notes, files = table.get("notes", {}), table.get("files", {})
    problems = []
    if version != folder.name:
        problems.append(f"version {version!r} differs from the folder name {folder.name!r}")
    if type(issued) is not datetime.date:
        problems.append(f"issued must be a date like 2020-03-05, got {issued!r}")
    if previous is not None and not isinstance(previous, str):
        problems.append(f"previous must be a version, got {previous!r}")
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        problems.append("notes must be a table of texts by language")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        problems.append("files must be a table of site path = sha256")
    sums = {key: table.get(key) for key in ("dataset_sha256", "archive_sha256")}
    problems += [f"{key} must be a SHA-256 in hex" for key, value in sums.items() if not _is_sha(value)]
    if problems:
        raise LoadError("; ".join(problems) + "; restore the file from git", file=shown)
    assert isinstance(version, str) and type(issued) is datetime.date
    return Release(
        version=version,
        issued=issued,
        notes=dict(notes),
        previous=previous,
        folder=folder,
        files=dict(files),
        dataset_sha256=str(sums["dataset_sha256"]),
        archive_sha256=str(sums["archive_sha256"]),
    )


def latest_on(releases: Iterable[Release], day: datetime.date) -> Release | None:
    """Return the latest release issued on or before ``day`` (None: none was issued yet)."""
    issued = [r for r in releases if r.issued <= day]
    return issued[-1] if issued else None


def site_path(version: str, path: PurePosixPath | str = "") -> PurePosixPath:
    """Return the site path of a release's folder or one of its files (:meth:`Uris.release_path`)."""
    return Uris("").release_path(version, path)


def release_artifacts(config: Config) -> list[Artifact]:
    """Return every stored release's files for the site, unchanged, at release/<version>/….

    Each file's SHA-256 is checked against its release.toml first; a difference raises a
    BuildError naming the file (nothing is published).
    """
    artifacts = []
    for release in load_releases(config):
        release.dataset_bytes()  # checked too, though only query and diff read it
        artifacts += release.site_artifacts(config.uris)
    return artifacts


# ---------------------------------------------------------------- archives


def pack(files: Mapping[PurePosixPath, bytes]) -> bytes:
    """Return a reproducible tar.gz of ``files``: sorted names, no times, owners or modes of ours."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files, key=str):
            info = tarfile.TarInfo(str(path))
            info.size, info.mtime, info.mode = len(files[path]), 0, 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def unpack(archive: bytes, *, where: Path) -> dict[PurePosixPath, bytes]:
    """Return the regular files of a release archive; anything else in it is refused."""
    found: dict[PurePosixPath, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
            for info in tar.getmembers():
                path = PurePosixPath(info.name)
                if not info.isfile() or path.is_absolute() or ".." in path.parts:
                    raise BuildError(_tampered(where, f"holds {info.name!r}, which is not a plain file path"))
                extracted = tar.extractfile(info)
                assert extracted is not None
                found[path] = extracted.read()
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise BuildError(_tampered(where, f"is not a readable archive ({exc})")) from None
    return found


def sha256(body: bytes) -> str:
    """Return the SHA-256 of some bytes, in hex."""
    return hashlib.sha256(body).hexdigest()


def _check_sum(path: Path, body: bytes, expected: str, *, member: str = "") -> None:
    if sha256(body) != expected:
        what = f"{member} in it" if member else "it"
        raise BuildError(_tampered(path, f"{what} differs from the SHA-256 in {RELEASE_FILE}"))


def _tampered(path: Path, what: str) -> str:
    return (
        f"{path}: {what}. A release is immutable: nothing was published. Restore the release "
        f"folder from git (git checkout -- {path.parent}); to publish a change, make a new "
        "release instead"
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BuildError(_tampered(path, f"cannot be read ({exc.strerror})")) from None


def _is_sha(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _shown(path: Path, project: Path) -> str:
    try:
        return str(path.resolve().relative_to(project))
    except ValueError:
        return str(path)
