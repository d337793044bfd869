"""One exception tree for everything a user can get wrong.

    click.ClickException
    └── KlyngedataError            (exit 1 unless a subclass says otherwise)
        ├── ConfigError            (exit 2) [tool.klyngedata] is missing or wrong
        ├── UsageError             (exit 2) a command-line value is wrong
        ├── LoadError              (exit 1) a source file is missing or is not valid Turtle
        ├── InputError           (exit 1) parsed values no output can carry (screen.py)
        ├── ValidationFailed       (exit 1) the data does not conform to the shapes
        ├── QueryError             (exit 1) a SPARQL query is malformed or fails
        ├── BuildError             (exit 1) the site could not be written
        │   └── PathError          (exit 1) an IRI has no document path under the base IRI
        └── PushError              (exit 1) a store refused or lost what `push` sent

Library code raises these; only ``cli.py`` turns them into an exit code and a message on stderr.
A message names the value and what to do in words, never a command-line flag: an error about a
value the user gave names it with ``parameter`` (the name of the command's parameter, such as
``"output"``), and the CLI puts the matching flag (``--output``) in front of the message.
"""

from __future__ import annotations

from collections.abc import Sequence

import click


class KlyngedataError(click.ClickException):
    """Base class: a plain-words message for the user and an exit code."""

    exit_code = 1

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def format_message(self) -> str:
        """Return the message without click's 'Error:' decoration (cli adds its own)."""
        return self.message


class ConfigError(KlyngedataError):
    """The configuration in pyproject.toml is missing or invalid."""

    exit_code = 2

    def __init__(self, problems: list[str], *, file: str, parameter: str | None = None) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{file}: [tool.klyngedata] has {len(problems)} problem(s):\n{lines}", parameter=parameter
        )


class UsageError(KlyngedataError):
    """A command-line argument is invalid."""

    exit_code = 2


class LoadError(KlyngedataError):
    """A source folder or file is missing, or a file is not valid Turtle."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        where = file if line is None else f"{file}:{line}" + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")


class InputError(KlyngedataError):
    """Parsed sources hold values no output can carry: bad lexical forms, control characters, …"""

    def __init__(self, problems: Sequence[object], *, shown: int = 25) -> None:
        self.problems = tuple(problems)
        lines = [f"  {p}" for p in self.problems[:shown]]
        if len(self.problems) > shown:
            lines.append(f"  … and {len(self.problems) - shown} more")
        super().__init__(
            f"the sources hold {len(self.problems)} value(s) that cannot be published:\n"
            + "\n".join(lines)
            + "\nNothing was checked further or published; fix these and run again."
        )


class ValidationFailed(KlyngedataError):  # noqa: N818 - reads as the outcome it reports
    """The data does not conform to the SHACL shapes."""


class QueryError(KlyngedataError):
    """A SPARQL query is malformed or cannot be run."""


class BuildError(KlyngedataError):
    """The site could not be built or written."""


class PathError(BuildError):
    """An IRI has no document path of its own under the base IRI (so no file can be written for it)."""


class PushError(KlyngedataError):
    """A SPARQL store could not be reached, refused a graph, or holds other counts than were sent."""
