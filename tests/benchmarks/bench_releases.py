"""Benchmark the change history (issue 12): `release`, `diff` and the change stream, in CPU seconds.

Run:  python tests/benchmarks/bench_releases.py [--scale real] [--scale 100k] [--scale 1m]
          [--workdir DIR] [--no-build] [--timeout 3600]

Scales are bench_pipeline.py's: ``real`` (a copy of the repository's project with its four
releases) or a number of triples (``10k``, ``100k``, ``1m``), for which scale.py writes a project
into ``--workdir`` (reused by a later run) or a temporary folder. Every step runs in a fresh
process on a fresh copy of that project:

* ``build`` twice (the first fills the shapes cache; the second is the first yardstick) — left out
  with ``--no-build`` (at 1M triples a build does not finish yet, see the README's Performance);
* at a generated scale, ``release 2030.01`` of the generated data; then one strategy's member
  organisations are removed (deletes) and another's home pages change (updates);
* ``release`` of the data as it is (at a generated scale 2030.02, the changed data);
* ``release --as-of 2021-06-01`` (the dated data is validated a second time, to report what had
  not happened yet);
* the second yardstick: pyoxigraph parsing the two compared releases' ``dataset.nq`` (what any
  diff must at least read);
* ``diff --format text`` and ``diff --format trig`` between two releases (real: 2020.12 → 2022.04;
  generated: 2030.01 → 2030.02);
* the stream: every release's changes and the LDES pages (``publish.ldes.stream_artifacts``),
  as the build makes them;
* a ``build`` that also copies and checks the stored releases (not with ``--no-build``).

CPU is user + system of the child (wait4), so other work on the machine changes the wall time,
not these figures; peak is the child's maximum resident set. Prints a Markdown table per scale
with each step's CPU as a multiple of each yardstick's; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable
CLI = [PYTHON, "-c", "from publish.cli import main; main()"]
NOTES = ["--notes", "Benchmark", "--notes-en", "Benchmark"]
BUILD_YARDSTICK = "build (yardstick: shapes cache warm)"
PARSE_YARDSTICK = "yardstick: pyoxigraph parses both dataset.nq"
PARSE = """
import sys, pyoxigraph as ox
for path in sys.argv[1:]:
    n = sum(1 for _ in ox.parse(path=path, format=ox.RdfFormat.N_QUADS))
"""
STREAM = """
import sys
from pathlib import Path
from publish.config import load_config
from publish.history import release_diffs
from publish.ldes import stream_artifacts
from publish.releases import load_releases
config = load_config(Path(sys.argv[1]))
history = release_diffs(config, load_releases(config))
pages = stream_artifacts(config.uris, history)
print(len(pages), sum(len(a.body) for a in pages))
"""


@dataclass(frozen=True, slots=True)
class Run:
    """One measured process: wall and CPU seconds, peak MiB; finished False if stopped at the timeout."""

    step: str
    wall: float
    cpu: float
    peak: float
    finished: bool = True


class StoppedError(Exception):
    """A step ran past the timeout; the steps after it need its result."""


def measure(step: str, args: list[str], *, cwd: Path, timeout: float) -> Run:
    """Run one command in a fresh process; return its figures (exit on failure)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    finished = True
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            finished = False
            break
        time.sleep(0.1)
    run = Run(
        step, time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, finished
    )
    if finished and os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        sys.exit(f"{step}: {' '.join(args[3:6])} … failed: {process.stderr.read().decode()[-2000:]}")
    print(
        f"  {step}: {run.cpu:.1f} s CPU, {run.wall:.1f} s wall, {run.peak:.0f} MiB",
        file=sys.stderr,
        flush=True,
    )
    if not finished:
        raise StoppedError(run)
    return run


def source_project(name: str, workdir: Path) -> Path:
    """Return the project of one scale: the repository's, or scale.py's (made once per workdir)."""
    if name == "real":
        return ROOT
    from scale import parse_size

    project = workdir / f"scale-{name}" / "project"
    if not (project / "pyproject.toml").is_file():
        generate = [PYTHON, str(HERE / "scale.py"), "--triples", str(parse_size(name)), "--out", str(project)]
        subprocess.run(generate, check=True, cwd=HERE)
    return project


def fresh_copy(source: Path, target: Path, *, history: bool) -> Path:
    """Copy a project's ontology, data, shapes and pyproject.toml (its releases only with ``history``)."""
    shutil.rmtree(target, ignore_errors=True)
    ignore = None if history else shutil.ignore_patterns("releases")
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(source / name, target / name, ignore=ignore)
    shutil.copy2(source / "pyproject.toml", target / "pyproject.toml")
    return target


