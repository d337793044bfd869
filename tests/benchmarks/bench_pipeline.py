"""Benchmark the pipeline at generated scales against a pyoxigraph yardstick (issue 11).

Run:  python tests/benchmarks/bench_pipeline.py --scale 10k --scale 100k:1 [--scale 1m] [--repeat 3]
          [--timeout 900] [--steps validate,build] [--json FILE] [--workdir DIR]

At each scale scale.py writes a project of about that many triples (ontology + data) into a
temporary folder, or ``--workdir`` (where a later run reuses it instead of writing it again);
``--scale real`` copies the repository's own project instead. Then every step runs in a fresh
process, ``--repeat`` times (``--scale 100k:1``: once at that scale), bounded by ``--timeout``
seconds (a step that overruns is killed and reported as "did not finish in N s"):

* ``python -c pass`` and ``klyngedata --help``: the interpreter and the CLI's start-up, with
  bytecode caches as an installed package has them, after one unmeasured run, at least 11 times;
  run this script with the Python of a ``pip install .`` venv for what a user starts: an editable
  install's finder runs in every start of its interpreter (``python -c pass`` included, about
  20 ms importing pathlib, re and urllib.parse), which halves the ratio (the script says so);
* the yardstick (pipeline_steps.py yardstick): pyoxigraph alone parses the same Turtle and writes
  the same whole-dataset files (Turtle, N-Triples, N-Quads gz, JSON-LD, RDF/XML);
* ``klyngedata validate`` and ``klyngedata build`` (every output), cold: no site/ and no
  ``.klyngedata-cache/`` before;
* ``klyngedata build`` again after a one-line edit (a label) of one data file;
* an edit previewed (pipeline_steps.py preview): ``klyngedata serve --watch`` on the project, five
  one-line edits, each timed from the save until the server serves the new site (the median;
  the server's own "Rebuilt in" figures beside it);
* the named queries (pipeline_steps.py queries): load site/dataset.nq.gz into pyoxigraph (the
  project's Turtle when there is no build), run each named query three times with
  ``store.query``; the process is measured, and each query in-process (median).

Wall time is the median of the repeats, CPU is user + system of the process and the children it
waited for (from wait4), peak is the largest maximum resident set size. Prints a Markdown table
per scale (ratio of wall time to the yardstick's, growth of wall time from the previous scale),
then the goals of issue 11, each with its measured figure, target and verdict (pipeline_goals.py);
``--json FILE`` writes every run and the goals too. Needs nothing beyond the test extras; asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pipeline_goals import judge  # noqa: E402  (a script folder, not a package)
from pipeline_goals import table as goals_table  # noqa: E402

STEPS = ("baseline", "help", "yardstick", "validate", "build", "incremental", "preview", "queries")
# Start-up is measured over more runs (it takes milliseconds), after one unmeasured run.
STARTUP = ("baseline", "help")
STARTUP_RUNS = 11
# What the queries step loaded: the build's dump, or the project's Turtle when nothing was built.
LOADED = {"dump": "site/dataset.nq.gz", "turtle": "the project's Turtle (no build)"}
# --scale real: copy the repository's ontology, data, shapes and pyproject.toml (argv: from, to).
_COPY_REAL = (
    "import shutil, sys; from pathlib import Path; a, b = map(Path, sys.argv[1:3]); "
    "[shutil.copytree(a / n, b / n) for n in ('ontology', 'data', 'shapes')]; "
    "shutil.copy2(a / 'pyproject.toml', b / 'pyproject.toml'); "
    "print('the real project:', sum(1 for _ in (b / 'data').rglob('*.ttl')), 'data files')"
)
_LABEL = re.compile(r'^(\s+skos:prefLabel "[^"]*?)( \(rettet\))?(")', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Run:
    """One measured process: wall and CPU seconds, peak MiB, exit code (None: killed at timeout)."""

    wall: float
    cpu: float
    peak_mib: float
    code: int | None
    load1: float
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)


@dataclass(slots=True)
class Step:
    """The runs of one step at one scale, and the figures the table shows."""

    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    timeout: float = 0.0
    key: str = ""

    @property
    def finished(self) -> bool:
        """Tell whether every run exited with 0."""
        return bool(self.runs) and all(run.code == 0 for run in self.runs)

    def wall(self) -> float | None:
        """Return the median wall time of the runs, if they all finished."""
        return statistics.median(r.wall for r in self.runs) if self.finished else None

    def summary(self) -> dict[str, object]:
        """Return the step's figures for the JSON file."""
        done = self.finished
        return {
            "step": self.name,
            "key": self.key,
            "status": "ok" if done else self.status(),
            "wall_s": self.wall(),
            "cpu_s": statistics.median(r.cpu for r in self.runs) if done else None,
            "peak_mib": max(r.peak_mib for r in self.runs) if done else None,
            "runs": [
                {k: v for k, v in asdict(r).items() if k not in ("stdout", "stderr")} for r in self.runs
            ],
        }

    def status(self) -> str:
        """Say why the step has no figure."""
        if self.note:
            return self.note
        failed = next(r for r in self.runs if r.code != 0)
        if failed.code is None:
            return f"did not finish in {self.timeout:g} s"
        return f"failed (exit {failed.code}): {failed.stderr.strip().splitlines()[-1:]}"


