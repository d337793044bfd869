"""Shared fixtures: copies of the real project in tmp_path, a built site, the CLI runner."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox
import pytest
from chromium import Tab, launch
from click.testing import CliRunner

from publish.cli import main

ROOT = Path(__file__).resolve().parent.parent
# The official artefacts the tests check against, and the source pages behind the data.
VENDOR = ROOT / "tests" / "vocab"
SOURCES = ROOT / "data" / "sources"
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


# Broken copies of the real project, shared by test_validate.py and test_build.py.
BROKEN: dict[str, dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent / "projects" / "broken-copies.toml").read_text(encoding="utf-8")
)
PREFIX_DECLARATION = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.MULTILINE)


def prefixes_of(path: Path) -> dict[str, str]:
    """Return the @prefix declarations of a Turtle file, resolved against the base IRI."""
    declared = PREFIX_DECLARATION.findall(path.read_text(encoding="utf-8"))
    # urljoin drops an empty fragment ("ontology#"); Turtle keeps it.
    return {name: urljoin(BASE, ns) + ("#" if ns.endswith("#") else "") for name, ns in declared}


def definition(project: Path, curie: str) -> tuple[str, int, str]:
    """Return (file, line, IRI) of the data line that starts with ``curie`` at column 0."""
    name, local = curie.split(":", 1)
    for path in sorted((project / "data").glob("*.ttl")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if text.split() and text.split()[0] == curie and not text[0].isspace():
                return f"data/{path.name}", number, prefixes_of(path)[name] + local
    raise AssertionError(f"{curie} is defined in no data file")


def break_copy(project: Path, name: str) -> list[str]:
    """Break the copy as tests/projects/broken-copies.toml says; return patterns the message must match."""
    case = BROKEN[name]
    if "remove" in case:
        shutil.rmtree(project / case["remove"])
    else:
        path = project / case["file"]
        text = path.read_text(encoding="utf-8")
        if "append" in case:
            text += case["append"]
        else:
            assert text.count(case["old"]) == 1, f"{case['file']} changed: edit {name!r} no longer applies"
            text = text.replace(case["old"], case["new"])
        path.write_text(text, encoding="utf-8")
    expected = [re.escape(word) for word in case.get("words", [])]
    if "focus" in case:
        file, line, iri = definition(project, case["focus"])
        expected += [re.escape(iri) + r"(?![\w/-])", re.escape(f"{file}:{line}") + r"\b"]
    if "at" in case:
        lines = (project / case["file"]).read_text(encoding="utf-8").splitlines()
        number = lines.index(case["new"].rstrip("\n")) + 1
        column = lines[number - 1].index(case["at"]) + 1
        expected.append(re.escape(f"{case['file']}:{number}:{column}") + r"\b")
    if "folder" in case:
        expected.append(r"(?<![\w/-])" + re.escape(case["folder"]) + r"(?![\w/-])")
    return expected


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child server: terminate, and kill it if it does not end within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


TINY = Path(__file__).parent / "projects" / "tiny"
# A fixed build date for builds whose bytes are compared.
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def make_tiny(target: Path) -> Path:
    """Lay out the tiny project: its data and pyproject.toml, the real ontology and shapes."""
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "ontology", target / "ontology")
    shutil.copytree(ROOT / "shapes", target / "shapes")
    shutil.copytree(TINY / "data", target / "data")
    shutil.copy2(TINY / "pyproject.toml", target / "pyproject.toml")
    return target


def hashes(folder: Path) -> dict[str, str]:
    """Return the SHA-256 of every file under ``folder`` (dotfiles included), by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def benchmark_module(name: str) -> ModuleType:
    """Import a script of tests/benchmarks (a script folder, not a package), once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """One Chromium tab per test module (tests/chromium.py); fails, not skips, without Chromium."""
    with launch(tmp_path_factory.mktemp("chromium") / "profile") as tab:
        yield tab
