"""The build streams its files to disk (publish.staging): bounded memory, shared inodes, same checks.

Issue 11 measured that every file of the site was held in memory until the swap (the 100k site
is 122k files, 696 MB; the 1M build reached 8.8 GiB still planning). These tests build tiny real
projects with the CLI's own code path and look at the disk and at Python's allocator.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import threading
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from conftest import copy_project, hashes, make_tiny

import publish.build as build
from publish.artifact import Artifact
from publish.build import write_site
from publish.config import load_config
from publish.errors import BuildError
from publish.staging import Staging


def _inodes(site: Path) -> dict[str, set[tuple[int, int]]]:
    """SHA-256 of every file's bytes → the inodes holding them."""
    found: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for path in site.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[hashlib.sha256(path.read_bytes()).hexdigest()].add((info.st_dev, info.st_ino))
    return found


def test_the_real_site_keeps_repeated_files_once(built_site: Path) -> None:
    """Files with the same bytes (the stored releases repeat most of theirs) share one inode,
    whichever of the build's two processes made them (they take their parts as they come)."""
    inodes = _inodes(built_site)
    files = sum(1 for p in built_site.rglob("*") if p.is_file())
    held = sum(len(found) for found in inodes.values())
    assert held == len(inodes) < files / 2, f"{held} inodes for {files} files of {len(inodes)} contents"


