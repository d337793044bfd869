"""The layer under the guard: query workers cannot open a network connection, and their memory is capped.

The filter is only ever installed in child processes, never in pytest's own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BASE, ROOT
from servers import recording_listener

from publish.config import load_config
from publish.errors import QueryError
from publish.sandbox import _ARCHES, program
from publish.workers import BusyError, Job, QueryPool, QueryTimeoutError, WorkerLimits, answer_one

# Run in a child: install the filter, then try the network in every way a query engine could.
CHILD = r"""
import errno, json, socket, sys
import pyoxigraph as ox
from publish import guard, sparql
from publish.errors import QueryError
from publish.guard import QueryPlan
from publish.sandbox import deny_network

port = int(sys.argv[1])
deny_network()
found = {}
for name, family in (("inet", socket.AF_INET), ("inet6", socket.AF_INET6), ("netlink", socket.AF_NETLINK)):
    try:
        socket.socket(family).close()
        found[name] = "opened"
    except OSError as exc:
        found[name] = errno.errorcode[exc.errno]
socket.socketpair()  # AF_UNIX stays usable (the worker's pipe to the server is one)
found["unix"] = "opened"
service = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
try:
    list(ox.Store().query(service))
    found["engine"] = "answered"
except OSError as exc:
    found["engine"] = type(exc).__name__
# the guard bypassed: run_query as a worker runs it, with a guard that lets everything through
guard.check_query = lambda text, **_: QueryPlan(text, "SELECT", (), ())  # run_query imports it late
try:
    sparql.run_query(ox.Store(), service, base="urn:x:", max_rows=10, allowed_graphs=frozenset())
    found["run_query"] = "answered"
except QueryError as exc:
    found["run_query"] = exc.message
print(json.dumps(found))
"""


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on a loopback port recording every connection that reaches it."""
    with recording_listener() as found:
        yield found


def test_a_sandboxed_engine_reaches_no_listener(listener: tuple[int, list[bytes]]) -> None:
    port, seen = listener
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(port)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert child.returncode == 0, child.stderr
    found = json.loads(child.stdout)
    time.sleep(0.3)
    assert seen == []
    assert found == {
        "inet": "EACCES",
        "inet6": "EACCES",
        "netlink": "EACCES",
        "unix": "opened",
        "engine": "PermissionError",
        "run_query": "the query tried to open a network connection, which this endpoint never does",
    }


def test_without_the_sandbox_the_same_engine_call_does_connect(listener: tuple[int, list[bytes]]) -> None:
    """The control: the listener does see pyoxigraph's SERVICE request when no filter is installed."""
    port, seen = listener
    script = (
        "import pyoxigraph as ox, sys\n"
        "try:\n"
        f"    q = 'SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }}'\n"
        "    list(ox.Store().query(q))\n"
        "except Exception:\n"
        "    pass\n"
    )
    subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=True)
    time.sleep(0.3)
    assert seen and seen[0].startswith(b"POST /s ")


