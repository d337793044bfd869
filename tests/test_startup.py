"""Start-up (issue 11): ``klyngedata --help`` and ``query`` import only what they use.

Each command runs in a fresh interpreter through the entry point (``publish.cli:main``); the
test reads the modules the command's own process imported (``sys.modules`` when it exits; a
query's worker is another process). Structural, not timed: the start-up time itself is
measured by ``tests/benchmarks/bench_pipeline.py`` (``--help`` against ``python -c pass``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

# Run the CLI, then write the names of the imported modules to the file named by argv[1].
RUN = """
import sys
from pathlib import Path
from publish.cli import main
out = Path(sys.argv.pop(1))
try:
    main()
finally:
    out.write_text("\\n".join(sorted(sys.modules)), encoding="utf-8")
"""
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
    """Return the modules a fresh ``klyngedata ARGS`` imports in its own process (it must exit 0)."""
    names = cwd / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(names), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = set(names.read_text(encoding="utf-8").splitlines())
    assert "publish.cli" in found
    return found


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


def test_a_query_without_as_of_reads_no_release(built_site: Path, tmp_path: Path) -> None:
    project = built_site.parent
    names = imported("query", "--named", "focal-points", "--project", str(project), cwd=tmp_path)
    assert "publish.workers" in names  # it did answer, through the worker pool
    assert not names & {"publish.asof", "publish.releases", "jinja2", "pyshacl", "pyld"}
    # A plain query is decided on tree-sitter's tree: rdflib's grammar is the fallback only.
    assert not {name.split(".")[0] for name in names} & {"rdflib", "pyparsing"}
