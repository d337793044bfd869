"""Benchmark `klyngedata validate` and `klyngedata build`: wall time and peak memory.

Run:  python tests/benchmarks/bench_build.py [--repeat 3] [--scale 1 --scale 20]

Each command runs in a fresh process (as a user runs it); peak memory is the child's maximum
resident set size from wait4(). ``--scale N`` replicates data/ N times under new IRIs to show
how the pipeline grows with the data. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_ID_NAMESPACE = re.compile(r"<id/([a-z-]+)/>")


def make_project(target: Path, scale: int) -> Path:
    """Copy the project; with scale > 1 add scale-1 renamed copies of every data file."""
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    for copy in range(2, scale + 1):
        for source in sorted((ROOT / "data").glob("*.ttl")):
            text = _ID_NAMESPACE.sub(lambda m, c=copy: f"<id/{m.group(1)}/c{c}->", source.read_text("utf-8"))
            (target / "data" / f"c{copy}-{source.name}").write_text(text, encoding="utf-8")
    return target


def measure(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run one command; return (seconds, peak MiB, exit code)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def triples(project: Path) -> int:
    """Count the triples of the built dataset (ontology + data)."""
    return sum(1 for _ in (project / "site" / "dataset.nt").open(encoding="utf-8"))


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, action="append")
    options = parser.parse_args()
    exe = shutil.which("klyngedata") or sys.exit("klyngedata is not installed (pip install .)")
    print("| data | triples | command | wall s (median) | wall s (min) | peak MiB |")
    print("|---|---:|---|---:|---:|---:|")
    for scale in options.scale or [1]:
        with tempfile.TemporaryDirectory() as folder:
            project = make_project(Path(folder) / "project", scale)
            for command in ("validate", "build"):
                runs = [measure([exe, command], project) for _ in range(options.repeat)]
                if any(code not in (0,) for _, _, code in runs):
                    sys.exit(f"{command} failed at scale {scale}: exit codes {[c for _, _, c in runs]}")
                walls = [wall for wall, _, _ in runs]
                peak = max(mib for _, mib, _ in runs)
                label = "real data" if scale == 1 else f"real data x{scale}"
                print(
                    f"| {label} | {triples(project):,} | {command} | {statistics.median(walls):.2f} "
                    f"| {min(walls):.2f} | {peak:.0f} |"
                    if command == "build"
                    else f"| {label} | – | {command} | {statistics.median(walls):.2f} "
                    f"| {min(walls):.2f} | {peak:.0f} |"
                )


if __name__ == "__main__":
    main()
