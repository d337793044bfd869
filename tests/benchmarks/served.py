"""Start `klyngedata serve` on a fresh build for the fuzz and soak scripts; measure its memory.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KLYNGEDATA = str(Path(sys.executable).parent / "klyngedata")


def build(extra_config: str = "") -> Path:
    """Copy the project into a temporary folder, add config lines, build it; return the project."""
    project = Path(tempfile.mkdtemp(prefix="klyngedata-soak-"))
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, project / name)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(
        text.replace("[tool.klyngedata]\n", "[tool.klyngedata]\n" + extra_config, 1), encoding="utf-8"
    )
    subprocess.run([KLYNGEDATA, "build", "--project", str(project)], check=True, capture_output=True)
    return project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(project: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server and wait until it answers a query."""
    port = free_port()
    process = subprocess.Popen(
        [KLYNGEDATA, "serve", "--project", str(project), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/sparql?query=ASK%7B%7D")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not come up within 60 s")


def family(pid: int) -> list[int]:
    """Return ``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the server and its workers), in MiB."""
    total = 0
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pid_alive(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None and os.path.exists(f"/proc/{process.pid}")
