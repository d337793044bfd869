"""Start-up (issue 11): ``klyngedata --help`` and ``query`` import only what they use.

The console script starts in ``publish.entry``: a request for help only prints the text click
would print, stored, without importing click; the tests below hold every stored text to what
click prints (run in a fresh process), and the rest of the file checks click's own path.

Each command of those checks runs in a fresh interpreter through click (``publish.cli:main``); the
test reads the modules the command's own process imported (``sys.modules`` when it exits; a
query's worker is another process). Structural, not timed: the start-up time itself is
measured by ``tests/benchmarks/bench_pipeline.py`` (``--help`` against ``python -c pass``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import click
import pytest
from conftest import ROOT, copy_project

from publish.cli import main

# Run ``klyngedata ARGS`` (argv[0] named as the installed script is) through the ``main`` of
# ``publish.{module}``, then write the names of the imported modules to the file named by argv[1].
# (It imports nothing of its own beyond sys: the list is taken before the file is written.)
ENTRY = """
import sys
out = sys.argv.pop(1)
sys.argv[0] = "klyngedata"
from publish.{module} import main
try:
    sys.exit(main())  # as the console script does
finally:
    names = "\\n".join(sorted(sys.modules))
    with open(out, "w", encoding="utf-8") as file:
        file.write(names)
"""
RUN = ENTRY.format(module="cli")  # click's command line itself
# Libraries that neither command uses: validation, pages, JSON-LD, the query guard's parsers,
# the server and the worker pool.
HEAVY = {
    "rdflib",
    "pyshacl",
    "pyshacl_turbo",
    "jinja2",
    "pyld",
    "lxml",
    "tree_sitter",
    "pyparsing",
    "uvicorn",
    "asyncio",
    "multiprocessing",
}


# Imported by `klyngedata --help` until issue 11's start-up work, used by none of its text:
# pathlib (publish.cli's option types; it brings urllib.parse and ipaddress) and shutil (click's
# help formatter asks it for the terminal's width; it brings bz2, lzma, zlib and fnmatch).
REMOVED = ("pathlib", "urllib.parse", "ipaddress", "shutil", "bz2", "lzma", "zlib", "fnmatch")
# What click's help text needs besides importing click: its text wrapper, and gettext's lookup
# of each translated string reads the locale.
HELP_TEXT = {"click._textwrap", "textwrap", "locale", "_locale"}
HELPS = [("--help",), ("query", "--help"), ("build", "--help")]


def imported(*args: str, cwd: Path, bare: bool = False) -> set[str]:
    """Return the modules a fresh ``klyngedata ARGS`` imports in its own process (it must exit 0).

    ``bare``: without ``site`` (``python -S``, the sources and the interpreter's paths given
    directly), so that only what the command imports counts: an editable install's finder, a
    ``.pth`` file that ``site`` runs, imports pathlib, re and urllib.parse into every interpreter.
    """
    names = cwd / "modules.txt"
    done = subprocess.run(
        [sys.executable, *(["-S"] if bare else []), "-c", RUN, str(names), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=bare_env() if bare else None,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = set(names.read_text(encoding="utf-8").splitlines())
    assert "publish.cli" in found
    return found


def bare_env() -> dict[str, str]:
    """Return the environment for ``python -S``: this checkout first, then the interpreter's paths."""
    paths = [str(ROOT), *(entry for entry in sys.path if entry and Path(entry).is_dir())]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., frozenset[str]]:
    """Return a function giving the modules ``klyngedata ARGS`` imports without ``site`` (once per ARGS)."""
    folder = tmp_path_factory.mktemp("startup")

    @cache
    def modules(*args: str) -> frozenset[str]:
        return frozenset(imported(*args, cwd=folder, bare=True))

    return modules


