"""``klyngedata serve --watch``: rebuild when the sources change, and serve each new site at once.

A thread watches the ontology, data and shapes folders (``watchfiles``: inotify where there is
one; changes arriving together make one rebuild). Each rebuild runs in this process, with its
imports, templates and shapes cache warm, and is incremental (:mod:`publish.incremental`).
After a rebuild the report is printed; if the site was swapped in, the server is told to serve
it (:class:`publish.preview.Live`); if not, the previous site keeps being served with the
problem as a banner on its pages, until a rebuild succeeds. Nothing a rebuild meets stops the
server or prints a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from .build import BuildResult, build_validated
from .config import Config
from .dataset import load
from .errors import KlyngedataError
from .preview import Live
from .validate import format_text, validate_project


class Watcher:
    """Rebuild ``config``'s site on every change of its sources; report to ``echo`` and ``live``."""

    def __init__(self, config: Config, *, lang: str, echo: Callable[[str], None]) -> None:
        self.config = config
        self.lang = lang
        self.echo = echo
        self.live = Live(config.messages)
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def folders(self) -> list[Path]:
        """Return the folders watched: the ontology's, the data's and the shapes'."""
        config = self.config
        return [config.ontology_dir, config.data_dir, config.shapes_dir]

    def rebuild(self) -> BuildResult | None:
        """Build the site once; return the result, or None if the sources did not make a site."""
        started = time.perf_counter()
        config = self.config
        try:
            dataset = load(config)
            report = validate_project(dataset, config, lang=self.lang)
            if not report.conforms:
                texts = {self.lang: format_text(report, lang=self.lang, messages=config.messages)}
                self._tell(texts[self.lang])
                # The banner speaks each page's language: the findings' words come from validation.
                for code in config.languages:
                    if code not in texts:
                        again = validate_project(dataset, config, lang=code)
                        texts[code] = format_text(again, lang=code, messages=config.messages)
                self.live.problem = lambda lang: texts.get(lang, texts[self.lang])
                return None
            result = build_validated(config, dataset, report, lang=self.lang)
        except KlyngedataError as error:
            text = error.format_message()
            self._failed(lambda lang: text, text)
            return None
        except Exception as error:  # noqa: BLE001 - a preview server outlives any one bad rebuild
            text = f"klyngedata could not rebuild ({type(error).__name__}: {error}); report this as a bug."
            self._failed(lambda lang: text, text)
            return None
        self.live.swapped()
        self.live.problem = None
        took = time.perf_counter() - started
        self.echo("\n".join([*result.summary(), f"Rebuilt in {took:.2f} s; serving the new site."]))
        return result

    def _failed(self, problem: Callable[[str], str], text: str) -> None:
        self._tell(text)
        self.live.problem = problem

    def _tell(self, text: str) -> None:
        self.echo(
            text.rstrip()
            + f"\nNothing was published; still serving the previous site from {self.config.output}."
            + " Fix the sources and save: the site is rebuilt."
        )

    def start(self) -> None:
        """Start watching in a background thread."""
        self._thread = threading.Thread(target=self._run, name="klyngedata-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching and wait for a rebuild under way to end."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

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
                self.rebuild()
        except Exception as error:  # noqa: BLE001 - say why watching stopped; the server goes on
            self.echo(
                f"Stopped watching ({type(error).__name__}: {error}); the server goes on. "
                "Restart it to watch again."
            )
