"""The Oxigraph server from PyPI as an independent SPARQL 1.1 store for the tests (127.0.0.1 only)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import free_port, stop

STARTUP_SECONDS = 20.0


def oxigraph_binary() -> str:
    """Return the `oxigraph` command installed by the PyPI package `oxigraph`."""
    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    assert found, "the oxigraph server is missing: pip install -e '.[test]' installs it"
    return found


@contextmanager
def running_oxigraph(location: Path, *, read_only: bool = False) -> Iterator[str]:
    """Run `oxigraph serve` on a free port of 127.0.0.1; yield its root URL; stop it afterwards."""
    port = free_port()
    log_path = location.with_suffix(".log")
    command = "serve-read-only" if read_only else "serve"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [oxigraph_binary(), command, "--location", str(location), "--bind", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                assert process.poll() is None, f"oxigraph exited: {log_path.read_text(errors='replace')}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"oxigraph did not listen within {STARTUP_SECONDS} s"
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)


def load_dump(site: Path, location: Path) -> None:
    """Load the site's dataset.nq.gz into a new Oxigraph store at ``location`` as the README says.

    `oxigraph load --file site/dataset.nq.gz` with its defaults: no union default graph, no base.
    """
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(site / "dataset.nq.gz")],
        check=True,
        capture_output=True,
        timeout=120,
    )
