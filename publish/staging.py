"""The new site while it is being made: each file goes to disk as soon as it is planned.

A build hands every file to :class:`Staging` the moment a producer makes it, so the site is
never held in memory whole (at a million triples it is over a million files). The files are
written by a few threads, so the kernel's cost of creating files (about half a millisecond
each on some virtual disks) runs beside the planning instead of after it. On the way each file
is checked by its own format's parser (:mod:`publish.wellformed`), unless the previous build
wrote these very bytes at the same path (they passed then).

Files with the same bytes share one inode: the second and later are hard links to the first
(the stored releases repeat most of their files, so the real site has 1,765 distinct files of
5,063). A file the previous site holds with the same bytes is a hard link to that one. Where the
file system cannot link, the file is written.

Nothing is visible at the output until :meth:`Staging.swap`, which puts the new folder in
place of the old one in one step; any failure before it removes the new folder and leaves the
previous site as it was.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from . import children, formats, wellformed
from .artifact import Artifact


@dataclass(frozen=True, slots=True)
class Written:
    """What is kept of a file once it is handed in: its size and SHA-256 (not its bytes)."""

    size: int
    digest: bytes  # SHA-256

    def __reduce__(self) -> tuple[type[Written], tuple[int, bytes]]:
        """Pickle as the fields alone: a forked child sends one per file it wrote, and the
        default for a slots dataclass takes about twice as long both ways."""
        return (Written, (self.size, self.digest))

    @property
    def sha256(self) -> str:
        """The SHA-256 in hexadecimal, as the build's manifest records it."""
        return self.digest.hex()


