"""Start-up (issue 11): ``klyngedata --help`` and ``query --list`` import only what they use.

Each command runs in a fresh interpreter through the entry point (``publish.cli:main``) with
``-X importtime``, which writes one line per imported module to stderr; the test reads that
list. Structural, not timed: the start-up time itself is measured by
``tests/benchmarks/bench_pipeline.py`` (``--help`` against ``python -c pass``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

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


def imported(*args: str, cwd: Path) -> set[str]:
    """Return the modules a fresh ``klyngedata ARGS`` imports (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from publish.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # the first line is the header
    assert "publish.cli" in names
    return names


@pytest.mark.parametrize("args", [("--help",), ("query", "--help"), ("build", "--help")])
def test_help_imports_click_and_the_cli_only(args: tuple[str, ...], tmp_path: Path) -> None:
    names = imported(*args, cwd=tmp_path)
    ours = {name for name in names if name == "publish" or name.startswith("publish.")}
    assert ours == {"publish", "publish.cli", "publish.errors"}
    assert "pyoxigraph" not in names
    assert not {name.split(".")[0] for name in names} & HEAVY


def test_query_list_imports_no_parser_worker_or_validator(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    names = imported("query", "--list", "--project", str(project), cwd=tmp_path)
    assert "publish.sparql" in names  # it did list the named queries
    assert not {name.split(".")[0] for name in names} & HEAVY
    unused = {"publish.guard", "publish.workers", "publish.dataset", "publish.validate", "publish.build"}
    assert not names & unused
