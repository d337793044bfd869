"""Shared fixtures: copies of the real project in tmp_path, a built site, the CLI runner."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SOURCES = SHARED / "sources"
BASE = "https://w3id.org/klyngedata/"
SECOND_BASE = "https://data.example.dk/klynger/"
PROJECT_PARTS = ("ontology", "data", "shapes", "pyproject.toml")


def copy_project(target: Path, *, base: str | None = None) -> Path:
    """Copy the real project's ontology, data, shapes and pyproject.toml into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    if base is not None:
        pyproject = target / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8").replace(BASE, base)
        pyproject.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the real project, free to break."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the klyngedata CLI in-process; return click's Result (stdout and stderr apart)."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> object:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project built once per test session (read-only: do not modify)."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    result = CliRunner().invoke(main, ["build", "--project", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="session")
def site_store(built_site: Path) -> ox.Store:
    """The built N-Quads dump loaded into a pyoxigraph store."""
    store = ox.Store()
    data = gzip.decompress((built_site / "dataset.nq.gz").read_bytes())
    store.bulk_extend(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    return store