class Staging:
    """Write a site's files into ``folder`` as they come, checked, deduplicated and in parallel.

    ``previous`` maps a path of the previous site (``site``) to the SHA-256 of its bytes: such
    a file was checked when it was built and becomes a hard link where the bytes are the same.
    At most ``pending`` files (by default 64 per thread) wait for one of the ``threads`` writers
    at any time, so memory stays bounded however fast the producers are.
    """

    def __init__(
        self,
        folder: Path,
        *,
        previous: Mapping[str, str],
        site: Path,
        threads: int = 4,
        pending: int = 0,
    ) -> None:
        self.folder = folder
        self.files: dict[str, Written] = {}
        self.problems: list[str] = []  # files their own parser rejects (appended by the writers)
        self._previous = previous
        self._site = site
        self._threads = max(1, threads)
        self._pool = self._new_pool()
        self._slots = threading.BoundedSemaphore(pending if pending > 0 else 64 * self._threads)
        # (SHA-256, format) → the first file with these bytes in this format, and its write
        # while it is not done (the check depends on the format, so sharing does too)
        self._first: dict[tuple[bytes, str], tuple[str, Future[None] | None]] = {}
        self._folders: set[str] = set()
        self._failed: BaseException | None = None
        # Paths as strings from here on: pathlib's joins cost more than the link they name.
        self._folder_text = os.fspath(folder)
        self._site_text = os.fspath(site)

    def add(self, artifact: Artifact) -> None:
        """Write one file (in the background); raise ``ValueError`` if its path is taken."""
        key = str(artifact.path)
        if key in self.files:
            raise ValueError(key)
        body = artifact.body
        digest = artifact.sha256 or hashlib.sha256(body).digest()
        self.files[key] = Written(len(body), digest)
        target = os.path.join(self._folder_text, key)
        parent = target.rpartition("/")[0]
        if parent not in self._folders:
            os.makedirs(parent, exist_ok=True)
            self._folders.add(parent)
        fmt = formats.site_format(key)
        same = (digest, fmt.name if fmt is not None else "")
        first = self._first.get(same)
        known = self._previous.get(key) == digest.hex()  # the previous site's bytes here: checked then
        if self._failed is not None:
            raise self._failed
        if self._linked(artifact, key, known, first, target):
            self._first.setdefault(same, (target, None))
            return
        self._slots.acquire()
        if self._failed is not None:
            self._slots.release()
            raise self._failed
        if first is not None:
            self._pool.submit(self._link, first, target).add_done_callback(self._done)
            return
        future = self._pool.submit(self._write, key, body, target, known or artifact.checked)
        self._first[same] = (target, future)
        future.add_done_callback(partial(self._written, same, target))

    def _linked(
        self,
        artifact: Artifact,
        key: str,
        known: bool,
        first: tuple[str, Future[None] | None] | None,
        target: str,
    ) -> bool:
        """Link the file here at once if its bytes are already on disk: a file of this build
        with the same bytes, written; or the previous site's file at this path, if the previous
        build recorded these bytes there and the file still holds them (checked just now by the
        producer, ``artifact.kept``, or here). A link is one system call: no writer thread, no
        second read or hash. False if not (the writer threads then write or link the file)."""
        if first is not None:
            source = first[0] if first[1] is None else None
        elif known:
            old = os.path.join(self._site_text, key)
            kept = artifact.kept
            source = (
                old
                if (kept is not None and os.fspath(kept) == old) or _same_file(old, artifact.body)
                else None
            )
        else:
            source = None
        if source is None:
            return False
        try:
            os.link(source, target)
        except OSError:
            return False
        return True

    def add_all(self, artifacts: Iterable[Artifact]) -> None:
        """Write each of ``artifacts``."""
        for artifact in artifacts:
            self.add(artifact)

    def settle(self) -> None:
        """Wait until every file handed in so far is on disk, with no writer thread left running.

        A process may then fork safely (the catalogue's check runs in a forked child,
        :mod:`publish.dcatap`); writer threads start again with the next file handed in.
        """
        self._pool.shutdown(wait=True)
        self._pool = self._new_pool()
        if self._failed is not None:
            raise self._failed

    def finish(self) -> list[str]:
        """Wait for every file to be on disk; return the problems the parsers found.

        Raises the first ``OSError`` a writer met.
        """
        self._pool.shutdown(wait=True)
        if self._failed is not None:
            raise self._failed
        return sorted(self.problems)

    def abandon(self) -> None:
        """Stop writing (after a failure): cancel what has not started, wait for what has."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def link_across(self, theirs: Mapping[str, Written]) -> None:
        """Make each file written here whose bytes a child wrote to another path a hard link to
        the child's file: as one process would have written them. The two processes take their
        parts as they come (:mod:`publish.shares`), so without this which files share an inode
        would depend on the timing (a stored release repeats hundreds of the current site's
        documents). Both files were checked where they were made: the same bytes, whatever the
        format."""
        self.settle()  # every file of ours on disk
        firsts: dict[bytes, str] = {}
        for path, written in theirs.items():
            firsts.setdefault(written.digest, path)
        for path, written in self.files.items():
            source = firsts.get(written.digest)
            if source is None:
                continue
            target = os.path.join(self._folder_text, path)
            origin = os.path.join(self._folder_text, source)
            if os.stat(origin).st_ino == os.stat(target).st_ino:
                continue  # already one file (both linked to the previous site's)
            spare = f"{target}.{os.getpid()}.link"  # beside it, then in its place in one step
            try:
                os.link(origin, spare)
                os.replace(spare, target)
            except OSError:  # no links here (or the name is taken): the file keeps its own bytes
                with suppress(OSError):
                    os.unlink(spare)

    def bytes_of(self, path: PurePosixPath) -> bytes:
        """Return the bytes of a file already handed in, read back from the new folder."""
        written = self.files[str(path)]
        fmt = formats.site_format(str(path))
        _first, future = self._first[(written.digest, fmt.name if fmt is not None else "")]
        if future is not None:
            future.result()
        return (self.folder / path).read_bytes()

    def _new_pool(self) -> ThreadPoolExecutor:
        # Its threads start with the first task, not before.
        return ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="klyngedata-write")

    def fork(
        self,
        produce: Callable[[], Iterable[Artifact]],
        result: Callable[[], object],
        *,
        redo: Callable[[], Iterable[Artifact]] | None = None,
    ) -> Forked | None:
        """Hand the files ``produce`` makes to a forked child that writes them into this folder.

        The child has its own writer threads; what it wrote joins this folder's record at
        :meth:`Forked.join`, with what ``result`` returned in the child; if it dies without its
        record, ``redo`` (else ``produce``) makes its files here. None where no child can be
        forked: no ``os.fork``, or threads running in this process (a fork could deadlock).
        """
        if not children.can_fork():
            return None
        self.settle()
        settings = (self.folder, self._previous, self._site, self._threads)
        child, reading = children.fork(_in_child, settings, produce, result)
        return Forked(self, child, reading, redo or produce)

    # ------------------------------------------------------------ in the writer threads

    def _write(self, key: str, body: bytes, target: str, checked: bool) -> None:
        if not checked:  # new bytes at this path: checked by their format's parser first
            self.problems.extend(wellformed.ill_formed([(key, body)]))
        Path(target).write_bytes(body)

    def _link(self, first: tuple[str, Future[None] | None], target: str) -> None:
        source, written = first
        if written is not None:
            written.result()  # started before this one: the pool takes work in order
        try:
            os.link(source, target)
        except OSError:
            Path(target).write_bytes(Path(source).read_bytes())

    def _written(self, same: tuple[bytes, str], target: str, future: Future[None]) -> None:
        self._first[same] = (target, None)  # drop the finished write: memory stays per file, small
        self._done(future)

    def _done(self, future: Future[None]) -> None:
        self._slots.release()
        if not future.cancelled() and (error := future.exception()) is not None and self._failed is None:
            self._failed = error


class Forked:
    """A child writing part of the site (:meth:`Staging.fork`)."""

    def __init__(
        self, staging: Staging, child: Any, reading: Any, produce: Callable[[], Iterable[Artifact]]
    ) -> None:
        self._staging, self._child, self._reading, self._produce = staging, child, reading, produce

    def join(self) -> tuple[bool, object]:
        """Wait for the child; take its files into the record. Return (True, its result), or
        (False, None) if the child died without an answer: its part was then made here."""
        answer = children.receive(self._child, self._reading)
        if isinstance(answer, BaseException):
            raise answer
        if not isinstance(answer, tuple):  # the child died: make its part here instead
            self._staging.add_all(self._produce())
            return False, None
        files, problems, result = answer
        staging = self._staging
        for path in files:
            if path in staging.files:
                raise ValueError(path)
        staging.link_across(files)
        staging.files.update(files)
        staging.problems.extend(problems)
        return True, result

    def abandon(self) -> None:
        """Stop the child (the build failed otherwise)."""
        children.stop(self._child, self._reading)


def _in_child(
    settings: tuple[Path, Mapping[str, str], Path, int],
    produce: Callable[[], Iterable[Artifact]],
    result: Callable[[], object],
    answer: Any,
    parent: int,
    parents_end: Any,
) -> None:
    """In the forked child: write ``produce``'s files, send what was written (or the error).

    It dies with the build (:mod:`publish.children`), and stops between files if it outlived it.
    """
    if not children.bind_to_parent(parent, parents_end):
        return
    folder, previous, site, threads = settings
    try:
        staging = Staging(folder, previous=previous, site=site, threads=threads)
        staging.add_all(_while_parent(parent, produce()))
        problems = staging.finish()
        found: object = (staging.files, problems, result())
    except Exception as exc:  # raised again in the parent
        found = exc
    children.answer(answer, found, parent)  # None if it cannot be sent: the parent makes this part itself


def _while_parent(parent: int, artifacts: Iterable[Artifact]) -> Iterator[Artifact]:
    """Yield the artifacts while the process that forked this one lives; leave at once if not."""
    for artifact in artifacts:
        if children.orphaned(parent):
            return  # nobody waits for the rest
        yield artifact


def _same_file(old: str, body: bytes) -> bool:
    """True if ``old`` holds exactly ``body`` (the previous site's file may have been edited)."""
    try:
        if os.stat(old).st_size != len(body):
            return False
        with open(old, "rb") as file:
            return file.read() == body
    except OSError:
        return False
