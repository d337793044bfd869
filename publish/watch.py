"""``klyngedata serve --watch``: rebuild when the sources change, and serve each new site at once.

A thread watches the ontology, data and shapes folders (``watchfiles``: inotify where there is
one; changes arriving together make one rebuild). The rebuilds run in a builder process of
their own (:class:`Builder`), forked from the server before it starts its threads, so that it
keeps the first build's imports, templates and shapes cache warm, and -- having no other
threads -- may fork its helpers as a ``klyngedata build`` does (part of the site and the
catalogue's DCAT-AP check on the second core). A rebuild in the server's own process would run
on one core beside the server's threads, and whatever it met (a crash, the memory of a huge
build) would be the server's. Each rebuild is incremental (:mod:`publish.incremental`).

After a rebuild the report is printed; if the site was swapped in, the server is told to serve
it (:class:`publish.preview.Live`); if not, the previous site keeps being served with the
problem as a banner on its pages, until a rebuild succeeds. A builder that dies is replaced
(a new interpreter: the server's threads forbid a fork) at the next change. Nothing a rebuild
meets stops the server or prints a traceback.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import children, dcatap
from .build import BuildResult, build_validated
from .config import Config
from .dataset import load
from .errors import KlyngedataError
from .preview import Live
from .validate import format_text, validate_project


@dataclass(frozen=True, slots=True)
class Outcome:
    """One rebuild in words: the build's summary if a new site was swapped in; else the problem
    that left the previous site served, in the watcher's language (``problem``) and, where the
    words depend on it, in each of the site's languages (``problems``: language, text)."""

    summary: tuple[str, ...] = ()
    problem: str = ""
    problems: tuple[tuple[str, str], ...] = ()


def attempt(config: Config, lang: str) -> tuple[Outcome, BuildResult | None]:
    """Build ``config``'s site once: what it came to, and the build's result if a site was swapped in."""
    try:
        dataset = load(config)
        report = validate_project(dataset, config, lang=lang)
        if not report.conforms:
            texts = {lang: format_text(report, lang=lang, messages=config.messages)}
            # The banner speaks each page's language: the findings' words come from validation.
            for code in config.languages:
                if code not in texts:
                    again = validate_project(dataset, config, lang=code)
                    texts[code] = format_text(again, lang=code, messages=config.messages)
            return Outcome(problem=texts[lang], problems=tuple(texts.items())), None
        result = build_validated(config, dataset, report, lang=lang)
    except KlyngedataError as error:
        return Outcome(problem=error.format_message()), None
    except Exception as error:  # noqa: BLE001 - a preview server outlives any one bad rebuild
        text = f"klyngedata could not rebuild ({type(error).__name__}: {error}); report this as a bug."
        return Outcome(problem=text), None
    return Outcome(summary=tuple(result.summary())), result


class Builder:
    """A process that makes the watcher's rebuilds, one at a time, and answers with an :class:`Outcome`.

    Forked where no other thread runs (it starts warm: what this process imported and cached),
    else started as a new interpreter. It dies with the process that started it (and ignores
    Ctrl-C: the server stops it). :meth:`run` returns None if it died without an answer.
    """

    def __init__(self, config: Config, lang: str) -> None:
        self.config = config
        self.lang = lang
        self._process: Any = None
        self._connection: Any = None

    @property
    def alive(self) -> bool:
        """True while the builder process runs."""
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        """Start the builder process (forked if no other thread runs here); OSError if it cannot."""
        forked = children.can_fork()
        context: Any = multiprocessing.get_context("fork" if forked else "spawn")
        ours, theirs = context.Pipe(duplex=True)
        ends = (ours,) if forked else ()  # a new interpreter inherits no descriptor of ours
        self._process = context.Process(
            target=_build_on_request,
            args=(self.config, self.lang, theirs, os.getpid(), *ends),
            name="klyngedata-builder",
            daemon=False,  # it forks helpers, which a daemonic process may not
        )
        self._process.start()
        theirs.close()
        self._connection = ours
        # Not daemonic, so joined when this process exits: closing its pipe first ends it.
        multiprocessing.util.Finalize(self, Builder.stop, args=(self,), exitpriority=10)

    def run(self) -> Outcome | None:
        """Have the builder rebuild once (starting one if none runs); its outcome, or None if it died."""
        if not self.alive:
            self.stop()
            self.start()
        try:
            self._connection.send_bytes(b"rebuild")
            outcome = self._connection.recv()
        except (EOFError, OSError):
            return None
        return outcome if isinstance(outcome, Outcome) else None

    def ended(self) -> str:
        """Say how the builder process ended (after :meth:`run` returned None)."""
        process = self._process
        if process is None:
            return "it did not start"
        process.join(timeout=5)
        code = process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = " (the system may have run out of memory)" if -code == signal.SIGKILL else ""
            return f"it was stopped by {name}{hint}"
        return f"it ended with exit code {code}"

    def stop(self) -> None:
        """End the builder process (closing its pipe ends it; a stuck one is killed)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()


def _build_on_request(config: Config, lang: str, connection: Any, parent: int, *parents_ends: Any) -> None:
    """In the builder process: rebuild at each request and send the outcome, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this
    if not children.bind_to_parent(parent, *parents_ends):
        return
    try:  # before the first change: each rebuild's check would load it again (a second's CPU)
        dcatap.keep_verdicts()
    except Exception:  # noqa: BLE001 - the check loads it again, and reports what fails
        pass
    while True:
        try:
            connection.recv_bytes()
        except (EOFError, OSError):
            return
        if children.orphaned(parent):
            return
        outcome, _ = attempt(config, lang)
        try:
            connection.send(outcome)
        except OSError:
            return


