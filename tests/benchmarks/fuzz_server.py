"""Fuzz `klyngedata serve` over a real socket: mutated SPARQL, hostile paths, heads and bodies.

Run:  python tests/benchmarks/fuzz_server.py [--requests 30000] [--connections 8] [--seed 1]

Prints the requests sent, the answers by status, connection errors, and the resident memory of
the server and its workers before and after. Exits 1 if any answer is a 5xx other than 503 or
the server died. Every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import random
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import build, pid_alive, rss_mib, start, stop  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fuzzing import PIECES, SEEDS  # noqa: E402

PATHS = [
    "/",
    "/id/area/turisme",
    "/%2e%2e/pyproject.toml",
    "/..%2fpyproject.toml",
    "/%252e%252e/x",
    "/id/..%5c..%5cx",
    "/%00",
    "/index.html%00",
    "/sparql",
    "/nope/" + "a" * 2000,
    "/id/" + "%ff" * 30,
]
FORMATS = ["json", "xml", "csv", "tsv", "turtle", "rdfxml", "jsonld", "nt", "nope"]


def mutate(rng: random.Random) -> str:
    text = rng.choice(SEEDS)
    for _ in range(rng.randint(0, 6)):
        at = rng.randint(0, len(text))
        piece = (
            rng.choice(PIECES)
            if rng.random() < 0.8
            else "".join(chr(rng.randint(0, 0x2FF)) for _ in range(3))
        )
        kind = rng.random()
        if kind < 0.4:
            text = text[:at] + piece + text[at:]
        elif kind < 0.7:
            text = text[:at] + text[at + rng.randint(1, 6) :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text


def one_request(rng: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
    roll = rng.random()
    query = mutate(rng)
    fmt = rng.choice(FORMATS)
    if roll < 0.45:
        return "GET", "/sparql?" + urllib.parse.urlencode({"query": query, "format": fmt}), b"", {}
    if roll < 0.7:
        body = urllib.parse.urlencode({"query": query}).encode()
        return "POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded"}
    if roll < 0.8:
        return (
            "POST",
            "/sparql",
            query.encode("utf-8", "replace"),
            {"Content-Type": "application/sparql-query"},
        )
    if roll < 0.85:
        return "POST", "/sparql", b"CLEAR ALL", {"Content-Type": "application/sparql-update"}
    if roll < 0.88:
        return "POST", "/sparql", b"a" * 2_000_000, {"Content-Type": "application/sparql-query"}
    return "GET", rng.choice(PATHS), b"", {"Accept": rng.choice(["*/*", "text/turtle", "x/y"])}


def worker(port: int, count: int, seed: int) -> collections.Counter[str]:
    rng = random.Random(seed)
    seen: collections.Counter[str] = collections.Counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        method, target, body, headers = one_request(rng)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            seen[str(response.status)] += 1
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException) as exc:
            seen[f"connection error ({type(exc).__name__})"] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    project = build("query_timeout = 2.0\n")
    process, port = start(project)
    try:
        before = rss_mib(process.pid)
        started = time.monotonic()
        share = args.requests // args.connections
        with ThreadPoolExecutor(args.connections) as pool:
            counts = list(
                pool.map(lambda n: worker(port, share, args.seed * 1000 + n), range(args.connections))
            )
        seconds = time.monotonic() - started
        after = rss_mib(process.pid)
        alive = pid_alive(process)
    finally:
        stop(process)
    total: collections.Counter[str] = sum(counts, collections.Counter())
    print(
        f"requests sent: {share * args.connections:,} in {seconds:.1f} s over {args.connections} connections"
    )
    print("answers by status: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(total.items())))
    print(f"memory (RSS of server + workers): {before:.0f} MiB before, {after:.0f} MiB after")
    print(f"server alive at the end: {alive}")
    bad = [k for k in total if k.isdigit() and int(k) >= 500 and k != "503"]
    sys.exit(1 if bad or not alive else 0)


if __name__ == "__main__":
    main()
