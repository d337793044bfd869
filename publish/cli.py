"""The ``klyngedata`` command line: parse options, call one step, map errors to exit codes.

Help through click imports click and this module only (tests/test_startup.py): each command
imports its step when it runs, paths become ``pathlib.Path`` in ``_as_path`` (pathlib brings
urllib.parse and ipaddress), and help is laid out without shutil (``_Context``, ``terminal``).
The console script starts in ``publish.entry``, which prints the stored help without importing
this module or click, and comes here for everything else.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from . import terminal
from .errors import KlyngedataError

if TYPE_CHECKING:
    from pathlib import Path


def _as_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """Return a path option's value as a ``Path`` (a callback: it runs only when a command does)."""
    from pathlib import Path

    return None if value is None else Path(value)


_PROJECT = click.option(
    "--project",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    callback=_as_path,
    help="Project folder holding pyproject.toml.",
)

_SITE = click.option(
    "--site", type=click.Path(file_okay=False), callback=_as_path, help="Built site (default: output)."
)


class _Context(click.Context):
    """A click context whose help formatter is as wide as click's, measured without shutil."""

    def make_formatter(self) -> click.HelpFormatter:
        if self.terminal_width is not None or click.formatting.FORCED_WIDTH is not None:
            return super().make_formatter()  # a width given: click uses it as it is
        limit = 80 if self.max_content_width is None else self.max_content_width
        width = max(min(terminal.columns(), limit) - 2, 50)  # click's rule (HelpFormatter)
        return self.formatter_class(width=width, max_width=self.max_content_width)


class _Command(click.Command):
    """A click command laid out by ``_Context``."""

    context_class = _Context


class _Group(click.Group):
    """A click group that reports our errors in plain words on stderr."""

    context_class = _Context
    command_class = _Command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KlyngedataError as exc:
            flag = self._flag(ctx, exc.parameter)
            click.echo(f"klyngedata: {flag}{exc.format_message()}", err=True)
            ctx.exit(exc.exit_code)

    def _flag(self, ctx: click.Context, parameter: str | None) -> str:
        """Return ``--flag: `` for the option an error is about (library messages name no flags)."""
        command = self.get_command(ctx, ctx.invoked_subcommand or "")
        for param in command.params if command is not None and parameter else ():
            if param.name == parameter and isinstance(param, click.Option):
                return f"{param.opts[0]}: "
        return ""


@click.group(cls=_Group)
@click.version_option(package_name="klyngedata")
def main() -> None:
    """Publish Denmark's national cluster strategy as linked open data."""


@main.command()
@_PROJECT
@click.option(
    "--lang", default="en", show_default=True, metavar="LANG", help="Language of the report: one configured."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--catalog", is_flag=True, help="Check the built catalogue against DCAT-AP 3.0.1 instead.")
@_SITE
def validate(project: Path, lang: str, fmt: str, strict: bool, catalog: bool, site: Path | None) -> None:
    """Check the data against the SHACL shapes (--catalog: the catalogue); exit 1 on violations."""
    from .config import load_config
    from .validate import check

    config = load_config(project)
    verdict = check(config, lang=config.language(lang), fmt=fmt, strict=strict, catalog=catalog, site=site)
    click.echo(verdict.text, nl=False)
    if not verdict.passed:
        raise SystemExit(1)


@main.command()
@_PROJECT
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    callback=_as_path,
    help="Folder to build into (default: the config's output, site/).",
)
@click.option(
    "--lang", default="en", show_default=True, metavar="LANG", help="Language of the report: one configured."
)
def build(project: Path, output: Path | None, lang: str) -> None:
    """Validate, then write every published file into the output folder atomically."""
    from .build import build as run
    from .config import load_config

    config = load_config(project, output=output)
    result = run(config, lang=config.language(lang))
    for line in result.summary():
        click.echo(line, err=True)