def test_a_build_does_not_hold_its_files_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """100 MB of files pass through a build whose traced peak stays far below it."""
    project = make_tiny(tmp_path / "tiny")
    config = load_config(project)
    produced = build.produce
    size, count = 50_000, 2_000

    def bulky(*args: Any, **kwargs: Any) -> Iterator[Artifact]:
        yield from produced(*args, **kwargs)
        for i in range(count):  # distinct bytes: none is a hard link to another
            body = f"{i:08d}\n".encode() * (size // 9)
            yield Artifact(PurePosixPath(f"bulk/{i // 100}/{i}.txt"), "text/plain", body)

    monkeypatch.setattr(build, "produce", bulky)
    tracemalloc.start()
    try:
        result = build.build(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    bulk = sum(p.stat().st_size for p in (project / "site" / "bulk").rglob("*.txt"))
    assert result.files > count and bulk > 99_000_000
    assert peak < bulk / 4, f"peak {peak:,} bytes while {bulk:,} bytes of files went through"


def test_a_shared_body_is_still_checked_as_its_own_format(tmp_path: Path) -> None:
    """Bytes that pass as plain text but not as JSON are rejected at the .json path, though the
    same bytes were written (and would be linked) at a .txt path first."""
    site = tmp_path / "site"
    body = b"not json\n"
    artifacts = [
        Artifact(PurePosixPath("a/notes.txt"), "text/plain", body),
        Artifact(PurePosixPath("b/data.json"), "application/json", body),
    ]
    with pytest.raises(BuildError, match=r"b/data\.json"):
        write_site(site, artifacts)
    assert not site.exists()
    assert not [p for p in tmp_path.iterdir() if ".new-" in p.name]


def test_a_failing_writer_stops_the_build_and_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_tiny(tmp_path / "tiny")
    config = load_config(project)
    build.build(config)
    before = hashes(project / "site")
    real_write = Path.write_bytes
    calls: list[int] = []

    def full_disk(self: Path, data: bytes) -> int:
        calls.append(1)
        if len(calls) > 20:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    shutil.rmtree(project / ".klyngedata-cache")  # no manifest: every file is written, not linked
    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(BuildError, match="No space left on device"):
        build.build(load_config(project))
    assert hashes(project / "site") == before
    assert not [p for p in project.iterdir() if ".new-" in p.name or ".old-" in p.name]


def test_the_producer_waits_while_pending_files_are_not_written(tmp_path: Path) -> None:
    """With ``pending=3`` and the one writer held up, a producer gets no further than 4 files."""
    folder = tmp_path / "new"
    folder.mkdir()
    staging = Staging(folder, previous={}, site=tmp_path / "old", threads=1, pending=3)
    gate = threading.Event()
    real = staging._write

    def held(key: str, body: bytes, target: Path, old: Path | None) -> None:
        gate.wait(30)
        real(key, body, target, old)

    staging._write = held  # type: ignore[method-assign]
    produced: list[int] = []

    def files() -> Iterator[Artifact]:
        for i in range(50):
            produced.append(i)
            yield Artifact(PurePosixPath(f"f{i}.txt"), "text/plain", f"{i}\n".encode())

    producer = threading.Thread(target=staging.add_all, args=(files(),))
    producer.start()
    time.sleep(1.0)
    held_at = len(produced)
    gate.set()
    producer.join(30)
    assert held_at == 4  # three waiting for the writer, the fourth waiting for a place
    assert staging.finish() == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"f{i}.txt" for i in range(50))


def test_write_threads_is_a_checked_config_key(tmp_path: Path) -> None:
    from publish.errors import ConfigError

    project = make_tiny(tmp_path / "tiny")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write("write_threads = 0\n")
    with pytest.raises(ConfigError, match="write_threads"):
        load_config(project)


def _with(project: Path, line: str) -> Path:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write(line + "\n")
    return project


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The tiny project built in one process: what the forked build must equal."""
    project = _with(make_tiny(tmp_path_factory.mktemp("one") / "tiny"), "build_processes = 1")
    build.build(load_config(project))
    return hashes(project / "site")


def test_pages_made_in_a_child_equal_one_process(tmp_path: Path, one_process: dict[str, str]) -> None:
    project = make_tiny(tmp_path / "tiny")
    forked: list[int] = []
    real_fork = Staging.fork

    def counting(self: Staging, *args: Any, **options: Any) -> Any:
        found = real_fork(self, *args, **options)
        forked.append(found is not None)
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Staging, "fork", counting)
        result = build.build(load_config(project))
    assert forked == [True]
    assert hashes(project / "site") == one_process
    assert result.units > 0
    again = build.build(load_config(project))  # the child's units are in the manifest
    assert again.reused == again.units == result.units


def test_with_another_thread_running_a_build_forks_nothing_and_makes_the_same_site(
    tmp_path: Path, one_process: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in `serve --watch`: a fork beside a running thread could copy a held lock, so neither
    the pages' child nor the catalogue's checker is forked, and the site is the same."""
    import multiprocessing
    import threading

    project = make_tiny(tmp_path / "tiny")
    forks: list[str] = []
    real = multiprocessing.get_context

    def noting(method: str | None = None) -> Any:
        forks.append(str(method))
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", noting)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        build.build(load_config(project))
    finally:
        stop.set()
        other.join()
    assert forks == []
    assert hashes(project / "site") == one_process
    build.build(load_config(project))  # and with no other thread, both children again
    assert forks == ["fork", "fork"]


def test_a_child_that_dies_leaves_its_pages_to_the_parent(
    tmp_path: Path, one_process: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_tiny(tmp_path / "tiny")
    parent = os.getpid()
    real = build.html.Pages.resource_pages

    def dying(self: Any, lang: str, iris: Any) -> Iterator[Artifact]:
        if os.getpid() != parent:
            os._exit(3)  # killed, as by the OOM killer, holding a part it took: no answer on the pipe
        yield from real(self, lang, iris)

    monkeypatch.setattr(build.html.Pages, "resource_pages", dying)
    build.build(load_config(project))
    assert hashes(project / "site") == one_process


def test_an_error_in_the_child_stops_the_build_and_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_tiny(tmp_path / "tiny")
    build.build(load_config(project))
    before = hashes(project / "site")
    parent = os.getpid()
    real = build.html.Pages.resource_pages

    def failing(self: Any, lang: str, iris: Any) -> Iterator[Artifact]:
        if os.getpid() != parent:
            raise BuildError(f"a page in {lang} could not be made")
        yield from real(self, lang, iris)

    monkeypatch.setattr(build.html.Pages, "resource_pages", failing)
    (project / ".klyngedata-cache").rename(project / "cache-aside")  # a cold build
    with pytest.raises(BuildError, match="a page in (da|en) could not be made"):  # whichever it took
        build.build(load_config(project))
    assert hashes(project / "site") == before
    assert not [p for p in project.iterdir() if ".new-" in p.name]


def test_a_stored_releases_files_are_compared_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`klyngedata release` parsed each file of a release when it froze it and recorded its
    SHA-256; a build compares the SHA-256 (a tampered file stops it, tests/test_releases.py) and
    the staging folder does not parse those bytes again. Every other new file is parsed."""
    from publish import wellformed

    project = copy_project(tmp_path / "project")
    assert sorted((project / "data" / "releases").iterdir())  # the real project has releases
    parsed: list[str] = []
    real = wellformed.check_for

    def noting(path: str) -> Any:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(wellformed, "check_for", noting)
    config = load_config(project)
    build.build(dataclasses.replace(config, build_processes=1))  # every file made in this process
    site = project / "site"
    stored = {p.relative_to(site).as_posix() for p in (site / "release").rglob("*") if p.is_file()}
    assert len(stored) > 1000 and not stored & set(parsed)
    made = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} - stored
    assert {"dataset.ttl", "dataset.jsonld", "catalog.ttl", "index.html"} <= set(parsed)
    # A file with the bytes of a stored file of its format is linked to it: parsed at the freeze.
    frozen = {(PurePosixPath(p).suffix, hashes_of(site / p)) for p in stored}
    unparsed = {p for p in made - set(parsed) if p != ".klyngedata-site"}
    assert unparsed  # the data did not change since the last release: its documents are linked
    assert {p for p in unparsed if (PurePosixPath(p).suffix, hashes_of(site / p)) not in frozen} == set()


def hashes_of(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def test_the_indexed_data_is_freed_before_the_childs_record_arrives(
    tmp_path: Path, one_process: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a million triples the build's peak memory was the indexed graphs, the sorted triples
    and the child's record of its files, all at once: the first two are freed when this
    process has made its files, before the record is received. The site is the same."""
    import gc

    from publish.html import Site
    from publish.staging import Forked

    project = make_tiny(tmp_path / "tiny")
    alive: list[int] = []
    real = Forked.join

    def counting(self: Forked) -> tuple[bool, object]:
        gc.collect()
        alive.append(sum(1 for o in gc.get_objects() if isinstance(o, Site)))
        return real(self)

    monkeypatch.setattr(Forked, "join", counting)
    build.build(load_config(project))
    assert alive == [0]
    assert hashes(project / "site") == one_process


def test_an_artifact_with_its_digest_keeps_every_other_field(tmp_path: Path) -> None:
    """`Artifact.with_sha256` is `dataclasses.replace` written out: a field added later must be
    copied too."""
    whole = Artifact(PurePosixPath("a/b.ttl"), "text/turtle", b"x", tmp_path / "b.ttl", b"old", True)
    assert whole.with_sha256(b"new") == dataclasses.replace(whole, sha256=b"new")
    assert {f.name for f in dataclasses.fields(Artifact)} == {
        "path",
        "media_type",
        "body",
        "kept",
        "sha256",
        "checked",
    }
