"""The repository stands alone: the source pages and the official artefacts are in it, traceably.

The source pages behind the data are in ``data/sources`` (origin and checksums in its
``SOURCE.md``); the official artefacts the tests check against are in ``tests/vocab``, each
folder with the standards kit's ``SOURCE.md`` (repository, path, commit, licence, bytes).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from conftest import SOURCES, VENDOR

from publish.build import plan
from publish.config import load_config
from publish.dataset import load

# Files of the kit that no upstream source note lists, with where they are described instead.
UNLISTED = {"eu-nal/missing-tables-stubs.ttl": VENDOR / "README.md"}


def vendored_files() -> list[Path]:
    """Return every vendored artefact (not the notes), sorted."""
    notes = {"SOURCE.md", "README.md"}
    return sorted(p for p in VENDOR.rglob("*") if p.is_file() and p.name not in notes)


def recorded_size(note: str, relative: str) -> int | None:
    """Return the byte count the source note records for ``relative`` (its table or its prose)."""
    header: list[str] | None = None
    for line in note.splitlines():
        if not line.startswith("|"):
            header = None
            prose = re.search(rf"`{re.escape(relative)}` \((\d+) bytes", line)
            if prose:
                return int(prose.group(1))
            continue
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if "bytes" in cells:
            header = cells
        elif header is not None and cells[0] == relative:
            return int(cells[header.index("bytes")])
    return None


def _folder_and_name(path: Path) -> tuple[Path, str]:
    folder = VENDOR / path.relative_to(VENDOR).parts[0]
    return folder, path.relative_to(folder).as_posix()


def test_the_vendored_folders_hold_the_files_the_tests_read() -> None:
    folders = {p.name for p in VENDOR.iterdir() if p.is_dir()}
    assert folders == {
        "dcat-ap-3.0.1",
        "dcat-ap-dk",
        "eu-nal",
        "mqa",
        "prefixcc-harvest",
        "schemaorg",
        "void",
        "w3c-ns",
    }
    assert len(vendored_files()) == 30  # 24 + the DCAT-AP-DK strict shapes + the MQA's five
    for folder in folders:
        note = (VENDOR / folder / "SOURCE.md").read_text(encoding="utf-8")
        assert re.search(r"`[0-9a-f]{7,40}`|@ [0-9a-f]{7,40}\b", note), f"{folder}/SOURCE.md names no commit"
        assert "licen" in note.lower(), f"{folder}/SOURCE.md names no licence"


@pytest.mark.parametrize("path", vendored_files(), ids=lambda p: p.relative_to(VENDOR).as_posix())
def test_every_vendored_file_has_the_size_its_source_note_records(path: Path) -> None:
    folder, relative = _folder_and_name(path)
    key = f"{folder.name}/{relative}"
    if key in UNLISTED:
        assert f"`{key}`" in UNLISTED[key].read_text(encoding="utf-8")
        return
    size = recorded_size((folder / "SOURCE.md").read_text(encoding="utf-8"), relative)
    assert size == path.stat().st_size, f"{key}: SOURCE.md records {size} bytes"


def test_recorded_size_reads_tables_and_prose() -> None:
    note = "| local file | bytes |\n|---|---|\n| `a.ttl` | 12 |\n\n- Path: `x/b.ttl` → `b.ttl` (34 bytes)\n"
    assert recorded_size(note, "a.ttl") == 12
    assert recorded_size(note, "b.ttl") == 34
    assert recorded_size(note, "c.ttl") is None


def test_the_source_pages_are_the_ones_their_note_records() -> None:
    note = (SOURCES / "SOURCE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \| `([0-9a-f]{64})` \|$", note, flags=re.M)
    pages = sorted(p.name for p in SOURCES.iterdir() if p.name != "SOURCE.md")
    assert (
        sorted(name for name, _, _ in rows)
        == pages
        == [
            "000_719fd82726b97dfc.txt",
            "004_3c9d6c637c182e3a.txt",
            "README.md",
        ]
    )
    for name, origin, digest in rows:
        assert hashlib.sha256((SOURCES / name).read_bytes()).hexdigest() == digest, name
        assert origin.strip()
    board = next(origin for name, origin, _ in rows if name.startswith("000_"))
    assert "https://erhvervsfremmebestyrelsen.dk/danske-styrkepositioner-og-fremtidens-klynger" in board


def test_the_source_pages_do_not_change_the_site(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ``*.ttl`` below ``data/`` is loaded: the pages beside them change no byte of the site."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    assert (project / "data" / "sources" / "SOURCE.md").is_file()
    config = load_config(project)
    with_pages = {str(a.path): a.body for a in plan(load(config), config)}
    shutil.rmtree(project / "data" / "sources")
    without_pages = {str(a.path): a.body for a in plan(load(config), config)}
    assert with_pages == without_pages
