"""CPU seconds per step of a build's non-validation work, and peak memory (issue 11, "Pipeline").

Run:  python tests/benchmarks/bench_plan_steps.py PROJECT [--dcatap]

Loads PROJECT, plans its site (RDF documents, pages, catalogue: no validation, nothing written)
and runs the check before the swap, printing the CPU seconds of each step, the total and the
peak resident memory. The official DCAT-AP check of the catalogue is left out unless --dcatap
(it is another step's cost). To compare two versions of the code, run the script in each with
``PYTHONPATH`` pointing at an unpacked ``git archive <commit> publish``.
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.process_time()

from publish import build, catalog, dcatap, exports, html, wellformed  # noqa: E402
from publish.config import load_config  # noqa: E402
from publish.dataset import load  # noqa: E402

IMPORTED = time.process_time() - START


def timed(cpu: dict[str, float], owner: Any, name: str, label: str) -> None:
    """Replace ``owner.name`` by a wrapper that adds its CPU seconds to ``cpu[label]``."""
    function: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            cpu[label] = cpu.get(label, 0.0) + time.process_time() - start

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--dcatap", action="store_true", help="include the official DCAT-AP check")
    args = parser.parse_args()
    if not args.dcatap:
        dcatap.require_conformance = lambda *a, **k: None  # type: ignore[assignment]
    cpu: dict[str, float] = {"import": IMPORTED}
    timed(cpu, exports, "jsonld", "  of which JSON-LD (exports.jsonld)")
    timed(cpu, build, "rdf_artifacts", "RDF documents (build.rdf_artifacts)")
    timed(cpu, html, "page_artifacts", "pages, embeds, site files (html)")
    timed(cpu, catalog, "site_files", "catalogue and dump (catalog.site_files)")
    config = load_config(args.project)
    start = time.process_time()
    dataset = load(config)
    cpu["load"] = time.process_time() - start
    start = time.process_time()
    artifacts = build.plan(dataset, config)
    cpu["plan, all of it"] = time.process_time() - start
    start = time.process_time()
    broken = wellformed.ill_formed((str(a.path), a.body) for a in artifacts)
    cpu["check before the swap (wellformed)"] = time.process_time() - start
    assert not broken, broken[:5]
    for label, seconds in cpu.items():
        print(f"{label:42} {seconds:8.2f}")
    print(f"{'total CPU s':42} {time.process_time():8.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak MiB':42} {peak:8.0f}   ({len(artifacts)} files)")


if __name__ == "__main__":
    main()
