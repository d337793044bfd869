"""Benchmark the SPARQL engines and the server under a bounded load on 127.0.0.1.

Run:  python tests/benchmarks/bench_server.py [--scale 8] [--seconds 10] [--connections 16]

1. Engines: every named query on rdflib's SPARQL and on pyoxigraph (median of repeats).
2. Load (needs wrk, nginx and the oxigraph server from PyPI): a label lookup over SPARQL,
   repeated (one query string: our answer cache serves it) and unique (every request a query
   string never seen before: ``LIMIT n`` counts up, the rows stay the same), against
   `klyngedata serve` and `oxigraph serve-read-only` (same data, same rows: asserted); the
   dereferencing of a resource IRI against nginx serving the static file; and a trivial ASGI
   app under the same uvicorn settings (what uvicorn alone costs a request on this machine).
   The servers are pinned to CPU 0 (our SPARQL workers with them), wrk to CPU 1. Prints
   Markdown tables and ratios; every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import make_project  # noqa: E402

from publish.sparql import bindings, named_queries, select  # noqa: E402

PARAMS = {"designations-active-on": {"date": "2021-06-01"}}
OXIGRAPH = "oxigraph serve-read-only"
AREA = "/id/area/miljoeteknologi"
LOOKUP = "SELECT ?label WHERE { <{area}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def engines(site: Path, base: str, repeat: int) -> None:
    """Time every named query on both engines."""
    nquads = gzip.decompress((site / "dataset.nq.gz").read_bytes())
    store = ox.Store()
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    triples = ox.serialize(
        [q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)], format=ox.RdfFormat.N_TRIPLES
    )
    graph = Graph().parse(data=triples, format="nt")
    print(f"\n### Engines ({len(graph):,} triples, median of {repeat})\n")
    print("| named query | rdflib ms | pyoxigraph ms | speed-up |")
    print("|---|---:|---:|---:|")
    for name, query in named_queries().items():
        subs = bindings(query, PARAMS.get(name, {}), base=base)
        init = {k.value: v for k, v in subs.items()}
        rdflib_times, oxi_times = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            list(graph.query(query.text, base=base, initBindings={k: _rdflib(v) for k, v in init.items()}))
            rdflib_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            select(store, query.text, base=base, substitutions=subs)
            oxi_times.append(time.perf_counter() - started)
        slow, fast = statistics.median(rdflib_times) * 1000, statistics.median(oxi_times) * 1000
        print(f"| {name} | {slow:.2f} | {fast:.2f} | {slow / fast:.0f}× |")


def _rdflib(term: object) -> object:
    from rdflib import Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    assert isinstance(term, ox.Literal)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


# wrk's request hook for unique queries: the URL's query string plus "LIMIT <a new number>".
UNIQUE_LUA = """
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "%20LIMIT%20" .. (1000000 + counter))
end
"""
TRIVIAL_APP = """
from publish.config import load_config
from publish.serving import protocol
import sys
from pathlib import Path

import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/sparql-results+json")]})
    await send({"type": "http.response.body", "body": b'{"head":{},"results":{"bindings":[]}}'})

