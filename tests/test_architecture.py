"""The package's shape (STYLE.md): imports point one way, only the CLI exits or names flags.

The import graph comes from grimp (which import-linter brings); `.ci/run` also runs
`lint-imports` on the layers contract in pyproject.toml. These tests make sure that contract
places every module, and that no import cycle exists even between modules on one layer.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import click
import grimp
import pytest
from conftest import ROOT, make_tiny

from publish.cli import main

PACKAGE = ROOT / "publish"


def direct_imports() -> dict[str, set[str]]:
    """Return, for each module of publish/, the modules of publish/ it imports (lazy imports too)."""
    graph = grimp.build_graph("publish", cache_dir=None)
    return {
        module: {m for m in graph.find_modules_directly_imported_by(module) if m != "publish"}
        for module in graph.modules
        if module != "publish"
    }


def cycles(imports: Mapping[str, Set[str]]) -> list[list[str]]:
    """Return the import cycles: every strongly connected group of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(imports.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in imports.get(module, ()):
                found.append(sorted(group))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_cycles_finds_a_cycle_and_only_the_cycle() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(imports) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_publish_has_no_import_cycle() -> None:
    imports = direct_imports()
    assert "publish.cli" in imports and "publish.errors" in imports["publish.uris"]
    assert cycles(imports) == []


def layers() -> list[list[str]]:
    """Return the layers of the import-linter contract in pyproject.toml, top first."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    assert contract["type"] == "layers" and contract["containers"] == ["publish"]
    return [[name.strip(" ()") for name in re.split(r"[|:]", line)] for line in contract["layers"]]


def test_the_layers_contract_places_every_module() -> None:
    placed = [name for line in layers() for name in line]
    modules = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")
    assert len(placed) == len(set(placed))
    assert sorted(set(modules) - set(placed)) == []
    assert layers()[:2] == [["entry"], ["cli"]] and {"errors", "rdf", "artifact"} <= set(layers()[-1])


def test_every_import_points_down_the_layers() -> None:
    """The same rule lint-imports checks, read from the same contract (so the test fails without CI)."""
    depth = {f"publish.{name}": level for level, line in enumerate(layers()) for name in line}
    upward = [
        f"{module} imports {target}"
        for module, targets in direct_imports().items()
        for target in targets
        if module in depth and target in depth and depth[target] <= depth[module]
    ]
    assert upward == []


def python_files() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.glob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def messages(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Yield the string constants of a module that are not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def cli_flags() -> set[str]:
    flags = set()
    for command in main.commands.values():
        for param in command.params:
            if isinstance(param, click.Option):
                flags.update(opt for opt in param.opts if opt.startswith("--"))
    return flags


def test_only_the_cli_names_its_flags() -> None:
    flags = cli_flags()
    assert {"--output", "--project", "--endpoint", "--param"} <= flags
    pattern = re.compile("|".join(re.escape(flag) + r"\b" for flag in sorted(flags, key=len, reverse=True)))
    named = [
        f"{path.name}:{line}: {text!r}"
        for path, tree in python_files()
        if path.name != "cli.py"
        for line, text in messages(tree)
        if pattern.search(text)
    ]
    assert named == []


def test_only_the_cli_exits() -> None:
    exits = [
        f"{path.name}:{node.lineno}"
        for path, tree in python_files()
        if path.name != "cli.py"
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr in ("exit", "_exit"))
        or (isinstance(node, ast.Name) and node.id == "SystemExit")
    ]
    assert exits == []


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (
            ["build", "--output", "{folder}"],
            "--output",
            "refusing to replace it — choose an empty or new output folder",
        ),
        (["push", "--endpoint", "ftp://x/query"], "--endpoint", "the SPARQL endpoint 'ftp://x/query'"),
        (["validate", "--catalog", "--format", "turtle"], "--format", "not available for the catalogue"),
    ],
)
def test_the_cli_names_the_flag_an_error_is_about(
    args: list[str], flag: str, words: str, tmp_path: Path, cli: object
) -> None:
    project = make_tiny(tmp_path / "tiny")
    (project / "a-folder").mkdir()
    (project / "a-folder" / "notes.txt").write_text("not a site", encoding="utf-8")
    filled = [arg.replace("{folder}", str(project / "a-folder")) for arg in args]
    result = cli(*filled, "--project", str(project))  # type: ignore[operator]
    assert result.exit_code in (1, 2), result.output
    assert f"klyngedata: {flag}: " in result.stderr and words in result.stderr
    assert "Traceback" not in result.output


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in support modules (conftest, sources, view_support, …), not in tests."""
    tests = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    imported = [
        f"{path.name} imports {name}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        )
        if name in tests
    ]
    assert imported == []
