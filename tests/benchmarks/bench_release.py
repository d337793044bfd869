"""Benchmark `klyngedata release` against `klyngedata build` (the yardstick), in CPU seconds.

Run:  python tests/benchmarks/bench_release.py [--triples 10000 --triples 100000] [--repeat 1]

At each size (the real data, then scale.py's generated projects of about N triples) it runs, each
in a fresh process: `build` twice (the second, with the shapes cache warm, is the yardstick),
`release` of the data as it is, `release --as-of`
(the dated data is validated a second time, to report what had not happened yet), and a `build`
that also copies and checks the stored releases. CPU is user + system of the child (wait4), so
other work on the machine changes wall time, not these figures. Prints a Markdown table with
each step's CPU as a multiple of the yardstick's; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NOTES = ["--notes", "Benchmark", "--notes-en", "Benchmark"]


def measure(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run one command; return (wall seconds, CPU seconds of the child, peak MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        sys.exit(f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def project_of(size: int, folder: Path) -> Path:
    """Return a copy of the real project (size 0) or a generated one of about ``size`` triples."""
    target = folder / "project"
    if size:
        subprocess.run(
            [sys.executable, str(HERE / "scale.py"), "--triples", str(size), "--out", str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    else:
        for name in ("ontology", "data", "shapes"):
            shutil.copytree(ROOT / name, target / name)
        shutil.copy2(ROOT / "pyproject.toml", target)
    shutil.rmtree(target / "data" / "releases", ignore_errors=True)  # start without history
    return target


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, action="append", help="also a generated project of N triples")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--klyngedata", default=shutil.which("klyngedata"), help="the command to measure")
    options = parser.parse_args()
    exe = options.klyngedata or sys.exit("klyngedata is not installed (pip install .)")
    print("| data | step | wall s | CPU s | peak MiB | × build CPU |")
    print("|---|---|---:|---:|---:|---:|")
    for size in [0, *(options.triples or [])]:
        with tempfile.TemporaryDirectory() as folder:
            project = project_of(size, Path(folder))
            # The first build fills the shapes cache (.klyngedata-cache/); the yardstick is the second.
            steps: list[tuple[str, list[str]]] = [("build (cold)", [exe, "build"])]
            steps.append(("build (yardstick)", [exe, "build"]))
            for n in range(options.repeat):
                steps.append(
                    ("release", [exe, "release", f"b{n}.1", "--issued", f"{2030 + n}-01-01", *NOTES])
                )
                dated = ["--issued", f"{2030 + n}-01-02", "--as-of", "2021-06-01"]
                steps.append(("release --as-of", [exe, "release", f"b{n}.2", *dated, *NOTES]))
            steps.append(("build with the stored releases", [exe, "build"]))
            figures: dict[str, list[tuple[float, float, float]]] = {}
            for name, args in steps:
                figures.setdefault(name, []).append(measure(args, project))
            yard = statistics.median(cpu for _, cpu, _ in figures["build (yardstick)"])
            label = "real data" if size == 0 else f"~{size:,} triples"
            for name, runs in figures.items():
                wall = statistics.median(w for w, _, _ in runs)
                cpu = statistics.median(c for _, c, _ in runs)
                peak = max(p for _, _, p in runs)
                print(
                    f"| {label} | {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {cpu / yard:.2f}× |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