def measure(args: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Run one command in a fresh process group; kill the group when it overruns ``timeout``."""
    load1 = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, start_new_session=True, env=env)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): leave no step running behind us
            os.killpg(process.pid, signal.SIGKILL)
            raise
        wall = time.perf_counter() - started
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            peak_mib=usage.ru_maxrss / 1024,
            code=None if killed.is_set() else process.returncode,
            load1=load1,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace")[-2000:],
        )


def edit_one_line(project: Path) -> Path:
    """Toggle " (rettet)" on the first label of the first generated (or real) data file; return it."""
    data = project / "data"
    path = (
        sorted(data.glob("scale-*.ttl"))
        or [p for p in sorted(data.glob("*.ttl")) if _LABEL.search(p.read_text("utf-8"))]
    )[0]
    text = path.read_text("utf-8")
    edited = _LABEL.sub(
        lambda m: m.group(1) + ("" if m.group(2) else " (rettet)") + m.group(3), text, count=1
    )
    path.write_text(edited, encoding="utf-8", newline="\n")
    return path


def startup_env(project: Path) -> dict[str, str]:
    """Return the environment for the start-up steps: bytecode caches on, as in an installed package.

    PYTHONDONTWRITEBYTECODE (set in some shells and containers) would make every run compile the
    package's modules again; the caches go to a folder beside the project, not into the sources.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(project.parent / "pycache")
    return env


def editable_install() -> Path | None:
    """Return the ``.pth`` file of an editable install of klyngedata in this Python's site, if any."""
    import sysconfig

    found = sorted(Path(sysconfig.get_paths()["purelib"]).glob("__editable__*klyngedata*.pth"))
    return found[0] if found else None


def klyngedata() -> str:
    """Return the path of the installed klyngedata command."""
    found = shutil.which("klyngedata") or shutil.which("klyngedata", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("klyngedata is not installed in this environment (pip install -e .)")
    return found


@dataclass(slots=True)
class Scale:
    """One scale of the benchmark: its generated project and its steps."""

    name: str
    target: int
    project: Path
    repeat: int
    generated: dict[str, object] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    queries: dict[str, dict[str, float]] = field(default_factory=dict)
    preview: dict[str, object] = field(default_factory=dict)

    def step(self, name: str) -> Step | None:
        """Return the step of this name, if it ran."""
        return next((s for s in self.steps if s.name == name), None)

    def triples(self) -> int | None:
        """Return the triples the yardstick read (ontology + data), if it ran."""
        yard = next((s for s in self.steps if s.key == "yardstick" and s.finished), None)
        return int(json.loads(yard.runs[0].stdout)["triples"]) if yard else None


def run_scale(scale: Scale, options: argparse.Namespace) -> None:
    """Generate the project of one scale and measure every selected step on it."""
    exe, python, timeout = klyngedata(), sys.executable, options.timeout
    gen = [python, str(HERE / "scale.py"), "--triples", str(scale.target), "--out", str(scale.project)]
    if scale.name == "real":  # the repository's own project, as it is
        gen = [python, "-c", _COPY_REAL, str(HERE.parent.parent), str(scale.project)]
    if (scale.project / "pyproject.toml").is_file():  # --workdir: made by an earlier run
        scale.generated = {"summary": f"{scale.project}: reused (made by an earlier run)"}
    else:
        generation = Step(
            "generate the project (scale.py)", [measure(gen, cwd=HERE, timeout=timeout)], timeout=timeout
        )
        scale.steps.append(generation)
        if not generation.finished:
            return
        scale.generated = {"summary": generation.runs[0].stdout.strip()}
    project, chosen = scale.project, options.steps
    plan: list[tuple[str, str, list[str]]] = [
        ("baseline", "python -c pass", [python, "-c", "pass"]),
        ("help", "klyngedata --help", [exe, "--help"]),
        ("yardstick", "yardstick: pyoxigraph parse + 5 dumps", []),
        ("validate", "klyngedata validate (cold)", [exe, "validate", "--project", str(project)]),
        ("build", "klyngedata build (cold, every output)", [exe, "build", "--project", str(project)]),
        ("incremental", "klyngedata build after a one-line edit", [exe, "build", "--project", str(project)]),
        ("preview", "serve --watch: five one-line edits, each until served", []),
        ("queries", "named queries: load the dump + each query", []),
    ]
    for key, title, args in plan:
        if key not in chosen:
            continue
        step = Step(title, timeout=timeout, key=key)
        scale.steps.append(step)
        blocker = _blocked(scale, key)
        if blocker:
            step.note = blocker
            continue
        for attempt in range(max(scale.repeat, STARTUP_RUNS) if key in STARTUP else scale.repeat):
            step.runs.append(_run_step(key, args, project, attempt, timeout))
            if step.runs[-1].code != 0:
                break
        print(f"  {scale.name}: {title}: {_cell(step)}", file=sys.stderr, flush=True)
        if key == "queries" and step.finished:
            scale.queries = _query_medians(step)
        if key == "preview" and step.finished:
            scale.preview = json.loads(step.runs[0].stdout)
            print(
                f"  {scale.name}: an edit until served: {scale.preview['median_s']:.2f} s (median)",
                file=sys.stderr,
            )


def _blocked(scale: Scale, key: str) -> str:
    """Say why a step cannot run: what it needs did not finish."""
    needs = {"build": "validate", "incremental": "build", "preview": "build"}
    needed = needs.get(key)
    step = (
        next((s for s in scale.steps if s.name.startswith(f"klyngedata {needed}")), None) if needed else None
    )
    if step is not None and not step.finished:
        return f"not run: {needed} did not finish"
    return ""


def _run_step(key: str, args: list[str], project: Path, attempt: int, timeout: float) -> Run:
    python = sys.executable
    if key in STARTUP:
        env = startup_env(project)
        if attempt == 0:  # unmeasured: writes the bytecode caches an installed package has
            measure(args, cwd=project, timeout=timeout, env=env)
        return measure(args, cwd=project, timeout=timeout, env=env)
    if key == "yardstick":
        out = project.parent / f"yardstick-{attempt}"
        run = measure(
            [python, str(HERE / "pipeline_steps.py"), "yardstick", str(project), str(out)],
            cwd=HERE,
            timeout=timeout,
        )
        shutil.rmtree(out, ignore_errors=True)
        return run
    if key == "preview":
        return measure(
            [python, str(HERE / "pipeline_steps.py"), "preview", str(project)], cwd=HERE, timeout=timeout
        )
    if key == "queries":
        return measure(
            [python, str(HERE / "pipeline_steps.py"), "queries", str(project)], cwd=HERE, timeout=timeout
        )
    if key in ("validate", "build"):  # cold: no site, no cache of an earlier run
        shutil.rmtree(project / ".klyngedata-cache", ignore_errors=True)
    if key == "build":
        shutil.rmtree(project / "site", ignore_errors=True)
    if key == "incremental":
        edit_one_line(project)
    return measure(args, cwd=project, timeout=timeout)


def _query_medians(step: Step) -> dict[str, dict[str, float]]:
    figures = [json.loads(run.stdout) for run in step.runs]
    names = figures[0]["queries"]
    result = {
        f"load {LOADED[figures[0]['source']]}": {
            "seconds": statistics.median(f["load_s"] for f in figures),
            "rows": figures[0]["quads"],
        }
    }
    for name in names:
        result[name] = {
            "seconds": statistics.median(f["queries"][name]["seconds"] for f in figures),
            "cpu_seconds": statistics.median(f["queries"][name]["cpu_seconds"] for f in figures),
            "rows": names[name]["rows"],
        }
    return result


def _cell(step: Step) -> str:
    wall = step.wall()
    return f"{wall:.2f} s" if wall is not None else step.status()


def table(scale: Scale, previous: Scale | None) -> str:
    """Return the Markdown table of one scale."""
    yard = scale.step("yardstick: pyoxigraph parse + 5 dumps")
    yard_wall = yard.wall() if yard else None
    lines = [
        "| step | wall s | CPU s | peak MiB | × yardstick (wall) | growth (wall) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in scale.steps:
        figures = step.summary()
        if not step.finished:
            lines.append(f"| {step.name} | {step.status()} | – | – | – | – |")
            continue
        wall = float(figures["wall_s"])  # type: ignore[arg-type]
        ratio = _times(wall / yard_wall) if yard_wall else "–"
        before = previous.step(step.name) if previous else None
        growth = f"{wall / w:.1f}×" if before and (w := before.wall()) else "–"
        cpu, peak = figures["cpu_s"], figures["peak_mib"]
        lines.append(f"| {step.name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {ratio} | {growth} |")
    for name, figure in scale.queries.items():
        before_q = previous.queries.get(name) if previous else None
        kind = "cpu_seconds" if "cpu_seconds" in figure else "seconds"  # growth of CPU, like the goals
        growth = f"{figure[kind] / before_q[kind]:.1f}×" if before_q and before_q.get(kind) else "–"
        label = name if name.startswith("load ") else f"query {name} ({figure['rows']:,.0f} rows)"
        shown = f"{figure['seconds'] * 1000:.1f} ms"
        cpu_ms = f"{figure['cpu_seconds'] * 1000:.1f} ms" if "cpu_seconds" in figure else "–"
        lines.append(f"| &nbsp;&nbsp;in-process: {label} | {shown} | {cpu_ms} | – | – | {growth} |")
    if scale.preview:
        edits = ", ".join(f"{s:.2f}" for s in scale.preview["edits"])  # type: ignore[attr-defined]
        median = f"{scale.preview['median_s']:.2f}"
        lines.append(
            f"| &nbsp;&nbsp;an edit until served (median; each: {edits}) | {median} | – | – | – | – |"
        )
    return "\n".join(lines)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:,.0f}×"


def uptime() -> str:
    """Return the output of ``uptime`` (the load the figures were taken under)."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def parse_steps(text: str) -> tuple[str, ...]:
    """Read a comma-separated list of step keys."""
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step(s) {unknown}; choose from {', '.join(STEPS)}")
    return chosen


def report(scales: list[Scale], options: argparse.Namespace, started: str) -> dict[str, object]:
    """Return everything measured, and the verdict on each goal, for the JSON file."""
    scale_figures = figures_of(scales)
    return {
        "command": " ".join(sys.argv),
        "started": started,
        "uptime_at_start": options.uptime_at_start,
        "uptime_now": uptime(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "repeat": options.repeat,
        "timeout_s": options.timeout,
        "scales": scale_figures,
        "goals": [asdict(goal) for goal in judge(scale_figures)],
    }


def figures_of(scales: list[Scale]) -> list[dict[str, object]]:
    """Return each scale's figures for the JSON file and the goals."""
    return [
        {
            "scale": s.name,
            "target_triples": s.target,
            "triples": s.triples(),
            "repeat": s.repeat,
            "generated": s.generated,
            "steps": [step.summary() for step in s.steps],
            "queries": s.queries,
            "preview": s.preview,
        }
        for s in scales
    ]


def main() -> None:
    """Measure every scale, print a table per scale and write the JSON file."""
    from scale import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        action="append",
        help="triples: 10k, 100k, 1m or a number, or real (the repository's project); NAME:R repeats R "
        "times (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per step (median wall)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a step may take [900]")
    parser.add_argument(
        "--steps", type=parse_steps, default=STEPS, help=f"comma-separated subset of {','.join(STEPS)}"
    )
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated projects here (default: a temporary folder)"
    )
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    options.uptime_at_start = uptime()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"load at start: {options.uptime_at_start}", file=sys.stderr, flush=True)
    editable = editable_install()
    if editable is not None and set(STARTUP) & set(options.steps):
        print(
            f"start-up: klyngedata is an editable install here ({editable.name}): its finder runs in "
            "every start of this Python, python -c pass too; run this script with the Python of a "
            "`pip install .` venv for the start-up a user has",
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as temporary:
        workdir = options.workdir or Path(temporary)
        scales: list[Scale] = []
        for text in options.scale or ["10k"]:
            name, _, repeat = text.partition(":")
            project = workdir / f"scale-{name}" / "project"
            target = 0 if name == "real" else parse_size(name)
            scale = Scale(name, target, project, int(repeat or options.repeat))
            run_scale(scale, options)
            previous = scales[-1] if scales else None
            scales.append(scale)
            print(f"\n### {name}: {scale.generated.get('summary', 'not generated')}\n")
            print(table(scale, previous), flush=True)
            if options.json:
                options.json.write_text(
                    json.dumps(report(scales, options, started), indent=2) + "\n", "utf-8"
                )
        print("\n### goals\n")
        print(goals_table(judge(figures_of(scales))), flush=True)
    print(f"\nload at end: {uptime()}", file=sys.stderr)


if __name__ == "__main__":
    main()