class Watcher:
    """Rebuild ``config``'s site on every change of its sources; report to ``echo`` and ``live``."""

    def __init__(self, config: Config, *, lang: str, echo: Callable[[str], None]) -> None:
        self.config = config
        self.lang = lang
        self.echo = echo
        self.live = Live(config.messages)
        self.stop = threading.Event()
        self.builder = Builder(config, lang)
        self._thread: threading.Thread | None = None

    @property
    def folders(self) -> list[Path]:
        """Return the folders watched: the ontology's, the data's and the shapes'."""
        config = self.config
        return [config.ontology_dir, config.data_dir, config.shapes_dir]

    def rebuild(self) -> BuildResult | None:
        """Build the site once in this process; the result, or None if the sources did not make a site."""
        started = time.perf_counter()
        outcome, result = attempt(self.config, self.lang)
        self._report(outcome, started)
        return result

    def rebuild_elsewhere(self) -> bool:
        """Build the site once in the builder process (in this one if none can start); True if swapped in."""
        started = time.perf_counter()
        try:
            outcome = self.builder.run()
        except OSError as error:  # no process can be started: build here, as before the builder
            self.echo(f"Could not start a builder process ({error}); rebuilding in the server's process.")
            return self.rebuild() is not None
        if outcome is None:
            ended = self.builder.ended()
            outcome = Outcome(
                problem=f"The rebuild stopped before it ended: {ended}. The next change starts a new builder."
            )
        return self._report(outcome, started)

    def _report(self, outcome: Outcome, started: float) -> bool:
        """Tell the terminal and the server what a rebuild came to; True if a new site is served."""
        if outcome.problem:
            self._tell(outcome.problem)
            texts, fallback = dict(outcome.problems), outcome.problem
            self.live.problem = lambda lang: texts.get(lang, fallback)
            return False
        self.live.swapped()
        self.live.problem = None
        took = time.perf_counter() - started
        self.echo("\n".join([*outcome.summary, f"Rebuilt in {took:.2f} s; serving the new site."]))
        return True

    def _tell(self, text: str) -> None:
        self.echo(
            text.rstrip()
            + f"\nNothing was published; still serving the previous site from {self.config.output}."
            + " Fix the sources and save: the site is rebuilt."
        )

    def start(self) -> None:
        """Start the builder process, and watching in a background thread."""
        if children.can_fork():  # else the first change starts it, in a new interpreter
            try:
                self.builder.start()
            except OSError:
                pass  # the first change tries again, and says so if it still cannot
        self._thread = threading.Thread(target=self._run, name="klyngedata-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching, wait for a rebuild under way to end, and stop the builder."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.builder.stop()

    def _run(self) -> None:
        import watchfiles

        folders = [str(folder) for folder in self.folders if folder.is_dir()]
        try:
            for _changes in watchfiles.watch(
                *folders, stop_event=self.stop, raise_interrupt=False, debounce=800
            ):
                if self.stop.is_set():
                    return
                self.echo("Sources changed; rebuilding …")
                self.rebuild_elsewhere()
        except Exception as error:  # noqa: BLE001 - say why watching stopped; the server goes on
            self.echo(
                f"Stopped watching ({type(error).__name__}: {error}); the server goes on. "
                "Restart it to watch again."
            )
