"""Compiled page templates are kept in the package's templates/__pycache__ (publish.compiled).

A build with the cache empty, full, damaged or unwritable writes the same bytes; a full cache
means no page template is compiled; the cache lives nowhere but the package; and it does not
change the package's fingerprint (which decides what an incremental build may reuse).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jinja2
import pytest
from conftest import hashes, make_tiny

import publish.compiled as compiled
import publish.html as html
from publish.build import build
from publish.config import load_config
from publish.incremental import PACKAGE, code_fingerprint


@pytest.fixture
def compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keep the cache in a folder of this test; return the names of the templates compiled."""
    monkeypatch.setattr(compiled, "FOLDER", tmp_path / "cache")
    monkeypatch.setattr(html._Environment, "_compiled", {})  # nothing compiled in this process yet
    names: list[str] = []
    real = jinja2.Environment.compile

    def noting(self: jinja2.Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        if isinstance(self, html._Environment):
            names.append(str(name))
        return real(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", noting)
    return names


def _site(project: Path, name: str) -> dict[str, str]:
    """Build into a new folder in one process (a forked child would compile unseen); its files."""
    html._Environment._compiled.clear()  # as a new process: only the cache on disk remains
    config = load_config(project)
    config = dataclasses.replace(config, output=project / name, build_processes=1)
    build(config)
    return {path: digest for path, digest in hashes(project / name).items() if path != ".klyngedata-site"}


def test_a_full_cache_compiles_no_page_template_and_writes_the_same_site(
    tmp_path: Path, compiles: list[str]
) -> None:
    project = make_tiny(tmp_path / "tiny")
    first = _site(project, "first")
    assert "resource.html.j2" in compiles and len(compiles) == len(set(compiles))
    kept = sorted((tmp_path / "cache").iterdir())
    assert len(kept) == len(compiles)
    compiles.clear()
    assert _site(project, "second") == first
    assert compiles == []


def test_a_damaged_entry_is_compiled_again(tmp_path: Path, compiles: list[str]) -> None:
    project = make_tiny(tmp_path / "tiny")
    first = _site(project, "first")
    entries = sorted((tmp_path / "cache").iterdir())
    entries[0].write_bytes(entries[0].read_bytes()[:40])  # cut short: pickle or marshal fails
    entries[1].write_bytes(b"")
    compiles.clear()
    assert _site(project, "second") == first
    assert len(compiles) == 2


def test_a_cache_that_cannot_be_written_costs_a_compile_not_the_build(
    tmp_path: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_tiny(tmp_path / "tiny")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n", encoding="utf-8")
    monkeypatch.setattr(compiled, "FOLDER", blocked / "cache")  # cannot be made
    first = _site(project, "first")
    compiled_first = len(compiles)
    assert _site(project, "second") == first
    assert len(compiles) == 2 * compiled_first
    assert blocked.read_text(encoding="utf-8") == "not a folder\n"


def test_the_cache_is_the_packages_own_and_not_in_its_fingerprint(tmp_path: Path) -> None:
    assert compiled.FOLDER == PACKAGE / "templates" / "__pycache__"
    before = code_fingerprint.__wrapped__(PACKAGE)
    compiled.FOLDER.mkdir(parents=True, exist_ok=True)
    extra = compiled.FOLDER / "jinja-test-entry.cache"
    try:
        extra.write_bytes(b"not bytecode")
        assert code_fingerprint.__wrapped__(PACKAGE) == before
    finally:
        extra.unlink()
