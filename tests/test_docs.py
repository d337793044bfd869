"""The README is the contract: its commands, config keys and CI must stay true."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from publish.cli import main
from publish.config import KEYS
from publish.sparql import named_queries

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The line right above the README's test command; .ci/run takes the command from there.
TEST_MARKER = "<!-- test-command -->"


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)


def test_every_config_key_is_documented() -> None:
    for key in KEYS:
        assert f"| `{key}` |" in README, f"config key {key} missing from the README table"


def test_every_command_is_documented() -> None:
    for name in main.commands:
        assert f"`klyngedata {name}" in README, f"command {name} missing from the README"


def test_every_named_query_is_documented() -> None:
    for name in named_queries():
        assert f"| `{name}` |" in README, f"named query {name} missing from the README"


def _marked_test_command(readme: str) -> str:
    """Return the one ``sh`` block right after the test-command marker (the test must find one)."""
    lines = readme.splitlines()
    assert lines.count(TEST_MARKER) == 1, f"README.md needs the line {TEST_MARKER} exactly once"
    start = lines.index(TEST_MARKER) + 1
    assert lines[start] == "```sh", "the marker must sit right above a ```sh block"
    end = lines.index("```", start + 1)
    block = lines[start + 1 : end]
    assert len(block) == 1, f"the test command must be one line, got {len(block)}"
    return block[0]


def _run_ci(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", ".ci/run", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_main_command_installs_and_builds() -> None:
    build_command = next(block for block in _shell_blocks() if "klyngedata build" in block)
    assert build_command == "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/klyngedata build"


def test_the_test_command_installs_what_the_tests_need() -> None:
    steps = [step.strip() for step in _marked_test_command(README).split("&&")]
    install = next(shlex.split(step) for step in steps if step.startswith("apt-get install"))
    # npm comes with the image's NodeSource nodejs; Debian's npm package conflicts with it.
    assert set(install[3:]) == {"chromium", "nginx", "apache2", "raptor2-utils", "nodejs"}
    assert install[:3] == ["apt-get", "install", "-y"]
    assert steps[0] == "apt-get update"
    assert "npm ci --prefix tests/node" in steps
    assert steps[-1] == ".venv/bin/python -m pytest"


def test_ci_takes_the_test_command_from_the_readme_not_a_copy() -> None:
    command = _marked_test_command(README)
    result = _run_ci("--print-test-command", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == command + "\n"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_MARKER in ci
    assert command not in ci and "-m pytest" not in ci, ".ci/run must not hold a copy of the command"


@pytest.mark.parametrize(
    ("readme", "message"),
    [
        ("# x\n\n```sh\npytest\n```\n", "has no ```sh block right after"),
        (f"{TEST_MARKER}\n\n```sh\npytest\n```\n", "has no ```sh block right after"),
        (f"{TEST_MARKER}\n```sh\npip install .\npytest\n```\n", "exactly one command line"),
        (f"{TEST_MARKER}\n```sh\n```\n", "exactly one command line"),
    ],
)
def test_ci_refuses_a_readme_without_one_marked_command(tmp_path: Path, readme: str, message: str) -> None:
    (tmp_path / ".ci").mkdir()
    shutil.copy2(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    result = _run_ci("--print-test-command", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_named_queries_shown_in_the_readme_are_the_ones_we_run() -> None:
    """Each ```sparql block marked with a query name is that query exactly as `query --list` prints it."""
    from conftest import BASE

    from publish.i18n import load_messages
    from publish.sparql import listing

    shown = re.findall(r"<!-- named-query: ([\w-]+) -->\n```sparql\n(.*?)```", README, flags=re.S)
    assert shown, "the README shows no named query"
    for name, text in shown:
        assert text == listing(named_queries()[name], load_messages()["en"], base=BASE), name