@main.command()
@_PROJECT
@click.argument("version")
@click.option("--notes", metavar="TEXT", help="What changed, in the primary language (Danish); required.")
@click.option("--notes-en", metavar="TEXT", help="What changed, in English.")
@click.option(
    "--issued", metavar="DATE", help="Issue date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH's day, else today)."
)
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Release the data as of this day (YYYY-MM-DD), for history."
)
@click.option(
    "--lang", default="en", show_default=True, metavar="LANG", help="Language of the report: one configured."
)
def release(
    project: Path,
    version: str,
    notes: str | None,
    notes_en: str | None,
    issued: str | None,
    as_of: str | None,
    lang: str,
) -> None:
    """Validate, then store the data as immutable release VERSION in data/releases/VERSION/."""
    from .asof import parse_day
    from .config import load_config
    from .freeze import freeze

    config = load_config(project)
    texts = {config.default_language: notes or "", "en": notes_en or ""}
    frozen = freeze(
        config,
        version,
        notes=texts,
        issued=parse_day(issued, parameter="issued") if issued else None,
        as_of=parse_day(as_of) if as_of else None,
        lang=config.language(lang),
    )
    for line in frozen.summary():
        click.echo(line, err=True)


@main.command()
@_PROJECT
@click.argument("reference", metavar="SLUG-OR-IRI")
@click.option(
    "--lang", metavar="LANG", help="Language of the snippet: one configured (default: the primary)."
)
def snippet(project: Path, reference: str, lang: str | None) -> None:
    """Print the schema.org <script> block for one resource (e.g. area/turisme), ready to paste."""
    from .config import load_config
    from .dataset import load
    from .html import snippet as make

    config = load_config(project)
    chosen = config.language(lang)
    click.echo(make(load(config), config, reference, lang=chosen), nl=False)


@main.command()
@_PROJECT
@click.argument("text", required=False)
@click.option(
    "--file",
    "query_file",
    type=click.Path(dir_okay=False),
    callback=_as_path,
    help="Read the query from FILE.",
)
@click.option("--named", help="Run a named query (see --list).")
@click.option(
    "--list", "list_named", is_flag=True, help="Print every named query, ready to run in any store, and exit."
)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A named query's parameter.")
@click.option(
    "--lang",
    metavar="LANG",
    help="Language of --list's titles and of the answers' labels: one configured (default: the primary).",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    help="table, or a results format (csv, tsv, json, xml) for SELECT and ASK; a graph format "
    "(turtle, jsonld, nt, rdfxml) for CONSTRUCT and DESCRIBE: the names of the format registry.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Answer from the latest release issued on or before DATE (YYYY-MM-DD).",
)
@_SITE
def query(
    project: Path,
    text: str | None,
    query_file: Path | None,
    named: str | None,
    list_named: bool,
    params: tuple[str, ...],
    lang: str | None,
    fmt: str,
    as_of: str | None,
    site: Path | None,
) -> None:
    """Run a SPARQL query over the built dataset (inline, --file, or --named), or as of a day."""
    from .config import load_config
    from .errors import UsageError

    config = load_config(project)
    if list_named:
        from .query import listing

        click.echo(listing(config, config.language(lang)), nl=False)
        return
    if sum(source is not None for source in (text, query_file, named)) != 1:
        raise UsageError("give exactly one query: inline TEXT, --file PATH or --named NAME")
    from .query import answer

    body = answer(
        config,
        site or config.output,
        text=text,
        query_file=query_file,
        named=named,
        params=params,
        fmt=fmt,
        as_of=as_of,
        lang=config.language(lang),
    )
    click.echo(body.decode("utf-8"), nl=False)


@main.command()
@_PROJECT
@click.argument("old")
@click.argument("new")
@click.option(
    "--lang", default="en", show_default=True, metavar="LANG", help="Language of the sentences (configured)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "trig", "json"]),
    default="text",
    show_default=True,
    help="text: sentences; turtle: a summary per changed thing; trig: added and removed statements "
    "per named graph; json: both, for programs.",
)
def diff(project: Path, old: str, new: str, lang: str, fmt: str) -> None:
    """Say what changed from OLD to NEW (release versions, or `working` for the current data)."""
    from .changerdf import statements_trig, summary_turtle, to_json
    from .changetext import text
    from .config import load_config
    from .history import diff as compare

    config = load_config(project)
    chosen = config.language(lang)
    changes = compare(config, old, new)
    iri = config.uris.changeset(old, new)
    if fmt == "text":
        click.echo(text(changes, config.uris, config.messages, chosen), nl=False)
    elif fmt == "json":
        click.echo(to_json(changes, config, chosen, iri=iri), nl=False)
    else:
        writer = summary_turtle if fmt == "turtle" else statements_trig
        sys.stdout.flush()
        sys.stdout.buffer.write(writer(changes, config.uris, config.messages, iri=iri))