def _run_bpf(code: bytes, nr: int, arch: int, args0: int) -> int:
    """Interpret the filter's classic-BPF subset over one seccomp_data record (an independent reading)."""
    import struct

    data = struct.pack("=iIQ6Q", nr, arch, 0, args0, 0, 0, 0, 0, 0)
    accumulator, pc = 0, 0
    program_ = [struct.unpack("=HBBI", code[i : i + 8]) for i in range(0, len(code), 8)]
    while True:
        op, jt, jf, k = program_[pc]
        if op == 0x20:
            accumulator = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif op == 0x15:
            pc += 1 + (jt if accumulator == k else jf)
        elif op == 0x35:
            pc += 1 + (jt if accumulator >= k else jf)
        elif op == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected BPF opcode {op:#x}")


@pytest.mark.parametrize("machine", sorted(_ARCHES))
def test_the_filter_decides_each_call_as_documented(machine: str) -> None:
    arch = _ARCHES[machine]
    code = program(arch)
    allow, eperm, eacces = 0x7FFF0000, 0x50001, 0x5000D
    assert _run_bpf(code, arch.socket, arch.audit, socket.AF_INET) == eacces
    assert _run_bpf(code, arch.socket, arch.audit, socket.AF_INET6) == eacces
    assert _run_bpf(code, arch.socket, arch.audit, socket.AF_PACKET) == eacces
    assert _run_bpf(code, arch.socket, arch.audit, socket.AF_UNIX) == allow
    assert _run_bpf(code, 425, arch.audit, 0) == eperm  # io_uring_setup
    assert _run_bpf(code, 0, arch.audit, 0) == allow  # read
    assert _run_bpf(code, arch.socket, 0x40000003, socket.AF_INET) == eperm  # i386 ABI
    if arch.x32:
        assert _run_bpf(code, 0x40000000 | arch.socket, arch.audit, socket.AF_INET) == eperm


def _status(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_pool_workers_run_filtered_with_a_heap_limit(built_site: Path) -> None:
    async def inspect() -> tuple[list[str], list[str]]:
        pool = QueryPool(built_site, BASE, size=1, limits=WorkerLimits(memory_mb=300))
        await pool.start()
        try:
            # two at once: the regular worker and the reserve have both loaded and answered
            await asyncio.gather(
                *(pool.run(Job("ASK {}", "json", "turtle", 10), timeout=30) for _ in range(2))
            )
            pids = [int(worker.process.pid or 0) for worker in pool._workers]
            modes = [_status(pid, "Seccomp") for pid in pids]
            limits = [
                next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if "data" in line)
                for pid in pids
            ]
        finally:
            await pool.close()
        return modes, limits

    modes, limits = asyncio.run(inspect())
    assert modes == ["2", "2"]  # SECCOMP_MODE_FILTER in the regular worker and in the reserve
    assert all(line.split()[3] == str(300 * 1024 * 1024) for line in limits)
    assert _status(os.getpid(), "Seccomp") == "0"  # the test process itself is never filtered


BOMB = (
    'SELECT (STRLEN(?u) AS ?len) WHERE { BIND("'
    + "a" * 1000
    + '" AS ?a) '
    + " ".join(f"BIND(CONCAT(?{c}, ?{c}) AS ?{chr(ord(c) + 1)})" for c in "abcdefghijklmnopqrst")
    + " }"
)


def test_a_query_over_the_memory_limit_fails_cleanly_and_the_worker_is_replaced(built_site: Path) -> None:
    async def run() -> tuple[str, float, bytes]:
        pool = QueryPool(built_site, BASE, size=1, limits=WorkerLimits(memory_mb=200), reserve_timeout=0)
        await pool.start()
        try:
            started = time.monotonic()
            with pytest.raises(QueryError) as caught:
                await pool.run(Job(BOMB, "json", "turtle", 10), timeout=30)
            seconds = time.monotonic() - started
            answer = await pool.run(Job("ASK { ?s ?p ?o }", "json", "turtle", 10), timeout=30)
        finally:
            await pool.close()
        return caught.value.message, seconds, answer.body

    message, seconds, body = asyncio.run(run())
    assert "more memory than a query may use (200 MiB, config key worker_memory)" in message
    assert seconds < 30
    assert json.loads(body) == {"head": {}, "boolean": True}


def test_the_query_command_runs_in_a_sandboxed_worker_with_the_time_limit(built_site: Path) -> None:
    config = dataclasses.replace(load_config(built_site.parent), query_timeout=1.0)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryError, match="time limit of 1 s"):
        answer_one(built_site, config, Job(slow, "table", "table", 10))
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("command", [["serve", "--get", "/"], ["query", "ASK {}"]])
def test_without_seccomp_the_commands_refuse_unless_allowed(
    command: list[str], built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from publish import workers
    from publish.cli import main

    monkeypatch.setattr(workers, "supported", lambda: "seccomp filters need Linux; this is darwin")
    project = tmp_path / "project"
    project.mkdir()
    text = (built_site.parent / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    args = [*command, "--project", str(project), "--site", str(built_site)]
    refused = CliRunner().invoke(main, args, catch_exceptions=False)
    assert refused.exit_code == 2
    assert "this is darwin" in refused.stderr and "allow_unsandboxed = true" in refused.stderr
    allowed = text.replace("[tool.klyngedata]\n", "[tool.klyngedata]\nallow_unsandboxed = true\n", 1)
    (project / "pyproject.toml").write_text(allowed, encoding="utf-8")
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0


CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs for minutes


async def _started(site: Path, size: int = 1) -> QueryPool:
    """A pool of ``size`` workers and no reserve, each ready."""
    pool = QueryPool(site, BASE, size=size, reserve_timeout=0)
    await pool.start()
    return pool


def test_waiting_queries_time_out_or_leave_and_the_worker_serves_on(built_site: Path) -> None:
    # One worker, no reserve: a query that overruns holds it; one waiting past its own limit gets
    # BusyError, one whose request goes away stops waiting; the killed worker's replacement answers.
    async def run() -> tuple[str, str, bytes, int, int]:
        pool = QueryPool(built_site, BASE, size=1, reserve_timeout=0)
        await pool.start()
        try:
            slow = asyncio.create_task(pool.run(Job(CROSS, "json", "turtle", 10), timeout=2))
            await asyncio.sleep(0.2)
            gone = asyncio.create_task(pool.run(Job("ASK {}", "json", "turtle", 10), timeout=30))
            with pytest.raises(BusyError) as busy:
                await pool.run(Job("ASK {}", "json", "turtle", 10), timeout=0.3)
            gone.cancel()
            with pytest.raises(QueryTimeoutError) as stopped:
                await slow
            answer = await pool.run(Job("ASK { ?s ?p ?o }", "json", "turtle", 10), timeout=30)
            return busy.value.message, stopped.value.message, answer.body, len(pool._workers), len(pool._idle)
        finally:
            await pool.close()

    busy, stopped, body, workers, idle = asyncio.run(run())
    assert busy == "every query worker stayed busy for 0.3 s; try again later"
    assert stopped.startswith("the query was stopped after the time limit of 2 s")
    assert json.loads(body) == {"head": {}, "boolean": True}
    assert (workers, idle) == (1, 1)  # the replacement, idle again; no worker lost to the waiters


def test_a_query_in_flight_when_the_pool_closes_ends_at_once(built_site: Path) -> None:
    # serve --watch closes the old pool when a new site is swapped in: a query still running in
    # it must not hang until its time limit.
    async def run() -> tuple[str, float]:
        pool = await _started(built_site)
        running = asyncio.create_task(pool.run(Job(CROSS, "json", "turtle", 10), timeout=60))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await pool.close()
        with pytest.raises(QueryError) as caught:
            await running
        return caught.value.message, time.monotonic() - started

    message, seconds = asyncio.run(run())
    assert message == "the query stopped its worker unexpectedly and was not answered; try again"
    assert seconds < 10


def test_a_query_asked_while_a_new_pool_starts_waits_for_it_outside_its_time_limit(built_site: Path) -> None:
    # serve --watch serves a new site's files at once and starts its workers meanwhile: a query
    # asked before any has loaded the dump waits for one; the start-up is not its time.
    async def run() -> bytes:
        pool = QueryPool(built_site, BASE, size=1, reserve_timeout=0)
        starting = asyncio.create_task(pool.start())
        try:
            answer = await pool.run(Job("ASK { ?s ?p ?o }", "json", "turtle", 10), timeout=0.05)
            await starting
            return answer.body
        finally:
            await pool.close()

    assert json.loads(asyncio.run(run())) == {"head": {}, "boolean": True}


def test_a_retired_pool_answers_what_it_was_asked_then_stops(built_site: Path) -> None:
    # When serve --watch swaps a new site in, the old pool retires: its idle workers stop at once,
    # a query already running gets its answer, and its worker stops after it.
    async def run() -> tuple[bytes, int, bool, bool]:
        pool = await _started(built_site, size=2)
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
        running = asyncio.create_task(pool.run(Job(slow, "json", "turtle", 10), timeout=60))
        await asyncio.sleep(0.05)
        busy = [w for w in pool._workers if w not in pool._idle]
        idle = list(pool._idle)
        pool.retire()
        left = len(pool._workers)
        answer = await running
        return answer.body, left, busy[0].process.is_alive(), any(w.process.is_alive() for w in idle)

    body, left, busy_alive, idle_alive = asyncio.run(run())
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 1000
    assert left == 1 and not idle_alive  # the idle one stopped at once; the busy one answered
    assert not busy_alive  # and stopped after its answer


def test_a_query_waiting_in_a_retired_pool_with_no_worker_left_is_told_at_once(built_site: Path) -> None:
    # The old pool's only worker runs a query past its limit and is stopped; the query waiting
    # behind it would otherwise wait out its own limit for a worker that never comes.
    async def run() -> tuple[str, float]:
        pool = await _started(built_site)
        slow = asyncio.create_task(pool.run(Job(CROSS, "json", "turtle", 10), timeout=1))
        await asyncio.sleep(0.2)
        waiting = asyncio.create_task(pool.run(Job("ASK {}", "json", "turtle", 10), timeout=60))
        await asyncio.sleep(0.1)
        pool.retire()
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError):
            await slow
        with pytest.raises(BusyError) as told:
            await waiting
        return told.value.message, time.monotonic() - started

    message, seconds = asyncio.run(run())
    assert message == "the site changed while this query waited; ask again"
    assert seconds < 10
