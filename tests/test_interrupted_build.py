"""A build killed at any moment leaves the complete old site or the complete new one, and the
next build removes what the killed ones left beside the output (and nothing else)."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EPOCH, copy_project, hashes, make_tiny

from publish.build import MARKER, leftovers
from publish.cli import main

KILLS = 20
LABEL = '"CLEAN"@en .'


def _label(project: Path, text: str) -> None:
    """Set CLEAN's English label, so the two versions of the site differ."""
    path = project / "data" / "tiny.ttl"
    current = path.read_text(encoding="utf-8")
    for old in (LABEL, '"CLEAN (A)"@en .', '"CLEAN (B)"@en .'):
        current = current.replace(f"        {old}", f"        {text}")
    path.write_text(current, encoding="utf-8")


def _command(project: Path) -> list[str]:
    return [str(Path(sys.executable).parent / "klyngedata"), "build", "--project", str(project)]


def _build(project: Path) -> subprocess.Popen[bytes]:
    """Start a build in its own process, to be killed."""
    env = {**os.environ, **EPOCH}
    return subprocess.Popen(_command(project), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _build_to_end(project: Path) -> None:
    done = subprocess.run(_command(project), env={**os.environ, **EPOCH}, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str], float]:
    """The file hashes of site A and site B, and how long one build takes."""
    found = []
    took = 0.0
    for name in ("A", "B"):
        project = make_tiny(tmp_path_factory.mktemp(name) / "project")
        _label(project, f'"CLEAN ({name})"@en .')
        start = time.monotonic()
        _build_to_end(project)
        took = max(took, time.monotonic() - start)
        found.append(hashes(project / "site"))
    assert found[0] != found[1]
    return found[0], found[1], took


def test_killed_builds_leave_a_whole_site(
    versions: tuple[dict[str, str], dict[str, str], float], tmp_path: Path
) -> None:
    """20 SIGKILLs spread over a build's run: each leaves site A or site B, complete; then a
    build removes every leftover staging folder and leaves a stranger's look-alike alone."""
    site_a, site_b, took = versions
    project = make_tiny(tmp_path / "project")
    _label(project, '"CLEAN (A)"@en .')
    _build_to_end(project)
    stranger = project / ".site.new-abcdefgh"  # our name, but no marker and not empty: not ours
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine\n", encoding="utf-8")
    outcomes = []
    seen: set[str] = set()  # leftover folders found after a kill, before the next build
    for kill in range(KILLS):
        state = "A" if hashes(project / "site") == site_a else "B"
        target = "B" if state == "A" else "A"
        _label(project, f'"CLEAN ({target})"@en .')
        process = _build(project)
        time.sleep(took * 1.1 * kill / (KILLS - 1))  # from at once to just after a build's end
        helpers = _children_of(process.pid)  # the build's forked helpers at this moment
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert _all_end(helpers), f"kill {kill}: the build's helper processes outlived it"
        after = hashes(project / "site")
        assert after in (site_a, site_b), f"kill {kill}: the site is neither A nor B"
        outcomes.append("new" if after == (site_a if target == "A" else site_b) else "old")
        left = leftovers(project / "site")
        assert all((path / MARKER).is_file() or not any(path.iterdir()) for path in left)
        seen.update(path.name for path in left)
    _label(project, '"CLEAN (A)"@en .')
    _build_to_end(project)
    assert hashes(project / "site") == site_a
    # The site it replaced is removed in the background (publish.sweep): wait for that.
    deadline = time.monotonic() + 60
    while leftovers(project / "site") and time.monotonic() < deadline:
        time.sleep(0.1)
    # Beside the site: only the stranger's look-alike is left of everything named like staging.
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site.")) == [stranger.name]
    assert stranger.is_dir() and (stranger / "notes.txt").is_file()
    print(
        f"\n{KILLS} kills: {outcomes.count('old')} old site, {outcomes.count('new')} new site, "
        f"{len(seen)} leftover folder(s) found after kills, 0 after the next build"
    )
    shutil.rmtree(stranger)


def _children_of(pid: int) -> set[int]:
    """Return the processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rpartition(")")[2].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` runs (an ended process nobody reaped yet is a zombie: not running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _all_end(pids: set[int], within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while any(_running(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_killed_build_takes_its_helper_processes_with_it(tmp_path: Path) -> None:
    """A build forks a catalogue checker at its start and a child that makes part of the site;
    killed, it leaves neither behind (the checker used to wait for its catalogue forever)."""
    project = copy_project(tmp_path / "project")
    process = _build(project)
    try:
        deadline = time.monotonic() + 60
        helpers: set[int] = set()
        while len(helpers) < 2 and time.monotonic() < deadline and process.poll() is None:
            helpers = _children_of(process.pid)
            time.sleep(0.02)
        assert len(helpers) >= 2, "the build never had its two helper processes"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert _all_end(helpers)


def test_a_build_waits_for_another_only_as_long_as_configured(tmp_path: Path) -> None:
    """A build that finds another writing beside its output gives up after build_lock_timeout."""
    project = make_tiny(tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + "build_lock_timeout = 0.5\n", encoding="utf-8"
    )
    holder = os.open(project, os.O_RDONLY | os.O_DIRECTORY)  # the output's parent, as a build locks it
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        result = CliRunner().invoke(main, ["build", "--project", str(project)])
    finally:
        os.close(holder)
    assert result.exit_code == 1, result.output
    assert "another klyngedata build" in result.stderr and "build_lock_timeout" in result.stderr
    assert "Traceback" not in result.output and not (project / "site").exists()
