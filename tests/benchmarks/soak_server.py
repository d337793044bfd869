"""Soak `klyngedata serve` for a while with the requests that once grew its memory without bound.

Run:  python tests/benchmarks/soak_server.py [--seconds 60]

Mixed load from several threads on 127.0.0.1: distinct uncached queries (the answer cache),
distinct 15 KB 404 paths (the page cache; 60 KB ones now get 414), 2 MB POST bodies (413),
CONCAT bombs (the worker memory limit), slow queries (the time limit), slow header senders (the
read deadline), and a cheap uncached ASK whose latency is recorded throughout. Prints requests
by status, the resident memory of the server and its workers every 10 s, and the cheap query's
worst latency.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import itertools
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import build, pid_alive, rss_mib, start, stop  # noqa: E402

BOMB = (
    'SELECT (STRLEN(?u) AS ?len) WHERE { BIND("'
    + "a" * 1000
    + '" AS ?a) '
    + " ".join(f"BIND(CONCAT(?{c}, ?{c}) AS ?{chr(ord(c) + 1)})" for c in "abcdefghijklmnopqrst")
    + " }"
)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def send(
    port: int, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, target, body=body or None, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return f"connection error ({type(exc).__name__})"
    finally:
        connection.close()


def query(text: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text})


def trickle(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 60:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return "slow client closed"
            time.sleep(1)
    return "slow client still open after 60 s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    project = build()
    process, port = start(project)
    counts: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds
    latencies: list[float] = []
    numbers = itertools.count()

    def note(kind: str, status: str) -> None:
        with lock:
            counts[f"{kind} {status}"] += 1

    def loop(kind: str, make: object) -> None:
        while time.monotonic() < stop_at:
            note(kind, make())  # type: ignore[operator]

    def cheap() -> str:
        started = time.monotonic()
        status = send(port, "GET", query(f"ASK {{ <urn:cheap:{next(numbers)}> ?p ?o }}"))
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)
        return status

    loads = {
        "distinct query": lambda: send(port, "GET", query(f'SELECT ?s WHERE {{ ?s ?p "{next(numbers)}" }}')),
        "15 KB 404 path": lambda: send(port, "GET", f"/nope-{next(numbers)}-" + "a" * 15_000),
        "2 MB body": lambda: send(
            port, "POST", "/sparql", b"a" * 2_000_000, {"Content-Type": "application/sparql-query"}
        ),
        "CONCAT bomb": lambda: send(port, "GET", query(BOMB + f" # {next(numbers)}")),
        "slow query": lambda: send(port, "GET", query(SLOW + f" # {next(numbers)}")),
        "cheap ASK": cheap,
    }
    before = rss_mib(process.pid)
    print(f"memory (RSS of server + workers) at start: {before:.0f} MiB")
    threads = [threading.Thread(target=loop, args=item, daemon=True) for item in loads.items()]
    threads += [
        threading.Thread(target=lambda: note("slow client", trickle(port)), daemon=True) for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    peak = before
    try:
        while time.monotonic() < stop_at:
            time.sleep(min(10, max(0.1, stop_at - time.monotonic())))
            now = rss_mib(process.pid)
            peak = max(peak, now)
            print(f"  t={args.seconds - (stop_at - time.monotonic()):.0f} s: {now:.0f} MiB", flush=True)
        for thread in threads:
            thread.join(timeout=40)
        after = rss_mib(process.pid)
        alive = pid_alive(process)
    finally:
        stop(process)
    print(f"requests sent: {sum(counts.values()):,} in {args.seconds:g} s")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value:,}")
    memory = f"{before:.0f} MiB before, {after:.0f} MiB after, peak {peak:.0f} MiB"
    print(f"memory (RSS of server + workers): {memory}")
    if latencies:
        print(f"cheap uncached ASK: {len(latencies)} answered, worst {max(latencies) * 1000:.0f} ms")
    print(f"server alive at the end: {alive}")
    sys.exit(0 if alive else 1)


if __name__ == "__main__":
    main()
