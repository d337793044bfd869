"""`[tool.klyngedata]`: every problem reported at once, exit 2 on stderr, never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import BASE

from publish.config import load_config
from publish.errors import ConfigError

COMMANDS = (("validate",), ("build",))


def set_table(project: Path, table: str) -> None:
    """Replace the project's [tool.klyngedata] table (the last table of the file) by ``table``."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    start = text.index("[tool.klyngedata]\n")
    end = text.find("\n[", start + 1)
    rest = "" if end == -1 else text[end:]
    pyproject.write_text(text[:start] + table + rest, encoding="utf-8")


def problems(stderr: str) -> list[str]:
    """Return the lines of a config error that name one problem each."""
    return [line for line in stderr.splitlines() if re.match(r"\s+- ", line)]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_problem_is_reported_at_once(
    command: tuple[str, ...], project: Path, cli: Callable[..., Result]
) -> None:
    set_table(
        project,
        '[tool.klyngedata]\nbase_iri = "https://data.example.dk/klynger"\nlanguages = ["da"]\n'
        'outptu = "public"\n',
    )
    result = cli(*command, "--project", str(project), env={"SOURCE_DATE_EPOCH": "yesterday"})
    listed = problems(result.stderr)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(listed) == 4, result.stderr
    assert any("base_iri" in p and "'https://data.example.dk/klynger'" in p and "'/'" in p for p in listed)
    assert any("languages" in p and "'en'" in p for p in listed)
    assert any("outptu" in p for p in listed)
    assert any("SOURCE_DATE_EPOCH" in p and "'yesterday'" in p for p in listed)
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("key", "line", "shown"),
    [
        ("base_iri", 'base_iri = "ftp://data.example.dk/klynger/"', "ftp://data.example.dk/klynger/"),
        ("base_iri", 'base_iri = "https://data.example.dk/Klynger/"', "https://data.example.dk/Klynger/"),
        ("base_iri", 'base_iri = "https://data.example.dk/k?x=1/"', "https://data.example.dk/k?x=1/"),
        ("base_iri", "base_iri = 42", "42"),
        ("languages", 'languages = "da, en"', "da, en"),
        ("languages", 'languages = ["da", "en", "EN"]', "EN"),
        ("languages", 'languages = ["da", "en", "da"]', "['da', 'en', 'da']"),
        ("data_dir", 'data_dir = ""', "''"),
        ("output", "output = 3", "3"),
    ],
)
def test_a_wrong_value_is_named_with_its_key(
    key: str, line: str, shown: str, project: Path, cli: Callable[..., Result]
) -> None:
    other = "" if key == "base_iri" else f'base_iri = "{BASE}"\n'
    set_table(project, f"[tool.klyngedata]\n{other}{line}\n")
    result = cli("validate", "--project", str(project))
    (problem,) = problems(result.stderr)
    assert result.exit_code == 2, result.output
    assert key in problem and shown in problem, problem


def test_missing_base_iri_is_reported(project: Path, cli: Callable[..., Result]) -> None:
    set_table(project, '[tool.klyngedata]\nlanguages = ["da", "en"]\n')
    result = cli("validate", "--project", str(project))
    (problem,) = problems(result.stderr)
    assert result.exit_code == 2
    assert "base_iri" in problem


@pytest.mark.parametrize(
    "epoch",
    [
        "yesterday",
        "1.5e9",
        "1700000000.5",
        " 1700000000",
        # The spec wants an ASCII decimal integer (reproducible-builds.org/specs/source-date-epoch);
        # these are digits to str.isdigit() but not ASCII, and int() refuses the superscript.
        "\u00b9\u2077\u2070\u2070",
        "\u0661\u0667\u0660\u0660",
    ],
)
def test_source_date_epoch_must_be_whole_seconds(
    epoch: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    with pytest.raises(ConfigError) as caught:
        load_config(project)
    (problem,) = caught.value.problems
    assert caught.value.exit_code == 2
    assert "SOURCE_DATE_EPOCH" in problem and repr(epoch) in problem


def test_source_date_epoch_in_whole_seconds_is_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1583366400")  # 2020-03-05, the strategy's publication
    assert load_config(project).source_date_epoch == 1583366400


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_pyproject_is_a_clear_error(
    command: tuple[str, ...], tmp_path: Path, cli: Callable[..., Result]
) -> None:
    result = cli(*command, "--project", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "pyproject.toml" in result.stderr
    assert "--project" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_invalid_toml_is_a_clear_error(project: Path, cli: Callable[..., Result]) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + '\nbase_iri = "unterminated\n')
    result = cli("validate", "--project", str(project))
    assert result.exit_code == 2, result.output
    assert "pyproject.toml" in result.stderr and "TOML" in result.stderr
    assert "Traceback" not in result.output


def test_missing_table_is_a_clear_error(project: Path, cli: Callable[..., Result]) -> None:
    set_table(project, "")
    result = cli("validate", "--project", str(project))
    assert result.exit_code == 2, result.output
    assert "[tool.klyngedata]" in result.stderr
    assert "Traceback" not in result.output


def test_relative_folders_resolve_against_the_project(project: Path) -> None:
    config = load_config(project)
    assert config.base_iri == BASE
    assert config.languages == ("da", "en")
    assert config.data_dir == project.resolve() / "data"
    assert config.output == project.resolve() / "site"


def test_output_option_overrides_the_configured_folder(project: Path, tmp_path: Path) -> None:
    assert load_config(project, output=tmp_path / "elsewhere").output == (tmp_path / "elsewhere").resolve()
