"""The goals of issue 11, judged from bench_pipeline.py's figures.

Run:  python tests/benchmarks/pipeline_goals.py bench.json

bench_pipeline.py prints this block after its tables and writes it into its JSON report; this
script prints it again from a saved report. A goal the run did not measure (its scale or step
was not run, or did not finish) says so instead of a verdict.

* real data (``--scale real``): cold ``build`` under 1.5 s wall, a rebuild after a one-line
  edit under 0.5 s wall (``klyngedata build`` in a fresh process, and the edit previewed: from
  the save until ``serve --watch`` serves it, the median of five), ``klyngedata --help`` within
  2× the wall time of ``python -c pass``;
* 100k triples: a cold ``build`` (which validates first) within 30× the yardstick's wall time;
* 1M triples: within 15×, peak memory of ``validate`` and ``build`` under 3 GiB, and cost
  growing linearly from 100k: the build's CPU seconds grow at most 1.1× as much as the triples;
* named queries over 1M triples: each under 100 ms in the embedded engine (the CPU time of the
  query in-process, median of three: on a busy machine its wall time also counts the waits for a
  core, and is shown beside it).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scale = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal: what it asks, what was measured, the target, and the verdict (None: not measured)."""

    goal: str
    measured: str
    target: str
    met: bool | None


def judge(scales: list[Scale]) -> list[Goal]:
    """Return every goal of issue 11 with its verdict on these scales (bench_pipeline's JSON)."""
    real = _scale(scales, lambda s: s["scale"] == "real")
    at100k = _scale(scales, lambda s: s["target_triples"] == 100_000)
    at1m = _scale(scales, lambda s: s["target_triples"] == 1_000_000)
    return [
        _at_most("real data: cold build (wall)", _figure(real, "build", "wall_s"), 1.5, "s"),
        _at_most(
            "real data: build after a one-line edit (wall)", _figure(real, "incremental", "wall_s"), 0.5, "s"
        ),
        _at_most(
            "real data: a one-line edit until serve --watch serves it (wall, median of 5)",
            None if real is None or not real.get("preview") else float(real["preview"]["median_s"]),
            0.5,
            "s",
        ),
        _start_up([real, *scales]),
        _ratio("100k triples: cold build, validation included (wall)", at100k, 30),
        _ratio("1M triples: cold build, validation included (wall)", at1m, 15),
        _peak(at1m),
        _growth(at100k, at1m),
        _queries(at1m),
    ]


def table(goals: list[Goal]) -> str:
    """Return the goals as a Markdown table."""
    verdict = {True: "met", False: "**not met**", None: "not measured"}
    lines = ["| goal (issue 11) | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {g.goal} | {g.measured} | {g.target} | {verdict[g.met]} |" for g in goals]
    return "\n".join(lines)


def _scale(scales: list[Scale], chosen: Any) -> Scale | None:
    return next((s for s in scales if chosen(s)), None)


def _step(scale: Scale | None, key: str) -> dict[str, Any] | None:
    if scale is None:
        return None
    step = next((s for s in scale["steps"] if s.get("key") == key), None)
    return step if step is not None and step["status"] == "ok" else None


def _figure(scale: Scale | None, key: str, figure: str) -> float | None:
    step = _step(scale, key)
    return None if step is None else float(step[figure])


def _at_most(goal: str, value: float | None, limit: float, unit: str) -> Goal:
    if value is None:
        return Goal(goal, "–", f"< {limit:g} {unit}", None)
    return Goal(goal, f"{value:.2f} {unit}", f"< {limit:g} {unit}", value < limit)


def _start_up(scales: list[Scale | None]) -> Goal:
    goal = "`klyngedata --help` against `python -c pass` (wall)"
    for scale in scales:
        shown, bare = _figure(scale, "help", "wall_s"), _figure(scale, "baseline", "wall_s")
        if shown is not None and bare is not None:
            measured = f"{shown * 1000:.0f} / {bare * 1000:.0f} ms = {shown / bare:.2f}×"
            return Goal(goal, measured, "≤ 2×", shown / bare <= 2)
    return Goal(goal, "–", "≤ 2×", None)


def _ratio(goal: str, scale: Scale | None, limit: float) -> Goal:
    build, yard = _figure(scale, "build", "wall_s"), _figure(scale, "yardstick", "wall_s")
    if build is None or yard is None:
        return Goal(goal, "–", f"≤ {limit:g}× the yardstick", None)
    measured = f"{build:.1f} s / {yard:.2f} s = {build / yard:.1f}×"
    return Goal(goal, measured, f"≤ {limit:g}× the yardstick", build / yard <= limit)


def _peak(scale: Scale | None) -> Goal:
    goal = "1M triples: peak memory of validate and build"
    peaks = [_figure(scale, key, "peak_mib") for key in ("validate", "build")]
    if None in peaks:
        return Goal(goal, "–", "< 3 GiB", None)
    peak = max(p for p in peaks if p is not None)
    return Goal(goal, f"{peak / 1024:.2f} GiB", "< 3 GiB", peak < 3 * 1024)


def _growth(small: Scale | None, large: Scale | None) -> Goal:
    goal = "100k → 1M: build CPU grows with the data (10× the data, at most 11× the time)"
    cpu = [_figure(small, "build", "cpu_s"), _figure(large, "build", "cpu_s")]
    triples = [s.get("triples") if s else None for s in (small, large)]
    if None in cpu or None in triples:
        return Goal(goal, "–", "≤ 1.1 × the data's growth", None)
    time_growth = float(cpu[1]) / float(cpu[0])  # type: ignore[arg-type]
    data_growth = float(triples[1]) / float(triples[0])  # type: ignore[arg-type]
    measured = f"CPU ×{time_growth:.1f} for ×{data_growth:.1f} the triples"
    return Goal(goal, measured, f"≤ ×{1.1 * data_growth:.1f}", time_growth <= 1.1 * data_growth)


def _queries(scale: Scale | None) -> Goal:
    goal = "1M triples: each named query in the embedded engine (CPU of the query, median of 3)"
    figures = {k: v for k, v in (scale or {}).get("queries", {}).items() if not k.startswith("load ")}
    if not figures:
        return Goal(goal, "–", "< 100 ms each", None)
    name, slowest = max(figures.items(), key=lambda item: item[1]["cpu_seconds"])
    wall = slowest["seconds"] * 1000
    measured = f"slowest {name}: {slowest['cpu_seconds'] * 1000:.0f} ms (wall {wall:.0f} ms)"
    return Goal(goal, measured, "< 100 ms each", slowest["cpu_seconds"] < 0.1)


def main() -> None:
    """Print the goals block of a saved bench_pipeline.py JSON report."""
    report = json.loads(Path(sys.argv[1]).read_text("utf-8"))
    print(table(judge(report["scales"])))


if __name__ == "__main__":
    main()