@cache
def clicks_modules() -> frozenset[str]:
    """Return the modules ``import click`` imports, without ``site``."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import sys, click; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        env=bare_env(),
        timeout=120,
    )
    return frozenset(done.stdout.split())


@pytest.mark.parametrize("args", HELPS)
@pytest.mark.parametrize("module", REMOVED)
def test_help_does_not_import(
    module: str, args: tuple[str, ...], bare: Callable[..., frozenset[str]]
) -> None:
    assert module not in bare(*args)


@pytest.mark.parametrize("args", HELPS)
def test_help_imports_nothing_click_does_not_besides_its_text(
    args: tuple[str, ...], bare: Callable[..., frozenset[str]]
) -> None:
    extra = bare(*args) - clicks_modules()
    assert extra - HELP_TEXT == {"publish", "publish.cli", "publish.errors", "publish.terminal"}


EVERY_HELP = [("--help",), *((name, "--help") for name in sorted(main.commands))]


def run_as_klyngedata(
    module: str, args: tuple[str, ...], cwd: Path, columns: str | None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``klyngedata ARGS`` through ``publish.MODULE``'s ``main``; return the run and its modules."""
    names = cwd / "modules.txt"
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    env.update({"PYTHONPATH": str(ROOT)} | ({"COLUMNS": columns} if columns is not None else {}))
    done = subprocess.run(
        [sys.executable, "-c", ENTRY.format(module=module), str(names), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    return done, set(names.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("args", EVERY_HELP)
def test_help_is_what_click_prints_without_importing_click(args: tuple[str, ...], tmp_path: Path) -> None:
    stored, modules = run_as_klyngedata("entry", args, tmp_path, columns=None)
    clicks, _ = run_as_klyngedata("cli", args, tmp_path, columns=None)
    assert (stored.returncode, stored.stdout, stored.stderr) == (0, clicks.stdout, "")
    assert clicks.returncode == 0
    assert stored.stdout.startswith("Usage: klyngedata ")
    assert not {name for name in modules if name.split(".")[0] == "click" or name == "publish.cli"}


@pytest.mark.parametrize("columns", ["40", "79", "80", "100", "wide"])
@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("build", "--help"),
        ("build", "--help", "--project", "."),
        ("nosuch", "--help"),
        ("klyngedata", "--help"),
    ],
)
def test_help_from_the_entry_point_is_clicks_at_any_width(
    args: tuple[str, ...], columns: str, tmp_path: Path
) -> None:
    """Narrower terminals, other arguments and unknown commands give what click gives."""
    ours, _ = run_as_klyngedata("entry", args, tmp_path, columns)
    clicks, _ = run_as_klyngedata("cli", args, tmp_path, columns)
    assert (ours.returncode, ours.stdout, ours.stderr) == (clicks.returncode, clicks.stdout, clicks.stderr)
    assert clicks.returncode == (2 if args[0] in ("nosuch", "klyngedata") else 0)


@pytest.mark.parametrize("module", ["entry", "cli"])
def test_help_into_a_closed_pipe_exits_1_without_a_traceback(module: str, tmp_path: Path) -> None:
    """As `klyngedata --help | head -0`: the reader is gone before the text is written."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("COLUMNS", None)
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-c", ENTRY.format(module=module), str(tmp_path / "m.txt"), "--help"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


def test_every_command_has_its_stored_help_and_nothing_else_is_stored() -> None:
    """A command added or renamed needs its text written: ``python -m publish.entry``."""
    stored = {path.stem for path in (ROOT / "publish" / "help").glob("*")}
    assert stored == {"klyngedata", *main.commands}


def test_the_installed_script_starts_in_the_entry_point() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["scripts"]["klyngedata"] == "publish.entry:main"
    assert "help/*.txt" in config["tool"]["setuptools"]["package-data"]["publish"]


@pytest.mark.parametrize("columns", [None, "", "0", "-3", "wide", "40", "79", "100", "300"])
@pytest.mark.parametrize("max_width", [None, 60, 120])
def test_help_is_as_wide_as_clicks_own_layout(
    columns: str | None, max_width: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The width measured without shutil is the one click's formatter gets from shutil."""
    from publish.cli import _Context, main

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    ours = _Context(main, max_content_width=max_width).make_formatter()
    clicks = click.Context(main, max_content_width=max_width).make_formatter()
    assert type(ours) is type(clicks)
    assert ours.width == clicks.width


@pytest.mark.parametrize("args", HELPS)
def test_help_imports_click_and_the_cli_only(args: tuple[str, ...], tmp_path: Path) -> None:
    names = imported(*args, cwd=tmp_path)
    ours = {name for name in names if name == "publish" or name.startswith("publish.")}
    assert ours == {"publish", "publish.cli", "publish.errors", "publish.terminal"}
    assert "pyoxigraph" not in names
    assert not {name.split(".")[0] for name in names} & HEAVY


def test_query_list_imports_no_parser_worker_or_validator(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    names = imported("query", "--list", "--project", str(project), cwd=tmp_path)
    assert "publish.sparql" in names  # it did list the named queries
    assert not {name.split(".")[0] for name in names} & HEAVY
    unused = {"publish.guard", "publish.workers", "publish.dataset", "publish.validate", "publish.build"}
    assert not names & unused


def test_a_query_without_as_of_reads_no_release(built_site: Path, tmp_path: Path) -> None:
    project = built_site.parent
    names = imported("query", "--named", "focal-points", "--project", str(project), cwd=tmp_path)
    assert "publish.workers" in names  # it did answer, through the worker pool
    assert not names & {"publish.asof", "publish.releases", "jinja2", "pyshacl", "pyld"}
    # A plain query is decided on tree-sitter's tree: rdflib's grammar is the fallback only.
    assert not {name.split(".")[0] for name in names} & {"rdflib", "pyparsing"}