config = load_config(Path(sys.argv[2]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            http=protocol(config))
"""


def wrk(
    url: str, seconds: int, connections: int, headers: dict[str, str], script: Path | None, server: int
) -> tuple[float, float, float, float]:
    """Run wrk on CPU 1; return (requests/s, p50 ms, p99 ms, server CPU µs per request)."""
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    before = tree_cpu(server)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    used = tree_cpu(server) - before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rate, _ms(out, "50%"), _ms(out, "99%"), used / count * 1e6


def tree_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) a process and all its descendants have used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # it ended meanwhile
    return total


def _ms(out: str, label: str) -> float:
    match = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
    assert match, out
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def same_rows(ours: str, theirs: str) -> None:
    """Stop unless two SPARQL endpoints give the same, non-empty rows for the same request."""

    def rows(url: str) -> list[list[tuple[str, str]]]:
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            bindings = json.loads(response.read())["results"]["bindings"]
        return sorted(sorted((k, v["value"]) for k, v in row.items()) for row in bindings)

    mine, baseline = rows(ours), rows(theirs)
    if not mine or mine != baseline:
        raise SystemExit(f"the baseline answers other rows than ours: {baseline[:3]} vs {mine[:3]}")


def load(project: Path, base: str, seconds: int, connections: int) -> None:
    """Run the load benchmark on three servers."""
    for tool in ("wrk", "nginx", "taskset"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is not installed (apt-get install wrk nginx)")
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    site = project / "site"
    area = base + "id/area/miljoeteknologi"
    lookup = LOOKUP.replace("{area}", area)
    processes: list[subprocess.Popen[bytes]] = []
    rows = []
    try:
        ours = free_port()
        processes.append(
            subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    "0",
                    shutil.which("klyngedata") or "klyngedata",
                    "serve",
                    "--port",
                    str(ours),
                ],
                cwd=project,
                stdout=subprocess.DEVNULL,
                stderr=(project / "serve.log").open("wb"),
            )
        )
        trivial = free_port()
        (project / "trivial_app.py").write_text(TRIVIAL_APP, encoding="utf-8")
        processes.append(
            subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    "0",
                    sys.executable,
                    str(project / "trivial_app.py"),
                    str(trivial),
                    str(project),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        theirs = free_port()
        store = project / "oxigraph-store"
        subprocess.run(
            [oxigraph, "load", "--location", str(store), "--file", str(site / "dataset.nq.gz")],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(
            subprocess.Popen(
                [
                    "taskset",
                    "-c",
                    "0",
                    oxigraph,
                    "serve-read-only",
                    "--union-default-graph",  # as our endpoint: the default graph is the union
                    "--location",
                    str(store),
                    "--bind",
                    f"127.0.0.1:{theirs}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        static = free_port()
        conf = project / "nginx-bench.conf"
        conf.write_text(
            f"worker_processes 1; daemon off; pid {project}/nginx.pid; error_log {project}/nginx-error.log;\n"
            f"events {{ worker_connections 1024; }}\nhttp {{ access_log off; types {{ text/turtle ttl; }}\n"
            f"client_body_temp_path {project}; proxy_temp_path {project}; fastcgi_temp_path {project};\n"
            f"uwsgi_temp_path {project}; scgi_temp_path {project};\n"
            f"server {{ listen 127.0.0.1:{static}; root {site}; }} }}\n",
            encoding="utf-8",
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        processes.append(
            subprocess.Popen(
                ["taskset", "-c", "0", nginx, "-c", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        ours_url, theirs_url, static_url, trivial_url = (
            f"http://127.0.0.1:{p}" for p in (ours, theirs, static, trivial)
        )
        wait_until_up(trivial_url + "/")
        # the SPARQL workers load the data before the clock runs
        wait_until_up(ours_url + "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
        try:
            wait_until_up(ours_url + "/dataset.ttl")
        except SystemExit:
            print((project / "serve.log").read_text(encoding="utf-8", errors="replace")[-3000:])
            raise
        wait_until_up(theirs_url + "/query?" + urllib.parse.urlencode({"query": "ASK {}"}))
        wait_until_up(static_url + "/dataset.ttl")
        json_results = {"Accept": "application/sparql-results+json"}
        turtle = {"Accept": "text/turtle"}
        unique = project / "unique.lua"
        unique.write_text(UNIQUE_LUA, encoding="utf-8")
        ours_query = (
            ours_url + "/sparql?" + urllib.parse.urlencode({"query": lookup}, quote_via=urllib.parse.quote)
        )
        theirs_query = (
            theirs_url + "/query?" + urllib.parse.urlencode({"query": lookup}, quote_via=urllib.parse.quote)
        )
        ours_pid, trivial_pid, theirs_pid, nginx_pid = (process.pid for process in processes)
        static_file = static_url + AREA + ".ttl"
        cases = [
            ("SPARQL label lookup, repeated", "klyngedata serve", ours_query, json_results, None, ours_pid),
            ("SPARQL label lookup, repeated", OXIGRAPH, theirs_query, json_results, None, theirs_pid),
            ("SPARQL label lookup, unique", "klyngedata serve", ours_query, json_results, unique, ours_pid),
            ("SPARQL label lookup, unique", OXIGRAPH, theirs_query, json_results, unique, theirs_pid),
            (
                "trivial ASGI answer (uvicorn alone)",
                "uvicorn, same settings",
                trivial_url,
                {},
                None,
                trivial_pid,
            ),
            ("dereference (Turtle)", "klyngedata serve", ours_url + AREA, turtle, None, ours_pid),
            ("dereference (Turtle)", "nginx static file", static_file, turtle, None, nginx_pid),
        ]
        same_rows(ours_query, theirs_query)  # the baseline must answer what we answer
        limited = urllib.parse.quote(" LIMIT 1000001")
        same_rows(ours_query + limited, theirs_query + limited)  # and the unique form too
        for case, server, url, headers, script, pid in cases:
            rate, p50, p99, cpu = wrk(url, seconds, connections, headers, script, pid)
            rows.append((case, server, rate, p50, p99, cpu))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    print(f"\n### Load: wrk -t1 -c{connections} -d{seconds}s on CPU 1, server on CPU 0\n")
    print("| request | server | requests/s | p50 ms | p99 ms | server CPU µs/request |")
    print("|---|---|---:|---:|---:|---:|")
    for case, server, rate, p50, p99, cpu in rows:
        print(f"| {case} | {server} | {rate:,.0f} | {p50:.2f} | {p99:.2f} | {cpu:,.0f} |")
    print("\n| SPARQL label lookup | throughput ours / Oxigraph | p50 | p99 | CPU per request |")
    print("|---|---:|---:|---:|---:|")
    for kind in ("repeated", "unique"):
        ours_row, theirs_row = (r for r in rows if r[0] == f"SPARQL label lookup, {kind}")
        ratios = [ours_row[i] / theirs_row[i] for i in (2, 3, 4, 5)]
        print(f"| {kind} | " + " | ".join(f"{r:.2f}" for r in ratios) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=8, help="replicate the data N times (8 ≈ 10k triples)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines-only", action="store_true")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument(
        "--project", type=Path, help="a project already built with this scale (skips the build)"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)  # nginx's worker (user nobody) must read the static site
        if options.project is not None:
            project = Path(folder) / "project"
            shutil.copytree(options.project, project)
        else:
            project = make_project(Path(folder) / "project", options.scale)
            subprocess.run(
                [shutil.which("klyngedata") or "klyngedata", "build"],
                cwd=project,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        from publish.config import load_config

        base = load_config(project).base_iri
        if not options.load_only:
            engines(project / "site", base, options.repeat)
        if not options.engines_only:
            load(project, base, options.seconds, options.connections)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
