"""The ``klyngedata`` command line: parse options, call one step, map errors to exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import KlyngedataError

_PROJECT = click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder holding pyproject.toml.",
)


class _Group(click.Group):
    """A click group that reports our errors in plain words on stderr."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KlyngedataError as exc:
            click.echo(f"klyngedata: {exc.format_message()}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group)
@click.version_option(package_name="klyngedata")
def main() -> None:
    """Publish Denmark's national cluster strategy as linked open data."""


@main.command()
@_PROJECT
@click.option("--lang", type=click.Choice(["da", "en"]), default="en", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def validate(project: Path, lang: str, fmt: str, strict: bool) -> None:
    """Check the data against the SHACL shapes; exit 1 on violations."""
    from .config import load_config
    from .dataset import load
    from .validate import format_json, format_text, format_turtle
    from .validate import validate as run

    config = load_config(project)
    dataset = load(config)
    report = run(dataset, lang=lang)
    if fmt == "json":
        click.echo(format_json(report), nl=False)
    elif fmt == "turtle":
        click.echo(format_turtle(report, dataset.uris.prefixes()), nl=False)
    else:
        click.echo(format_text(report, lang=lang), nl=False)
    if not report.conforms or (strict and report.count("Warning")):
        sys.exit(1)


@main.command()
@_PROJECT
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to build into (default: the config's output, site/).",
)
@click.option("--lang", type=click.Choice(["da", "en"]), default="en", show_default=True)
def build(project: Path, output: Path | None, lang: str) -> None:
    """Validate, then write every published file into the output folder atomically."""
    from .build import build as run
    from .config import load_config

    config = load_config(project, output=output)
    result = run(config, lang=lang)
    for line in result.summary():
        click.echo(line, err=True)