def change(project: Path) -> None:
    """Remove one strategy's member organisations and move another's home pages to another host."""
    members = sorted((project / "data").glob("scale-*-members.ttl"))
    members[0].unlink()
    text = members[1].read_text(encoding="utf-8")
    members[1].write_text(text.replace("https://example.org/", "https://example.net/"), encoding="utf-8")


def bench(name: str, project: Path, options: argparse.Namespace) -> list[Run]:
    """Measure every step on one project; return the runs (fewer if one ran past the timeout)."""
    runs: list[Run] = []

    def run(step: str, args: list[str]) -> None:
        runs.append(measure(step, args, cwd=ROOT, timeout=options.timeout))

    def klyngedata(*args: str) -> list[str]:
        return [*CLI, *args, "--project", str(project)]

    try:
        if options.build:
            run("build (cold: fills the shapes cache)", klyngedata("build"))
            run(BUILD_YARDSTICK, klyngedata("build"))
        if name == "real":
            old, new = "2020.12", "2022.04"
            run(
                "release (of the data as it is)",
                klyngedata("release", "2030.02", *NOTES, "--issued", "2030-02-01"),
            )
        else:
            old, new = "2030.01", "2030.02"
            run(
                "release (first, of the generated data)",
                klyngedata("release", old, *NOTES, "--issued", "2030-01-01"),
            )
            change(project)
            run("release (of the changed data)", klyngedata("release", new, *NOTES, "--issued", "2030-02-01"))
        dated = ["--issued", "2030-03-01", "--as-of", "2021-06-01"]
        run(
            "release --as-of (validates the dated data too)", klyngedata("release", "2030.03", *NOTES, *dated)
        )
        stored = [str(project / "data" / "releases" / v / "dataset.nq") for v in (old, new)]
        run(PARSE_YARDSTICK, [PYTHON, "-c", PARSE, *stored])
        for fmt in ("text", "trig"):
            run(f"diff {old} {new} --format {fmt}", klyngedata("diff", old, new, "--format", fmt))
        run("stream (every release's changes, LDES pages)", [PYTHON, "-c", STREAM, str(project)])
        if options.build:
            run("build with the stored releases", klyngedata("build"))
    except StoppedError as stopped:
        runs.append(stopped.args[0])
    return runs


def table(runs: list[Run]) -> str:
    """Return the Markdown table of one scale: each step against the yardsticks measured with it."""
    yardsticks = {r.step: r.cpu for r in runs if r.step in (BUILD_YARDSTICK, PARSE_YARDSTICK) and r.finished}
    lines = [
        "| step | wall s | CPU s | peak MiB | × build CPU | × parse CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        ratios = [
            f"{r.cpu / yardsticks[y]:.2f}×" if y in yardsticks else "–"
            for y in (BUILD_YARDSTICK, PARSE_YARDSTICK)
        ]
        step = r.step if r.finished else f"{r.step} (stopped at the timeout)"
        lines.append(f"| {step} | {r.wall:.2f} | {r.cpu:.2f} | {r.peak:.0f} | {' | '.join(ratios)} |")
    return "\n".join(lines)


def uptime() -> str:
    """Return the output of ``uptime`` (the load the figures were taken under)."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    """Measure every scale and print a table per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        action="append",
        help="real (the repository's project) or triples: 10k, 100k, 1m or a number",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated projects here (default: a temporary folder)"
    )
    parser.add_argument("--no-build", dest="build", action="store_false", help="leave out the build steps")
    parser.add_argument("--timeout", type=float, default=3600.0, help="wall seconds a step may take")
    options = parser.parse_args()
    sys.path.insert(0, str(HERE))
    print(f"{' '.join(sys.argv)}\n{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {uptime()}")
    with tempfile.TemporaryDirectory(prefix="bench-releases-") as temporary:
        workdir = options.workdir or Path(temporary)
        for name in options.scale or ["real"]:
            source = source_project(name, workdir)
            project = fresh_copy(source, workdir / f"run-{name}", history=name == "real")
            print(f"  {name}: {project}", file=sys.stderr, flush=True)
            runs = bench(name, project, options)
            print(f"\n### {name}\n\n{table(runs)}", flush=True)
            shutil.rmtree(project, ignore_errors=True)
    print(f"\n{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; {uptime()}")


if __name__ == "__main__":
    main()
