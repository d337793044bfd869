"""The README is the contract: its commands, config keys and CI must stay true."""

from __future__ import annotations

import re

from conftest import ROOT

from publish.cli import main
from publish.config import KEYS
from publish.sparql import named_queries

README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def test_ci_runs_the_readme_test_command() -> None:
    blocks = _shell_blocks()
    build_command = next(block for block in blocks if "klyngedata build" in block)
    test_command = next(block for block in blocks if "pytest" in block)
    assert "pip install ." in build_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
