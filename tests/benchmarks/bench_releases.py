"""Benchmark the change history (issue 12): `release`, `diff` and the change stream, in CPU seconds.

Run:  python tests/benchmarks/bench_releases.py [--triples 100000 ...]

At each size (the real project with its four releases, then scale.py's generated projects of
about N triples) it makes two releases a change apart and measures, each in a fresh process:

* yardstick: pyoxigraph parsing the two releases' ``dataset.nq`` (what any diff must at least read);
* ``release``: storing the second release (validation, the frozen files, the archive);
* ``diff --format text`` and ``diff --format trig`` between the two releases;
* the stream: every release's changes and the LDES pages (``publish.ldes.stream_artifacts``),
  as the build makes them.

The change at scale: one strategy's member organisations are removed (deletes) and another's
home pages change (updates). CPU is user + system of the child (wait4); wall time is printed too
but depends on the machine's load. Prints a Markdown table with each step as a multiple of the
yardstick; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable
CLI = [PYTHON, "-c", "from publish.cli import main; main()"]
NOTES = ["--notes", "Benchmark", "--notes-en", "Benchmark"]
YARDSTICK = """
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


def measure(args: list[str], cwd: Path) -> tuple[float, float]:
    """Run one command; return (wall seconds, CPU seconds of the child and its children)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        sys.exit(f"{' '.join(args[:4])} … failed: {process.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def real_project(folder: Path) -> tuple[Path, str, str]:
    """Copy the real project (with its releases); return it and the two releases to compare."""
    project = folder / "real"
    project.mkdir()
    for name in ("ontology", "data", "shapes", "pyproject.toml"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, project / name)
    return project, "2020.12", "2022.04"


def scale_project(folder: Path, triples: int) -> tuple[Path, str, str]:
    """Generate a project of about ``triples``, release it, change it; the second release is timed."""
    project = folder / f"scale-{triples}"
    subprocess.run(
        [PYTHON, str(HERE / "scale.py"), "--triples", str(triples), "--out", str(project)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    shutil.rmtree(project / "data" / "releases", ignore_errors=True)
    run = [*CLI, "release", "--project", str(project), *NOTES]
    subprocess.run(
        [*run[:4], "2030.01", *run[4:], "--issued", "2030-01-01"],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    members = sorted((project / "data").glob("scale-*-members.ttl"))
    members[0].unlink()
    text = members[1].read_text(encoding="utf-8")
    members[1].write_text(text.replace("https://example.org/", "https://example.net/"), encoding="utf-8")
    return project, "2030.01", "2030.02"


def bench(project: Path, old: str, new: str, label: str) -> list[tuple[str, float, float]]:
    """Measure every step at one size; return (step, wall, CPU) rows.

    ``release`` stores the data as it is as 2030.02 (at scale, the second release compared).
    """
    release = [*CLI, "release", "2030.02", "--project", str(project), *NOTES, "--issued", "2030-02-01"]
    rows = [("release (of the data as it is)", *measure(release, ROOT))]
    stored = [str(project / "data" / "releases" / v / "dataset.nq") for v in (old, new)]
    rows.insert(0, ("yardstick: parse both dataset.nq", *measure([PYTHON, "-c", YARDSTICK, *stored], ROOT)))
    for fmt in ("text", "trig"):
        command = [*CLI, "diff", old, new, "--project", str(project), "--format", fmt]
        rows.append((f"diff --format {fmt}", *measure(command, ROOT)))
    rows.append(
        ("stream (every release's changes, LDES pages)", *measure([PYTHON, "-c", STREAM, str(project)], ROOT))
    )
    print(f"\n### {label}\n\n| step | wall s | CPU s | × yardstick CPU |\n|---|---|---|---|")
    base = rows[0][2]
    for step, wall, cpu in rows:
        print(f"| {step} | {wall:.2f} | {cpu:.2f} | {cpu / base:.1f} |")
    return rows


def main() -> None:
    """Measure at the real size and at every --triples size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, action="append", help="generated size (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-releases-") as temp:
        folder = Path(temp)
        bench(*real_project(folder), "real data (releases 2020.12 → 2022.04)")
        for triples in args.triples or [100_000]:
            project, old, new = scale_project(folder, triples)
            bench(project, old, new, f"generated, about {triples:,} triples (2030.01 → 2030.02)")


if __name__ == "__main__":
    main()