@main.command()
@_PROJECT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@_SITE
@click.option("--get", "get_path", metavar="PATH", help="Answer one GET in-process, print it, and exit.")
@click.option("--accept", default="*/*", show_default=True, help="Accept header for --get.")
@click.option("--accept-language", help="Accept-Language for --get (default: none, the primary language).")
@click.option(
    "--watch",
    is_flag=True,
    help="Rebuild when ontology/, data/ or shapes/ change and serve each new site at once; while the "
    "data does not conform, show the report here and on the pages (the last good site stays served).",
)
def serve(
    project: Path,
    host: str,
    port: int,
    site: Path | None,
    get_path: str | None,
    accept: str,
    accept_language: str | None,
    watch: bool,
) -> None:
    """Serve the built site, content negotiation and the SPARQL endpoint (/sparql)."""
    import asyncio

    from . import dump
    from .config import load_config
    from .errors import UsageError
    from .server import answer_once, create_app
    from .serving import protocol
    from .workers import require_sandbox

    config = load_config(project)
    root = site or config.output
    watcher = None
    if watch:
        from .watch import Watcher

        if site is not None or get_path is not None:
            raise UsageError("--watch serves the project's own output: use it without --site and --get")
        watcher = Watcher(config, lang="en", echo=lambda text: click.echo(text, err=True))
        watcher.rebuild()  # the sources as they are now; if they fail, the last site with a banner
    if not dump.path_in(root).is_file():
        raise UsageError(f"{root}: no built site here; run `klyngedata build` first")
    require_sandbox(config)
    app = create_app(config, root, live=watcher.live if watcher else None)
    if get_path is not None:
        headers = {"accept": accept}
        if accept_language is not None:
            headers["accept-language"] = accept_language
        answer = asyncio.run(answer_once(app, get_path, headers=headers))
        click.echo(f"HTTP/1.1 {answer.status}")
        for name, value in answer.headers:
            click.echo(f"{name}: {value}")
        click.echo("")
        sys.stdout.flush()
        sys.stdout.buffer.write(answer.body)
        sys.exit(0 if answer.status < 400 else 1)
    import uvicorn

    click.echo(f"Serving {root} at http://{host}:{port}/ (SPARQL at /sparql); Ctrl-C stops.", err=True)
    if watcher is not None:
        watcher.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, http=protocol(config))
    finally:
        if watcher is not None:
            watcher.close()


@main.command()
@_PROJECT
@click.option("--endpoint", required=True, metavar="URL", help="The store's SPARQL query endpoint.")
@click.option(
    "--store",
    metavar="URL",
    help="Its Graph Store endpoint (default: derived for Oxigraph, Fuseki, GraphDB).",
)
@click.option("--user", envvar="KLYNGEDATA_PUSH_USER", show_envvar=True, help="User name, if the store asks.")
@click.option(
    "--password",
    envvar="KLYNGEDATA_PUSH_PASSWORD",
    show_envvar=True,
    help="Password; set the variable instead.",
)
@click.option(
    "--timeout", default=60.0, show_default=True, type=float, help="Seconds to wait for each answer."
)
@_SITE
def push(
    project: Path,
    endpoint: str,
    store: str | None,
    user: str | None,
    password: str | None,
    timeout: float,
    site: Path | None,
) -> None:
    """Replace each named graph of the build in a SPARQL 1.1 store (Graph Store PUT), then verify counts."""
    from .config import load_config
    from .push import push as run
    from .push import target

    where = target(endpoint, store=store, user=user, password=password, timeout=timeout)
    config = load_config(project)
    for step in run(site or config.output, where):
        click.echo(step.line())
